//! ARN patterns, matched segment by segment: `*` and `?` match within one segment of an ARN
//! (its partition, service, region, account, and each `/`- or `:`-separated part of its
//! resource), never across a `:` or a `/`. Exemptions name resources with them (account,
//! region and resource kind spelled out), and the guardrail its own roles.

use thiserror::Error;

use crate::policy::wildcard_match;

/// The partitions AWS has.
const PARTITIONS: &[&str] = &[
    "aws",
    "aws-cn",
    "aws-us-gov",
    "aws-iso",
    "aws-iso-b",
    "aws-iso-e",
    "aws-iso-f",
];

/// Why a text is not a usable ARN pattern.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ArnPatternError {
    /// Not an ARN at all, e.g. a bare name.
    #[error("`{pattern}` is not an ARN pattern: name the resource by its full ARN, e.g. `arn:aws:sagemaker:eu-west-1:111122223333:notebook-instance/legacy-*`")]
    NotAnArn {
        /// The pattern as written.
        pattern: String,
    },
    /// A part that must be spelled out holds a wildcard or is malformed.
    #[error("`{pattern}`: the {part} must be {expected}")]
    Part {
        /// The pattern as written.
        pattern: String,
        /// Which part: `partition`, `service`, `region`, `account` or `resource kind`.
        part: &'static str,
        /// What the part must be.
        expected: &'static str,
    },
}

impl ArnPatternError {
    fn part(pattern: &str, part: &'static str, expected: &'static str) -> Self {
        ArnPatternError::Part {
            pattern: pattern.to_owned(),
            part,
            expected,
        }
    }
}

/// An ARN pattern, matched segment by segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArnPattern {
    text: String,
    segments: Vec<String>,
    fold_case: bool,
}

/// The segments of an ARN: partition, service, region, account, then each part of the
/// resource split at `/` and `:`. `None` when the text is not an ARN.
fn segments(text: &str) -> Option<Vec<&str>> {
    let mut fields = text.splitn(6, ':');
    if fields.next()? != "arn" {
        return None;
    }
    let head: Vec<&str> = fields.by_ref().take(4).collect();
    let resource = fields.next()?;
    if head.len() != 4 || resource.is_empty() {
        return None;
    }
    Some(head.into_iter().chain(resource.split(['/', ':'])).collect())
}

fn has_wildcard(segment: &str) -> bool {
    segment.contains(['*', '?'])
}

/// Whether the service writes names into ARNs in lower case (SageMaker does).
fn folds_case(service: &str) -> bool {
    service == "sagemaker"
}

impl ArnPattern {
    /// A pattern naming resources for an exemption: partition, service, region, account
    /// and resource kind spelled out (no wildcard; the region may be empty only for a
    /// global service's ARN), wildcards only within the resource's name segments.
    pub fn resource(text: &str) -> Result<ArnPattern, ArnPatternError> {
        let pattern = ArnPattern::parse(text)?;
        let err = |part, expected| ArnPatternError::part(text, part, expected);
        let [_, service, region, account, kind, ..] = pattern.segments.as_slice() else {
            return Err(err("resource kind", "named, as in `notebook-instance/NAME`"));
        };
        if has_wildcard(region) {
            return Err(err(
                "region",
                "spelled out (empty only for a global service such as IAM)",
            ));
        }
        if region.is_empty() && !matches!(service.as_str(), "iam" | "s3" | "organizations") {
            return Err(err(
                "region",
                "spelled out (empty only for a global service such as IAM)",
            ));
        }
        if !(is_account(account) || service == "s3" && account.is_empty()) {
            return Err(err("account", "a 12-digit account id"));
        }
        if kind.is_empty() || has_wildcard(kind) || pattern.segments.len() < 6 {
            return Err(err("resource kind", "named, as in `notebook-instance/NAME`"));
        }
        Ok(pattern)
    }

    /// A pattern naming one of sagefence's own roles: an IAM role
    /// (`arn:aws:iam::ACCOUNT:role/PATH/NAME`) or its sessions
    /// (`arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION`). The account is a 12-digit id, or
    /// `*` for a role deployed under the same name in member accounts.
    pub fn role(text: &str) -> Result<ArnPattern, ArnPatternError> {
        let pattern = ArnPattern::parse(text)?;
        let err = |part, expected| ArnPatternError::part(text, part, expected);
        let [_, service, region, account, kind, name, ..] = pattern.segments.as_slice() else {
            return Err(err("resource kind", "`role/NAME` or `assumed-role/NAME/SESSION`"));
        };
        let kind_fits = matches!(
            (service.as_str(), kind.as_str()),
            ("iam", "role") | ("sts", "assumed-role")
        );
        if !kind_fits || name.is_empty() || has_wildcard(name) {
            return Err(err(
                "resource kind",
                "`role/NAME` (iam) or `assumed-role/NAME/SESSION` (sts), the role name spelled out",
            ));
        }
        if !region.is_empty() {
            return Err(err("region", "empty (IAM and STS ARNs have none)"));
        }
        if !is_account(account) && account != "*" {
            return Err(err("account", "a 12-digit account id, or `*` for member accounts"));
        }
        Ok(pattern)
    }

