//! Evaluation: every catalog rule that governs a resource, applied to what the input tells,
//! yields one finding. Pure and total: unknown inputs give `NOT_APPLICABLE`, never a guess.

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::account::{KeyState, KmsKey, Role, SecurityGroup, Subnet, Vpc};
use crate::catalog::{RuleId, Severity};
use crate::model::{
    AppNetworkAccess, Domain, EndpointConfig, Fact, Job, JobSpec, Model, NotebookInstance, Resource, ResourceRef, Tags,
    Toggle, VpcPlacement,
};
use crate::policy::{Mode, Policy, ResourceScope};

/// What the account says about project networks and keys, resolved by the caller before
/// evaluation. Offline (the default) nothing is known, and only what the input shows decides.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// Whether these facts were read from the account. When true, a subnet or key missing
    /// from the sets below is not a project one.
    pub online: bool,
    /// Subnets that belong to a project VPC (one without an internet gateway).
    pub project_subnets: BTreeSet<String>,
    /// The project's customer-managed keys, by key id, key ARN and alias ARN.
    pub project_keys: BTreeSet<String>,
}

/// The outcome of one rule on one resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Status {
    /// The resource meets the rule.
    Passed,
    /// The resource breaks the rule.
    Failed,
    /// The rule cannot be decided from this input, or does not apply.
    NotApplicable,
}

/// The exemption that waived a failed finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Waiver {
    /// Why the resource is exempt.
    pub reason: String,
    /// The last day the exemption holds.
    pub expires: NaiveDate,
}

/// One rule's verdict on one resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The rule.
    pub rule: RuleId,
    /// The Security Hub control or Config rule it maps to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub control: Option<&'static str>,
    /// The resource.
    pub resource: ResourceRef,
    /// The outcome.
    pub status: Status,
    /// How serious a failure is.
    pub severity: Severity,
    /// Why, in a sentence.
    pub reason: String,
    /// `enforce` or `audit`.
    pub mode: Mode,
    /// The exemption that waives a failure, if one holds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exemption: Option<Waiver>,
}

impl Finding {
    /// A failure that no exemption waives: the resource owes a remedy.
    pub fn is_violation(&self) -> bool {
        self.status == Status::Failed && self.exemption.is_none()
    }
}

/// A rule's verdict before policy and exemptions are applied.
struct Verdict {
    status: Status,
    reason: String,
}

fn pass(reason: impl Into<String>) -> Verdict {
    Verdict {
        status: Status::Passed,
        reason: reason.into(),
    }
}

fn fail(reason: impl Into<String>) -> Verdict {
    Verdict {
        status: Status::Failed,
        reason: reason.into(),
    }
}

fn not_applicable(reason: impl Into<String>) -> Verdict {
    Verdict {
        status: Status::NotApplicable,
        reason: reason.into(),
    }
}

/// Evaluates every rule that governs `resource`. Returns no finding when the resource is
/// outside the policy's scope (region, except for global IAM roles, or project), and none for
/// rules that are `off`.
pub fn evaluate(
    policy: &Policy,
    resource: &Resource,
    region: Option<&str>,
    facts: &Facts,
    now: DateTime<Utc>,
) -> Vec<Finding> {
    if !in_scope(policy, resource, region, facts) {
        return Vec::new();
    }
    let verdicts = match resource {
        Resource::NotebookInstance(n) => notebook(policy, n, facts),
        Resource::Job(j) => job(policy, j, facts),
        Resource::Model(m) => model(policy, m, facts),
        Resource::EndpointConfig(e) => endpoint_config(policy, e),
        Resource::Domain(d) => domain(policy, d),
        Resource::Vpc(v) => vpc(policy, v, region),
        Resource::Subnet(subnet) => vec![(RuleId::SubnetNoPublicIp, subnet_public_ip(subnet))],
        Resource::SecurityGroup(g) => vec![(RuleId::SecurityGroupNoOpenIngress, open_ingress(g))],
        Resource::KmsKey(k) => kms_key(k),
        Resource::Role(r) => vec![(RuleId::RoleLeastPrivilege, least_privilege(r))],
    };
    let reference = resource.reference();
    let today = now.date_naive();
    verdicts
        .into_iter()
        .filter_map(|(rule, verdict)| {
            let mode = policy.mode(rule);
            if mode == Mode::Off {
                return None;
            }
            let exemption = (verdict.status == Status::Failed)
                .then(|| policy.exemption(rule, &reference.name, reference.arn.as_deref(), today))
                .flatten()
                .map(|e| Waiver {
                    reason: e.reason.as_str().to_owned(),
                    expires: e.expires,
                });
            let info = rule.info();
            Some(Finding {
                rule,
                control: info.control,
                resource: reference.clone(),
                status: verdict.status,
                severity: info.severity,
                reason: verdict.reason,
                mode,
                exemption,
            })
        })
        .collect()
}

