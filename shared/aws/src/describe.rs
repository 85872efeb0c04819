//! Conversions from AWS SDK Describe* answers into the models, so the sweeper and the
//! guardrail's online look-ups evaluate with the same rules as events. Describe answers do not
//! carry tags: the caller passes the resource's tags from ListTags.

use aws_sdk_sagemaker::operation::describe_domain::DescribeDomainOutput;
use aws_sdk_sagemaker::operation::describe_endpoint_config::DescribeEndpointConfigOutput;
use aws_sdk_sagemaker::operation::describe_hyper_parameter_tuning_job::DescribeHyperParameterTuningJobOutput;
use aws_sdk_sagemaker::operation::describe_model::DescribeModelOutput;
use aws_sdk_sagemaker::operation::describe_notebook_instance::DescribeNotebookInstanceOutput;
use aws_sdk_sagemaker::operation::describe_processing_job::DescribeProcessingJobOutput;
use aws_sdk_sagemaker::operation::describe_training_job::DescribeTrainingJobOutput;
use aws_sdk_sagemaker::operation::describe_transform_job::DescribeTransformJobOutput;
use aws_sdk_sagemaker::types::{HyperParameterTrainingJobDefinition, OutputDataConfig, ResourceConfig, Tag, VpcConfig};
use serde::de::value::{Error as ValueError, StrDeserializer};
use serde::de::{DeserializeOwned, IntoDeserializer};
use thiserror::Error;

use sagefence_core::model::{
    AppNetworkAccess, Domain, EndpointConfig, Fact, Job, JobKind, JobNetwork, JobSpec, Model, NotebookInstance,
    ProductionVariant, Tags, Toggle, VpcPlacement,
};

/// A Describe answer lacks what every answer of its kind carries.
#[derive(Debug, Error, PartialEq, Eq)]
#[error("describe answer for a {kind} has no `{field}`")]
pub struct DescribeError {
    /// The resource kind.
    pub kind: &'static str,
    /// The missing field.
    pub field: &'static str,
}

fn name(value: Option<&str>, kind: &'static str, field: &'static str) -> Result<String, DescribeError> {
    value.map(str::to_owned).ok_or(DescribeError { kind, field })
}

/// Reads an AWS enum's wire string into a model enum; `None` when this version does not know it.
fn known<T: DeserializeOwned>(wire: &str) -> Option<T> {
    let deserializer: StrDeserializer<'_, ValueError> = wire.into_deserializer();
    T::deserialize(deserializer).ok()
}

/// Tags from a ListTags answer.
pub fn tags(list: &[Tag]) -> Tags {
    list.iter()
        .filter_map(|t| Some((t.key()?, t.value().unwrap_or_default())))
        .collect()
}

fn placement(vpc: Option<&VpcConfig>) -> Option<VpcPlacement> {
    vpc.map(|v| VpcPlacement {
        subnets: v.subnets().to_vec(),
        security_group_ids: v.security_group_ids().to_vec(),
    })
}

fn training_spec(
    vpc: Option<&VpcConfig>,
    isolation: Option<bool>,
    inter_container: Option<bool>,
    resources: Option<&ResourceConfig>,
    output: Option<&OutputDataConfig>,
) -> JobSpec {
    JobSpec {
        network: Some(JobNetwork {
            vpc: placement(vpc),
            network_isolation: isolation.unwrap_or(false),
            inter_container_encryption: inter_container.unwrap_or(false),
        }),
        volume_kms_key_id: resources.and_then(|r| r.volume_kms_key_id()).map(str::to_owned),
        output_kms_key_id: Some(output.and_then(|o| o.kms_key_id()).map(str::to_owned)),
    }
}

/// A notebook instance from DescribeNotebookInstance and its tags.
pub fn notebook_instance(out: &DescribeNotebookInstanceOutput, tags: Tags) -> Result<NotebookInstance, DescribeError> {
    let toggle = |wire: Option<&str>| Fact::Known(wire.and_then(known::<Toggle>).unwrap_or(Toggle::Enabled));
    Ok(NotebookInstance {
        name: name(
            out.notebook_instance_name(),
            "notebook instance",
            "NotebookInstanceName",
        )?,
        arn: out.notebook_instance_arn().map(str::to_owned),
        status: out.notebook_instance_status().and_then(|s| known(s.as_str())),
        instance_type: out.instance_type().map(|t| t.as_str().to_owned()).into(),
        direct_internet_access: toggle(out.direct_internet_access().map(|d| d.as_str())),
        root_access: toggle(out.root_access().map(|r| r.as_str())),
        subnet_id: Fact::Known(out.subnet_id().map(str::to_owned)),
        security_group_ids: Fact::Known(out.security_groups().to_vec()),
        kms_key_id: Fact::Known(out.kms_key_id().map(str::to_owned)),
        role_arn: out.role_arn().map(str::to_owned).into(),
        tags: Fact::Known(tags),
    })
}

