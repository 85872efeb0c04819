//! Ports: what the functions need from AWS, as traits as narrow as each function's IAM
//! permissions. The core never calls AWS; adapters (`aws` feature) implement these with the
//! SDK, and tests run those adapters against the local emulator.

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;

use serde::Serialize;

use crate::account::{IngressRange, KmsKey, Role, SecurityGroup, Subnet, Vpc};
use crate::audit::{AuditRecord, Notification};
use crate::model::{Domain, EndpointConfig, Job, JobKind, Model, NotebookInstance, Toggle};

/// What kind of failure a port met; decides whether a retry can help.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PortErrorKind {
    /// The API throttled the call: retry with backoff.
    Throttled,
    /// A transient failure (timeout, connection, 5xx): retry.
    Unavailable,
    /// The resource does not exist (any more).
    NotFound,
    /// The resource is not in a state that allows the call (e.g. stop a stopped notebook).
    InvalidState,
    /// The function's role may not make the call.
    AccessDenied,
    /// Anything else: a bug or a bad request; retrying cannot help.
    Other,
}

/// A failed call through a port.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
pub struct PortError {
    /// The API operation, e.g. `StopNotebookInstance`.
    pub operation: &'static str,
    /// What kind of failure.
    pub kind: PortErrorKind,
    /// The service's error code and message.
    pub message: String,
}