fn in_scope(policy: &Policy, resource: &Resource, region: Option<&str>, facts: &Facts) -> bool {
    let scope = &policy.scope;
    let global = matches!(resource, Resource::Role(_));
    if let Some(region) = region.filter(|_| !global) {
        if !scope.regions.is_empty() && !scope.regions.iter().any(|r| r == region) {
            return false;
        }
    }
    if let Some(project) = resource.is_project_infrastructure(&scope.project_tag_key) {
        return project;
    }
    match scope.resources {
        ResourceScope::All => true,
        ResourceScope::Project => {
            let tagged = resource
                .tags()
                .is_some_and(|tags| tags.get(&scope.project_tag_key).is_some());
            tagged || placed_in_project(resource, facts)
        }
    }
}

fn placed_in_project(resource: &Resource, facts: &Facts) -> bool {
    let in_project = |subnet: &String| facts.project_subnets.contains(subnet);
    match resource {
        Resource::NotebookInstance(n) => matches!(&n.subnet_id, Fact::Known(Some(s)) if in_project(s)),
        Resource::Job(j) => j
            .specs
            .iter()
            .filter_map(|s| s.network.as_ref().and_then(|n| n.vpc.as_ref()))
            .any(|vpc| vpc.subnets.iter().any(in_project)),
        Resource::Model(m) => m.vpc.as_ref().is_some_and(|vpc| vpc.subnets.iter().any(in_project)),
        Resource::EndpointConfig(_) => false,
        Resource::Domain(d) => d.subnet_ids.iter().any(in_project),
        Resource::Vpc(_)
        | Resource::Subnet(_)
        | Resource::SecurityGroup(_)
        | Resource::KmsKey(_)
        | Resource::Role(_) => false,
    }
}

fn toggle_disabled(value: &Fact<Toggle>, setting: &str) -> Verdict {
    match value {
        Fact::Known(Toggle::Disabled) => pass(format!("{setting} is `Disabled`")),
        Fact::Known(Toggle::Enabled) => fail(format!("{setting} is `Enabled` (absent means `Enabled`)")),
        Fact::Unknown => not_applicable(format!("the input does not carry {setting}")),
    }
}

fn subnets_in_project(subnets: &[String], facts: &Facts, what: &str) -> Verdict {
    if subnets.is_empty() {
        return fail(format!("{what} names no subnet"));
    }
    if !facts.online {
        return pass(format!(
            "{what} runs in subnet(s) {}; project VPC membership is checked online",
            backticked(subnets)
        ));
    }
    let outside: Vec<String> = subnets
        .iter()
        .filter(|s| !facts.project_subnets.contains(*s))
        .cloned()
        .collect();
    if outside.is_empty() {
        pass(format!("{what} runs in project subnet(s) {}", backticked(subnets)))
    } else {
        fail(format!("subnet(s) {} are not in a project VPC", backticked(&outside)))
    }
}

fn project_key(key: &str, facts: &Facts, what: &str) -> Verdict {
    if !facts.online {
        pass(format!(
            "{what} is encrypted with `{key}`; the key's owner is checked online"
        ))
    } else if facts.project_keys.contains(key) {
        pass(format!("{what} is encrypted with the project key `{key}`"))
    } else {
        fail(format!("`{key}` is not the project's customer-managed key"))
    }
}

fn backticked(items: &[String]) -> String {
    items.iter().map(|s| format!("`{s}`")).collect::<Vec<_>>().join(", ")
}

