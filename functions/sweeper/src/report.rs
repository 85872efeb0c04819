//! What a sweep found and did, as the CLI prints it and the Lambda returns it: every finding,
//! counts per rule and status, the findings resolved since the last sweep, every remedy with
//! its outcome, errors, duration and the HTTP requests made.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use sagefence_audit::audit::Outcome;
use sagefence_core::model::ResourceRef;
use sagefence_core::plan::{Action, ActionKind};
use sagefence_core::{Finding, Mode, RuleId, Status};

use crate::shard::Shard;

/// One remedy and how it ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RemedyReport {
    /// The action's kind, e.g. `stop-notebook-instance`.
    pub action: String,
    /// The resource.
    pub resource: ResourceRef,
    /// The rules that call for it.
    pub rules: Vec<RuleId>,
    /// `enforce` or `audit`.
    pub mode: Mode,
    /// How it ended.
    #[serde(flatten)]
    pub outcome: Outcome,
}

/// A finding that failed in the last sweep and passes now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Resolved {
    /// The rule.
    pub rule: RuleId,
    /// The resource.
    pub resource: ResourceRef,
}

/// A part of the sweep that failed (the rest went on).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SweepFailure {
    /// The shard.
    pub shard: Shard,
    /// The resource, when one resource's read failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    /// The error.
    pub error: String,
}

/// One shard's resources.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ShardReport {
    /// The shard.
    #[serde(flatten)]
    pub shard: Shard,
    /// Resources read.
    pub resources: usize,
}

/// Everything one sweep found and did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SweepReport {
    /// The sweep's id (also in every audit record's `event_id`).
    pub sweep_id: String,
    /// Whether every rule ran in audit mode (nothing changed).
    pub dry_run: bool,
    /// The shards swept.
    pub shards: Vec<ShardReport>,
    /// Resources read, over all shards.
    pub resources: usize,
    /// Every finding.
    pub findings: Vec<Finding>,
    /// Findings per rule and status (`PASSED`, `FAILED`, `NOT_APPLICABLE`, and `EXEMPT` for
    /// waived failures, which also count as `FAILED`).
    pub counts: BTreeMap<RuleId, BTreeMap<String, usize>>,
    /// Findings that failed in the last sweep and pass now.
    pub resolved: Vec<Resolved>,
    /// Every remedy and how it ended.
    pub remedies: Vec<RemedyReport>,
    /// Remedies per action and outcome.
    pub remedy_counts: BTreeMap<String, BTreeMap<String, usize>>,
    /// What failed along the way.
    pub errors: Vec<SweepFailure>,
    /// Wall time, in milliseconds.
    pub duration_ms: u64,
    /// HTTP requests sent to AWS (every page and every retry), when metered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_calls: Option<u64>,
}

/// The status name a finding counts under.
pub fn status_name(status: Status) -> &'static str {
    match status {
        Status::Passed => "PASSED",
        Status::Failed => "FAILED",
        Status::NotApplicable => "NOT_APPLICABLE",
    }
}

impl SweepReport {
    /// Whether any finding is a failure no exemption waives.
    pub fn has_violation(&self) -> bool {
        self.findings.iter().any(Finding::is_violation)
    }

    /// Adds another part's findings, remedies and errors, and recounts.
    pub fn absorb(&mut self, part: SweepReport) {
        self.shards.extend(part.shards);
        self.resources += part.resources;
        self.findings.extend(part.findings);
        self.resolved.extend(part.resolved);
        self.remedies.extend(part.remedies);
        self.errors.extend(part.errors);
        self.recount();
    }

    /// Recomputes the counts from the findings and remedies.
    pub fn recount(&mut self) {
        self.counts.clear();
        for finding in &self.findings {
            let per_rule = self.counts.entry(finding.rule).or_default();
            *per_rule.entry(status_name(finding.status).to_owned()).or_default() += 1;
            if finding.status == Status::Failed && finding.exemption.is_some() {
                *per_rule.entry("EXEMPT".to_owned()).or_default() += 1;
            }
        }
        self.remedy_counts.clear();
        for remedy in &self.remedies {
            let per_action = self.remedy_counts.entry(remedy.action.clone()).or_default();
            *per_action.entry(remedy.outcome.name().to_owned()).or_default() += 1;
        }
    }
}

/// The key of a finding in the sweep state: rule and resource (ARN when known).
pub fn finding_key(rule: RuleId, resource: &ResourceRef) -> String {
    format!(
        "{}|{}|{}",
        rule.as_str(),
        resource.kind.as_str(),
        resource.arn.as_deref().unwrap_or(&resource.name)
    )
}

