//! The policy: per-rule mode and remedy, scope and exemptions, read from YAML. Every check is
//! made while deserializing, so each error names the field and the line it stands on.

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};

use crate::arn::ArnPattern;
use crate::error::PolicyError;
use crate::rules::{RuleId, Rules};

pub use crate::rules::{Mode, Remedy, ResourceScope, Scope};

/// The built-in policy: every rule enforced with the catalog's default remedy.
pub const DEFAULT_POLICY_YAML: &str = include_str!("default-policy.yaml");

/// A resource pattern: a full ARN with account, region and resource kind spelled out, where
/// `*` and `?` match within one segment of the ARN; SageMaker names match whatever their case,
/// as AWS lowercases them in ARNs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct ResourcePattern(
    String,
    #[serde(skip)]
    #[schemars(skip)]
    ArnPattern,
);

impl ResourcePattern {
    /// Whether the pattern matches the resource's ARN.
    pub fn matches(&self, arn: &str) -> bool {
        self.1.matches(arn)
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for ResourcePattern {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        let pattern = ArnPattern::resource(&text).map_err(serde::de::Error::custom)?;
        Ok(ResourcePattern(text, pattern))
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
    /// The resource's ARN: account, region and kind spelled out, `*` and `?` within a segment.
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

    /// Whether it covers `rule` on the resource with this ARN (a resource whose ARN is not
    /// known is never exempt).
    pub fn covers(&self, rule: RuleId, arn: Option<&str>) -> bool {
        self.rules.contains(&rule) && arn.is_some_and(|a| self.resource.matches(a))
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
        self.rules.notebook_required_tags.keys(&self.scope)
    }

    /// The exemption covering `rule` for the resource with this ARN on `today`, if any holds.
    pub fn exemption(&self, rule: RuleId, arn: Option<&str>, today: NaiveDate) -> Option<&Exemption> {
        self.exemptions
            .iter()
            .find(|e| e.is_active(today) && e.covers(rule, arn))
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
    fn a_wrong_rule_or_remedy_is_named_with_its_line() {
        let cases = [
            (
                "rules:\n  notebook-root-acess-disabled:\n    mode: audit\n",
                "notebook-root-acess-disabled",
                3,
            ),
            (
                "rules:\n  notebook-kms-encrypted:\n    remedy: fix\n",
                "rules.notebook-kms-encrypted.remedy",
                4,
            ),
        ];
        for (yaml, named, line) in cases {
            let err = Policy::from_yaml(&format!("version: 1\n{yaml}")).unwrap_err();
            let text = err.to_string();
            assert!(text.contains(named) && text.contains(&format!("line {line}")), "{text}");
            assert_eq!(err.line(), Some(line), "{text}");
        }
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
        let base = "version: 1\nexemptions:\n  - resource: 'arn:aws:sagemaker:eu-west-1:111122223333:notebook-instance/legacy-*'\n";
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
        assert!(err.to_string().contains("not an ARN pattern"), "{err}");
    }

    #[test]
    fn an_exemption_holds_through_its_expiry_day_and_not_after() {
        let p = Policy::from_yaml(
            "version: 1\nexemptions:\n  - resource: 'arn:aws:sagemaker:eu-west-1:111122223333:notebook-instance/legacy-*'\n    rules: [notebook-root-access-disabled]\n    reason: vendor image needs root\n    expires: 2027-01-31\n",
        )
        .unwrap();
        let arn = Some("arn:aws:sagemaker:eu-west-1:111122223333:notebook-instance/legacy-1");
        let rule = RuleId::NotebookRootAccessDisabled;
        assert!(p.exemption(rule, arn, date("2027-01-31")).is_some());
        assert!(p.exemption(rule, arn, date("2027-02-01")).is_none());
        assert!(p
            .exemption(RuleId::NotebookKmsEncrypted, arn, date("2027-01-01"))
            .is_none());
        assert!(p.exemption(rule, None, date("2027-01-01")).is_none());
        assert!(p
            .exemption(
                rule,
                Some("arn:aws:sagemaker:eu-west-1:111122223333:notebook-instance/other"),
                date("2027-01-01")
            )
            .is_none());
    }

    #[test]
    fn an_arn_pattern_matches_the_lowercased_arn_sagemaker_gives_a_mixed_case_name() {
        let p = Policy::from_yaml(
            "version: 1\nexemptions:\n  - resource: 'arn:aws:sagemaker:eu-west-1:111122223333:notebook-instance/Legacy-*'\n    rules: [notebook-root-access-disabled]\n    reason: vendor image needs root\n    expires: 2027-01-31\n",
        )
        .unwrap();
        let rule = RuleId::NotebookRootAccessDisabled;
        let today = date("2027-01-01");
        let arn = Some("arn:aws:sagemaker:eu-west-1:111122223333:notebook-instance/legacy-vendor");
        assert!(p.exemption(rule, arn, today).is_some());
        let role = Some("arn:aws:iam::111122223333:role/legacy-vendor");
        let iam = Policy::from_yaml(
            "version: 1\nexemptions:\n  - resource: 'arn:aws:iam::111122223333:role/Legacy-*'\n    rules: [role-least-privilege]\n    reason: vendor role\n    expires: 2027-01-31\n",
        )
        .unwrap();
        assert!(iam.exemption(RuleId::RoleLeastPrivilege, role, today).is_none());
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
