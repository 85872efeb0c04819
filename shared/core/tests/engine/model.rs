//! Models: evaluation of their rules.

use super::support::*;

#[test]
fn compliant_model_passes_both_model_rules_and_the_tag_rules() {
    let findings = check(compliant_model());
    assert_eq!(
        rules(&findings),
        [
            RuleId::ModelInProjectVpc,
            RuleId::ModelNetworkIsolation,
            RuleId::NotebookRequiredTags,
            RuleId::TagsProtected
        ]
    );
    assert!(all_passed(&findings), "{findings:#?}");
}

#[test]
fn model_without_vpc_config_fails_model_in_project_vpc() {
    let mut model = compliant_model();
    model.vpc = None;
    let findings = check(model);
    assert_eq!(failed(&findings), [RuleId::ModelInProjectVpc]);
    assert!(reason(&findings, RuleId::ModelInProjectVpc).contains("VpcConfig"));
}

#[test]
fn online_a_model_in_a_subnet_outside_the_project_fails_naming_the_subnet() {
    let mut model = compliant_model();
    model.vpc = Some(placement(&[OTHER_SUBNET]));
    let findings = check_with(&Policy::builtin(), model, &online());
    assert_eq!(failed(&findings), [RuleId::ModelInProjectVpc]);
    assert!(reason(&findings, RuleId::ModelInProjectVpc).contains(OTHER_SUBNET));
}

#[test]
fn model_without_network_isolation_fails_naming_the_setting() {
    let mut model = compliant_model();
    model.network_isolation = false;
    let findings = check(model);
    assert_eq!(failed(&findings), [RuleId::ModelNetworkIsolation]);
    assert!(reason(&findings, RuleId::ModelNetworkIsolation).contains("EnableNetworkIsolation"));
}

#[test]
fn model_created_without_enable_network_isolation_fails_because_absent_means_false() {
    let params = json!({
        "modelName": "alpha-model",
        "executionRoleArn": "arn:aws:iam::111122223333:role/alpha-model",
        "vpcConfig": {"subnets": [SUBNET], "securityGroupIds": ["sg-0123456789abcdef0"]},
        "tags": tag_list()
    });
    let findings = assess(&api_event("CreateModel", params)).unwrap();
    assert_eq!(failed(&findings), [RuleId::ModelNetworkIsolation]);
}
