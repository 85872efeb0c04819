//! SageMaker model rules: project VPC and network isolation. A failing model is deleted.

use super::action::{ids, step, tag_and_notify, ActionKind, Step};
use super::catalog::RuleId;
use super::settings::Remedy;
use super::tags::required_tags;
use super::verdict::{fail, pass, project_of, subnets_in_project, Context, Verdict};
use crate::model::{Model, Tags};

pub(super) fn check(cx: &Context<'_>, m: &Model) -> Vec<(RuleId, Verdict)> {
    let vpc = match &m.vpc {
        None => fail("no VpcConfig: the model's containers run outside any project VPC"),
        Some(vpc) => subnets_in_project(
            &vpc.subnets,
            &vpc.security_group_ids,
            cx.facts,
            project_of(cx, Some(&m.tags)),
            "the model",
        ),
    };
    let isolation = if m.network_isolation {
        pass("network isolation is enabled")
    } else {
        fail("EnableNetworkIsolation is false (absent means false)")
    };
    vec![
        (RuleId::ModelInProjectVpc, vpc),
        (RuleId::ModelNetworkIsolation, isolation),
        (RuleId::NotebookRequiredTags, required_tags(cx, Some(&m.tags))),
    ]
}

/// A failing model's remedy: delete it (the rule's only remedy), else tag and notify.
pub(super) fn steps(m: &Model, owed: &[(RuleId, Remedy)]) -> Vec<Step> {
    removal_steps(Some(&m.tags), owed, Remedy::Delete, ActionKind::DeleteModel)
}

/// One removal step for every rule whose remedy is `remedy`; the resource is also tagged and
/// people told, unless it is deleted outright.
pub(super) fn removal_steps(
    tags: Option<&Tags>,
    owed: &[(RuleId, Remedy)],
    remedy: Remedy,
    action: ActionKind,
) -> Vec<Step> {
    let mut out = Vec::new();
    let rules = ids(owed, |r| r == remedy);
    let removing = !rules.is_empty();
    if removing {
        out.push(step(action, &rules, "the policy says remove it"));
    }
    if !removing || remedy != Remedy::Delete {
        tag_and_notify(tags, owed, &mut out);
    }
    out
}
