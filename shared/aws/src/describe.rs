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
    set(value).ok_or(DescribeError { kind, field })
}

/// Reads an AWS enum's wire string into a model enum; `None` when this version does not know it.
fn known<T: DeserializeOwned>(wire: &str) -> Option<T> {
    let deserializer: StrDeserializer<'_, ValueError> = wire.into_deserializer();
    T::deserialize(deserializer).ok()
}

/// An id, key or ARN of an answer: absent and empty (`""`, which AWS returns for some unset
/// ids and keys) are both none, so an empty key id is never a key.
fn set(value: Option<&str>) -> Option<String> {
    value.filter(|v| !v.trim().is_empty()).map(str::to_owned)
}

/// A list of ids of an answer, without empty entries.
fn listed(values: &[String]) -> Vec<String> {
    values.iter().filter(|v| !v.trim().is_empty()).cloned().collect()
}

/// Tags from a ListTags answer.
pub fn tags(list: &[Tag]) -> Tags {
    list.iter()
        .filter_map(|t| Some((t.key()?, t.value().unwrap_or_default())))
        .collect()
}

fn placement(vpc: Option<&VpcConfig>) -> Option<VpcPlacement> {
    vpc.map(|v| VpcPlacement {
        subnets: listed(v.subnets()),
        security_group_ids: listed(v.security_group_ids()),
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
        volume_kms_key_id: set(resources.and_then(|r| r.volume_kms_key_id())),
        output_kms_key_id: Some(set(output.and_then(|o| o.kms_key_id()))),
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
        arn: set(out.notebook_instance_arn()),
        status: out.notebook_instance_status().and_then(|s| known(s.as_str())),
        instance_type: set(out.instance_type().map(|t| t.as_str())).into(),
        direct_internet_access: toggle(out.direct_internet_access().map(|d| d.as_str())),
        root_access: toggle(out.root_access().map(|r| r.as_str())),
        subnet_id: Fact::Known(set(out.subnet_id())),
        security_group_ids: Fact::Known(listed(out.security_groups())),
        kms_key_id: Fact::Known(set(out.kms_key_id())),
        role_arn: set(out.role_arn()).into(),
        tags: Fact::Known(tags),
    })
}

/// A training job from DescribeTrainingJob and its tags.
pub fn training_job(out: &DescribeTrainingJobOutput, tags: Tags) -> Result<Job, DescribeError> {
    Ok(Job {
        kind: JobKind::Training,
        name: name(out.training_job_name(), "training job", "TrainingJobName")?,
        arn: set(out.training_job_arn()),
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
        arn: set(out.processing_job_arn()),
        status: out.processing_job_status().and_then(|s| known(s.as_str())),
        specs: vec![JobSpec {
            network: Some(JobNetwork {
                vpc: placement(network.and_then(|n| n.vpc_config())),
                network_isolation: network.and_then(|n| n.enable_network_isolation()).unwrap_or(false),
                inter_container_encryption: network
                    .and_then(|n| n.enable_inter_container_traffic_encryption())
                    .unwrap_or(false),
            }),
            volume_kms_key_id: set(out
                .processing_resources()
                .and_then(|r| r.cluster_config())
                .and_then(|c| c.volume_kms_key_id())),
            output_kms_key_id: out.processing_output_config().map(|o| set(o.kms_key_id())),
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
        arn: set(out.hyper_parameter_tuning_job_arn()),
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
        arn: set(out.transform_job_arn()),
        status: out.transform_job_status().and_then(|s| known(s.as_str())),
        specs: vec![JobSpec {
            network: None,
            volume_kms_key_id: set(out.transform_resources().and_then(|r| r.volume_kms_key_id())),
            output_kms_key_id: Some(set(out.transform_output().and_then(|o| o.kms_key_id()))),
        }],
        tags,
    })
}

/// A model from DescribeModel and its tags.
pub fn model(out: &DescribeModelOutput, tags: Tags) -> Result<Model, DescribeError> {
    Ok(Model {
        name: name(out.model_name(), "model", "ModelName")?,
        arn: set(out.model_arn()),
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
        arn: set(out.endpoint_config_arn()),
        kms_key_id: set(out.kms_key_id()),
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
        arn: set(out.domain_arn()),
        app_network_access: out
            .app_network_access_type()
            .and_then(|a| known(a.as_str()))
            .unwrap_or(AppNetworkAccess::PublicInternetOnly),
        kms_key_id: set(out.kms_key_id()),
        vpc_id: set(out.vpc_id()),
        subnet_ids: listed(out.subnet_ids()),
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
    fn empty_ids_and_keys_in_an_answer_are_none_and_unknown_values_fail_closed() {
        let out = DescribeNotebookInstanceOutput::builder()
            .notebook_instance_name("nb")
            .notebook_instance_status(NotebookInstanceStatus::from("SomeStatusAddedSince"))
            .direct_internet_access(DirectInternetAccess::from("EnabledForSomeNewReason"))
            .root_access(RootAccess::Disabled)
            .subnet_id("")
            .kms_key_id("")
            .security_groups("")
            .build();
        let n = notebook_instance(&out, Tags::default()).unwrap();
        assert_eq!(n.kms_key_id, Fact::Known(None));
        assert_eq!(n.subnet_id, Fact::Known(None));
        assert_eq!(n.security_group_ids, Fact::Known(Vec::new()));
        assert_eq!(n.direct_internet_access, Fact::Known(Toggle::Enabled));
        assert_eq!(n.status, None);
        assert!(notebook_instance(
            &DescribeNotebookInstanceOutput::builder()
                .notebook_instance_name("")
                .build(),
            Tags::default()
        )
        .is_err());
    }

    #[test]
    fn an_old_jobs_empty_keys_and_subnets_are_none() {
        let out = DescribeTrainingJobOutput::builder()
            .training_job_name("t")
            .training_job_status(TrainingJobStatus::from("SomeNewStatus"))
            .vpc_config(VpcConfig::builder().subnets("").security_group_ids("sg-1").build())
            .resource_config(ResourceConfig::builder().volume_kms_key_id("").build())
            .output_data_config(OutputDataConfig::builder().kms_key_id("").build())
            .build();
        let job = training_job(&out, Tags::default()).unwrap();
        assert_eq!(job.status, Some(JobStatus::Other));
        let spec = &job.specs[0];
        assert_eq!(spec.volume_kms_key_id, None);
        assert_eq!(spec.output_kms_key_id, Some(None));
        assert_eq!(
            spec.network.as_ref().unwrap().vpc.as_ref().unwrap().subnets,
            Vec::<String>::new()
        );
        let domain = domain(
            &DescribeDomainOutput::builder()
                .domain_name("d")
                .app_network_access_type(aws_sdk_sagemaker::types::AppNetworkAccessType::from("Hybrid"))
                .kms_key_id("")
                .build(),
            Tags::default(),
        )
        .unwrap();
        assert_eq!(domain.app_network_access, AppNetworkAccess::PublicInternetOnly);
        assert_eq!(domain.kms_key_id, None);
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
