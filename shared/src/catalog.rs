//! The rule catalog: every rule's stable id, the control it maps to, its severity and the
//! resource it governs. Ids are the contract shared by policies, findings, tests and audit records.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

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

/// What a rule governs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Subject {
    /// A SageMaker notebook instance.
    NotebookInstance,
    /// A training, processing, tuning or transform job.
    Job,
    /// A SageMaker model.
    Model,
    /// A SageMaker endpoint configuration.
    EndpointConfig,
    /// A SageMaker Studio domain.
    Domain,
    /// Any SageMaker resource.
    AnySageMakerResource,
    /// A project VPC.
    Vpc,
    /// A project subnet.
    Subnet,
    /// A project security group.
    SecurityGroup,
    /// A project KMS key.
    KmsKey,
    /// A project notebook execution role.
    Role,
    /// A project S3 bucket.
    Bucket,
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
    /// What the rule governs.
    pub subject: Subject,
    /// One line saying what the rule requires.
    pub requirement: &'static str,
}

macro_rules! catalog {
    ($( $variant:ident = $id:literal, $control:expr, $severity:ident, $subject:ident, $requirement:literal; )*) => {
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
                        subject: Subject::$subject,
                        requirement: $requirement,
                    },)*
                }
            }
        }
    };
}

catalog! {
    NotebookDirectInternetDisabled = "notebook-direct-internet-disabled", Some("SageMaker.1"), High, NotebookInstance,
        "A notebook instance has DirectInternetAccess `Disabled`.";
    NotebookInProjectVpc = "notebook-in-project-vpc", Some("SageMaker.2"), High, NotebookInstance,
        "A notebook instance runs in a subnet of a project VPC.";
    NotebookRootAccessDisabled = "notebook-root-access-disabled", Some("SageMaker.3"), High, NotebookInstance,
        "A notebook instance has RootAccess `Disabled`.";
    NotebookKmsEncrypted = "notebook-kms-encrypted", Some("SageMaker.21"), Medium, NotebookInstance,
        "A notebook instance's volume is encrypted with the project's customer-managed KMS key.";
    NotebookApprovedInstanceType = "notebook-approved-instance-type", None, Low, NotebookInstance,
        "A notebook instance uses an instance type the policy allows.";
    NotebookRequiredTags = "notebook-required-tags", Some("SageMaker.6/.7 style"), Low, AnySageMakerResource,
        "A SageMaker resource carries the project and owner tags.";
    JobInProjectVpc = "job-in-project-vpc", None, High, Job,
        "A job runs in subnets of a project VPC.";
    JobNetworkIsolation = "job-network-isolation", None, Medium, Job,
        "A job has network isolation enabled.";
    JobInterContainerEncryption = "job-inter-container-encryption", None, Medium, Job,
        "A job encrypts traffic between its containers.";
    JobVolumeKms = "job-volume-kms", None, Medium, Job,
        "A job's storage volumes are encrypted with a KMS key.";
    JobOutputKms = "job-output-kms", None, Medium, Job,
        "A job's output is encrypted with a KMS key.";
    ModelInProjectVpc = "model-in-project-vpc", Some("sagemaker-model-in-vpc"), High, Model,
        "A model's containers run in subnets of a project VPC.";
    ModelNetworkIsolation = "model-network-isolation", Some("SageMaker.5"), Medium, Model,
        "A model has network isolation enabled.";
    EndpointConfigKms = "endpoint-config-kms", Some("sagemaker-endpoint-configuration-kms-key-configured"), Medium, EndpointConfig,
        "An endpoint configuration names a KMS key.";
    EndpointConfigProdInstanceCount = "endpoint-config-prod-instance-count", Some("SageMaker.4"), Medium, EndpointConfig,
        "In production, every instance-based production variant starts with at least two instances.";
    DomainVpcOnly = "domain-vpc-only", Some("sagemaker-domain-in-vpc"), High, Domain,
        "A Studio domain's AppNetworkAccessType is `VpcOnly`.";
    DomainKms = "domain-kms", None, Medium, Domain,
        "A Studio domain names a KMS key.";
    VpcNoInternetGateway = "vpc-no-internet-gateway", Some("internet-gateway-authorized-vpc-only"), Critical, Vpc,
        "A project VPC has no internet gateway attached.";
    VpcNoNatOrPeering = "vpc-no-nat-or-peering", None, High, Vpc,
        "A project VPC has no NAT gateway and no peering connection.";
    VpcFlowLogsEnabled = "vpc-flow-logs-enabled", Some("EC2.6"), Medium, Vpc,
        "A project VPC has a flow log.";
    VpcRequiredEndpoints = "vpc-required-endpoints", Some("EC2.10 style"), Medium, Vpc,
        "A project VPC has every required VPC endpoint.";
    SubnetNoPublicIp = "subnet-no-public-ip", Some("EC2.15"), Medium, Subnet,
        "A project subnet does not map public IPs on launch.";
    SecurityGroupNoOpenIngress = "security-group-no-open-ingress", Some("EC2.18/19 style"), High, SecurityGroup,
        "A project security group allows no ingress from 0.0.0.0/0 or ::/0.";
    KmsRotationEnabled = "kms-rotation-enabled", Some("KMS.4"), Medium, KmsKey,
        "A project KMS key rotates.";
    KmsNoPendingDeletion = "kms-no-pending-deletion", Some("KMS.3"), Critical, KmsKey,
        "A project KMS key is not scheduled for deletion.";
    RoleLeastPrivilege = "role-least-privilege", Some("IAM.1 style"), High, Role,
        "A notebook execution role has neither AdministratorAccess nor `Action: *`.";
    BucketKmsTlsPrivate = "bucket-kms-tls-private", Some("S3.1/5/8/17"), High, Bucket,
        "A project bucket is SSE-KMS encrypted with the project key, private, and TLS-only.";
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
        assert_eq!(RuleId::ALL.len(), 27);
    }

    #[test]
    fn unknown_id_is_none() {
        assert_eq!(RuleId::from_id("notebook-everything-fine"), None);
    }
}
