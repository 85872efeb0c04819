//! The sweeper's fan-out on the emulator: a schedule sends one SQS message per shard, ten per
//! batch; fed back to the function, the messages sweep their shards, a malformed one is
//! recorded and dropped, and none fails.

use sagefence_core::model::ResourceKind;
use sagefence_sweeper::Shard;
use sagefence_tests::events::fixture_bytes;
use sagefence_tests::records::{parse_audit, records_of};
use sagefence_tests::sweeper::{SweeperOptions, SweeperUnderTest};
use sagefence_tests::world::{given_project, notebook_state, running_notebook, ACCOUNT};
use sagefence_tests::{Emulator, REGION};
use serde_json::{json, Value};

fn schedule() -> Vec<u8> {
    let mut event: Value = serde_json::from_slice(&fixture_bytes("scheduled/scheduled-event.json").unwrap()).unwrap();
    let fields = event.as_object_mut().unwrap();
    fields.insert("account".to_owned(), json!(ACCOUNT));
    fields.insert("region".to_owned(), json!(REGION));
    serde_json::to_vec(&event).unwrap()
}

#[tokio::test]
async fn a_schedule_fans_shards_out_through_sqs_and_each_message_sweeps_its_shard() {
    let (emulator, project) = given_project().await.unwrap();
    running_notebook(&emulator, &project.notebook("rooted").with_root_access())
        .await
        .unwrap();
    let sweeper = SweeperUnderTest::start(
        &emulator,
        SweeperOptions {
            flow_log_role_arn: project.flow_log_role_arn.clone(),
            ..SweeperOptions::default()
        },
    )
    .await
    .unwrap();
    let sqs = aws_sdk_sqs::Client::new(&emulator.sdk_config());
    let queue_url = sqs
        .create_queue()
        .queue_name("sagefence-sweeper-shards")
        .send()
        .await
        .unwrap()
        .queue_url()
        .unwrap()
        .to_owned();
    let function = sweeper.function(Some(queue_url.clone()));

    let answer = function.handle(&schedule(), chrono::Utc::now()).await.unwrap();
    assert_eq!(answer, json!({ "queued": ResourceKind::SWEPT.len() }));
    assert_eq!(
        notebook_state(&emulator, "rooted").await.unwrap().unwrap().status,
        "InService",
        "nothing swept yet"
    );

    let mut messages = Vec::new();
    loop {
        let received = sqs
            .receive_message()
            .queue_url(&queue_url)
            .max_number_of_messages(10)
            .send()
            .await
            .unwrap();
        if received.messages().is_empty() {
            break;
        }
        for message in received.messages() {
            messages.push(json!({
                "messageId": message.message_id().unwrap(),
                "body": message.body().unwrap(),
                "eventSource": "aws:sqs",
                "eventSourceARN": format!("arn:aws:sqs:{REGION}:{ACCOUNT}:shards"),
            }));
            sqs.delete_message()
                .queue_url(&queue_url)
                .receipt_handle(message.receipt_handle().unwrap())
                .send()
                .await
                .unwrap();
        }
    }
    let mut shards: Vec<Shard> = messages
        .iter()
        .map(|m| serde_json::from_str(m["body"].as_str().unwrap()).unwrap())
        .collect();
    shards.sort();
    let mut types: Vec<ResourceKind> = shards.iter().map(|s| s.resource_type).collect();
    types.dedup();
    assert_eq!(types, ResourceKind::SWEPT);
    assert!(shards.iter().all(|s| s.account == ACCOUNT && s.region == REGION));

    messages.push(json!({ "messageId": "not-a-shard", "body": "{\"type\":\"buckets\"}", "eventSource": "aws:sqs" }));
    let source = format!("arn:aws:sqs:{REGION}:{ACCOUNT}:shards");
    let naming_a_role = json!({ "account": ACCOUNT, "region": REGION, "type": "models",
        "role_arn": "arn:aws:iam::999999999999:role/attacker" });
    let foreign = json!({ "account": "999999999999", "region": REGION, "type": "models" });
    for (id, body) in [("names-a-role", naming_a_role), ("foreign-account", foreign)] {
        messages.push(json!({ "messageId": id, "body": body.to_string(), "eventSourceARN": source }));
    }
    let mut failures = Vec::new();
    for batch in messages.chunks(10) {
        let answer = function
            .handle(
                &serde_json::to_vec(&json!({ "Records": batch })).unwrap(),
                chrono::Utc::now(),
            )
            .await
            .unwrap();
        failures.extend(answer["batchItemFailures"].as_array().unwrap().clone());
    }
    assert!(failures.is_empty(), "{failures:?}");
    assert_eq!(
        notebook_state(&emulator, "rooted").await.unwrap().unwrap().status,
        "Stopped"
    );
    let audit = function.sweeper.audit.into_inner().contents().unwrap();
    let records = parse_audit(&audit).unwrap();
    assert_eq!(
        records_of(&records, "malformed").len(),
        3,
        "the bad shard, the role, the foreign account"
    );
    assert!(!records_of(&records, "finding").is_empty());
}