fn required_tags(policy: &Policy, tags: Option<&Tags>) -> Verdict {
    let Some(tags) = tags else {
        return not_applicable("the input does not carry the tags");
    };
    let missing: Vec<String> = policy
        .required_tag_keys()
        .into_iter()
        .filter(|key| tags.get(key).is_none_or(|v| v.trim().is_empty()))
        .map(String::from)
        .collect();
    if missing.is_empty() {
        pass("carries every required tag")
    } else {
        fail(format!("missing tag(s) {}", backticked(&missing)))
    }
}

fn notebook(policy: &Policy, n: &NotebookInstance, facts: &Facts) -> Vec<(RuleId, Verdict)> {
    let vpc = match &n.subnet_id {
        Fact::Known(Some(subnet)) => subnets_in_project(std::slice::from_ref(subnet), facts, "the notebook"),
        Fact::Known(None) => fail("no SubnetId: the notebook runs in SageMaker's network, outside any project VPC"),
        Fact::Unknown => not_applicable("the input does not carry SubnetId"),
    };
    let kms = match &n.kms_key_id {
        Fact::Known(Some(key)) => project_key(key, facts, "the volume"),
        Fact::Known(None) => fail("no KmsKeyId: the volume is encrypted with an AWS managed key"),
        Fact::Unknown => not_applicable("the input does not carry KmsKeyId"),
    };
    let allowed = &policy.rules.notebook_approved_instance_type.allowed;
    let instance_type = match &n.instance_type {
        Fact::Known(t) if allowed.iter().any(|a| a == t) => pass(format!("instance type `{t}` is allowed")),
        Fact::Known(t) => fail(format!("instance type `{t}` is not in the policy's allow-list")),
        Fact::Unknown => not_applicable("the input does not carry InstanceType"),
    };
    vec![
        (
            RuleId::NotebookDirectInternetDisabled,
            toggle_disabled(&n.direct_internet_access, "DirectInternetAccess"),
        ),
        (RuleId::NotebookInProjectVpc, vpc),
        (
            RuleId::NotebookRootAccessDisabled,
            toggle_disabled(&n.root_access, "RootAccess"),
        ),
        (RuleId::NotebookKmsEncrypted, kms),
        (RuleId::NotebookApprovedInstanceType, instance_type),
        (RuleId::NotebookRequiredTags, required_tags(policy, n.tags.known())),
    ]
}

/// Applies `check` to each definition of a job: the job fails if any definition fails.
fn each_spec(specs: &[JobSpec], check: impl Fn(&JobSpec) -> Verdict) -> Verdict {
    if specs.is_empty() {
        return not_applicable("the job has no training job definition");
    }
    let verdicts: Vec<Verdict> = specs.iter().map(check).collect();
    let label = |i: usize, v: &Verdict| {
        if specs.len() > 1 {
            format!("definition {}: {}", i + 1, v.reason)
        } else {
            v.reason.clone()
        }
    };
    for status in [Status::Failed, Status::Passed] {
        let matching: Vec<String> = verdicts
            .iter()
            .enumerate()
            .filter(|(_, v)| v.status == status)
            .map(|(i, v)| label(i, v))
            .collect();
        if !matching.is_empty() {
            return Verdict {
                status,
                reason: matching.join("; "),
            };
        }
    }
    let reason = verdicts.into_iter().next().map(|v| v.reason).unwrap_or_default();
    not_applicable(reason)
}

const NETWORK_FROM_MODEL: &str = "a transform job's network comes from its model";

