//! The commit protocol under faults, on the emulator's S3 and KMS: a crash injected after each
//! kind of write (batch, digest, marker, head pointer), a PUT that lands but whose answer is
//! lost, and one lost before landing; 1 to 4 shippers writing the same chain at once, with
//! records they share (SQS redelivering a message to a second consumer); S3 answering 409
//! `ConditionalRequestConflict`. In every cell, after redelivering what failed, every record
//! sent is committed exactly once, the trail verifies, and nothing is reported as tampering.

use std::collections::BTreeSet;
use std::io::Write as _;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::Utc;
use futures_util::future::join_all;
use sagefence_audit::trail;
use sagefence_audit_shipper::{Settings, Shipper};
use sagefence_aws::ports::{PortError, PortErrorKind, PortResult, Stored, TrailWriter};
use sagefence_aws::{KmsSigner, S3Trail, SecurityHubImporter};
use sagefence_tests::audit::{AuditTrail, TRAIL_BUCKET, TRAIL_PREFIX};
use sagefence_tests::{Emulator, REGION};
use serde_json::{json, Value};

/// What a write is, by its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Batch,
    Digest,
    Marker,
    Head,
}

fn kind(key: &str) -> Kind {
    if key.ends_with(".json.gz") {
        Kind::Batch
    } else if key.contains("/digests/") {
        Kind::Digest
    } else if key.contains("/records/") {
        Kind::Marker
    } else {
        Kind::Head
    }
}

/// How the instance stops at its first write of a kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    /// The write lands and is answered; the process dies before its next call.
    After,
    /// The write lands; its answer is lost (the invocation timed out mid-PUT).
    AnswerLost,
    /// The write never lands.
    Lost,
}

/// The real S3 trail, with one instance's crash injected.
struct Crashing {
    inner: S3Trail,
    at: Option<(Kind, Stop)>,
    dead: AtomicBool,
}

fn crashed() -> PortError {
    PortError {
        operation: "PutObject",
        kind: PortErrorKind::Other,
        message: "the instance crashed".into(),
    }
}

impl Crashing {
    fn alive(&self) -> PortResult<()> {
        if self.dead.load(Ordering::SeqCst) {
            return Err(crashed());
        }
        Ok(())
    }

    /// Makes a write through `write`, crashing as planned.
    async fn write<T>(&self, key: &str, write: impl std::future::Future<Output = PortResult<T>>) -> PortResult<T> {
        self.alive()?;
        let Some((_, stop)) = self.at.filter(|(k, _)| *k == kind(key)) else {
            return write.await;
        };
        if self.dead.swap(true, Ordering::SeqCst) {
            return Err(crashed());
        }
        match stop {
            Stop::After => write.await,
            Stop::AnswerLost => write.await.and(Err(crashed())),
            Stop::Lost => Err(crashed()),
        }
    }
}

impl TrailWriter for Crashing {
    async fn put(&self, key: &str, bytes: Vec<u8>, content_type: &'static str) -> PortResult<()> {
        self.write(key, self.inner.put(key, bytes, content_type)).await
    }

    async fn put_new(&self, key: &str, bytes: Vec<u8>, content_type: &'static str) -> PortResult<bool> {
        self.write(key, self.inner.put_new(key, bytes, content_type)).await
    }

    async fn put_matching(
        &self,
        key: &str,
        bytes: Vec<u8>,
        content_type: &'static str,
        etag: &str,
    ) -> PortResult<bool> {
        self.write(key, self.inner.put_matching(key, bytes, content_type, etag))
            .await
    }

    async fn keys_under(&self, prefix: &str) -> PortResult<Vec<String>> {
        self.alive()?;
        self.inner.keys_under(prefix).await
    }

    async fn get(&self, key: &str) -> PortResult<Option<Stored>> {
        self.alive()?;
        TrailWriter::get(&self.inner, key).await
    }
}

type Instance = Shipper<Crashing, KmsSigner, SecurityHubImporter, Vec<u8>>;

fn instance(emulator: &Emulator, audit: &AuditTrail, prefix: &str, at: Option<(Kind, Stop)>) -> Instance {
    Shipper::new(
        Crashing {
            inner: S3Trail::new(audit.s3.clone(), TRAIL_BUCKET, Some(audit.key_arn.clone())),
            at,
            dead: AtomicBool::new(false),
        },
        KmsSigner::new(emulator.kms(), audit.signing_key_arn.clone()),
        SecurityHubImporter::new(audit.securityhub.clone()),
        Settings {
            prefix: prefix.to_owned(),
            account: "123456789012".into(),
            region: REGION.into(),
        },
        Vec::new(),
    )
}

fn record(n: usize) -> Value {
    json!({
        "id": format!("rec-{n}"), "time": "2026-11-26T10:00:00Z", "function": "guardrail",
        "account": "123456789012", "region": REGION,
        "subject": {"type": "action", "outcome": "applied", "action": {
            "action": {"type": "stop-notebook-instance"},
            "resource": {"kind": "notebook-instance", "name": format!("nb-{n}")},
            "rules": ["notebook-root-access-disabled"], "mode": "enforce", "reason": "root access"}}
    })
}

/// An SQS event of records `ns` (message id `m{n}`).
fn sqs(ns: &[usize]) -> Vec<u8> {
    let records: Vec<Value> = ns
        .iter()
        .map(|n| json!({"messageId": format!("m{n}"), "body": record(*n).to_string(), "eventSource": "aws:sqs"}))
        .collect();
    serde_json::to_vec(&json!({ "Records": records })).unwrap()
}

