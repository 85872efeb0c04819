//! The audit-shipper against the emulator's S3 (SSE-KMS) and Security Hub: records from each
//! input land with the right content, the trail verifies and catches tampering, duplicates are
//! written once, and a failing sink fails exactly the affected messages.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{BucketLocationConstraint, CreateBucketConfiguration, ServerSideEncryption};
use base64::Engine as _;
use chrono::Utc;
use sagefence::aws::{S3Trail, SecurityHubImporter};
use sagefence::ports::TrailReader;
use sagefence::trail::{self, BrokenLink};
use sagefence_audit_shipper::{Settings, Shipper};
use sagefence_tests::{Emulator, REGION};
use serde_json::{json, Value};

const BUCKET: &str = "sagefence-trail";
const PREFIX: &str = "audit/";
const ACCOUNT: &str = "123456789012";

struct World {
    emulator: Emulator,
    s3: aws_sdk_s3::Client,
    hub: aws_sdk_securityhub::Client,
    key_id: String,
    shipper: Shipper<S3Trail, SecurityHubImporter, Vec<u8>>,
}

async fn world() -> World {
    let emulator = Emulator::start().await.unwrap();
    let config = emulator.sdk_config();
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&config)
            .force_path_style(true)
            .build(),
    );
    s3.create_bucket()
        .bucket(BUCKET)
        .create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::from(REGION))
                .build(),
        )
        .send()
        .await
        .unwrap();
    let key = emulator.kms().create_key().send().await.unwrap();
    let key_id = key.key_metadata().unwrap().arn().unwrap().to_owned();
    let hub = aws_sdk_securityhub::Client::new(&config);
    let shipper = Shipper::new(
        S3Trail::new(s3.clone(), BUCKET, Some(key_id.clone())),
        SecurityHubImporter::new(hub.clone()),
        Settings {
            prefix: PREFIX.into(),
            account: ACCOUNT.into(),
            region: REGION.into(),
        },
        Vec::new(),
    );
    World {
        emulator,
        s3,
        hub,
        key_id,
        shipper,
    }
}

fn finding(id: &str, notebook: &str, status: &str) -> Value {
    json!({
        "id": id, "time": "2026-11-26T10:00:00Z", "function": "guardrail",
        "account": ACCOUNT, "region": REGION,
        "subject": {"type": "finding", "finding": {
            "rule": "notebook-root-access-disabled", "control": "SageMaker.3",
            "resource": {"kind": "notebook-instance", "name": notebook,
                         "arn": format!("arn:aws:sagemaker:eu-west-1:{ACCOUNT}:notebook-instance/{notebook}")},
            "status": status, "severity": "HIGH", "reason": "root access is enabled", "mode": "enforce"}}
    })
}

fn action(id: &str) -> Value {
    json!({
        "id": id, "time": "2026-11-26T10:00:01Z", "function": "guardrail",
        "account": ACCOUNT, "region": REGION,
        "subject": {"type": "action", "outcome": "applied", "action": {
            "action": {"type": "stop-notebook-instance"},
            "resource": {"kind": "notebook-instance", "name": "nb"},
            "rules": ["notebook-root-access-disabled"], "mode": "enforce", "reason": "root access"}}
    })
}

fn sqs(bodies: &[(&str, &Value)]) -> Vec<u8> {
    let records: Vec<Value> = bodies
        .iter()
        .map(|(id, body)| json!({"messageId": id, "body": body.to_string(), "eventSource": "aws:sqs"}))
        .collect();
    serde_json::to_vec(&json!({ "Records": records })).unwrap()
}

fn awslogs(messages: &[String]) -> Vec<u8> {
    let events: Vec<Value> = messages
        .iter()
        .enumerate()
        .map(|(i, m)| json!({"id": format!("e{i}"), "timestamp": 1_795_687_200_000_i64, "message": m}))
        .collect();
    let data = json!({
        "messageType": "DATA_MESSAGE", "owner": ACCOUNT, "logGroup": "/aws/lambda/guardrail",
        "logStream": "s", "subscriptionFilters": ["audit"], "logEvents": events,
    });
    let gz = trail::gzip_lines([data.to_string().as_str()]).unwrap();
    let data = base64::engine::general_purpose::STANDARD.encode(gz);
    serde_json::to_vec(&json!({ "awslogs": { "data": data } })).unwrap()
}

fn api_call() -> Vec<u8> {
    include_bytes!("../../events/sagemaker/api-create-notebook-instance-direct-internet.json").to_vec()
}

async fn objects(world: &World) -> Vec<(String, Vec<u8>)> {
    let reader = S3Trail::new(world.s3.clone(), BUCKET, None);
    let mut out = Vec::new();
    for key in reader.list(PREFIX).await.unwrap() {
        out.push((key.clone(), TrailReader::get(&reader, &key).await.unwrap().unwrap()));
    }
    out
}

