//! What a rule concludes ([`Verdict`], [`Status`]), what it may know of the account ([`Facts`]),
//! what every check reads ([`Context`]), and the checks several rule families share.

use std::collections::BTreeMap;

use serde::Serialize;

use super::catalog::Rules;
use super::settings::Scope;
use crate::model::{Fact, Tags, Toggle};

/// What a check reads besides the resource: the policy's rule settings and scope, the facts
/// resolved from the account, and the region of the input.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The policy's per-rule settings.
    pub rules: &'a Rules,
    /// The policy's scope.
    pub scope: &'a Scope,
    /// What the account says about project networks and keys.
    pub facts: &'a Facts,
    /// The region the input comes from, where it says.
    pub region: Option<&'a str>,
}

/// What the account says about project networks, keys and roles, resolved by the caller
/// before evaluation: each project resource with the project it belongs to (its project tag,
/// or its VPC's). Offline (the default) nothing is known, and only what the input shows decides.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// Whether these facts were read from the account. When true, a subnet, security group,
    /// key or role missing from the maps below is not a project one.
    pub online: bool,
    /// Subnets that belong to a project VPC (one without an internet gateway), with its project.
    pub project_subnets: BTreeMap<String, String>,
    /// Security groups of a project VPC, with its project.
    pub project_security_groups: BTreeMap<String, String>,
    /// Projects' customer-managed keys, by key id, key ARN and alias ARN, with their project.
    pub project_keys: BTreeMap<String, String>,
    /// Project roles, by ARN, with their project.
    pub project_roles: BTreeMap<String, String>,
}

/// The outcome of one rule on one resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Status {
    /// The resource meets the rule.
    Passed,
    /// The resource breaks the rule.
    Failed,
    /// The rule cannot be decided from this input, or does not apply.
    NotApplicable,
}

/// A rule's verdict before policy and exemptions are applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// The outcome.
    pub status: Status,
    /// Why, in a sentence.
    pub reason: String,
}

pub(super) fn pass(reason: impl Into<String>) -> Verdict {
    Verdict {
        status: Status::Passed,
        reason: reason.into(),
    }
}

pub(super) fn fail(reason: impl Into<String>) -> Verdict {
    Verdict {
        status: Status::Failed,
        reason: reason.into(),
    }
}

pub(super) fn not_applicable(reason: impl Into<String>) -> Verdict {
    Verdict {
        status: Status::NotApplicable,
        reason: reason.into(),
    }
}

pub(super) fn toggle_disabled(value: &Fact<Toggle>, setting: &str) -> Verdict {
    match value {
        Fact::Known(Toggle::Disabled) => pass(format!("{setting} is `Disabled`")),
        Fact::Known(Toggle::Enabled) => fail(format!("{setting} is `Enabled` (absent means `Enabled`)")),
        Fact::Unknown => not_applicable(format!("the input does not carry {setting}")),
    }
}

/// The project a resource belongs to: its project tag's value; none when the tag is absent
/// or blank.
pub(super) fn project_of<'t>(cx: &Context<'_>, tags: Option<&'t Tags>) -> Option<&'t str> {
    tags.and_then(|t| t.get(&cx.scope.project_tag_key))
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

/// Whether `id` belongs to the resource's project: present in `members` with that project
/// (with any project, when the resource names none).
fn belongs(id: &str, members: &BTreeMap<String, String>, project: Option<&str>) -> bool {
    members
        .get(id)
        .is_some_and(|owner| project.is_none_or(|project| owner == project))
}

/// Which of `ids` do not belong to the resource's project.
fn foreign(ids: &[String], members: &BTreeMap<String, String>, project: Option<&str>) -> Vec<String> {
    ids.iter()
        .filter(|id| !belongs(id, members, project))
        .cloned()
        .collect()
}

fn whose(project: Option<&str>) -> String {
    project.map_or_else(|| "a project".to_owned(), |p| format!("project `{p}`"))
}

/// Whether a resource runs in subnets (and security groups) of its own project's VPC.
pub(super) fn subnets_in_project(
    subnets: &[String],
    security_groups: &[String],
    facts: &Facts,
    project: Option<&str>,
    what: &str,
) -> Verdict {
    if subnets.is_empty() {
        return fail(format!("{what} names no subnet"));
    }
    if !facts.online {
        return pass(format!(
            "{what} runs in subnet(s) {}; project VPC membership is checked online",
            backticked(subnets)
        ));
    }
    let outside = foreign(subnets, &facts.project_subnets, project);
    let groups = foreign(security_groups, &facts.project_security_groups, project);
    match (outside.is_empty(), groups.is_empty()) {
        (true, true) => pass(format!(
            "{what} runs in subnet(s) {} of {}",
            backticked(subnets),
            whose(project)
        )),
        (false, _) => fail(format!(
            "subnet(s) {} are not in a VPC of {}",
            backticked(&outside),
            whose(project)
        )),
        (true, false) => fail(format!(
            "security group(s) {} are not in a VPC of {}",
            backticked(&groups),
            whose(project)
        )),
    }
}

/// Whether a key is a customer-managed key of the resource's own project.
pub(super) fn project_key(key: &str, facts: &Facts, project: Option<&str>, what: &str) -> Verdict {
    if !facts.online {
        return pass(format!(
            "{what} is encrypted with `{key}`; the key's owner is checked online"
        ));
    }
    if belongs(key, &facts.project_keys, project) {
        pass(format!(
            "{what} is encrypted with the key `{key}` of {}",
            whose(project)
        ))
    } else {
        fail(format!("`{key}` is not a customer-managed key of {}", whose(project)))
    }
}

/// Whether an execution role is a role of the resource's own project.
pub(super) fn project_role(role_arn: &str, facts: &Facts, project: Option<&str>, what: &str) -> Verdict {
    if !facts.online {
        return pass(format!(
            "{what} runs as `{role_arn}`; the role's project is checked online"
        ));
    }
    if belongs(role_arn, &facts.project_roles, project) {
        pass(format!("{what} runs as `{role_arn}`, a role of {}", whose(project)))
    } else {
        fail(format!("`{role_arn}` is not a role of {}", whose(project)))
    }
}

pub(super) fn backticked(items: &[String]) -> String {
    items.iter().map(|s| format!("`{s}`")).collect::<Vec<_>>().join(", ")
}
