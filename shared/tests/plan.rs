//! The planner: findings and the resource's current state in, remediation actions out.
//!
//! A notebook's remedy is a state machine kept on its own tags (`VIOLATION_TAG`, `REMEDY_TAG`,
//! `RESTART_TAG`): tag it, stop it while it runs, then delete it or fix it once stopped, start it
//! again if it ran before, and clear the tags. Each test builds a resource from the model structs,
//! evaluates it offline under a policy and plans from those findings, as `assess` does.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sagefence::model::{
    AppNetworkAccess, Domain, EndpointConfig, Fact, Job, JobKind, JobNetwork, JobSpec, JobStatus, Model,
    NotebookInstance, NotebookStatus, ProductionVariant, Resource, Tags, Toggle, VpcPlacement,
};
use sagefence::plan::{REMEDY_TAG, RESTART_TAG, VIOLATION_TAG};
use sagefence::{evaluate, plan, Action, ActionKind, Facts, Mode, Policy, PolicyError};

const REGION: &str = "eu-west-1";
const SUBNET: &str = "subnet-0a1b2c3d4e5f60718";
const KEY: &str = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

const DIRECT: &str = "notebook-direct-internet-disabled";
const ROOT: &str = "notebook-root-access-disabled";
const TAGS_RULE: &str = "notebook-required-tags";

// ---------------------------------------------------------------------------------------------
// Builders and helpers (infallible: the workspace denies unwrap/panic outside `#[test]` fns)
// ---------------------------------------------------------------------------------------------

fn now() -> DateTime<Utc> {
    "2026-03-01T12:00:00Z".parse().unwrap_or_default()
}

fn policy(body: &str) -> Result<Policy, PolicyError> {
    Policy::from_yaml(&format!("version: 1\n{body}"))
}

fn project_tags() -> Tags {
    Tags::from_iter([("sagefence:project", "alpha"), ("sagefence:owner", "alice")])
}

fn placement() -> VpcPlacement {
    VpcPlacement {
        subnets: vec![SUBNET.to_owned()],
        security_group_ids: vec!["sg-0123456789abcdef0".to_owned()],
    }
}

fn compliant_notebook(status: Option<NotebookStatus>) -> NotebookInstance {
    NotebookInstance {
        name: "alpha-alice".to_owned(),
        arn: Some("arn:aws:sagemaker:eu-west-1:111122223333:notebook-instance/alpha-alice".to_owned()),
        status,
        instance_type: Fact::Known("ml.t3.medium".to_owned()),
        direct_internet_access: Fact::Known(Toggle::Disabled),
        root_access: Fact::Known(Toggle::Disabled),
        subnet_id: Fact::Known(Some(SUBNET.to_owned())),
        security_group_ids: Fact::Known(vec!["sg-0123456789abcdef0".to_owned()]),
        kms_key_id: Fact::Known(Some(KEY.to_owned())),
        role_arn: Fact::Known("arn:aws:iam::111122223333:role/alpha-notebook".to_owned()),
        tags: Fact::Known(project_tags()),
    }
}

/// A notebook in `status` whose only fault is DirectInternetAccess `Enabled`.
fn internet_notebook(status: Option<NotebookStatus>) -> NotebookInstance {
    NotebookInstance {
        direct_internet_access: Fact::Known(Toggle::Enabled),
        ..compliant_notebook(status)
    }
}

/// A notebook in `status` whose only fault is RootAccess `Enabled`.
fn root_notebook(status: Option<NotebookStatus>) -> NotebookInstance {
    NotebookInstance {
        root_access: Fact::Known(Toggle::Enabled),
        ..compliant_notebook(status)
    }
}

/// `notebook` carrying, besides its own tags, these sagefence tags.
fn with_tags(mut notebook: NotebookInstance, extra: &[(&str, &str)]) -> NotebookInstance {
    if let Fact::Known(tags) = &mut notebook.tags {
        for (k, v) in extra {
            tags.0.insert((*k).to_owned(), (*v).to_owned());
        }
    }
    notebook
}

