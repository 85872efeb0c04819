//! The guardrail on notebook instances, end to end on the emulator: CloudTrail and state-change
//! events in, the notebook's real state, the audit records and the notifications out.

use crate::{
    given_guardrail_on, given_pending, given_running, in_service, state, then_failed_only, then_tagged_and_stopped,
    when_reported,
};
use chrono::{DateTime, TimeZone, Utc};
use sagefence_tests::events::{notebook_call_event, notebook_state_event};
use sagefence_tests::guardrail::{given_guardrail, summary_outcomes, GuardrailUnderTest};
use sagefence_tests::records::{action_outcomes, finding_statuses, records_of};
use sagefence_tests::world::{notebook_state, OWNER};
use sagefence_tests::Emulator;
use serde_json::Value;

const DIRECT_INTERNET_CREATED: &str = "sagemaker/api-create-notebook-instance-direct-internet.json";
const DIRECT_INTERNET: &str = "notebook-direct-internet-disabled";
const ROOT_ACCESS: &str = "notebook-root-access-disabled";

fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 12, 0, 0).unwrap()
}

#[tokio::test]
async fn direct_internet_notebook_is_tagged_while_pending_stopped_in_service_and_left_stopped() {
    // given: new notebooks are held Pending; one with direct internet access in the project subnet
    let (emulator, project, guardrail) = given_guardrail().await.unwrap();
    let name = "alpha-alice-direct-internet";
    let arn = given_pending(&emulator, &project.notebook(name).with_direct_internet()).await;

    // when: CloudTrail reports its creation
    let created = notebook_call_event(DIRECT_INTERNET_CREATED, name, &arn).unwrap();
    let summary = guardrail.handle(&created).await.unwrap();

    // then: it is marked with what it owes and stays Pending (only InService can be stopped)
    assert_eq!(summary.disposition, "evaluated");
    assert_eq!(summary_outcomes(&summary), ["tag applied"]);
    let now = state(&emulator, name).await;
    assert_eq!(now.status, "Pending");
    assert!(
        now.tags["sagefence:violation"].contains(DIRECT_INTERNET),
        "{:?}",
        now.tags
    );
    assert_eq!(now.tags["sagefence:remedy"], "stop");
    let records = guardrail.take_audit_records().unwrap();
    let findings = finding_statuses(&records);
    then_failed_only(
        &findings,
        DIRECT_INTERNET,
        &[
            "notebook-in-project-vpc",
            ROOT_ACCESS,
            "notebook-kms-encrypted",
            "notebook-required-tags",
        ],
    );
    assert_eq!(action_outcomes(&records), ["tag applied"]);

    // when: it comes InService and SageMaker says so
    emulator.set_notebook_status(name, "InService").await.unwrap();
    let in_service = notebook_state_event(name, &arn, "InService").unwrap();
    let summary = guardrail.handle(&in_service).await.unwrap();

    // then: it is stopped
    assert_eq!(summary_outcomes(&summary), ["stop-notebook-instance applied"]);
    assert_eq!(state(&emulator, name).await.status, "Stopped");
    let records = guardrail.take_audit_records().unwrap();
    assert_eq!(action_outcomes(&records), ["stop-notebook-instance applied"]);

    // when: SageMaker reports it Stopped
    let stopped = notebook_state_event(name, &arn, "Stopped").unwrap();
    let summary = guardrail.handle(&stopped).await.unwrap();

    // then: nothing more is done; it stays Stopped and still marked
    assert!(summary.actions.is_empty(), "{:?}", summary.actions);
    let now = state(&emulator, name).await;
    assert_eq!(now.status, "Stopped");
    assert_eq!(now.tags["sagefence:remedy"], "stop");
    assert!(action_outcomes(&guardrail.take_audit_records().unwrap()).is_empty());
}

