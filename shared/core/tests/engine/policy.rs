//! Policy: modes, exemptions, scope: evaluation of their rules.

use super::support::*;

#[test]
fn a_rule_in_mode_off_yields_no_finding_at_all() {
    let policy = policy("rules:\n  notebook-root-access-disabled: {mode: 'off'}\n").unwrap();
    let findings = check_with(&policy, root_access_notebook(), &Facts::default());
    assert_eq!(finding(&findings, RuleId::NotebookRootAccessDisabled), None);
    assert_eq!(findings.len(), NOTEBOOK_RULES.len() - 1);
}

#[test]
fn a_rule_in_mode_audit_keeps_its_failed_finding_marked_audit() {
    let policy = policy("rules:\n  notebook-root-access-disabled: {mode: audit}\n").unwrap();
    let findings = check_with(&policy, root_access_notebook(), &Facts::default());
    let root = finding(&findings, RuleId::NotebookRootAccessDisabled);
    assert_eq!(root.map(|f| (f.status, f.mode)), Some((Status::Failed, Mode::Audit)));
    assert_eq!(
        finding(&findings, RuleId::NotebookKmsEncrypted).map(|f| f.mode),
        Some(Mode::Enforce)
    );
}

const ROOT_EXEMPTION_BY_ARN: &str = "exemptions:
  - resource: 'arn:aws:sagemaker:eu-west-1:111122223333:notebook-instance/alpha-*'
    rules: [notebook-root-access-disabled]
    reason: vendor image needs root (TICKET-123)
    expires: 2026-03-31
";

#[test]
fn an_active_exemption_keeps_the_failure_but_waives_the_violation() {
    let policy = policy(ROOT_EXEMPTION_BY_ARN).unwrap();
    let findings = check_with(&policy, root_access_notebook(), &Facts::default());
    let root = finding(&findings, RuleId::NotebookRootAccessDisabled).unwrap();
    assert_eq!(root.status, Status::Failed);
    let waiver = root.exemption.as_ref().unwrap();
    assert_eq!(waiver.reason, "vendor image needs root (TICKET-123)");
    assert_eq!(waiver.expires.to_string(), "2026-03-31");
    assert!(!root.is_violation());
}

#[test]
fn an_exemption_waives_only_the_rules_it_names() {
    let policy = policy(ROOT_EXEMPTION_BY_ARN).unwrap();
    let notebook = NotebookInstance {
        kms_key_id: Fact::Known(None),
        ..root_access_notebook()
    };
    let findings = check_with(&policy, notebook, &Facts::default());
    let kms = finding(&findings, RuleId::NotebookKmsEncrypted).unwrap();
    assert!(kms.exemption.is_none() && kms.is_violation());
    let passed = finding(&findings, RuleId::NotebookDirectInternetDisabled).unwrap();
    assert!(passed.exemption.is_none(), "a passed finding carries no waiver");
}

#[test]
fn an_expired_exemption_no_longer_waives() {
    let policy = policy(ROOT_EXEMPTION_BY_ARN).unwrap();
    let after_expiry: DateTime<Utc> = "2026-04-01T00:00:00Z".parse().unwrap();
    let findings = evaluate(
        &policy,
        &Resource::NotebookInstance(root_access_notebook()),
        Some(REGION),
        &Facts::default(),
        after_expiry,
    );
    let root = finding(&findings, RuleId::NotebookRootAccessDisabled).unwrap();
    assert!(root.exemption.is_none());
    assert!(root.is_violation());
}

#[test]
fn a_bare_name_exemption_is_refused_with_a_typed_reason() {
    let err = policy(
        "exemptions:\n  - resource: 'alpha-ali?e'\n    rules: [notebook-root-access-disabled]\n    reason: r\n    expires: 2026-12-31\n",
    )
    .unwrap_err();
    let text = err.to_string();
    assert!(text.contains("`alpha-ali?e` is not an ARN pattern"), "{text}");
    assert!(text.contains("exemptions[0]"), "{text}");
}

