//! The emulator's SageMaker extensions over moto: state rules, round-trips, test controls, throttling.

use aws_sdk_sagemaker::error::ProvideErrorMetadata;
use aws_sdk_sagemaker::operation::delete_notebook_instance::{
    DeleteNotebookInstanceError, DeleteNotebookInstanceOutput,
};
use aws_sdk_sagemaker::operation::describe_notebook_instance::{
    DescribeNotebookInstanceError, DescribeNotebookInstanceOutput,
};
use aws_sdk_sagemaker::operation::start_notebook_instance::{StartNotebookInstanceError, StartNotebookInstanceOutput};
use aws_sdk_sagemaker::operation::stop_notebook_instance::{StopNotebookInstanceError, StopNotebookInstanceOutput};
use aws_sdk_sagemaker::types::{
    ContainerDefinition, DirectInternetAccess, HyperParameterTuningJobStatus, InstanceType, NetworkConfig,
    NotebookInstanceStatus, ProcessingJobStatus, RootAccess, TrainingJobStatus, TransformJobStatus, VpcConfig,
};
use aws_sdk_sagemaker::Client;
use sagefence_tests::world::{
    create_bare_notebook, notebook_status, processing_job_request, training_job_request, transform_job_request,
    tuning_job_request, TEST_ROLE_ARN,
};
use sagefence_tests::{Emulator, HarnessError, JobKind};
use NotebookInstanceStatus::{InService, Pending, Stopped, Stopping};

fn assert_rejected<E>(result: Result<impl std::fmt::Debug, E>, code: &str, message: &str)
where
    E: ProvideErrorMetadata + std::fmt::Debug,
{
    let error = result.expect_err("call should have been rejected");
    assert_eq!(error.code(), Some(code), "{error:?}");
    let actual = error.message().unwrap_or_default();
    assert!(actual.contains(message), "message {actual:?} lacks {message:?}");
}

type Outcome<O, E> = Result<O, aws_sdk_sagemaker::error::SdkError<E>>;

async fn stop_notebook(
    sagemaker: &Client,
    name: &str,
) -> Outcome<StopNotebookInstanceOutput, StopNotebookInstanceError> {
    sagemaker
        .stop_notebook_instance()
        .notebook_instance_name(name)
        .send()
        .await
}

async fn start_notebook(
    sagemaker: &Client,
    name: &str,
) -> Outcome<StartNotebookInstanceOutput, StartNotebookInstanceError> {
    sagemaker
        .start_notebook_instance()
        .notebook_instance_name(name)
        .send()
        .await
}

async fn delete_notebook(
    sagemaker: &Client,
    name: &str,
) -> Outcome<DeleteNotebookInstanceOutput, DeleteNotebookInstanceError> {
    sagemaker
        .delete_notebook_instance()
        .notebook_instance_name(name)
        .send()
        .await
}

async fn describe_notebook(
    sagemaker: &Client,
    name: &str,
) -> Outcome<DescribeNotebookInstanceOutput, DescribeNotebookInstanceError> {
    sagemaker
        .describe_notebook_instance()
        .notebook_instance_name(name)
        .send()
        .await
}

/// The HTTP status of a call's error answer; `None` when it succeeded.
fn http_status<O, E>(result: &Outcome<O, E>) -> Option<u16> {
    result
        .as_ref()
        .err()
        .and_then(|e| e.raw_response())
        .map(|r| r.status().as_u16())
}

fn vpc_config() -> VpcConfig {
    VpcConfig::builder()
        .security_group_ids("sg-0123456789abcdef0")
        .subnets("subnet-0123456789abcdef0")
        .build()
}

