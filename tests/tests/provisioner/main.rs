//! The provisioner end to end on the emulator, with a local HTTP server standing in for
//! CloudFormation's pre-signed ResponseURL: every custom resource created, updated and deleted,
//! every created resource and its configuration read back from the emulator, failures rolled
//! back, replays harmless, bad requests and a deadline overrun answered FAILED with a reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::time::{Duration, Instant};

use aws_sdk_ec2::types::Filter;
use sagefence_provisioner::addressing::Cidr;
use sagefence_provisioner::answer::{answer_on_panic, AnswerSlot, Pending};
use sagefence_provisioner::request::AnswerTarget;
use sagefence_provisioner::ProvisionerError;
use sagefence_tests::provisioner::{CapturedAnswer, CfnRequest, ProvisionerUnderTest, ResponseServer, STACK_ID};
use sagefence_tests::world::{attach_internet_gateway, disable_key_rotation};
use sagefence_tests::Emulator;
use serde_json::{json, Value};

const ENVIRONMENT: &str = "Custom::ProjectEnvironment";
const NOTEBOOK: &str = "Custom::NotebookAccess";
const CHECK: &str = "Custom::EnvironmentCheck";

struct Bench {
    emulator: Emulator,
    server: ResponseServer,
    provisioner: ProvisionerUnderTest,
}

impl Bench {
    async fn start() -> Bench {
        let emulator = Emulator::start().await.unwrap();
        let server = ResponseServer::start().await.unwrap();
        let provisioner = ProvisionerUnderTest::new(&emulator);
        Bench {
            emulator,
            server,
            provisioner,
        }
    }

    /// Sets an emulator test control (`throttle`, `delay`, ...).
    async fn control(&self, name: &str, body: &Value) {
        self.emulator.control(name, body).await.unwrap();
    }

    /// Handles the request and returns the one answer it PUT.
    async fn answer(&self, request: &CfnRequest) -> Value {
        let report = self.provisioner.handle(request).await.unwrap();
        let answer = self.server.next(Duration::from_secs(5)).await.expect("an answer");
        assert_eq!(answer.body["Status"], report.status, "{report:?}");
        assert_eq!(answer.method, "PUT");
        assert_eq!(
            answer.content_type.as_deref(),
            Some(""),
            "signed with an empty content type"
        );
        assert!(self.server.pending().await.is_empty(), "answered exactly once");
        answer.body
    }

    async fn create_environment(&self, request_id: &str, properties: Value) -> (CfnRequest, Value) {
        let url = self.server.url(request_id);
        let request = CfnRequest::create(ENVIRONMENT, "Environment", request_id, &url, properties);
        let answer = self.answer(&request).await;
        (request, answer)
    }

    async fn vpcs_tagged(&self, key: &str, value: &str) -> Vec<aws_sdk_ec2::types::Vpc> {
        let out = self
            .emulator
            .ec2()
            .describe_vpcs()
            .filters(Filter::builder().name(format!("tag:{key}")).values(value).build())
            .send()
            .await
            .unwrap();
        out.vpcs().to_vec()
    }
}

fn data<'a>(answer: &'a Value, key: &str) -> &'a str {
    answer["Data"][key]
        .as_str()
        .unwrap_or_else(|| panic!("no `{key}` in {answer}"))
}

fn filter(name: &str, value: &str) -> Filter {
    Filter::builder().name(name).values(value).build()
}

async fn role_exists(emulator: &Emulator, name: &str) -> bool {
    emulator.iam().get_role().role_name(name).send().await.is_ok()
}

async fn bucket_exists(emulator: &Emulator, name: &str) -> bool {
    s3(emulator).head_bucket().bucket(name).send().await.is_ok()
}

fn s3(emulator: &Emulator) -> aws_sdk_s3::Client {
    sagefence_aws::s3_client(&emulator.sdk_config())
}

fn statement<'a>(document: &'a Value, sid: &str) -> &'a Value {
    sagefence_provisioner::documents::statement(document, sid)
        .unwrap_or_else(|| panic!("no statement `{sid}` in {document}"))
}

fn json_text(text: &str) -> Value {
    let decoded = if text.contains("%7B") || text.starts_with('%') {
        sagefence_core::model::percent_decode(text)
    } else {
        text.to_owned()
    };
    serde_json::from_str(&decoded).unwrap()
}

/// then: the VPC has the allocated block, no internet gateway, and the project tag.
async fn then_the_vpc_is_private_and_tagged(bench: &Bench, answer: &Value) {
    let emulator = &bench.emulator;
    let ec2 = emulator.ec2();
    let vpc_id = data(answer, "VpcId");
    let vpc = ec2.describe_vpcs().vpc_ids(vpc_id).send().await.unwrap().vpcs()[0].clone();
    assert_eq!(vpc.cidr_block(), Some(data(answer, "VpcCidr")));
    let cidr: Cidr = data(answer, "VpcCidr").parse().unwrap();
    assert!(
        !cidr.overlaps("172.31.0.0/16".parse().unwrap()),
        "clear of the default VPC"
    );
    assert!(vpc
        .tags()
        .iter()
        .any(|t| t.key() == Some("sagefence:project") && t.value() == Some("alpha")));
    let gateways = ec2
        .describe_internet_gateways()
        .filters(filter("attachment.vpc-id", vpc_id))
        .send()
        .await
        .unwrap();
    assert!(gateways.internet_gateways().is_empty(), "no internet gateway");
}

