//! The guardrail's configuration, read once at cold start from the environment.

use std::time::Duration;

use sagefence_aws::remedy::Backoff;
use sagefence_aws::settings::{SettingsError, Vars, DEFAULT_FLOW_LOG_GROUP_PREFIX};
use sagefence_core::arn::OwnRoles;

/// How the guardrail behaves beyond the policy.
#[derive(Debug, Clone)]
pub struct Settings {
    /// sagefence's own roles: calls they make are never acted on again.
    pub own_roles: OwnRoles,
    /// Attempts per AWS call when it is throttled or unavailable (at least 1).
    pub max_attempts: u32,
    /// The first backoff delay; it doubles on each retry.
    pub base_delay: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            own_roles: OwnRoles::default(),
            max_attempts: Backoff::default().max_attempts,
            base_delay: Backoff::default().base_delay,
        }
    }
}

impl Settings {
    /// The retry settings of AWS calls.
    pub fn backoff(&self) -> Backoff {
        Backoff {
            max_attempts: self.max_attempts,
            base_delay: self.base_delay,
        }
    }

    /// Whether a caller ARN is one of sagefence's own roles (or a session of one).
    pub fn is_own(&self, arn: &str) -> bool {
        self.own_roles.is_own(arn)
    }
}

/// Environment variable names (the policy's are `sagefence_aws::ssm::env`).
pub mod env {
    pub use sagefence_aws::settings::env::{FLOW_LOG_GROUP_PREFIX, FLOW_LOG_ROLE_ARN, TOPIC_ARN};

    /// Comma-separated ARN patterns of sagefence's own roles.
    pub const OWN_ROLE_ARNS: &str = "SAGEFENCE_OWN_ROLE_ARNS";
    /// The account the guardrail runs in (where member-role patterns never match).
    pub const HOME_ACCOUNT: &str = "SAGEFENCE_HOME_ACCOUNT";
}

/// Everything read from the environment at cold start besides the policy
/// (`sagefence_aws::load_policy`).
#[derive(Debug, Clone)]
pub struct Environment {
    /// The guardrail's settings.
    pub settings: Settings,
    /// The notification topic.
    pub topic_arn: String,
    /// The flow-log log group prefix.
    pub flow_log_group_prefix: String,
    /// The flow-log delivery role.
    pub flow_log_role_arn: String,
}

impl Environment {
    /// Reads the configuration through `var` (the process environment in `main`). The home
    /// account is [`env::HOME_ACCOUNT`], else `home_account` (the caller's identity in `main`).
    pub fn read(
        var: impl Fn(&str) -> Option<String>,
        home_account: Option<String>,
    ) -> Result<Environment, SettingsError> {
        let vars = Vars::new(var);
        let home_account = vars.optional(env::HOME_ACCOUNT).or(home_account);
        let own_roles = OwnRoles::new(&vars.list(env::OWN_ROLE_ARNS), home_account)
            .map_err(|e| SettingsError::new(env::OWN_ROLE_ARNS, e.to_string()))?;
        Ok(Environment {
            settings: Settings {
                own_roles,
                ..Settings::default()
            },
            topic_arn: vars.required(env::TOPIC_ARN)?,
            flow_log_group_prefix: vars.or(env::FLOW_LOG_GROUP_PREFIX, DEFAULT_FLOW_LOG_GROUP_PREFIX),
            flow_log_role_arn: vars.required(env::FLOW_LOG_ROLE_ARN)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pattern_that_is_not_a_role_arn_is_a_settings_error() {
        let vars = |name: &str| (name == env::OWN_ROLE_ARNS).then(|| "arn:aws:iam::*:role/*".to_owned());
        let err = Environment::read(vars, None).unwrap_err();
        assert_eq!(err.name, env::OWN_ROLE_ARNS);
    }
}
