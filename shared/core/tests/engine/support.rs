//! Builders and helpers for the evaluation tests: each `compliant_*()` builder returns a
//! resource that passes every rule, and each test changes the one field it is about.

pub(crate) use std::collections::{BTreeMap, BTreeSet};

pub(crate) use chrono::{DateTime, Utc};
pub(crate) use sagefence_core::model::{
    AppNetworkAccess, Domain, EndpointConfig, Fact, Job, JobKind, JobNetwork, JobSpec, JobStatus, Model,
    NotebookInstance, NotebookStatus, ProductionVariant, Resource, Tags, Toggle, VpcPlacement,
};
pub(crate) use sagefence_core::{
    assess_event, evaluate, Facts, Finding, Mode, ParseEventError, Policy, PolicyError, RuleId, Severity, Status,
};
pub(crate) use serde_json::{json, Value};

pub(crate) const REGION: &str = "eu-west-1";
pub(crate) const ACCOUNT: &str = "111122223333";
pub(crate) const SUBNET: &str = "subnet-0a1b2c3d4e5f60718";
pub(crate) const OTHER_SUBNET: &str = "subnet-0ffffffffffffff99";
pub(crate) const KEY: &str = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
pub(crate) const SECURITY_GROUP: &str = "sg-0123456789abcdef0";
pub(crate) const ROLE: &str = "arn:aws:iam::111122223333:role/alpha-notebook";
pub(crate) const FOREIGN_KEY: &str = "arn:aws:kms:eu-west-1:444455556666:key/ffffffff-0000-0000-0000-000000000000";

pub(crate) const NOTEBOOK_RULES: [RuleId; 8] = [
    RuleId::NotebookDirectInternetDisabled,
    RuleId::NotebookInProjectVpc,
    RuleId::NotebookRootAccessDisabled,
    RuleId::NotebookKmsEncrypted,
    RuleId::NotebookApprovedInstanceType,
    RuleId::NotebookRoleInProject,
    RuleId::NotebookRequiredTags,
    RuleId::TagsProtected,
];

pub(crate) const JOB_RULES: [RuleId; 7] = [
    RuleId::JobInProjectVpc,
    RuleId::JobNetworkIsolation,
    RuleId::JobInterContainerEncryption,
    RuleId::JobVolumeKms,
    RuleId::JobOutputKms,
    RuleId::NotebookRequiredTags,
    RuleId::TagsProtected,
];

/// A fixed "now", well before the exemptions' expiry dates used below.
pub(crate) fn now() -> DateTime<Utc> {
    "2026-03-01T12:00:00Z".parse().unwrap_or_default()
}

pub(crate) fn project_tags() -> Tags {
    Tags::from_iter([("sagefence:project", "alpha"), ("sagefence:owner", "alice")])
}

pub(crate) fn placement(subnets: &[&str]) -> VpcPlacement {
    VpcPlacement {
        subnets: subnets.iter().map(|s| (*s).to_owned()).collect(),
        security_group_ids: vec!["sg-0123456789abcdef0".to_owned()],
    }
}

