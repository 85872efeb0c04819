//! Support for the sweeper's integration tests: the sweeper on the real adapters over an
//! [`Emulator`], its HTTP requests metered, auditing into memory, keeping its state in an S3
//! bucket of the emulator and notifying an SNS topic; and SageMaker jobs and models to sweep.

use aws_sdk_sagemaker::types::{
    AlgorithmSpecification, ContainerDefinition, OutputDataConfig, ResourceConfig, StoppingCondition,
    Tag as SageMakerTag, TrainingInputMode, TrainingInstanceType, VpcConfig,
};
use chrono::Utc;
use sagefence_aws::audit_log::JsonLinesAuditSink;
use sagefence_aws::metered::{Meter, RequestRate};
use sagefence_aws::remedy::Backoff;
use sagefence_aws::{FlowLogSettings, S3Trail, SqsQueue};
use sagefence_core::Policy;
use sagefence_sweeper::aws::{SdkPortSet, SdkPorts};
use sagefence_sweeper::{ResourceType, Shard, SweepReport, SweepSettings, Sweeper, SweeperError, SweeperFunction};
use serde_json::Value;

use crate::guardrail::{
    aws, create_topic, missing, ProjectNetwork, SharedBuffer, SupportError, ACCOUNT, FLOW_LOG_GROUP_PREFIX, OWNER,
    OWNER_TAG, PROJECT, PROJECT_TAG, TEST_BASE_DELAY,
};
use crate::{Emulator, REGION};

/// The bucket the sweeper keeps its state in.
pub const STATE_BUCKET: &str = "sagefence-sweeper-state";

/// The sweeper as the tests run it.
pub type EmulatedSweeper = Sweeper<JsonLinesAuditSink<SharedBuffer>, S3Trail>;

/// The sweeper on an emulator: its engine, its ports, the meter counting its HTTP requests and
/// its audit records.
#[derive(Debug)]
pub struct SweeperUnderTest {
    /// The engine.
    pub sweeper: EmulatedSweeper,
    /// Builds the adapters (metered).
    pub ports: SdkPorts,
    /// The adapters of the emulator's account and region.
    pub port_set: SdkPortSet,
    audit: SharedBuffer,
}

/// Options of [`SweeperUnderTest::start`].
#[derive(Debug, Clone)]
pub struct SweeperOptions {
    /// The policy.
    pub policy: Policy,
    /// Dry run.
    pub dry_run: bool,
    /// Items per SageMaker list page.
    pub page_size: i32,
    /// Describe concurrency.
    pub concurrency: usize,
    /// Request rate.
    pub rate: Option<RequestRate>,
    /// The flow-log delivery role.
    pub flow_log_role_arn: String,
}

impl Default for SweeperOptions {
    fn default() -> Self {
        SweeperOptions {
            policy: Policy::builtin(),
            dry_run: false,
            page_size: 100,
            concurrency: 8,
            rate: None,
            flow_log_role_arn: format!("arn:aws:iam::{ACCOUNT}:role/sagefence-flow-logs"),
        }
    }
}

impl SweeperUnderTest {
    /// Builds the sweeper on `emulator`: a state bucket, an SNS topic, metered adapters.
    pub async fn start(emulator: &Emulator, options: SweeperOptions) -> Result<Self, SupportError> {
        let meter = Meter::new(options.rate);
        let sdk = emulator
            .sdk_config()
            .to_builder()
            .http_client(meter.default_https_client())
            .build();
        let s3 = sagefence_aws::s3_client(&sdk);
        let exists = s3.head_bucket().bucket(STATE_BUCKET).send().await.is_ok();
        if !exists {
            s3.create_bucket()
                .bucket(STATE_BUCKET)
                .create_bucket_configuration(
                    aws_sdk_s3::types::CreateBucketConfiguration::builder()
                        .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::EuWest1)
                        .build(),
                )
                .send()
                .await
                .map_err(aws("CreateBucket"))?;
        }
        let topic_arn = create_topic(&aws_sdk_sns::Client::new(&sdk)).await?;
        let ports = SdkPorts {
            sdk,
            meter,
            page_size: options.page_size,
            flow_logs: FlowLogSettings {
                log_group_prefix: FLOW_LOG_GROUP_PREFIX.to_owned(),
                delivery_role_arn: options.flow_log_role_arn,
            },
            topic_arn: Some(topic_arn),
        };
        let port_set = ports.for_shard(REGION, None).await;
        let audit = SharedBuffer::default();
        let sweeper = Sweeper {
            policy: options.policy,
            settings: SweepSettings {
                concurrency: options.concurrency,
                backoff: Backoff {
                    max_attempts: 4,
                    base_delay: TEST_BASE_DELAY,
                },
                dry_run: options.dry_run,
            },
            audit: JsonLinesAuditSink::new(audit.clone()),
            state: S3Trail::new(s3, STATE_BUCKET, None),
        };
        Ok(SweeperUnderTest {
            sweeper,
            ports,
            port_set,
            audit,
        })
    }

    /// Sweeps these resource types of the emulator's account and region.
    pub async fn sweep(&self, types: &[ResourceType]) -> Result<SweepReport, SweeperError> {
        let shards = shards(types);
        self.sweeper.sweep(&self.port_set, &shards, Utc::now(), &()).await
    }

    /// HTTP requests sent so far.
    pub fn requests(&self) -> u64 {
        self.ports.meter.requests()
    }

    /// The audit records written so far, parsed.
    pub fn audit_records(&self) -> Result<Vec<Value>, SupportError> {
        crate::guardrail::parse_audit(&self.audit.contents()?)
    }

    /// The Lambda function on this engine, fanning out to `queue_url` when given.
    pub fn function(
        self,
        queue_url: Option<String>,
    ) -> SweeperFunction<JsonLinesAuditSink<SharedBuffer>, S3Trail, SqsQueue> {
        let sqs = aws_sdk_sqs::Client::new(&self.ports.sdk);
        SweeperFunction {
            sweeper: self.sweeper,
            queue: queue_url.map(|url| SqsQueue::new(sqs, url)),
            ports: self.ports,
            regions: Vec::new(),
            member_accounts: Vec::new(),
            member_role_name: "sagefence-sweeper-member".to_owned(),
            resource_types: ResourceType::ALL.to_vec(),
        }
    }
}

