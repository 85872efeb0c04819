//! Evaluation: every catalog rule that governs a resource, applied to what the input tells,
//! yields one finding. Pure and total: unknown inputs give `NOT_APPLICABLE`, never a guess.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::model::{Fact, Resource, ResourceRef};
use crate::policy::{Mode, Policy, ResourceScope};
use crate::rules::{self, Context, RuleId, Severity};

pub use crate::rules::{Facts, Status};

/// The exemption that waived a failed finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Waiver {
    /// Why the resource is exempt.
    pub reason: String,
    /// The last day the exemption holds.
    pub expires: NaiveDate,
}

/// One rule's verdict on one resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The rule.
    pub rule: RuleId,
    /// The Security Hub control or Config rule it maps to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub control: Option<&'static str>,
    /// The resource.
    pub resource: ResourceRef,
    /// The outcome.
    pub status: Status,
    /// How serious a failure is.
    pub severity: Severity,
    /// Why, in a sentence.
    pub reason: String,
    /// `enforce` or `audit`.
    pub mode: Mode,
    /// The exemption that waives a failure, if one holds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exemption: Option<Waiver>,
}

impl Finding {
    /// A failure that no exemption waives: the resource owes a remedy.
    pub fn is_violation(&self) -> bool {
        self.status == Status::Failed && self.exemption.is_none()
    }
}

/// Evaluates every rule that governs `resource`. Returns no finding when the resource is
/// outside the policy's scope (region, except for global IAM roles, or project), and none for
/// rules that are `off`.
pub fn evaluate(
    policy: &Policy,
    resource: &Resource,
    region: Option<&str>,
    facts: &Facts,
    now: DateTime<Utc>,
) -> Vec<Finding> {
    if !in_scope(policy, resource, region, facts) {
        return Vec::new();
    }
    let cx = Context {
        rules: &policy.rules,
        scope: &policy.scope,
        facts,
        region,
    };
    let verdicts = rules::check(&cx, resource);
    let reference = resource.reference();
    let today = now.date_naive();
    verdicts
        .into_iter()
        .filter_map(|(rule, verdict)| {
            let mode = policy.mode(rule);
            if mode == Mode::Off {
                return None;
            }
            let exemption = (verdict.status == Status::Failed)
                .then(|| waiver(policy, rule, reference.arn.as_deref(), today))
                .flatten();
            let info = rule.info();
            Some(Finding {
                rule,
                control: info.control,
                resource: reference.clone(),
                status: verdict.status,
                severity: info.severity,
                reason: verdict.reason,
                mode,
                exemption,
            })
        })
        .collect()
}

/// The waiver an active exemption grants `rule` on the resource with this ARN, if any.
pub fn waiver(policy: &Policy, rule: RuleId, arn: Option<&str>, today: NaiveDate) -> Option<Waiver> {
    policy.exemption(rule, arn, today).map(|e| Waiver {
        reason: e.reason.as_str().to_owned(),
        expires: e.expires,
    })
}

fn in_scope(policy: &Policy, resource: &Resource, region: Option<&str>, facts: &Facts) -> bool {
    let scope = &policy.scope;
    let global = matches!(resource, Resource::Role(_));
    if let Some(region) = region.filter(|_| !global) {
        if !scope.regions.is_empty() && !scope.regions.iter().any(|r| r == region) {
            return false;
        }
    }
    if let Some(project) = resource.is_project_infrastructure(&scope.project_tag_key) {
        return project;
    }
    match scope.resources {
        ResourceScope::All => true,
        ResourceScope::Project => {
            let tagged = resource
                .tags()
                .and_then(|tags| tags.get(&scope.project_tag_key))
                .is_some_and(|project| !project.trim().is_empty());
            tagged || placed_in_project(resource, facts)
        }
    }
}

fn placed_in_project(resource: &Resource, facts: &Facts) -> bool {
    let in_project = |subnet: &String| facts.project_subnets.contains_key(subnet);
    match resource {
        Resource::NotebookInstance(n) => matches!(&n.subnet_id, Fact::Known(Some(s)) if in_project(s)),
        Resource::Job(j) => j
            .specs
            .iter()
            .filter_map(|s| s.network.as_ref().and_then(|n| n.vpc.as_ref()))
            .any(|vpc| vpc.subnets.iter().any(in_project)),
        Resource::Model(m) => m.vpc.as_ref().is_some_and(|vpc| vpc.subnets.iter().any(in_project)),
        Resource::EndpointConfig(_) => false,
        Resource::Domain(d) => d.subnet_ids.iter().any(in_project),
        Resource::Vpc(_)
        | Resource::Subnet(_)
        | Resource::SecurityGroup(_)
        | Resource::KmsKey(_)
        | Resource::Role(_) => false,
    }
}
