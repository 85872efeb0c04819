//! Tag changes on governed resources, and what undoing one takes. CloudTrail records SageMaker
//! `AddTags`/`DeleteTags`, EC2 `CreateTags`/`DeleteTags`, KMS `TagResource`/`UntagResource` and
//! IAM `TagRole`/`UntagRole`; sagefence's tags (`sagefence:*` and the project tag) are written
//! by sagefence only, so a change to them by anyone else is undone: the project is re-derived
//! from the infrastructure the resource runs in (or taken from the request, when it names the
//! value it removed), the remedy tags from re-evaluation, and whatever cannot be re-derived is
//! reported rather than guessed.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::error::ParseEventError;
use crate::model::Tags;
use crate::rules::{Scope, REMEDY_TAG, VIOLATION_TAG};

/// The prefix of every tag key sagefence writes.
pub const PROTECTED_PREFIX: &str = "sagefence:";

/// The resource a tag change names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "service", rename_all = "kebab-case")]
pub enum TagTarget {
    /// A SageMaker resource, by ARN.
    Sagemaker {
        /// The resource ARN.
        arn: String,
    },
    /// An EC2 resource (VPC, subnet, security group, ...), by id.
    Ec2 {
        /// The resource id.
        id: String,
    },
    /// A KMS key, by id or ARN.
    Kms {
        /// The key id or ARN.
        key_id: String,
    },
    /// An IAM role, by name.
    Iam {
        /// The role name.
        role_name: String,
    },
}

/// A change to resources' tags, as the call asked for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TagChange {
    /// The resources whose tags changed.
    pub targets: Vec<TagTarget>,
    /// Keys added or overwritten, with their new values.
    pub set: BTreeMap<String, String>,
    /// Keys removed, with the value the request named (only EC2 lets a caller name one).
    pub removed: BTreeMap<String, Option<String>>,
}

/// Whether a call changes tags, for a service whose tag calls sagefence watches.
pub fn is_tag_call(event_source: &str, event_name: &str) -> bool {
    matches!(
        (event_source, event_name),
        ("sagemaker.amazonaws.com", "AddTags" | "DeleteTags")
            | ("ec2.amazonaws.com", "CreateTags" | "DeleteTags")
            | ("kms.amazonaws.com", "TagResource" | "UntagResource")
            | ("iam.amazonaws.com", "TagRole" | "UntagRole")
    )
}

fn field_error(event_name: &str, path: &str, message: &str) -> ParseEventError {
    ParseEventError::Field {
        event: event_name.to_owned(),
        path: path.to_owned(),
        message: message.to_owned(),
    }
}

fn text<'a>(params: &'a Value, key: &str) -> Option<&'a str> {
    params.get(key).and_then(Value::as_str)
}

/// `[{key, value}]`-like entries under `key` (`items` of an EC2 set too), with the field names
/// the service uses.
fn entries(params: &Value, key: &str, names: (&str, &str)) -> Vec<(String, Option<String>)> {
    let list = match params.get(key) {
        Some(Value::Object(set)) => set.get("items"),
        other => other,
    };
    list.and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|item| {
                    let key = item.get(names.0).and_then(Value::as_str)?;
                    let value = item.get(names.1).and_then(Value::as_str).map(str::to_owned);
                    Some((key.to_owned(), value))
                })
                .collect()
        })
        .unwrap_or_default()
}

fn keys(params: &Value, key: &str) -> Vec<(String, Option<String>)> {
    params
        .get(key)
        .and_then(Value::as_array)
        .map(|keys| {
            keys.iter()
                .filter_map(Value::as_str)
                .map(|k| (k.to_owned(), None))
                .collect()
        })
        .unwrap_or_default()
}

/// Parses a tag call's request parameters (`is_tag_call` holds for it).
pub fn parse(event_source: &str, event_name: &str, params: &str) -> Result<TagChange, ParseEventError> {
    let params: Value =
        serde_json::from_str(params).map_err(|err| field_error(event_name, "requestParameters", &err.to_string()))?;
    let required = |key: &str| {
        text(&params, key)
            .map(str::to_owned)
            .ok_or_else(|| field_error(event_name, key, &format!("missing field `{key}`")))
    };
    let adding = matches!(event_name, "AddTags" | "CreateTags" | "TagResource" | "TagRole");
    let (targets, names) = match event_source {
        "sagemaker.amazonaws.com" => (
            vec![TagTarget::Sagemaker {
                arn: required("resourceArn")?,
            }],
            ("key", "value"),
        ),
        "ec2.amazonaws.com" => {
            let ids: Vec<TagTarget> = entries(&params, "resourcesSet", ("resourceId", "resourceId"))
                .into_iter()
                .map(|(id, _)| TagTarget::Ec2 { id })
                .collect();
            if ids.is_empty() {
                return Err(field_error(event_name, "resourcesSet", "names no resource"));
            }
            (ids, ("key", "value"))
        }
        "kms.amazonaws.com" => (
            vec![TagTarget::Kms {
                key_id: required("keyId")?,
            }],
            ("tagKey", "tagValue"),
        ),
        _ => (
            vec![TagTarget::Iam {
                role_name: required("roleName")?,
            }],
            ("key", "value"),
        ),
    };
    let entries = match (event_source, adding) {
        ("ec2.amazonaws.com", _) => entries(&params, "tagSet", names),
        (_, true) => entries(&params, "tags", names),
        (_, false) => keys(&params, "tagKeys"),
    };
    let mut change = TagChange {
        targets,
        set: BTreeMap::new(),
        removed: BTreeMap::new(),
    };
    for (key, value) in entries {
        if adding {
            change.set.insert(key, value.unwrap_or_default());
        } else {
            change.removed.insert(key, value);
        }
    }
    Ok(change)
}

