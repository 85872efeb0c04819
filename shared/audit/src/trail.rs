//! The audit trail's digest chain: records are written in batches (gzip JSON lines) and each
//! batch is sealed by a digest naming the batch's SHA-256 and the previous digest's key and
//! SHA-256, so deleting, changing, replacing or reordering any object breaks a link that
//! [`verify`] names.
//!
//! Layout, one chain per account and region:
//! `{prefix}{account}/{region}/yyyy/mm/dd/hh/{batch-id}.json.gz` and
//! `{prefix}{account}/{region}/digests/{batch-id}.json`. A batch id starts with its zero-padded
//! sequence number, so the newest digest is the last key listed under `digests/`. Beside them,
//! `{prefix}{account}/{region}/records/{record-id}` marks each record written (its content the
//! batch key), outside the chain.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{Read, Write};

use chrono::{DateTime, Utc};
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use flate2::Compression;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

/// The digest format's version.
pub const DIGEST_VERSION: u32 = 1;
const DIGESTS: &str = "digests/";
const MARKERS: &str = "records/";

/// One record to write: its time and its JSON line (without the newline).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// When the record happened.
    pub time: DateTime<Utc>,
    /// The record, as one line of JSON.
    pub line: String,
}

/// The digest sealing one batch.
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
}

/// The previous link a new batch chains to: the newest digest object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    /// Its key.
    pub key: String,
    /// Its bytes' SHA-256 (lowercase hex).
    pub sha256: String,
    /// Its sequence number.
    pub sequence: u64,
}

