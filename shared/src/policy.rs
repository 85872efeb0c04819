//! The policy: per-rule mode and remedy, scope and exemptions, read from YAML. Every check is
//! made while deserializing, so each error names the field and the line it stands on.

use std::fmt;

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};

use crate::catalog::RuleId;
use crate::error::PolicyError;

/// The built-in policy: every rule enforced with the catalog's default remedy.
pub const DEFAULT_POLICY_YAML: &str = include_str!("default-policy.yaml");

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

/// Per-rule settings, one field per rule id. Absent rules use their defaults.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
#[allow(missing_docs)]
pub struct Rules {
    #[serde(default)]
    pub notebook_direct_internet_disabled: RuleSettings<StopOrDelete>,
    #[serde(default)]
    pub notebook_in_project_vpc: RuleSettings<StopOrDelete>,
    #[serde(default)]
    pub notebook_root_access_disabled: RuleSettings<RootAccessRemedy>,
    #[serde(default)]
    pub notebook_kms_encrypted: RuleSettings<StopOrDelete>,
    #[serde(default)]
    pub notebook_approved_instance_type: InstanceTypeSettings,
    #[serde(default)]
    pub notebook_required_tags: RequiredTagsSettings,
    #[serde(default)]
    pub job_in_project_vpc: ModeOnly,
    #[serde(default)]
    pub job_network_isolation: ModeOnly,
    #[serde(default)]
    pub job_inter_container_encryption: ModeOnly,
    #[serde(default)]
    pub job_volume_kms: ModeOnly,
    #[serde(default)]
    pub job_output_kms: ModeOnly,
    #[serde(default)]
    pub model_in_project_vpc: ModeOnly,
    #[serde(default)]
    pub model_network_isolation: ModeOnly,
    #[serde(default)]
    pub endpoint_config_kms: RuleSettings<EndpointConfigRemedy>,
    #[serde(default)]
    pub endpoint_config_prod_instance_count: ProdInstanceCountSettings,
    #[serde(default)]
    pub domain_vpc_only: ModeOnly,
    #[serde(default)]
    pub domain_kms: ModeOnly,
    #[serde(default)]
    pub vpc_no_internet_gateway: RuleSettings<FixOrNotify>,
    #[serde(default)]
    pub vpc_no_nat_or_peering: RuleSettings<FixOrNotify>,
    #[serde(default)]
    pub vpc_flow_logs_enabled: RuleSettings<FixOrNotify>,
    #[serde(default)]
    pub vpc_required_endpoints: RequiredEndpointsSettings,
    #[serde(default)]
    pub subnet_no_public_ip: RuleSettings<FixOrNotify>,
    #[serde(default)]
    pub security_group_no_open_ingress: RuleSettings<FixOrNotify>,
    #[serde(default)]
    pub kms_rotation_enabled: RuleSettings<FixOrNotify>,
    #[serde(default)]
    pub kms_no_pending_deletion: RuleSettings<FixOrNotify>,
    #[serde(default)]
    pub role_least_privilege: RuleSettings<FixOrNotify>,
    #[serde(default)]
    pub bucket_kms_tls_private: RuleSettings<FixOrNotify>,
}

