//! Ports: what the functions need from AWS, as traits as narrow as each function's IAM
//! permissions. The core never calls AWS; adapters (`aws` feature) implement these with the
//! SDK, and tests run those adapters against the local emulator.

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;

use chrono::{DateTime, Utc};
use serde::Serialize;

use sagefence_audit::audit::{AuditRecord, Notification};
use sagefence_core::model::{Domain, EndpointConfig, Job, JobKind, Model, NotebookInstance, ResourceKind, Toggle};
use sagefence_core::model::{IngressRange, KmsKey, Role, SecurityGroup, Subnet, Vpc};

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
    /// The name, in its own case, of the resource of `kind` whose name is `lowercase` whatever
    /// its case, made after `created_after` when given; `None` when there is none. SageMaker
    /// writes names lowercased in ARNs but reads a resource back only by its exact name.
    fn name_in_case(
        &self,
        kind: ResourceKind,
        lowercase: &str,
        created_after: Option<DateTime<Utc>>,
    ) -> impl Future<Output = PortResult<Option<String>>> + Send;
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
    /// The id of the default VPC's security group named `name` (the only groups a call may
    /// name by name alone); `None` when there is none.
    fn default_vpc_group_id(&self, name: &str) -> impl Future<Output = PortResult<Option<String>>> + Send;
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
    /// Sets tags on a VPC, subnet or security group (CreateTags).
    fn tag(&self, id: &str, tags: &BTreeMap<String, String>) -> impl Future<Output = PortResult<()>> + Send;
    /// Removes tag keys from a VPC, subnet or security group (DeleteTags).
    fn untag(&self, id: &str, keys: &[String]) -> impl Future<Output = PortResult<()>> + Send;
}

/// KMS: read project keys and restore them.
pub trait Keys {
    /// A key with its tags and rotation status; `None` when it does not exist.
    fn key(&self, key_id: &str) -> impl Future<Output = PortResult<Option<KmsKey>>> + Send;
    /// Turns automatic rotation on.
    fn enable_rotation(&self, key_id: &str) -> impl Future<Output = PortResult<()>> + Send;
    /// Cancels a scheduled deletion and enables the key again.
    fn cancel_deletion(&self, key_id: &str) -> impl Future<Output = PortResult<()>> + Send;
    /// Sets tags on a key (TagResource).
    fn tag(&self, key_id: &str, tags: &BTreeMap<String, String>) -> impl Future<Output = PortResult<()>> + Send;
    /// Removes tag keys from a key (UntagResource).
    fn untag(&self, key_id: &str, keys: &[String]) -> impl Future<Output = PortResult<()>> + Send;
}

/// IAM: read project roles and remove what grants too much.
pub trait Roles {
    /// A role with its tags and its policies judged; `None` when it does not exist.
    fn role(&self, name: &str) -> impl Future<Output = PortResult<Option<Role>>> + Send;
    /// Detaches a managed policy from a role.
    fn detach_policy(&self, role_name: &str, policy_arn: &str) -> impl Future<Output = PortResult<()>> + Send;
    /// Deletes an inline policy from a role.
    fn delete_inline_policy(&self, role_name: &str, policy_name: &str) -> impl Future<Output = PortResult<()>> + Send;
    /// Sets tags on a role (TagRole).
    fn tag(&self, role_name: &str, tags: &BTreeMap<String, String>) -> impl Future<Output = PortResult<()>> + Send;
    /// Removes tag keys from a role (UntagRole).
    fn untag(&self, role_name: &str, keys: &[String]) -> impl Future<Output = PortResult<()>> + Send;
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

/// An object as read back: its bytes and its ETag (for a later `If-Match` write).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    /// The bytes.
    pub bytes: Vec<u8>,
    /// The ETag S3 answered.
    pub etag: String,
}

