//! Error types of the core, one per operation.

use thiserror::Error;

/// Reading a policy failed.
#[derive(Debug, Error)]
pub enum PolicyError {
    /// The YAML is malformed or breaks the policy's schema.
    #[error("invalid policy: {message}")]
    Invalid {
        /// What is wrong, with the field path and location.
        message: String,
        /// 1-based line of the error, where known.
        line: Option<usize>,
        /// 1-based column of the error, where known.
        column: Option<usize>,
    },
}

impl PolicyError {
    /// The 1-based line of the error, where known.
    pub fn line(&self) -> Option<usize> {
        match self {
            PolicyError::Invalid { line, .. } => *line,
        }
    }
}

/// Parsing an event failed: the event is malformed or not of a shape sagefence knows.
#[derive(Debug, Error)]
pub enum ParseEventError {
    /// The bytes are not JSON.
    #[error("event is not valid JSON: {0}")]
    Json(#[source] serde_json::Error),
    /// The EventBridge envelope is malformed.
    #[error("invalid EventBridge envelope: {0}")]
    Envelope(#[source] serde_json::Error),
    /// The CloudTrail record in `detail` is malformed.
    #[error("invalid CloudTrail record in `detail`: {0}")]
    CloudTrail(#[source] serde_json::Error),
    /// A field of the event has the wrong shape or is missing.
    #[error("`{event}`: invalid `{path}`: {message}")]
    Field {
        /// The event name or detail type.
        event: String,
        /// The path of the offending field, as the event spells it.
        path: String,
        /// What is wrong.
        message: String,
    },
}
