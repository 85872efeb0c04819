//! The sweeper end to end on the emulator: each resource type swept, drift remedied, dry runs
//! that change nothing, lists past one page, throttling absorbed, and findings resolved since
//! the last sweep.

use sagefence_core::model::ResourceKind;
use sagefence_tests::records::{record_type, records_of};
use sagefence_tests::sweeper::{statuses, SweeperOptions, SweeperUnderTest};
use sagefence_tests::world::{
    attach_role_policy, create_model, create_notebook_role, create_training_job, disable_key_rotation, given_project,
    map_public_ip_on_launch, model_exists, notebook_state, open_ssh_to_the_internet, running_notebook, ProjectNetwork,
    OWNER, OWNER_TAG, PROJECT,
};
use sagefence_tests::Emulator;

async fn setup(options: SweeperOptions) -> (Emulator, ProjectNetwork, SweeperUnderTest) {
    let (emulator, project) = given_project().await.unwrap();
    let options = SweeperOptions {
        flow_log_role_arn: project.flow_log_role_arn.clone(),
        ..options
    };
    let sweeper = SweeperUnderTest::start(&emulator, options).await.unwrap();
    (emulator, project, sweeper)
}

fn outcomes(report: &sagefence_sweeper::SweepReport, resource: &str) -> Vec<String> {
    report
        .remedies
        .iter()
        .filter(|r| r.resource.name == resource)
        .map(|r| format!("{}:{}", r.action, r.outcome.name()))
        .collect()
}

#[tokio::test]
async fn a_drifted_notebook_is_stopped_fixed_and_restarted_over_two_sweeps_and_a_compliant_one_left_alone() {
    let (emulator, project, sweeper) = setup(SweeperOptions::default()).await;
    running_notebook(&emulator, &project.notebook("good")).await.unwrap();
    running_notebook(&emulator, &project.notebook("rooted").with_root_access())
        .await
        .unwrap();

    let first = sweeper.sweep(&[ResourceKind::NotebookInstance]).await.unwrap();
    assert!(first.errors.is_empty(), "{:?}", first.errors);
    assert_eq!(first.resources, 2);
    let root = statuses(&first, "notebook-root-access-disabled");
    assert_eq!(root["good"], "PASSED");
    assert_eq!(root["rooted"], "FAILED");
    assert!(outcomes(&first, "good").is_empty());
    assert!(outcomes(&first, "rooted").contains(&"stop-notebook-instance:applied".to_owned()));
    assert_eq!(
        notebook_state(&emulator, "rooted").await.unwrap().unwrap().status,
        "Stopped"
    );
    assert_eq!(
        notebook_state(&emulator, "good").await.unwrap().unwrap().status,
        "InService"
    );

    let second = sweeper.sweep(&[ResourceKind::NotebookInstance]).await.unwrap();
    let rooted = notebook_state(&emulator, "rooted").await.unwrap().unwrap();
    assert_eq!(
        rooted.root_access.as_deref(),
        Some("Disabled"),
        "{:?}",
        outcomes(&second, "rooted")
    );
    assert_eq!(rooted.status, "InService", "restarted, as it was running");

    let third = sweeper.sweep(&[ResourceKind::NotebookInstance]).await.unwrap();
    assert_eq!(statuses(&third, "notebook-root-access-disabled")["rooted"], "PASSED");
    assert!(third
        .resolved
        .iter()
        .any(|r| r.rule.as_str() == "notebook-root-access-disabled" && r.resource.name == "rooted"));

    let records = sweeper.audit_records().unwrap();
    let findings = records_of(&records, "finding").len();
    let actions = records_of(&records, "action").len();
    let expected: usize = [&first, &second, &third]
        .iter()
        .map(|r| r.findings.len() + r.resolved.len())
        .sum();
    assert_eq!(findings, expected);
    assert_eq!(
        actions,
        first.remedies.len() + second.remedies.len() + third.remedies.len()
    );
    assert!(records.iter().all(|r| r["function"] == "sweeper"));
}

