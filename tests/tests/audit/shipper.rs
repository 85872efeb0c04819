//! The shipper against in-memory ports: what lands in the trail and in Security Hub, duplicates,
//! oversized records, and partial failures tied back to exactly the failed messages.

use std::collections::BTreeMap;
use std::sync::Mutex;

use chrono::Utc;
use sagefence_audit::asff::{AsffFinding, RefusedFinding};
use sagefence_audit::trail;
use sagefence_audit_shipper::{Settings, Shipper, MAX_RECORD_BYTES};
use sagefence_aws::ports::{FindingsImporter, PortError, PortErrorKind, PortResult, Stored, TrailWriter};
use sagefence_tests::audit::LocalSigner;
use serde_json::{json, Value};

use crate::{api_call, awslogs};

#[derive(Debug, Default)]
struct Bucket {
    objects: Mutex<BTreeMap<String, Vec<u8>>>,
    fail_puts: Mutex<u32>,
}

impl TrailWriter for Bucket {
    async fn put(&self, key: &str, bytes: Vec<u8>, _content_type: &'static str) -> PortResult<()> {
        let mut fail = self.fail_puts.lock().unwrap();
        if *fail > 0 {
            *fail -= 1;
            return Err(PortError {
                operation: "PutObject",
                kind: PortErrorKind::Throttled,
                message: "SlowDown: Please reduce your request rate.".into(),
            });
        }
        self.objects.lock().unwrap().insert(key.to_owned(), bytes);
        Ok(())
    }

    async fn put_new(&self, key: &str, bytes: Vec<u8>, content_type: &'static str) -> PortResult<bool> {
        if self.objects.lock().unwrap().contains_key(key) {
            return Ok(false);
        }
        self.put(key, bytes, content_type).await.map(|()| true)
    }

    async fn put_matching(
        &self,
        key: &str,
        bytes: Vec<u8>,
        content_type: &'static str,
        etag: &str,
    ) -> PortResult<bool> {
        let current = self.objects.lock().unwrap().get(key).map(|b| trail::sha256_hex(b));
        if current.as_deref() != Some(etag) {
            return Ok(false);
        }
        self.put(key, bytes, content_type).await.map(|()| true)
    }

    async fn keys_under(&self, prefix: &str) -> PortResult<Vec<String>> {
        Ok(self
            .objects
            .lock()
            .unwrap()
            .keys()
            .filter(|k| k.starts_with(prefix))
            .cloned()
            .collect())
    }

    async fn get(&self, key: &str) -> PortResult<Option<Stored>> {
        Ok(self.objects.lock().unwrap().get(key).map(|bytes| Stored {
            etag: trail::sha256_hex(bytes),
            bytes: bytes.clone(),
        }))
    }
}

#[derive(Debug, Default)]
struct Hub {
    findings: Mutex<BTreeMap<String, AsffFinding>>,
    refuse: Mutex<Vec<String>>,
}

impl FindingsImporter for Hub {
    async fn import(&self, findings: &[AsffFinding]) -> PortResult<Vec<RefusedFinding>> {
        let refuse = self.refuse.lock().unwrap().clone();
        let mut refused = Vec::new();
        for finding in findings {
            if refuse.contains(&finding.id) {
                refused.push(RefusedFinding {
                    id: finding.id.clone(),
                    code: "InvalidInput".into(),
                    message: "refused".into(),
                });
            } else {
                self.findings
                    .lock()
                    .unwrap()
                    .insert(finding.id.clone(), finding.clone());
            }
        }
        Ok(refused)
    }
}

type InMemoryShipper = Shipper<Bucket, LocalSigner, Hub, Vec<u8>>;

fn shipper() -> InMemoryShipper {
    Shipper::new(
        Bucket::default(),
        LocalSigner::new().unwrap(),
        Hub::default(),
        Settings {
            prefix: "trail/".into(),
            account: "123456789012".into(),
            region: "eu-west-1".into(),
        },
        Vec::new(),
    )
}

fn finding(id: &str, notebook: &str, status: &str) -> Value {
    json!({
        "id": id, "time": "2026-11-26T10:00:00Z", "function": "guardrail",
        "account": "123456789012", "region": "eu-west-1",
        "subject": {"type": "finding", "finding": {
            "rule": "notebook-root-access-disabled", "control": "SageMaker.3",
            "resource": {"kind": "notebook-instance", "name": notebook},
            "status": status, "severity": "HIGH", "reason": "root access", "mode": "enforce"}}
    })
}

fn action(id: &str, outcome: &str) -> Value {
    json!({
        "id": id, "time": "2026-11-26T10:00:01Z", "function": "guardrail",
        "account": "123456789012", "region": "eu-west-1",
        "subject": {"type": "action", "outcome": outcome, "action": {
            "action": {"type": "stop-notebook-instance"},
            "resource": {"kind": "notebook-instance", "name": "nb"},
            "rules": ["notebook-root-access-disabled"], "mode": "enforce", "reason": "root access"}}
    })
}

