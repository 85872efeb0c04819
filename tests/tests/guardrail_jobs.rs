//! The guardrail on SageMaker jobs, models, endpoint configurations and Studio domains, end to
//! end on the emulator.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use aws_sdk_sagemaker::error::ProvideErrorMetadata;
use aws_sdk_sagemaker::types::{
    ContainerDefinition, OutputDataConfig, ProductionVariant, ProductionVariantInstanceType, StoppingCondition, Tag,
    TrainingInputMode,
};
use sagefence_tests::guardrail::{
    finding_statuses, summary_outcomes, EventTemplate, GuardrailUnderTest, ProjectNetwork, OWNER, OWNER_TAG, PROJECT,
    PROJECT_TAG,
};
use sagefence_tests::sweeper::{create_training_job, create_training_job_with, project_vpc};
use sagefence_tests::{Emulator, JobKind};

fn tag(key: &str, value: &str) -> Tag {
    Tag::builder().key(key).value(value).build()
}

async fn training_job_status(emulator: &Emulator, name: &str) -> String {
    let out = emulator
        .sagemaker()
        .describe_training_job()
        .training_job_name(name)
        .send()
        .await
        .unwrap();
    out.training_job_status().unwrap().as_str().to_owned()
}

fn training_job_created(name: &str, arn: &str) -> serde_json::Value {
    EventTemplate::load("sagemaker/api-create-training-job-no-vpc.json")
        .unwrap()
        .set("/detail/requestParameters/trainingJobName", name)
        .unwrap()
        .set("/detail/responseElements/trainingJobArn", arn)
        .unwrap()
        .build()
}

#[tokio::test]
async fn a_running_training_job_outside_any_vpc_is_stopped_and_a_finished_one_left_alone() {
    // given: two training jobs without VPC config, one running and one already completed
    let emulator = Emulator::start().await.unwrap();
    let project = ProjectNetwork::create(&emulator).await.unwrap();
    let guardrail = GuardrailUnderTest::start(&emulator).await.unwrap();
    let running = create_training_job(&emulator, &project, "alpha-churn-train-no-vpc", false)
        .await
        .unwrap();
    let finished = create_training_job(&emulator, &project, "alpha-churn-train-done", false)
        .await
        .unwrap();
    emulator
        .set_job_status(JobKind::Training, "alpha-churn-train-done", "Completed")
        .await
        .unwrap();

    // when: CloudTrail reports the running job's creation
    let summary = guardrail
        .handle(&training_job_created("alpha-churn-train-no-vpc", &running))
        .await
        .unwrap();

    // then: it is stopped, for running outside the project VPC only
    assert_eq!(summary_outcomes(&summary), ["stop-job applied"]);
    assert_eq!(
        training_job_status(&emulator, "alpha-churn-train-no-vpc").await,
        "Stopped"
    );
    let findings = finding_statuses(&guardrail.take_audit_records().unwrap());
    assert_eq!(findings["job-in-project-vpc"], "FAILED");
    for rule in [
        "job-network-isolation",
        "job-inter-container-encryption",
        "job-volume-kms",
        "job-output-kms",
    ] {
        assert_eq!(findings[rule], "PASSED", "{rule}");
    }
    let notifications = guardrail.notifications().await.unwrap();
    assert_eq!(notifications.len(), 1, "{notifications:#?}");
    assert_eq!(notifications[0]["action"], "stop-job");
    assert_eq!(notifications[0]["resource"]["name"], "alpha-churn-train-no-vpc");

    // when: CloudTrail reports the finished job's creation (a late delivery)
    let summary = guardrail
        .handle(&training_job_created("alpha-churn-train-done", &finished))
        .await
        .unwrap();

    // then: it fails the same rule, but there is nothing to stop
    assert_eq!(summary.failed, 1);
    assert!(summary.actions.is_empty(), "{:?}", summary.actions);
    assert_eq!(
        training_job_status(&emulator, "alpha-churn-train-done").await,
        "Completed"
    );
}

#[tokio::test]
async fn a_running_training_job_in_the_project_vpc_runs_on() {
    // given: a compliant training job in the project subnet
    let emulator = Emulator::start().await.unwrap();
    let project = ProjectNetwork::create(&emulator).await.unwrap();
    let guardrail = GuardrailUnderTest::start(&emulator).await.unwrap();
    let arn = create_training_job(&emulator, &project, "alpha-churn-train", true)
        .await
        .unwrap();

    // when
    let summary = guardrail
        .handle(&training_job_created("alpha-churn-train", &arn))
        .await
        .unwrap();

    // then
    assert_eq!(summary.failed, 0);
    assert!(summary.actions.is_empty(), "{:?}", summary.actions);
    assert_eq!(training_job_status(&emulator, "alpha-churn-train").await, "InProgress");
}

