//! Typed models of the SageMaker resources the rules govern. Built from CloudTrail request
//! parameters, state-change events and Describe answers alike, so one rule serves them all.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};

/// What an input tells about one setting: its value, or nothing at all.
///
/// A create call or a Describe answer tells everything (absent settings take AWS's defaults);
/// an update call or a notebook state-change event tells only part.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Fact<T> {
    /// The input states this value (or implies it through AWS's default).
    Known(T),
    /// The input does not carry this setting.
    #[default]
    Unknown,
}

impl<T> Fact<T> {
    /// The value, when known.
    pub fn known(&self) -> Option<&T> {
        match self {
            Fact::Known(value) => Some(value),
            Fact::Unknown => None,
        }
    }
}

impl<T> From<Option<T>> for Fact<T> {
    fn from(value: Option<T>) -> Self {
        value.map_or(Fact::Unknown, Fact::Known)
    }
}

/// An `Enabled` / `Disabled` setting such as DirectInternetAccess or RootAccess.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
pub enum Toggle {
    /// `Enabled`.
    Enabled,
    /// `Disabled`.
    Disabled,
}

impl fmt::Display for Toggle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Toggle::Enabled => "Enabled",
            Toggle::Disabled => "Disabled",
        })
    }
}

/// A resource's tags, by key. Accepts every shape AWS uses: a list of `{key, value}` (CloudTrail),
/// a list of `{Key, Value}` (Describe, ListTags) or a plain object (state-change events).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(transparent)]
pub struct Tags(pub BTreeMap<String, String>);

impl Tags {
    /// The value of `key`, if the resource carries it.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for Tags {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        Tags(iter.into_iter().map(|(k, v)| (k.into(), v.into())).collect())
    }
}

#[derive(Deserialize)]
struct TagEntry {
    #[serde(alias = "key")]
    #[serde(rename = "Key")]
    key: String,
    #[serde(alias = "value")]
    #[serde(rename = "Value", default)]
    value: String,
}

impl<'de> Deserialize<'de> for Tags {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TagsVisitor;

        impl<'de> Visitor<'de> for TagsVisitor {
            type Value = Tags;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of {key, value} tags or an object of tags")
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Tags, A::Error> {
                let mut tags = BTreeMap::new();
                while let Some(TagEntry { key, value }) = seq.next_element()? {
                    tags.insert(key, value);
                }
                Ok(Tags(tags))
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Tags, A::Error> {
                let mut tags = BTreeMap::new();
                while let Some((key, value)) = map.next_entry::<String, String>()? {
                    tags.insert(key, value);
                }
                Ok(Tags(tags))
            }

            fn visit_unit<E: de::Error>(self) -> Result<Tags, E> {
                Ok(Tags::default())
            }
        }

        deserializer.deserialize_any(TagsVisitor)
    }
}

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

/// Any SageMaker resource the rules govern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resource {
    /// A notebook instance.
    NotebookInstance(NotebookInstance),
    /// A job.
    Job(Job),
    /// A model.
    Model(Model),
    /// An endpoint configuration.
    EndpointConfig(EndpointConfig),
    /// A Studio domain.
    Domain(Domain),
    /// A project VPC.
    Vpc(crate::account::Vpc),
    /// A project subnet.
    Subnet(crate::account::Subnet),
    /// A project security group.
    SecurityGroup(crate::account::SecurityGroup),
    /// A project KMS key.
    KmsKey(crate::account::KmsKey),
    /// A project role.
    Role(crate::account::Role),
}

/// The kind of a resource named in findings and actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ResourceKind {
    /// A notebook instance.
    NotebookInstance,
    /// A training job.
    TrainingJob,
    /// A processing job.
    ProcessingJob,
    /// A hyperparameter tuning job.
    HyperParameterTuningJob,
    /// A transform job.
    TransformJob,
    /// A model.
    Model,
    /// An endpoint configuration.
    EndpointConfig,
    /// A Studio domain.
    Domain,
    /// A VPC.
    Vpc,
    /// A subnet.
    Subnet,
    /// A security group.
    SecurityGroup,
    /// A KMS key.
    KmsKey,
    /// An IAM role.
    Role,
}

impl ResourceKind {
    /// The kebab-case name used in output.
    pub const fn as_str(self) -> &'static str {
        match self {
            ResourceKind::NotebookInstance => "notebook-instance",
            ResourceKind::TrainingJob => "training-job",
            ResourceKind::ProcessingJob => "processing-job",
            ResourceKind::HyperParameterTuningJob => "hyper-parameter-tuning-job",
            ResourceKind::TransformJob => "transform-job",
            ResourceKind::Model => "model",
            ResourceKind::EndpointConfig => "endpoint-config",
            ResourceKind::Domain => "domain",
            ResourceKind::Vpc => "vpc",
            ResourceKind::Subnet => "subnet",
            ResourceKind::SecurityGroup => "security-group",
            ResourceKind::KmsKey => "kms-key",
            ResourceKind::Role => "role",
        }
    }
}