fn sqs(bodies: &[(&str, String)]) -> Vec<u8> {
    let records: Vec<Value> = bodies
        .iter()
        .map(|(id, body)| json!({"messageId": id, "body": body, "eventSource": "aws:sqs"}))
        .collect();
    serde_json::to_vec(&json!({ "Records": records })).unwrap()
}

fn shipped_lines(shipper: &InMemoryShipper) -> Vec<Value> {
    crate::lines(&objects(shipper))
}

fn objects(shipper: &InMemoryShipper) -> Vec<(String, Vec<u8>)> {
    shipper.trail.objects.lock().unwrap().clone().into_iter().collect()
}

fn verify(shipper: &InMemoryShipper) -> trail::VerifyReport {
    let expect = trail::Expectations {
        keys: trail::PublicKeys::new([shipper.signer.public_key.clone()]).unwrap(),
        ..trail::Expectations::default()
    };
    trail::verify(&mut trail::InMemory(objects(shipper).into_iter().collect()), &expect).unwrap()
}

fn chain_objects(shipper: &InMemoryShipper) -> Vec<String> {
    objects(shipper)
        .into_iter()
        .map(|(key, _)| key)
        .filter(|key| trail::is_chain_object(key))
        .collect()
}

#[tokio::test]
async fn a_redelivered_batch_writes_nothing_new_and_still_imports() {
    // given a batch shipped once
    let shipper = shipper();
    let batch = sqs(&[
        ("m1", finding("r1", "nb", "FAILED").to_string()),
        ("m2", action("r2", "applied").to_string()),
    ]);
    shipper.handle(&batch, Utc::now()).await.unwrap();
    let before = chain_objects(&shipper);
    assert_eq!(before.len(), 2);
    let marker = trail::marker_key("trail/123456789012/eu-west-1/", "r1");
    assert!(shipper.trail.objects.lock().unwrap().contains_key(&marker));
    shipper.findings.findings.lock().unwrap().clear();
    // when SQS delivers it again, with one new record
    let again = sqs(&[
        ("m1", finding("r1", "nb", "FAILED").to_string()),
        ("m2", action("r2", "applied").to_string()),
        ("m3", action("r3", "applied").to_string()),
    ]);
    let answer = shipper.handle(&again, Utc::now()).await.unwrap();
    // then only the new record is written, the verdict is imported again, the chain verifies
    assert_eq!(answer, json!({ "batchItemFailures": [] }));
    assert_eq!(chain_objects(&shipper).len(), 4);
    let written: Vec<Value> = shipped_lines(&shipper)
        .iter()
        .map(|l| l["metadata"]["uid"].clone())
        .collect();
    assert_eq!(written, [json!("r1"), json!("r2"), json!("r3")]);
    assert_eq!(shipper.findings.findings.lock().unwrap().len(), 1);
    assert_eq!(verify(&shipper).chains[0].records, 3);
    // and a fully redelivered batch writes no object at all
    let report = shipper.handle(&again, Utc::now()).await.unwrap();
    assert_eq!(report, json!({ "batchItemFailures": [] }));
    assert_eq!(chain_objects(&shipper).len(), 4);
}

#[tokio::test]
async fn an_sqs_batch_lands_in_the_trail_and_security_hub_once() {
    // given three messages, one a duplicate of another
    let shipper = shipper();
    let payload = sqs(&[
        ("m1", finding("r1", "nb", "FAILED").to_string()),
        ("m2", action("r2", "applied").to_string()),
        ("m3", finding("r1", "nb", "FAILED").to_string()),
    ]);
    // when shipped
    let answer = shipper.handle(&payload, Utc::now()).await.unwrap();
    // then nothing failed, two records were written once, and the verdict was imported
    assert_eq!(answer, json!({ "batchItemFailures": [] }));
    let written = shipped_lines(&shipper);
    assert_eq!(written.len(), 2);
    assert_eq!(written[0]["class_uid"], 2003);
    assert_eq!(written[1]["class_uid"], 7001);
    let hub = shipper.findings.findings.lock().unwrap().clone();
    assert_eq!(hub.len(), 1);
    assert_eq!(hub.values().next().unwrap().compliance_status, "FAILED");
    assert_eq!(verify(&shipper).chains[0].records, 2);
}

#[tokio::test]
async fn batches_chain_and_a_pass_resolves_the_same_finding() {
    let shipper = shipper();
    shipper
        .handle(&sqs(&[("m1", finding("r1", "nb", "FAILED").to_string())]), Utc::now())
        .await
        .unwrap();
    shipper
        .handle(&sqs(&[("m2", finding("r2", "nb", "PASSED").to_string())]), Utc::now())
        .await
        .unwrap();
    let report = verify(&shipper);
    assert_eq!((report.chains[0].batches, report.chains[0].records), (2, 2));
    let hub = shipper.findings.findings.lock().unwrap().clone();
    assert_eq!(hub.len(), 1);
    let only = hub.values().next().unwrap();
    assert_eq!(
        (only.compliance_status.as_str(), only.workflow_status.as_str()),
        ("PASSED", "RESOLVED")
    );
}

