//! `make demo`: the provisioner, then the guardrail, on the local emulator. First a project
//! environment and a notebook's access are provisioned through the provisioner's
//! CloudFormation custom resources (a local HTTP server standing in for the ResponseURL). Then
//! the guardrail: a project network, then three stories
//! told through the real guardrail handler and SDK adapters, each step an EventBridge event:
//! a notebook launched with internet access is stopped when it comes up; a running notebook
//! with root access is fixed in place and started again; an internet gateway attached to the
//! project VPC is removed. Ends with the audit trail: the records through the audit-shipper
//! into S3 and Security Hub, and `sagefence audit verify` passing on the bucket.

use std::error::Error;

use sagefence_tests::audit::{AuditTrail, TRAIL_BUCKET, TRAIL_PREFIX};
use sagefence_tests::events::{notebook_call_event, notebook_state_event, EventTemplate};
use sagefence_tests::guardrail::GuardrailUnderTest;
use sagefence_tests::provisioner::{CfnRequest, ProvisionerUnderTest, ResponseServer};
use sagefence_tests::world::ProjectNetwork;
use sagefence_tests::Emulator;
use serde_json::{json, Value};

/// Provisions a project environment and a notebook's access, printing what was made.
#[allow(
    clippy::indexing_slicing,
    reason = "indexing a serde_json::Value yields Null, it never panics"
)]
async fn provision(emulator: &Emulator) -> Result<(), Box<dyn Error>> {
    println!("== the provisioner: a Service Catalog launch of the project environment, then a notebook");
    let server = ResponseServer::start().await?;
    let provisioner = ProvisionerUnderTest::new(emulator);
    let answer = |name: &'static str| {
        let server = &server;
        async move {
            server
                .next(std::time::Duration::from_secs(5))
                .await
                .map(|a| a.body)
                .ok_or_else(|| format!("no answer to `{name}`"))
        }
    };
    let environment = CfnRequest::create(
        "Custom::ProjectEnvironment",
        "Environment",
        "demo-environment",
        &server.url("demo-environment"),
        json!({ "ProjectName": "demo", "EnvType": "dev", "AzCount": "2" }),
    );
    let report = provisioner.handle(&environment).await?;
    for step in &report.steps {
        println!("   {step}");
    }
    let made = answer("demo-environment").await?;
    println!("   -> {}: {}", made["Status"], made["PhysicalResourceId"]);
    print_data(
        &made,
        &[
            "VpcId",
            "VpcCidr",
            "SubnetIds",
            "SecurityGroupId",
            "KmsKeyArn",
            "DataBucket",
            "UserRoleArn",
        ],
    );
    let notebook = notebook_access(&server, "demo-notebook", "alice", "ml.t3.medium");
    let report = provisioner.handle(&notebook).await?;
    for step in &report.steps {
        println!("   {step}");
    }
    let access = answer("demo-notebook").await?;
    println!("   -> {}: notebook placement", access["Status"]);
    print_data(
        &access,
        &[
            "RoleArn",
            "SubnetId",
            "SecurityGroupId",
            "KmsKeyId",
            "LifecycleConfigName",
        ],
    );
    let refused = notebook_access(&server, "demo-refused", "bob", "ml.p4d.24xlarge");
    provisioner.handle(&refused).await?;
    let refusal = answer("demo-refused").await?;
    println!(
        "   a notebook on ml.p4d.24xlarge -> {}: {}",
        refusal["Status"], refusal["Reason"]
    );
    println!();
    Ok(())
}

/// Prints these fields of an answer's `Data`.
fn print_data(answer: &Value, keys: &[&str]) {
    for key in keys {
        let value = answer.pointer(&format!("/Data/{key}")).and_then(Value::as_str);
        println!("      {key:<20} {}", value.unwrap_or("?"));
    }
}

/// A `Custom::NotebookAccess` create request of project `demo` for `owner`.
fn notebook_access(server: &ResponseServer, id: &str, owner: &str, instance_type: &str) -> CfnRequest {
    CfnRequest::create(
        "Custom::NotebookAccess",
        "Access",
        id,
        &server.url(id),
        json!({
            "ProjectName": "demo", "OwnerUserName": owner, "OwnerEmail": format!("{owner}@example.com"),
            "InstanceType": instance_type,
        }),
    )
}

