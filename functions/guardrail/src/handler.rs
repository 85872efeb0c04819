//! One event: parse, resolve online, evaluate, plan, act through the ports, record.

use chrono::{DateTime, Utc};
use sagefence_audit::audit::{record_id, AuditRecord, Outcome, Subject};
use sagefence_aws::ports::AuditSink;
use sagefence_aws::remedy::{Applied, Ports, Remediator, RemedyPorts};
use sagefence_core::event::{self, Event, EventMeta};
use sagefence_core::{evaluate, plan, Policy, Status};
use serde::Serialize;

use crate::error::GuardrailError;
use crate::settings::Settings;

/// The guardrail with its policy, settings and ports, built once at cold start.
pub struct Guardrail<P: RemedyPorts, A> {
    /// The policy.
    pub policy: Policy,
    /// Settings beyond the policy.
    pub settings: Settings,
    /// SageMaker, EC2, KMS, IAM and SNS.
    pub ports: Ports<P>,
    /// Where audit records go.
    pub audit: A,
}

impl<P: RemedyPorts, A> std::fmt::Debug for Guardrail<P, A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Guardrail")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

/// What the guardrail did with one event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// The EventBridge event id.
    pub event_id: Option<String>,
    /// `ignored`, `own-call` or `evaluated`.
    pub disposition: &'static str,
    /// Findings recorded.
    pub findings: usize,
    /// Of which FAILED.
    pub failed: usize,
    /// Each action and how it ended.
    pub actions: Vec<ActionReport>,
}

/// One action and how it ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActionReport {
    /// The action's kind, e.g. `stop-notebook-instance`.
    pub action: String,
    /// The resource.
    pub resource: String,
    /// How it ended.
    pub outcome: Outcome,
}

impl Summary {
    fn new(meta: &EventMeta, disposition: &'static str) -> Summary {
        Summary {
            event_id: meta.id.clone(),
            disposition,
            findings: 0,
            failed: 0,
            actions: Vec::new(),
        }
    }
}

impl<P: RemedyPorts, A> Guardrail<P, A> {
    /// The same guardrail, recording through `audit` instead.
    pub fn with_audit<B>(self, audit: B) -> Guardrail<P, B> {
        Guardrail {
            policy: self.policy,
            settings: self.settings,
            ports: self.ports,
            audit,
        }
    }
}

impl<P: RemedyPorts, A: AuditSink + Sync> Guardrail<P, A> {
    /// Handles one EventBridge event (its raw JSON).
    pub async fn handle(&self, payload: &[u8], now: DateTime<Utc>) -> Result<Summary, GuardrailError> {
        let event = match event::parse(payload) {
            Ok(event) => event,
            Err(err) => {
                let id = record_id(&["malformed", &String::from_utf8_lossy(payload)]);
                let subject = Subject::Malformed { error: err.to_string() };
                self.write(record(&EventMeta::default(), None, id, now, subject))
                    .await?;
                return Err(GuardrailError::Event(err));
            }
        };
        let meta = event.meta();
        let event_key = meta.id.clone().unwrap_or_default();
        match &event {
            Event::Ignored { .. } | Event::Scheduled { .. } => {
                let reason = match &event {
                    Event::Ignored { reason, .. } => reason.clone(),
                    _ => event::IgnoreReason::UnhandledEvent,
                };
                let subject = Subject::Ignored { reason };
                let id = record_id(&[&event_key, "ignored"]);
                self.write(record(meta, None, id, now, subject)).await?;
                return Ok(Summary::new(meta, "ignored"));
            }
            Event::ApiCall(call) => {
                if self.settings.is_own_call(&call.actor) {
                    let actor = Some(call.actor.clone());
                    let id = record_id(&[&event_key, "own-call"]);
                    self.write(record(meta, actor, id, now, Subject::OwnCall)).await?;
                    return Ok(Summary::new(meta, "own-call"));
                }
            }
            Event::StateChange { .. } => {}
        }
        let actor = match &event {
            Event::ApiCall(call) => Some(call.actor.clone()),
            _ => None,
        };

        let resolved = self.resolve(&event).await.map_err(GuardrailError::Lookup)?;
        let mut summary = Summary::new(meta, "evaluated");
        let mut failures: Vec<(String, bool)> = Vec::new();
        for resource in &resolved.resources {
            let findings = evaluate(&self.policy, resource, meta.region.as_deref(), &resolved.facts, now);
            for finding in &findings {
                let id = record_id(&[&event_key, "finding", finding.rule.as_str(), &finding.resource.name]);
                let subject = Subject::Finding {
                    finding: finding.clone(),
                };
                self.write(record(meta, actor.clone(), id, now, subject)).await?;
            }
            summary.findings += findings.len();
            summary.failed += findings.iter().filter(|f| f.status == Status::Failed).count();

            let actions = plan(&self.policy, resource, &findings);
            for Applied { step, action, outcome } in self.remediator().apply_plan(resource, actions).await {
                if let Outcome::Failed { error, retryable } = &outcome {
                    failures.push((error.clone(), *retryable));
                }
                let name = sagefence_audit::audit::action_name(&action);
                let id = record_id(&[
                    &event_key,
                    "action",
                    &step.to_string(),
                    &name,
                    &action.resource.name,
                    outcome.name(),
                ]);
                summary.actions.push(ActionReport {
                    action: name,
                    resource: action.resource.to_string(),
                    outcome: outcome.clone(),
                });
                let subject = Subject::Action { action, outcome };
                self.write(record(meta, actor.clone(), id, now, subject)).await?;
            }
        }
        for gone in &resolved.gone {
            tracing::info!(resource = %gone, "the resource no longer exists; nothing to do");
        }
        match failures.first() {
            None => Ok(summary),
            Some((first, _)) => Err(GuardrailError::Remedy {
                failed: failures.len(),
                first: first.clone(),
                retryable: failures.iter().any(|(_, retryable)| *retryable),
            }),
        }
    }

    /// The remedies, acting through this guardrail's ports.
    pub(crate) fn remediator(&self) -> Remediator<'_, P> {
        Remediator::new(&self.ports, &self.policy, self.settings.backoff())
    }

    async fn write(&self, record: AuditRecord) -> Result<(), GuardrailError> {
        self.audit.record(&record).await.map_err(GuardrailError::Audit)
    }
}

/// The guardrail's audit record of an event.
fn record(
    meta: &EventMeta,
    actor: Option<sagefence_core::event::Actor>,
    id: String,
    now: DateTime<Utc>,
    subject: Subject,
) -> AuditRecord {
    AuditRecord {
        id,
        time: now,
        function: "guardrail",
        event_id: meta.id.clone(),
        account: meta.account.clone(),
        region: meta.region.clone(),
        actor,
        subject,
    }
}