/// then: private subnets in two zones, no public IPs, no route out.
async fn then_the_subnets_are_private_in_two_zones(bench: &Bench, answer: &Value) {
    let emulator = &bench.emulator;
    let ec2 = emulator.ec2();
    let vpc_id = data(answer, "VpcId");
    let subnet_ids: Vec<&str> = data(answer, "SubnetIds").split(',').collect();
    let subnets = ec2
        .describe_subnets()
        .set_subnet_ids(Some(subnet_ids.iter().map(|s| s.to_string()).collect()))
        .send()
        .await
        .unwrap();
    assert_eq!(subnets.subnets().len(), 2);
    let zones: std::collections::BTreeSet<_> = subnets.subnets().iter().filter_map(|s| s.availability_zone()).collect();
    assert_eq!(zones.len(), 2, "one subnet per zone");
    for subnet in subnets.subnets() {
        assert_eq!(subnet.map_public_ip_on_launch(), Some(false));
        assert_eq!(subnet.vpc_id(), Some(vpc_id));
    }
    let routes = ec2
        .describe_route_tables()
        .filters(filter("vpc-id", vpc_id))
        .send()
        .await
        .unwrap();
    for route in routes.route_tables().iter().flat_map(|t| t.routes()) {
        assert!(
            route
                .gateway_id()
                .is_none_or(|g| g == "local" || g.starts_with("vpce-")),
            "no route out: {route:?}"
        );
        assert!(route.nat_gateway_id().is_none());
    }
}

/// then: security groups: SageMaker self-ingress, endpoints 443 from it.
async fn then_the_security_groups_admit_only_sagemaker(bench: &Bench, answer: &Value) {
    let emulator = &bench.emulator;
    let ec2 = emulator.ec2();
    let sagemaker_group = data(answer, "SecurityGroupId");
    let endpoint_group = data(answer, "EndpointSecurityGroupId");
    let groups = ec2
        .describe_security_groups()
        .group_ids(sagemaker_group)
        .group_ids(endpoint_group)
        .send()
        .await
        .unwrap();
    let group = |id: &str| {
        groups
            .security_groups()
            .iter()
            .find(|g| g.group_id() == Some(id))
            .unwrap()
            .clone()
    };
    let sources = |g: &aws_sdk_ec2::types::SecurityGroup| -> Vec<(Option<i32>, String)> {
        g.ip_permissions()
            .iter()
            .flat_map(|p| {
                p.user_id_group_pairs()
                    .iter()
                    .map(move |pair| (p.from_port(), pair.group_id().unwrap().to_owned()))
            })
            .collect()
    };
    assert!(sources(&group(sagemaker_group))
        .iter()
        .any(|(_, source)| source == sagemaker_group));
    assert_eq!(
        sources(&group(endpoint_group)),
        vec![(Some(443), sagemaker_group.to_owned())]
    );
    assert!(
        group(endpoint_group)
            .ip_permissions()
            .iter()
            .all(|p| p.ip_ranges().is_empty()),
        "no CIDR ingress"
    );
}

/// then: endpoints: every interface service, and S3 reaching only the project's buckets.
async fn then_every_endpoint_exists_and_s3_reaches_only_the_project(bench: &Bench, answer: &Value) {
    let emulator = &bench.emulator;
    let ec2 = emulator.ec2();
    let vpc_id = data(answer, "VpcId");
    let endpoints = ec2
        .describe_vpc_endpoints()
        .filters(filter("vpc-id", vpc_id))
        .send()
        .await
        .unwrap();
    let services: Vec<&str> = endpoints
        .vpc_endpoints()
        .iter()
        .filter_map(|e| e.service_name())
        .collect();
    for service in [
        "com.amazonaws.eu-west-1.sagemaker.api",
        "com.amazonaws.eu-west-1.sagemaker.runtime",
        "aws.sagemaker.eu-west-1.notebook",
        "com.amazonaws.eu-west-1.sts",
        "com.amazonaws.eu-west-1.logs",
        "com.amazonaws.eu-west-1.monitoring",
        "com.amazonaws.eu-west-1.ssm",
        "com.amazonaws.eu-west-1.kms",
        "com.amazonaws.eu-west-1.ecr.api",
        "com.amazonaws.eu-west-1.ecr.dkr",
        "com.amazonaws.eu-west-1.git-codecommit",
        "com.amazonaws.eu-west-1.codecommit",
        "com.amazonaws.eu-west-1.s3",
    ] {
        assert!(services.contains(&service), "missing endpoint {service}: {services:?}");
    }
    let s3_endpoint = endpoints
        .vpc_endpoints()
        .iter()
        .find(|e| e.service_name() == Some("com.amazonaws.eu-west-1.s3"))
        .unwrap();
    assert_eq!(s3_endpoint.vpc_endpoint_id(), Some(data(answer, "S3EndpointId")));
    let endpoint_policy = json_text(s3_endpoint.policy_document().unwrap());
    let data_bucket = data(answer, "DataBucket");
    let model_bucket = data(answer, "ModelBucket");
    assert_eq!(
        statement(&endpoint_policy, "OnlyProjectBuckets")["Resource"],
        json!([
            format!("arn:aws:s3:::{data_bucket}"),
            format!("arn:aws:s3:::{data_bucket}/*"),
            format!("arn:aws:s3:::{model_bucket}"),
            format!("arn:aws:s3:::{model_bucket}/*"),
        ])
    );
}

