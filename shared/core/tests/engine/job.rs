//! Jobs: evaluation of their rules.

use super::support::*;

#[test]
fn online_a_job_with_a_subnet_outside_the_project_fails_naming_only_that_subnet() {
    let mut job = compliant_training_job();
    job.specs = vec![JobSpec {
        network: Some(JobNetwork {
            vpc: Some(placement(&[SUBNET, OTHER_SUBNET])),
            network_isolation: true,
            inter_container_encryption: true,
        }),
        ..compliant_spec()
    }];
    let findings = check_with(&Policy::builtin(), job, &online());
    assert_eq!(failed(&findings), [RuleId::JobInProjectVpc]);
    let why = reason(&findings, RuleId::JobInProjectVpc);
    assert!(why.contains(OTHER_SUBNET) && !why.contains(SUBNET), "{why}");
}

#[test]
fn training_job_created_without_isolation_and_encryption_flags_fails_both_because_absent_means_false() {
    let params = json!({
        "trainingJobName": "alpha-train",
        "vpcConfig": {"subnets": [SUBNET], "securityGroupIds": ["sg-0123456789abcdef0"]},
        "resourceConfig": {"instanceType": "ml.m5.xlarge", "instanceCount": 1, "volumeKmsKeyId": KEY},
        "outputDataConfig": {"s3OutputPath": "s3://alpha/out/", "kmsKeyId": KEY},
        "tags": tag_list()
    });
    let findings = assess(&api_event("CreateTrainingJob", params)).unwrap();
    assert_eq!(
        failed(&findings),
        [RuleId::JobNetworkIsolation, RuleId::JobInterContainerEncryption]
    );
}

#[test]
fn processing_job_reads_network_volume_and_output_from_their_processing_fields() {
    let params = json!({
        "processingJobName": "alpha-prep",
        "networkConfig": {
            "vpcConfig": {"subnets": [SUBNET], "securityGroupIds": ["sg-0123456789abcdef0"]},
            "enableNetworkIsolation": true,
            "enableInterContainerTrafficEncryption": true
        },
        "processingResources": {"clusterConfig": {"instanceCount": 1, "volumeKmsKeyId": KEY}},
        "processingOutputConfig": {"outputs": [], "kmsKeyId": KEY},
        "tags": tag_list()
    });
    let findings = assess(&api_event("CreateProcessingJob", params)).unwrap();
    assert_eq!(rules(&findings), JOB_RULES);
    assert!(all_passed(&findings), "{findings:#?}");
}

#[test]
fn processing_job_without_network_config_fails_vpc_isolation_and_encryption() {
    let params = json!({
        "processingJobName": "alpha-prep",
        "processingResources": {"clusterConfig": {"instanceCount": 1, "volumeKmsKeyId": KEY}},
        "processingOutputConfig": {"outputs": [], "kmsKeyId": KEY},
        "tags": tag_list()
    });
    let findings = assess(&api_event("CreateProcessingJob", params)).unwrap();
    assert_eq!(
        failed(&findings),
        [
            RuleId::JobInProjectVpc,
            RuleId::JobNetworkIsolation,
            RuleId::JobInterContainerEncryption
        ]
    );
}

#[test]
fn processing_job_with_no_output_config_makes_job_output_kms_not_applicable() {
    let mut job = compliant_job(JobKind::Processing);
    job.specs = vec![JobSpec {
        output_kms_key_id: None,
        ..compliant_spec()
    }];
    let findings = check(job);
    assert_eq!(status(&findings, RuleId::JobOutputKms), Some(Status::NotApplicable));
    assert!(reason(&findings, RuleId::JobOutputKms).contains("no output"));
    assert!(failed(&findings).is_empty());
}

#[test]
fn tuning_job_with_several_compliant_definitions_passes() {
    let mut job = compliant_job(JobKind::HyperParameterTuning);
    job.specs = vec![compliant_spec(), compliant_spec(), compliant_spec()];
    let findings = check(job);
    assert!(all_passed(&findings), "{findings:#?}");
}

#[test]
fn tuning_job_fails_when_any_definition_fails_and_the_reason_names_that_definition() {
    let mut job = compliant_job(JobKind::HyperParameterTuning);
    job.specs = vec![
        compliant_spec(),
        JobSpec {
            volume_kms_key_id: None,
            ..compliant_spec()
        },
    ];
    let findings = check(job);
    assert_eq!(failed(&findings), [RuleId::JobVolumeKms]);
    let why = reason(&findings, RuleId::JobVolumeKms);
    assert!(why.contains("definition 2") && !why.contains("definition 1"), "{why}");
}

#[test]
fn tuning_job_created_with_training_job_definitions_evaluates_each_of_them() {
    let definition = |volume_key: Option<&str>| {
        json!({
            "definitionName": "xgb",
            "vpcConfig": {"subnets": [SUBNET], "securityGroupIds": ["sg-0123456789abcdef0"]},
            "enableNetworkIsolation": true,
            "enableInterContainerTrafficEncryption": true,
            "resourceConfig": {"instanceType": "ml.m5.xlarge", "instanceCount": 1, "volumeKmsKeyId": volume_key},
            "outputDataConfig": {"s3OutputPath": "s3://alpha/out/", "kmsKeyId": KEY}
        })
    };
    let params = json!({
        "hyperParameterTuningJobName": "alpha-tune",
        "trainingJobDefinitions": [definition(Some(KEY)), definition(None)],
        "tags": tag_list()
    });
    let findings = assess(&api_event("CreateHyperParameterTuningJob", params)).unwrap();
    assert_eq!(failed(&findings), [RuleId::JobVolumeKms]);
    assert!(reason(&findings, RuleId::JobVolumeKms).contains("definition 2"));
}

#[test]
fn transform_job_network_rules_are_not_applicable_because_its_network_comes_from_the_model() {
    let findings = check(compliant_transform_job());
    for rule in [
        RuleId::JobInProjectVpc,
        RuleId::JobNetworkIsolation,
        RuleId::JobInterContainerEncryption,
    ] {
        assert_eq!(status(&findings, rule), Some(Status::NotApplicable), "{rule}");
        assert!(reason(&findings, rule).contains("model"), "{rule}");
    }
    assert_eq!(status(&findings, RuleId::JobVolumeKms), Some(Status::Passed));
    assert_eq!(status(&findings, RuleId::JobOutputKms), Some(Status::Passed));
}

#[test]
fn transform_job_created_without_volume_and_output_keys_fails_both_kms_rules() {
    let params = json!({
        "transformJobName": "alpha-batch",
        "modelName": "alpha-model",
        "transformResources": {"instanceType": "ml.m5.xlarge", "instanceCount": 1},
        "transformOutput": {"s3OutputPath": "s3://alpha/batch/"},
        "tags": tag_list()
    });
    let findings = assess(&api_event("CreateTransformJob", params)).unwrap();
    assert_eq!(failed(&findings), [RuleId::JobVolumeKms, RuleId::JobOutputKms]);
    assert_eq!(status(&findings, RuleId::JobInProjectVpc), Some(Status::NotApplicable));
}
