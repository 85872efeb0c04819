//! The planner: turns a resource's findings and current state into remediation actions, each
//! `enforce` or `audit` by its rule's mode. The steps themselves are planned by each rule's
//! family (`rules/`).

use serde::Serialize;

use crate::evaluate::{Finding, Status};
use crate::model::{Resource, ResourceRef};
use crate::policy::{Mode, Policy, Remedy};
use crate::rules::{self, recorded_violations, RuleId};

pub use crate::rules::{ActionKind, REMEDY_TAG, RESTART_TAG, VIOLATION_TAG};

/// One planned remedy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Action {
    /// What to do.
    pub action: ActionKind,
    /// To which resource.
    pub resource: ResourceRef,
    /// The rules that call for it.
    pub rules: Vec<RuleId>,
    /// `enforce` (apply) or `audit` (record only).
    pub mode: Mode,
    /// Why, in a sentence.
    pub reason: String,
}

/// Plans the remedies for one resource from its findings. Enforced rules yield `enforce`
/// actions; what audit-mode rules would add yields `audit` actions (recorded, never applied).
pub fn plan(policy: &Policy, resource: &Resource, findings: &[Finding]) -> Vec<Action> {
    let carried = carried_violations(resource, findings);
    let owed = |mode: Option<Mode>| -> Vec<(RuleId, Remedy)> {
        findings
            .iter()
            .filter(|f| f.is_violation())
            .map(|f| (f.rule, f.mode))
            .chain(carried.iter().map(|rule| (*rule, policy.mode(*rule))))
            .filter(|(_, m)| mode.is_none_or(|wanted| *m == wanted))
            .map(|(rule, _)| (rule, policy.remedy(rule)))
            .collect()
    };
    let reference = resource.reference();
    let enforced = rules::steps(resource, &owed(Some(Mode::Enforce)));
    let everything = rules::steps(resource, &owed(None));
    let mut actions: Vec<Action> = Vec::with_capacity(everything.len());
    for (mode, list) in [(Mode::Enforce, enforced), (Mode::Audit, everything)] {
        for s in list {
            if mode == Mode::Audit && actions.iter().any(|a| a.action == s.action) {
                continue;
            }
            actions.push(Action {
                action: s.action,
                resource: reference.clone(),
                rules: s.rules,
                mode,
                reason: s.reason,
            });
        }
    }
    actions
}

/// Rules a notebook's violation tag says it owes and that this input cannot decide (a
/// state-change event carries no RootAccess, say): still owed, as far as anyone knows.
fn carried_violations(resource: &Resource, findings: &[Finding]) -> Vec<RuleId> {
    let Resource::NotebookInstance(notebook) = resource else {
        return Vec::new();
    };
    recorded_violations(notebook.tags.known())
        .into_iter()
        .filter(|rule| {
            findings
                .iter()
                .any(|f| f.rule == *rule && f.status == Status::NotApplicable)
        })
        .collect()
}