/// The shards of these types in the emulator's account and region.
pub fn shards(types: &[ResourceType]) -> Vec<Shard> {
    types
        .iter()
        .map(|&resource_type| Shard {
            account: ACCOUNT.to_owned(),
            region: REGION.to_owned(),
            resource_type,
            role_arn: None,
        })
        .collect()
}

/// The statuses of a report's findings of `rule` by resource name.
pub fn statuses(report: &SweepReport, rule: &str) -> std::collections::BTreeMap<String, String> {
    report
        .findings
        .iter()
        .filter(|f| f.rule.as_str() == rule)
        .map(|f| {
            (
                f.resource.name.clone(),
                sagefence_sweeper::report::status_name(f.status).to_owned(),
            )
        })
        .collect()
}

/// The project's subnet and security group as a SageMaker VPC config.
pub fn project_vpc(project: &ProjectNetwork) -> VpcConfig {
    VpcConfig::builder()
        .subnets(&project.subnet_id)
        .security_group_ids(&project.security_group_id)
        .build()
}

fn tag(key: &str, value: &str) -> SageMakerTag {
    SageMakerTag::builder().key(key).value(value).build()
}

/// Creates a training job of the project (encrypted, isolated, tagged with project and owner),
/// in the project VPC when `in_vpc`; it is `InProgress` until told otherwise. Returns its ARN.
pub async fn create_training_job(
    emulator: &Emulator,
    project: &ProjectNetwork,
    name: &str,
    in_vpc: bool,
) -> Result<String, SupportError> {
    let vpc = in_vpc.then(|| project_vpc(project));
    create_training_job_with(
        emulator,
        project,
        name,
        vpc,
        &[(PROJECT_TAG, PROJECT), (OWNER_TAG, OWNER)],
    )
    .await
}

/// Creates a training job of the project (encrypted, isolated) with this VPC config and these
/// tags; it is `InProgress` until told otherwise. Returns its ARN.
pub async fn create_training_job_with(
    emulator: &Emulator,
    project: &ProjectNetwork,
    name: &str,
    vpc: Option<VpcConfig>,
    tags: &[(&str, &str)],
) -> Result<String, SupportError> {
    let out = emulator
        .sagemaker()
        .create_training_job()
        .training_job_name(name)
        .role_arn(&project.role_arn)
        .algorithm_specification(
            AlgorithmSpecification::builder()
                .training_image("123456789012.dkr.ecr.eu-west-1.amazonaws.com/sagefence-alpha/xgboost-train:1.7-1")
                .training_input_mode(TrainingInputMode::File)
                .build(),
        )
        .output_data_config(
            OutputDataConfig::builder()
                .s3_output_path("s3://sagefence-alpha-models/training/")
                .kms_key_id(&project.key_arn)
                .build(),
        )
        .resource_config(
            ResourceConfig::builder()
                .instance_type(TrainingInstanceType::MlM5Xlarge)
                .instance_count(1)
                .volume_size_in_gb(30)
                .volume_kms_key_id(&project.key_arn)
                .build(),
        )
        .stopping_condition(StoppingCondition::builder().max_runtime_in_seconds(3600).build())
        .set_vpc_config(vpc)
        .enable_network_isolation(true)
        .enable_inter_container_traffic_encryption(true)
        .set_tags(Some(tags.iter().map(|(key, value)| tag(key, value)).collect()))
        .send()
        .await
        .map_err(aws("CreateTrainingJob"))?;
    out.training_job_arn()
        .map(str::to_owned)
        .ok_or_else(|| missing("CreateTrainingJob", "TrainingJobArn"))
}

/// Creates a model of the project in its VPC, with or without network isolation.
pub async fn create_model(
    emulator: &Emulator,
    project: &ProjectNetwork,
    name: &str,
    isolation: bool,
) -> Result<String, SupportError> {
    let out = emulator
        .sagemaker()
        .create_model()
        .model_name(name)
        .execution_role_arn(&project.role_arn)
        .primary_container(
            ContainerDefinition::builder()
                .image("123456789012.dkr.ecr.eu-west-1.amazonaws.com/sagefence-alpha/xgboost-inference:1.7-1")
                .build(),
        )
        .vpc_config(project_vpc(project))
        .enable_network_isolation(isolation)
        .tags(tag(PROJECT_TAG, PROJECT))
        .tags(tag(OWNER_TAG, OWNER))
        .send()
        .await
        .map_err(aws("CreateModel"))?;
    out.model_arn()
        .map(str::to_owned)
        .ok_or_else(|| missing("CreateModel", "ModelArn"))
}

/// Whether the model `name` exists.
pub async fn model_exists(emulator: &Emulator, name: &str) -> bool {
    emulator
        .sagemaker()
        .describe_model()
        .model_name(name)
        .send()
        .await
        .is_ok()
}
