//! What a policy can set for its rules: the mode, each rule's remedy choice and rule-specific
//! settings, and the scope (which resources are governed, and the tag keys read).

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Whether a rule's failures are fixed or only recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize, JsonSchema, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// Fix what fails, and record it.
    #[default]
    Enforce,
    /// Record only (dry run): plan remedies, change nothing.
    Audit,
    /// Do not evaluate the rule.
    Off,
}

/// What a remedy does, across all rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Remedy {
    /// Stop the resource (and keep it for inspection).
    Stop,
    /// Stop if needed, then delete the resource.
    Delete,
    /// Fix the setting in place.
    Fix,
    /// Tag the resource with what it owes, and notify.
    Tag,
    /// Notify only.
    Notify,
    /// Delete when nothing uses it, else notify.
    DeleteIfUnused,
}

macro_rules! remedy_choice {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident => $remedy:ident),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema, Default)]
        #[serde(rename_all = "kebab-case")]
        pub enum $name {
            $(
                $(#[$vdoc])*
                $variant,
            )+
        }

        impl From<$name> for Remedy {
            fn from(choice: $name) -> Remedy {
                match choice {
                    $($name::$variant => Remedy::$remedy,)+
                }
            }
        }
    };
}

remedy_choice! {
    /// The remedy for a notebook that must not run: stop it, or stop and delete it.
    StopOrDelete { #[default] /// Stop it.
        Stop => Stop, /// Stop, then delete it.
        Delete => Delete }
}

remedy_choice! {
    /// The remedy for root access: fix it in place (stop, update, start again), stop, or delete.
    RootAccessRemedy { #[default] /// Stop, set RootAccess `Disabled`, start again if it was running.
        Fix => Fix, /// Stop it.
        Stop => Stop, /// Stop, then delete it.
        Delete => Delete }
}

remedy_choice! {
    /// The remedy for missing tags: tag the resource with what it owes and notify, or only notify.
    TagRemedy { #[default] /// Tag and notify.
        Tag => Tag, /// Notify only.
        Notify => Notify }
}

remedy_choice! {
    /// The remedy for an endpoint configuration without a KMS key.
    EndpointConfigRemedy { #[default] /// Delete it when no endpoint uses it, else notify.
        DeleteIfUnused => DeleteIfUnused, /// Notify only.
        Notify => Notify }
}

remedy_choice! {
    /// The remedy for project network, key, role and bucket rules.
    FixOrNotify { #[default] /// Fix it (detach, revoke, re-enable, restore).
        Fix => Fix, /// Notify only.
        Notify => Notify }
}

/// Settings of a rule whose remedy is chosen from `R`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleSettings<R: Default> {
    /// `enforce`, `audit` or `off`; the policy's `mode` when absent.
    #[serde(default)]
    pub mode: Option<Mode>,
    /// The remedy; the catalog's default when absent.
    #[serde(default)]
    pub remedy: R,
}

/// Settings of a rule with one possible remedy.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ModeOnly {
    /// `enforce`, `audit` or `off`; the policy's `mode` when absent.
    #[serde(default)]
    pub mode: Option<Mode>,
}

/// Settings of `notebook-approved-instance-type`.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InstanceTypeSettings {
    /// `enforce`, `audit` or `off`; the policy's `mode` when absent.
    #[serde(default)]
    pub mode: Option<Mode>,
    /// The remedy.
    #[serde(default)]
    pub remedy: StopOrDelete,
    /// The instance types notebooks may use.
    #[serde(default = "default_instance_types")]
    pub allowed: Vec<String>,
}

impl Default for InstanceTypeSettings {
    fn default() -> Self {
        InstanceTypeSettings {
            mode: None,
            remedy: StopOrDelete::default(),
            allowed: default_instance_types(),
        }
    }
}

fn default_instance_types() -> Vec<String> {
    [
        "ml.t3.medium",
        "ml.t3.large",
        "ml.t3.xlarge",
        "ml.t3.2xlarge",
        "ml.m5.large",
        "ml.m5.xlarge",
        "ml.m5.2xlarge",
        "ml.m5.4xlarge",
        "ml.c5.large",
        "ml.c5.xlarge",
        "ml.c5.2xlarge",
        "ml.g4dn.xlarge",
    ]
    .into_iter()
    .map(String::from)
    .collect()
}

/// Settings of `notebook-required-tags`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RequiredTagsSettings {
    /// `enforce`, `audit` or `off`; the policy's `mode` when absent.
    #[serde(default)]
    pub mode: Option<Mode>,
    /// The remedy.
    #[serde(default)]
    pub remedy: TagRemedy,
    /// The tag keys every SageMaker resource must carry; the scope's project and owner tag keys
    /// when absent.
    #[serde(default)]
    pub keys: Option<Vec<String>>,
}

impl RequiredTagsSettings {
    /// The tag keys every SageMaker resource must carry: the rule's own, else the scope's
    /// project and owner tag keys.
    pub fn keys<'a>(&'a self, scope: &'a Scope) -> Vec<&'a str> {
        match &self.keys {
            Some(keys) => keys.iter().map(String::as_str).collect(),
            None => vec![scope.project_tag_key.as_str(), scope.owner_tag_key.as_str()],
        }
    }
}

