//! The world the tests run in: the emulator's account, a project's network, key and roles
//! (compliant with the built-in policy), and the SageMaker notebooks, jobs and models, queues
//! and topics the tests create in it or read back from it.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_ec2::types::builders::IpPermissionBuilder;
use aws_sdk_ec2::types::{
    AttributeBooleanValue, FlowLogsResourceType, IpPermission, IpRange, LogDestinationType, ResourceType,
    Tag as Ec2Tag, TagSpecification, TrafficType, VpcEndpointType,
};
use aws_sdk_sagemaker::error::ProvideErrorMetadata;
use aws_sdk_sagemaker::operation::create_endpoint_config::builders::CreateEndpointConfigFluentBuilder;
use aws_sdk_sagemaker::operation::create_hyper_parameter_tuning_job::builders::CreateHyperParameterTuningJobFluentBuilder;
use aws_sdk_sagemaker::operation::create_processing_job::builders::CreateProcessingJobFluentBuilder;
use aws_sdk_sagemaker::operation::create_training_job::builders::CreateTrainingJobFluentBuilder;
use aws_sdk_sagemaker::operation::create_transform_job::builders::CreateTransformJobFluentBuilder;
use aws_sdk_sagemaker::operation::describe_notebook_instance::DescribeNotebookInstanceOutput;
use aws_sdk_sagemaker::types::{
    AlgorithmSpecification, AppSpecification, ContainerDefinition, DirectInternetAccess,
    HyperParameterAlgorithmSpecification, HyperParameterTrainingJobDefinition, HyperParameterTuningJobConfig,
    HyperParameterTuningJobStrategyType, InstanceType, NotebookInstanceStatus, OutputDataConfig,
    ProcessingClusterConfig, ProcessingInstanceType, ProcessingResources, ProductionVariant,
    ProductionVariantInstanceType, ResourceConfig, ResourceLimits, RootAccess, S3DataType, StoppingCondition,
    Tag as SageMakerTag, TrainingInputMode, TrainingInstanceType, TransformDataSource, TransformInput,
    TransformInstanceType, TransformOutput, TransformResources, TransformS3DataSource, VpcConfig,
};

use crate::error::{aws, missing};
use crate::{Emulator, JobKind, SupportError, REGION};

/// The emulator's account (moto's default).
pub const ACCOUNT: &str = "123456789012";
/// The project every test resource belongs to.
pub const PROJECT: &str = "alpha";
/// The tag key naming a resource's project (the built-in policy's).
pub const PROJECT_TAG: &str = "sagefence:project";
/// The tag key naming a resource's owner (the built-in policy's).
pub const OWNER_TAG: &str = "sagefence:owner";
/// The owner of every test resource.
pub const OWNER: &str = "alice";
/// The execution role of resources whose role a test does not look at.
pub const TEST_ROLE_ARN: &str = "arn:aws:iam::123456789012:role/sagefence-tests";
/// The first backoff delay in tests: short, so throttled calls retry within milliseconds.
pub const TEST_BASE_DELAY: Duration = Duration::from_millis(5);
/// The log group prefix of flow logs the guardrail recreates.
pub const FLOW_LOG_GROUP_PREFIX: &str = "/sagefence/flow-logs/";
/// The VPC endpoint services a project VPC needs under the built-in policy.
pub const REQUIRED_ENDPOINT_SERVICES: [&str; 6] =
    ["sagemaker.api", "sagemaker.runtime", "notebook", "sts", "logs", "s3"];

const ASSUME_SAGEMAKER: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"sagemaker.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
const ASSUME_FLOW_LOGS: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"vpc-flow-logs.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

/// Creates a standard queue; answers its URL.
pub async fn create_queue(sqs: &aws_sdk_sqs::Client, name: &str) -> Result<String, SupportError> {
    let queue = sqs
        .create_queue()
        .queue_name(name)
        .send()
        .await
        .map_err(aws("CreateQueue"))?;
    Ok(queue
        .queue_url()
        .ok_or_else(|| missing("CreateQueue", "QueueUrl"))?
        .to_owned())
}

/// Deletes a received message from the queue.
pub async fn delete_message(
    sqs: &aws_sdk_sqs::Client,
    queue_url: &str,
    receipt_handle: &str,
) -> Result<(), SupportError> {
    sqs.delete_message()
        .queue_url(queue_url)
        .receipt_handle(receipt_handle)
        .send()
        .await
        .map_err(aws("DeleteMessage"))?;
    Ok(())
}

