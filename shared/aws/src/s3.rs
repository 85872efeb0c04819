//! sagefence's buckets: the audit trail ([`S3Trail`]: objects written with SSE-KMS under the
//! trail's key, markers written only if absent with `If-None-Match: *`, keys listed in order, as
//! S3 lists lexicographically and batch ids start with their sequence number) and the sweeper's
//! state ([`S3SweepState`]: one JSON object per shard). Each is its own type over one bucket.

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::ServerSideEncryption;
use aws_sdk_s3::Client;

use crate::error::{found, other, port_error, SdkResultExt};
use crate::pages::all_pages;
use crate::ports::{PortResult, SweepState, TrailReader, TrailWriter};
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
    async fn list_after(&self, prefix: &str, start_after: Option<&str>) -> PortResult<Vec<String>> {
        let call = self.client.list_objects_v2().bucket(&self.bucket).prefix(prefix);
        let pages = all_pages!("ListObjectsV2", call.set_start_after(start_after.map(str::to_owned)))?;
        let objects = pages.iter().flat_map(|page| page.contents());
        Ok(objects.filter_map(|o| o.key().map(str::to_owned)).collect())
    }

    async fn get_object(&self, key: &str) -> PortResult<Option<Vec<u8>>> {
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
        let bytes = answer
            .body
            .collect()
            .await
            .map_err(|e| other("GetObject", e.to_string()))?;
        Ok(Some(bytes.into_bytes().to_vec()))
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

/// S3 answers a conditional write whose condition fails with 412 Precondition Failed.
const PRECONDITION_FAILED: u16 = 412;

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
            self.0.put_if_absent(key, bytes.clone(), content_type)
        })
        .await
    }

    async fn last_key(&self, prefix: &str, start_after: Option<&str>) -> PortResult<Option<String>> {
        Ok(self.0.list_after(prefix, start_after).await?.pop())
    }

    async fn get(&self, key: &str) -> PortResult<Option<Vec<u8>>> {
        self.0.get_object(key).await
    }
}

impl Bucket {
    /// One `PutObject` with `If-None-Match: *`: whether it wrote (`false`: the key exists).
    async fn put_if_absent(&self, key: &str, bytes: Vec<u8>, content_type: &'static str) -> PortResult<bool> {
        match self.put_call(key, bytes, content_type).if_none_match("*").send().await {
            Ok(_) => Ok(true),
            Err(err) if err.raw_response().map(|r| r.status().as_u16()) == Some(PRECONDITION_FAILED) => Ok(false),
            Err(err) => Err(port_error("PutObject", &err)),
        }
    }
}

impl TrailReader for S3Trail {
    async fn list(&self, prefix: &str) -> PortResult<Vec<String>> {
        self.0.list_after(prefix, None).await
    }

    async fn get(&self, key: &str) -> PortResult<Option<Vec<u8>>> {
        self.0.get_object(key).await
    }
}

impl SweepState for S3SweepState {
    async fn load(&self, key: &str) -> PortResult<Option<Vec<u8>>> {
        self.0.get_object(key).await
    }

    async fn store(&self, key: &str, bytes: Vec<u8>) -> PortResult<()> {
        self.0.put(key, bytes, "application/json").await
    }
}
