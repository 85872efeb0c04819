//! The bucket builder port on the S3 SDK: project buckets created in the client's region with
//! their tags, protected (default SSE-KMS with bucket keys, every public access blocked, the
//! bucket policy), read back for the environment check, and deleted only when empty.

use std::collections::BTreeMap;

use aws_sdk_s3::types::{
    BucketLocationConstraint, CreateBucketConfiguration, PublicAccessBlockConfiguration, ServerSideEncryption,
    ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration, ServerSideEncryptionRule, Tag, Tagging,
};
use aws_sdk_s3::Client;

use crate::error::{found, has_code, other, SdkResultExt};
use crate::ports::{BucketBuilder, BucketProtection, PortErrorKind, PortResult};

/// [`BucketBuilder`] on an `aws_sdk_s3` client.
#[derive(Debug, Clone)]
pub struct S3Buckets {
    /// The S3 client.
    pub client: Client,
}

impl S3Buckets {
    /// An adapter on this client.
    pub fn new(client: Client) -> Self {
        Self { client }
    }
}

impl BucketBuilder for S3Buckets {
    async fn bucket_exists(&self, name: &str) -> PortResult<bool> {
        let out = found(self.client.head_bucket().bucket(name).send().await.port("HeadBucket"))?;
        Ok(out.is_some())
    }

    async fn create_bucket(&self, name: &str, tags: &BTreeMap<String, String>) -> PortResult<()> {
        let op = "CreateBucket";
        let region = self.client.config().region().map(|r| r.as_ref().to_owned());
        let configuration = region.filter(|r| r != "us-east-1").map(|r| {
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::from(r.as_str()))
                .build()
        });
        let created = self
            .client
            .create_bucket()
            .bucket(name)
            .set_create_bucket_configuration(configuration)
            .send()
            .await
            .port(op);
        match created {
            Err(e) if has_code(&e, "BucketAlreadyOwnedByYou") => {}
            created => {
                created?;
            }
        }
        let tags = tags
            .iter()
            .map(|(k, v)| Tag::builder().key(k).value(v).build())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| other("PutBucketTagging", e.to_string()))?;
        let tagging = Tagging::builder()
            .set_tag_set(Some(tags))
            .build()
            .map_err(|e| other("PutBucketTagging", e.to_string()))?;
        let call = self.client.put_bucket_tagging().bucket(name).tagging(tagging);
        call.send().await.port("PutBucketTagging").map(drop)
    }

    async fn protect_bucket(&self, name: &str, key_arn: &str, policy: &str) -> PortResult<()> {
        let op = "PutBucketEncryption";
        let default = ServerSideEncryptionByDefault::builder()
            .sse_algorithm(ServerSideEncryption::AwsKms)
            .kms_master_key_id(key_arn)
            .build()
            .map_err(|e| other(op, e.to_string()))?;
        let rule = ServerSideEncryptionRule::builder()
            .apply_server_side_encryption_by_default(default)
            .bucket_key_enabled(true)
            .build();
        let configuration = ServerSideEncryptionConfiguration::builder()
            .rules(rule)
            .build()
            .map_err(|e| other(op, e.to_string()))?;
        let call = self
            .client
            .put_bucket_encryption()
            .bucket(name)
            .server_side_encryption_configuration(configuration);
        call.send().await.port(op)?;
        let block = PublicAccessBlockConfiguration::builder()
            .block_public_acls(true)
            .ignore_public_acls(true)
            .block_public_policy(true)
            .restrict_public_buckets(true)
            .build();
        let call = self
            .client
            .put_public_access_block()
            .bucket(name)
            .public_access_block_configuration(block);
        call.send().await.port("PutPublicAccessBlock")?;
        let call = self.client.put_bucket_policy().bucket(name).policy(policy);
        call.send().await.port("PutBucketPolicy").map(drop)
    }

    async fn bucket_protection(&self, name: &str) -> PortResult<Option<BucketProtection>> {
        if !self.bucket_exists(name).await? {
            return Ok(None);
        }
        let encryption = self.client.get_bucket_encryption().bucket(name).send().await;
        let kms_key = match encryption.port("GetBucketEncryption") {
            Ok(out) => out
                .server_side_encryption_configuration()
                .into_iter()
                .flat_map(|c| c.rules())
                .filter_map(|r| r.apply_server_side_encryption_by_default())
                .find(|d| d.sse_algorithm() == &ServerSideEncryption::AwsKms)
                .and_then(|d| d.kms_master_key_id().map(str::to_owned)),
            Err(e)
                if e.kind == PortErrorKind::NotFound
                    || has_code(&e, "ServerSideEncryptionConfigurationNotFoundError") =>
            {
                None
            }
            Err(e) => return Err(e),
        };
        let block = self.client.get_public_access_block().bucket(name).send().await;
        let public_access_blocked = match block.port("GetPublicAccessBlock") {
            Ok(out) => out.public_access_block_configuration().is_some_and(|c| {
                c.block_public_acls() == Some(true)
                    && c.ignore_public_acls() == Some(true)
                    && c.block_public_policy() == Some(true)
                    && c.restrict_public_buckets() == Some(true)
            }),
            Err(e) if e.kind == PortErrorKind::NotFound => false,
            Err(e) => return Err(e),
        };
        let policy = found(
            self.client
                .get_bucket_policy()
                .bucket(name)
                .send()
                .await
                .port("GetBucketPolicy"),
        )?
        .and_then(|o| o.policy().map(str::to_owned));
        Ok(Some(BucketProtection {
            kms_key,
            public_access_blocked,
            policy,
        }))
    }

    async fn delete_empty_bucket(&self, name: &str) -> PortResult<bool> {
        let listed = self.client.list_objects_v2().bucket(name).max_keys(1).send().await;
        match found(listed.port("ListObjectsV2"))? {
            None => return Ok(true),
            Some(page) if !page.contents().is_empty() => return Ok(false),
            Some(_) => {}
        }
        match self
            .client
            .delete_bucket()
            .bucket(name)
            .send()
            .await
            .port("DeleteBucket")
        {
            Ok(_) => Ok(true),
            Err(e) if e.kind == PortErrorKind::NotFound => Ok(true),
            Err(e) if has_code(&e, "BucketNotEmpty") => Ok(false),
            Err(e) => Err(e),
        }
    }
}
