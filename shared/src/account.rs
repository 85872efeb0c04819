//! Typed models of a project's network, keys and roles, as the account describes them. The
//! guardrail reads them after an EC2, KMS or IAM call; the sweeper reads them on schedule; the
//! same rules evaluate both.

use serde::{Deserialize, Serialize};

use crate::model::Tags;

/// A VPC peering connection touching a VPC.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Peering {
    /// The connection id.
    pub id: String,
    /// Its status code (`pending-acceptance`, `active`, ...).
    pub status: String,
}

/// A VPC and what connects it to the outside.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Vpc {
    /// The VPC id.
    pub id: String,
    /// Its tags (the project tag makes it a project VPC).
    pub tags: Tags,
    /// Internet gateways attached to it.
    pub internet_gateways: Vec<String>,
    /// NAT gateways in it that are pending or available.
    pub nat_gateways: Vec<String>,
    /// Peering connections it requests or accepts that are not deleted, rejected or failed.
    pub peerings: Vec<Peering>,
    /// Its active flow logs.
    pub flow_logs: Vec<String>,
    /// Service names of its VPC endpoints (e.g. `com.amazonaws.eu-west-1.sagemaker.api`).
    pub endpoint_services: Vec<String>,
}

/// A subnet, with the tags of the VPC it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Subnet {
    /// The subnet id.
    pub id: String,
    /// Its VPC.
    pub vpc_id: String,
    /// The VPC's tags: a project subnet sits in a project VPC.
    pub vpc_tags: Tags,
    /// MapPublicIpOnLaunch.
    pub map_public_ip_on_launch: bool,
}

/// One ingress permission of a security group, for one CIDR range.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct IngressRange {
    /// `tcp`, `udp`, `icmp` or `-1` (all).
    pub protocol: String,
    /// First port, where the protocol has ports.
    pub from_port: Option<i32>,
    /// Last port, where the protocol has ports.
    pub to_port: Option<i32>,
    /// The CIDR range (IPv4 or IPv6).
    pub cidr: String,
}

impl IngressRange {
    /// Whether the range admits the whole internet.
    pub fn is_open(&self) -> bool {
        self.cidr == "0.0.0.0/0" || self.cidr == "::/0"
    }
}

/// A security group, with the tags of its VPC.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SecurityGroup {
    /// The group id.
    pub id: String,
    /// Its VPC.
    pub vpc_id: String,
    /// The VPC's tags: a project group sits in a project VPC.
    pub vpc_tags: Tags,
    /// Its CIDR-based ingress permissions.
    pub ingress: Vec<IngressRange>,
}

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

/// A policy attached to or embedded in a role, and whether it grants everything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RolePolicy {
    /// The managed policy's ARN, or the inline policy's name.
    pub id: String,
    /// Whether it is a managed (attached) policy rather than an inline one.
    pub managed: bool,
    /// Whether it allows `*` on `*`-like scope: AdministratorAccess or `Action: "*"`.
    pub grants_everything: bool,
}

/// An IAM role and its policies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    /// The role name.
    pub name: String,
    /// The role ARN.
    pub arn: String,
    /// Its tags (the project tag makes it a project role).
    pub tags: Tags,
    /// Its attached and inline policies.
    pub policies: Vec<RolePolicy>,
}

/// The ARN of the AWS managed AdministratorAccess policy.
pub const ADMINISTRATOR_ACCESS: &str = "arn:aws:iam::aws:policy/AdministratorAccess";

/// Whether an IAM policy document allows every action (`"Action": "*"` in an Allow
/// statement, alone or in a list). Accepts the document as JSON text, URL-encoded or not.
/// Unreadable documents are not judged to grant everything.
pub fn grants_everything(document: &str) -> bool {
    let decoded;
    let text = if document.trim_start().starts_with('%') || document.contains("%22") {
        decoded = percent_decode(document);
        decoded.as_str()
    } else {
        document
    };
    let Ok(value) = serde_json::from_str::<serde_json::Value>(text) else {
        return false;
    };
    let statements = match value.get("Statement") {
        Some(serde_json::Value::Array(items)) => items.iter().collect::<Vec<_>>(),
        Some(single) => vec![single],
        None => Vec::new(),
    };
    statements.into_iter().any(|statement| {
        let allows = statement.get("Effect").and_then(|e| e.as_str()) == Some("Allow");
        let star = match statement.get("Action") {
            Some(serde_json::Value::String(action)) => action == "*",
            Some(serde_json::Value::Array(actions)) => actions.iter().any(|a| a.as_str() == Some("*")),
            _ => false,
        };
        allows && star
    })
}

/// Decodes `%XX` escapes and `+` (IAM answers policy documents URL-encoded); invalid escapes
/// stay as they are.
pub fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (b, hex) {
            (b'%', Some(value)) => {
                out.push(value);
                i += 3;
            }
            (b'+', _) => {
                out.push(b' ');
                i += 1;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_star_action_in_an_allow_statement_grants_everything() {
        assert!(grants_everything(
            r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#
        ));
        assert!(grants_everything(
            r#"{"Statement":{"Effect":"Allow","Action":["s3:GetObject","*"],"Resource":"*"}}"#
        ));
        assert!(grants_everything(
            "%7B%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22%2A%22%7D%5D%7D"
        ));
    }

    #[test]
    fn scoped_denied_or_unreadable_policies_do_not() {
        assert!(!grants_everything(
            r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#
        ));
        assert!(!grants_everything(
            r#"{"Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}"#
        ));
        assert!(!grants_everything("not json"));
        assert!(!grants_everything("%E2%28"));
    }

    #[test]
    fn open_ranges_are_the_whole_internet_only() {
        let range = |cidr: &str| IngressRange {
            protocol: "tcp".into(),
            from_port: Some(22),
            to_port: Some(22),
            cidr: cidr.into(),
        };
        assert!(range("0.0.0.0/0").is_open());
        assert!(range("::/0").is_open());
        assert!(!range("10.0.0.0/8").is_open());
    }
}