impl Rules {
    /// The rule's own mode (if it sets one) and its remedy.
    fn get(&self, rule: RuleId) -> (Option<Mode>, Remedy) {
        use RuleId as R;
        fn pick<C: Into<Remedy> + Copy + Default>(s: &RuleSettings<C>) -> (Option<Mode>, Remedy) {
            (s.mode, s.remedy.into())
        }
        match rule {
            R::NotebookDirectInternetDisabled => pick(&self.notebook_direct_internet_disabled),
            R::NotebookInProjectVpc => pick(&self.notebook_in_project_vpc),
            R::NotebookRootAccessDisabled => pick(&self.notebook_root_access_disabled),
            R::NotebookKmsEncrypted => pick(&self.notebook_kms_encrypted),
            R::NotebookApprovedInstanceType => {
                let s = &self.notebook_approved_instance_type;
                (s.mode, s.remedy.into())
            }
            R::NotebookRequiredTags => {
                let s = &self.notebook_required_tags;
                (s.mode, s.remedy.into())
            }
            R::JobInProjectVpc => (self.job_in_project_vpc.mode, Remedy::Stop),
            R::JobNetworkIsolation => (self.job_network_isolation.mode, Remedy::Stop),
            R::JobInterContainerEncryption => (self.job_inter_container_encryption.mode, Remedy::Stop),
            R::JobVolumeKms => (self.job_volume_kms.mode, Remedy::Stop),
            R::JobOutputKms => (self.job_output_kms.mode, Remedy::Stop),
            R::ModelInProjectVpc => (self.model_in_project_vpc.mode, Remedy::Delete),
            R::ModelNetworkIsolation => (self.model_network_isolation.mode, Remedy::Delete),
            R::EndpointConfigKms => pick(&self.endpoint_config_kms),
            R::EndpointConfigProdInstanceCount => (self.endpoint_config_prod_instance_count.mode, Remedy::Notify),
            R::DomainVpcOnly => (self.domain_vpc_only.mode, Remedy::Notify),
            R::DomainKms => (self.domain_kms.mode, Remedy::Notify),
            R::VpcNoInternetGateway => pick(&self.vpc_no_internet_gateway),
            R::VpcNoNatOrPeering => pick(&self.vpc_no_nat_or_peering),
            R::VpcFlowLogsEnabled => pick(&self.vpc_flow_logs_enabled),
            R::VpcRequiredEndpoints => (self.vpc_required_endpoints.mode, Remedy::Notify),
            R::SubnetNoPublicIp => pick(&self.subnet_no_public_ip),
            R::SecurityGroupNoOpenIngress => pick(&self.security_group_no_open_ingress),
            R::KmsRotationEnabled => pick(&self.kms_rotation_enabled),
            R::KmsNoPendingDeletion => pick(&self.kms_no_pending_deletion),
            R::RoleLeastPrivilege => pick(&self.role_least_privilege),
            R::BucketKmsTlsPrivate => pick(&self.bucket_kms_tls_private),
        }
    }
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

/// A resource pattern: an ARN or a name, where `*` matches any run of characters and `?` one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct ResourcePattern(String);

impl ResourcePattern {
    /// Whether the pattern matches `text` in full.
    pub fn matches(&self, text: &str) -> bool {
        wildcard_match(self.0.as_bytes(), text.as_bytes())
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for ResourcePattern {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let pattern = String::deserialize(deserializer)?;
        if pattern.trim().is_empty() || pattern.chars().all(|c| c == '*') {
            return Err(serde::de::Error::custom(format!(
                "resource pattern `{pattern}` would exempt everything; name a resource"
            )));
        }
        Ok(ResourcePattern(pattern))
    }
}

/// Whether `pattern` (`*` any run, `?` one character) matches all of `text`. Iterative with
/// single-star backtracking: linear in practice, never panics.
pub fn wildcard_match(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some(b'*') => {
                star = Some((p, t));
                p += 1;
            }
            Some(&c) if c == b'?' || Some(&c) == text.get(t) => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    pattern.get(p..).is_some_and(|rest| rest.iter().all(|&c| c == b'*'))
}

/// A reason that is not blank.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct Reason(String);

impl Reason {
    /// The reason as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for Reason {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let reason = String::deserialize(deserializer)?;
        if reason.trim().is_empty() {
            return Err(serde::de::Error::custom("an exemption needs a reason"));
        }
        Ok(Reason(reason))
    }
}

/// An exemption: the named rules do not apply to matching resources until the expiry date.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Exemption {
    /// The resource's ARN or name, `*` and `?` allowed.
    pub resource: ResourcePattern,
    /// The rules it is exempt from.
    #[serde(deserialize_with = "non_empty_rules")]
    pub rules: Vec<RuleId>,
    /// Why, for the audit trail.
    pub reason: Reason,
    /// The last day (UTC) the exemption holds.
    pub expires: NaiveDate,
}

fn non_empty_rules<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<RuleId>, D::Error> {
    let rules = Vec::<RuleId>::deserialize(deserializer)?;
    if rules.is_empty() {
        return Err(serde::de::Error::custom("an exemption names at least one rule"));
    }
    Ok(rules)
}

impl Exemption {
    /// Whether the exemption still holds on `today`.
    pub fn is_active(&self, today: NaiveDate) -> bool {
        today <= self.expires
    }

    /// Whether it covers `rule` on a resource with this name or ARN.
    pub fn covers(&self, rule: RuleId, name: &str, arn: Option<&str>) -> bool {
        self.rules.contains(&rule) && (self.resource.matches(name) || arn.is_some_and(|a| self.resource.matches(a)))
    }
}

/// The policy format version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct Version(u8);

impl<'de> Deserialize<'de> for Version {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match u8::deserialize(deserializer)? {
            1 => Ok(Version(1)),
            other => Err(serde::de::Error::custom(format!(
                "policy version `{other}` is not supported; this sagefence reads version 1"
            ))),
        }
    }
}