/// then: flow logs to a log group encrypted with the project key.
async fn then_flow_logs_go_to_a_group_encrypted_with_the_key(bench: &Bench, answer: &Value) {
    let emulator = &bench.emulator;
    let ec2 = emulator.ec2();
    let vpc_id = data(answer, "VpcId");
    let key_arn = data(answer, "KmsKeyArn");
    let flow_logs = ec2
        .describe_flow_logs()
        .filter(filter("resource-id", vpc_id))
        .send()
        .await
        .unwrap();
    assert_eq!(flow_logs.flow_logs().len(), 1);
    assert_eq!(
        flow_logs.flow_logs()[0].log_group_name(),
        Some(data(answer, "FlowLogGroup"))
    );
    let logs = aws_sdk_cloudwatchlogs::Client::new(&emulator.sdk_config());
    let groups = logs
        .describe_log_groups()
        .log_group_name_prefix(data(answer, "FlowLogGroup"))
        .send()
        .await
        .unwrap();
    assert_eq!(groups.log_groups()[0].kms_key_id(), Some(key_arn));
}

/// then: the project key: rotation on, policy scoped to the project's roles.
async fn then_the_key_rotates_and_serves_only_the_project_roles(bench: &Bench, answer: &Value) {
    let emulator = &bench.emulator;
    let kms = emulator.kms();
    let key_id = data(answer, "KmsKeyId");
    assert!(kms
        .get_key_rotation_status()
        .key_id(key_id)
        .send()
        .await
        .unwrap()
        .key_rotation_enabled());
    let key_policy = kms
        .get_key_policy()
        .key_id(key_id)
        .policy_name("default")
        .send()
        .await
        .unwrap();
    let key_policy = json_text(key_policy.policy().unwrap());
    assert_eq!(
        statement(&key_policy, "ProjectRolesUseTheKey")["Principal"]["AWS"],
        json!([data(answer, "AdminRoleArn"), data(answer, "UserRoleArn")])
    );
}

/// then: the buckets: SSE-KMS with the key, public access blocked, TLS-only and endpoint-only.
async fn then_the_buckets_are_encrypted_private_and_endpoint_only(bench: &Bench, answer: &Value) {
    let emulator = &bench.emulator;
    let key_arn = data(answer, "KmsKeyArn");
    let data_bucket = data(answer, "DataBucket");
    let model_bucket = data(answer, "ModelBucket");
    let s3 = s3(emulator);
    for bucket in [data_bucket, model_bucket] {
        let encryption = s3.get_bucket_encryption().bucket(bucket).send().await.unwrap();
        let default = encryption.server_side_encryption_configuration().unwrap().rules()[0]
            .apply_server_side_encryption_by_default()
            .unwrap()
            .clone();
        assert_eq!(default.sse_algorithm().as_str(), "aws:kms");
        assert_eq!(default.kms_master_key_id(), Some(key_arn));
        let block = s3.get_public_access_block().bucket(bucket).send().await.unwrap();
        let block = block.public_access_block_configuration().unwrap();
        assert_eq!(
            (
                block.block_public_acls(),
                block.ignore_public_acls(),
                block.block_public_policy(),
                block.restrict_public_buckets()
            ),
            (Some(true), Some(true), Some(true), Some(true))
        );
        let policy = s3.get_bucket_policy().bucket(bucket).send().await.unwrap();
        let policy = json_text(policy.policy().unwrap());
        assert_eq!(
            statement(&policy, "DenyWithoutTls")["Condition"],
            json!({ "Bool": { "aws:SecureTransport": "false" } })
        );
        let outside = statement(&policy, "DenyOutsideTheProjectEndpoint");
        assert_eq!(
            outside["Condition"]["StringNotEquals"]["aws:SourceVpce"],
            data(answer, "S3EndpointId")
        );
        assert!(outside["Condition"]["ArnNotLike"]["aws:PrincipalArn"]
            .as_array()
            .unwrap()
            .contains(&json!(data(answer, "AdminRoleArn"))));
    }
}

/// then: the user role reaches only the project's notebooks, and the provisioning is audited.
async fn then_the_user_role_reaches_only_the_project_notebooks(bench: &Bench, answer: &Value) {
    let emulator = &bench.emulator;
    let iam = emulator.iam();
    let user_role = data(answer, "UserRoleArn").rsplit('/').next().unwrap().to_owned();
    let user_policy = iam
        .get_role_policy()
        .role_name(&user_role)
        .policy_name("sagefence-project-user")
        .send()
        .await
        .unwrap();
    let user_policy = json_text(user_policy.policy_document());
    assert_eq!(
        statement(&user_policy, "OwnProjectNotebooksOnly")["Condition"],
        json!({ "StringEquals": { "aws:ResourceTag/sagefence:project": "alpha" } })
    );
    let records = bench.provisioner.audit_records().unwrap();
    let record = records.iter().find(|r| r["subject"]["type"] == "provisioning").unwrap();
    assert_eq!(record["subject"]["outcome"], "applied");
    assert_eq!(record["function"], "provisioner");
}

