//! The guardrail's errors, mapped to Lambda diagnostics with stable error types. Only what a
//! retry can fix is reported as retryable.

use sagefence_aws::ports::PortError;
use thiserror::Error;

/// Why the guardrail could not handle an event.
#[derive(Debug, Error)]
pub enum GuardrailError {
    /// The event is malformed: recorded, nothing acted on; a retry cannot fix it.
    #[error("malformed event: {0}")]
    Event(#[source] sagefence_core::ParseEventError),
    /// Reading the account failed, so nothing was decided.
    #[error("cannot read the account: {0}")]
    Lookup(#[source] PortError),
    /// Some remedies failed; those that are retryable make the whole event worth retrying
    /// (every remedy is idempotent).
    #[error("{failed} remedy(ies) failed, first: {first}")]
    Remedy {
        /// How many failed.
        failed: usize,
        /// The first failure.
        first: String,
        /// Whether a retry of the event may succeed.
        retryable: bool,
    },
    /// The audit record could not be written.
    #[error("cannot write the audit record: {0}")]
    Audit(#[source] PortError),
}

impl GuardrailError {
    /// Whether retrying the event may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            GuardrailError::Event(_) => false,
            GuardrailError::Lookup(e) | GuardrailError::Audit(e) => e.is_retryable(),
            GuardrailError::Remedy { retryable, .. } => *retryable,
        }
    }

    /// The stable error type reported to Lambda.
    pub fn error_type(&self) -> &'static str {
        match self {
            GuardrailError::Event(_) => "Sagefence.MalformedEvent",
            GuardrailError::Lookup(_) if self.is_retryable() => "Sagefence.Retryable.Lookup",
            GuardrailError::Lookup(_) => "Sagefence.LookupFailed",
            GuardrailError::Remedy { .. } if self.is_retryable() => "Sagefence.Retryable.Remedy",
            GuardrailError::Remedy { .. } => "Sagefence.RemedyFailed",
            GuardrailError::Audit(_) => "Sagefence.AuditFailed",
        }
    }
}

sagefence_aws::lambda_diagnostic!(GuardrailError);