#[test]
fn an_exemption_pattern_must_spell_out_account_and_region() {
    for resource in [
        "arn:aws:sagemaker:*:*:notebook-instance/alpha-*",
        "arn:aws:sagemaker:eu-west-1:*:notebook-instance/alpha-*",
        "arn:aws:sagemaker:*:111122223333:notebook-instance/alpha-*",
        "arn:aws:sagemaker:eu-west-1:111122223333:*/alpha-*",
    ] {
        let yaml = format!(
            "exemptions:\n  - resource: '{resource}'\n    rules: [notebook-root-access-disabled]\n    reason: r\n    expires: 2026-12-31\n"
        );
        assert!(policy(&yaml).is_err(), "{resource}");
    }
}

#[test]
fn an_exemption_does_not_cross_names_accounts_kinds_or_segments() {
    let policy = policy(ROOT_EXEMPTION_BY_ARN).unwrap();
    for arn in [
        Some("arn:aws:sagemaker:eu-west-1:111122223333:notebook-instance/beta-bob"),
        Some("arn:aws:sagemaker:eu-west-1:999999999999:notebook-instance/alpha-alice"),
        Some("arn:aws:sagemaker:us-east-1:111122223333:notebook-instance/alpha-alice"),
        Some("arn:aws:sagemaker:eu-west-1:111122223333:model/alpha-alice"),
        Some("arn:aws:sagemaker:eu-west-1:111122223333:notebook-instance/alpha-x/alice"),
        None,
    ] {
        let notebook = NotebookInstance {
            arn: arn.map(str::to_owned),
            ..root_access_notebook()
        };
        let findings = check_with(&policy, notebook, &Facts::default());
        assert!(
            finding(&findings, RuleId::NotebookRootAccessDisabled)
                .unwrap()
                .is_violation(),
            "{arn:?}"
        );
    }
}

#[test]
fn an_exemption_matches_a_sagemaker_name_whatever_its_case() {
    let policy = policy(&ROOT_EXEMPTION_BY_ARN.replace("alpha-*", "Alpha-*")).unwrap();
    let notebook = NotebookInstance {
        arn: Some(format!(
            "arn:aws:sagemaker:{REGION}:{ACCOUNT}:notebook-instance/alpha-alice"
        )),
        ..root_access_notebook()
    };
    let findings = check_with(&policy, notebook, &Facts::default());
    assert!(!finding(&findings, RuleId::NotebookRootAccessDisabled)
        .unwrap()
        .is_violation());
}

#[test]
fn scope_regions_exclude_a_resource_from_another_region() {
    let policy = policy("scope: {regions: [us-east-1]}\n").unwrap();
    let findings = check_with(&policy, root_access_notebook(), &Facts::default());
    assert!(findings.is_empty(), "{findings:#?}");
    let included = evaluate(
        &policy,
        &Resource::NotebookInstance(root_access_notebook()),
        Some("us-east-1"),
        &Facts::default(),
        now(),
    );
    assert_eq!(included.len(), NOTEBOOK_RULES.len());
}

#[test]
fn project_scope_excludes_an_untagged_resource_outside_the_project_subnets() {
    let policy = policy("scope: {resources: project}\n").unwrap();
    let notebook = NotebookInstance {
        subnet_id: Fact::Known(Some(OTHER_SUBNET.to_owned())),
        tags: Fact::Known(Tags::from_iter([("team", "data")])),
        ..compliant_notebook()
    };
    assert!(check_with(&policy, notebook, &online()).is_empty());
}

#[test]
fn project_scope_includes_a_resource_carrying_the_project_tag() {
    let policy = policy("scope: {resources: project}\n").unwrap();
    let notebook = NotebookInstance {
        subnet_id: Fact::Known(Some(OTHER_SUBNET.to_owned())),
        ..compliant_notebook()
    };
    let findings = check_with(&policy, notebook, &online());
    assert_eq!(failed(&findings), [RuleId::NotebookInProjectVpc]);
}

#[test]
fn project_scope_includes_an_untagged_resource_in_a_project_subnet() {
    let policy = policy("scope: {resources: project}\n").unwrap();
    let model = Model {
        tags: Tags::default(),
        ..compliant_model()
    };
    let findings = check_with(&policy, model, &online());
    assert_eq!(failed(&findings), [RuleId::NotebookRequiredTags]);
}
