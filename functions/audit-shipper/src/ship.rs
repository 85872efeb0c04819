//! Shipping: items become OCSF shipments (deduplicated by record id, bounded in size), each
//! account and region's shipments are committed as the next batch of its chain, and verdicts
//! are imported into Security Hub. Every failure is tied back to the input messages it came from.
//!
//! The commit protocol (see [`sagefence_audit::trail`] for the layout) holds with any number of
//! concurrent writers and a crash after any write, without listing the bucket:
//! 1. find the head: the digest this instance last committed, or else the head pointer's digest
//!    and every digest after it (probed by sequence), and write the record markers of the last
//!    one found (its writer may have stopped before writing them);
//! 2. drop the records whose marker exists (an earlier delivery committed them; their verdicts
//!    are still imported, as imports are idempotent);
//! 3. write the batch, sign its digest with KMS and create the digest with `If-None-Match: *`;
//!    if another writer created that sequence first, start again from 1 (its batch may hold
//!    some of these records);
//! 4. write the markers, move the head pointer with `If-Match`, and publish the head.
//!
//! Every commit at sequence `n` follows the markers of `n - 1`, so only the newest digest can
//! lack its markers, and step 1 writes them: a record is committed once whatever the crash. A
//! batch whose digest was never created is pending, not part of the chain.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Write;
use std::sync::Mutex;

use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse};
use chrono::{DateTime, Utc};
use futures_util::StreamExt as _;
use sagefence_audit::asff::{self, AsffFinding};
use sagefence_audit::ocsf::{self, SubjectLine};
use sagefence_audit::trail::{self, Committed, Entry, Head, HeadPointer};
use sagefence_aws::ports::{DigestSigner, FindingsImporter, PortError, PortErrorKind, PortResult, TrailWriter};
use serde::Serialize;
use serde_json::{json, Value};

use crate::error::ShipperError;
use crate::input::{self, Item, Payload};
use crate::metrics::{self, Counts};

fn sealing(message: String) -> PortError {
    PortError {
        operation: "SealBatch",
        kind: PortErrorKind::Other,
        message,
    }
}

fn unreadable(message: String) -> PortError {
    PortError {
        operation: "GetObject",
        kind: PortErrorKind::Other,
        message,
    }
}

/// Records larger than this (as JSON) are truncated, with a marker, never dropped.
pub const MAX_RECORD_BYTES: usize = 256 * 1024;
/// Security Hub imports at most this many findings per call.
const IMPORT_LIMIT: usize = 100;
/// Record markers read or written at once.
const MARKER_CALLS: usize = 16;
/// Commits tried per chain and invocation before its records are left to a redelivery.
const COMMIT_ATTEMPTS: usize = 8;

/// Where the trail goes, and the account and region of records that name none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// The key prefix of the trail (e.g. `sagefence/`).
    pub prefix: String,
    /// The function's account.
    pub account: String,
    /// The function's region.
    pub region: String,
}

/// What is counted for a shipment.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Counted {
    Finding { rule: String, status: String },
    Remedy { outcome: &'static str },
    Call,
}

/// One record ready to ship.
#[derive(Debug, Clone, PartialEq)]
pub struct Shipment {
    /// The record id.
    pub id: String,
    /// When it happened.
    pub time: DateTime<Utc>,
    /// Its chain: account.
    pub account: String,
    /// Its chain: region.
    pub region: String,
    /// The OCSF record, as one JSON line of at most [`MAX_RECORD_BYTES`].
    pub line: String,
    /// Its Security Hub finding, for verdicts.
    pub finding: Option<AsffFinding>,
    counted: Counted,
    /// The input messages it came from (SQS message ids; none for other inputs).
    sources: Vec<Option<String>>,
    /// Whether an earlier delivery already committed it to the trail.
    in_trail: bool,
}

