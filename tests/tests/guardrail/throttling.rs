//! Throttled AWS calls: the guardrail retries with backoff; when the attempts run out it fails
//! with a retryable error, and the retried event completes the remedy.

use crate::{given_pending, given_running, in_service, state, then_tagged_and_stopped, untouched};
use sagefence_guardrail::GuardrailError;
use sagefence_tests::events::notebook_state_event;
use sagefence_tests::guardrail::{given_guardrail, summary_outcomes, GuardrailBuilder, GuardrailUnderTest};
use sagefence_tests::records::{action_outcomes, records_of};
use sagefence_tests::world::given_project;
use sagefence_tests::Emulator;

/// given: the next calls of `action`, as many as the guardrail's attempts, are throttled.
async fn throttle_beyond_the_attempts(emulator: &Emulator, guardrail: &GuardrailUnderTest, action: &str) {
    let attempts = guardrail.guardrail.settings.max_attempts;
    emulator.throttle(action, attempts).await.unwrap();
}

#[tokio::test]
async fn a_throttled_stop_is_retried_until_it_succeeds() {
    // given: a running notebook with direct internet access; the next two stops are throttled
    let (emulator, project, guardrail) = given_guardrail().await.unwrap();
    let name = "alpha-alice-throttled";
    let arn = given_running(&emulator, &project.notebook(name).with_direct_internet()).await;
    emulator.throttle("StopNotebookInstance", 2).await.unwrap();

    // when
    let summary = in_service(&guardrail, name, &arn).await;

    // then: stopped all the same
    then_tagged_and_stopped(&emulator, name, &summary).await;
}

#[tokio::test]
async fn a_stop_throttled_beyond_the_attempts_fails_retryably_and_the_retried_event_completes_it() {
    // given: three attempts per call; a running notebook with direct internet access; the next
    // four stops are throttled
    let (emulator, project) = given_project().await.unwrap();
    let guardrail = GuardrailBuilder::new(&emulator)
        .settings(|s| s.max_attempts = 3)
        .build()
        .await
        .unwrap();
    let name = "alpha-alice-throttled";
    let arn = given_running(&emulator, &project.notebook(name).with_direct_internet()).await;
    emulator.throttle("StopNotebookInstance", 4).await.unwrap();
    let event = notebook_state_event(name, &arn, "InService").unwrap();

    // when
    let error = guardrail.handle(&event).await.unwrap_err();

    // then: a retryable remedy failure; the stop is recorded as failed; the notebook still runs
    assert!(matches!(error, GuardrailError::Remedy { failed: 1, .. }), "{error:?}");
    assert!(error.is_retryable());
    assert!(
        error.error_type().starts_with("Sagefence.Retryable"),
        "{}",
        error.error_type()
    );
    let records = guardrail.take_audit_records().unwrap();
    assert_eq!(
        action_outcomes(&records),
        ["tag applied", "stop-notebook-instance failed"]
    );
    let failed = records_of(&records, "action")[1];
    assert_eq!(failed["subject"]["retryable"], true, "{failed}");
    assert_eq!(state(&emulator, name).await.status, "InService");

    // when: Lambda retries the same event (one throttle is left)
    let summary = guardrail.handle(&event).await.unwrap();

    // then: the stop goes through
    assert_eq!(summary_outcomes(&summary), ["stop-notebook-instance applied"]);
    assert_eq!(state(&emulator, name).await.status, "Stopped");
}

#[tokio::test]
async fn a_look_up_throttled_beyond_the_attempts_fails_retryably_before_anything_is_done() {
    // given: a running notebook with direct internet access; every describe of the next four is
    // throttled
    let (emulator, project, guardrail) = given_guardrail().await.unwrap();
    let name = "alpha-alice-unreadable";
    let arn = given_running(&emulator, &project.notebook(name).with_direct_internet()).await;
    throttle_beyond_the_attempts(&emulator, &guardrail, "DescribeNotebookInstance").await;
    let event = notebook_state_event(name, &arn, "InService").unwrap();

    // when
    let error = guardrail.handle(&event).await.unwrap_err();

    // then: a retryable look-up failure, and nothing was touched
    assert!(matches!(error, GuardrailError::Lookup(_)), "{error:?}");
    assert!(error.is_retryable());
    assert_eq!(error.error_type(), "Sagefence.Retryable.Lookup");
    let now = state(&emulator, name).await;
    assert_eq!(now.status, "InService");
    assert!(now.sagefence_tags().is_empty(), "{:?}", now.tags);

    // when: retried once the throttling is over
    let summary = guardrail.handle(&event).await.unwrap();

    // then
    then_tagged_and_stopped(&emulator, name, &summary).await;
}

