//! CloudFormation custom resource requests, parsed: the envelope an answer needs, read
//! leniently first so that even a malformed request is answered, then the typed request
//! (`aws_lambda_events`) and each resource's properties, validated with reasons a data
//! scientist can act on.

use aws_lambda_events::event::cloudformation::CloudFormationCustomResourceRequest;
use serde_json::Value;

use crate::addressing::Cidr;
use crate::error::RequestError;

/// Where and how to answer a request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AnswerTarget {
    /// The pre-signed S3 URL the answer is PUT to.
    pub response_url: String,
    /// The stack.
    pub stack_id: String,
    /// The request id (the same on every retry of the request).
    pub request_id: String,
    /// The resource's logical id in the template.
    pub logical_resource_id: String,
    /// The physical id CloudFormation knows (Update, Delete).
    pub physical_resource_id: Option<String>,
}

impl AnswerTarget {
    /// The envelope of a request, read from whatever JSON it is; `None` without a ResponseURL.
    pub fn lenient(payload: &[u8]) -> Option<AnswerTarget> {
        let value: Value = serde_json::from_slice(payload).ok()?;
        let text = |key: &str| value.get(key).and_then(Value::as_str).map(str::to_owned);
        Some(AnswerTarget {
            response_url: text("ResponseURL").filter(|u| !u.is_empty())?,
            stack_id: text("StackId").unwrap_or_default(),
            request_id: text("RequestId").unwrap_or_default(),
            logical_resource_id: text("LogicalResourceId").unwrap_or_default(),
            physical_resource_id: text("PhysicalResourceId"),
        })
    }

    /// The region and account of the stack, from its ARN
    /// (`arn:<partition>:cloudformation:<region>:<account>:stack/...`).
    pub fn stack_location(&self) -> Result<StackLocation, RequestError> {
        let parts: Vec<&str> = self.stack_id.split(':').collect();
        match parts.as_slice() {
            ["arn", partition, "cloudformation", region, account, ..]
                if !region.is_empty() && account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()) =>
            {
                Ok(StackLocation {
                    partition: (*partition).to_owned(),
                    region: (*region).to_owned(),
                    account: (*account).to_owned(),
                })
            }
            _ => Err(RequestError::Malformed(format!(
                "`StackId` `{}` is not a CloudFormation stack ARN",
                self.stack_id
            ))),
        }
    }
}

/// Where the stack lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackLocation {
    /// The partition.
    pub partition: String,
    /// The region.
    pub region: String,
    /// The account id.
    pub account: String,
}

/// Create, Update or Delete.
#[derive(Debug, Clone, PartialEq)]
pub enum Operation {
    /// Make the resource.
    Create,
    /// Change it; the old properties tell what changed.
    Update {
        /// The properties before the update.
        old_properties: Value,
    },
    /// Remove it.
    Delete,
}

impl Operation {
    /// `Create`, `Update` or `Delete`.
    pub fn name(&self) -> &'static str {
        match self {
            Operation::Create => "Create",
            Operation::Update { .. } => "Update",
            Operation::Delete => "Delete",
        }
    }
}

/// The resources the provisioner serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceKind {
    /// `Custom::ProjectEnvironment`.
    ProjectEnvironment,
    /// `Custom::NotebookAccess`.
    NotebookAccess,
    /// `Custom::EnvironmentCheck`.
    EnvironmentCheck,
}

impl ResourceKind {
    fn from_type(resource_type: &str) -> Result<ResourceKind, RequestError> {
        match resource_type {
            "Custom::ProjectEnvironment" => Ok(ResourceKind::ProjectEnvironment),
            "Custom::NotebookAccess" => Ok(ResourceKind::NotebookAccess),
            "Custom::EnvironmentCheck" => Ok(ResourceKind::EnvironmentCheck),
            other => Err(RequestError::UnknownResourceType(other.to_owned())),
        }
    }
}

