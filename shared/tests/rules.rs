//! Every SageMaker rule of the catalog (`shared/src/catalog.rs`), one behaviour per test:
//! a compliant resource passes, each failing field fails with a reason naming it, absent settings
//! take AWS's (non-compliant) defaults, inputs that do not tell a setting give `NOT_APPLICABLE`,
//! and the policy's modes, scope and exemptions shape the findings.
//!
//! Resources are built from the model structs: each `compliant_*()` builder returns a resource that
//! passes every rule, and each test changes the one field it is about. Where the point is what an
//! *absent* field means, the resource comes from a small inline EventBridge event instead.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use sagefence::model::{
    AppNetworkAccess, Domain, EndpointConfig, Fact, Job, JobKind, JobNetwork, JobSpec, JobStatus, Model,
    NotebookInstance, NotebookStatus, ProductionVariant, Resource, Tags, Toggle, VpcPlacement,
};
use sagefence::{
    assess_event, evaluate, Facts, Finding, Mode, ParseEventError, Policy, PolicyError, RuleId, Severity, Status,
};
use serde_json::{json, Value};

const REGION: &str = "eu-west-1";
const ACCOUNT: &str = "111122223333";
const SUBNET: &str = "subnet-0a1b2c3d4e5f60718";
const OTHER_SUBNET: &str = "subnet-0ffffffffffffff99";
const KEY: &str = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const FOREIGN_KEY: &str = "arn:aws:kms:eu-west-1:444455556666:key/ffffffff-0000-0000-0000-000000000000";

const NOTEBOOK_RULES: [RuleId; 6] = [
    RuleId::NotebookDirectInternetDisabled,
    RuleId::NotebookInProjectVpc,
    RuleId::NotebookRootAccessDisabled,
    RuleId::NotebookKmsEncrypted,
    RuleId::NotebookApprovedInstanceType,
    RuleId::NotebookRequiredTags,
];

const JOB_RULES: [RuleId; 6] = [
    RuleId::JobInProjectVpc,
    RuleId::JobNetworkIsolation,
    RuleId::JobInterContainerEncryption,
    RuleId::JobVolumeKms,
    RuleId::JobOutputKms,
    RuleId::NotebookRequiredTags,
];

// ---------------------------------------------------------------------------------------------
// Builders and helpers (infallible: the workspace denies unwrap/panic outside `#[test]` fns)
// ---------------------------------------------------------------------------------------------

/// A fixed "now", well before the exemptions' expiry dates used below.
fn now() -> DateTime<Utc> {
    "2026-03-01T12:00:00Z".parse().unwrap_or_default()
}

fn project_tags() -> Tags {
    Tags::from_iter([("sagefence:project", "alpha"), ("sagefence:owner", "alice")])
}

fn placement(subnets: &[&str]) -> VpcPlacement {
    VpcPlacement {
        subnets: subnets.iter().map(|s| (*s).to_owned()).collect(),
        security_group_ids: vec!["sg-0123456789abcdef0".to_owned()],
    }
}

fn compliant_notebook() -> NotebookInstance {
    NotebookInstance {
        name: "alpha-alice".to_owned(),
        arn: Some(format!(
            "arn:aws:sagemaker:{REGION}:{ACCOUNT}:notebook-instance/alpha-alice"
        )),
        status: Some(NotebookStatus::InService),
        instance_type: Fact::Known("ml.t3.medium".to_owned()),
        direct_internet_access: Fact::Known(Toggle::Disabled),
        root_access: Fact::Known(Toggle::Disabled),
        subnet_id: Fact::Known(Some(SUBNET.to_owned())),
        security_group_ids: Fact::Known(vec!["sg-0123456789abcdef0".to_owned()]),
        kms_key_id: Fact::Known(Some(KEY.to_owned())),
        role_arn: Fact::Known(format!("arn:aws:iam::{ACCOUNT}:role/alpha-notebook")),
        tags: Fact::Known(project_tags()),
    }
}

fn compliant_spec() -> JobSpec {
    JobSpec {
        network: Some(JobNetwork {
            vpc: Some(placement(&[SUBNET])),
            network_isolation: true,
            inter_container_encryption: true,
        }),
        volume_kms_key_id: Some(KEY.to_owned()),
        output_kms_key_id: Some(Some(KEY.to_owned())),
    }
}

fn compliant_job(kind: JobKind) -> Job {
    Job {
        kind,
        name: "alpha-job".to_owned(),
        arn: None,
        status: Some(JobStatus::InProgress),
        specs: vec![compliant_spec()],
        tags: project_tags(),
    }
}

fn compliant_training_job() -> Job {
    compliant_job(JobKind::Training)
}

fn compliant_transform_job() -> Job {
    let mut job = compliant_job(JobKind::Transform);
    job.specs = vec![JobSpec {
        network: None,
        ..compliant_spec()
    }];
    job
}

fn compliant_model() -> Model {
    Model {
        name: "alpha-model".to_owned(),
        arn: None,
        vpc: Some(placement(&[SUBNET])),
        network_isolation: true,
        tags: project_tags(),
    }
}

fn variant(name: &str, count: Option<i32>, serverless: bool) -> ProductionVariant {
    ProductionVariant {
        name: name.to_owned(),
        initial_instance_count: count,
        serverless,
    }
}

fn compliant_endpoint_config() -> EndpointConfig {
    EndpointConfig {
        name: "alpha-endpoint-config".to_owned(),
        arn: None,
        kms_key_id: Some(KEY.to_owned()),
        variants: vec![variant("primary", Some(2), false)],
        tags: project_tags(),
    }
}

fn prod_tags() -> Tags {
    let mut tags = project_tags();
    tags.0.insert("sagefence:environment".to_owned(), "prod".to_owned());
    tags
}

fn compliant_domain() -> Domain {
    Domain {
        name: "alpha-studio".to_owned(),
        arn: None,
        app_network_access: AppNetworkAccess::VpcOnly,
        kms_key_id: Some(KEY.to_owned()),
        vpc_id: Some("vpc-0a1b2c3d4e5f60718".to_owned()),
        subnet_ids: vec![SUBNET.to_owned()],
        tags: project_tags(),
    }
}

/// Facts read from the account: `SUBNET` is a project subnet and `KEY` the project key.
fn online() -> Facts {
    Facts {
        online: true,
        project_subnets: BTreeSet::from([SUBNET.to_owned()]),
        project_keys: BTreeSet::from([KEY.to_owned()]),
    }
}

fn policy(body: &str) -> Result<Policy, PolicyError> {
    Policy::from_yaml(&format!("version: 1\n{body}"))
}

