//! The guardrail: receives CloudTrail API-call and SageMaker state-change events from
//! EventBridge, resolves through the account what an event alone cannot tell, evaluates every
//! rule, applies the planned remedies through the ports and records every decision.

pub mod error;
pub mod handler;
mod resolve;
mod retry;
pub mod settings;
mod tags;

pub use error::GuardrailError;
pub use handler::{Guardrail, Summary};
pub use settings::Settings;