/// when the environment check runs on what was made, then it passes.
async fn when_checked_the_environment_passes(bench: &Bench, answer: &Value) {
    let vpc_id = data(answer, "VpcId");
    let key_id = data(answer, "KmsKeyId");
    let data_bucket = data(answer, "DataBucket");
    let model_bucket = data(answer, "ModelBucket");
    let url = bench.server.url("check-1");
    let check = CfnRequest::create(
        CHECK,
        "Check",
        "check-1",
        &url,
        json!({
            "ProjectName": "alpha",
            "VpcId": vpc_id,
            "KmsKeyId": key_id,
            "Buckets": format!("{data_bucket},{model_bucket}"),
        }),
    );
    let verdict = bench.answer(&check).await;
    // then: it passes
    assert_eq!(verdict["Status"], "SUCCESS", "{verdict}");
    assert_eq!(verdict["Data"]["Verdict"], "PASSED");
}

#[tokio::test]
async fn a_project_environment_is_built_to_the_policy_checked_and_removed_without_trace() {
    // given: the provisioner, and a data-science administrator launching the project product
    let bench = Bench::start().await;

    // when: CloudFormation creates the environment
    let (create, answer) = bench
        .create_environment(
            "create-1",
            json!({ "ProjectName": "alpha", "EnvType": "dev", "AzCount": "2" }),
        )
        .await;

    // then: SUCCESS, with the ids as Data and the audit record
    assert_eq!(answer["Status"], "SUCCESS", "{answer}");
    assert_eq!(answer["RequestId"], "create-1");
    assert_eq!(answer["StackId"], STACK_ID);
    let physical_id = answer["PhysicalResourceId"].as_str().unwrap().to_owned();
    assert!(physical_id.starts_with("alpha-"));
    then_the_vpc_is_private_and_tagged(&bench, &answer).await;
    then_the_subnets_are_private_in_two_zones(&bench, &answer).await;
    then_the_security_groups_admit_only_sagemaker(&bench, &answer).await;
    then_every_endpoint_exists_and_s3_reaches_only_the_project(&bench, &answer).await;
    then_flow_logs_go_to_a_group_encrypted_with_the_key(&bench, &answer).await;
    then_the_key_rotates_and_serves_only_the_project_roles(&bench, &answer).await;
    then_the_buckets_are_encrypted_private_and_endpoint_only(&bench, &answer).await;
    then_the_user_role_reaches_only_the_project_notebooks(&bench, &answer).await;
    when_checked_the_environment_passes(&bench, &answer).await;

    let emulator = &bench.emulator;
    let kms = emulator.kms();
    let logs = aws_sdk_cloudwatchlogs::Client::new(&emulator.sdk_config());
    let key_id = data(&answer, "KmsKeyId");
    let data_bucket = data(&answer, "DataBucket");
    let model_bucket = data(&answer, "ModelBucket");
    let user_role = data(&answer, "UserRoleArn").rsplit('/').next().unwrap().to_owned();
    // when: CloudFormation deletes the environment, twice (a retried delete)
    for request_id in ["delete-1", "delete-1"] {
        let delete = create.delete(&physical_id, request_id, &bench.server.url(request_id));
        let answer = bench.answer(&delete).await;
        assert_eq!(answer["Status"], "SUCCESS", "{answer}");
        assert_eq!(answer["PhysicalResourceId"], physical_id.as_str());
    }

    // then: nothing is left but the key, waiting for its deletion
    assert!(bench
        .vpcs_tagged("sagefence:provisioned-by", &physical_id)
        .await
        .is_empty());
    assert!(!role_exists(emulator, &user_role).await);
    assert!(!bucket_exists(emulator, data_bucket).await);
    assert!(!bucket_exists(emulator, model_bucket).await);
    let key = kms.describe_key().key_id(key_id).send().await.unwrap();
    assert_eq!(
        key.key_metadata().unwrap().key_state().unwrap().as_str(),
        "PendingDeletion"
    );
    let groups = logs
        .describe_log_groups()
        .log_group_name_prefix(data(&answer, "FlowLogGroup"))
        .send()
        .await
        .unwrap();
    assert!(groups.log_groups().is_empty());
}