/// The audit trail's bucket, as the audit-shipper writes it: objects encrypted with the
/// trail's KMS key, created only if absent or replaced only if unchanged.
pub trait TrailWriter {
    /// Writes one object (SSE-KMS with the trail's key).
    fn put(&self, key: &str, bytes: Vec<u8>, content_type: &'static str)
        -> impl Future<Output = PortResult<()>> + Send;
    /// Writes one object only if no object has its key (S3's conditional `If-None-Match: *`,
    /// retried while S3 answers 409 `ConditionalRequestConflict`); `false` when one already had
    /// it, and nothing was written.
    fn put_new(
        &self,
        key: &str,
        bytes: Vec<u8>,
        content_type: &'static str,
    ) -> impl Future<Output = PortResult<bool>> + Send;
    /// Replaces one object only while its ETag is `etag` (`If-Match`); `false` when it changed
    /// or is gone, and nothing was written.
    fn put_matching(
        &self,
        key: &str,
        bytes: Vec<u8>,
        content_type: &'static str,
        etag: &str,
    ) -> impl Future<Output = PortResult<bool>> + Send;
    /// Every key under `prefix`, in order (only when the head pointer is lost).
    fn keys_under(&self, prefix: &str) -> impl Future<Output = PortResult<Vec<String>>> + Send;
    /// An object; `None` when it does not exist.
    fn get(&self, key: &str) -> impl Future<Output = PortResult<Option<Stored>>> + Send;
}

/// Signs digests with the trail's asymmetric KMS key.
pub trait DigestSigner {
    /// The DER signature of `message` (raw, at most 4096 bytes) and the ARN of the key that made it.
    fn sign(&self, message: &[u8]) -> impl Future<Output = PortResult<(Vec<u8>, String)>> + Send;
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
        findings: &[sagefence_audit::asff::AsffFinding],
    ) -> impl Future<Output = PortResult<Vec<sagefence_audit::asff::RefusedFinding>>> + Send;
}

/// A VPC the provisioner made, as found again by its tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuiltVpc {
    /// The VPC id.
    pub id: String,
    /// Its primary IPv4 CIDR block.
    pub cidr: String,
    /// Its tags.
    pub tags: BTreeMap<String, String>,
}

/// A subnet or security group the provisioner made, with its zone or name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuiltPart {
    /// The resource id.
    pub id: String,
    /// The subnet's availability zone, or the group's name.
    pub label: String,
}

/// Everything in EC2 carrying one provisioned resource's tag.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BuiltNetwork {
    /// The VPCs (one, unless a create was interrupted and replayed).
    pub vpcs: Vec<BuiltVpc>,
    /// Subnets in them.
    pub subnets: Vec<BuiltPart>,
    /// Security groups in them (the default group excluded).
    pub security_groups: Vec<BuiltPart>,
    /// VPC endpoints in them that are not deleted, with their service names.
    pub endpoints: Vec<BuiltPart>,
    /// Flow logs of the VPCs.
    pub flow_logs: Vec<String>,
}

/// How a VPC endpoint attaches to the VPC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EndpointAttachment {
    /// An interface endpoint: network interfaces in these subnets, behind these groups, with
    /// private DNS.
    Interface {
        /// The subnets.
        subnet_ids: Vec<String>,
        /// The security groups.
        security_group_ids: Vec<String>,
    },
    /// A gateway endpoint: routes in these route tables.
    Gateway {
        /// The route tables.
        route_table_ids: Vec<String>,
    },
}

/// A VPC endpoint to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointRequest {
    /// The VPC.
    pub vpc_id: String,
    /// The full service name, e.g. `com.amazonaws.eu-west-1.sts`.
    pub service_name: String,
    /// Interface or gateway.
    pub attachment: EndpointAttachment,
    /// The endpoint policy (JSON), where the default full-access one is not wanted.
    pub policy: Option<String>,
}

