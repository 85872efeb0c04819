//! The guardrail wired to the real AWS adapters on an [`Emulator`], with an SNS topic and an
//! SQS queue subscribed to it (to read the notifications back) and an in-memory audit sink
//! (to read the audit records back); and the events the emulator's services send, delivered to
//! it as EventBridge would while the emulator's clock moves on.

use aws_sdk_sqs::types::QueueAttributeName;
use chrono::{DateTime, Utc};
use sagefence_aws::audit_log::JsonLinesAuditSink;
use sagefence_aws::ports::OnAws;
use sagefence_aws::remedy::Ports;
use sagefence_aws::{FlowLogSettings, SnsNotifier};
use sagefence_core::arn::OwnRoles;
use sagefence_core::Policy;
use sagefence_guardrail::{Guardrail, GuardrailError, Settings, Summary};
use serde_json::Value;

use crate::error::{aws, missing};
use crate::records::{json, parse_audit, SharedBuffer};
use crate::world::{
    create_queue, create_topic, delete_message, given_project, ProjectNetwork, ACCOUNT, FLOW_LOG_GROUP_PREFIX,
    TEST_BASE_DELAY,
};
use crate::{Emulator, SupportError};

/// The role the guardrail runs as: calls made with it are its own, echoed back by CloudTrail.
pub const OWN_ROLE_ARN: &str = "arn:aws:iam::123456789012:role/sagefence-guardrail";

/// The guardrail on the real adapters, auditing into a [`SharedBuffer`].
pub type EmulatedGuardrail = Guardrail<OnAws<SnsNotifier>, JsonLinesAuditSink<SharedBuffer>>;

/// Builds a [`GuardrailUnderTest`] on an emulator.
#[derive(Debug)]
pub struct GuardrailBuilder<'a> {
    emulator: &'a Emulator,
    policy: Policy,
    settings: Settings,
    flow_log_role_arn: String,
    raw_delivery: bool,
}

impl<'a> GuardrailBuilder<'a> {
    /// The built-in policy; [`OWN_ROLE_ARN`] as the guardrail's own role; the default number of
    /// attempts with a [`TEST_BASE_DELAY`] backoff; SNS envelopes on the queue.
    pub fn new(emulator: &'a Emulator) -> Self {
        GuardrailBuilder {
            emulator,
            policy: Policy::builtin(),
            settings: Settings {
                own_roles: OwnRoles::new(&[OWN_ROLE_ARN], Some(ACCOUNT.to_owned())).unwrap_or_default(),
                base_delay: TEST_BASE_DELAY,
                ..Settings::default()
            },
            flow_log_role_arn: format!("arn:aws:iam::{ACCOUNT}:role/sagefence-flow-logs"),
            raw_delivery: false,
        }
    }

    /// The policy, as YAML.
    pub fn policy_yaml(mut self, yaml: &str) -> Result<Self, SupportError> {
        self.policy = Policy::from_yaml(yaml)?;
        Ok(self)
    }

    /// The policy.
    pub fn policy(mut self, policy: Policy) -> Self {
        self.policy = policy;
        self
    }

    /// Changes the settings.
    pub fn settings(mut self, change: impl FnOnce(&mut Settings)) -> Self {
        change(&mut self.settings);
        self
    }

    /// The role recreated flow logs deliver with.
    pub fn flow_log_role_arn(mut self, arn: impl Into<String>) -> Self {
        self.flow_log_role_arn = arn.into();
        self
    }

    /// Whether SNS delivers the bare message to the queue (`RawMessageDelivery`) instead of
    /// its JSON envelope. [`GuardrailUnderTest::notifications`] reads either.
    pub fn raw_delivery(mut self, raw: bool) -> Self {
        self.raw_delivery = raw;
        self
    }

