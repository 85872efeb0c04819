//! The guardrail on notebooks whose status moves as AWS's does, on the emulator's clock: the
//! CloudTrail event of the call arrives while the notebook is `Pending` (only tags are written),
//! and every later step is taken only on the state-change events SageMaker sends as the
//! notebook moves on.

use crate::{given_guardrail_on, state};
use sagefence_tests::events::notebook_call_event;
use sagefence_tests::guardrail::{delivered_lines, summary_outcomes};
use sagefence_tests::world::{notebook_state, NotebookSpec, NotebookState, OWNER};

const INTERNET: &str = "sagemaker/api-create-notebook-instance-direct-internet.json";
const ROOT: &str = "sagemaker/api-create-notebook-instance-root-access-enabled.json";
const BUILTIN: &str = "version: 1\n";

/// given: the guardrail on `policy`; a clock that moves only when the test moves it; the
/// project's notebook `name` (changed by `violate`) created and `Pending`, and CloudTrail's
/// report of its creation (the fixture `created`) handled: the notebook is marked with `remedy`, nothing else.
/// when: SageMaker moves the notebook on and every event it sends reaches the guardrail.
/// then: each event's status and what the guardrail did on it are `path`. The notebook as it
/// ends (`None`: gone).
async fn the_path_is(
    policy: &str,
    name: &str,
    (violate, created): (fn(NotebookSpec) -> NotebookSpec, &str),
    remedy: &str,
    path: &[&str],
) -> Option<NotebookState> {
    let (emulator, project, guardrail) = given_guardrail_on(policy).await;
    emulator.use_manual_clock().await.unwrap();
    let spec = violate(project.notebook(name));
    let arn = spec.create(&emulator).await.unwrap();
    let created = notebook_call_event(created, name, &arn).unwrap();
    let summary = guardrail.handle(&created).await.unwrap();
    assert_eq!(summary_outcomes(&summary), ["tag applied"]);
    let now = state(&emulator, name).await;
    assert_eq!(now.status, "Pending");
    assert_eq!(now.tags["sagefence:remedy"], remedy);

    let delivered = guardrail.settle(&emulator).await.unwrap();

    assert_eq!(delivered_lines(&delivered), path);
    notebook_state(&emulator, name).await.unwrap()
}

#[tokio::test]
async fn a_notebook_with_direct_internet_is_stopped_once_in_service_and_stays_stopped() {
    let path = [
        "Pending",
        "InService: stop-notebook-instance applied",
        "Stopping",
        "Stopped",
    ];
    let end = the_path_is(
        BUILTIN,
        "alpha-alice-stopped",
        (NotebookSpec::with_direct_internet, INTERNET),
        "stop",
        &path,
    )
    .await;
    assert_eq!(end.unwrap().status, "Stopped");
}

#[tokio::test]
async fn with_the_delete_remedy_the_notebook_is_stopped_then_deleted_and_its_end_is_a_no_op() {
    let policy = "version: 1\nrules:\n  notebook-direct-internet-disabled: {remedy: delete}\n";
    let path = [
        "Pending",
        "InService: stop-notebook-instance applied",
        "Stopping",
        "Stopped: delete-notebook-instance applied",
        "Deleting",
        "Deleted",
    ];
    let end = the_path_is(
        policy,
        "alpha-alice-deleted",
        (NotebookSpec::with_direct_internet, INTERNET),
        "delete",
        &path,
    )
    .await;
    assert_eq!(end, None);
}

#[tokio::test]
async fn root_access_is_fixed_while_stopped_and_the_notebook_started_once_the_update_is_done() {
    // stopped once running (marked to run again); fixed once stopped, the start waiting for the
    // update to end; started on the Stopped that ends it; nothing more once it runs
    let path = [
        "Pending",
        "InService: tag applied, stop-notebook-instance applied",
        "Stopping",
        "Stopped: update-notebook-instance applied, start-notebook-instance deferred, untag deferred",
        "Updating: untag applied",
        "Stopped: start-notebook-instance applied, untag applied",
        "Pending",
        "InService",
    ];
    let fix = "fix-root-access";
    let end = the_path_is(
        BUILTIN,
        "alpha-alice-fixed",
        (NotebookSpec::with_root_access, ROOT),
        fix,
        &path,
    )
    .await;
    let end = end.unwrap();
    assert_eq!(
        (end.status.as_str(), end.root_access.as_deref()),
        ("InService", Some("Disabled"))
    );
    assert!(end.sagefence_tags().is_empty(), "{:?}", end.tags);
    assert_eq!(end.tags["sagefence:owner"], OWNER);
}
