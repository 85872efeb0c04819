//! Shards: one account x region x resource type, the unit a sweeper invocation sweeps. A
//! scheduled sweep plans them and fans them out through SQS; each message names one. A shard
//! names no role: the sweeper derives the role from its own settings and the shard's account,
//! which must be its own or a configured member account.

use sagefence_core::model::ResourceKind;
use serde::{Deserialize, Serialize};

/// One account x region x resource type to sweep; a message with any other field is refused.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Shard {
    /// The account id.
    pub account: String,
    /// The region.
    pub region: String,
    /// The resource type.
    #[serde(rename = "type", with = "plural")]
    pub resource_type: ResourceKind,
}

impl Shard {
    /// Where the shard's last failing findings are kept.
    pub fn state_key(&self) -> String {
        format!(
            "sweeps/{}/{}/{}.json",
            self.account,
            self.region,
            self.resource_type.plural()
        )
    }
}

/// A shard's resource kind by its plural name (`notebooks`), as messages name it.
mod plural {
    use sagefence_core::model::ResourceKind;
    use serde::{de, Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(kind: &ResourceKind, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(kind.plural())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<ResourceKind, D::Error> {
        let name = String::deserialize(deserializer)?;
        ResourceKind::from_plural(&name).ok_or_else(|| de::Error::custom(format!("unknown resource type `{name}`")))
    }
}

/// Which accounts a sweep covers and how it gets into them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Organisation {
    /// The sweeper's own account (no role to assume there).
    pub home_account: String,
    /// Further member accounts.
    pub member_accounts: Vec<String>,
    /// The role name the sweeper assumes in each member account.
    pub member_role_name: String,
}

/// Why a shard's account is not swept.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountError {
    /// Not twelve digits.
    #[error("`{0}` is not an account id")]
    Malformed(String),
    /// Neither the sweeper's own account nor a configured member account.
    #[error("account `{0}` is not one the sweeper covers")]
    Foreign(String),
}

impl Organisation {
    /// The role to assume in `account`: `None` in the home account, the member role in a
    /// configured member account; any other account, or a malformed id, is refused.
    pub fn role_arn(&self, account: &str) -> Result<Option<String>, AccountError> {
        if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
            return Err(AccountError::Malformed(account.to_owned()));
        }
        if account == self.home_account {
            Ok(None)
        } else if self.member_accounts.iter().any(|m| m == account) {
            Ok(Some(format!("arn:aws:iam::{account}:role/{}", self.member_role_name)))
        } else {
            Err(AccountError::Foreign(account.to_owned()))
        }
    }

    /// The home account, then every member account, once each.
    pub fn accounts(&self) -> Vec<String> {
        let mut accounts = vec![self.home_account.clone()];
        for account in &self.member_accounts {
            if !accounts.contains(account) {
                accounts.push(account.clone());
            }
        }
        accounts
    }
}

/// Every shard of the organisation's accounts in these regions and of these types; global
/// types only in the first region.
pub fn plan_shards(organisation: &Organisation, regions: &[String], types: &[ResourceKind]) -> Vec<Shard> {
    let mut shards = Vec::new();
    for account in &organisation.accounts() {
        for (i, region) in regions.iter().enumerate() {
            for &resource_type in types {
                if resource_type.is_global() && i > 0 {
                    continue;
                }
                shards.push(Shard {
                    account: account.clone(),
                    region: region.clone(),
                    resource_type,
                });
            }
        }
    }
    shards
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_cover_accounts_regions_and_types_with_global_types_once() {
        let organisation = Organisation {
            home_account: "111111111111".to_owned(),
            member_accounts: vec!["222222222222".to_owned(), "111111111111".to_owned()],
            member_role_name: "sagefence-sweeper-member".to_owned(),
        };
        let regions = vec!["eu-west-1".to_owned(), "eu-central-1".to_owned()];
        let shards = plan_shards(&organisation, &regions, ResourceKind::SWEPT);
        assert_eq!(shards.len(), 2 * (2 * 12 + 1));
        let roles: Vec<_> = shards
            .iter()
            .filter(|s| s.resource_type == ResourceKind::Role)
            .collect();
        assert_eq!(roles.len(), 2);
        assert!(roles.iter().all(|s| s.region == "eu-west-1"));
        assert_eq!(shards.iter().filter(|s| s.account == "111111111111").count(), 25);
        assert_eq!(organisation.role_arn("111111111111"), Ok(None));
        assert_eq!(
            organisation.role_arn("222222222222").unwrap().as_deref(),
            Some("arn:aws:iam::222222222222:role/sagefence-sweeper-member")
        );
    }

    #[test]
    fn a_shard_naming_a_role_or_a_foreign_account_is_refused() {
        let organisation = Organisation {
            home_account: "111111111111".to_owned(),
            member_accounts: vec!["222222222222".to_owned()],
            member_role_name: "sagefence-sweeper-member".to_owned(),
        };
        let forged = r#"{"account":"111111111111","region":"eu-west-1","type":"models","role_arn":"arn:aws:iam::999999999999:role/x"}"#;
        assert!(serde_json::from_str::<Shard>(forged).is_err());
        assert_eq!(
            organisation.role_arn("999999999999"),
            Err(AccountError::Foreign("999999999999".into()))
        );
        for bad in ["", "1111", "11111111111x", "111111111111:role/x"] {
            assert_eq!(organisation.role_arn(bad), Err(AccountError::Malformed(bad.into())));
        }
    }

    #[test]
    fn a_shard_round_trips_as_a_message() {
        let shard = Shard {
            account: "111111111111".into(),
            region: "eu-west-1".into(),
            resource_type: ResourceKind::HyperParameterTuningJob,
        };
        let text = serde_json::to_string(&shard).unwrap();
        assert_eq!(
            text,
            r#"{"account":"111111111111","region":"eu-west-1","type":"tuning-jobs"}"#
        );
        assert_eq!(serde_json::from_str::<Shard>(&text).unwrap(), shard);
        assert_eq!(shard.state_key(), "sweeps/111111111111/eu-west-1/tuning-jobs.json");
    }

    #[test]
    fn names_round_trip() {
        for t in ResourceKind::SWEPT {
            assert_eq!(ResourceKind::from_plural(t.plural()), Some(*t));
        }
        assert_eq!(ResourceKind::from_plural("buckets"), None);
    }
}
