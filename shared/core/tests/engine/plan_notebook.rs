//! The planner: notebook state machine.

use super::plan_support::*;

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
fn compliant_stopped_notebook_with_restart_tag_is_started_and_untagged_but_not_while_updating() {
    let fixed = |status| {
        with_tags(
            compliant_notebook(Some(status)),
            &[
                (VIOLATION_TAG, ROOT),
                (REMEDY_TAG, "fix-root-access"),
                (RESTART_TAG, "true"),
            ],
        )
    };
    assert_eq!(
        kinds(&plan_builtin(&nb(fixed(NotebookStatus::Stopped)))),
        [
            ActionKind::StartNotebookInstance,
            untag(&[VIOLATION_TAG, REMEDY_TAG, RESTART_TAG])
        ]
    );
    assert_eq!(
        kinds(&plan_builtin(&nb(fixed(NotebookStatus::Updating)))),
        [untag(&[VIOLATION_TAG, REMEDY_TAG])]
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
