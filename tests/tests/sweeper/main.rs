//! The sweeper end to end on the emulator: sweeps per resource type and the SQS fan-out.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod fanout;
mod sweeps;
