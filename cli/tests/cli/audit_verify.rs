//! `sagefence audit verify --dir`, run as an auditor would over a local copy of the trail:
//! intact, each kind of tampering, and bad input.

use std::path::{Path, PathBuf};

use chrono::{TimeZone, Utc};
use sagefence_audit::trail::{seal, Entry, Sealed};

use crate::sagefence;

const PREFIX: &str = "audit/";

/// A fresh directory holding a three-batch trail copied from under `audit/`.
fn trail(name: &str) -> (PathBuf, Vec<Sealed>) {
    let dir = std::env::temp_dir().join(format!("sagefence-verify-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut sealed: Vec<Sealed> = Vec::new();
    for batch in 0..3 {
        let entries: Vec<Entry> = (0..5)
            .map(|i| Entry {
                time: Utc.timestamp_opt(1_795_687_200 + batch * 100 + i, 0).unwrap(),
                line: format!("{{\"batch\":{batch},\"i\":{i}}}"),
            })
            .collect();
        let previous = sealed.last().map(Sealed::head);
        sealed.push(seal(PREFIX, "111122223333", "eu-west-1", &entries, previous.as_ref()).unwrap());
    }
    for s in &sealed {
        write(&dir, &s.batch_key, &s.batch);
        write(&dir, &s.digest_key, &s.digest_bytes);
    }
    (dir, sealed)
}

fn local(dir: &Path, key: &str) -> PathBuf {
    dir.join(key.strip_prefix(PREFIX).unwrap())
}

fn write(dir: &Path, key: &str, bytes: &[u8]) {
    let path = local(dir, key);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

fn verify(dir: &Path) -> (i32, String, String) {
    let out = sagefence(&["audit", "verify", "--dir", dir.to_str().unwrap(), "--prefix", PREFIX]);
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn an_intact_trail_exits_0_with_its_report() {
    let (dir, sealed) = trail("intact");
    let (code, stdout, stderr) = verify(&dir);
    assert_eq!(code, 0, "{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["chains"][0]["batches"], 3);
    assert_eq!(report["chains"][0]["records"], 15);
    assert_eq!(report["chains"][0]["head"], sealed[2].digest_key.as_str());
}

#[test]
fn a_flipped_byte_exits_1_naming_the_batch() {
    let (dir, sealed) = trail("flipped");
    let mut bytes = sealed[1].batch.clone();
    bytes[10] ^= 0x20;
    write(&dir, &sealed[1].batch_key, &bytes);
    let (code, stdout, stderr) = verify(&dir);
    assert_eq!(code, 1);
    assert!(stdout.is_empty());
    assert!(
        stderr.contains(&sealed[1].batch_key) && stderr.contains("changed"),
        "{stderr}"
    );
}

#[test]
fn a_deleted_batch_or_digest_exits_1() {
    let (dir, sealed) = trail("deleted-batch");
    std::fs::remove_file(local(&dir, &sealed[0].batch_key)).unwrap();
    let (code, _, stderr) = verify(&dir);
    assert_eq!(code, 1);
    assert!(
        stderr.contains(&sealed[0].batch_key) && stderr.contains("missing"),
        "{stderr}"
    );

    let (dir, sealed) = trail("deleted-digest");
    std::fs::remove_file(local(&dir, &sealed[1].digest_key)).unwrap();
    let (code, _, stderr) = verify(&dir);
    assert_eq!(code, 1);
    assert!(stderr.contains("sequence 1 is missing"), "{stderr}");
}

#[test]
fn a_reordered_pair_or_replaced_digest_exits_1() {
    let (dir, sealed) = trail("reordered");
    write(&dir, &sealed[0].batch_key, &sealed[1].batch);
    write(&dir, &sealed[1].batch_key, &sealed[0].batch);
    let (code, _, stderr) = verify(&dir);
    assert_eq!(code, 1);
    assert!(stderr.contains("reordered"), "{stderr}");

    let (dir, sealed) = trail("replaced");
    let mut digest = sealed[1].digest.clone();
    digest.last_time += chrono::Duration::seconds(1);
    write(&dir, &sealed[1].digest_key, &serde_json::to_vec(&digest).unwrap());
    let (code, _, stderr) = verify(&dir);
    assert_eq!(code, 1);
    assert!(
        stderr.contains(&sealed[2].digest_key) && stderr.contains("replaced"),
        "{stderr}"
    );
}

#[test]
fn bad_input_exits_2() {
    let (code, _, stderr) = verify(Path::new("/nonexistent/sagefence-trail"));
    assert_eq!(code, 2);
    assert!(stderr.starts_with("sagefence: cannot read"), "{stderr}");

    let empty = std::env::temp_dir().join(format!("sagefence-verify-{}-empty", std::process::id()));
    std::fs::create_dir_all(&empty).unwrap();
    let (code, _, stderr) = verify(&empty);
    assert_eq!(code, 2);
    assert!(stderr.contains("no audit trail objects"), "{stderr}");

    assert_eq!(sagefence(&["audit", "verify"]).status.code(), Some(2));
}
