//! The guardrail on SageMaker jobs, models, endpoint configurations and Studio domains, end to
//! end on the emulator.

use crate::then_failed_only;
use aws_sdk_sagemaker::error::ProvideErrorMetadata;
use aws_sdk_sagemaker::types::Tag;
use sagefence_tests::events::{event_with, EventTemplate};
use sagefence_tests::guardrail::{given_guardrail, summary_outcomes};
use sagefence_tests::records::finding_statuses;
use sagefence_tests::world::{
    create_model, create_training_job, create_training_job_with, endpoint_config_request, job_status, model_exists,
    processing_job_request, project_tags, project_vpc, transform_job_request, tuning_job_request, ProjectNetwork,
    OWNER, OWNER_TAG, PROJECT, PROJECT_TAG,
};
use sagefence_tests::{Emulator, JobKind};

fn tag(key: &str, value: &str) -> Tag {
    Tag::builder().key(key).value(value).build()
}

/// CloudTrail's record of the `Create<Resource>` call of `fixture`, naming the created `name`
/// and `arn` (in `<field>Name` and `<field>Arn`).
fn created(fixture: &str, field: &str, name: &str, arn: &str) -> serde_json::Value {
    let name_field = format!("/detail/requestParameters/{field}Name");
    let arn_field = format!("/detail/responseElements/{field}Arn");
    event_with(fixture, &[(&name_field, name), (&arn_field, arn)]).unwrap()
}

fn training_job_created(name: &str, arn: &str) -> serde_json::Value {
    created(
        "sagemaker/api-create-training-job-no-vpc.json",
        "trainingJob",
        name,
        arn,
    )
}

fn model_created(name: &str, arn: &str) -> serde_json::Value {
    created(
        "sagemaker/api-create-model-no-network-isolation.json",
        "model",
        name,
        arn,
    )
}

fn endpoint_config_created(name: &str, arn: &str) -> serde_json::Value {
    created(
        "sagemaker/api-create-endpoint-config-no-kms.json",
        "endpointConfig",
        name,
        arn,
    )
}

#[tokio::test]
async fn a_running_training_job_outside_any_vpc_is_stopped_and_a_finished_one_left_alone() {
    // given: two training jobs without VPC config, one running and one already completed
    let (emulator, project, guardrail) = given_guardrail().await.unwrap();
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
        job_status(&emulator, JobKind::Training, "alpha-churn-train-no-vpc")
            .await
            .unwrap(),
        "Stopped"
    );
    let findings = finding_statuses(&guardrail.take_audit_records().unwrap());
    then_failed_only(
        &findings,
        "job-in-project-vpc",
        &[
            "job-network-isolation",
            "job-inter-container-encryption",
            "job-volume-kms",
            "job-output-kms",
        ],
    );
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
        job_status(&emulator, JobKind::Training, "alpha-churn-train-done")
            .await
            .unwrap(),
        "Completed"
    );
}

#[tokio::test]
async fn a_running_training_job_in_the_project_vpc_runs_on() {
    // given: a compliant training job in the project subnet
    let (emulator, project, guardrail) = given_guardrail().await.unwrap();
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
    assert_eq!(
        job_status(&emulator, JobKind::Training, "alpha-churn-train")
            .await
            .unwrap(),
        "InProgress"
    );
}

#[tokio::test]
async fn a_model_without_network_isolation_is_deleted_and_an_isolated_one_kept() {
    // given: two models in the project VPC, one without network isolation
    let (emulator, project, guardrail) = given_guardrail().await.unwrap();
    let open = create_model(&emulator, &project, "alpha-churn-model-open", false)
        .await
        .unwrap();
    let isolated = create_model(&emulator, &project, "alpha-churn-model", true)
        .await
        .unwrap();

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
    assert!(!model_exists(&emulator, "alpha-churn-model-open").await.unwrap());
    assert!(kept.actions.is_empty(), "{:?}", kept.actions);
    assert!(model_exists(&emulator, "alpha-churn-model").await.unwrap());
}

