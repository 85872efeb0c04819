//! The sweeper's configuration, read once at cold start from the environment.

use std::time::Duration;

use sagefence_aws::remedy::Backoff;
use sagefence_aws::sagemaker::MAX_PAGE_SIZE;
use sagefence_aws::settings::{SettingsError, Vars, DEFAULT_FLOW_LOG_GROUP_PREFIX};

use crate::aws::SdkSettings;
use crate::sweep::SweepSettings;
use sagefence_core::model::ResourceKind;

/// Environment variable names.
pub mod env {
    pub use sagefence_aws::settings::env::{FLOW_LOG_GROUP_PREFIX, FLOW_LOG_ROLE_ARN, TOPIC_ARN};

    /// The SQS queue URL shards are fanned out to; unset: a schedule sweeps in-process.
    pub const QUEUE_URL: &str = "SAGEFENCE_SWEEP_QUEUE_URL";
    /// The S3 bucket keeping each shard's failing findings between sweeps.
    pub const STATE_BUCKET: &str = "SAGEFENCE_SWEEP_STATE_BUCKET";
    /// The KMS key state objects are encrypted with (SSE-KMS); the bucket default when unset.
    pub const STATE_KEY_ID: &str = "SAGEFENCE_SWEEP_STATE_KMS_KEY_ID";
    /// Comma-separated regions to sweep; the schedule's region when unset.
    pub const REGIONS: &str = "SAGEFENCE_SWEEP_REGIONS";
    /// Comma-separated member account ids swept besides the sweeper's own.
    pub const ACCOUNTS: &str = "SAGEFENCE_SWEEP_ACCOUNTS";
    /// The role name assumed in each member account.
    pub const MEMBER_ROLE_NAME: &str = "SAGEFENCE_SWEEP_MEMBER_ROLE_NAME";
    /// Comma-separated resource types to sweep (e.g. `notebooks,models`); all when unset.
    pub const RESOURCE_TYPES: &str = "SAGEFENCE_SWEEP_RESOURCE_TYPES";
    /// Describe and remedy calls in flight at once.
    pub const CONCURRENCY: &str = "SAGEFENCE_SWEEP_CONCURRENCY";
    /// The most HTTP requests a second (all services together).
    pub const MAX_RPS: &str = "SAGEFENCE_SWEEP_MAX_RPS";
    /// Items per page of SageMaker List* calls (1 to 100).
    pub const PAGE_SIZE: &str = "SAGEFENCE_SWEEP_PAGE_SIZE";
    /// Attempts per AWS call when throttled or unavailable.
    pub const MAX_ATTEMPTS: &str = "SAGEFENCE_SWEEP_MAX_ATTEMPTS";
    /// `true`: every rule in audit mode, nothing changed.
    pub const DRY_RUN: &str = "SAGEFENCE_SWEEP_DRY_RUN";
}

/// The default describe concurrency.
pub const DEFAULT_CONCURRENCY: usize = 16;
/// The default request rate, well below SageMaker's and EC2's default API rate limits.
pub const DEFAULT_MAX_RPS: f64 = 40.0;
/// The default member role name.
pub const DEFAULT_MEMBER_ROLE_NAME: &str = "sagefence-sweeper-member";

/// Everything read from the environment at cold start.
#[derive(Debug, Clone)]
pub struct Environment {
    /// The sweep's settings.
    pub sweep: SweepSettings,
    /// The SDK's settings.
    pub sdk: SdkSettings,
    /// Items per page of SageMaker List* calls.
    pub page_size: i32,
    /// The notification topic.
    pub topic_arn: String,
    /// The flow-log log group prefix.
    pub flow_log_group_prefix: String,
    /// The flow-log delivery role.
    pub flow_log_role_arn: String,
    /// The fan-out queue, if any.
    pub queue_url: Option<String>,
    /// The state bucket.
    pub state_bucket: String,
    /// The state objects' KMS key, if any.
    pub state_key_id: Option<String>,
    /// Regions to sweep (empty: the schedule's).
    pub regions: Vec<String>,
    /// Member accounts.
    pub member_accounts: Vec<String>,
    /// The member role name.
    pub member_role_name: String,
    /// Resource types to sweep.
    pub resource_types: Vec<ResourceKind>,
}