/// A parsed custom resource request.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// Where to answer.
    pub target: AnswerTarget,
    /// The custom resource type as the template spells it.
    pub resource_type: String,
    /// Which resource.
    pub kind: ResourceKind,
    /// What to do.
    pub operation: Operation,
    /// The resource's properties.
    pub properties: Value,
}

/// Parses a request; the error is the reason to answer FAILED with.
pub fn parse(payload: &[u8]) -> Result<Request, RequestError> {
    let typed: CloudFormationCustomResourceRequest =
        serde_json::from_slice(payload).map_err(|e| RequestError::Malformed(e.to_string()))?;
    /// Where to answer a request of any of the three types (they share these fields, not a type).
    macro_rules! target {
        ($request:ident, $physical_resource_id:expr) => {
            AnswerTarget {
                response_url: $request.response_url,
                stack_id: $request.stack_id,
                request_id: $request.request_id,
                logical_resource_id: $request.logical_resource_id,
                physical_resource_id: $physical_resource_id,
            }
        };
    }
    let (target, resource_type, operation, properties) = match typed {
        CloudFormationCustomResourceRequest::Create(r) => (
            target!(r, None),
            r.resource_type,
            Operation::Create,
            r.resource_properties,
        ),
        CloudFormationCustomResourceRequest::Update(r) => (
            target!(r, Some(r.physical_resource_id)),
            r.resource_type,
            Operation::Update {
                old_properties: r.old_resource_properties,
            },
            r.resource_properties,
        ),
        CloudFormationCustomResourceRequest::Delete(r) => (
            target!(r, Some(r.physical_resource_id)),
            r.resource_type,
            Operation::Delete,
            r.resource_properties,
        ),
        _ => return Err(RequestError::Malformed("unknown `RequestType`".to_owned())),
    };
    target.stack_location()?;
    Ok(Request {
        kind: ResourceKind::from_type(&resource_type)?,
        target,
        resource_type,
        operation,
        properties,
    })
}

/// A property as text (CloudFormation passes every scalar as a string); `None` when absent
/// or blank.
pub fn text(properties: &Value, name: &'static str) -> Result<Option<String>, RequestError> {
    match properties.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.trim().to_owned())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(Value::Bool(b)) => Ok(Some(b.to_string())),
        Some(other) => Err(RequestError::Invalid {
            property: name,
            reason: format!("expected a string, got `{other}`"),
        }),
    }
}

fn required(properties: &Value, name: &'static str) -> Result<String, RequestError> {
    text(properties, name)?.ok_or(RequestError::Missing(name))
}

/// A project name: 2 to 24 lowercase letters, digits and hyphens, starting with a letter (it
/// becomes part of bucket and role names).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ProjectName(String);

