//! Endpoint configuration rules: a KMS key for attached storage, and enough instances in
//! production. Their checks, and the remedy: delete the configuration when nothing uses it.

use super::action::{ActionKind, Step};
use super::catalog::RuleId;
use super::model::removal_steps;
use super::settings::Remedy;
use super::tags::required_tags;
use super::verdict::{fail, not_applicable, pass, Context, Verdict};
use crate::model::EndpointConfig;

pub(super) fn check(cx: &Context<'_>, e: &EndpointConfig) -> Vec<(RuleId, Verdict)> {
    let kms = match &e.kms_key_id {
        Some(key) => pass(format!("attached storage is encrypted with `{key}`")),
        None => fail("no KmsKeyId: the endpoint's storage is not encrypted with a KMS key"),
    };
    vec![
        (RuleId::EndpointConfigKms, kms),
        (RuleId::EndpointConfigProdInstanceCount, prod_instance_count(cx, e)),
        (RuleId::NotebookRequiredTags, required_tags(cx, Some(&e.tags))),
    ]
}

fn prod_instance_count(cx: &Context<'_>, e: &EndpointConfig) -> Verdict {
    let settings = &cx.rules.endpoint_config_prod_instance_count;
    let environment = e
        .tags
        .get(&cx.scope.environment_tag_key)
        .or(cx.scope.environment.as_deref());
    let is_prod = environment.is_some_and(|env| settings.environments.iter().any(|p| p == env));
    if !is_prod {
        return not_applicable("not a production endpoint configuration");
    }
    let counted: Vec<_> = e
        .variants
        .iter()
        .filter(|v| !v.serverless)
        .filter_map(|v| v.initial_instance_count.map(|count| (v, count)))
        .collect();
    if counted.is_empty() {
        return not_applicable("no instance-based production variant");
    }
    let short: Vec<String> = counted
        .iter()
        .filter(|(_, count)| *count < settings.minimum)
        .map(|(v, count)| format!("`{}` ({count})", v.name))
        .collect();
    if short.is_empty() {
        pass(format!(
            "every instance-based variant starts with at least {} instances",
            settings.minimum
        ))
    } else {
        fail(format!(
            "variant(s) {} start with fewer than {} instances",
            short.join(", "),
            settings.minimum
        ))
    }
}

/// An endpoint configuration's remedy: delete it when no endpoint uses it, else notify.
pub(super) fn steps(e: &EndpointConfig, owed: &[(RuleId, Remedy)]) -> Vec<Step> {
    removal_steps(
        Some(&e.tags),
        owed,
        Remedy::DeleteIfUnused,
        ActionKind::DeleteEndpointConfigIfUnused,
    )
}
