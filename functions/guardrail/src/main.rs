//! The guardrail Lambda: receives CloudTrail API-call and SageMaker state-change events from
//! EventBridge, evaluates them against the policy and logs the findings and planned remedies.
//! Online look-ups and applying remedies arrive with the guardrail issue; until then it
//! evaluates offline and changes nothing.

mod error;
mod handler;

use lambda_runtime::{service_fn, LambdaEvent};
use sagefence::Policy;

use crate::error::GuardrailError;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("AWS_LAMBDA_LOG_LEVEL")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_current_span(false)
        .without_time()
        .init();
    let policy = match std::env::var("SAGEFENCE_POLICY") {
        Ok(yaml) => Policy::from_yaml(&yaml).map_err(GuardrailError::Policy)?,
        Err(_) => Policy::builtin(),
    };
    let policy = &policy;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<Box<serde_json::value::RawValue>>| async move {
            handler::handle(policy, &event.payload, chrono::Utc::now())
        },
    ))
    .await
}
