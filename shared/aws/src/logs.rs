//! The log group port on the CloudWatch Logs SDK: the project's flow-log group created with its
//! KMS key, retention and tags, read back, and deleted.

use std::collections::BTreeMap;

use aws_sdk_cloudwatchlogs::Client;

use crate::error::{deleted, has_code, SdkResultExt};
use crate::pages::all_items;
use crate::ports::{LogGroups, PortResult};

/// [`LogGroups`] on an `aws_sdk_cloudwatchlogs` client.
#[derive(Debug, Clone)]
pub struct LogsAdapter {
    /// The CloudWatch Logs client.
    pub client: Client,
}

impl LogsAdapter {
    /// An adapter on this client.
    pub fn new(client: Client) -> Self {
        Self { client }
    }
}

impl LogGroups for LogsAdapter {
    async fn create_log_group(
        &self,
        name: &str,
        kms_key_arn: &str,
        retention_days: i32,
        tags: &BTreeMap<String, String>,
    ) -> PortResult<()> {
        let created = self
            .client
            .create_log_group()
            .log_group_name(name)
            .kms_key_id(kms_key_arn)
            .set_tags(Some(tags.clone().into_iter().collect()))
            .send()
            .await
            .port("CreateLogGroup");
        match created {
            Err(e) if has_code(&e, "ResourceAlreadyExistsException") => {}
            created => {
                created?;
            }
        }
        let call = self
            .client
            .put_retention_policy()
            .log_group_name(name)
            .retention_in_days(retention_days);
        call.send().await.port("PutRetentionPolicy").map(drop)
    }

    async fn log_group_key(&self, name: &str) -> PortResult<Option<Option<String>>> {
        let groups = all_items!(
            "DescribeLogGroups",
            self.client.describe_log_groups().log_group_name_prefix(name)
        )?;
        Ok(groups
            .iter()
            .find(|g| g.log_group_name() == Some(name))
            .map(|g| g.kms_key_id().map(str::to_owned)))
    }

    async fn delete_log_group(&self, name: &str) -> PortResult<()> {
        let call = self.client.delete_log_group().log_group_name(name);
        deleted(call.send().await.port("DeleteLogGroup"))
    }
}
