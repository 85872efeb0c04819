//! The sweeper's errors, mapped to Lambda diagnostics with stable error types.

use lambda_runtime::Diagnostic;
use sagefence_aws::ports::PortError;
use thiserror::Error;

/// Why a sweep could not start or finish.
#[derive(Debug, Error)]
pub enum SweeperError {
    /// The policy could not be loaded or is invalid (cold start).
    #[error("policy unavailable: {0}")]
    Policy(#[source] sagefence_aws::LoadPolicyError),
    /// A setting is missing or malformed (cold start).
    #[error("setting `{name}`: {problem}")]
    Config {
        /// The environment variable.
        name: &'static str,
        /// What is wrong with it.
        problem: String,
    },
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
            SweeperError::Policy(e) => e.is_retryable(),
            SweeperError::Config { .. } | SweeperError::Invocation(_) => false,
            SweeperError::Queue(e) | SweeperError::State(e) | SweeperError::Audit(e) => e.is_retryable(),
            SweeperError::Account { .. } => true,
        }
    }

    /// The stable error type reported to Lambda.
    pub fn error_type(&self) -> &'static str {
        match self {
            SweeperError::Policy(sagefence_aws::LoadPolicyError::Read { .. }) => "Sagefence.PolicyUnavailable",
            SweeperError::Policy(_) => "Sagefence.InvalidPolicy",
            SweeperError::Config { .. } => "Sagefence.MissingSetting",
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

impl From<SweeperError> for Diagnostic {
    fn from(err: SweeperError) -> Diagnostic {
        Diagnostic {
            error_type: err.error_type().to_owned(),
            error_message: err.to_string(),
        }
    }
}
