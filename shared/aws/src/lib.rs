//! sagefence's edges: the ports each function acts through ([`ports`]), the AWS SDK adapters
//! behind them and the conversions of SDK answers into the models, the remedy executor
//! ([`remedy`]) and the look-ups of project facts ([`lookup`]), the audit sinks, settings and
//! telemetry. SDK clients are built once by each function's `main` and handed in.

pub mod audit_log;
pub mod lookup;
pub mod ports;
pub mod remedy;
pub mod settings;
#[cfg(feature = "telemetry")]
pub mod telemetry;

pub mod buckets;
pub mod describe;
pub mod ec2;
pub mod ec2_builder;
pub mod error;
pub mod iam;
pub mod iam_builder;
pub mod kms;
pub mod kms_builder;
pub mod logs;
pub mod metered;
pub(crate) mod pages;
pub mod s3;
pub mod sagemaker;
pub mod securityhub;
pub mod sns;
pub mod sqs;
pub mod ssm;
pub mod work_queue;

pub use buckets::S3Buckets;
pub use ec2::{Ec2Adapter, FlowLogSettings};
pub use iam::IamAdapter;
pub use kms::{KmsAdapter, KmsSigner};
pub use logs::LogsAdapter;
pub use s3::{s3_client, S3SweepState, S3Trail};
pub use sagemaker::SageMakerAdapter;
pub use securityhub::SecurityHubImporter;
pub use sns::SnsNotifier;
pub use sqs::{AuditDestination, SqsAuditSink, AUDIT_QUEUE_URL_ENV};
pub use ssm::{load_policy, sdk_and_policy, LoadPolicyError};
pub use work_queue::SqsQueue;