#[tokio::test]
async fn a_root_access_fix_interrupted_by_throttling_is_completed_by_the_retried_event() {
    // given: a running notebook with root access, stopped by the guardrail to be fixed; every
    // start is throttled for a while
    let (emulator, project, guardrail) = given_guardrail().await.unwrap();
    let name = "alpha-alice-root";
    let arn = given_running(&emulator, &project.notebook(name).with_root_access()).await;
    in_service(&guardrail, name, &arn).await;
    assert_eq!(state(&emulator, name).await.status, "Stopped");
    guardrail.take_audit_records().unwrap();
    throttle_beyond_the_attempts(&emulator, &guardrail, "StartNotebookInstance").await;
    let stopped = notebook_state_event(name, &arn, "Stopped").unwrap();

    // when: the Stopped event is handled while starts are throttled
    let error = guardrail.handle(&stopped).await.unwrap_err();

    // then: root access is fixed, the start failed retryably, and the notebook still says it
    // must be restarted
    assert!(error.is_retryable(), "{error:?}");
    let records = guardrail.take_audit_records().unwrap();
    assert_eq!(
        action_outcomes(&records),
        [
            "update-notebook-instance applied",
            "start-notebook-instance failed",
            "untag deferred"
        ]
    );
    let now = state(&emulator, name).await;
    assert_eq!(now.root_access.as_deref(), Some("Disabled"));
    assert_eq!(now.status, "Stopped");
    assert_eq!(now.tags["sagefence:restart"], "true");

    // when: Lambda retries the event
    let summary = guardrail.handle(&stopped).await.unwrap();

    // then: the notebook is started again and its bookkeeping tags are removed
    assert_eq!(
        summary_outcomes(&summary),
        ["start-notebook-instance applied", "untag applied"]
    );
    untouched(&emulator, name).await;
}

#[tokio::test]
async fn a_throttled_notification_is_retried_like_any_other_call() {
    // given: a running notebook with direct internet access, already marked with what it owes;
    // the next SNS publish is throttled
    let (emulator, project, guardrail) = given_guardrail().await.unwrap();
    let name = "alpha-alice-notified";
    let arn = given_pending(&emulator, &project.notebook(name).with_direct_internet()).await;
    guardrail
        .handle(&notebook_state_event(name, &arn, "Pending").unwrap())
        .await
        .unwrap();
    guardrail.notifications().await.unwrap();
    emulator.set_notebook_status(name, "InService").await.unwrap();
    emulator.throttle("Publish", 1).await.unwrap();

    // when: it is reported InService
    let summary = in_service(&guardrail, name, &arn).await;

    // then: it is stopped, and the stop is notified despite the throttled first publish
    assert_eq!(summary_outcomes(&summary), ["stop-notebook-instance applied"]);
    assert_eq!(state(&emulator, name).await.status, "Stopped");
    let notifications = guardrail.notifications().await.unwrap();
    let stops = notifications
        .iter()
        .filter(|n| n["action"] == "stop-notebook-instance")
        .count();
    assert_eq!(stops, 1, "the stop notification was lost: {notifications:#?}");
}

#[tokio::test]
async fn a_retried_event_records_its_remedies_under_ids_of_their_own() {
    // given: a running notebook with direct internet access; tagging is throttled beyond the
    // attempts, so the first handling fails and its stop is deferred
    let (emulator, project, guardrail) = given_guardrail().await.unwrap();
    let name = "alpha-alice-retried";
    let arn = given_running(&emulator, &project.notebook(name).with_direct_internet()).await;
    throttle_beyond_the_attempts(&emulator, &guardrail, "AddTags").await;
    let event = notebook_state_event(name, &arn, "InService").unwrap();
    let error = guardrail.handle(&event).await.unwrap_err();
    assert!(error.is_retryable(), "{error:?}");
    let first = guardrail.take_audit_records().unwrap();
    assert_eq!(
        action_outcomes(&first),
        ["tag failed", "stop-notebook-instance deferred"]
    );

    // when: Lambda retries the event
    guardrail.handle(&event).await.unwrap();
    let retry = guardrail.take_audit_records().unwrap();

    // then: the notebook is stopped, and the audit trail (deduplicated by record id downstream)
    // keeps both what failed and what was applied: no id names two different subjects
    assert_eq!(state(&emulator, name).await.status, "Stopped");
    assert_eq!(
        action_outcomes(&retry),
        ["tag applied", "stop-notebook-instance applied"]
    );
    for later in records_of(&retry, "action") {
        for earlier in records_of(&first, "action") {
            assert!(
                later["id"] != earlier["id"] || later["subject"] == earlier["subject"],
                "record id {} names both\n  {}\nand\n  {}",
                later["id"],
                earlier["subject"],
                later["subject"]
            );
        }
    }
}
