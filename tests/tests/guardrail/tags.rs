//! The guardrail on tag changes and project binding, end to end on the emulator: sagefence's
//! tags (`sagefence:*`, the project tag) changed by anyone else are set back where their value
//! can be re-derived, and reported (a FAILED `tags-protected` finding, a notification) where it
//! cannot; a notebook placed on another project's subnet, key or role is stopped.

use crate::{given_running, in_service, state, when_reported};
use sagefence_guardrail::Summary;
use sagefence_tests::guardrail::{given_guardrail, summary_outcomes, GuardrailUnderTest};
use sagefence_tests::records::records_of;
use sagefence_tests::world::{create_key, create_notebook_role, create_subnet, create_vpc, ProjectNetwork};
use sagefence_tests::Emulator;
use serde_json::Value;

const PROJECT_TAG: &str = "sagefence:project";

/// The `tags-protected` findings that failed, by resource name, with their reasons.
fn tampering(records: &[Value]) -> Vec<(String, String)> {
    records_of(records, "finding")
        .into_iter()
        .filter(|r| {
            r["subject"]["finding"]["rule"] == "tags-protected" && r["subject"]["finding"]["status"] == "FAILED"
        })
        .map(|r| {
            (
                r["subject"]["finding"]["resource"]["name"].as_str().unwrap().to_owned(),
                r["subject"]["finding"]["reason"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// when: CloudTrail reports an AddTags call setting `key` to `value` on the SageMaker resource
/// `arn`; the summary.
async fn tags_added(guardrail: &GuardrailUnderTest, arn: &str, key: &str, value: &str) -> Summary {
    let fields = [
        ("/detail/requestParameters/resourceArn", arn),
        ("/detail/requestParameters/tags/0/key", key),
        ("/detail/requestParameters/tags/0/value", value),
    ];
    when_reported(guardrail, "sagemaker/api-add-tags-project.json", &fields).await
}

async fn sagemaker_tag(emulator: &Emulator, arn: &str, key: &str, value: &str) {
    let tag = aws_sdk_sagemaker::types::Tag::builder().key(key).value(value).build();
    emulator
        .sagemaker()
        .add_tags()
        .resource_arn(arn)
        .tags(tag)
        .send()
        .await
        .unwrap();
}

async fn vpc_project(emulator: &Emulator, vpc_id: &str) -> Option<String> {
    let out = emulator.ec2().describe_vpcs().vpc_ids(vpc_id).send().await.unwrap();
    out.vpcs()[0]
        .tags()
        .iter()
        .find(|t| t.key() == Some(PROJECT_TAG))
        .and_then(|t| t.value().map(str::to_owned))
}

#[tokio::test]
async fn another_projects_tag_on_a_notebook_is_set_back_and_the_notebook_keeps_running() {
    // given: alpha's running notebook, which a user of beta re-tags as beta's (to open it)
    let (emulator, project, guardrail) = given_guardrail().await.unwrap();
    let arn = given_running(&emulator, &project.notebook("alpha-nb")).await;
    sagemaker_tag(&emulator, &arn, PROJECT_TAG, "beta").await;

    // when: CloudTrail reports the AddTags call
    let summary = tags_added(&guardrail, &arn, PROJECT_TAG, "beta").await;

    // then: the project tag names alpha again (the project of its subnet), nothing is stopped,
    // the change is recorded with who made it, and people are told
    assert_eq!(summary_outcomes(&summary), ["tag applied", "notify applied"]);
    let now = state(&emulator, "alpha-nb").await;
    assert_eq!(now.tags.get(PROJECT_TAG).map(String::as_str), Some("alpha"));
    assert_eq!(now.status, "InService");
    let records = guardrail.take_audit_records().unwrap();
    let found = tampering(&records);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0]
            .1
            .contains("`AddTags` by `arn:aws:sts::111122223333:assumed-role/sagefence-alpha-user/alice`"),
        "{}",
        found[0].1
    );
    assert!(found[0].1.contains("`sagefence:project`=`alpha`"), "{}", found[0].1);
    assert_eq!(guardrail.notifications().await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_remedy_tag_added_by_a_user_is_removed() {
    // given: a compliant running notebook, on which a user writes `sagefence:remedy=delete`
    let (emulator, project, guardrail) = given_guardrail().await.unwrap();
    let arn = given_running(&emulator, &project.notebook("alpha-nb")).await;
    sagemaker_tag(&emulator, &arn, "sagefence:remedy", "delete").await;

    // when
    let summary = tags_added(&guardrail, &arn, "sagefence:remedy", "delete").await;

    // then
    assert_eq!(summary_outcomes(&summary), ["untag applied", "notify applied"]);
    let now = state(&emulator, "alpha-nb").await;
    assert!(now.sagefence_tags().is_empty(), "{:?}", now.tags);
    assert_eq!(now.status, "InService");
}

#[tokio::test]
async fn a_project_vpc_untagged_by_value_is_tagged_again() {
    // given: a user removes the project tag from the project VPC, naming its value
    let (emulator, project, guardrail) = given_guardrail().await.unwrap();
    let ec2 = emulator.ec2();
    let tag = aws_sdk_ec2::types::Tag::builder()
        .key(PROJECT_TAG)
        .value("alpha")
        .build();
    ec2.delete_tags()
        .resources(&project.vpc_id)
        .tags(tag)
        .send()
        .await
        .unwrap();
    assert_eq!(vpc_project(&emulator, &project.vpc_id).await, None);

    // when
    let summary = when_reported(
        &guardrail,
        "ec2/api-delete-tags-project.json",
        &[
            (
                "/detail/requestParameters/resourcesSet/items/0/resourceId",
                &project.vpc_id,
            ),
            ("/detail/requestParameters/tagSet/items/0/key", PROJECT_TAG),
        ],
    )
    .await;
    // (the fixture names no value: CloudTrail records one only when the caller gave it)
    let records = guardrail.take_audit_records().unwrap();
    let found = tampering(&records);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].1.contains("cannot be re-derived"), "{}", found[0].1);
    assert_eq!(summary_outcomes(&summary), ["notify applied"]);

    // when: the same call, recorded with the value the caller named
    let event = sagefence_tests::events::EventTemplate::load("ec2/api-delete-tags-project.json")
        .unwrap()
        .set(
            "/detail/requestParameters/resourcesSet/items/0/resourceId",
            project.vpc_id.as_str(),
        )
        .unwrap()
        .insert("/detail/requestParameters/tagSet/items/0", "value", "alpha")
        .unwrap()
        .build();
    let summary = guardrail.handle(&event).await.unwrap();

    // then: tagged again, and governed again (the VPC's rules evaluated)
    assert_eq!(summary_outcomes(&summary)[..2], ["tag applied", "notify applied"]);
    assert_eq!(vpc_project(&emulator, &project.vpc_id).await.as_deref(), Some("alpha"));
    assert!(summary.findings > 1, "{summary:?}");
}

#[tokio::test]
async fn a_project_key_or_role_losing_its_project_is_reported() {
    // given: a user removes the project tag of the project key, and re-tags the project role
    let (emulator, project, guardrail) = given_guardrail().await.unwrap();
    emulator
        .kms()
        .untag_resource()
        .key_id(&project.key_id)
        .tag_keys(PROJECT_TAG)
        .send()
        .await
        .unwrap();

    // when
    let key = when_reported(
        &guardrail,
        "kms/api-untag-resource-project.json",
        &[("/detail/requestParameters/keyId", &project.key_arn)],
    )
    .await;
    let role = when_reported(
        &guardrail,
        "iam/api-tag-role-project.json",
        &[("/detail/requestParameters/roleName", &project.role_name)],
    )
    .await;

    // then: each is a FAILED finding, told, not an exit from governance
    assert_eq!(summary_outcomes(&key), ["notify applied"]);
    assert_eq!(summary_outcomes(&role), ["notify applied"]);
    let records = guardrail.take_audit_records().unwrap();
    let found = tampering(&records);
    let names: Vec<&str> = found.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names, [project.key_id.as_str(), project.role_name.as_str()]);
    assert_eq!(guardrail.notifications().await.unwrap().len(), 2);
}

#[tokio::test]
async fn a_tag_change_outside_sagefences_keys_is_left_alone() {
    let (emulator, project, guardrail) = given_guardrail().await.unwrap();
    let arn = given_running(&emulator, &project.notebook("alpha-nb")).await;
    let summary = tags_added(&guardrail, &arn, "team", "fraud").await;
    assert_eq!(summary.disposition, "ignored");
    assert!(summary.actions.is_empty());
}

/// A second project, beta: a VPC with a subnet, a key and a notebook role, all tagged beta.
async fn beta(emulator: &Emulator) -> (String, String, String) {
    let vpc = create_vpc(emulator, "10.43.0.0/16", Some("beta")).await.unwrap();
    let subnet = create_subnet(emulator, &vpc, "10.43.1.0/24").await.unwrap();
    let (_, key_arn) = create_key(emulator, Some("beta"), true).await.unwrap();
    let role = create_notebook_role(emulator, "sagefence-project-beta-notebook-bob", Some("beta"))
        .await
        .unwrap();
    (subnet, key_arn, role)
}

/// Puts one of project beta's resources into a notebook's spec.
type Place = fn(&mut sagefence_tests::world::NotebookSpec, &str);

#[tokio::test]
async fn a_notebook_on_another_projects_subnet_key_or_role_is_stopped() {
    let (emulator, project, guardrail) = given_guardrail().await.unwrap();
    let (subnet, key, role) = beta(&emulator).await;
    let cases: [(&str, Place, &str, &str); 3] = [
        (
            "on-beta-subnet",
            |n, v| n.subnet_id = Some(v.to_owned()),
            subnet.as_str(),
            "notebook-in-project-vpc",
        ),
        (
            "on-beta-key",
            |n, v| n.kms_key_id = Some(v.to_owned()),
            key.as_str(),
            "notebook-kms-encrypted",
        ),
        (
            "as-beta-role",
            |n, v| n.role_arn = v.to_owned(),
            role.as_str(),
            "notebook-role-in-project",
        ),
    ];
    for (name, place, value, rule) in cases {
        let mut spec = project.notebook(name);
        place(&mut spec, value);
        let arn = given_running(&emulator, &spec).await;
        let summary = in_service(&guardrail, name, &arn).await;
        // on B's subnet, its project tag no longer names the project it runs in: reported too
        let mut expected = vec!["tag applied", "stop-notebook-instance applied"];
        if name == "on-beta-subnet" {
            expected.push("notify applied");
        }
        assert_eq!(summary_outcomes(&summary), expected, "{name}");
        let now = state(&emulator, name).await;
        assert_eq!(now.status, "Stopped", "{name}");
        assert_eq!(
            now.tags.get("sagefence:violation").map(String::as_str),
            Some(rule),
            "{name}"
        );
    }
    let _: &ProjectNetwork = &project;
}
