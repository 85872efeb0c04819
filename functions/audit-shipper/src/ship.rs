//! Shipping: items become OCSF shipments (deduplicated by record id, bounded in size), each
//! account and region's shipments are sealed as the next batch of its chain and written to S3
//! (batch, then digest), and verdicts are imported into Security Hub. Every failure is tied
//! back to the input messages it came from.
//!
//! Deliveries repeat (SQS redelivers a failed message, Lambda retries a failed logs or
//! EventBridge invocation), so each record written is marked in the bucket (`records/{id}`,
//! written with `If-None-Match: *` after its batch and digest): a record whose marker exists is
//! not written again, while its verdict is still imported (imports are idempotent). The marker
//! follows the write, so a crash between the two can only repeat a record, never lose one.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Write;
use std::sync::Mutex;

use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse};
use chrono::{DateTime, Utc};
use futures_util::StreamExt as _;
use sagefence_audit::asff::{self, AsffFinding};
use sagefence_audit::ocsf::{self, SubjectLine};
use sagefence_audit::trail::{self, Entry, Head};
use sagefence_aws::ports::{FindingsImporter, PortError, PortResult, TrailWriter};
use serde::Serialize;
use serde_json::{json, Value};

use crate::error::ShipperError;
use crate::input::{self, Item, Payload};
use crate::metrics::{self, Counts};

/// Records larger than this (as JSON) are truncated, with a marker, never dropped.
pub const MAX_RECORD_BYTES: usize = 256 * 1024;
/// Security Hub imports at most this many findings per call.
const IMPORT_LIMIT: usize = 100;
/// Record markers read at once.
const MARKER_READS: usize = 16;

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
    /// Whether an earlier delivery already wrote it to the trail.
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

/// The audit-shipper: its sinks behind ports, the chain heads it last wrote, and where its
/// metric lines go.
#[derive(Debug)]
pub struct Shipper<T, F, M> {
    /// The trail's bucket.
    pub trail: T,
    /// Security Hub.
    pub findings: F,
    /// Settings.
    pub settings: Settings,
    heads: Mutex<HashMap<String, Head>>,
    metrics: Mutex<M>,
}

impl<T: TrailWriter + Sync, F: FindingsImporter + Sync, M: Write> Shipper<T, F, M> {
    /// A shipper writing EMF metric lines to `metrics` (stdout in Lambda).
    pub fn new(trail: T, findings: F, settings: Settings, metrics: M) -> Self {
        Shipper {
            trail,
            findings,
            settings,
            heads: Mutex::new(HashMap::new()),
            metrics: Mutex::new(metrics),
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
        report.redelivered = Box::pin(self.find_written(&mut shipments, &mut failed)).await;
        Box::pin(self.write_trail(&shipments, &mut failed)).await;
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

    fn marker_key(&self, shipment: &Shipment) -> String {
        trail::marker_key(&self.settings.prefix, &shipment.account, &shipment.region, &shipment.id)
    }

    /// Marks the shipments an earlier delivery already wrote (their marker exists); answers
    /// how many. A marker that cannot be read fails its shipment (retryable as the read was).
    async fn find_written(&self, shipments: &mut [Shipment], failed: &mut BTreeMap<usize, PortError>) -> usize {
        let keys: Vec<String> = shipments.iter().map(|s| self.marker_key(s)).collect();
        let found: Vec<PortResult<Option<Vec<u8>>>> = futures_util::stream::iter(keys.iter())
            .map(|key| self.trail.get(key))
            .buffered(MARKER_READS)
            .collect()
            .await;
        let mut written = 0;
        for (index, (shipment, found)) in shipments.iter_mut().zip(found).enumerate() {
            match found {
                Ok(Some(_)) => {
                    shipment.in_trail = true;
                    written += 1;
                }
                Ok(None) => {}
                Err(error) => {
                    failed.insert(index, error);
                }
            }
        }
        written
    }

    /// Seals each chain's shipments as its next batch and writes batch, then digest.
    async fn write_trail(&self, shipments: &[Shipment], failed: &mut BTreeMap<usize, PortError>) {
        let mut chains: BTreeMap<(&str, &str), Vec<usize>> = BTreeMap::new();
        for (index, shipment) in shipments.iter().enumerate() {
            if shipment.in_trail || failed.contains_key(&index) {
                continue;
            }
            chains
                .entry((shipment.account.as_str(), shipment.region.as_str()))
                .or_default()
                .push(index);
        }
        for ((account, region), indices) in chains {
            if let Err(error) = self.write_chain(account, region, shipments, &indices).await {
                for index in indices {
                    failed.insert(index, error.clone());
                }
            }
        }
    }

    async fn write_chain(
        &self,
        account: &str,
        region: &str,
        shipments: &[Shipment],
        indices: &[usize],
    ) -> Result<(), PortError> {
        let prefix = &self.settings.prefix;
        let entries: Vec<Entry> = indices
            .iter()
            .filter_map(|i| shipments.get(*i))
            .map(|s| Entry {
                time: s.time,
                line: s.line.clone(),
            })
            .collect();
        let head = self.head(account, region).await?;
        let sealed = trail::seal(prefix, account, region, &entries, head.as_ref()).map_err(|e| PortError {
            operation: "SealBatch",
            kind: sagefence_aws::ports::PortErrorKind::Other,
            message: e.to_string(),
        })?;
        self.trail
            .put(&sealed.batch_key, sealed.batch.clone(), "application/gzip")
            .await?;
        self.trail
            .put(&sealed.digest_key, sealed.digest_bytes.clone(), "application/json")
            .await?;
        if let Ok(mut heads) = self.heads.lock() {
            heads.insert(trail::chain_dir(prefix, account, region), sealed.head());
        }
        for shipment in indices.iter().filter_map(|i| shipments.get(*i)) {
            let marker = sealed.batch_key.clone().into_bytes();
            if let Err(error) = self
                .trail
                .put_new(&self.marker_key(shipment), marker, "text/plain")
                .await
            {
                // The record is in the trail; without its marker only a redelivery could repeat it.
                tracing::warn!(record = %shipment.id, %error, "record marker not written");
            }
        }
        Ok(())
    }

    /// The newest digest of a chain: the one this instance last wrote, unless a newer one was
    /// listed since.
    async fn head(&self, account: &str, region: &str) -> Result<Option<Head>, PortError> {
        let dir = trail::chain_dir(&self.settings.prefix, account, region);
        let cached = self.heads.lock().ok().and_then(|heads| heads.get(&dir).cloned());
        let digests = trail::digests_prefix(&self.settings.prefix, account, region);
        let newer = self
            .trail
            .last_key(&digests, cached.as_ref().map(|head| head.key.as_str()))
            .await?;
        let Some(key) = newer else {
            return Ok(cached);
        };
        let Some(bytes) = self.trail.get(&key).await? else {
            return Ok(cached);
        };
        Head::read(&key, &bytes).map(Some).map_err(|e| PortError {
            operation: "GetObject",
            kind: sagefence_aws::ports::PortErrorKind::Other,
            message: e.to_string(),
        })
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
                                            sagefence_aws::ports::PortErrorKind::Throttled
                                        } else {
                                            sagefence_aws::ports::PortErrorKind::Other
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