async fn endpoint_config_without_kms(emulator: &Emulator, name: &str, model: &str) -> String {
    let out = endpoint_config_request(&emulator.sagemaker(), name, "AllTraffic", model)
        .set_tags(Some(project_tags()))
        .send()
        .await
        .unwrap();
    out.endpoint_config_arn().unwrap().to_owned()
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

#[tokio::test]
async fn an_unused_endpoint_config_without_kms_is_deleted_and_a_used_one_marked_and_notified() {
    // given: two endpoint configs without KMS key; an endpoint serves from one of them
    let (emulator, project, guardrail) = given_guardrail().await.unwrap();
    create_model(&emulator, &project, "alpha-churn-model", true)
        .await
        .unwrap();
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
    let (emulator, project, guardrail) = given_guardrail().await.unwrap();
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

    // when
    let event = event_with(
        "sagemaker/api-create-training-job-missing-owner-tag.json",
        &[
            ("/detail/requestParameters/trainingJobName", name),
            ("/detail/responseElements/trainingJobArn", arn.as_str()),
        ],
    )
    .unwrap();
    let summary = guardrail.handle(&event).await.unwrap();

    // then: it runs on, marked with the rule it breaks; the owner and security team hear of it once
    assert_eq!(summary_outcomes(&summary), ["tag applied", "notify applied"]);
    assert_eq!(
        job_status(&emulator, JobKind::Training, name).await.unwrap(),
        "InProgress"
    );
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
    let (emulator, project, guardrail) = given_guardrail().await.unwrap();
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

/// A running job against the policy: its kind, the fixture of its state-change event, the
/// prefix of its fields there, its name and its ARN.
struct RunningJob {
    kind: JobKind,
    fixture: &'static str,
    prefix: &'static str,
    name: &'static str,
    arn: String,
}

/// given: a processing job without network config, a tuning job without VPC and a transform
/// job without volume key, all running
async fn given_running_jobs_against_the_policy(emulator: &Emulator, project: &ProjectNetwork) -> [RunningJob; 3] {
    let sagemaker = emulator.sagemaker();
    let processing = processing_job_request(
        &sagemaker,
        "alpha-churn-prep",
        &project.role_arn,
        Some(&project.key_arn),
    )
    .set_tags(Some(project_tags()))
    .send()
    .await
    .unwrap();
    let tuning = tuning_job_request(&sagemaker, "alpha-tune", &project.role_arn, Some(&project.key_arn))
        .set_tags(Some(project_tags()))
        .send()
        .await
        .unwrap();
    create_model(emulator, project, "alpha-churn-model", true)
        .await
        .unwrap();
    let transform = transform_job_request(
        &sagemaker,
        "alpha-churn-batch",
        "alpha-churn-model",
        Some(&project.key_arn),
    )
    .set_tags(Some(project_tags()))
    .send()
    .await
    .unwrap();
    [
        RunningJob {
            kind: JobKind::Processing,
            fixture: "sagemaker/state-processing-job-inprogress.json",
            prefix: "ProcessingJob",
            name: "alpha-churn-prep",
            arn: processing.processing_job_arn().unwrap().to_owned(),
        },
        RunningJob {
            kind: JobKind::HyperParameterTuning,
            fixture: "sagemaker/state-hyper-parameter-tuning-job-inprogress.json",
            prefix: "HyperParameterTuningJob",
            name: "alpha-tune",
            arn: tuning.hyper_parameter_tuning_job_arn().unwrap().to_owned(),
        },
        RunningJob {
            kind: JobKind::Transform,
            fixture: "sagemaker/state-transform-job-inprogress.json",
            prefix: "TransformJob",
            name: "alpha-churn-batch",
            arn: transform.transform_job_arn().unwrap().to_owned(),
        },
    ]
}

#[tokio::test]
async fn running_processing_tuning_and_transform_jobs_against_the_policy_are_stopped() {
    let (emulator, project, guardrail) = given_guardrail().await.unwrap();
    let jobs = given_running_jobs_against_the_policy(&emulator, &project).await;

    // when: SageMaker reports each InProgress
    let mut outcomes = Vec::new();
    for job in &jobs {
        let event = job_state_event(job.fixture, job.prefix, job.name, &job.arn);
        outcomes.push(summary_outcomes(&guardrail.handle(&event).await.unwrap()));
    }

    // then: each is stopped
    assert_eq!(
        outcomes,
        [["stop-job applied"], ["stop-job applied"], ["stop-job applied"]]
    );
    for job in &jobs {
        assert_eq!(job_status(&emulator, job.kind, job.name).await.unwrap(), "Stopped");
    }
}