#[tokio::test]
async fn a_standing_violation_is_notified_when_it_first_fails_not_at_every_sweep() {
    // given: a running notebook without its owner tag, under a policy whose remedy for it is
    // `notify`, which leaves no mark on the notebook: only the shard's state remembers
    let policy =
        sagefence_core::Policy::from_yaml("version: 1\nrules:\n  notebook-required-tags: {remedy: notify}\n").unwrap();
    let (emulator, project, sweeper) = setup(SweeperOptions {
        policy,
        ..SweeperOptions::default()
    })
    .await;
    let mut unowned = project.notebook("unowned");
    unowned.tags.retain(|(key, _)| key != OWNER_TAG);
    let arn = running_notebook(&emulator, &unowned).await.unwrap();
    let notified = |report: &sagefence_sweeper::SweepReport| {
        let outcomes = outcomes(report, "unowned");
        outcomes.iter().filter(|o| o.starts_with("notify:")).count()
    };
    let sweep = || sweeper.sweep(&[ResourceKind::NotebookInstance]);

    // when: swept twice; then: told at the first sweep only, though it fails at both
    let first = sweep().await.unwrap();
    assert_eq!(statuses(&first, "notebook-required-tags")["unowned"], "FAILED");
    assert_eq!(notified(&first), 1, "{:?}", outcomes(&first, "unowned"));
    let second = sweep().await.unwrap();
    assert_eq!(statuses(&second, "notebook-required-tags")["unowned"], "FAILED");
    assert_eq!(notified(&second), 0, "{:?}", outcomes(&second, "unowned"));

    // when: the owner is tagged, then the tag removed again; then: resolved, and told anew
    let tag = aws_sdk_sagemaker::types::Tag::builder()
        .key(OWNER_TAG)
        .value(OWNER)
        .build();
    emulator
        .sagemaker()
        .add_tags()
        .resource_arn(&arn)
        .tags(tag)
        .send()
        .await
        .unwrap();
    let third = sweep().await.unwrap();
    assert!(third.resolved.iter().any(|r| r.resource.name == "unowned"));
    assert_eq!(notified(&third), 0);
    emulator
        .sagemaker()
        .delete_tags()
        .resource_arn(&arn)
        .tag_keys(OWNER_TAG)
        .send()
        .await
        .unwrap();
    let fourth = sweep().await.unwrap();
    assert_eq!(notified(&fourth), 1, "{:?}", outcomes(&fourth, "unowned"));
}

#[tokio::test]
async fn a_dry_run_records_every_remedy_and_changes_nothing() {
    let options = SweeperOptions {
        dry_run: true,
        ..SweeperOptions::default()
    };
    let (emulator, project, sweeper) = setup(options).await;
    running_notebook(&emulator, &project.notebook("open").with_direct_internet())
        .await
        .unwrap();
    create_model(&emulator, &project, "loose", false).await.unwrap();

    let report = sweeper
        .sweep(&[ResourceKind::NotebookInstance, ResourceKind::Model])
        .await
        .unwrap();
    assert!(report.dry_run);
    assert!(report.has_violation());
    assert!(!report.remedies.is_empty());
    assert!(report.remedies.iter().all(|r| r.outcome.name() == "dry-run"));
    assert!(report.findings.iter().all(|f| f.mode == sagefence_core::Mode::Audit));
    let notebook = notebook_state(&emulator, "open").await.unwrap().unwrap();
    assert_eq!(notebook.status, "InService");
    assert!(notebook.sagefence_tags().is_empty(), "{:?}", notebook.tags);
    assert!(model_exists(&emulator, "loose").await.unwrap());
}

