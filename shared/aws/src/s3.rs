//! sagefence's buckets: the audit trail ([`S3Trail`]: objects written with SSE-KMS under the
//! trail's key, digests and markers written only if absent with `If-None-Match: *`, the head
//! pointer replaced only if unchanged with `If-Match`) and the sweeper's state
//! ([`S3SweepState`]: one JSON object per shard). Each is its own type over one bucket.

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::ServerSideEncryption;
use aws_sdk_s3::Client;

use crate::error::{found, other, port_error, SdkResultExt};
use crate::pages::all_pages;
use crate::ports::{PortResult, Stored, SweepState, TrailReader, TrailWriter};
use crate::remedy::{retrying, Backoff};

/// An S3 client on `sdk`. With an endpoint override (an emulator, `AWS_ENDPOINT_URL`) buckets
/// are addressed by path, since such an endpoint serves no per-bucket host names.
pub fn s3_client(sdk: &aws_types::SdkConfig) -> Client {
    let config = aws_sdk_s3::config::Builder::from(sdk)
        .force_path_style(sdk.endpoint_url().is_some())
        .build();
    Client::from_conf(config)
}

/// One bucket, its objects encrypted with `kms_key_id` when given.
#[derive(Debug, Clone)]
struct Bucket {
    client: Client,
    bucket: String,
    kms_key_id: Option<String>,
}

/// The audit trail in one bucket: [`TrailWriter`] and [`TrailReader`].
#[derive(Debug, Clone)]
pub struct S3Trail(Bucket);

impl S3Trail {
    /// The trail in `bucket`, writing with `kms_key_id` (`None` for read-only use).
    pub fn new(client: Client, bucket: impl Into<String>, kms_key_id: Option<String>) -> Self {
        Self(Bucket {
            client,
            bucket: bucket.into(),
            kms_key_id,
        })
    }
}

/// The sweeper's state in its own bucket: what the last sweep of each shard found failing, one
/// JSON object per shard, encrypted with `kms_key_id` when given.
#[derive(Debug, Clone)]
pub struct S3SweepState(Bucket);

impl S3SweepState {
    /// The state in `bucket`.
    pub fn new(client: Client, bucket: impl Into<String>, kms_key_id: Option<String>) -> Self {
        Self(Bucket {
            client,
            bucket: bucket.into(),
            kms_key_id,
        })
    }
}

impl Bucket {
    async fn list(&self, prefix: &str) -> PortResult<Vec<String>> {
        let call = self.client.list_objects_v2().bucket(&self.bucket).prefix(prefix);
        let pages = all_pages!("ListObjectsV2", call)?;
        let objects = pages.iter().flat_map(|page| page.contents());
        Ok(objects.filter_map(|o| o.key().map(str::to_owned)).collect())
    }

    async fn get_object(&self, key: &str) -> PortResult<Option<Stored>> {
        let answer = found(
            self.client
                .get_object()
                .bucket(&self.bucket)
                .key(key)
                .send()
                .await
                .port("GetObject"),
        )?;
        let Some(answer) = answer else {
            return Ok(None);
        };
        let etag = answer.e_tag().unwrap_or_default().to_owned();
        let bytes = answer
            .body
            .collect()
            .await
            .map_err(|e| other("GetObject", e.to_string()))?;
        Ok(Some(Stored {
            bytes: bytes.into_bytes().to_vec(),
            etag,
        }))
    }

    fn put_call(
        &self,
        key: &str,
        bytes: Vec<u8>,
        content_type: &'static str,
    ) -> aws_sdk_s3::operation::put_object::builders::PutObjectFluentBuilder {
        let call = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .body(ByteStream::from(bytes));
        match &self.kms_key_id {
            Some(kms_key_id) => call
                .server_side_encryption(ServerSideEncryption::AwsKms)
                .ssekms_key_id(kms_key_id),
            None => call,
        }
    }
}

/// S3 answers a conditional write whose condition fails with 412 Precondition Failed, and an
/// `If-Match` write to a key that no longer exists with 404.
const PRECONDITION_FAILED: u16 = 412;
const NOT_FOUND: u16 = 404;

impl Bucket {
    async fn put(&self, key: &str, bytes: Vec<u8>, content_type: &'static str) -> PortResult<()> {
        self.put_call(key, bytes, content_type)
            .send()
            .await
            .port("PutObject")
            .map(drop)
    }
}

impl TrailWriter for S3Trail {
    async fn put(&self, key: &str, bytes: Vec<u8>, content_type: &'static str) -> PortResult<()> {
        self.0.put(key, bytes, content_type).await
    }

    /// Retried while S3 answers 409 `ConditionalRequestConflict` (another conditional write to
    /// the key is in progress), as S3 asks.
    async fn put_new(&self, key: &str, bytes: Vec<u8>, content_type: &'static str) -> PortResult<bool> {
        retrying(&Backoff::default(), || {
            self.0
                .put_conditionally(key, bytes.clone(), content_type, Condition::Absent)
        })
        .await
    }

    async fn put_matching(
        &self,
        key: &str,
        bytes: Vec<u8>,
        content_type: &'static str,
        etag: &str,
    ) -> PortResult<bool> {
        retrying(&Backoff::default(), || {
            self.0
                .put_conditionally(key, bytes.clone(), content_type, Condition::Matches(etag))
        })
        .await
    }

    async fn keys_under(&self, prefix: &str) -> PortResult<Vec<String>> {
        self.0.list(prefix).await
    }

    async fn get(&self, key: &str) -> PortResult<Option<Stored>> {
        self.0.get_object(key).await
    }
}

/// The condition of a conditional write.
#[derive(Debug, Clone, Copy)]
enum Condition<'a> {
    /// `If-None-Match: *`.
    Absent,
    /// `If-Match: {etag}`.
    Matches(&'a str),
}

impl Bucket {
    /// One conditional `PutObject`: whether it wrote (`false`: the condition failed).
    async fn put_conditionally(
        &self,
        key: &str,
        bytes: Vec<u8>,
        content_type: &'static str,
        condition: Condition<'_>,
    ) -> PortResult<bool> {
        let call = self.put_call(key, bytes, content_type);
        let call = match condition {
            Condition::Absent => call.if_none_match("*"),
            Condition::Matches(etag) => call.if_match(etag),
        };
        match call.send().await {
            Ok(_) => Ok(true),
            Err(err) => match err.raw_response().map(|r| r.status().as_u16()) {
                Some(PRECONDITION_FAILED) => Ok(false),
                Some(NOT_FOUND) if matches!(condition, Condition::Matches(_)) => Ok(false),
                _ => Err(port_error("PutObject", &err)),
            },
        }
    }
}

impl TrailReader for S3Trail {
    async fn list(&self, prefix: &str) -> PortResult<Vec<String>> {
        self.0.list(prefix).await
    }

    async fn get(&self, key: &str) -> PortResult<Option<Vec<u8>>> {
        Ok(self.0.get_object(key).await?.map(|stored| stored.bytes))
    }
}

impl SweepState for S3SweepState {
    async fn load(&self, key: &str) -> PortResult<Option<Vec<u8>>> {
        Ok(self.0.get_object(key).await?.map(|stored| stored.bytes))
    }

    async fn store(&self, key: &str, bytes: Vec<u8>) -> PortResult<()> {
        self.0.put(key, bytes, "application/json").await
    }
}