#[tokio::test]
async fn two_projects_get_blocks_that_overlap_nothing_and_a_taken_block_is_refused() {
    // given: two projects launched one after the other
    let bench = Bench::start().await;
    let (_, alpha) = bench
        .create_environment("alpha-1", json!({ "ProjectName": "alpha", "AzCount": 1 }))
        .await;
    let (_, beta) = bench
        .create_environment("beta-1", json!({ "ProjectName": "beta", "AzCount": 1 }))
        .await;

    // then: their blocks overlap neither each other nor any other VPC
    let alpha_cidr: Cidr = data(&alpha, "VpcCidr").parse().unwrap();
    let beta_cidr: Cidr = data(&beta, "VpcCidr").parse().unwrap();
    assert!(!alpha_cidr.overlaps(beta_cidr), "{alpha_cidr} / {beta_cidr}");
    let all = bench.emulator.ec2().describe_vpcs().send().await.unwrap();
    let others: Vec<Cidr> = all
        .vpcs()
        .iter()
        .filter(|v| v.vpc_id() != Some(data(&alpha, "VpcId")))
        .filter_map(|v| v.cidr_block()?.parse().ok())
        .collect();
    assert!(others.iter().all(|c| !c.overlaps(alpha_cidr)));

    // when: a third project asks for alpha's block
    let (_, gamma) = bench
        .create_environment(
            "gamma-1",
            json!({ "ProjectName": "gamma", "Cidr": alpha_cidr.to_string() }),
        )
        .await;

    // then: FAILED, naming the conflict, and nothing made
    assert_eq!(gamma["Status"], "FAILED");
    let reason = gamma["Reason"].as_str().unwrap();
    assert!(
        reason.contains(&format!("`{alpha_cidr}`")) && reason.contains("overlaps"),
        "{reason}"
    );
    assert!(bench.vpcs_tagged("sagefence:project", "gamma").await.is_empty());
    let gamma_id = gamma["PhysicalResourceId"].as_str().unwrap();
    assert!(!role_exists(&bench.emulator, &format!("sagefence-{gamma_id}-admin")).await);
}

#[tokio::test]
async fn a_failure_in_the_middle_of_a_create_rolls_everything_back_and_answers_failed() {
    // given: EC2 refusing to create VPC endpoints, after the roles, key, VPC and subnets exist
    let bench = Bench::start().await;
    bench.control("throttle", &json!({ "action": "CreateVpcEndpoint", "count": 50, "service": "ec2", "code": "VpcEndpointLimitExceeded" })).await;

    // when: the environment is created
    let (_, answer) = bench
        .create_environment("create-1", json!({ "ProjectName": "alpha" }))
        .await;
    bench.emulator.reset().await.unwrap();

    // then: FAILED with the failing call named, and everything made removed
    assert_eq!(answer["Status"], "FAILED");
    let reason = answer["Reason"].as_str().unwrap();
    assert!(
        reason.contains("`CreateVpcEndpoint`") && reason.contains("Everything made was removed"),
        "{reason}"
    );
    let physical_id = answer["PhysicalResourceId"].as_str().unwrap();
    assert!(bench.vpcs_tagged("sagefence:project", "alpha").await.is_empty());
    let subnets = bench
        .emulator
        .ec2()
        .describe_subnets()
        .filters(filter("tag:sagefence:provisioned-by", physical_id))
        .send()
        .await
        .unwrap();
    assert!(subnets.subnets().is_empty());
    assert!(!role_exists(&bench.emulator, &format!("sagefence-{physical_id}-admin")).await);
    assert!(!role_exists(&bench.emulator, &format!("sagefence-{physical_id}-user")).await);
    let alias = bench
        .emulator
        .kms()
        .describe_key()
        .key_id(format!("alias/sagefence/{physical_id}"))
        .send()
        .await;
    assert!(alias.is_err(), "the key's alias is gone");
    let records = bench.provisioner.audit_records().unwrap();
    let record = records.iter().find(|r| r["subject"]["type"] == "provisioning").unwrap();
    assert_eq!(record["subject"]["outcome"], "failed");
    assert!(record["subject"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s.as_str().unwrap().contains("rolling back")));
}

#[tokio::test]
async fn a_replayed_create_is_harmless_and_updates_keep_or_replace() {
    // given: an environment
    let bench = Bench::start().await;
    let properties = json!({ "ProjectName": "alpha", "AzCount": "1" });
    let (create, first) = bench.create_environment("create-1", properties.clone()).await;
    assert_eq!(first["Status"], "SUCCESS", "{first}");
    let physical_id = first["PhysicalResourceId"].as_str().unwrap().to_owned();

    // when: CloudFormation sends the same Create again
    let again = bench.answer(&create).await;

    // then: the same resource, nothing duplicated
    assert_eq!(again["PhysicalResourceId"], physical_id.as_str());
    assert_eq!(again["Data"], first["Data"]);
    assert_eq!(bench.vpcs_tagged("sagefence:project", "alpha").await.len(), 1);

    // when: an update changes nothing but is sent
    let same = create.update(&physical_id, "update-1", &bench.server.url("update-1"), properties);
    let kept = bench.answer(&same).await;
    // then: the same physical id and Data
    assert_eq!(kept["Status"], "SUCCESS", "{kept}");
    assert_eq!(kept["PhysicalResourceId"], physical_id.as_str());
    assert_eq!(kept["Data"], first["Data"]);

    // when: an update changes the block (immutable)
    let moved = create.update(
        &physical_id,
        "update-2",
        &bench.server.url("update-2"),
        json!({ "ProjectName": "alpha", "AzCount": "1", "Cidr": "10.77.0.0/16" }),
    );
    let replaced = bench.answer(&moved).await;
    // then: a new resource under a new id; CloudFormation's cleanup deletes the old one
    assert_eq!(replaced["Status"], "SUCCESS", "{replaced}");
    let new_id = replaced["PhysicalResourceId"].as_str().unwrap().to_owned();
    assert_ne!(new_id, physical_id);
    assert_eq!(data(&replaced, "VpcCidr"), "10.77.0.0/16");
    let cleanup = create.delete(&physical_id, "cleanup-1", &bench.server.url("cleanup-1"));
    assert_eq!(bench.answer(&cleanup).await["Status"], "SUCCESS");
    assert!(bench
        .vpcs_tagged("sagefence:provisioned-by", &physical_id)
        .await
        .is_empty());
    assert_eq!(bench.vpcs_tagged("sagefence:provisioned-by", &new_id).await.len(), 1);
}

