//! EventBridge event-pattern matching, following AWS's documented semantics ("Creating event
//! patterns" and "Content filtering in EventBridge event patterns"), so tests can check the
//! template's rules against the event fixtures offline.
//!
//! A pattern is an object whose leaves are arrays of matchers, any of which may match. An event
//! field that is an array matches when any of its elements does. Supported matchers: exact
//! values (string, number, boolean, null), `prefix`, `suffix`, `equals-ignore-case`,
//! `anything-but` (a value, a list, or a `prefix`/`suffix`), `exists` and `numeric`. Anything
//! else is a [`PatternError`], never a silent mismatch.

use serde_json::{Map, Value};
use thiserror::Error;

/// A pattern this matcher cannot read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PatternError {
    /// A matcher or shape outside the supported subset.
    #[error("unsupported event pattern at `{path}`: {what}")]
    Unsupported {
        /// Where in the pattern.
        path: String,
        /// What is not supported.
        what: String,
    },
}

/// Whether `event` matches `pattern`.
pub fn matches(pattern: &Value, event: &Value) -> Result<bool, PatternError> {
    match pattern {
        Value::Object(fields) => object_matches(fields, Some(event), ""),
        other => Err(unsupported("", format!("a pattern is an object, not `{other}`"))),
    }
}

fn unsupported(path: &str, what: impl Into<String>) -> PatternError {
    PatternError::Unsupported {
        path: path.to_owned(),
        what: what.into(),
    }
}

fn object_matches(fields: &Map<String, Value>, event: Option<&Value>, path: &str) -> Result<bool, PatternError> {
    for (key, pattern) in fields {
        let path = format!("{path}.{key}");
        let value = event.and_then(|e| e.as_object()).and_then(|o| o.get(key));
        let matched = match pattern {
            Value::Object(nested) => object_matches(nested, value, &path)?,
            Value::Array(matchers) => any_matcher(matchers, value, &path)?,
            other => {
                return Err(unsupported(
                    &path,
                    format!("a leaf is an array of matchers, not `{other}`"),
                ))
            }
        };
        if !matched {
            return Ok(false);
        }
    }
    Ok(true)
}

fn any_matcher(matchers: &[Value], value: Option<&Value>, path: &str) -> Result<bool, PatternError> {
    for matcher in matchers {
        if matcher_matches(matcher, value, path)? {
            return Ok(true);
        }
    }
    Ok(false)
}

/// One matcher against a field: absent, a leaf, or an array of leaves (any may match).
fn matcher_matches(matcher: &Value, value: Option<&Value>, path: &str) -> Result<bool, PatternError> {
    if let Value::Object(operator) = matcher {
        if let Some(exists) = operator.get("exists") {
            let want = exists
                .as_bool()
                .ok_or_else(|| unsupported(path, "`exists` takes true or false"))?;
            let present = matches!(value, Some(v) if !v.is_object());
            return Ok(present == want);
        }
    }
    let leaves: Vec<&Value> = match value {
        None => return Ok(false),
        Some(Value::Array(items)) => items.iter().collect(),
        Some(leaf) => vec![leaf],
    };
    for leaf in leaves {
        if leaf_matches(matcher, leaf, path)? {
            return Ok(true);
        }
    }
    Ok(false)
}

fn leaf_matches(matcher: &Value, leaf: &Value, path: &str) -> Result<bool, PatternError> {
    let Value::Object(operator) = matcher else {
        return Ok(equal(matcher, leaf));
    };
    let mut entries = operator.iter();
    let (Some((name, argument)), None) = (entries.next(), entries.next()) else {
        return Err(unsupported(path, "a matcher object has exactly one operator"));
    };
    match name.as_str() {
        "prefix" | "suffix" | "equals-ignore-case" => string_operator(name, argument, leaf, path),
        "anything-but" => anything_but(argument, leaf, path),
        "numeric" => numeric(argument, leaf, path),
        other => Err(unsupported(path, format!("operator `{other}`"))),
    }
}

fn equal(expected: &Value, leaf: &Value) -> bool {
    match (expected, leaf) {
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        _ => expected == leaf,
    }
}

fn string_operator(name: &str, argument: &Value, leaf: &Value, path: &str) -> Result<bool, PatternError> {
    let (argument, ignore_case) = match argument {
        Value::String(text) => (text.as_str(), name == "equals-ignore-case"),
        Value::Object(inner) if name != "equals-ignore-case" => match inner.get("equals-ignore-case") {
            Some(Value::String(text)) if inner.len() == 1 => (text.as_str(), true),
            _ => return Err(unsupported(path, format!("`{name}` takes a string"))),
        },
        _ => return Err(unsupported(path, format!("`{name}` takes a string"))),
    };
    let Some(text) = leaf.as_str() else {
        return Ok(false);
    };
    let (text, argument) = if ignore_case {
        (text.to_lowercase(), argument.to_lowercase())
    } else {
        (text.to_owned(), argument.to_owned())
    };
    Ok(match name {
        "prefix" => text.starts_with(&argument),
        "suffix" => text.ends_with(&argument),
        _ => text == argument,
    })
}