async fn create_model(emulator: &Emulator, project: &ProjectNetwork, name: &str, isolation: bool) -> String {
    emulator
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
        .tags(tag(PROJECT_TAG, PROJECT))
        .tags(tag(OWNER_TAG, OWNER))
        .send()
        .await
        .unwrap()
        .model_arn()
        .unwrap()
        .to_owned()
}

async fn model_exists(emulator: &Emulator, name: &str) -> bool {
    match emulator.sagemaker().describe_model().model_name(name).send().await {
        Ok(_) => true,
        Err(error) if error.message().is_some_and(|m| m.contains("Could not find")) => false,
        Err(error) => panic!("{error:?}"),
    }
}

fn model_created(name: &str, arn: &str) -> serde_json::Value {
    EventTemplate::load("sagemaker/api-create-model-no-network-isolation.json")
        .unwrap()
        .set("/detail/requestParameters/modelName", name)
        .unwrap()
        .set("/detail/responseElements/modelArn", arn)
        .unwrap()
        .build()
}

#[tokio::test]
async fn a_model_without_network_isolation_is_deleted_and_an_isolated_one_kept() {
    // given: two models in the project VPC, one without network isolation
    let emulator = Emulator::start().await.unwrap();
    let project = ProjectNetwork::create(&emulator).await.unwrap();
    let guardrail = GuardrailUnderTest::start(&emulator).await.unwrap();
    let open = create_model(&emulator, &project, "alpha-churn-model-open", false).await;
    let isolated = create_model(&emulator, &project, "alpha-churn-model", true).await;

    // when: CloudTrail reports both creations
    let deleted = guardrail
        .handle(&model_created("alpha-churn-model-open", &open))
        .await
        .unwrap();
    let kept = guardrail
        .handle(&model_created("alpha-churn-model", &isolated))
        .await
        .unwrap();

    // then: the open model is gone, the isolated one remains
    assert_eq!(summary_outcomes(&deleted), ["delete-model applied"]);
    assert!(!model_exists(&emulator, "alpha-churn-model-open").await);
    assert!(kept.actions.is_empty(), "{:?}", kept.actions);
    assert!(model_exists(&emulator, "alpha-churn-model").await);
}

async fn endpoint_config_without_kms(emulator: &Emulator, name: &str, model: &str) -> String {
    emulator
        .sagemaker()
        .create_endpoint_config()
        .endpoint_config_name(name)
        .production_variants(
            ProductionVariant::builder()
                .variant_name("AllTraffic")
                .model_name(model)
                .initial_instance_count(2)
                .instance_type(ProductionVariantInstanceType::MlM5Large)
                .build(),
        )
        .tags(tag(PROJECT_TAG, PROJECT))
        .tags(tag(OWNER_TAG, OWNER))
        .send()
        .await
        .unwrap()
        .endpoint_config_arn()
        .unwrap()
        .to_owned()
}

async fn endpoint_config_tags(emulator: &Emulator, name: &str) -> Option<Vec<(String, String)>> {
    let sagemaker = emulator.sagemaker();
    let out = match sagemaker
        .describe_endpoint_config()
        .endpoint_config_name(name)
        .send()
        .await
    {
        Ok(out) => out,
        Err(error) if error.message().is_some_and(|m| m.contains("Could not find")) => return None,
        Err(error) => panic!("{error:?}"),
    };
    let tags = sagemaker
        .list_tags()
        .resource_arn(out.endpoint_config_arn().unwrap())
        .send()
        .await
        .unwrap();
    Some(
        tags.tags()
            .iter()
            .map(|t| (t.key().unwrap().to_owned(), t.value().unwrap_or_default().to_owned()))
            .collect(),
    )
}

fn endpoint_config_created(name: &str, arn: &str) -> serde_json::Value {
    EventTemplate::load("sagemaker/api-create-endpoint-config-no-kms.json")
        .unwrap()
        .set("/detail/requestParameters/endpointConfigName", name)
        .unwrap()
        .set("/detail/responseElements/endpointConfigArn", arn)
        .unwrap()
        .build()
}