#[tokio::test]
async fn with_the_delete_remedy_the_stopped_notebook_is_deleted() {
    // given: a policy deleting notebooks with direct internet access; such a notebook, Pending
    let (emulator, project, guardrail) =
        given_guardrail_on("version: 1\nrules:\n  notebook-direct-internet-disabled: {remedy: delete}\n").await;
    let name = "alpha-alice-direct-internet";
    let arn = given_pending(&emulator, &project.notebook(name).with_direct_internet()).await;

    // when: created, then InService
    let created = notebook_call_event(DIRECT_INTERNET_CREATED, name, &arn).unwrap();
    assert_eq!(
        summary_outcomes(&guardrail.handle(&created).await.unwrap()),
        ["tag applied"]
    );
    assert_eq!(state(&emulator, name).await.tags["sagefence:remedy"], "delete");
    emulator.set_notebook_status(name, "InService").await.unwrap();
    let summary = in_service(&guardrail, name, &arn).await;

    // then: stopped first
    assert_eq!(summary_outcomes(&summary), ["stop-notebook-instance applied"]);
    assert_eq!(state(&emulator, name).await.status, "Stopped");

    // when: SageMaker reports it Stopped
    let summary = guardrail
        .handle(&notebook_state_event(name, &arn, "Stopped").unwrap())
        .await
        .unwrap();

    // then: it is deleted
    assert_eq!(summary_outcomes(&summary), ["delete-notebook-instance applied"]);
    assert_eq!(notebook_state(&emulator, name).await.unwrap(), None);
}

#[tokio::test]
async fn root_access_is_fixed_in_place_and_the_notebook_started_again() {
    // given: a notebook compliant but for root access, running
    let (emulator, project, guardrail) = given_guardrail().await.unwrap();
    let name = "alpha-alice-root";
    let arn = given_running(&emulator, &project.notebook(name).with_root_access()).await;

    // when: SageMaker reports it InService
    let summary = in_service(&guardrail, name, &arn).await;

    // then: marked to be restarted after the fix, and stopped
    assert_eq!(
        summary_outcomes(&summary),
        ["tag applied", "stop-notebook-instance applied"]
    );
    let now = state(&emulator, name).await;
    assert_eq!(now.status, "Stopped");
    assert_eq!(now.tags["sagefence:violation"], ROOT_ACCESS);
    assert_eq!(now.tags["sagefence:remedy"], "fix-root-access");
    assert_eq!(now.tags["sagefence:restart"], "true");

    // when: SageMaker reports it Stopped
    let stopped = notebook_state_event(name, &arn, "Stopped").unwrap();
    let summary = guardrail.handle(&stopped).await.unwrap();

    // then: root access is off, it runs again, and the bookkeeping tags are gone
    assert_eq!(
        summary_outcomes(&summary),
        [
            "update-notebook-instance applied",
            "start-notebook-instance applied",
            "untag applied"
        ]
    );
    let now = state(&emulator, name).await;
    assert_eq!(now.root_access.as_deref(), Some("Disabled"));
    assert_eq!(now.status, "InService");
    assert!(now.sagefence_tags().is_empty(), "{:?}", now.tags);
    assert_eq!(now.tags["sagefence:owner"], OWNER);

    // when: the Stopped event is delivered again (EventBridge delivers at least once)
    let summary = guardrail.handle(&stopped).await.unwrap();

    // then: nothing is done to the fixed, running notebook
    assert!(summary.actions.is_empty(), "{:?}", summary.actions);
    assert_eq!(state(&emulator, name).await.status, "InService");
}

#[tokio::test]
async fn the_same_event_twice_ends_in_the_same_state_without_a_second_stop() {
    // given: a running notebook with direct internet access
    let (emulator, project, guardrail) = given_guardrail().await.unwrap();
    let name = "alpha-alice-twice";
    let arn = given_running(&emulator, &project.notebook(name).with_direct_internet()).await;
    let in_service = notebook_state_event(name, &arn, "InService").unwrap();

    // when: the same event is handled twice
    let first = guardrail.handle(&in_service).await.unwrap();
    let after_first = state(&emulator, name).await;
    let second = guardrail.handle(&in_service).await;

    // then: the first stops it; the second succeeds, plans no new stop, and changes nothing
    assert_eq!(
        summary_outcomes(&first),
        ["tag applied", "stop-notebook-instance applied"]
    );
    let second = second.unwrap();
    assert!(
        summary_outcomes(&second)
            .iter()
            .all(|a| a == "stop-notebook-instance already-done"),
        "{:?}",
        second.actions
    );
    assert_eq!(state(&emulator, name).await, after_first);
    assert_eq!(after_first.status, "Stopped");
    let stops = guardrail
        .notifications()
        .await
        .unwrap()
        .into_iter()
        .filter(|n| n["action"] == "stop-notebook-instance")
        .count();
    assert_eq!(stops, 1);
}