fn anything_but(argument: &Value, leaf: &Value, path: &str) -> Result<bool, PatternError> {
    match argument {
        Value::Array(values) => Ok(!values.iter().any(|v| equal(v, leaf))),
        Value::Object(_) => Ok(!leaf_matches(argument, leaf, path)?),
        scalar => Ok(!equal(scalar, leaf)),
    }
}

fn numeric(argument: &Value, leaf: &Value, path: &str) -> Result<bool, PatternError> {
    let bad = || unsupported(path, "`numeric` takes [operator, number, ...]");
    let Value::Array(terms) = argument else {
        return Err(bad());
    };
    let Some(number) = leaf.as_f64() else {
        return Ok(false);
    };
    let mut terms = terms.iter();
    while let Some(operator) = terms.next() {
        let bound = terms.next().and_then(Value::as_f64).ok_or_else(bad)?;
        let holds = match operator.as_str().ok_or_else(bad)? {
            "=" => number == bound,
            "<" => number < bound,
            "<=" => number <= bound,
            ">" => number > bound,
            ">=" => number >= bound,
            _ => return Err(bad()),
        };
        if !holds {
            return Ok(false);
        }
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use serde_json::json;

    use super::*;

    fn check(pattern: Value, event: Value) -> bool {
        matches(&pattern, &event).unwrap()
    }

    #[test]
    fn exact_values_any_of_a_list_and_nested_fields() {
        let pattern = json!({"source": ["aws.ec2", "aws.kms"], "detail": {"eventName": ["DisableKeyRotation"]}});
        assert!(check(
            pattern.clone(),
            json!({"source": "aws.kms", "detail": {"eventName": "DisableKeyRotation", "x": 1}})
        ));
        assert!(!check(
            pattern.clone(),
            json!({"source": "aws.s3", "detail": {"eventName": "DisableKeyRotation"}})
        ));
        assert!(!check(pattern, json!({"source": "aws.kms"})));
    }

    #[test]
    fn an_array_field_matches_when_any_element_does() {
        let pattern = json!({"resources": ["arn:a"]});
        assert!(check(pattern.clone(), json!({"resources": ["arn:b", "arn:a"]})));
        assert!(!check(pattern, json!({"resources": []})));
    }

    #[test]
    fn exists_false_matches_only_absent_fields() {
        let pattern = json!({"detail": {"errorCode": [{"exists": false}]}});
        assert!(check(pattern.clone(), json!({"detail": {}})));
        assert!(check(pattern.clone(), json!({})));
        assert!(!check(
            pattern.clone(),
            json!({"detail": {"errorCode": "AccessDenied"}})
        ));
        assert!(!check(pattern, json!({"detail": {"errorCode": null}})));
        assert!(check(json!({"a": [{"exists": true}]}), json!({"a": "x"})));
        assert!(!check(json!({"a": [{"exists": true}]}), json!({"a": {"b": 1}})));
    }

    #[test]
    fn string_and_numeric_operators() {
        assert!(check(json!({"a": [{"prefix": "Create"}]}), json!({"a": "CreateModel"})));
        assert!(!check(
            json!({"a": [{"prefix": "Create"}]}),
            json!({"a": "DeleteModel"})
        ));
        assert!(check(json!({"a": [{"suffix": ".png"}]}), json!({"a": "x.png"})));
        assert!(check(
            json!({"a": [{"prefix": {"equals-ignore-case": "cre"}}]}),
            json!({"a": "CREATE"})
        ));
        assert!(check(
            json!({"a": [{"equals-ignore-case": "abc"}]}),
            json!({"a": "ABC"})
        ));
        assert!(check(json!({"a": [{"anything-but": ["x", "y"]}]}), json!({"a": "z"})));
        assert!(!check(json!({"a": [{"anything-but": "x"}]}), json!({"a": "x"})));
        assert!(!check(json!({"a": [{"anything-but": "x"}]}), json!({})));
        assert!(check(
            json!({"a": [{"anything-but": {"prefix": "Describe"}}]}),
            json!({"a": "Create"})
        ));
        assert!(check(json!({"n": [{"numeric": [">", 0, "<=", 5]}]}), json!({"n": 5})));
        assert!(!check(json!({"n": [{"numeric": [">", 0, "<=", 5]}]}), json!({"n": 6})));
        assert!(check(json!({"n": [5]}), json!({"n": 5.0})));
    }

    #[test]
    fn unknown_operators_are_errors() {
        let error = matches(&json!({"a": [{"wildcard": "*"}]}), &json!({"a": "x"})).unwrap_err();
        assert!(error.to_string().contains("wildcard"), "{error}");
        assert!(matches(&json!({"a": "x"}), &json!({"a": "x"})).is_err());
    }
}
