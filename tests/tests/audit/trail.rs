//! The audit-shipper against the emulator's S3 (SSE-KMS) and Security Hub: records from each
//! input land with the right content, the trail verifies and catches tampering, duplicates are
//! written once (a conflicting marker write retried), and a failing sink fails exactly the
//! affected messages.

use crate::{api_call, awslogs, lines};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::ServerSideEncryption;
use chrono::Utc;
use sagefence_audit::trail::{self, BrokenLink};
use sagefence_tests::audit::{AuditTrail, TRAIL_BUCKET};
use sagefence_tests::events::notebook_state_event;
use sagefence_tests::guardrail::GuardrailUnderTest;
use sagefence_tests::world::ProjectNetwork;
use sagefence_tests::{Emulator, REGION};
use serde_json::{json, Value};

const ACCOUNT: &str = "123456789012";

struct World {
    emulator: Emulator,
    trail: AuditTrail,
}

async fn world() -> World {
    let emulator = Emulator::start().await.unwrap();
    let trail = AuditTrail::create(&emulator).await.unwrap();
    World { emulator, trail }
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

/// Ships one finding record (`record_id` on `notebook`, with `status`) as message `message_id`.
async fn ship_finding(world: &World, message_id: &str, record_id: &str, status: &str) {
    let body = sqs(&[(message_id, &finding(record_id, "nb", status))]);
    world.trail.shipper.handle(&body, Utc::now()).await.unwrap();
}

async fn objects(world: &World) -> Vec<(String, Vec<u8>)> {
    world.trail.chain_objects().await.unwrap()
}

/// Verifies `objects` as an auditor does, with the signing key's public key.
fn verify(world: &World, objects: &[(String, Vec<u8>)]) -> Result<trail::VerifyReport, BrokenLink> {
    let expect = world.trail.expectations(Vec::new()).unwrap();
    trail::verify(&mut trail::InMemory(objects.iter().cloned().collect()), &expect)
}

async fn findings(world: &World) -> Vec<aws_sdk_securityhub::types::AwsSecurityFinding> {
    world.trail.findings().await.unwrap()
}

async fn put(world: &World, key: &str, bytes: Vec<u8>) {
    world
        .trail
        .s3
        .put_object()
        .bucket(TRAIL_BUCKET)
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
        .trail
        .shipper
        .handle(&sqs(&[("m1", &finding("r1", "nb", "FAILED"))]), Utc::now())
        .await
        .unwrap();
    assert_eq!(answer, json!({ "batchItemFailures": [] }));
    let logs = awslogs(&[format!("SAGEFENCE_AUDIT {}", action("r2"))]);
    assert_eq!(
        world.trail.shipper.handle(&logs, Utc::now()).await.unwrap()["shipped"],
        1
    );
    assert_eq!(
        world.trail.shipper.handle(&api_call(), Utc::now()).await.unwrap()["shipped"],
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
        let head = world
            .trail
            .s3
            .head_object()
            .bucket(TRAIL_BUCKET)
            .key(key)
            .send()
            .await
            .unwrap();
        assert_eq!(
            head.server_side_encryption(),
            Some(&ServerSideEncryption::AwsKms),
            "{key}"
        );
        assert_eq!(head.ssekms_key_id(), Some(world.trail.key_arn.as_str()), "{key}");
    }
    let classes: Vec<Value> = lines(&objects).iter().map(|l| l["class_uid"].clone()).collect();
    assert_eq!(classes, [json!(6003), json!(2003), json!(7001)]);
    let report = verify(&world, &objects).unwrap();
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

    assert_eq!(f.workflow().unwrap().status().unwrap().as_str(), "NEW");
    assert_eq!(f.record_state().unwrap().as_str(), "ACTIVE");

    // when the resource later passes, the same finding passes, is archived and resolved (the
    // emulator, as Security Hub, ignores Workflow on an update: BatchUpdateFindings sets it)
    let verdicts = |f: &aws_sdk_securityhub::types::AwsSecurityFinding| {
        (
            f.compliance().unwrap().status().unwrap().as_str().to_owned(),
            f.workflow().unwrap().status().unwrap().as_str().to_owned(),
            f.record_state().unwrap().as_str().to_owned(),
        )
    };
    ship_finding(&world, "m4", "r4", "PASSED").await;
    let found = findings(&world).await;
    assert_eq!(found.len(), 1);
    assert_eq!(
        verdicts(&found[0]),
        ("PASSED".into(), "RESOLVED".into(), "ARCHIVED".into())
    );

    // and when it fails again, Security Hub reopens it
    ship_finding(&world, "m5", "r5", "FAILED").await;
    let found = findings(&world).await;
    assert_eq!(verdicts(&found[0]), ("FAILED".into(), "NEW".into(), "ACTIVE".into()));
    drop(world.emulator);
}

#[test]
fn the_guardrail_records_through_the_queue_into_the_trail_once() {
    on_a_large_stack(the_guardrail_records_through_the_queue_into_the_trail_once_body);
}

async fn the_guardrail_records_through_the_queue_into_the_trail_once_body() {
    // given the guardrail recording to the audit queue (SAGEFENCE_AUDIT_QUEUE_URL set)
    let world = world().await;
    let network = ProjectNetwork::create(&world.emulator).await.unwrap();
    let guardrail = GuardrailUnderTest::start(&world.emulator)
        .await
        .unwrap()
        .guardrail
        .with_audit(world.trail.sink());
    world.emulator.set_notebook_initial_status("InService").await.unwrap();
    let name = "alpha-alice-root";
    let arn = network
        .notebook(name)
        .with_root_access()
        .create(&world.emulator)
        .await
        .unwrap();

    // when a running notebook with root access comes up, and the guardrail stops it
    let event = notebook_state_event(name, &arn, "InService").unwrap();
    let summary = guardrail
        .handle(&serde_json::to_vec(&event).unwrap(), Utc::now())
        .await
        .unwrap();
    assert!(!summary.actions.is_empty(), "{summary:?}");

    // then its records reach the trail through the queue, as OCSF, and verify
    let delivered = world.trail.ship_queue().await.unwrap();
    assert!(!delivered.is_empty());
    for (_, answer) in &delivered {
        assert_eq!(answer, &json!({ "batchItemFailures": [] }));
    }
    let records = world.trail.records().await.unwrap();
    let failed_root: Vec<&Value> = records
        .iter()
        .filter(|r| {
            r["class_uid"] == 2003 && r["finding_info"]["uid"] == format!("notebook-root-access-disabled/{arn}")
        })
        .collect();
    assert_eq!(failed_root.len(), 1, "{records:#?}");
    assert_eq!(failed_root[0]["compliance"]["status"], "Fail");
    assert_eq!(failed_root[0]["cloud"]["account"]["uid"], ACCOUNT);
    let remedies: Vec<&Value> = records.iter().filter(|r| r["class_uid"] == 7001).collect();
    assert_eq!(remedies.len(), summary.actions.len());
    assert!(remedies
        .iter()
        .all(|r| r["command_uid"].as_str().unwrap().ends_with(&arn)));
    let report = verify(&world, &objects(&world).await).unwrap();
    assert_eq!(report.chains[0].records as usize, records.len());
    let hub = findings(&world).await;
    assert!(hub
        .iter()
        .any(|f| f.generator_id() == Some("notebook-root-access-disabled")
            && f.compliance().unwrap().status().unwrap().as_str() == "FAILED"));

    // and when SQS delivers the same batches again, nothing new is written and the chain holds
    let before = objects(&world).await;
    for (event, _) in &delivered {
        let answer = world.trail.shipper.handle(event, Utc::now()).await.unwrap();
        assert_eq!(answer, json!({ "batchItemFailures": [] }));
    }
    assert_eq!(objects(&world).await, before);
    verify(&world, &before).unwrap();
}

#[test]
fn verify_over_what_landed_catches_tampering() {
    on_a_large_stack(verify_over_what_landed_catches_tampering_body);
}

async fn verify_over_what_landed_catches_tampering_body() {
    let world = world().await;
    for i in 0..3 {
        let record = finding(&format!("r{i}"), &format!("nb{i}"), "FAILED");
        world
            .trail
            .shipper
            .handle(&sqs(&[("m", &record)]), Utc::now())
            .await
            .unwrap();
    }
    let intact = objects(&world).await;
    verify(&world, &intact).unwrap();
    let (batches, digests): (Vec<_>, Vec<_>) = intact.iter().partition(|(k, _)| k.ends_with(".json.gz"));

    // a flipped byte in S3
    let mut flipped = batches[1].1.clone();
    flipped[12] ^= 1;
    put(&world, &batches[1].0, flipped).await;
    assert!(
        matches!(verify(&world, &objects(&world).await), Err(BrokenLink::BatchHashMismatch { batch_key, .. }) if batch_key == batches[1].0)
    );
    put(&world, &batches[1].0, batches[1].1.clone()).await;

    // a reordered pair
    put(&world, &batches[0].0, batches[2].1.clone()).await;
    put(&world, &batches[2].0, batches[0].1.clone()).await;
    assert!(
        matches!(verify(&world, &objects(&world).await), Err(BrokenLink::BatchHashMismatch { batch_key, .. }) if batch_key == batches[0].0)
    );
    put(&world, &batches[0].0, batches[0].1.clone()).await;
    put(&world, &batches[2].0, batches[2].1.clone()).await;

    // a digest rewritten by someone who can write the bucket but not sign
    let forged = String::from_utf8(digests[0].1.clone())
        .unwrap()
        .replace("\"record_count\":1", "\"record_count\":2");
    put(&world, &digests[0].0, forged.into_bytes()).await;
    assert!(
        matches!(verify(&world, &objects(&world).await), Err(BrokenLink::BadSignature { key, .. }) if key == digests[0].0)
    );
    put(&world, &digests[0].0, digests[0].1.clone()).await;
    verify(&world, &objects(&world).await).unwrap();

    // a deleted object
    world
        .trail
        .s3
        .delete_object()
        .bucket(TRAIL_BUCKET)
        .key(&batches[0].0)
        .send()
        .await
        .unwrap();
    assert!(matches!(
        verify(&world, &objects(&world).await),
        Err(BrokenLink::MissingBatch { sequence: 0, .. })
    ));
}

#[tokio::test]
async fn duplicates_are_written_once() {
    let world = world().await;
    let record = finding("same", "nb", "FAILED");
    let answer = world
        .trail
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

#[test]
fn a_marker_write_s3_answers_with_a_conflict_is_retried_so_a_redelivery_adds_nothing() {
    on_a_large_stack(a_marker_write_s3_answers_with_a_conflict_is_retried_so_a_redelivery_adds_nothing_body);
}

async fn a_marker_write_s3_answers_with_a_conflict_is_retried_so_a_redelivery_adds_nothing_body() {
    let world = world().await;
    // given: S3 answers the next conditional write (the record's marker) 409
    // ConditionalRequestConflict, as it does while another conditional write to the key runs
    world.emulator.s3_conflict(1).await.unwrap();
    let batch = sqs(&[("a", &action("r1"))]);

    // when: the record is shipped, then delivered again (SQS delivers at least once)
    let first = world.trail.shipper.handle(&batch, Utc::now()).await.unwrap();
    let again = world.trail.shipper.handle(&batch, Utc::now()).await.unwrap();

    // then: the marker was written on a second try, so the redelivery wrote nothing new
    assert_eq!(first, json!({ "batchItemFailures": [] }));
    assert_eq!(again, json!({ "batchItemFailures": [] }));
    assert_eq!(lines(&objects(&world).await).len(), 1);
    verify(&world, &objects(&world).await).unwrap();
}

#[test]
fn a_throttled_sink_fails_exactly_the_affected_messages() {
    on_a_large_stack(a_throttled_sink_fails_exactly_the_affected_messages_body);
}

async fn a_throttled_sink_fails_exactly_the_affected_messages_body() {
    let world = world().await;
    // given PutObject throttled (the emulator's SDK makes one attempt)
    world.emulator.throttle_service("s3", "PutObject", 1).await.unwrap();
    let batch = sqs(&[("a", &finding("r1", "nb", "FAILED")), ("b", &action("r2"))]);
    let answer = world.trail.shipper.handle(&batch, Utc::now()).await.unwrap();
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
    let answer = world.trail.shipper.handle(&batch, Utc::now()).await.unwrap();
    assert_eq!(answer, json!({ "batchItemFailures": [{"itemIdentifier": "a"}] }));
    // and the redelivery goes through, the trail still verifies
    let retry = sqs(&[("a", &finding("r1", "nb", "FAILED"))]);
    assert_eq!(
        world.trail.shipper.handle(&retry, Utc::now()).await.unwrap(),
        json!({ "batchItemFailures": [] })
    );
    assert_eq!(findings(&world).await.len(), 1);
    verify(&world, &objects(&world).await).unwrap();
}

#[test]
fn a_failure_no_longer_exempted_is_reopened_but_a_suppression_people_made_is_kept() {
    on_a_large_stack(a_failure_no_longer_exempted_is_reopened_but_a_suppression_people_made_is_kept_body);
}

async fn a_failure_no_longer_exempted_is_reopened_but_a_suppression_people_made_is_kept_body() {
    use aws_sdk_securityhub::types::{AwsSecurityFindingIdentifier, NoteUpdate, WorkflowStatus, WorkflowUpdate};

    let world = world().await;
    let ship = |id: &str, body: Value| {
        let bytes = sqs(&[(id, &body)]);
        let shipper = &world.trail.shipper;
        async move { shipper.handle(&bytes, Utc::now()).await.unwrap() }
    };
    let workflow = |found: &[aws_sdk_securityhub::types::AwsSecurityFinding], notebook: &str| {
        let f = found
            .iter()
            .find(|f| f.id().unwrap().ends_with(&format!("/{notebook}")))
            .unwrap();
        let note = f.note().map(|n| n.updated_by().unwrap_or_default().to_owned());
        (f.workflow().unwrap().status().unwrap().as_str().to_owned(), note)
    };
    let mut exempted = finding("r1", "waived", "FAILED");
    exempted["subject"]["finding"]["exemption"] = json!({"resource": "waived", "rules": ["notebook-root-access-disabled"], "reason": "vendor image needs root until 2026-12-01", "expires": "2026-11-30"});

    // given: an exempted failure, and a failure people suppressed in Security Hub themselves
    ship("m1", exempted).await;
    ship("m2", finding("r2", "triaged", "FAILED")).await;
    let found = findings(&world).await;
    assert_eq!(
        workflow(&found, "waived"),
        ("SUPPRESSED".into(), Some("sagefence".into()))
    );
    let triaged = found.iter().find(|f| f.id().unwrap().ends_with("/triaged")).unwrap();
    world
        .trail
        .securityhub
        .batch_update_findings()
        .finding_identifiers(
            AwsSecurityFindingIdentifier::builder()
                .id(triaged.id().unwrap())
                .product_arn(triaged.product_arn().unwrap())
                .build(),
        )
        .workflow(WorkflowUpdate::builder().status(WorkflowStatus::Suppressed).build())
        .note(
            NoteUpdate::builder()
                .text("accepted risk, ticket SEC-42")
                .updated_by("analyst@example.com")
                .build(),
        )
        .send()
        .await
        .unwrap();

    // when: both fail again, neither exempted (the exemption expired)
    ship("m3", finding("r3", "waived", "FAILED")).await;
    ship("m4", finding("r4", "triaged", "FAILED")).await;

    // then: sagefence's suppression is lifted, the analyst's is kept
    let found = findings(&world).await;
    assert_eq!(workflow(&found, "waived"), ("NEW".into(), Some("sagefence".into())));
    assert_eq!(
        workflow(&found, "triaged"),
        ("SUPPRESSED".into(), Some("analyst@example.com".into()))
    );
    drop(world.emulator);
}

#[test]
fn verdicts_from_member_accounts_and_other_regions_reach_security_hub() {
    on_a_large_stack(verdicts_from_member_accounts_and_other_regions_reach_security_hub_body);
}

async fn verdicts_from_member_accounts_and_other_regions_reach_security_hub_body() {
    let world = world().await;
    // given verdicts on resources of two member accounts and of a second region
    let places = [
        ("210987654321", REGION),
        ("310987654321", REGION),
        (ACCOUNT, "us-east-1"),
    ];
    let bodies: Vec<(String, Value)> = places
        .iter()
        .enumerate()
        .map(|(i, (account, region))| {
            let mut record = finding(&format!("org-{i}"), &format!("nb-{i}"), "FAILED");
            record["account"] = json!(account);
            record["region"] = json!(region);
            record["subject"]["finding"]["resource"]["arn"] =
                json!(format!("arn:aws:sagemaker:{region}:{account}:notebook-instance/nb-{i}"));
            (format!("m{i}"), record)
        })
        .collect();
    let refs: Vec<(&str, &Value)> = bodies.iter().map(|(id, body)| (id.as_str(), body)).collect();
    // when shipped by the home account's shipper
    let answer = world.trail.shipper.handle(&sqs(&refs), Utc::now()).await.unwrap();
    // then Security Hub (which refuses another account's finding on the default product)
    // accepted all three, each naming its account and region
    assert_eq!(answer, json!({ "batchItemFailures": [] }));
    let found = findings(&world).await;
    let mut seen: Vec<(String, String, String)> = found
        .iter()
        .map(|f| {
            let fields = f.product_fields().unwrap();
            (
                fields["sagefence/account"].clone(),
                fields["sagefence/region"].clone(),
                f.resources()[0].region().unwrap().to_owned(),
            )
        })
        .collect();
    seen.sort();
    let mut expected: Vec<(String, String, String)> = places
        .iter()
        .map(|(a, r)| ((*a).to_owned(), (*r).to_owned(), (*r).to_owned()))
        .collect();
    expected.sort();
    assert_eq!(seen, expected);
    assert!(found.iter().all(|f| f.aws_account_id() == Some(ACCOUNT)));
    // and the trail holds one chain per account and region
    let report = verify(&world, &objects(&world).await).unwrap();
    assert_eq!(report.chains.len(), 3);
}
