//! AWS-emulator harness for sagefence's integration tests.
//!
//! [`Emulator::start`] launches `tests/emulator/sagefence_moto.py` (moto's server
//! with sagefence's SageMaker gaps filled in) on a free loopback port, hands out
//! SDK configuration pointed at it and drives its `/_sagefence/` test controls.
//! Each test starts its own emulator; dropping it ends the server.

pub mod audit;
mod control;
mod emulator;
mod error;
pub mod event_pattern;
pub mod events;
pub mod guardrail;
pub mod provisioner;
pub mod records;
pub mod sweeper;
pub mod world;

pub use emulator::{Emulator, JobKind, REGION};
pub use error::{HarnessError, SupportError};
