//! The infrastructure template checked against the code: EventBridge routing and function settings.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod event_patterns;
mod settings;
