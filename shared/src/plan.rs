//! The planner: turns a resource's findings and current state into remediation actions.
//! Notebook remedies are a small state machine kept on the notebook's own tags, so replays
//! and out-of-order events plan the same (or no) actions and nothing is stored elsewhere.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::catalog::RuleId;
use crate::evaluate::Finding;
use crate::model::{Job, JobStatus, NotebookInstance, NotebookStatus, Resource, ResourceRef, Tags, Toggle};
use crate::policy::{Mode, Policy, Remedy};

/// Tag naming the rules a resource breaks (space-separated ids).
pub const VIOLATION_TAG: &str = "sagefence:violation";
/// Tag naming the remedy a notebook is owed.
pub const REMEDY_TAG: &str = "sagefence:remedy";
/// Tag marking a notebook that was running before sagefence stopped it to fix it.
pub const RESTART_TAG: &str = "sagefence:restart";

/// What to do to a resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum ActionKind {
    /// Add or overwrite these tags.
    Tag {
        /// The tags to set.
        tags: BTreeMap<String, String>,
    },
    /// Remove these tag keys.
    Untag {
        /// The keys to remove.
        keys: Vec<String>,
    },
    /// Stop a notebook instance.
    StopNotebookInstance,
    /// Start a notebook instance again.
    StartNotebookInstance,
    /// Update a stopped notebook instance's RootAccess.
    UpdateNotebookInstance {
        /// The RootAccess to set.
        root_access: Toggle,
    },
    /// Delete a stopped notebook instance.
    DeleteNotebookInstance,
    /// Stop a running job.
    StopJob,
    /// Delete a model.
    DeleteModel,
    /// Delete an endpoint configuration no endpoint uses; notify otherwise.
    DeleteEndpointConfigIfUnused,
    /// Tell the owner and the security team.
    Notify,
}

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

/// A step before mode and resource are attached.
struct Step {
    action: ActionKind,
    rules: Vec<RuleId>,
    reason: String,
}

fn step(action: ActionKind, rules: &[RuleId], reason: impl Into<String>) -> Step {
    Step {
        action,
        rules: rules.to_vec(),
        reason: reason.into(),
    }
}

/// Plans the remedies for one resource from its findings. Enforced rules yield `enforce`
/// actions; what audit-mode rules would add yields `audit` actions (recorded, never applied).
pub fn plan(policy: &Policy, resource: &Resource, findings: &[Finding]) -> Vec<Action> {
    let owed = |mode: Option<Mode>| -> Vec<(RuleId, Remedy)> {
        findings
            .iter()
            .filter(|f| f.is_violation() && mode.is_none_or(|m| f.mode == m))
            .map(|f| (f.rule, policy.remedy(f.rule)))
            .collect()
    };
    let reference = resource.reference();
    let enforced = steps(resource, &owed(Some(Mode::Enforce)));
    let everything = steps(resource, &owed(None));
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

fn steps(resource: &Resource, owed: &[(RuleId, Remedy)]) -> Vec<Step> {
    match resource {
        Resource::NotebookInstance(n) => notebook_steps(n, owed),
        Resource::Job(j) => job_steps(j, owed),
        Resource::Model(_) | Resource::EndpointConfig(_) | Resource::Domain(_) => {
            other_steps(resource.tags(), owed, |remedy| match remedy {
                Remedy::Delete => Some(ActionKind::DeleteModel),
                Remedy::DeleteIfUnused => Some(ActionKind::DeleteEndpointConfigIfUnused),
                _ => None,
            })
        }
    }
}

fn ids(owed: &[(RuleId, Remedy)], pick: impl Fn(Remedy) -> bool) -> Vec<RuleId> {
    owed.iter().filter(|(_, r)| pick(*r)).map(|(rule, _)| *rule).collect()
}

fn joined(rules: &[RuleId]) -> String {
    rules.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(" ")
}

/// Tags to set so the resource carries `wanted`; nothing when it already does.
fn tag_step(current: Option<&Tags>, wanted: BTreeMap<String, String>, rules: &[RuleId], reason: &str) -> Option<Step> {
    let missing: BTreeMap<String, String> = wanted
        .into_iter()
        .filter(|(k, v)| current.is_none_or(|tags| tags.get(k) != Some(v.as_str())))
        .collect();
    (!missing.is_empty()).then(|| step(ActionKind::Tag { tags: missing }, rules, reason))
}

/// Tagging and notifying for failed tag rules, and notifying for notify-only remedies.
fn tag_and_notify(current: Option<&Tags>, owed: &[(RuleId, Remedy)], out: &mut Vec<Step>) {
    let tag_rules = ids(owed, |r| r == Remedy::Tag);
    if !tag_rules.is_empty() {
        let wanted = BTreeMap::from([(VIOLATION_TAG.to_owned(), joined(&tag_rules))]);
        out.extend(tag_step(
            current,
            wanted,
            &tag_rules,
            "mark the resource with the tags it owes",
        ));
    }
    let notify_rules = ids(owed, |r| matches!(r, Remedy::Notify | Remedy::Tag));
    if !notify_rules.is_empty() {
        out.push(step(
            ActionKind::Notify,
            &notify_rules,
            "tell the owner and the security team",
        ));
    }
}

fn notebook_steps(n: &NotebookInstance, owed: &[(RuleId, Remedy)]) -> Vec<Step> {
    let tags = n.tags.known();
    let mut out = Vec::new();
    let blocking = ids(owed, |r| matches!(r, Remedy::Stop | Remedy::Delete | Remedy::Fix));
    let strongest = [Remedy::Delete, Remedy::Stop, Remedy::Fix]
        .into_iter()
        .find(|candidate| owed.iter().any(|(_, r)| r == candidate));
    match strongest.filter(|_| !blocking.is_empty()) {
        None => {
            if tags.is_some_and(|t| t.get(VIOLATION_TAG).is_some() || t.get(RESTART_TAG).is_some()) {
                resolved_notebook(n, &mut out);
            }
        }
        Some(remedy) => blocked_notebook(n, remedy, &blocking, &mut out),
    }
    tag_and_notify(
        tags,
        &owed
            .iter()
            .copied()
            .filter(|(rule, _)| !blocking.contains(rule))
            .collect::<Vec<_>>(),
        &mut out,
    );
    out
}

fn remedy_name(remedy: Remedy) -> &'static str {
    match remedy {
        Remedy::Delete => "delete",
        Remedy::Fix => "fix-root-access",
        _ => "stop",
    }
}

