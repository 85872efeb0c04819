//! The SageMaker adapter against the emulator: reads with tags, remedies, and their effects.

use std::collections::BTreeMap;

use aws_sdk_sagemaker::types::{ContainerDefinition, NotebookInstanceStatus, RootAccess, Tag};
use sagefence_aws::ports::{PortErrorKind, SageMaker};
use sagefence_aws::SageMakerAdapter;
use sagefence_core::model::{JobKind, JobStatus, NotebookStatus, Toggle};
use sagefence_tests::world::{
    create_bare_notebook, describe_notebook, endpoint_config_request, training_job_request, TEST_ROLE_ARN,
};
use sagefence_tests::Emulator;

/// The tags of the notebooks these tests create.
const NOTEBOOK_TAGS: &[(&str, &str)] = &[("sagefence:project", "fraud"), ("owner", "ana")];

fn tag(key: &str, value: &str) -> Tag {
    Tag::builder().key(key).value(value).build()
}

async fn described_notebook(emulator: &Emulator, name: &str) -> (NotebookInstanceStatus, Option<RootAccess>) {
    let out = describe_notebook(emulator, name).await.unwrap();
    (
        out.notebook_instance_status().cloned().unwrap(),
        out.root_access().cloned(),
    )
}

async fn listed_tags(emulator: &Emulator, arn: &str) -> Vec<(String, String)> {
    let out = emulator.sagemaker().list_tags().resource_arn(arn).send().await.unwrap();
    out.tags()
        .iter()
        .map(|t| (t.key().unwrap().to_owned(), t.value().unwrap().to_owned()))
        .collect()
}

#[tokio::test]
async fn notebook_reads_with_tags_and_missing_is_none() {
    let emulator = Emulator::start().await.unwrap();
    let adapter = SageMakerAdapter::new(emulator.sagemaker());
    let arn = create_bare_notebook(&emulator, "nb", NOTEBOOK_TAGS).await.unwrap();

    let notebook = adapter.notebook("nb").await.unwrap().unwrap();
    assert_eq!(notebook.name, "nb");
    assert_eq!(notebook.arn.as_deref(), Some(arn.as_str()));
    assert_eq!(notebook.status, Some(NotebookStatus::InService));
    assert_eq!(notebook.root_access.known(), Some(&Toggle::Enabled));
    assert_eq!(notebook.role_arn.known().map(String::as_str), Some(TEST_ROLE_ARN));
    let tags = notebook.tags.known().unwrap();
    assert_eq!(tags.get("sagefence:project"), Some("fraud"));
    assert_eq!(tags.get("owner"), Some("ana"));

    assert_eq!(adapter.notebook("missing").await.unwrap(), None);
}

#[tokio::test]
async fn tag_overwrites_and_untag_removes() {
    let emulator = Emulator::start().await.unwrap();
    let adapter = SageMakerAdapter::new(emulator.sagemaker());
    let arn = create_bare_notebook(&emulator, "tagged", NOTEBOOK_TAGS).await.unwrap();

    let tags = BTreeMap::from([
        ("owner".to_owned(), "bo".to_owned()),
        ("sagefence:violation".to_owned(), "nb-root-access".to_owned()),
    ]);
    adapter.tag(&arn, &tags).await.unwrap();
    let mut listed = listed_tags(&emulator, &arn).await;
    listed.sort();
    assert_eq!(
        listed,
        [
            ("owner".to_owned(), "bo".to_owned()),
            ("sagefence:project".to_owned(), "fraud".to_owned()),
            ("sagefence:violation".to_owned(), "nb-root-access".to_owned()),
        ]
    );

    adapter
        .untag(&arn, &["sagefence:violation".to_owned(), "owner".to_owned()])
        .await
        .unwrap();
    assert_eq!(
        listed_tags(&emulator, &arn).await,
        [("sagefence:project".to_owned(), "fraud".to_owned())]
    );
    adapter.tag(&arn, &BTreeMap::new()).await.unwrap();
    adapter.untag(&arn, &[]).await.unwrap();
}

#[tokio::test]
async fn notebook_remedies_follow_the_states() {
    let emulator = Emulator::start().await.unwrap();
    let adapter = SageMakerAdapter::new(emulator.sagemaker());
    create_bare_notebook(&emulator, "life", NOTEBOOK_TAGS).await.unwrap();

    let error = adapter
        .update_notebook_root_access("life", Toggle::Disabled)
        .await
        .unwrap_err();
    assert_eq!(error.kind, PortErrorKind::InvalidState, "{error}");
    assert_eq!(error.operation, "UpdateNotebookInstance");

    adapter.stop_notebook("life").await.unwrap();
    assert_eq!(
        described_notebook(&emulator, "life").await,
        (NotebookInstanceStatus::Stopped, Some(RootAccess::Enabled))
    );
    let error = adapter.stop_notebook("life").await.unwrap_err();
    assert_eq!(error.kind, PortErrorKind::InvalidState, "{error}");
    assert!(!error.is_retryable());
    assert!(
        error
            .message
            .starts_with("ValidationException: Status (Stopped) not in ([InService])"),
        "{error}"
    );

    adapter
        .update_notebook_root_access("life", Toggle::Disabled)
        .await
        .unwrap();
    assert_eq!(
        described_notebook(&emulator, "life").await,
        (NotebookInstanceStatus::Stopped, Some(RootAccess::Disabled))
    );
    let notebook = adapter.notebook("life").await.unwrap().unwrap();
    assert_eq!(notebook.root_access.known(), Some(&Toggle::Disabled));
    assert_eq!(notebook.status, Some(NotebookStatus::Stopped));

    adapter.start_notebook("life").await.unwrap();
    assert_eq!(
        described_notebook(&emulator, "life").await.0,
        NotebookInstanceStatus::InService
    );
    let error = adapter.delete_notebook("life").await.unwrap_err();
    assert_eq!(error.kind, PortErrorKind::InvalidState, "{error}");

    adapter.stop_notebook("life").await.unwrap();
    adapter.delete_notebook("life").await.unwrap();
    assert_eq!(adapter.notebook("life").await.unwrap(), None);
    let error = adapter.stop_notebook("life").await.unwrap_err();
    assert_eq!(error.kind, PortErrorKind::NotFound, "{error}");
    let error = adapter.delete_notebook("life").await.unwrap_err();
    assert_eq!(error.kind, PortErrorKind::NotFound, "{error}");
}

