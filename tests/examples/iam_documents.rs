//! The IAM documents the provisioner makes, as it makes them: three project environments
//! (`alpha`, `beta` and `alpha-x`, whose name starts with `alpha`) and one notebook access each
//! are built on the emulator, then every project role (trust policy, boundary, tags, inline
//! policies), every project key policy and every project bucket policy is read back from the
//! emulator and written as one JSON document (the attack suite's input, `tests/attacks/`).
//!
//! `make attacks-documents` builds and runs it (`iam_documents <out.json>`).

use std::collections::BTreeMap;
use std::error::Error;
use std::time::Duration;

use sagefence_core::Policy;
use sagefence_tests::provisioner::{test_settings, CfnRequest, ProvisionerUnderTest, ResponseServer};
use sagefence_tests::Emulator;
use serde_json::{json, Value};

/// The boundary's name in the emulator; the attack suite pairs it with the template's document.
const BOUNDARY: &str = "ProjectRoleBoundary";
const PROJECTS: [(&str, &str); 3] = [("alpha", "alice"), ("beta", "bob"), ("alpha-x", "xavier")];

fn decoded(text: &str) -> Result<Value, Box<dyn Error>> {
    let text = if text.starts_with('%') || text.contains("%7B") {
        sagefence_core::model::percent_decode(text)
    } else {
        text.to_owned()
    };
    Ok(serde_json::from_str(&text)?)
}

async fn answer(
    provisioner: &ProvisionerUnderTest,
    server: &ResponseServer,
    kind: &str,
    id: &str,
    properties: Value,
) -> Result<Value, Box<dyn Error>> {
    let request = CfnRequest::create(kind, "Resource", id, &server.url(id), properties);
    provisioner.handle(&request).await?;
    let answer = server.next(Duration::from_secs(10)).await.ok_or("no answer")?.body;
    match (answer.get("Status"), answer.get("Data")) {
        (Some(status), Some(data)) if status == "SUCCESS" => Ok(data.clone()),
        _ => Err(format!("{kind} `{id}` failed: {answer}").into()),
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let out = std::env::args().nth(1).ok_or("usage: iam_documents <out.json>")?;
    let emulator = Emulator::start().await?;
    let iam = emulator.iam();
    let boundary = iam
        .create_policy()
        .policy_name(BOUNDARY)
        .policy_document(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sagemaker:*","Resource":"*"}]}"#,
        )
        .send()
        .await?;
    let boundary_arn = boundary
        .policy()
        .and_then(|p| p.arn())
        .ok_or("no boundary arn")?
        .to_owned();
    let mut settings = test_settings();
    settings.permissions_boundary_arn = Some(boundary_arn.clone());
    let provisioner = ProvisionerUnderTest::with(&emulator, Policy::builtin(), settings);
    let server = ResponseServer::start().await?;

    let mut projects = BTreeMap::new();
    for (i, (project, owner)) in PROJECTS.iter().enumerate() {
        let environment = answer(
            &provisioner,
            &server,
            "Custom::ProjectEnvironment",
            &format!("env-{i}"),
            json!({ "ProjectName": project, "AzCount": 1 }),
        )
        .await?;
        let notebook = answer(
            &provisioner,
            &server,
            "Custom::NotebookAccess",
            &format!("nb-{i}"),
            json!({ "ProjectName": project, "OwnerUserName": owner,
                    "OwnerEmail": format!("{owner}@example.com"), "InstanceType": "ml.t3.medium" }),
        )
        .await?;
        projects.insert(
            (*project).to_owned(),
            json!({ "environment": environment, "notebook": notebook }),
        );
    }

    let mut roles = Vec::new();
    let listed = iam.list_roles().path_prefix("/sagefence/").send().await?;
    for role in listed.roles() {
        let name = role.role_name();
        let full = iam.get_role().role_name(name).send().await?;
        let full = full.role().ok_or("no role")?;
        let mut policies = BTreeMap::new();
        for policy_name in iam.list_role_policies().role_name(name).send().await?.policy_names() {
            let document = iam
                .get_role_policy()
                .role_name(name)
                .policy_name(policy_name)
                .send()
                .await?;
            policies.insert(policy_name.clone(), decoded(document.policy_document())?);
        }
        let tags: BTreeMap<&str, &str> = full.tags().iter().map(|t| (t.key(), t.value())).collect();
        roles.push(json!({
            "name": name,
            "arn": full.arn(),
            "path": full.path(),
            "trust": decoded(full.assume_role_policy_document().unwrap_or("{}"))?,
            "boundary": full.permissions_boundary().and_then(|b| b.permissions_boundary_arn()),
            "tags": tags,
            "policies": policies,
        }));
    }

    let kms = emulator.kms();
    let s3 = sagefence_aws::s3_client(&emulator.sdk_config());
    let mut keys = BTreeMap::new();
    let mut buckets = BTreeMap::new();
    for (project, built) in &projects {
        let environment = &built["environment"];
        let key_arn = environment["KmsKeyArn"].as_str().ok_or("no key arn")?;
        let policy = kms
            .get_key_policy()
            .key_id(key_arn)
            .policy_name("default")
            .send()
            .await?;
        keys.insert(
            key_arn.to_owned(),
            json!({ "project": project, "policy": decoded(policy.policy().unwrap_or("{}"))? }),
        );
        for field in ["DataBucket", "ModelBucket"] {
            let bucket = environment[field].as_str().ok_or("no bucket")?;
            let policy = s3.get_bucket_policy().bucket(bucket).send().await?;
            buckets.insert(
                bucket.to_owned(),
                json!({ "project": project, "policy": decoded(policy.policy().unwrap_or("{}"))? }),
            );
        }
    }

    let document = json!({
        "boundary": { "name": BOUNDARY, "arn": boundary_arn },
        "projects": projects,
        "roles": roles,
        "keys": keys,
        "buckets": buckets,
    });
    std::fs::write(&out, serde_json::to_string_pretty(&document)?)?;
    println!(
        "{}: {} roles, {} keys, {} buckets",
        out,
        roles.len(),
        keys.len(),
        buckets.len()
    );
    Ok(())
}