impl fmt::Display for PortError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` failed ({:?}): {}", self.operation, self.kind, self.message)
    }
}

impl PortError {
    /// Whether retrying the same call may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self.kind, PortErrorKind::Throttled | PortErrorKind::Unavailable)
    }
}

/// The result of a port call.
pub type PortResult<T> = Result<T, PortError>;

/// SageMaker: read governed resources and apply their remedies.
pub trait SageMaker {
    /// A notebook instance with its tags; `None` when it does not exist.
    fn notebook(&self, name: &str) -> impl Future<Output = PortResult<Option<NotebookInstance>>> + Send;
    /// A job with its tags; `None` when it does not exist.
    fn job(&self, kind: JobKind, name: &str) -> impl Future<Output = PortResult<Option<Job>>> + Send;
    /// A model with its tags; `None` when it does not exist.
    fn model(&self, name: &str) -> impl Future<Output = PortResult<Option<Model>>> + Send;
    /// An endpoint configuration with its tags; `None` when it does not exist.
    fn endpoint_config(&self, name: &str) -> impl Future<Output = PortResult<Option<EndpointConfig>>> + Send;
    /// Whether any endpoint uses the endpoint configuration.
    fn endpoint_config_in_use(&self, name: &str) -> impl Future<Output = PortResult<bool>> + Send;
    /// Adds or overwrites tags on a resource.
    fn tag(&self, arn: &str, tags: &BTreeMap<String, String>) -> impl Future<Output = PortResult<()>> + Send;
    /// Removes tag keys from a resource.
    fn untag(&self, arn: &str, keys: &[String]) -> impl Future<Output = PortResult<()>> + Send;
    /// Stops an InService notebook instance.
    fn stop_notebook(&self, name: &str) -> impl Future<Output = PortResult<()>> + Send;
    /// Starts a Stopped notebook instance.
    fn start_notebook(&self, name: &str) -> impl Future<Output = PortResult<()>> + Send;
    /// Sets a Stopped notebook instance's RootAccess.
    fn update_notebook_root_access(
        &self,
        name: &str,
        root_access: Toggle,
    ) -> impl Future<Output = PortResult<()>> + Send;
    /// Deletes a Stopped or Failed notebook instance.
    fn delete_notebook(&self, name: &str) -> impl Future<Output = PortResult<()>> + Send;
    /// Stops an InProgress job.
    fn stop_job(&self, kind: JobKind, name: &str) -> impl Future<Output = PortResult<()>> + Send;
    /// Deletes a model.
    fn delete_model(&self, name: &str) -> impl Future<Output = PortResult<()>> + Send;
    /// Deletes an endpoint configuration.
    fn delete_endpoint_config(&self, name: &str) -> impl Future<Output = PortResult<()>> + Send;
}

/// EC2: read project networks and undo their drift.
pub trait Network {
    /// Subnets by id, each with its VPC's tags; unknown ids are left out.
    fn subnets(&self, ids: &[String]) -> impl Future<Output = PortResult<Vec<Subnet>>> + Send;
    /// A VPC with its gateways, peerings, flow logs and endpoints; `None` when it does not exist.
    fn vpc(&self, id: &str) -> impl Future<Output = PortResult<Option<Vpc>>> + Send;
    /// The VPCs carrying the tag key `tag_key`.
    fn tagged_vpc_ids(&self, tag_key: &str) -> impl Future<Output = PortResult<Vec<String>>> + Send;
    /// The requester and accepter VPCs of a peering connection.
    fn peering_vpc_ids(&self, peering_connection_id: &str) -> impl Future<Output = PortResult<Vec<String>>> + Send;
    /// A security group with its VPC's tags; `None` when it does not exist.
    fn security_group(&self, id: &str) -> impl Future<Output = PortResult<Option<SecurityGroup>>> + Send;
    /// Detaches an internet gateway from the VPC and deletes it.
    fn delete_internet_gateway(
        &self,
        vpc_id: &str,
        internet_gateway_id: &str,
    ) -> impl Future<Output = PortResult<()>> + Send;
    /// Deletes a NAT gateway.
    fn delete_nat_gateway(&self, nat_gateway_id: &str) -> impl Future<Output = PortResult<()>> + Send;
    /// Rejects a pending peering connection, or deletes an active one.
    fn remove_peering(&self, peering_connection_id: &str) -> impl Future<Output = PortResult<()>> + Send;
    /// Creates a flow log for the VPC to the configured encrypted log group.
    fn create_flow_log(&self, vpc_id: &str) -> impl Future<Output = PortResult<()>> + Send;
    /// Sets the subnet's MapPublicIpOnLaunch to false.
    fn disable_map_public_ip(&self, subnet_id: &str) -> impl Future<Output = PortResult<()>> + Send;
    /// Revokes these ingress permissions from the group.
    fn revoke_ingress(&self, group_id: &str, ranges: &[IngressRange]) -> impl Future<Output = PortResult<()>> + Send;
}

/// KMS: read project keys and restore them.
pub trait Keys {
    /// A key with its tags and rotation status; `None` when it does not exist.
    fn key(&self, key_id: &str) -> impl Future<Output = PortResult<Option<KmsKey>>> + Send;
    /// Turns automatic rotation on.
    fn enable_rotation(&self, key_id: &str) -> impl Future<Output = PortResult<()>> + Send;
    /// Cancels a scheduled deletion and enables the key again.
    fn cancel_deletion(&self, key_id: &str) -> impl Future<Output = PortResult<()>> + Send;
}

/// IAM: read project roles and remove what grants too much.
pub trait Roles {
    /// A role with its tags and its policies judged; `None` when it does not exist.
    fn role(&self, name: &str) -> impl Future<Output = PortResult<Option<Role>>> + Send;
    /// Detaches a managed policy from a role.
    fn detach_policy(&self, role_name: &str, policy_arn: &str) -> impl Future<Output = PortResult<()>> + Send;
    /// Deletes an inline policy from a role.
    fn delete_inline_policy(&self, role_name: &str, policy_name: &str) -> impl Future<Output = PortResult<()>> + Send;
}

/// SageMaker, as a sweep lists it: every list paginates to the end.
pub trait SageMakerInventory {
    /// The names of every notebook instance.
    fn notebook_names(&self) -> impl Future<Output = PortResult<Vec<String>>> + Send;
    /// The names of the jobs of this kind that are `InProgress`.
    fn in_progress_job_names(&self, kind: JobKind) -> impl Future<Output = PortResult<Vec<String>>> + Send;
    /// The names of every model.
    fn model_names(&self) -> impl Future<Output = PortResult<Vec<String>>> + Send;
    /// The names of every endpoint configuration.
    fn endpoint_config_names(&self) -> impl Future<Output = PortResult<Vec<String>>> + Send;
    /// The ids of every Studio domain.
    fn domain_ids(&self) -> impl Future<Output = PortResult<Vec<String>>> + Send;
    /// A Studio domain with its tags; `None` when it does not exist.
    fn domain(&self, id: &str) -> impl Future<Output = PortResult<Option<Domain>>> + Send;
}

/// EC2, as a sweep lists a project's network.
pub trait NetworkInventory {
    /// The subnets of these VPCs, each with its VPC's tags.
    fn subnets_in(&self, vpc_ids: &[String]) -> impl Future<Output = PortResult<Vec<Subnet>>> + Send;
    /// The security groups of these VPCs, each with its VPC's tags.
    fn security_groups_in(&self, vpc_ids: &[String]) -> impl Future<Output = PortResult<Vec<SecurityGroup>>> + Send;
}

/// KMS, as a sweep lists keys.
pub trait KeyInventory {
    /// The ids of every key of the account and region.
    fn key_ids(&self) -> impl Future<Output = PortResult<Vec<String>>> + Send;
}

/// IAM, as a sweep lists roles.
pub trait RoleInventory {
    /// The names of the roles carrying the tag key `tag_key`.
    fn tagged_role_names(&self, tag_key: &str) -> impl Future<Output = PortResult<Vec<String>>> + Send;
}

/// Where a sweep keeps what the last sweep of a shard found failing.
pub trait SweepState {
    /// The state stored under `key`; `None` before the first sweep.
    fn load(&self, key: &str) -> impl Future<Output = PortResult<Option<Vec<u8>>>> + Send;
    /// Stores the state under `key`.
    fn store(&self, key: &str, bytes: Vec<u8>) -> impl Future<Output = PortResult<()>> + Send;
}

/// A queue of work items (SQS), sent in batches.
pub trait WorkQueue {
    /// Sends up to 10 message bodies in one call; answers the indexes the queue refused.
    fn send_batch(&self, bodies: &[String]) -> impl Future<Output = PortResult<Vec<usize>>> + Send;
}

/// Tells the owner and the security team (SNS).
pub trait Notifier {
    /// Publishes one notification.
    fn notify(&self, notification: &Notification) -> impl Future<Output = PortResult<()>> + Send;
}

/// Where audit records go (a log here; the audit-shipper's queue later).
pub trait AuditSink {
    /// Records one decision or action.
    fn record(&self, record: &AuditRecord) -> impl Future<Output = PortResult<()>> + Send;
}

/// The audit trail's bucket, as the audit-shipper writes it: objects encrypted with the
/// trail's KMS key, and the newest digest to chain to.
pub trait TrailWriter {
    /// Writes one object (SSE-KMS with the trail's key).
    fn put(&self, key: &str, bytes: Vec<u8>, content_type: &'static str)
        -> impl Future<Output = PortResult<()>> + Send;
    /// The lexicographically last key under `prefix` (after `start_after`, when given).
    fn last_key(
        &self,
        prefix: &str,
        start_after: Option<&str>,
    ) -> impl Future<Output = PortResult<Option<String>>> + Send;
    /// An object's bytes; `None` when it does not exist.
    fn get(&self, key: &str) -> impl Future<Output = PortResult<Option<Vec<u8>>>> + Send;
}

/// The audit trail's bucket, as an auditor reads it.
pub trait TrailReader {
    /// Every key under `prefix`, in order.
    fn list(&self, prefix: &str) -> impl Future<Output = PortResult<Vec<String>>> + Send;
    /// An object's bytes; `None` when it does not exist.
    fn get(&self, key: &str) -> impl Future<Output = PortResult<Option<Vec<u8>>>> + Send;
}

/// Security Hub, as the audit-shipper uses it: import findings, learn which were refused.
pub trait FindingsImporter {
    /// Imports up to 100 findings; answers the ones Security Hub refused.
    fn import(
        &self,
        findings: &[crate::asff::AsffFinding],
    ) -> impl Future<Output = PortResult<Vec<crate::asff::RefusedFinding>>> + Send;
}
