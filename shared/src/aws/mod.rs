//! AWS adapters: the SDK behind the ports, and conversions of SDK answers into the models.
//! SDK clients are built once by each function's `main` and handed in.

pub mod describe;
pub mod ec2;
pub mod error;
pub mod iam;
pub mod kms;
pub mod metered;
pub mod s3;
pub mod sagemaker;
pub mod securityhub;
pub mod sns;
pub mod sqs;

pub use ec2::{Ec2Adapter, FlowLogSettings};
pub use iam::IamAdapter;
pub use kms::KmsAdapter;
pub use s3::S3Trail;
pub use sagemaker::SageMakerAdapter;
pub use securityhub::SecurityHubImporter;
pub use sns::SnsNotifier;
pub use sqs::SqsQueue;
