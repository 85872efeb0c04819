//! Support for the audit-shipper's integration tests and the demo: the shipper on the real S3
//! (SSE-KMS) and Security Hub adapters of an [`Emulator`], with its trail bucket and key, and the
//! audit queue the functions' [`SqsAuditSink`] sends to, drained into the SQS events Lambda
//! would deliver.

use aws_sdk_s3::types::{BucketLocationConstraint, CreateBucketConfiguration};
use aws_sdk_securityhub::types::AwsSecurityFinding;
use chrono::Utc;
use sagefence_audit::trail;
use sagefence_audit_shipper::{Settings, Shipper, ShipperError};
use sagefence_aws::ports::{DigestSigner, PortError, PortErrorKind, PortResult, TrailReader};
use sagefence_aws::{KmsSigner, S3Trail, SecurityHubImporter, SqsAuditSink};
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

/// A P-256 signing key in memory that signs as KMS `Sign` does (DER ECDSA over SHA-256), for
/// the in-memory tests and benchmarks; the emulator's KMS signs everywhere else.
#[derive(Debug)]
pub struct LocalSigner {
    pair: aws_lc_rs::signature::EcdsaKeyPair,
    /// The public key, DER, as `GetPublicKey` answers it.
    pub public_key: Vec<u8>,
}

impl LocalSigner {
    /// A fresh key.
    pub fn new() -> Result<LocalSigner, SupportError> {
        use aws_lc_rs::encoding::AsDer as _;
        use aws_lc_rs::signature::{EcdsaKeyPair, KeyPair as _, ECDSA_P256_SHA256_ASN1_SIGNING};
        let failed = |what: &str| SupportError::Aws {
            operation: "GenerateKeyPair",
            message: what.to_owned(),
        };
        let random = aws_lc_rs::rand::SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &random)
            .map_err(|_| failed("cannot generate a key"))?;
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref())
            .map_err(|_| failed("cannot read the key"))?;
        let public_key = pair
            .public_key()
            .as_der()
            .map_err(|_| failed("cannot encode the public key"))?
            .as_ref()
            .to_vec();
        Ok(LocalSigner { pair, public_key })
    }
}

impl DigestSigner for LocalSigner {
    async fn sign(&self, message: &[u8]) -> PortResult<(Vec<u8>, String)> {
        let signature = self
            .pair
            .sign(&aws_lc_rs::rand::SystemRandom::new(), message)
            .map_err(|_| PortError {
                operation: "Sign",
                kind: PortErrorKind::Other,
                message: "cannot sign".into(),
            })?;
        Ok((
            signature.as_ref().to_vec(),
            "arn:aws:kms:eu-west-1:123456789012:key/local".into(),
        ))
    }
}

/// Creates the trail's signing key (`ECC_NIST_P256`, `SIGN_VERIFY`, as the template's); answers
/// its ARN and its public key (DER).
pub async fn create_signing_key(kms: &aws_sdk_kms::Client) -> Result<(String, Vec<u8>), SupportError> {
    let key = kms
        .create_key()
        .key_spec(aws_sdk_kms::types::KeySpec::EccNistP256)
        .key_usage(aws_sdk_kms::types::KeyUsageType::SignVerify)
        .send()
        .await
        .map_err(aws("CreateKey"))?;
    let arn = key
        .key_metadata()
        .and_then(|k| k.arn())
        .ok_or_else(|| missing("CreateKey", "KeyMetadata.Arn"))?
        .to_owned();
    let public = kms
        .get_public_key()
        .key_id(&arn)
        .send()
        .await
        .map_err(aws("GetPublicKey"))?;
    let der = public
        .public_key()
        .ok_or_else(|| missing("GetPublicKey", "PublicKey"))?
        .as_ref()
        .to_vec();
    Ok((arn, der))
}

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
pub type EmulatedShipper = Shipper<S3Trail, KmsSigner, SecurityHubImporter, Vec<u8>>;

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
    /// The digests' signing key (ARN).
    pub signing_key_arn: String,
    /// Its public key, DER, as `GetPublicKey` answers it.
    pub public_key: Vec<u8>,
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
        let (signing_key_arn, public_key) = create_signing_key(&emulator.kms()).await?;
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
            KmsSigner::new(emulator.kms(), signing_key_arn.clone()),
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
            signing_key_arn,
            public_key,
        })
    }

    /// Another shipper instance on the same trail (a concurrent writer, or a cold start).
    pub fn another_shipper(&self, emulator: &Emulator) -> EmulatedShipper {
        Shipper::new(
            S3Trail::new(self.s3.clone(), TRAIL_BUCKET, Some(self.key_arn.clone())),
            KmsSigner::new(emulator.kms(), self.signing_key_arn.clone()),
            SecurityHubImporter::new(self.securityhub.clone()),
            self.shipper.settings.clone(),
            Vec::new(),
        )
    }

    /// What an auditor checks the trail against: the signing key's public key and `heads`.
    pub fn expectations(&self, heads: Vec<trail::PublishedHead>) -> Result<trail::Expectations, AuditTrailError> {
        let keys = trail::PublicKeys::new([self.public_key.clone()]).map_err(|message| SupportError::Aws {
            operation: "GetPublicKey",
            message,
        })?;
        Ok(trail::Expectations {
            keys,
            heads,
            retention: None,
        })
    }

    /// The heads the shipper published (its log lines), as an auditor exports them.
    pub fn published_heads(&self) -> String {
        self.shipper
            .read_metrics(|out| String::from_utf8_lossy(out).into_owned())
    }

    /// Verifies the whole trail with the signing key's public key.
    pub async fn verify(&self) -> Result<Result<trail::VerifyReport, trail::BrokenLink>, AuditTrailError> {
        let mut objects = trail::InMemory(self.chain_objects().await?.into_iter().collect());
        Ok(trail::verify(&mut objects, &self.expectations(Vec::new())?))
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
        self.chain_objects_under(TRAIL_PREFIX).await
    }

    /// Every batch and digest under `prefix`, key and bytes, in key order.
    pub async fn chain_objects_under(&self, prefix: &str) -> Result<Vec<(String, Vec<u8>)>, AuditTrailError> {
        let reader = S3Trail::new(self.s3.clone(), TRAIL_BUCKET, None);
        let keys = reader.list(prefix).await.map_err(|e| SupportError::Aws {
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

    /// The OCSF records the trail commits, batch by batch (pending batches left out).
    pub async fn records(&self) -> Result<Vec<Value>, AuditTrailError> {
        let objects = self.chain_objects().await?;
        let pending: Vec<String> = match trail::verify(
            &mut trail::InMemory(objects.iter().cloned().collect()),
            &self.expectations(Vec::new())?,
        ) {
            Ok(report) => report.chains.into_iter().flat_map(|c| c.pending).collect(),
            Err(broken) => {
                return Err(SupportError::Aws {
                    operation: "verify",
                    message: broken.to_string(),
                }
                .into())
            }
        };
        let mut out = Vec::new();
        for (key, bytes) in objects {
            if !key.ends_with(".json.gz") || pending.contains(&key) {
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
