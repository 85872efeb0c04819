//! The audit-shipper: against in-memory ports, and end to end on the emulator's S3 and Security Hub.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod faults;
mod shipper;
mod trail;

use base64::Engine as _;
use serde_json::{json, Value};

/// The records in the trail's batches (`*.json.gz`) among these objects, in order.
fn lines(objects: &[(String, Vec<u8>)]) -> Vec<Value> {
    objects
        .iter()
        .filter(|(k, _)| k.ends_with(".json.gz"))
        .flat_map(|(_, bytes)| {
            String::from_utf8(sagefence_audit::trail::gunzip(bytes).unwrap())
                .unwrap()
                .lines()
                .map(|l| serde_json::from_str::<Value>(l).unwrap())
                .collect::<Vec<_>>()
        })
        .collect()
}

/// CloudTrail's record of a `CreateNotebookInstance` with direct internet access (a fixture).
fn api_call() -> Vec<u8> {
    include_bytes!("../../../events/sagemaker/api-create-notebook-instance-direct-internet.json").to_vec()
}

/// A CloudWatch Logs subscription delivery of `messages`, gzip + base64 as Lambda receives it.
fn awslogs(messages: &[String]) -> Vec<u8> {
    let events: Vec<Value> = messages
        .iter()
        .enumerate()
        .map(|(i, m)| json!({"id": format!("e{i}"), "timestamp": 1_795_687_200_000_i64, "message": m}))
        .collect();
    let data = json!({
        "messageType": "DATA_MESSAGE", "owner": "123456789012", "logGroup": "/aws/lambda/guardrail",
        "logStream": "s", "subscriptionFilters": ["audit"], "logEvents": events,
    });
    let gz = sagefence_audit::trail::gzip_lines([data.to_string().as_str()]).unwrap();
    let data = base64::engine::general_purpose::STANDARD.encode(gz);
    serde_json::to_vec(&json!({ "awslogs": { "data": data } })).unwrap()
}
