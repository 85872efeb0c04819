//! Notebook instance rules: direct internet access, project VPC, root access, KMS, instance
//! type, execution role. Their checks, and the notebook's remedies: a small state machine kept on the
//! notebook's own tags, so replays and out-of-order events plan the same (or no) actions.

use std::collections::BTreeMap;

use super::action::{ids, joined, notify, step, tag_step, ActionKind, Step, REMEDY_TAG, RESTART_TAG, VIOLATION_TAG};
use super::catalog::RuleId;
use super::settings::Remedy;
use super::tags::required_tags;
use super::verdict::{
    fail, not_applicable, pass, project_key, project_of, project_role, subnets_in_project, toggle_disabled, Context,
    Verdict,
};
use crate::model::{Fact, NotebookInstance, NotebookStatus, Toggle};

pub(super) fn check(cx: &Context<'_>, n: &NotebookInstance) -> Vec<(RuleId, Verdict)> {
    let project = project_of(cx, n.tags.known());
    let groups = n.security_group_ids.known().map_or(&[][..], Vec::as_slice);
    let vpc = match &n.subnet_id {
        Fact::Known(Some(subnet)) => {
            subnets_in_project(std::slice::from_ref(subnet), groups, cx.facts, project, "the notebook")
        }
        Fact::Known(None) => fail("no SubnetId: the notebook runs in SageMaker's network, outside any project VPC"),
        Fact::Unknown => not_applicable("the input does not carry SubnetId"),
    };
    let kms = match &n.kms_key_id {
        Fact::Known(Some(key)) => project_key(key, cx.facts, project, "the volume"),
        Fact::Known(None) => fail("no KmsKeyId: the volume is encrypted with an AWS managed key"),
        Fact::Unknown => not_applicable("the input does not carry KmsKeyId"),
    };
    let role = match &n.role_arn {
        Fact::Known(role) => project_role(role, cx.facts, project, "the notebook"),
        Fact::Unknown => not_applicable("the input does not carry RoleArn"),
    };
    let allowed = &cx.rules.notebook_approved_instance_type.allowed;
    let instance_type = match &n.instance_type {
        Fact::Known(t) if allowed.iter().any(|a| a == t) => pass(format!("instance type `{t}` is allowed")),
        Fact::Known(t) => fail(format!("instance type `{t}` is not in the policy's allow-list")),
        Fact::Unknown => not_applicable("the input does not carry InstanceType"),
    };
    vec![
        (
            RuleId::NotebookDirectInternetDisabled,
            toggle_disabled(&n.direct_internet_access, "DirectInternetAccess"),
        ),
        (RuleId::NotebookInProjectVpc, vpc),
        (
            RuleId::NotebookRootAccessDisabled,
            toggle_disabled(&n.root_access, "RootAccess"),
        ),
        (RuleId::NotebookKmsEncrypted, kms),
        (RuleId::NotebookApprovedInstanceType, instance_type),
        (RuleId::NotebookRoleInProject, role),
        (RuleId::NotebookRequiredTags, required_tags(cx, n.tags.known())),
    ]
}