/// Creates the notification topic (`sagefence-notifications`); answers its ARN.
pub async fn create_topic(sns: &aws_sdk_sns::Client) -> Result<String, SupportError> {
    let topic = sns
        .create_topic()
        .name("sagefence-notifications")
        .send()
        .await
        .map_err(aws("CreateTopic"))?;
    Ok(topic
        .topic_arn()
        .ok_or_else(|| missing("CreateTopic", "TopicArn"))?
        .to_owned())
}

/// A project's network, key and roles in the emulator, compliant with the built-in policy:
/// a VPC tagged with the project (no internet gateway, a flow log, every required endpoint),
/// a subnet and a security group in it, a customer-managed KMS key tagged with the project
/// (rotation on), a notebook execution role tagged with the project, and a flow-log role.
#[derive(Debug, Clone)]
pub struct ProjectNetwork {
    /// The project VPC.
    pub vpc_id: String,
    /// Its subnet.
    pub subnet_id: String,
    /// Its security group.
    pub security_group_id: String,
    /// Its flow log.
    pub flow_log_id: String,
    /// The project key's id.
    pub key_id: String,
    /// The project key's ARN.
    pub key_arn: String,
    /// The notebook execution role's name.
    pub role_name: String,
    /// The notebook execution role's ARN.
    pub role_arn: String,
    /// The role flow logs deliver with.
    pub flow_log_role_arn: String,
}

impl ProjectNetwork {
    /// Creates the project's network, key and roles.
    pub async fn create(emulator: &Emulator) -> Result<Self, SupportError> {
        let vpc_id = create_vpc(emulator, "10.42.0.0/16", Some(PROJECT)).await?;
        let subnet_id = create_subnet(emulator, &vpc_id, "10.42.1.0/24").await?;
        let security_group_id = create_security_group(emulator, &vpc_id, "alpha-notebooks").await?;
        let flow_log_role_arn = create_role(emulator, "sagefence-flow-logs", ASSUME_FLOW_LOGS, None).await?;
        let flow_log_id = create_flow_log(emulator, &vpc_id, &flow_log_role_arn).await?;
        let ec2 = emulator.ec2();
        for service in REQUIRED_ENDPOINT_SERVICES {
            let kind = if service == "s3" {
                VpcEndpointType::Gateway
            } else {
                VpcEndpointType::Interface
            };
            ec2.create_vpc_endpoint()
                .vpc_id(&vpc_id)
                .service_name(format!("com.amazonaws.{REGION}.{service}"))
                .vpc_endpoint_type(kind)
                .send()
                .await
                .map_err(aws("CreateVpcEndpoint"))?;
        }
        let (key_id, key_arn) = create_key(emulator, Some(PROJECT), true).await?;
        let role_name = format!("sagefence-project-{PROJECT}-notebook-{OWNER}");
        let role_arn = create_role(emulator, &role_name, ASSUME_SAGEMAKER, Some(PROJECT)).await?;
        Ok(ProjectNetwork {
            vpc_id,
            subnet_id,
            security_group_id,
            flow_log_id,
            key_id,
            key_arn,
            role_name,
            role_arn,
            flow_log_role_arn,
        })
    }

    /// A notebook compliant with the built-in policy in this project: no direct internet
    /// access, no root access, in the project subnet, encrypted with the project key, tagged
    /// with project and owner.
    pub fn notebook(&self, name: &str) -> NotebookSpec {
        NotebookSpec {
            name: name.to_owned(),
            instance_type: InstanceType::MlT3Medium,
            subnet_id: Some(self.subnet_id.clone()),
            security_group_ids: vec![self.security_group_id.clone()],
            kms_key_id: Some(self.key_arn.clone()),
            direct_internet_access: DirectInternetAccess::Disabled,
            root_access: RootAccess::Disabled,
            role_arn: self.role_arn.clone(),
            tags: vec![
                (PROJECT_TAG.to_owned(), PROJECT.to_owned()),
                (OWNER_TAG.to_owned(), OWNER.to_owned()),
            ],
        }
    }
}

/// Creates a VPC, tagged with `project` when given; returns its id.
pub async fn create_vpc(emulator: &Emulator, cidr: &str, project: Option<&str>) -> Result<String, SupportError> {
    let mut call = emulator.ec2().create_vpc().cidr_block(cidr);
    if let Some(project) = project {
        call = call.tag_specifications(
            TagSpecification::builder()
                .resource_type(ResourceType::Vpc)
                .tags(Ec2Tag::builder().key(PROJECT_TAG).value(project).build())
                .build(),
        );
    }
    let out = call.send().await.map_err(aws("CreateVpc"))?;
    out.vpc()
        .and_then(|v| v.vpc_id())
        .map(str::to_owned)
        .ok_or_else(|| missing("CreateVpc", "Vpc.VpcId"))
}

