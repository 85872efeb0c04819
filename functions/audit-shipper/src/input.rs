//! Decoding the three inputs into items: an SQS batch of audit-record messages, a CloudWatch
//! Logs subscription payload (gzip + base64, decoded by `aws_lambda_events`) whose lines are
//! `SAGEFENCE_AUDIT {json}` records or CloudTrail records, and EventBridge API-call events.

use aws_lambda_events::cloudwatch_logs::LogsEvent;
use aws_lambda_events::sqs::SqsEvent;
use sagefence_audit::audit::record_id;
use sagefence_audit::ocsf::{self, CallSource, RecordLine};
use sagefence_aws::audit_log::AUDIT_PREFIX;
use sagefence_core::event::Event;
use serde_json::{json, Value};

use crate::error::ShipperError;

/// Which input an invocation carries.
#[derive(Debug)]
pub enum Payload {
    /// An SQS batch: each message one audit record; failures are reported per message.
    Sqs(SqsEvent),
    /// A CloudWatch Logs subscription delivery.
    Logs(LogsEvent),
    /// One EventBridge event (a CloudTrail API call).
    EventBridge(Vec<u8>),
}

/// Tells the input apart by its top-level keys.
pub fn payload(bytes: &[u8]) -> Result<Payload, ShipperError> {
    let value: Value = serde_json::from_slice(bytes).map_err(|e| ShipperError::Payload(e.to_string()))?;
    let bad = |e: serde_json::Error| ShipperError::Payload(e.to_string());
    if value.get("awslogs").is_some() {
        // Read from the bytes: the log data decoder borrows its base64 string.
        return serde_json::from_slice(bytes).map(Payload::Logs).map_err(bad);
    }
    if value.get("Records").is_some() {
        return serde_json::from_slice(bytes).map(Payload::Sqs).map_err(bad);
    }
    if value.get("detail-type").is_some() {
        return Ok(Payload::EventBridge(bytes.to_vec()));
    }
    Err(ShipperError::Payload(
        "neither an SQS batch, a CloudWatch Logs delivery nor an EventBridge event".to_owned(),
    ))
}

/// One decoded input item.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// A sagefence audit record.
    Record(Box<RecordLine>),
    /// A governed API call, already in OCSF (API Activity), with its record id.
    ApiCall {
        /// The record id.
        id: String,
        /// When the call was made.
        time: chrono::DateTime<chrono::Utc>,
        /// The account.
        account: Option<String>,
        /// The region.
        region: Option<String>,
        /// The OCSF record.
        ocsf: Value,
    },
    /// Nothing to ship (a read-only call, another service, a log line that is no record).
    Skip,
    /// An item that cannot be read.
    Unreadable(String),
}

/// Decodes one audit record (an SQS message body, or a log line after its prefix).
pub fn record(json: &str) -> Item {
    match RecordLine::from_json(json.trim()) {
        Ok(record) => Item::Record(Box::new(record)),
        Err(err) => Item::Unreadable(format!("not an audit record: {err}")),
    }
}

/// Decodes one EventBridge event: governed API calls become OCSF API Activity.
pub fn event(bytes: &[u8]) -> Item {
    let event = match sagefence_core::event::parse(bytes) {
        Ok(event) => event,
        Err(err) => return Item::Unreadable(format!("not an event: {err}")),
    };
    let Event::ApiCall(call) = event else {
        return Item::Skip;
    };
    #[derive(serde::Deserialize)]
    struct Envelope {
        #[serde(default)]
        detail: CallSource,
    }
    let source = serde_json::from_slice::<Envelope>(bytes)
        .map(|e| e.detail)
        .unwrap_or_default();
    let id = record_id(&["api-call", &call.event_id]);
    Item::ApiCall {
        time: call.meta.time.unwrap_or_default(),
        account: call.meta.account.clone(),
        region: call.meta.region.clone(),
        ocsf: ocsf::api_activity(&id, &call, &source),
        id,
    }
}

