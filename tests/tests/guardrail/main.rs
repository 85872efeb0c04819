//! The guardrail end to end on the emulator, one module per resource family, plus the events it leaves alone and throttling.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod events;
mod jobs;
mod keys_roles;
mod lifecycle;
mod network;
mod notebooks;
mod tags;
mod throttling;

use sagefence_guardrail::Summary;
use sagefence_tests::events::{event_with, notebook_state_event};
use sagefence_tests::guardrail::{summary_outcomes, GuardrailBuilder, GuardrailUnderTest};
use sagefence_tests::world::{
    given_project, notebook_state, running_notebook, NotebookSpec, NotebookState, ProjectNetwork,
};
use sagefence_tests::Emulator;
use std::collections::BTreeMap;

/// The notebook `name` as it is now; it must exist.
async fn state(emulator: &Emulator, name: &str) -> NotebookState {
    notebook_state(emulator, name)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("notebook {name} should exist"))
}

/// then: the notebook `name` runs and carries no sagefence tag.
async fn untouched(emulator: &Emulator, name: &str) {
    let now = state(emulator, name).await;
    assert_eq!(now.status, "InService", "{name}");
    assert!(now.sagefence_tags().is_empty(), "{name}: {:?}", now.tags);
}

/// given: the notebook of `spec`, created and `InService`; its ARN.
async fn given_running(emulator: &Emulator, spec: &NotebookSpec) -> String {
    running_notebook(emulator, spec).await.unwrap()
}

/// when: SageMaker reports the notebook `name` `InService`; the guardrail's summary.
async fn in_service(guardrail: &GuardrailUnderTest, name: &str, arn: &str) -> Summary {
    guardrail
        .handle(&notebook_state_event(name, arn, "InService").unwrap())
        .await
        .unwrap()
}

/// then: the notebook `name` was tagged with what it owes and stopped.
async fn then_tagged_and_stopped(emulator: &Emulator, name: &str, summary: &Summary) {
    assert_eq!(
        summary_outcomes(summary),
        ["tag applied", "stop-notebook-instance applied"]
    );
    assert_eq!(state(emulator, name).await.status, "Stopped");
}

/// given: a fresh emulator, the project in it, and the guardrail on the policy `yaml`.
async fn given_guardrail_on(yaml: &str) -> (Emulator, ProjectNetwork, GuardrailUnderTest) {
    let (emulator, project) = given_project().await.unwrap();
    let guardrail = GuardrailBuilder::new(&emulator)
        .policy_yaml(yaml)
        .unwrap()
        .build()
        .await
        .unwrap();
    (emulator, project, guardrail)
}

/// given: new notebooks are held `Pending`; the notebook of `spec`, created; its ARN.
async fn given_pending(emulator: &Emulator, spec: &NotebookSpec) -> String {
    emulator.set_notebook_initial_status("Pending").await.unwrap();
    spec.create(emulator).await.unwrap()
}

/// when: CloudTrail reports the call of the fixture `fixture`, with these fields set; the
/// guardrail's summary.
async fn when_reported(guardrail: &GuardrailUnderTest, fixture: &str, fields: &[(&str, &str)]) -> Summary {
    guardrail.handle(&event_with(fixture, fields).unwrap()).await.unwrap()
}

/// then: of these findings (`rule -> status`), `failed` failed and each of `passed` passed.
fn then_failed_only(findings: &BTreeMap<String, String>, failed: &str, passed: &[&str]) {
    assert_eq!(findings[failed], "FAILED");
    for rule in passed {
        assert_eq!(findings[*rule], "PASSED", "{rule}: {findings:?}");
    }
}
