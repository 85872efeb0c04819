//! What a rule concludes ([`Verdict`], [`Status`]), what it may know of the account ([`Facts`]),
//! what every check reads ([`Context`]), and the checks several rule families share.

use std::collections::BTreeSet;

use serde::Serialize;

use super::catalog::Rules;
use super::settings::Scope;
use crate::model::{Fact, Toggle};

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

/// What the account says about project networks and keys, resolved by the caller before
/// evaluation. Offline (the default) nothing is known, and only what the input shows decides.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// Whether these facts were read from the account. When true, a subnet or key missing
    /// from the sets below is not a project one.
    pub online: bool,
    /// Subnets that belong to a project VPC (one without an internet gateway).
    pub project_subnets: BTreeSet<String>,
    /// The project's customer-managed keys, by key id, key ARN and alias ARN.
    pub project_keys: BTreeSet<String>,
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

pub(super) fn subnets_in_project(subnets: &[String], facts: &Facts, what: &str) -> Verdict {
    if subnets.is_empty() {
        return fail(format!("{what} names no subnet"));
    }
    if !facts.online {
        return pass(format!(
            "{what} runs in subnet(s) {}; project VPC membership is checked online",
            backticked(subnets)
        ));
    }
    let outside: Vec<String> = subnets
        .iter()
        .filter(|s| !facts.project_subnets.contains(*s))
        .cloned()
        .collect();
    if outside.is_empty() {
        pass(format!("{what} runs in project subnet(s) {}", backticked(subnets)))
    } else {
        fail(format!("subnet(s) {} are not in a project VPC", backticked(&outside)))
    }
}

pub(super) fn project_key(key: &str, facts: &Facts, what: &str) -> Verdict {
    if !facts.online {
        pass(format!(
            "{what} is encrypted with `{key}`; the key's owner is checked online"
        ))
    } else if facts.project_keys.contains(key) {
        pass(format!("{what} is encrypted with the project key `{key}`"))
    } else {
        fail(format!("`{key}` is not the project's customer-managed key"))
    }
}

pub(super) fn backticked(items: &[String]) -> String {
    items.iter().map(|s| format!("`{s}`")).collect::<Vec<_>>().join(", ")
}
