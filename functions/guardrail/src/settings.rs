//! The guardrail's configuration, read once at cold start from the environment.

use std::time::Duration;

use sagefence_aws::remedy::Backoff;
use sagefence_aws::settings::{SettingsError, Vars, DEFAULT_FLOW_LOG_GROUP_PREFIX};
use sagefence_core::arn::OwnRoles;
use sagefence_core::event::Actor;

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

    /// Whether a caller ARN is one of sagefence's own roles (or a session of one). Each of an
    /// ARN's fields is matched on its own: a `*` standing for an account never reaches into the
    /// resource, so no IAM path (which may hold `:`) can make another principal look like ours.
    pub fn is_own(&self, arn: &str) -> bool {
        self.own_roles.is_own(arn)
    }

    /// Whether one of sagefence's own roles made the call: only a role session can be, never an
    /// IAM user, the root user, a federated user, another account or a service.
    pub fn is_own_call(&self, actor: &Actor) -> bool {
        actor.role_session_arns().any(|arn| self.is_own(arn))
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

    fn settings() -> Settings {
        let patterns = [
            "arn:aws:iam::111122223333:role/sagefence-guardrail",
            "arn:aws:sts::111122223333:assumed-role/sagefence-guardrail/*",
            "arn:aws:iam::*:role/sagefence-member",
        ];
        Settings {
            own_roles: OwnRoles::new(&patterns, Some("111122223333".to_owned())).unwrap(),
            ..Settings::default()
        }
    }

    fn actor(identity_type: &str, arn: &str, role_arn: Option<&str>) -> Actor {
        Actor {
            identity_type: identity_type.to_owned(),
            arn: Some(arn.to_owned()),
            role_arn: role_arn.map(str::to_owned),
            ..Actor::default()
        }
    }

    #[test]
    fn only_sessions_of_own_roles_are_own_calls() {
        let s = settings();
        let own = |identity_type: &str, arn: &str, role_arn: Option<&str>| {
            s.is_own_call(&actor(identity_type, arn, role_arn))
        };
        assert!(own(
            "AssumedRole",
            "arn:aws:sts::111122223333:assumed-role/sagefence-guardrail/1700000000",
            Some("arn:aws:iam::111122223333:role/sagefence-guardrail"),
        ));
        assert!(own(
            "AssumedRole",
            "arn:aws:sts::444455556666:assumed-role/sagefence-member/sweep",
            Some("arn:aws:iam::444455556666:role/sagefence-member"),
        ));
        // An IAM user whose path holds `:role/` (IAM paths may hold any printable ASCII).
        assert!(!own(
            "IAMUser",
            "arn:aws:iam::111122223333:user/x:role/sagefence-member",
            None
        ));
        assert!(!own("Root", "arn:aws:iam::111122223333:root", None));
        // A federated user, whatever its session issuer is called.
        assert!(!own(
            "FederatedUser",
            "arn:aws:sts::111122223333:federated-user/sagefence-guardrail",
            Some("arn:aws:iam::111122223333:role/sagefence-guardrail"),
        ));
        // A role whose path makes its ARN end like the member role's.
        assert!(!s.is_own("arn:aws:iam::111122223333:role/x:role/sagefence-member"));
    }
}