/// Creates a subnet in `vpc_id`; returns its id.
pub async fn create_subnet(emulator: &Emulator, vpc_id: &str, cidr: &str) -> Result<String, SupportError> {
    let out = emulator
        .ec2()
        .create_subnet()
        .vpc_id(vpc_id)
        .cidr_block(cidr)
        .availability_zone(format!("{REGION}a"))
        .send()
        .await
        .map_err(aws("CreateSubnet"))?;
    out.subnet()
        .and_then(|s| s.subnet_id())
        .map(str::to_owned)
        .ok_or_else(|| missing("CreateSubnet", "Subnet.SubnetId"))
}

/// Creates a security group in `vpc_id`; returns its id.
pub async fn create_security_group(emulator: &Emulator, vpc_id: &str, name: &str) -> Result<String, SupportError> {
    let out = emulator
        .ec2()
        .create_security_group()
        .group_name(name)
        .description("sagefence test group")
        .vpc_id(vpc_id)
        .send()
        .await
        .map_err(aws("CreateSecurityGroup"))?;
    out.group_id()
        .map(str::to_owned)
        .ok_or_else(|| missing("CreateSecurityGroup", "GroupId"))
}

/// Creates a flow log of every packet of `vpc_id` to CloudWatch Logs; returns its id.
pub async fn create_flow_log(emulator: &Emulator, vpc_id: &str, role_arn: &str) -> Result<String, SupportError> {
    let out = emulator
        .ec2()
        .create_flow_logs()
        .resource_type(FlowLogsResourceType::Vpc)
        .resource_ids(vpc_id)
        .traffic_type(TrafficType::All)
        .log_destination_type(LogDestinationType::CloudWatchLogs)
        .log_group_name(format!("/test/flow-logs/{vpc_id}"))
        .deliver_logs_permission_arn(role_arn)
        .send()
        .await
        .map_err(aws("CreateFlowLogs"))?;
    out.flow_log_ids()
        .first()
        .cloned()
        .ok_or_else(|| missing("CreateFlowLogs", "FlowLogIds"))
}

/// The ids of the active flow logs of `vpc_id`.
pub async fn flow_logs(emulator: &Emulator, vpc_id: &str) -> Result<Vec<String>, SupportError> {
    let out = emulator
        .ec2()
        .describe_flow_logs()
        .filter(
            aws_sdk_ec2::types::Filter::builder()
                .name("resource-id")
                .values(vpc_id)
                .build(),
        )
        .send()
        .await
        .map_err(aws("DescribeFlowLogs"))?;
    Ok(out
        .flow_logs()
        .iter()
        .filter(|l| l.flow_log_status() == Some("ACTIVE"))
        .filter_map(|l| l.flow_log_id().map(str::to_owned))
        .collect())
}

/// Creates a customer-managed symmetric key, tagged with `project` when given, with automatic
/// rotation on or off; returns its id and ARN.
pub async fn create_key(
    emulator: &Emulator,
    project: Option<&str>,
    rotation: bool,
) -> Result<(String, String), SupportError> {
    let kms = emulator.kms();
    let mut call = kms.create_key().description("sagefence test key");
    if let Some(project) = project {
        let tag = aws_sdk_kms::types::Tag::builder()
            .tag_key(PROJECT_TAG)
            .tag_value(project)
            .build()
            .map_err(aws("CreateKey"))?;
        call = call.tags(tag);
    }
    let out = call.send().await.map_err(aws("CreateKey"))?;
    let meta = out.key_metadata().ok_or_else(|| missing("CreateKey", "KeyMetadata"))?;
    let key_id = meta.key_id().to_owned();
    let key_arn = meta
        .arn()
        .ok_or_else(|| missing("CreateKey", "KeyMetadata.Arn"))?
        .to_owned();
    if rotation {
        kms.enable_key_rotation()
            .key_id(&key_id)
            .send()
            .await
            .map_err(aws("EnableKeyRotation"))?;
    }
    Ok((key_id, key_arn))
}