/// A training job from DescribeTrainingJob and its tags.
pub fn training_job(out: &DescribeTrainingJobOutput, tags: Tags) -> Result<Job, DescribeError> {
    Ok(Job {
        kind: JobKind::Training,
        name: name(out.training_job_name(), "training job", "TrainingJobName")?,
        arn: out.training_job_arn().map(str::to_owned),
        status: out.training_job_status().and_then(|s| known(s.as_str())),
        specs: vec![training_spec(
            out.vpc_config(),
            out.enable_network_isolation(),
            out.enable_inter_container_traffic_encryption(),
            out.resource_config(),
            out.output_data_config(),
        )],
        tags,
    })
}

/// A processing job from DescribeProcessingJob and its tags.
pub fn processing_job(out: &DescribeProcessingJobOutput, tags: Tags) -> Result<Job, DescribeError> {
    let network = out.network_config();
    Ok(Job {
        kind: JobKind::Processing,
        name: name(out.processing_job_name(), "processing job", "ProcessingJobName")?,
        arn: out.processing_job_arn().map(str::to_owned),
        status: out.processing_job_status().and_then(|s| known(s.as_str())),
        specs: vec![JobSpec {
            network: Some(JobNetwork {
                vpc: placement(network.and_then(|n| n.vpc_config())),
                network_isolation: network.and_then(|n| n.enable_network_isolation()).unwrap_or(false),
                inter_container_encryption: network
                    .and_then(|n| n.enable_inter_container_traffic_encryption())
                    .unwrap_or(false),
            }),
            volume_kms_key_id: out
                .processing_resources()
                .and_then(|r| r.cluster_config())
                .and_then(|c| c.volume_kms_key_id())
                .map(str::to_owned),
            output_kms_key_id: out
                .processing_output_config()
                .map(|o| o.kms_key_id().map(str::to_owned)),
        }],
        tags,
    })
}

fn tuning_spec(definition: &HyperParameterTrainingJobDefinition) -> JobSpec {
    training_spec(
        definition.vpc_config(),
        definition.enable_network_isolation(),
        definition.enable_inter_container_traffic_encryption(),
        definition.resource_config(),
        definition.output_data_config(),
    )
}

/// A hyperparameter tuning job from DescribeHyperParameterTuningJob and its tags.
pub fn tuning_job(out: &DescribeHyperParameterTuningJobOutput, tags: Tags) -> Result<Job, DescribeError> {
    Ok(Job {
        kind: JobKind::HyperParameterTuning,
        name: name(
            out.hyper_parameter_tuning_job_name(),
            "hyperparameter tuning job",
            "HyperParameterTuningJobName",
        )?,
        arn: out.hyper_parameter_tuning_job_arn().map(str::to_owned),
        status: out.hyper_parameter_tuning_job_status().and_then(|s| known(s.as_str())),
        specs: out
            .training_job_definition()
            .into_iter()
            .chain(out.training_job_definitions())
            .map(tuning_spec)
            .collect(),
        tags,
    })
}

/// A transform job from DescribeTransformJob and its tags.
pub fn transform_job(out: &DescribeTransformJobOutput, tags: Tags) -> Result<Job, DescribeError> {
    Ok(Job {
        kind: JobKind::Transform,
        name: name(out.transform_job_name(), "transform job", "TransformJobName")?,
        arn: out.transform_job_arn().map(str::to_owned),
        status: out.transform_job_status().and_then(|s| known(s.as_str())),
        specs: vec![JobSpec {
            network: None,
            volume_kms_key_id: out
                .transform_resources()
                .and_then(|r| r.volume_kms_key_id())
                .map(str::to_owned),
            output_kms_key_id: Some(out.transform_output().and_then(|o| o.kms_key_id()).map(str::to_owned)),
        }],
        tags,
    })
}

