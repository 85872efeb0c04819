//! Support for the audit-shipper's integration tests and the demo: the shipper on the real S3
//! (SSE-KMS) and Security Hub adapters of an [`Emulator`], with its trail bucket and key, and the
//! audit queue the functions' [`SqsAuditSink`] sends to, drained into the SQS events Lambda
//! would deliver.

use aws_sdk_s3::types::{BucketLocationConstraint, CreateBucketConfiguration};
use aws_sdk_securityhub::types::AwsSecurityFinding;
use chrono::Utc;
use sagefence_audit::trail;
use sagefence_audit_shipper::{Settings, Shipper, ShipperError};
use sagefence_aws::ports::TrailReader;
use sagefence_aws::{S3Trail, SecurityHubImporter, SqsAuditSink};
use serde_json::{json, Value};

use crate::error::{aws, missing};
use crate::world::{create_queue, delete_message, ACCOUNT};
use crate::SupportError;
use crate::{Emulator, REGION};

/// The trail's bucket.
pub const TRAIL_BUCKET: &str = "sagefence-trail";
/// The trail's key prefix.
pub const TRAIL_PREFIX: &str = "audit/";
/// The audit queue's name.
pub const AUDIT_QUEUE: &str = "sagefence-audit";
/// SQS hands Lambda at most this many messages per batch (the event source mapping's default).
const BATCH_SIZE: i32 = 10;

