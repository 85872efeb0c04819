//! Typed model of a project's IAM role and its policies, and the reading of policy documents.

use super::values::Tags;

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
}
