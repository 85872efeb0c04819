//! The planner: turns a resource's findings and current state into remediation actions.
//! Notebook remedies are a small state machine kept on the notebook's own tags, so replays
//! and out-of-order events plan the same (or no) actions and nothing is stored elsewhere.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::account::{IngressRange, KeyState};
use crate::catalog::RuleId;
use crate::evaluate::{Finding, Status};
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

/// The rules a resource's violation tag records as owed.
fn recorded_violations(tags: Option<&Tags>) -> Vec<RuleId> {
    tags.and_then(|t| t.get(VIOLATION_TAG))
        .map(|recorded| recorded.split_whitespace().filter_map(RuleId::from_id).collect())
        .unwrap_or_default()
}

fn steps(resource: &Resource, owed: &[(RuleId, Remedy)]) -> Vec<Step> {
    match resource {
        Resource::NotebookInstance(n) => notebook_steps(n, owed),
        Resource::Job(j) => job_steps(j, owed),
        Resource::Vpc(_)
        | Resource::Subnet(_)
        | Resource::SecurityGroup(_)
        | Resource::KmsKey(_)
        | Resource::Role(_) => infrastructure_steps(resource, owed),
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
    notify(current, owed, out);
}

/// One notification for every rule whose remedy tells people, but for the tag rules the
/// resource's violation tag already records: people were told when it was written, so a
/// replayed event or a later call on a still-marked resource tells no one again.
fn notify(current: Option<&Tags>, owed: &[(RuleId, Remedy)], out: &mut Vec<Step>) {
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

/// A notebook's remedies. Its tags hold the state: what it owes (`sagefence:violation`, one
/// writer for every rule), the remedy (`sagefence:remedy`) and whether it ran before a fix
/// (`sagefence:restart`). Running and owing a blocking remedy: stop. Stopped: delete, or fix
/// RootAccess in place and start again if it ran before. Owing nothing: drop stale tags.
fn notebook_steps(n: &NotebookInstance, owed: &[(RuleId, Remedy)]) -> Vec<Step> {
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
        wanted.insert(REMEDY_TAG.to_owned(), remedy_name(remedy).to_owned());
        let running = n.status == Some(NotebookStatus::InService);
        if remedy == Remedy::Fix && (running || tag(RESTART_TAG) == Some("true")) {
            wanted.insert(RESTART_TAG.to_owned(), "true".to_owned());
        }
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
        (Some(Remedy::Fix), Some(NotebookStatus::Stopped)) => out.push(step(
            ActionKind::UpdateNotebookInstance {
                root_access: Toggle::Disabled,
            },
            &blocking,
            "disable root access in place",
        )),
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

fn remedy_name(remedy: Remedy) -> &'static str {
    match remedy {
        Remedy::Delete => "delete",
        Remedy::Fix => "fix-root-access",
        _ => "stop",
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

/// Fixes for a project's network, keys and roles: each failed rule with the `fix` remedy
/// becomes the actions that undo the drift; `notify` remedies become one notification.
fn infrastructure_steps(resource: &Resource, owed: &[(RuleId, Remedy)]) -> Vec<Step> {
    let mut out = Vec::new();
    let fixes = ids(owed, |r| r == Remedy::Fix);
    let fixing = |rule: RuleId| fixes.contains(&rule);
    let rules = |rule: RuleId| [rule];
    match resource {
        Resource::Vpc(v) => {
            if fixing(RuleId::VpcNoInternetGateway) {
                for id in &v.internet_gateways {
                    out.push(step(
                        ActionKind::DeleteInternetGateway {
                            internet_gateway_id: id.clone(),
                        },
                        &rules(RuleId::VpcNoInternetGateway),
                        "a project VPC has no route to the internet",
                    ));
                }
            }
            if fixing(RuleId::VpcNoNatOrPeering) {
                for id in &v.nat_gateways {
                    out.push(step(
                        ActionKind::DeleteNatGateway {
                            nat_gateway_id: id.clone(),
                        },
                        &rules(RuleId::VpcNoNatOrPeering),
                        "a project VPC has no NAT gateway",
                    ));
                }
                for peering in &v.peerings {
                    out.push(step(
                        ActionKind::RemoveVpcPeeringConnection {
                            peering_connection_id: peering.id.clone(),
                        },
                        &rules(RuleId::VpcNoNatOrPeering),
                        "a project VPC is not peered",
                    ));
                }
            }
            if fixing(RuleId::VpcFlowLogsEnabled) {
                out.push(step(
                    ActionKind::CreateFlowLog,
                    &rules(RuleId::VpcFlowLogsEnabled),
                    "a project VPC logs its flows",
                ));
            }
        }
        Resource::Subnet(_) if fixing(RuleId::SubnetNoPublicIp) => out.push(step(
            ActionKind::DisableMapPublicIpOnLaunch,
            &rules(RuleId::SubnetNoPublicIp),
            "a project subnet gives no public IPs",
        )),
        Resource::SecurityGroup(g) if fixing(RuleId::SecurityGroupNoOpenIngress) => out.push(step(
            ActionKind::RevokeIngress {
                ranges: g.ingress.iter().filter(|r| r.is_open()).cloned().collect(),
            },
            &rules(RuleId::SecurityGroupNoOpenIngress),
            "a project security group admits nothing from the internet",
        )),
        Resource::KmsKey(k) => {
            if fixing(RuleId::KmsNoPendingDeletion) {
                out.push(step(
                    ActionKind::CancelKeyDeletion,
                    &rules(RuleId::KmsNoPendingDeletion),
                    "a project key must not be deleted",
                ));
            }
            let can_rotate = k.state != KeyState::PendingDeletion || fixing(RuleId::KmsNoPendingDeletion);
            if fixing(RuleId::KmsRotationEnabled) && can_rotate {
                out.push(step(
                    ActionKind::EnableKeyRotation,
                    &rules(RuleId::KmsRotationEnabled),
                    "a project key rotates",
                ));
            }
        }
        Resource::Role(r) if fixing(RuleId::RoleLeastPrivilege) => {
            for policy in r.policies.iter().filter(|p| p.grants_everything) {
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
                    &rules(RuleId::RoleLeastPrivilege),
                    "a notebook role grants no more than it needs",
                ));
            }
        }
        _ => {}
    }
    notify(resource.tags(), owed, &mut out);
    out
}
