//! The planner: jobs, models, endpoint configurations, domains.

use super::plan_support::*;

#[test]
fn in_progress_job_breaking_a_rule_is_stopped() {
    let actions = plan_builtin(&Resource::Job(unencrypted_job(Some(JobStatus::InProgress))));
    assert_eq!(kinds(&actions), [ActionKind::StopJob]);
    assert_eq!(rule_ids(actions.first()), ["job-volume-kms"]);
}

#[test]
fn job_of_unknown_status_breaking_a_rule_is_stopped() {
    let actions = plan_builtin(&Resource::Job(unencrypted_job(None)));
    assert_eq!(kinds(&actions), [ActionKind::StopJob]);
}

#[test]
fn completed_or_stopping_job_is_not_stopped() {
    for status in [JobStatus::Completed, JobStatus::Stopping, JobStatus::Failed] {
        let actions = plan_builtin(&Resource::Job(unencrypted_job(Some(status))));
        assert_eq!(actions, [], "{status:?}");
    }
}

#[test]
fn job_breaking_several_rules_is_stopped_once_naming_them_all() {
    let mut job = unencrypted_job(Some(JobStatus::InProgress));
    for spec in &mut job.specs {
        spec.output_kms_key_id = Some(None);
        spec.network = Some(JobNetwork::default());
    }
    let actions = plan_builtin(&Resource::Job(job));
    assert_eq!(kinds(&actions), [ActionKind::StopJob]);
    assert_eq!(
        rule_ids(actions.first()),
        [
            "job-in-project-vpc",
            "job-network-isolation",
            "job-inter-container-encryption",
            "job-volume-kms",
            "job-output-kms"
        ]
    );
}

#[test]
fn job_missing_only_a_tag_is_tagged_and_notified_not_stopped() {
    let mut job = compliant_training_job(Some(JobStatus::InProgress));
    job.tags = Tags::from_iter([("sagefence:project", "alpha")]);
    let actions = plan_builtin(&Resource::Job(job));
    assert_eq!(
        kinds(&actions),
        [tag(&[(VIOLATION_TAG, TAGS_RULE)]), ActionKind::Notify]
    );
}

#[test]
fn model_breaking_a_rule_is_deleted_without_tagging_even_when_tags_are_missing() {
    let model = Model {
        network_isolation: false,
        tags: Tags::default(),
        ..compliant_model()
    };
    let actions = plan_builtin(&Resource::Model(model));
    assert_eq!(kinds(&actions), [ActionKind::DeleteModel]);
    assert_eq!(rule_ids(actions.first()), ["model-network-isolation"]);
}

#[test]
fn model_breaking_both_rules_is_deleted_once() {
    let model = Model {
        vpc: None,
        network_isolation: false,
        ..compliant_model()
    };
    let actions = plan_builtin(&Resource::Model(model));
    assert_eq!(kinds(&actions), [ActionKind::DeleteModel]);
    assert_eq!(
        rule_ids(actions.first()),
        ["model-in-project-vpc", "model-network-isolation"]
    );
}

#[test]
fn endpoint_config_without_kms_is_deleted_if_unused() {
    let config = EndpointConfig {
        kms_key_id: None,
        ..compliant_endpoint_config()
    };
    let actions = plan_builtin(&Resource::EndpointConfig(config));
    assert_eq!(kinds(&actions), [ActionKind::DeleteEndpointConfigIfUnused]);
    assert_eq!(rule_ids(actions.first()), ["endpoint-config-kms"]);
}

#[test]
fn endpoint_config_without_kms_under_remedy_notify_is_only_notified() {
    let policy = policy("rules:\n  endpoint-config-kms: {remedy: notify}\n").unwrap();
    let config = EndpointConfig {
        kms_key_id: None,
        ..compliant_endpoint_config()
    };
    let actions = plan_with(&policy, &Resource::EndpointConfig(config));
    assert_eq!(kinds(&actions), [ActionKind::Notify]);
    assert_eq!(rule_ids(actions.first()), ["endpoint-config-kms"]);
}

#[test]
fn prod_endpoint_config_with_too_few_instances_is_notified() {
    let policy = policy("scope: {environment: prod}\n").unwrap();
    let mut config = compliant_endpoint_config();
    for variant in &mut config.variants {
        variant.initial_instance_count = Some(1);
    }
    let actions = plan_with(&policy, &Resource::EndpointConfig(config));
    assert_eq!(kinds(&actions), [ActionKind::Notify]);
    assert_eq!(rule_ids(actions.first()), ["endpoint-config-prod-instance-count"]);
}

#[test]
fn domain_breaking_both_rules_is_notified_once_naming_both() {
    let domain = Domain {
        app_network_access: AppNetworkAccess::PublicInternetOnly,
        kms_key_id: None,
        ..compliant_domain()
    };
    let actions = plan_builtin(&Resource::Domain(domain));
    assert_eq!(kinds(&actions), [ActionKind::Notify]);
    assert_eq!(rule_ids(actions.first()), ["domain-vpc-only", "domain-kms"]);
}

#[test]
fn compliant_resources_of_every_kind_plan_nothing() {
    let resources = [
        Resource::Job(compliant_training_job(Some(JobStatus::InProgress))),
        Resource::Model(compliant_model()),
        Resource::EndpointConfig(compliant_endpoint_config()),
        Resource::Domain(compliant_domain()),
    ];
    for resource in &resources {
        assert_eq!(plan_builtin(resource), [], "{resource:?}");
    }
}
