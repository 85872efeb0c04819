//! Bounded retries with exponential backoff for calls that were throttled or met a transient
//! failure; everything else returns at once.

use std::future::Future;

use sagefence::ports::PortResult;

use crate::settings::Settings;

/// Runs `call` until it succeeds, fails for good, or `settings.max_attempts` are spent.
pub async fn retrying<T, F, Fut>(settings: &Settings, mut call: F) -> PortResult<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = PortResult<T>>,
{
    let mut delay = settings.base_delay;
    let mut attempt = 1;
    loop {
        match call().await {
            Err(err) if err.is_retryable() && attempt < settings.max_attempts => {
                tracing::warn!(operation = err.operation, attempt, error = %err, "retrying after backoff");
                tokio::time::sleep(delay).await;
                delay = delay.saturating_mul(2);
                attempt += 1;
            }
            result => return result,
        }
    }
}
