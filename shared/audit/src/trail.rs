//! The audit trail's signed digest chain: records are written in batches (gzip JSON lines) and
//! each batch is committed by a signed digest naming the batch's SHA-256, its record ids and the
//! previous digest's key and SHA-256, so deleting, changing, replacing or reordering any object
//! breaks a link that [`verify`] names, and a chain re-sealed by anyone without the signing key
//! fails its signatures.
//!
//! Layout, one chain per account and region, under `{prefix}{account}/{region}/`:
//! - `yyyy/mm/dd/hh/{sequence:012}-{sha256[..16]}.json.gz`: a batch;
//! - `digests/{sequence:012}.json`: the digest committing sequence `n`, created only if absent
//!   (`If-None-Match: *`), so of two writers racing for a sequence exactly one commits and the
//!   other re-seals on the next; a batch no digest names is *pending* (a lost race, or a writer
//!   that stopped before committing), never part of the chain;
//! - `head.json`: a hint naming a recent digest, so a writer finds the head in O(1) and probes
//!   forward from it; every digest up to the hint has its record markers;
//! - `records/{record-id}`: one marker per record committed (its content the digest key), so a
//!   redelivered record is not written twice.
//!
//! Each commit's head is also published outside the bucket ([`PublishedHead`], a log line), so a
//! cut tail is found by comparing the chain with the newest head published.

use std::collections::{BTreeMap, HashSet};
use std::io::{Read, Write};

use base64::Engine as _;
use chrono::{DateTime, Utc};
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use flate2::Compression;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use sha2::{Digest as _, Sha256};

/// The digest format's version.
pub const DIGEST_VERSION: u32 = 2;
/// How digests are signed: KMS `ECDSA_SHA_256` on an `ECC_NIST_P256` key, message type `RAW`.
pub const SIGNING_ALGORITHM: &str = "ECDSA_SHA_256";
/// The largest object [`verify`] reads (a batch holds at most a few MiB compressed).
pub const MAX_OBJECT_BYTES: u64 = 256 * 1024 * 1024;
/// The most a batch may decompress to before [`verify`] calls it a decompression bomb.
pub const MAX_BATCH_LINES_BYTES: u64 = 4 * 1024 * 1024 * 1024;
const DIGESTS: &str = "digests/";
const MARKERS: &str = "records/";
const HEAD: &str = "head.json";
const SIGNING_CONTEXT: &str = "sagefence-trail-digest/2";

/// One record to write: its id, its time and its JSON line (without the newline).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The record id.
    pub id: String,
    /// When the record happened.
    pub time: DateTime<Utc>,
    /// The record, as one line of JSON.
    pub line: String,
}

/// What a digest commits: one batch and its place in the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Digest {
    /// The format version.
    pub version: u32,
    /// The batch's place in its chain, from 0.
    pub sequence: u64,
    /// The batch object's key.
    pub batch_key: String,
    /// The batch object's SHA-256 (lowercase hex).
    pub batch_sha256: String,
    /// The previous digest object's key (none for the first).
    pub previous_digest_key: Option<String>,
    /// The previous digest object's SHA-256 (none for the first).
    pub previous_digest_sha256: Option<String>,
    /// The earliest record time in the batch.
    pub first_time: DateTime<Utc>,
    /// The latest record time in the batch.
    pub last_time: DateTime<Utc>,
    /// How many records the batch holds.
    pub record_count: u64,
    /// The batch's record ids, in its order.
    pub record_ids: Vec<String>,
}

/// A digest object as stored: the digest's exact JSON and its signature.
#[derive(Debug, Serialize, Deserialize)]
struct DigestObject<'a> {
    #[serde(borrow)]
    digest: &'a RawValue,
    /// Base64 of the DER signature of [`signing_string`].
    signature: String,
    /// The KMS key that signed.
    signing_key: String,
    /// Always [`SIGNING_ALGORITHM`].
    algorithm: String,
}

/// The bytes a digest's signature covers: the format, the digest's key and the SHA-256 of the
/// digest's exact JSON (so a digest moved to another key fails, and the message stays under
/// KMS's 4096-byte limit for raw messages).
pub fn signing_string(digest_key: &str, digest_json: &[u8]) -> Vec<u8> {
    format!("{SIGNING_CONTEXT}\n{digest_key}\n{}", sha256_hex(digest_json)).into_bytes()
}

/// The previous link a new batch chains to: a committed digest object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    /// Its key.
    pub key: String,
    /// Its bytes' SHA-256 (lowercase hex).
    pub sha256: String,
    /// Its sequence number.
    pub sequence: u64,
}

/// A committed digest as a writer reads it back: where it is, what it chains, which records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Committed {
    /// The link it makes.
    pub head: Head,
    /// The records it commits.
    pub record_ids: Vec<String>,
}

/// Reads a digest object's key and bytes (its signature is not checked: writers trust the
/// bucket's digests only to chain to them; [`verify`] checks signatures).
pub fn read_digest(key: &str, bytes: &[u8]) -> Result<Committed, TrailError> {
    let unreadable = |message: String| TrailError::Digest {
        key: key.to_owned(),
        message,
    };
    let object: DigestObject<'_> = serde_json::from_slice(bytes).map_err(|e| unreadable(e.to_string()))?;
    let digest: Digest = serde_json::from_str(object.digest.get()).map_err(|e| unreadable(e.to_string()))?;
    Ok(Committed {
        head: Head {
            key: key.to_owned(),
            sha256: sha256_hex(bytes),
            sequence: digest.sequence,
        },
        record_ids: digest.record_ids,
    })
}