    fn parse(text: &str) -> Result<ArnPattern, ArnPatternError> {
        let not_arn = || ArnPatternError::NotAnArn {
            pattern: text.to_owned(),
        };
        let parts = segments(text).ok_or_else(not_arn)?;
        let [partition, service, ..] = parts.as_slice() else {
            return Err(not_arn());
        };
        if !PARTITIONS.contains(partition) {
            return Err(ArnPatternError::part(
                text,
                "partition",
                "an AWS partition such as `aws`",
            ));
        }
        if service.is_empty() || has_wildcard(service) {
            return Err(ArnPatternError::part(text, "service", "spelled out, e.g. `sagemaker`"));
        }
        let fold_case = folds_case(service);
        let segments = parts
            .iter()
            .map(|s| if fold_case { s.to_lowercase() } else { (*s).to_owned() })
            .collect();
        Ok(ArnPattern {
            text: text.to_owned(),
            segments,
            fold_case,
        })
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The account the pattern names; `None` when it is a wildcard.
    pub fn account(&self) -> Option<&str> {
        self.segments.get(3).map(String::as_str).filter(|a| !has_wildcard(a))
    }

    /// Whether `arn` matches, segment by segment (case-insensitively for SageMaker ARNs).
    pub fn matches(&self, arn: &str) -> bool {
        let Some(parts) = segments(arn) else {
            return false;
        };
        parts.len() == self.segments.len()
            && parts.iter().zip(&self.segments).all(|(part, pattern)| {
                if self.fold_case {
                    wildcard_match(pattern.as_bytes(), part.to_lowercase().as_bytes())
                } else {
                    wildcard_match(pattern.as_bytes(), part.as_bytes())
                }
            })
    }
}

/// sagefence's own roles, by ARN pattern matched segment by segment: the stack's roles by
/// their exact ARNs (their generated names carry the stack's unique suffix) and their sessions,
/// and the member role, the same name in every member account. A pattern whose account is
/// `*` never matches the home account: there anyone may create a role of that name.
#[derive(Debug, Clone, Default)]
pub struct OwnRoles {
    patterns: Vec<ArnPattern>,
    home_account: Option<String>,
}

impl OwnRoles {
    /// Reads the patterns; `home_account` is the account the guardrail runs in (unknown: a
    /// pattern with `*` as its account matches nothing).
    pub fn new<S: AsRef<str>>(patterns: &[S], home_account: Option<String>) -> Result<OwnRoles, ArnPatternError> {
        let patterns = patterns
            .iter()
            .map(|p| ArnPattern::role(p.as_ref()))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(OwnRoles { patterns, home_account })
    }

    /// Whether `arn` (a role's ARN, or an assumed-role session's) is one of them.
    pub fn is_own(&self, arn: &str) -> bool {
        let account = account_of(arn);
        self.patterns.iter().any(|pattern| {
            let account_allowed = pattern.account().is_some()
                || self
                    .home_account
                    .as_deref()
                    .is_some_and(|home| account.is_some_and(|a| a != home));
            account_allowed && pattern.matches(arn)
        })
    }
}

fn is_account(text: &str) -> bool {
    text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit())
}

/// The account of an ARN, where it names one.
pub fn account_of(arn: &str) -> Option<&str> {
    segments(arn).and_then(|s| s.get(3).copied()).filter(|a| !a.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOTEBOOK: &str = "arn:aws:sagemaker:eu-west-1:111122223333:notebook-instance/legacy-1";

    #[test]
    fn a_wildcard_stays_within_its_segment() {
        let p = ArnPattern::role("arn:aws:sts::111122223333:assumed-role/sagefence-Guardrail-X1/*").unwrap();
        assert!(p.matches("arn:aws:sts::111122223333:assumed-role/sagefence-Guardrail-X1/session"));
        assert!(!p.matches("arn:aws:sts::111122223333:assumed-role/sagefence-Guardrail-X1/a/b"));
        let p = ArnPattern::resource("arn:aws:sagemaker:eu-west-1:111122223333:notebook-instance/legacy-*").unwrap();
        assert!(p.matches(NOTEBOOK));
        assert!(!p.matches("arn:aws:sagemaker:eu-west-1:111122223333:notebook-instance/legacy-1/x"));
    }

    #[test]
    fn sagemaker_names_match_whatever_their_case() {
        let p = ArnPattern::resource("arn:aws:sagemaker:eu-west-1:111122223333:notebook-instance/Legacy-*").unwrap();
        assert!(p.matches(NOTEBOOK));
        assert!(p.matches("arn:aws:sagemaker:eu-west-1:111122223333:notebook-instance/LEGACY-2"));
        let role = ArnPattern::role("arn:aws:iam::111122223333:role/Admin").unwrap();
        assert!(!role.matches("arn:aws:iam::111122223333:role/admin"));
    }

    #[test]
    fn exemption_patterns_spell_out_account_region_and_kind() {
        for bad in [
            "legacy-*",
            "arn:aws:sagemaker:*:111122223333:notebook-instance/x",
            "arn:aws:sagemaker:eu-west-1:*:notebook-instance/x",
            "arn:aws:sagemaker:eu-west-1:111122223333:*/x",
            "arn:aws:sagemaker:eu-west-1:111122223333:*",
            "arn:aws:*:eu-west-1:111122223333:notebook-instance/x",
            "arn:*:sagemaker:eu-west-1:111122223333:notebook-instance/x",
        ] {
            assert!(ArnPattern::resource(bad).is_err(), "{bad}");
        }
        assert!(ArnPattern::resource("arn:aws:iam::111122223333:role/x-*").is_ok());
    }

    #[test]
    fn role_patterns_name_a_role_or_its_sessions() {
        assert!(ArnPattern::role("arn:aws:iam::*:role/member").is_ok());
        assert!(ArnPattern::role("arn:aws:iam::*:role/*").is_err());
        assert!(ArnPattern::role("arn:aws:iam::111122223333:user/x").is_err());
        assert!(ArnPattern::role("arn:aws:iam::111122223333:*").is_err());
        assert_eq!(account_of(NOTEBOOK), Some("111122223333"));
    }
}