#[tokio::test]
async fn update_notebook_rejected_in_service_accepted_when_stopped() {
    let emulator = Emulator::start().await.unwrap();
    let sagemaker = emulator.sagemaker();
    let arn = create_bare_notebook(&emulator, "upd", &[]).await.unwrap();

    let rejected = sagemaker
        .update_notebook_instance()
        .notebook_instance_name("upd")
        .root_access(RootAccess::Disabled)
        .send()
        .await;
    assert_eq!(http_status(&rejected), Some(400));
    assert_rejected(
        rejected,
        "ValidationException",
        &format!(
            "Status (InService) not in ([Stopped]). Unable to transition to (Updating) for Notebook Instance ({arn})"
        ),
    );

    sagemaker
        .create_notebook_instance_lifecycle_config()
        .notebook_instance_lifecycle_config_name("hardening")
        .send()
        .await
        .unwrap();
    stop_notebook(&sagemaker, "upd").await.unwrap();
    sagemaker
        .update_notebook_instance()
        .notebook_instance_name("upd")
        .root_access(RootAccess::Disabled)
        .instance_type(InstanceType::MlT3Large)
        .volume_size_in_gb(20)
        .lifecycle_config_name("hardening")
        .role_arn("arn:aws:iam::123456789012:role/other")
        .send()
        .await
        .unwrap();
    let notebook = describe_notebook(&sagemaker, "upd").await.unwrap();
    assert_eq!(notebook.root_access(), Some(&RootAccess::Disabled));
    assert_eq!(notebook.instance_type(), Some(&InstanceType::MlT3Large));
    assert_eq!(notebook.volume_size_in_gb(), Some(20));
    assert_eq!(notebook.notebook_instance_lifecycle_config_name(), Some("hardening"));
    assert_eq!(notebook.role_arn(), Some("arn:aws:iam::123456789012:role/other"));
    assert_eq!(
        notebook.notebook_instance_status(),
        Some(&NotebookInstanceStatus::Stopped)
    );
    assert_eq!(notebook.direct_internet_access(), Some(&DirectInternetAccess::Enabled));

    assert_rejected(
        sagemaker
            .update_notebook_instance()
            .notebook_instance_name("upd")
            .volume_size_in_gb(10)
            .send()
            .await,
        "ValidationException",
        "VolumeSizeInGB cannot be decreased",
    );
    sagemaker
        .update_notebook_instance()
        .notebook_instance_name("upd")
        .disassociate_lifecycle_config(true)
        .root_access(RootAccess::Enabled)
        .send()
        .await
        .unwrap();
    let notebook = describe_notebook(&sagemaker, "upd").await.unwrap();
    assert_eq!(notebook.notebook_instance_lifecycle_config_name(), None);
    assert_eq!(notebook.root_access(), Some(&RootAccess::Enabled));
    assert_eq!(notebook.volume_size_in_gb(), Some(20));

    assert_rejected(
        sagemaker
            .update_notebook_instance()
            .notebook_instance_name("missing")
            .root_access(RootAccess::Disabled)
            .send()
            .await,
        "ValidationException",
        "RecordNotFound",
    );
}

#[tokio::test]
async fn notebook_lifecycle_follows_aws_state_rules() {
    let emulator = Emulator::start().await.unwrap();
    let sagemaker = emulator.sagemaker();
    create_bare_notebook(&emulator, "life", &[]).await.unwrap();
    assert_eq!(notebook_status(&emulator, "life").await.unwrap(), InService);

    assert_rejected(
        start_notebook(&sagemaker, "life").await,
        "ValidationException",
        "Status (InService) not in ([Stopped, Failed]). Unable to transition to (Pending)",
    );
    assert_rejected(
        delete_notebook(&sagemaker, "life").await,
        "ValidationException",
        "Status (InService) not in ([Stopped, Failed]). Unable to transition to (Deleting)",
    );

    stop_notebook(&sagemaker, "life").await.unwrap();
    assert_eq!(notebook_status(&emulator, "life").await.unwrap(), Stopped);
    assert_rejected(
        stop_notebook(&sagemaker, "life").await,
        "ValidationException",
        "Status (Stopped) not in ([InService]). Unable to transition to (Stopping)",
    );

    start_notebook(&sagemaker, "life").await.unwrap();
    assert_eq!(notebook_status(&emulator, "life").await.unwrap(), InService);
    stop_notebook(&sagemaker, "life").await.unwrap();
    delete_notebook(&sagemaker, "life").await.unwrap();
    assert_rejected(
        describe_notebook(&sagemaker, "life").await,
        "ValidationException",
        "RecordNotFound",
    );

    create_bare_notebook(&emulator, "broken", &[]).await.unwrap();
    emulator.set_notebook_status("broken", "Failed").await.unwrap();
    assert_rejected(
        stop_notebook(&sagemaker, "broken").await,
        "ValidationException",
        "Status (Failed) not in ([InService])",
    );
    start_notebook(&sagemaker, "broken").await.unwrap();
    assert_eq!(notebook_status(&emulator, "broken").await.unwrap(), InService);
    stop_notebook(&sagemaker, "broken").await.unwrap();
    delete_notebook(&sagemaker, "broken").await.unwrap();
}