impl Shipment {
    /// The shipment for an item; `None` when it needs none.
    fn from_item(item: Item, settings: &Settings) -> Result<Option<Shipment>, String> {
        match item {
            Item::Skip => Ok(None),
            Item::Unreadable(error) => Err(error),
            Item::ApiCall {
                id,
                time,
                account,
                region,
                ocsf,
            } => Ok(Some(Shipment {
                id,
                time,
                account: account.unwrap_or_else(|| settings.account.clone()),
                region: region.unwrap_or_else(|| settings.region.clone()),
                line: bounded(ocsf),
                finding: None,
                counted: Counted::Call,
                sources: Vec::new(),
                in_trail: false,
            })),
            Item::Record(record) => {
                let record = *record;
                let Some(ocsf) = ocsf::from_record(&record) else {
                    return Ok(None);
                };
                let counted = match &record.subject {
                    SubjectLine::Finding { finding } => Counted::Finding {
                        rule: finding.rule.clone(),
                        status: finding.status.clone(),
                    },
                    SubjectLine::Action { outcome, .. } => Counted::Remedy {
                        outcome: outcome.name(),
                    },
                    _ => Counted::Call,
                };
                Ok(Some(Shipment {
                    finding: asff::from_record(&record, &settings.account, &settings.region),
                    id: record.id,
                    time: record.time,
                    account: record.account.unwrap_or_else(|| settings.account.clone()),
                    region: record.region.unwrap_or_else(|| settings.region.clone()),
                    line: bounded(ocsf),
                    counted,
                    sources: Vec::new(),
                    in_trail: false,
                }))
            }
        }
    }
}

/// The record as one JSON line of at most [`MAX_RECORD_BYTES`]: an oversized record keeps
/// every attribute, its long strings and arrays cut, and says so in
/// `unmapped.sagefence_truncated`.
pub fn bounded(mut record: Value) -> String {
    let line = record.to_string();
    if line.len() <= MAX_RECORD_BYTES {
        return line;
    }
    let original = line.len();
    for (max_chars, max_items) in [(1024, 256), (128, 32), (16, 4)] {
        cut(&mut record, max_chars, max_items);
        if let Some(object) = record.as_object_mut() {
            let unmapped = object.entry("unmapped").or_insert_with(|| json!({}));
            if let Some(unmapped) = unmapped.as_object_mut() {
                unmapped.insert("sagefence_truncated".to_owned(), json!({ "original_bytes": original }));
            }
        }
        let line = record.to_string();
        if line.len() <= MAX_RECORD_BYTES {
            return line;
        }
    }
    record.to_string()
}

fn cut(value: &mut Value, max_chars: usize, max_items: usize) {
    match value {
        Value::String(text) if text.chars().count() > max_chars => {
            *text = text.chars().take(max_chars).chain("…[truncated]".chars()).collect();
        }
        Value::Array(items) => {
            items.truncate(max_items);
            items.iter_mut().for_each(|v| cut(v, max_chars, max_items));
        }
        Value::Object(map) => map.values_mut().for_each(|v| cut(v, max_chars, max_items)),
        _ => {}
    }
}

/// One input that was not shipped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Failure {
    /// The SQS message id, where the input was a queue.
    pub source: Option<String>,
    /// What went wrong.
    pub error: String,
    /// Whether a retry may succeed.
    pub retryable: bool,
}

/// What one invocation did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    /// Records written to the trail.
    pub shipped: usize,
    /// Findings imported into Security Hub.
    pub imported: usize,
    /// Duplicates (same record id) dropped within the batch.
    pub duplicates: usize,
    /// Records an earlier delivery already wrote to the trail (not written again).
    pub redelivered: usize,
    /// Items needing no shipment.
    pub skipped: usize,
    /// Inputs not shipped.
    pub failures: Vec<Failure>,
}

/// The audit-shipper: its sinks behind ports, the chain heads it last committed, and where its
/// metric and head lines go.
#[derive(Debug)]
pub struct Shipper<T, S, F, M> {
    /// The trail's bucket.
    pub trail: T,
    /// The digest signer.
    pub signer: S,
    /// Security Hub.
    pub findings: F,
    /// Settings.
    pub settings: Settings,
    heads: Mutex<HashMap<String, Head>>,
    metrics: Mutex<M>,
}