/// The head pointer object (`head.json`): a hint to a committed digest, written after the
/// digest's markers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeadPointer {
    /// The digest's sequence.
    pub sequence: u64,
    /// The digest's key.
    pub digest_key: String,
}

/// A chain's head as the shipper publishes it outside the bucket, one log line per commit:
/// `{"sagefence_head": {...}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishedHead {
    /// The chain directory.
    pub chain: String,
    /// The committed sequence.
    pub sequence: u64,
    /// The digest's key.
    pub digest_key: String,
    /// The digest object's SHA-256.
    pub digest_sha256: String,
}

impl PublishedHead {
    /// The log line publishing this head.
    pub fn line(&self) -> String {
        serde_json::json!({ "sagefence_head": self }).to_string()
    }

    /// The heads in `text`: log lines (`{"sagefence_head": ...}`, one a line) or the JSON that
    /// `aws logs filter-log-events` prints (`{"events": [{"message": ...}]}`); other lines are
    /// skipped.
    pub fn parse_all(text: &str) -> Vec<PublishedHead> {
        #[derive(Deserialize)]
        struct Line {
            sagefence_head: PublishedHead,
        }
        #[derive(Deserialize)]
        struct Event {
            message: String,
        }
        #[derive(Deserialize)]
        struct Events {
            events: Vec<Event>,
        }
        let from_line = |line: &str| serde_json::from_str::<Line>(line.trim()).ok().map(|l| l.sagefence_head);
        match serde_json::from_str::<Events>(text) {
            Ok(events) => events.events.iter().filter_map(|e| from_line(&e.message)).collect(),
            Err(_) => text.lines().filter_map(from_line).collect(),
        }
    }
}

/// A batch sealed but not yet signed: the signer signs [`Unsigned::signing_string`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsigned {
    /// The batch object's key.
    pub batch_key: String,
    /// The batch object (gzip JSON lines).
    pub batch: Vec<u8>,
    /// The digest object's key.
    pub digest_key: String,
    /// The digest.
    pub digest: Digest,
    digest_json: String,
}

impl Unsigned {
    /// What the signer signs.
    pub fn signing_string(&self) -> Vec<u8> {
        signing_string(&self.digest_key, self.digest_json.as_bytes())
    }

    /// The sealed batch, with the signature `signing_key` made of [`Unsigned::signing_string`].
    pub fn signed(self, signature: &[u8], signing_key: &str) -> Result<Sealed, TrailError> {
        let digest = RawValue::from_string(self.digest_json).map_err(|e| TrailError::Compress(e.into()))?;
        let object = DigestObject {
            digest: &digest,
            signature: base64::engine::general_purpose::STANDARD.encode(signature),
            signing_key: signing_key.to_owned(),
            algorithm: SIGNING_ALGORITHM.to_owned(),
        };
        let digest_bytes = serde_json::to_vec(&object).map_err(|e| TrailError::Compress(e.into()))?;
        Ok(Sealed {
            batch_key: self.batch_key,
            batch: self.batch,
            digest_key: self.digest_key,
            digest_bytes,
            digest: self.digest,
        })
    }
}

/// A sealed batch: the objects to write, batch first, then digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
    /// The batch object's key.
    pub batch_key: String,
    /// The batch object (gzip JSON lines).
    pub batch: Vec<u8>,
    /// The digest object's key.
    pub digest_key: String,
    /// The digest object (JSON, signed).
    pub digest_bytes: Vec<u8>,
    /// The digest.
    pub digest: Digest,
}

impl Sealed {
    /// The head the next batch chains to.
    pub fn head(&self) -> Head {
        Head {
            key: self.digest_key.clone(),
            sha256: sha256_hex(&self.digest_bytes),
            sequence: self.digest.sequence,
        }
    }

    /// The head as published outside the bucket.
    pub fn published(&self, chain: &str) -> PublishedHead {
        PublishedHead {
            chain: chain.to_owned(),
            sequence: self.digest.sequence,
            digest_key: self.digest_key.clone(),
            digest_sha256: sha256_hex(&self.digest_bytes),
        }
    }
}