/// A sagefence policy.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// The policy format version: `1`.
    pub version: Version,
    /// The mode of every rule that does not set its own.
    #[serde(default)]
    pub mode: Mode,
    /// Where the policy applies.
    #[serde(default)]
    pub scope: Scope,
    /// Per-rule settings.
    #[serde(default)]
    pub rules: Rules,
    /// Exemptions, each with a reason and an expiry.
    #[serde(default)]
    pub exemptions: Vec<Exemption>,
}

impl Policy {
    /// Reads a policy from YAML, naming the field and line of the first error.
    pub fn from_yaml(text: &str) -> Result<Policy, PolicyError> {
        serde_yaml_ng::from_str(text).map_err(|err| {
            let location = err.location();
            PolicyError::Invalid {
                line: location.as_ref().map(|l| l.line()),
                column: location.as_ref().map(|l| l.column()),
                message: err.to_string(),
            }
        })
    }

    /// The built-in policy.
    pub fn builtin() -> Policy {
        Policy {
            version: Version(1),
            mode: Mode::Enforce,
            scope: Scope::default(),
            rules: Rules::default(),
            exemptions: Vec::new(),
        }
    }

    /// The JSON Schema of the policy file, for editors.
    pub fn json_schema() -> serde_json::Value {
        let schema = schemars::schema_for!(Policy);
        schema.to_value()
    }

    /// The effective mode of `rule`.
    pub fn mode(&self, rule: RuleId) -> Mode {
        self.rules.get(rule).0.unwrap_or(self.mode)
    }

    /// The remedy for `rule`.
    pub fn remedy(&self, rule: RuleId) -> Remedy {
        self.rules.get(rule).1
    }

    /// The tag keys every SageMaker resource must carry.
    pub fn required_tag_keys(&self) -> Vec<&str> {
        match &self.rules.notebook_required_tags.keys {
            Some(keys) => keys.iter().map(String::as_str).collect(),
            None => vec![self.scope.project_tag_key.as_str(), self.scope.owner_tag_key.as_str()],
        }
    }

