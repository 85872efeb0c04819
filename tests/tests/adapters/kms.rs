//! The KMS adapter against the emulator: key reads (tags, state, rotation) and their restoring.

use aws_sdk_kms::types::{KeyState as SdkKeyState, Tag};
use sagefence_aws::ports::{Keys, PortErrorKind};
use sagefence_aws::KmsAdapter;
use sagefence_core::model::KeyState;
use sagefence_tests::Emulator;

async fn create_key(emulator: &Emulator) -> (String, String) {
    let out = emulator
        .kms()
        .create_key()
        .description("sagefence volumes")
        .tags(
            Tag::builder()
                .tag_key("sagefence:project")
                .tag_value("fraud")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let meta = out.key_metadata().unwrap();
    (meta.key_id().to_owned(), meta.arn().unwrap().to_owned())
}

async fn described_state(emulator: &Emulator, key_id: &str) -> SdkKeyState {
    let out = emulator.kms().describe_key().key_id(key_id).send().await.unwrap();
    out.key_metadata().unwrap().key_state().cloned().unwrap()
}

#[tokio::test]
async fn key_reads_with_tags_and_rotation_turns_on() {
    let emulator = Emulator::start().await.unwrap();
    let adapter = KmsAdapter::new(emulator.kms());
    let (key_id, arn) = create_key(&emulator).await;

    let key = adapter.key(&arn).await.unwrap().unwrap();
    assert_eq!(key.id, key_id);
    assert_eq!(key.arn, arn);
    assert_eq!(key.tags.get("sagefence:project"), Some("fraud"));
    assert!(key.customer_managed);
    assert_eq!(key.state, KeyState::Enabled);
    assert!(!key.rotation_enabled);

    adapter.enable_rotation(&key_id).await.unwrap();
    let status = emulator
        .kms()
        .get_key_rotation_status()
        .key_id(&key_id)
        .send()
        .await
        .unwrap();
    assert!(status.key_rotation_enabled());
    assert!(adapter.key(&key_id).await.unwrap().unwrap().rotation_enabled);

    assert_eq!(adapter.key("0b3c5e7a-1d2f-4a6b-8c9d-0e1f2a3b4c5d").await.unwrap(), None);
    assert_eq!(adapter.key("alias/nobody").await.unwrap(), None);
    let error = adapter
        .enable_rotation("0b3c5e7a-1d2f-4a6b-8c9d-0e1f2a3b4c5d")
        .await
        .unwrap_err();
    assert_eq!(error.kind, PortErrorKind::NotFound, "{error}");
}

#[tokio::test]
async fn aws_managed_keys_are_not_customer_managed() {
    let emulator = Emulator::start().await.unwrap();
    let adapter = KmsAdapter::new(emulator.kms());
    let key = adapter.key("alias/aws/ebs").await.unwrap().unwrap();
    assert!(!key.customer_managed);
    assert!(key.tags.0.is_empty());
    assert_eq!(key.state, KeyState::Enabled);
}

#[tokio::test]
async fn cancelled_deletion_leaves_the_key_enabled() {
    let emulator = Emulator::start().await.unwrap();
    let adapter = KmsAdapter::new(emulator.kms());
    let (key_id, arn) = create_key(&emulator).await;
    emulator
        .kms()
        .schedule_key_deletion()
        .key_id(&key_id)
        .pending_window_in_days(7)
        .send()
        .await
        .unwrap();

    let key = adapter.key(&key_id).await.unwrap().unwrap();
    assert_eq!(key.state, KeyState::PendingDeletion);
    let error = adapter.enable_rotation(&key_id).await.unwrap_err();
    assert_eq!(error.kind, PortErrorKind::InvalidState, "{error}");

    adapter.cancel_deletion(&arn).await.unwrap();
    assert_eq!(described_state(&emulator, &key_id).await, SdkKeyState::Enabled);
    assert_eq!(adapter.key(&key_id).await.unwrap().unwrap().state, KeyState::Enabled);

    let error = adapter.cancel_deletion(&key_id).await.unwrap_err();
    assert_eq!(error.kind, PortErrorKind::InvalidState, "{error}");
    assert_eq!(error.operation, "CancelKeyDeletion");
    assert_eq!(described_state(&emulator, &key_id).await, SdkKeyState::Enabled);
}