#[tokio::test]
async fn an_unused_endpoint_config_without_kms_is_deleted_and_a_used_one_marked_and_notified() {
    // given: two endpoint configs without KMS key; an endpoint serves from one of them
    let emulator = Emulator::start().await.unwrap();
    let project = ProjectNetwork::create(&emulator).await.unwrap();
    let guardrail = GuardrailUnderTest::start(&emulator).await.unwrap();
    create_model(&emulator, &project, "alpha-churn-model", true).await;
    let unused = endpoint_config_without_kms(&emulator, "alpha-churn-epc-unused", "alpha-churn-model").await;
    let used = endpoint_config_without_kms(&emulator, "alpha-churn-epc-live", "alpha-churn-model").await;
    emulator
        .sagemaker()
        .create_endpoint()
        .endpoint_name("alpha-churn")
        .endpoint_config_name("alpha-churn-epc-live")
        .send()
        .await
        .unwrap();

    // when: CloudTrail reports the unused config's creation
    let summary = guardrail
        .handle(&endpoint_config_created("alpha-churn-epc-unused", &unused))
        .await
        .unwrap();

    // then: it is deleted
    assert_eq!(summary_outcomes(&summary), ["delete-endpoint-config-if-unused applied"]);
    assert_eq!(endpoint_config_tags(&emulator, "alpha-churn-epc-unused").await, None);
    guardrail.notifications().await.unwrap();

    // when: CloudTrail reports the used config's creation
    let summary = guardrail
        .handle(&endpoint_config_created("alpha-churn-epc-live", &used))
        .await
        .unwrap();

    // then: it is kept (deleting it would break the endpoint), marked and notified
    assert_eq!(
        summary_outcomes(&summary),
        ["delete-endpoint-config-if-unused deferred"]
    );
    let tags = endpoint_config_tags(&emulator, "alpha-churn-epc-live").await.unwrap();
    assert!(
        tags.contains(&("sagefence:violation".to_owned(), "endpoint-config-kms".to_owned())),
        "{tags:?}"
    );
    let notifications = guardrail.notifications().await.unwrap();
    assert_eq!(notifications.len(), 1, "{notifications:#?}");
    let notice = &notifications[0];
    assert_eq!(notice["resource"]["name"], "alpha-churn-epc-live");
    assert_eq!(notice["rules"], serde_json::json!(["endpoint-config-kms"]));
    assert_eq!(notice["outcome"]["outcome"], "deferred");
    assert_eq!(notice["owner"], OWNER);
}

#[tokio::test]
async fn a_job_missing_its_owner_tag_is_marked_and_notified_once_even_when_the_event_comes_again() {
    // given: a compliant running training job in the project VPC that lacks the owner tag
    let emulator = Emulator::start().await.unwrap();
    let project = ProjectNetwork::create(&emulator).await.unwrap();
    let guardrail = GuardrailUnderTest::start(&emulator).await.unwrap();
    let name = "alpha-churn-train-missing-owner-tag";
    let arn = create_training_job_with(
        &emulator,
        &project,
        name,
        Some(project_vpc(&project)),
        &[(PROJECT_TAG, PROJECT)],
    )
    .await
    .unwrap();
    let event = EventTemplate::load("sagemaker/api-create-training-job-missing-owner-tag.json")
        .unwrap()
        .set("/detail/requestParameters/trainingJobName", name)
        .unwrap()
        .set("/detail/responseElements/trainingJobArn", arn.as_str())
        .unwrap()
        .build();

    // when
    let summary = guardrail.handle(&event).await.unwrap();

    // then: it runs on, marked with the rule it breaks; the owner and security team hear of it once
    assert_eq!(summary_outcomes(&summary), ["tag applied", "notify applied"]);
    assert_eq!(training_job_status(&emulator, name).await, "InProgress");
    let tags = emulator
        .sagemaker()
        .list_tags()
        .resource_arn(&arn)
        .send()
        .await
        .unwrap();
    assert!(
        tags.tags()
            .iter()
            .any(|t| t.key() == Some("sagefence:violation") && t.value() == Some("notebook-required-tags")),
        "{tags:?}"
    );
    let notifications = guardrail.notifications().await.unwrap();
    assert_eq!(
        notifications.len(),
        1,
        "one violation, one remedy (tag + notify): expected one notification, got {notifications:#?}"
    );
    assert_eq!(notifications[0]["rules"], serde_json::json!(["notebook-required-tags"]));

    // when: the same event is delivered again; then: the job is already marked, no one is told again
    let replay = guardrail.handle(&event).await.unwrap();
    assert!(summary_outcomes(&replay).is_empty(), "{replay:#?}");
    let again = guardrail.notifications().await.unwrap();
    assert!(again.is_empty(), "no new notification: {again:#?}");
}