/// Why a batch could not be sealed or read.
#[derive(Debug, thiserror::Error)]
pub enum TrailError {
    /// Nothing to seal.
    #[error("an empty batch cannot be sealed")]
    Empty,
    /// Compression or serialization failed.
    #[error("cannot write the batch: {0}")]
    Compress(#[from] std::io::Error),
    /// A digest object does not parse.
    #[error("digest `{key}` is unreadable: {message}")]
    Digest {
        /// Its key.
        key: String,
        /// Why.
        message: String,
    },
}

/// The lowercase hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}

/// The directory of one chain: `{prefix}{account}/{region}/`.
pub fn chain_dir(prefix: &str, account: &str, region: &str) -> String {
    format!("{prefix}{account}/{region}/")
}

/// The key of the digest committing `sequence` in chain `dir`.
pub fn digest_key(dir: &str, sequence: u64) -> String {
    format!("{dir}{DIGESTS}{sequence:012}.json")
}

/// Where a chain's digests live.
pub fn digests_prefix(dir: &str) -> String {
    format!("{dir}{DIGESTS}")
}

/// The head pointer of chain `dir`.
pub fn head_key(dir: &str) -> String {
    format!("{dir}{HEAD}")
}

/// The marker of record `record_id` in chain `dir`.
pub fn marker_key(dir: &str, record_id: &str) -> String {
    format!("{dir}{MARKERS}{record_id}")
}

/// Whether a key is part of the chain (a batch or a digest), as [`verify`] reads it; markers,
/// the head pointer and anything else under the prefix are not.
pub fn is_chain_object(key: &str) -> bool {
    key.ends_with(".json.gz") || digest_place(key).is_some()
}

/// The sequence a digest key commits (`None`: not a digest key of this format).
pub fn digest_sequence(key: &str) -> Option<u64> {
    digest_place(key).map(|(_, sequence)| sequence)
}

/// The chain directory and sequence of a digest key `{dir}digests/{sequence:012}.json`.
fn digest_place(key: &str) -> Option<(&str, u64)> {
    let (dir, name) = key.rsplit_once(DIGESTS)?;
    let digits = name.strip_suffix(".json")?;
    if digits.len() != 12 || !digits.bytes().all(|b| b.is_ascii_digit()) || !dir.ends_with('/') {
        return None;
    }
    Some((dir, digits.parse().ok()?))
}

/// Gzip-compresses JSON lines.
pub fn gzip_lines<'a>(lines: impl IntoIterator<Item = &'a str>) -> Result<Vec<u8>, std::io::Error> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    for line in lines {
        encoder.write_all(line.as_bytes())?;
        encoder.write_all(b"\n")?;
    }
    encoder.finish()
}

/// Decompresses a gzip object.
pub fn gunzip(bytes: &[u8]) -> Result<Vec<u8>, std::io::Error> {
    let mut out = Vec::new();
    GzDecoder::new(bytes).read_to_end(&mut out)?;
    Ok(out)
}

/// Seals `entries` as batch `sequence` of chain `dir`, after `previous` (none for the first
/// batch), ready to sign. The batch key holds the sequence and the batch's hash, so racing
/// writers never overwrite each other's batches.
pub fn seal(dir: &str, entries: &[Entry], previous: Option<&Head>) -> Result<Unsigned, TrailError> {
    let first_time = entries.iter().map(|e| e.time).min().ok_or(TrailError::Empty)?;
    let last_time = entries.iter().map(|e| e.time).max().ok_or(TrailError::Empty)?;
    let batch = gzip_lines(entries.iter().map(|e| e.line.as_str()))?;
    let batch_sha256 = sha256_hex(&batch);
    let sequence = previous.map_or(0, |head| head.sequence + 1);
    let id = format!("{sequence:012}-{}", batch_sha256.get(..16).unwrap_or(&batch_sha256));
    let batch_key = format!("{dir}{}/{id}.json.gz", first_time.format("%Y/%m/%d/%H"));
    let digest = Digest {
        version: DIGEST_VERSION,
        sequence,
        batch_key: batch_key.clone(),
        batch_sha256,
        previous_digest_key: previous.map(|head| head.key.clone()),
        previous_digest_sha256: previous.map(|head| head.sha256.clone()),
        first_time,
        last_time,
        record_count: entries.len() as u64,
        record_ids: entries.iter().map(|e| e.id.clone()).collect(),
    };
    let digest_json = serde_json::to_string(&digest).map_err(|e| TrailError::Compress(e.into()))?;
    Ok(Unsigned {
        batch_key,
        batch,
        digest_key: digest_key(dir, sequence),
        digest,
        digest_json,
    })
}

/// Checks digest signatures: the public keys an auditor trusts (DER `SubjectPublicKeyInfo`, as
/// KMS `GetPublicKey` answers them).
#[derive(Debug, Clone, Default)]
pub struct PublicKeys(Vec<Vec<u8>>);

impl PublicKeys {
    /// The keys, each DER or PEM (`-----BEGIN PUBLIC KEY-----`).
    pub fn new(keys: impl IntoIterator<Item = Vec<u8>>) -> Result<PublicKeys, String> {
        keys.into_iter()
            .map(|key| der(&key))
            .collect::<Result<_, _>>()
            .map(PublicKeys)
    }

    /// Whether one of the keys made `signature` (DER ECDSA P-256 SHA-256) of `message`.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        use aws_lc_rs::signature::{UnparsedPublicKey, ECDSA_P256_SHA256_ASN1};
        self.0.iter().any(|key| {
            UnparsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, key)
                .verify(message, signature)
                .is_ok()
        })
    }
}

fn der(key: &[u8]) -> Result<Vec<u8>, String> {
    let Ok(text) = std::str::from_utf8(key) else {
        return Ok(key.to_vec());
    };
    if !text.contains("-----BEGIN PUBLIC KEY-----") {
        // `aws kms get-public-key --output text` prints the key as base64.
        return base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .map_err(|e| format!("neither DER, PEM nor base64: {e}"));
    }
    let body: String = text
        .lines()
        .filter(|line| !line.starts_with("-----"))
        .collect::<Vec<_>>()
        .concat();
    base64::engine::general_purpose::STANDARD
        .decode(body.trim())
        .map_err(|e| format!("a PEM key whose body is not base64: {e}"))
}

/// Where [`verify`] reads the trail: the keys under the prefix, then one object at a time.
pub trait Objects {
    /// Every key, in any order.
    fn keys(&mut self) -> Result<Vec<String>, String>;
    /// One object's bytes (at most `max_bytes`; a larger object is an error); `None` when gone.
    fn read(&mut self, key: &str, max_bytes: u64) -> Result<Option<Vec<u8>>, String>;
}

