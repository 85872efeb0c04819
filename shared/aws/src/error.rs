//! One mapping from AWS SDK errors to [`PortError`], shared by every adapter: the service's error
//! code (and, for SageMaker's catch-all `ValidationException`, its message) decides whether a
//! call was throttled, met a transient failure, a missing resource, a resource in the wrong
//! state, or a denied permission.

use std::error::Error;

use aws_sdk_sagemaker::config::http::HttpResponse;
use aws_sdk_sagemaker::error::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use crate::describe::DescribeError;
use crate::ports::{PortError, PortErrorKind, PortResult};

/// Error codes the AWS SDKs treat as throttling besides those naming it (`Throttling`,
/// `ThrottlingException`, `RequestThrottled`, `EC2ThrottledException`, ...).
const THROTTLING: &[&str] = &[
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "LimitExceededException",
    "SlowDown",
    "PriorRequestNotComplete",
];

/// Error codes of transient service failures.
const TRANSIENT: &[&str] = &[
    "RequestTimeout",
    "RequestTimeoutException",
    "ServiceUnavailable",
    "ServiceUnavailableException",
    "Unavailable",
    "ServiceFailure",
    "KeyUnavailableException",
    "DependencyTimeoutException",
    "ConditionalRequestConflict",
];

/// Error codes of a denied call (permissions or credentials).
const ACCESS_DENIED: &[&str] = &[
    "UnauthorizedOperation",
    "AuthorizationError",
    "AuthFailure",
    "NotAuthorized",
    "NotAuthorizedException",
    "UnrecognizedClientException",
    "InvalidClientTokenId",
    "ExpiredToken",
    "ExpiredTokenException",
];

/// Error codes of a resource that does not allow the call in its current state.
const INVALID_STATE: &[&str] = &[
    "DisabledException",
    "Gateway.NotAttached",
    "DependencyViolation",
    "ResourceInUse",
    "ResourceInUseException",
    "ConflictException",
    "DeleteConflict",
];

/// Words of a SageMaker `ValidationException` saying the resource does not exist.
const MISSING_WORDS: &[&str] = &[
    "could not find",
    "can't find",
    "cannot find",
    "not found",
    "does not exist",
    "recordnotfound",
];

/// Words of a SageMaker `ValidationException` about the resource's status.
const STATE_WORDS: &[&str] = &[
    "status (",
    "is in status",
    "unable to transition",
    "in the current state",
];

/// What kind of failure a service answer is, from its error code, message and HTTP status.
pub fn classify(code: Option<&str>, message: Option<&str>, status: Option<u16>) -> PortErrorKind {
    if let Some(code) = code {
        if let Some(kind) = classify_code(code, message.unwrap_or_default()) {
            return kind;
        }
    }
    match status {
        Some(429) => PortErrorKind::Throttled,
        Some(500..=599) => PortErrorKind::Unavailable,
        _ => PortErrorKind::Other,
    }
}

fn classify_code(code: &str, message: &str) -> Option<PortErrorKind> {
    let kind = if code.contains("Throttl") || THROTTLING.contains(&code) {
        PortErrorKind::Throttled
    } else if TRANSIENT.contains(&code) || code.contains("Internal") {
        PortErrorKind::Unavailable
    } else if code.starts_with("AccessDenied") || ACCESS_DENIED.contains(&code) {
        PortErrorKind::AccessDenied
    } else if code.ends_with("NotFound")
        || code.ends_with("NotFoundException")
        || code.starts_with("ResourceNotFound")
        || code.starts_with("NoSuch")
    {
        PortErrorKind::NotFound
    } else if INVALID_STATE.contains(&code)
        || code.contains("InvalidState")
        || (code.starts_with("Incorrect") && code.ends_with("State"))
    {
        PortErrorKind::InvalidState
    } else if code == "ValidationException" {
        let message = message.to_lowercase();
        if MISSING_WORDS.iter().any(|w| message.contains(w)) {
            PortErrorKind::NotFound
        } else if STATE_WORDS.iter().any(|w| message.contains(w)) {
            PortErrorKind::InvalidState
        } else {
            return None;
        }
    } else {
        return None;
    };
    Some(kind)
}