/// Evaluates under `policy`, in eu-west-1, with `facts`.
fn check_with(policy: &Policy, resource: impl Into<Wrapped>, facts: &Facts) -> Vec<Finding> {
    evaluate(policy, &resource.into().0, Some(REGION), facts, now())
}

/// Evaluates under the built-in policy, offline.
fn check(resource: impl Into<Wrapped>) -> Vec<Finding> {
    check_with(&Policy::builtin(), resource, &Facts::default())
}

/// Lets the helpers take any model struct or a `Resource`.
struct Wrapped(Resource);

impl From<Resource> for Wrapped {
    fn from(resource: Resource) -> Self {
        Wrapped(resource)
    }
}

impl From<NotebookInstance> for Wrapped {
    fn from(n: NotebookInstance) -> Self {
        Wrapped(Resource::NotebookInstance(n))
    }
}

impl From<Job> for Wrapped {
    fn from(j: Job) -> Self {
        Wrapped(Resource::Job(j))
    }
}

impl From<Model> for Wrapped {
    fn from(m: Model) -> Self {
        Wrapped(Resource::Model(m))
    }
}

impl From<EndpointConfig> for Wrapped {
    fn from(e: EndpointConfig) -> Self {
        Wrapped(Resource::EndpointConfig(e))
    }
}

impl From<Domain> for Wrapped {
    fn from(d: Domain) -> Self {
        Wrapped(Resource::Domain(d))
    }
}

fn finding(findings: &[Finding], rule: RuleId) -> Option<&Finding> {
    findings.iter().find(|f| f.rule == rule)
}

fn status(findings: &[Finding], rule: RuleId) -> Option<Status> {
    finding(findings, rule).map(|f| f.status)
}

fn reason(findings: &[Finding], rule: RuleId) -> String {
    finding(findings, rule).map(|f| f.reason.clone()).unwrap_or_default()
}

fn rules(findings: &[Finding]) -> Vec<RuleId> {
    findings.iter().map(|f| f.rule).collect()
}

fn failed(findings: &[Finding]) -> Vec<RuleId> {
    findings
        .iter()
        .filter(|f| f.status == Status::Failed)
        .map(|f| f.rule)
        .collect()
}

fn all_passed(findings: &[Finding]) -> bool {
    findings.iter().all(|f| f.status == Status::Passed)
}

/// A successful CloudTrail "AWS API Call" event for a SageMaker call, in an EventBridge envelope.
fn api_event(event_name: &str, params: Value) -> Vec<u8> {
    json!({
        "version": "0",
        "id": "00000000-0000-0000-0000-000000000001",
        "detail-type": "AWS API Call via CloudTrail",
        "source": "aws.sagemaker",
        "account": ACCOUNT,
        "time": "2026-03-01T12:00:00Z",
        "region": REGION,
        "resources": [],
        "detail": {
            "eventVersion": "1.08",
            "userIdentity": {"type": "AssumedRole", "arn": "arn:aws:sts::111122223333:assumed-role/ds/alice"},
            "eventTime": "2026-03-01T12:00:00Z",
            "eventSource": "sagemaker.amazonaws.com",
            "eventName": event_name,
            "awsRegion": REGION,
            "sourceIPAddress": "203.0.113.24",
            "userAgent": "test",
            "requestParameters": params,
            "responseElements": null,
            "requestID": "00000000-0000-0000-0000-000000000002",
            "eventID": "00000000-0000-0000-0000-000000000003",
            "eventType": "AwsApiCall"
        }
    })
    .to_string()
    .into_bytes()
}

/// A SageMaker state-change event.
fn state_event(detail_type: &str, detail: Value) -> Vec<u8> {
    json!({
        "version": "0",
        "id": "00000000-0000-0000-0000-000000000004",
        "detail-type": detail_type,
        "source": "aws.sagemaker",
        "account": ACCOUNT,
        "time": "2026-03-01T12:00:00Z",
        "region": REGION,
        "resources": [],
        "detail": detail
    })
    .to_string()
    .into_bytes()
}

/// Parses and evaluates an event under the built-in policy, offline.
fn assess(bytes: &[u8]) -> Result<Vec<Finding>, ParseEventError> {
    assess_event(&Policy::builtin(), bytes, &Facts::default(), now()).map(|a| a.findings)
}

fn without(mut value: Value, key: &str) -> Value {
    if let Some(map) = value.as_object_mut() {
        map.remove(key);
    }
    value
}

fn tag_list() -> Value {
    json!([{"key": "sagefence:project", "value": "alpha"}, {"key": "sagefence:owner", "value": "alice"}])
}

/// CreateNotebookInstance parameters that pass every rule.
fn compliant_notebook_params() -> Value {
    json!({
        "notebookInstanceName": "alpha-alice",
        "instanceType": "ml.t3.medium",
        "subnetId": SUBNET,
        "securityGroupIds": ["sg-0123456789abcdef0"],
        "roleArn": "arn:aws:iam::111122223333:role/alpha-notebook",
        "kmsKeyId": KEY,
        "directInternetAccess": "Disabled",
        "rootAccess": "Disabled",
        "tags": tag_list()
    })
}

// ---------------------------------------------------------------------------------------------
// Notebook instances
// ---------------------------------------------------------------------------------------------

#[test]
fn compliant_notebook_passes_exactly_the_six_notebook_rules() {
    let findings = check(compliant_notebook());
    assert_eq!(rules(&findings), NOTEBOOK_RULES);
    assert!(all_passed(&findings), "{findings:#?}");
}

#[test]
fn notebook_with_direct_internet_enabled_fails_naming_the_setting() {
    let mut notebook = compliant_notebook();
    notebook.direct_internet_access = Fact::Known(Toggle::Enabled);
    let findings = check(notebook);
    assert_eq!(failed(&findings), [RuleId::NotebookDirectInternetDisabled]);
    let why = reason(&findings, RuleId::NotebookDirectInternetDisabled);
    assert!(why.contains("DirectInternetAccess") && why.contains("Enabled"), "{why}");
}

#[test]
fn notebook_created_without_direct_internet_access_fails_because_absent_means_enabled() {
    let params = without(compliant_notebook_params(), "directInternetAccess");
    let findings = assess(&api_event("CreateNotebookInstance", params)).unwrap();
    assert_eq!(failed(&findings), [RuleId::NotebookDirectInternetDisabled]);
    assert!(reason(&findings, RuleId::NotebookDirectInternetDisabled).contains("Enabled"));
}