/// A notebook that breaks a blocking rule: tag what it owes, stop it when it runs, then fix or
/// delete it once stopped.
fn blocked_notebook(n: &NotebookInstance, remedy: Remedy, rules: &[RuleId], out: &mut Vec<Step>) {
    let tags = n.tags.known();
    let mut wanted = BTreeMap::from([
        (VIOLATION_TAG.to_owned(), joined(rules)),
        (REMEDY_TAG.to_owned(), remedy_name(remedy).to_owned()),
    ]);
    let running = n.status == Some(NotebookStatus::InService);
    if running && remedy == Remedy::Fix {
        wanted.insert(RESTART_TAG.to_owned(), "true".to_owned());
    }
    out.extend(tag_step(tags, wanted, rules, "record on the notebook what it owes"));
    match n.status {
        Some(NotebookStatus::InService) => out.push(step(
            ActionKind::StopNotebookInstance,
            rules,
            "the notebook runs against the policy; stop it",
        )),
        Some(NotebookStatus::Stopped) => match remedy {
            Remedy::Delete => out.push(step(
                ActionKind::DeleteNotebookInstance,
                rules,
                "the policy says delete",
            )),
            Remedy::Fix => {
                out.push(step(
                    ActionKind::UpdateNotebookInstance {
                        root_access: Toggle::Disabled,
                    },
                    rules,
                    "disable root access in place",
                ));
                resolved_notebook(n, out);
            }
            _ => {}
        },
        Some(NotebookStatus::Failed) if remedy == Remedy::Delete => out.push(step(
            ActionKind::DeleteNotebookInstance,
            rules,
            "the policy says delete",
        )),
        _ => {}
    }
}

/// A notebook that owes nothing any more: start it again if sagefence stopped it to fix it,
/// and remove sagefence's bookkeeping tags.
fn resolved_notebook(n: &NotebookInstance, out: &mut Vec<Step>) {
    let tags = n.tags.known();
    let restart = tags.and_then(|t| t.get(RESTART_TAG)) == Some("true");
    if restart && n.status == Some(NotebookStatus::Stopped) {
        out.push(step(
            ActionKind::StartNotebookInstance,
            &[],
            "it was running before sagefence fixed it",
        ));
    }
    let keys: Vec<String> = [VIOLATION_TAG, REMEDY_TAG, RESTART_TAG]
        .into_iter()
        .filter(|k| tags.is_some_and(|t| t.get(k).is_some()))
        .map(String::from)
        .collect();
    if !keys.is_empty() {
        out.push(step(
            ActionKind::Untag { keys },
            &[],
            "the notebook owes nothing any more",
        ));
    }
}

fn job_steps(j: &Job, owed: &[(RuleId, Remedy)]) -> Vec<Step> {
    let mut out = Vec::new();
    let stop = ids(owed, |r| r == Remedy::Stop);
    let running = matches!(j.status, None | Some(JobStatus::InProgress));
    if !stop.is_empty() && running {
        out.push(step(
            ActionKind::StopJob,
            &stop,
            "the job runs against the policy; stop it",
        ));
    }
    tag_and_notify(Some(&j.tags), owed, &mut out);
    out
}

fn other_steps(
    tags: Option<&Tags>,
    owed: &[(RuleId, Remedy)],
    action_for: impl Fn(Remedy) -> Option<ActionKind>,
) -> Vec<Step> {
    let mut out: Vec<Step> = Vec::new();
    for (rule, remedy) in owed {
        if let Some(action) = action_for(*remedy) {
            match out.iter_mut().find(|s| s.action == action) {
                Some(existing) => existing.rules.push(*rule),
                None => out.push(step(action, &[*rule], "the policy says remove it")),
            }
        }
    }
    if !out.iter().any(|s| s.action == ActionKind::DeleteModel) {
        tag_and_notify(tags, owed, &mut out);
    }
    out
}