/// Creates an IAM role trusting the principal of `assume_policy`, tagged with `project` when
/// given; returns its ARN.
pub async fn create_role(
    emulator: &Emulator,
    name: &str,
    assume_policy: &str,
    project: Option<&str>,
) -> Result<String, SupportError> {
    let mut call = emulator
        .iam()
        .create_role()
        .role_name(name)
        .assume_role_policy_document(assume_policy);
    if let Some(project) = project {
        let tag = aws_sdk_iam::types::Tag::builder()
            .key(PROJECT_TAG)
            .value(project)
            .build()
            .map_err(aws("CreateRole"))?;
        call = call.tags(tag);
    }
    let out = call.send().await.map_err(aws("CreateRole"))?;
    Ok(out
        .role()
        .ok_or_else(|| missing("CreateRole", "Role"))?
        .arn()
        .to_owned())
}

/// Creates a notebook execution role (trusting SageMaker), tagged with `project` when given.
pub async fn create_notebook_role(
    emulator: &Emulator,
    name: &str,
    project: Option<&str>,
) -> Result<String, SupportError> {
    create_role(emulator, name, ASSUME_SAGEMAKER, project).await
}

/// A notebook instance to create.
#[derive(Debug, Clone)]
pub struct NotebookSpec {
    /// Its name.
    pub name: String,
    /// Its instance type.
    pub instance_type: InstanceType,
    /// Its subnet.
    pub subnet_id: Option<String>,
    /// Its security groups.
    pub security_group_ids: Vec<String>,
    /// The key encrypting its volume.
    pub kms_key_id: Option<String>,
    /// DirectInternetAccess.
    pub direct_internet_access: DirectInternetAccess,
    /// RootAccess.
    pub root_access: RootAccess,
    /// Its execution role.
    pub role_arn: String,
    /// Its tags.
    pub tags: Vec<(String, String)>,
}

impl NotebookSpec {
    /// The same notebook with direct internet access (`notebook-direct-internet-disabled` fails).
    pub fn with_direct_internet(mut self) -> Self {
        self.direct_internet_access = DirectInternetAccess::Enabled;
        self
    }

    /// The same notebook with root access (`notebook-root-access-disabled` fails).
    pub fn with_root_access(mut self) -> Self {
        self.root_access = RootAccess::Enabled;
        self
    }

    /// Creates it; returns its ARN.
    pub async fn create(&self, emulator: &Emulator) -> Result<String, SupportError> {
        let mut call = emulator
            .sagemaker()
            .create_notebook_instance()
            .notebook_instance_name(&self.name)
            .instance_type(self.instance_type.clone())
            .role_arn(&self.role_arn)
            .set_subnet_id(self.subnet_id.clone())
            .set_security_group_ids(Some(self.security_group_ids.clone()))
            .set_kms_key_id(self.kms_key_id.clone())
            .direct_internet_access(self.direct_internet_access.clone())
            .root_access(self.root_access.clone());
        for (key, value) in &self.tags {
            call = call.tags(SageMakerTag::builder().key(key).value(value).build());
        }
        let out = call.send().await.map_err(aws("CreateNotebookInstance"))?;
        out.notebook_instance_arn()
            .map(str::to_owned)
            .ok_or_else(|| missing("CreateNotebookInstance", "NotebookInstanceArn"))
    }
}

/// Creates a notebook with only what AWS requires (an ml.t3.medium run as [`TEST_ROLE_ARN`])
/// and these tags, AWS's defaults for the rest; returns its ARN.
pub async fn create_bare_notebook(
    emulator: &Emulator,
    name: &str,
    tags: &[(&str, &str)],
) -> Result<String, SupportError> {
    let out = emulator
        .sagemaker()
        .create_notebook_instance()
        .notebook_instance_name(name)
        .instance_type(InstanceType::MlT3Medium)
        .role_arn(TEST_ROLE_ARN)
        .set_tags((!tags.is_empty()).then(|| tags.iter().map(|(key, value)| tag(key, value)).collect()))
        .send()
        .await
        .map_err(aws("CreateNotebookInstance"))?;
    out.notebook_instance_arn()
        .map(str::to_owned)
        .ok_or_else(|| missing("CreateNotebookInstance", "NotebookInstanceArn"))
}

/// The notebook `name` as `DescribeNotebookInstance` answers.
pub async fn describe_notebook(
    emulator: &Emulator,
    name: &str,
) -> Result<DescribeNotebookInstanceOutput, SupportError> {
    emulator
        .sagemaker()
        .describe_notebook_instance()
        .notebook_instance_name(name)
        .send()
        .await
        .map_err(aws("DescribeNotebookInstance"))
}

/// The status of the notebook `name`.
pub async fn notebook_status(emulator: &Emulator, name: &str) -> Result<NotebookInstanceStatus, SupportError> {
    let out = describe_notebook(emulator, name).await?;
    out.notebook_instance_status()
        .cloned()
        .ok_or_else(|| missing("DescribeNotebookInstance", "NotebookInstanceStatus"))
}