#[test]
fn notebook_without_subnet_fails_because_it_runs_outside_any_project_vpc() {
    let mut notebook = compliant_notebook();
    notebook.subnet_id = Fact::Known(None);
    let findings = check(notebook);
    assert_eq!(failed(&findings), [RuleId::NotebookInProjectVpc]);
    assert!(reason(&findings, RuleId::NotebookInProjectVpc).contains("SubnetId"));
}

#[test]
fn notebook_created_without_subnet_id_fails_notebook_in_project_vpc() {
    let params = without(compliant_notebook_params(), "subnetId");
    let findings = assess(&api_event("CreateNotebookInstance", params)).unwrap();
    assert_eq!(failed(&findings), [RuleId::NotebookInProjectVpc]);
}

#[test]
fn notebook_with_root_access_enabled_fails_naming_the_setting() {
    let mut notebook = compliant_notebook();
    notebook.root_access = Fact::Known(Toggle::Enabled);
    let findings = check(notebook);
    assert_eq!(failed(&findings), [RuleId::NotebookRootAccessDisabled]);
    let why = reason(&findings, RuleId::NotebookRootAccessDisabled);
    assert!(why.contains("RootAccess") && why.contains("Enabled"), "{why}");
}

#[test]
fn notebook_without_root_access_fails_because_absent_means_enabled() {
    let params = without(compliant_notebook_params(), "rootAccess");
    let findings = assess(&api_event("CreateNotebookInstance", params)).unwrap();
    assert_eq!(failed(&findings), [RuleId::NotebookRootAccessDisabled]);
    assert!(reason(&findings, RuleId::NotebookRootAccessDisabled).contains("Enabled"));
}

#[test]
fn notebook_without_kms_key_fails_naming_kms_key_id() {
    let mut notebook = compliant_notebook();
    notebook.kms_key_id = Fact::Known(None);
    let findings = check(notebook);
    assert_eq!(failed(&findings), [RuleId::NotebookKmsEncrypted]);
    assert!(reason(&findings, RuleId::NotebookKmsEncrypted).contains("KmsKeyId"));
}

#[test]
fn notebook_created_without_kms_key_id_fails_notebook_kms_encrypted() {
    let params = without(compliant_notebook_params(), "kmsKeyId");
    let findings = assess(&api_event("CreateNotebookInstance", params)).unwrap();
    assert_eq!(failed(&findings), [RuleId::NotebookKmsEncrypted]);
}

#[test]
fn notebook_with_an_instance_type_off_the_allow_list_fails_naming_the_type() {
    let mut notebook = compliant_notebook();
    notebook.instance_type = Fact::Known("ml.p4d.24xlarge".to_owned());
    let findings = check(notebook);
    assert_eq!(failed(&findings), [RuleId::NotebookApprovedInstanceType]);
    assert!(reason(&findings, RuleId::NotebookApprovedInstanceType).contains("ml.p4d.24xlarge"));
}

#[test]
fn notebook_instance_type_is_judged_against_the_policys_own_allow_list() {
    let policy = policy("rules:\n  notebook-approved-instance-type:\n    allowed: [ml.p3.2xlarge]\n").unwrap();
    let mut gpu = compliant_notebook();
    gpu.instance_type = Fact::Known("ml.p3.2xlarge".to_owned());
    let gpu_findings = check_with(&policy, gpu, &Facts::default());
    assert_eq!(
        status(&gpu_findings, RuleId::NotebookApprovedInstanceType),
        Some(Status::Passed)
    );
    let default_type = check_with(&policy, compliant_notebook(), &Facts::default());
    assert_eq!(
        status(&default_type, RuleId::NotebookApprovedInstanceType),
        Some(Status::Failed)
    );
}

#[test]
fn notebook_missing_the_owner_tag_fails_naming_the_tag() {
    let mut notebook = compliant_notebook();
    notebook.tags = Fact::Known(Tags::from_iter([("sagefence:project", "alpha")]));
    let findings = check(notebook);
    assert_eq!(failed(&findings), [RuleId::NotebookRequiredTags]);
    let why = reason(&findings, RuleId::NotebookRequiredTags);
    assert!(
        why.contains("sagefence:owner") && !why.contains("sagefence:project"),
        "{why}"
    );
}

#[test]
fn notebook_created_without_tags_fails_naming_both_required_tags() {
    let params = without(compliant_notebook_params(), "tags");
    let findings = assess(&api_event("CreateNotebookInstance", params)).unwrap();
    assert_eq!(failed(&findings), [RuleId::NotebookRequiredTags]);
    let why = reason(&findings, RuleId::NotebookRequiredTags);
    assert!(
        why.contains("sagefence:project") && why.contains("sagefence:owner"),
        "{why}"
    );
}

#[test]
fn a_tag_with_a_blank_value_counts_as_missing() {
    let mut notebook = compliant_notebook();
    notebook.tags = Fact::Known(Tags::from_iter([
        ("sagefence:project", "alpha"),
        ("sagefence:owner", "  "),
    ]));
    let findings = check(notebook);
    assert_eq!(status(&findings, RuleId::NotebookRequiredTags), Some(Status::Failed));
    assert!(reason(&findings, RuleId::NotebookRequiredTags).contains("sagefence:owner"));
}

#[test]
fn required_tag_keys_come_from_the_policy_when_it_names_them() {
    let policy = policy("rules:\n  notebook-required-tags:\n    keys: [cost-center]\n").unwrap();
    let plain = check_with(&policy, compliant_notebook(), &Facts::default());
    assert_eq!(status(&plain, RuleId::NotebookRequiredTags), Some(Status::Failed));
    assert!(reason(&plain, RuleId::NotebookRequiredTags).contains("cost-center"));

    let mut notebook = compliant_notebook();
    notebook.tags = Fact::Known(Tags::from_iter([("cost-center", "4711")]));
    let tagged = check_with(&policy, notebook, &Facts::default());
    assert_eq!(status(&tagged, RuleId::NotebookRequiredTags), Some(Status::Passed));
}

#[test]
fn update_call_that_only_changes_root_access_leaves_the_other_settings_not_applicable() {
    let params = json!({"notebookInstanceName": "alpha-alice", "rootAccess": "Enabled"});
    let findings = assess(&api_event("UpdateNotebookInstance", params)).unwrap();
    assert_eq!(
        status(&findings, RuleId::NotebookRootAccessDisabled),
        Some(Status::Failed)
    );
    for rule in [
        RuleId::NotebookDirectInternetDisabled,
        RuleId::NotebookInProjectVpc,
        RuleId::NotebookKmsEncrypted,
        RuleId::NotebookApprovedInstanceType,
        RuleId::NotebookRequiredTags,
    ] {
        assert_eq!(status(&findings, rule), Some(Status::NotApplicable), "{rule}");
    }
}

