//! The guardrail's errors, mapped to Lambda diagnostics with stable error types.

use lambda_runtime::Diagnostic;
use thiserror::Error;

/// Why the guardrail could not handle an event.
#[derive(Debug, Error)]
pub enum GuardrailError {
    /// The configured policy is invalid (cold start; not retryable).
    #[error("configured policy is invalid: {0}")]
    Policy(#[source] sagefence::PolicyError),
    /// The event is malformed (not retryable: retrying cannot fix it).
    #[error("malformed event: {0}")]
    Event(#[source] sagefence::ParseEventError),
}

impl From<GuardrailError> for Diagnostic {
    fn from(err: GuardrailError) -> Diagnostic {
        let error_type = match err {
            GuardrailError::Policy(_) => "Sagefence.InvalidPolicy",
            GuardrailError::Event(_) => "Sagefence.MalformedEvent",
        };
        Diagnostic {
            error_type: error_type.to_owned(),
            error_message: err.to_string(),
        }
    }
}