#[tokio::test]
async fn a_shard_whose_listing_fails_is_delivered_again() {
    let emulator = Emulator::start().await.unwrap();
    let sweeper = SweeperUnderTest::start(&emulator, SweeperOptions::default())
        .await
        .unwrap();
    let function = sweeper.function(None);
    let shard = Shard {
        account: ACCOUNT.to_owned(),
        region: REGION.to_owned(),
        resource_type: ResourceKind::Model,
    };
    emulator.throttle("ListModels", 10).await.unwrap();
    let batch = json!({ "Records": [
        { "messageId": "m-1", "body": serde_json::to_string(&shard).unwrap(),
          "eventSourceARN": format!("arn:aws:sqs:{REGION}:{ACCOUNT}:shards") },
    ]});
    let answer = function
        .handle(&serde_json::to_vec(&batch).unwrap(), chrono::Utc::now())
        .await
        .unwrap();
    assert_eq!(answer, json!({ "batchItemFailures": [{ "itemIdentifier": "m-1" }] }));
}

#[tokio::test]
async fn a_member_accounts_notifications_reach_the_home_topic() {
    use sagefence_audit::audit::{Notification, Outcome};
    use sagefence_aws::ports::Notifier as _;
    use sagefence_core::model::ResourceRef;

    // given the sweeper's topic in the home account, read through a subscribed queue
    let emulator = Emulator::start().await.unwrap();
    let sweeper = SweeperUnderTest::start(&emulator, SweeperOptions::default())
        .await
        .unwrap();
    let topic = sweeper.ports.topic_arn.clone().unwrap();
    let sqs = aws_sdk_sqs::Client::new(&emulator.sdk_config());
    let queue_url = sqs
        .create_queue()
        .queue_name("home-notifications")
        .send()
        .await
        .unwrap()
        .queue_url()
        .unwrap()
        .to_owned();
    aws_sdk_sns::Client::new(&emulator.sdk_config())
        .subscribe()
        .topic_arn(&topic)
        .protocol("sqs")
        .endpoint(format!("arn:aws:sqs:{REGION}:{ACCOUNT}:home-notifications"))
        .attributes("RawMessageDelivery", "true")
        .send()
        .await
        .unwrap();

    // when a shard of a member account (acting through the member role) notifies
    let member = "210987654321";
    let ports = sweeper
        .ports
        .for_shard(REGION, Some(&format!("arn:aws:iam::{member}:role/sagefence-member")))
        .await;
    let notification = Notification {
        subject: "sagefence: stop-notebook-instance on a member's notebook".into(),
        resource: ResourceRef {
            kind: ResourceKind::NotebookInstance,
            name: "nb".into(),
            arn: Some(format!("arn:aws:sagemaker:{REGION}:{member}:notebook-instance/nb")),
        },
        rules: vec!["notebook-root-access-disabled".into()],
        action: "stop-notebook-instance".into(),
        mode: sagefence_core::Mode::Enforce,
        outcome: Outcome::Applied,
        owner: None,
        reason: "root access is enabled".into(),
    };
    ports.notifier.notify(&notification).await.unwrap();

    // then it is published to the home topic, with the sweeper's own credentials
    let received = sqs
        .receive_message()
        .queue_url(&queue_url)
        .max_number_of_messages(10)
        .send()
        .await
        .unwrap();
    assert_eq!(received.messages().len(), 1, "{received:?}");
    assert!(received.messages()[0].body().unwrap().contains(member));
}
