//! The notifier port on SNS: one Publish per notification, its JSON as the message, with the
//! rules, mode and resource kind as message attributes so subscriptions can filter on them.

use aws_sdk_sns::types::MessageAttributeValue;
use aws_sdk_sns::Client;

use crate::error::{other, SdkResultExt};
use crate::ports::{Notifier, PortError, PortResult};
use sagefence_audit::audit::Notification;

/// SNS subjects are at most this many characters.
const SUBJECT_LIMIT: usize = 100;

/// [`Notifier`] publishing to one SNS topic.
#[derive(Debug, Clone)]
pub struct SnsNotifier {
    /// The SNS client.
    pub client: Client,
    /// The topic notifications go to.
    pub topic_arn: String,
}

/// A subject SNS accepts: one line without control characters, at most 100 characters.
pub fn subject(text: &str) -> String {
    let line: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    line.trim().chars().take(SUBJECT_LIMIT).collect()
}

fn attribute(data_type: &str, value: String) -> Result<MessageAttributeValue, PortError> {
    MessageAttributeValue::builder()
        .data_type(data_type)
        .string_value(value)
        .build()
        .map_err(|e| other("Publish", e.to_string()))
}

fn json(value: &impl serde::Serialize) -> Result<String, PortError> {
    serde_json::to_string(value).map_err(|e| other("Publish", e.to_string()))
}

impl SnsNotifier {
    /// A notifier publishing to `topic_arn`.
    pub fn new(client: Client, topic_arn: impl Into<String>) -> Self {
        Self {
            client,
            topic_arn: topic_arn.into(),
        }
    }
}

impl Notifier for SnsNotifier {
    async fn notify(&self, notification: &Notification) -> PortResult<()> {
        let mode = serde_json::to_value(notification.mode).map_err(|e| other("Publish", e.to_string()))?;
        let mut call = self
            .client
            .publish()
            .topic_arn(&self.topic_arn)
            .message(json(notification)?)
            .message_attributes(
                "mode",
                attribute("String", mode.as_str().unwrap_or_default().to_owned())?,
            )
            .message_attributes(
                "resource_kind",
                attribute("String", notification.resource.kind.as_str().to_owned())?,
            );
        if !notification.rules.is_empty() {
            call = call.message_attributes("rules", attribute("String.Array", json(&notification.rules)?)?);
        }
        let subject = subject(&notification.subject);
        if !subject.is_empty() {
            call = call.subject(subject);
        }
        call.send().await.port("Publish").map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_are_one_line_of_at_most_100_characters() {
        assert_eq!(subject("stop\nnotebook\t`nb`"), "stop notebook `nb`");
        let long = "é".repeat(150);
        assert_eq!(subject(&long).chars().count(), 100);
        assert_eq!(subject(" \n "), "");
    }
}
