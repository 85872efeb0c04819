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

#[test]
fn models_endpoint_configs_and_domains_get_one_action_naming_every_rule_they_break() {
    let one_instance = |mut config: EndpointConfig| {
        config
            .variants
            .iter_mut()
            .for_each(|v| v.initial_instance_count = Some(1));
        config
    };
    let no_key = EndpointConfig {
        kms_key_id: None,
        ..compliant_endpoint_config()
    };
    let cases: Vec<(&str, &str, Resource, ActionKind, &[&str])> = vec![
        (
            "a model breaking a rule is deleted, without tagging even when tags are missing",
            "",
            Resource::Model(Model {
                network_isolation: false,
                tags: Tags::default(),
                ..compliant_model()
            }),
            ActionKind::DeleteModel,
            &["model-network-isolation"],
        ),
        (
            "a model breaking both rules is deleted once",
            "",
            Resource::Model(Model {
                vpc: None,
                network_isolation: false,
                ..compliant_model()
            }),
            ActionKind::DeleteModel,
            &["model-in-project-vpc", "model-network-isolation"],
        ),
        (
            "an endpoint configuration without a key is deleted if unused",
            "",
            Resource::EndpointConfig(no_key.clone()),
            ActionKind::DeleteEndpointConfigIfUnused,
            &["endpoint-config-kms"],
        ),
        (
            "under remedy notify it is only notified",
            "rules:\n  endpoint-config-kms: {remedy: notify}\n",
            Resource::EndpointConfig(no_key),
            ActionKind::Notify,
            &["endpoint-config-kms"],
        ),
        (
            "a production endpoint configuration with too few instances is notified",
            "scope: {environment: prod}\n",
            Resource::EndpointConfig(one_instance(compliant_endpoint_config())),
            ActionKind::Notify,
            &["endpoint-config-prod-instance-count"],
        ),
        (
            "a domain breaking both rules is notified once, naming both",
            "",
            Resource::Domain(Domain {
                app_network_access: AppNetworkAccess::PublicInternetOnly,
                kms_key_id: None,
                ..compliant_domain()
            }),
            ActionKind::Notify,
            &["domain-vpc-only", "domain-kms"],
        ),
    ];
    for (what, settings, resource, action, rules) in cases {
        let actions = plan_with(&policy(settings).unwrap(), &resource);
        assert_eq!(kinds(&actions), [action], "{what}");
        assert_eq!(rule_ids(actions.first()), rules, "{what}");
    }
}