#[tokio::test]
async fn in_audit_mode_nothing_is_changed_and_the_remedies_are_recorded_as_dry_runs() {
    // given: an audit-mode policy; a running notebook with direct internet access
    let (emulator, project, guardrail) = given_guardrail_on("version: 1\nmode: audit\n").await;
    let name = "alpha-alice-audited";
    let arn = given_running(&emulator, &project.notebook(name).with_direct_internet()).await;

    // when: SageMaker reports it InService
    let summary = in_service(&guardrail, name, &arn).await;

    // then: it runs on untouched; the audit trail says what enforcement would have done
    assert_eq!(summary.failed, 1);
    assert_eq!(
        summary_outcomes(&summary),
        ["tag dry-run", "stop-notebook-instance dry-run"]
    );
    let now = state(&emulator, name).await;
    assert_eq!(now.status, "InService");
    assert!(now.sagefence_tags().is_empty(), "{:?}", now.tags);
    let records = guardrail.audit_records().unwrap();
    assert_eq!(
        action_outcomes(&records),
        ["tag dry-run", "stop-notebook-instance dry-run"]
    );
    for action in records_of(&records, "action") {
        assert_eq!(action["subject"]["action"]["mode"], "audit", "{action}");
    }
    assert_eq!(guardrail.notifications().await.unwrap(), Vec::<Value>::new());
}

#[tokio::test]
async fn an_exemption_holds_until_it_expires() {
    // given: a policy exempting the notebooks `arn:...:notebook-instance/Legacy-*` from the
    // direct-internet rule until 2025-06-30; a running notebook `Legacy-Vendor` with direct
    // internet access (SageMaker writes its ARN `...:notebook-instance/legacy-vendor`)
    let policy = "version: 1\nexemptions:\n  - resource: 'arn:aws:sagemaker:eu-west-1:123456789012:notebook-instance/Legacy-*'\n    rules: [notebook-direct-internet-disabled]\n    reason: vendor appliance needs the internet (TICKET-42)\n    expires: 2025-06-30\n";
    let (emulator, project, guardrail) = given_guardrail_on(policy).await;
    let name = "Legacy-Vendor";
    let arn = given_running(&emulator, &project.notebook(name).with_direct_internet()).await;
    assert!(arn.ends_with(":notebook-instance/legacy-vendor"), "{arn}");

    // when: it is reported InService while the exemption holds
    let summary = guardrail
        .handle_at(&notebook_state_event(name, &arn, "InService").unwrap(), at(2025, 6, 30))
        .await
        .unwrap();

    // then: untouched, and the finding records the waiver
    assert!(summary.actions.is_empty(), "{:?}", summary.actions);
    let now = state(&emulator, name).await;
    assert_eq!(now.status, "InService");
    assert!(now.sagefence_tags().is_empty(), "{:?}", now.tags);
    let records = guardrail.take_audit_records().unwrap();
    let waived = records_of(&records, "finding")
        .into_iter()
        .find(|r| r["subject"]["finding"]["rule"] == DIRECT_INTERNET)
        .unwrap();
    assert_eq!(waived["subject"]["finding"]["status"], "FAILED");
    assert_eq!(waived["subject"]["finding"]["exemption"]["expires"], "2025-06-30");

    // when: it is reported again the day after the exemption expired
    let summary = guardrail
        .handle_at(&notebook_state_event(name, &arn, "InService").unwrap(), at(2025, 7, 1))
        .await
        .unwrap();

    // then: the rule is enforced
    then_tagged_and_stopped(&emulator, name, &summary).await;
}