/// What [`verify`] checks beyond the chain itself.
#[derive(Debug, Clone, Default)]
pub struct Expectations {
    /// The keys digests must be signed with.
    pub keys: PublicKeys,
    /// Heads published outside the bucket: each chain must reach the newest, unchanged.
    pub heads: Vec<PublishedHead>,
    /// The retention (days) before which objects may have expired, and now: a chain may start
    /// after sequence 0 only at a digest older than that.
    pub retention: Option<(u32, DateTime<Utc>)>,
}

/// The first broken link of a chain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BrokenLink {
    /// The trail could not be read.
    #[error("cannot read the trail: {0}")]
    Unreadable(String),
    /// A digest object does not parse.
    #[error("digest `{key}` is unreadable: {message}")]
    UnreadableDigest {
        /// Its key.
        key: String,
        /// Why.
        message: String,
    },
    /// A digest's signature is not one of the trusted keys': forged, or re-sealed.
    #[error("digest `{key}` is not signed by a trusted key (it names `{signing_key}`): it was forged or re-sealed")]
    BadSignature {
        /// The digest.
        key: String,
        /// The key it claims.
        signing_key: String,
    },
    /// A sequence number is missing: a digest was deleted.
    #[error("digest sequence {expected} is missing in `{dir}` (next is {found} at `{key}`): a digest was deleted")]
    MissingDigest {
        /// The chain directory.
        dir: String,
        /// The sequence expected.
        expected: u64,
        /// The sequence found instead.
        found: u64,
        /// The digest found instead.
        key: String,
    },
    /// A digest sits at a key that is not its sequence's: digests were swapped.
    #[error("digest `{key}` commits sequence {sequence}, which belongs at `{expected_key}`: digests were reordered")]
    MisplacedDigest {
        /// Where it is.
        key: String,
        /// The sequence it commits.
        sequence: u64,
        /// Where it belongs.
        expected_key: String,
    },
    /// The batch a digest commits is gone.
    #[error("batch `{batch_key}` committed by digest `{digest_key}` (sequence {sequence}) is missing")]
    MissingBatch {
        /// The batch key.
        batch_key: String,
        /// The digest.
        digest_key: String,
        /// Its sequence.
        sequence: u64,
    },
    /// A batch's bytes do not hash to its digest's hash: it was changed or swapped.
    #[error("batch `{batch_key}` does not match its digest `{digest_key}` (SHA-256 {actual}, sealed {expected}): it was changed")]
    BatchHashMismatch {
        /// The batch.
        batch_key: String,
        /// Its digest.
        digest_key: String,
        /// The sealed hash.
        expected: String,
        /// The hash of what is there.
        actual: String,
    },
    /// A digest does not chain to the previous digest: one of them was replaced.
    #[error("digest `{key}` does not chain to `{previous_key}` (it names `{named_key}` with SHA-256 {named_sha256}): a digest was replaced")]
    PreviousMismatch {
        /// The digest.
        key: String,
        /// The previous digest actually there.
        previous_key: String,
        /// The previous key it names.
        named_key: String,
        /// The previous hash it names.
        named_sha256: String,
    },
    /// A batch's content disagrees with its digest.
    #[error("batch `{batch_key}` does not hold what its digest says: {detail}")]
    ContentMismatch {
        /// The batch.
        batch_key: String,
        /// What differs.
        detail: String,
    },
    /// A record is committed twice.
    #[error("record `{record_id}` is committed twice in `{dir}` (again at sequence {sequence})")]
    RepeatedRecord {
        /// The chain.
        dir: String,
        /// The record.
        record_id: String,
        /// The second digest's sequence.
        sequence: u64,
    },
    /// The chain starts after sequence 0 at a digest younger than the retention: its start was
    /// removed, not expired.
    #[error("chain `{dir}` starts at sequence {sequence} with records from {first_time}, within the {days}-day retention: its start was removed")]
    RemovedStart {
        /// The chain.
        dir: String,
        /// Its first sequence present.
        sequence: u64,
        /// That batch's first record time.
        first_time: DateTime<Utc>,
        /// The retention.
        days: u32,
    },
    /// The chain ends before a head published outside the bucket: its tail was cut.
    #[error("chain `{dir}` ends at sequence {ends_at:?}, but sequence {published} was published: its tail was cut")]
    CutTail {
        /// The chain.
        dir: String,
        /// Its last sequence (none: no digest left).
        ends_at: Option<u64>,
        /// The newest sequence published.
        published: u64,
    },
    /// A digest differs from the one published for its sequence.
    #[error(
        "digest `{key}` is not the digest published for sequence {sequence} (SHA-256 {actual}, published {published})"
    )]
    PublishedMismatch {
        /// The digest.
        key: String,
        /// Its sequence.
        sequence: u64,
        /// Its hash.
        actual: String,
        /// The hash published.
        published: String,
    },
}

/// One intact chain, or the part of it still retained.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainReport {
    /// The chain directory, `{prefix}{account}/{region}/`.
    pub dir: String,
    /// The first sequence verified (above 0: the chain was verified from this checkpoint, the
    /// digests before it having expired).
    pub from_sequence: u64,
    /// The last sequence verified.
    pub to_sequence: u64,
    /// How many batches (and digests).
    pub batches: u64,
    /// How many records.
    pub records: u64,
    /// The earliest record time.
    pub first_time: DateTime<Utc>,
    /// The latest record time.
    pub last_time: DateTime<Utc>,
    /// The newest digest.
    pub head: String,
    /// The newest sequence published outside the bucket, when heads were given.
    pub published_head: Option<u64>,
    /// Batches no digest commits: lost races and writers stopped before committing (their
    /// records were committed again, or are still to be), not part of the chain.
    pub pending: Vec<String>,
}