#[tokio::test]
async fn bad_requests_are_answered_failed_with_a_reason_and_unanswerable_ones_recorded() {
    let bench = Bench::start().await;
    let cases = [
        (
            json!({ "EnvType": "dev" }),
            ENVIRONMENT,
            "property `ProjectName` is required",
        ),
        (json!({ "ProjectName": "Alpha!" }), ENVIRONMENT, "`Alpha!`"),
        (json!({ "ProjectName": "alpha", "AzCount": "7" }), ENVIRONMENT, "`7`"),
        (
            json!({ "ProjectName": "alpha" }),
            "Custom::Mystery",
            "unknown resource type `Custom::Mystery`",
        ),
        (
            json!({ "ProjectName": "alpha", "OwnerUserName": "bob" }),
            NOTEBOOK,
            "property `OwnerEmail` is required",
        ),
    ];
    for (index, (properties, kind, expected)) in cases.into_iter().enumerate() {
        let id = format!("bad-{index}");
        let request = CfnRequest::create(kind, "Thing", &id, &bench.server.url(&id), properties);
        let answer = bench.answer(&request).await;
        assert_eq!(answer["Status"], "FAILED");
        assert!(answer["Reason"].as_str().unwrap().contains(expected), "{answer}");
    }

    // a request CloudFormation would never send, but with a ResponseURL: answered
    let url = bench.server.url("weird");
    let weird = json!({ "RequestType": "Explode", "ResponseURL": url, "StackId": STACK_ID, "RequestId": "weird", "LogicalResourceId": "X" });
    let report = bench
        .provisioner
        .handle_bytes(weird.to_string().as_bytes())
        .await
        .unwrap();
    assert_eq!(report.status, "FAILED");
    let answer = bench.server.next(Duration::from_secs(5)).await.unwrap();
    assert_eq!(answer.body["Status"], "FAILED");
    assert!(answer.body["Reason"]
        .as_str()
        .unwrap()
        .contains("malformed custom resource request"));
    assert_eq!(answer.body["RequestId"], "weird");

    // nothing to answer: an error, and a record
    let error = bench
        .provisioner
        .handle_bytes(b"{\"RequestType\":\"Create\"}")
        .await
        .unwrap_err();
    assert!(matches!(error, ProvisionerError::Unanswerable(_)), "{error}");
    assert_eq!(error.error_type(), "Sagefence.MalformedRequest");
    let records = bench.provisioner.audit_records().unwrap();
    assert_eq!(
        records.iter().filter(|r| r["subject"]["type"] == "malformed").count(),
        3,
        "the unknown type, the odd request, the unanswerable one"
    );
    assert!(
        bench.vpcs_tagged("sagefence:project", "alpha").await.is_empty(),
        "nothing made"
    );
}

#[tokio::test]
async fn a_handler_about_to_overrun_its_deadline_still_answers_and_the_delete_cleans_up() {
    // given: EC2 answering CreateVpc after 3 s, and 2 s of Lambda time left
    let bench = Bench::start().await;
    bench
        .control(
            "delay",
            &json!({ "action": "CreateVpc", "seconds": 3, "service": "ec2" }),
        )
        .await;
    let url = bench.server.url("slow-1");
    let create = CfnRequest::create(
        ENVIRONMENT,
        "Environment",
        "slow-1",
        &url,
        json!({ "ProjectName": "alpha", "AzCount": 1 }),
    );

    // when: the request is handled
    let started = Instant::now();
    let report = bench
        .provisioner
        .handle_within(&create, Duration::from_secs(2))
        .await
        .unwrap();

    // then: FAILED before the deadline, saying so
    assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
    let answer = bench.server.next(Duration::from_secs(1)).await.unwrap();
    assert_eq!(answer.body["Status"], "FAILED");
    let reason = answer.body["Reason"].as_str().unwrap();
    assert!(reason.contains("ran out of time"), "{reason}");
    assert_eq!(report.status, "FAILED");

    // when: the slow call lands, and CloudFormation's rollback deletes the resource
    tokio::time::sleep(Duration::from_secs(2)).await;
    let physical_id = answer.body["PhysicalResourceId"].as_str().unwrap();
    let delete = create.delete(physical_id, "slow-delete", &bench.server.url("slow-delete"));
    let deleted = bench.answer(&delete).await;

    // then: nothing is left
    assert_eq!(deleted["Status"], "SUCCESS", "{deleted}");
    assert!(bench
        .vpcs_tagged("sagefence:provisioned-by", physical_id)
        .await
        .is_empty());
    assert!(!role_exists(&bench.emulator, &format!("sagefence-{physical_id}-admin")).await);
}