pub(crate) fn compliant_notebook() -> NotebookInstance {
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

pub(crate) fn compliant_spec() -> JobSpec {
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

pub(crate) fn compliant_job(kind: JobKind) -> Job {
    Job {
        kind,
        name: "alpha-job".to_owned(),
        arn: None,
        status: Some(JobStatus::InProgress),
        specs: vec![compliant_spec()],
        tags: project_tags(),
    }
}

pub(crate) fn compliant_training_job() -> Job {
    compliant_job(JobKind::Training)
}

pub(crate) fn compliant_transform_job() -> Job {
    let mut job = compliant_job(JobKind::Transform);
    job.specs = vec![JobSpec {
        network: None,
        ..compliant_spec()
    }];
    job
}

pub(crate) fn compliant_model() -> Model {
    Model {
        name: "alpha-model".to_owned(),
        arn: None,
        vpc: Some(placement(&[SUBNET])),
        network_isolation: true,
        tags: project_tags(),
    }
}

pub(crate) fn variant(name: &str, count: Option<i32>, serverless: bool) -> ProductionVariant {
    ProductionVariant {
        name: name.to_owned(),
        initial_instance_count: count,
        serverless,
    }
}

pub(crate) fn compliant_endpoint_config() -> EndpointConfig {
    EndpointConfig {
        name: "alpha-endpoint-config".to_owned(),
        arn: None,
        kms_key_id: Some(KEY.to_owned()),
        variants: vec![variant("primary", Some(2), false)],
        tags: project_tags(),
    }
}

pub(crate) fn compliant_domain() -> Domain {
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

/// Facts read from the account: `SUBNET`, `SECURITY_GROUP`, `KEY` and `ROLE` belong to
/// project `alpha`.
pub(crate) fn online() -> Facts {
    let alpha = |id: &str| BTreeMap::from([(id.to_owned(), "alpha".to_owned())]);
    Facts {
        online: true,
        project_subnets: alpha(SUBNET),
        project_security_groups: alpha(SECURITY_GROUP),
        project_keys: alpha(KEY),
        project_roles: alpha(ROLE),
    }
}

pub(crate) fn policy(body: &str) -> Result<Policy, PolicyError> {
    Policy::from_yaml(&format!("version: 1\n{body}"))
}

/// Evaluates under `policy`, in eu-west-1, with `facts`.
pub(crate) fn check_with(policy: &Policy, resource: impl Into<Wrapped>, facts: &Facts) -> Vec<Finding> {
    evaluate(policy, &resource.into().0, Some(REGION), facts, now())
}

/// Evaluates under the built-in policy, offline.
pub(crate) fn check(resource: impl Into<Wrapped>) -> Vec<Finding> {
    check_with(&Policy::builtin(), resource, &Facts::default())
}

/// Lets the helpers take any model struct or a `Resource`.
pub(crate) struct Wrapped(pub(crate) Resource);

impl From<Resource> for Wrapped {
    fn from(resource: Resource) -> Self {
        Wrapped(resource)
    }
}

/// `From` each SageMaker model into the resource variant of the same name.
macro_rules! wrapped {
    ($($kind:ident),*) => {
        $(impl From<$kind> for Wrapped {
            fn from(value: $kind) -> Self {
                Wrapped(Resource::$kind(value))
            }
        })*
    };
}

wrapped!(NotebookInstance, Job, Model, EndpointConfig, Domain);

pub(crate) fn finding(findings: &[Finding], rule: RuleId) -> Option<&Finding> {
    findings.iter().find(|f| f.rule == rule)
}

pub(crate) fn status(findings: &[Finding], rule: RuleId) -> Option<Status> {
    finding(findings, rule).map(|f| f.status)
}

pub(crate) fn reason(findings: &[Finding], rule: RuleId) -> String {
    finding(findings, rule).map(|f| f.reason.clone()).unwrap_or_default()
}

pub(crate) fn rules(findings: &[Finding]) -> Vec<RuleId> {
    findings.iter().map(|f| f.rule).collect()
}

pub(crate) fn failed(findings: &[Finding]) -> Vec<RuleId> {
    findings
        .iter()
        .filter(|f| f.status == Status::Failed)
        .map(|f| f.rule)
        .collect()
}

pub(crate) fn all_passed(findings: &[Finding]) -> bool {
    findings.iter().all(|f| f.status == Status::Passed)
}

/// A successful CloudTrail "AWS API Call" event for a SageMaker call, in an EventBridge envelope.
pub(crate) fn api_event(event_name: &str, params: Value) -> Vec<u8> {
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
pub(crate) fn state_event(detail_type: &str, detail: Value) -> Vec<u8> {
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
pub(crate) fn assess(bytes: &[u8]) -> Result<Vec<Finding>, ParseEventError> {
    assess_event(&Policy::builtin(), bytes, &Facts::default(), now()).map(|a| a.findings)
}

pub(crate) fn without(mut value: Value, key: &str) -> Value {
    if let Some(map) = value.as_object_mut() {
        map.remove(key);
    }
    value
}

pub(crate) fn tag_list() -> Value {
    json!([{"key": "sagefence:project", "value": "alpha"}, {"key": "sagefence:owner", "value": "alice"}])
}

/// CreateNotebookInstance parameters that pass every rule.
pub(crate) fn compliant_notebook_params() -> Value {
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

pub(crate) fn root_access_notebook() -> NotebookInstance {
    NotebookInstance {
        root_access: Fact::Known(Toggle::Enabled),
        ..compliant_notebook()
    }
}
