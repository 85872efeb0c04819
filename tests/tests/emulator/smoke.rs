//! Smoke test: EC2, KMS, IAM and SageMaker calls through the real SDK against the emulator.

use aws_sdk_ec2::types::{ResourceType, Tag, TagSpecification};
use aws_sdk_kms::types::{KeyManagerType, KeySpec, KeyState, KeyUsageType};
use aws_sdk_sagemaker::types::{DirectInternetAccess, InstanceType, NotebookInstanceStatus, RootAccess};
use sagefence_tests::world::{create_security_group, create_subnet, describe_notebook};
use sagefence_tests::Emulator;

const ASSUME_SAGEMAKER: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"sagemaker.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

#[tokio::test]
async fn locked_down_notebook_in_private_subnet_with_customer_key() {
    let emulator = Emulator::start().await.unwrap();
    let ec2 = emulator.ec2();
    let kms = emulator.kms();
    let iam = emulator.iam();
    let sagemaker = emulator.sagemaker();

    let vpc = ec2
        .create_vpc()
        .cidr_block("10.42.0.0/16")
        .tag_specifications(
            TagSpecification::builder()
                .resource_type(ResourceType::Vpc)
                .tags(Tag::builder().key("Name").value("sagefence-smoke").build())
                .build(),
        )
        .send()
        .await
        .unwrap();
    let vpc_id = vpc.vpc().and_then(|v| v.vpc_id()).unwrap().to_owned();
    let subnet_id = create_subnet(&emulator, &vpc_id, "10.42.1.0/24").await.unwrap();
    let group_id = create_security_group(&emulator, &vpc_id, "sagefence-notebooks")
        .await
        .unwrap();

    let subnets = ec2.describe_subnets().subnet_ids(&subnet_id).send().await.unwrap();
    let described_subnet = &subnets.subnets()[0];
    assert_eq!(described_subnet.vpc_id(), Some(vpc_id.as_str()));
    assert_eq!(described_subnet.cidr_block(), Some("10.42.1.0/24"));
    assert_eq!(described_subnet.availability_zone(), Some("eu-west-1a"));

    let key = kms
        .create_key()
        .description("sagefence notebook volumes")
        .key_usage(KeyUsageType::EncryptDecrypt)
        .key_spec(KeySpec::SymmetricDefault)
        .send()
        .await
        .unwrap();
    let key_arn = key.key_metadata().map(|m| m.arn().unwrap().to_owned()).unwrap();
    let key_meta = kms.describe_key().key_id(&key_arn).send().await.unwrap();
    let key_meta = key_meta.key_metadata().unwrap();
    assert_eq!(key_meta.key_manager(), Some(&KeyManagerType::Customer));
    assert_eq!(key_meta.key_spec(), Some(&KeySpec::SymmetricDefault));
    assert_eq!(key_meta.key_state(), Some(&KeyState::Enabled));
    assert!(key_arn.starts_with("arn:aws:kms:eu-west-1:"), "{key_arn}");

    let role = iam
        .create_role()
        .role_name("sagefence-notebook")
        .assume_role_policy_document(ASSUME_SAGEMAKER)
        .send()
        .await
        .unwrap();
    let role_arn = role.role().unwrap().arn().to_owned();

    let created = sagemaker
        .create_notebook_instance()
        .notebook_instance_name("smoke-locked")
        .instance_type(InstanceType::MlT3Medium)
        .role_arn(&role_arn)
        .subnet_id(&subnet_id)
        .security_group_ids(&group_id)
        .kms_key_id(&key_arn)
        .direct_internet_access(DirectInternetAccess::Disabled)
        .root_access(RootAccess::Disabled)
        .send()
        .await
        .unwrap();
    let notebook_arn = created.notebook_instance_arn().unwrap();
    assert!(
        notebook_arn.ends_with(":notebook-instance/smoke-locked"),
        "{notebook_arn}"
    );

    let notebook = describe_notebook(&emulator, "smoke-locked").await.unwrap();
    assert_eq!(notebook.notebook_instance_arn(), Some(notebook_arn));
    assert_eq!(
        notebook.notebook_instance_status(),
        Some(&NotebookInstanceStatus::InService)
    );
    assert_eq!(notebook.subnet_id(), Some(subnet_id.as_str()));
    assert_eq!(notebook.security_groups(), std::slice::from_ref(&group_id));
    assert_eq!(notebook.kms_key_id(), Some(key_arn.as_str()));
    assert_eq!(notebook.role_arn(), Some(role_arn.as_str()));
    assert_eq!(notebook.direct_internet_access(), Some(&DirectInternetAccess::Disabled));
    assert_eq!(notebook.root_access(), Some(&RootAccess::Disabled));
    assert_eq!(notebook.instance_type(), Some(&InstanceType::MlT3Medium));
}
