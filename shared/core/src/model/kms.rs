//! Typed model of a project's KMS key, as KMS describes it.

use serde::{Deserialize, Serialize};

use super::values::Tags;

/// A KMS key's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeyState {
    /// Usable.
    Enabled,
    /// Disabled.
    Disabled,
    /// Scheduled for deletion.
    PendingDeletion,
    /// Any other state.
    #[serde(other)]
    Other,
}

/// A KMS key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KmsKey {
    /// The key id.
    pub id: String,
    /// The key ARN.
    pub arn: String,
    /// Its tags (the project tag makes it a project key).
    pub tags: Tags,
    /// Whether the customer manages it (not an AWS managed key).
    pub customer_managed: bool,
    /// Its state.
    pub state: KeyState,
    /// Whether automatic rotation is on.
    pub rotation_enabled: bool,
}
