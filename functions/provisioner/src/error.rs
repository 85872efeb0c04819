//! The provisioner's errors. A request it can answer never fails the invocation: its failure
//! becomes a FAILED answer with the reason. Only what leaves nothing to answer (no usable
//! ResponseURL), an answer CloudFormation did not take, or a broken configuration fails the
//! invocation, with a stable error type.

use sagefence_aws::ports::PortError;
use thiserror::Error;

/// What is wrong with a custom resource request; the reason a FAILED answer gives.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RequestError {
    /// The request is not a CloudFormation custom resource request.
    #[error("malformed custom resource request: {0}")]
    Malformed(String),
    /// The resource type is not one the provisioner serves.
    #[error("unknown resource type `{0}`: expected `Custom::ProjectEnvironment`, `Custom::NotebookAccess` or `Custom::EnvironmentCheck`")]
    UnknownResourceType(String),
    /// A required property is absent or empty.
    #[error("property `{0}` is required")]
    Missing(&'static str),
    /// A property has a value the provisioner cannot use.
    #[error("property `{property}`: {reason}")]
    Invalid {
        /// The property.
        property: &'static str,
        /// Why, naming the value in backticks.
        reason: String,
    },
}

/// Why an answer could not be delivered to the pre-signed ResponseURL.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AnswerError {
    /// The URL is not an absolute http(s) URL.
    #[error("response URL `{0}` is not an http(s) URL")]
    Url(String),
    /// The connection or the exchange failed.
    #[error("response PUT failed: {0}")]
    Transport(String),
    /// The URL's server refused the answer.
    #[error("response PUT answered HTTP {0}")]
    Status(u16),
}

/// Why an invocation failed.
#[derive(Debug, Error)]
pub enum ProvisionerError {
    /// The request names no ResponseURL to answer: recorded, nothing done.
    #[error("unanswerable request: {0}")]
    Unanswerable(#[source] RequestError),
    /// The answer did not reach CloudFormation.
    #[error("cannot answer CloudFormation: {0}")]
    Answer(#[source] AnswerError),
    /// The audit record could not be written.
    #[error("cannot write the audit record: {0}")]
    Audit(#[source] PortError),
}

impl ProvisionerError {
    /// The stable error type reported to Lambda.
    pub fn error_type(&self) -> &'static str {
        match self {
            ProvisionerError::Unanswerable(_) => "Sagefence.MalformedRequest",
            ProvisionerError::Answer(_) => "Sagefence.Retryable.Answer",
            ProvisionerError::Audit(_) => "Sagefence.AuditFailed",
        }
    }
}

sagefence_aws::lambda_diagnostic!(ProvisionerError);
