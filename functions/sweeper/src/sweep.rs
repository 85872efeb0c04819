//! One sweep: list every resource of each shard (every list paginates), describe them with
//! bounded concurrency, read the facts the rules need, evaluate every rule, plan and apply the
//! remedies (or only record them in audit mode / dry run), record every finding and remedy, and
//! note the findings resolved since the shard's last sweep. Standing violations (failing in the
//! shard's last sweep too) are not notified again.

use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Utc};
use futures_util::stream::{self, StreamExt};
use sagefence_audit::audit::{action_name, record_id, AuditRecord, Subject};
use sagefence_aws::lookup;
use sagefence_aws::ports::{
    AuditSink, KeyInventory, Keys, Network, NetworkInventory, PortError, PortResult, RoleInventory, Roles, SageMaker,
    SageMakerInventory, SweepState,
};
use sagefence_aws::remedy::{retrying, Applied, Backoff, InventoryPorts, Ports, Remediator, RemedyPorts};
use sagefence_core::model::{JobKind, Resource, ResourceKind};
use sagefence_core::{evaluate, plan, Facts, Finding, Mode, Policy};
use tokio::sync::Semaphore;

use crate::error::SweeperError;
use crate::report::{RemedyReport, Resolved, ShardReport, ShardState, SweepFailure, SweepReport};
use crate::shard::Shard;

/// How a sweep behaves beyond the policy.
#[derive(Debug, Clone)]
pub struct SweepSettings {
    /// Describe (and remedy) calls in flight at once, over every shard of a sweep.
    pub concurrency: usize,
    /// Retries of throttled or unavailable calls.
    pub backoff: Backoff,
    /// Record every remedy as a dry run, whatever the policy's modes (nothing changes).
    pub dry_run: bool,
}

impl Default for SweepSettings {
    fn default() -> Self {
        SweepSettings {
            concurrency: 16,
            backoff: Backoff::default(),
            dry_run: false,
        }
    }
}

/// Told how far a sweep got (the CLI's progress bar).
pub trait Progress: Sync {
    /// `count` more resources were listed.
    fn listed(&self, count: usize);
    /// One more resource was evaluated and remedied.
    fn swept(&self);
}

impl Progress for () {
    fn listed(&self, _count: usize) {}
    fn swept(&self) {}
}

/// The sweeper with its policy, settings, audit sink and state store.
#[derive(Debug)]
pub struct Sweeper<A, St> {
    /// The policy.
    pub policy: Policy,
    /// Settings beyond the policy.
    pub settings: SweepSettings,
    /// Where audit records go.
    pub audit: A,
    /// Where each shard's failing findings are kept between sweeps.
    pub state: St,
}

/// What listing and describing one shard gave.
struct Inventory {
    resources: Vec<Resource>,
    failures: Vec<SweepFailure>,
}

fn failure(shard: &Shard, resource: Option<&str>, error: &PortError) -> SweepFailure {
    SweepFailure {
        shard: shard.clone(),
        resource: resource.map(str::to_owned),
        error: error.to_string(),
    }
}

fn job_kind(resource_type: ResourceKind) -> Option<JobKind> {
    match resource_type {
        ResourceKind::TrainingJob => Some(JobKind::Training),
        ResourceKind::ProcessingJob => Some(JobKind::Processing),
        ResourceKind::TransformJob => Some(JobKind::Transform),
        ResourceKind::HyperParameterTuningJob => Some(JobKind::HyperParameterTuning),
        _ => None,
    }
}