    /// The exemption covering `rule` for this resource on `today`, if any holds.
    pub fn exemption(&self, rule: RuleId, name: &str, arn: Option<&str>, today: NaiveDate) -> Option<&Exemption> {
        self.exemptions
            .iter()
            .find(|e| e.is_active(today) && e.covers(rule, name, arn))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn the_default_policy_file_parses_and_equals_the_builtin_modes() {
        let policy = Policy::from_yaml(DEFAULT_POLICY_YAML).unwrap();
        let builtin = Policy::builtin();
        for rule in RuleId::ALL {
            assert_eq!(policy.mode(*rule), builtin.mode(*rule), "{rule}");
            assert_eq!(policy.remedy(*rule), builtin.remedy(*rule), "{rule}");
        }
    }

    #[test]
    fn builtin_defaults_follow_the_catalog() {
        let p = Policy::builtin();
        assert_eq!(p.remedy(RuleId::NotebookDirectInternetDisabled), Remedy::Stop);
        assert_eq!(p.remedy(RuleId::NotebookRootAccessDisabled), Remedy::Fix);
        assert_eq!(p.remedy(RuleId::JobVolumeKms), Remedy::Stop);
        assert_eq!(p.remedy(RuleId::ModelNetworkIsolation), Remedy::Delete);
        assert_eq!(p.remedy(RuleId::EndpointConfigKms), Remedy::DeleteIfUnused);
        assert_eq!(p.remedy(RuleId::DomainVpcOnly), Remedy::Notify);
        assert_eq!(p.mode(RuleId::DomainKms), Mode::Enforce);
        assert_eq!(p.required_tag_keys(), vec!["sagefence:project", "sagefence:owner"]);
    }

    #[test]
    fn per_rule_settings_override_the_policy_mode() {
        let p = Policy::from_yaml(
            "version: 1\nmode: audit\nrules:\n  notebook-root-access-disabled:\n    mode: enforce\n    remedy: delete\n  job-volume-kms: {mode: 'off'}\n",
        )
        .unwrap();
        assert_eq!(p.mode(RuleId::NotebookRootAccessDisabled), Mode::Enforce);
        assert_eq!(p.remedy(RuleId::NotebookRootAccessDisabled), Remedy::Delete);
        assert_eq!(p.mode(RuleId::JobVolumeKms), Mode::Off);
        assert_eq!(p.mode(RuleId::ModelInProjectVpc), Mode::Audit);
    }

    #[test]
    fn an_unknown_rule_is_named_with_its_line() {
        let err =
            Policy::from_yaml("version: 1\nrules:\n  notebook-root-acess-disabled:\n    mode: audit\n").unwrap_err();
        let text = err.to_string();
        assert!(text.contains("notebook-root-acess-disabled"), "{text}");
        assert!(text.contains("line 3"), "{text}");
        assert_eq!(err.line(), Some(3));
    }

    #[test]
    fn a_remedy_the_rule_does_not_offer_is_rejected_with_its_line() {
        let err = Policy::from_yaml("version: 1\nrules:\n  notebook-kms-encrypted:\n    remedy: fix\n").unwrap_err();
        let text = err.to_string();
        assert!(text.contains("rules.notebook-kms-encrypted.remedy"), "{text}");
        assert!(text.contains("fix"), "{text}");
        assert_eq!(err.line(), Some(4));
    }

    #[test]
    fn a_job_rule_takes_no_remedy() {
        let err = Policy::from_yaml("version: 1\nrules:\n  job-volume-kms:\n    remedy: delete\n").unwrap_err();
        assert!(err.to_string().contains("unknown field `remedy`"), "{err}");
    }

    #[test]
    fn unsupported_version_and_missing_version_are_errors() {
        let err = Policy::from_yaml("version: 2\n").unwrap_err();
        assert!(err.to_string().contains("version `2`"), "{err}");
        let err = Policy::from_yaml("mode: audit\n").unwrap_err();
        assert!(err.to_string().contains("missing field `version`"), "{err}");
    }

    #[test]
    fn exemptions_need_reason_rules_and_a_real_date() {
        let base = "version: 1\nexemptions:\n  - resource: legacy-*\n";
        let err = Policy::from_yaml(&format!(
            "{base}    rules: []\n    reason: r\n    expires: 2027-01-31\n"
        ))
        .unwrap_err();
        assert!(err.to_string().contains("at least one rule"), "{err}");
        let err = Policy::from_yaml(&format!(
            "{base}    rules: [domain-kms]\n    reason: ' '\n    expires: 2027-01-31\n"
        ))
        .unwrap_err();
        assert!(err.to_string().contains("needs a reason"), "{err}");
        let err = Policy::from_yaml(&format!(
            "{base}    rules: [domain-kms]\n    reason: r\n    expires: 2027-02-30\n"
        ))
        .unwrap_err();
        assert!(err.to_string().contains("exemptions[0].expires"), "{err}");
        assert_eq!(err.line(), Some(6));
        let err = Policy::from_yaml("version: 1\nexemptions:\n  - resource: '*'\n    rules: [domain-kms]\n    reason: r\n    expires: 2027-01-31\n")
            .unwrap_err();
        assert!(err.to_string().contains("exempt everything"), "{err}");
    }

    #[test]
    fn an_exemption_holds_through_its_expiry_day_and_not_after() {
        let p = Policy::from_yaml(
            "version: 1\nexemptions:\n  - resource: 'arn:aws:sagemaker:*:*:notebook-instance/legacy-*'\n    rules: [notebook-root-access-disabled]\n    reason: vendor image needs root\n    expires: 2027-01-31\n",
        )
        .unwrap();
        let arn = Some("arn:aws:sagemaker:eu-west-1:111122223333:notebook-instance/legacy-1");
        let rule = RuleId::NotebookRootAccessDisabled;
        assert!(p.exemption(rule, "legacy-1", arn, date("2027-01-31")).is_some());
        assert!(p.exemption(rule, "legacy-1", arn, date("2027-02-01")).is_none());
        assert!(p
            .exemption(RuleId::NotebookKmsEncrypted, "legacy-1", arn, date("2027-01-01"))
            .is_none());
        assert!(p.exemption(rule, "legacy-1", None, date("2027-01-01")).is_none());
        assert!(p
            .exemption(
                rule,
                "other",
                Some("arn:aws:sagemaker:eu-west-1:1:notebook-instance/other"),
                date("2027-01-01")
            )
            .is_none());
    }

    #[test]
    fn wildcards_match_in_full() {
        assert!(wildcard_match(b"a*c", b"abbbc"));
        assert!(wildcard_match(b"a?c", b"abc"));
        assert!(!wildcard_match(b"a?c", b"abbc"));
        assert!(!wildcard_match(b"a*c", b"abcd"));
        assert!(wildcard_match(b"*-prod", b"x-prod"));
        assert!(wildcard_match(b"a**", b"a"));
        assert!(!wildcard_match(b"", b"a"));
    }

    #[test]
    fn the_schema_names_every_rule() {
        let schema = Policy::json_schema().to_string();
        for rule in RuleId::ALL {
            assert!(schema.contains(rule.as_str()), "{rule}");
        }
    }
}
