//! Every SageMaker resource kind: a compliant one passes exactly the rules that govern it; each
//! single fault fails exactly its rule, with a reason naming the setting; a setting a create call
//! leaves out takes AWS's default.

use super::support::*;

#[test]
fn each_compliant_resource_passes_exactly_the_rules_that_govern_it() {
    let kinds: Vec<(Resource, &[RuleId])> = vec![
        (Resource::NotebookInstance(compliant_notebook()), &NOTEBOOK_RULES),
        (Resource::Job(compliant_training_job()), &JOB_RULES),
        (
            Resource::Model(compliant_model()),
            &[
                RuleId::ModelInProjectVpc,
                RuleId::ModelNetworkIsolation,
                RuleId::NotebookRequiredTags,
                RuleId::TagsProtected,
            ],
        ),
        (
            Resource::Domain(compliant_domain()),
            &[
                RuleId::DomainVpcOnly,
                RuleId::DomainKms,
                RuleId::NotebookRequiredTags,
                RuleId::TagsProtected,
            ],
        ),
    ];
    for (resource, governing) in kinds {
        let what = resource.reference();
        let findings = check(resource);
        assert_eq!(rules(&findings), governing, "{what}");
        assert!(all_passed(&findings), "{what}: {findings:#?}");
    }
}

/// `value` after `change`, as a resource.
fn changed<T: Into<Wrapped>>(mut value: T, change: impl FnOnce(&mut T)) -> Resource {
    change(&mut value);
    value.into().0
}

/// The compliant training job, its one definition after `change`.
fn job_spec(change: impl FnOnce(&mut JobSpec)) -> Resource {
    changed(compliant_training_job(), |job| change(job.specs.first_mut().unwrap()))
}

/// The compliant training job, its network after `change`.
fn job_network(change: impl FnOnce(&mut JobNetwork)) -> Resource {
    job_spec(|spec| change(spec.network.as_mut().unwrap()))
}

#[test]
fn each_single_fault_fails_only_its_rule_with_a_reason_naming_the_setting() {
    let faults: Vec<(&str, Resource, Facts, RuleId, &[&str])> = vec![
        (
            "notebook with direct internet access",
            changed(compliant_notebook(), |n| {
                n.direct_internet_access = Fact::Known(Toggle::Enabled)
            }),
            Facts::default(),
            RuleId::NotebookDirectInternetDisabled,
            &["DirectInternetAccess", "Enabled"],
        ),
        (
            "notebook without a subnet",
            changed(compliant_notebook(), |n| n.subnet_id = Fact::Known(None)),
            Facts::default(),
            RuleId::NotebookInProjectVpc,
            &["SubnetId"],
        ),
        (
            "notebook with root access",
            changed(compliant_notebook(), |n| n.root_access = Fact::Known(Toggle::Enabled)),
            Facts::default(),
            RuleId::NotebookRootAccessDisabled,
            &["RootAccess", "Enabled"],
        ),
        (
            "notebook without a key",
            changed(compliant_notebook(), |n| n.kms_key_id = Fact::Known(None)),
            Facts::default(),
            RuleId::NotebookKmsEncrypted,
            &["KmsKeyId"],
        ),
        (
            "notebook of a type off the allow list",
            changed(compliant_notebook(), |n| {
                n.instance_type = Fact::Known("ml.p4d.24xlarge".to_owned())
            }),
            Facts::default(),
            RuleId::NotebookApprovedInstanceType,
            &["ml.p4d.24xlarge"],
        ),
        (
            "online, a notebook outside the project subnets",
            changed(compliant_notebook(), |n| {
                n.subnet_id = Fact::Known(Some(OTHER_SUBNET.to_owned()))
            }),
            online(),
            RuleId::NotebookInProjectVpc,
            &[OTHER_SUBNET],
        ),
        (
            "online, a notebook encrypted with another key",
            changed(compliant_notebook(), |n| {
                n.kms_key_id = Fact::Known(Some(FOREIGN_KEY.to_owned()))
            }),
            online(),
            RuleId::NotebookKmsEncrypted,
            &[FOREIGN_KEY],
        ),
        (
            "job without a VPC",
            job_network(|n| n.vpc = None),
            Facts::default(),
            RuleId::JobInProjectVpc,
            &["VpcConfig"],
        ),
        (
            "job whose VPC names no subnet",
            job_network(|n| n.vpc = Some(placement(&[]))),
            Facts::default(),
            RuleId::JobInProjectVpc,
            &["no subnet"],
        ),
        (
            "job without network isolation",
            job_network(|n| n.network_isolation = false),
            Facts::default(),
            RuleId::JobNetworkIsolation,
            &["EnableNetworkIsolation"],
        ),
        (
            "job without inter-container encryption",
            job_network(|n| n.inter_container_encryption = false),
            Facts::default(),
            RuleId::JobInterContainerEncryption,
            &["EnableInterContainerTrafficEncryption"],
        ),
        (
            "job without a volume key",
            job_spec(|s| s.volume_kms_key_id = None),
            Facts::default(),
            RuleId::JobVolumeKms,
            &["VolumeKmsKeyId"],
        ),
        (
            "job without an output key",
            job_spec(|s| s.output_kms_key_id = Some(None)),
            Facts::default(),
            RuleId::JobOutputKms,
            &["KmsKeyId"],
        ),
        (
            "model without a VPC",
            changed(compliant_model(), |m| m.vpc = None),
            Facts::default(),
            RuleId::ModelInProjectVpc,
            &["VpcConfig"],
        ),
        (
            "online, a model outside the project subnets",
            changed(compliant_model(), |m| m.vpc = Some(placement(&[OTHER_SUBNET]))),
            online(),
            RuleId::ModelInProjectVpc,
            &[OTHER_SUBNET],
        ),
        (
            "model without network isolation",
            changed(compliant_model(), |m| m.network_isolation = false),
            Facts::default(),
            RuleId::ModelNetworkIsolation,
            &["EnableNetworkIsolation"],
        ),
        (
            "endpoint configuration without a key",
            changed(compliant_endpoint_config(), |c| c.kms_key_id = None),
            Facts::default(),
            RuleId::EndpointConfigKms,
            &["KmsKeyId"],
        ),
        (
            "domain with public internet access",
            changed(compliant_domain(), |d| {
                d.app_network_access = AppNetworkAccess::PublicInternetOnly
            }),
            Facts::default(),
            RuleId::DomainVpcOnly,
            &["PublicInternetOnly"],
        ),
        (
            "domain without a key",
            changed(compliant_domain(), |d| d.kms_key_id = None),
            Facts::default(),
            RuleId::DomainKms,
            &["KmsKeyId"],
        ),
    ];
    for (what, resource, facts, rule, names) in faults {
        let findings = check_with(&Policy::builtin(), resource, &facts);
        assert_eq!(failed(&findings), [rule], "{what}");
        let why = reason(&findings, rule);
        assert!(names.iter().all(|name| why.contains(name)), "{what}: {why}");
    }
}