impl<A, St> Sweeper<A, St>
where
    A: AuditSink + Sync,
    St: SweepState + Sync,
{
    /// Sweeps these shards, all through the same ports (one account and region), at once.
    pub async fn sweep<P: InventoryPorts>(
        &self,
        ports: &Ports<P>,
        shards: &[Shard],
        now: DateTime<Utc>,
        progress: &impl Progress,
    ) -> Result<SweepReport, SweeperError> {
        let started = Instant::now();
        let sweep_id = record_id(&[
            "sweep",
            &now.to_rfc3339(),
            &shards.iter().map(Shard::state_key).collect::<Vec<_>>().join(","),
        ]);
        let permits = Arc::new(Semaphore::new(self.settings.concurrency.max(1)));
        let parts = futures_util::future::join_all(
            shards
                .iter()
                .map(|shard| self.sweep_shard(ports, shard, &sweep_id, now, &permits, progress)),
        )
        .await;
        let mut report = SweepReport {
            sweep_id,
            dry_run: self.settings.dry_run,
            ..SweepReport::default()
        };
        for part in parts {
            report.absorb(part?);
        }
        report.duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        Ok(report)
    }

    async fn sweep_shard<P: InventoryPorts>(
        &self,
        ports: &Ports<P>,
        shard: &Shard,
        sweep_id: &str,
        now: DateTime<Utc>,
        permits: &Semaphore,
        progress: &impl Progress,
    ) -> Result<SweepReport, SweeperError> {
        let mut report = SweepReport::default();
        let inventory = match self.inventory(ports, shard, permits, progress).await {
            Ok(inventory) => inventory,
            Err(err) => {
                report.errors.push(failure(shard, None, &err));
                return Ok(report);
            }
        };
        report.errors = inventory.failures;
        let resources = inventory.resources;
        report.shards.push(ShardReport {
            shard: shard.clone(),
            resources: resources.len(),
        });
        report.resources = resources.len();
        let backoff = &self.settings.backoff;
        let tag_key = &self.policy.scope.project_tag_key;
        let facts = match lookup::facts(&ports.network, &ports.keys, &ports.roles, backoff, tag_key, &resources).await {
            Ok(facts) => facts,
            Err(err) => {
                report.errors.push(failure(shard, None, &err));
                return Ok(report);
            }
        };

        let key = shard.state_key();
        let before: ShardState = match retrying(backoff, || self.state.load(&key)).await {
            Ok(Some(bytes)) => serde_json::from_slice(&bytes).unwrap_or_default(),
            Ok(None) => ShardState::default(),
            Err(err) => return Err(SweeperError::State(err)),
        };
        let remediator = Remediator::new(ports, &self.policy, *backoff);
        let swept: Vec<(Vec<Finding>, Vec<Applied>)> = stream::iter(&resources)
            .map(|resource| self.sweep_resource(&remediator, resource, shard, &facts, &before, now, permits, progress))
            .buffered(self.settings.concurrency.max(1))
            .collect()
            .await;

        let audit = Audit {
            sink: &self.audit,
            sweep_id,
            shard,
            now,
        };
        for (findings, applied) in swept {
            for finding in &findings {
                audit.finding(finding, "finding").await?;
            }
            for Applied { step, action, outcome } in applied {
                let name = action_name(&action);
                let id = record_id(&[
                    sweep_id,
                    "action",
                    &step.to_string(),
                    &name,
                    &action.resource.name,
                    outcome.name(),
                ]);
                report.remedies.push(RemedyReport {
                    action: name,
                    resource: action.resource.clone(),
                    rules: action.rules.clone(),
                    mode: action.mode,
                    outcome: outcome.clone(),
                });
                audit.write(id, Subject::Action { action, outcome }).await?;
            }
            report.findings.extend(findings);
        }

        for finding in before.resolved(&report.findings) {
            let mut resolved = finding.clone();
            resolved.reason = format!("resolved: failed in the last sweep, passes now: {}", finding.reason);
            audit.finding(&resolved, "resolved").await?;
            report.resolved.push(Resolved {
                rule: finding.rule,
                resource: finding.resource.clone(),
            });
        }
        let after = ShardState::from_findings(&report.findings);
        let bytes = serde_json::to_vec(&after).map_err(|e| SweeperError::State(state_error(&e)))?;
        retrying(backoff, || self.state.store(&key, bytes.clone()))
            .await
            .map_err(SweeperError::State)?;
        report.recount();
        Ok(report)
    }

    /// Evaluates one resource, plans its remedies and applies them (as dry runs in audit mode);
    /// standing violations, failing in the shard's last sweep too, are not notified again.
    #[allow(clippy::too_many_arguments)]
    async fn sweep_resource<P: RemedyPorts>(
        &self,
        remediator: &Remediator<'_, P>,
        resource: &Resource,
        shard: &Shard,
        facts: &Facts,
        before: &ShardState,
        now: DateTime<Utc>,
        permits: &Semaphore,
        progress: &impl Progress,
    ) -> (Vec<Finding>, Vec<Applied>) {
        let mut findings = evaluate(&self.policy, resource, Some(&shard.region), facts, now);
        let mut actions = plan(&self.policy, resource, &findings);
        actions.retain(|action| !before.repeats_notification(action));
        if self.settings.dry_run {
            findings.iter_mut().for_each(|f| f.mode = Mode::Audit);
            actions.iter_mut().for_each(|a| a.mode = Mode::Audit);
        }
        let enforced = actions.iter().any(|a| a.mode == Mode::Enforce);
        let _permit = if enforced { Some(permits.acquire().await) } else { None };
        let applied = remediator.apply_plan(resource, actions).await;
        progress.swept();
        (findings, applied)
    }

    /// Lists and describes the shard's resources.
    async fn inventory<P: InventoryPorts>(
        &self,
        ports: &Ports<P>,
        shard: &Shard,
        permits: &Semaphore,
        progress: &impl Progress,
    ) -> PortResult<Inventory> {
        let b = &self.settings.backoff;
        let sm = &ports.sagemaker;
        let net = &ports.network;
        let tag_key = self.policy.scope.project_tag_key.as_str();
        /// Lists with `$list`, then reads each listed name with `$read` into a `$variant`.
        macro_rules! listed {
            ($list:expr, |$name:ident| $read:expr, $variant:path) => {{
                let names = retrying(b, || $list).await?;
                progress.listed(names.len());
                self.describe(shard, names, permits, |$name| async move {
                    Ok($read.await?.map($variant))
                })
                .await
            }};
        }
        let read = |resources: Vec<Resource>| {
            progress.listed(resources.len());
            Inventory {
                resources,
                failures: Vec::new(),
            }
        };
        let inventory = match shard.resource_type {
            ResourceKind::NotebookInstance => {
                listed!(sm.notebook_names(), |n| sm.notebook(&n), Resource::NotebookInstance)
            }
            kind @ (ResourceKind::TrainingJob
            | ResourceKind::ProcessingJob
            | ResourceKind::TransformJob
            | ResourceKind::HyperParameterTuningJob) => {
                let Some(kind) = job_kind(kind) else {
                    return Ok(Inventory {
                        resources: Vec::new(),
                        failures: Vec::new(),
                    });
                };
                listed!(sm.in_progress_job_names(kind), |n| sm.job(kind, &n), Resource::Job)
            }
            ResourceKind::Model => {
                listed!(sm.model_names(), |n| sm.model(&n), Resource::Model)
            }
            ResourceKind::EndpointConfig => {
                listed!(
                    sm.endpoint_config_names(),
                    |n| sm.endpoint_config(&n),
                    Resource::EndpointConfig
                )
            }
            ResourceKind::Domain => {
                listed!(sm.domain_ids(), |id| sm.domain(&id), Resource::Domain)
            }
            ResourceKind::Vpc => {
                listed!(net.tagged_vpc_ids(tag_key), |id| net.vpc(&id), Resource::Vpc)
            }
            ResourceKind::Subnet => {
                let vpc_ids = retrying(b, || net.tagged_vpc_ids(tag_key)).await?;
                let subnets = retrying(b, || net.subnets_in(&vpc_ids)).await?;
                read(subnets.into_iter().map(Resource::Subnet).collect())
            }
            ResourceKind::SecurityGroup => {
                let vpc_ids = retrying(b, || net.tagged_vpc_ids(tag_key)).await?;
                let groups = retrying(b, || net.security_groups_in(&vpc_ids)).await?;
                read(groups.into_iter().map(Resource::SecurityGroup).collect())
            }
            ResourceKind::KmsKey => {
                listed!(ports.keys.key_ids(), |id| ports.keys.key(&id), Resource::KmsKey)
            }
            ResourceKind::Role => {
                listed!(
                    ports.roles.tagged_role_names(tag_key),
                    |n| ports.roles.role(&n),
                    Resource::Role
                )
            }
            ResourceKind::Bucket => read(Vec::new()),
        };
        Ok(inventory)
    }

    /// Describes each listed resource, at most `concurrency` at once over the whole sweep,
    /// retrying throttled calls; a resource gone since the listing is left out, one whose
    /// read failed is reported and the rest go on.
    async fn describe<F, Fut>(&self, shard: &Shard, names: Vec<String>, permits: &Semaphore, read: F) -> Inventory
    where
        F: Fn(String) -> Fut,
        Fut: Future<Output = PortResult<Option<Resource>>>,
    {
        let backoff = &self.settings.backoff;
        let read = &read;
        let results: Vec<(String, PortResult<Option<Resource>>)> = stream::iter(names)
            .map(|name| async move {
                let _permit = permits.acquire().await;
                let result = retrying(backoff, || read(name.clone())).await;
                (name, result)
            })
            .buffered(self.settings.concurrency.max(1))
            .collect()
            .await;
        let mut inventory = Inventory {
            resources: Vec::with_capacity(results.len()),
            failures: Vec::new(),
        };
        for (name, result) in results {
            match result {
                Ok(Some(resource)) => inventory.resources.push(resource),
                Ok(None) => {}
                Err(err) => inventory.failures.push(failure(shard, Some(&name), &err)),
            }
        }
        inventory
    }
}

