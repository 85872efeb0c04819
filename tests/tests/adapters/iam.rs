//! The IAM adapter against the emulator: a role's policies judged, and the broad ones removed.

use aws_sdk_iam::types::Tag;
use sagefence_aws::ports::{PortErrorKind, Roles};
use sagefence_aws::IamAdapter;
use sagefence_core::model::{RolePolicy, ADMINISTRATOR_ACCESS};
use sagefence_tests::Emulator;

const ASSUME_SAGEMAKER: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"sagemaker.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
const EVERYTHING: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
const EVERYTHING_IN_A_LIST: &str =
    r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":["s3:GetObject","*"],"Resource":"*"}}"#;
const READ_BUCKET: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::data/*"}]}"#;

async fn create_policy(iam: &aws_sdk_iam::Client, name: &str, document: &str) -> String {
    let out = iam
        .create_policy()
        .policy_name(name)
        .policy_document(document)
        .send()
        .await
        .unwrap();
    out.policy().unwrap().arn().unwrap().to_owned()
}

fn policy(id: &str, managed: bool, excess: bool) -> (String, bool, bool) {
    (id.to_owned(), managed, excess)
}

fn sorted(policies: Vec<RolePolicy>) -> Vec<(String, bool, bool)> {
    let mut policies: Vec<(String, bool, bool)> = policies
        .into_iter()
        .map(|p| (p.id, p.managed, !p.excess.is_empty()))
        .collect();
    policies.sort();
    policies
}

#[tokio::test]
async fn role_policies_are_judged_and_broad_ones_removed() {
    let emulator = Emulator::start().await.unwrap();
    let iam = emulator.iam();
    let adapter = IamAdapter::new(emulator.iam());
    let role_arn = iam
        .create_role()
        .role_name("notebooks")
        .assume_role_policy_document(ASSUME_SAGEMAKER)
        .tags(Tag::builder().key("sagefence:project").value("fraud").build().unwrap())
        .send()
        .await
        .unwrap()
        .role()
        .unwrap()
        .arn()
        .to_owned();
    let broad = create_policy(&iam, "broad", EVERYTHING_IN_A_LIST).await;
    let narrow = create_policy(&iam, "narrow", READ_BUCKET).await;
    for arn in [ADMINISTRATOR_ACCESS, broad.as_str(), narrow.as_str()] {
        iam.attach_role_policy()
            .role_name("notebooks")
            .policy_arn(arn)
            .send()
            .await
            .unwrap();
    }
    for (name, document) in [("admin", EVERYTHING), ("read", READ_BUCKET)] {
        iam.put_role_policy()
            .role_name("notebooks")
            .policy_name(name)
            .policy_document(document)
            .send()
            .await
            .unwrap();
    }

    let role = adapter.role("notebooks").await.unwrap().unwrap();
    assert_eq!(role.name, "notebooks");
    assert_eq!(role.arn, role_arn);
    assert_eq!(role.tags.get("sagefence:project"), Some("fraud"));
    assert_eq!(sorted(role.policies), {
        let mut expected = vec![
            policy(ADMINISTRATOR_ACCESS, true, true),
            policy(&broad, true, true),
            policy(&narrow, true, false),
            policy("admin", false, true),
            policy("read", false, false),
        ];
        expected.sort();
        expected
    });

    adapter.detach_policy("notebooks", ADMINISTRATOR_ACCESS).await.unwrap();
    adapter.detach_policy("notebooks", &broad).await.unwrap();
    adapter.delete_inline_policy("notebooks", "admin").await.unwrap();
    let attached = iam
        .list_attached_role_policies()
        .role_name("notebooks")
        .send()
        .await
        .unwrap();
    let arns: Vec<&str> = attached
        .attached_policies()
        .iter()
        .filter_map(|p| p.policy_arn())
        .collect();
    assert_eq!(arns, [narrow.as_str()]);
    let inline = iam.list_role_policies().role_name("notebooks").send().await.unwrap();
    assert_eq!(inline.policy_names(), ["read"]);
    let role = adapter.role("notebooks").await.unwrap().unwrap();
    assert!(role.policies.iter().all(|p| p.excess.is_empty()), "{role:?}");

    let error = adapter.delete_inline_policy("notebooks", "admin").await.unwrap_err();
    assert_eq!(error.kind, PortErrorKind::NotFound, "{error}");
    let error = adapter.detach_policy("ghost", ADMINISTRATOR_ACCESS).await.unwrap_err();
    assert_eq!(error.kind, PortErrorKind::NotFound, "{error}");
    assert_eq!(adapter.role("ghost").await.unwrap(), None);
}