#[test]
fn notebook_state_change_without_security_settings_gives_not_applicable_never_a_guess() {
    let detail = json!({
        "NotebookInstanceName": "alpha-alice",
        "NotebookInstanceStatus": "InService",
        "InstanceType": "ml.t3.medium",
        "Tags": [{"Key": "sagefence:project", "Value": "alpha"}, {"Key": "sagefence:owner", "Value": "alice"}]
    });
    let findings = assess(&state_event("SageMaker Notebook Instance State Change", detail)).unwrap();
    for rule in [
        RuleId::NotebookDirectInternetDisabled,
        RuleId::NotebookInProjectVpc,
        RuleId::NotebookRootAccessDisabled,
        RuleId::NotebookKmsEncrypted,
    ] {
        assert_eq!(status(&findings, rule), Some(Status::NotApplicable), "{rule}");
    }
    assert_eq!(
        status(&findings, RuleId::NotebookApprovedInstanceType),
        Some(Status::Passed)
    );
    assert_eq!(status(&findings, RuleId::NotebookRequiredTags), Some(Status::Passed));
}

#[test]
fn notebook_with_unknown_facts_is_not_applicable_for_every_rule_that_reads_them() {
    let notebook = NotebookInstance {
        instance_type: Fact::Unknown,
        direct_internet_access: Fact::Unknown,
        root_access: Fact::Unknown,
        subnet_id: Fact::Unknown,
        kms_key_id: Fact::Unknown,
        tags: Fact::Unknown,
        ..compliant_notebook()
    };
    let findings = check(notebook);
    assert_eq!(rules(&findings), NOTEBOOK_RULES);
    assert!(
        findings.iter().all(|f| f.status == Status::NotApplicable),
        "{findings:#?}"
    );
}

#[test]
fn online_a_notebook_in_a_project_subnet_with_the_project_key_passes() {
    let findings = check_with(&Policy::builtin(), compliant_notebook(), &online());
    assert_eq!(status(&findings, RuleId::NotebookInProjectVpc), Some(Status::Passed));
    assert_eq!(status(&findings, RuleId::NotebookKmsEncrypted), Some(Status::Passed));
}

#[test]
fn online_a_notebook_outside_the_project_subnets_fails_naming_its_subnet() {
    let mut notebook = compliant_notebook();
    notebook.subnet_id = Fact::Known(Some(OTHER_SUBNET.to_owned()));
    let findings = check_with(&Policy::builtin(), notebook, &online());
    assert_eq!(failed(&findings), [RuleId::NotebookInProjectVpc]);
    assert!(reason(&findings, RuleId::NotebookInProjectVpc).contains(OTHER_SUBNET));
}

#[test]
fn online_a_notebook_encrypted_with_a_key_that_is_not_the_project_key_fails_naming_the_key() {
    let mut notebook = compliant_notebook();
    notebook.kms_key_id = Fact::Known(Some(FOREIGN_KEY.to_owned()));
    let findings = check_with(&Policy::builtin(), notebook, &online());
    assert_eq!(failed(&findings), [RuleId::NotebookKmsEncrypted]);
    assert!(reason(&findings, RuleId::NotebookKmsEncrypted).contains(FOREIGN_KEY));
}

#[test]
fn offline_any_present_subnet_and_key_pass_and_say_they_are_checked_online() {
    let mut notebook = compliant_notebook();
    notebook.subnet_id = Fact::Known(Some(OTHER_SUBNET.to_owned()));
    notebook.kms_key_id = Fact::Known(Some(FOREIGN_KEY.to_owned()));
    let findings = check(notebook);
    assert!(all_passed(&findings), "{findings:#?}");
    assert!(reason(&findings, RuleId::NotebookInProjectVpc).contains("online"));
    assert!(reason(&findings, RuleId::NotebookKmsEncrypted).contains("online"));
}

// ---------------------------------------------------------------------------------------------
// Jobs
// ---------------------------------------------------------------------------------------------

#[test]
fn compliant_training_job_passes_every_job_rule() {
    let findings = check(compliant_training_job());
    assert_eq!(rules(&findings), JOB_RULES);
    assert!(all_passed(&findings), "{findings:#?}");
}

#[test]
fn training_job_without_vpc_config_fails_job_in_project_vpc() {
    let mut job = compliant_training_job();
    job.specs = vec![JobSpec {
        network: Some(JobNetwork {
            vpc: None,
            network_isolation: true,
            inter_container_encryption: true,
        }),
        ..compliant_spec()
    }];
    let findings = check(job);
    assert_eq!(failed(&findings), [RuleId::JobInProjectVpc]);
    assert!(reason(&findings, RuleId::JobInProjectVpc).contains("VpcConfig"));
}

#[test]
fn job_whose_vpc_config_names_no_subnet_fails() {
    let mut job = compliant_training_job();
    job.specs = vec![JobSpec {
        network: Some(JobNetwork {
            vpc: Some(placement(&[])),
            network_isolation: true,
            inter_container_encryption: true,
        }),
        ..compliant_spec()
    }];
    let findings = check(job);
    assert_eq!(failed(&findings), [RuleId::JobInProjectVpc]);
    assert!(reason(&findings, RuleId::JobInProjectVpc).contains("no subnet"));
}

#[test]
fn online_a_job_with_a_subnet_outside_the_project_fails_naming_only_that_subnet() {
    let mut job = compliant_training_job();
    job.specs = vec![JobSpec {
        network: Some(JobNetwork {
            vpc: Some(placement(&[SUBNET, OTHER_SUBNET])),
            network_isolation: true,
            inter_container_encryption: true,
        }),
        ..compliant_spec()
    }];
    let findings = check_with(&Policy::builtin(), job, &online());
    assert_eq!(failed(&findings), [RuleId::JobInProjectVpc]);
    let why = reason(&findings, RuleId::JobInProjectVpc);
    assert!(why.contains(OTHER_SUBNET) && !why.contains(SUBNET), "{why}");
}

#[test]
fn training_job_without_network_isolation_fails_naming_the_setting() {
    let mut job = compliant_training_job();
    job.specs = vec![JobSpec {
        network: Some(JobNetwork {
            vpc: Some(placement(&[SUBNET])),
            network_isolation: false,
            inter_container_encryption: true,
        }),
        ..compliant_spec()
    }];
    let findings = check(job);
    assert_eq!(failed(&findings), [RuleId::JobNetworkIsolation]);
    assert!(reason(&findings, RuleId::JobNetworkIsolation).contains("EnableNetworkIsolation"));
}

