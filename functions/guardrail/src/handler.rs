//! One event: parse, resolve online, evaluate, plan, act through the ports, record.

use chrono::{DateTime, Utc};
use sagefence_audit::audit::{record_id, AuditRecord, Outcome, Subject};
use sagefence_aws::ports::AuditSink;
use sagefence_aws::remedy::{Applied, Ports, Remediator, RemedyPorts};
use sagefence_core::event::{self, Actor, ApiCall, ApiRequest, Event, EventMeta};
use sagefence_core::model::Resource;
use sagefence_core::{evaluate, plan, Action, Facts, Finding, Policy, Status};
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
    pub(crate) fn new(meta: &EventMeta, disposition: &'static str) -> Summary {
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

        if let Event::ApiCall(
            call @ ApiCall {
                request: ApiRequest::Tags(change),
                ..
            },
        ) = &event
        {
            return self.tag_change(call, change, now).await;
        }

        let resolved = self.resolve(&event).await.map_err(GuardrailError::Lookup)?;
        let mut run = Run::new(meta, actor, now);
        for resource in &resolved.resources {
            self.assess(&mut run, resource, &resolved.facts).await?;
        }
        for gone in &resolved.gone {
            tracing::info!(resource = %gone, "the resource no longer exists; nothing to do");
        }
        run.finish()
    }

    /// Evaluates one resource as it is now, records its findings, plans and applies its remedies.
    pub(crate) async fn assess(
        &self,
        run: &mut Run<'_>,
        resource: &Resource,
        facts: &Facts,
    ) -> Result<(), GuardrailError> {
        let meta = run.meta;
        let findings = evaluate(&self.policy, resource, meta.region.as_deref(), facts, run.now);
        for finding in &findings {
            self.record_finding(run, "finding", finding).await?;
        }
        let actions = plan(&self.policy, resource, &findings);
        self.act(run, resource, actions).await
    }

    /// Records one finding; `label` keeps its record id apart from other findings of the event.
    pub(crate) async fn record_finding(
        &self,
        run: &mut Run<'_>,
        label: &str,
        finding: &Finding,
    ) -> Result<(), GuardrailError> {
        let id = record_id(&[&run.event_key, label, finding.rule.as_str(), &finding.resource.name]);
        let subject = Subject::Finding {
            finding: finding.clone(),
        };
        self.write(record(run.meta, run.actor.clone(), id, run.now, subject))
            .await?;
        run.summary.findings += 1;
        if finding.status == Status::Failed {
            run.summary.failed += 1;
        }
        Ok(())
    }

    /// Applies planned actions to a resource and records each with its outcome.
    pub(crate) async fn act(
        &self,
        run: &mut Run<'_>,
        resource: &Resource,
        actions: Vec<Action>,
    ) -> Result<(), GuardrailError> {
        for Applied { step, action, outcome } in self.remediator().apply_plan(resource, actions).await {
            if let Outcome::Failed { error, retryable } = &outcome {
                run.failures.push((error.clone(), *retryable));
            }
            let name = sagefence_audit::audit::action_name(&action);
            let id = record_id(&[
                &run.event_key,
                "action",
                &step.to_string(),
                &name,
                &action.resource.name,
                outcome.name(),
            ]);
            run.summary.actions.push(ActionReport {
                action: name,
                resource: action.resource.to_string(),
                outcome: outcome.clone(),
            });
            let subject = Subject::Action { action, outcome };
            self.write(record(run.meta, run.actor.clone(), id, run.now, subject))
                .await?;
        }
        Ok(())
    }

    /// The remedies, acting through this guardrail's ports.
    pub(crate) fn remediator(&self) -> Remediator<'_, P> {
        Remediator::new(&self.ports, &self.policy, self.settings.backoff())
    }

    pub(crate) async fn write(&self, record: AuditRecord) -> Result<(), GuardrailError> {
        self.audit.record(&record).await.map_err(GuardrailError::Audit)
    }
}

/// One event being handled: where its records go and what it did so far.
#[derive(Debug)]
pub(crate) struct Run<'e> {
    /// The event's envelope.
    pub meta: &'e EventMeta,
    /// The caller, for API calls.
    pub actor: Option<Actor>,
    /// The key of the event's record ids.
    pub event_key: String,
    /// When it is handled.
    pub now: DateTime<Utc>,
    /// What was done.
    pub summary: Summary,
    /// Remedies that failed, and whether a retry may help.
    pub failures: Vec<(String, bool)>,
}

impl<'e> Run<'e> {
    pub(crate) fn new(meta: &'e EventMeta, actor: Option<Actor>, now: DateTime<Utc>) -> Self {
        Run {
            meta,
            actor,
            event_key: meta.id.clone().unwrap_or_default(),
            now,
            summary: Summary::new(meta, "evaluated"),
            failures: Vec::new(),
        }
    }

    /// The summary, or the remedies' failure.
    pub(crate) fn finish(self) -> Result<Summary, GuardrailError> {
        match self.failures.first() {
            None => Ok(self.summary),
            Some((first, _)) => Err(GuardrailError::Remedy {
                failed: self.failures.len(),
                first: first.clone(),
                retryable: self.failures.iter().any(|(_, retryable)| *retryable),
            }),
        }
    }
}

/// The guardrail's audit record of an event.
pub(crate) fn record(
    meta: &EventMeta,
    actor: Option<Actor>,
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