impl Head {
    /// The head from a digest object's key and bytes.
    pub fn read(key: &str, bytes: &[u8]) -> Result<Head, TrailError> {
        let digest: Digest = serde_json::from_slice(bytes).map_err(|err| TrailError::Digest {
            key: key.to_owned(),
            message: err.to_string(),
        })?;
        Ok(Head {
            key: key.to_owned(),
            sha256: sha256_hex(bytes),
            sequence: digest.sequence,
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
    /// The digest object (JSON).
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
}

/// Why a batch could not be sealed or read.
#[derive(Debug, thiserror::Error)]
pub enum TrailError {
    /// Nothing to seal.
    #[error("an empty batch cannot be sealed")]
    Empty,
    /// Compression failed.
    #[error("cannot compress the batch: {0}")]
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
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// The directory of one chain: `{prefix}{account}/{region}/`.
pub fn chain_dir(prefix: &str, account: &str, region: &str) -> String {
    format!("{prefix}{account}/{region}/")
}

/// Where the digests of a chain live: list this to find the newest.
pub fn digests_prefix(prefix: &str, account: &str, region: &str) -> String {
    format!("{}{DIGESTS}", chain_dir(prefix, account, region))
}

/// Where a chain's record markers live: one empty-ish object per record id written, so a
/// redelivered record is not written twice.
pub fn marker_key(prefix: &str, account: &str, region: &str, record_id: &str) -> String {
    format!("{}{MARKERS}{record_id}", chain_dir(prefix, account, region))
}

/// Whether a key is part of the chain (a batch or a digest), as [`verify`] reads it; markers
/// and anything else under the prefix are not.
pub fn is_chain_object(key: &str) -> bool {
    key.ends_with(".json.gz") || (key.contains(DIGESTS) && key.ends_with(".json"))
}

/// The digest key for a batch key (same chain directory, same batch id).
pub fn digest_key_for(batch_key: &str) -> Option<String> {
    let (dir, id) = split_batch_key(batch_key)?;
    Some(format!("{dir}{DIGESTS}{id}.json"))
}

/// Splits `{dir}yyyy/mm/dd/hh/{id}.json.gz` into the chain directory and the batch id.
fn split_batch_key(batch_key: &str) -> Option<(String, &str)> {
    let stem = batch_key.strip_suffix(".json.gz")?;
    let mut parts = stem.rsplitn(6, '/');
    let id = parts.next()?;
    for _ in 0..4 {
        parts.next()?;
    }
    let rest = parts.next()?;
    Some((format!("{rest}/"), id))
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

/// Seals `entries` as the next batch of the chain in `{prefix}{account}/{region}/`, after
/// `previous` (none for the first batch). The batch id is the sequence number and the batch's
/// hash, so writing the same batch again writes the same objects.
pub fn seal(
    prefix: &str,
    account: &str,
    region: &str,
    entries: &[Entry],
    previous: Option<&Head>,
) -> Result<Sealed, TrailError> {
    let first_time = entries.iter().map(|e| e.time).min().ok_or(TrailError::Empty)?;
    let last_time = entries.iter().map(|e| e.time).max().ok_or(TrailError::Empty)?;
    let batch = gzip_lines(entries.iter().map(|e| e.line.as_str()))?;
    let batch_sha256 = sha256_hex(&batch);
    let sequence = previous.map_or(0, |head| head.sequence + 1);
    let id = format!("{sequence:012}-{}", batch_sha256.get(..16).unwrap_or(&batch_sha256));
    let dir = chain_dir(prefix, account, region);
    let batch_key = format!("{dir}{}/{id}.json.gz", first_time.format("%Y/%m/%d/%H"));
    let digest_key = format!("{dir}{DIGESTS}{id}.json");
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
    };
    let digest_bytes = serde_json::to_vec(&digest).map_err(|err| TrailError::Compress(err.into()))?;
    Ok(Sealed {
        batch_key,
        batch,
        digest_key,
        digest_bytes,
        digest,
    })
}

/// The first broken link of a chain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BrokenLink {
    /// A digest object does not parse.
    #[error("digest `{key}` is unreadable: {message}")]
    UnreadableDigest {
        /// Its key.
        key: String,
        /// Why.
        message: String,
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
    /// Two digests claim the same sequence number.
    #[error("digests `{key}` and `{other}` both claim sequence {sequence}")]
    DuplicateSequence {
        /// One digest.
        key: String,
        /// The other.
        other: String,
        /// The sequence.
        sequence: u64,
    },
    /// A digest sits at a key that is not its batch's: digests were swapped.
    #[error("digest `{key}` seals `{batch_key}`, whose digest belongs at `{expected_key}`: digests were reordered")]
    MisplacedDigest {
        /// Where it is.
        key: String,
        /// The batch it seals.
        batch_key: String,
        /// Where it belongs.
        expected_key: String,
    },
    /// The batch a digest seals is gone.
    #[error("batch `{batch_key}` sealed by digest `{digest_key}` (sequence {sequence}) is missing")]
    MissingBatch {
        /// The batch key.
        batch_key: String,
        /// The digest.
        digest_key: String,
        /// Its sequence.
        sequence: u64,
    },
    /// A batch holds the content another digest seals: batches were swapped.
    #[error("batch `{batch_key}` holds the content of `{belongs_to}`: batches were reordered")]
    ReorderedBatch {
        /// Where the content is.
        batch_key: String,
        /// Where it belongs.
        belongs_to: String,
    },
    /// A batch's bytes do not hash to its digest's hash: it was changed.
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
    /// A batch's content disagrees with its digest's record count or times.
    #[error("batch `{batch_key}` does not hold what its digest says: {detail}")]
    ContentMismatch {
        /// The batch.
        batch_key: String,
        /// What differs.
        detail: String,
    },
    /// A batch object no digest seals: its digest (the newest, or one rewritten) is gone.
    #[error("batch `{batch_key}` is sealed by no digest")]
    UnsealedBatch {
        /// The batch.
        batch_key: String,
    },
}

/// One intact chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainReport {
    /// The chain directory, `{prefix}{account}/{region}/`.
    pub dir: String,
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
}

/// What [`verify`] found intact.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    /// One per chain, by directory.
    pub chains: Vec<ChainReport>,
}

struct Link<'a> {
    key: &'a str,
    bytes: &'a [u8],
    digest: Digest,
}

/// Walks every chain in `objects` (key and bytes of each object under the trail's prefix) in
/// sequence order and names the first broken link.
pub fn verify(objects: &[(String, Vec<u8>)]) -> Result<VerifyReport, BrokenLink> {
    let mut chains: BTreeMap<&str, Vec<Link<'_>>> = BTreeMap::new();
    let mut batches: HashMap<&str, &[u8]> = HashMap::new();
    for (key, bytes) in objects {
        if let Some((dir, _)) = key.split_once(DIGESTS).filter(|_| key.ends_with(".json")) {
            let digest: Digest = serde_json::from_slice(bytes).map_err(|err| BrokenLink::UnreadableDigest {
                key: key.clone(),
                message: err.to_string(),
            })?;
            chains.entry(dir).or_default().push(Link { key, bytes, digest });
        } else if key.ends_with(".json.gz") {
            batches.insert(key, bytes);
        }
    }
    for links in chains.values_mut() {
        links.sort_by(|a, b| a.digest.sequence.cmp(&b.digest.sequence).then(a.key.cmp(b.key)));
    }
    let sealed_hashes: HashMap<&str, &str> = chains
        .values()
        .flatten()
        .map(|link| (link.digest.batch_sha256.as_str(), link.digest.batch_key.as_str()))
        .collect();
    let mut report = VerifyReport::default();
    let mut sealed: HashSet<&str> = HashSet::new();
    for (dir, links) in &chains {
        let mut previous: Option<&Link<'_>> = None;
        let mut chain = ChainReport {
            dir: (*dir).to_owned(),
            batches: 0,
            records: 0,
            first_time: DateTime::<Utc>::MAX_UTC,
            last_time: DateTime::<Utc>::MIN_UTC,
            head: String::new(),
        };
        for (expected, link) in (0u64..).zip(links.iter()) {
            check_link(dir, expected, link, previous, &batches, &sealed_hashes)?;
            sealed.insert(&link.digest.batch_key);
            chain.batches += 1;
            chain.records += link.digest.record_count;
            chain.first_time = chain.first_time.min(link.digest.first_time);
            chain.last_time = chain.last_time.max(link.digest.last_time);
            link.key.clone_into(&mut chain.head);
            previous = Some(link);
        }
        report.chains.push(chain);
    }
    let mut unsealed: Vec<&str> = batches.keys().copied().filter(|key| !sealed.contains(key)).collect();
    unsealed.sort();
    if let Some(batch_key) = unsealed.first().copied() {
        let bytes = batches.get(batch_key).copied().unwrap_or_default();
        return Err(match sealed_hashes.get(sha256_hex(bytes).as_str()) {
            Some(belongs_to) => BrokenLink::ReorderedBatch {
                batch_key: batch_key.to_owned(),
                belongs_to: (*belongs_to).to_owned(),
            },
            None => BrokenLink::UnsealedBatch {
                batch_key: batch_key.to_owned(),
            },
        });
    }
    Ok(report)
}

fn check_link(
    dir: &str,
    expected: u64,
    link: &Link<'_>,
    previous: Option<&Link<'_>>,
    batches: &HashMap<&str, &[u8]>,
    sealed_hashes: &HashMap<&str, &str>,
) -> Result<(), BrokenLink> {
    let digest = &link.digest;
    if digest.sequence < expected {
        return Err(BrokenLink::DuplicateSequence {
            key: link.key.to_owned(),
            other: previous.map(|p| p.key.to_owned()).unwrap_or_default(),
            sequence: digest.sequence,
        });
    }
    if digest.sequence > expected {
        return Err(BrokenLink::MissingDigest {
            dir: dir.to_owned(),
            expected,
            found: digest.sequence,
            key: link.key.to_owned(),
        });
    }
    let expected_key = digest_key_for(&digest.batch_key).unwrap_or_default();
    if expected_key != link.key {
        return Err(BrokenLink::MisplacedDigest {
            key: link.key.to_owned(),
            batch_key: digest.batch_key.clone(),
            expected_key,
        });
    }
    match previous {
        None if digest.previous_digest_key.is_none() && digest.previous_digest_sha256.is_none() => {}
        Some(prev)
            if digest.previous_digest_key.as_deref() == Some(prev.key)
                && digest.previous_digest_sha256.as_deref() == Some(sha256_hex(prev.bytes).as_str()) => {}
        _ => {
            return Err(BrokenLink::PreviousMismatch {
                key: link.key.to_owned(),
                previous_key: previous
                    .map(|p| p.key.to_owned())
                    .unwrap_or_else(|| "(none)".to_owned()),
                named_key: digest
                    .previous_digest_key
                    .clone()
                    .unwrap_or_else(|| "(none)".to_owned()),
                named_sha256: digest
                    .previous_digest_sha256
                    .clone()
                    .unwrap_or_else(|| "(none)".to_owned()),
            })
        }
    }
    let Some(batch) = batches.get(digest.batch_key.as_str()) else {
        return Err(BrokenLink::MissingBatch {
            batch_key: digest.batch_key.clone(),
            digest_key: link.key.to_owned(),
            sequence: digest.sequence,
        });
    };
    let actual = sha256_hex(batch);
    if actual != digest.batch_sha256 {
        if let Some(belongs_to) = sealed_hashes.get(actual.as_str()) {
            return Err(BrokenLink::ReorderedBatch {
                batch_key: digest.batch_key.clone(),
                belongs_to: (*belongs_to).to_owned(),
            });
        }
        return Err(BrokenLink::BatchHashMismatch {
            batch_key: digest.batch_key.clone(),
            digest_key: link.key.to_owned(),
            expected: digest.batch_sha256.clone(),
            actual,
        });
    }
    check_content(digest, batch)
}

/// Checks a batch's lines against its digest's record count.
fn check_content(digest: &Digest, batch: &[u8]) -> Result<(), BrokenLink> {
    let mismatch = |detail: String| BrokenLink::ContentMismatch {
        batch_key: digest.batch_key.clone(),
        detail,
    };
    let lines = gunzip(batch).map_err(|err| mismatch(format!("not gzip: {err}")))?;
    let count = lines.split(|b| *b == b'\n').filter(|line| !line.is_empty()).count() as u64;
    if count != digest.record_count {
        return Err(mismatch(format!("{count} records, sealed {}", digest.record_count)));
    }
    if digest.first_time > digest.last_time {
        return Err(mismatch("first record time after last".to_owned()));
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    const PREFIX: &str = "trail/";

    fn entry(n: i64) -> Entry {
        Entry {
            time: Utc.timestamp_opt(1_795_687_200 + n, 0).unwrap(),
            line: format!("{{\"n\":{n}}}"),
        }
    }

    /// Three sealed batches, as `(key, bytes)` in write order.
    fn trail() -> (Vec<Sealed>, Vec<(String, Vec<u8>)>) {
        let mut sealed: Vec<Sealed> = Vec::new();
        for batch in 0..3 {
            let entries: Vec<Entry> = (0..4).map(|i| entry(batch * 10 + i)).collect();
            let previous = sealed.last().map(Sealed::head);
            sealed.push(seal(PREFIX, "111122223333", "eu-west-1", &entries, previous.as_ref()).unwrap());
        }
        let objects = sealed
            .iter()
            .flat_map(|s| {
                [
                    (s.batch_key.clone(), s.batch.clone()),
                    (s.digest_key.clone(), s.digest_bytes.clone()),
                ]
            })
            .collect();
        (sealed, objects)
    }

    #[test]
    fn an_intact_trail_verifies() {
        let (sealed, objects) = trail();
        let report = verify(&objects).unwrap();
        assert_eq!(report.chains.len(), 1);
        let chain = &report.chains[0];
        assert_eq!((chain.batches, chain.records), (3, 12));
        assert_eq!(chain.head, sealed[2].digest_key);
        assert_eq!(chain.dir, "trail/111122223333/eu-west-1/");
        assert!(sealed[0]
            .batch_key
            .starts_with("trail/111122223333/eu-west-1/2026/11/26/10/000000000000-"));
        assert_eq!(digest_key_for(&sealed[1].batch_key).unwrap(), sealed[1].digest_key);
        assert_eq!(
            sealed[2].digest.previous_digest_key.as_deref(),
            Some(sealed[1].digest_key.as_str())
        );
        assert_eq!(
            String::from_utf8(gunzip(&sealed[0].batch).unwrap())
                .unwrap()
                .lines()
                .count(),
            4
        );
    }

    #[test]
    fn the_same_batch_seals_to_the_same_objects() {
        let entries = [entry(1)];
        assert_eq!(
            seal(PREFIX, "a", "r", &entries, None).unwrap(),
            seal(PREFIX, "a", "r", &entries, None).unwrap()
        );
        assert!(matches!(seal(PREFIX, "a", "r", &[], None), Err(TrailError::Empty)));
    }

    #[test]
    fn a_flipped_byte_is_a_hash_mismatch() {
        let (sealed, mut objects) = trail();
        let batch = &mut objects[2].1;
        let last = batch.len() - 1;
        batch[last / 2] ^= 0x01;
        match verify(&objects) {
            Err(BrokenLink::BatchHashMismatch { batch_key, .. }) => assert_eq!(batch_key, sealed[1].batch_key),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_deleted_batch_is_named() {
        let (sealed, mut objects) = trail();
        objects.remove(2);
        match verify(&objects) {
            Err(BrokenLink::MissingBatch {
                batch_key, sequence, ..
            }) => {
                assert_eq!((batch_key.as_str(), sequence), (sealed[1].batch_key.as_str(), 1));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_deleted_digest_is_a_sequence_gap() {
        let (sealed, mut objects) = trail();
        objects.remove(3);
        let err = verify(&objects).unwrap_err();
        assert_eq!(
            err,
            BrokenLink::MissingDigest {
                dir: "trail/111122223333/eu-west-1/".into(),
                expected: 1,
                found: 2,
                key: sealed[2].digest_key.clone(),
            }
        );
        assert!(err.to_string().contains("sequence 1 is missing"));
    }

    #[test]
    fn the_newest_digest_deleted_leaves_an_unsealed_batch() {
        let (sealed, mut objects) = trail();
        objects.remove(5);
        assert_eq!(
            verify(&objects).unwrap_err(),
            BrokenLink::UnsealedBatch {
                batch_key: sealed[2].batch_key.clone()
            }
        );
    }

    #[test]
    fn a_reordered_batch_pair_is_named() {
        let (sealed, mut objects) = trail();
        let (first, second) = (objects[0].1.clone(), objects[2].1.clone());
        objects[0].1 = second;
        objects[2].1 = first;
        assert_eq!(
            verify(&objects).unwrap_err(),
            BrokenLink::ReorderedBatch {
                batch_key: sealed[0].batch_key.clone(),
                belongs_to: sealed[1].batch_key.clone(),
            }
        );
    }

    #[test]
    fn a_reordered_digest_pair_is_named() {
        let (sealed, mut objects) = trail();
        let (first, second) = (objects[1].1.clone(), objects[3].1.clone());
        objects[1].1 = second;
        objects[3].1 = first;
        match verify(&objects) {
            Err(BrokenLink::MisplacedDigest { key, expected_key, .. }) => {
                assert_eq!(
                    (key, expected_key),
                    (sealed[1].digest_key.clone(), sealed[0].digest_key.clone())
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_replaced_digest_breaks_the_next_link() {
        // given the middle digest rewritten to seal a forged batch
        let (sealed, mut objects) = trail();
        let forged = gzip_lines(["{\"n\":\"forged\"}"; 4]).unwrap();
        let mut digest = sealed[1].digest.clone();
        digest.batch_sha256 = sha256_hex(&forged);
        objects[2].1 = forged;
        objects[3].1 = serde_json::to_vec(&digest).unwrap();
        // then the next digest no longer chains to it
        match verify(&objects) {
            Err(BrokenLink::PreviousMismatch { key, previous_key, .. }) => {
                assert_eq!(
                    (key, previous_key),
                    (sealed[2].digest_key.clone(), sealed[1].digest_key.clone())
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_unreadable_digest_is_named() {
        let (sealed, mut objects) = trail();
        objects[1].1 = b"not json".to_vec();
        assert!(
            matches!(verify(&objects), Err(BrokenLink::UnreadableDigest { key, .. }) if key == sealed[0].digest_key)
        );
    }
}
