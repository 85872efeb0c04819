//! Errors raised while starting or steering the emulator.

use std::io;
use std::path::PathBuf;

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