/// What a shard's last sweep found failing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardState {
    /// Keys ([`finding_key`]) of the findings that failed.
    pub failed: BTreeSet<String>,
}

impl ShardState {
    /// The state after a sweep with these findings.
    pub fn from_findings(findings: &[Finding]) -> ShardState {
        ShardState {
            failed: findings
                .iter()
                .filter(|f| f.status == Status::Failed)
                .map(|f| finding_key(f.rule, &f.resource))
                .collect(),
        }
    }

    /// Whether `action` is a notification of failures that all failed in the last sweep too:
    /// a standing violation, told of when it first failed, so not told again every sweep.
    pub fn repeats_notification(&self, action: &Action) -> bool {
        matches!(action.action, ActionKind::Notify)
            && !action.rules.is_empty()
            && action
                .rules
                .iter()
                .all(|rule| self.failed.contains(&finding_key(*rule, &action.resource)))
    }

    /// The findings that failed last time and pass now.
    pub fn resolved<'f>(&self, findings: &'f [Finding]) -> Vec<&'f Finding> {
        findings
            .iter()
            .filter(|f| f.status == Status::Passed && self.failed.contains(&finding_key(f.rule, &f.resource)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use sagefence_core::model::ResourceKind;
    use sagefence_core::Severity;

    use super::*;

    fn finding(rule: RuleId, name: &str, status: Status) -> Finding {
        Finding {
            rule,
            control: None,
            resource: ResourceRef {
                kind: ResourceKind::NotebookInstance,
                name: name.to_owned(),
                arn: Some(format!("arn:aws:sagemaker:eu-west-1:1:notebook-instance/{name}")),
            },
            status,
            severity: Severity::High,
            reason: "r".to_owned(),
            mode: Mode::Enforce,
            exemption: None,
        }
    }

    #[test]
    fn only_failures_that_pass_now_are_resolved() {
        let rule = RuleId::NotebookRootAccessDisabled;
        let before = ShardState::from_findings(&[
            finding(rule, "fixed", Status::Failed),
            finding(rule, "still-bad", Status::Failed),
            finding(rule, "fine", Status::Passed),
        ]);
        assert_eq!(before.failed.len(), 2);
        let now = [
            finding(rule, "fixed", Status::Passed),
            finding(rule, "still-bad", Status::Failed),
            finding(rule, "fine", Status::Passed),
            finding(RuleId::NotebookKmsEncrypted, "fixed", Status::Passed),
        ];
        let resolved = before.resolved(&now);
        assert_eq!(resolved.len(), 1);
        assert_eq!(resolved[0].resource.name, "fixed");
        assert_eq!(resolved[0].rule, rule);
    }

    fn notify(rules: &[RuleId], name: &str) -> Action {
        Action {
            action: ActionKind::Notify,
            resource: finding(rules[0], name, Status::Failed).resource,
            rules: rules.to_vec(),
            mode: Mode::Enforce,
            reason: "tell".to_owned(),
        }
    }

    #[test]
    fn only_notifications_of_failures_that_all_failed_before_repeat() {
        let tags = RuleId::NotebookRequiredTags;
        let root = RuleId::NotebookRootAccessDisabled;
        let before = ShardState::from_findings(&[
            finding(tags, "standing", Status::Failed),
            finding(tags, "half", Status::Failed),
            finding(root, "half", Status::Passed),
        ]);
        assert!(before.repeats_notification(&notify(&[tags], "standing")));
        assert!(
            !before.repeats_notification(&notify(&[tags, root], "half")),
            "one rule fails anew"
        );
        assert!(
            !before.repeats_notification(&notify(&[tags], "new")),
            "a resource failing anew"
        );
        let mut stop = notify(&[tags], "standing");
        stop.action = ActionKind::StopNotebookInstance;
        assert!(
            !before.repeats_notification(&stop),
            "remedies other than notifications always run"
        );
        assert!(!ShardState::default().repeats_notification(&notify(&[tags], "standing")));
    }

    #[test]
    fn counts_are_per_rule_and_status() {
        let rule = RuleId::NotebookRootAccessDisabled;
        let mut report = SweepReport::default();
        report.absorb(SweepReport {
            findings: vec![
                finding(rule, "a", Status::Failed),
                finding(rule, "b", Status::Failed),
                finding(rule, "c", Status::Passed),
            ],
            ..SweepReport::default()
        });
        assert_eq!(report.counts[&rule]["FAILED"], 2);
        assert_eq!(report.counts[&rule]["PASSED"], 1);
        assert!(report.has_violation());
    }
}
