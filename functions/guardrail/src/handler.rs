//! One event: parse, evaluate, plan, record.

use chrono::{DateTime, Utc};
use sagefence::event::{self, Event};
use sagefence::{assess, Assessment, Facts, Policy};
use serde_json::value::RawValue;

use crate::error::GuardrailError;

/// Handles one EventBridge event and returns the assessment it recorded.
pub fn handle(policy: &Policy, payload: &RawValue, now: DateTime<Utc>) -> Result<Assessment, GuardrailError> {
    let event: Event = match event::parse(payload.get().as_bytes()).map_err(GuardrailError::Event) {
        Ok(event) => event,
        Err(err) => {
            tracing::warn!(error = %err, "malformed event recorded; nothing acted on");
            return Err(err);
        }
    };
    let assessment = assess(policy, &event, &Facts::default(), now);
    let meta = event.meta();
    for finding in &assessment.findings {
        tracing::info!(
            event_id = meta.id.as_deref(),
            rule = finding.rule.as_str(),
            status = ?finding.status,
            resource = %finding.resource,
            reason = %finding.reason,
            "finding"
        );
    }
    for action in &assessment.actions {
        tracing::info!(
            event_id = meta.id.as_deref(),
            action = ?action.action,
            mode = %action.mode,
            resource = %action.resource,
            "planned action (not applied: evaluate-only)"
        );
    }
    Ok(assessment)
}