fn lines(objects: &[(String, Vec<u8>)]) -> Vec<Value> {
    objects
        .iter()
        .filter(|(k, _)| k.ends_with(".json.gz"))
        .flat_map(|(_, bytes)| {
            String::from_utf8(trail::gunzip(bytes).unwrap())
                .unwrap()
                .lines()
                .map(|l| serde_json::from_str::<Value>(l).unwrap())
                .collect::<Vec<_>>()
        })
        .collect()
}

async fn findings(world: &World) -> Vec<aws_sdk_securityhub::types::AwsSecurityFinding> {
    world.hub.get_findings().send().await.unwrap().findings().to_vec()
}

async fn put(world: &World, key: &str, bytes: Vec<u8>) {
    world
        .s3
        .put_object()
        .bucket(BUCKET)
        .key(key)
        .body(ByteStream::from(bytes))
        .send()
        .await
        .unwrap();
}

/// Runs an async test body on its own thread with a 16 MiB stack: debug builds of the SDK's
/// futures for S3, KMS and Security Hub together outgrow the 2 MiB of a test thread.
fn on_a_large_stack<F: std::future::Future<Output = ()> + 'static>(body: fn() -> F) {
    std::thread::Builder::new()
        .stack_size(16 << 20)
        .spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap()
                .block_on(body())
        })
        .unwrap()
        .join()
        .unwrap();
}

#[test]
fn every_input_lands_encrypted_in_the_trail_and_security_hub() {
    on_a_large_stack(every_input_lands_encrypted_in_the_trail_and_security_hub_body);
}

async fn every_input_lands_encrypted_in_the_trail_and_security_hub_body() {
    let world = world().await;
    // given one record per input
    let answer = world
        .shipper
        .handle(&sqs(&[("m1", &finding("r1", "nb", "FAILED"))]), Utc::now())
        .await
        .unwrap();
    assert_eq!(answer, json!({ "batchItemFailures": [] }));
    let logs = awslogs(&[format!("SAGEFENCE_AUDIT {}", action("r2"))]);
    assert_eq!(world.shipper.handle(&logs, Utc::now()).await.unwrap()["shipped"], 1);
    assert_eq!(
        world.shipper.handle(&api_call(), Utc::now()).await.unwrap()["shipped"],
        1
    );

    // then the trail holds three batches (the API call in its own account's chain), encrypted
    // with the trail key, and verifies
    let objects = objects(&world).await;
    assert_eq!(
        objects.len(),
        6,
        "{:?}",
        objects.iter().map(|o| &o.0).collect::<Vec<_>>()
    );
    for (key, _) in &objects {
        let head = world.s3.head_object().bucket(BUCKET).key(key).send().await.unwrap();
        assert_eq!(
            head.server_side_encryption(),
            Some(&ServerSideEncryption::AwsKms),
            "{key}"
        );
        assert_eq!(head.ssekms_key_id(), Some(world.key_id.as_str()), "{key}");
    }
    let classes: Vec<Value> = lines(&objects).iter().map(|l| l["class_uid"].clone()).collect();
    assert_eq!(classes, [json!(6003), json!(2003), json!(7001)]);
    let report = trail::verify(&objects).unwrap();
    let chains: Vec<(&str, u64, u64)> = report
        .chains
        .iter()
        .map(|c| (c.dir.as_str(), c.batches, c.records))
        .collect();
    assert_eq!(
        chains,
        [
            ("audit/111122223333/eu-west-1/", 1, 1),
            ("audit/123456789012/eu-west-1/", 2, 2)
        ]
    );

    // and Security Hub holds the verdict as ASFF
    let found = findings(&world).await;
    assert_eq!(found.len(), 1);
    let f = &found[0];
    assert_eq!(f.schema_version(), Some("2018-10-08"));
    assert_eq!(
        f.id(),
        Some(
            format!(
                "sagefence/notebook-root-access-disabled/arn:aws:sagemaker:eu-west-1:{ACCOUNT}:notebook-instance/nb"
            )
            .as_str()
        )
    );
    assert_eq!(
        f.product_arn(),
        Some(format!("arn:aws:securityhub:eu-west-1:{ACCOUNT}:product/{ACCOUNT}/default").as_str())
    );
    assert_eq!(f.generator_id(), Some("notebook-root-access-disabled"));
    assert_eq!(f.compliance().unwrap().status().unwrap().as_str(), "FAILED");
    assert_eq!(f.severity().unwrap().label().unwrap().as_str(), "HIGH");
    assert_eq!(f.product_fields().unwrap()["sagefence/control"], "SageMaker.3");
    assert_eq!(f.resources()[0].r#type(), Some("AwsSageMakerNotebookInstance"));

    // when the resource later passes, the same finding is resolved
    world
        .shipper
        .handle(&sqs(&[("m4", &finding("r4", "nb", "PASSED"))]), Utc::now())
        .await
        .unwrap();
    let found = findings(&world).await;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].compliance().unwrap().status().unwrap().as_str(), "PASSED");
    assert_eq!(found[0].workflow().unwrap().status().unwrap().as_str(), "RESOLVED");
    drop(world.emulator);
}