    /// Creates the topic and the queue subscribed to it, and the guardrail.
    pub async fn build(self) -> Result<GuardrailUnderTest, SupportError> {
        let sdk = self.emulator.sdk_config();
        let sns = aws_sdk_sns::Client::new(&sdk);
        let sqs = aws_sdk_sqs::Client::new(&sdk);
        let topic_arn = create_topic(&sns).await?;
        let queue_url = create_queue(&sqs, "sagefence-notifications").await?;
        let attributes = sqs
            .get_queue_attributes()
            .queue_url(&queue_url)
            .attribute_names(QueueAttributeName::QueueArn)
            .send()
            .await
            .map_err(aws("GetQueueAttributes"))?;
        let queue_arn = attributes
            .attributes()
            .and_then(|a| a.get(&QueueAttributeName::QueueArn))
            .ok_or_else(|| missing("GetQueueAttributes", "QueueArn"))?
            .clone();
        let mut subscribe = sns
            .subscribe()
            .topic_arn(&topic_arn)
            .protocol("sqs")
            .endpoint(queue_arn);
        if self.raw_delivery {
            subscribe = subscribe.attributes("RawMessageDelivery", "true");
        }
        subscribe.send().await.map_err(aws("Subscribe"))?;

        let audit = SharedBuffer::default();
        let guardrail = Guardrail {
            policy: self.policy,
            settings: self.settings,
            ports: Ports::on_aws(
                &sdk,
                FlowLogSettings {
                    log_group_prefix: FLOW_LOG_GROUP_PREFIX.to_owned(),
                    delivery_role_arn: self.flow_log_role_arn,
                },
                SnsNotifier::new(sns, topic_arn.clone()),
            ),
            audit: JsonLinesAuditSink::new(audit.clone()),
        };
        Ok(GuardrailUnderTest {
            guardrail,
            audit,
            sqs,
            queue_url,
            topic_arn,
        })
    }
}

/// A guardrail test's world: a fresh emulator, the project in it, and the guardrail on the
/// built-in policy.
pub async fn given_guardrail() -> Result<(Emulator, ProjectNetwork, GuardrailUnderTest), SupportError> {
    let (emulator, project) = given_project().await?;
    let guardrail = GuardrailUnderTest::start(&emulator).await?;
    Ok((emulator, project, guardrail))
}

/// The guardrail on an emulator, with its audit records and notifications readable.
#[derive(Debug)]
pub struct GuardrailUnderTest {
    /// The guardrail itself.
    pub guardrail: EmulatedGuardrail,
    /// The notification topic.
    pub topic_arn: String,
    audit: SharedBuffer,
    sqs: aws_sdk_sqs::Client,
    queue_url: String,
}

impl GuardrailUnderTest {
    /// The guardrail on the built-in policy (see [`GuardrailBuilder::new`]).
    pub async fn start(emulator: &Emulator) -> Result<Self, SupportError> {
        GuardrailBuilder::new(emulator).build().await
    }

    /// Handles one event now.
    pub async fn handle(&self, event: &Value) -> Result<Summary, GuardrailError> {
        self.handle_at(event, Utc::now()).await
    }

    /// Handles one event at `now` (exemptions expire relative to it).
    pub async fn handle_at(&self, event: &Value, now: DateTime<Utc>) -> Result<Summary, GuardrailError> {
        self.guardrail.handle(event.to_string().as_bytes(), now).await
    }

    /// Handles raw bytes (for malformed events) now.
    pub async fn handle_bytes(&self, payload: &[u8]) -> Result<Summary, GuardrailError> {
        self.guardrail.handle(payload, Utc::now()).await
    }

    /// Every audit record written so far, parsed from its `SAGEFENCE_AUDIT ` line.
    pub fn audit_records(&self) -> Result<Vec<Value>, SupportError> {
        parse_audit(&self.audit.contents()?)
    }

    /// The audit records written since the last call of this function (or the start).
    pub fn take_audit_records(&self) -> Result<Vec<Value>, SupportError> {
        parse_audit(&self.audit.take()?)
    }