#[tokio::test]
async fn lists_are_read_past_their_first_page() {
    let (emulator, project, small_pages) = setup(SweeperOptions {
        page_size: 2,
        ..SweeperOptions::default()
    })
    .await;
    for i in 0..5 {
        running_notebook(&emulator, &project.notebook(&format!("nb-{i}")))
            .await
            .unwrap();
    }
    for i in 0..3 {
        create_model(&emulator, &project, &format!("model-{i}"), true)
            .await
            .unwrap();
    }
    let one_page = SweeperUnderTest::start(&emulator, SweeperOptions::default())
        .await
        .unwrap();
    let types = [ResourceKind::NotebookInstance, ResourceKind::Model];

    let (small_before, whole_before) = (small_pages.requests(), one_page.requests());
    let small = small_pages.sweep(&types).await.unwrap();
    let whole = one_page.sweep(&types).await.unwrap();
    let small_requests = small_pages.requests() - small_before;
    let whole_requests = one_page.requests() - whole_before;
    assert_eq!(small.resources, 8);
    assert_eq!(whole.resources, 8);
    assert_eq!(statuses(&small, "notebook-in-project-vpc").len(), 5);
    assert_eq!(statuses(&small, "model-network-isolation").len(), 3);
    assert_eq!(small.findings.len(), whole.findings.len());
    assert_eq!(
        small_requests - whole_requests,
        2 + 1,
        "notebooks in three pages of two and models in two, instead of one page each"
    );
}

#[tokio::test]
async fn throttled_calls_are_retried_and_a_resource_still_throttled_is_reported_while_the_rest_is_swept() {
    let (emulator, project, sweeper) = setup(SweeperOptions {
        concurrency: 1,
        ..SweeperOptions::default()
    })
    .await;
    for name in ["a", "b", "c"] {
        running_notebook(&emulator, &project.notebook(name)).await.unwrap();
    }
    let before = sweeper.requests();
    let calm = sweeper.sweep(&[ResourceKind::NotebookInstance]).await.unwrap();
    let calm_requests = sweeper.requests() - before;
    assert!(calm.errors.is_empty());

    emulator.throttle("ListNotebookInstances", 1).await.unwrap();
    emulator.throttle("DescribeNotebookInstance", 2).await.unwrap();
    let before = sweeper.requests();
    let throttled = sweeper.sweep(&[ResourceKind::NotebookInstance]).await.unwrap();
    assert!(throttled.errors.is_empty(), "{:?}", throttled.errors);
    assert_eq!(throttled.resources, 3);
    assert_eq!(
        sweeper.requests() - before,
        calm_requests + 3,
        "each throttled request sent again"
    );

    emulator.throttle("DescribeNotebookInstance", 4).await.unwrap();
    let exhausted = sweeper.sweep(&[ResourceKind::NotebookInstance]).await.unwrap();
    assert_eq!(exhausted.errors.len(), 1, "{:?}", exhausted.errors);
    assert!(exhausted.errors[0].resource.is_some());
    assert!(
        exhausted.errors[0].error.contains("Throttled"),
        "{}",
        exhausted.errors[0].error
    );
    assert_eq!(exhausted.resources, 2);
}

#[tokio::test]
async fn project_network_drift_is_undone_and_resolved_on_the_next_sweep() {
    let (emulator, project, sweeper) = setup(SweeperOptions::default()).await;
    open_ssh_to_the_internet(&emulator, &project.security_group_id)
        .await
        .unwrap();
    map_public_ip_on_launch(&emulator, &project.subnet_id).await.unwrap();
    let types = [ResourceKind::Vpc, ResourceKind::Subnet, ResourceKind::SecurityGroup];

    let first = sweeper.sweep(&types).await.unwrap();
    assert!(first.errors.is_empty(), "{:?}", first.errors);
    assert_eq!(
        statuses(&first, "security-group-no-open-ingress")[&project.security_group_id],
        "FAILED"
    );
    assert_eq!(statuses(&first, "subnet-no-public-ip")[&project.subnet_id], "FAILED");
    assert_eq!(statuses(&first, "vpc-no-internet-gateway")[&project.vpc_id], "PASSED");
    assert_eq!(statuses(&first, "vpc-flow-logs-enabled")[&project.vpc_id], "PASSED");
    assert!(outcomes(&first, &project.security_group_id).contains(&"revoke-ingress:applied".to_owned()));
    assert!(outcomes(&first, &project.subnet_id).contains(&"disable-map-public-ip-on-launch:applied".to_owned()));
    assert!(first.resolved.is_empty());

    let second = sweeper.sweep(&types).await.unwrap();
    assert_eq!(
        statuses(&second, "security-group-no-open-ingress")[&project.security_group_id],
        "PASSED"
    );
    assert_eq!(statuses(&second, "subnet-no-public-ip")[&project.subnet_id], "PASSED");
    let resolved: Vec<&str> = second.resolved.iter().map(|r| r.rule.as_str()).collect();
    assert_eq!(resolved, ["subnet-no-public-ip", "security-group-no-open-ingress"]);
    assert!(second.remedies.is_empty());
    let records = sweeper.audit_records().unwrap();
    let resolved_records = records
        .iter()
        .filter(|r| record_type(r) == "finding")
        .filter(|r| {
            r.pointer("/subject/finding/reason")
                .and_then(|v| v.as_str())
                .is_some_and(|reason| reason.starts_with("resolved:"))
        })
        .count();
    assert_eq!(resolved_records, 2);
}