impl<T, S, F, M> Shipper<T, S, F, M>
where
    T: TrailWriter + Sync,
    S: DigestSigner + Sync,
    F: FindingsImporter + Sync,
    M: Write,
{
    /// A shipper writing EMF metric lines and published heads to `metrics` (stdout in Lambda).
    pub fn new(trail: T, signer: S, findings: F, settings: Settings, metrics: M) -> Self {
        Shipper {
            trail,
            signer,
            findings,
            settings,
            heads: Mutex::new(HashMap::new()),
            metrics: Mutex::new(metrics),
        }
    }

    /// Reads the metrics writer (what was written so far) through `read`.
    pub fn read_metrics<R>(&self, read: impl FnOnce(&M) -> R) -> R {
        match self.metrics.lock() {
            Ok(out) => read(&out),
            Err(poisoned) => read(&poisoned.into_inner()),
        }
    }

    /// The metrics writer, to read back what was written.
    pub fn into_metrics(self) -> M {
        match self.metrics.into_inner() {
            Ok(out) => out,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// Handles one invocation. An SQS batch answers `{"batchItemFailures": [...]}` naming
    /// exactly the messages not shipped; other inputs answer a summary, or an error when any
    /// record was not shipped (the whole delivery is retried).
    pub async fn handle(&self, bytes: &[u8], now: DateTime<Utc>) -> Result<Value, ShipperError> {
        match input::payload(bytes)? {
            Payload::Sqs(batch) => {
                let items = batch
                    .records
                    .into_iter()
                    .map(|message| {
                        let item = match message.body.as_deref() {
                            Some(body) => input::record(body),
                            None => Item::Unreadable("message without body".to_owned()),
                        };
                        (message.message_id, item)
                    })
                    .collect();
                let report = self.ship(items, now).await;
                let failed: BTreeSet<String> = report.failures.iter().filter_map(|f| f.source.clone()).collect();
                let mut response = SqsBatchResponse::default();
                response.batch_item_failures = failed
                    .into_iter()
                    .map(|item_identifier| {
                        let mut failure = BatchItemFailure::default();
                        failure.item_identifier = item_identifier;
                        failure
                    })
                    .collect();
                serde_json::to_value(response).map_err(|e| ShipperError::Payload(e.to_string()))
            }
            Payload::Logs(logs) => {
                if logs.aws_logs.data.message_type == "CONTROL_MESSAGE" {
                    return Ok(json!({ "shipped": 0, "control": true }));
                }
                let items = logs
                    .aws_logs
                    .data
                    .log_events
                    .iter()
                    .map(|entry| match input::log_line(&entry.message) {
                        // A log line is never redelivered alone: an unreadable one is reported
                        // and skipped, not retried forever.
                        Item::Unreadable(error) => {
                            tracing::warn!(log_event = %entry.id, %error, "unreadable audit line skipped");
                            (None, Item::Skip)
                        }
                        item => (None, item),
                    })
                    .collect();
                self.summary(self.ship(items, now).await)
            }
            Payload::EventBridge(bytes) => match input::event(&bytes) {
                Item::Unreadable(error) => Err(ShipperError::Payload(error)),
                item => self.summary(self.ship(vec![(None, item)], now).await),
            },
        }
    }

    fn summary(&self, report: Report) -> Result<Value, ShipperError> {
        if let Some(first) = report.failures.first() {
            return Err(ShipperError::Sink {
                failed: report.failures.len(),
                first: first.error.clone(),
                retryable: report.failures.iter().any(|f| f.retryable),
            });
        }
        serde_json::to_value(&report).map_err(|e| ShipperError::Payload(e.to_string()))
    }

    /// Ships items, each with the input message it came from.
    pub async fn ship(&self, items: Vec<(Option<String>, Item)>, now: DateTime<Utc>) -> Report {
        let mut report = Report::default();
        let mut shipments: Vec<Shipment> = Vec::new();
        let mut by_id: HashMap<String, usize> = HashMap::new();
        for (source, item) in items {
            match Shipment::from_item(item, &self.settings) {
                Ok(None) => report.skipped += 1,
                Err(error) => report.failures.push(Failure {
                    source,
                    error,
                    retryable: false,
                }),
                Ok(Some(mut shipment)) => match by_id.get(&shipment.id) {
                    Some(&index) => {
                        report.duplicates += 1;
                        if let Some(first) = shipments.get_mut(index) {
                            first.sources.push(source);
                        }
                    }
                    None => {
                        shipment.sources.push(source);
                        by_id.insert(shipment.id.clone(), shipments.len());
                        shipments.push(shipment);
                    }
                },
            }
        }
        let mut failed: BTreeMap<usize, PortError> = BTreeMap::new();
        // Boxed: the SDK's futures behind the ports are large, and a Lambda's stack is not.
        Box::pin(self.write_trail(&mut shipments, &mut failed)).await;
        report.redelivered = shipments.iter().filter(|s| s.in_trail).count();
        report.imported = Box::pin(self.import_findings(&shipments, &mut failed)).await;
        let mut counts = Counts {
            duplicates: (report.duplicates + report.redelivered) as u64,
            ..Counts::default()
        };
        for (index, shipment) in shipments.iter().enumerate() {
            if shipment.in_trail && !failed.contains_key(&index) {
                continue;
            }
            if let Some(error) = failed.get(&index) {
                report.failures.extend(shipment.sources.iter().map(|source| Failure {
                    source: source.clone(),
                    error: error.to_string(),
                    retryable: error.is_retryable(),
                }));
                continue;
            }
            counts.shipped += 1;
            match &shipment.counted {
                Counted::Finding { rule, status } => {
                    *counts.findings.entry((rule.clone(), status.clone())).or_default() += 1;
                }
                Counted::Remedy { outcome } => *counts.remedies.entry((*outcome).to_owned()).or_default() += 1,
                Counted::Call => {}
            }
        }
        report.shipped = counts.shipped as usize;
        counts.failed = report.failures.len() as u64;
        self.emit(&metrics::emf(&counts, now));
        report
    }

    fn chain_dir(&self, account: &str, region: &str) -> String {
        trail::chain_dir(&self.settings.prefix, account, region)
    }

    /// Commits each chain's shipments; a chain that cannot be committed fails its shipments.
    async fn write_trail(&self, shipments: &mut [Shipment], failed: &mut BTreeMap<usize, PortError>) {
        let mut chains: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (index, shipment) in shipments.iter().enumerate() {
            if !failed.contains_key(&index) {
                chains
                    .entry(self.chain_dir(&shipment.account, &shipment.region))
                    .or_default()
                    .push(index);
            }
        }
        for (dir, indices) in chains {
            if let Err(error) = self.commit_chain(&dir, shipments, &indices).await {
                self.forget(&dir);
                for index in indices {
                    if shipments.get(index).is_some_and(|s| !s.in_trail) {
                        failed.insert(index, error.clone());
                    }
                }
            }
        }
    }

    /// Commits the shipments at `indices` (one chain) as its next batch, re-sealing on the next
    /// sequence while other writers win the race.
    async fn commit_chain(&self, dir: &str, shipments: &mut [Shipment], indices: &[usize]) -> Result<(), PortError> {
        for _ in 0..COMMIT_ATTEMPTS {
            let head = self.head(dir).await?;
            self.find_committed(dir, shipments, indices).await?;
            let entries: Vec<Entry> = indices
                .iter()
                .filter_map(|i| shipments.get(*i))
                .filter(|s| !s.in_trail)
                .map(|s| Entry {
                    id: s.id.clone(),
                    time: s.time,
                    line: s.line.clone(),
                })
                .collect();
            if entries.is_empty() {
                return Ok(());
            }
            let unsigned = trail::seal(dir, &entries, head.as_ref()).map_err(|e| sealing(e.to_string()))?;
            let (signature, key) = self.signer.sign(&unsigned.signing_string()).await?;
            let sealed = unsigned.signed(&signature, &key).map_err(|e| sealing(e.to_string()))?;
            self.trail
                .put(&sealed.batch_key, sealed.batch.clone(), "application/gzip")
                .await?;
            if !self
                .trail
                .put_new(&sealed.digest_key, sealed.digest_bytes.clone(), "application/json")
                .await?
            {
                // Another writer committed this sequence: find it, and what it committed.
                self.forget(dir);
                continue;
            }
            let committed = Committed {
                head: sealed.head(),
                record_ids: sealed.digest.record_ids.clone(),
            };
            self.write_markers(dir, &committed).await?;
            self.remember(dir, &committed.head);
            self.advance_pointer(dir, &committed.head).await;
            self.emit(&[sealed.published(dir).line()]);
            return Ok(());
        }
        Err(PortError {
            operation: "PutObject",
            kind: PortErrorKind::Throttled,
            message: format!("{COMMIT_ATTEMPTS} commits to `{dir}` lost to other writers"),
        })
    }

    /// Caches `head` as chain `dir`'s: every digest up to it has its markers.
    fn remember(&self, dir: &str, head: &Head) {
        if let Ok(mut heads) = self.heads.lock() {
            heads.insert(dir.to_owned(), head.clone());
        }
    }

    /// Drops chain `dir`'s cached head: the next commit finds it again.
    fn forget(&self, dir: &str) {
        if let Ok(mut heads) = self.heads.lock() {
            heads.remove(dir);
        }
    }

    /// Marks the shipments whose record an earlier delivery committed (their marker exists).
    async fn find_committed(&self, dir: &str, shipments: &mut [Shipment], indices: &[usize]) -> Result<(), PortError> {
        let keys: Vec<(usize, String)> = indices
            .iter()
            .filter_map(|i| {
                shipments
                    .get(*i)
                    .filter(|s| !s.in_trail)
                    .map(|s| (*i, trail::marker_key(dir, &s.id)))
            })
            .collect();
        let found: Vec<PortResult<bool>> = futures_util::stream::iter(keys.iter())
            .map(|(_, key)| async move { self.trail.get(key).await.map(|stored| stored.is_some()) })
            .buffered(MARKER_CALLS)
            .collect()
            .await;
        for ((index, _), found) in keys.iter().zip(found) {
            if found? {
                if let Some(shipment) = shipments.get_mut(*index) {
                    shipment.in_trail = true;
                }
            }
        }
        Ok(())
    }

    /// Writes the record markers of a committed digest (each only if absent).
    async fn write_markers(&self, dir: &str, committed: &Committed) -> Result<(), PortError> {
        let written: Vec<PortResult<bool>> = futures_util::stream::iter(committed.record_ids.iter())
            .map(|id| {
                let marker = committed.head.key.clone().into_bytes();
                async move {
                    self.trail
                        .put_new(&trail::marker_key(dir, id), marker, "text/plain")
                        .await
                }
            })
            .buffered(MARKER_CALLS)
            .collect()
            .await;
        written.into_iter().try_for_each(|w| w.map(drop))
    }

    /// The head of chain `dir`, its markers written: the digest this instance last committed,
    /// or the last digest found from the head pointer on.
    async fn head(&self, dir: &str) -> Result<Option<Head>, PortError> {
        if let Some(head) = self.heads.lock().ok().and_then(|heads| heads.get(dir).cloned()) {
            return Ok(Some(head));
        }
        let Some((mut last, marked)) = self.start(dir).await? else {
            return Ok(None);
        };
        let mut behind = !marked;
        loop {
            let next = trail::digest_key(dir, last.head.sequence + 1);
            let Some(stored) = self.trail.get(&next).await? else {
                break;
            };
            last = trail::read_digest(&next, &stored.bytes).map_err(|e| unreadable(e.to_string()))?;
            behind = true;
        }
        if behind {
            self.write_markers(dir, &last).await?;
            self.advance_pointer(dir, &last.head).await;
        }
        self.remember(dir, &last.head);
        Ok(Some(last.head))
    }

    /// Where to probe from: the head pointer's digest (its markers written), or, with no pointer
    /// or one naming no digest, the last digest listed (its markers perhaps not); `None` for a
    /// chain with no digest.
    async fn start(&self, dir: &str) -> Result<Option<(Committed, bool)>, PortError> {
        let pointer = self.trail.get(&trail::head_key(dir)).await?;
        let pointed = pointer
            .and_then(|stored| serde_json::from_slice::<HeadPointer>(&stored.bytes).ok())
            .filter(|p| p.digest_key == trail::digest_key(dir, p.sequence));
        if let Some(pointer) = pointed {
            if let Some(stored) = self.trail.get(&pointer.digest_key).await? {
                if let Ok(committed) = trail::read_digest(&pointer.digest_key, &stored.bytes) {
                    return Ok(Some((committed, true)));
                }
            }
        }
        // The newest digest of this format: a trail written before signing (digests named
        // `{sequence}-{hash}.json`) is left as it was, and this chain starts beside it.
        let listed = self.trail.keys_under(&trail::digests_prefix(dir)).await?;
        let Some(key) = listed
            .into_iter()
            .filter_map(|key| trail::digest_sequence(&key).map(|sequence| (sequence, key)))
            .max()
            .map(|(_, key)| key)
        else {
            return Ok(None);
        };
        tracing::warn!(chain = dir, digest = %key, "head pointer missing or stale: found the head by listing");
        let stored = self
            .trail
            .get(&key)
            .await?
            .ok_or_else(|| unreadable(format!("`{key}` vanished")))?;
        let committed = trail::read_digest(&key, &stored.bytes).map_err(|e| unreadable(e.to_string()))?;
        Ok(Some((committed, false)))
    }

    /// Moves the head pointer to `head` unless it already names a later digest. A pointer that
    /// cannot be moved is only a slower start for the next writer.
    async fn advance_pointer(&self, dir: &str, head: &Head) {
        let key = trail::head_key(dir);
        let pointer = HeadPointer {
            sequence: head.sequence,
            digest_key: head.key.clone(),
        };
        let Ok(bytes) = serde_json::to_vec(&pointer) else {
            return;
        };
        for _ in 0..COMMIT_ATTEMPTS {
            let moved = match self.trail.get(&key).await {
                Ok(None) => self.trail.put_new(&key, bytes.clone(), "application/json").await,
                Ok(Some(stored)) => match serde_json::from_slice::<HeadPointer>(&stored.bytes) {
                    Ok(current) if current.sequence >= head.sequence => return,
                    _ => {
                        self.trail
                            .put_matching(&key, bytes.clone(), "application/json", &stored.etag)
                            .await
                    }
                },
                Err(error) => Err(error),
            };
            match moved {
                Ok(true) => return,
                Ok(false) => {}
                Err(error) => {
                    tracing::warn!(chain = dir, %error, "head pointer not moved");
                    return;
                }
            }
        }
    }

    /// Imports the verdicts written to the trail; refused findings fail their records.
    async fn import_findings(&self, shipments: &[Shipment], failed: &mut BTreeMap<usize, PortError>) -> usize {
        let pending: Vec<(usize, &AsffFinding)> = shipments
            .iter()
            .enumerate()
            .filter(|(index, _)| !failed.contains_key(index))
            .filter_map(|(index, s)| s.finding.as_ref().map(|f| (index, f)))
            .collect();
        let mut imported = 0;
        for chunk in pending.chunks(IMPORT_LIMIT) {
            let findings: Vec<AsffFinding> = chunk.iter().map(|(_, f)| (*f).clone()).collect();
            match self.findings.import(&findings).await {
                Ok(refused) => {
                    for (index, finding) in chunk {
                        match refused.iter().find(|r| r.id == finding.id) {
                            Some(refusal) => {
                                failed.insert(
                                    *index,
                                    PortError {
                                        operation: "BatchImportFindings",
                                        kind: if refusal.code.contains("Throttl") {
                                            PortErrorKind::Throttled
                                        } else {
                                            PortErrorKind::Other
                                        },
                                        message: format!("{}: {}", refusal.code, refusal.message),
                                    },
                                );
                            }
                            None => imported += 1,
                        }
                    }
                }
                Err(error) => {
                    for (index, _) in chunk {
                        failed.insert(*index, error.clone());
                    }
                }
            }
        }
        imported
    }

    /// Writes metric and head lines (stdout in Lambda: the function's log group).
    fn emit(&self, lines: &[String]) {
        if let Ok(mut out) = self.metrics.lock() {
            for line in lines {
                if let Err(error) = writeln!(out, "{line}") {
                    tracing::warn!(%error, "cannot write a metric line");
                }
            }
        }
    }
}