fn state_error(err: &serde_json::Error) -> PortError {
    PortError {
        operation: "EncodeSweepState",
        kind: sagefence_aws::ports::PortErrorKind::Other,
        message: err.to_string(),
    }
}

/// Writes the sweep's audit records for one shard.
struct Audit<'a, A> {
    sink: &'a A,
    sweep_id: &'a str,
    shard: &'a Shard,
    now: DateTime<Utc>,
}

impl<A: AuditSink + Sync> Audit<'_, A> {
    async fn finding(&self, finding: &Finding, what: &str) -> Result<(), SweeperError> {
        let id = record_id(&[
            self.sweep_id,
            what,
            finding.rule.as_str(),
            finding.resource.kind.as_str(),
            &finding.resource.name,
        ]);
        let subject = Subject::Finding {
            finding: finding.clone(),
        };
        self.write(id, subject).await
    }

    async fn write(&self, id: String, subject: Subject) -> Result<(), SweeperError> {
        let record = AuditRecord {
            id,
            time: self.now,
            function: "sweeper",
            event_id: Some(self.sweep_id.to_owned()),
            account: Some(self.shard.account.clone()),
            region: Some(self.shard.region.clone()),
            actor: None,
            subject,
        };
        self.sink.record(&record).await.map_err(SweeperError::Audit)
    }
}