/// What [`verify`] found intact.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    /// One per chain, by directory.
    pub chains: Vec<ChainReport>,
}

/// The previous link while walking a chain.
struct Link {
    key: String,
    sha256: String,
    sequence: u64,
}

/// Walks every chain under `objects` in sequence order, one object in memory at a time, and
/// names the first broken link: signatures against `expect.keys`, each link to the previous,
/// each batch against its digest, each record committed once, and each chain reaching the
/// newest head published.
pub fn verify(objects: &mut impl Objects, expect: &Expectations) -> Result<VerifyReport, BrokenLink> {
    let keys = objects.keys().map_err(BrokenLink::Unreadable)?;
    let mut chains: BTreeMap<String, Vec<(u64, String)>> = BTreeMap::new();
    let mut batches: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for key in keys {
        if let Some((dir, sequence)) = digest_place(&key) {
            chains.entry(dir.to_owned()).or_default().push((sequence, key));
        } else if key.ends_with(".json.gz") {
            let dir = key.rsplitn(6, '/').nth(5).map(|d| format!("{d}/")).unwrap_or_default();
            batches.entry(dir).or_default().push(key);
        }
    }
    let mut newest: BTreeMap<&str, &PublishedHead> = BTreeMap::new();
    for head in &expect.heads {
        let entry = newest.entry(head.chain.as_str()).or_insert(head);
        if head.sequence > entry.sequence {
            *entry = head;
        }
    }
    for (dir, published) in &newest {
        if !chains.contains_key(*dir) {
            return Err(BrokenLink::CutTail {
                dir: (*dir).to_owned(),
                ends_at: None,
                published: published.sequence,
            });
        }
    }
    let mut report = VerifyReport::default();
    for (dir, mut digests) in chains {
        digests.sort();
        let published = newest.get(dir.as_str()).copied();
        let (mut chain, committed) = verify_chain(objects, expect, &dir, &digests, published)?;
        chain.pending = batches.remove(&dir).unwrap_or_default();
        chain.pending.retain(|key| !committed.contains(key));
        chain.pending.sort();
        report.chains.push(chain);
    }
    // Chains with batches but no digest yet: nothing committed, everything pending.
    for (dir, mut pending) in batches {
        pending.sort();
        report.chains.push(ChainReport {
            pending,
            ..ChainReport::empty(dir, None)
        });
    }
    Ok(report)
}

impl ChainReport {
    fn empty(dir: String, published: Option<&PublishedHead>) -> ChainReport {
        ChainReport {
            dir,
            from_sequence: 0,
            to_sequence: 0,
            batches: 0,
            records: 0,
            first_time: DateTime::<Utc>::MAX_UTC,
            last_time: DateTime::<Utc>::MIN_UTC,
            head: String::new(),
            published_head: published.map(|p| p.sequence),
            pending: Vec::new(),
        }
    }
}

/// A record id as 128 bits: its hex, or (an id of another shape) its SHA-256's first half.
fn wide_id(id: &str) -> u128 {
    match u128::from_str_radix(id, 16) {
        Ok(wide) if id.len() == 32 => wide,
        _ => Sha256::digest(id.as_bytes())
            .get(..16)
            .and_then(|half| <[u8; 16]>::try_from(half).ok())
            .map_or(0, u128::from_be_bytes),
    }
}

/// Verifies one chain's digests (sorted by sequence); answers its report and the batch keys it
/// commits.
fn verify_chain(
    objects: &mut impl Objects,
    expect: &Expectations,
    dir: &str,
    digests: &[(u64, String)],
    published: Option<&PublishedHead>,
) -> Result<(ChainReport, HashSet<String>), BrokenLink> {
    let mut chain = ChainReport::empty(dir.to_owned(), published);
    let mut committed = HashSet::new();
    let mut seen: HashSet<u128> = HashSet::new();
    let mut previous: Option<Link> = None;
    for (sequence, key) in digests {
        let bytes = read(objects, key)?.ok_or_else(|| BrokenLink::Unreadable(format!("`{key}` vanished")))?;
        let digest = check_digest(key, *sequence, &bytes, expect)?;
        let sha256 = sha256_hex(&bytes);
        check_previous(dir, key, &digest, previous.as_ref(), expect, &mut chain)?;
        check_batch(objects, key, &digest)?;
        for id in &digest.record_ids {
            if !seen.insert(wide_id(id)) {
                return Err(BrokenLink::RepeatedRecord {
                    dir: dir.to_owned(),
                    record_id: id.clone(),
                    sequence: digest.sequence,
                });
            }
        }
        if let Some(head) = published.filter(|p| p.sequence == digest.sequence) {
            if head.digest_sha256 != sha256 {
                return Err(BrokenLink::PublishedMismatch {
                    key: key.clone(),
                    sequence: digest.sequence,
                    actual: sha256,
                    published: head.digest_sha256.clone(),
                });
            }
        }
        chain.batches += 1;
        chain.records += digest.record_count;
        chain.first_time = chain.first_time.min(digest.first_time);
        chain.last_time = chain.last_time.max(digest.last_time);
        chain.to_sequence = digest.sequence;
        key.clone_into(&mut chain.head);
        committed.insert(digest.batch_key);
        previous = Some(Link {
            key: key.clone(),
            sha256,
            sequence: *sequence,
        });
    }
    if let Some(head) = published {
        if previous.as_ref().is_none_or(|p| p.sequence < head.sequence) {
            return Err(BrokenLink::CutTail {
                dir: dir.to_owned(),
                ends_at: previous.map(|p| p.sequence),
                published: head.sequence,
            });
        }
    }
    Ok((chain, committed))
}

