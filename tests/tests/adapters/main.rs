//! The AWS adapters of `sagefence_core::aws` against the emulator, one module per service.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod ec2;
mod errors;
mod iam;
mod kms;
mod sagemaker;
mod sns;
mod ssm;