#[tokio::test]
async fn a_failing_sink_fails_exactly_the_affected_messages() {
    // given a refused finding and a malformed message among good ones
    let shipper = shipper();
    shipper
        .findings
        .refuse
        .lock()
        .unwrap()
        .push("sagefence/notebook-root-access-disabled/bad".into());
    let payload = sqs(&[
        ("ok", finding("r1", "nb", "FAILED").to_string()),
        ("refused", finding("r2", "bad", "FAILED").to_string()),
        ("malformed", "{not json".to_owned()),
        ("remedy", action("r3", "failed").to_string()),
    ]);
    let answer = shipper.handle(&payload, Utc::now()).await.unwrap();
    assert_eq!(
        answer,
        json!({ "batchItemFailures": [{"itemIdentifier": "malformed"}, {"itemIdentifier": "refused"}] })
    );
    // and when the trail cannot be written, every message of the batch fails
    *shipper.trail.fail_puts.lock().unwrap() = 1;
    let payload = sqs(&[
        ("a", finding("r4", "nb2", "FAILED").to_string()),
        ("b", action("r5", "applied").to_string()),
    ]);
    let answer = shipper.handle(&payload, Utc::now()).await.unwrap();
    assert_eq!(
        answer,
        json!({ "batchItemFailures": [{"itemIdentifier": "a"}, {"itemIdentifier": "b"}] })
    );
}

#[tokio::test]
async fn an_oversized_record_is_truncated_with_a_marker_not_dropped() {
    let shipper = shipper();
    let mut record = finding("big", "nb", "FAILED");
    record["subject"]["finding"]["reason"] = json!("x".repeat(400 * 1024));
    shipper
        .handle(&sqs(&[("m", record.to_string())]), Utc::now())
        .await
        .unwrap();
    let written = shipped_lines(&shipper);
    assert_eq!(written.len(), 1);
    assert!(written[0].to_string().len() <= MAX_RECORD_BYTES);
    assert!(
        written[0]["unmapped"]["sagefence_truncated"]["original_bytes"]
            .as_u64()
            .unwrap()
            > 400 * 1024
    );
    assert_eq!(written[0]["metadata"]["uid"], "big");
}

#[tokio::test]
async fn an_eventbridge_api_call_becomes_api_activity() {
    let shipper = shipper();
    let event = &api_call();
    let answer = shipper.handle(event, Utc::now()).await.unwrap();
    assert_eq!(answer["shipped"], 1);
    assert_eq!(shipped_lines(&shipper)[0]["class_uid"], 6003);
    let metrics = String::from_utf8(shipper.into_metrics()).unwrap();
    assert!(metrics.lines().any(|l| l.contains("\"RecordsShipped\":1")), "{metrics}");
}

#[tokio::test]
async fn a_logs_delivery_ships_audit_lines_and_cloudtrail_records() {
    let shipper = shipper();
    let event: Value = serde_json::from_slice(&api_call()).unwrap();
    let payload = awslogs(&[
        "START RequestId: 1 Version: $LATEST".to_owned(),
        format!("SAGEFENCE_AUDIT {}\n", finding("r1", "nb", "FAILED")),
        format!("SAGEFENCE_AUDIT {}", action("r2", "dry-run")),
        event["detail"].to_string(),
        "SAGEFENCE_AUDIT {broken".to_owned(),
    ]);
    let answer = shipper.handle(&payload, Utc::now()).await.unwrap();
    assert_eq!(answer["shipped"], 3, "{answer}");
    // the API call's own account (111122223333) is a chain of its own, listed first
    let classes: Vec<Value> = shipped_lines(&shipper).iter().map(|l| l["class_uid"].clone()).collect();
    assert_eq!(classes, [json!(6003), json!(2003), json!(7001)]);
    assert_eq!(verify(&shipper).chains.len(), 2);
}

#[tokio::test]
async fn a_trail_written_before_signing_is_left_as_it_was_and_the_signed_chain_starts_beside_it() {
    // given a chain of the unsigned format (digest named `{sequence}-{hash}.json`), no head pointer
    let shipper = shipper();
    let dir = "trail/123456789012/eu-west-1/";
    let old_batch = format!("{dir}2026/11/01/10/000000000007-0123456789abcdef.json.gz");
    let old_digest = format!("{dir}digests/000000000007-0123456789abcdef.json");
    for (key, bytes) in [
        (&old_batch, b"old".to_vec()),
        (&old_digest, b"{\"version\":1}".to_vec()),
    ] {
        shipper.trail.objects.lock().unwrap().insert(key.clone(), bytes);
    }
    // when a record is shipped
    let answer = shipper
        .handle(&sqs(&[("m1", finding("r1", "nb", "FAILED").to_string())]), Utc::now())
        .await
        .unwrap();
    // then it starts the signed chain at 0, and the old objects are untouched and not part of it
    assert_eq!(answer, json!({ "batchItemFailures": [] }));
    let report = verify(&shipper);
    assert_eq!((report.chains[0].from_sequence, report.chains[0].records), (0, 1));
    assert_eq!(report.chains[0].pending, vec![old_batch.clone()]);
    assert_eq!(
        shipper.trail.objects.lock().unwrap()[&old_digest],
        b"{\"version\":1}".to_vec()
    );
}