/// Settings of `endpoint-config-prod-instance-count`.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProdInstanceCountSettings {
    /// `enforce`, `audit` or `off`; the policy's `mode` when absent.
    #[serde(default)]
    pub mode: Option<Mode>,
    /// Environment names that count as production.
    #[serde(default = "default_production_environments")]
    pub environments: Vec<String>,
    /// The least InitialInstanceCount of each instance-based variant in production.
    #[serde(default = "default_minimum_instances")]
    pub minimum: i32,
}

impl Default for ProdInstanceCountSettings {
    fn default() -> Self {
        ProdInstanceCountSettings {
            mode: None,
            environments: default_production_environments(),
            minimum: default_minimum_instances(),
        }
    }
}

fn default_production_environments() -> Vec<String> {
    vec!["prod".to_owned(), "production".to_owned()]
}

const fn default_minimum_instances() -> i32 {
    2
}

/// Settings of `vpc-required-endpoints`.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RequiredEndpointsSettings {
    /// `enforce`, `audit` or `off`; the policy's `mode` when absent.
    #[serde(default)]
    pub mode: Option<Mode>,
    /// Endpoint service suffixes every project VPC needs (`com.amazonaws.<region>.` is implied).
    #[serde(default = "default_required_endpoints")]
    pub services: Vec<String>,
}

impl Default for RequiredEndpointsSettings {
    fn default() -> Self {
        RequiredEndpointsSettings {
            mode: None,
            services: default_required_endpoints(),
        }
    }
}

fn default_required_endpoints() -> Vec<String> {
    ["sagemaker.api", "sagemaker.runtime", "notebook", "sts", "logs", "s3"]
        .into_iter()
        .map(String::from)
        .collect()
}

/// Which resources sagefence governs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ResourceScope {
    /// Every SageMaker resource in the scope's regions.
    #[default]
    All,
    /// Only resources that carry the project tag or sit in a project VPC.
    Project,
}

/// Where the policy applies, and the tag keys it reads.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Scope {
    /// The tag key naming a resource's project.
    #[serde(default = "default_project_tag_key")]
    pub project_tag_key: String,
    /// The tag key naming a resource's owner.
    #[serde(default = "default_owner_tag_key")]
    pub owner_tag_key: String,
    /// The tag key naming a resource's environment (e.g. `prod`).
    #[serde(default = "default_environment_tag_key")]
    pub environment_tag_key: String,
    /// The environment of the whole account, for resources without an environment tag.
    #[serde(default)]
    pub environment: Option<String>,
    /// The regions governed; every region when empty.
    #[serde(default)]
    pub regions: Vec<String>,
    /// Which resources are governed.
    #[serde(default)]
    pub resources: ResourceScope,
}

impl Default for Scope {
    fn default() -> Self {
        Scope {
            project_tag_key: default_project_tag_key(),
            owner_tag_key: default_owner_tag_key(),
            environment_tag_key: default_environment_tag_key(),
            environment: None,
            regions: Vec::new(),
            resources: ResourceScope::All,
        }
    }
}

fn default_project_tag_key() -> String {
    "sagefence:project".to_owned()
}

fn default_owner_tag_key() -> String {
    "sagefence:owner".to_owned()
}

fn default_environment_tag_key() -> String {
    "sagefence:environment".to_owned()
}

/// What every rule's settings tell: the rule's own mode, and the remedy chosen (none for rules
/// whose remedy is fixed by the catalog).
pub trait RuleConfig {
    /// The rule's own mode, if it sets one.
    fn mode(&self) -> Option<Mode>;
    /// The remedy chosen, if the settings offer a choice.
    fn remedy(&self) -> Option<Remedy>;
}

impl<R: Default + Copy + Into<Remedy>> RuleConfig for RuleSettings<R> {
    fn mode(&self) -> Option<Mode> {
        self.mode
    }
    fn remedy(&self) -> Option<Remedy> {
        Some(self.remedy.into())
    }
}

impl RuleConfig for ModeOnly {
    fn mode(&self) -> Option<Mode> {
        self.mode
    }
    fn remedy(&self) -> Option<Remedy> {
        None
    }
}

impl RuleConfig for InstanceTypeSettings {
    fn mode(&self) -> Option<Mode> {
        self.mode
    }
    fn remedy(&self) -> Option<Remedy> {
        Some(self.remedy.into())
    }
}

impl RuleConfig for RequiredTagsSettings {
    fn mode(&self) -> Option<Mode> {
        self.mode
    }
    fn remedy(&self) -> Option<Remedy> {
        Some(self.remedy.into())
    }
}

impl RuleConfig for ProdInstanceCountSettings {
    fn mode(&self) -> Option<Mode> {
        self.mode
    }
    fn remedy(&self) -> Option<Remedy> {
        None
    }
}

impl RuleConfig for RequiredEndpointsSettings {
    fn mode(&self) -> Option<Mode> {
        self.mode
    }
    fn remedy(&self) -> Option<Remedy> {
        None
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Mode::Enforce => "enforce",
            Mode::Audit => "audit",
            Mode::Off => "off",
        })
    }
}
