//! Typed model of a project's IAM role and its policies, and the reading of policy documents.

use super::values::Tags;

/// A policy attached to or embedded in a role, and what it grants beyond least privilege.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RolePolicy {
    /// The managed policy's ARN, or the inline policy's name.
    pub id: String,
    /// Whether it is a managed (attached) policy rather than an inline one.
    pub managed: bool,
    /// What it allows beyond least privilege ([`excess_grants`]); empty when nothing.
    pub excess: Vec<String>,
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

/// Actions that hand whoever holds them more rights than they were given: changing policies
/// and trust, minting credentials, taking over keys. Granted at all, they are admin-equivalent.
const ESCALATING: &[&str] = &[
    "iam:AddUserToGroup",
    "iam:AttachGroupPolicy",
    "iam:AttachRolePolicy",
    "iam:AttachUserPolicy",
    "iam:CreateAccessKey",
    "iam:CreateLoginProfile",
    "iam:CreatePolicyVersion",
    "iam:CreateRole",
    "iam:CreateServiceLinkedRole",
    "iam:CreateUser",
    "iam:DeleteRolePermissionsBoundary",
    "iam:DeleteUserPermissionsBoundary",
    "iam:PutGroupPolicy",
    "iam:PutRolePermissionsBoundary",
    "iam:PutRolePolicy",
    "iam:PutUserPermissionsBoundary",
    "iam:PutUserPolicy",
    "iam:SetDefaultPolicyVersion",
    "iam:TagRole",
    "iam:UntagRole",
    "iam:UpdateAssumeRolePolicy",
    "iam:UpdateLoginProfile",
    "kms:PutKeyPolicy",
    "kms:ReplicateKey",
    "lambda:UpdateFunctionCode",
    "organizations:LeaveOrganization",
    "sts:SetSourceIdentity",
];

/// Actions that are admin-equivalent on every resource (`*`, or every role): passing or
/// assuming any role.
const ESCALATING_ON_ANY_ROLE: &[&str] = &["iam:PassRole", "sts:AssumeRole", "sts:TagSession"];

/// Whether an IAM policy document allows every action (`"Action": "*"` in an Allow
/// statement, alone or in a list). Accepts the document as JSON text, URL-encoded or not.
/// Unreadable documents are not judged to grant everything.
pub fn grants_everything(document: &str) -> bool {
    statements(document)
        .iter()
        .any(|statement| allows(statement) && strings(statement.get("Action")).contains(&"*"))
}

/// What an IAM policy document allows beyond least privilege, one reason per finding: an
/// Allow with `NotAction` or `NotResource`, a service wildcard (`iam:*`, `*:*`, `*`), a
/// wildcard that reaches an admin-equivalent action (`iam:Put*`, `iam:*Policy`), an
/// admin-equivalent action, `iam:PassRole` or `sts:AssumeRole` on any role, and
/// `kms:CreateGrant` not bound to AWS resources. Conditions are not trusted to narrow a grant,
/// but for `kms:GrantIsForAWSResource`. A document that cannot be read is reported as such:
/// what cannot be judged is not least privilege.
pub fn excess_grants(document: &str) -> Vec<String> {
    let Some(parsed) = parse_document(document) else {
        return vec!["the policy document cannot be read".to_owned()];
    };
    let mut out = Vec::new();
    for statement in statement_list(&parsed).into_iter().filter(|s| allows(s)) {
        if statement.get("NotAction").is_some() {
            out.push("allows `NotAction`: every action but those listed".to_owned());
        }
        if statement.get("NotResource").is_some() {
            out.push("allows on `NotResource`: every resource but those listed".to_owned());
        }
        let resources = strings(statement.get("Resource"));
        let any_role = resources.iter().any(|r| reaches_any_role(r));
        let aws_grants_only = grant_is_for_aws_resource(statement);
        for action in strings(statement.get("Action")) {
            if let Some(reason) = excess_action(action, any_role, aws_grants_only) {
                out.push(reason);
            }
        }
    }
    out.dedup();
    out
}

fn excess_action(action: &str, any_role: bool, aws_grants_only: bool) -> Option<String> {
    let (service, name) = action.split_once(':').unwrap_or((action, "*"));
    if service.contains(['*', '?']) || name == "*" {
        return Some(format!("allows every action of a service: `{action}`"));
    }
    let lowered = action.to_ascii_lowercase();
    let reaches =
        |candidate: &&str| crate::policy::wildcard_match(lowered.as_bytes(), candidate.to_ascii_lowercase().as_bytes());
    if name.contains(['*', '?']) {
        let reached: Vec<&str> = ESCALATING
            .iter()
            .chain(ESCALATING_ON_ANY_ROLE)
            .filter(|c| reaches(c))
            .copied()
            .collect();
        if let Some(first) = reached.first() {
            return Some(format!("`{action}` reaches the admin-equivalent `{first}`"));
        }
        if !aws_grants_only && reaches(&"kms:CreateGrant") {
            return Some(format!(
                "`{action}` reaches `kms:CreateGrant` without `kms:GrantIsForAWSResource`"
            ));
        }
        return None;
    }
    if ESCALATING.iter().any(|e| e.eq_ignore_ascii_case(action)) {
        return Some(format!("allows the admin-equivalent `{action}`"));
    }
    if any_role && ESCALATING_ON_ANY_ROLE.iter().any(|e| e.eq_ignore_ascii_case(action)) {
        return Some(format!("allows `{action}` on any role"));
    }
    if !aws_grants_only && lowered == "kms:creategrant" {
        return Some("allows `kms:CreateGrant` without `kms:GrantIsForAWSResource`".to_owned());
    }
    None
}

