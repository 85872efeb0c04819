//! Seeds a running emulator (at `AWS_ENDPOINT_URL`) for trying a function by hand with
//! `cargo lambda watch` / `cargo lambda invoke`: the notification topic, a flow-log role, a
//! project network and key, and the notebook that
//! `events/sagemaker/api-create-notebook-instance-direct-internet.json` names. Prints the
//! environment the function needs.

use std::error::Error;

use aws_sdk_ec2::types::{ResourceType, Tag as Ec2Tag, TagSpecification};
use aws_sdk_sagemaker::types::{DirectInternetAccess, InstanceType, RootAccess, Tag};

const NOTEBOOK: &str = "alpha-alice-direct-internet";
const ASSUME: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":["sagemaker.amazonaws.com","vpc-flow-logs.amazonaws.com"]},"Action":"sts:AssumeRole"}]}"#;

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let topic = aws_sdk_sns::Client::new(&sdk)
        .create_topic()
        .name("sagefence-notifications")
        .send()
        .await?;
    let iam = aws_sdk_iam::Client::new(&sdk);
    let role = iam
        .create_role()
        .role_name("sagefence-dev")
        .assume_role_policy_document(ASSUME)
        .send()
        .await?;
    let role_arn = role.role().map(|r| r.arn().to_owned()).ok_or("no role arn")?;

    let ec2 = aws_sdk_ec2::Client::new(&sdk);
    let tags = TagSpecification::builder()
        .resource_type(ResourceType::Vpc)
        .tags(Ec2Tag::builder().key("sagefence:project").value("alpha").build())
        .build();
    let vpc = ec2
        .create_vpc()
        .cidr_block("10.20.0.0/16")
        .tag_specifications(tags)
        .send()
        .await?;
    let vpc_id = vpc.vpc().and_then(|v| v.vpc_id()).ok_or("no vpc id")?;
    let subnet = ec2
        .create_subnet()
        .vpc_id(vpc_id)
        .cidr_block("10.20.1.0/24")
        .send()
        .await?;
    let subnet_id = subnet.subnet().and_then(|s| s.subnet_id()).ok_or("no subnet id")?;

    aws_sdk_sagemaker::Client::new(&sdk)
        .create_notebook_instance()
        .notebook_instance_name(NOTEBOOK)
        .instance_type(InstanceType::MlT3Medium)
        .role_arn(&role_arn)
        .subnet_id(subnet_id)
        .direct_internet_access(DirectInternetAccess::Enabled)
        .root_access(RootAccess::Disabled)
        .tags(Tag::builder().key("sagefence:project").value("alpha").build())
        .tags(Tag::builder().key("sagefence:owner").value("alice").build())
        .send()
        .await?;
    println!("export SAGEFENCE_TOPIC_ARN={}", topic.topic_arn().unwrap_or_default());
    println!("export SAGEFENCE_FLOW_LOG_ROLE_ARN={role_arn}");
    eprintln!(
        "seeded project VPC {vpc_id}, subnet {subnet_id} and notebook `{NOTEBOOK}` (InService, internet enabled)"
    );
    Ok(())
}
