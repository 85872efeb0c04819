//! Project network, key and role rules, and their remedies: pure evaluation and planning.

use chrono::{TimeZone, Utc};
use sagefence_core::model::{IngressRange, KeyState, KmsKey, Peering, Role, RolePolicy, SecurityGroup, Subnet, Vpc};
use sagefence_core::model::{Resource, Tags};
use sagefence_core::plan::ActionKind;
use sagefence_core::{evaluate, plan, Facts, Finding, Policy, RuleId, Status};

fn project() -> Tags {
    [("sagefence:project", "alpha")].into_iter().collect()
}

fn findings(policy: &Policy, resource: &Resource) -> Vec<Finding> {
    let now = Utc.with_ymd_and_hms(2026, 11, 26, 12, 0, 0).unwrap();
    evaluate(policy, resource, Some("eu-west-1"), &Facts::default(), now)
}

fn status(findings: &[Finding], rule: RuleId) -> Status {
    findings.iter().find(|f| f.rule == rule).map(|f| f.status).unwrap()
}

fn endpoints() -> Vec<String> {
    ["sagemaker.api", "sagemaker.runtime", "notebook", "sts", "logs", "s3"]
        .iter()
        .map(|s| format!("com.amazonaws.eu-west-1.{s}"))
        .collect()
}

fn private_vpc() -> Vpc {
    Vpc {
        id: "vpc-1".into(),
        tags: project(),
        flow_logs: vec!["fl-1".into()],
        endpoint_services: endpoints(),
        ..Vpc::default()
    }
}

fn actions(policy: &Policy, resource: &Resource) -> Vec<ActionKind> {
    plan(policy, resource, &findings(policy, resource))
        .into_iter()
        .map(|a| a.action)
        .collect()
}

#[test]
fn a_private_project_vpc_passes_every_vpc_rule() {
    let f = findings(&Policy::builtin(), &Resource::Vpc(private_vpc()));
    assert_eq!(f.len(), 5, "four VPC rules and tags-protected");
    assert!(f.iter().all(|f| f.status == Status::Passed), "{f:#?}");
}

#[test]
fn an_attached_internet_gateway_fails_and_is_deleted() {
    let vpc = Vpc {
        internet_gateways: vec!["igw-1".into()],
        ..private_vpc()
    };
    let resource = Resource::Vpc(vpc);
    let policy = Policy::builtin();
    let f = findings(&policy, &resource);
    assert_eq!(status(&f, RuleId::VpcNoInternetGateway), Status::Failed);
    assert!(f.iter().any(|f| f.reason.contains("`igw-1`")));
    assert_eq!(
        actions(&policy, &resource),
        vec![ActionKind::DeleteInternetGateway {
            internet_gateway_id: "igw-1".into()
        }]
    );
}

#[test]
fn nat_gateways_and_peerings_are_removed() {
    let vpc = Vpc {
        nat_gateways: vec!["nat-1".into()],
        peerings: vec![Peering {
            id: "pcx-1".into(),
            status: "pending-acceptance".into(),
        }],
        ..private_vpc()
    };
    let resource = Resource::Vpc(vpc);
    let policy = Policy::builtin();
    assert_eq!(
        status(&findings(&policy, &resource), RuleId::VpcNoNatOrPeering),
        Status::Failed
    );
    assert_eq!(
        actions(&policy, &resource),
        vec![
            ActionKind::DeleteNatGateway {
                nat_gateway_id: "nat-1".into()
            },
            ActionKind::RemoveVpcPeeringConnection {
                peering_connection_id: "pcx-1".into()
            },
        ]
    );
}

#[test]
fn a_missing_flow_log_is_recreated_and_missing_endpoints_are_reported() {
    let vpc = Vpc {
        flow_logs: Vec::new(),
        endpoint_services: vec!["com.amazonaws.eu-west-1.sagemaker.api".into()],
        ..private_vpc()
    };
    let resource = Resource::Vpc(vpc);
    let policy = Policy::builtin();
    let f = findings(&policy, &resource);
    assert_eq!(status(&f, RuleId::VpcFlowLogsEnabled), Status::Failed);
    let endpoints = f.iter().find(|f| f.rule == RuleId::VpcRequiredEndpoints).unwrap();
    assert_eq!(endpoints.status, Status::Failed);
    assert!(endpoints.reason.contains("`sagemaker.runtime`"), "{}", endpoints.reason);
    assert!(!endpoints.reason.contains("`sagemaker.api`"), "{}", endpoints.reason);
    assert_eq!(
        actions(&policy, &resource),
        vec![ActionKind::CreateFlowLog, ActionKind::Notify]
    );
}

#[test]
fn an_endpoint_of_another_region_does_not_count() {
    let vpc = Vpc {
        endpoint_services: endpoints()
            .iter()
            .map(|s| s.replace("eu-west-1", "us-east-1"))
            .collect(),
        ..private_vpc()
    };
    let f = findings(&Policy::builtin(), &Resource::Vpc(vpc));
    assert_eq!(status(&f, RuleId::VpcRequiredEndpoints), Status::Failed);
}

