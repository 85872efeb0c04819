//! Shards: one account x region x resource type, the unit a sweeper invocation sweeps. A
//! scheduled sweep plans them and fans them out through SQS; each message names one. A shard
//! names no role: the sweeper derives the role from its own settings and the shard's account,
//! which must be its own or a configured member account.

use serde::{Deserialize, Serialize};

/// The kinds of resources a sweep lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ResourceType {
    /// Notebook instances.
    Notebooks,
    /// InProgress training jobs.
    TrainingJobs,
    /// InProgress processing jobs.
    ProcessingJobs,
    /// InProgress transform jobs.
    TransformJobs,
    /// InProgress hyperparameter tuning jobs.
    TuningJobs,
    /// Models.
    Models,
    /// Endpoint configurations.
    EndpointConfigs,
    /// Studio domains.
    Domains,
    /// Project VPCs.
    Vpcs,
    /// Subnets of project VPCs.
    Subnets,
    /// Security groups of project VPCs.
    SecurityGroups,
    /// Project KMS keys.
    KmsKeys,
    /// Project roles (IAM is global: swept once per account).
    Roles,
}

impl ResourceType {
    /// Every resource type, in sweep order.
    pub const ALL: &'static [ResourceType] = &[
        ResourceType::Notebooks,
        ResourceType::TrainingJobs,
        ResourceType::ProcessingJobs,
        ResourceType::TransformJobs,
        ResourceType::TuningJobs,
        ResourceType::Models,
        ResourceType::EndpointConfigs,
        ResourceType::Domains,
        ResourceType::Vpcs,
        ResourceType::Subnets,
        ResourceType::SecurityGroups,
        ResourceType::KmsKeys,
        ResourceType::Roles,
    ];

    /// The kebab-case name, as in messages and settings.
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceType::Notebooks => "notebooks",
            ResourceType::TrainingJobs => "training-jobs",
            ResourceType::ProcessingJobs => "processing-jobs",
            ResourceType::TransformJobs => "transform-jobs",
            ResourceType::TuningJobs => "tuning-jobs",
            ResourceType::Models => "models",
            ResourceType::EndpointConfigs => "endpoint-configs",
            ResourceType::Domains => "domains",
            ResourceType::Vpcs => "vpcs",
            ResourceType::Subnets => "subnets",
            ResourceType::SecurityGroups => "security-groups",
            ResourceType::KmsKeys => "kms-keys",
            ResourceType::Roles => "roles",
        }
    }

    /// Looks a type up by its name.
    pub fn from_name(name: &str) -> Option<ResourceType> {
        ResourceType::ALL.iter().copied().find(|t| t.as_str() == name)
    }

    /// Whether the type is global (IAM), swept in one region only.
    pub fn is_global(self) -> bool {
        self == ResourceType::Roles
    }
}

/// One account x region x resource type to sweep; a message with any other field is refused.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Shard {
    /// The account id.
    pub account: String,
    /// The region.
    pub region: String,
    /// The resource type.
    #[serde(rename = "type")]
    pub resource_type: ResourceType,
}

impl Shard {
    /// Where the shard's last failing findings are kept.
    pub fn state_key(&self) -> String {
        format!(
            "sweeps/{}/{}/{}.json",
            self.account,
            self.region,
            self.resource_type.as_str()
        )
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
pub fn plan_shards(organisation: &Organisation, regions: &[String], types: &[ResourceType]) -> Vec<Shard> {
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
        let shards = plan_shards(&organisation, &regions, ResourceType::ALL);
        assert_eq!(shards.len(), 2 * (2 * 12 + 1));
        let roles: Vec<_> = shards
            .iter()
            .filter(|s| s.resource_type == ResourceType::Roles)
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
            resource_type: ResourceType::TuningJobs,
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
        for t in ResourceType::ALL {
            assert_eq!(ResourceType::from_name(t.as_str()), Some(*t));
        }
        assert_eq!(ResourceType::from_name("buckets"), None);
    }
}
