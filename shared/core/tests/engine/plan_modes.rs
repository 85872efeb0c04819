//! The planner: modes and exemptions.

use super::plan_support::*;

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
        "exemptions:\n  - resource: arn:aws:sagemaker:eu-west-1:111122223333:notebook-instance/alpha-alice\n    rules: [notebook-direct-internet-disabled]\n    reason: migration window\n    expires: 2026-06-30\n",
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
