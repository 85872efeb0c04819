//! The emulator's own behaviour: SageMaker extensions over moto, the request counter, and a smoke run of each service.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod extensions;
mod requests;
mod smoke;
