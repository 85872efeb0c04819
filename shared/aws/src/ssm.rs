//! The policy every function reads once at cold start: from an SSM parameter when
//! `SAGEFENCE_POLICY_PARAMETER` names one (how the stack deploys it), else from the
//! `SAGEFENCE_POLICY` YAML text, else the built-in policy.

use aws_sdk_ssm::Client;
use aws_types::SdkConfig;
use thiserror::Error;

use crate::error::SdkResultExt;
use crate::ports::PortError;
use crate::settings::Vars;
use sagefence_core::{Policy, PolicyError};

/// Environment variable names.
pub mod env {
    /// The SSM parameter holding the policy YAML (a name or an ARN).
    pub const POLICY_PARAMETER: &str = "SAGEFENCE_POLICY_PARAMETER";
    /// The policy YAML itself, when no parameter is named.
    pub const POLICY: &str = "SAGEFENCE_POLICY";
}

/// Where the policy comes from, as the environment says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicySource {
    /// An SSM parameter, by name or ARN.
    Parameter(String),
    /// YAML text.
    Inline(String),
    /// The built-in policy.
    Builtin,
}

impl PolicySource {
    /// The source the environment names; blank variables count as unset, and a parameter
    /// wins over inline text.
    pub fn from_env(var: impl Fn(&str) -> Option<String>) -> PolicySource {
        let vars = Vars::new(var);
        if let Some(name) = vars.optional(env::POLICY_PARAMETER) {
            PolicySource::Parameter(name)
        } else if let Some(yaml) = vars.text(env::POLICY) {
            PolicySource::Inline(yaml)
        } else {
            PolicySource::Builtin
        }
    }
}

/// Why the policy could not be loaded; nothing is evaluated without one.
#[derive(Debug, Error)]
pub enum LoadPolicyError {
    /// The parameter could not be read (missing, denied, throttled, unreachable).
    #[error("cannot read the policy parameter `{name}`: {source}")]
    Read {
        /// The parameter.
        name: String,
        /// The failed call.
        #[source]
        source: PortError,
    },
    /// The parameter has no value.
    #[error("the policy parameter `{name}` has no value")]
    Empty {
        /// The parameter.
        name: String,
    },
    /// The parameter's YAML is not a valid policy.
    #[error("the policy in parameter `{name}` is invalid: {source}")]
    InvalidParameter {
        /// The parameter.
        name: String,
        /// What is wrong, with its line.
        #[source]
        source: PolicyError,
    },
    /// The `SAGEFENCE_POLICY` text is not a valid policy.
    #[error("the policy in `SAGEFENCE_POLICY` is invalid: {0}")]
    InvalidInline(#[source] PolicyError),
}

impl LoadPolicyError {
    /// Whether a later attempt may succeed (a throttled or unreachable SSM, not a bad policy).
    pub fn is_retryable(&self) -> bool {
        matches!(self, LoadPolicyError::Read { source, .. } if source.is_retryable())
    }
}

/// The SDK configuration from the environment and the policy it names: what a function loads
/// once at cold start.
pub async fn sdk_and_policy() -> Result<(SdkConfig, Policy), LoadPolicyError> {
    let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let policy = load_policy(&sdk, crate::settings::process_env).await?;
    Ok((sdk, policy))
}

/// Loads the policy from where the environment says (`var` reads it; the process environment
/// in `main`), reading an SSM parameter with the SDK configuration `sdk`.
pub async fn load_policy(sdk: &SdkConfig, var: impl Fn(&str) -> Option<String>) -> Result<Policy, LoadPolicyError> {
    match PolicySource::from_env(var) {
        PolicySource::Parameter(name) => parameter_policy(&Client::new(sdk), &name).await,
        PolicySource::Inline(yaml) => Policy::from_yaml(&yaml).map_err(LoadPolicyError::InvalidInline),
        PolicySource::Builtin => Ok(Policy::builtin()),
    }
}

/// Reads the policy from the parameter `name` (GetParameter, decrypted if it is a SecureString).
pub async fn parameter_policy(client: &Client, name: &str) -> Result<Policy, LoadPolicyError> {
    let answer = client
        .get_parameter()
        .name(name)
        .with_decryption(true)
        .send()
        .await
        .port("GetParameter")
        .map_err(|source| LoadPolicyError::Read {
            name: name.to_owned(),
            source,
        })?;
    let yaml = answer
        .parameter()
        .and_then(|p| p.value())
        .filter(|value| !value.trim().is_empty())
        .ok_or_else(|| LoadPolicyError::Empty { name: name.to_owned() })?;
    Policy::from_yaml(yaml).map_err(|source| LoadPolicyError::InvalidParameter {
        name: name.to_owned(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(vars: &[(&str, &str)]) -> PolicySource {
        PolicySource::from_env(|name| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| (*v).to_owned()))
    }

    #[test]
    fn a_parameter_wins_over_inline_text_and_blank_counts_as_unset() {
        assert_eq!(
            source(&[
                (env::POLICY_PARAMETER, " /sagefence/policy "),
                (env::POLICY, "mode: audit")
            ]),
            PolicySource::Parameter("/sagefence/policy".into())
        );
        assert_eq!(
            source(&[(env::POLICY_PARAMETER, "  "), (env::POLICY, "mode: audit")]),
            PolicySource::Inline("mode: audit".into())
        );
        assert_eq!(source(&[(env::POLICY, "\n")]), PolicySource::Builtin);
        assert_eq!(source(&[]), PolicySource::Builtin);
    }
}