/// The messages of an SQS answer's `batchItemFailures`, as record numbers.
fn failed(answer: &Value) -> Vec<usize> {
    answer["batchItemFailures"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f["itemIdentifier"].as_str()?.strip_prefix('m')?.parse().ok())
        .collect()
}

const RECORDS: usize = 12;

/// Writer `w` of `writers` is handed records overlapping its neighbours'.
fn share(w: usize, writers: usize) -> Vec<usize> {
    let step = RECORDS / writers;
    (w * step..(w * step + step + 2).min(RECORDS + 1))
        .map(|n| n % RECORDS)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// One cell: `writers` shippers at once, the first crashing `at`; then redelivery of what
/// failed (and of one batch that did not) to fresh instances. Answers what went wrong, if anything.
async fn cell(
    emulator: &Emulator,
    audit: &AuditTrail,
    prefix: &str,
    writers: usize,
    at: Option<(Kind, Stop)>,
    conflicts: u32,
) -> Result<(), String> {
    if conflicts > 0 {
        emulator.s3_conflict(conflicts).await.map_err(|e| e.to_string())?;
    }
    let instances: Vec<Instance> = (0..writers)
        .map(|w| instance(emulator, audit, prefix, if w == 0 { at } else { None }))
        .collect();
    let answers = join_all(
        instances
            .iter()
            .enumerate()
            .map(|(w, shipper)| async move { (w, shipper.handle(&sqs(&share(w, writers)), Utc::now()).await) }),
    )
    .await;
    let mut pending: BTreeSet<usize> = BTreeSet::new();
    for (w, answer) in answers {
        match answer {
            Ok(answer) => pending.extend(failed(&answer)),
            Err(error) => return Err(format!("writer {w}: {error}")),
        }
    }
    // SQS redelivers what failed, to a fresh instance (the crashed one is gone), and, at least
    // once, a batch that had been shipped.
    pending.extend(share(writers - 1, writers));
    for _ in 0..4 {
        if pending.is_empty() {
            break;
        }
        let ns: Vec<usize> = pending.iter().copied().collect();
        let answer = instance(emulator, audit, prefix, None)
            .handle(&sqs(&ns), Utc::now())
            .await
            .map_err(|e| e.to_string())?;
        pending = failed(&answer).into_iter().collect();
    }
    if !pending.is_empty() {
        return Err(format!("records {pending:?} never shipped"));
    }
    let objects = audit.chain_objects_under(prefix).await.map_err(|e| e.to_string())?;
    let report = trail::verify(
        &mut trail::InMemory(objects.iter().cloned().collect()),
        &audit.expectations(Vec::new()).map_err(|e| e.to_string())?,
    )
    .map_err(|broken| format!("verify: {broken}"))?;
    let chain = report.chains.first().ok_or("no chain")?;
    let mut committed: Vec<String> = Vec::new();
    for (key, bytes) in &objects {
        if key.ends_with(".json.gz") && !chain.pending.contains(key) {
            let lines =
                String::from_utf8(trail::gunzip(bytes).map_err(|e| e.to_string())?).map_err(|e| e.to_string())?;
            for line in lines.lines() {
                let value: Value = serde_json::from_str(line).map_err(|e| e.to_string())?;
                committed.push(value["metadata"]["uid"].as_str().unwrap_or_default().to_owned());
            }
        }
    }
    committed.sort();
    let expected: Vec<String> = {
        let mut all: Vec<String> = (0..RECORDS).map(|n| format!("rec-{n}")).collect();
        all.sort();
        all
    };
    if committed != expected || chain.records != RECORDS as u64 {
        return Err(format!("committed {committed:?} ({} in the chain)", chain.records));
    }
    Ok(())
}

#[test]
fn every_record_is_committed_once_whatever_crashes_races_or_conflicts() {
    std::thread::Builder::new()
        .stack_size(32 << 20)
        .spawn(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(4)
                .enable_all()
                .build()
                .unwrap()
                .block_on(matrix())
        })
        .unwrap()
        .join()
        .unwrap();
}

async fn matrix() {
    let emulator = Emulator::start().await.unwrap();
    let audit = AuditTrail::create(&emulator).await.unwrap();
    let mut crashes: Vec<Option<(Kind, Stop)>> = vec![None];
    for kind in [Kind::Batch, Kind::Digest, Kind::Marker, Kind::Head] {
        crashes.push(Some((kind, Stop::After)));
    }
    for kind in [Kind::Batch, Kind::Digest] {
        crashes.push(Some((kind, Stop::AnswerLost)));
        crashes.push(Some((kind, Stop::Lost)));
    }
    let mut results = Vec::new();
    for (c, crash) in crashes.iter().enumerate() {
        for writers in 1..=4 {
            for conflicts in [0, 2] {
                let prefix = format!("{TRAIL_PREFIX}matrix-{c}-{writers}-{conflicts}/");
                let outcome = cell(&emulator, &audit, &prefix, writers, *crash, conflicts).await;
                results.push((
                    format!("crash {crash:?}, {writers} writer(s), {conflicts} 409s"),
                    outcome,
                ));
            }
        }
    }
    let failures: Vec<&(String, Result<(), String>)> = results.iter().filter(|(_, r)| r.is_err()).collect();
    // Written past the test harness's capture, so `make test` shows the matrix.
    let _ = writeln!(
        std::io::stderr(),
        "audit fault matrix: {} cells ({} crash points x 1-4 writers x with and without 409s), {} passed, {} failed",
        results.len(),
        crashes.len(),
        results.len() - failures.len(),
        failures.len()
    );
    assert!(failures.is_empty(), "{failures:#?}");
}