/// EC2, as the provisioner builds and tears down a project network.
pub trait NetworkBuilder {
    /// The IPv4 CIDR blocks of every VPC in the region (primary and associated).
    fn vpc_cidrs(&self) -> impl Future<Output = PortResult<Vec<String>>> + Send;
    /// The names of the region's available availability zones.
    fn availability_zones(&self) -> impl Future<Output = PortResult<Vec<String>>> + Send;
    /// For each endpoint service name, the zones it is offered in (unknown services are absent).
    fn endpoint_service_zones(
        &self,
        service_names: &[String],
    ) -> impl Future<Output = PortResult<BTreeMap<String, Vec<String>>>> + Send;
    /// Everything carrying the tag `tag_key` = `tag_value`.
    fn built_network(&self, tag_key: &str, tag_value: &str) -> impl Future<Output = PortResult<BuiltNetwork>> + Send;
    /// Creates a VPC (DNS support and host names on); answers its id.
    fn create_vpc(
        &self,
        cidr: &str,
        tags: &BTreeMap<String, String>,
    ) -> impl Future<Output = PortResult<String>> + Send;
    /// Creates a subnet that never maps public IPs; answers its id.
    fn create_subnet(
        &self,
        vpc_id: &str,
        cidr: &str,
        zone: &str,
        tags: &BTreeMap<String, String>,
    ) -> impl Future<Output = PortResult<String>> + Send;
    /// Creates a security group; answers its id.
    fn create_security_group(
        &self,
        vpc_id: &str,
        name: &str,
        description: &str,
        tags: &BTreeMap<String, String>,
    ) -> impl Future<Output = PortResult<String>> + Send;
    /// Allows TCP ingress to `group_id` from the members of `source_group_id`: on `port` only,
    /// or every protocol and port when `None`.
    fn allow_ingress_from_group(
        &self,
        group_id: &str,
        source_group_id: &str,
        port: Option<u16>,
    ) -> impl Future<Output = PortResult<()>> + Send;
    /// The VPC's main route table.
    fn main_route_table(&self, vpc_id: &str) -> impl Future<Output = PortResult<String>> + Send;
    /// Creates a VPC endpoint; answers its id.
    fn create_endpoint(
        &self,
        endpoint: &EndpointRequest,
        tags: &BTreeMap<String, String>,
    ) -> impl Future<Output = PortResult<String>> + Send;
    /// Creates a flow log of all the VPC's traffic to a CloudWatch Logs group, delivered by
    /// `role_arn`; answers its id.
    fn create_flow_log_to(
        &self,
        vpc_id: &str,
        log_group: &str,
        role_arn: &str,
        tags: &BTreeMap<String, String>,
    ) -> impl Future<Output = PortResult<String>> + Send;
    /// Deletes a flow log (gone already: done).
    fn delete_flow_log(&self, id: &str) -> impl Future<Output = PortResult<()>> + Send;
    /// Deletes a VPC endpoint (gone already: done).
    fn delete_endpoint(&self, id: &str) -> impl Future<Output = PortResult<()>> + Send;
    /// Deletes a security group (gone already: done).
    fn delete_security_group(&self, id: &str) -> impl Future<Output = PortResult<()>> + Send;
    /// Deletes a subnet (gone already: done).
    fn delete_subnet(&self, id: &str) -> impl Future<Output = PortResult<()>> + Send;
    /// Deletes a VPC (gone already: done).
    fn delete_vpc(&self, id: &str) -> impl Future<Output = PortResult<()>> + Send;
}

/// A KMS key the provisioner made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRef {
    /// The key id.
    pub id: String,
    /// The key ARN.
    pub arn: String,
}

/// KMS, as the provisioner makes and retires a project key.
pub trait KeyBuilder {
    /// The key an alias (`alias/...`) names; `None` when the alias does not exist.
    fn key_by_alias(&self, alias: &str) -> impl Future<Output = PortResult<Option<KeyRef>>> + Send;
    /// Creates a symmetric customer-managed key with this key policy; answers it.
    fn create_key(
        &self,
        description: &str,
        policy: &str,
        tags: &BTreeMap<String, String>,
    ) -> impl Future<Output = PortResult<KeyRef>> + Send;
    /// Points a new alias at the key.
    fn create_alias(&self, alias: &str, key_id: &str) -> impl Future<Output = PortResult<()>> + Send;
    /// Deletes an alias (gone already: done).
    fn delete_alias(&self, alias: &str) -> impl Future<Output = PortResult<()>> + Send;
    /// Schedules the key's deletion after `days` (7 to 30); already scheduled or gone: done.
    fn schedule_key_deletion(&self, key_id: &str, days: i32) -> impl Future<Output = PortResult<()>> + Send;
}

