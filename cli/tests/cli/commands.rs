//! The `sagefence` binary, run as a user would: every fixture's exit code and output, bad
//! input and bad usage.

use sagefence_tests::events::fixture_paths;
use std::process::Command;

use serde_json::Value;

use crate::{policy_file, repo, sagefence};

#[test]
fn every_fixture_exits_as_its_sidecar_says_and_prints_its_findings() {
    let all = fixture_paths().unwrap();
    assert!(all.len() >= 100);
    for fixture in all {
        let expected: Value =
            serde_json::from_str(&std::fs::read_to_string(fixture.with_extension("expected.json")).unwrap()).unwrap();
        let out = sagefence(&["evaluate", "--event", fixture.to_str().unwrap()]);
        let code = out.status.code().unwrap();
        assert_eq!(
            Some(i64::from(code)),
            expected["exit"].as_i64(),
            "{}",
            fixture.display()
        );
        let stderr = String::from_utf8(out.stderr).unwrap();
        if code == 2 {
            assert!(out.stdout.is_empty(), "{}", fixture.display());
            assert_eq!(stderr.trim_end().lines().count(), 1, "one-line reason: {stderr}");
            assert!(stderr.starts_with("sagefence: "), "{stderr}");
            assert!(!stderr.contains("panicked"), "{stderr}");
            continue;
        }
        assert!(stderr.is_empty(), "{}: {stderr}", fixture.display());
        let printed: Value = serde_json::from_slice(&out.stdout).unwrap();
        let findings = printed["findings"].as_array().unwrap();
        let mut not_passed: Vec<&str> = findings
            .iter()
            .filter(|f| f["status"] != "PASSED")
            .map(|f| f["rule"].as_str().unwrap())
            .collect();
        not_passed.sort_unstable();
        let want: Vec<&str> = expected["not_passed"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(not_passed, want, "{}", fixture.display());
        assert_eq!(
            Some(!findings.is_empty()),
            expected["evaluated"].as_bool(),
            "{}",
            fixture.display()
        );
        assert!(printed["actions"].is_array());
    }
}

#[test]
fn a_noncompliant_notebook_in_table_form_names_the_failed_rules_and_the_planned_tag() {
    let out = sagefence(&[
        "evaluate",
        "--event",
        "events/sagemaker/api-create-notebook-instance-direct-internet.json",
        "--format",
        "table",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.lines().next().unwrap().starts_with("STATUS"));
    assert!(text.contains("FAILED  notebook-direct-internet-disabled"), "{text}");
    assert!(text.contains("PASSED  notebook-root-access-disabled"), "{text}");
    assert!(text.contains("ENFORCE  tag"), "{text}");
}

#[test]
fn an_audit_policy_still_exits_one_but_plans_audit_actions_only() {
    let policy = policy_file("sagefence-cli", "audit.yaml", "version: 1\nmode: audit\n");
    let out = sagefence(&[
        "evaluate",
        "--event",
        "events/sagemaker/api-create-training-job-no-vpc.json",
        "--policy",
        policy.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let printed: Value = serde_json::from_slice(&out.stdout).unwrap();
    let actions = printed["actions"].as_array().unwrap();
    assert!(!actions.is_empty());
    assert!(actions.iter().all(|a| a["mode"] == "audit"), "{actions:?}");
}

#[test]
fn an_exemption_in_the_policy_turns_a_failure_into_exit_zero() {
    let policy = policy_file("sagefence-cli-exempt", "exempt.yaml", "version: 1\nexemptions:\n  - resource: 'arn:aws:sagemaker:eu-west-1:111122223333:notebook-instance/*-no-root-access'\n    rules: [notebook-root-access-disabled]\n    reason: vendor image\n    expires: 2999-12-31\n");
    let event = "events/sagemaker/api-create-notebook-instance-no-root-access.json";
    assert_eq!(sagefence(&["evaluate", "--event", event]).status.code(), Some(1));
    let out = sagefence(&["evaluate", "--event", event, "--policy", policy.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    let printed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(printed["actions"].as_array().unwrap().is_empty());
}

#[test]
fn bad_input_and_bad_usage_exit_two_with_one_line() {
    for args in [
        vec!["evaluate", "--event", "no/such/file.json"],
        vec!["evaluate", "--event", "events/malformed/empty.json"],
        vec!["evaluate"],
        vec![
            "evaluate",
            "--event",
            "events/scheduled/scheduled-event.json",
            "--format",
            "yaml",
        ],
        vec!["frobnicate"],
    ] {
        let out = sagefence(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(!stderr.trim().is_empty());
    }
}

#[test]
fn policy_check_names_the_line_of_a_mistake() {
    let bad = policy_file(
        "sagefence-cli-policy",
        "bad.yaml",
        "version: 1\nrules:\n  model-network-isolation:\n    mode: sometimes\n",
    );
    let out = sagefence(&["policy", "check", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("rules.model-network-isolation.mode"), "{stderr}");
    assert!(stderr.contains("line 4"), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");

    let out = sagefence(&["policy", "default"]);
    assert_eq!(out.status.code(), Some(0));
    let good = policy_file(
        "sagefence-cli-policy",
        "default.yaml",
        &String::from_utf8(out.stdout).unwrap(),
    );
    let out = sagefence(&["policy", "check", good.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn the_committed_schema_is_the_one_the_binary_prints() {
    let out = sagefence(&["policy", "schema"]);
    assert_eq!(out.status.code(), Some(0));
    let printed: Value = serde_json::from_slice(&out.stdout).unwrap();
    let committed: Value =
        serde_json::from_str(&std::fs::read_to_string(repo().join("shared/core/policy.schema.json")).unwrap()).unwrap();
    assert_eq!(
        printed, committed,
        "run `sagefence policy schema > shared/core/policy.schema.json`"
    );
}

#[test]
fn a_sweep_without_credentials_says_so_in_one_line_with_the_fix() {
    let home = std::env::temp_dir().join(format!("sagefence-cli-nocreds-{}", std::process::id()));
    std::fs::create_dir_all(&home).unwrap();
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let run = |verbose: bool| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_sagefence"));
        command
            .env_clear()
            .env("PATH", &home)
            .env("HOME", &home)
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_ENDPOINT_URL", &endpoint)
            .env("AWS_REGION", "eu-west-1")
            .args(["sweep", "--types", "notebooks", "--max-attempts", "1"]);
        if verbose {
            command.arg("--verbose");
        }
        command.current_dir(&home).output().unwrap()
    };
    let out = run(false);
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(out.stdout.is_empty(), "{stderr}");
    assert_eq!(
        stderr,
        "sagefence: no AWS credentials found: set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY\n"
    );
    assert!(!stderr.contains('{') && !stderr.contains("DispatchFailure"), "{stderr}");
    let verbose = String::from_utf8(run(true).stderr).unwrap();
    assert!(verbose.starts_with(&stderr), "{verbose}");
    assert!(verbose.contains("detail: GetCallerIdentity failed"), "{verbose}");
    std::fs::remove_dir_all(&home).unwrap();
}