#[tokio::test]
async fn on_the_manual_clock_notebooks_take_aws_steps_each_sending_its_event() {
    let emulator = Emulator::start().await.unwrap();
    let sagemaker = emulator.sagemaker();
    emulator.use_manual_clock().await.unwrap();
    let arn = create_bare_notebook(&emulator, "Timed", &[]).await.unwrap();
    assert!(arn.ends_with(":notebook-instance/timed"), "{arn}");
    assert_eq!(notebook_status(&emulator, "Timed").await.unwrap(), Pending);
    assert_eq!(emulator.next_transition_in().await.unwrap(), Some(300.0));
    emulator.advance_clock(300.0).await.unwrap();
    assert_eq!(notebook_status(&emulator, "Timed").await.unwrap(), InService);

    stop_notebook(&sagemaker, "Timed").await.unwrap();
    assert_eq!(notebook_status(&emulator, "Timed").await.unwrap(), Stopping);
    emulator.advance_clock(60.0).await.unwrap();
    assert_eq!(notebook_status(&emulator, "Timed").await.unwrap(), Stopped);
    delete_notebook(&sagemaker, "Timed").await.unwrap();
    emulator.advance_clock(60.0).await.unwrap();
    assert_eq!(emulator.next_transition_in().await.unwrap(), None);

    let events = emulator.take_events().await.unwrap();
    let statuses: Vec<&str> = events
        .iter()
        .filter_map(|e| e.pointer("/detail/NotebookInstanceStatus").and_then(|s| s.as_str()))
        .collect();
    assert_eq!(
        statuses,
        ["Pending", "InService", "Stopping", "Stopped", "Deleting", "Deleted"]
    );
    for event in &events {
        assert_eq!(event["detail-type"], "SageMaker Notebook Instance State Change");
        assert_eq!(event["resources"], serde_json::json!([arn]));
        assert_eq!(event["detail"]["NotebookInstanceName"], "Timed");
    }
    assert!(emulator.take_events().await.unwrap().is_empty());
}

#[tokio::test]
async fn pending_hold_and_status_control() {
    let emulator = Emulator::start().await.unwrap();
    let sagemaker = emulator.sagemaker();
    emulator.set_notebook_initial_status("Pending").await.unwrap();

    create_bare_notebook(&emulator, "slow", &[]).await.unwrap();
    assert_eq!(notebook_status(&emulator, "slow").await.unwrap(), Pending);
    assert_rejected(
        stop_notebook(&sagemaker, "slow").await,
        "ValidationException",
        "Status (Pending) not in ([InService])",
    );

    emulator.set_notebook_status("slow", "InService").await.unwrap();
    assert_eq!(notebook_status(&emulator, "slow").await.unwrap(), InService);
    stop_notebook(&sagemaker, "slow").await.unwrap();
    start_notebook(&sagemaker, "slow").await.unwrap();
    assert_eq!(notebook_status(&emulator, "slow").await.unwrap(), Pending);

    emulator.reset().await.unwrap();
    create_bare_notebook(&emulator, "fast", &[]).await.unwrap();
    assert_eq!(notebook_status(&emulator, "fast").await.unwrap(), InService);
    assert_eq!(notebook_status(&emulator, "slow").await.unwrap(), Pending);

    match emulator.set_notebook_status("nobody", "InService").await {
        Err(HarnessError::Control { status, .. }) => assert_eq!(status, 404),
        other => panic!("expected a 404 control error, got {other:?}"),
    }
    match emulator.set_notebook_status("fast", "Sleeping").await {
        Err(HarnessError::Control { status, .. }) => assert_eq!(status, 400),
        other => panic!("expected a 400 control error, got {other:?}"),
    }
}

