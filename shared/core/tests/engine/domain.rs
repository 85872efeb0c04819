//! Studio domains: evaluation of their rules.

use super::support::*;

#[test]
fn compliant_domain_passes_vpc_only_and_kms() {
    let findings = check(compliant_domain());
    assert_eq!(
        rules(&findings),
        [
            RuleId::DomainVpcOnly,
            RuleId::DomainKms,
            RuleId::NotebookRequiredTags,
            RuleId::TagsProtected
        ]
    );
    assert!(all_passed(&findings), "{findings:#?}");
}

#[test]
fn domain_with_public_internet_access_fails_naming_the_access_type() {
    let mut domain = compliant_domain();
    domain.app_network_access = AppNetworkAccess::PublicInternetOnly;
    let findings = check(domain);
    assert_eq!(failed(&findings), [RuleId::DomainVpcOnly]);
    assert!(reason(&findings, RuleId::DomainVpcOnly).contains("PublicInternetOnly"));
}

#[test]
fn domain_created_without_app_network_access_type_fails_because_absent_means_public_internet() {
    let params = json!({
        "domainName": "alpha-studio",
        "authMode": "IAM",
        "vpcId": "vpc-0a1b2c3d4e5f60718",
        "subnetIds": [SUBNET],
        "kmsKeyId": KEY,
        "tags": tag_list()
    });
    let findings = assess(&api_event("CreateDomain", params)).unwrap();
    assert_eq!(failed(&findings), [RuleId::DomainVpcOnly]);
}

#[test]
fn domain_without_kms_key_fails_naming_kms_key_id() {
    let mut domain = compliant_domain();
    domain.kms_key_id = None;
    let findings = check(domain);
    assert_eq!(failed(&findings), [RuleId::DomainKms]);
    assert!(reason(&findings, RuleId::DomainKms).contains("KmsKeyId"));
}
