//! `sagefence sweep` run as a user would, against the emulator (`AWS_ENDPOINT_URL`): the JSON
//! summary, the exit codes, and a dry run that changes nothing.

use std::process::{Command, Output};

use sagefence_tests::world::{given_project, notebook_state, running_notebook};
use sagefence_tests::{Emulator, REGION};
use serde_json::Value;

fn sweep(emulator: &Emulator, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sagefence"))
        .arg("sweep")
        .args(args)
        .env("AWS_ENDPOINT_URL", emulator.endpoint_url())
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", REGION)
        .env_remove("AWS_PROFILE")
        .output()
        .unwrap()
}

#[tokio::test]
async fn a_dry_run_sweep_prints_the_json_summary_exits_1_on_failures_and_changes_nothing() {
    let (emulator, project) = given_project().await.unwrap();
    running_notebook(&emulator, &project.notebook("good")).await.unwrap();
    running_notebook(&emulator, &project.notebook("rooted").with_root_access())
        .await
        .unwrap();

    let out = sweep(&emulator, &["--dry-run", "--format", "json", "--types", "notebooks"]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["dry_run"], true);
    assert_eq!(report["resources"], 2);
    assert_eq!(report["counts"]["notebook-root-access-disabled"]["FAILED"], 1);
    assert_eq!(report["counts"]["notebook-root-access-disabled"]["PASSED"], 1);
    let remedies = report["remedies"].as_array().unwrap();
    assert!(!remedies.is_empty());
    assert!(remedies.iter().all(|r| r["outcome"] == "dry-run"));
    assert!(report["api_calls"].as_u64().unwrap() >= 5, "{}", report["api_calls"]);
    assert!(report["duration_ms"].is_u64());
    assert!(report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["rule"] == "notebook-root-access-disabled"
            && f["status"] == "FAILED"
            && f["resource"]["arn"]
                .as_str()
                .unwrap()
                .ends_with("notebook-instance/rooted")));
    assert_eq!(
        notebook_state(&emulator, "rooted").await.unwrap().unwrap().status,
        "InService"
    );

    let clean = sweep(&emulator, &["--dry-run", "--format", "json", "--types", "vpcs"]);
    assert_eq!(
        clean.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&clean.stderr)
    );

    let table = sweep(&emulator, &["--dry-run", "--types", "notebooks"]);
    let text = String::from_utf8(table.stdout).unwrap();
    assert!(text.contains("notebook-root-access-disabled"), "{text}");
    assert!(text.contains("(dry run: nothing changed)"), "{text}");

    let bad = sweep(&emulator, &["--types", "buckets"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("`buckets`"));
}