#[test]
fn a_vpc_without_the_project_tag_is_out_of_scope() {
    let vpc = Vpc {
        tags: Tags::default(),
        internet_gateways: vec!["igw-1".into()],
        ..private_vpc()
    };
    assert!(findings(&Policy::builtin(), &Resource::Vpc(vpc)).is_empty());
}

#[test]
fn notify_remedy_changes_nothing_but_tells() {
    let policy = Policy::from_yaml("version: 1\nrules:\n  vpc-no-internet-gateway: {remedy: notify}\n").unwrap();
    let vpc = Vpc {
        internet_gateways: vec!["igw-1".into()],
        ..private_vpc()
    };
    assert_eq!(actions(&policy, &Resource::Vpc(vpc)), vec![ActionKind::Notify]);
}

#[test]
fn a_public_ip_subnet_is_set_back() {
    let subnet = Subnet {
        id: "subnet-1".into(),
        vpc_id: "vpc-1".into(),
        vpc_tags: project(),
        map_public_ip_on_launch: true,
    };
    let resource = Resource::Subnet(subnet.clone());
    let policy = Policy::builtin();
    assert_eq!(
        status(&findings(&policy, &resource), RuleId::SubnetNoPublicIp),
        Status::Failed
    );
    assert_eq!(
        actions(&policy, &resource),
        vec![ActionKind::DisableMapPublicIpOnLaunch]
    );
    let fixed = Resource::Subnet(Subnet {
        map_public_ip_on_launch: false,
        ..subnet
    });
    assert_eq!(
        status(&findings(&policy, &fixed), RuleId::SubnetNoPublicIp),
        Status::Passed
    );
    assert!(actions(&policy, &fixed).is_empty());
}

#[test]
fn only_open_ingress_is_revoked() {
    let range = |cidr: &str| IngressRange {
        protocol: "tcp".into(),
        from_port: Some(22),
        to_port: Some(22),
        cidr: cidr.into(),
    };
    let group = SecurityGroup {
        id: "sg-1".into(),
        vpc_id: "vpc-1".into(),
        vpc_tags: project(),
        vpc_cidrs: vec!["10.0.0.0/16".into()],
        ingress: vec![range("10.0.0.0/16"), range("0.0.0.0/0"), range("::/0")],
    };
    let resource = Resource::SecurityGroup(group);
    let policy = Policy::builtin();
    let f = findings(&policy, &resource);
    assert_eq!(status(&f, RuleId::SecurityGroupNoOpenIngress), Status::Failed);
    assert!(f[0].reason.contains("tcp 22 from 0.0.0.0/0"), "{}", f[0].reason);
    assert_eq!(
        actions(&policy, &resource),
        vec![ActionKind::RevokeIngress {
            ranges: vec![range("0.0.0.0/0"), range("::/0")]
        }]
    );
}

fn key(state: KeyState, rotation_enabled: bool) -> Resource {
    Resource::KmsKey(KmsKey {
        id: "key-1".into(),
        arn: "arn:aws:kms:eu-west-1:111122223333:key/key-1".into(),
        tags: project(),
        customer_managed: true,
        state,
        rotation_enabled,
    })
}

#[test]
fn a_key_without_rotation_gets_rotation_back() {
    let policy = Policy::builtin();
    let resource = key(KeyState::Enabled, false);
    let f = findings(&policy, &resource);
    assert_eq!(status(&f, RuleId::KmsRotationEnabled), Status::Failed);
    assert_eq!(status(&f, RuleId::KmsNoPendingDeletion), Status::Passed);
    assert_eq!(actions(&policy, &resource), vec![ActionKind::EnableKeyRotation]);
}

#[test]
fn a_key_pending_deletion_is_cancelled_before_rotation_is_restored() {
    let policy = Policy::builtin();
    assert_eq!(
        actions(&policy, &key(KeyState::PendingDeletion, false)),
        vec![ActionKind::CancelKeyDeletion, ActionKind::EnableKeyRotation]
    );
    let audit_deletion = Policy::from_yaml("version: 1\nrules:\n  kms-no-pending-deletion: {mode: 'off'}\n").unwrap();
    assert!(
        actions(&audit_deletion, &key(KeyState::PendingDeletion, false)).is_empty(),
        "rotation cannot be enabled on a key pending deletion"
    );
}

