//! The rule catalog: the one list of rules. Each entry gives a rule's stable id, the control it
//! maps to, its severity, the resources it governs and its settings; the `catalog!` macro turns
//! the list into [`RuleId`], each rule's static [`RuleInfo`], and the policy's per-rule settings
//! ([`Rules`]) with their accessor and JSON Schema. Nothing else lists the rules: a rule's check
//! and remedy steps live in the module of its resource family (`rules/notebook.rs`, ...).

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::settings::{
    EndpointConfigRemedy, FixOrNotify, InstanceTypeSettings, Mode, ModeOnly, ProdInstanceCountSettings, Remedy,
    RequiredEndpointsSettings, RequiredTagsSettings, RootAccessRemedy, RuleConfig, RuleSettings, StopOrDelete,
};
use crate::model::ResourceKind;
use crate::model::ResourceKind as K;

/// How serious a failed rule is, in AWS Security Hub's severity labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Severity {
    /// Informational only.
    Informational,
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
    /// Critical.
    Critical,
}

/// Static facts about one rule.
#[derive(Debug, Clone, Copy)]
pub struct RuleInfo {
    /// The stable id, as written in policies and findings.
    pub id: &'static str,
    /// The AWS Security Hub control or AWS Config rule it matches, if any.
    pub control: Option<&'static str>,
    /// How serious a failure is.
    pub severity: Severity,
    /// The kinds of resource the rule governs.
    pub governs: &'static [ResourceKind],
    /// One line saying what the rule requires.
    pub requirement: &'static str,
}

/// Generates, from one list of entries, the rule ids, their static facts and the policy's
/// per-rule settings. An entry reads
/// `Variant / settings_field = "rule-id" { control, severity, governs, settings: Type [, remedy: Fixed], "requirement" }`;
/// `remedy` names the one remedy of a rule whose settings offer no choice.
macro_rules! catalog {
    ($(
        $variant:ident / $field:ident = $id:literal {
            $control:expr, $severity:ident, $governs:expr, settings: $settings:ty $(, remedy: $fixed:ident)?,
            $requirement:literal $(,)?
        }
    )*) => {
        /// A rule of the catalog, by its stable id.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
        pub enum RuleId {
            $(
                #[doc = $requirement]
                #[serde(rename = $id)]
                $variant,
            )*
        }

        impl RuleId {
            /// Every rule of the catalog, in catalog order.
            pub const ALL: &'static [RuleId] = &[$(RuleId::$variant),*];

            /// The static facts about this rule.
            pub const fn info(self) -> &'static RuleInfo {
                match self {
                    $(RuleId::$variant => &RuleInfo {
                        id: $id,
                        control: $control,
                        severity: Severity::$severity,
                        governs: $governs,
                        requirement: $requirement,
                    },)*
                }
            }
        }

        /// Per-rule settings, one field per rule id. Absent rules use their defaults.
        #[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
        #[serde(deny_unknown_fields)]
        pub struct Rules {
            $(
                #[doc = $requirement]
                #[serde(default, rename = $id)]
                pub $field: $settings,
            )*
        }

        impl Rules {
            /// The rule's own mode (if it sets one) and its remedy.
            pub fn get(&self, rule: RuleId) -> (Option<Mode>, Remedy) {
                match rule {
                    $(RuleId::$variant => {
                        let settings = &self.$field;
                        let fixed: Option<Remedy> = None $(.or(Some(Remedy::$fixed)))?;
                        (settings.mode(), settings.remedy().or(fixed).unwrap_or(Remedy::Notify))
                    })*
                }
            }
        }
    };
}

impl RuleId {
    /// The stable id, as written in policies and findings.
    pub const fn as_str(self) -> &'static str {
        self.info().id
    }

    /// Looks a rule up by its stable id.
    pub fn from_id(id: &str) -> Option<RuleId> {
        RuleId::ALL.iter().copied().find(|rule| rule.as_str() == id)
    }
}

impl fmt::Display for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Every kind of SageMaker job.
const JOBS: &[ResourceKind] = &[
    K::TrainingJob,
    K::ProcessingJob,
    K::HyperParameterTuningJob,
    K::TransformJob,
];