fn read(objects: &mut impl Objects, key: &str) -> Result<Option<Vec<u8>>, BrokenLink> {
    objects.read(key, MAX_OBJECT_BYTES).map_err(BrokenLink::Unreadable)
}

/// Parses a digest object, checks its signature and that it sits at its sequence's key.
fn check_digest(key: &str, sequence: u64, bytes: &[u8], expect: &Expectations) -> Result<Digest, BrokenLink> {
    let unreadable = |message: String| BrokenLink::UnreadableDigest {
        key: key.to_owned(),
        message,
    };
    let object: DigestObject<'_> = serde_json::from_slice(bytes).map_err(|e| unreadable(e.to_string()))?;
    let digest: Digest = serde_json::from_str(object.digest.get()).map_err(|e| unreadable(e.to_string()))?;
    let signature = base64::engine::general_purpose::STANDARD
        .decode(&object.signature)
        .unwrap_or_default();
    let message = signing_string(key, object.digest.get().as_bytes());
    if object.algorithm != SIGNING_ALGORITHM || !expect.keys.verify(&message, &signature) {
        return Err(BrokenLink::BadSignature {
            key: key.to_owned(),
            signing_key: object.signing_key,
        });
    }
    if digest.sequence != sequence {
        return Err(BrokenLink::MisplacedDigest {
            key: key.to_owned(),
            sequence: digest.sequence,
            expected_key: digest_key(key.rsplit_once(DIGESTS).map_or("", |(d, _)| d), digest.sequence),
        });
    }
    Ok(digest)
}

/// Checks a digest's link to the previous one; the first digest of a chain is its start (0) or
/// a checkpoint (the digests before it expired).
fn check_previous(
    dir: &str,
    key: &str,
    digest: &Digest,
    previous: Option<&Link>,
    expect: &Expectations,
    chain: &mut ChainReport,
) -> Result<(), BrokenLink> {
    let Some(prev) = previous else {
        if digest.sequence > 0 {
            if let Some((days, now)) = expect.retention {
                if digest.first_time > now - chrono::Duration::days(i64::from(days)) {
                    return Err(BrokenLink::RemovedStart {
                        dir: dir.to_owned(),
                        sequence: digest.sequence,
                        first_time: digest.first_time,
                        days,
                    });
                }
            }
        } else if digest.previous_digest_key.is_some() || digest.previous_digest_sha256.is_some() {
            return Err(mismatch(key, None, digest));
        }
        chain.from_sequence = digest.sequence;
        return Ok(());
    };
    if digest.sequence != prev.sequence + 1 {
        return Err(BrokenLink::MissingDigest {
            dir: dir.to_owned(),
            expected: prev.sequence + 1,
            found: digest.sequence,
            key: key.to_owned(),
        });
    }
    if digest.previous_digest_key.as_deref() != Some(prev.key.as_str())
        || digest.previous_digest_sha256.as_deref() != Some(prev.sha256.as_str())
    {
        return Err(mismatch(key, Some(prev), digest));
    }
    Ok(())
}

fn mismatch(key: &str, previous: Option<&Link>, digest: &Digest) -> BrokenLink {
    let none = || "(none)".to_owned();
    BrokenLink::PreviousMismatch {
        key: key.to_owned(),
        previous_key: previous.map_or_else(none, |p| p.key.clone()),
        named_key: digest.previous_digest_key.clone().unwrap_or_else(none),
        named_sha256: digest.previous_digest_sha256.clone().unwrap_or_else(none),
    }
}

/// Checks a batch against its digest: its hash, then its lines, counted while decompressing
/// (never more than [`MAX_BATCH_LINES_BYTES`]).
fn check_batch(objects: &mut impl Objects, digest_key: &str, digest: &Digest) -> Result<(), BrokenLink> {
    let Some(batch) = read(objects, &digest.batch_key)? else {
        return Err(BrokenLink::MissingBatch {
            batch_key: digest.batch_key.clone(),
            digest_key: digest_key.to_owned(),
            sequence: digest.sequence,
        });
    };
    let actual = sha256_hex(&batch);
    if actual != digest.batch_sha256 {
        return Err(BrokenLink::BatchHashMismatch {
            batch_key: digest.batch_key.clone(),
            digest_key: digest_key.to_owned(),
            expected: digest.batch_sha256.clone(),
            actual,
        });
    }
    let content = |detail: String| BrokenLink::ContentMismatch {
        batch_key: digest.batch_key.clone(),
        detail,
    };
    let count = count_lines(&batch).map_err(content)?;
    if count != digest.record_count || digest.record_ids.len() as u64 != digest.record_count {
        return Err(content(format!(
            "{count} records, sealed {} with {} ids",
            digest.record_count,
            digest.record_ids.len()
        )));
    }
    if digest.first_time > digest.last_time {
        return Err(content("first record time after last".to_owned()));
    }
    Ok(())
}

