//! Shards: one account x region x resource type, the unit a sweeper invocation sweeps. A
//! scheduled sweep plans them and fans them out through SQS; each message names one.

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

/// One account x region x resource type to sweep.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Shard {
    /// The account id.
    pub account: String,
    /// The region.
    pub region: String,
    /// The resource type.
    #[serde(rename = "type")]
    pub resource_type: ResourceType,
    /// The member role to assume in the account; `None` in the sweeper's own account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
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

impl Organisation {
    /// The role to assume in `account`; `None` in the home account.
    pub fn role_arn(&self, account: &str) -> Option<String> {
        (account != self.home_account).then(|| format!("arn:aws:iam::{account}:role/{}", self.member_role_name))
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
                    role_arn: organisation.role_arn(account),
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
        let home = shards.iter().filter(|s| s.account == "111111111111");
        assert!(home.clone().all(|s| s.role_arn.is_none()));
        assert_eq!(home.count(), 25);
        assert!(shards
            .iter()
            .filter(|s| s.account == "222222222222")
            .all(|s| s.role_arn.as_deref() == Some("arn:aws:iam::222222222222:role/sagefence-sweeper-member")));
    }

    #[test]
    fn a_shard_round_trips_as_a_message() {
        let shard = Shard {
            account: "111111111111".into(),
            region: "eu-west-1".into(),
            resource_type: ResourceType::TuningJobs,
            role_arn: None,
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