#[tokio::test]
async fn notebook_defaults_follow_aws() {
    let emulator = Emulator::start().await.unwrap();
    let sagemaker = emulator.sagemaker();
    create_bare_notebook(&emulator, "plain", &[]).await.unwrap();
    let notebook = describe_notebook(&sagemaker, "plain").await.unwrap();
    assert_eq!(notebook.direct_internet_access(), Some(&DirectInternetAccess::Enabled));
    assert_eq!(notebook.root_access(), Some(&RootAccess::Enabled));
    assert_eq!(notebook.subnet_id(), None);
    assert!(notebook.security_groups().is_empty());
    assert_eq!(notebook.kms_key_id(), None);
    assert_eq!(notebook.volume_size_in_gb(), Some(5));

    assert_rejected(
        sagemaker
            .create_notebook_instance()
            .notebook_instance_name("no-subnet")
            .instance_type(InstanceType::MlT3Medium)
            .role_arn(TEST_ROLE_ARN)
            .direct_internet_access(DirectInternetAccess::Disabled)
            .send()
            .await,
        "ValidationException",
        "SubnetId",
    );
}

fn training_job(
    sagemaker: &aws_sdk_sagemaker::Client,
    name: &str,
) -> aws_sdk_sagemaker::operation::create_training_job::builders::CreateTrainingJobFluentBuilder {
    training_job_request(
        sagemaker,
        name,
        TEST_ROLE_ARN,
        "arn:aws:kms:eu-west-1:123456789012:key/output",
        Some("arn:aws:kms:eu-west-1:123456789012:key/volume"),
    )
}

#[tokio::test]
async fn training_job_stays_in_progress_until_stopped_once() {
    let emulator = Emulator::start().await.unwrap();
    let sagemaker = emulator.sagemaker();
    training_job(&sagemaker, "train")
        .vpc_config(vpc_config())
        .enable_network_isolation(true)
        .enable_inter_container_traffic_encryption(true)
        .send()
        .await
        .unwrap();

    let job = sagemaker
        .describe_training_job()
        .training_job_name("train")
        .send()
        .await
        .unwrap();
    assert_eq!(job.training_job_status(), Some(&TrainingJobStatus::InProgress));
    assert_eq!(job.training_end_time(), None);
    assert_eq!(job.vpc_config(), Some(&vpc_config()));
    assert_eq!(job.enable_network_isolation(), Some(true));
    assert_eq!(job.enable_inter_container_traffic_encryption(), Some(true));
    assert_eq!(
        job.resource_config().and_then(|r| r.volume_kms_key_id()),
        Some("arn:aws:kms:eu-west-1:123456789012:key/volume")
    );
    assert_eq!(
        job.output_data_config().and_then(|o| o.kms_key_id()),
        Some("arn:aws:kms:eu-west-1:123456789012:key/output")
    );

    sagemaker
        .stop_training_job()
        .training_job_name("train")
        .send()
        .await
        .unwrap();
    let job = sagemaker
        .describe_training_job()
        .training_job_name("train")
        .send()
        .await
        .unwrap();
    assert_eq!(job.training_job_status(), Some(&TrainingJobStatus::Stopped));
    assert!(job.training_end_time().is_some());
    assert_rejected(
        sagemaker.stop_training_job().training_job_name("train").send().await,
        "ValidationException",
        "The request was rejected because the training job is in status Stopped.",
    );

    training_job(&sagemaker, "plain").send().await.unwrap();
    let job = sagemaker
        .describe_training_job()
        .training_job_name("plain")
        .send()
        .await
        .unwrap();
    assert_eq!(job.enable_network_isolation(), Some(false));
    assert_eq!(job.vpc_config(), None);
    emulator.set_training_job_status("plain", "Completed").await.unwrap();
    let job = sagemaker
        .describe_training_job()
        .training_job_name("plain")
        .send()
        .await
        .unwrap();
    assert_eq!(job.training_job_status(), Some(&TrainingJobStatus::Completed));
    assert_rejected(
        sagemaker.stop_training_job().training_job_name("plain").send().await,
        "ValidationException",
        "is in status Completed",
    );
    assert_rejected(
        sagemaker.stop_training_job().training_job_name("ghost").send().await,
        "ValidationException",
        "Could not find training job",
    );
}

