//! The role builder port on the IAM SDK: project roles created with their trust policy and
//! tags, their inline policies put and read back, and deleted with everything attached.

use std::collections::BTreeMap;

use aws_sdk_iam::types::Tag;

use crate::error::{deleted, found, other, SdkResultExt};
use crate::iam::IamAdapter;
use crate::ports::{PortResult, RoleBuilder};

impl RoleBuilder for IamAdapter {
    async fn role_arn(&self, name: &str) -> PortResult<Option<String>> {
        let out = found(self.client.get_role().role_name(name).send().await.port("GetRole"))?;
        Ok(out.and_then(|o| o.role().map(|r| r.arn().to_owned())))
    }

    async fn create_role(&self, name: &str, trust_policy: &str, tags: &BTreeMap<String, String>) -> PortResult<String> {
        let op = "CreateRole";
        let tags = tags
            .iter()
            .map(|(k, v)| Tag::builder().key(k).value(v).build())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| other(op, e.to_string()))?;
        let out = self
            .client
            .create_role()
            .role_name(name)
            .assume_role_policy_document(trust_policy)
            .max_session_duration(3600)
            .set_tags(Some(tags))
            .send()
            .await
            .port(op)?;
        out.role()
            .map(|r| r.arn().to_owned())
            .ok_or_else(|| other(op, "answer has no `Role`"))
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
        let inline = found(
            self.client
                .list_role_policies()
                .role_name(name)
                .into_paginator()
                .items()
                .send()
                .collect::<Result<Vec<_>, _>>()
                .await
                .port("ListRolePolicies"),
        )?;
        let Some(inline) = inline else {
            return Ok(());
        };
        for policy in &inline {
            let call = self.client.delete_role_policy().role_name(name).policy_name(policy);
            deleted(call.send().await.port("DeleteRolePolicy"))?;
        }
        let attached = self
            .client
            .list_attached_role_policies()
            .role_name(name)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .port("ListAttachedRolePolicies")?;
        for policy in attached.iter().filter_map(|p| p.policy_arn()) {
            let call = self.client.detach_role_policy().role_name(name).policy_arn(policy);
            deleted(call.send().await.port("DetachRolePolicy"))?;
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