#[test]
fn training_job_without_inter_container_encryption_fails_naming_the_setting() {
    let mut job = compliant_training_job();
    job.specs = vec![JobSpec {
        network: Some(JobNetwork {
            vpc: Some(placement(&[SUBNET])),
            network_isolation: true,
            inter_container_encryption: false,
        }),
        ..compliant_spec()
    }];
    let findings = check(job);
    assert_eq!(failed(&findings), [RuleId::JobInterContainerEncryption]);
    let why = reason(&findings, RuleId::JobInterContainerEncryption);
    assert!(why.contains("EnableInterContainerTrafficEncryption"), "{why}");
}

#[test]
fn training_job_without_volume_kms_key_fails_naming_volume_kms_key_id() {
    let mut job = compliant_training_job();
    job.specs = vec![JobSpec {
        volume_kms_key_id: None,
        ..compliant_spec()
    }];
    let findings = check(job);
    assert_eq!(failed(&findings), [RuleId::JobVolumeKms]);
    assert!(reason(&findings, RuleId::JobVolumeKms).contains("VolumeKmsKeyId"));
}

#[test]
fn training_job_without_output_kms_key_fails_naming_the_output_key() {
    let mut job = compliant_training_job();
    job.specs = vec![JobSpec {
        output_kms_key_id: Some(None),
        ..compliant_spec()
    }];
    let findings = check(job);
    assert_eq!(failed(&findings), [RuleId::JobOutputKms]);
    assert!(reason(&findings, RuleId::JobOutputKms).contains("KmsKeyId"));
}

#[test]
fn training_job_created_without_isolation_and_encryption_flags_fails_both_because_absent_means_false() {
    let params = json!({
        "trainingJobName": "alpha-train",
        "vpcConfig": {"subnets": [SUBNET], "securityGroupIds": ["sg-0123456789abcdef0"]},
        "resourceConfig": {"instanceType": "ml.m5.xlarge", "instanceCount": 1, "volumeKmsKeyId": KEY},
        "outputDataConfig": {"s3OutputPath": "s3://alpha/out/", "kmsKeyId": KEY},
        "tags": tag_list()
    });
    let findings = assess(&api_event("CreateTrainingJob", params)).unwrap();
    assert_eq!(
        failed(&findings),
        [RuleId::JobNetworkIsolation, RuleId::JobInterContainerEncryption]
    );
}

#[test]
fn processing_job_reads_network_volume_and_output_from_their_processing_fields() {
    let params = json!({
        "processingJobName": "alpha-prep",
        "networkConfig": {
            "vpcConfig": {"subnets": [SUBNET], "securityGroupIds": ["sg-0123456789abcdef0"]},
            "enableNetworkIsolation": true,
            "enableInterContainerTrafficEncryption": true
        },
        "processingResources": {"clusterConfig": {"instanceCount": 1, "volumeKmsKeyId": KEY}},
        "processingOutputConfig": {"outputs": [], "kmsKeyId": KEY},
        "tags": tag_list()
    });
    let findings = assess(&api_event("CreateProcessingJob", params)).unwrap();
    assert_eq!(rules(&findings), JOB_RULES);
    assert!(all_passed(&findings), "{findings:#?}");
}

#[test]
fn processing_job_without_network_config_fails_vpc_isolation_and_encryption() {
    let params = json!({
        "processingJobName": "alpha-prep",
        "processingResources": {"clusterConfig": {"instanceCount": 1, "volumeKmsKeyId": KEY}},
        "processingOutputConfig": {"outputs": [], "kmsKeyId": KEY},
        "tags": tag_list()
    });
    let findings = assess(&api_event("CreateProcessingJob", params)).unwrap();
    assert_eq!(
        failed(&findings),
        [
            RuleId::JobInProjectVpc,
            RuleId::JobNetworkIsolation,
            RuleId::JobInterContainerEncryption
        ]
    );
}

#[test]
fn processing_job_with_no_output_config_makes_job_output_kms_not_applicable() {
    let mut job = compliant_job(JobKind::Processing);
    job.specs = vec![JobSpec {
        output_kms_key_id: None,
        ..compliant_spec()
    }];
    let findings = check(job);
    assert_eq!(status(&findings, RuleId::JobOutputKms), Some(Status::NotApplicable));
    assert!(reason(&findings, RuleId::JobOutputKms).contains("no output"));
    assert!(failed(&findings).is_empty());
}

#[test]
fn tuning_job_with_several_compliant_definitions_passes() {
    let mut job = compliant_job(JobKind::HyperParameterTuning);
    job.specs = vec![compliant_spec(), compliant_spec(), compliant_spec()];
    let findings = check(job);
    assert!(all_passed(&findings), "{findings:#?}");
}

#[test]
fn tuning_job_fails_when_any_definition_fails_and_the_reason_names_that_definition() {
    let mut job = compliant_job(JobKind::HyperParameterTuning);
    job.specs = vec![
        compliant_spec(),
        JobSpec {
            volume_kms_key_id: None,
            ..compliant_spec()
        },
    ];
    let findings = check(job);
    assert_eq!(failed(&findings), [RuleId::JobVolumeKms]);
    let why = reason(&findings, RuleId::JobVolumeKms);
    assert!(why.contains("definition 2") && !why.contains("definition 1"), "{why}");
}

#[test]
fn tuning_job_created_with_training_job_definitions_evaluates_each_of_them() {
    let definition = |volume_key: Option<&str>| {
        json!({
            "definitionName": "xgb",
            "vpcConfig": {"subnets": [SUBNET], "securityGroupIds": ["sg-0123456789abcdef0"]},
            "enableNetworkIsolation": true,
            "enableInterContainerTrafficEncryption": true,
            "resourceConfig": {"instanceType": "ml.m5.xlarge", "instanceCount": 1, "volumeKmsKeyId": volume_key},
            "outputDataConfig": {"s3OutputPath": "s3://alpha/out/", "kmsKeyId": KEY}
        })
    };
    let params = json!({
        "hyperParameterTuningJobName": "alpha-tune",
        "trainingJobDefinitions": [definition(Some(KEY)), definition(None)],
        "tags": tag_list()
    });
    let findings = assess(&api_event("CreateHyperParameterTuningJob", params)).unwrap();
    assert_eq!(failed(&findings), [RuleId::JobVolumeKms]);
    assert!(reason(&findings, RuleId::JobVolumeKms).contains("definition 2"));
}