#[tokio::test]
async fn zones_that_lack_an_endpoint_service_are_never_used() {
    // given: the notebook endpoint offered in two of the region's three zones
    let bench = Bench::start().await;
    bench
        .control(
            "endpoint-service-zones",
            &json!({ "service": "aws.sagemaker.eu-west-1.notebook", "zones": ["eu-west-1b", "eu-west-1c"] }),
        )
        .await;

    // when: an environment in two zones is created
    let (_, answer) = bench
        .create_environment("zones-1", json!({ "ProjectName": "alpha", "AzCount": 2 }))
        .await;

    // then: its subnets are in those two zones
    assert_eq!(answer["Status"], "SUCCESS", "{answer}");
    let ids: Vec<String> = data(&answer, "SubnetIds").split(',').map(str::to_owned).collect();
    let subnets = bench
        .emulator
        .ec2()
        .describe_subnets()
        .set_subnet_ids(Some(ids))
        .send()
        .await
        .unwrap();
    let mut zones: Vec<&str> = subnets.subnets().iter().filter_map(|s| s.availability_zone()).collect();
    zones.sort_unstable();
    assert_eq!(zones, ["eu-west-1b", "eu-west-1c"]);

    // when: three zones are asked for
    let (_, refused) = bench
        .create_environment("zones-2", json!({ "ProjectName": "beta", "AzCount": 3 }))
        .await;
    // then: FAILED, naming the service and zone, nothing made
    assert_eq!(refused["Status"], "FAILED");
    let reason = refused["Reason"].as_str().unwrap();
    assert!(
        reason.contains("aws.sagemaker.eu-west-1.notebook") && reason.contains("eu-west-1a"),
        "{reason}"
    );
    assert!(bench.vpcs_tagged("sagefence:project", "beta").await.is_empty());
}

