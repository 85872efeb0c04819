//! `make demo`: a project network and three notebooks on the local emulator, each described
//! back through the SDK and evaluated online against the built-in policy, with the remedies
//! the planner would apply.

use std::error::Error;

use aws_sdk_ec2::types::{ResourceType, Tag as Ec2Tag, TagSpecification};
use aws_sdk_sagemaker::types::{DirectInternetAccess, InstanceType, RootAccess, Tag};
use sagefence::{evaluate, plan, Facts, Policy};
use sagefence_tests::Emulator;

const ASSUME_SAGEMAKER: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"sagemaker.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

struct Notebook<'a> {
    name: &'a str,
    subnet: Option<&'a str>,
    key: Option<&'a str>,
    direct_internet: DirectInternetAccess,
    root: RootAccess,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    println!("== starting the local AWS emulator (moto, with sagefence's SageMaker gaps filled)");
    let emulator = Emulator::start().await?;
    let (ec2, kms, iam, sagemaker) = (emulator.ec2(), emulator.kms(), emulator.iam(), emulator.sagemaker());

    let project_vpc = create_vpc(&ec2, "10.20.0.0/16", "alpha").await?;
    let project_subnet = create_subnet(&ec2, &project_vpc, "10.20.1.0/24").await?;
    let other_vpc = create_vpc(&ec2, "10.99.0.0/16", "").await?;
    let other_subnet = create_subnet(&ec2, &other_vpc, "10.99.1.0/24").await?;
    let key = kms.create_key().description("project alpha").send().await?;
    let key_arn = key.key_metadata().and_then(|m| m.arn()).ok_or("no key arn")?.to_owned();
    let role = iam
        .create_role()
        .role_name("sagefence-alpha-notebook-alice")
        .assume_role_policy_document(ASSUME_SAGEMAKER)
        .send()
        .await?;
    let role_arn = role.role().map(|r| r.arn().to_owned()).ok_or("no role arn")?;
    println!("   project VPC {project_vpc} (subnet {project_subnet}), other VPC {other_vpc}, key {key_arn}");

    let notebooks = [
        Notebook {
            name: "alpha-alice-compliant",
            subnet: Some(&project_subnet),
            key: Some(&key_arn),
            direct_internet: DirectInternetAccess::Disabled,
            root: RootAccess::Disabled,
        },
        Notebook {
            name: "alpha-bob-open",
            subnet: None,
            key: None,
            direct_internet: DirectInternetAccess::Enabled,
            root: RootAccess::Enabled,
        },
        Notebook {
            name: "alpha-carol-wrong-vpc",
            subnet: Some(&other_subnet),
            key: Some(&key_arn),
            direct_internet: DirectInternetAccess::Disabled,
            root: RootAccess::Enabled,
        },
    ];
    for n in &notebooks {
        sagemaker
            .create_notebook_instance()
            .notebook_instance_name(n.name)
            .instance_type(InstanceType::MlT3Medium)
            .role_arn(&role_arn)
            .set_subnet_id(n.subnet.map(str::to_owned))
            .set_kms_key_id(n.key.map(str::to_owned))
            .direct_internet_access(n.direct_internet.clone())
            .root_access(n.root.clone())
            .tags(Tag::builder().key("sagefence:project").value("alpha").build())
            .tags(Tag::builder().key("sagefence:owner").value("alice").build())
            .send()
            .await?;
    }

    // What the guardrail resolves online: project subnets and the project key.
    let facts = Facts {
        online: true,
        project_subnets: [project_subnet.clone()].into(),
        project_keys: [key_arn.clone()].into(),
    };
    let policy = Policy::builtin();
    for n in &notebooks {
        let described = sagemaker
            .describe_notebook_instance()
            .notebook_instance_name(n.name)
            .send()
            .await?;
        let arn = described.notebook_instance_arn().ok_or("no notebook arn")?;
        let listed = sagemaker.list_tags().resource_arn(arn).send().await?;
        let notebook = sagefence::aws::notebook_instance(&described, sagefence::aws::tags(listed.tags()))?;
        let resource = sagefence::Resource::NotebookInstance(notebook);
        let findings = evaluate(&policy, &resource, Some("eu-west-1"), &facts, chrono::Utc::now());
        let actions = plan(&policy, &resource, &findings);
        println!(
            "\n== notebook `{}` ({:?})",
            n.name,
            described.notebook_instance_status()
        );
        for f in &findings {
            let status = serde_json::to_value(f.status)?;
            println!(
                "   {:<15} {:<35} {}",
                status.as_str().unwrap_or_default(),
                f.rule,
                f.reason
            );
        }
        for a in &actions {
            let action = serde_json::to_value(&a.action)?;
            println!(
                "   -> {} {} ({})",
                a.mode,
                action.get("type").and_then(|t| t.as_str()).unwrap_or_default(),
                a.reason
            );
        }
    }
    Ok(())
}

async fn create_vpc(ec2: &aws_sdk_ec2::Client, cidr: &str, project: &str) -> Result<String, Box<dyn Error>> {
    let mut tags = TagSpecification::builder().resource_type(ResourceType::Vpc);
    if !project.is_empty() {
        tags = tags.tags(Ec2Tag::builder().key("sagefence:project").value(project).build());
    }
    let vpc = ec2
        .create_vpc()
        .cidr_block(cidr)
        .tag_specifications(tags.build())
        .send()
        .await?;
    Ok(vpc.vpc().and_then(|v| v.vpc_id()).ok_or("no vpc id")?.to_owned())
}

async fn create_subnet(ec2: &aws_sdk_ec2::Client, vpc: &str, cidr: &str) -> Result<String, Box<dyn Error>> {
    let subnet = ec2
        .create_subnet()
        .vpc_id(vpc)
        .cidr_block(cidr)
        .availability_zone("eu-west-1a")
        .send()
        .await?;
    Ok(subnet
        .subnet()
        .and_then(|s| s.subnet_id())
        .ok_or("no subnet id")?
        .to_owned())
}
