//! The audit trail's benchmark (`make bench-trail`, `bench/audit-trail/run.sh`):
//!
//! - `generate DIR RECORDS`: a signed trail of RECORDS records (batches of 1,000 OCSF-sized
//!   lines) under `DIR/audit/`, its public key in `DIR.pub`, as an auditor's copy would be;
//! - `floor DIR`: the least any verifier must do with those bytes, in this process: read each
//!   batch, SHA-256 it and inflate it, counting lines; prints records per second;
//! - `shipper PRIOR...`: on the emulator, a cold shipper committing 30 batches of 10 records to a
//!   chain that already has PRIOR batches (each age its own chain); prints, per age, the AWS calls
//!   and the wall time per batch, so the cost can be compared across ages.

use std::error::Error;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::{TimeZone, Utc};
use flate2::read::GzDecoder;
use futures_util::StreamExt as _;
use sagefence_audit::trail::{self, Entry, HeadPointer, Sealed};
use sagefence_aws::ports::{DigestSigner, TrailWriter};
use sagefence_aws::S3Trail;
use sagefence_tests::audit::{AuditTrail, LocalSigner, TRAIL_BUCKET, TRAIL_PREFIX};
use sagefence_tests::Emulator;
use serde_json::{json, Value};
use sha2::{Digest as _, Sha256};

const PER_BATCH: usize = 1_000;

/// A line the size of a real OCSF Remediation Activity record.
fn line(n: usize) -> String {
    json!({
        "class_uid": 7001, "category_uid": 7, "activity_id": 1, "type_uid": 700101,
        "time": 1_795_687_200_000_u64 + n as u64, "severity_id": 1, "status_id": 1,
        "metadata": {"uid": format!("{n:032x}"), "version": "1.3.0",
                     "product": {"name": "sagefence", "vendor_name": "sagefence"}},
        "cloud": {"provider": "AWS", "region": "eu-west-1", "account": {"uid": "123456789012"}},
        "command_uid": format!("stop-notebook-instance/arn:aws:sagemaker:eu-west-1:123456789012:notebook-instance/alpha-{n}"),
        "message": "root access is enabled; stopped the notebook instance",
        "unmapped": {"rules": ["notebook-root-access-disabled"], "mode": "enforce"}
    })
    .to_string()
}

async fn generate(dir: &Path, records: usize) -> Result<(), Box<dyn Error>> {
    let _ = std::fs::remove_dir_all(dir);
    let signer = LocalSigner::new()?;
    let chain = trail::chain_dir(TRAIL_PREFIX, "123456789012", "eu-west-1");
    let mut previous: Option<Sealed> = None;
    let mut bytes = 0u64;
    for start in (0..records).step_by(PER_BATCH) {
        let entries: Vec<Entry> = (start..(start + PER_BATCH).min(records))
            .map(|n| Entry {
                id: format!("{n:032x}"),
                time: Utc
                    .timestamp_opt(1_795_687_200 + (n / PER_BATCH) as i64, 0)
                    .single()
                    .unwrap_or_default(),
                line: line(n),
            })
            .collect();
        let unsigned = trail::seal(&chain, &entries, previous.as_ref().map(Sealed::head).as_ref())?;
        let (signature, key) = signer.sign(&unsigned.signing_string()).await?;
        let sealed = unsigned.signed(&signature, &key)?;
        for (key, object) in [
            (&sealed.batch_key, &sealed.batch),
            (&sealed.digest_key, &sealed.digest_bytes),
        ] {
            let path = dir.join(key.strip_prefix(TRAIL_PREFIX).unwrap_or(key));
            std::fs::create_dir_all(path.parent().ok_or("no parent")?)?;
            std::fs::write(path, object)?;
            bytes += object.len() as u64;
        }
        previous = Some(sealed);
    }
    std::fs::write(dir.with_extension("pub"), &signer.public_key)?;
    println!(
        "generated {records} records in {} batches, {bytes} bytes",
        records.div_ceil(PER_BATCH)
    );
    Ok(())
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            files(&path, out)?;
        } else if path.to_string_lossy().ends_with(".json.gz") {
            out.push(path);
        }
    }
    Ok(())
}

