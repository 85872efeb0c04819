//! The provisioner's configuration, read once at cold start from the environment.

use std::time::Duration;

use sagefence_aws::settings::{SettingsError, Vars, DEFAULT_FLOW_LOG_GROUP_PREFIX};

use crate::addressing::Cidr;

/// How the provisioner builds beyond the policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// The block project VPCs are allocated from.
    pub cidr_pool: Cidr,
    /// The prefix length of an allocated VPC block.
    pub vpc_prefix: u8,
    /// The role VPC flow logs deliver to CloudWatch Logs with.
    pub flow_log_role_arn: String,
    /// A project VPC's flow-log group is this prefix followed by the VPC id (the guardrail
    /// recreates deleted flow logs into the same group).
    pub flow_log_group_prefix: String,
    /// How long flow-log events are kept.
    pub log_retention_days: i32,
    /// The waiting period before a retired project key is deleted (7 to 30 days).
    pub key_deletion_days: i32,
    /// The notebook lifecycle configuration notebooks must use.
    pub lifecycle_config_name: String,
    /// Principals besides the project admin role that reach project buckets from outside the
    /// project's endpoint (the provisioner's own role, to remove the buckets again).
    pub bucket_admin_arns: Vec<String>,
    /// The time kept in hand before the Lambda deadline to answer CloudFormation.
    pub answer_margin: Duration,
    /// The managed policy bounding every role the provisioner creates (`None`: no boundary,
    /// only where nothing deploys one, as in tests of other concerns).
    pub permissions_boundary_arn: Option<String>,
}

impl Settings {
    /// Settings with the defaults, delivering flow logs with `flow_log_role_arn`.
    pub fn new(flow_log_role_arn: impl Into<String>) -> Settings {
        Settings {
            cidr_pool: Cidr::TEN_SLASH_EIGHT,
            vpc_prefix: 16,
            flow_log_role_arn: flow_log_role_arn.into(),
            flow_log_group_prefix: DEFAULT_FLOW_LOG_GROUP_PREFIX.to_owned(),
            log_retention_days: 365,
            key_deletion_days: 30,
            lifecycle_config_name: "sagefence-notebook".to_owned(),
            bucket_admin_arns: Vec::new(),
            answer_margin: Duration::from_secs(15),
            permissions_boundary_arn: None,
        }
    }
}

/// Environment variable names.
pub mod env {
    pub use sagefence_aws::settings::env::{FLOW_LOG_GROUP_PREFIX, FLOW_LOG_ROLE_ARN};

    /// The pool project VPC blocks are allocated from (default `10.0.0.0/8`).
    pub const CIDR_POOL: &str = "SAGEFENCE_CIDR_POOL";
    /// The prefix length of allocated VPC blocks (default 16).
    pub const VPC_PREFIX: &str = "SAGEFENCE_VPC_PREFIX";
    /// Flow-log retention in days (default 365).
    pub const LOG_RETENTION_DAYS: &str = "SAGEFENCE_LOG_RETENTION_DAYS";
    /// Days before a retired project key is deleted (default 30).
    pub const KEY_DELETION_DAYS: &str = "SAGEFENCE_KEY_DELETION_DAYS";
    /// The notebook lifecycle configuration (default `sagefence-notebook`).
    pub const LIFECYCLE_CONFIG: &str = "SAGEFENCE_LIFECYCLE_CONFIG";
    /// Comma-separated ARN patterns let into project buckets from outside the endpoint
    /// besides the project admin role (the provisioner's role).
    pub const BUCKET_ADMIN_ARNS: &str = "SAGEFENCE_BUCKET_ADMIN_ARNS";
    /// Seconds kept before the Lambda deadline to answer (default 15).
    pub const ANSWER_MARGIN_SECONDS: &str = "SAGEFENCE_ANSWER_MARGIN_SECONDS";
    /// The permissions boundary of every role the provisioner creates.
    pub const PERMISSIONS_BOUNDARY_ARN: &str = "SAGEFENCE_PERMISSIONS_BOUNDARY_ARN";
}