#[tokio::test]
async fn project_keys_and_roles_are_restored() {
    let (emulator, project, sweeper) = setup(SweeperOptions::default()).await;
    disable_key_rotation(&emulator, &project.key_id).await.unwrap();
    attach_role_policy(
        &emulator,
        &project.role_name,
        "arn:aws:iam::aws:policy/AdministratorAccess",
    )
    .await
    .unwrap();
    create_notebook_role(&emulator, "someone-elses-role", None)
        .await
        .unwrap();

    let report = sweeper
        .sweep(&[ResourceKind::KmsKey, ResourceKind::Role])
        .await
        .unwrap();
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(statuses(&report, "kms-rotation-enabled")[&project.key_id], "FAILED");
    let roles = statuses(&report, "role-least-privilege");
    assert_eq!(roles.len(), 1, "only the project's role: {roles:?}");
    assert_eq!(roles[&project.role_name], "FAILED");
    let rotation = emulator
        .kms()
        .get_key_rotation_status()
        .key_id(&project.key_id)
        .send()
        .await
        .unwrap();
    assert!(rotation.key_rotation_enabled());
    let attached = emulator
        .iam()
        .list_attached_role_policies()
        .role_name(&project.role_name)
        .send()
        .await
        .unwrap();
    assert!(attached.attached_policies().is_empty());
    assert_eq!(PROJECT, "alpha");
}

#[tokio::test]
async fn running_jobs_and_models_are_swept_and_the_drifted_ones_remedied() {
    let (emulator, project, sweeper) = setup(SweeperOptions::default()).await;
    create_training_job(&emulator, &project, "inside", true).await.unwrap();
    create_training_job(&emulator, &project, "outside", false)
        .await
        .unwrap();
    create_training_job(&emulator, &project, "finished", false)
        .await
        .unwrap();
    emulator.set_training_job_status("finished", "Completed").await.unwrap();
    create_model(&emulator, &project, "isolated", true).await.unwrap();
    create_model(&emulator, &project, "open", false).await.unwrap();

    let report = sweeper
        .sweep(&[ResourceKind::TrainingJob, ResourceKind::Model])
        .await
        .unwrap();
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let vpc = statuses(&report, "job-in-project-vpc");
    assert_eq!(vpc.len(), 2, "only InProgress jobs: {vpc:?}");
    assert_eq!(vpc["inside"], "PASSED");
    assert_eq!(vpc["outside"], "FAILED");
    assert!(outcomes(&report, "outside").contains(&"stop-job:applied".to_owned()));
    assert!(outcomes(&report, "inside").is_empty());
    let status = emulator
        .sagemaker()
        .describe_training_job()
        .training_job_name("outside")
        .send()
        .await
        .unwrap();
    assert_ne!(status.training_job_status().map(|s| s.as_str()), Some("InProgress"));
    let isolation = statuses(&report, "model-network-isolation");
    assert_eq!(isolation["isolated"], "PASSED");
    assert_eq!(isolation["open"], "FAILED");
    assert!(model_exists(&emulator, "isolated").await.unwrap());
    assert!(!model_exists(&emulator, "open").await.unwrap());
}