async fn step(guardrail: &GuardrailUnderTest, what: &str, event: &Value) -> Result<(), Box<dyn Error>> {
    println!("   event: {what}");
    let summary = guardrail.handle(event).await?;
    if summary.actions.is_empty() {
        println!(
            "     -> nothing to do ({} findings, {} failed)",
            summary.findings, summary.failed
        );
    }
    for action in &summary.actions {
        println!("     -> {}: {}", action.action, action.outcome.name());
    }
    Ok(())
}

async fn show_notebook(emulator: &Emulator, name: &str) -> Result<(), Box<dyn Error>> {
    let sagemaker = emulator.sagemaker();
    let described = sagemaker
        .describe_notebook_instance()
        .notebook_instance_name(name)
        .send()
        .await;
    match described {
        Ok(n) => {
            let arn = n.notebook_instance_arn().unwrap_or_default();
            let tags = sagemaker.list_tags().resource_arn(arn).send().await?;
            let ours: Vec<String> = tags
                .tags()
                .iter()
                .filter(|t| {
                    t.key().is_some_and(|k| {
                        k.starts_with("sagefence:") && k != "sagefence:project" && k != "sagefence:owner"
                    })
                })
                .map(|t| format!("{}={}", t.key().unwrap_or_default(), t.value().unwrap_or_default()))
                .collect();
            println!(
                "   notebook `{name}`: {}, RootAccess {}, DirectInternetAccess {}, sagefence tags [{}]",
                n.notebook_instance_status().map(|s| s.as_str()).unwrap_or("?"),
                n.root_access().map(|r| r.as_str()).unwrap_or("?"),
                n.direct_internet_access().map(|d| d.as_str()).unwrap_or("?"),
                ours.join(", ")
            );
        }
        Err(_) => println!("   notebook `{name}`: gone"),
    }
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    println!("== the local AWS emulator (moto, with sagefence's SageMaker gaps filled) and a project network");
    let emulator = Emulator::start().await?;
    provision(&emulator).await?;
    let network = ProjectNetwork::create(&emulator).await?;
    let guardrail = GuardrailUnderTest::start(&emulator).await?;
    println!(
        "   project VPC {} (no internet gateway), subnet {}, project key {}",
        network.vpc_id, network.subnet_id, network.key_id
    );

    println!("\n== 1. alice launches a notebook with direct internet access");
    let open = "alpha-alice-open";
    emulator.set_notebook_initial_status("Pending").await?;
    let arn = network.notebook(open).with_direct_internet().create(&emulator).await?;
    let create = notebook_call_event(
        "sagemaker/api-create-notebook-instance-direct-internet.json",
        open,
        &arn,
    )?;
    step(
        &guardrail,
        "CreateNotebookInstance (the notebook is still Pending)",
        &create,
    )
    .await?;
    show_notebook(&emulator, open).await?;
    emulator.set_notebook_status(open, "InService").await?;
    step(
        &guardrail,
        "state change: InService",
        &notebook_state_event(open, &arn, "InService")?,
    )
    .await?;
    step(
        &guardrail,
        "state change: Stopped",
        &notebook_state_event(open, &arn, "Stopped")?,
    )
    .await?;
    step(
        &guardrail,
        "the same Stopped event again (EventBridge may deliver twice)",
        &notebook_state_event(open, &arn, "Stopped")?,
    )
    .await?;
    show_notebook(&emulator, open).await?;

    println!("\n== 2. a running notebook with root access is fixed in place");
    emulator.set_notebook_initial_status("InService").await?;
    let rooted = "alpha-alice-root";
    let arn = network.notebook(rooted).with_root_access().create(&emulator).await?;
    show_notebook(&emulator, rooted).await?;
    step(
        &guardrail,
        "state change: InService",
        &notebook_state_event(rooted, &arn, "InService")?,
    )
    .await?;
    show_notebook(&emulator, rooted).await?;
    step(
        &guardrail,
        "state change: Stopped",
        &notebook_state_event(rooted, &arn, "Stopped")?,
    )
    .await?;
    show_notebook(&emulator, rooted).await?;

    println!("\n== 3. someone attaches an internet gateway to the project VPC");
    let ec2 = emulator.ec2();
    let gateway = ec2.create_internet_gateway().send().await?;
    let gateway_id = gateway
        .internet_gateway()
        .and_then(|g| g.internet_gateway_id())
        .ok_or("no gateway id")?
        .to_owned();
    ec2.attach_internet_gateway()
        .internet_gateway_id(&gateway_id)
        .vpc_id(&network.vpc_id)
        .send()
        .await?;
    let attach = EventTemplate::load("ec2/api-attach-internet-gateway.json")?
        .set("/detail/requestParameters/internetGatewayId", gateway_id.as_str())?
        .set("/detail/requestParameters/vpcId", network.vpc_id.as_str())?
        .build();
    step(&guardrail, "AttachInternetGateway", &attach).await?;
    let left = ec2
        .describe_internet_gateways()
        .internet_gateway_ids(&gateway_id)
        .send()
        .await;
    let remaining = left.map(|l| l.internet_gateways().len()).unwrap_or(0);
    println!(
        "   internet gateway {gateway_id}: {}",
        if remaining == 0 {
            "detached and deleted"
        } else {
            "still there"
        }
    );

    let records = guardrail.audit_records()?;
    let notifications = guardrail.notifications().await?;
    println!(
        "\n== evidence: {} audit records (SAGEFENCE_AUDIT JSON lines), {} SNS notifications to owners and security",
        records.len(),
        notifications.len()
    );
    show_audit_trail(&emulator, &records).await?;
    Ok(())
}