/// A notebook instance as the emulator describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotebookState {
    /// NotebookInstanceStatus.
    pub status: String,
    /// RootAccess.
    pub root_access: Option<String>,
    /// DirectInternetAccess.
    pub direct_internet_access: Option<String>,
    /// Its tags.
    pub tags: BTreeMap<String, String>,
}

impl NotebookState {
    /// The sagefence bookkeeping tags (`sagefence:violation`, `sagefence:remedy`,
    /// `sagefence:restart`) it carries.
    pub fn sagefence_tags(&self) -> BTreeMap<String, String> {
        self.tags
            .iter()
            .filter(|(k, _)| ["sagefence:violation", "sagefence:remedy", "sagefence:restart"].contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }
}

/// The notebook `name` as it is now; `None` when it does not exist.
pub async fn notebook_state(emulator: &Emulator, name: &str) -> Result<Option<NotebookState>, SupportError> {
    let sagemaker = emulator.sagemaker();
    let out = match sagemaker
        .describe_notebook_instance()
        .notebook_instance_name(name)
        .send()
        .await
    {
        Ok(out) => out,
        Err(error) if error.message().is_some_and(|m| m.contains("RecordNotFound")) => return Ok(None),
        Err(error) => return Err(aws("DescribeNotebookInstance")(error)),
    };
    let arn = out
        .notebook_instance_arn()
        .ok_or_else(|| missing("DescribeNotebookInstance", "NotebookInstanceArn"))?;
    let tags = sagemaker
        .list_tags()
        .resource_arn(arn)
        .send()
        .await
        .map_err(aws("ListTags"))?;
    Ok(Some(NotebookState {
        status: out
            .notebook_instance_status()
            .map(|s| s.as_str().to_owned())
            .unwrap_or_default(),
        root_access: out.root_access().map(|r| r.as_str().to_owned()),
        direct_internet_access: out.direct_internet_access().map(|d| d.as_str().to_owned()),
        tags: tags
            .tags()
            .iter()
            .filter_map(|t| Some((t.key()?.to_owned(), t.value().unwrap_or_default().to_owned())))
            .collect(),
    }))
}

/// Creates the notebook of `spec` and brings it `InService`; returns its ARN.
pub async fn running_notebook(emulator: &Emulator, spec: &NotebookSpec) -> Result<String, SupportError> {
    let arn = spec.create(emulator).await?;
    emulator.set_notebook_status(&spec.name, "InService").await?;
    Ok(arn)
}

/// The project's subnet and security group as a SageMaker VPC config.
pub fn project_vpc(project: &ProjectNetwork) -> VpcConfig {
    VpcConfig::builder()
        .subnets(&project.subnet_id)
        .security_group_ids(&project.security_group_id)
        .build()
}

/// The project's tags (project and owner) for a SageMaker resource.
pub fn project_tags() -> Vec<SageMakerTag> {
    vec![tag(PROJECT_TAG, PROJECT), tag(OWNER_TAG, OWNER)]
}

fn tag(key: &str, value: &str) -> SageMakerTag {
    SageMakerTag::builder().key(key).value(value).build()
}

/// Creates a training job of the project (encrypted, isolated, tagged with project and owner),
/// in the project VPC when `in_vpc`; it is `InProgress` until told otherwise. Returns its ARN.
pub async fn create_training_job(
    emulator: &Emulator,
    project: &ProjectNetwork,
    name: &str,
    in_vpc: bool,
) -> Result<String, SupportError> {
    let vpc = in_vpc.then(|| project_vpc(project));
    create_training_job_with(
        emulator,
        project,
        name,
        vpc,
        &[(PROJECT_TAG, PROJECT), (OWNER_TAG, OWNER)],
    )
    .await
}

/// Creates a training job of the project (encrypted, isolated) with this VPC config and these
/// tags; it is `InProgress` until told otherwise. Returns its ARN.
pub async fn create_training_job_with(
    emulator: &Emulator,
    project: &ProjectNetwork,
    name: &str,
    vpc: Option<VpcConfig>,
    tags: &[(&str, &str)],
) -> Result<String, SupportError> {
    let out = training_job_request(
        &emulator.sagemaker(),
        name,
        &project.role_arn,
        &project.key_arn,
        Some(&project.key_arn),
    )
    .set_vpc_config(vpc)
    .enable_network_isolation(true)
    .enable_inter_container_traffic_encryption(true)
    .set_tags(Some(tags.iter().map(|(key, value)| tag(key, value)).collect()))
    .send()
    .await
    .map_err(aws("CreateTrainingJob"))?;
    out.training_job_arn()
        .map(str::to_owned)
        .ok_or_else(|| missing("CreateTrainingJob", "TrainingJobArn"))
}

/// A `CreateTrainingJob` request for `name` run as `role_arn`: an XGBoost image in file mode,
/// output encrypted with `output_key`, one ml.m5.xlarge with a 30 GB volume (encrypted with
/// `volume_key` when given), an hour at most.
pub fn training_job_request(
    sagemaker: &aws_sdk_sagemaker::Client,
    name: &str,
    role_arn: &str,
    output_key: &str,
    volume_key: Option<&str>,
) -> CreateTrainingJobFluentBuilder {
    sagemaker
        .create_training_job()
        .training_job_name(name)
        .role_arn(role_arn)
        .algorithm_specification(
            AlgorithmSpecification::builder()
                .training_image("123456789012.dkr.ecr.eu-west-1.amazonaws.com/sagefence-alpha/xgboost-train:1.7-1")
                .training_input_mode(TrainingInputMode::File)
                .build(),
        )
        .output_data_config(
            OutputDataConfig::builder()
                .s3_output_path("s3://sagefence-alpha-models/training/")
                .kms_key_id(output_key)
                .build(),
        )
        .resource_config(
            ResourceConfig::builder()
                .instance_type(TrainingInstanceType::MlM5Xlarge)
                .instance_count(1)
                .volume_size_in_gb(30)
                .set_volume_kms_key_id(volume_key.map(str::to_owned))
                .build(),
        )
        .stopping_condition(StoppingCondition::builder().max_runtime_in_seconds(3600).build())
}

/// A `CreateEndpointConfig` request for `name`: one variant serving `model` on two ml.m5.large,
/// no KMS key.
pub fn endpoint_config_request(
    sagemaker: &aws_sdk_sagemaker::Client,
    name: &str,
    variant: &str,
    model: &str,
) -> CreateEndpointConfigFluentBuilder {
    sagemaker
        .create_endpoint_config()
        .endpoint_config_name(name)
        .production_variants(
            ProductionVariant::builder()
                .variant_name(variant)
                .model_name(model)
                .initial_instance_count(2)
                .instance_type(ProductionVariantInstanceType::MlM5Large)
                .build(),
        )
}

/// Creates a model of the project in its VPC, with or without network isolation.
pub async fn create_model(
    emulator: &Emulator,
    project: &ProjectNetwork,
    name: &str,
    isolation: bool,
) -> Result<String, SupportError> {
    let out = emulator
        .sagemaker()
        .create_model()
        .model_name(name)
        .execution_role_arn(&project.role_arn)
        .primary_container(
            ContainerDefinition::builder()
                .image("123456789012.dkr.ecr.eu-west-1.amazonaws.com/sagefence-alpha/xgboost-inference:1.7-1")
                .build(),
        )
        .vpc_config(project_vpc(project))
        .enable_network_isolation(isolation)
        .set_tags(Some(project_tags()))
        .send()
        .await
        .map_err(aws("CreateModel"))?;
    out.model_arn()
        .map(str::to_owned)
        .ok_or_else(|| missing("CreateModel", "ModelArn"))
}

/// Whether the model `name` exists (the emulator answers "Could not find" when it does not).
pub async fn model_exists(emulator: &Emulator, name: &str) -> Result<bool, SupportError> {
    match emulator.sagemaker().describe_model().model_name(name).send().await {
        Ok(_) => Ok(true),
        Err(error) if error.message().is_some_and(|m| m.contains("Could not find")) => Ok(false),
        Err(error) => Err(aws("DescribeModel")(error)),
    }
}

/// A fresh emulator with the project's network, key and roles created in it.
pub async fn given_project() -> Result<(Emulator, ProjectNetwork), SupportError> {
    let emulator = Emulator::start().await?;
    let project = ProjectNetwork::create(&emulator).await?;
    Ok((emulator, project))
}

/// Creates an internet gateway, attached to nothing; returns its id.
pub async fn create_internet_gateway(emulator: &Emulator) -> Result<String, SupportError> {
    let out = emulator
        .ec2()
        .create_internet_gateway()
        .send()
        .await
        .map_err(aws("CreateInternetGateway"))?;
    out.internet_gateway()
        .and_then(|g| g.internet_gateway_id())
        .map(str::to_owned)
        .ok_or_else(|| missing("CreateInternetGateway", "InternetGateway.InternetGatewayId"))
}

/// Creates an internet gateway and attaches it to `vpc_id`; returns its id.
pub async fn attach_internet_gateway(emulator: &Emulator, vpc_id: &str) -> Result<String, SupportError> {
    let id = create_internet_gateway(emulator).await?;
    emulator
        .ec2()
        .attach_internet_gateway()
        .internet_gateway_id(&id)
        .vpc_id(vpc_id)
        .send()
        .await
        .map_err(aws("AttachInternetGateway"))?;
    Ok(id)
}

// --- drift: what a user changes behind the guardrail's back ------------------------

/// A TCP ingress permission on `port` alone, without sources.
pub fn tcp_permission(port: i32) -> IpPermissionBuilder {
    IpPermission::builder().ip_protocol("tcp").from_port(port).to_port(port)
}

/// Opens ssh (tcp 22) on `group_id` to the whole IPv4 internet.
pub async fn open_ssh_to_the_internet(emulator: &Emulator, group_id: &str) -> Result<(), SupportError> {
    emulator
        .ec2()
        .authorize_security_group_ingress()
        .group_id(group_id)
        .ip_permissions(
            tcp_permission(22)
                .ip_ranges(IpRange::builder().cidr_ip("0.0.0.0/0").build())
                .build(),
        )
        .send()
        .await
        .map_err(aws("AuthorizeSecurityGroupIngress"))?;
    Ok(())
}

/// Turns on `MapPublicIpOnLaunch` on `subnet_id`.
pub async fn map_public_ip_on_launch(emulator: &Emulator, subnet_id: &str) -> Result<(), SupportError> {
    emulator
        .ec2()
        .modify_subnet_attribute()
        .subnet_id(subnet_id)
        .map_public_ip_on_launch(AttributeBooleanValue::builder().value(true).build())
        .send()
        .await
        .map_err(aws("ModifySubnetAttribute"))?;
    Ok(())
}

/// Turns automatic rotation off on `key_id`.
pub async fn disable_key_rotation(emulator: &Emulator, key_id: &str) -> Result<(), SupportError> {
    emulator
        .kms()
        .disable_key_rotation()
        .key_id(key_id)
        .send()
        .await
        .map_err(aws("DisableKeyRotation"))?;
    Ok(())
}

/// Attaches the managed policy `policy_arn` to the role `role_name`.
pub async fn attach_role_policy(emulator: &Emulator, role_name: &str, policy_arn: &str) -> Result<(), SupportError> {
    emulator
        .iam()
        .attach_role_policy()
        .role_name(role_name)
        .policy_arn(policy_arn)
        .send()
        .await
        .map_err(aws("AttachRolePolicy"))?;
    Ok(())
}

/// The status code of the VPC peering connection `id` (`active`, `deleted`, ...).
pub async fn peering_status(emulator: &Emulator, id: &str) -> Result<String, SupportError> {
    let out = emulator
        .ec2()
        .describe_vpc_peering_connections()
        .vpc_peering_connection_ids(id)
        .send()
        .await
        .map_err(aws("DescribeVpcPeeringConnections"))?;
    out.vpc_peering_connections()
        .first()
        .and_then(|c| c.status())
        .and_then(|s| s.code())
        .map(|c| c.as_str().to_owned())
        .ok_or_else(|| missing("DescribeVpcPeeringConnections", "VpcPeeringConnections.Status.Code"))
}

// --- SageMaker jobs besides training ------------------------------------------------

/// A `CreateProcessingJob` request for `name` run as `role_arn`: one ml.m5.xlarge with a 10 GB
/// volume (encrypted with `volume_key` when given), no network config.
pub fn processing_job_request(
    sagemaker: &aws_sdk_sagemaker::Client,
    name: &str,
    role_arn: &str,
    volume_key: Option<&str>,
) -> CreateProcessingJobFluentBuilder {
    sagemaker
        .create_processing_job()
        .processing_job_name(name)
        .role_arn(role_arn)
        .app_specification(
            AppSpecification::builder()
                .image_uri("123456789012.dkr.ecr.eu-west-1.amazonaws.com/sagefence-alpha/prep:1")
                .build(),
        )
        .processing_resources(
            ProcessingResources::builder()
                .cluster_config(
                    ProcessingClusterConfig::builder()
                        .instance_count(1)
                        .instance_type(ProcessingInstanceType::MlM5Xlarge)
                        .volume_size_in_gb(10)
                        .set_volume_kms_key_id(volume_key.map(str::to_owned))
                        .build(),
                )
                .build(),
        )
}

/// A `CreateHyperParameterTuningJob` request for `name` whose training jobs run as `role_arn`
/// (Bayesian, two jobs one at a time, ten minutes each), their output encrypted with
/// `output_key` when given; no VPC.
pub fn tuning_job_request(
    sagemaker: &aws_sdk_sagemaker::Client,
    name: &str,
    role_arn: &str,
    output_key: Option<&str>,
) -> CreateHyperParameterTuningJobFluentBuilder {
    sagemaker
        .create_hyper_parameter_tuning_job()
        .hyper_parameter_tuning_job_name(name)
        .hyper_parameter_tuning_job_config(
            HyperParameterTuningJobConfig::builder()
                .strategy(HyperParameterTuningJobStrategyType::Bayesian)
                .resource_limits(
                    ResourceLimits::builder()
                        .max_number_of_training_jobs(2)
                        .max_parallel_training_jobs(1)
                        .build(),
                )
                .build(),
        )
        .training_job_definition(
            HyperParameterTrainingJobDefinition::builder()
                .role_arn(role_arn)
                .algorithm_specification(
                    HyperParameterAlgorithmSpecification::builder()
                        .training_image("123456789012.dkr.ecr.eu-west-1.amazonaws.com/sagefence-alpha/train:1")
                        .training_input_mode(TrainingInputMode::File)
                        .build(),
                )
                .output_data_config(
                    OutputDataConfig::builder()
                        .s3_output_path("s3://sagefence-alpha-models/tuning")
                        .set_kms_key_id(output_key.map(str::to_owned))
                        .build(),
                )
                .stopping_condition(StoppingCondition::builder().max_runtime_in_seconds(600).build())
                .build(),
        )
}

/// A `CreateTransformJob` request for `name` scoring with `model`: S3 prefix in, S3 out
/// (encrypted with `output_key` when given), one ml.m5.xlarge; no volume key.
pub fn transform_job_request(
    sagemaker: &aws_sdk_sagemaker::Client,
    name: &str,
    model: &str,
    output_key: Option<&str>,
) -> CreateTransformJobFluentBuilder {
    sagemaker
        .create_transform_job()
        .transform_job_name(name)
        .model_name(model)
        .transform_input(
            TransformInput::builder()
                .data_source(
                    TransformDataSource::builder()
                        .s3_data_source(
                            TransformS3DataSource::builder()
                                .s3_data_type(S3DataType::S3Prefix)
                                .s3_uri("s3://sagefence-alpha-data/churn/batch/")
                                .build(),
                        )
                        .build(),
                )
                .build(),
        )
        .transform_output(
            TransformOutput::builder()
                .s3_output_path("s3://sagefence-alpha-data/churn/scored/")
                .set_kms_key_id(output_key.map(str::to_owned))
                .build(),
        )
        .transform_resources(
            TransformResources::builder()
                .instance_type(TransformInstanceType::MlM5Xlarge)
                .instance_count(1)
                .build(),
        )
}

/// The status of the SageMaker job `name` of this kind (`InProgress`, `Stopped`, ...).
pub async fn job_status(emulator: &Emulator, kind: JobKind, name: &str) -> Result<String, SupportError> {
    let sagemaker = emulator.sagemaker();
    let status = match kind {
        JobKind::Training => sagemaker
            .describe_training_job()
            .training_job_name(name)
            .send()
            .await
            .map_err(aws("DescribeTrainingJob"))?
            .training_job_status()
            .map(|s| s.as_str().to_owned()),
        JobKind::Processing => sagemaker
            .describe_processing_job()
            .processing_job_name(name)
            .send()
            .await
            .map_err(aws("DescribeProcessingJob"))?
            .processing_job_status()
            .map(|s| s.as_str().to_owned()),
        JobKind::Transform => sagemaker
            .describe_transform_job()
            .transform_job_name(name)
            .send()
            .await
            .map_err(aws("DescribeTransformJob"))?
            .transform_job_status()
            .map(|s| s.as_str().to_owned()),
        JobKind::HyperParameterTuning => sagemaker
            .describe_hyper_parameter_tuning_job()
            .hyper_parameter_tuning_job_name(name)
            .send()
            .await
            .map_err(aws("DescribeHyperParameterTuningJob"))?
            .hyper_parameter_tuning_job_status()
            .map(|s| s.as_str().to_owned()),
    };
    status.ok_or_else(|| missing("Describe*Job", "*JobStatus"))
}