impl ProjectName {
    /// Validates a project name.
    pub fn parse(name: &str) -> Result<ProjectName, RequestError> {
        let valid = (2..=24).contains(&name.len())
            && name.bytes().next().is_some_and(|b| b.is_ascii_lowercase())
            && !name.ends_with('-')
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if valid {
            Ok(ProjectName(name.to_owned()))
        } else {
            Err(RequestError::Invalid {
                property: "ProjectName",
                reason: format!(
                    "`{name}` must be 2 to 24 lowercase letters, digits or hyphens, starting with a letter and not ending with a hyphen"
                ),
            })
        }
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The properties of a `Custom::ProjectEnvironment`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvironmentProperties {
    /// The project.
    pub project: ProjectName,
    /// `dev`, `test` or `prod`.
    pub env_type: String,
    /// The VPC block asked for; allocated from the pool when absent.
    pub cidr: Option<Cidr>,
    /// How many availability zones (1 to 4).
    pub zone_count: usize,
}

impl EnvironmentProperties {
    /// Reads and validates the properties.
    pub fn parse(properties: &Value) -> Result<EnvironmentProperties, RequestError> {
        let project = ProjectName::parse(&required(properties, "ProjectName")?)?;
        let env_type = text(properties, "EnvType")?.unwrap_or_else(|| "dev".to_owned());
        if !["dev", "test", "prod"].contains(&env_type.as_str()) {
            return Err(RequestError::Invalid {
                property: "EnvType",
                reason: format!("`{env_type}` must be `dev`, `test` or `prod`"),
            });
        }
        let cidr = text(properties, "Cidr")?.map(|c| c.parse::<Cidr>()).transpose()?;
        if let Some(cidr) = cidr {
            if !(16..=24).contains(&cidr.prefix()) {
                return Err(RequestError::Invalid {
                    property: "Cidr",
                    reason: format!(
                        "`{cidr}` must be a /16 to /24 block (VPCs take /16 to /28, and each zone gets a quarter)"
                    ),
                });
            }
        }
        let zone_count = match text(properties, "AzCount")? {
            None => 2,
            Some(count) => count
                .parse::<usize>()
                .ok()
                .filter(|c| (1..=4).contains(c))
                .ok_or_else(|| RequestError::Invalid {
                    property: "AzCount",
                    reason: format!("`{count}` must be a number from 1 to 4"),
                })?,
        };
        Ok(EnvironmentProperties {
            project,
            env_type,
            cidr,
            zone_count,
        })
    }
}

/// The properties of a `Custom::NotebookAccess`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotebookProperties {
    /// The project the notebook belongs to.
    pub project: ProjectName,
    /// The owner's user name (1 to 20 letters, digits, `.`, `_` or `-`).
    pub owner: String,
    /// The owner's email.
    pub owner_email: String,
    /// The notebook's instance type.
    pub instance_type: String,
}

impl NotebookProperties {
    /// Reads and validates the properties (the instance type is judged by the policy later).
    pub fn parse(properties: &Value) -> Result<NotebookProperties, RequestError> {
        let project = ProjectName::parse(&required(properties, "ProjectName")?)?;
        let owner = required(properties, "OwnerUserName")?;
        let owner_valid = owner.len() <= 20
            && owner
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
        if !owner_valid {
            return Err(RequestError::Invalid {
                property: "OwnerUserName",
                reason: format!("`{owner}` must be at most 20 letters, digits, `.`, `_` or `-`"),
            });
        }
        let owner_email = required(properties, "OwnerEmail")?;
        let email_valid = owner_email.len() <= 254
            && !owner_email.contains(char::is_whitespace)
            && owner_email
                .split_once('@')
                .is_some_and(|(user, domain)| !user.is_empty() && domain.contains('.') && !domain.contains('@'));
        if !email_valid {
            return Err(RequestError::Invalid {
                property: "OwnerEmail",
                reason: format!("`{owner_email}` is not an email address"),
            });
        }
        Ok(NotebookProperties {
            project,
            owner,
            owner_email,
            instance_type: required(properties, "InstanceType")?,
        })
    }
}

/// The properties of a `Custom::EnvironmentCheck`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckProperties {
    /// The project.
    pub project: ProjectName,
    /// The project VPC.
    pub vpc_id: String,
    /// The project key (id or ARN).
    pub kms_key_id: String,
    /// The project buckets.
    pub buckets: Vec<String>,
}

