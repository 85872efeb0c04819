//! sagefence's pure core: the rule catalog and rules, the policy, typed models of SageMaker
//! resources and what they rest on, event parsing, evaluation and remediation planning.
//! Everything here is synchronous, does no I/O and never panics; `sagefence-aws` and the
//! functions bring the I/O, `sagefence-audit` the audit formats.
//!
//! The one entry point is [`assess_event`]: event bytes in, findings and planned actions out.

pub mod arn;
pub mod error;
pub mod evaluate;
pub mod event;
pub mod model;
pub mod plan;
pub mod policy;
pub mod rules;
pub mod tag_change;
mod wire;

use chrono::{DateTime, Utc};
use serde::Serialize;

pub use error::{ParseEventError, PolicyError};
pub use evaluate::{evaluate, Facts, Finding, Status};
pub use event::Event;
pub use model::Resource;
pub use plan::{plan, Action, ActionKind};
pub use policy::{Mode, Policy};
pub use rules::{RuleId, Severity};

/// What sagefence concludes about one event: the findings, and the actions they call for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Assessment {
    /// One finding per rule governing the resource the event describes.
    pub findings: Vec<Finding>,
    /// The remedies planned from them.
    pub actions: Vec<Action>,
}

impl Assessment {
    /// Whether any finding is a failure no exemption waives.
    pub fn has_violation(&self) -> bool {
        self.findings.iter().any(Finding::is_violation)
    }
}

/// Evaluates a parsed event: the resource it describes (if any) against the policy, and the
/// remedies that follows from the findings.
pub fn assess(policy: &Policy, event: &Event, facts: &Facts, now: DateTime<Utc>) -> Assessment {
    let Some(resource) = event.resource() else {
        return Assessment::default();
    };
    let findings = evaluate(policy, resource, event.meta().region.as_deref(), facts, now);
    let actions = plan(policy, resource, &findings);
    Assessment { findings, actions }
}

/// Parses and evaluates one EventBridge event.
pub fn assess_event(
    policy: &Policy,
    bytes: &[u8],
    facts: &Facts,
    now: DateTime<Utc>,
) -> Result<Assessment, ParseEventError> {
    let event = event::parse(bytes)?;
    Ok(assess(policy, &event, facts, now))
}