/// The [`PortError`] for a failed SDK call of `operation`.
pub fn port_error<E>(operation: &'static str, error: &SdkError<E, HttpResponse>) -> PortError
where
    E: ProvideErrorMetadata + Error + 'static,
{
    let (kind, message) = match error {
        SdkError::ServiceError(_) | SdkError::ResponseError(_) => {
            let status = error.raw_response().map(|r| r.status().as_u16());
            let kind = classify(error.code(), error.message(), status);
            let message = match (error.code(), error.message()) {
                (Some(code), Some(text)) => format!("{code}: {text}"),
                (Some(code), None) => code.to_owned(),
                _ => match status {
                    Some(status) => format!("http {status}: {}", DisplayErrorContext(error)),
                    None => DisplayErrorContext(error).to_string(),
                },
            };
            (kind, message)
        }
        SdkError::TimeoutError(_) => (PortErrorKind::Unavailable, DisplayErrorContext(error).to_string()),
        SdkError::DispatchFailure(failure) if !failure.is_user() => {
            (PortErrorKind::Unavailable, DisplayErrorContext(error).to_string())
        }
        _ => (PortErrorKind::Other, DisplayErrorContext(error).to_string()),
    };
    PortError {
        operation,
        kind,
        message,
    }
}

/// Turns an SDK call's result into a [`PortResult`] naming the operation.
pub trait SdkResultExt<T> {
    /// The value, or the [`PortError`] of the failed `operation`.
    fn port(self, operation: &'static str) -> PortResult<T>;
}

impl<T, E> SdkResultExt<T> for Result<T, SdkError<E, HttpResponse>>
where
    E: ProvideErrorMetadata + Error + 'static,
{
    fn port(self, operation: &'static str) -> PortResult<T> {
        self.map_err(|error| port_error(operation, &error))
    }
}

/// A read's value, `None` when the resource does not exist; every other failure stays an error.
pub fn found<T>(result: PortResult<T>) -> PortResult<Option<T>> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(error) if error.kind == PortErrorKind::NotFound => Ok(None),
        Err(error) => Err(error),
    }
}

/// A delete's result, with a resource already gone counted as deleted.
pub fn deleted<T>(result: PortResult<T>) -> PortResult<()> {
    match result {
        Ok(_) => Ok(()),
        Err(error) if error.kind == PortErrorKind::NotFound => Ok(()),
        Err(error) => Err(error),
    }
}

/// Whether the service answered `error` with this error code.
pub fn has_code(error: &PortError, code: &str) -> bool {
    error.message.split(':').next() == Some(code)
}

/// A failure of `operation` that is not the service's: a malformed answer or request.
pub fn other(operation: &'static str, message: impl Into<String>) -> PortError {
    PortError {
        operation,
        kind: PortErrorKind::Other,
        message: message.into(),
    }
}

/// A part the answer of `operation` must hold, or the [`PortError`] saying it has none.
pub fn answered<T>(operation: &'static str, part: &str, value: Option<T>) -> PortResult<T> {
    value.ok_or_else(|| other(operation, format!("answer has no `{part}`")))
}

/// Every value of SDK builders (of tags, say), or the [`PortError`] of `operation` for the
/// first that could not be built.
pub fn all_built<T, E: std::fmt::Display>(
    operation: &'static str,
    built: impl IntoIterator<Item = Result<T, E>>,
) -> PortResult<Vec<T>> {
    let built: Result<Vec<T>, E> = built.into_iter().collect();
    built.map_err(|e| other(operation, e.to_string()))
}

