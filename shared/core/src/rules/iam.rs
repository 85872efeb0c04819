//! Project role rules: least privilege. The check, and the fix: detach or delete every policy
//! that grants beyond least privilege (every action, a service wildcard, `NotAction`,
//! `NotResource`, an admin-equivalent action).

use super::action::{fixed_then_notified, step, ActionKind, Step};
use super::catalog::RuleId;
use super::settings::Remedy;
use super::verdict::{fail, pass, Verdict};
use crate::model::Role;

/// The role's verdicts.
pub(super) fn check(role: &Role) -> Vec<(RuleId, Verdict)> {
    vec![(RuleId::RoleLeastPrivilege, least_privilege(role))]
}

fn least_privilege(role: &Role) -> Verdict {
    let broad: Vec<String> = role
        .policies
        .iter()
        .filter(|p| !p.excess.is_empty())
        .map(|p| format!("`{}` {}", p.id, p.excess.join("; ")))
        .collect();
    if broad.is_empty() {
        pass("no policy grants beyond least privilege")
    } else {
        fail(format!("beyond least privilege: {}", broad.join(" | ")))
    }
}

/// A project role's fix: detach (managed) or delete (inline) each policy granting too much.
pub(super) fn steps(r: &Role, owed: &[(RuleId, Remedy)]) -> Vec<Step> {
    fixed_then_notified(Some(&r.tags), owed, |fixing, out| {
        if !fixing(RuleId::RoleLeastPrivilege) {
            return;
        }
        for policy in r.policies.iter().filter(|p| !p.excess.is_empty()) {
            let action = if policy.managed {
                ActionKind::DetachRolePolicy {
                    policy_arn: policy.id.clone(),
                }
            } else {
                ActionKind::DeleteRolePolicy {
                    policy_name: policy.id.clone(),
                }
            };
            out.push(step(
                action,
                &[RuleId::RoleLeastPrivilege],
                "a notebook role grants no more than it needs",
            ));
        }
    })
}
