//! The SNS notifier against the emulator: what reaches the topic, read back from moto's state.

use sagefence_audit::audit::{Notification, Outcome};
use sagefence_aws::ports::{Notifier, PortErrorKind};
use sagefence_aws::SnsNotifier;
use sagefence_core::model::{ResourceKind, ResourceRef};
use sagefence_core::Mode;
use sagefence_tests::Emulator;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn notification(subject: &str) -> Notification {
    Notification {
        subject: subject.to_owned(),
        resource: ResourceRef {
            kind: ResourceKind::NotebookInstance,
            name: "nb".to_owned(),
            arn: Some("arn:aws:sagemaker:eu-west-1:123456789012:notebook-instance/nb".to_owned()),
        },
        rules: vec!["nb-root-access".to_owned(), "nb-direct-internet".to_owned()],
        action: "stop-notebook-instance".to_owned(),
        mode: Mode::Enforce,
        outcome: Outcome::Applied,
        owner: Some("ana".to_owned()),
        reason: "root access is enabled".to_owned(),
    }
}

/// The notifications moto recorded for the topic: `[message id, message, subject, attributes, group]`.
async fn sent(emulator: &Emulator, topic_arn: &str) -> Vec<Value> {
    let mut stream = TcpStream::connect(("127.0.0.1", emulator.port())).await.unwrap();
    let request = "GET /moto-api/data.json HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let data: Value = serde_json::from_slice(&raw[split + 4..]).unwrap();
    let topics = data["sns"]["Topic"].as_array().unwrap();
    let topic = topics.iter().find(|t| t["arn"] == topic_arn).unwrap();
    topic["sent_notifications"].as_array().unwrap().clone()
}

#[tokio::test]
async fn notification_is_published_as_json_with_subject_and_attributes() {
    let emulator = Emulator::start().await.unwrap();
    let sns = aws_sdk_sns::Client::new(&emulator.sdk_config());
    let topic = sns.create_topic().name("sagefence-alerts").send().await.unwrap();
    let topic_arn = topic.topic_arn().unwrap().to_owned();
    let notifier = SnsNotifier::new(sns.clone(), &topic_arn);

    let sent_one = notification("sagefence: stop-notebook-instance on notebook-instance `nb`");
    notifier.notify(&sent_one).await.unwrap();
    let long = notification(&format!("line one\nline two {}", "x".repeat(200)));
    notifier.notify(&long).await.unwrap();

    let published = sent(&emulator, &topic_arn).await;
    assert_eq!(published.len(), 2, "{published:?}");
    let first = &published[0];
    let message: Value = serde_json::from_str(first[1].as_str().unwrap()).unwrap();
    assert_eq!(message, serde_json::to_value(&sent_one).unwrap());
    assert_eq!(message["mode"], "enforce");
    assert_eq!(first[2], "sagefence: stop-notebook-instance on notebook-instance `nb`");
    assert_eq!(first[3]["mode"], json!({"Type": "String", "Value": "enforce"}));
    assert_eq!(
        first[3]["resource_kind"],
        json!({"Type": "String", "Value": "notebook-instance"})
    );
    assert_eq!(
        first[3]["rules"],
        json!({"Type": "String.Array", "Value": r#"["nb-root-access","nb-direct-internet"]"#})
    );

    let subject = published[1][2].as_str().unwrap();
    assert_eq!(subject.chars().count(), 100);
    assert!(subject.starts_with("line one line two xxx"), "{subject}");

    emulator.throttle("Publish", 1).await.unwrap();
    let error = notifier.notify(&sent_one).await.unwrap_err();
    assert_eq!(error.kind, PortErrorKind::Throttled, "{error}");
    assert!(error.is_retryable());
    notifier.notify(&sent_one).await.unwrap();
    assert_eq!(sent(&emulator, &topic_arn).await.len(), 3);

    let missing = SnsNotifier::new(sns, "arn:aws:sns:eu-west-1:123456789012:nobody");
    let error = missing.notify(&sent_one).await.unwrap_err();
    assert_eq!(error.kind, PortErrorKind::NotFound, "{error}");
    assert_eq!(error.operation, "Publish");
}
