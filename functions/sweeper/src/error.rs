//! The sweeper's errors, mapped to Lambda diagnostics with stable error types.

use sagefence_aws::ports::PortError;
use thiserror::Error;

/// Why a sweep could not start or finish.
#[derive(Debug, Error)]
pub enum SweeperError {
    /// The invocation is neither a schedule nor a batch of shard messages.
    #[error("malformed invocation: {0}")]
    Invocation(String),
    /// The shard queue refused messages.
    #[error("cannot queue shards: {0}")]
    Queue(#[source] PortError),
    /// The sweep's state could not be read or written.
    #[error("cannot keep the sweep state: {0}")]
    State(#[source] PortError),
    /// An audit record could not be written.
    #[error("cannot write the audit record: {0}")]
    Audit(#[source] PortError),
    /// The member account's role could not be used.
    #[error("cannot act in account `{account}`: {message}")]
    Account {
        /// The account.
        account: String,
        /// What went wrong.
        message: String,
    },
}

impl SweeperError {
    /// Whether retrying the invocation may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            SweeperError::Invocation(_) => false,
            SweeperError::Queue(e) | SweeperError::State(e) | SweeperError::Audit(e) => e.is_retryable(),
            SweeperError::Account { .. } => true,
        }
    }

    /// The stable error type reported to Lambda.
    pub fn error_type(&self) -> &'static str {
        match self {
            SweeperError::Invocation(_) => "Sagefence.MalformedEvent",
            SweeperError::Queue(_) if self.is_retryable() => "Sagefence.Retryable.Queue",
            SweeperError::Queue(_) => "Sagefence.QueueFailed",
            SweeperError::State(_) if self.is_retryable() => "Sagefence.Retryable.State",
            SweeperError::State(_) => "Sagefence.StateFailed",
            SweeperError::Audit(_) => "Sagefence.AuditFailed",
            SweeperError::Account { .. } => "Sagefence.Retryable.Account",
        }
    }
}

sagefence_aws::lambda_diagnostic!(SweeperError);
