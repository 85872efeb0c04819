//! The CLI's errors: each prints as one line naming the file, or the failed AWS call's cause
//! and its fix; the full detail of a failed call is printed only under `--verbose`.

use std::path::PathBuf;

use sagefence_aws::error::has_code;
use sagefence_aws::ports::{PortError, PortErrorKind};
use thiserror::Error;

/// Why a CLI command could not run (exit code 2).
#[derive(Debug, Error)]
pub enum CliError {
    /// A file could not be read.
    #[error("cannot read `{}`: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A policy file is not UTF-8.
    #[error("`{}` is not UTF-8 text", path.display())]
    NotUtf8 {
        /// The file.
        path: PathBuf,
    },
    /// A policy file is invalid.
    #[error("`{}`: {source}", path.display())]
    Policy {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        source: sagefence_core::PolicyError,
    },
    /// An event file is malformed.
    #[error("`{}`: {source}", path.display())]
    Event {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        source: sagefence_core::ParseEventError,
    },
    /// The command line is incomplete.
    #[error("{0}")]
    Usage(String),
    /// A trail holds no objects to verify.
    #[error("no audit trail objects under `{0}`")]
    EmptyTrail(String),
    /// An AWS call failed.
    #[error("{}", explain(.service, .error))]
    Aws {
        /// The service called, e.g. `S3`.
        service: &'static str,
        /// The failed call.
        error: PortError,
    },
    /// The sweep failed.
    #[error("sweep failed: {0}")]
    Sweeper(sagefence_sweeper::SweeperError),
    /// The async runtime could not start.
    #[error("cannot start the runtime: {0}")]
    Runtime(std::io::Error),
    /// Output could not be serialized.
    #[error("cannot serialize output: {0}")]
    Serialize(serde_json::Error),
    /// Output could not be written.
    #[error("cannot write output: {0}")]
    Write(std::io::Error),
}

impl CliError {
    /// The failed call of `service`.
    pub fn aws(service: &'static str) -> impl Fn(PortError) -> CliError {
        move |error| CliError::Aws { service, error }
    }

    /// Everything known about the error beyond its line (printed under `--verbose`).
    pub fn detail(&self) -> Option<String> {
        match self {
            CliError::Aws { error, .. } => Some(format!(
                "{} failed ({:?}): {}",
                error.operation, error.kind, error.message
            )),
            _ => None,
        }
    }
}

/// Error codes of credentials the service does not accept.
const REJECTED_CREDENTIALS: &[&str] = &[
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "AuthFailure",
    "SignatureDoesNotMatch",
    "InvalidAccessKeyId",
];

/// Error codes of expired credentials.
const EXPIRED_CREDENTIALS: &[&str] = &[
    "ExpiredToken",
    "ExpiredTokenException",
    "RequestExpired",
    "TokenRefreshRequired",
];

/// Words of the SDK when it found no credentials to sign with.
const NO_CREDENTIALS: &[&str] = &[
    "credential provider was not enabled",
    "no providers in chain provided credentials",
    "credentialsnotloaded",
    "failed to load credentials",
];

/// One line a person can act on for a failed call of `service`: the cause and its fix.
pub fn explain(service: &str, error: &PortError) -> String {
    let operation = error.operation;
    let lowered = error.message.to_lowercase();
    let code = |codes: &[&str]| codes.iter().any(|code| has_code(error, code));
    if NO_CREDENTIALS.iter().any(|words| lowered.contains(words)) {
        "no AWS credentials found: set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY".to_owned()
    } else if code(EXPIRED_CREDENTIALS) || lowered.contains("token has expired") {
        "the AWS credentials have expired: refresh them (e.g. `aws sso login`) and run again".to_owned()
    } else if code(REJECTED_CREDENTIALS) {
        "the AWS credentials were rejected: check AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY".to_owned()
    } else {
        match error.kind {
            PortErrorKind::AccessDenied => format!(
                "access denied to {service} `{operation}`: use credentials allowed to call it ({})",
                summary(&error.message)
            ),
            PortErrorKind::Throttled => {
                format!("{service} throttled `{operation}`: run again later, or lower `--max-rps` and `--concurrency`")
            }
            PortErrorKind::Unavailable if !is_service_answer(&error.message) => {
                format!("cannot reach {service} for `{operation}`: check the network, the region and AWS_ENDPOINT_URL")
            }
            _ => format!("{service} `{operation}` failed: {}", summary(&error.message)),
        }
    }
}

/// Whether a message is a service's answer (`Code: text`) rather than the SDK's own failure.
fn is_service_answer(message: &str) -> bool {
    message
        .split_once(": ")
        .is_some_and(|(code, _)| !code.is_empty() && code.chars().all(|c| c.is_ascii_alphanumeric() || c == '.'))
}

/// The SDK's `Debug` dumps that follow its error text, in parentheses.
const DEBUG_DUMPS: &[&str] = &[
    " (ConstructionFailure(",
    " (TimeoutError(",
    " (DispatchFailure(",
    " (ResponseError(",
    " (ServiceError(",
];

/// A message's first line without the SDK's `Debug` dump.
fn summary(message: &str) -> &str {
    let end = DEBUG_DUMPS
        .iter()
        .filter_map(|dump| message.find(dump))
        .min()
        .unwrap_or(message.len());
    let text = message.get(..end).unwrap_or(message);
    text.lines().next().unwrap_or_default().trim()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_cause_reads_as_one_line_with_its_fix() {
        let dump = " (DispatchFailure(DispatchFailure { source: ConnectorError { .. } }))";
        let cases = [
            (
                PortErrorKind::Other,
                format!("dispatch failure: other: the credential provider was not enabled{dump}"),
                "no AWS credentials found: set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY",
            ),
            (
                PortErrorKind::AccessDenied,
                "ExpiredToken: The security token included in the request is expired".to_owned(),
                "the AWS credentials have expired: refresh them (e.g. `aws sso login`) and run again",
            ),
            (
                PortErrorKind::AccessDenied,
                "AccessDenied: not allowed".to_owned(),
                "access denied to STS `GetCallerIdentity`: use credentials allowed to call it (AccessDenied: not allowed)",
            ),
            (
                PortErrorKind::Unavailable,
                format!("dispatch failure: io error: Connection refused (os error 111){dump}"),
                "cannot reach STS for `GetCallerIdentity`: check the network, the region and AWS_ENDPOINT_URL",
            ),
            (
                PortErrorKind::Throttled,
                "Throttling: Rate exceeded".to_owned(),
                "STS throttled `GetCallerIdentity`: run again later, or lower `--max-rps` and `--concurrency`",
            ),
            (
                PortErrorKind::Other,
                "InvalidParameterValue: bad (ServiceError(ServiceError { raw: {} }))".to_owned(),
                "STS `GetCallerIdentity` failed: InvalidParameterValue: bad",
            ),
        ];
        for (kind, message, line) in cases {
            let error = PortError {
                operation: "GetCallerIdentity",
                kind,
                message,
            };
            assert_eq!(explain("STS", &error), line);
        }
    }
}
