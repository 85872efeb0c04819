//! Errors of the test support: starting or steering the emulator ([`HarnessError`]), and
//! setting up or reading back what a test needs ([`SupportError`]).

use std::io;
use std::path::PathBuf;

use aws_sdk_sagemaker::error::DisplayErrorContext;

/// Why the emulator could not be started or a test control failed.
#[derive(Debug, thiserror::Error)]
pub enum HarnessError {
    /// The Python interpreter of the emulator's virtualenv is missing.
    #[error(
        "python interpreter not found at {}: run `make venv` (or set SAGEFENCE_PYTHON)",
        path.display()
    )]
    PythonMissing {
        /// Where the interpreter was looked for.
        path: PathBuf,
    },
    /// The emulator's log file could not be created.
    #[error("cannot create emulator log {}: {source}", path.display())]
    Log {
        /// The log file.
        path: PathBuf,
        /// The underlying failure.
        #[source]
        source: io::Error,
    },
    /// The emulator process could not be spawned.
    #[error("cannot spawn `{} {}`: {source} (log: {})", python.display(), script.display(), log.display())]
    Spawn {
        /// The interpreter.
        python: PathBuf,
        /// The wrapper script.
        script: PathBuf,
        /// The emulator's log file.
        log: PathBuf,
        /// The underlying failure.
        #[source]
        source: io::Error,
    },
    /// The emulator exited before it answered.
    #[error("emulator exited before answering ({status}); log {}:\n{tail}", log.display())]
    Exited {
        /// How the process ended.
        status: String,
        /// The emulator's log file.
        log: PathBuf,
        /// The end of that log.
        tail: String,
    },
    /// The emulator did not answer within the start-up deadline.
    #[error("emulator did not announce a port and answer on it within {secs} s; log {}", log.display())]
    Timeout {
        /// The deadline.
        secs: u64,
        /// The emulator's log file.
        log: PathBuf,
    },
    /// A test-control request could not be sent or read.
    #[error("test control {path} failed: {source}")]
    ControlIo {
        /// The control path, e.g. `/_sagefence/reset`.
        path: String,
        /// The underlying failure.
        #[source]
        source: io::Error,
    },
    /// A test-control request was answered with an error status.
    #[error("test control {path} answered http {status}: {body}")]
    Control {
        /// The control path.
        path: String,
        /// The HTTP status.
        status: u16,
        /// The answer's body.
        body: String,
    },
    /// A test-control answer was not JSON.
    #[error("test control {path} answered invalid json: {source}")]
    ControlJson {
        /// The control path.
        path: String,
        /// The parse failure.
        #[source]
        source: serde_json::Error,
    },
}

/// Why test support could not set something up or read something back.
#[derive(Debug, thiserror::Error)]
pub enum SupportError {
    /// The emulator failed.
    #[error(transparent)]
    Harness(#[from] HarnessError),
    /// An AWS call to the emulator failed.
    #[error("`{operation}` failed: {message}")]
    Aws {
        /// The operation.
        operation: &'static str,
        /// What the SDK said.
        message: String,
    },
    /// An AWS answer lacked a field every answer carries.
    #[error("`{operation}` answered without `{field}`")]
    Answer {
        /// The operation.
        operation: &'static str,
        /// The missing field.
        field: &'static str,
    },
    /// The policy given to the builder is invalid.
    #[error("invalid test policy: {0}")]
    Policy(#[from] sagefence_core::PolicyError),
    /// A fixture could not be read.
    #[error("fixture {}: {source}", path.display())]
    Fixture {
        /// The fixture file.
        path: PathBuf,
        /// The failure.
        #[source]
        source: io::Error,
    },
    /// A fixture, audit line or notification is not the JSON expected.
    #[error("invalid JSON in {what}: {source}")]
    Json {
        /// What was read.
        what: String,
        /// The parse failure.
        #[source]
        source: serde_json::Error,
    },
    /// An event template has no field at this JSON pointer.
    #[error("event has no field at `{pointer}` to set")]
    Template {
        /// The JSON pointer.
        pointer: String,
    },
    /// The in-memory audit buffer is poisoned (a writer panicked).
    #[error("the audit buffer is poisoned")]
    Poisoned,
}

/// Maps an SDK error of `operation` to [`SupportError::Aws`].
pub(crate) fn aws<E: std::error::Error>(operation: &'static str) -> impl FnOnce(E) -> SupportError {
    move |error| SupportError::Aws {
        operation,
        message: DisplayErrorContext(&error).to_string(),
    }
}

/// [`SupportError::Answer`]: `operation` answered without `field`.
pub(crate) fn missing(operation: &'static str, field: &'static str) -> SupportError {
    SupportError::Answer { operation, field }
}
