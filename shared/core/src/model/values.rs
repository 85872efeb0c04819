//! The values every model is made of: what an input tells about a setting ([`Fact`]),
//! `Enabled`/`Disabled` settings, and tags in every shape AWS writes them.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};

/// What an input tells about one setting: its value, or nothing at all.
///
/// A create call or a Describe answer tells everything (absent settings take AWS's defaults);
/// an update call or a notebook state-change event tells only part.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Fact<T> {
    /// The input states this value (or implies it through AWS's default).
    Known(T),
    /// The input does not carry this setting.
    #[default]
    Unknown,
}

impl<T> Fact<T> {
    /// The value, when known.
    pub fn known(&self) -> Option<&T> {
        match self {
            Fact::Known(value) => Some(value),
            Fact::Unknown => None,
        }
    }
}

impl<T> From<Option<T>> for Fact<T> {
    fn from(value: Option<T>) -> Self {
        value.map_or(Fact::Unknown, Fact::Known)
    }
}

/// An `Enabled` / `Disabled` setting such as DirectInternetAccess or RootAccess.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
pub enum Toggle {
    /// `Enabled`.
    Enabled,
    /// `Disabled`.
    Disabled,
}

impl fmt::Display for Toggle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Toggle::Enabled => "Enabled",
            Toggle::Disabled => "Disabled",
        })
    }
}

/// A resource's tags, by key. Accepts every shape AWS uses: a list of `{key, value}` (CloudTrail),
/// a list of `{Key, Value}` (Describe, ListTags) or a plain object (state-change events).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(transparent)]
pub struct Tags(pub BTreeMap<String, String>);

impl Tags {
    /// The value of `key`, if the resource carries it.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for Tags {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        Tags(iter.into_iter().map(|(k, v)| (k.into(), v.into())).collect())
    }
}

#[derive(Deserialize)]
struct TagEntry {
    #[serde(alias = "key")]
    #[serde(rename = "Key")]
    key: String,
    #[serde(alias = "value")]
    #[serde(rename = "Value", default)]
    value: String,
}

impl<'de> Deserialize<'de> for Tags {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TagsVisitor;

        impl<'de> Visitor<'de> for TagsVisitor {
            type Value = Tags;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of {key, value} tags or an object of tags")
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Tags, A::Error> {
                let mut tags = BTreeMap::new();
                while let Some(TagEntry { key, value }) = seq.next_element()? {
                    tags.insert(key, value);
                }
                Ok(Tags(tags))
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Tags, A::Error> {
                let mut tags = BTreeMap::new();
                while let Some((key, value)) = map.next_entry::<String, String>()? {
                    tags.insert(key, value);
                }
                Ok(Tags(tags))
            }

            fn visit_unit<E: de::Error>(self) -> Result<Tags, E> {
                Ok(Tags::default())
            }
        }

        deserializer.deserialize_any(TagsVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_accept_every_aws_shape() {
        let camel: Tags = serde_json::from_str(r#"[{"key":"a","value":"1"}]"#).unwrap();
        let pascal: Tags = serde_json::from_str(r#"[{"Key":"a","Value":"1"}]"#).unwrap();
        let object: Tags = serde_json::from_str(r#"{"a":"1"}"#).unwrap();
        assert_eq!(camel, pascal);
        assert_eq!(pascal, object);
        assert_eq!(object.get("a"), Some("1"));
        let none: Tags = serde_json::from_str("null").unwrap();
        assert_eq!(none, Tags::default());
    }

    #[test]
    fn tags_reject_a_string() {
        assert!(serde_json::from_str::<Tags>(r#""a=1""#).is_err());
    }
}