fn floor(dir: &Path) -> Result<(), Box<dyn Error>> {
    let mut batches = Vec::new();
    files(dir, &mut batches)?;
    let start = Instant::now();
    let (mut lines, mut block) = (0u64, vec![0u8; 64 * 1024]);
    for path in &batches {
        let bytes = std::fs::read(path)?;
        let hash = Sha256::digest(&bytes);
        std::hint::black_box(hash);
        let mut decoder = GzDecoder::new(bytes.as_slice());
        loop {
            let n = decoder.read(&mut block)?;
            if n == 0 {
                break;
            }
            lines += block.iter().take(n).filter(|b| **b == b'\n').count() as u64;
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    println!(
        "floor: {lines} records in {seconds:.2} s, {:.0} records/s",
        lines as f64 / seconds
    );
    Ok(())
}

fn action(n: usize, age: u64) -> Value {
    json!({
        "id": format!("age{age}-{n}"), "time": "2026-11-26T10:00:00Z", "function": "guardrail",
        "account": "123456789012", "region": "eu-west-1",
        "subject": {"type": "action", "outcome": "applied", "action": {
            "action": {"type": "stop-notebook-instance"},
            "resource": {"kind": "notebook-instance", "name": format!("nb-{n}")},
            "rules": ["notebook-root-access-disabled"], "mode": "enforce", "reason": "root access"}}
    })
}

/// Writes `prior` signed batches (one record each) and the head pointer to chain `dir`.
async fn seed(store: &S3Trail, signer: &LocalSigner, dir: &str, prior: u64) -> Result<(), Box<dyn Error>> {
    let mut objects = Vec::new();
    let mut previous: Option<Sealed> = None;
    for n in 0..prior {
        let entry = Entry {
            id: format!("{n:032x}"),
            time: Utc.timestamp_opt(1_795_687_200, 0).single().unwrap_or_default(),
            line: line(n as usize),
        };
        let unsigned = trail::seal(dir, &[entry], previous.as_ref().map(Sealed::head).as_ref())?;
        let (signature, key) = signer.sign(&unsigned.signing_string()).await?;
        let sealed = unsigned.signed(&signature, &key)?;
        objects.push((sealed.batch_key.clone(), sealed.batch.clone()));
        objects.push((sealed.digest_key.clone(), sealed.digest_bytes.clone()));
        previous = Some(sealed);
    }
    let written: Vec<_> = futures_util::stream::iter(objects)
        .map(|(key, bytes)| async move { store.put(&key, bytes, "application/octet-stream").await })
        .buffer_unordered(16)
        .collect()
        .await;
    written.into_iter().collect::<Result<Vec<()>, _>>()?;
    if let Some(last) = previous {
        let pointer = HeadPointer {
            sequence: last.digest.sequence,
            digest_key: last.digest_key.clone(),
        };
        store
            .put(&trail::head_key(dir), serde_json::to_vec(&pointer)?, "application/json")
            .await?;
    }
    Ok(())
}

async fn shipper(ages: &[u64]) -> Result<(), Box<dyn Error>> {
    const BATCHES: usize = 30;
    let emulator = Emulator::start().await?;
    let audit = AuditTrail::create(&emulator).await?;
    let store = S3Trail::new(audit.s3.clone(), TRAIL_BUCKET, Some(audit.key_arn.clone()));
    let signer = LocalSigner::new()?;
    for &age in ages {
        let mut shipper = audit.another_shipper(&emulator);
        shipper.settings.prefix = format!("{TRAIL_PREFIX}age-{age}/");
        let dir = trail::chain_dir(&shipper.settings.prefix, "123456789012", "eu-west-1");
        seed(&store, &signer, &dir, age).await?;
        emulator.control("requests/reset", &json!({})).await?;
        let start = Instant::now();
        for b in 0..BATCHES {
            let records: Vec<Value> = (0..10)
                .map(|i| {
                    let n = b * 10 + i;
                    json!({"messageId": format!("m{n}"), "body": action(n, age).to_string(), "eventSource": "aws:sqs"})
                })
                .collect();
            let answer = shipper
                .handle(&serde_json::to_vec(&json!({ "Records": records }))?, Utc::now())
                .await?;
            if answer != json!({ "batchItemFailures": [] }) {
                return Err(format!("batch {b} failed: {answer}").into());
            }
        }
        let elapsed = start.elapsed().as_secs_f64();
        let calls = emulator.control("requests/reset", &json!({})).await?;
        let total = calls.get("total").and_then(Value::as_u64).unwrap_or_default();
        let listings = calls
            .pointer("/by_action/s3:ListObjectsV2")
            .and_then(Value::as_u64)
            .unwrap_or_default();
        println!(
            "shipper: {age} prior batches: {:.2} calls and {:.2} ms per batch of 10 records (first batch a cold start; {} ListObjectsV2)",
            total as f64 / BATCHES as f64,
            elapsed * 1e3 / BATCHES as f64,
            listings
        );
    }
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["generate", dir, records] => generate(Path::new(dir), records.parse()?).await,
        ["floor", dir] => floor(Path::new(dir)),
        ["shipper", ages @ ..] => {
            let ages: Vec<u64> = ages.iter().map(|a| a.parse()).collect::<Result<_, _>>()?;
            Box::pin(shipper(&ages)).await
        }
        _ => Err("usage: bench_trail generate DIR RECORDS | floor DIR | shipper PRIOR...".into()),
    }
}
