//! CloudWatch metrics as Embedded Metric Format lines: findings by rule and status, remedies by
//! outcome, records shipped and failed. CloudWatch extracts them from the function's log.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

/// The metrics namespace.
pub const NAMESPACE: &str = "sagefence";

/// What one invocation counted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    /// Findings by (rule, status).
    pub findings: BTreeMap<(String, String), u64>,
    /// Remedies by outcome.
    pub remedies: BTreeMap<String, u64>,
    /// Records written to the trail.
    pub shipped: u64,
    /// Records that failed.
    pub failed: u64,
    /// Duplicates dropped within the batch.
    pub duplicates: u64,
}

fn line(time: DateTime<Utc>, dimensions: &[&str], metric: &str, fields: Value) -> String {
    let mut out = json!({
        "_aws": {
            "Timestamp": time.timestamp_millis(),
            "CloudWatchMetrics": [{
                "Namespace": NAMESPACE,
                "Dimensions": [dimensions],
                "Metrics": [{ "Name": metric, "Unit": "Count" }],
            }],
        },
    });
    if let (Some(out), Some(fields)) = (out.as_object_mut(), fields.as_object()) {
        out.extend(fields.clone());
    }
    out.to_string()
}

/// The EMF lines for `counts`.
pub fn emf(counts: &Counts, time: DateTime<Utc>) -> Vec<String> {
    let mut lines = Vec::new();
    for ((rule, status), n) in &counts.findings {
        lines.push(line(
            time,
            &["Rule", "Status"],
            "Findings",
            json!({ "Rule": rule, "Status": status, "Findings": n }),
        ));
    }
    for (outcome, n) in &counts.remedies {
        lines.push(line(
            time,
            &["Outcome"],
            "Remedies",
            json!({ "Outcome": outcome, "Remedies": n }),
        ));
    }
    lines.push(line(
        time,
        &[],
        "RecordsShipped",
        json!({ "RecordsShipped": counts.shipped }),
    ));
    lines.push(line(
        time,
        &[],
        "RecordsFailed",
        json!({ "RecordsFailed": counts.failed }),
    ));
    lines
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn each_line_is_valid_emf() {
        let mut counts = Counts {
            shipped: 3,
            ..Counts::default()
        };
        counts.findings.insert(("r".into(), "FAILED".into()), 2);
        counts.remedies.insert("applied".into(), 1);
        let lines = emf(&counts, Utc::now());
        assert_eq!(lines.len(), 4);
        let first: Value = serde_json::from_str(&lines[0]).unwrap();
        assert_eq!(
            first["_aws"]["CloudWatchMetrics"][0]["Dimensions"][0],
            json!(["Rule", "Status"])
        );
        assert_eq!(first["Findings"], 2);
        assert_eq!(first["Rule"], "r");
        let shipped: Value = serde_json::from_str(&lines[2]).unwrap();
        assert_eq!(shipped["RecordsShipped"], 3);
    }
}