/// Every kind whose tags sagefence writes or reads a project from: the SageMaker kinds first,
/// then the project's network, keys and roles.
const PROTECTED: &[ResourceKind] = &[
    K::NotebookInstance,
    K::TrainingJob,
    K::ProcessingJob,
    K::HyperParameterTuningJob,
    K::TransformJob,
    K::Model,
    K::EndpointConfig,
    K::Domain,
    K::Vpc,
    K::Subnet,
    K::SecurityGroup,
    K::KmsKey,
    K::Role,
];
/// Every SageMaker resource kind.
const SAGEMAKER: &[ResourceKind] = PROTECTED.split_at(8).0;

catalog! {
    NotebookDirectInternetDisabled / notebook_direct_internet_disabled = "notebook-direct-internet-disabled" {
        Some("SageMaker.1"), High, &[K::NotebookInstance], settings: RuleSettings<StopOrDelete>,
        "A notebook instance has DirectInternetAccess `Disabled`."
    }
    NotebookInProjectVpc / notebook_in_project_vpc = "notebook-in-project-vpc" {
        Some("SageMaker.2"), High, &[K::NotebookInstance], settings: RuleSettings<StopOrDelete>,
        "A notebook instance runs in a subnet and security groups of its own project's VPC."
    }
    NotebookRootAccessDisabled / notebook_root_access_disabled = "notebook-root-access-disabled" {
        Some("SageMaker.3"), High, &[K::NotebookInstance], settings: RuleSettings<RootAccessRemedy>,
        "A notebook instance has RootAccess `Disabled`."
    }
    NotebookKmsEncrypted / notebook_kms_encrypted = "notebook-kms-encrypted" {
        Some("SageMaker.21"), Medium, &[K::NotebookInstance], settings: RuleSettings<StopOrDelete>,
        "A notebook instance's volume is encrypted with its own project's customer-managed KMS key."
    }
    NotebookApprovedInstanceType / notebook_approved_instance_type = "notebook-approved-instance-type" {
        None, Low, &[K::NotebookInstance], settings: InstanceTypeSettings,
        "A notebook instance uses an instance type the policy allows."
    }
    NotebookRoleInProject / notebook_role_in_project = "notebook-role-in-project" {
        None, High, &[K::NotebookInstance], settings: RuleSettings<StopOrDelete>,
        "A notebook instance runs as an execution role of its own project."
    }
    NotebookRequiredTags / notebook_required_tags = "notebook-required-tags" {
        Some("SageMaker.6/.7 style"), Low, SAGEMAKER, settings: RequiredTagsSettings,
        "A SageMaker resource carries the project and owner tags."
    }
    JobInProjectVpc / job_in_project_vpc = "job-in-project-vpc" {
        None, High, JOBS, settings: ModeOnly, remedy: Stop,
        "A job runs in subnets and security groups of its own project's VPC."
    }
    JobNetworkIsolation / job_network_isolation = "job-network-isolation" {
        None, Medium, JOBS, settings: ModeOnly, remedy: Stop,
        "A job has network isolation enabled."
    }
    JobInterContainerEncryption / job_inter_container_encryption = "job-inter-container-encryption" {
        None, Medium, JOBS, settings: ModeOnly, remedy: Stop,
        "A job encrypts traffic between its containers."
    }
    JobVolumeKms / job_volume_kms = "job-volume-kms" {
        None, Medium, JOBS, settings: ModeOnly, remedy: Stop,
        "A job's storage volumes are encrypted with a KMS key."
    }
    JobOutputKms / job_output_kms = "job-output-kms" {
        None, Medium, JOBS, settings: ModeOnly, remedy: Stop,
        "A job's output is encrypted with a KMS key."
    }
    ModelInProjectVpc / model_in_project_vpc = "model-in-project-vpc" {
        Some("sagemaker-model-in-vpc"), High, &[K::Model], settings: ModeOnly, remedy: Delete,
        "A model's containers run in subnets and security groups of its own project's VPC."
    }
    ModelNetworkIsolation / model_network_isolation = "model-network-isolation" {
        Some("SageMaker.5"), Medium, &[K::Model], settings: ModeOnly, remedy: Delete,
        "A model has network isolation enabled."
    }
    EndpointConfigKms / endpoint_config_kms = "endpoint-config-kms" {
        Some("sagemaker-endpoint-configuration-kms-key-configured"), Medium, &[K::EndpointConfig],
        settings: RuleSettings<EndpointConfigRemedy>,
        "An endpoint configuration names a KMS key."
    }
    EndpointConfigProdInstanceCount / endpoint_config_prod_instance_count = "endpoint-config-prod-instance-count" {
        Some("SageMaker.4"), Medium, &[K::EndpointConfig], settings: ProdInstanceCountSettings, remedy: Notify,
        "In production, every instance-based production variant starts with at least two instances."
    }
    DomainVpcOnly / domain_vpc_only = "domain-vpc-only" {
        Some("sagemaker-domain-in-vpc"), High, &[K::Domain], settings: ModeOnly, remedy: Notify,
        "A Studio domain's AppNetworkAccessType is `VpcOnly`."
    }
    DomainKms / domain_kms = "domain-kms" {
        None, Medium, &[K::Domain], settings: ModeOnly, remedy: Notify,
        "A Studio domain names a KMS key."
    }
    VpcNoInternetGateway / vpc_no_internet_gateway = "vpc-no-internet-gateway" {
        Some("internet-gateway-authorized-vpc-only"), Critical, &[K::Vpc], settings: RuleSettings<FixOrNotify>,
        "A project VPC has no internet gateway attached."
    }
    VpcNoNatOrPeering / vpc_no_nat_or_peering = "vpc-no-nat-or-peering" {
        None, High, &[K::Vpc], settings: RuleSettings<FixOrNotify>,
        "A project VPC has no NAT gateway and no peering connection."
    }
    VpcFlowLogsEnabled / vpc_flow_logs_enabled = "vpc-flow-logs-enabled" {
        Some("EC2.6"), Medium, &[K::Vpc], settings: RuleSettings<FixOrNotify>,
        "A project VPC has a flow log."
    }
    VpcRequiredEndpoints / vpc_required_endpoints = "vpc-required-endpoints" {
        Some("EC2.10 style"), Medium, &[K::Vpc], settings: RequiredEndpointsSettings, remedy: Notify,
        "A project VPC has every required VPC endpoint."
    }
    SubnetNoPublicIp / subnet_no_public_ip = "subnet-no-public-ip" {
        Some("EC2.15"), Medium, &[K::Subnet], settings: RuleSettings<FixOrNotify>,
        "A project subnet does not map public IPs on launch."
    }
    SecurityGroupNoOpenIngress / security_group_no_open_ingress = "security-group-no-open-ingress" {
        Some("EC2.18/19 style"), High, &[K::SecurityGroup], settings: RuleSettings<FixOrNotify>,
        "A project security group admits no address outside its VPC and private address space."
    }
    KmsRotationEnabled / kms_rotation_enabled = "kms-rotation-enabled" {
        Some("KMS.4"), Medium, &[K::KmsKey], settings: RuleSettings<FixOrNotify>,
        "A project KMS key rotates."
    }
    KmsNoPendingDeletion / kms_no_pending_deletion = "kms-no-pending-deletion" {
        Some("KMS.3"), Critical, &[K::KmsKey], settings: RuleSettings<FixOrNotify>,
        "A project KMS key is not scheduled for deletion."
    }
    RoleLeastPrivilege / role_least_privilege = "role-least-privilege" {
        Some("IAM.1 style"), High, &[K::Role], settings: RuleSettings<FixOrNotify>,
        "A project role grants nothing beyond least privilege: no `Action: *`, service wildcard, `NotAction`, `NotResource` or admin-equivalent action."
    }
    BucketKmsTlsPrivate / bucket_kms_tls_private = "bucket-kms-tls-private" {
        Some("S3.1/5/8/17"), High, &[K::Bucket], settings: RuleSettings<FixOrNotify>,
        "A project bucket is SSE-KMS encrypted with the project key, private, and TLS-only."
    }
    TagsProtected / tags_protected = "tags-protected" {
        None, High, PROTECTED, settings: RuleSettings<FixOrNotify>,
        "sagefence's tags (`sagefence:*`, the project tag) are sagefence's alone: the project tag is not blank and names the project whose infrastructure the resource runs in, and a change by anyone else is undone."
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_round_trip() {
        let mut seen = std::collections::BTreeSet::new();
        for rule in RuleId::ALL {
            assert!(seen.insert(rule.as_str()), "duplicate id {rule}");
            assert_eq!(RuleId::from_id(rule.as_str()), Some(*rule));
            let json = serde_json::to_string(rule).unwrap();
            assert_eq!(json, format!("\"{}\"", rule.as_str()));
        }
        assert_eq!(RuleId::ALL.len(), 29);
    }

    #[test]
    fn unknown_id_is_none() {
        assert_eq!(RuleId::from_id("notebook-everything-fine"), None);
    }

    #[test]
    fn every_rule_governs_some_kind() {
        for rule in RuleId::ALL {
            assert!(!rule.info().governs.is_empty(), "{rule}");
        }
    }
}