#[tokio::test]
async fn a_truncated_create_naming_a_mixed_case_notebook_only_by_its_arn_is_still_enforced() {
    // given: a running notebook `Alpha-Legacy` with direct internet access, whose create call
    // CloudTrail truncated: the record names it only by its ARN, which SageMaker lowercases
    let (emulator, project, guardrail) = given_guardrail().await.unwrap();
    let name = "Alpha-Legacy";
    let arn = given_running(&emulator, &project.notebook(name).with_direct_internet()).await;
    assert!(arn.ends_with(":notebook-instance/alpha-legacy"), "{arn}");

    // when: the truncated call is reported
    let now = Utc::now().to_rfc3339();
    let fields = [
        ("/time", now.as_str()),
        ("/detail/responseElements/notebookInstanceArn", arn.as_str()),
    ];
    let summary = when_reported(
        &guardrail,
        "sagemaker/api-create-notebook-instance-request-omitted.json",
        &fields,
    )
    .await;

    // then: the notebook is found by its own name, marked and stopped
    assert_eq!(
        summary_outcomes(&summary),
        ["tag applied", "stop-notebook-instance applied"]
    );
    assert_eq!(state(&emulator, name).await.status, "Stopped");
}

#[tokio::test]
async fn an_enforced_stop_is_notified_with_resource_rule_action_and_owner() {
    // given: a running notebook with direct internet access, owned by alice
    let (emulator, project, guardrail) = given_guardrail().await.unwrap();
    let name = "alpha-alice-notified";
    let arn = given_running(&emulator, &project.notebook(name).with_direct_internet()).await;

    // when: SageMaker reports it InService
    in_service(&guardrail, name, &arn).await;

    // then: one notification tells of the stop, naming the notebook, the rule and the owner
    let notifications = guardrail.notifications().await.unwrap();
    let stops: Vec<&Value> = notifications
        .iter()
        .filter(|n| n["action"] == "stop-notebook-instance")
        .collect();
    assert_eq!(stops.len(), 1, "{notifications:#?}");
    let stop = stops[0];
    assert_eq!(stop["resource"]["kind"], "notebook-instance");
    assert_eq!(stop["resource"]["name"], name);
    assert_eq!(stop["resource"]["arn"], arn.as_str());
    assert_eq!(stop["rules"], serde_json::json!([DIRECT_INTERNET]));
    assert_eq!(stop["owner"], OWNER);
    assert_eq!(stop["mode"], "enforce");
    assert_eq!(stop["outcome"]["outcome"], "applied");
    assert!(stop["subject"].as_str().unwrap().contains(name), "{stop}");
}

#[tokio::test]
async fn root_access_enabled_on_a_stopped_notebook_is_disabled_again_at_once() {
    // given: a compliant notebook, stopped, whose owner turns root access on
    let (emulator, project, guardrail) = given_guardrail().await.unwrap();
    let name = "alpha-alice-compliant";
    given_running(&emulator, &project.notebook(name)).await;
    let sagemaker = emulator.sagemaker();
    sagemaker
        .stop_notebook_instance()
        .notebook_instance_name(name)
        .send()
        .await
        .unwrap();
    sagemaker
        .update_notebook_instance()
        .notebook_instance_name(name)
        .root_access(aws_sdk_sagemaker::types::RootAccess::Enabled)
        .send()
        .await
        .unwrap();
    let updated = sagefence_tests::events::event_with(
        "sagemaker/api-update-notebook-instance-root-access-enabled.json",
        &[("/detail/requestParameters/notebookInstanceName", name)],
    )
    .unwrap();

    // when: CloudTrail reports the update
    let summary = guardrail.handle(&updated).await.unwrap();

    // then: root access is off again; the notebook was not running, so it is not started
    assert_eq!(summary_outcomes(&summary), ["update-notebook-instance applied"]);
    let now = state(&emulator, name).await;
    assert_eq!(now.root_access.as_deref(), Some("Disabled"));
    assert_eq!(now.status, "Stopped");
    assert!(now.sagefence_tags().is_empty(), "{:?}", now.tags);
}

#[tokio::test]
async fn a_state_change_of_a_notebook_that_no_longer_exists_is_a_no_op() {
    // given: no notebook at all
    let emulator = Emulator::start().await.unwrap();
    let guardrail = GuardrailUnderTest::start(&emulator).await.unwrap();
    let arn = "arn:aws:sagemaker:eu-west-1:123456789012:notebook-instance/alpha-alice-gone";

    // when
    let summary = guardrail
        .handle(&notebook_state_event("alpha-alice-gone", arn, "InService").unwrap())
        .await
        .unwrap();

    // then
    assert_eq!(summary.disposition, "evaluated");
    assert_eq!(summary.findings, 0);
    assert!(summary.actions.is_empty());
}
