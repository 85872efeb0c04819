//! The key builder port on the KMS SDK: a project key created with its key policy and tags,
//! named by an alias, found again through it, and retired (alias deleted, key scheduled for
//! deletion).

use std::collections::BTreeMap;

use aws_sdk_kms::types::{KeySpec, KeyUsageType, Tag};

use crate::error::{all_built, answered, deleted, found, has_code, SdkResultExt};
use crate::kms::KmsAdapter;
use crate::ports::{KeyBuilder, KeyRef, PortErrorKind, PortResult};

impl KeyBuilder for KmsAdapter {
    async fn key_by_alias(&self, alias: &str) -> PortResult<Option<KeyRef>> {
        let op = "DescribeKey";
        let Some(out) = found(self.client.describe_key().key_id(alias).send().await.port(op))? else {
            return Ok(None);
        };
        let meta = answered(op, "KeyMetadata", out.key_metadata())?;
        Ok(Some(KeyRef {
            id: meta.key_id().to_owned(),
            arn: meta.arn().unwrap_or_default().to_owned(),
        }))
    }

    async fn create_key(&self, description: &str, policy: &str, tags: &BTreeMap<String, String>) -> PortResult<KeyRef> {
        let op = "CreateKey";
        let tags = all_built(
            op,
            tags.iter().map(|(k, v)| Tag::builder().tag_key(k).tag_value(v).build()),
        )?;
        let out = self
            .client
            .create_key()
            .description(description)
            .key_spec(KeySpec::SymmetricDefault)
            .key_usage(KeyUsageType::EncryptDecrypt)
            .policy(policy)
            .set_tags(Some(tags))
            .send()
            .await
            .port(op)?;
        let meta = answered(op, "KeyMetadata", out.key_metadata())?;
        Ok(KeyRef {
            id: meta.key_id().to_owned(),
            arn: meta.arn().unwrap_or_default().to_owned(),
        })
    }

    async fn create_alias(&self, alias: &str, key_id: &str) -> PortResult<()> {
        let call = self.client.create_alias().alias_name(alias).target_key_id(key_id);
        call.send().await.port("CreateAlias").map(drop)
    }

    async fn delete_alias(&self, alias: &str) -> PortResult<()> {
        deleted(
            self.client
                .delete_alias()
                .alias_name(alias)
                .send()
                .await
                .port("DeleteAlias"),
        )
    }

    async fn schedule_key_deletion(&self, key_id: &str, days: i32) -> PortResult<()> {
        let call = self
            .client
            .schedule_key_deletion()
            .key_id(key_id)
            .pending_window_in_days(days);
        match call.send().await.port("ScheduleKeyDeletion") {
            Ok(_) => Ok(()),
            Err(e) if e.kind == PortErrorKind::NotFound => Ok(()),
            Err(e) if e.kind == PortErrorKind::InvalidState && e.message.contains("pending deletion") => Ok(()),
            Err(e) if has_code(&e, "KMSInvalidStateException") && e.message.contains("PendingDeletion") => Ok(()),
            Err(e) => Err(e),
        }
    }
}