/// Names one resource in findings, actions and audit records.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct ResourceRef {
    /// Its kind.
    pub kind: ResourceKind,
    /// Its name.
    pub name: String,
    /// Its ARN, where known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
}

impl fmt::Display for ResourceRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} `{}`", self.kind.as_str(), self.name)
    }
}

impl Resource {
    /// The reference naming this resource.
    pub fn reference(&self) -> ResourceRef {
        let (kind, name, arn) = match self {
            Resource::NotebookInstance(n) => (ResourceKind::NotebookInstance, &n.name, &n.arn),
            Resource::Job(j) => (
                match j.kind {
                    JobKind::Training => ResourceKind::TrainingJob,
                    JobKind::Processing => ResourceKind::ProcessingJob,
                    JobKind::HyperParameterTuning => ResourceKind::HyperParameterTuningJob,
                    JobKind::Transform => ResourceKind::TransformJob,
                },
                &j.name,
                &j.arn,
            ),
            Resource::Model(m) => (ResourceKind::Model, &m.name, &m.arn),
            Resource::EndpointConfig(e) => (ResourceKind::EndpointConfig, &e.name, &e.arn),
            Resource::Domain(d) => (ResourceKind::Domain, &d.name, &d.arn),
            Resource::Vpc(v) => (ResourceKind::Vpc, &v.id, &None),
            Resource::Subnet(s) => (ResourceKind::Subnet, &s.id, &None),
            Resource::SecurityGroup(g) => (ResourceKind::SecurityGroup, &g.id, &None),
            Resource::KmsKey(k) => {
                return ResourceRef {
                    kind: ResourceKind::KmsKey,
                    name: k.id.clone(),
                    arn: Some(k.arn.clone()),
                }
            }
            Resource::Role(r) => {
                return ResourceRef {
                    kind: ResourceKind::Role,
                    name: r.name.clone(),
                    arn: Some(r.arn.clone()),
                }
            }
        };
        ResourceRef {
            kind,
            name: name.clone(),
            arn: arn.clone(),
        }
    }

    /// The resource's tags, where the input tells them; for subnets and security groups, the
    /// tags of their VPC (which make them project resources).
    pub fn tags(&self) -> Option<&Tags> {
        match self {
            Resource::NotebookInstance(n) => n.tags.known(),
            Resource::Job(j) => Some(&j.tags),
            Resource::Model(m) => Some(&m.tags),
            Resource::EndpointConfig(e) => Some(&e.tags),
            Resource::Domain(d) => Some(&d.tags),
            Resource::Vpc(v) => Some(&v.tags),
            Resource::Subnet(s) => Some(&s.vpc_tags),
            Resource::SecurityGroup(g) => Some(&g.vpc_tags),
            Resource::KmsKey(k) => Some(&k.tags),
            Resource::Role(r) => Some(&r.tags),
        }
    }

    /// Whether this is a project network, key or role resource (one the project tag marks);
    /// `None` for SageMaker resources, whose scope the policy decides.
    pub fn is_project_infrastructure(&self, project_tag_key: &str) -> Option<bool> {
        match self {
            Resource::NotebookInstance(_)
            | Resource::Job(_)
            | Resource::Model(_)
            | Resource::EndpointConfig(_)
            | Resource::Domain(_) => None,
            _ => Some(
                self.tags()
                    .and_then(|t| t.get(project_tag_key))
                    .is_some_and(|v| !v.trim().is_empty()),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_accept_every_aws_shape() {
        let camel: Tags = serde_json::from_str(r#"[{"key":"a","value":"1"}]"#).unwrap();
        let pascal: Tags = serde_json::from_str(r#"[{"Key":"a","Value":"1"}]"#).unwrap();
        let object: Tags = serde_json::from_str(r#"{"a":"1"}"#).unwrap();
        assert_eq!(camel, pascal);
        assert_eq!(pascal, object);
        assert_eq!(object.get("a"), Some("1"));
        let none: Tags = serde_json::from_str("null").unwrap();
        assert_eq!(none, Tags::default());
    }

    #[test]
    fn tags_reject_a_string() {
        assert!(serde_json::from_str::<Tags>(r#""a=1""#).is_err());
    }
}