/// A notebook's remedies. Its tags hold the state: what it owes (`sagefence:violation`, one
/// writer for every rule), the remedy (`sagefence:remedy`) and whether it ran before a fix
/// (`sagefence:restart`). Running and owing a blocking remedy: stop. Stopped: delete, or fix
/// RootAccess in place and start again if it ran before. Owing nothing: drop stale tags, but
/// keep the restart mark while the fix is still `Updating` (the start waits for `Stopped`).
pub(super) fn steps(n: &NotebookInstance, owed: &[(RuleId, Remedy)]) -> Vec<Step> {
    let tags = n.tags.known();
    let tag = |key: &str| tags.and_then(|t| t.get(key));
    let blocking = ids(owed, |r| matches!(r, Remedy::Stop | Remedy::Delete | Remedy::Fix));
    let strongest = [Remedy::Delete, Remedy::Stop, Remedy::Fix]
        .into_iter()
        .find(|candidate| owed.iter().any(|(_, r)| r == candidate));
    let stopped = n.status == Some(NotebookStatus::Stopped);
    let fixing_now = strongest == Some(Remedy::Fix) && stopped;
    let still_owed: &[RuleId] = if fixing_now { &[] } else { &blocking };

    let mut violated: Vec<RuleId> = still_owed
        .iter()
        .chain(&ids(owed, |r| r == Remedy::Tag))
        .copied()
        .collect();
    violated.sort_unstable();
    violated.dedup();
    let mut wanted = BTreeMap::new();
    if !violated.is_empty() {
        wanted.insert(VIOLATION_TAG.to_owned(), joined(&violated));
    }
    if let Some(remedy) = strongest.filter(|_| !still_owed.is_empty()) {
        wanted.insert(REMEDY_TAG.to_owned(), remedy_name(remedy, &blocking).to_owned());
        let running = n.status == Some(NotebookStatus::InService);
        if remedy == Remedy::Fix && (running || tag(RESTART_TAG) == Some("true")) {
            wanted.insert(RESTART_TAG.to_owned(), "true".to_owned());
        }
    }
    let updating = n.status == Some(NotebookStatus::Updating);
    if still_owed.is_empty() && updating && tag(RESTART_TAG) == Some("true") {
        wanted.insert(RESTART_TAG.to_owned(), "true".to_owned());
    }

    let mut out = Vec::new();
    out.extend(tag_step(
        tags,
        wanted.clone(),
        &violated,
        "record on the notebook what it owes",
    ));
    let mut deleting = false;
    match (strongest, n.status) {
        (Some(_), Some(NotebookStatus::InService)) => out.push(step(
            ActionKind::StopNotebookInstance,
            &blocking,
            "the notebook runs against the policy; stop it",
        )),
        (Some(Remedy::Delete), Some(NotebookStatus::Stopped | NotebookStatus::Failed)) => {
            deleting = true;
            out.push(step(
                ActionKind::DeleteNotebookInstance,
                &blocking,
                "the policy says delete",
            ));
        }
        (Some(Remedy::Fix), Some(NotebookStatus::Stopped)) => {
            for rule in &blocking {
                if let Some(fix) = fix_in_place(*rule) {
                    out.push(step(fix.update, &[*rule], fix.reason));
                }
            }
        }
        _ => {}
    }
    if still_owed.is_empty() && stopped && tag(RESTART_TAG) == Some("true") {
        out.push(step(
            ActionKind::StartNotebookInstance,
            &[],
            "it was running before sagefence fixed it",
        ));
    }
    let stale: Vec<String> = [VIOLATION_TAG, REMEDY_TAG, RESTART_TAG]
        .into_iter()
        .filter(|key| tag(key).is_some() && !wanted.contains_key(*key))
        .map(String::from)
        .collect();
    if !stale.is_empty() && !deleting {
        out.push(step(
            ActionKind::Untag { keys: stale },
            &[],
            "the notebook no longer owes these",
        ));
    }
    notify(tags, owed, &mut out);
    out
}

/// How a notebook rule is fixed in place, on a stopped notebook.
struct InPlaceFix {
    /// The update that fixes it.
    update: ActionKind,
    /// The remedy tag's value while the fix is owed.
    tag: &'static str,
    /// Why, in a sentence.
    reason: &'static str,
}

/// The in-place fix of each notebook rule that offers the `fix` remedy.
fn fix_in_place(rule: RuleId) -> Option<InPlaceFix> {
    match rule {
        RuleId::NotebookRootAccessDisabled => Some(InPlaceFix {
            update: ActionKind::UpdateNotebookInstance {
                root_access: Toggle::Disabled,
            },
            tag: "fix-root-access",
            reason: "disable root access in place",
        }),
        _ => None,
    }
}

/// The remedy tag's value: `delete`, `stop`, or the in-place fix the owed rules call for.
fn remedy_name(remedy: Remedy, rules: &[RuleId]) -> &'static str {
    match remedy {
        Remedy::Delete => "delete",
        Remedy::Fix => rules
            .iter()
            .find_map(|rule| fix_in_place(*rule))
            .map_or("fix", |fix| fix.tag),
        _ => "stop",
    }
}
