//! Audit records and notifications: every decision and every action leaves a record saying
//! what, when, by which function, why, and with what outcome.

use chrono::{DateTime, Utc};
use serde::Serialize;

use sagefence_core::evaluate::Finding;
use sagefence_core::event::{Actor, IgnoreReason};
use sagefence_core::model::ResourceRef;
use sagefence_core::plan::Action;
use sagefence_core::policy::Mode;

/// How an action ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "kebab-case")]
pub enum Outcome {
    /// Applied now.
    Applied,
    /// Nothing to do: the resource already was as wanted (a replay, or another event won).
    AlreadyDone {
        /// What the service said.
        detail: String,
    },
    /// Not applied: the rule is in audit mode (dry run).
    DryRun,
    /// Not applied now: the resource is in a state that does not allow it yet; a later
    /// state-change event or sweep completes it.
    Deferred {
        /// What the service said.
        detail: String,
    },
    /// The action failed.
    Failed {
        /// The error.
        error: String,
        /// Whether a retry of the event may succeed.
        retryable: bool,
    },
}

impl Outcome {
    /// The kebab-case name of the outcome, e.g. `already-done`.
    pub fn name(&self) -> &'static str {
        match self {
            Outcome::Applied => "applied",
            Outcome::AlreadyDone { .. } => "already-done",
            Outcome::DryRun => "dry-run",
            Outcome::Deferred { .. } => "deferred",
            Outcome::Failed { .. } => "failed",
        }
    }
}

/// What a record is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Subject {
    /// A rule's verdict.
    Finding {
        /// The finding.
        finding: Finding,
    },
    /// A remedy and how it ended.
    Action {
        /// The action.
        action: Action,
        /// How it ended.
        #[serde(flatten)]
        outcome: Outcome,
    },
    /// An event needing no evaluation.
    Ignored {
        /// Why.
        #[serde(flatten)]
        reason: IgnoreReason,
    },
    /// sagefence's own call, echoed back by CloudTrail: never acted on again.
    OwnCall,
    /// A malformed event: recorded, nothing acted on.
    Malformed {
        /// What was wrong.
        error: String,
    },
    /// A provisioning request (a CloudFormation custom resource) and how it ended.
    Provisioning {
        /// `Create`, `Update` or `Delete`.
        request: String,
        /// The custom resource type, e.g. `Custom::ProjectEnvironment`.
        resource_type: String,
        /// The physical resource id answered.
        physical_id: String,
        /// How it ended: `applied` (SUCCESS) or `failed` with the reason answered.
        #[serde(flatten)]
        outcome: Outcome,
        /// What was made, removed, kept or found, one line each.
        steps: Vec<String>,
    },
}

impl Subject {
    /// The subject's type as serialized in the `type` field, e.g. `finding`.
    pub fn type_name(&self) -> &'static str {
        match self {
            Subject::Finding { .. } => "finding",
            Subject::Action { .. } => "action",
            Subject::Ignored { .. } => "ignored",
            Subject::OwnCall => "own-call",
            Subject::Malformed { .. } => "malformed",
            Subject::Provisioning { .. } => "provisioning",
        }
    }
}

/// One audit record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditRecord {
    /// Unique and stable for the same event and subject, so replays deduplicate downstream.
    pub id: String,
    /// When the function made the decision.
    pub time: DateTime<Utc>,
    /// The function that decided (`guardrail`, `sweeper`, ...).
    pub function: &'static str,
    /// The EventBridge event id, where there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
    /// The account.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// The region.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Who made the call that triggered it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor: Option<Actor>,
    /// What the record is about.
    pub subject: Subject,
}

/// A notification for the owner and the security team.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notification {
    /// A one-line subject (SNS subjects are at most 100 characters).
    pub subject: String,
    /// The resource.
    pub resource: ResourceRef,
    /// The rules it breaks.
    pub rules: Vec<String>,
    /// What sagefence did or would do.
    pub action: String,
    /// `enforce` or `audit`.
    pub mode: Mode,
    /// How it ended.
    pub outcome: Outcome,
    /// The owner, from the owner tag, where known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// Why, in a sentence.
    pub reason: String,
}

impl Notification {
    /// The notification for an action and how it ended.
    pub fn for_action(action: &Action, outcome: &Outcome, owner: Option<&str>) -> Notification {
        let kind = action_name(action);
        let mut subject = format!("sagefence: {kind} on {}", action.resource);
        if subject.chars().count() > 100 {
            subject = subject.chars().take(99).chain(std::iter::once('…')).collect();
        }
        Notification {
            subject,
            resource: action.resource.clone(),
            rules: action.rules.iter().map(|r| r.as_str().to_owned()).collect(),
            action: kind,
            mode: action.mode,
            outcome: outcome.clone(),
            owner: owner.map(str::to_owned),
            reason: action.reason.clone(),
        }
    }
}

/// The kebab-case name of an action's kind, e.g. `stop-notebook-instance`.
pub fn action_name(action: &Action) -> String {
    serde_json::to_value(&action.action)
        .ok()
        .and_then(|v| v.get("type").and_then(|t| t.as_str()).map(str::to_owned))
        .unwrap_or_default()
}

/// A stable record id from its parts: the first 128 bits of the SHA-256 of the parts, each
/// length-prefixed (32 hex digits), so the same event and subject give the same id and two
/// records colliding is not a practical concern.
pub fn record_id(parts: &[&str]) -> String {
    use sha2::{Digest as _, Sha256};
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part.as_bytes());
    }
    crate::trail::hex(hasher.finalize().get(..16).unwrap_or_default())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_subjects_type_name_is_the_type_it_serializes_with() {
        let subjects = [
            Subject::OwnCall,
            Subject::Malformed { error: "bad".into() },
            Subject::Ignored {
                reason: IgnoreReason::ReadOnly {
                    event_name: "DescribeNotebookInstance".into(),
                },
            },
            Subject::Provisioning {
                request: "Create".into(),
                resource_type: "Custom::ProjectEnvironment".into(),
                physical_id: "alpha".into(),
                outcome: Outcome::Applied,
                steps: Vec::new(),
            },
        ];
        for subject in subjects {
            let json = serde_json::to_value(&subject).unwrap();
            assert_eq!(json["type"], subject.type_name(), "{json}");
        }
    }
}