/// The non-empty lines of a gzip batch, decompressed a block at a time.
fn count_lines(batch: &[u8]) -> Result<u64, String> {
    let mut decoder = GzDecoder::new(batch).take(MAX_BATCH_LINES_BYTES + 1);
    let mut block = vec![0u8; 64 * 1024];
    let (mut count, mut total, mut in_line) = (0u64, 0u64, false);
    loop {
        let n = decoder.read(&mut block).map_err(|e| format!("not gzip: {e}"))?;
        if n == 0 {
            break;
        }
        total += n as u64;
        if total > MAX_BATCH_LINES_BYTES {
            return Err(format!("decompresses past {MAX_BATCH_LINES_BYTES} bytes"));
        }
        for byte in block.iter().take(n) {
            if *byte == b'\n' {
                count += u64::from(in_line);
                in_line = false;
            } else {
                in_line = true;
            }
        }
    }
    Ok(count + u64::from(in_line))
}

/// The trail as objects in memory (tests, and small trails read whole).
#[derive(Debug, Clone, Default)]
pub struct InMemory(pub BTreeMap<String, Vec<u8>>);

impl Objects for InMemory {
    fn keys(&mut self) -> Result<Vec<String>, String> {
        Ok(self.0.keys().cloned().collect())
    }

    fn read(&mut self, key: &str, max_bytes: u64) -> Result<Option<Vec<u8>>, String> {
        match self.0.get(key) {
            Some(bytes) if bytes.len() as u64 > max_bytes => Err(format!("`{key}` is over {max_bytes} bytes")),
            found => Ok(found.cloned()),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use aws_lc_rs::encoding::AsDer as _;
    use aws_lc_rs::rand::SystemRandom;
    use aws_lc_rs::signature::{EcdsaKeyPair, KeyPair as _, ECDSA_P256_SHA256_ASN1_SIGNING};
    use chrono::TimeZone;

    const DIR: &str = "trail/111122223333/eu-west-1/";

    /// A signing key, as KMS holds one; its public key as `GetPublicKey` answers it.
    pub(crate) struct Signer(EcdsaKeyPair);

    impl Signer {
        pub(crate) fn new() -> Signer {
            let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &SystemRandom::new()).unwrap();
            Signer(EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref()).unwrap())
        }

        fn public(&self) -> PublicKeys {
            let spki = self.0.public_key().as_der().unwrap();
            PublicKeys::new([spki.as_ref().to_vec()]).unwrap()
        }

        fn sign(&self, unsigned: Unsigned) -> Sealed {
            let signature = self.0.sign(&SystemRandom::new(), &unsigned.signing_string()).unwrap();
            unsigned
                .signed(signature.as_ref(), "arn:aws:kms:eu-west-1:111122223333:key/k")
                .unwrap()
        }
    }

    fn entry(n: i64) -> Entry {
        Entry {
            id: format!("{n:032x}"),
            time: Utc.timestamp_opt(1_795_687_200 + n, 0).unwrap(),
            line: format!("{{\"n\":{n}}}"),
        }
    }

    /// Three sealed batches and the trail they make.
    fn trail(signer: &Signer) -> (Vec<Sealed>, InMemory) {
        let mut sealed: Vec<Sealed> = Vec::new();
        for batch in 0..3 {
            let entries: Vec<Entry> = (0..4).map(|i| entry(batch * 10 + i)).collect();
            let previous = sealed.last().map(Sealed::head);
            sealed.push(signer.sign(seal(DIR, &entries, previous.as_ref()).unwrap()));
        }
        let mut objects = InMemory::default();
        for s in &sealed {
            objects.0.insert(s.batch_key.clone(), s.batch.clone());
            objects.0.insert(s.digest_key.clone(), s.digest_bytes.clone());
        }
        (sealed, objects)
    }

    fn expect(signer: &Signer) -> Expectations {
        Expectations {
            keys: signer.public(),
            ..Expectations::default()
        }
    }

    #[test]
    fn an_intact_trail_verifies() {
        let signer = Signer::new();
        let (sealed, mut objects) = trail(&signer);
        let report = verify(&mut objects, &expect(&signer)).unwrap();
        let chain = &report.chains[0];
        assert_eq!(
            (chain.batches, chain.records, chain.from_sequence, chain.to_sequence),
            (3, 12, 0, 2)
        );
        assert_eq!(chain.head, sealed[2].digest_key);
        assert_eq!(chain.dir, DIR);
        assert!(chain.pending.is_empty());
        assert!(sealed[0]
            .batch_key
            .starts_with(&format!("{DIR}2026/11/26/10/000000000000-")));
        assert_eq!(sealed[1].digest_key, format!("{DIR}digests/000000000001.json"));
        let committed = read_digest(&sealed[2].digest_key, &sealed[2].digest_bytes).unwrap();
        assert_eq!((committed.head, committed.record_ids.len()), (sealed[2].head(), 4));
    }

    #[test]
    fn the_same_batch_seals_to_the_same_objects() {
        let entries = [entry(1)];
        assert_eq!(seal(DIR, &entries, None).unwrap(), seal(DIR, &entries, None).unwrap());
        assert!(matches!(seal(DIR, &[], None), Err(TrailError::Empty)));
    }

    #[test]
    fn a_chain_resealed_with_another_key_fails_its_signatures() {
        let (forger, trusted) = (Signer::new(), Signer::new());
        let (sealed, mut objects) = trail(&forger);
        assert_eq!(
            verify(&mut objects, &expect(&trusted)).unwrap_err(),
            BrokenLink::BadSignature {
                key: sealed[0].digest_key.clone(),
                signing_key: "arn:aws:kms:eu-west-1:111122223333:key/k".into()
            }
        );
        assert!(matches!(
            verify(&mut objects, &Expectations::default()),
            Err(BrokenLink::BadSignature { .. })
        ));
    }

