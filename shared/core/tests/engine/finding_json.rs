//! Finding serialization: evaluation of their rules.

use super::support::*;

#[test]
fn a_finding_serializes_with_kebab_rule_uppercase_status_and_severity_and_its_control() {
    let findings = check(root_access_notebook());
    let root = finding(&findings, RuleId::NotebookRootAccessDisabled).unwrap();
    let value = serde_json::to_value(root).unwrap();
    assert_eq!(value["rule"], "notebook-root-access-disabled");
    assert_eq!(value["control"], "SageMaker.3");
    assert_eq!(value["status"], "FAILED");
    assert_eq!(value["severity"], "HIGH");
    assert_eq!(value["mode"], "enforce");
    assert_eq!(value["resource"]["kind"], "notebook-instance");
    assert_eq!(value["resource"]["name"], "alpha-alice");
    assert!(value.get("exemption").is_none(), "{value}");
}

#[test]
fn statuses_serialize_as_passed_failed_and_not_applicable() {
    let statuses = [Status::Passed, Status::Failed, Status::NotApplicable].map(|s| serde_json::to_value(s).unwrap());
    assert_eq!(statuses, [json!("PASSED"), json!("FAILED"), json!("NOT_APPLICABLE")]);
}

#[test]
fn a_rule_without_a_control_serializes_without_the_control_field() {
    let findings = check(compliant_training_job());
    let volume = finding(&findings, RuleId::JobVolumeKms).unwrap();
    let value = serde_json::to_value(volume).unwrap();
    assert!(value.get("control").is_none(), "{value}");
    assert_eq!(value["severity"], "MEDIUM");
    assert_eq!(value["status"], "PASSED");
    assert_eq!(value["resource"]["kind"], "training-job");
}

#[test]
fn every_finding_carries_the_catalogs_control_and_severity() {
    let resources: Vec<Resource> = vec![
        Resource::NotebookInstance(compliant_notebook()),
        Resource::Job(compliant_training_job()),
        Resource::Model(compliant_model()),
        Resource::EndpointConfig(compliant_endpoint_config()),
        Resource::Domain(compliant_domain()),
    ];
    let mut seen = BTreeSet::new();
    let mut kinds = BTreeSet::new();
    for resource in resources {
        for f in check(resource) {
            assert_eq!(f.control, f.rule.info().control, "{}", f.rule);
            assert_eq!(f.severity, f.rule.info().severity, "{}", f.rule);
            assert!(
                f.rule.info().governs.contains(&f.resource.kind),
                "{} on {}",
                f.rule,
                f.resource
            );
            seen.insert(f.rule);
            kinds.insert(f.resource.kind.as_str());
        }
    }
    // Every rule governing these kinds is reached, as the catalog says.
    let governing: BTreeSet<RuleId> = RuleId::ALL
        .iter()
        .copied()
        .filter(|rule| rule.info().governs.iter().any(|kind| kinds.contains(kind.as_str())))
        .collect();
    assert_eq!(seen, governing);
    assert_eq!(RuleId::NotebookDirectInternetDisabled.info().severity, Severity::High);
}