impl CheckProperties {
    /// Reads and validates the properties.
    pub fn parse(properties: &Value) -> Result<CheckProperties, RequestError> {
        let buckets = match properties.get("Buckets") {
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
            _ => required(properties, "Buckets")?
                .split(',')
                .map(str::trim)
                .filter(|b| !b.is_empty())
                .map(str::to_owned)
                .collect(),
        };
        Ok(CheckProperties {
            project: ProjectName::parse(&required(properties, "ProjectName")?)?,
            vpc_id: required(properties, "VpcId")?,
            kms_key_id: required(properties, "KmsKeyId")?,
            buckets,
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn request(kind: &str, properties: Value) -> Value {
        json!({
            "RequestType": "Create",
            "ServiceToken": "arn:aws:lambda:eu-west-1:123456789012:function:p",
            "ResponseURL": "http://127.0.0.1:9/answer",
            "StackId": "arn:aws:cloudformation:eu-west-1:123456789012:stack/s/1",
            "RequestId": "r-1",
            "ResourceType": kind,
            "LogicalResourceId": "Env",
            "ResourceProperties": properties,
        })
    }

    #[test]
    fn a_create_request_parses_with_its_target() {
        let payload = request("Custom::ProjectEnvironment", json!({ "ProjectName": "alpha" }));
        let parsed = parse(payload.to_string().as_bytes()).unwrap();
        assert_eq!(parsed.kind, ResourceKind::ProjectEnvironment);
        assert_eq!(parsed.operation, Operation::Create);
        assert_eq!(parsed.target.response_url, "http://127.0.0.1:9/answer");
        let location = parsed.target.stack_location().unwrap();
        assert_eq!(
            (location.region.as_str(), location.account.as_str()),
            ("eu-west-1", "123456789012")
        );
    }

    #[test]
    fn a_malformed_request_still_names_its_answer_target() {
        let mut payload = request("Custom::ProjectEnvironment", json!({}));
        payload["RequestType"] = json!("Explode");
        let bytes = payload.to_string();
        assert!(matches!(parse(bytes.as_bytes()), Err(RequestError::Malformed(_))));
        let target = AnswerTarget::lenient(bytes.as_bytes()).unwrap();
        assert_eq!(target.request_id, "r-1");
        assert_eq!(AnswerTarget::lenient(b"{\"RequestId\":\"x\"}"), None);
        assert_eq!(AnswerTarget::lenient(b"not json"), None);
    }

    #[test]
    fn unknown_types_and_bad_stacks_are_refused() {
        let payload = request("Custom::Other", json!({}));
        assert_eq!(
            parse(payload.to_string().as_bytes()),
            Err(RequestError::UnknownResourceType("Custom::Other".into()))
        );
        let mut payload = request("Custom::ProjectEnvironment", json!({}));
        payload["StackId"] = json!("stack");
        assert!(matches!(
            parse(payload.to_string().as_bytes()),
            Err(RequestError::Malformed(_))
        ));
    }

    #[test]
    fn environment_properties_are_validated() {
        let ok =
            EnvironmentProperties::parse(&json!({ "ProjectName": "alpha", "Cidr": "10.9.0.0/16", "AzCount": "3" }))
                .unwrap();
        assert_eq!(ok.zone_count, 3);
        assert_eq!(ok.env_type, "dev");
        assert_eq!(ok.cidr.map(|c| c.to_string()).as_deref(), Some("10.9.0.0/16"));
        let bad = |properties: Value| EnvironmentProperties::parse(&properties).unwrap_err().to_string();
        assert_eq!(bad(json!({})), "property `ProjectName` is required");
        assert!(bad(json!({ "ProjectName": "Alpha" })).contains("`Alpha`"));
        assert!(bad(json!({ "ProjectName": "alpha", "AzCount": 9 })).contains("`9`"));
        assert!(bad(json!({ "ProjectName": "alpha", "Cidr": "10.0.0.0/8" })).contains("/16 to /24"));
        assert!(bad(json!({ "ProjectName": "alpha", "EnvType": "qa" })).contains("`qa`"));
        assert!(bad(json!({ "ProjectName": ["a"] })).contains("expected a string"));
    }

    #[test]
    fn notebook_properties_are_validated() {
        let properties = json!({
            "ProjectName": "alpha", "OwnerUserName": "alice", "OwnerEmail": "alice@example.com",
            "InstanceType": "ml.t3.medium",
        });
        assert_eq!(NotebookProperties::parse(&properties).unwrap().owner, "alice");
        let mut bad = properties.clone();
        bad["OwnerEmail"] = json!("alice");
        assert!(NotebookProperties::parse(&bad)
            .unwrap_err()
            .to_string()
            .contains("`alice`"));
        let mut bad = properties.clone();
        bad["OwnerUserName"] = json!("");
        assert_eq!(
            NotebookProperties::parse(&bad).unwrap_err(),
            RequestError::Missing("OwnerUserName")
        );
        let mut bad = properties;
        bad["OwnerUserName"] = json!("a b");
        assert!(NotebookProperties::parse(&bad).is_err());
    }
}
