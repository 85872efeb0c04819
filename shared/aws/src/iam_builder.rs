//! The role builder port on the IAM SDK: project roles created with their trust policy and
//! tags, their inline policies put and read back, and deleted with everything attached.

use aws_sdk_iam::types::Tag;

use crate::error::{all_built, answered, deleted, found, SdkResultExt};
use crate::iam::IamAdapter;
use crate::pages::all_items;
use crate::ports::{NewRole, PortResult, RoleBuilder, Roles};

impl RoleBuilder for IamAdapter {
    async fn role_arn(&self, name: &str) -> PortResult<Option<String>> {
        let out = found(self.client.get_role().role_name(name).send().await.port("GetRole"))?;
        Ok(out.and_then(|o| o.role().map(|r| r.arn().to_owned())))
    }

    async fn create_role(&self, role: &NewRole<'_>) -> PortResult<String> {
        let op = "CreateRole";
        let tags = all_built(
            op,
            role.tags.iter().map(|(k, v)| Tag::builder().key(k).value(v).build()),
        )?;
        let out = self
            .client
            .create_role()
            .role_name(role.name)
            .path(role.path)
            .assume_role_policy_document(role.trust_policy)
            .set_permissions_boundary(role.permissions_boundary.map(str::to_owned))
            .max_session_duration(3600)
            .set_tags(Some(tags))
            .send()
            .await
            .port(op)?;
        answered(op, "Role", out.role()).map(|r| r.arn().to_owned())
    }

    async fn put_role_policy(&self, role_name: &str, policy_name: &str, document: &str) -> PortResult<()> {
        let call = self
            .client
            .put_role_policy()
            .role_name(role_name)
            .policy_name(policy_name)
            .policy_document(document);
        call.send().await.port("PutRolePolicy").map(drop)
    }

    async fn role_policy(&self, role_name: &str, policy_name: &str) -> PortResult<Option<String>> {
        let call = self
            .client
            .get_role_policy()
            .role_name(role_name)
            .policy_name(policy_name);
        let out = found(call.send().await.port("GetRolePolicy"))?;
        Ok(out.map(|o| o.policy_document().to_owned()))
    }

    async fn delete_role(&self, name: &str) -> PortResult<()> {
        let inline = found(all_items!(
            "ListRolePolicies",
            self.client.list_role_policies().role_name(name)
        ))?;
        let Some(inline) = inline else {
            return Ok(());
        };
        for policy in &inline {
            deleted(self.delete_inline_policy(name, policy).await)?;
        }
        let attached = all_items!(
            "ListAttachedRolePolicies",
            self.client.list_attached_role_policies().role_name(name)
        )?;
        for policy in attached.iter().filter_map(|p| p.policy_arn()) {
            deleted(self.detach_policy(name, policy).await)?;
        }
        deleted(
            self.client
                .delete_role()
                .role_name(name)
                .send()
                .await
                .port("DeleteRole"),
        )
    }
}
