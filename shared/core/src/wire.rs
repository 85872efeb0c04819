//! Serde shapes of SageMaker resources as AWS writes them in JSON: CloudTrail request
//! parameters (camelCase) and state-change event details (PascalCase, like Describe answers).
//! Each field accepts both spellings, so one shape serves both inputs; conversion into the
//! models applies AWS's defaults where the input is a complete description.

use serde::de::value::{Error as ValueError, StrDeserializer};
use serde::de::{DeserializeOwned, Deserializer, IntoDeserializer};
use serde::Deserialize;

use crate::model::{
    AppNetworkAccess, Domain, EndpointConfig, Fact, Job, JobKind, JobNetwork, JobSpec, JobStatus, Model,
    NotebookInstance, NotebookStatus, ProductionVariant, Tags, Toggle, VpcPlacement,
};

/// How complete the input is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Completeness {
    /// A create call or a full description: an absent setting takes AWS's default.
    Full,
    /// An update call: an absent setting is unchanged, so unknown here.
    Update,
    /// A notebook state-change event: it carries only some settings.
    StateChange,
}

/// Reads a field AWS may write as `null`: `null` and absent both give the type's default.
/// (`#[serde(default)]` covers an absent field only.)
pub(crate) fn or_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// Reads an id, key, ARN or name AWS may leave empty where it means "none": `""`, `null` and
/// absent are all `None` (an empty key id is no key).
pub(crate) fn non_empty<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    Ok(Option::<String>::deserialize(deserializer)?.filter(|s| !s.trim().is_empty()))
}

/// Reads a list of ids AWS may write as `null`, dropping empty strings.
pub(crate) fn ids<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    let mut ids: Vec<String> = or_default(deserializer)?;
    ids.retain(|id| !id.trim().is_empty());
    Ok(ids)
}

/// An AWS enum value: one this version knows, or one AWS added since, kept as written. A new
/// value never makes an input malformed; what it means is decided where it is used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Lenient<T> {
    /// A value this version knows.
    Known(T),
    /// Any other value.
    Unrecognized(String),
}

