//! The Lambda's two inputs. A scheduled event (EventBridge) plans the shards (account x region
//! x resource type) and sends one SQS message per shard, ten per SendMessageBatch call (or,
//! with no queue configured, sweeps them in-process). An SQS batch of those messages sweeps
//! each shard, in its account (through the member role) and region, and answers the messages
//! that failed as partial batch failures, so only they are delivered again.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sagefence_audit::audit::{record_id, AuditRecord, Subject};
use sagefence_aws::ports::{AuditSink, SweepState, WorkQueue};
use sagefence_aws::remedy::retrying;
use sagefence_core::event::{self, Event};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::aws::SdkPorts;
use crate::error::SweeperError;
use crate::report::SweepReport;
use sagefence_core::model::ResourceKind;

use crate::shard::{plan_shards, Organisation, Shard};
use crate::sweep::Sweeper;

/// The sweeper function: the engine, the SDK ports and the fan-out configuration.
#[derive(Debug)]
pub struct SweeperFunction<A, St, Q> {
    /// The engine.
    pub sweeper: Sweeper<A, St>,
    /// Builds each shard's adapters.
    pub ports: SdkPorts,
    /// The fan-out queue; `None`: a schedule sweeps every shard in-process.
    pub queue: Option<Q>,
    /// Regions to sweep; empty: the schedule's region.
    pub regions: Vec<String>,
    /// Member accounts swept besides the sweeper's own.
    pub member_accounts: Vec<String>,
    /// The role assumed in member accounts.
    pub member_role_name: String,
    /// Resource types to sweep.
    pub resource_types: Vec<ResourceKind>,
}

#[derive(Deserialize)]
struct SqsBatch {
    #[serde(rename = "Records")]
    records: Vec<SqsRecord>,
}

#[derive(Deserialize)]
struct SqsRecord {
    #[serde(rename = "messageId")]
    message_id: String,
    #[serde(default)]
    body: String,
    /// The queue the message came from (set by Lambda, not by the sender): names the home account.
    #[serde(rename = "eventSourceARN", default)]
    event_source_arn: String,
}

