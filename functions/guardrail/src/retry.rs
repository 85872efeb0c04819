//! The guardrail's retries: the shared bounded backoff with the guardrail's settings.

use std::future::Future;

use sagefence_aws::ports::PortResult;

use crate::settings::Settings;

/// Runs `call` until it succeeds, fails for good, or `settings.max_attempts` are spent.
pub async fn retrying<T, F, Fut>(settings: &Settings, call: F) -> PortResult<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = PortResult<T>>,
{
    sagefence_aws::remedy::retrying(&settings.backoff(), call).await
}
