//! The one reader of settings from an environment, used by every function, the CLI and the
//! adapters that read a variable: a value is trimmed and a blank one is unset (CloudFormation
//! passes an empty string where a template leaves an optional setting out), and a missing or
//! malformed value is a [`SettingsError`] naming its variable. The environment is a lookup
//! function, so tests read from a map instead of the process environment.

use std::fmt::Display;
use std::ops::RangeInclusive;
use std::str::FromStr;

use thiserror::Error;

/// Variables read by more than one function (each function's own are in its `settings`).
pub mod env {
    /// The SNS topic for notifications.
    pub const TOPIC_ARN: &str = "SAGEFENCE_TOPIC_ARN";
    /// The log group prefix of created flow logs (the VPC id is appended).
    pub const FLOW_LOG_GROUP_PREFIX: &str = "SAGEFENCE_FLOW_LOG_GROUP_PREFIX";
    /// The role flow logs deliver with.
    pub const FLOW_LOG_ROLE_ARN: &str = "SAGEFENCE_FLOW_LOG_ROLE_ARN";
}

/// The flow-log group prefix when [`env::FLOW_LOG_GROUP_PREFIX`] is unset.
pub const DEFAULT_FLOW_LOG_GROUP_PREFIX: &str = "/sagefence/flow-logs/";

/// Why a setting could not be read: the variable and what was wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("setting `{name}` {problem}")]
pub struct SettingsError {
    /// The environment variable.
    pub name: &'static str,
    /// What was wrong, e.g. `is required`.
    pub problem: String,
}

impl SettingsError {
    /// The error for `name` with this problem.
    pub fn new(name: &'static str, problem: impl Into<String>) -> Self {
        SettingsError {
            name,
            problem: problem.into(),
        }
    }
}

/// Settings read through a lookup of environment variables.
#[derive(Debug, Clone, Copy)]
pub struct Vars<F> {
    lookup: F,
}

/// The process environment's lookup.
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

impl Vars<fn(&str) -> Option<String>> {
    /// The process environment.
    pub fn process() -> Self {
        Vars { lookup: process_env }
    }
}

impl<F: Fn(&str) -> Option<String>> Vars<F> {
    /// Settings read through `lookup` (the value of a variable, `None` when unset).
    pub fn new(lookup: F) -> Self {
        Vars { lookup }
    }

    /// The value, untrimmed; `None` when unset or blank (for text such as YAML).
    pub fn text(&self, name: &str) -> Option<String> {
        (self.lookup)(name).filter(|value| !value.trim().is_empty())
    }

    /// The value, trimmed; `None` when unset or blank.
    pub fn optional(&self, name: &str) -> Option<String> {
        setting((self.lookup)(name))
    }

    /// The value, trimmed; an error when unset or blank.
    pub fn required(&self, name: &'static str) -> Result<String, SettingsError> {
        self.optional(name)
            .ok_or_else(|| SettingsError::new(name, "is required"))
    }

    /// The value, or `default` when unset or blank.
    pub fn or(&self, name: &str, default: &str) -> String {
        self.optional(name).unwrap_or_else(|| default.to_owned())
    }

    /// The items of a comma-separated value, trimmed, empty items dropped (none when unset).
    pub fn list(&self, name: &str) -> Vec<String> {
        comma_list(self.optional(name).as_deref())
    }

    /// Whether the value is `true` or `1` (unset: no).
    pub fn flag(&self, name: &str) -> bool {
        matches!(self.optional(name).as_deref(), Some("true" | "1"))
    }

    /// The value as a number, `default` when unset or blank.
    pub fn number<T: FromStr>(&self, name: &'static str, default: T) -> Result<T, SettingsError> {
        match self.optional(name) {
            None => Ok(default),
            Some(text) => text
                .parse()
                .map_err(|_| SettingsError::new(name, format!("is `{text}`, not a number"))),
        }
    }

    /// The value as a number within `range`, `default` when unset or blank.
    pub fn number_in<T>(&self, name: &'static str, default: T, range: RangeInclusive<T>) -> Result<T, SettingsError>
    where
        T: FromStr + PartialOrd + Display,
    {
        match self.optional(name) {
            None => Ok(default),
            Some(text) => text.parse().ok().filter(|n| range.contains(n)).ok_or_else(|| {
                let (low, high) = (range.start(), range.end());
                SettingsError::new(name, format!("is `{text}`, not a number from {low} to {high}"))
            }),
        }
    }
}

/// A setting's value, trimmed; unset and blank both read as `None`.
pub fn setting(raw: Option<String>) -> Option<String> {
    raw.map(|value| value.trim().to_owned())
        .filter(|value| !value.is_empty())
}

/// The items of a comma-separated setting, trimmed, empty items dropped (unset reads as none).
pub fn comma_list(value: Option<&str>) -> Vec<String> {
    value
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars<'a>(pairs: &'a [(&'a str, &'a str)]) -> Vars<impl Fn(&str) -> Option<String> + 'a> {
        Vars::new(move |name: &str| pairs.iter().find(|(n, _)| *n == name).map(|(_, v)| (*v).to_owned()))
    }

    #[test]
    fn blank_settings_read_as_unset_and_values_are_trimmed() {
        assert_eq!(
            setting(Some(" arn:aws:sns:eu-west-1:1:t \n".to_owned())).as_deref(),
            Some("arn:aws:sns:eu-west-1:1:t")
        );
        assert_eq!(setting(Some(" \t".to_owned())), None);
        assert_eq!(setting(None), None);
        let vars = vars(&[("A", " a "), ("B", "  "), ("Y", "mode: audit\n")]);
        assert_eq!(vars.or("B", "default"), "default");
        assert_eq!(vars.or("A", "default"), "a");
        assert_eq!(vars.text("Y").as_deref(), Some("mode: audit\n"));
        assert_eq!(vars.text("B"), None);
    }

    #[test]
    fn items_are_trimmed_and_empty_ones_dropped() {
        assert_eq!(comma_list(Some(" a, ,b ,,c")), ["a", "b", "c"]);
        assert!(comma_list(Some(" , ")).is_empty());
        assert!(comma_list(None).is_empty());
    }

    #[test]
    fn errors_name_the_variable_and_what_was_wrong() {
        let vars = vars(&[("BLANK", " "), ("N", "many"), ("P", "8"), ("OK", " 20 ")]);
        assert_eq!(
            vars.required("BLANK").unwrap_err().to_string(),
            "setting `BLANK` is required"
        );
        assert_eq!(
            vars.number::<u32>("N", 1).unwrap_err().to_string(),
            "setting `N` is `many`, not a number"
        );
        assert_eq!(
            vars.number_in("P", 16, 16..=24).unwrap_err().to_string(),
            "setting `P` is `8`, not a number from 16 to 24"
        );
        assert_eq!(vars.number_in("OK", 16, 16..=24), Ok(20));
        assert_eq!(vars.number_in("UNSET", 16, 16..=24), Ok(16));
    }
}
