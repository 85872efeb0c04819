//! Tag rules. `notebook-required-tags`: every SageMaker resource carries the tags the policy
//! requires (the scope's project and owner tag keys unless the rule names its own); its remedy
//! (tag and notify) is planned with each family's steps. `tags-protected`: the project tag is
//! not blank and names the project whose infrastructure the resource runs in; the planner
//! notifies, and the guardrail undoes tag changes as they happen (`crate::tag_change`).

use std::collections::BTreeSet;

use super::catalog::RuleId;
use super::settings::Remedy;
use super::verdict::{backticked, fail, not_applicable, pass, project_of, Context, Facts, Verdict};
use crate::model::{Resource, Tags};

/// The verdict on a resource's tags; not applicable when the input does not carry them.
pub(super) fn required_tags(cx: &Context<'_>, tags: Option<&Tags>) -> Verdict {
    let Some(tags) = tags else {
        return not_applicable("the input does not carry the tags");
    };
    let missing: Vec<String> = cx
        .rules
        .notebook_required_tags
        .keys(cx.scope)
        .into_iter()
        .filter(|key| tags.get(key).is_none_or(|v| v.trim().is_empty()))
        .map(String::from)
        .collect();
    if missing.is_empty() {
        pass("carries every required tag")
    } else {
        fail(format!("missing tag(s) {}", backticked(&missing)))
    }
}

/// The project whose infrastructure a SageMaker resource runs in, as the facts tell: the one
/// project all its subnets belong to, else its execution role's project. `None` offline, for
/// other resources, and when its subnets span projects or belong to none.
pub fn derived_project(resource: &Resource, facts: &Facts) -> Option<String> {
    if !facts.online {
        return None;
    }
    let subnets = resource.subnet_ids();
    let projects: BTreeSet<Option<&String>> = subnets.iter().map(|s| facts.project_subnets.get(s)).collect();
    match projects.into_iter().collect::<Vec<_>>().as_slice() {
        [Some(project)] => Some((*project).clone()),
        [] => match resource {
            Resource::NotebookInstance(n) => n.role_arn.known().and_then(|r| facts.project_roles.get(r)).cloned(),
            _ => None,
        },
        _ => None,
    }
}

/// `tags-protected` on a resource's current tags.
pub(super) fn protected(cx: &Context<'_>, resource: &Resource) -> Verdict {
    let Some(tags) = resource.tags() else {
        return not_applicable("the input does not carry the tags");
    };
    let key = &cx.scope.project_tag_key;
    if tags.get(key).is_some_and(|v| v.trim().is_empty()) {
        return fail(format!(
            "the project tag `{key}` is blank: an empty value names no project"
        ));
    }
    match (derived_project(resource, cx.facts), project_of(cx, Some(tags))) {
        (Some(derived), Some(tagged)) if derived != tagged => fail(format!(
            "the project tag names `{tagged}`, but the resource runs in project `{derived}`'s infrastructure"
        )),
        _ => pass("sagefence's tags are consistent with the resource's infrastructure"),
    }
}

/// The remedy the planner plans for `rule`: `tags-protected` is told (the guardrail restores
/// the tags themselves when it sees the change, `crate::tag_change::restoration`); every other
/// rule keeps its remedy.
pub(super) fn planned(rule: RuleId, remedy: Remedy) -> Remedy {
    if rule == RuleId::TagsProtected {
        Remedy::Notify
    } else {
        remedy
    }
}
