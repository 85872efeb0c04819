//! Support for the sweeper's integration tests: the sweeper on the real adapters over an
//! [`Emulator`], its HTTP requests metered, auditing into memory, keeping its state in an S3
//! bucket of the emulator and notifying an SNS topic.

use chrono::Utc;
use sagefence_aws::audit_log::JsonLinesAuditSink;
use sagefence_aws::metered::{Meter, RequestRate};
use sagefence_aws::remedy::Backoff;
use sagefence_aws::{FlowLogSettings, S3SweepState, SqsQueue};
use sagefence_core::model::ResourceKind;
use sagefence_core::Policy;
use sagefence_sweeper::aws::{SdkPortSet, SdkPorts};
use sagefence_sweeper::{Shard, SweepReport, SweepSettings, Sweeper, SweeperError, SweeperFunction};
use serde_json::Value;

use crate::error::aws;
use crate::records::{parse_audit, SharedBuffer};
use crate::world::{create_topic, ACCOUNT, FLOW_LOG_GROUP_PREFIX, TEST_BASE_DELAY};
use crate::{Emulator, SupportError, REGION};

/// The bucket the sweeper keeps its state in.
pub const STATE_BUCKET: &str = "sagefence-sweeper-state";

/// The sweeper as the tests run it.
pub type EmulatedSweeper = Sweeper<JsonLinesAuditSink<SharedBuffer>, S3SweepState>;

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
            state: S3SweepState::new(s3, STATE_BUCKET, None),
        };
        Ok(SweeperUnderTest {
            sweeper,
            ports,
            port_set,
            audit,
        })
    }

    /// Sweeps these resource types of the emulator's account and region.
    pub async fn sweep(&self, types: &[ResourceKind]) -> Result<SweepReport, SweeperError> {
        let shards = shards(types);
        self.sweeper.sweep(&self.port_set, &shards, Utc::now(), &()).await
    }

    /// HTTP requests sent so far.
    pub fn requests(&self) -> u64 {
        self.ports.meter.requests()
    }

    /// The audit records written so far, parsed.
    pub fn audit_records(&self) -> Result<Vec<Value>, SupportError> {
        parse_audit(&self.audit.contents()?)
    }

    /// The Lambda function on this engine, fanning out to `queue_url` when given.
    pub fn function(
        self,
        queue_url: Option<String>,
    ) -> SweeperFunction<JsonLinesAuditSink<SharedBuffer>, S3SweepState, SqsQueue> {
        let sqs = aws_sdk_sqs::Client::new(&self.ports.sdk);
        SweeperFunction {
            sweeper: self.sweeper,
            queue: queue_url.map(|url| SqsQueue::new(sqs, url)),
            ports: self.ports,
            regions: Vec::new(),
            member_accounts: Vec::new(),
            member_role_name: "sagefence-sweeper-member".to_owned(),
            resource_types: ResourceKind::SWEPT.to_vec(),
        }
    }
}

/// The shards of these types in the emulator's account and region.
pub fn shards(types: &[ResourceKind]) -> Vec<Shard> {
    types
        .iter()
        .map(|&resource_type| Shard {
            account: ACCOUNT.to_owned(),
            region: REGION.to_owned(),
            resource_type,
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