#[tokio::test]
async fn training_job_reads_and_stops_once() {
    let emulator = Emulator::start().await.unwrap();
    let adapter = SageMakerAdapter::new(emulator.sagemaker());
    training_job_request(
        &emulator.sagemaker(),
        "train",
        TEST_ROLE_ARN,
        "arn:aws:kms:eu-west-1:123456789012:key/output",
        None,
    )
    .enable_network_isolation(true)
    .tags(tag("owner", "ana"))
    .send()
    .await
    .unwrap();

    let job = adapter.job(JobKind::Training, "train").await.unwrap().unwrap();
    assert_eq!(job.status, Some(JobStatus::InProgress));
    assert_eq!(job.tags.get("owner"), Some("ana"));
    let network = job.specs[0].network.as_ref().unwrap();
    assert!(network.network_isolation);
    assert_eq!(
        job.specs[0].output_kms_key_id,
        Some(Some("arn:aws:kms:eu-west-1:123456789012:key/output".to_owned()))
    );

    adapter.stop_job(JobKind::Training, "train").await.unwrap();
    let job = adapter.job(JobKind::Training, "train").await.unwrap().unwrap();
    assert_eq!(job.status, Some(JobStatus::Stopped));
    let error = adapter.stop_job(JobKind::Training, "train").await.unwrap_err();
    assert_eq!(error.kind, PortErrorKind::InvalidState, "{error}");
    assert_eq!(error.operation, "StopTrainingJob");
}

#[tokio::test]
async fn missing_jobs_read_as_none_and_stop_as_not_found() {
    let emulator = Emulator::start().await.unwrap();
    let adapter = SageMakerAdapter::new(emulator.sagemaker());
    for kind in [
        JobKind::Training,
        JobKind::Processing,
        JobKind::HyperParameterTuning,
        JobKind::Transform,
    ] {
        assert_eq!(adapter.job(kind, "ghost").await.unwrap(), None, "{kind:?}");
        let error = adapter.stop_job(kind, "ghost").await.unwrap_err();
        assert_eq!(error.kind, PortErrorKind::NotFound, "{kind:?}: {error}");
    }
}

async fn create_model(emulator: &Emulator, name: &str) {
    emulator
        .sagemaker()
        .create_model()
        .model_name(name)
        .execution_role_arn(TEST_ROLE_ARN)
        .primary_container(
            ContainerDefinition::builder()
                .image("123456789012.dkr.ecr.eu-west-1.amazonaws.com/serve:1")
                .build(),
        )
        .tags(tag("owner", "ana"))
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn model_reads_and_deletes() {
    let emulator = Emulator::start().await.unwrap();
    let adapter = SageMakerAdapter::new(emulator.sagemaker());
    create_model(&emulator, "m").await;

    let model = adapter.model("m").await.unwrap().unwrap();
    assert_eq!(model.name, "m");
    assert!(!model.network_isolation);
    assert_eq!(model.vpc, None);
    assert_eq!(model.tags.get("owner"), Some("ana"));

    adapter.delete_model("m").await.unwrap();
    assert_eq!(adapter.model("m").await.unwrap(), None);
    let error = adapter.delete_model("m").await.unwrap_err();
    assert_eq!(error.kind, PortErrorKind::NotFound, "{error}");
}

async fn create_endpoint_config(emulator: &Emulator, name: &str) {
    endpoint_config_request(&emulator.sagemaker(), name, "main", "m")
        .kms_key_id("arn:aws:kms:eu-west-1:123456789012:key/ec")
        .tags(tag("owner", "ana"))
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn endpoint_config_in_use_only_when_an_endpoint_uses_it() {
    let emulator = Emulator::start().await.unwrap();
    let adapter = SageMakerAdapter::new(emulator.sagemaker());
    create_model(&emulator, "m").await;
    create_endpoint_config(&emulator, "ec-used").await;
    create_endpoint_config(&emulator, "ec-free").await;
    emulator
        .sagemaker()
        .create_endpoint()
        .endpoint_name("ep")
        .endpoint_config_name("ec-used")
        .send()
        .await
        .unwrap();

    let config = adapter.endpoint_config("ec-used").await.unwrap().unwrap();
    assert_eq!(
        config.kms_key_id.as_deref(),
        Some("arn:aws:kms:eu-west-1:123456789012:key/ec")
    );
    assert_eq!(config.variants.len(), 1);
    assert_eq!(config.variants[0].initial_instance_count, Some(2));
    assert_eq!(config.tags.get("owner"), Some("ana"));

    assert!(adapter.endpoint_config_in_use("ec-used").await.unwrap());
    assert!(!adapter.endpoint_config_in_use("ec-free").await.unwrap());
    assert!(!adapter.endpoint_config_in_use("ec-missing").await.unwrap());

    adapter.delete_endpoint_config("ec-free").await.unwrap();
    assert_eq!(adapter.endpoint_config("ec-free").await.unwrap(), None);
    let error = adapter.delete_endpoint_config("ec-free").await.unwrap_err();
    assert_eq!(error.kind, PortErrorKind::NotFound, "{error}");
}
