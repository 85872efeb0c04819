//! Builders and helpers for the planner tests; the constants, clock and tags are the
//! evaluation tests' (`support`).

pub(crate) use super::support::{now, policy, project_tags, KEY, REGION, SUBNET};

pub(crate) use std::collections::BTreeMap;

pub(crate) use sagefence_core::model::{
    AppNetworkAccess, Domain, EndpointConfig, Fact, Job, JobKind, JobNetwork, JobSpec, JobStatus, Model,
    NotebookInstance, NotebookStatus, ProductionVariant, Resource, Tags, Toggle, VpcPlacement,
};
pub(crate) use sagefence_core::plan::{REMEDY_TAG, RESTART_TAG, VIOLATION_TAG};
pub(crate) use sagefence_core::{evaluate, plan, Action, ActionKind, Facts, Mode, Policy};

pub(crate) const DIRECT: &str = "notebook-direct-internet-disabled";
pub(crate) const ROOT: &str = "notebook-root-access-disabled";
pub(crate) const TAGS_RULE: &str = "notebook-required-tags";

pub(crate) fn placement() -> VpcPlacement {
    VpcPlacement {
        subnets: vec![SUBNET.to_owned()],
        security_group_ids: vec!["sg-0123456789abcdef0".to_owned()],
    }
}

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

pub(crate) fn compliant_training_job(status: Option<JobStatus>) -> Job {
    Job {
        kind: JobKind::Training,
        name: "alpha-train".to_owned(),
        arn: None,
        status,
        specs: vec![JobSpec {
            network: Some(JobNetwork {
                vpc: Some(placement()),
                network_isolation: true,
                inter_container_encryption: true,
            }),
            volume_kms_key_id: Some(KEY.to_owned()),
            output_kms_key_id: Some(Some(KEY.to_owned())),
        }],
        tags: project_tags(),
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

pub(crate) fn compliant_model() -> Model {
    Model {
        name: "alpha-model".to_owned(),
        arn: None,
        vpc: Some(placement()),
        network_isolation: true,
        tags: project_tags(),
    }
}

pub(crate) fn compliant_endpoint_config() -> EndpointConfig {
    EndpointConfig {
        name: "alpha-endpoint-config".to_owned(),
        arn: None,
        kms_key_id: Some(KEY.to_owned()),
        variants: vec![ProductionVariant {
            name: "primary".to_owned(),
            initial_instance_count: Some(2),
            serverless: false,
        }],
        tags: project_tags(),
    }
}

pub(crate) fn compliant_domain() -> Domain {
    Domain {
        name: "alpha-studio".to_owned(),
        arn: None,
        app_network_access: AppNetworkAccess::VpcOnly,
        kms_key_id: Some(KEY.to_owned()),
        vpc_id: None,
        subnet_ids: vec![SUBNET.to_owned()],
        tags: project_tags(),
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
