//! `notebook-required-tags`: every SageMaker resource carries the tags the policy requires
//! (the scope's project and owner tag keys unless the rule names its own). Its remedy (tag and
//! notify) is planned with each family's steps.

use super::verdict::{backticked, fail, not_applicable, pass, Context, Verdict};
use crate::model::Tags;

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
