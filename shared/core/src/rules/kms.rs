//! Project KMS key rules: rotation on, no deletion scheduled. Their checks, and the fixes.

use super::action::{fixed_then_notified, step, ActionKind, Step};
use super::catalog::RuleId;
use super::settings::Remedy;
use super::verdict::{fail, pass, Verdict};
use crate::model::{KeyState, KmsKey};

pub(super) fn check(key: &KmsKey) -> Vec<(RuleId, Verdict)> {
    let rotation = if key.rotation_enabled {
        pass("automatic rotation is on")
    } else {
        fail("automatic rotation is off")
    };
    let deletion = if key.state == KeyState::PendingDeletion {
        fail("the key is scheduled for deletion")
    } else {
        pass("the key is not scheduled for deletion")
    };
    vec![
        (RuleId::KmsRotationEnabled, rotation),
        (RuleId::KmsNoPendingDeletion, deletion),
    ]
}

/// A project key's fixes: cancel its deletion, turn rotation back on (once it is not pending
/// deletion).
pub(super) fn steps(k: &KmsKey, owed: &[(RuleId, Remedy)]) -> Vec<Step> {
    fixed_then_notified(Some(&k.tags), owed, |fixing, out| {
        if fixing(RuleId::KmsNoPendingDeletion) {
            out.push(step(
                ActionKind::CancelKeyDeletion,
                &[RuleId::KmsNoPendingDeletion],
                "a project key must not be deleted",
            ));
        }
        let can_rotate = k.state != KeyState::PendingDeletion || fixing(RuleId::KmsNoPendingDeletion);
        if fixing(RuleId::KmsRotationEnabled) && can_rotate {
            out.push(step(
                ActionKind::EnableKeyRotation,
                &[RuleId::KmsRotationEnabled],
                "a project key rotates",
            ));
        }
    })
}