/// The [`PortError`] for a Describe answer of `operation` that the models cannot read.
pub fn unreadable(operation: &'static str) -> impl Fn(DescribeError) -> PortError {
    move |error| other(operation, error.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(code: &str, message: &str) -> PortErrorKind {
        classify(Some(code), Some(message), Some(400))
    }

    #[test]
    fn throttling_codes_of_every_service_are_throttled() {
        for code in [
            "ThrottlingException",
            "Throttling",
            "RequestLimitExceeded",
            "TooManyRequestsException",
        ] {
            assert_eq!(kind(code, "Rate exceeded"), PortErrorKind::Throttled, "{code}");
        }
        assert_eq!(
            classify(Some("RequestLimitExceeded"), None, Some(503)),
            PortErrorKind::Throttled
        );
        assert_eq!(classify(None, None, Some(429)), PortErrorKind::Throttled);
    }

    #[test]
    fn server_failures_are_unavailable() {
        assert_eq!(
            classify(Some("InternalFailure"), None, Some(500)),
            PortErrorKind::Unavailable
        );
        assert_eq!(
            classify(Some("KMSInternalException"), None, Some(500)),
            PortErrorKind::Unavailable
        );
        assert_eq!(classify(None, None, Some(502)), PortErrorKind::Unavailable);
        assert_eq!(classify(Some("Whatever"), None, Some(503)), PortErrorKind::Unavailable);
    }

    #[test]
    fn missing_resources_are_not_found() {
        for code in [
            "InvalidVpcID.NotFound",
            "InvalidGroup.NotFound",
            "NatGatewayNotFound",
            "NoSuchEntity",
            "NotFoundException",
            "ResourceNotFound",
        ] {
            assert_eq!(kind(code, "gone"), PortErrorKind::NotFound, "{code}");
        }
        assert_eq!(kind("ValidationException", "RecordNotFound"), PortErrorKind::NotFound);
        assert_eq!(
            kind(
                "ValidationException",
                "Could not find model 'arn:aws:sagemaker:eu-west-1:1:model/m'."
            ),
            PortErrorKind::NotFound
        );
        assert_eq!(
            kind("ValidationException", "Requested resource not found."),
            PortErrorKind::NotFound
        );
    }

    #[test]
    fn status_conflicts_are_invalid_state() {
        assert_eq!(
            kind(
                "ValidationException",
                "Status (InService) not in ([Stopped]). Unable to transition to (Updating) for Notebook Instance (arn)"
            ),
            PortErrorKind::InvalidState
        );
        assert_eq!(
            kind(
                "ValidationException",
                "The request was rejected because the training job is in status Completed."
            ),
            PortErrorKind::InvalidState
        );
        for code in [
            "KMSInvalidStateException",
            "DisabledException",
            "IncorrectState",
            "IncorrectInstanceState",
            "InvalidStateTransition",
            "Gateway.NotAttached",
        ] {
            assert_eq!(kind(code, "no"), PortErrorKind::InvalidState, "{code}");
        }
    }

    #[test]
    fn denials_and_bad_requests() {
        assert_eq!(kind("AccessDeniedException", "no"), PortErrorKind::AccessDenied);
        assert_eq!(kind("AccessDenied", "no"), PortErrorKind::AccessDenied);
        assert_eq!(kind("UnauthorizedOperation", "no"), PortErrorKind::AccessDenied);
        assert_eq!(
            kind("ValidationException", "1 validation error detected"),
            PortErrorKind::Other
        );
        assert_eq!(kind("InvalidParameterValue", "bad"), PortErrorKind::Other);
        assert_eq!(classify(None, None, None), PortErrorKind::Other);
    }

    #[test]
    fn found_turns_not_found_into_none_only() {
        let missing = PortError {
            operation: "DescribeKey",
            kind: PortErrorKind::NotFound,
            message: "gone".into(),
        };
        assert_eq!(found::<u8>(Err(missing)), Ok(None));
        assert_eq!(found(Ok(1)), Ok(Some(1)));
        let denied = other("DescribeKey", "bad");
        assert_eq!(found::<u8>(Err(denied.clone())), Err(denied));
    }
}