/// Resource types from their comma-separated names; all when none are given.
pub fn resource_types(names: &[String]) -> Result<Vec<ResourceKind>, String> {
    if names.is_empty() {
        return Ok(ResourceKind::SWEPT.to_vec());
    }
    names
        .iter()
        .map(|name| ResourceKind::from_plural(name).ok_or_else(|| format!("unknown resource type `{name}`")))
        .collect()
}

impl Environment {
    /// Reads the configuration through `var` (the process environment in `main`).
    pub fn read(var: impl Fn(&str) -> Option<String>) -> Result<Environment, SettingsError> {
        let vars = Vars::new(var);
        let concurrency = vars.number(env::CONCURRENCY, DEFAULT_CONCURRENCY)?.max(1);
        let max_rps = vars.number(env::MAX_RPS, DEFAULT_MAX_RPS)?;
        let max_attempts = vars.number(env::MAX_ATTEMPTS, Backoff::default().max_attempts)?;
        let resource_types = resource_types(&vars.list(env::RESOURCE_TYPES))
            .map_err(|problem| SettingsError::new(env::RESOURCE_TYPES, format!("names an {problem}")))?;
        Ok(Environment {
            sweep: SweepSettings {
                concurrency,
                backoff: Backoff {
                    max_attempts,
                    base_delay: Duration::from_millis(100),
                },
                dry_run: vars.flag(env::DRY_RUN),
            },
            sdk: SdkSettings::limited(max_rps, concurrency, max_attempts),
            page_size: vars.number(env::PAGE_SIZE, MAX_PAGE_SIZE)?,
            topic_arn: vars.required(env::TOPIC_ARN)?,
            flow_log_group_prefix: vars.or(env::FLOW_LOG_GROUP_PREFIX, DEFAULT_FLOW_LOG_GROUP_PREFIX),
            flow_log_role_arn: vars.required(env::FLOW_LOG_ROLE_ARN)?,
            queue_url: vars.optional(env::QUEUE_URL),
            state_bucket: vars.required(env::STATE_BUCKET)?,
            state_key_id: vars.optional(env::STATE_KEY_ID),
            regions: vars.list(env::REGIONS),
            member_accounts: vars.list(env::ACCOUNTS),
            member_role_name: vars.or(env::MEMBER_ROLE_NAME, DEFAULT_MEMBER_ROLE_NAME),
            resource_types,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn read(pairs: &[(&str, &str)]) -> Result<Environment, SettingsError> {
        let vars: HashMap<String, String> = pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        Environment::read(|name| vars.get(name).cloned())
    }

    const REQUIRED: [(&str, &str); 3] = [
        (env::TOPIC_ARN, "arn:aws:sns:eu-west-1:1:t"),
        (env::FLOW_LOG_ROLE_ARN, "arn:aws:iam::1:role/f"),
        (env::STATE_BUCKET, "state"),
    ];

    #[test]
    fn defaults_cover_every_type_and_limit_the_rate() {
        let env = read(&REQUIRED).unwrap();
        assert_eq!(env.resource_types, ResourceKind::SWEPT);
        assert_eq!(env.sweep.concurrency, DEFAULT_CONCURRENCY);
        assert_eq!(env.sdk.rate.unwrap().per_second, DEFAULT_MAX_RPS);
        assert!(!env.sweep.dry_run);
        assert_eq!(env.member_role_name, DEFAULT_MEMBER_ROLE_NAME);
    }

    #[test]
    fn bad_values_name_their_variable() {
        let mut pairs = REQUIRED.to_vec();
        pairs.push((env::CONCURRENCY, "many"));
        let err = read(&pairs).unwrap_err().to_string();
        assert!(err.contains(env::CONCURRENCY) && err.contains("`many`"), "{err}");
        let mut pairs = REQUIRED.to_vec();
        pairs.push((env::RESOURCE_TYPES, "notebooks,buckets"));
        let err = read(&pairs).unwrap_err().to_string();
        assert!(err.contains("`buckets`"), "{err}");
        let err = read(&REQUIRED[..2]).unwrap_err().to_string();
        assert!(err.contains(env::STATE_BUCKET), "{err}");
    }
}