/// Decodes one CloudWatch Logs message: a `SAGEFENCE_AUDIT` line, or a CloudTrail record (as
/// CloudTrail delivers them to CloudWatch Logs), or nothing to ship.
pub fn log_line(message: &str) -> Item {
    // Only a line that starts with the marker is an audit record: a CloudTrail record that merely
    // holds the marker (in a name or tag an attacker chose) is still shipped as the call it is.
    if let Some(json) = message.strip_prefix(AUDIT_PREFIX) {
        return record(json);
    }
    let trimmed = message.trim();
    if !trimmed.starts_with('{') || !trimmed.contains("\"eventSource\"") {
        return Item::Skip;
    }
    let Ok(trail) = serde_json::from_str::<Value>(trimmed) else {
        return Item::Skip;
    };
    let service = trail
        .get("eventSource")
        .and_then(Value::as_str)
        .and_then(|s| s.strip_suffix(".amazonaws.com"))
        .unwrap_or_default();
    // The EventBridge envelope CloudTrail would have put around the same record.
    let envelope = json!({
        "version": "0",
        "id": trail.get("eventID"),
        "detail-type": "AWS API Call via CloudTrail",
        "source": format!("aws.{service}"),
        "account": trail.get("recipientAccountId"),
        "time": trail.get("eventTime"),
        "region": trail.get("awsRegion"),
        "resources": [],
        "detail": trail,
    });
    match serde_json::to_vec(&envelope) {
        Ok(bytes) => event(&bytes),
        Err(err) => Item::Unreadable(err.to_string()),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
mod tests {
    use super::*;

    const EVENT: &[u8] = include_bytes!("../../../events/sagemaker/api-create-notebook-instance-direct-internet.json");

    #[test]
    fn an_api_call_becomes_api_activity_from_eventbridge_or_logs() {
        let Item::ApiCall { ocsf, id, .. } = event(EVENT) else {
            panic!("not an API call");
        };
        assert_eq!(ocsf["class_uid"], 6003);
        assert_eq!(ocsf["metadata"]["uid"], id.as_str());
        let detail: Value = serde_json::from_slice::<Value>(EVENT).unwrap()["detail"].clone();
        let Item::ApiCall { ocsf: from_logs, .. } = log_line(&detail.to_string()) else {
            panic!("not an API call from logs");
        };
        assert_eq!(from_logs["api"], ocsf["api"]);
    }

    #[test]
    fn a_call_by_every_kind_of_caller_is_shipped_with_its_actor() {
        let forms: [(&[u8], &str, &str); 7] = [
            (
                include_bytes!("../../../events/sagemaker/api-create-notebook-instance-direct-internet-iam-user.json"),
                "IAMUser",
                "arn:aws:iam::111122223333:user/Alice",
            ),
            (
                include_bytes!("../../../events/sagemaker/api-create-notebook-instance-direct-internet-root.json"),
                "Root",
                "arn:aws:iam::111122223333:root",
            ),
            (
                include_bytes!(
                    "../../../events/sagemaker/api-create-notebook-instance-direct-internet-federated-user.json"
                ),
                "FederatedUser",
                "arn:aws:sts::111122223333:federated-user/Bob",
            ),
            (
                include_bytes!(
                    "../../../events/sagemaker/api-create-notebook-instance-direct-internet-aws-service.json"
                ),
                "AWSService",
                "",
            ),
            (
                include_bytes!(
                    "../../../events/sagemaker/api-create-notebook-instance-direct-internet-aws-account.json"
                ),
                "AWSAccount",
                "AROAYEXAMPLEPARTNER01:partner-session",
            ),
            (
                include_bytes!(
                    "../../../events/sagemaker/api-create-notebook-instance-direct-internet-identity-center-user.json"
                ),
                "IdentityCenterUser",
                "544894e8-80c1-707f-60e3-3ba6510dfac1",
            ),
            (
                include_bytes!("../../../events/sagemaker/api-create-notebook-instance-direct-internet-unknown.json"),
                "Unknown",
                "AIDACKCEVSQ6C2EXAMPLE",
            ),
        ];
        for (bytes, identity_type, uid) in forms {
            let Item::ApiCall { ocsf, .. } = event(bytes) else {
                panic!("{identity_type}: not an API call");
            };
            let user = &ocsf["actor"]["user"];
            assert_eq!(user["type"], identity_type, "{ocsf}");
            assert!(user["name"].as_str().is_some_and(|n| !n.is_empty()), "{ocsf}");
            if uid.is_empty() {
                assert_eq!(ocsf["actor"]["invoked_by"], "cloudformation.amazonaws.com", "{ocsf}");
            } else {
                assert_eq!(user["uid"], uid, "{ocsf}");
            }
        }
    }

    #[test]
    fn a_cloudtrail_record_holding_the_marker_is_shipped_as_its_call() {
        let call: Value = serde_json::from_slice(include_bytes!(
            "../../../events/sagemaker/api-create-notebook-instance-direct-internet.json"
        ))
        .unwrap();
        let mut trail = call["detail"].clone();
        trail["requestParameters"]["notebookInstanceName"] = json!("SAGEFENCE_AUDIT {\"id\":\"forged\"}");
        assert!(matches!(log_line(&trail.to_string()), Item::ApiCall { .. }));
    }

    #[test]
    fn log_lines_that_are_no_records_are_skipped() {
        assert_eq!(log_line("START RequestId: 1 Version: $LATEST"), Item::Skip);
        assert!(matches!(log_line("SAGEFENCE_AUDIT {bad"), Item::Unreadable(_)));
    }
}
