//! Lambda telemetry, set up once in each function's `main`: JSON log lines on `writer`, at the
//! level `AWS_LAMBDA_LOG_LEVEL` names (`info` when unset), without timestamps (Lambda adds them).

use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::EnvFilter;

/// Installs the JSON log subscriber writing to `writer`.
pub fn init_json_logs<W>(writer: W)
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(EnvFilter::try_from_env("AWS_LAMBDA_LOG_LEVEL").unwrap_or_else(|_| EnvFilter::new("info")))
        .with_current_span(false)
        .without_time()
        .with_writer(writer)
        .init();
}

/// Reports a function's error type to Lambda as a diagnostic: its stable `error_type()` and
/// its message (the function crate depends on `lambda_runtime`).
#[macro_export]
macro_rules! lambda_diagnostic {
    ($error:ty) => {
        impl From<$error> for lambda_runtime::Diagnostic {
            fn from(err: $error) -> lambda_runtime::Diagnostic {
                lambda_runtime::Diagnostic {
                    error_type: err.error_type().to_owned(),
                    error_message: err.to_string(),
                }
            }
        }
    };
}

/// Runs the Lambda runtime loop: each event's raw JSON and the time it arrived go to
/// `$function.handle` (the function crate depends on `lambda_runtime`, `serde_json` and
/// `chrono`).
#[macro_export]
macro_rules! serve {
    ($function:expr) => {{
        let function = &$function;
        lambda_runtime::run(lambda_runtime::service_fn(
            move |event: lambda_runtime::LambdaEvent<Box<serde_json::value::RawValue>>| async move {
                function
                    .handle(event.payload.get().as_bytes(), chrono::Utc::now())
                    .await
            },
        ))
        .await
    }};
}