fn job(policy: &Policy, j: &Job, facts: &Facts) -> Vec<(RuleId, Verdict)> {
    let vpc = each_spec(&j.specs, |s| match &s.network {
        None => not_applicable(NETWORK_FROM_MODEL),
        Some(network) => match &network.vpc {
            None => fail("no VpcConfig: the job runs outside any project VPC"),
            Some(VpcPlacement { subnets, .. }) => subnets_in_project(subnets, facts, "the job"),
        },
    });
    let isolation = each_spec(&j.specs, |s| match &s.network {
        None => not_applicable(NETWORK_FROM_MODEL),
        Some(n) if n.network_isolation => pass("network isolation is enabled"),
        Some(_) => fail("EnableNetworkIsolation is false (absent means false)"),
    });
    let inter_container = each_spec(&j.specs, |s| match &s.network {
        None => not_applicable(NETWORK_FROM_MODEL),
        Some(n) if n.inter_container_encryption => pass("inter-container traffic is encrypted"),
        Some(_) => fail("EnableInterContainerTrafficEncryption is false (absent means false)"),
    });
    let volume = each_spec(&j.specs, |s| match &s.volume_kms_key_id {
        Some(key) => pass(format!("volumes are encrypted with `{key}`")),
        None => fail("no VolumeKmsKeyId: volumes are not encrypted with a KMS key"),
    });
    let output = each_spec(&j.specs, |s| match &s.output_kms_key_id {
        Some(Some(key)) => pass(format!("output is encrypted with `{key}`")),
        Some(None) => fail("no output KmsKeyId: output is not encrypted with a KMS key"),
        None => not_applicable("the job writes no output"),
    });
    vec![
        (RuleId::JobInProjectVpc, vpc),
        (RuleId::JobNetworkIsolation, isolation),
        (RuleId::JobInterContainerEncryption, inter_container),
        (RuleId::JobVolumeKms, volume),
        (RuleId::JobOutputKms, output),
        (RuleId::NotebookRequiredTags, required_tags(policy, Some(&j.tags))),
    ]
}

fn model(policy: &Policy, m: &Model, facts: &Facts) -> Vec<(RuleId, Verdict)> {
    let vpc = match &m.vpc {
        None => fail("no VpcConfig: the model's containers run outside any project VPC"),
        Some(vpc) => subnets_in_project(&vpc.subnets, facts, "the model"),
    };
    let isolation = if m.network_isolation {
        pass("network isolation is enabled")
    } else {
        fail("EnableNetworkIsolation is false (absent means false)")
    };
    vec![
        (RuleId::ModelInProjectVpc, vpc),
        (RuleId::ModelNetworkIsolation, isolation),
        (RuleId::NotebookRequiredTags, required_tags(policy, Some(&m.tags))),
    ]
}

fn endpoint_config(policy: &Policy, e: &EndpointConfig) -> Vec<(RuleId, Verdict)> {
    let kms = match &e.kms_key_id {
        Some(key) => pass(format!("attached storage is encrypted with `{key}`")),
        None => fail("no KmsKeyId: the endpoint's storage is not encrypted with a KMS key"),
    };
    vec![
        (RuleId::EndpointConfigKms, kms),
        (RuleId::EndpointConfigProdInstanceCount, prod_instance_count(policy, e)),
        (RuleId::NotebookRequiredTags, required_tags(policy, Some(&e.tags))),
    ]
}

fn prod_instance_count(policy: &Policy, e: &EndpointConfig) -> Verdict {
    let settings = &policy.rules.endpoint_config_prod_instance_count;
    let environment = e
        .tags
        .get(&policy.scope.environment_tag_key)
        .or(policy.scope.environment.as_deref());
    let is_prod = environment.is_some_and(|env| settings.environments.iter().any(|p| p == env));
    if !is_prod {
        return not_applicable("not a production endpoint configuration");
    }
    let counted: Vec<_> = e
        .variants
        .iter()
        .filter(|v| !v.serverless)
        .filter_map(|v| v.initial_instance_count.map(|count| (v, count)))
        .collect();
    if counted.is_empty() {
        return not_applicable("no instance-based production variant");
    }
    let short: Vec<String> = counted
        .iter()
        .filter(|(_, count)| *count < settings.minimum)
        .map(|(v, count)| format!("`{}` ({count})", v.name))
        .collect();
    if short.is_empty() {
        pass(format!(
            "every instance-based variant starts with at least {} instances",
            settings.minimum
        ))
    } else {
        fail(format!(
            "variant(s) {} start with fewer than {} instances",
            short.join(", "),
            settings.minimum
        ))
    }
}

fn domain(policy: &Policy, d: &Domain) -> Vec<(RuleId, Verdict)> {
    let vpc_only = match d.app_network_access {
        AppNetworkAccess::VpcOnly => pass("AppNetworkAccessType is `VpcOnly`"),
        AppNetworkAccess::PublicInternetOnly => {
            fail("AppNetworkAccessType is `PublicInternetOnly` (absent means `PublicInternetOnly`)")
        }
    };
    let kms = match &d.kms_key_id {
        Some(key) => pass(format!("the domain's volume is encrypted with `{key}`")),
        None => fail("no KmsKeyId: the domain's volume is encrypted with an AWS managed key"),
    };
    vec![
        (RuleId::DomainVpcOnly, vpc_only),
        (RuleId::DomainKms, kms),
        (RuleId::NotebookRequiredTags, required_tags(policy, Some(&d.tags))),
    ]
}

