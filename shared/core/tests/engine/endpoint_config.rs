//! Endpoint configurations: evaluation of their rules.

use super::support::*;

#[test]
fn compliant_endpoint_config_passes_kms_and_is_not_applicable_for_the_prod_count_outside_prod() {
    let findings = check(compliant_endpoint_config());
    assert_eq!(
        rules(&findings),
        [
            RuleId::EndpointConfigKms,
            RuleId::EndpointConfigProdInstanceCount,
            RuleId::NotebookRequiredTags,
            RuleId::TagsProtected
        ]
    );
    assert_eq!(status(&findings, RuleId::EndpointConfigKms), Some(Status::Passed));
    assert_eq!(
        status(&findings, RuleId::EndpointConfigProdInstanceCount),
        Some(Status::NotApplicable)
    );
}

#[test]
fn endpoint_config_without_kms_key_fails_naming_kms_key_id() {
    let mut config = compliant_endpoint_config();
    config.kms_key_id = None;
    let findings = check(config);
    assert_eq!(failed(&findings), [RuleId::EndpointConfigKms]);
    assert!(reason(&findings, RuleId::EndpointConfigKms).contains("KmsKeyId"));
}

#[test]
fn non_prod_endpoint_config_with_a_single_instance_is_not_applicable() {
    let mut config = compliant_endpoint_config();
    config.variants = vec![variant("primary", Some(1), false)];
    let findings = check(config);
    assert_eq!(
        status(&findings, RuleId::EndpointConfigProdInstanceCount),
        Some(Status::NotApplicable)
    );
}

#[test]
fn prod_tagged_endpoint_config_with_a_single_instance_variant_fails_naming_the_variant() {
    let mut config = compliant_endpoint_config();
    config.tags = prod_tags();
    config.variants = vec![variant("primary", Some(2), false), variant("shadow", Some(1), false)];
    let findings = check(config);
    assert_eq!(failed(&findings), [RuleId::EndpointConfigProdInstanceCount]);
    let why = reason(&findings, RuleId::EndpointConfigProdInstanceCount);
    assert!(why.contains("`shadow` (1)") && !why.contains("primary"), "{why}");
}

#[test]
fn prod_tagged_endpoint_config_with_two_instances_per_variant_passes() {
    let mut config = compliant_endpoint_config();
    config.tags = prod_tags();
    let findings = check(config);
    assert_eq!(
        status(&findings, RuleId::EndpointConfigProdInstanceCount),
        Some(Status::Passed)
    );
}

#[test]
fn policy_scope_environment_prod_makes_an_untagged_endpoint_config_production() {
    let policy = policy("scope: {environment: prod}\n").unwrap();
    let mut config = compliant_endpoint_config();
    config.variants = vec![variant("primary", Some(1), false)];
    let findings = check_with(&policy, config, &Facts::default());
    assert_eq!(
        status(&findings, RuleId::EndpointConfigProdInstanceCount),
        Some(Status::Failed)
    );
}

#[test]
fn an_environment_tag_overrides_the_policy_scope_environment() {
    let policy = policy("scope: {environment: prod}\n").unwrap();
    let mut config = compliant_endpoint_config();
    config
        .tags
        .0
        .insert("sagefence:environment".to_owned(), "dev".to_owned());
    config.variants = vec![variant("primary", Some(1), false)];
    let findings = check_with(&policy, config, &Facts::default());
    assert_eq!(
        status(&findings, RuleId::EndpointConfigProdInstanceCount),
        Some(Status::NotApplicable)
    );
}

#[test]
fn a_custom_minimum_of_three_fails_two_instances_and_passes_three() {
    let policy = policy("rules:\n  endpoint-config-prod-instance-count:\n    minimum: 3\n").unwrap();
    let mut config = compliant_endpoint_config();
    config.tags = prod_tags();
    let two = check_with(&policy, config.clone(), &Facts::default());
    assert_eq!(
        status(&two, RuleId::EndpointConfigProdInstanceCount),
        Some(Status::Failed)
    );
    assert!(reason(&two, RuleId::EndpointConfigProdInstanceCount).contains("fewer than 3"));

    config.variants = vec![variant("primary", Some(3), false)];
    let three = check_with(&policy, config, &Facts::default());
    assert_eq!(
        status(&three, RuleId::EndpointConfigProdInstanceCount),
        Some(Status::Passed)
    );
}

#[test]
fn serverless_variants_are_ignored_by_the_prod_instance_count() {
    let mut config = compliant_endpoint_config();
    config.tags = prod_tags();
    config.variants = vec![variant("serverless", Some(1), true), variant("primary", Some(2), false)];
    let mixed = check(config.clone());
    assert_eq!(
        status(&mixed, RuleId::EndpointConfigProdInstanceCount),
        Some(Status::Passed)
    );

    config.variants = vec![variant("serverless", None, true)];
    let only_serverless = check(config);
    assert_eq!(
        status(&only_serverless, RuleId::EndpointConfigProdInstanceCount),
        Some(Status::NotApplicable)
    );
}