/// A model from DescribeModel and its tags.
pub fn model(out: &DescribeModelOutput, tags: Tags) -> Result<Model, DescribeError> {
    Ok(Model {
        name: name(out.model_name(), "model", "ModelName")?,
        arn: out.model_arn().map(str::to_owned),
        vpc: placement(out.vpc_config()),
        network_isolation: out.enable_network_isolation().unwrap_or(false),
        tags,
    })
}

/// An endpoint configuration from DescribeEndpointConfig and its tags.
pub fn endpoint_config(out: &DescribeEndpointConfigOutput, tags: Tags) -> Result<EndpointConfig, DescribeError> {
    Ok(EndpointConfig {
        name: name(
            out.endpoint_config_name(),
            "endpoint configuration",
            "EndpointConfigName",
        )?,
        arn: out.endpoint_config_arn().map(str::to_owned),
        kms_key_id: out.kms_key_id().map(str::to_owned),
        variants: out
            .production_variants()
            .iter()
            .map(|v| ProductionVariant {
                name: v.variant_name().unwrap_or_default().to_owned(),
                initial_instance_count: v.initial_instance_count(),
                serverless: v.serverless_config().is_some(),
            })
            .collect(),
        tags,
    })
}

/// A Studio domain from DescribeDomain and its tags.
pub fn domain(out: &DescribeDomainOutput, tags: Tags) -> Result<Domain, DescribeError> {
    Ok(Domain {
        name: name(out.domain_name(), "domain", "DomainName")?,
        arn: out.domain_arn().map(str::to_owned),
        app_network_access: out
            .app_network_access_type()
            .and_then(|a| known(a.as_str()))
            .unwrap_or(AppNetworkAccess::PublicInternetOnly),
        kms_key_id: out.kms_key_id().map(str::to_owned),
        vpc_id: out.vpc_id().map(str::to_owned),
        subnet_ids: out.subnet_ids().to_vec(),
        tags,
    })
}

#[cfg(test)]
mod tests {
    use aws_sdk_sagemaker::types::{DirectInternetAccess, NotebookInstanceStatus, RootAccess, TrainingJobStatus};

    use super::*;
    use sagefence_core::model::{JobStatus, NotebookStatus};

    #[test]
    fn a_notebook_answer_without_access_settings_means_enabled() {
        let out = DescribeNotebookInstanceOutput::builder()
            .notebook_instance_name("nb")
            .notebook_instance_status(NotebookInstanceStatus::InService)
            .build();
        let n = notebook_instance(&out, Tags::default()).unwrap();
        assert_eq!(n.direct_internet_access, Fact::Known(Toggle::Enabled));
        assert_eq!(n.root_access, Fact::Known(Toggle::Enabled));
        assert_eq!(n.subnet_id, Fact::Known(None));
        assert_eq!(n.status, Some(NotebookStatus::InService));
    }

    #[test]
    fn a_notebook_answer_keeps_its_settings() {
        let out = DescribeNotebookInstanceOutput::builder()
            .notebook_instance_name("nb")
            .direct_internet_access(DirectInternetAccess::Disabled)
            .root_access(RootAccess::Disabled)
            .subnet_id("subnet-1")
            .kms_key_id("key-1")
            .build();
        let n = notebook_instance(&out, Tags::default()).unwrap();
        assert_eq!(n.direct_internet_access, Fact::Known(Toggle::Disabled));
        assert_eq!(n.root_access, Fact::Known(Toggle::Disabled));
        assert_eq!(n.subnet_id, Fact::Known(Some("subnet-1".to_owned())));
        assert_eq!(n.kms_key_id, Fact::Known(Some("key-1".to_owned())));
    }

    #[test]
    fn an_answer_without_a_name_is_an_error() {
        let out = DescribeModelOutput::builder().build();
        assert_eq!(
            model(&out, Tags::default()).unwrap_err().to_string(),
            "describe answer for a model has no `ModelName`"
        );
    }

    #[test]
    fn a_training_answer_defaults_isolation_and_encryption_to_false() {
        let out = DescribeTrainingJobOutput::builder()
            .training_job_name("t")
            .training_job_status(TrainingJobStatus::InProgress)
            .build();
        let job = training_job(&out, Tags::default()).unwrap();
        assert_eq!(job.status, Some(JobStatus::InProgress));
        let network = job.specs[0].network.as_ref().unwrap();
        assert!(!network.network_isolation);
        assert!(!network.inter_container_encryption);
        assert_eq!(network.vpc, None);
        assert_eq!(job.specs[0].output_kms_key_id, Some(None));
    }
}