    /// The notifications published since the last call (received from the queue and deleted
    /// there), each the notification's JSON (unwrapped from SNS's envelope).
    pub async fn notifications(&self) -> Result<Vec<Value>, SupportError> {
        let mut out = Vec::new();
        loop {
            let received = self
                .sqs
                .receive_message()
                .queue_url(&self.queue_url)
                .max_number_of_messages(10)
                .wait_time_seconds(0)
                .send()
                .await
                .map_err(aws("ReceiveMessage"))?;
            let messages = received.messages();
            if messages.is_empty() {
                return Ok(out);
            }
            for message in messages {
                let body = message.body().ok_or_else(|| missing("ReceiveMessage", "Body"))?;
                out.push(notification(body)?);
                if let Some(handle) = message.receipt_handle() {
                    delete_message(&self.sqs, &self.queue_url, handle).await?;
                }
            }
        }
    }
}

/// Most rounds of event delivery and clock advances [`GuardrailUnderTest::settle`] makes.
const SETTLE_ROUNDS: usize = 64;

/// One event an AWS service sent, as the guardrail handled it.
#[derive(Debug)]
pub struct Delivered {
    /// The event.
    pub event: Value,
    /// What the guardrail made of it.
    pub result: Result<Summary, GuardrailError>,
}

impl Delivered {
    /// The status the event reports (`detail.NotebookInstanceStatus`), else its detail-type.
    pub fn status(&self) -> &str {
        self.event
            .pointer("/detail/NotebookInstanceStatus")
            .or_else(|| self.event.get("detail-type"))
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    /// `"<status>: <action> <outcome>, ..."` (`"<status>"` alone when nothing was done,
    /// `"<status>: error <message>"` when the guardrail failed), e.g.
    /// `"InService: stop-notebook-instance applied"`.
    pub fn line(&self) -> String {
        let done = match &self.result {
            Ok(summary) => summary_outcomes(summary).join(", "),
            Err(error) => format!("error {error}"),
        };
        if done.is_empty() {
            self.status().to_owned()
        } else {
            format!("{}: {done}", self.status())
        }
    }
}

impl GuardrailUnderTest {
    /// Hands the guardrail, in order, every event the emulator's services sent since the last
    /// take (EventBridge's rule for them has no other filter).
    pub async fn deliver(&self, emulator: &Emulator) -> Result<Vec<Delivered>, SupportError> {
        let mut out = Vec::new();
        for event in emulator.take_events().await? {
            let result = self.handle(&event).await;
            out.push(Delivered { event, result });
        }
        Ok(out)
    }

    /// Lets AWS finish what is under way: delivers the events sent, and while none are, moves
    /// the clock to the next transition, until nothing is left to do. Every event delivered,
    /// in order.
    pub async fn settle(&self, emulator: &Emulator) -> Result<Vec<Delivered>, SupportError> {
        let mut out = Vec::new();
        for _ in 0..SETTLE_ROUNDS {
            let delivered = self.deliver(emulator).await?;
            if delivered.is_empty() {
                match emulator.next_transition_in().await? {
                    Some(seconds) => drop(emulator.advance_clock(seconds).await?),
                    None => return Ok(out),
                }
            }
            out.extend(delivered);
        }
        Ok(out)
    }
}

/// Each delivered event's [`Delivered::line`].
pub fn delivered_lines(delivered: &[Delivered]) -> Vec<String> {
    delivered.iter().map(Delivered::line).collect()
}

/// A queued message's notification: the body itself (raw delivery) or its envelope's `Message`.
fn notification(body: &str) -> Result<Value, SupportError> {
    let value = json("a queued message", body)?;
    match (
        value.get("Type").and_then(Value::as_str),
        value.get("Message").and_then(Value::as_str),
    ) {
        (Some("Notification"), Some(message)) => json("an SNS message", message),
        _ => Ok(value),
    }
}

/// A summary's actions, each as `"<action kind> <outcome>"`, e.g. `"tag applied"`.
pub fn summary_outcomes(summary: &Summary) -> Vec<String> {
    summary
        .actions
        .iter()
        .map(|report| {
            let outcome = serde_json::to_value(&report.outcome)
                .ok()
                .and_then(|v| v.get("outcome").and_then(Value::as_str).map(str::to_owned))
                .unwrap_or_default();
            format!("{} {outcome}", report.action)
        })
        .collect()
}