#[test]
fn broad_role_policies_are_detached_or_deleted() {
    let role = Role {
        name: "alpha-notebook".into(),
        arn: "arn:aws:iam::111122223333:role/alpha-notebook".into(),
        tags: project(),
        policies: vec![
            RolePolicy {
                id: sagefence_core::model::ADMINISTRATOR_ACCESS.into(),
                managed: true,
                excess: vec!["allows every action".into()],
            },
            RolePolicy {
                id: "everything".into(),
                managed: false,
                excess: vec!["allows every action".into()],
            },
            RolePolicy {
                id: "read-data".into(),
                managed: false,
                excess: Vec::new(),
            },
        ],
    };
    let resource = Resource::Role(role);
    let policy = Policy::builtin();
    let f = findings(&policy, &resource);
    assert_eq!(status(&f, RuleId::RoleLeastPrivilege), Status::Failed);
    assert!(!f[0].reason.contains("read-data"));
    assert_eq!(
        actions(&policy, &resource),
        vec![
            ActionKind::DetachRolePolicy {
                policy_arn: sagefence_core::model::ADMINISTRATOR_ACCESS.into()
            },
            ActionKind::DeleteRolePolicy {
                policy_name: "everything".into()
            },
        ]
    );
}

#[test]
fn ingress_from_part_of_the_internet_is_open_too() {
    let range = |cidr: &str| IngressRange {
        protocol: "tcp".into(),
        from_port: Some(443),
        to_port: Some(443),
        cidr: cidr.into(),
    };
    let evasions = ["0.0.0.0/1", "128.0.0.0/1", "8.0.0.0/8", "::/1", "8000::/1"];
    let group = SecurityGroup {
        id: "sg-1".into(),
        vpc_id: "vpc-1".into(),
        vpc_tags: project(),
        vpc_cidrs: vec!["10.0.0.0/16".into()],
        ingress: evasions
            .iter()
            .map(|c| range(c))
            .chain([range("10.0.1.0/24"), range("192.168.0.0/16")])
            .collect(),
    };
    let resource = Resource::SecurityGroup(group);
    let policy = Policy::builtin();
    let f = findings(&policy, &resource);
    assert_eq!(status(&f, RuleId::SecurityGroupNoOpenIngress), Status::Failed);
    assert_eq!(
        actions(&policy, &resource),
        vec![ActionKind::RevokeIngress {
            ranges: evasions.iter().map(|c| range(c)).collect()
        }]
    );
}

/// A project role whose one inline policy is `document`.
fn role_with(document: &str) -> Resource {
    Resource::Role(Role {
        name: "alpha-notebook".into(),
        arn: "arn:aws:iam::111122223333:role/alpha-notebook".into(),
        tags: project(),
        policies: vec![RolePolicy {
            id: "inline".into(),
            managed: false,
            excess: sagefence_core::model::excess_grants(document),
        }],
    })
}

#[test]
fn least_privilege_is_not_sidestepped_by_not_action_or_service_wildcards() {
    let policy = Policy::builtin();
    for statement in [
        r#"{"Effect":"Allow","NotAction":"iam:DeleteRole","Resource":"*"}"#,
        r#"{"Effect":"Allow","Action":"iam:*","Resource":"*"}"#,
        r#"{"Effect":"Allow","Action":"sagemaker:*","Resource":"*"}"#,
        r#"{"Effect":"Allow","Action":"s3:*","Resource":"*"}"#,
        r#"{"Effect":"Allow","Action":"kms:*","Resource":"*"}"#,
        r#"{"Effect":"Allow","Action":"*:*","Resource":"*"}"#,
        r#"{"Effect":"Allow","Action":"iam:Put*","Resource":"*"}"#,
        r#"{"Effect":"Allow","Action":"iam:*Policy","Resource":"*"}"#,
        r#"{"Effect":"Allow","Action":"iam:PassRole","Resource":"*"}"#,
        r#"{"Effect":"Allow","Action":"iam:CreatePolicyVersion","Resource":"arn:aws:iam::111122223333:policy/p"}"#,
        r#"{"Effect":"Allow","Action":"iam:AttachRolePolicy","Resource":"*"}"#,
        r#"{"Effect":"Allow","Action":"iam:PutRolePolicy","Resource":"*"}"#,
        r#"{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}"#,
        r#"{"Effect":"Allow","Action":"s3:GetObject","NotResource":"arn:aws:s3:::alpha/*"}"#,
    ] {
        let resource = role_with(&format!(r#"{{"Version":"2012-10-17","Statement":[{statement}]}}"#));
        let f = findings(&policy, &resource);
        assert_eq!(status(&f, RuleId::RoleLeastPrivilege), Status::Failed, "{statement}");
        assert_eq!(
            actions(&policy, &resource),
            vec![ActionKind::DeleteRolePolicy {
                policy_name: "inline".into()
            }],
            "{statement}"
        );
    }
    let scoped = role_with(
        r#"{"Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::alpha/*"}]}"#,
    );
    assert_eq!(
        status(&findings(&policy, &scoped), RuleId::RoleLeastPrivilege),
        Status::Passed
    );
}

#[test]
fn audit_mode_plans_the_same_fixes_as_dry_runs() {
    let policy = Policy::from_yaml("version: 1\nmode: audit\n").unwrap();
    let resource = key(KeyState::Enabled, false);
    let planned = plan(&policy, &resource, &findings(&policy, &resource));
    assert_eq!(planned.len(), 1);
    assert_eq!(planned[0].mode, sagefence_core::Mode::Audit);
}