/// How a bucket is protected, as read back for the environment check.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BucketProtection {
    /// The KMS key of its default SSE-KMS encryption, where that is its default.
    pub kms_key: Option<String>,
    /// Whether all four public-access-block settings are on.
    pub public_access_blocked: bool,
    /// Its bucket policy (JSON), where it has one.
    pub policy: Option<String>,
}

/// S3, as the provisioner makes and removes project buckets.
pub trait BucketBuilder {
    /// Whether the bucket exists (and is this account's).
    fn bucket_exists(&self, name: &str) -> impl Future<Output = PortResult<bool>> + Send;
    /// Creates a bucket in the client's region with these tags.
    fn create_bucket(&self, name: &str, tags: &BTreeMap<String, String>)
        -> impl Future<Output = PortResult<()>> + Send;
    /// Sets default SSE-KMS encryption with the key (bucket keys on), blocks all public
    /// access and puts the bucket policy.
    fn protect_bucket(&self, name: &str, key_arn: &str, policy: &str) -> impl Future<Output = PortResult<()>> + Send;
    /// How the bucket is protected; `None` when it does not exist.
    fn bucket_protection(&self, name: &str) -> impl Future<Output = PortResult<Option<BucketProtection>>> + Send;
    /// Deletes the bucket if it is empty; answers whether it is gone (a bucket holding data
    /// is kept).
    fn delete_empty_bucket(&self, name: &str) -> impl Future<Output = PortResult<bool>> + Send;
}

/// A role to create: its name, IAM path, trust policy, tags and permissions boundary.
#[derive(Debug, Clone, Copy)]
pub struct NewRole<'a> {
    /// The role name.
    pub name: &'a str,
    /// The IAM path (`/sagefence/<project>/` for project roles).
    pub path: &'a str,
    /// The trust policy document.
    pub trust_policy: &'a str,
    /// The tags.
    pub tags: &'a BTreeMap<String, String>,
    /// The managed policy bounding the role, if any.
    pub permissions_boundary: Option<&'a str>,
}

/// IAM, as the provisioner makes and removes project roles.
pub trait RoleBuilder {
    /// The role's ARN; `None` when it does not exist.
    fn role_arn(&self, name: &str) -> impl Future<Output = PortResult<Option<String>>> + Send;
    /// Creates the role; answers its ARN.
    fn create_role(&self, role: &NewRole<'_>) -> impl Future<Output = PortResult<String>> + Send;
    /// Puts (creates or replaces) an inline policy.
    fn put_role_policy(
        &self,
        role_name: &str,
        policy_name: &str,
        document: &str,
    ) -> impl Future<Output = PortResult<()>> + Send;
    /// An inline policy's document (JSON); `None` when it does not exist.
    fn role_policy(
        &self,
        role_name: &str,
        policy_name: &str,
    ) -> impl Future<Output = PortResult<Option<String>>> + Send;
    /// Deletes the role with its inline policies and managed attachments (gone already: done).
    fn delete_role(&self, name: &str) -> impl Future<Output = PortResult<()>> + Send;
}

/// CloudWatch Logs, as the provisioner makes the project's flow-log group.
pub trait LogGroups {
    /// Creates a log group encrypted with the KMS key, keeping events `retention_days`; an
    /// existing group is left as it is.
    fn create_log_group(
        &self,
        name: &str,
        kms_key_arn: &str,
        retention_days: i32,
        tags: &BTreeMap<String, String>,
    ) -> impl Future<Output = PortResult<()>> + Send;
    /// The KMS key ARN a log group is encrypted with; `None` for a missing group, `Some(None)`
    /// for an unencrypted one.
    fn log_group_key(&self, name: &str) -> impl Future<Output = PortResult<Option<Option<String>>>> + Send;
    /// Deletes a log group (gone already: done).
    fn delete_log_group(&self, name: &str) -> impl Future<Output = PortResult<()>> + Send;
}

/// The SDK adapters as a bundle of ports for a function's ports trait (the remedies' and the
/// provisioner's), with `T` the one port a function chooses itself (its notifier or audit sink).
#[derive(Debug)]
pub struct OnAws<T>(std::marker::PhantomData<T>);