#[tokio::test]
async fn notebook_access_is_granted_only_inside_the_project_and_the_policy() {
    // given: the project's environment
    let bench = Bench::start().await;
    let (_, environment) = bench
        .create_environment("env-1", json!({ "ProjectName": "alpha", "AzCount": 2 }))
        .await;
    assert_eq!(environment["Status"], "SUCCESS", "{environment}");
    let properties = json!({
        "ProjectName": "alpha", "OwnerUserName": "alice", "OwnerEmail": "alice@example.com",
        "InstanceType": "ml.t3.medium",
    });

    // when: a data scientist launches the notebook product
    let url = bench.server.url("nb-1");
    let create = CfnRequest::create(NOTEBOOK, "Access", "nb-1", &url, properties.clone());
    let access = bench.answer(&create).await;

    // then: the placement inside the project, and a role held to it
    assert_eq!(access["Status"], "SUCCESS", "{access}");
    let physical_id = access["PhysicalResourceId"].as_str().unwrap().to_owned();
    assert!(data(&environment, "SubnetIds")
        .split(',')
        .any(|s| s == data(&access, "SubnetId")));
    assert_eq!(data(&access, "SecurityGroupId"), data(&environment, "SecurityGroupId"));
    assert_eq!(data(&access, "KmsKeyId"), data(&environment, "KmsKeyArn"));
    assert_eq!(data(&access, "LifecycleConfigName"), "sagefence-notebook");
    let iam = bench.emulator.iam();
    let role = iam
        .get_role()
        .role_name(data(&access, "RoleName"))
        .send()
        .await
        .unwrap();
    let role = role.role().unwrap();
    assert_eq!(role.arn(), data(&access, "RoleArn"));
    let trust = json_text(role.assume_role_policy_document().unwrap());
    assert_eq!(trust["Statement"][0]["Principal"]["Service"], "sagemaker.amazonaws.com");
    let tags = iam
        .list_role_tags()
        .role_name(data(&access, "RoleName"))
        .send()
        .await
        .unwrap();
    assert!(tags
        .tags()
        .iter()
        .any(|t| t.key() == "sagefence:owner" && t.value() == "alice"));
    let policy = iam
        .get_role_policy()
        .role_name(data(&access, "RoleName"))
        .policy_name("sagefence-notebook")
        .send()
        .await
        .unwrap();
    let policy = json_text(policy.policy_document());
    let jobs = &statement(&policy, "JobsInsideTheProject")["Condition"];
    let mut subnets: Vec<&str> = data(&environment, "SubnetIds").split(',').collect();
    subnets.sort_unstable();
    let mut granted: Vec<&str> = jobs["ForAllValues:StringEquals"]["sagemaker:VpcSubnets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    granted.sort_unstable();
    assert_eq!(granted, subnets);
    assert_eq!(
        jobs["ForAllValues:StringEquals"]["sagemaker:VpcSecurityGroupIds"],
        json!([data(&environment, "SecurityGroupId")])
    );
    assert_eq!(
        jobs["ArnEquals"]["sagemaker:VolumeKmsKeyArn"],
        json!(data(&environment, "KmsKeyArn"))
    );
    assert_eq!(jobs["Bool"]["sagemaker:NetworkIsolation"], "true");
    assert_eq!(jobs["Bool"]["sagemaker:InterContainerTrafficEncryption"], "true");
    assert_eq!(
        statement(&policy, "PassOnlyItselfToSageMaker")["Condition"]["StringEquals"]["iam:PassedToService"],
        "sagemaker.amazonaws.com"
    );
    assert_eq!(
        statement(&policy, "NoNotebookWithRoot")["Condition"],
        json!({ "StringNotEquals": { "sagemaker:RootAccess": "Disabled" } })
    );

    // when: the instance type changes to another allowed one (an in-place update)
    let mut bigger = properties.clone();
    bigger["InstanceType"] = json!("ml.m5.xlarge");
    let update = create.update(&physical_id, "nb-2", &bench.server.url("nb-2"), bigger);
    let updated = bench.answer(&update).await;
    assert_eq!(updated["Status"], "SUCCESS", "{updated}");
    assert_eq!(updated["PhysicalResourceId"], physical_id.as_str());

    // when: an instance type the policy does not allow, or a project that does not exist
    let mut huge = properties.clone();
    huge["OwnerUserName"] = json!("bob");
    huge["InstanceType"] = json!("ml.p4d.24xlarge");
    let refused = bench
        .answer(&CfnRequest::create(
            NOTEBOOK,
            "Access",
            "nb-3",
            &bench.server.url("nb-3"),
            huge,
        ))
        .await;
    let mut elsewhere = properties.clone();
    elsewhere["ProjectName"] = json!("omega");
    let orphan = bench
        .answer(&CfnRequest::create(
            NOTEBOOK,
            "Access",
            "nb-4",
            &bench.server.url("nb-4"),
            elsewhere,
        ))
        .await;

    // then: FAILED with reasons a data scientist can act on, and no role made
    assert_eq!(refused["Status"], "FAILED");
    let reason = refused["Reason"].as_str().unwrap();
    assert!(
        reason.contains("notebook-approved-instance-type") && reason.contains("ml.p4d.24xlarge"),
        "{reason}"
    );
    let refused_role = format!("sagefence-{}", refused["PhysicalResourceId"].as_str().unwrap());
    assert!(!role_exists(&bench.emulator, &refused_role).await);
    assert_eq!(orphan["Status"], "FAILED");
    assert!(
        orphan["Reason"]
            .as_str()
            .unwrap()
            .contains("project `omega` has no environment"),
        "{orphan}"
    );

    // when: the notebook product is terminated
    let delete = create.delete(&physical_id, "nb-5", &bench.server.url("nb-5"));
    assert_eq!(bench.answer(&delete).await["Status"], "SUCCESS");
    // then: its role is gone
    assert!(!role_exists(&bench.emulator, data(&access, "RoleName")).await);
}

#[tokio::test]
async fn the_environment_check_fails_a_drifted_environment_with_every_reason() {
    // given: an environment whose VPC got an internet gateway and whose key stopped rotating
    let bench = Bench::start().await;
    let (_, environment) = bench
        .create_environment("env-1", json!({ "ProjectName": "alpha", "AzCount": 1 }))
        .await;
    let gateway_id = attach_internet_gateway(&bench.emulator, data(&environment, "VpcId"))
        .await
        .unwrap();
    disable_key_rotation(&bench.emulator, data(&environment, "KmsKeyId"))
        .await
        .unwrap();

    // when: the check runs
    let check = CfnRequest::create(
        CHECK,
        "Check",
        "check-1",
        &bench.server.url("check-1"),
        json!({
            "ProjectName": "alpha",
            "VpcId": data(&environment, "VpcId"),
            "KmsKeyId": data(&environment, "KmsKeyId"),
            "Buckets": [data(&environment, "DataBucket")],
        }),
    );
    let verdict = bench.answer(&check).await;

    // then: FAILED, naming both
    assert_eq!(verdict["Status"], "FAILED");
    let reason = verdict["Reason"].as_str().unwrap();
    assert!(
        reason.contains("vpc-no-internet-gateway") && reason.contains(&gateway_id),
        "{reason}"
    );
    assert!(reason.contains("kms-rotation-enabled"), "{reason}");
    let records = bench.provisioner.audit_records().unwrap();
    assert!(records.iter().any(|r| r["subject"]["type"] == "finding"
        && r["subject"]["finding"]["rule"] == "vpc-no-internet-gateway"
        && r["subject"]["finding"]["status"] == "FAILED"));
}

#[tokio::test]
async fn a_panic_answers_the_request_being_worked_on() {
    // given: a request held for answering, and the panic hook installed
    let server = ResponseServer::start().await.unwrap();
    let slot = AnswerSlot::default();
    answer_on_panic(slot.clone());
    slot.hold(Pending {
        target: AnswerTarget {
            response_url: server.url("crash-1"),
            stack_id: STACK_ID.into(),
            request_id: "crash-1".into(),
            logical_resource_id: "Environment".into(),
            physical_resource_id: None,
        },
        physical_id: "alpha-0000".into(),
    });

    // when: the work panics
    let worker = std::thread::spawn(|| panic!("index out of bounds"));
    assert!(worker.join().is_err());

    // then: CloudFormation got FAILED with the reason, once
    let answer: CapturedAnswer = server.next(Duration::from_secs(5)).await.unwrap();
    assert_eq!(answer.body["Status"], "FAILED");
    assert_eq!(answer.body["PhysicalResourceId"], "alpha-0000");
    let reason = answer.body["Reason"].as_str().unwrap();
    assert!(
        reason.contains("crashed") && reason.contains("index out of bounds"),
        "{reason}"
    );
    assert!(slot.take().is_none());
}