/// Why the shipper could not be set up or run.
#[derive(Debug, thiserror::Error)]
pub enum AuditTrailError {
    /// Setting up or reading back failed.
    #[error(transparent)]
    Support(#[from] SupportError),
    /// The shipper refused an invocation.
    #[error("the audit-shipper failed: {0}")]
    Shipper(#[from] ShipperError),
}

/// The audit-shipper as the tests and the demo drive it.
pub type EmulatedShipper = Shipper<S3Trail, SecurityHubImporter, Vec<u8>>;

/// The audit-shipper on an emulator: its trail (bucket, KMS key), Security Hub and audit queue.
#[derive(Debug)]
pub struct AuditTrail {
    /// The shipper, on the real adapters.
    pub shipper: EmulatedShipper,
    /// S3, path-style as the emulator serves it.
    pub s3: aws_sdk_s3::Client,
    /// Security Hub.
    pub securityhub: aws_sdk_securityhub::Client,
    /// SQS.
    pub sqs: aws_sdk_sqs::Client,
    /// The audit queue.
    pub queue_url: String,
    /// The trail's KMS key (ARN).
    pub key_arn: String,
}

impl AuditTrail {
    /// Enables Security Hub, creates the bucket, the trail key and the audit queue, and the
    /// shipper writing to them.
    pub async fn create(emulator: &Emulator) -> Result<AuditTrail, AuditTrailError> {
        let config = emulator.sdk_config();
        let s3 = sagefence_aws::s3_client(&config);
        s3.create_bucket()
            .bucket(TRAIL_BUCKET)
            .create_bucket_configuration(
                CreateBucketConfiguration::builder()
                    .location_constraint(BucketLocationConstraint::from(REGION))
                    .build(),
            )
            .send()
            .await
            .map_err(aws("CreateBucket"))?;
        let key = emulator.kms().create_key().send().await.map_err(aws("CreateKey"))?;
        let key_arn = key
            .key_metadata()
            .and_then(|k| k.arn())
            .ok_or_else(|| missing("CreateKey", "KeyMetadata.Arn"))?
            .to_owned();
        let sqs = aws_sdk_sqs::Client::new(&config);
        let queue_url = create_queue(&sqs, AUDIT_QUEUE).await?;
        let securityhub = aws_sdk_securityhub::Client::new(&config);
        securityhub
            .enable_security_hub()
            .send()
            .await
            .map_err(aws("EnableSecurityHub"))?;
        let shipper = Shipper::new(
            S3Trail::new(s3.clone(), TRAIL_BUCKET, Some(key_arn.clone())),
            SecurityHubImporter::new(securityhub.clone()),
            Settings {
                prefix: TRAIL_PREFIX.into(),
                account: ACCOUNT.into(),
                region: REGION.into(),
            },
            Vec::new(),
        );
        Ok(AuditTrail {
            shipper,
            s3,
            securityhub,
            sqs,
            queue_url,
            key_arn,
        })
    }

    /// The audit sink a function's `main` builds when `SAGEFENCE_AUDIT_QUEUE_URL` names the queue.
    pub fn sink(&self) -> SqsAuditSink {
        SqsAuditSink::new(self.sqs.clone(), self.queue_url.clone())
    }

    /// Receives up to one batch from the queue, as the SQS event Lambda would deliver (`None`
    /// when the queue is empty), with the receipt handles to delete.
    pub async fn receive(&self) -> Result<Option<(Vec<u8>, Vec<(String, String)>)>, AuditTrailError> {
        let answer = self
            .sqs
            .receive_message()
            .queue_url(&self.queue_url)
            .max_number_of_messages(BATCH_SIZE)
            .message_attribute_names("All")
            .send()
            .await
            .map_err(aws("ReceiveMessage"))?;
        let messages = answer.messages();
        if messages.is_empty() {
            return Ok(None);
        }
        let mut records = Vec::new();
        let mut handles = Vec::new();
        for message in messages {
            let id = message.message_id().unwrap_or_default();
            let handle = message.receipt_handle().unwrap_or_default();
            let attributes: serde_json::Map<String, Value> = message
                .message_attributes()
                .into_iter()
                .flatten()
                .map(|(name, value)| {
                    (
                        name.clone(),
                        json!({"stringValue": value.string_value(), "dataType": value.data_type()}),
                    )
                })
                .collect();
            records.push(json!({
                "messageId": id,
                "receiptHandle": handle,
                "body": message.body(),
                "md5OfBody": message.md5_of_body(),
                "messageAttributes": attributes,
                "eventSource": "aws:sqs",
                "awsRegion": REGION,
            }));
            handles.push((id.to_owned(), handle.to_owned()));
        }
        let event = serde_json::to_vec(&json!({ "Records": records })).map_err(|source| SupportError::Json {
            what: "an SQS event".into(),
            source,
        })?;
        Ok(Some((event, handles)))
    }

    /// Hands every batch on the queue to the shipper and deletes the messages it shipped (those
    /// not in `batchItemFailures`), as Lambda's event source mapping does; answers each SQS
    /// event delivered with the shipper's answer.
    pub async fn ship_queue(&self) -> Result<Vec<(Vec<u8>, Value)>, AuditTrailError> {
        let mut answers = Vec::new();
        while let Some((event, handles)) = self.receive().await? {
            let answer = self.shipper.handle(&event, Utc::now()).await?;
            let failed: Vec<&str> = answer
                .get("batchItemFailures")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|f| f.get("itemIdentifier").and_then(Value::as_str))
                .collect();
            for (id, handle) in &handles {
                if !failed.contains(&id.as_str()) {
                    delete_message(&self.sqs, &self.queue_url, handle).await?;
                }
            }
            let stop = !failed.is_empty();
            answers.push((event, answer));
            if stop {
                break;
            }
        }
        Ok(answers)
    }

    /// Every batch and digest of the trail, key and bytes, in key order.
    pub async fn chain_objects(&self) -> Result<Vec<(String, Vec<u8>)>, AuditTrailError> {
        let reader = S3Trail::new(self.s3.clone(), TRAIL_BUCKET, None);
        let keys = reader.list(TRAIL_PREFIX).await.map_err(|e| SupportError::Aws {
            operation: "ListObjectsV2",
            message: e.to_string(),
        })?;
        let mut out = Vec::new();
        for key in keys.into_iter().filter(|k| trail::is_chain_object(k)) {
            let bytes = TrailReader::get(&reader, &key)
                .await
                .map_err(|e| SupportError::Aws {
                    operation: "GetObject",
                    message: e.to_string(),
                })?
                .ok_or_else(|| missing("GetObject", "Body"))?;
            out.push((key, bytes));
        }
        Ok(out)
    }

    /// The OCSF records of the trail, batch by batch.
    pub async fn records(&self) -> Result<Vec<Value>, AuditTrailError> {
        let mut out = Vec::new();
        for (key, bytes) in self.chain_objects().await? {
            if !key.ends_with(".json.gz") {
                continue;
            }
            let lines = trail::gunzip(&bytes).map_err(|source| SupportError::Fixture {
                path: key.clone().into(),
                source,
            })?;
            for line in lines.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
                out.push(serde_json::from_slice(line).map_err(|source| SupportError::Json {
                    what: key.clone(),
                    source,
                })?);
            }
        }
        Ok(out)
    }

    /// Every finding in Security Hub.
    pub async fn findings(&self) -> Result<Vec<AwsSecurityFinding>, AuditTrailError> {
        let answer = self
            .securityhub
            .get_findings()
            .send()
            .await
            .map_err(aws("GetFindings"))?;
        Ok(answer.findings().to_vec())
    }
}