impl<T> Lenient<T> {
    /// The value, when known.
    pub(crate) fn known(self) -> Option<T> {
        match self {
            Lenient::Known(value) => Some(value),
            Lenient::Unrecognized(_) => None,
        }
    }
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for Lenient<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let wire = String::deserialize(deserializer)?;
        let known: StrDeserializer<'_, ValueError> = wire.as_str().into_deserializer();
        Ok(match T::deserialize(known) {
            Ok(value) => Lenient::Known(value),
            Err(_) => Lenient::Unrecognized(wire),
        })
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct VpcConfigWire {
    #[serde(alias = "subnets", default, deserialize_with = "ids")]
    subnets: Vec<String>,
    #[serde(alias = "securityGroupIds", default, deserialize_with = "ids")]
    security_group_ids: Vec<String>,
}

impl From<VpcConfigWire> for VpcPlacement {
    fn from(wire: VpcConfigWire) -> Self {
        VpcPlacement {
            subnets: wire.subnets,
            security_group_ids: wire.security_group_ids,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct NotebookWire {
    #[serde(alias = "notebookInstanceName")]
    notebook_instance_name: String,
    #[serde(alias = "notebookInstanceArn", default, deserialize_with = "non_empty")]
    notebook_instance_arn: Option<String>,
    #[serde(alias = "notebookInstanceStatus")]
    notebook_instance_status: Option<Lenient<NotebookStatus>>,
    #[serde(alias = "instanceType", default, deserialize_with = "non_empty")]
    instance_type: Option<String>,
    #[serde(alias = "subnetId", default, deserialize_with = "non_empty")]
    subnet_id: Option<String>,
    #[serde(alias = "securityGroupIds", alias = "SecurityGroups")]
    security_group_ids: Option<Vec<String>>,
    #[serde(alias = "kmsKeyId", default, deserialize_with = "non_empty")]
    kms_key_id: Option<String>,
    #[serde(alias = "directInternetAccess")]
    direct_internet_access: Option<Lenient<Toggle>>,
    #[serde(alias = "rootAccess")]
    root_access: Option<Lenient<Toggle>>,
    #[serde(alias = "roleArn", default, deserialize_with = "non_empty")]
    role_arn: Option<String>,
    #[serde(alias = "tags")]
    tags: Option<Tags>,
}

impl NotebookWire {
    /// The status as written when sagefence does not act on it: `Deleted` (which state-change
    /// events carry and Describe answers never do), or one this version does not know.
    pub(crate) fn unhandled_status(&self) -> Option<&str> {
        match &self.notebook_instance_status {
            Some(Lenient::Unrecognized(status)) => Some(status),
            Some(Lenient::Known(NotebookStatus::Deleted)) => Some("Deleted"),
            _ => None,
        }
    }

    pub(crate) fn into_model(self, completeness: Completeness) -> NotebookInstance {
        let full = completeness == Completeness::Full;
        let defaulted = |value: Option<Lenient<Toggle>>| match (value, full) {
            (Some(v), _) => Fact::Known(v.known().unwrap_or(Toggle::Enabled)),
            (None, true) => Fact::Known(Toggle::Enabled),
            (None, false) => Fact::Unknown,
        };
        let optional = |value: Option<String>| {
            if full {
                Fact::Known(value)
            } else {
                value.map(Some).into()
            }
        };
        NotebookInstance {
            name: self.notebook_instance_name,
            arn: self.notebook_instance_arn,
            status: self.notebook_instance_status.and_then(Lenient::known),
            instance_type: self.instance_type.into(),
            direct_internet_access: defaulted(self.direct_internet_access),
            root_access: defaulted(self.root_access),
            subnet_id: optional(self.subnet_id),
            security_group_ids: match (self.security_group_ids, full) {
                (Some(mut groups), _) => {
                    groups.retain(|g| !g.trim().is_empty());
                    Fact::Known(groups)
                }
                (None, true) => Fact::Known(Vec::new()),
                (None, false) => Fact::Unknown,
            },
            kms_key_id: optional(self.kms_key_id),
            role_arn: self.role_arn.into(),
            tags: match (self.tags, completeness) {
                (Some(tags), _) => Fact::Known(tags),
                (None, Completeness::Full) => Fact::Known(Tags::default()),
                (None, _) => Fact::Unknown,
            },
        }
    }
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct KmsKeyWire {
    #[serde(alias = "kmsKeyId", default, deserialize_with = "non_empty")]
    kms_key_id: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct VolumeKmsWire {
    #[serde(alias = "volumeKmsKeyId", default, deserialize_with = "non_empty")]
    volume_kms_key_id: Option<String>,
}

/// The settings shared by a training job and each definition of a tuning job. (A training
/// job repeats these fields rather than flattening them in, so error paths stay exact.)
#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct TrainingSpecWire {
    #[serde(alias = "vpcConfig")]
    vpc_config: Option<VpcConfigWire>,
    #[serde(alias = "enableNetworkIsolation")]
    enable_network_isolation: Option<bool>,
    #[serde(alias = "enableInterContainerTrafficEncryption")]
    enable_inter_container_traffic_encryption: Option<bool>,
    #[serde(alias = "resourceConfig")]
    resource_config: Option<VolumeKmsWire>,
    #[serde(alias = "outputDataConfig")]
    output_data_config: Option<KmsKeyWire>,
}

impl From<TrainingSpecWire> for JobSpec {
    fn from(wire: TrainingSpecWire) -> Self {
        JobSpec {
            network: Some(JobNetwork {
                vpc: wire.vpc_config.map(Into::into),
                network_isolation: wire.enable_network_isolation.unwrap_or(false),
                inter_container_encryption: wire.enable_inter_container_traffic_encryption.unwrap_or(false),
            }),
            volume_kms_key_id: wire.resource_config.and_then(|r| r.volume_kms_key_id),
            output_kms_key_id: Some(wire.output_data_config.and_then(|o| o.kms_key_id)),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct TrainingJobWire {
    #[serde(alias = "trainingJobName")]
    training_job_name: String,
    #[serde(alias = "trainingJobArn", default, deserialize_with = "non_empty")]
    training_job_arn: Option<String>,
    #[serde(alias = "trainingJobStatus")]
    training_job_status: Option<JobStatus>,
    #[serde(alias = "vpcConfig")]
    vpc_config: Option<VpcConfigWire>,
    #[serde(alias = "enableNetworkIsolation")]
    enable_network_isolation: Option<bool>,
    #[serde(alias = "enableInterContainerTrafficEncryption")]
    enable_inter_container_traffic_encryption: Option<bool>,
    #[serde(alias = "resourceConfig")]
    resource_config: Option<VolumeKmsWire>,
    #[serde(alias = "outputDataConfig")]
    output_data_config: Option<KmsKeyWire>,
    #[serde(alias = "tags", default)]
    tags: Tags,
}

impl From<TrainingJobWire> for Job {
    fn from(wire: TrainingJobWire) -> Self {
        let spec = TrainingSpecWire {
            vpc_config: wire.vpc_config,
            enable_network_isolation: wire.enable_network_isolation,
            enable_inter_container_traffic_encryption: wire.enable_inter_container_traffic_encryption,
            resource_config: wire.resource_config,
            output_data_config: wire.output_data_config,
        };
        Job {
            kind: JobKind::Training,
            name: wire.training_job_name,
            arn: wire.training_job_arn,
            status: wire.training_job_status,
            specs: vec![spec.into()],
            tags: wire.tags,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ProcessingNetworkWire {
    #[serde(alias = "vpcConfig")]
    vpc_config: Option<VpcConfigWire>,
    #[serde(alias = "enableNetworkIsolation")]
    enable_network_isolation: Option<bool>,
    #[serde(alias = "enableInterContainerTrafficEncryption")]
    enable_inter_container_traffic_encryption: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ProcessingResourcesWire {
    #[serde(alias = "clusterConfig")]
    cluster_config: Option<VolumeKmsWire>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ProcessingJobWire {
    #[serde(alias = "processingJobName")]
    processing_job_name: String,
    #[serde(alias = "processingJobArn", default, deserialize_with = "non_empty")]
    processing_job_arn: Option<String>,
    #[serde(alias = "processingJobStatus")]
    processing_job_status: Option<JobStatus>,
    #[serde(alias = "networkConfig")]
    network_config: Option<ProcessingNetworkWire>,
    #[serde(alias = "processingResources")]
    processing_resources: Option<ProcessingResourcesWire>,
    #[serde(alias = "processingOutputConfig")]
    processing_output_config: Option<KmsKeyWire>,
    #[serde(alias = "tags", default)]
    tags: Tags,
}

impl From<ProcessingJobWire> for Job {
    fn from(wire: ProcessingJobWire) -> Self {
        let network = wire.network_config.map_or_else(JobNetwork::default, |n| JobNetwork {
            vpc: n.vpc_config.map(Into::into),
            network_isolation: n.enable_network_isolation.unwrap_or(false),
            inter_container_encryption: n.enable_inter_container_traffic_encryption.unwrap_or(false),
        });
        Job {
            kind: JobKind::Processing,
            name: wire.processing_job_name,
            arn: wire.processing_job_arn,
            status: wire.processing_job_status,
            specs: vec![JobSpec {
                network: Some(network),
                volume_kms_key_id: wire
                    .processing_resources
                    .and_then(|r| r.cluster_config)
                    .and_then(|c| c.volume_kms_key_id),
                output_kms_key_id: wire.processing_output_config.map(|o| o.kms_key_id),
            }],
            tags: wire.tags,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct TuningJobWire {
    #[serde(alias = "hyperParameterTuningJobName")]
    hyper_parameter_tuning_job_name: String,
    #[serde(alias = "hyperParameterTuningJobArn", default, deserialize_with = "non_empty")]
    hyper_parameter_tuning_job_arn: Option<String>,
    #[serde(alias = "hyperParameterTuningJobStatus")]
    hyper_parameter_tuning_job_status: Option<JobStatus>,
    #[serde(alias = "trainingJobDefinition")]
    training_job_definition: Option<TrainingSpecWire>,
    #[serde(alias = "trainingJobDefinitions", default, deserialize_with = "or_default")]
    training_job_definitions: Vec<TrainingSpecWire>,
    #[serde(alias = "tags", default)]
    tags: Tags,
}

impl From<TuningJobWire> for Job {
    fn from(wire: TuningJobWire) -> Self {
        let specs = wire
            .training_job_definition
            .into_iter()
            .chain(wire.training_job_definitions)
            .map(Into::into)
            .collect();
        Job {
            kind: JobKind::HyperParameterTuning,
            name: wire.hyper_parameter_tuning_job_name,
            arn: wire.hyper_parameter_tuning_job_arn,
            status: wire.hyper_parameter_tuning_job_status,
            specs,
            tags: wire.tags,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct TransformJobWire {
    #[serde(alias = "transformJobName")]
    transform_job_name: String,
    #[serde(alias = "transformJobArn", default, deserialize_with = "non_empty")]
    transform_job_arn: Option<String>,
    #[serde(alias = "transformJobStatus")]
    transform_job_status: Option<JobStatus>,
    #[serde(alias = "transformResources")]
    transform_resources: Option<VolumeKmsWire>,
    #[serde(alias = "transformOutput")]
    transform_output: Option<KmsKeyWire>,
    #[serde(alias = "tags", default)]
    tags: Tags,
}

impl From<TransformJobWire> for Job {
    fn from(wire: TransformJobWire) -> Self {
        Job {
            kind: JobKind::Transform,
            name: wire.transform_job_name,
            arn: wire.transform_job_arn,
            status: wire.transform_job_status,
            specs: vec![JobSpec {
                network: None,
                volume_kms_key_id: wire.transform_resources.and_then(|r| r.volume_kms_key_id),
                output_kms_key_id: Some(wire.transform_output.and_then(|o| o.kms_key_id)),
            }],
            tags: wire.tags,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ModelWire {
    #[serde(alias = "modelName")]
    model_name: String,
    #[serde(alias = "modelArn", default, deserialize_with = "non_empty")]
    model_arn: Option<String>,
    #[serde(alias = "vpcConfig")]
    vpc_config: Option<VpcConfigWire>,
    #[serde(alias = "enableNetworkIsolation")]
    enable_network_isolation: Option<bool>,
    #[serde(alias = "tags", default)]
    tags: Tags,
}

impl From<ModelWire> for Model {
    fn from(wire: ModelWire) -> Self {
        Model {
            name: wire.model_name,
            arn: wire.model_arn,
            vpc: wire.vpc_config.map(Into::into),
            network_isolation: wire.enable_network_isolation.unwrap_or(false),
            tags: wire.tags,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct VariantWire {
    #[serde(alias = "variantName")]
    variant_name: String,
    #[serde(alias = "initialInstanceCount")]
    initial_instance_count: Option<i32>,
    #[serde(alias = "serverlessConfig")]
    serverless_config: Option<serde::de::IgnoredAny>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct EndpointConfigWire {
    #[serde(alias = "endpointConfigName")]
    endpoint_config_name: String,
    #[serde(alias = "endpointConfigArn", default, deserialize_with = "non_empty")]
    endpoint_config_arn: Option<String>,
    #[serde(alias = "kmsKeyId", default, deserialize_with = "non_empty")]
    kms_key_id: Option<String>,
    #[serde(alias = "productionVariants", default, deserialize_with = "or_default")]
    production_variants: Vec<VariantWire>,
    #[serde(alias = "tags", default)]
    tags: Tags,
}

impl From<EndpointConfigWire> for EndpointConfig {
    fn from(wire: EndpointConfigWire) -> Self {
        EndpointConfig {
            name: wire.endpoint_config_name,
            arn: wire.endpoint_config_arn,
            kms_key_id: wire.kms_key_id,
            variants: wire
                .production_variants
                .into_iter()
                .map(|v| ProductionVariant {
                    name: v.variant_name,
                    initial_instance_count: v.initial_instance_count,
                    serverless: v.serverless_config.is_some(),
                })
                .collect(),
            tags: wire.tags,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct DomainWire {
    #[serde(alias = "domainName")]
    domain_name: String,
    #[serde(alias = "domainArn", default, deserialize_with = "non_empty")]
    domain_arn: Option<String>,
    #[serde(alias = "appNetworkAccessType")]
    app_network_access_type: Option<Lenient<AppNetworkAccess>>,
    #[serde(alias = "kmsKeyId", default, deserialize_with = "non_empty")]
    kms_key_id: Option<String>,
    #[serde(alias = "vpcId", default, deserialize_with = "non_empty")]
    vpc_id: Option<String>,
    #[serde(alias = "subnetIds", default, deserialize_with = "ids")]
    subnet_ids: Vec<String>,
    #[serde(alias = "tags", default)]
    tags: Tags,
}

impl From<DomainWire> for Domain {
    fn from(wire: DomainWire) -> Self {
        Domain {
            name: wire.domain_name,
            arn: wire.domain_arn,
            app_network_access: wire
                .app_network_access_type
                .and_then(Lenient::known)
                .unwrap_or(AppNetworkAccess::PublicInternetOnly),
            kms_key_id: wire.kms_key_id,
            vpc_id: wire.vpc_id,
            subnet_ids: wire.subnet_ids,
            tags: wire.tags,
        }
    }
}