#[test]
fn each_setting_a_create_call_leaves_out_takes_awss_default_and_fails_its_rule() {
    let notebook = |absent: &str| without(compliant_notebook_params(), absent);
    let model = json!({
        "modelName": "alpha-model",
        "executionRoleArn": "arn:aws:iam::111122223333:role/alpha-model",
        "vpcConfig": {"subnets": [SUBNET], "securityGroupIds": ["sg-0123456789abcdef0"]},
        "tags": tag_list()
    });
    let domain = json!({
        "domainName": "alpha-studio",
        "authMode": "IAM",
        "vpcId": "vpc-0a1b2c3d4e5f60718",
        "subnetIds": [SUBNET],
        "kmsKeyId": KEY,
        "tags": tag_list()
    });
    let calls: Vec<(&str, Value, RuleId, &str)> = vec![
        (
            "CreateNotebookInstance",
            notebook("directInternetAccess"),
            RuleId::NotebookDirectInternetDisabled,
            "Enabled",
        ),
        (
            "CreateNotebookInstance",
            notebook("subnetId"),
            RuleId::NotebookInProjectVpc,
            "SubnetId",
        ),
        (
            "CreateNotebookInstance",
            notebook("rootAccess"),
            RuleId::NotebookRootAccessDisabled,
            "Enabled",
        ),
        (
            "CreateNotebookInstance",
            notebook("kmsKeyId"),
            RuleId::NotebookKmsEncrypted,
            "KmsKeyId",
        ),
        (
            "CreateModel",
            model,
            RuleId::ModelNetworkIsolation,
            "EnableNetworkIsolation",
        ),
        ("CreateDomain", domain, RuleId::DomainVpcOnly, "PublicInternetOnly"),
    ];
    for (call, params, rule, named) in calls {
        let findings = assess(&api_event(call, params)).unwrap();
        assert_eq!(failed(&findings), [rule], "{call}");
        let why = reason(&findings, rule);
        assert!(why.contains(named), "{call}: {why}");
    }
}
