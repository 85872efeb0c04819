//! The keys port on the KMS SDK: DescribeKey, ListResourceTags and GetKeyRotationStatus read a
//! key; EnableKeyRotation, CancelKeyDeletion and EnableKey restore it. Beside it, the trail's
//! digest signer ([`KmsSigner`]: `Sign` only).

use std::collections::BTreeMap;

use aws_sdk_kms::types::{KeyManagerType, KeyState as SdkKeyState};
use aws_sdk_kms::Client;

use crate::error::{answered, found, has_code, other, SdkResultExt};
use crate::pages::all_items;
use crate::ports::{DigestSigner, KeyInventory, Keys, PortErrorKind, PortResult};
use sagefence_core::model::Tags;
use sagefence_core::model::{KeyState, KmsKey};

/// [`Keys`] on an `aws_sdk_kms` client.
#[derive(Debug, Clone)]
pub struct KmsAdapter {
    /// The KMS client.
    pub client: Client,
}

/// [`DigestSigner`] on KMS: `Sign` with the trail's signing key (`ECDSA_SHA_256`, raw message).
#[derive(Debug, Clone)]
pub struct KmsSigner {
    client: Client,
    key_id: String,
}

impl KmsSigner {
    /// Signs with `key_id` (an ARN or alias) through `client`.
    pub fn new(client: Client, key_id: impl Into<String>) -> Self {
        Self {
            client,
            key_id: key_id.into(),
        }
    }
}

impl DigestSigner for KmsSigner {
    async fn sign(&self, message: &[u8]) -> PortResult<(Vec<u8>, String)> {
        let out = self
            .client
            .sign()
            .key_id(&self.key_id)
            .message(aws_sdk_kms::primitives::Blob::new(message))
            .message_type(aws_sdk_kms::types::MessageType::Raw)
            .signing_algorithm(aws_sdk_kms::types::SigningAlgorithmSpec::EcdsaSha256)
            .send()
            .await
            .port("Sign")?;
        let signature = answered("Sign", "Signature", out.signature())?.as_ref().to_vec();
        Ok((signature, out.key_id().unwrap_or(&self.key_id).to_owned()))
    }
}

fn state(state: Option<&SdkKeyState>) -> KeyState {
    match state {
        Some(SdkKeyState::Enabled) => KeyState::Enabled,
        Some(SdkKeyState::Disabled) => KeyState::Disabled,
        Some(SdkKeyState::PendingDeletion) => KeyState::PendingDeletion,
        _ => KeyState::Other,
    }
}

impl KmsAdapter {
    /// An adapter on this client.
    pub fn new(client: Client) -> Self {
        Self { client }
    }

    async fn tags(&self, key_id: &str) -> PortResult<Tags> {
        let tags = all_items!("ListResourceTags", self.client.list_resource_tags().key_id(key_id))?;
        Ok(tags.iter().map(|t| (t.tag_key(), t.tag_value())).collect())
    }

    /// The key, its tags and its rotation; a `NotFound` error when it is gone.
    async fn read_key(&self, key_id: &str) -> PortResult<KmsKey> {
        let op = "DescribeKey";
        let out = self.client.describe_key().key_id(key_id).send().await.port(op)?;
        let meta = answered(op, "KeyMetadata", out.key_metadata())?;
        let customer_managed = meta.key_manager() == Some(&KeyManagerType::Customer);
        let (tags, rotation_enabled) = self.tags_and_rotation(meta.key_id(), customer_managed).await?;
        Ok(KmsKey {
            id: meta.key_id().to_owned(),
            arn: meta.arn().unwrap_or_default().to_owned(),
            tags,
            customer_managed,
            state: state(meta.key_state()),
            rotation_enabled,
        })
    }

    /// A key's tags and whether it rotates. AWS managed keys carry no tags of the account's and
    /// AWS rotates them every year, so they are not asked.
    async fn tags_and_rotation(&self, key_id: &str, customer_managed: bool) -> PortResult<(Tags, bool)> {
        if !customer_managed {
            return Ok((Tags::default(), true));
        }
        Ok((self.tags(key_id).await?, self.rotation_enabled(key_id).await?))
    }

    /// Whether automatic rotation is on; off for keys that cannot rotate in their state or kind.
    async fn rotation_enabled(&self, key_id: &str) -> PortResult<bool> {
        let status = self.client.get_key_rotation_status().key_id(key_id).send().await;
        match status.port("GetKeyRotationStatus") {
            Ok(out) => Ok(out.key_rotation_enabled()),
            Err(e) if e.kind == PortErrorKind::InvalidState || has_code(&e, "UnsupportedOperationException") => {
                Ok(false)
            }
            Err(e) => Err(e),
        }
    }
}

impl Keys for KmsAdapter {
    async fn key(&self, key_id: &str) -> PortResult<Option<KmsKey>> {
        found(self.read_key(key_id).await)
    }

    async fn enable_rotation(&self, key_id: &str) -> PortResult<()> {
        let call = self.client.enable_key_rotation().key_id(key_id);
        call.send().await.port("EnableKeyRotation").map(drop)
    }

    async fn cancel_deletion(&self, key_id: &str) -> PortResult<()> {
        let call = self.client.cancel_key_deletion().key_id(key_id);
        call.send().await.port("CancelKeyDeletion")?;
        let call = self.client.enable_key().key_id(key_id);
        call.send().await.port("EnableKey").map(drop)
    }

    async fn tag(&self, key_id: &str, tags: &BTreeMap<String, String>) -> PortResult<()> {
        let mut call = self.client.tag_resource().key_id(key_id);
        for (key, value) in tags {
            let tag = aws_sdk_kms::types::Tag::builder().tag_key(key).tag_value(value).build();
            call = call.tags(tag.map_err(|e| other("TagResource", e.to_string()))?);
        }
        call.send().await.port("TagResource").map(drop)
    }

    async fn untag(&self, key_id: &str, keys: &[String]) -> PortResult<()> {
        let call = self
            .client
            .untag_resource()
            .key_id(key_id)
            .set_tag_keys(Some(keys.to_vec()));
        call.send().await.port("UntagResource").map(drop)
    }
}

impl KeyInventory for KmsAdapter {
    async fn key_ids(&self) -> PortResult<Vec<String>> {
        let keys = all_items!("ListKeys", self.client.list_keys())?;
        Ok(keys.iter().filter_map(|k| k.key_id().map(str::to_owned)).collect())
    }
}