#[test]
fn transform_job_network_rules_are_not_applicable_because_its_network_comes_from_the_model() {
    let findings = check(compliant_transform_job());
    for rule in [
        RuleId::JobInProjectVpc,
        RuleId::JobNetworkIsolation,
        RuleId::JobInterContainerEncryption,
    ] {
        assert_eq!(status(&findings, rule), Some(Status::NotApplicable), "{rule}");
        assert!(reason(&findings, rule).contains("model"), "{rule}");
    }
    assert_eq!(status(&findings, RuleId::JobVolumeKms), Some(Status::Passed));
    assert_eq!(status(&findings, RuleId::JobOutputKms), Some(Status::Passed));
}

#[test]
fn transform_job_created_without_volume_and_output_keys_fails_both_kms_rules() {
    let params = json!({
        "transformJobName": "alpha-batch",
        "modelName": "alpha-model",
        "transformResources": {"instanceType": "ml.m5.xlarge", "instanceCount": 1},
        "transformOutput": {"s3OutputPath": "s3://alpha/batch/"},
        "tags": tag_list()
    });
    let findings = assess(&api_event("CreateTransformJob", params)).unwrap();
    assert_eq!(failed(&findings), [RuleId::JobVolumeKms, RuleId::JobOutputKms]);
    assert_eq!(status(&findings, RuleId::JobInProjectVpc), Some(Status::NotApplicable));
}

// ---------------------------------------------------------------------------------------------
// Models
// ---------------------------------------------------------------------------------------------

#[test]
fn compliant_model_passes_both_model_rules_and_the_tag_rule() {
    let findings = check(compliant_model());
    assert_eq!(
        rules(&findings),
        [
            RuleId::ModelInProjectVpc,
            RuleId::ModelNetworkIsolation,
            RuleId::NotebookRequiredTags
        ]
    );
    assert!(all_passed(&findings), "{findings:#?}");
}

#[test]
fn model_without_vpc_config_fails_model_in_project_vpc() {
    let mut model = compliant_model();
    model.vpc = None;
    let findings = check(model);
    assert_eq!(failed(&findings), [RuleId::ModelInProjectVpc]);
    assert!(reason(&findings, RuleId::ModelInProjectVpc).contains("VpcConfig"));
}

#[test]
fn online_a_model_in_a_subnet_outside_the_project_fails_naming_the_subnet() {
    let mut model = compliant_model();
    model.vpc = Some(placement(&[OTHER_SUBNET]));
    let findings = check_with(&Policy::builtin(), model, &online());
    assert_eq!(failed(&findings), [RuleId::ModelInProjectVpc]);
    assert!(reason(&findings, RuleId::ModelInProjectVpc).contains(OTHER_SUBNET));
}

#[test]
fn model_without_network_isolation_fails_naming_the_setting() {
    let mut model = compliant_model();
    model.network_isolation = false;
    let findings = check(model);
    assert_eq!(failed(&findings), [RuleId::ModelNetworkIsolation]);
    assert!(reason(&findings, RuleId::ModelNetworkIsolation).contains("EnableNetworkIsolation"));
}

#[test]
fn model_created_without_enable_network_isolation_fails_because_absent_means_false() {
    let params = json!({
        "modelName": "alpha-model",
        "executionRoleArn": "arn:aws:iam::111122223333:role/alpha-model",
        "vpcConfig": {"subnets": [SUBNET], "securityGroupIds": ["sg-0123456789abcdef0"]},
        "tags": tag_list()
    });
    let findings = assess(&api_event("CreateModel", params)).unwrap();
    assert_eq!(failed(&findings), [RuleId::ModelNetworkIsolation]);
}

// ---------------------------------------------------------------------------------------------
// Endpoint configurations
// ---------------------------------------------------------------------------------------------

#[test]
fn compliant_endpoint_config_passes_kms_and_is_not_applicable_for_the_prod_count_outside_prod() {
    let findings = check(compliant_endpoint_config());
    assert_eq!(
        rules(&findings),
        [
            RuleId::EndpointConfigKms,
            RuleId::EndpointConfigProdInstanceCount,
            RuleId::NotebookRequiredTags
        ]
    );
    assert_eq!(status(&findings, RuleId::EndpointConfigKms), Some(Status::Passed));
    assert_eq!(
        status(&findings, RuleId::EndpointConfigProdInstanceCount),
        Some(Status::NotApplicable)
    );
}

#[test]
fn endpoint_config_without_kms_key_fails_naming_kms_key_id() {
    let mut config = compliant_endpoint_config();
    config.kms_key_id = None;
    let findings = check(config);
    assert_eq!(failed(&findings), [RuleId::EndpointConfigKms]);
    assert!(reason(&findings, RuleId::EndpointConfigKms).contains("KmsKeyId"));
}

#[test]
fn non_prod_endpoint_config_with_a_single_instance_is_not_applicable() {
    let mut config = compliant_endpoint_config();
    config.variants = vec![variant("primary", Some(1), false)];
    let findings = check(config);
    assert_eq!(
        status(&findings, RuleId::EndpointConfigProdInstanceCount),
        Some(Status::NotApplicable)
    );
}

#[test]
fn prod_tagged_endpoint_config_with_a_single_instance_variant_fails_naming_the_variant() {
    let mut config = compliant_endpoint_config();
    config.tags = prod_tags();
    config.variants = vec![variant("primary", Some(2), false), variant("shadow", Some(1), false)];
    let findings = check(config);
    assert_eq!(failed(&findings), [RuleId::EndpointConfigProdInstanceCount]);
    let why = reason(&findings, RuleId::EndpointConfigProdInstanceCount);
    assert!(why.contains("`shadow` (1)") && !why.contains("primary"), "{why}");
}

#[test]
fn prod_tagged_endpoint_config_with_two_instances_per_variant_passes() {
    let mut config = compliant_endpoint_config();
    config.tags = prod_tags();
    let findings = check(config);
    assert_eq!(
        status(&findings, RuleId::EndpointConfigProdInstanceCount),
        Some(Status::Passed)
    );
}

#[test]
fn policy_scope_environment_prod_makes_an_untagged_endpoint_config_production() {
    let policy = policy("scope: {environment: prod}\n").unwrap();
    let mut config = compliant_endpoint_config();
    config.variants = vec![variant("primary", Some(1), false)];
    let findings = check_with(&policy, config, &Facts::default());
    assert_eq!(
        status(&findings, RuleId::EndpointConfigProdInstanceCount),
        Some(Status::Failed)
    );
}