/// Everything read from the environment at cold start.
#[derive(Debug, Clone)]
pub struct Environment {
    /// The settings.
    pub settings: Settings,
}

impl Environment {
    /// Reads the configuration through `var` (the process environment in `main`).
    pub fn read(var: impl Fn(&str) -> Option<String>) -> Result<Environment, SettingsError> {
        let vars = Vars::new(var);
        let defaults = Settings::new(vars.required(env::FLOW_LOG_ROLE_ARN)?);
        let cidr_pool = match vars.optional(env::CIDR_POOL) {
            Some(pool) => pool
                .parse()
                .map_err(|e| SettingsError::new(env::CIDR_POOL, format!("is `{pool}`: {e}")))?,
            None => defaults.cidr_pool,
        };
        let vpc_prefix = vars.number_in(env::VPC_PREFIX, defaults.vpc_prefix, 16..=24)?;
        if vpc_prefix < cidr_pool.prefix() {
            let problem = format!("is /{vpc_prefix}, which does not fit in the pool");
            return Err(SettingsError::new(env::VPC_PREFIX, problem));
        }
        let seconds = defaults.answer_margin.as_secs();
        let settings = Settings {
            cidr_pool,
            vpc_prefix,
            flow_log_group_prefix: vars.or(env::FLOW_LOG_GROUP_PREFIX, &defaults.flow_log_group_prefix),
            log_retention_days: vars.number_in(env::LOG_RETENTION_DAYS, defaults.log_retention_days, 1..=3653)?,
            key_deletion_days: vars.number_in(env::KEY_DELETION_DAYS, defaults.key_deletion_days, 7..=30)?,
            lifecycle_config_name: vars.or(env::LIFECYCLE_CONFIG, &defaults.lifecycle_config_name),
            bucket_admin_arns: vars.list(env::BUCKET_ADMIN_ARNS),
            answer_margin: Duration::from_secs(vars.number_in(env::ANSWER_MARGIN_SECONDS, seconds, 1..=300)?),
            permissions_boundary_arn: vars.optional(env::PERMISSIONS_BOUNDARY_ARN),
            ..defaults
        };
        Ok(Environment { settings })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_overrides() {
        let read = |pairs: &[(&str, &str)]| {
            let pairs: Vec<(String, String)> = pairs.iter().map(|(k, v)| ((*k).into(), (*v).into())).collect();
            Environment::read(move |name| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()))
        };
        let env = read(&[(env::FLOW_LOG_ROLE_ARN, "arn:role")]).unwrap();
        assert_eq!(env.settings.cidr_pool.to_string(), "10.0.0.0/8");
        assert_eq!(env.settings.vpc_prefix, 16);
        let env = read(&[
            (env::FLOW_LOG_ROLE_ARN, "arn:role"),
            (env::CIDR_POOL, "172.16.0.0/12"),
            (env::VPC_PREFIX, "20"),
            (env::BUCKET_ADMIN_ARNS, "arn:a, arn:b"),
            (env::PERMISSIONS_BOUNDARY_ARN, "arn:boundary"),
        ])
        .unwrap();
        assert_eq!(env.settings.permissions_boundary_arn.as_deref(), Some("arn:boundary"));
        assert_eq!(env.settings.cidr_pool.to_string(), "172.16.0.0/12");
        assert_eq!(env.settings.vpc_prefix, 20);
        assert_eq!(env.settings.bucket_admin_arns, ["arn:a", "arn:b"]);
        assert!(read(&[])
            .unwrap_err()
            .to_string()
            .contains("SAGEFENCE_FLOW_LOG_ROLE_ARN"));
        let bad = read(&[(env::FLOW_LOG_ROLE_ARN, "r"), (env::VPC_PREFIX, "8")]).unwrap_err();
        assert!(bad.to_string().contains("`8`"));
    }
}
