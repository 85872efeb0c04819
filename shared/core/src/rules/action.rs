//! The remedies rules plan: every [`ActionKind`], the [`Step`] a rule family plans before mode and
//! resource are attached, the tags that keep a resource's remedy state, and the tagging and
//! notification steps every family shares.

use std::collections::BTreeMap;

use serde::Serialize;

use super::catalog::RuleId;
use super::settings::Remedy;
use crate::model::{IngressRange, Tags, Toggle};

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
    /// Detach an internet gateway from the VPC and delete it.
    DeleteInternetGateway {
        /// The gateway.
        internet_gateway_id: String,
    },
    /// Delete a NAT gateway.
    DeleteNatGateway {
        /// The gateway.
        nat_gateway_id: String,
    },
    /// Reject (when pending) or delete a peering connection.
    RemoveVpcPeeringConnection {
        /// The connection.
        peering_connection_id: String,
    },
    /// Create a flow log for the VPC (to the configured encrypted log group).
    CreateFlowLog,
    /// Set the subnet's MapPublicIpOnLaunch back to false.
    DisableMapPublicIpOnLaunch,
    /// Revoke these ingress permissions.
    RevokeIngress {
        /// The permissions to revoke.
        ranges: Vec<IngressRange>,
    },
    /// Cancel the key's scheduled deletion and enable it again.
    CancelKeyDeletion,
    /// Turn automatic key rotation back on.
    EnableKeyRotation,
    /// Detach a managed policy from the role.
    DetachRolePolicy {
        /// The policy ARN.
        policy_arn: String,
    },
    /// Delete an inline policy from the role.
    DeleteRolePolicy {
        /// The policy name.
        policy_name: String,
    },
    /// Tell the owner and the security team.
    Notify,
}

/// A step before mode and resource are attached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// What to do.
    pub action: ActionKind,
    /// The rules that call for it.
    pub rules: Vec<RuleId>,
    /// Why, in a sentence.
    pub reason: String,
}

pub(super) fn step(action: ActionKind, rules: &[RuleId], reason: impl Into<String>) -> Step {
    Step {
        action,
        rules: rules.to_vec(),
        reason: reason.into(),
    }
}

/// The rules a resource's violation tag records as owed.
pub(crate) fn recorded_violations(tags: Option<&Tags>) -> Vec<RuleId> {
    tags.and_then(|t| t.get(VIOLATION_TAG))
        .map(|recorded| recorded.split_whitespace().filter_map(RuleId::from_id).collect())
        .unwrap_or_default()
}

pub(super) fn ids(owed: &[(RuleId, Remedy)], pick: impl Fn(Remedy) -> bool) -> Vec<RuleId> {
    owed.iter().filter(|(_, r)| pick(*r)).map(|(rule, _)| *rule).collect()
}

pub(super) fn joined(rules: &[RuleId]) -> String {
    rules.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(" ")
}

/// Tags to set so the resource carries `wanted`; nothing when it already does.
pub(super) fn tag_step(
    current: Option<&Tags>,
    wanted: BTreeMap<String, String>,
    rules: &[RuleId],
    reason: &str,
) -> Option<Step> {
    let missing: BTreeMap<String, String> = wanted
        .into_iter()
        .filter(|(k, v)| current.is_none_or(|tags| tags.get(k) != Some(v.as_str())))
        .collect();
    (!missing.is_empty()).then(|| step(ActionKind::Tag { tags: missing }, rules, reason))
}

/// Tagging and notifying for failed tag rules, and notifying for notify-only remedies.
pub(super) fn tag_and_notify(current: Option<&Tags>, owed: &[(RuleId, Remedy)], out: &mut Vec<Step>) {
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
    notify(current, owed, out);
}

/// One notification for every rule whose remedy tells people, but for the tag rules the
/// resource's violation tag already records: people were told when it was written, so a
/// replayed event or a later call on a still-marked resource tells no one again.
pub(super) fn notify(current: Option<&Tags>, owed: &[(RuleId, Remedy)], out: &mut Vec<Step>) {
    let told = recorded_violations(current);
    let notify_rules: Vec<RuleId> = owed
        .iter()
        .filter(|(rule, remedy)| *remedy == Remedy::Notify || (*remedy == Remedy::Tag && !told.contains(rule)))
        .map(|(rule, _)| *rule)
        .collect();
    if !notify_rules.is_empty() {
        out.push(step(
            ActionKind::Notify,
            &notify_rules,
            "tell the owner and the security team",
        ));
    }
}

/// The fixes `fix` plans for the rules owed with the `fix` remedy (it is handed whether a rule
/// is one of them), then one notification for the rules whose remedy tells people.
pub(super) fn fixed_then_notified(
    tags: Option<&Tags>,
    owed: &[(RuleId, Remedy)],
    fix: impl FnOnce(&dyn Fn(RuleId) -> bool, &mut Vec<Step>),
) -> Vec<Step> {
    let mut out = Vec::new();
    let fixes = ids(owed, |r| r == Remedy::Fix);
    fix(&|rule| fixes.contains(&rule), &mut out);
    notify(tags, owed, &mut out);
    out
}