/// Whether a resource pattern reaches every role (or everything).
fn reaches_any_role(resource: &str) -> bool {
    if resource == "*" {
        return true;
    }
    let mut fields = resource.splitn(6, ':');
    let service = fields.nth(2);
    let account = fields.nth(1);
    let rest = fields.next().unwrap_or_default();
    let name = rest
        .strip_prefix("role/")
        .or_else(|| rest.strip_prefix("assumed-role/"));
    matches!(service, Some("iam" | "sts" | "*"))
        && (account.is_some_and(|a| a.contains('*')) || name.is_none_or(|n| n.starts_with('*')) || rest == "*")
}

fn grant_is_for_aws_resource(statement: &serde_json::Value) -> bool {
    statement
        .get("Condition")
        .and_then(|c| c.get("Bool"))
        .and_then(|b| b.get("kms:GrantIsForAWSResource"))
        .is_some_and(|v| v.as_bool() == Some(true) || v.as_str() == Some("true") || strings(Some(v)) == ["true"])
}

fn parse_document(document: &str) -> Option<serde_json::Value> {
    let decoded;
    let text = if document.trim_start().starts_with('%') || document.contains("%22") {
        decoded = percent_decode(document);
        decoded.as_str()
    } else {
        document
    };
    serde_json::from_str(text).ok()
}

fn statements(document: &str) -> Vec<serde_json::Value> {
    parse_document(document)
        .map(|value| statement_list(&value).into_iter().cloned().collect())
        .unwrap_or_default()
}

fn statement_list(document: &serde_json::Value) -> Vec<&serde_json::Value> {
    match document.get("Statement") {
        Some(serde_json::Value::Array(items)) => items.iter().collect(),
        Some(single) => vec![single],
        None => Vec::new(),
    }
}

fn allows(statement: &serde_json::Value) -> bool {
    statement.get("Effect").and_then(|e| e.as_str()) == Some("Allow")
}

/// A string or a list of strings, as IAM writes `Action` and `Resource`.
fn strings(value: Option<&serde_json::Value>) -> Vec<&str> {
    match value {
        Some(serde_json::Value::String(one)) => vec![one.as_str()],
        Some(serde_json::Value::Array(items)) => items.iter().filter_map(|a| a.as_str()).collect(),
        _ => Vec::new(),
    }
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

    fn excess(statement: &str) -> Vec<String> {
        excess_grants(&format!(r#"{{"Version":"2012-10-17","Statement":[{statement}]}}"#))
    }

    #[test]
    fn every_way_around_action_star_is_excess() {
        for statement in [
            r#"{"Effect":"Allow","NotAction":"s3:DeleteBucket","Resource":"*"}"#,
            r#"{"Effect":"Allow","Action":"s3:GetObject","NotResource":"arn:aws:s3:::x/*"}"#,
            r#"{"Effect":"Allow","Action":"iam:*","Resource":"*"}"#,
            r#"{"Effect":"Allow","Action":"sagemaker:*","Resource":"*"}"#,
            r#"{"Effect":"Allow","Action":["s3:*"],"Resource":"arn:aws:s3:::x"}"#,
            r#"{"Effect":"Allow","Action":"kms:*","Resource":"*"}"#,
            r#"{"Effect":"Allow","Action":"*:*","Resource":"*"}"#,
            r#"{"Effect":"Allow","Action":"iam:Put*","Resource":"*"}"#,
            r#"{"Effect":"Allow","Action":"iam:*Policy","Resource":"*"}"#,
            r#"{"Effect":"Allow","Action":"IAM:PutRolePolicy","Resource":"arn:aws:iam::111122223333:role/x"}"#,
            r#"{"Effect":"Allow","Action":"iam:CreatePolicyVersion","Resource":"*"}"#,
            r#"{"Effect":"Allow","Action":"iam:AttachRolePolicy","Resource":"*"}"#,
            r#"{"Effect":"Allow","Action":"iam:PassRole","Resource":"*"}"#,
            r#"{"Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::111122223333:role/*"}"#,
            r#"{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}"#,
            r#"{"Effect":"Allow","Action":"kms:Create*","Resource":"*"}"#,
            r#"{"Effect":"Allow","Action":"kms:CreateGrant","Resource":"*"}"#,
            r#"{"Effect":"Allow","Action":"kms:PutKeyPolicy","Resource":"*"}"#,
        ] {
            assert!(!excess(statement).is_empty(), "{statement}");
        }
        assert!(!excess_grants("not json").is_empty());
    }

    #[test]
    fn scoped_grants_are_not_excess() {
        for statement in [
            r#"{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::x/*"}"#,
            r#"{"Effect":"Allow","Action":"s3:Get*","Resource":"arn:aws:s3:::x/*"}"#,
            r#"{"Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::111122223333:role/sagefence-alpha-x"}"#,
            r#"{"Effect":"Allow","Action":"kms:CreateGrant","Resource":"*","Condition":{"Bool":{"kms:GrantIsForAWSResource":"true"}}}"#,
            r#"{"Effect":"Deny","NotAction":"s3:*","Resource":"*"}"#,
            r#"{"Effect":"Deny","Action":"*","Resource":"*"}"#,
        ] {
            assert_eq!(excess(statement), Vec::<String>::new(), "{statement}");
        }
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
