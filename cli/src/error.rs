//! The CLI's errors: each prints as one line naming the file and what was wrong.

use std::path::PathBuf;

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
    /// The trail's bucket could not be read.
    #[error("cannot read the trail: {0}")]
    Bucket(sagefence_aws::ports::PortError),
    /// The sweep could not read the account.
    #[error("cannot sweep: {0}")]
    Sweep(sagefence_aws::ports::PortError),
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