#[tokio::test]
async fn processing_transform_and_tuning_jobs_stop_once() {
    let emulator = Emulator::start().await.unwrap();
    let sagemaker = emulator.sagemaker();

    let network = NetworkConfig::builder()
        .enable_network_isolation(true)
        .enable_inter_container_traffic_encryption(true)
        .vpc_config(vpc_config())
        .build();
    processing_job_request(&sagemaker, "proc", TEST_ROLE_ARN, None)
        .network_config(network.clone())
        .send()
        .await
        .unwrap();
    let job = sagemaker
        .describe_processing_job()
        .processing_job_name("proc")
        .send()
        .await
        .unwrap();
    assert_eq!(job.processing_job_status(), Some(&ProcessingJobStatus::InProgress));
    assert_eq!(job.network_config(), Some(&network));
    sagemaker
        .stop_processing_job()
        .processing_job_name("proc")
        .send()
        .await
        .unwrap();
    let job = sagemaker
        .describe_processing_job()
        .processing_job_name("proc")
        .send()
        .await
        .unwrap();
    assert_eq!(job.processing_job_status(), Some(&ProcessingJobStatus::Stopped));
    assert_rejected(
        sagemaker.stop_processing_job().processing_job_name("proc").send().await,
        "ValidationException",
        "processing job is in status Stopped",
    );

    transform_job_request(&sagemaker, "batch", "model", None)
        .send()
        .await
        .unwrap();
    let transform_status = |sagemaker: aws_sdk_sagemaker::Client| async move {
        sagemaker
            .describe_transform_job()
            .transform_job_name("batch")
            .send()
            .await
            .unwrap()
            .transform_job_status()
            .cloned()
    };
    assert_eq!(
        transform_status(sagemaker.clone()).await,
        Some(TransformJobStatus::InProgress)
    );
    sagemaker
        .stop_transform_job()
        .transform_job_name("batch")
        .send()
        .await
        .unwrap();
    assert_eq!(
        transform_status(sagemaker.clone()).await,
        Some(TransformJobStatus::Stopped)
    );
    assert_rejected(
        sagemaker.stop_transform_job().transform_job_name("batch").send().await,
        "ValidationException",
        "transform job is in status Stopped",
    );

    tuning_job_request(&sagemaker, "tune", TEST_ROLE_ARN, None)
        .send()
        .await
        .unwrap();
    let tuning = sagemaker
        .describe_hyper_parameter_tuning_job()
        .hyper_parameter_tuning_job_name("tune")
        .send()
        .await
        .unwrap();
    assert_eq!(
        tuning.hyper_parameter_tuning_job_status(),
        Some(&HyperParameterTuningJobStatus::InProgress)
    );
    emulator
        .set_job_status(JobKind::HyperParameterTuning, "tune", "Completed")
        .await
        .unwrap();
    assert_rejected(
        sagemaker
            .stop_hyper_parameter_tuning_job()
            .hyper_parameter_tuning_job_name("tune")
            .send()
            .await,
        "ValidationException",
        "hyper parameter tuning job is in status Completed",
    );
    emulator
        .set_job_status(JobKind::HyperParameterTuning, "tune", "InProgress")
        .await
        .unwrap();
    sagemaker
        .stop_hyper_parameter_tuning_job()
        .hyper_parameter_tuning_job_name("tune")
        .send()
        .await
        .unwrap();
    let tuning = sagemaker
        .describe_hyper_parameter_tuning_job()
        .hyper_parameter_tuning_job_name("tune")
        .send()
        .await
        .unwrap();
    assert_eq!(
        tuning.hyper_parameter_tuning_job_status(),
        Some(&HyperParameterTuningJobStatus::Stopped)
    );
}

