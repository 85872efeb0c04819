//! The engine's tests, in one binary: every rule of the catalog by resource family (a compliant
//! resource passes, each failing field fails with a reason naming it, absent settings take AWS's
//! defaults, inputs that do not tell a setting give `NOT_APPLICABLE`), the policy's modes, scope and
//! exemptions, the planner's remedies, and every fixture in `events/` against its expected findings.

// Test helpers fail the test by unwrapping, like the tests themselves.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod arn;
mod endpoint_config;
mod evaluation;
mod finding_json;
mod job;
mod notebook;
mod policy;
mod support;

mod action_json;
mod plan_modes;
mod plan_notebook;
mod plan_sagemaker;
mod plan_support;

mod fixtures;
mod infrastructure;
mod mutation;