#[test]
fn an_environment_tag_overrides_the_policy_scope_environment() {
    let policy = policy("scope: {environment: prod}\n").unwrap();
    let mut config = compliant_endpoint_config();
    config
        .tags
        .0
        .insert("sagefence:environment".to_owned(), "dev".to_owned());
    config.variants = vec![variant("primary", Some(1), false)];
    let findings = check_with(&policy, config, &Facts::default());
    assert_eq!(
        status(&findings, RuleId::EndpointConfigProdInstanceCount),
        Some(Status::NotApplicable)
    );
}

#[test]
fn a_custom_minimum_of_three_fails_two_instances_and_passes_three() {
    let policy = policy("rules:\n  endpoint-config-prod-instance-count:\n    minimum: 3\n").unwrap();
    let mut config = compliant_endpoint_config();
    config.tags = prod_tags();
    let two = check_with(&policy, config.clone(), &Facts::default());
    assert_eq!(
        status(&two, RuleId::EndpointConfigProdInstanceCount),
        Some(Status::Failed)
    );
    assert!(reason(&two, RuleId::EndpointConfigProdInstanceCount).contains("fewer than 3"));

    config.variants = vec![variant("primary", Some(3), false)];
    let three = check_with(&policy, config, &Facts::default());
    assert_eq!(
        status(&three, RuleId::EndpointConfigProdInstanceCount),
        Some(Status::Passed)
    );
}

#[test]
fn serverless_variants_are_ignored_by_the_prod_instance_count() {
    let mut config = compliant_endpoint_config();
    config.tags = prod_tags();
    config.variants = vec![variant("serverless", Some(1), true), variant("primary", Some(2), false)];
    let mixed = check(config.clone());
    assert_eq!(
        status(&mixed, RuleId::EndpointConfigProdInstanceCount),
        Some(Status::Passed)
    );

    config.variants = vec![variant("serverless", None, true)];
    let only_serverless = check(config);
    assert_eq!(
        status(&only_serverless, RuleId::EndpointConfigProdInstanceCount),
        Some(Status::NotApplicable)
    );
}

// ---------------------------------------------------------------------------------------------
// Studio domains
// ---------------------------------------------------------------------------------------------

#[test]
fn compliant_domain_passes_vpc_only_and_kms() {
    let findings = check(compliant_domain());
    assert_eq!(
        rules(&findings),
        [RuleId::DomainVpcOnly, RuleId::DomainKms, RuleId::NotebookRequiredTags]
    );
    assert!(all_passed(&findings), "{findings:#?}");
}

#[test]
fn domain_with_public_internet_access_fails_naming_the_access_type() {
    let mut domain = compliant_domain();
    domain.app_network_access = AppNetworkAccess::PublicInternetOnly;
    let findings = check(domain);
    assert_eq!(failed(&findings), [RuleId::DomainVpcOnly]);
    assert!(reason(&findings, RuleId::DomainVpcOnly).contains("PublicInternetOnly"));
}

#[test]
fn domain_created_without_app_network_access_type_fails_because_absent_means_public_internet() {
    let params = json!({
        "domainName": "alpha-studio",
        "authMode": "IAM",
        "vpcId": "vpc-0a1b2c3d4e5f60718",
        "subnetIds": [SUBNET],
        "kmsKeyId": KEY,
        "tags": tag_list()
    });
    let findings = assess(&api_event("CreateDomain", params)).unwrap();
    assert_eq!(failed(&findings), [RuleId::DomainVpcOnly]);
}

#[test]
fn domain_without_kms_key_fails_naming_kms_key_id() {
    let mut domain = compliant_domain();
    domain.kms_key_id = None;
    let findings = check(domain);
    assert_eq!(failed(&findings), [RuleId::DomainKms]);
    assert!(reason(&findings, RuleId::DomainKms).contains("KmsKeyId"));
}

// ---------------------------------------------------------------------------------------------
// Policy: modes, exemptions, scope
// ---------------------------------------------------------------------------------------------

fn root_access_notebook() -> NotebookInstance {
    NotebookInstance {
        root_access: Fact::Known(Toggle::Enabled),
        ..compliant_notebook()
    }
}

#[test]
fn a_rule_in_mode_off_yields_no_finding_at_all() {
    let policy = policy("rules:\n  notebook-root-access-disabled: {mode: 'off'}\n").unwrap();
    let findings = check_with(&policy, root_access_notebook(), &Facts::default());
    assert_eq!(finding(&findings, RuleId::NotebookRootAccessDisabled), None);
    assert_eq!(findings.len(), NOTEBOOK_RULES.len() - 1);
}

#[test]
fn a_rule_in_mode_audit_keeps_its_failed_finding_marked_audit() {
    let policy = policy("rules:\n  notebook-root-access-disabled: {mode: audit}\n").unwrap();
    let findings = check_with(&policy, root_access_notebook(), &Facts::default());
    let root = finding(&findings, RuleId::NotebookRootAccessDisabled);
    assert_eq!(root.map(|f| (f.status, f.mode)), Some((Status::Failed, Mode::Audit)));
    assert_eq!(
        finding(&findings, RuleId::NotebookKmsEncrypted).map(|f| f.mode),
        Some(Mode::Enforce)
    );
}

const ROOT_EXEMPTION_BY_ARN: &str = "exemptions:
  - resource: 'arn:aws:sagemaker:*:*:notebook-instance/alpha-*'
    rules: [notebook-root-access-disabled]
    reason: vendor image needs root (TICKET-123)
    expires: 2026-03-31
";

#[test]
fn an_active_exemption_keeps_the_failure_but_waives_the_violation() {
    let policy = policy(ROOT_EXEMPTION_BY_ARN).unwrap();
    let findings = check_with(&policy, root_access_notebook(), &Facts::default());
    let root = finding(&findings, RuleId::NotebookRootAccessDisabled).unwrap();
    assert_eq!(root.status, Status::Failed);
    let waiver = root.exemption.as_ref().unwrap();
    assert_eq!(waiver.reason, "vendor image needs root (TICKET-123)");
    assert_eq!(waiver.expires.to_string(), "2026-03-31");
    assert!(!root.is_violation());
}

#[test]
fn an_exemption_waives_only_the_rules_it_names() {
    let policy = policy(ROOT_EXEMPTION_BY_ARN).unwrap();
    let notebook = NotebookInstance {
        kms_key_id: Fact::Known(None),
        ..root_access_notebook()
    };
    let findings = check_with(&policy, notebook, &Facts::default());
    let kms = finding(&findings, RuleId::NotebookKmsEncrypted).unwrap();
    assert!(kms.exemption.is_none() && kms.is_violation());
    let passed = finding(&findings, RuleId::NotebookDirectInternetDisabled).unwrap();
    assert!(passed.exemption.is_none(), "a passed finding carries no waiver");
}