    #[test]
    fn a_flipped_byte_is_a_hash_mismatch() {
        let signer = Signer::new();
        let (sealed, mut objects) = trail(&signer);
        let batch = objects.0.get_mut(&sealed[1].batch_key).unwrap();
        let middle = batch.len() / 2;
        batch[middle] ^= 0x01;
        assert!(matches!(verify(&mut objects, &expect(&signer)),
            Err(BrokenLink::BatchHashMismatch { batch_key, .. }) if batch_key == sealed[1].batch_key));
    }

    #[test]
    fn a_deleted_batch_is_named() {
        let signer = Signer::new();
        let (sealed, mut objects) = trail(&signer);
        objects.0.remove(&sealed[1].batch_key);
        assert!(matches!(verify(&mut objects, &expect(&signer)),
            Err(BrokenLink::MissingBatch { sequence: 1, batch_key, .. }) if batch_key == sealed[1].batch_key));
    }

    #[test]
    fn a_deleted_digest_is_a_sequence_gap() {
        let signer = Signer::new();
        let (sealed, mut objects) = trail(&signer);
        objects.0.remove(&sealed[1].digest_key);
        let err = verify(&mut objects, &expect(&signer)).unwrap_err();
        assert_eq!(
            err,
            BrokenLink::MissingDigest {
                dir: DIR.into(),
                expected: 1,
                found: 2,
                key: sealed[2].digest_key.clone(),
            }
        );
    }

    #[test]
    fn a_cut_tail_is_found_against_the_published_head() {
        let signer = Signer::new();
        let (sealed, mut objects) = trail(&signer);
        let published = vec![sealed[2].published(DIR)];
        objects.0.remove(&sealed[2].digest_key);
        // without the published head, the last batch is only pending
        let report = verify(&mut objects, &expect(&signer)).unwrap();
        assert_eq!(report.chains[0].pending, vec![sealed[2].batch_key.clone()]);
        let with_heads = Expectations {
            heads: published,
            ..expect(&signer)
        };
        assert_eq!(
            verify(&mut objects, &with_heads).unwrap_err(),
            BrokenLink::CutTail {
                dir: DIR.into(),
                ends_at: Some(1),
                published: 2
            }
        );
    }

    #[test]
    fn a_swapped_digest_pair_is_named() {
        let signer = Signer::new();
        let (sealed, mut objects) = trail(&signer);
        let first = objects.0.get(&sealed[0].digest_key).cloned().unwrap();
        let second = objects.0.insert(sealed[1].digest_key.clone(), first).unwrap();
        objects.0.insert(sealed[0].digest_key.clone(), second);
        // the signature covers the key, so a moved digest fails first
        assert!(matches!(verify(&mut objects, &expect(&signer)),
            Err(BrokenLink::BadSignature { key, .. }) if key == sealed[0].digest_key));
    }

    #[test]
    fn an_expired_prefix_is_verified_from_its_checkpoint() {
        let signer = Signer::new();
        let (sealed, mut objects) = trail(&signer);
        objects.0.remove(&sealed[0].digest_key);
        objects.0.remove(&sealed[0].batch_key);
        let report = verify(&mut objects, &expect(&signer)).unwrap();
        assert_eq!((report.chains[0].from_sequence, report.chains[0].batches), (1, 2));
        let now = sealed[1].digest.first_time;
        let within = Expectations {
            retention: Some((30, now)),
            ..expect(&signer)
        };
        assert!(matches!(
            verify(&mut objects, &within),
            Err(BrokenLink::RemovedStart { sequence: 1, .. })
        ));
        let after = Expectations {
            retention: Some((30, now + chrono::Duration::days(31))),
            ..expect(&signer)
        };
        assert_eq!(verify(&mut objects, &after).unwrap().chains[0].from_sequence, 1);
    }

    #[test]
    fn a_record_committed_twice_is_named() {
        let signer = Signer::new();
        let first = signer.sign(seal(DIR, &[entry(1), entry(2)], None).unwrap());
        let second = signer.sign(seal(DIR, &[entry(2)], Some(&first.head())).unwrap());
        let mut objects = InMemory::default();
        for s in [&first, &second] {
            objects.0.insert(s.batch_key.clone(), s.batch.clone());
            objects.0.insert(s.digest_key.clone(), s.digest_bytes.clone());
        }
        assert!(matches!(
            verify(&mut objects, &expect(&signer)),
            Err(BrokenLink::RepeatedRecord { sequence: 1, .. })
        ));
    }

    #[test]
    fn a_decompression_bomb_is_refused_without_inflating_it() {
        assert_eq!(count_lines(&gzip_lines(["a", "", "b"]).unwrap()), Ok(2));
        assert!(count_lines(b"not gzip").is_err());
    }

    #[test]
    fn heads_are_read_from_log_lines_and_from_filter_log_events() {
        let head = PublishedHead {
            chain: DIR.into(),
            sequence: 7,
            digest_key: digest_key(DIR, 7),
            digest_sha256: "ab".into(),
        };
        let lines = format!("noise\n{}\n", head.line());
        assert_eq!(PublishedHead::parse_all(&lines), vec![head.clone()]);
        let events = serde_json::json!({"events": [{"message": head.line()}, {"message": "x"}]}).to_string();
        assert_eq!(PublishedHead::parse_all(&events), vec![head]);
    }
}
