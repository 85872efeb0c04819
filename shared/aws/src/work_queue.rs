//! The sweeper's work queue on SQS: SendMessageBatch, up to ten messages a call, answering which the
//! queue refused so the caller can send them again or report them.

use aws_sdk_sqs::types::SendMessageBatchRequestEntry;
use aws_sdk_sqs::Client;

use crate::error::{other, SdkResultExt};
use crate::ports::{PortResult, WorkQueue};

/// The most messages SendMessageBatch takes.
pub const MAX_BATCH: usize = 10;

/// [`WorkQueue`] on one SQS queue.
#[derive(Debug, Clone)]
pub struct SqsQueue {
    /// The SQS client.
    pub client: Client,
    /// The queue URL.
    pub queue_url: String,
}

impl SqsQueue {
    /// The queue at `queue_url`.
    pub fn new(client: Client, queue_url: impl Into<String>) -> Self {
        Self {
            client,
            queue_url: queue_url.into(),
        }
    }
}

impl WorkQueue for SqsQueue {
    async fn send_batch(&self, bodies: &[String]) -> PortResult<Vec<usize>> {
        let op = "SendMessageBatch";
        if bodies.is_empty() {
            return Ok(Vec::new());
        }
        if bodies.len() > MAX_BATCH {
            return Err(other(
                op,
                format!("{} messages in one batch; at most {MAX_BATCH}", bodies.len()),
            ));
        }
        let entries = bodies
            .iter()
            .enumerate()
            .map(|(i, body)| {
                SendMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .message_body(body)
                    .build()
                    .map_err(|e| other(op, e.to_string()))
            })
            .collect::<PortResult<Vec<_>>>()?;
        let out = self
            .client
            .send_message_batch()
            .queue_url(&self.queue_url)
            .set_entries(Some(entries))
            .send()
            .await
            .port(op)?;
        Ok(out.failed().iter().filter_map(|f| f.id().parse().ok()).collect())
    }
}