#[test]
fn verify_over_what_landed_catches_tampering() {
    on_a_large_stack(verify_over_what_landed_catches_tampering_body);
}

async fn verify_over_what_landed_catches_tampering_body() {
    let world = world().await;
    for i in 0..3 {
        let record = finding(&format!("r{i}"), &format!("nb{i}"), "FAILED");
        world.shipper.handle(&sqs(&[("m", &record)]), Utc::now()).await.unwrap();
    }
    let intact = objects(&world).await;
    trail::verify(&intact).unwrap();
    let (batches, digests): (Vec<_>, Vec<_>) = intact.iter().partition(|(k, _)| k.ends_with(".json.gz"));

    // a flipped byte in S3
    let mut flipped = batches[1].1.clone();
    flipped[12] ^= 1;
    put(&world, &batches[1].0, flipped).await;
    assert!(
        matches!(trail::verify(&objects(&world).await), Err(BrokenLink::BatchHashMismatch { batch_key, .. }) if batch_key == batches[1].0)
    );
    put(&world, &batches[1].0, batches[1].1.clone()).await;

    // a reordered pair
    put(&world, &batches[0].0, batches[2].1.clone()).await;
    put(&world, &batches[2].0, batches[0].1.clone()).await;
    assert!(matches!(
        trail::verify(&objects(&world).await),
        Err(BrokenLink::ReorderedBatch { .. })
    ));
    put(&world, &batches[0].0, batches[0].1.clone()).await;
    put(&world, &batches[2].0, batches[2].1.clone()).await;

    // a replaced digest
    let mut digest: trail::Digest = serde_json::from_slice(&digests[0].1).unwrap();
    digest.last_time += chrono::Duration::seconds(1);
    put(&world, &digests[0].0, serde_json::to_vec(&digest).unwrap()).await;
    assert!(
        matches!(trail::verify(&objects(&world).await), Err(BrokenLink::PreviousMismatch { key, .. }) if key == digests[1].0)
    );
    put(&world, &digests[0].0, digests[0].1.clone()).await;
    trail::verify(&objects(&world).await).unwrap();

    // a deleted object
    world
        .s3
        .delete_object()
        .bucket(BUCKET)
        .key(&batches[0].0)
        .send()
        .await
        .unwrap();
    assert!(matches!(
        trail::verify(&objects(&world).await),
        Err(BrokenLink::MissingBatch { sequence: 0, .. })
    ));
}

#[tokio::test]
async fn duplicates_are_written_once() {
    let world = world().await;
    let record = finding("same", "nb", "FAILED");
    let answer = world
        .shipper
        .handle(
            &sqs(&[("a", &record), ("b", &record), ("c", &action("r2"))]),
            Utc::now(),
        )
        .await
        .unwrap();
    assert_eq!(answer, json!({ "batchItemFailures": [] }));
    assert_eq!(lines(&objects(&world).await).len(), 2);
}

#[tokio::test]
async fn a_throttled_sink_fails_exactly_the_affected_messages() {
    let world = world().await;
    // given PutObject throttled (the emulator's SDK makes one attempt)
    world.emulator.throttle_service("s3", "PutObject", 1).await.unwrap();
    let batch = sqs(&[("a", &finding("r1", "nb", "FAILED")), ("b", &action("r2"))]);
    let answer = world.shipper.handle(&batch, Utc::now()).await.unwrap();
    assert_eq!(
        answer,
        json!({ "batchItemFailures": [{"itemIdentifier": "a"}, {"itemIdentifier": "b"}] })
    );
    assert!(objects(&world).await.is_empty());
    assert!(findings(&world).await.is_empty());

    // and given BatchImportFindings throttled, only the verdict's message fails
    world
        .emulator
        .throttle_service("securityhub", "BatchImportFindings", 1)
        .await
        .unwrap();
    let answer = world.shipper.handle(&batch, Utc::now()).await.unwrap();
    assert_eq!(answer, json!({ "batchItemFailures": [{"itemIdentifier": "a"}] }));
    // and the redelivery goes through, the trail still verifies
    let retry = sqs(&[("a", &finding("r1", "nb", "FAILED"))]);
    assert_eq!(
        world.shipper.handle(&retry, Utc::now()).await.unwrap(),
        json!({ "batchItemFailures": [] })
    );
    assert_eq!(findings(&world).await.len(), 1);
    trail::verify(&objects(&world).await).unwrap();
}