#[tokio::test]
async fn a_studio_domain_with_public_internet_access_is_notified_to_its_owner() {
    // given: a Studio domain in the project VPC with public internet access
    let emulator = Emulator::start().await.unwrap();
    let project = ProjectNetwork::create(&emulator).await.unwrap();
    let guardrail = GuardrailUnderTest::start(&emulator).await.unwrap();
    let name = "alpha-studio-public-internet-only";
    let domain = emulator
        .sagemaker()
        .create_domain()
        .domain_name(name)
        .auth_mode(aws_sdk_sagemaker::types::AuthMode::Iam)
        .default_user_settings(
            aws_sdk_sagemaker::types::UserSettings::builder()
                .execution_role(&project.role_arn)
                .build(),
        )
        .subnet_ids(&project.subnet_id)
        .vpc_id(&project.vpc_id)
        .app_network_access_type(aws_sdk_sagemaker::types::AppNetworkAccessType::PublicInternetOnly)
        .kms_key_id(&project.key_arn)
        .tags(tag(PROJECT_TAG, PROJECT))
        .tags(tag(OWNER_TAG, OWNER))
        .send()
        .await
        .unwrap();
    let arn = domain.domain_arn().unwrap().to_owned();
    let event = EventTemplate::load("sagemaker/api-create-domain-public-internet-only.json")
        .unwrap()
        .set("/detail/requestParameters/domainName", name)
        .unwrap()
        .set(
            "/detail/requestParameters/subnetIds",
            serde_json::json!([project.subnet_id]),
        )
        .unwrap()
        .set("/detail/requestParameters/vpcId", project.vpc_id.as_str())
        .unwrap()
        .set("/detail/requestParameters/kmsKeyId", project.key_arn.as_str())
        .unwrap()
        .set("/detail/responseElements/domainArn", arn.as_str())
        .unwrap()
        .build();

    // when
    let summary = guardrail.handle(&event).await.unwrap();

    // then: nothing can be fixed in place; the owner and security team are told
    assert_eq!(summary_outcomes(&summary), ["notify applied"]);
    let notifications = guardrail.notifications().await.unwrap();
    assert_eq!(notifications.len(), 1, "{notifications:#?}");
    let notice = &notifications[0];
    assert_eq!(notice["resource"]["kind"], "domain");
    assert_eq!(notice["resource"]["name"], name);
    assert_eq!(notice["rules"], serde_json::json!(["domain-vpc-only"]));
    assert_eq!(notice["owner"], OWNER);
}

/// A job state-change event from `fixture`, naming the job `name` (`<Prefix>Name`, `<Prefix>Arn`).
fn job_state_event(fixture: &str, prefix: &str, name: &str, arn: &str) -> serde_json::Value {
    EventTemplate::load(fixture)
        .unwrap()
        .set("/resources", serde_json::json!([arn]))
        .unwrap()
        .set(&format!("/detail/{prefix}Name"), name)
        .unwrap()
        .set(&format!("/detail/{prefix}Arn"), arn)
        .unwrap()
        .build()
}

