//! The rules: the catalog (`catalog.rs`, the one list of rules and their settings), and one
//! module per resource family holding each of its rules' checks and remedy steps, keyed by rule
//! id. Pure and total: a check that cannot decide from its input says `NOT_APPLICABLE`.
//!
//! Adding a rule: its entry in `catalog.rs`; its check (and, if it has a remedy beyond tagging
//! and notifying, its steps) in its family's module; a fixture in `events/`; its tests.

mod action;
mod catalog;
mod domain;
mod endpoint_config;
mod iam;
mod job;
mod kms;
mod model;
mod network;
mod notebook;
mod settings;
mod tags;
mod verdict;

pub use action::{ActionKind, Step, REMEDY_TAG, RESTART_TAG, VIOLATION_TAG};
pub use catalog::{RuleId, RuleInfo, Rules, Severity};
pub use settings::{
    EndpointConfigRemedy, FixOrNotify, InstanceTypeSettings, Mode, ModeOnly, ProdInstanceCountSettings, Remedy,
    RequiredEndpointsSettings, RequiredTagsSettings, ResourceScope, RootAccessRemedy, RuleConfig, RuleSettings, Scope,
    StopOrDelete, TagRemedy,
};
pub use verdict::{Context, Facts, Status, Verdict};

pub(crate) use action::recorded_violations;
pub use tags::derived_project;

use crate::model::Resource;

/// Every governing rule's verdict on `resource`, in catalog order within its family, then
/// `tags-protected`.
pub fn check(cx: &Context<'_>, resource: &Resource) -> Vec<(RuleId, Verdict)> {
    let mut verdicts = family_check(cx, resource);
    verdicts.push((RuleId::TagsProtected, tags::protected(cx, resource)));
    verdicts
}

fn family_check(cx: &Context<'_>, resource: &Resource) -> Vec<(RuleId, Verdict)> {
    match resource {
        Resource::NotebookInstance(n) => notebook::check(cx, n),
        Resource::Job(j) => job::check(cx, j),
        Resource::Model(m) => model::check(cx, m),
        Resource::EndpointConfig(e) => endpoint_config::check(cx, e),
        Resource::Domain(d) => domain::check(cx, d),
        Resource::Vpc(v) => network::check_vpc(cx, v),
        Resource::Subnet(s) => network::check_subnet(s),
        Resource::SecurityGroup(g) => network::check_security_group(g),
        Resource::KmsKey(k) => kms::check(k),
        Resource::Role(r) => iam::check(r),
    }
}

/// The remedy steps for what `resource` owes: each rule it fails, with the remedy the policy
/// gives that rule.
pub fn steps(resource: &Resource, owed: &[(RuleId, Remedy)]) -> Vec<Step> {
    let owed: Vec<(RuleId, Remedy)> = owed
        .iter()
        .map(|&(rule, remedy)| (rule, tags::planned(rule, remedy)))
        .collect();
    family_steps(resource, &owed)
}

fn family_steps(resource: &Resource, owed: &[(RuleId, Remedy)]) -> Vec<Step> {
    match resource {
        Resource::NotebookInstance(n) => notebook::steps(n, owed),
        Resource::Job(j) => job::steps(j, owed),
        Resource::Model(m) => model::steps(m, owed),
        Resource::EndpointConfig(e) => endpoint_config::steps(e, owed),
        Resource::Domain(d) => domain::steps(d, owed),
        Resource::Vpc(v) => network::vpc_steps(v, owed),
        Resource::Subnet(s) => network::subnet_steps(s, owed),
        Resource::SecurityGroup(g) => network::security_group_steps(g, owed),
        Resource::KmsKey(k) => kms::steps(k, owed),
        Resource::Role(r) => iam::steps(r, owed),
    }
}
