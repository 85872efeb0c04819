//! Typed models of the SageMaker resources the rules govern. Built from CloudTrail request
//! parameters, state-change events and Describe answers alike, so one rule serves them all.

use serde::{Deserialize, Serialize};

use super::values::{Fact, Tags, Toggle};

/// Subnets and security groups a resource is placed in.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VpcPlacement {
    /// Subnet ids.
    pub subnets: Vec<String>,
    /// Security group ids.
    pub security_group_ids: Vec<String>,
}

/// A notebook instance's lifecycle status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
pub enum NotebookStatus {
    /// Being created.
    Pending,
    /// Running.
    InService,
    /// Being stopped.
    Stopping,
    /// Stopped.
    Stopped,
    /// Failed to start.
    Failed,
    /// Being deleted.
    Deleting,
    /// Being updated.
    Updating,
    /// Deleted: the last state-change event of a notebook reports it, never a Describe answer.
    Deleted,
}

/// A notebook instance, as far as the input tells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotebookInstance {
    /// The notebook instance name.
    pub name: String,
    /// Its ARN, where the input gives it.
    pub arn: Option<String>,
    /// Its status, where the input gives it.
    pub status: Option<NotebookStatus>,
    /// The instance type.
    pub instance_type: Fact<String>,
    /// DirectInternetAccess.
    pub direct_internet_access: Fact<Toggle>,
    /// RootAccess.
    pub root_access: Fact<Toggle>,
    /// The subnet, or none (the notebook then runs in SageMaker's own network).
    pub subnet_id: Fact<Option<String>>,
    /// The security groups.
    pub security_group_ids: Fact<Vec<String>>,
    /// The KMS key encrypting its volume, or none.
    pub kms_key_id: Fact<Option<String>>,
    /// The execution role.
    pub role_arn: Fact<String>,
    /// Its tags.
    pub tags: Fact<Tags>,
}

/// Which kind of SageMaker job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum JobKind {
    /// A training job.
    Training,
    /// A processing job.
    Processing,
    /// A hyperparameter tuning job.
    HyperParameterTuning,
    /// A batch transform job.
    Transform,
}

/// A job's status; statuses this version does not know are kept as [`JobStatus::Other`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
pub enum JobStatus {
    /// Running.
    InProgress,
    /// Finished.
    Completed,
    /// Failed.
    Failed,
    /// Being stopped.
    Stopping,
    /// Stopped.
    Stopped,
    /// Any other status.
    #[serde(other)]
    Other,
}

/// The network settings of one job definition.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct JobNetwork {
    /// The VPC placement, if any.
    pub vpc: Option<VpcPlacement>,
    /// EnableNetworkIsolation (AWS default: false).
    pub network_isolation: bool,
    /// EnableInterContainerTrafficEncryption (AWS default: false).
    pub inter_container_encryption: bool,
}

/// The settings of one job definition (a tuning job may have several).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct JobSpec {
    /// Network settings; `None` for transform jobs, whose network comes from the model.
    pub network: Option<JobNetwork>,
    /// The KMS key of the storage volumes.
    pub volume_kms_key_id: Option<String>,
    /// The output's KMS key: `None` when the job writes no output at all.
    pub output_kms_key_id: Option<Option<String>>,
}

/// A training, processing, tuning or transform job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    /// Which kind of job.
    pub kind: JobKind,
    /// The job name.
    pub name: String,
    /// Its ARN, where the input gives it.
    pub arn: Option<String>,
    /// Its status, where the input gives it.
    pub status: Option<JobStatus>,
    /// Its definitions: one, or several for a tuning job.
    pub specs: Vec<JobSpec>,
    /// Its tags.
    pub tags: Tags,
}

/// A SageMaker model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Model {
    /// The model name.
    pub name: String,
    /// Its ARN, where the input gives it.
    pub arn: Option<String>,
    /// The VPC placement of its containers, if any.
    pub vpc: Option<VpcPlacement>,
    /// EnableNetworkIsolation (AWS default: false).
    pub network_isolation: bool,
    /// Its tags.
    pub tags: Tags,
}

/// One production variant of an endpoint configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductionVariant {
    /// The variant name.
    pub name: String,
    /// InitialInstanceCount, for instance-based variants.
    pub initial_instance_count: Option<i32>,
    /// Whether the variant is serverless (it then has no instances).
    pub serverless: bool,
}

/// A SageMaker endpoint configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointConfig {
    /// The endpoint configuration name.
    pub name: String,
    /// Its ARN, where the input gives it.
    pub arn: Option<String>,
    /// The KMS key for the attached storage, if any.
    pub kms_key_id: Option<String>,
    /// Its production variants.
    pub variants: Vec<ProductionVariant>,
    /// Its tags.
    pub tags: Tags,
}

/// A Studio domain's AppNetworkAccessType.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
pub enum AppNetworkAccess {
    /// `PublicInternetOnly` (AWS default).
    PublicInternetOnly,
    /// `VpcOnly`.
    VpcOnly,
}

/// A SageMaker Studio domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Domain {
    /// The domain name.
    pub name: String,
    /// Its ARN, where the input gives it.
    pub arn: Option<String>,
    /// AppNetworkAccessType.
    pub app_network_access: AppNetworkAccess,
    /// The KMS key encrypting its EFS volume, if any.
    pub kms_key_id: Option<String>,
    /// Its VPC, where given.
    pub vpc_id: Option<String>,
    /// Its subnets.
    pub subnet_ids: Vec<String>,
    /// Its tags.
    pub tags: Tags,
}