impl<A, St, Q> SweeperFunction<A, St, Q>
where
    A: AuditSink + Sync,
    St: SweepState + Sync,
    Q: WorkQueue + Sync,
{
    /// Handles one invocation (its raw JSON): a schedule or a batch of shard messages.
    pub async fn handle(&self, payload: &[u8], now: DateTime<Utc>) -> Result<Value, SweeperError> {
        if let Ok(batch) = serde_json::from_slice::<SqsBatch>(payload) {
            return self.sweep_messages(batch, now).await;
        }
        let event = event::parse(payload).map_err(|e| SweeperError::Invocation(e.to_string()))?;
        let Event::Scheduled { meta } = &event else {
            return Err(SweeperError::Invocation("not a scheduled event".to_owned()));
        };
        let (Some(account), Some(region)) = (meta.account.clone(), meta.region.clone()) else {
            return Err(SweeperError::Invocation(
                "the scheduled event names no account or region".to_owned(),
            ));
        };
        let organisation = self.organisation(account);
        let regions = if self.regions.is_empty() {
            vec![region]
        } else {
            self.regions.clone()
        };
        let shards = plan_shards(&organisation, &regions, &self.resource_types);
        match &self.queue {
            Some(queue) => self.fan_out(queue, &shards).await,
            None => {
                let report = self.sweep_in_process(&organisation, &shards, now).await?;
                serde_json::to_value(&report).map_err(|e| SweeperError::Invocation(e.to_string()))
            }
        }
    }

    /// The sweeper's accounts, `home` its own.
    fn organisation(&self, home: String) -> Organisation {
        Organisation {
            home_account: home,
            member_accounts: self.member_accounts.clone(),
            member_role_name: self.member_role_name.clone(),
        }
    }

    /// Sends one message per shard, ten per call; answers how many were queued.
    async fn fan_out(&self, queue: &Q, shards: &[Shard]) -> Result<Value, SweeperError> {
        let backoff = &self.sweeper.settings.backoff;
        let bodies: Vec<String> = shards
            .iter()
            .map(|s| serde_json::to_string(s).map_err(|e| SweeperError::Invocation(e.to_string())))
            .collect::<Result<_, _>>()?;
        for batch in bodies.chunks(sagefence_aws::work_queue::MAX_BATCH) {
            let mut pending: Vec<String> = batch.to_vec();
            let refused = retrying(backoff, || {
                let pending = pending.clone();
                async move {
                    let refused = queue.send_batch(&pending).await?;
                    Ok(refused)
                }
            })
            .await
            .map_err(SweeperError::Queue)?;
            if !refused.is_empty() {
                pending = refused.iter().filter_map(|&i| pending.get(i).cloned()).collect();
                let again = retrying(backoff, || queue.send_batch(&pending))
                    .await
                    .map_err(SweeperError::Queue)?;
                if !again.is_empty() {
                    return Err(SweeperError::Queue(sagefence_aws::error::other(
                        "SendMessageBatch",
                        format!("the queue refused {} shard message(s) twice", again.len()),
                    )));
                }
            }
        }
        Ok(json!({ "queued": shards.len() }))
    }

    /// Sweeps shards here, grouped by account, region and role.
    async fn sweep_in_process(
        &self,
        organisation: &Organisation,
        shards: &[Shard],
        now: DateTime<Utc>,
    ) -> Result<SweepReport, SweeperError> {
        let mut groups: BTreeMap<(&str, &str, Option<String>), Vec<Shard>> = BTreeMap::new();
        for shard in shards {
            let role = organisation
                .role_arn(&shard.account)
                .map_err(|e| SweeperError::Account {
                    account: shard.account.clone(),
                    message: e.to_string(),
                })?;
            groups
                .entry((&shard.account, &shard.region, role))
                .or_default()
                .push(shard.clone());
        }
        let mut report = SweepReport {
            dry_run: self.sweeper.settings.dry_run,
            ..SweepReport::default()
        };
        let meter = &self.ports.meter;
        let before = meter.requests();
        for ((_, region, role_arn), group) in groups {
            let ports = self.ports.for_shard(region, role_arn.as_deref()).await;
            let part = self.sweeper.sweep(&ports, &group, now, &()).await?;
            report.sweep_id = part.sweep_id.clone();
            report.duration_ms += part.duration_ms;
            report.absorb(part);
        }
        report.api_calls = Some(meter.requests().saturating_sub(before));
        Ok(report)
    }

    /// Sweeps each shard message; answers the ones to deliver again.
    async fn sweep_messages(&self, batch: SqsBatch, now: DateTime<Utc>) -> Result<Value, SweeperError> {
        let mut failures = Vec::new();
        let mut swept = 0;
        for record in batch.records {
            let shard: Shard = match serde_json::from_str(&record.body) {
                Ok(shard) => shard,
                Err(err) => {
                    self.malformed(&record, &err.to_string(), now).await?;
                    continue;
                }
            };
            let home = record.event_source_arn.split(':').nth(4).unwrap_or_default().to_owned();
            let role = match self.organisation(home).role_arn(&shard.account) {
                Ok(role) => role,
                Err(err) => {
                    self.malformed(&record, &err.to_string(), now).await?;
                    continue;
                }
            };
            let ports = self.ports.for_shard(&shard.region, role.as_deref()).await;
            match self.sweeper.sweep(&ports, std::slice::from_ref(&shard), now, &()).await {
                Ok(report) if report.errors.iter().all(|e| e.resource.is_some()) => swept += 1,
                Ok(report) => {
                    for error in &report.errors {
                        tracing::warn!(shard = %error.shard.state_key(), error = %error.error, "shard sweep failed");
                    }
                    failures.push(record.message_id);
                }
                Err(err) => {
                    tracing::warn!(shard = %shard.state_key(), error = %err, "shard sweep failed");
                    failures.push(record.message_id);
                }
            }
        }
        let failures: Vec<Value> = failures.into_iter().map(|id| json!({ "itemIdentifier": id })).collect();
        tracing::info!(swept, failed = failures.len(), "shard messages handled");
        Ok(json!({ "batchItemFailures": failures }))
    }

    /// Records a message that names no shard; it is not delivered again.
    async fn malformed(&self, record: &SqsRecord, error: &str, now: DateTime<Utc>) -> Result<(), SweeperError> {
        let audit = AuditRecord {
            id: record_id(&["malformed-shard", &record.message_id, &record.body]),
            time: now,
            function: "sweeper",
            event_id: Some(record.message_id.clone()),
            account: None,
            region: None,
            actor: None,
            subject: Subject::Malformed {
                error: format!("shard message: {error}"),
            },
        };
        self.sweeper.audit.record(&audit).await.map_err(SweeperError::Audit)
    }
}