fn compliant_training_job(status: Option<JobStatus>) -> Job {
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
fn unencrypted_job(status: Option<JobStatus>) -> Job {
    let mut job = compliant_training_job(status);
    for spec in &mut job.specs {
        spec.volume_kms_key_id = None;
    }
    job
}

fn compliant_model() -> Model {
    Model {
        name: "alpha-model".to_owned(),
        arn: None,
        vpc: Some(placement()),
        network_isolation: true,
        tags: project_tags(),
    }
}

fn compliant_endpoint_config() -> EndpointConfig {
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

fn compliant_domain() -> Domain {
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
fn plan_with(policy: &Policy, resource: &Resource) -> Vec<Action> {
    let findings = evaluate(policy, resource, Some(REGION), &Facts::default(), now());
    plan(policy, resource, &findings)
}

fn plan_builtin(resource: &Resource) -> Vec<Action> {
    plan_with(&Policy::builtin(), resource)
}

fn nb(notebook: NotebookInstance) -> Resource {
    Resource::NotebookInstance(notebook)
}

fn kinds(actions: &[Action]) -> Vec<ActionKind> {
    actions.iter().map(|a| a.action.clone()).collect()
}

fn tag(pairs: &[(&str, &str)]) -> ActionKind {
    ActionKind::Tag {
        tags: pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
    }
}

fn untag(keys: &[&str]) -> ActionKind {
    ActionKind::Untag {
        keys: keys.iter().map(|k| (*k).to_owned()).collect(),
    }
}

fn rule_ids(action: Option<&Action>) -> Vec<&'static str> {
    action
        .map(|a| a.rules.iter().map(|r| r.as_str()).collect())
        .unwrap_or_default()
}

fn find(actions: &[Action], pick: impl Fn(&ActionKind) -> bool) -> Option<&Action> {
    actions.iter().find(|a| pick(&a.action))
}

/// What the notebook's tags would be after applying every Tag and Untag action, in order.
fn apply_tags(mut notebook: NotebookInstance, actions: &[Action]) -> NotebookInstance {
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

// ---------------------------------------------------------------------------------------------
// Notebook state machine
// ---------------------------------------------------------------------------------------------

#[test]
fn pending_non_compliant_notebook_is_only_tagged_with_violation_and_remedy() {
    let actions = plan_builtin(&nb(internet_notebook(Some(NotebookStatus::Pending))));
    assert_eq!(kinds(&actions), [tag(&[(REMEDY_TAG, "stop"), (VIOLATION_TAG, DIRECT)])]);
    assert_eq!(rule_ids(actions.first()), [DIRECT]);
}

#[test]
fn non_compliant_notebook_of_unknown_status_is_only_tagged() {
    let actions = plan_builtin(&nb(internet_notebook(None)));
    assert_eq!(kinds(&actions), [tag(&[(REMEDY_TAG, "stop"), (VIOLATION_TAG, DIRECT)])]);
}

#[test]
fn in_service_notebook_with_direct_internet_is_tagged_then_stopped_without_a_restart_tag() {
    let actions = plan_builtin(&nb(internet_notebook(Some(NotebookStatus::InService))));
    assert_eq!(
        kinds(&actions),
        [
            tag(&[(REMEDY_TAG, "stop"), (VIOLATION_TAG, DIRECT)]),
            ActionKind::StopNotebookInstance
        ]
    );
    assert!(actions.iter().all(|a| a.mode == Mode::Enforce));
}

#[test]
fn in_service_notebook_with_root_access_is_tagged_for_a_fix_and_restart_then_stopped() {
    let actions = plan_builtin(&nb(root_notebook(Some(NotebookStatus::InService))));
    assert_eq!(
        kinds(&actions),
        [
            tag(&[
                (REMEDY_TAG, "fix-root-access"),
                (RESTART_TAG, "true"),
                (VIOLATION_TAG, ROOT)
            ]),
            ActionKind::StopNotebookInstance
        ]
    );
    assert_eq!(rule_ids(actions.get(1)), [ROOT]);
}

#[test]
fn stopping_notebook_is_only_tagged() {
    let actions = plan_builtin(&nb(internet_notebook(Some(NotebookStatus::Stopping))));
    assert_eq!(kinds(&actions), [tag(&[(REMEDY_TAG, "stop"), (VIOLATION_TAG, DIRECT)])]);
}

#[test]
fn stopping_notebook_that_already_carries_its_tags_plans_nothing() {
    let notebook = with_tags(
        internet_notebook(Some(NotebookStatus::Stopping)),
        &[(VIOLATION_TAG, DIRECT), (REMEDY_TAG, "stop")],
    );
    assert_eq!(plan_builtin(&nb(notebook)), []);
}

#[test]
fn in_service_notebook_that_already_carries_its_tags_is_only_stopped() {
    let notebook = with_tags(
        internet_notebook(Some(NotebookStatus::InService)),
        &[(VIOLATION_TAG, DIRECT), (REMEDY_TAG, "stop")],
    );
    assert_eq!(kinds(&plan_builtin(&nb(notebook))), [ActionKind::StopNotebookInstance]);
}

#[test]
fn stale_tag_values_are_overwritten_with_only_the_changed_keys() {
    let notebook = with_tags(
        internet_notebook(Some(NotebookStatus::Stopping)),
        &[(VIOLATION_TAG, ROOT), (REMEDY_TAG, "stop")],
    );
    assert_eq!(kinds(&plan_builtin(&nb(notebook))), [tag(&[(VIOLATION_TAG, DIRECT)])]);
}

#[test]
fn stopped_notebook_with_delete_remedy_is_deleted() {
    let policy = policy("rules:\n  notebook-direct-internet-disabled: {remedy: delete}\n").unwrap();
    let notebook = with_tags(
        internet_notebook(Some(NotebookStatus::Stopped)),
        &[(VIOLATION_TAG, DIRECT), (REMEDY_TAG, "delete")],
    );
    let actions = plan_with(&policy, &nb(notebook));
    assert_eq!(kinds(&actions), [ActionKind::DeleteNotebookInstance]);
    assert_eq!(rule_ids(actions.first()), [DIRECT]);
}

#[test]
fn in_service_notebook_with_delete_remedy_is_stopped_first_not_deleted() {
    let policy = policy("rules:\n  notebook-direct-internet-disabled: {remedy: delete}\n").unwrap();
    let actions = plan_with(&policy, &nb(internet_notebook(Some(NotebookStatus::InService))));
    assert_eq!(
        kinds(&actions),
        [
            tag(&[(REMEDY_TAG, "delete"), (VIOLATION_TAG, DIRECT)]),
            ActionKind::StopNotebookInstance
        ]
    );
}

#[test]
fn stopped_notebook_with_stop_remedy_plans_nothing_but_its_tags() {
    let untagged = plan_builtin(&nb(internet_notebook(Some(NotebookStatus::Stopped))));
    assert_eq!(
        kinds(&untagged),
        [tag(&[(REMEDY_TAG, "stop"), (VIOLATION_TAG, DIRECT)])]
    );
    let tagged = with_tags(
        internet_notebook(Some(NotebookStatus::Stopped)),
        &[(VIOLATION_TAG, DIRECT), (REMEDY_TAG, "stop")],
    );
    assert_eq!(plan_builtin(&nb(tagged)), []);
}

#[test]
fn stopped_notebook_owed_a_root_fix_is_updated_restarted_and_untagged_when_it_was_running() {
    let notebook = with_tags(
        root_notebook(Some(NotebookStatus::Stopped)),
        &[
            (VIOLATION_TAG, ROOT),
            (REMEDY_TAG, "fix-root-access"),
            (RESTART_TAG, "true"),
        ],
    );
    let actions = plan_builtin(&nb(notebook));
    assert_eq!(
        kinds(&actions),
        [
            ActionKind::UpdateNotebookInstance {
                root_access: Toggle::Disabled
            },
            ActionKind::StartNotebookInstance,
            untag(&[VIOLATION_TAG, REMEDY_TAG, RESTART_TAG]),
        ]
    );
}

#[test]
fn stopped_notebook_owed_a_root_fix_is_not_started_when_it_was_not_running() {
    let notebook = with_tags(
        root_notebook(Some(NotebookStatus::Stopped)),
        &[(VIOLATION_TAG, ROOT), (REMEDY_TAG, "fix-root-access")],
    );
    let actions = plan_builtin(&nb(notebook));
    assert_eq!(
        kinds(&actions),
        [
            ActionKind::UpdateNotebookInstance {
                root_access: Toggle::Disabled
            },
            untag(&[VIOLATION_TAG, REMEDY_TAG]),
        ]
    );
}

#[test]
fn compliant_stopped_notebook_with_restart_tag_is_started_and_untagged() {
    let notebook = with_tags(
        compliant_notebook(Some(NotebookStatus::Stopped)),
        &[
            (VIOLATION_TAG, ROOT),
            (REMEDY_TAG, "fix-root-access"),
            (RESTART_TAG, "true"),
        ],
    );
    assert_eq!(
        kinds(&plan_builtin(&nb(notebook))),
        [
            ActionKind::StartNotebookInstance,
            untag(&[VIOLATION_TAG, REMEDY_TAG, RESTART_TAG])
        ]
    );
}

#[test]
fn compliant_running_notebook_that_still_carries_sagefence_tags_is_only_untagged_not_started() {
    let notebook = with_tags(
        compliant_notebook(Some(NotebookStatus::InService)),
        &[
            (VIOLATION_TAG, ROOT),
            (REMEDY_TAG, "fix-root-access"),
            (RESTART_TAG, "true"),
        ],
    );
    assert_eq!(
        kinds(&plan_builtin(&nb(notebook))),
        [untag(&[VIOLATION_TAG, REMEDY_TAG, RESTART_TAG])]
    );
}

#[test]
fn compliant_notebook_carrying_only_a_stale_remedy_tag_is_untagged() {
    let notebook = with_tags(
        compliant_notebook(Some(NotebookStatus::InService)),
        &[(REMEDY_TAG, "stop")],
    );
    assert_eq!(kinds(&plan_builtin(&nb(notebook))), [untag(&[REMEDY_TAG])]);
}

#[test]
fn compliant_notebook_without_sagefence_tags_plans_nothing() {
    for status in [None, Some(NotebookStatus::InService), Some(NotebookStatus::Stopped)] {
        assert_eq!(plan_builtin(&nb(compliant_notebook(status))), [], "{status:?}");
    }
}

#[test]
fn replaying_the_same_input_plans_the_same_actions() {
    let notebook = nb(root_notebook(Some(NotebookStatus::InService)));
    let first = plan_builtin(&notebook);
    let second = plan_builtin(&notebook);
    assert!(!first.is_empty());
    assert_eq!(first, second);
}

#[test]
fn a_root_access_fix_converges_through_the_notebooks_lifecycle() {
    // Running: tag and stop.
    let running = root_notebook(Some(NotebookStatus::InService));
    let first = plan_builtin(&nb(running.clone()));
    assert!(find(&first, |k| *k == ActionKind::StopNotebookInstance).is_some());
    let tagged = apply_tags(running, &first);
    // Stopping, possibly announced twice: nothing more to do.
    let stopping = NotebookInstance {
        status: Some(NotebookStatus::Stopping),
        ..tagged.clone()
    };
    assert_eq!(plan_builtin(&nb(stopping.clone())), []);
    assert_eq!(plan_builtin(&nb(stopping)), []);
    // Stopped: fix, start again, clear the bookkeeping.
    let stopped = NotebookInstance {
        status: Some(NotebookStatus::Stopped),
        ..tagged
    };
    let fix = plan_builtin(&nb(stopped.clone()));
    assert_eq!(
        kinds(&fix),
        [
            ActionKind::UpdateNotebookInstance {
                root_access: Toggle::Disabled
            },
            ActionKind::StartNotebookInstance,
            untag(&[VIOLATION_TAG, REMEDY_TAG, RESTART_TAG]),
        ]
    );
    // Fixed and running again: nothing left.
    let fixed = NotebookInstance {
        status: Some(NotebookStatus::InService),
        root_access: Fact::Known(Toggle::Disabled),
        ..apply_tags(stopped, &fix)
    };
    assert_eq!(plan_builtin(&nb(fixed)), []);
}

#[test]
fn a_stopped_notebook_whose_event_does_not_tell_root_access_is_fixed_as_its_tags_record() {
    // Given a state-change event (no RootAccess in it) for a notebook whose tags say it owes the
    // root-access fix and ran before: the tags are the state, so the owed rule is carried over.
    let notebook = with_tags(
        NotebookInstance {
            root_access: Fact::Unknown,
            ..compliant_notebook(Some(NotebookStatus::Stopped))
        },
        &[
            (VIOLATION_TAG, ROOT),
            (REMEDY_TAG, "fix-root-access"),
            (RESTART_TAG, "true"),
        ],
    );
    // When planned, then the fix happens in place, the notebook starts again, and only then
    // are the bookkeeping tags dropped.
    let actions = plan_builtin(&nb(notebook));
    let kinds: Vec<&ActionKind> = actions.iter().map(|a| &a.action).collect();
    assert_eq!(
        kinds,
        vec![
            &ActionKind::UpdateNotebookInstance {
                root_access: Toggle::Disabled
            },
            &ActionKind::StartNotebookInstance,
            &ActionKind::Untag {
                keys: vec![VIOLATION_TAG.to_owned(), REMEDY_TAG.to_owned(), RESTART_TAG.to_owned()]
            },
        ]
    );
}

#[test]
fn a_stopping_notebook_whose_event_does_not_tell_root_access_keeps_its_tags() {
    // Given the Stopping state-change event of a notebook being stopped for the root fix.
    let notebook = with_tags(
        NotebookInstance {
            root_access: Fact::Unknown,
            ..compliant_notebook(Some(NotebookStatus::Stopping))
        },
        &[
            (VIOLATION_TAG, ROOT),
            (REMEDY_TAG, "fix-root-access"),
            (RESTART_TAG, "true"),
        ],
    );
    // Then nothing is planned: neither a start nor dropping the state it needs when Stopped.
    assert_eq!(plan_builtin(&nb(notebook)), vec![]);
}

#[test]
fn the_strongest_remedy_wins_when_several_rules_fail() {
    let policy = policy("rules:\n  notebook-direct-internet-disabled: {remedy: delete}\n").unwrap();
    let notebook = NotebookInstance {
        direct_internet_access: Fact::Known(Toggle::Enabled),
        root_access: Fact::Known(Toggle::Enabled),
        kms_key_id: Fact::Known(None),
        ..compliant_notebook(Some(NotebookStatus::InService))
    };
    let running = plan_with(&policy, &nb(notebook.clone()));
    let all = format!("{DIRECT} {ROOT} notebook-kms-encrypted");
    assert_eq!(
        kinds(&running),
        [
            tag(&[(REMEDY_TAG, "delete"), (VIOLATION_TAG, all.as_str())]),
            ActionKind::StopNotebookInstance
        ]
    );
    let stopped = NotebookInstance {
        status: Some(NotebookStatus::Stopped),
        ..apply_tags(notebook, &running)
    };
    assert_eq!(
        kinds(&plan_with(&policy, &nb(stopped))),
        [ActionKind::DeleteNotebookInstance]
    );
}

#[test]
fn stop_beats_a_root_fix_so_no_restart_is_recorded() {
    let notebook = NotebookInstance {
        direct_internet_access: Fact::Known(Toggle::Enabled),
        ..root_notebook(Some(NotebookStatus::InService))
    };
    let actions = plan_builtin(&nb(notebook));
    let both = format!("{DIRECT} {ROOT}");
    assert_eq!(
        kinds(&actions),
        [
            tag(&[(REMEDY_TAG, "stop"), (VIOLATION_TAG, both.as_str())]),
            ActionKind::StopNotebookInstance
        ]
    );
}

#[test]
fn notebook_missing_only_a_tag_is_tagged_and_notified_but_not_stopped() {
    let notebook = NotebookInstance {
        tags: Fact::Known(Tags::from_iter([("sagefence:project", "alpha")])),
        ..compliant_notebook(Some(NotebookStatus::InService))
    };
    let actions = plan_builtin(&nb(notebook));
    assert_eq!(
        kinds(&actions),
        [tag(&[(VIOLATION_TAG, TAGS_RULE)]), ActionKind::Notify]
    );
    assert_eq!(rule_ids(actions.get(1)), [TAGS_RULE]);
}

#[test]
fn notebook_missing_a_tag_that_already_carries_its_violation_tag_plans_nothing_not_even_a_notification() {
    let notebook = with_tags(
        NotebookInstance {
            tags: Fact::Known(Tags::from_iter([("sagefence:project", "alpha")])),
            ..compliant_notebook(Some(NotebookStatus::InService))
        },
        &[(VIOLATION_TAG, TAGS_RULE)],
    );
    assert_eq!(kinds(&plan_builtin(&nb(notebook))), []);
}

#[test]
fn a_replayed_event_on_a_job_already_marked_notifies_no_one_again() {
    let mut job = compliant_training_job(Some(JobStatus::InProgress));
    job.tags = Tags::from_iter([("sagefence:project", "alpha")]);
    let first = plan_builtin(&Resource::Job(job.clone()));
    assert_eq!(kinds(&first), [tag(&[(VIOLATION_TAG, TAGS_RULE)]), ActionKind::Notify]);
    job.tags.0.insert(VIOLATION_TAG.to_owned(), TAGS_RULE.to_owned());
    assert_eq!(kinds(&plan_builtin(&Resource::Job(job))), []);
}

#[test]
fn a_tag_violation_the_violation_tag_does_not_record_yet_is_notified() {
    // marked for direct internet access earlier; the owner tag has gone missing since
    let notebook = with_tags(internet_notebook_missing_owner_tag(), &[(VIOLATION_TAG, DIRECT)]);
    let actions = plan_builtin(&nb(notebook));
    let notified = find(&actions, |k| *k == ActionKind::Notify);
    assert_eq!(rule_ids(notified), [TAGS_RULE], "{actions:#?}");
}

#[test]
fn notify_remedies_are_told_at_every_evaluation_as_they_leave_no_mark() {
    let policy = policy("rules:\n  notebook-required-tags: {remedy: notify}\n").unwrap();
    let notebook = with_tags(
        NotebookInstance {
            tags: Fact::Known(Tags::from_iter([("sagefence:project", "alpha")])),
            ..compliant_notebook(Some(NotebookStatus::InService))
        },
        &[(VIOLATION_TAG, TAGS_RULE)],
    );
    let actions = plan_with(&policy, &nb(notebook));
    assert_eq!(
        rule_ids(find(&actions, |k| *k == ActionKind::Notify)),
        [TAGS_RULE],
        "{actions:#?}"
    );
}

/// A notebook that breaks a blocking rule and also misses the owner tag.
fn internet_notebook_missing_owner_tag() -> NotebookInstance {
    NotebookInstance {
        direct_internet_access: Fact::Known(Toggle::Enabled),
        tags: Fact::Known(Tags::from_iter([("sagefence:project", "alpha")])),
        ..compliant_notebook(Some(NotebookStatus::Stopping))
    }
}

#[test]
fn notebook_breaking_a_blocking_rule_and_missing_a_tag_gets_one_violation_tag_naming_both() {
    let actions = plan_builtin(&nb(internet_notebook_missing_owner_tag()));
    let violation_values: Vec<&String> = actions
        .iter()
        .filter_map(|a| match &a.action {
            ActionKind::Tag { tags } => tags.get(VIOLATION_TAG),
            _ => None,
        })
        .collect();
    assert_eq!(
        violation_values.len(),
        1,
        "conflicting violation tags: {violation_values:?}"
    );
    let value = violation_values.first().map(|v| v.as_str()).unwrap_or_default();
    assert!(value.contains(DIRECT) && value.contains(TAGS_RULE), "{value}");
    assert!(find(&actions, |k| *k == ActionKind::Notify).is_some());
}

#[test]
fn notebook_breaking_a_blocking_rule_and_missing_a_tag_plans_no_tag_once_its_tags_are_applied() {
    let notebook = internet_notebook_missing_owner_tag();
    let first = plan_builtin(&nb(notebook.clone()));
    let replay = plan_builtin(&nb(apply_tags(notebook, &first)));
    assert_eq!(
        find(&replay, |k| matches!(k, ActionKind::Tag { .. })),
        None,
        "{replay:#?}"
    );
}

#[test]
fn missing_tags_with_remedy_notify_only_notify() {
    let policy = policy("rules:\n  notebook-required-tags: {remedy: notify}\n").unwrap();
    let notebook = NotebookInstance {
        tags: Fact::Known(Tags::default()),
        ..compliant_notebook(Some(NotebookStatus::InService))
    };
    assert_eq!(kinds(&plan_with(&policy, &nb(notebook))), [ActionKind::Notify]);
}

// ---------------------------------------------------------------------------------------------
// Jobs, models, endpoint configurations, domains
// ---------------------------------------------------------------------------------------------

#[test]
fn in_progress_job_breaking_a_rule_is_stopped() {
    let actions = plan_builtin(&Resource::Job(unencrypted_job(Some(JobStatus::InProgress))));
    assert_eq!(kinds(&actions), [ActionKind::StopJob]);
    assert_eq!(rule_ids(actions.first()), ["job-volume-kms"]);
}

#[test]
fn job_of_unknown_status_breaking_a_rule_is_stopped() {
    let actions = plan_builtin(&Resource::Job(unencrypted_job(None)));
    assert_eq!(kinds(&actions), [ActionKind::StopJob]);
}

#[test]
fn completed_or_stopping_job_is_not_stopped() {
    for status in [JobStatus::Completed, JobStatus::Stopping, JobStatus::Failed] {
        let actions = plan_builtin(&Resource::Job(unencrypted_job(Some(status))));
        assert_eq!(actions, [], "{status:?}");
    }
}

#[test]
fn job_breaking_several_rules_is_stopped_once_naming_them_all() {
    let mut job = unencrypted_job(Some(JobStatus::InProgress));
    for spec in &mut job.specs {
        spec.output_kms_key_id = Some(None);
        spec.network = Some(JobNetwork::default());
    }
    let actions = plan_builtin(&Resource::Job(job));
    assert_eq!(kinds(&actions), [ActionKind::StopJob]);
    assert_eq!(
        rule_ids(actions.first()),
        [
            "job-in-project-vpc",
            "job-network-isolation",
            "job-inter-container-encryption",
            "job-volume-kms",
            "job-output-kms"
        ]
    );
}

#[test]
fn job_missing_only_a_tag_is_tagged_and_notified_not_stopped() {
    let mut job = compliant_training_job(Some(JobStatus::InProgress));
    job.tags = Tags::from_iter([("sagefence:project", "alpha")]);
    let actions = plan_builtin(&Resource::Job(job));
    assert_eq!(
        kinds(&actions),
        [tag(&[(VIOLATION_TAG, TAGS_RULE)]), ActionKind::Notify]
    );
}

#[test]
fn model_breaking_a_rule_is_deleted_without_tagging_even_when_tags_are_missing() {
    let model = Model {
        network_isolation: false,
        tags: Tags::default(),
        ..compliant_model()
    };
    let actions = plan_builtin(&Resource::Model(model));
    assert_eq!(kinds(&actions), [ActionKind::DeleteModel]);
    assert_eq!(rule_ids(actions.first()), ["model-network-isolation"]);
}

#[test]
fn model_breaking_both_rules_is_deleted_once() {
    let model = Model {
        vpc: None,
        network_isolation: false,
        ..compliant_model()
    };
    let actions = plan_builtin(&Resource::Model(model));
    assert_eq!(kinds(&actions), [ActionKind::DeleteModel]);
    assert_eq!(
        rule_ids(actions.first()),
        ["model-in-project-vpc", "model-network-isolation"]
    );
}

#[test]
fn endpoint_config_without_kms_is_deleted_if_unused() {
    let config = EndpointConfig {
        kms_key_id: None,
        ..compliant_endpoint_config()
    };
    let actions = plan_builtin(&Resource::EndpointConfig(config));
    assert_eq!(kinds(&actions), [ActionKind::DeleteEndpointConfigIfUnused]);
    assert_eq!(rule_ids(actions.first()), ["endpoint-config-kms"]);
}

#[test]
fn endpoint_config_without_kms_under_remedy_notify_is_only_notified() {
    let policy = policy("rules:\n  endpoint-config-kms: {remedy: notify}\n").unwrap();
    let config = EndpointConfig {
        kms_key_id: None,
        ..compliant_endpoint_config()
    };
    let actions = plan_with(&policy, &Resource::EndpointConfig(config));
    assert_eq!(kinds(&actions), [ActionKind::Notify]);
    assert_eq!(rule_ids(actions.first()), ["endpoint-config-kms"]);
}

#[test]
fn prod_endpoint_config_with_too_few_instances_is_notified() {
    let policy = policy("scope: {environment: prod}\n").unwrap();
    let mut config = compliant_endpoint_config();
    for variant in &mut config.variants {
        variant.initial_instance_count = Some(1);
    }
    let actions = plan_with(&policy, &Resource::EndpointConfig(config));
    assert_eq!(kinds(&actions), [ActionKind::Notify]);
    assert_eq!(rule_ids(actions.first()), ["endpoint-config-prod-instance-count"]);
}

#[test]
fn domain_breaking_both_rules_is_notified_once_naming_both() {
    let domain = Domain {
        app_network_access: AppNetworkAccess::PublicInternetOnly,
        kms_key_id: None,
        ..compliant_domain()
    };
    let actions = plan_builtin(&Resource::Domain(domain));
    assert_eq!(kinds(&actions), [ActionKind::Notify]);
    assert_eq!(rule_ids(actions.first()), ["domain-vpc-only", "domain-kms"]);
}

#[test]
fn compliant_resources_of_every_kind_plan_nothing() {
    let resources = [
        Resource::Job(compliant_training_job(Some(JobStatus::InProgress))),
        Resource::Model(compliant_model()),
        Resource::EndpointConfig(compliant_endpoint_config()),
        Resource::Domain(compliant_domain()),
    ];
    for resource in &resources {
        assert_eq!(plan_builtin(resource), [], "{resource:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Modes and exemptions
// ---------------------------------------------------------------------------------------------

#[test]
fn an_audit_mode_rule_plans_its_actions_in_audit_mode() {
    let policy = policy("rules:\n  notebook-direct-internet-disabled: {mode: audit}\n").unwrap();
    let actions = plan_with(&policy, &nb(internet_notebook(Some(NotebookStatus::InService))));
    assert_eq!(
        kinds(&actions),
        [
            tag(&[(REMEDY_TAG, "stop"), (VIOLATION_TAG, DIRECT)]),
            ActionKind::StopNotebookInstance
        ]
    );
    assert!(actions.iter().all(|a| a.mode == Mode::Audit), "{actions:#?}");
}

#[test]
fn a_policy_wide_audit_mode_turns_every_action_into_audit() {
    let policy = policy("mode: audit\n").unwrap();
    let actions = plan_with(&policy, &Resource::Job(unencrypted_job(None)));
    assert_eq!(kinds(&actions), [ActionKind::StopJob]);
    assert_eq!(actions.first().map(|a| a.mode), Some(Mode::Audit));
}

#[test]
fn enforce_and_audit_mixed_plan_the_enforce_actions_plus_only_the_extra_audit_ones() {
    let policy = policy("rules:\n  job-output-kms: {mode: audit}\n  notebook-required-tags: {mode: audit}\n").unwrap();
    let mut job = unencrypted_job(Some(JobStatus::InProgress));
    job.tags = Tags::default();
    for spec in &mut job.specs {
        spec.output_kms_key_id = Some(None);
    }
    let actions = plan_with(&policy, &Resource::Job(job));
    let summary: Vec<(ActionKind, Mode)> = actions.iter().map(|a| (a.action.clone(), a.mode)).collect();
    assert_eq!(
        summary,
        [
            (ActionKind::StopJob, Mode::Enforce),
            (tag(&[(VIOLATION_TAG, TAGS_RULE)]), Mode::Audit),
            (ActionKind::Notify, Mode::Audit),
        ]
    );
    // The enforced stop names only the enforced rule; the audit rule adds no second stop.
    assert_eq!(rule_ids(actions.first()), ["job-volume-kms"]);
}

#[test]
fn exempt_findings_plan_nothing() {
    let policy = policy(
        "exemptions:\n  - resource: alpha-alice\n    rules: [notebook-direct-internet-disabled]\n    reason: migration window\n    expires: 2026-06-30\n",
    )
    .unwrap();
    let actions = plan_with(&policy, &nb(internet_notebook(Some(NotebookStatus::InService))));
    assert_eq!(actions, []);
}

#[test]
fn rules_turned_off_plan_nothing() {
    let policy = policy("rules:\n  model-network-isolation: {mode: 'off'}\n").unwrap();
    let model = Model {
        network_isolation: false,
        ..compliant_model()
    };
    assert_eq!(plan_with(&policy, &Resource::Model(model)), []);
}

// ---------------------------------------------------------------------------------------------
// Action JSON
// ---------------------------------------------------------------------------------------------

#[test]
fn an_action_serializes_with_a_typed_action_the_resource_rules_mode_and_reason() {
    let actions = plan_builtin(&nb(internet_notebook(Some(NotebookStatus::InService))));
    let stop = find(&actions, |k| *k == ActionKind::StopNotebookInstance).unwrap();
    let value = serde_json::to_value(stop).unwrap();
    assert_eq!(value["action"], serde_json::json!({"type": "stop-notebook-instance"}));
    assert_eq!(value["resource"]["kind"], "notebook-instance");
    assert_eq!(value["resource"]["name"], "alpha-alice");
    assert_eq!(
        value["resource"]["arn"],
        "arn:aws:sagemaker:eu-west-1:111122223333:notebook-instance/alpha-alice"
    );
    assert_eq!(value["rules"], serde_json::json!([DIRECT]));
    assert_eq!(value["mode"], "enforce");
    assert!(value["reason"].as_str().is_some_and(|r| !r.is_empty()), "{value}");
}

#[test]
fn tag_and_update_actions_serialize_their_payloads_beside_the_type() {
    let actions = plan_builtin(&nb(root_notebook(Some(NotebookStatus::InService))));
    let tag_json = serde_json::to_value(&actions.first().unwrap().action).unwrap();
    assert_eq!(tag_json["type"], "tag");
    assert_eq!(tag_json["tags"][VIOLATION_TAG], ROOT);
    assert_eq!(tag_json["tags"][RESTART_TAG], "true");

    let update = ActionKind::UpdateNotebookInstance {
        root_access: Toggle::Disabled,
    };
    let update_json = serde_json::to_value(update).unwrap();
    assert_eq!(update_json["type"], "update-notebook-instance");
    assert_eq!(update_json["root_access"], "Disabled");
    assert_eq!(
        serde_json::to_value(ActionKind::DeleteEndpointConfigIfUnused).unwrap(),
        serde_json::json!({"type": "delete-endpoint-config-if-unused"})
    );
}
