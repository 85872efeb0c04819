//! The one resource taxonomy: every resource the rules govern ([`Resource`]), its kind
//! ([`ResourceKind`]) and the reference that names it in findings, actions and audit records.

use std::fmt;

use serde::Serialize;

use super::iam::Role;
use super::kms::KmsKey;
use super::network::{SecurityGroup, Subnet, Vpc};
use super::sagemaker::{Domain, EndpointConfig, Job, JobKind, Model, NotebookInstance, VpcPlacement};
use super::values::{Fact, Tags};

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
    Vpc(Vpc),
    /// A project subnet.
    Subnet(Subnet),
    /// A project security group.
    SecurityGroup(SecurityGroup),
    /// A project KMS key.
    KmsKey(KmsKey),
    /// A project role.
    Role(Role),
}

/// The kind of a resource named in findings and actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
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
    /// An S3 bucket.
    Bucket,
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
            ResourceKind::Bucket => "bucket",
        }
    }

    /// The plural name a sweep's settings, shards and the CLI's `--types` use.
    pub const fn plural(self) -> &'static str {
        match self {
            ResourceKind::NotebookInstance => "notebooks",
            ResourceKind::TrainingJob => "training-jobs",
            ResourceKind::ProcessingJob => "processing-jobs",
            ResourceKind::HyperParameterTuningJob => "tuning-jobs",
            ResourceKind::TransformJob => "transform-jobs",
            ResourceKind::Model => "models",
            ResourceKind::EndpointConfig => "endpoint-configs",
            ResourceKind::Domain => "domains",
            ResourceKind::Vpc => "vpcs",
            ResourceKind::Subnet => "subnets",
            ResourceKind::SecurityGroup => "security-groups",
            ResourceKind::KmsKey => "kms-keys",
            ResourceKind::Role => "roles",
            ResourceKind::Bucket => "buckets",
        }
    }

    /// Every kind a sweep lists, in sweep order, which is the kinds' order (jobs: those in
    /// progress).
    pub const SWEPT: &'static [ResourceKind] = &[
        ResourceKind::NotebookInstance,
        ResourceKind::TrainingJob,
        ResourceKind::ProcessingJob,
        ResourceKind::HyperParameterTuningJob,
        ResourceKind::TransformJob,
        ResourceKind::Model,
        ResourceKind::EndpointConfig,
        ResourceKind::Domain,
        ResourceKind::Vpc,
        ResourceKind::Subnet,
        ResourceKind::SecurityGroup,
        ResourceKind::KmsKey,
        ResourceKind::Role,
    ];

    /// The swept kind with this plural name.
    pub fn from_plural(name: &str) -> Option<ResourceKind> {
        ResourceKind::SWEPT.iter().copied().find(|kind| kind.plural() == name)
    }

    /// Whether the kind is global (IAM): swept in one region only.
    pub fn is_global(self) -> bool {
        self == ResourceKind::Role
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

    /// The subnets the resource is placed in (SageMaker resources; none for the others).
    pub fn subnet_ids(&self) -> Vec<String> {
        match self {
            Resource::NotebookInstance(n) => match &n.subnet_id {
                Fact::Known(Some(subnet)) => vec![subnet.clone()],
                _ => Vec::new(),
            },
            Resource::Domain(d) => d.subnet_ids.clone(),
            _ => self
                .placements()
                .into_iter()
                .flat_map(|p| p.subnets.iter().cloned())
                .collect(),
        }
    }

    /// The security groups the resource is placed in (SageMaker resources; none for the others).
    pub fn security_group_ids(&self) -> Vec<String> {
        match self {
            Resource::NotebookInstance(n) => n.security_group_ids.known().cloned().unwrap_or_default(),
            _ => self
                .placements()
                .into_iter()
                .flat_map(|p| p.security_group_ids.iter().cloned())
                .collect(),
        }
    }

    /// The VPC placements of a job's definitions or a model's containers.
    fn placements(&self) -> Vec<&VpcPlacement> {
        match self {
            Resource::Job(j) => j
                .specs
                .iter()
                .filter_map(|s| s.network.as_ref().and_then(|n| n.vpc.as_ref()))
                .collect(),
            Resource::Model(m) => m.vpc.iter().collect(),
            _ => Vec::new(),
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
