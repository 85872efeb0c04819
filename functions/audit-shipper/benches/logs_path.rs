//! Records per second on the CloudWatch Logs path (base64 + gunzip, parse, convert to OCSF,
//! gzip as a trail batch), beside raw base64 + gunzip + gzip of the same bytes: the price of
//! parsing and converting over moving the bytes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;

use base64::Engine as _;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use sagefence_audit::ocsf;
use sagefence_audit::trail;
use sagefence_audit_shipper::input::{self, Item, Payload};
use serde_json::{json, Value};

const RECORDS: usize = 1000;

fn record(i: usize) -> Value {
    let finding = json!({"type": "finding", "finding": {
        "rule": "notebook-root-access-disabled", "control": "SageMaker.3",
        "resource": {"kind": "notebook-instance", "name": format!("nb-{i}"),
                     "arn": format!("arn:aws:sagemaker:eu-west-1:123456789012:notebook-instance/nb-{i}")},
        "status": "FAILED", "severity": "HIGH", "reason": "RootAccess is Enabled", "mode": "enforce"}});
    let action = json!({"type": "action", "outcome": "applied", "action": {
        "action": {"type": "stop-notebook-instance"},
        "resource": {"kind": "notebook-instance", "name": format!("nb-{i}")},
        "rules": ["notebook-root-access-disabled"], "mode": "enforce", "reason": "RootAccess is Enabled"}});
    json!({
        "id": format!("{i:016x}"), "time": "2026-11-26T10:00:00Z", "function": "guardrail",
        "event_id": "0d2b7e4c-1b1a-4c53-9d0e-1c6f3a3e9f10", "account": "123456789012", "region": "eu-west-1",
        "actor": {"identity_type": "AssumedRole", "arn": "arn:aws:sts::123456789012:assumed-role/ds/alice",
                  "role_arn": "arn:aws:iam::123456789012:role/ds", "invoked_by": null},
        "subject": if i % 2 == 0 { finding } else { action },
    })
}

fn payload() -> (Vec<u8>, String) {
    let events: Vec<Value> = (0..RECORDS)
        .map(|i| json!({"id": format!("e{i}"), "timestamp": 1_795_687_200_000_i64, "message": format!("SAGEFENCE_AUDIT {}\n", record(i))}))
        .collect();
    let data = json!({
        "messageType": "DATA_MESSAGE", "owner": "123456789012", "logGroup": "/aws/lambda/guardrail",
        "logStream": "s", "subscriptionFilters": ["audit"], "logEvents": events,
    })
    .to_string();
    let encoded = base64::engine::general_purpose::STANDARD.encode(trail::gzip_lines([data.as_str()]).unwrap());
    (
        serde_json::to_vec(&json!({ "awslogs": { "data": encoded } })).unwrap(),
        encoded,
    )
}

fn logs_path(c: &mut Criterion) {
    let (payload, encoded) = payload();
    let mut group = c.benchmark_group("cloudwatch-logs");
    group.throughput(Throughput::Elements(RECORDS as u64));
    group.bench_function("ship-path", |b| {
        b.iter(|| {
            let Payload::Logs(logs) = input::payload(black_box(&payload)).unwrap() else {
                panic!("not logs");
            };
            let lines: Vec<String> = logs
                .aws_logs
                .data
                .log_events
                .iter()
                .filter_map(|e| match input::log_line(&e.message) {
                    Item::Record(r) => ocsf::from_record(&r).map(|v| v.to_string()),
                    _ => None,
                })
                .collect();
            trail::gzip_lines(lines.iter().map(String::as_str)).unwrap()
        });
    });
    group.bench_function("raw-gunzip-gzip", |b| {
        b.iter(|| {
            let gz = base64::engine::general_purpose::STANDARD
                .decode(black_box(&encoded))
                .unwrap();
            let raw = trail::gunzip(&gz).unwrap();
            trail::gzip_lines([std::str::from_utf8(&raw).unwrap()]).unwrap()
        });
    });
    group.finish();
}

criterion_group!(benches, logs_path);
criterion_main!(benches);