#[tokio::test]
async fn model_keeps_network_isolation_and_vpc_config() {
    let emulator = Emulator::start().await.unwrap();
    let sagemaker = emulator.sagemaker();
    let container = ContainerDefinition::builder()
        .image("123456789012.dkr.ecr.eu-west-1.amazonaws.com/serve:1")
        .build();
    sagemaker
        .create_model()
        .model_name("isolated")
        .execution_role_arn(TEST_ROLE_ARN)
        .primary_container(container.clone())
        .vpc_config(vpc_config())
        .enable_network_isolation(true)
        .send()
        .await
        .unwrap();
    let model = sagemaker.describe_model().model_name("isolated").send().await.unwrap();
    assert_eq!(model.enable_network_isolation(), Some(true));
    assert_eq!(model.vpc_config(), Some(&vpc_config()));
    assert_eq!(model.primary_container().and_then(|c| c.image()), container.image());

    sagemaker
        .create_model()
        .model_name("open")
        .execution_role_arn(TEST_ROLE_ARN)
        .primary_container(container)
        .send()
        .await
        .unwrap();
    let model = sagemaker.describe_model().model_name("open").send().await.unwrap();
    assert_eq!(model.enable_network_isolation(), Some(false));
    assert_eq!(model.vpc_config(), None);
}

#[tokio::test]
async fn throttle_fails_exactly_n_calls_then_succeeds() {
    let emulator = Emulator::start().await.unwrap();
    let sagemaker = emulator.sagemaker();
    create_bare_notebook(&emulator, "busy", &[]).await.unwrap();

    emulator.throttle("StopNotebookInstance", 2).await.unwrap();
    for _ in 0..2 {
        let result = stop_notebook(&sagemaker, "busy").await;
        assert_eq!(http_status(&result), Some(400));
        assert_rejected(result, "ThrottlingException", "Rate exceeded");
        assert_eq!(notebook_status(&emulator, "busy").await.unwrap(), InService);
    }
    stop_notebook(&sagemaker, "busy").await.unwrap();
    assert_eq!(notebook_status(&emulator, "busy").await.unwrap(), Stopped);

    let ec2 = emulator.ec2();
    emulator.throttle("DescribeVpcs", 1).await.unwrap();
    let throttled = ec2.describe_vpcs().send().await;
    assert_eq!(http_status(&throttled), Some(503));
    assert_rejected(throttled, "RequestLimitExceeded", "Request limit exceeded");
    assert!(!ec2.describe_vpcs().send().await.unwrap().vpcs().is_empty());

    let iam = emulator.iam();
    emulator.throttle("ListRoles", 1).await.unwrap();
    assert_rejected(iam.list_roles().send().await, "Throttling", "Rate exceeded");
    iam.list_roles().send().await.unwrap();

    let kms = emulator.kms();
    emulator.throttle_service("sagemaker", "ListKeys", 1).await.unwrap();
    kms.list_keys().send().await.unwrap();
    emulator.throttle_service("kms", "ListKeys", 1).await.unwrap();
    assert_rejected(kms.list_keys().send().await, "ThrottlingException", "Rate exceeded");
    kms.list_keys().send().await.unwrap();

    emulator.throttle("DescribeNotebookInstance", 5).await.unwrap();
    emulator.reset().await.unwrap();
    assert_eq!(notebook_status(&emulator, "busy").await.unwrap(), Stopped);
}