#[test]
fn an_expired_exemption_no_longer_waives() {
    let policy = policy(ROOT_EXEMPTION_BY_ARN).unwrap();
    let after_expiry: DateTime<Utc> = "2026-04-01T00:00:00Z".parse().unwrap();
    let findings = evaluate(
        &policy,
        &Resource::NotebookInstance(root_access_notebook()),
        Some(REGION),
        &Facts::default(),
        after_expiry,
    );
    let root = finding(&findings, RuleId::NotebookRootAccessDisabled).unwrap();
    assert!(root.exemption.is_none());
    assert!(root.is_violation());
}

#[test]
fn an_exemption_by_arn_pattern_does_not_cover_a_resource_whose_arn_differs() {
    let policy = policy(ROOT_EXEMPTION_BY_ARN).unwrap();
    let notebook = NotebookInstance {
        name: "beta-bob".to_owned(),
        arn: Some(format!(
            "arn:aws:sagemaker:{REGION}:{ACCOUNT}:notebook-instance/beta-bob"
        )),
        ..root_access_notebook()
    };
    let findings = check_with(&policy, notebook, &Facts::default());
    assert!(finding(&findings, RuleId::NotebookRootAccessDisabled)
        .unwrap()
        .is_violation());
}

#[test]
fn an_exemption_by_name_pattern_covers_a_resource_without_an_arn() {
    let policy = policy(
        "exemptions:\n  - resource: 'alpha-ali?e'\n    rules: [notebook-root-access-disabled]\n    reason: r\n    expires: 2026-12-31\n",
    )
    .unwrap();
    let notebook = NotebookInstance {
        arn: None,
        ..root_access_notebook()
    };
    let findings = check_with(&policy, notebook, &Facts::default());
    let root = finding(&findings, RuleId::NotebookRootAccessDisabled).unwrap();
    assert_eq!(root.status, Status::Failed);
    assert!(!root.is_violation());
}

#[test]
fn scope_regions_exclude_a_resource_from_another_region() {
    let policy = policy("scope: {regions: [us-east-1]}\n").unwrap();
    let findings = check_with(&policy, root_access_notebook(), &Facts::default());
    assert!(findings.is_empty(), "{findings:#?}");
    let included = evaluate(
        &policy,
        &Resource::NotebookInstance(root_access_notebook()),
        Some("us-east-1"),
        &Facts::default(),
        now(),
    );
    assert_eq!(included.len(), NOTEBOOK_RULES.len());
}

#[test]
fn project_scope_excludes_an_untagged_resource_outside_the_project_subnets() {
    let policy = policy("scope: {resources: project}\n").unwrap();
    let notebook = NotebookInstance {
        subnet_id: Fact::Known(Some(OTHER_SUBNET.to_owned())),
        tags: Fact::Known(Tags::from_iter([("team", "data")])),
        ..compliant_notebook()
    };
    assert!(check_with(&policy, notebook, &online()).is_empty());
}

#[test]
fn project_scope_includes_a_resource_carrying_the_project_tag() {
    let policy = policy("scope: {resources: project}\n").unwrap();
    let notebook = NotebookInstance {
        subnet_id: Fact::Known(Some(OTHER_SUBNET.to_owned())),
        ..compliant_notebook()
    };
    let findings = check_with(&policy, notebook, &online());
    assert_eq!(failed(&findings), [RuleId::NotebookInProjectVpc]);
}

#[test]
fn project_scope_includes_an_untagged_resource_in_a_project_subnet() {
    let policy = policy("scope: {resources: project}\n").unwrap();
    let model = Model {
        tags: Tags::default(),
        ..compliant_model()
    };
    let findings = check_with(&policy, model, &online());
    assert_eq!(failed(&findings), [RuleId::NotebookRequiredTags]);
}

// ---------------------------------------------------------------------------------------------
// Finding serialization
// ---------------------------------------------------------------------------------------------

#[test]
fn a_finding_serializes_with_kebab_rule_uppercase_status_and_severity_and_its_control() {
    let findings = check(root_access_notebook());
    let root = finding(&findings, RuleId::NotebookRootAccessDisabled).unwrap();
    let value = serde_json::to_value(root).unwrap();
    assert_eq!(value["rule"], "notebook-root-access-disabled");
    assert_eq!(value["control"], "SageMaker.3");
    assert_eq!(value["status"], "FAILED");
    assert_eq!(value["severity"], "HIGH");
    assert_eq!(value["mode"], "enforce");
    assert_eq!(value["resource"]["kind"], "notebook-instance");
    assert_eq!(value["resource"]["name"], "alpha-alice");
    assert!(value.get("exemption").is_none(), "{value}");
}

#[test]
fn statuses_serialize_as_passed_failed_and_not_applicable() {
    let statuses = [Status::Passed, Status::Failed, Status::NotApplicable].map(|s| serde_json::to_value(s).unwrap());
    assert_eq!(statuses, [json!("PASSED"), json!("FAILED"), json!("NOT_APPLICABLE")]);
}

#[test]
fn a_rule_without_a_control_serializes_without_the_control_field() {
    let findings = check(compliant_training_job());
    let volume = finding(&findings, RuleId::JobVolumeKms).unwrap();
    let value = serde_json::to_value(volume).unwrap();
    assert!(value.get("control").is_none(), "{value}");
    assert_eq!(value["severity"], "MEDIUM");
    assert_eq!(value["status"], "PASSED");
    assert_eq!(value["resource"]["kind"], "training-job");
}

#[test]
fn every_finding_carries_the_catalogs_control_and_severity() {
    let resources: Vec<Resource> = vec![
        Resource::NotebookInstance(compliant_notebook()),
        Resource::Job(compliant_training_job()),
        Resource::Model(compliant_model()),
        Resource::EndpointConfig(compliant_endpoint_config()),
        Resource::Domain(compliant_domain()),
    ];
    let mut seen = BTreeSet::new();
    for resource in resources {
        for f in check(resource) {
            assert_eq!(f.control, f.rule.info().control, "{}", f.rule);
            assert_eq!(f.severity, f.rule.info().severity, "{}", f.rule);
            seen.insert(f.rule);
        }
    }
    // All 17 SageMaker rules are reached by the five resource kinds.
    assert_eq!(seen.len(), 17, "{seen:?}");
    assert_eq!(RuleId::NotebookDirectInternetDisabled.info().severity, Severity::High);
}
