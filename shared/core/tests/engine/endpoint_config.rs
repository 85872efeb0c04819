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

/// One case of the production instance count: the policy's settings, the configuration's
/// environment tag and variants, and the verdict.
struct Count {
    what: &'static str,
    policy: &'static str,
    environment: Option<&'static str>,
    variants: Vec<ProductionVariant>,
    want: Status,
    naming: &'static str,
}

#[test]
fn the_prod_instance_count_applies_to_production_only_and_counts_instance_variants() {
    let two = || variant("primary", Some(2), false);
    let one = || variant("primary", Some(1), false);
    let cases = [
        Count {
            what: "outside production, one instance",
            policy: "",
            environment: None,
            variants: vec![one()],
            want: Status::NotApplicable,
            naming: "",
        },
        Count {
            what: "production, a one-instance variant beside a two-instance one",
            policy: "",
            environment: Some("prod"),
            variants: vec![variant("kept", Some(2), false), variant("shadow", Some(1), false)],
            want: Status::Failed,
            naming: "`shadow` (1)",
        },
        Count {
            what: "production, two instances per variant",
            policy: "",
            environment: Some("prod"),
            variants: vec![two()],
            want: Status::Passed,
            naming: "",
        },
        Count {
            what: "the policy's scope makes an untagged configuration production",
            policy: "scope: {environment: prod}\n",
            environment: None,
            variants: vec![one()],
            want: Status::Failed,
            naming: "",
        },
        Count {
            what: "an environment tag overrides the policy's scope",
            policy: "scope: {environment: prod}\n",
            environment: Some("dev"),
            variants: vec![one()],
            want: Status::NotApplicable,
            naming: "",
        },
        Count {
            what: "a custom minimum of three fails two instances",
            policy: "rules:\n  endpoint-config-prod-instance-count:\n    minimum: 3\n",
            environment: Some("prod"),
            variants: vec![two()],
            want: Status::Failed,
            naming: "fewer than 3",
        },
        Count {
            what: "a custom minimum of three passes three instances",
            policy: "rules:\n  endpoint-config-prod-instance-count:\n    minimum: 3\n",
            environment: Some("prod"),
            variants: vec![variant("primary", Some(3), false)],
            want: Status::Passed,
            naming: "",
        },
        Count {
            what: "serverless variants are not counted",
            policy: "",
            environment: Some("prod"),
            variants: vec![variant("serverless", Some(1), true), two()],
            want: Status::Passed,
            naming: "",
        },
        Count {
            what: "only serverless variants",
            policy: "",
            environment: Some("prod"),
            variants: vec![variant("serverless", None, true)],
            want: Status::NotApplicable,
            naming: "",
        },
    ];
    for case in cases {
        let mut config = compliant_endpoint_config();
        if let Some(environment) = case.environment {
            config
                .tags
                .0
                .insert("sagefence:environment".to_owned(), environment.to_owned());
        }
        config.variants = case.variants;
        let findings = check_with(&policy(case.policy).unwrap(), config, &Facts::default());
        let rule = RuleId::EndpointConfigProdInstanceCount;
        assert_eq!(status(&findings, rule), Some(case.want), "{}", case.what);
        let why = reason(&findings, rule);
        assert!(
            why.contains(case.naming) && !why.contains("`kept`"),
            "{}: {why}",
            case.what
        );
    }
}
