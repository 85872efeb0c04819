//! The audit-shipper's errors, mapped to Lambda diagnostics with stable error types. Only what
//! a retry can fix is reported as retryable.

use thiserror::Error;

/// Why the audit-shipper could not handle an invocation.
#[derive(Debug, Error)]
pub enum ShipperError {
    /// The payload is none of the inputs the shipper reads.
    #[error("unreadable payload: {0}")]
    Payload(String),
    /// Some records could not be shipped (CloudWatch Logs and EventBridge inputs, which have no
    /// partial failure: the whole invocation is retried, and replays deduplicate downstream).
    #[error("{failed} record(s) not shipped, first: {first}")]
    Sink {
        /// How many.
        failed: usize,
        /// The first failure.
        first: String,
        /// Whether a retry may succeed.
        retryable: bool,
    },
}

impl ShipperError {
    /// Whether retrying the invocation may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, ShipperError::Sink { retryable: true, .. })
    }

    /// The stable error type reported to Lambda.
    pub fn error_type(&self) -> &'static str {
        match self {
            ShipperError::Payload(_) => "Sagefence.MalformedEvent",
            ShipperError::Sink { .. } if self.is_retryable() => "Sagefence.Retryable.Sink",
            ShipperError::Sink { .. } => "Sagefence.SinkFailed",
        }
    }
}

sagefence_aws::lambda_diagnostic!(ShipperError);
