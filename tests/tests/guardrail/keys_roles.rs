//! The guardrail on a project's KMS keys and IAM roles, end to end on the emulator: rotation
//! turned off or deletion scheduled on the project key is undone; a notebook role granted every
//! action loses that policy. Keys and roles outside the project are not touched.

use crate::{given_guardrail_on, when_reported};
use aws_sdk_kms::types::KeyState;
use sagefence_guardrail::Summary;
use sagefence_tests::events::event_with;
use sagefence_tests::guardrail::{given_guardrail, summary_outcomes, GuardrailBuilder, GuardrailUnderTest};
use sagefence_tests::world::{
    attach_role_policy, create_key, create_notebook_role, disable_key_rotation, given_project, ProjectNetwork,
};
use sagefence_tests::Emulator;

const ADMINISTRATOR_ACCESS: &str = "arn:aws:iam::aws:policy/AdministratorAccess";
const READ_ONLY_S3: &str = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess";
const EVERYTHING: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Sid":"Everything","Effect":"Allow","Action":"*","Resource":"*"}]}"#;
const READ_DATA: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":"arn:aws:s3:::sagefence-alpha-data/*"}]}"#;

async fn rotation(emulator: &Emulator, key_id: &str) -> bool {
    let out = emulator
        .kms()
        .get_key_rotation_status()
        .key_id(key_id)
        .send()
        .await
        .unwrap();
    out.key_rotation_enabled()
}

fn rotation_disabled(key: &str) -> serde_json::Value {
    event_with(
        "kms/api-disable-key-rotation.json",
        &[("/detail/requestParameters/keyId", key)],
    )
    .unwrap()
}

/// given: deletion of `key_id` scheduled in seven days.
async fn schedule_key_deletion(emulator: &Emulator, key_id: &str) {
    emulator
        .kms()
        .schedule_key_deletion()
        .key_id(key_id)
        .pending_window_in_days(7)
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn rotation_turned_off_on_the_project_key_is_turned_on_again() {
    // given: rotation is turned off on the project key; notifications are delivered raw
    let (emulator, project) = given_project().await.unwrap();
    let guardrail = GuardrailBuilder::new(&emulator)
        .raw_delivery(true)
        .build()
        .await
        .unwrap();
    disable_key_rotation(&emulator, &project.key_id).await.unwrap();

    // when: CloudTrail reports it (naming the key by ARN, as the fixture does)
    let summary = guardrail.handle(&rotation_disabled(&project.key_arn)).await.unwrap();

    // then
    assert_eq!(summary_outcomes(&summary), ["enable-key-rotation applied"]);
    assert!(rotation(&emulator, &project.key_id).await);
    let notifications = guardrail.notifications().await.unwrap();
    assert_eq!(notifications.len(), 1, "{notifications:#?}");
    assert_eq!(notifications[0]["resource"]["name"], project.key_id.as_str());
    assert_eq!(notifications[0]["rules"], serde_json::json!(["kms-rotation-enabled"]));
}

#[tokio::test]
async fn a_scheduled_deletion_of_the_project_key_is_cancelled_and_the_key_enabled() {
    // given: the project key is scheduled for deletion
    let (emulator, project, guardrail) = given_guardrail().await.unwrap();
    let kms = emulator.kms();
    schedule_key_deletion(&emulator, &project.key_id).await;

    // when
    let event = event_with(
        "kms/api-schedule-key-deletion.json",
        &[("/detail/requestParameters/keyId", project.key_id.as_str())],
    )
    .unwrap();
    let summary = guardrail.handle(&event).await.unwrap();

    // then: the deletion is cancelled, the key usable and rotating
    assert!(
        summary_outcomes(&summary).contains(&"cancel-key-deletion applied".to_owned()),
        "{:?}",
        summary.actions
    );
    let meta = kms.describe_key().key_id(&project.key_id).send().await.unwrap();
    let meta = meta.key_metadata().unwrap();
    assert_eq!(meta.key_state(), Some(&KeyState::Enabled));
    assert!(meta.enabled());
    assert_eq!(meta.deletion_date(), None);
    assert!(rotation(&emulator, &project.key_id).await);

    // and: a second delivery changes nothing
    let summary = guardrail.handle(&event).await.unwrap();
    assert!(summary.actions.is_empty(), "{:?}", summary.actions);
}

#[tokio::test]
async fn a_key_outside_the_project_is_left_alone() {
    // given: a key without the project tag, rotation off
    let emulator = Emulator::start().await.unwrap();
    ProjectNetwork::create(&emulator).await.unwrap();
    let guardrail = GuardrailUnderTest::start(&emulator).await.unwrap();
    let (key_id, key_arn) = create_key(&emulator, None, false).await.unwrap();

    // when
    let summary = guardrail.handle(&rotation_disabled(&key_arn)).await.unwrap();

    // then
    assert_eq!(summary.findings, 0);
    assert!(summary.actions.is_empty(), "{:?}", summary.actions);
    assert!(!rotation(&emulator, &key_id).await);
}

/// The role's attached policy ARNs, sorted.
async fn attached(emulator: &Emulator, role: &str) -> Vec<String> {
    let out = emulator
        .iam()
        .list_attached_role_policies()
        .role_name(role)
        .send()
        .await
        .unwrap();
    sorted(
        out.attached_policies()
            .iter()
            .map(|p| p.policy_arn().unwrap().to_owned())
            .collect(),
    )
}

/// The role's inline policy names, sorted.
async fn inline(emulator: &Emulator, role: &str) -> Vec<String> {
    let out = emulator
        .iam()
        .list_role_policies()
        .role_name(role)
        .send()
        .await
        .unwrap();
    sorted(out.policy_names().to_vec())
}

fn sorted(mut names: Vec<String>) -> Vec<String> {
    names.sort();
    names
}

fn administrator_attached(role: &str) -> serde_json::Value {
    event_with(
        "iam/api-attach-role-policy-administrator-access.json",
        &[("/detail/requestParameters/roleName", role)],
    )
    .unwrap()
}

#[tokio::test]
async fn administrator_access_attached_to_a_project_role_is_detached() {
    // given: the project's notebook role with S3 read access and AdministratorAccess attached
    let (emulator, project, guardrail) = given_guardrail().await.unwrap();
    let role = &project.role_name;
    attach_role_policy(&emulator, role, READ_ONLY_S3).await.unwrap();
    attach_role_policy(&emulator, role, ADMINISTRATOR_ACCESS).await.unwrap();

    // when
    let summary = guardrail.handle(&administrator_attached(role)).await.unwrap();

    // then: AdministratorAccess is detached, the scoped policy stays
    assert_eq!(summary_outcomes(&summary), ["detach-role-policy applied"]);
    assert_eq!(attached(&emulator, role).await, [READ_ONLY_S3]);
}

#[tokio::test]
async fn an_inline_policy_allowing_every_action_on_a_project_role_is_deleted() {
    // given: the project's notebook role with a scoped inline policy and one allowing `*`
    let (emulator, project, guardrail) = given_guardrail().await.unwrap();
    let role = &project.role_name;
    let iam = emulator.iam();
    for (name, document) in [("alpha-read-data", READ_DATA), ("alpha-notebook-extra", EVERYTHING)] {
        iam.put_role_policy()
            .role_name(role)
            .policy_name(name)
            .policy_document(document)
            .send()
            .await
            .unwrap();
    }

    // when
    let summary = when_reported(
        &guardrail,
        "iam/api-put-role-policy-action-star.json",
        &[("/detail/requestParameters/roleName", role.as_str())],
    )
    .await;

    // then
    assert_eq!(summary_outcomes(&summary), ["delete-role-policy applied"]);
    assert_eq!(inline(&emulator, role).await, ["alpha-read-data"]);
}

#[tokio::test]
async fn a_role_outside_the_project_is_left_alone() {
    // given: a role without the project tag, with AdministratorAccess
    let emulator = Emulator::start().await.unwrap();
    ProjectNetwork::create(&emulator).await.unwrap();
    let guardrail = GuardrailUnderTest::start(&emulator).await.unwrap();
    create_notebook_role(&emulator, "platform-admin", None).await.unwrap();
    attach_role_policy(&emulator, "platform-admin", ADMINISTRATOR_ACCESS)
        .await
        .unwrap();

    // when
    let summary = guardrail
        .handle(&administrator_attached("platform-admin"))
        .await
        .unwrap();

    // then
    assert_eq!(summary.findings, 0);
    assert!(summary.actions.is_empty(), "{:?}", summary.actions);
    assert_eq!(attached(&emulator, "platform-admin").await, [ADMINISTRATOR_ACCESS]);
}

#[tokio::test]
async fn a_project_key_scheduled_for_deletion_with_rotation_off_gets_both_back() {
    // given: rotation was turned off on the project key, then its deletion scheduled
    let (emulator, project, guardrail) = given_guardrail().await.unwrap();
    let kms = emulator.kms();
    disable_key_rotation(&emulator, &project.key_id).await.unwrap();
    schedule_key_deletion(&emulator, &project.key_id).await;

    // when
    let summary = deletion_reported(&guardrail, &project.key_arn).await;

    // then: deletion cancelled first, then rotation on again
    assert_eq!(
        summary_outcomes(&summary),
        ["cancel-key-deletion applied", "enable-key-rotation applied"]
    );
    let meta = kms.describe_key().key_id(&project.key_id).send().await.unwrap();
    assert_eq!(meta.key_metadata().unwrap().key_state(), Some(&KeyState::Enabled));
    assert!(rotation(&emulator, &project.key_id).await);
}

#[tokio::test]
async fn a_customer_managed_policy_allowing_every_action_is_detached_from_a_project_role() {
    // given: a customer-managed policy allowing `*`, attached to the project's notebook role
    let (emulator, project, guardrail) = given_guardrail().await.unwrap();
    let policy = emulator
        .iam()
        .create_policy()
        .policy_name("alpha-everything")
        .policy_document(EVERYTHING)
        .send()
        .await
        .unwrap();
    let policy_arn = policy.policy().unwrap().arn().unwrap().to_owned();
    attach_role_policy(&emulator, &project.role_name, &policy_arn)
        .await
        .unwrap();
    attach_role_policy(&emulator, &project.role_name, READ_ONLY_S3)
        .await
        .unwrap();

    // when
    let summary = when_reported(
        &guardrail,
        "iam/api-attach-role-policy-administrator-access.json",
        &[
            ("/detail/requestParameters/roleName", project.role_name.as_str()),
            ("/detail/requestParameters/policyArn", policy_arn.as_str()),
        ],
    )
    .await;

    // then
    assert_eq!(summary_outcomes(&summary), ["detach-role-policy applied"]);
    assert_eq!(attached(&emulator, &project.role_name).await, [READ_ONLY_S3]);
}

#[tokio::test]
async fn a_project_role_is_governed_whatever_region_its_global_iam_events_come_from() {
    // given: a policy governing eu-west-1 only, where the project's notebooks run; the
    // project's notebook role gets AdministratorAccess (IAM is global: CloudTrail records the
    // call in us-east-1, as the fixture does)
    let (emulator, project, guardrail) = given_guardrail_on("version: 1\nscope:\n  regions: [eu-west-1]\n").await;
    attach_role_policy(&emulator, &project.role_name, ADMINISTRATOR_ACCESS)
        .await
        .unwrap();
    let event = administrator_attached(&project.role_name);
    assert_eq!(event["region"], "us-east-1");

    // when
    let summary = guardrail.handle(&event).await.unwrap();

    // then: the notebook role used in eu-west-1 loses AdministratorAccess
    assert_eq!(summary_outcomes(&summary), ["detach-role-policy applied"]);
    assert!(attached(&emulator, &project.role_name).await.is_empty());
}

/// when: CloudTrail reports the deletion of `key` (its id or ARN) scheduled.
async fn deletion_reported(guardrail: &GuardrailUnderTest, key: &str) -> Summary {
    let fields = [("/detail/requestParameters/keyId", key)];
    when_reported(guardrail, "kms/api-schedule-key-deletion.json", &fields).await
}