#[tokio::test]
async fn running_processing_tuning_and_transform_jobs_against_the_policy_are_stopped() {
    // given: a processing job without network config, a tuning job without VPC and a transform
    // job without volume key, all running
    let emulator = Emulator::start().await.unwrap();
    let project = ProjectNetwork::create(&emulator).await.unwrap();
    let guardrail = GuardrailUnderTest::start(&emulator).await.unwrap();
    let sagemaker = emulator.sagemaker();
    let processing = sagemaker
        .create_processing_job()
        .processing_job_name("alpha-churn-prep")
        .role_arn(&project.role_arn)
        .app_specification(
            aws_sdk_sagemaker::types::AppSpecification::builder()
                .image_uri("123456789012.dkr.ecr.eu-west-1.amazonaws.com/sagefence-alpha/prep:1")
                .build(),
        )
        .processing_resources(
            aws_sdk_sagemaker::types::ProcessingResources::builder()
                .cluster_config(
                    aws_sdk_sagemaker::types::ProcessingClusterConfig::builder()
                        .instance_count(1)
                        .instance_type(aws_sdk_sagemaker::types::ProcessingInstanceType::MlM5Xlarge)
                        .volume_size_in_gb(10)
                        .volume_kms_key_id(&project.key_arn)
                        .build(),
                )
                .build(),
        )
        .tags(tag(PROJECT_TAG, PROJECT))
        .tags(tag(OWNER_TAG, OWNER))
        .send()
        .await
        .unwrap()
        .processing_job_arn()
        .unwrap()
        .to_owned();
    let tuning = sagemaker
        .create_hyper_parameter_tuning_job()
        .hyper_parameter_tuning_job_name("alpha-tune")
        .hyper_parameter_tuning_job_config(
            aws_sdk_sagemaker::types::HyperParameterTuningJobConfig::builder()
                .strategy(aws_sdk_sagemaker::types::HyperParameterTuningJobStrategyType::Bayesian)
                .resource_limits(
                    aws_sdk_sagemaker::types::ResourceLimits::builder()
                        .max_number_of_training_jobs(2)
                        .max_parallel_training_jobs(1)
                        .build(),
                )
                .build(),
        )
        .training_job_definition(
            aws_sdk_sagemaker::types::HyperParameterTrainingJobDefinition::builder()
                .role_arn(&project.role_arn)
                .algorithm_specification(
                    aws_sdk_sagemaker::types::HyperParameterAlgorithmSpecification::builder()
                        .training_image("123456789012.dkr.ecr.eu-west-1.amazonaws.com/sagefence-alpha/train:1")
                        .training_input_mode(TrainingInputMode::File)
                        .build(),
                )
                .output_data_config(
                    OutputDataConfig::builder()
                        .s3_output_path("s3://sagefence-alpha-models/tuning")
                        .kms_key_id(&project.key_arn)
                        .build(),
                )
                .stopping_condition(StoppingCondition::builder().max_runtime_in_seconds(600).build())
                .build(),
        )
        .tags(tag(PROJECT_TAG, PROJECT))
        .tags(tag(OWNER_TAG, OWNER))
        .send()
        .await
        .unwrap()
        .hyper_parameter_tuning_job_arn()
        .unwrap()
        .to_owned();
    create_model(&emulator, &project, "alpha-churn-model", true).await;
    let transform = sagemaker
        .create_transform_job()
        .transform_job_name("alpha-churn-batch")
        .model_name("alpha-churn-model")
        .transform_input(
            aws_sdk_sagemaker::types::TransformInput::builder()
                .data_source(
                    aws_sdk_sagemaker::types::TransformDataSource::builder()
                        .s3_data_source(
                            aws_sdk_sagemaker::types::TransformS3DataSource::builder()
                                .s3_data_type(aws_sdk_sagemaker::types::S3DataType::S3Prefix)
                                .s3_uri("s3://sagefence-alpha-data/churn/batch/")
                                .build(),
                        )
                        .build(),
                )
                .build(),
        )
        .transform_output(
            aws_sdk_sagemaker::types::TransformOutput::builder()
                .s3_output_path("s3://sagefence-alpha-data/churn/scored/")
                .kms_key_id(&project.key_arn)
                .build(),
        )
        .transform_resources(
            aws_sdk_sagemaker::types::TransformResources::builder()
                .instance_type(aws_sdk_sagemaker::types::TransformInstanceType::MlM5Xlarge)
                .instance_count(1)
                .build(),
        )
        .tags(tag(PROJECT_TAG, PROJECT))
        .tags(tag(OWNER_TAG, OWNER))
        .send()
        .await
        .unwrap()
        .transform_job_arn()
        .unwrap()
        .to_owned();

    // when: SageMaker reports each InProgress
    let events = [
        job_state_event(
            "sagemaker/state-processing-job-inprogress.json",
            "ProcessingJob",
            "alpha-churn-prep",
            &processing,
        ),
        job_state_event(
            "sagemaker/state-hyper-parameter-tuning-job-inprogress.json",
            "HyperParameterTuningJob",
            "alpha-tune",
            &tuning,
        ),
        job_state_event(
            "sagemaker/state-transform-job-inprogress.json",
            "TransformJob",
            "alpha-churn-batch",
            &transform,
        ),
    ];
    let mut outcomes = Vec::new();
    for event in &events {
        outcomes.push(summary_outcomes(&guardrail.handle(event).await.unwrap()));
    }

    // then: each is stopped
    assert_eq!(
        outcomes,
        [["stop-job applied"], ["stop-job applied"], ["stop-job applied"]]
    );
    let processing = sagemaker
        .describe_processing_job()
        .processing_job_name("alpha-churn-prep")
        .send()
        .await
        .unwrap();
    assert_eq!(processing.processing_job_status().unwrap().as_str(), "Stopped");
    let tuning = sagemaker
        .describe_hyper_parameter_tuning_job()
        .hyper_parameter_tuning_job_name("alpha-tune")
        .send()
        .await
        .unwrap();
    assert_eq!(tuning.hyper_parameter_tuning_job_status().unwrap().as_str(), "Stopped");
    let transform = sagemaker
        .describe_transform_job()
        .transform_job_name("alpha-churn-batch")
        .send()
        .await
        .unwrap();
    assert_eq!(transform.transform_job_status().unwrap().as_str(), "Stopped");
}
