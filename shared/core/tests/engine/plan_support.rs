//! Builders and helpers for the planner tests; the constants, clock and tags are the
//! evaluation tests' (`support`).

pub(crate) use super::support::{compliant_endpoint_config, compliant_model, now, policy, REGION};

pub(crate) use std::collections::BTreeMap;

pub(crate) use sagefence_core::model::{
    AppNetworkAccess, Domain, EndpointConfig, Fact, Job, JobNetwork, JobStatus, Model, NotebookInstance,
    NotebookStatus, Resource, Tags, Toggle,
};
pub(crate) use sagefence_core::plan::{REMEDY_TAG, RESTART_TAG, VIOLATION_TAG};
pub(crate) use sagefence_core::{evaluate, plan, Action, ActionKind, Facts, Mode, Policy};

pub(crate) const DIRECT: &str = "notebook-direct-internet-disabled";
pub(crate) const ROOT: &str = "notebook-root-access-disabled";
pub(crate) const TAGS_RULE: &str = "notebook-required-tags";

/// The evaluation tests' compliant notebook, in `status`.
pub(crate) fn compliant_notebook(status: Option<NotebookStatus>) -> NotebookInstance {
    NotebookInstance {
        status,
        ..super::support::compliant_notebook()
    }
}

/// A notebook in `status` whose only fault is DirectInternetAccess `Enabled`.
pub(crate) fn internet_notebook(status: Option<NotebookStatus>) -> NotebookInstance {
    NotebookInstance {
        direct_internet_access: Fact::Known(Toggle::Enabled),
        ..compliant_notebook(status)
    }
}

/// A notebook in `status` whose only fault is RootAccess `Enabled`.
pub(crate) fn root_notebook(status: Option<NotebookStatus>) -> NotebookInstance {
    NotebookInstance {
        root_access: Fact::Known(Toggle::Enabled),
        ..compliant_notebook(status)
    }
}

/// `notebook` carrying, besides its own tags, these sagefence tags.
pub(crate) fn with_tags(mut notebook: NotebookInstance, extra: &[(&str, &str)]) -> NotebookInstance {
    if let Fact::Known(tags) = &mut notebook.tags {
        for (k, v) in extra {
            tags.0.insert((*k).to_owned(), (*v).to_owned());
        }
    }
    notebook
}

/// The evaluation tests' compliant training job, in `status`.
pub(crate) fn compliant_training_job(status: Option<JobStatus>) -> Job {
    Job {
        name: "alpha-train".to_owned(),
        status,
        ..super::support::compliant_training_job()
    }
}

/// A training job in `status` whose only fault is a volume without a KMS key.
pub(crate) fn unencrypted_job(status: Option<JobStatus>) -> Job {
    let mut job = compliant_training_job(status);
    for spec in &mut job.specs {
        spec.volume_kms_key_id = None;
    }
    job
}

/// The evaluation tests' compliant domain, its VPC unknown to the planner.
pub(crate) fn compliant_domain() -> Domain {
    Domain {
        vpc_id: None,
        ..super::support::compliant_domain()
    }
}

/// Evaluates `resource` offline under `policy` and plans from the findings.
pub(crate) fn plan_with(policy: &Policy, resource: &Resource) -> Vec<Action> {
    let findings = evaluate(policy, resource, Some(REGION), &Facts::default(), now());
    plan(policy, resource, &findings)
}

pub(crate) fn plan_builtin(resource: &Resource) -> Vec<Action> {
    plan_with(&Policy::builtin(), resource)
}

pub(crate) fn nb(notebook: NotebookInstance) -> Resource {
    Resource::NotebookInstance(notebook)
}

pub(crate) fn kinds(actions: &[Action]) -> Vec<ActionKind> {
    actions.iter().map(|a| a.action.clone()).collect()
}

pub(crate) fn tag(pairs: &[(&str, &str)]) -> ActionKind {
    ActionKind::Tag {
        tags: pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
    }
}

pub(crate) fn untag(keys: &[&str]) -> ActionKind {
    ActionKind::Untag {
        keys: keys.iter().map(|k| (*k).to_owned()).collect(),
    }
}

pub(crate) fn rule_ids(action: Option<&Action>) -> Vec<&'static str> {
    action
        .map(|a| a.rules.iter().map(|r| r.as_str()).collect())
        .unwrap_or_default()
}

pub(crate) fn find(actions: &[Action], pick: impl Fn(&ActionKind) -> bool) -> Option<&Action> {
    actions.iter().find(|a| pick(&a.action))
}

/// What the notebook's tags would be after applying every Tag and Untag action, in order.
pub(crate) fn apply_tags(mut notebook: NotebookInstance, actions: &[Action]) -> NotebookInstance {
    let mut tags: BTreeMap<String, String> = notebook.tags.known().map(|t| t.0.clone()).unwrap_or_default();
    for action in actions {
        match &action.action {
            ActionKind::Tag { tags: set } => tags.extend(set.clone()),
            ActionKind::Untag { keys } => keys.iter().for_each(|k| {
                tags.remove(k);
            }),
            _ => {}
        }
    }
    notebook.tags = Fact::Known(Tags(tags));
    notebook
}
