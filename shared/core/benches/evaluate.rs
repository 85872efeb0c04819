//! Evaluation throughput on the fixtures in `events/`, beside raw `serde_json::from_slice` of
//! the same bytes into a `serde_json::Value` (the floor: any evaluation must at least parse).
//!
//! `cargo bench -p sagefence-core --bench evaluate`; compare the two `elem/s` figures.

use std::hint::black_box;
use std::path::Path;

use chrono::Utc;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use sagefence_core::{assess_event, Facts, Policy};

fn fixtures() -> Vec<Vec<u8>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../events");
    let mut events = Vec::new();
    let Ok(dirs) = std::fs::read_dir(&root) else {
        return events;
    };
    for dir in dirs.flatten() {
        let Ok(files) = std::fs::read_dir(dir.path()) else {
            continue;
        };
        for file in files.flatten() {
            let path = file.path();
            let name = path.to_string_lossy();
            let valid = name.ends_with(".json") && !name.ends_with(".expected.json") && !name.contains("/malformed/");
            if valid {
                if let Ok(bytes) = std::fs::read(&path) {
                    events.push(bytes);
                }
            }
        }
    }
    events.sort();
    events
}

fn bench(c: &mut Criterion) {
    let events = fixtures();
    let policy = Policy::builtin();
    let facts = Facts::default();
    let now = Utc::now();
    let mut group = c.benchmark_group("events");
    group.throughput(Throughput::Elements(events.len() as u64));
    group.bench_function("serde_json_from_slice_value", |b| {
        b.iter(|| {
            for event in &events {
                let value: Result<serde_json::Value, _> = serde_json::from_slice(black_box(event));
                black_box(value.is_ok());
            }
        })
    });
    group.bench_function("assess_event", |b| {
        b.iter(|| {
            for event in &events {
                let assessment = assess_event(&policy, black_box(event), &facts, now);
                black_box(assessment.is_ok());
            }
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