/// The audit-shipper on what the demo recorded: each record through the audit queue (as the
/// functions send them when `SAGEFENCE_AUDIT_QUEUE_URL` is set), into the digest-chained trail
/// on S3 and Security Hub; then `sagefence audit verify --bucket` on the trail.
async fn show_audit_trail(emulator: &Emulator, records: &[Value]) -> Result<(), Box<dyn Error>> {
    println!("\n== the audit-shipper: the queue -> OCSF trail on S3 (SSE-KMS, digest chain) and Security Hub");
    let trail = AuditTrail::create(emulator).await?;
    for record in records {
        trail
            .sqs
            .send_message()
            .queue_url(&trail.queue_url)
            .message_body(record.to_string())
            .send()
            .await?;
    }
    let delivered = trail.ship_queue().await?;
    println!(
        "   {} records queued, shipped in {} SQS batches",
        records.len(),
        delivered.len()
    );
    let objects = trail.chain_objects().await?;
    for (key, bytes) in objects.iter().take(4) {
        println!("   s3://{TRAIL_BUCKET}/{key} ({} bytes)", bytes.len());
    }
    if objects.len() > 4 {
        println!("   ... {} objects in all", objects.len());
    }
    let ocsf = trail.records().await?;
    let mut classes: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
    for record in &ocsf {
        *classes
            .entry(format!(
                "{} ({})",
                record["class_name"].as_str().unwrap_or("?"),
                record["class_uid"]
            ))
            .or_default() += 1;
    }
    for (class, count) in &classes {
        println!("   {count:>3} x OCSF {class}");
    }
    for record in ocsf.iter().filter(|r| r["class_uid"] == 7001).take(3) {
        println!(
            "   e.g. {} {}: {} ({})",
            record["activity_name"].as_str().unwrap_or("?"),
            record["command_uid"].as_str().unwrap_or("?"),
            record["status"].as_str().unwrap_or("?"),
            record["message"].as_str().unwrap_or("?"),
        );
    }
    let findings = trail.findings().await?;
    let failed = findings
        .iter()
        .filter(|f| f.compliance().and_then(|c| c.status()).map(|s| s.as_str()) == Some("FAILED"))
        .count();
    println!("   Security Hub: {} findings (ASFF), {failed} FAILED", findings.len());

    let cli = std::env::current_exe()?
        .parent()
        .and_then(|examples| examples.parent())
        .map(|dir| dir.join("sagefence"))
        .ok_or("no target directory")?;
    // The heads the shipper published in its log group, as `aws logs filter-log-events` exports them.
    let heads = std::env::temp_dir().join(format!("sagefence-demo-heads-{}.log", std::process::id()));
    std::fs::write(&heads, trail.published_heads())?;
    let heads = heads.to_string_lossy().into_owned();
    println!(
        "\n== sagefence audit verify --bucket {TRAIL_BUCKET} --prefix {TRAIL_PREFIX} --key-id {} --heads {heads}",
        trail.signing_key_arn
    );
    let status = std::process::Command::new(&cli)
        .args(["audit", "verify", "--bucket", TRAIL_BUCKET, "--prefix", TRAIL_PREFIX])
        .args(["--key-id", &trail.signing_key_arn, "--heads", &heads])
        .env("AWS_ENDPOINT_URL", emulator.endpoint_url())
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", sagefence_tests::REGION)
        .status()
        .map_err(|e| format!("cannot run {} (`make demo` builds it): {e}", cli.display()))?;
    if !status.success() {
        return Err(format!("`sagefence audit verify` failed: {status}").into());
    }
    Ok(())
}