fn vpc(policy: &Policy, v: &Vpc, region: Option<&str>) -> Vec<(RuleId, Verdict)> {
    let gateways = if v.internet_gateways.is_empty() {
        pass("no internet gateway is attached")
    } else {
        fail(format!(
            "internet gateway(s) {} attached",
            backticked(&v.internet_gateways)
        ))
    };
    let peering_ids: Vec<String> = v.peerings.iter().map(|p| p.id.clone()).collect();
    let outside = match (v.nat_gateways.is_empty(), peering_ids.is_empty()) {
        (true, true) => pass("no NAT gateway and no peering connection"),
        (false, true) => fail(format!("NAT gateway(s) {}", backticked(&v.nat_gateways))),
        (true, false) => fail(format!("peering connection(s) {}", backticked(&peering_ids))),
        (false, false) => fail(format!(
            "NAT gateway(s) {} and peering connection(s) {}",
            backticked(&v.nat_gateways),
            backticked(&peering_ids)
        )),
    };
    let flow_logs = if v.flow_logs.is_empty() {
        fail("no active flow log")
    } else {
        pass(format!("flow log(s) {}", backticked(&v.flow_logs)))
    };
    let missing: Vec<String> = policy
        .rules
        .vpc_required_endpoints
        .services
        .iter()
        .filter(|service| {
            !v.endpoint_services.iter().any(|name| match region {
                Some(region) => {
                    *name == format!("com.amazonaws.{region}.{service}")
                        || *name == format!("aws.sagemaker.{region}.{service}")
                }
                None => name.ends_with(&format!(".{service}")),
            })
        })
        .cloned()
        .collect();
    let endpoints = if missing.is_empty() {
        pass("every required VPC endpoint is present")
    } else {
        fail(format!("missing VPC endpoint(s) {}", backticked(&missing)))
    };
    vec![
        (RuleId::VpcNoInternetGateway, gateways),
        (RuleId::VpcNoNatOrPeering, outside),
        (RuleId::VpcFlowLogsEnabled, flow_logs),
        (RuleId::VpcRequiredEndpoints, endpoints),
    ]
}

fn subnet_public_ip(subnet: &Subnet) -> Verdict {
    if subnet.map_public_ip_on_launch {
        fail("MapPublicIpOnLaunch is true")
    } else {
        pass("MapPublicIpOnLaunch is false")
    }
}

fn open_ingress(group: &SecurityGroup) -> Verdict {
    let open: Vec<String> = group
        .ingress
        .iter()
        .filter(|range| range.is_open())
        .map(|range| match (range.from_port, range.to_port) {
            (Some(from), Some(to)) if from == to => format!("{} {from} from {}", range.protocol, range.cidr),
            (Some(from), Some(to)) => format!("{} {from}-{to} from {}", range.protocol, range.cidr),
            _ => format!("{} from {}", range.protocol, range.cidr),
        })
        .collect();
    if open.is_empty() {
        pass("no ingress from the whole internet")
    } else {
        fail(format!("ingress open to the internet: {}", backticked(&open)))
    }
}

fn kms_key(key: &KmsKey) -> Vec<(RuleId, Verdict)> {
    let rotation = if key.rotation_enabled {
        pass("automatic rotation is on")
    } else {
        fail("automatic rotation is off")
    };
    let deletion = if key.state == KeyState::PendingDeletion {
        fail("the key is scheduled for deletion")
    } else {
        pass("the key is not scheduled for deletion")
    };
    vec![
        (RuleId::KmsRotationEnabled, rotation),
        (RuleId::KmsNoPendingDeletion, deletion),
    ]
}

fn least_privilege(role: &Role) -> Verdict {
    let broad: Vec<String> = role
        .policies
        .iter()
        .filter(|p| p.grants_everything)
        .map(|p| p.id.clone())
        .collect();
    if broad.is_empty() {
        pass("no policy grants every action")
    } else {
        fail(format!("policy(ies) {} grant every action", backticked(&broad)))
    }
}
