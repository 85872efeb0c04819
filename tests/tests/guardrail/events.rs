//! Events the guardrail must not act on: its own calls echoed back by CloudTrail, malformed
//! events, failed calls, read-only calls and events it does not govern. Each is recorded, and the account stays as it was.

use crate::{given_running, state, untouched, when_reported};
use sagefence_guardrail::GuardrailError;
use sagefence_tests::events::{events_dir, fixture_bytes, notebook_call_event, EventTemplate};
use sagefence_tests::guardrail::{given_guardrail, OWN_ROLE_ARN};
use sagefence_tests::records::{record_type, records_of};
use sagefence_tests::world::running_notebook;

#[tokio::test]
async fn the_guardrails_own_call_echoed_back_is_recorded_and_not_acted_on() {
    // given: a running notebook with direct internet access; CloudTrail's record of a call the
    // guardrail's own role made on it
    let (emulator, project, guardrail) = given_guardrail().await.unwrap();
    let name = "alpha-alice-direct-internet";
    let arn = given_running(&emulator, &project.notebook(name).with_direct_internet()).await;

    // when
    let summary = when_reported(
        &guardrail,
        "sagemaker/api-create-notebook-instance-direct-internet.json",
        &[
            ("/detail/requestParameters/notebookInstanceName", name),
            ("/detail/responseElements/notebookInstanceArn", arn.as_str()),
            (
                "/detail/userIdentity/arn",
                "arn:aws:sts::123456789012:assumed-role/sagefence-guardrail/guardrail-session",
            ),
            ("/detail/userIdentity/sessionContext/sessionIssuer/arn", OWN_ROLE_ARN),
        ],
    )
    .await;

    // then: one `own-call` record, nothing changed, nothing notified
    assert_eq!(summary.disposition, "own-call");
    assert!(summary.actions.is_empty());
    let records = guardrail.audit_records().unwrap();
    assert_eq!(records.len(), 1, "{records:#?}");
    assert_eq!(record_type(&records[0]), "own-call");
    assert_eq!(records[0]["actor"]["role_arn"], OWN_ROLE_ARN);
    untouched(&emulator, name).await;
    assert!(guardrail.notifications().await.unwrap().is_empty());

    // and: the same call by anyone else is acted on
    let by_alice = notebook_call_event(
        "sagemaker/api-create-notebook-instance-direct-internet.json",
        name,
        &arn,
    )
    .unwrap();
    let summary = guardrail.handle(&by_alice).await.unwrap();
    assert_eq!(summary.disposition, "evaluated");
    assert_eq!(state(&emulator, name).await.status, "Stopped");
}

#[tokio::test]
async fn every_malformed_event_is_rejected_recorded_once_and_changes_nothing() {
    // given: running non-compliant notebooks named as the malformed fixtures name them
    let (emulator, project, guardrail) = given_guardrail().await.unwrap();
    let names = [
        "alpha-alice-array",
        "alpha-alice-dia-number",
        "alpha-alice-no-detail-type",
        "alpha-alice-no-event-name",
        "alpha-alice-truncated",
    ];
    for name in names {
        given_running(&emulator, &project.notebook(name).with_direct_internet()).await;
    }
    let mut fixtures: Vec<String> = std::fs::read_dir(events_dir().join("malformed"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .filter(|file| file.ends_with(".json") && !file.ends_with(".expected.json"))
        .collect();
    fixtures.sort();
    assert!(fixtures.len() >= 10, "{fixtures:?}");

    for fixture in &fixtures {
        // when
        let payload = fixture_bytes(&format!("malformed/{fixture}")).unwrap();
        let result = guardrail.handle_bytes(&payload).await;

        // then: a malformed-event error no retry can fix, and exactly one `malformed` record
        let error = result.expect_err(fixture);
        assert!(matches!(error, GuardrailError::Event(_)), "{fixture}: {error:?}");
        assert!(!error.is_retryable(), "{fixture}");
        assert_eq!(error.error_type(), "Sagefence.MalformedEvent", "{fixture}");
        let records = guardrail.take_audit_records().unwrap();
        assert_eq!(records.len(), 1, "{fixture}: {records:#?}");
        assert_eq!(record_type(&records[0]), "malformed", "{fixture}");
        assert!(
            !records[0]["subject"]["error"].as_str().unwrap().is_empty(),
            "{fixture}"
        );
    }

    // and: nothing changed, nothing was notified
    for name in names {
        untouched(&emulator, name).await;
    }
    assert!(guardrail.notifications().await.unwrap().is_empty());
}

#[tokio::test]
async fn failed_read_only_and_ungoverned_calls_are_ignored() {
    // given: running non-compliant notebooks named as a failed and a read-only call name them
    let (emulator, project, guardrail) = given_guardrail().await.unwrap();
    for name in ["alpha-alice-failed", "alpha-alice-compliant"] {
        running_notebook(
            &emulator,
            &project.notebook(name).with_direct_internet().with_root_access(),
        )
        .await
        .unwrap();
    }
    let cases = [
        (
            "sagemaker/api-create-notebook-instance-failed-validation.json",
            "failed-call",
        ),
        ("sagemaker/api-create-training-job-access-denied.json", "failed-call"),
        ("sagemaker/api-describe-notebook-instance-read-only.json", "read-only"),
        ("s3/api-put-object.json", "unhandled-call"),
        ("scheduled/scheduled-event.json", "unhandled-event"),
    ];

    for (fixture, reason) in cases {
        // when
        let event = EventTemplate::load(fixture).unwrap().build();
        let summary = guardrail.handle(&event).await.unwrap();

        // then: ignored, with one record saying why
        assert_eq!(summary.disposition, "ignored", "{fixture}");
        assert!(summary.actions.is_empty(), "{fixture}");
        let records = guardrail.take_audit_records().unwrap();
        assert_eq!(records.len(), 1, "{fixture}: {records:#?}");
        assert_eq!(records_of(&records, "ignored").len(), 1, "{fixture}");
        assert_eq!(records[0]["subject"]["reason"], reason, "{fixture}");
    }

    // and: nothing changed
    for name in ["alpha-alice-failed", "alpha-alice-compliant"] {
        untouched(&emulator, name).await;
    }
    assert!(guardrail.notifications().await.unwrap().is_empty());
}
