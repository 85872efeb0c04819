//! The audit sink on SQS: one SendMessage per record to the audit-shipper's queue, the record's
//! JSON as the body (what the shipper's SQS input decodes), its function and subject type as
//! message attributes. [`AuditDestination`] is the one way a function's `main` picks its sink:
//! the queue when `SAGEFENCE_AUDIT_QUEUE_URL` is set, JSON lines on stdout otherwise.

use std::io::Stdout;

use aws_sdk_sqs::types::MessageAttributeValue;
use aws_sdk_sqs::Client;

use crate::audit_log::JsonLinesAuditSink;
use crate::error::{other, SdkResultExt};
use crate::ports::{AuditSink, PortResult};
use crate::settings::Vars;
use sagefence_audit::audit::AuditRecord;

/// The environment variable naming the audit-shipper's queue.
pub const AUDIT_QUEUE_URL_ENV: &str = "SAGEFENCE_AUDIT_QUEUE_URL";

const OPERATION: &str = "SendMessage";

/// [`AuditSink`] sending each record to one SQS queue.
#[derive(Debug, Clone)]
pub struct SqsAuditSink {
    /// The SQS client.
    pub client: Client,
    /// The queue records go to.
    pub queue_url: String,
}

impl SqsAuditSink {
    /// A sink sending to `queue_url`.
    pub fn new(client: Client, queue_url: impl Into<String>) -> Self {
        Self {
            client,
            queue_url: queue_url.into(),
        }
    }
}

fn attribute(value: &str) -> PortResult<MessageAttributeValue> {
    MessageAttributeValue::builder()
        .data_type("String")
        .string_value(value)
        .build()
        .map_err(|e| other(OPERATION, e.to_string()))
}

impl AuditSink for SqsAuditSink {
    async fn record(&self, record: &AuditRecord) -> PortResult<()> {
        let body = serde_json::to_string(record).map_err(|e| other(OPERATION, e.to_string()))?;
        self.client
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(body)
            .message_attributes("function", attribute(record.function)?)
            .message_attributes("subject", attribute(record.subject.type_name())?)
            .send()
            .await
            .port(OPERATION)
            .map(drop)
    }
}

/// Where a function's audit records go: the audit-shipper's queue, or JSON lines on stdout
/// (which a CloudWatch Logs subscription delivers to the shipper).
#[derive(Debug)]
pub enum AuditDestination {
    /// The audit-shipper's SQS queue.
    Queue(SqsAuditSink),
    /// `SAGEFENCE_AUDIT {json}` lines on stdout.
    Log(JsonLinesAuditSink<Stdout>),
}

impl AuditDestination {
    /// The queue when [`AUDIT_QUEUE_URL_ENV`] is set (and not blank), stdout otherwise.
    pub fn from_env(sqs: Client) -> Self {
        Self::choose(Vars::process().optional(AUDIT_QUEUE_URL_ENV), sqs)
    }

    /// The queue at `queue_url` when there is one (and it is not blank), stdout otherwise.
    pub fn choose(queue_url: Option<String>, sqs: Client) -> Self {
        match crate::settings::setting(queue_url) {
            Some(url) => AuditDestination::Queue(SqsAuditSink::new(sqs, url)),
            None => AuditDestination::Log(JsonLinesAuditSink::new(std::io::stdout())),
        }
    }
}

impl AuditSink for AuditDestination {
    async fn record(&self, record: &AuditRecord) -> PortResult<()> {
        match self {
            AuditDestination::Queue(queue) => queue.record(record).await,
            AuditDestination::Log(log) => log.record(record).await,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    fn client() -> Client {
        let config = aws_sdk_sqs::Config::builder()
            .behavior_version(aws_sdk_sqs::config::BehaviorVersion::latest())
            .region(aws_sdk_sqs::config::Region::new("eu-west-1"))
            .build();
        Client::from_conf(config)
    }

    #[test]
    fn a_queue_url_picks_the_queue_and_none_or_blank_picks_stdout() {
        let url = "https://sqs.eu-west-1.amazonaws.com/123456789012/sagefence-audit";
        match AuditDestination::choose(Some(format!(" {url} ")), client()) {
            AuditDestination::Queue(queue) => assert_eq!(queue.queue_url, url),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            AuditDestination::choose(None, client()),
            AuditDestination::Log(_)
        ));
        assert!(matches!(
            AuditDestination::choose(Some("  ".into()), client()),
            AuditDestination::Log(_)
        ));
    }
}
