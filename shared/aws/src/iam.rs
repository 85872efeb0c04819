//! The roles port on the IAM SDK: GetRole, ListRoleTags and the role's attached and inline
//! policies, each judged on what it grants beyond least privilege; DetachRolePolicy and DeleteRolePolicy
//! remove one.

use std::collections::BTreeMap;

use aws_sdk_iam::Client;

use crate::error::{answered, found, other, SdkResultExt};
use crate::pages::all_items;
use crate::ports::{PortResult, RoleInventory, Roles};
use sagefence_core::model::Tags;
use sagefence_core::model::{excess_grants, Role, RolePolicy, ADMINISTRATOR_ACCESS};

/// [`Roles`] on an `aws_sdk_iam` client.
#[derive(Debug, Clone)]
pub struct IamAdapter {
    /// The IAM client.
    pub client: Client,
}

impl IamAdapter {
    /// An adapter on this client.
    pub fn new(client: Client) -> Self {
        Self { client }
    }

    /// The role, its tags and its policies; a `NotFound` error when it is gone.
    async fn read_role(&self, name: &str) -> PortResult<Role> {
        let op = "GetRole";
        let out = self.client.get_role().role_name(name).send().await.port(op)?;
        let role = answered(op, "Role", out.role())?;
        let mut policies = self.managed_policies(name).await?;
        policies.extend(self.inline_policies(name).await?);
        Ok(Role {
            name: role.role_name().to_owned(),
            arn: role.arn().to_owned(),
            tags: self.tags(name).await?,
            policies,
        })
    }

    async fn tags(&self, role_name: &str) -> PortResult<Tags> {
        let tags = all_items!("ListRoleTags", self.client.list_role_tags().role_name(role_name))?;
        Ok(tags.iter().map(|t| (t.key(), t.value())).collect())
    }

    /// The role's attached managed policies, judged by their default version.
    async fn managed_policies(&self, role_name: &str) -> PortResult<Vec<RolePolicy>> {
        let attached = all_items!(
            "ListAttachedRolePolicies",
            self.client.list_attached_role_policies().role_name(role_name)
        )?;
        let mut policies = Vec::new();
        for arn in attached.iter().filter_map(|p| p.policy_arn()) {
            policies.push(RolePolicy {
                id: arn.to_owned(),
                managed: true,
                excess: if arn == ADMINISTRATOR_ACCESS {
                    vec!["AdministratorAccess allows every action".to_owned()]
                } else {
                    self.managed_excess(arn).await?
                },
            });
        }
        Ok(policies)
    }

    /// What a managed policy's default version grants beyond least privilege; nothing when it
    /// is gone.
    async fn managed_excess(&self, arn: &str) -> PortResult<Vec<String>> {
        let policy = found(self.client.get_policy().policy_arn(arn).send().await.port("GetPolicy"))?;
        let Some(version) = policy.as_ref().and_then(|p| p.policy()?.default_version_id()) else {
            return Ok(Vec::new());
        };
        let call = self.client.get_policy_version().policy_arn(arn).version_id(version);
        let out = found(call.send().await.port("GetPolicyVersion"))?;
        let document = out.as_ref().and_then(|o| o.policy_version()?.document());
        Ok(document.map(excess_grants).unwrap_or_default())
    }

    /// The role's inline policies, judged.
    async fn inline_policies(&self, role_name: &str) -> PortResult<Vec<RolePolicy>> {
        let names = all_items!(
            "ListRolePolicies",
            self.client.list_role_policies().role_name(role_name)
        )?;
        let mut policies = Vec::new();
        for name in names {
            let call = self.client.get_role_policy().role_name(role_name).policy_name(&name);
            let Some(out) = found(call.send().await.port("GetRolePolicy"))? else {
                continue;
            };
            policies.push(RolePolicy {
                id: name,
                managed: false,
                excess: excess_grants(out.policy_document()),
            });
        }
        Ok(policies)
    }
}

impl Roles for IamAdapter {
    async fn role(&self, name: &str) -> PortResult<Option<Role>> {
        found(self.read_role(name).await)
    }

    async fn detach_policy(&self, role_name: &str, policy_arn: &str) -> PortResult<()> {
        let call = self.client.detach_role_policy().role_name(role_name);
        let call = call.policy_arn(policy_arn);
        call.send().await.port("DetachRolePolicy").map(drop)
    }

    async fn delete_inline_policy(&self, role_name: &str, policy_name: &str) -> PortResult<()> {
        let call = self.client.delete_role_policy().role_name(role_name);
        let call = call.policy_name(policy_name);
        call.send().await.port("DeleteRolePolicy").map(drop)
    }

    async fn tag(&self, role_name: &str, tags: &BTreeMap<String, String>) -> PortResult<()> {
        let mut call = self.client.tag_role().role_name(role_name);
        for (key, value) in tags {
            let tag = aws_sdk_iam::types::Tag::builder().key(key).value(value).build();
            call = call.tags(tag.map_err(|e| other("TagRole", e.to_string()))?);
        }
        call.send().await.port("TagRole").map(drop)
    }

    async fn untag(&self, role_name: &str, keys: &[String]) -> PortResult<()> {
        let call = self
            .client
            .untag_role()
            .role_name(role_name)
            .set_tag_keys(Some(keys.to_vec()));
        call.send().await.port("UntagRole").map(drop)
    }
}

/// Roles whose tags are read at once while listing.
const TAG_READS_IN_FLIGHT: usize = 8;

impl RoleInventory for IamAdapter {
    async fn tagged_role_names(&self, tag_key: &str) -> PortResult<Vec<String>> {
        use futures_util::stream::{self, StreamExt, TryStreamExt};

        let roles = all_items!("ListRoles", self.client.list_roles())?;
        let names: Vec<String> = roles.iter().map(|r| r.role_name().to_owned()).collect();
        let tagged: Vec<Option<String>> = stream::iter(names)
            .map(|name| async move {
                let tags = found(self.tags(&name).await)?;
                Ok(tags.filter(|t| t.get(tag_key).is_some()).map(|_| name))
            })
            .buffered(TAG_READS_IN_FLIGHT)
            .try_collect()
            .await?;
        Ok(tagged.into_iter().flatten().collect())
    }
}
