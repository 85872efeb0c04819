//! `sagefence audit verify --dir`, run as an auditor would over a local copy of the trail:
//! intact, each kind of tampering (forged signatures and a cut tail included), an expired
//! prefix verified from its checkpoint, and bad input.

use std::path::{Path, PathBuf};

use chrono::{TimeZone, Utc};
use sagefence_audit::trail::{chain_dir, seal, Entry, Sealed};
use sagefence_aws::ports::DigestSigner as _;
use sagefence_tests::audit::LocalSigner;

use crate::sagefence;

const PREFIX: &str = "audit/";

/// Signs as the shipper does, with `signer`.
fn signed(signer: &LocalSigner, entries: &[Entry], previous: Option<&Sealed>) -> Sealed {
    let dir = chain_dir(PREFIX, "111122223333", "eu-west-1");
    let unsigned = seal(&dir, entries, previous.map(Sealed::head).as_ref()).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let (signature, key) = runtime.block_on(signer.sign(&unsigned.signing_string())).unwrap();
    unsigned.signed(&signature, &key).unwrap()
}

/// A fresh directory holding a three-batch trail copied from under `audit/`, signed by a key
/// whose public key is in `{dir}.pub`.
fn trail(name: &str) -> (PathBuf, Vec<Sealed>) {
    trail_signed(name, &LocalSigner::new().unwrap())
}

fn trail_signed(name: &str, signer: &LocalSigner) -> (PathBuf, Vec<Sealed>) {
    let dir = std::env::temp_dir().join(format!("sagefence-verify-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut sealed: Vec<Sealed> = Vec::new();
    for batch in 0..3 {
        let entries: Vec<Entry> = (0..5)
            .map(|i| Entry {
                id: format!("{:032x}", batch * 100 + i),
                time: Utc.timestamp_opt(1_795_687_200 + batch * 100 + i, 0).unwrap(),
                line: format!("{{\"batch\":{batch},\"i\":{i}}}"),
            })
            .collect();
        sealed.push(signed(signer, &entries, sealed.last()));
    }
    for s in &sealed {
        write(&dir, &s.batch_key, &s.batch);
        write(&dir, &s.digest_key, &s.digest_bytes);
    }
    std::fs::write(public_key_file(&dir), &signer.public_key).unwrap();
    (dir, sealed)
}

fn public_key_file(dir: &Path) -> PathBuf {
    dir.with_extension("pub")
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
    verify_with(dir, &[])
}

fn verify_with(dir: &Path, more: &[&str]) -> (i32, String, String) {
    let key = public_key_file(dir);
    let mut args = vec![
        "audit",
        "verify",
        "--dir",
        dir.to_str().unwrap(),
        "--prefix",
        PREFIX,
        "--public-key",
        key.to_str().unwrap(),
    ];
    args.extend_from_slice(more);
    let out = sagefence(&args);
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
fn a_reordered_pair_or_forged_digest_exits_1() {
    let (dir, sealed) = trail("reordered");
    write(&dir, &sealed[0].batch_key, &sealed[1].batch);
    write(&dir, &sealed[1].batch_key, &sealed[0].batch);
    let (code, _, stderr) = verify(&dir);
    assert_eq!(code, 1);
    assert!(
        stderr.contains(&sealed[0].batch_key) && stderr.contains("changed"),
        "{stderr}"
    );

    // a consistent chain re-sealed by someone who can write the bucket but holds another key
    let (dir, _) = trail("forged");
    let (forged, _) = trail_signed("forged-by", &LocalSigner::new().unwrap());
    std::fs::remove_dir_all(&dir).unwrap();
    std::fs::rename(&forged, &dir).unwrap();
    let (code, _, stderr) = verify(&dir);
    assert_eq!(code, 1);
    assert!(stderr.contains("not signed by a trusted key"), "{stderr}");
}

#[test]
fn a_cut_tail_exits_1_against_the_published_heads() {
    let (dir, sealed) = trail("cut");
    let heads = dir.with_extension("heads");
    let published = sealed[2].published(&chain_dir(PREFIX, "111122223333", "eu-west-1"));
    let events = serde_json::json!({"events": [{"message": published.line()}]});
    std::fs::write(&heads, events.to_string()).unwrap();
    let args = ["--heads", heads.to_str().unwrap()];
    assert_eq!(verify_with(&dir, &args).0, 0);
    std::fs::remove_file(local(&dir, &sealed[2].digest_key)).unwrap();
    std::fs::remove_file(local(&dir, &sealed[2].batch_key)).unwrap();
    // without the heads, a shorter chain is intact; with them, its tail was cut
    assert_eq!(verify(&dir).0, 0);
    let (code, _, stderr) = verify_with(&dir, &args);
    assert_eq!(code, 1);
    assert!(stderr.contains("its tail was cut"), "{stderr}");
}

#[test]
fn an_expired_prefix_is_verified_from_its_checkpoint() {
    let (dir, sealed) = trail("expired");
    std::fs::remove_file(local(&dir, &sealed[0].digest_key)).unwrap();
    std::fs::remove_file(local(&dir, &sealed[0].batch_key)).unwrap();
    let (code, stdout, stderr) = verify_with(&dir, &["--retention-days", "7"]);
    assert_eq!(code, 0, "{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["chains"][0]["from_sequence"], 1);
    assert_eq!(report["chains"][0]["to_sequence"], 2);
    // a start removed within the retention is not an expiry
    let (code, _, stderr) = verify_with(&dir, &["--retention-days", "36500"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("its start was removed"), "{stderr}");
}

#[cfg(unix)]
#[test]
fn a_symbolic_link_in_the_copy_is_refused() {
    let (dir, sealed) = trail("symlink");
    let target = local(&dir, &sealed[1].batch_key);
    let moved = dir.with_extension("elsewhere");
    std::fs::rename(&target, &moved).unwrap();
    std::os::unix::fs::symlink(&moved, &target).unwrap();
    let (code, _, stderr) = verify(&dir);
    assert_eq!(code, 1);
    assert!(stderr.contains("symbolic link"), "{stderr}");
}

#[test]
fn bad_input_exits_2() {
    let (code, _, stderr) = verify(Path::new("/nonexistent/sagefence-trail"));
    assert_eq!(code, 2);
    assert!(stderr.starts_with("sagefence: cannot read"), "{stderr}");

    let empty = std::env::temp_dir().join(format!("sagefence-verify-{}-empty", std::process::id()));
    std::fs::create_dir_all(&empty).unwrap();
    std::fs::write(public_key_file(&empty), LocalSigner::new().unwrap().public_key).unwrap();
    let (code, _, stderr) = verify(&empty);
    assert_eq!(code, 2);
    assert!(stderr.contains("no audit trail objects"), "{stderr}");

    assert_eq!(sagefence(&["audit", "verify"]).status.code(), Some(2));
    let (dir, _) = trail("no-key");
    let out = sagefence(&["audit", "verify", "--dir", dir.to_str().unwrap(), "--prefix", PREFIX]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--public-key"));
}