impl TagChange {
    /// The CloudTrail event source of the call.
    pub fn event_source(&self) -> &'static str {
        match self.targets.first() {
            Some(TagTarget::Ec2 { .. }) => "ec2.amazonaws.com",
            Some(TagTarget::Kms { .. }) => "kms.amazonaws.com",
            Some(TagTarget::Iam { .. }) => "iam.amazonaws.com",
            Some(TagTarget::Sagemaker { .. }) | None => "sagemaker.amazonaws.com",
        }
    }

    /// The protected keys the call touched (set or removed), in order.
    pub fn protected_keys(&self, scope: &Scope) -> Vec<String> {
        let mut touched: Vec<String> = self
            .set
            .keys()
            .chain(self.removed.keys())
            .filter(|key| is_protected(key, scope))
            .cloned()
            .collect();
        touched.sort();
        touched.dedup();
        touched
    }
}

/// Whether sagefence alone writes this tag key: `sagefence:*`, and the scope's project tag.
pub fn is_protected(key: &str, scope: &Scope) -> bool {
    key.starts_with(PROTECTED_PREFIX) || key == scope.project_tag_key
}

/// What undoing a tag change takes on one resource.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Restoration {
    /// Tags to set back.
    pub set: BTreeMap<String, String>,
    /// Keys the change added that sagefence never wrote there, to remove.
    pub remove: Vec<String>,
    /// Keys whose previous value cannot be re-derived: reported, not guessed.
    pub unknown: Vec<String>,
}

impl Restoration {
    /// Whether nothing is to be set or removed.
    pub fn is_empty(&self) -> bool {
        self.set.is_empty() && self.remove.is_empty()
    }
}

/// What undoes `change` on a resource whose tags are now `current`. `project` is the project
/// re-derived from the resource's infrastructure, if any. The remedy tags
/// (`sagefence:violation`, `sagefence:remedy`) are left to re-evaluation, which writes what
/// the resource owes: here they are only removed when the change added them.
pub fn restoration(change: &TagChange, current: &Tags, project: Option<&str>, scope: &Scope) -> Restoration {
    let mut out = Restoration::default();
    for key in change.protected_keys(scope) {
        let named = change.removed.get(&key).cloned().flatten();
        let wanted = if key == scope.project_tag_key {
            project.map(str::to_owned).or(named)
        } else {
            named
        };
        let re_evaluated = key == VIOLATION_TAG || key == REMEDY_TAG;
        match wanted {
            Some(value) if current.get(&key) != Some(value.as_str()) => {
                out.set.insert(key, value);
            }
            Some(_) => {}
            None if re_evaluated && change.set.contains_key(&key) => out.remove.push(key),
            None if re_evaluated => {}
            None => out.unknown.push(key),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope() -> Scope {
        Scope::default()
    }

    #[test]
    fn every_services_tag_calls_parse() {
        let sm = parse(
            "sagemaker.amazonaws.com",
            "AddTags",
            r#"{"resourceArn":"arn:aws:sagemaker:eu-west-1:111122223333:notebook-instance/b","tags":[{"key":"sagefence:project","value":"alpha"}]}"#,
        )
        .unwrap();
        assert_eq!(sm.set.get("sagefence:project").map(String::as_str), Some("alpha"));
        let ec2 = parse(
            "ec2.amazonaws.com",
            "DeleteTags",
            r#"{"resourcesSet":{"items":[{"resourceId":"vpc-1"}]},"tagSet":{"items":[{"key":"sagefence:project","value":"beta"},{"key":"Name"}]}}"#,
        )
        .unwrap();
        assert_eq!(ec2.targets, [TagTarget::Ec2 { id: "vpc-1".into() }]);
        assert_eq!(ec2.removed.get("sagefence:project"), Some(&Some("beta".to_owned())));
        assert_eq!(ec2.protected_keys(&scope()), ["sagefence:project"]);
        let kms = parse(
            "kms.amazonaws.com",
            "TagResource",
            r#"{"keyId":"k-1","tags":[{"tagKey":"sagefence:project","tagValue":""}]}"#,
        )
        .unwrap();
        assert_eq!(kms.set.get("sagefence:project").map(String::as_str), Some(""));
        let iam = parse(
            "iam.amazonaws.com",
            "UntagRole",
            r#"{"roleName":"r","tagKeys":["sagefence:project"]}"#,
        )
        .unwrap();
        assert_eq!(iam.targets, [TagTarget::Iam { role_name: "r".into() }]);
        assert!(parse("iam.amazonaws.com", "TagRole", r#"{"tags":[]}"#).is_err());
    }

    #[test]
    fn a_project_tag_is_restored_from_the_infrastructure_else_reported() {
        let change = TagChange {
            targets: Vec::new(),
            set: BTreeMap::from([
                ("sagefence:project".to_owned(), "alpha".to_owned()),
                ("sagefence:violation".to_owned(), "x".to_owned()),
                ("team".to_owned(), "x".to_owned()),
            ]),
            removed: BTreeMap::from([("sagefence:restart".to_owned(), None)]),
        };
        let current: Tags = [("sagefence:project", "alpha"), ("sagefence:violation", "x")]
            .into_iter()
            .collect();
        let fix = restoration(&change, &current, Some("beta"), &scope());
        assert_eq!(
            fix.set,
            BTreeMap::from([("sagefence:project".to_owned(), "beta".to_owned())])
        );
        assert_eq!(fix.remove, ["sagefence:violation"]);
        assert_eq!(fix.unknown, ["sagefence:restart"]);
        let blind = restoration(&change, &current, None, &scope());
        assert!(blind.unknown.contains(&"sagefence:project".to_owned()));
    }
}
