//! Support for the guardrail's integration tests: the guardrail wired to the real AWS adapters
//! on an [`Emulator`], with an SNS topic and an SQS queue subscribed to it (to read the
//! notifications back) and an in-memory audit sink (to read the audit records back); event
//! fixtures from `events/` rewritten to name the resources a test created; and a project
//! network (a tagged VPC without internet gateway, its subnet and security group, a project
//! KMS key and notebook role) to create them in.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_ec2::types::{
    FlowLogsResourceType, LogDestinationType, ResourceType, Tag as Ec2Tag, TagSpecification, TrafficType,
    VpcEndpointType,
};
use aws_sdk_sagemaker::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_sdk_sagemaker::types::{DirectInternetAccess, InstanceType, RootAccess, Tag as SageMakerTag};
use aws_sdk_sqs::types::QueueAttributeName;
use chrono::{DateTime, Utc};
use sagefence_aws::audit_log::{JsonLinesAuditSink, AUDIT_PREFIX};
use sagefence_aws::{Ec2Adapter, FlowLogSettings, IamAdapter, KmsAdapter, SageMakerAdapter, SnsNotifier};
use sagefence_core::Policy;
use sagefence_guardrail::{Guardrail, GuardrailError, Settings, Summary};
use serde_json::Value;

use crate::{Emulator, HarnessError, REGION};

/// The emulator's account (moto's default).
pub const ACCOUNT: &str = "123456789012";
/// The project every test resource belongs to.
pub const PROJECT: &str = "alpha";
/// The tag key naming a resource's project (the built-in policy's).
pub const PROJECT_TAG: &str = "sagefence:project";
/// The tag key naming a resource's owner (the built-in policy's).
pub const OWNER_TAG: &str = "sagefence:owner";
/// The owner of every test resource.
pub const OWNER: &str = "alice";
/// The role the guardrail runs as: calls made with it are its own, echoed back by CloudTrail.
pub const OWN_ROLE_ARN: &str = "arn:aws:iam::123456789012:role/sagefence-guardrail";
/// The first backoff delay in tests: short, so throttled calls retry within milliseconds.
pub const TEST_BASE_DELAY: Duration = Duration::from_millis(5);
/// The log group prefix of flow logs the guardrail recreates.
pub const FLOW_LOG_GROUP_PREFIX: &str = "/sagefence/flow-logs/";
/// The VPC endpoint services a project VPC needs under the built-in policy.
pub const REQUIRED_ENDPOINT_SERVICES: [&str; 6] =
    ["sagemaker.api", "sagemaker.runtime", "notebook", "sts", "logs", "s3"];

const ASSUME_SAGEMAKER: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"sagemaker.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
const ASSUME_FLOW_LOGS: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"vpc-flow-logs.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

/// Why test support could not set something up or read something back.
#[derive(Debug, thiserror::Error)]
pub enum SupportError {
    /// The emulator failed.
    #[error(transparent)]
    Harness(#[from] HarnessError),
    /// An AWS call to the emulator failed.
    #[error("`{operation}` failed: {message}")]
    Aws {
        /// The operation.
        operation: &'static str,
        /// What the SDK said.
        message: String,
    },
    /// An AWS answer lacked a field every answer carries.
    #[error("`{operation}` answered without `{field}`")]
    Answer {
        /// The operation.
        operation: &'static str,
        /// The missing field.
        field: &'static str,
    },
    /// The policy given to the builder is invalid.
    #[error("invalid test policy: {0}")]
    Policy(#[from] sagefence_core::PolicyError),
    /// A fixture could not be read.
    #[error("fixture {}: {source}", path.display())]
    Fixture {
        /// The fixture file.
        path: PathBuf,
        /// The failure.
        #[source]
        source: io::Error,
    },
    /// A fixture, audit line or notification is not the JSON expected.
    #[error("invalid JSON in {what}: {source}")]
    Json {
        /// What was read.
        what: String,
        /// The parse failure.
        #[source]
        source: serde_json::Error,
    },
    /// An event template has no field at this JSON pointer.
    #[error("event has no field at `{pointer}` to set")]
    Template {
        /// The JSON pointer.
        pointer: String,
    },
    /// The in-memory audit buffer is poisoned (a writer panicked).
    #[error("the audit buffer is poisoned")]
    Poisoned,
}

pub(crate) fn aws<E: std::error::Error>(operation: &'static str) -> impl FnOnce(E) -> SupportError {
    move |error| SupportError::Aws {
        operation,
        message: DisplayErrorContext(&error).to_string(),
    }
}

pub(crate) fn missing(operation: &'static str, field: &'static str) -> SupportError {
    SupportError::Answer { operation, field }
}

/// Creates a standard queue; answers its URL.
pub(crate) async fn create_queue(sqs: &aws_sdk_sqs::Client, name: &str) -> Result<String, SupportError> {
    let queue = sqs
        .create_queue()
        .queue_name(name)
        .send()
        .await
        .map_err(aws("CreateQueue"))?;
    Ok(queue
        .queue_url()
        .ok_or_else(|| missing("CreateQueue", "QueueUrl"))?
        .to_owned())
}

/// Creates the notification topic (`sagefence-notifications`); answers its ARN.
pub(crate) async fn create_topic(sns: &aws_sdk_sns::Client) -> Result<String, SupportError> {
    let topic = sns
        .create_topic()
        .name("sagefence-notifications")
        .send()
        .await
        .map_err(aws("CreateTopic"))?;
    Ok(topic
        .topic_arn()
        .ok_or_else(|| missing("CreateTopic", "TopicArn"))?
        .to_owned())
}

/// A byte buffer shared between the audit sink (which writes to it) and the test (which reads it).
#[derive(Debug, Clone, Default)]
pub struct SharedBuffer(Arc<Mutex<Vec<u8>>>);

impl SharedBuffer {
    /// Everything written so far.
    pub fn contents(&self) -> Result<Vec<u8>, SupportError> {
        self.0
            .lock()
            .map(|bytes| bytes.clone())
            .map_err(|_| SupportError::Poisoned)
    }

    /// Everything written so far, leaving the buffer empty.
    pub fn take(&self) -> Result<Vec<u8>, SupportError> {
        self.0
            .lock()
            .map(|mut bytes| std::mem::take(&mut *bytes))
            .map_err(|_| SupportError::Poisoned)
    }
}

impl Write for SharedBuffer {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut bytes = self.0.lock().map_err(|_| io::Error::other("audit buffer poisoned"))?;
        bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The guardrail on the real adapters, auditing into a [`SharedBuffer`].
pub type EmulatedGuardrail =
    Guardrail<SageMakerAdapter, Ec2Adapter, KmsAdapter, IamAdapter, SnsNotifier, JsonLinesAuditSink<SharedBuffer>>;

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
                own_role_arns: vec![OWN_ROLE_ARN.to_owned()],
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
            sagemaker: SageMakerAdapter::new(aws_sdk_sagemaker::Client::new(&sdk)),
            network: Ec2Adapter::new(
                aws_sdk_ec2::Client::new(&sdk),
                FlowLogSettings {
                    log_group_prefix: FLOW_LOG_GROUP_PREFIX.to_owned(),
                    delivery_role_arn: self.flow_log_role_arn,
                },
            ),
            keys: KmsAdapter::new(aws_sdk_kms::Client::new(&sdk)),
            roles: IamAdapter::new(aws_sdk_iam::Client::new(&sdk)),
            notifier: SnsNotifier::new(sns, topic_arn.clone()),
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
                    self.sqs
                        .delete_message()
                        .queue_url(&self.queue_url)
                        .receipt_handle(handle)
                        .send()
                        .await
                        .map_err(aws("DeleteMessage"))?;
                }
            }
        }
    }
}

fn json(what: impl Into<String>, text: &str) -> Result<Value, SupportError> {
    serde_json::from_str(text).map_err(|source| SupportError::Json {
        what: what.into(),
        source,
    })
}

/// The audit records in these `SAGEFENCE_AUDIT ` lines, parsed.
pub fn parse_audit(bytes: &[u8]) -> Result<Vec<Value>, SupportError> {
    String::from_utf8_lossy(bytes)
        .lines()
        .filter_map(|line| line.strip_prefix(AUDIT_PREFIX))
        .map(|record| json("an audit record", record))
        .collect()
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

/// The `subject.type` of an audit record (`finding`, `action`, `own-call`, `malformed`, ...).
pub fn record_type(record: &Value) -> &str {
    record
        .pointer("/subject/type")
        .and_then(Value::as_str)
        .unwrap_or_default()
}

/// The audit records of this `subject.type`.
pub fn records_of<'r>(records: &'r [Value], kind: &str) -> Vec<&'r Value> {
    records.iter().filter(|r| record_type(r) == kind).collect()
}

/// The action records, each as `"<action kind> <outcome>"`, e.g. `"stop-notebook-instance applied"`.
pub fn action_outcomes(records: &[Value]) -> Vec<String> {
    records_of(records, "action")
        .into_iter()
        .map(|r| {
            let text = |pointer: &str| r.pointer(pointer).and_then(Value::as_str).unwrap_or_default();
            format!("{} {}", text("/subject/action/action/type"), text("/subject/outcome"))
        })
        .collect()
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

/// The finding records as `rule -> status` (`PASSED`, `FAILED`, `NOT_APPLICABLE`).
pub fn finding_statuses(records: &[Value]) -> BTreeMap<String, String> {
    records_of(records, "finding")
        .into_iter()
        .map(|r| {
            let text = |pointer: &str| {
                r.pointer(pointer)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned()
            };
            (text("/subject/finding/rule"), text("/subject/finding/status"))
        })
        .collect()
}

// --- event fixtures -----------------------------------------------------------

/// The workspace's `events/` directory.
pub fn events_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("../events"), |root| root.join("events"))
}

/// The raw bytes of a fixture, e.g. `malformed/truncated.json`.
pub fn fixture_bytes(path: &str) -> Result<Vec<u8>, SupportError> {
    let path = events_dir().join(path);
    std::fs::read(&path).map_err(|source| SupportError::Fixture { path, source })
}

/// A fresh EventBridge event id, unique within the process.
pub fn fresh_event_id() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let nanos = Utc::now().timestamp_subsec_nanos();
    format!(
        "{:08x}-5afe-4000-8000-{:04x}{n:08x}",
        std::process::id(),
        nanos & 0xffff
    )
}

/// An event loaded from a fixture, rewritten field by field to name a test's resources.
#[derive(Debug, Clone)]
pub struct EventTemplate {
    event: Value,
}

impl EventTemplate {
    /// Loads `events/<path>` with a fresh event id and the emulator's account.
    pub fn load(path: &str) -> Result<Self, SupportError> {
        let bytes = fixture_bytes(path)?;
        let event = serde_json::from_slice(&bytes).map_err(|source| SupportError::Json {
            what: path.to_owned(),
            source,
        })?;
        EventTemplate { event }
            .set("/id", fresh_event_id())?
            .set("/account", ACCOUNT)
    }

    /// Replaces the value at an existing JSON pointer (a typo is an error, not a new field).
    pub fn set(mut self, pointer: &str, value: impl Into<Value>) -> Result<Self, SupportError> {
        let slot = self.event.pointer_mut(pointer).ok_or_else(|| SupportError::Template {
            pointer: pointer.to_owned(),
        })?;
        *slot = value.into();
        Ok(self)
    }

    /// Sets `key` in the object at `pointer`, adding it when absent.
    pub fn insert(mut self, pointer: &str, key: &str, value: impl Into<Value>) -> Result<Self, SupportError> {
        let object = self
            .event
            .pointer_mut(pointer)
            .and_then(Value::as_object_mut)
            .ok_or_else(|| SupportError::Template {
                pointer: pointer.to_owned(),
            })?;
        object.insert(key.to_owned(), value.into());
        Ok(self)
    }

    /// The event.
    pub fn build(self) -> Value {
        self.event
    }
}

/// A CloudTrail `CreateNotebookInstance` (or other notebook call) event from `fixture`, naming
/// the notebook `name` with ARN `arn`.
pub fn notebook_call_event(fixture: &str, name: &str, arn: &str) -> Result<Value, SupportError> {
    Ok(EventTemplate::load(fixture)?
        .set("/detail/requestParameters/notebookInstanceName", name)?
        .insert(
            "/detail",
            "responseElements",
            serde_json::json!({ "notebookInstanceArn": arn }),
        )?
        .build())
}

/// A `SageMaker Notebook Instance State Change` event for notebook `name` entering `status`.
pub fn notebook_state_event(name: &str, arn: &str, status: &str) -> Result<Value, SupportError> {
    Ok(EventTemplate::load("sagemaker/state-notebook-instance-inservice.json")?
        .set("/resources", serde_json::json!([arn]))?
        .set("/detail/NotebookInstanceArn", arn)?
        .set("/detail/NotebookInstanceName", name)?
        .set("/detail/NotebookInstanceStatus", status)?
        .build())
}

// --- resources in the emulator ------------------------------------------------

/// A project's network, key and roles in the emulator, compliant with the built-in policy:
/// a VPC tagged with the project (no internet gateway, a flow log, every required endpoint),
/// a subnet and a security group in it, a customer-managed KMS key tagged with the project
/// (rotation on), a notebook execution role tagged with the project, and a flow-log role.
#[derive(Debug, Clone)]
pub struct ProjectNetwork {
    /// The project VPC.
    pub vpc_id: String,
    /// Its subnet.
    pub subnet_id: String,
    /// Its security group.
    pub security_group_id: String,
    /// Its flow log.
    pub flow_log_id: String,
    /// The project key's id.
    pub key_id: String,
    /// The project key's ARN.
    pub key_arn: String,
    /// The notebook execution role's name.
    pub role_name: String,
    /// The notebook execution role's ARN.
    pub role_arn: String,
    /// The role flow logs deliver with.
    pub flow_log_role_arn: String,
}

impl ProjectNetwork {
    /// Creates the project's network, key and roles.
    pub async fn create(emulator: &Emulator) -> Result<Self, SupportError> {
        let vpc_id = create_vpc(emulator, "10.42.0.0/16", Some(PROJECT)).await?;
        let subnet_id = create_subnet(emulator, &vpc_id, "10.42.1.0/24").await?;
        let security_group_id = create_security_group(emulator, &vpc_id, "alpha-notebooks").await?;
        let flow_log_role_arn = create_role(emulator, "sagefence-flow-logs", ASSUME_FLOW_LOGS, None).await?;
        let flow_log_id = create_flow_log(emulator, &vpc_id, &flow_log_role_arn).await?;
        let ec2 = emulator.ec2();
        for service in REQUIRED_ENDPOINT_SERVICES {
            let kind = if service == "s3" {
                VpcEndpointType::Gateway
            } else {
                VpcEndpointType::Interface
            };
            ec2.create_vpc_endpoint()
                .vpc_id(&vpc_id)
                .service_name(format!("com.amazonaws.{REGION}.{service}"))
                .vpc_endpoint_type(kind)
                .send()
                .await
                .map_err(aws("CreateVpcEndpoint"))?;
        }
        let (key_id, key_arn) = create_key(emulator, Some(PROJECT), true).await?;
        let role_name = format!("sagefence-project-{PROJECT}-notebook-{OWNER}");
        let role_arn = create_role(emulator, &role_name, ASSUME_SAGEMAKER, Some(PROJECT)).await?;
        Ok(ProjectNetwork {
            vpc_id,
            subnet_id,
            security_group_id,
            flow_log_id,
            key_id,
            key_arn,
            role_name,
            role_arn,
            flow_log_role_arn,
        })
    }

    /// A notebook compliant with the built-in policy in this project: no direct internet
    /// access, no root access, in the project subnet, encrypted with the project key, tagged
    /// with project and owner.
    pub fn notebook(&self, name: &str) -> NotebookSpec {
        NotebookSpec {
            name: name.to_owned(),
            instance_type: InstanceType::MlT3Medium,
            subnet_id: Some(self.subnet_id.clone()),
            security_group_ids: vec![self.security_group_id.clone()],
            kms_key_id: Some(self.key_arn.clone()),
            direct_internet_access: DirectInternetAccess::Disabled,
            root_access: RootAccess::Disabled,
            role_arn: self.role_arn.clone(),
            tags: vec![
                (PROJECT_TAG.to_owned(), PROJECT.to_owned()),
                (OWNER_TAG.to_owned(), OWNER.to_owned()),
            ],
        }
    }
}

/// Creates a VPC, tagged with `project` when given; returns its id.
pub async fn create_vpc(emulator: &Emulator, cidr: &str, project: Option<&str>) -> Result<String, SupportError> {
    let mut call = emulator.ec2().create_vpc().cidr_block(cidr);
    if let Some(project) = project {
        call = call.tag_specifications(
            TagSpecification::builder()
                .resource_type(ResourceType::Vpc)
                .tags(Ec2Tag::builder().key(PROJECT_TAG).value(project).build())
                .build(),
        );
    }
    let out = call.send().await.map_err(aws("CreateVpc"))?;
    out.vpc()
        .and_then(|v| v.vpc_id())
        .map(str::to_owned)
        .ok_or_else(|| missing("CreateVpc", "Vpc.VpcId"))
}

/// Creates a subnet in `vpc_id`; returns its id.
pub async fn create_subnet(emulator: &Emulator, vpc_id: &str, cidr: &str) -> Result<String, SupportError> {
    let out = emulator
        .ec2()
        .create_subnet()
        .vpc_id(vpc_id)
        .cidr_block(cidr)
        .availability_zone(format!("{REGION}a"))
        .send()
        .await
        .map_err(aws("CreateSubnet"))?;
    out.subnet()
        .and_then(|s| s.subnet_id())
        .map(str::to_owned)
        .ok_or_else(|| missing("CreateSubnet", "Subnet.SubnetId"))
}

/// Creates a security group in `vpc_id`; returns its id.
pub async fn create_security_group(emulator: &Emulator, vpc_id: &str, name: &str) -> Result<String, SupportError> {
    let out = emulator
        .ec2()
        .create_security_group()
        .group_name(name)
        .description("sagefence test group")
        .vpc_id(vpc_id)
        .send()
        .await
        .map_err(aws("CreateSecurityGroup"))?;
    out.group_id()
        .map(str::to_owned)
        .ok_or_else(|| missing("CreateSecurityGroup", "GroupId"))
}

/// Creates a flow log of every packet of `vpc_id` to CloudWatch Logs; returns its id.
pub async fn create_flow_log(emulator: &Emulator, vpc_id: &str, role_arn: &str) -> Result<String, SupportError> {
    let out = emulator
        .ec2()
        .create_flow_logs()
        .resource_type(FlowLogsResourceType::Vpc)
        .resource_ids(vpc_id)
        .traffic_type(TrafficType::All)
        .log_destination_type(LogDestinationType::CloudWatchLogs)
        .log_group_name(format!("/test/flow-logs/{vpc_id}"))
        .deliver_logs_permission_arn(role_arn)
        .send()
        .await
        .map_err(aws("CreateFlowLogs"))?;
    out.flow_log_ids()
        .first()
        .cloned()
        .ok_or_else(|| missing("CreateFlowLogs", "FlowLogIds"))
}

/// The ids of the active flow logs of `vpc_id`.
pub async fn flow_logs(emulator: &Emulator, vpc_id: &str) -> Result<Vec<String>, SupportError> {
    let out = emulator
        .ec2()
        .describe_flow_logs()
        .filter(
            aws_sdk_ec2::types::Filter::builder()
                .name("resource-id")
                .values(vpc_id)
                .build(),
        )
        .send()
        .await
        .map_err(aws("DescribeFlowLogs"))?;
    Ok(out
        .flow_logs()
        .iter()
        .filter(|l| l.flow_log_status() == Some("ACTIVE"))
        .filter_map(|l| l.flow_log_id().map(str::to_owned))
        .collect())
}

/// Creates a customer-managed symmetric key, tagged with `project` when given, with automatic
/// rotation on or off; returns its id and ARN.
pub async fn create_key(
    emulator: &Emulator,
    project: Option<&str>,
    rotation: bool,
) -> Result<(String, String), SupportError> {
    let kms = emulator.kms();
    let mut call = kms.create_key().description("sagefence test key");
    if let Some(project) = project {
        let tag = aws_sdk_kms::types::Tag::builder()
            .tag_key(PROJECT_TAG)
            .tag_value(project)
            .build()
            .map_err(aws("CreateKey"))?;
        call = call.tags(tag);
    }
    let out = call.send().await.map_err(aws("CreateKey"))?;
    let meta = out.key_metadata().ok_or_else(|| missing("CreateKey", "KeyMetadata"))?;
    let key_id = meta.key_id().to_owned();
    let key_arn = meta
        .arn()
        .ok_or_else(|| missing("CreateKey", "KeyMetadata.Arn"))?
        .to_owned();
    if rotation {
        kms.enable_key_rotation()
            .key_id(&key_id)
            .send()
            .await
            .map_err(aws("EnableKeyRotation"))?;
    }
    Ok((key_id, key_arn))
}

/// Creates an IAM role trusting the principal of `assume_policy`, tagged with `project` when
/// given; returns its ARN.
pub async fn create_role(
    emulator: &Emulator,
    name: &str,
    assume_policy: &str,
    project: Option<&str>,
) -> Result<String, SupportError> {
    let mut call = emulator
        .iam()
        .create_role()
        .role_name(name)
        .assume_role_policy_document(assume_policy);
    if let Some(project) = project {
        let tag = aws_sdk_iam::types::Tag::builder()
            .key(PROJECT_TAG)
            .value(project)
            .build()
            .map_err(aws("CreateRole"))?;
        call = call.tags(tag);
    }
    let out = call.send().await.map_err(aws("CreateRole"))?;
    Ok(out
        .role()
        .ok_or_else(|| missing("CreateRole", "Role"))?
        .arn()
        .to_owned())
}

/// Creates a notebook execution role (trusting SageMaker), tagged with `project` when given.
pub async fn create_notebook_role(
    emulator: &Emulator,
    name: &str,
    project: Option<&str>,
) -> Result<String, SupportError> {
    create_role(emulator, name, ASSUME_SAGEMAKER, project).await
}

/// A notebook instance to create.
#[derive(Debug, Clone)]
pub struct NotebookSpec {
    /// Its name.
    pub name: String,
    /// Its instance type.
    pub instance_type: InstanceType,
    /// Its subnet.
    pub subnet_id: Option<String>,
    /// Its security groups.
    pub security_group_ids: Vec<String>,
    /// The key encrypting its volume.
    pub kms_key_id: Option<String>,
    /// DirectInternetAccess.
    pub direct_internet_access: DirectInternetAccess,
    /// RootAccess.
    pub root_access: RootAccess,
    /// Its execution role.
    pub role_arn: String,
    /// Its tags.
    pub tags: Vec<(String, String)>,
}

impl NotebookSpec {
    /// The same notebook with direct internet access (`notebook-direct-internet-disabled` fails).
    pub fn with_direct_internet(mut self) -> Self {
        self.direct_internet_access = DirectInternetAccess::Enabled;
        self
    }

    /// The same notebook with root access (`notebook-root-access-disabled` fails).
    pub fn with_root_access(mut self) -> Self {
        self.root_access = RootAccess::Enabled;
        self
    }

    /// Creates it; returns its ARN.
    pub async fn create(&self, emulator: &Emulator) -> Result<String, SupportError> {
        let mut call = emulator
            .sagemaker()
            .create_notebook_instance()
            .notebook_instance_name(&self.name)
            .instance_type(self.instance_type.clone())
            .role_arn(&self.role_arn)
            .set_subnet_id(self.subnet_id.clone())
            .set_security_group_ids(Some(self.security_group_ids.clone()))
            .set_kms_key_id(self.kms_key_id.clone())
            .direct_internet_access(self.direct_internet_access.clone())
            .root_access(self.root_access.clone());
        for (key, value) in &self.tags {
            call = call.tags(SageMakerTag::builder().key(key).value(value).build());
        }
        let out = call.send().await.map_err(aws("CreateNotebookInstance"))?;
        out.notebook_instance_arn()
            .map(str::to_owned)
            .ok_or_else(|| missing("CreateNotebookInstance", "NotebookInstanceArn"))
    }
}

/// A notebook instance as the emulator describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotebookState {
    /// NotebookInstanceStatus.
    pub status: String,
    /// RootAccess.
    pub root_access: Option<String>,
    /// DirectInternetAccess.
    pub direct_internet_access: Option<String>,
    /// Its tags.
    pub tags: BTreeMap<String, String>,
}

impl NotebookState {
    /// The sagefence bookkeeping tags (`sagefence:violation`, `sagefence:remedy`,
    /// `sagefence:restart`) it carries.
    pub fn sagefence_tags(&self) -> BTreeMap<String, String> {
        self.tags
            .iter()
            .filter(|(k, _)| ["sagefence:violation", "sagefence:remedy", "sagefence:restart"].contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }
}

/// The notebook `name` as it is now; `None` when it does not exist.
pub async fn notebook_state(emulator: &Emulator, name: &str) -> Result<Option<NotebookState>, SupportError> {
    let sagemaker = emulator.sagemaker();
    let out = match sagemaker
        .describe_notebook_instance()
        .notebook_instance_name(name)
        .send()
        .await
    {
        Ok(out) => out,
        Err(error) if error.message().is_some_and(|m| m.contains("RecordNotFound")) => return Ok(None),
        Err(error) => return Err(aws("DescribeNotebookInstance")(error)),
    };
    let arn = out
        .notebook_instance_arn()
        .ok_or_else(|| missing("DescribeNotebookInstance", "NotebookInstanceArn"))?;
    let tags = sagemaker
        .list_tags()
        .resource_arn(arn)
        .send()
        .await
        .map_err(aws("ListTags"))?;
    Ok(Some(NotebookState {
        status: out
            .notebook_instance_status()
            .map(|s| s.as_str().to_owned())
            .unwrap_or_default(),
        root_access: out.root_access().map(|r| r.as_str().to_owned()),
        direct_internet_access: out.direct_internet_access().map(|d| d.as_str().to_owned()),
        tags: tags
            .tags()
            .iter()
            .filter_map(|t| Some((t.key()?.to_owned(), t.value().unwrap_or_default().to_owned())))
            .collect(),
    }))
}

/// Creates the notebook of `spec` and brings it `InService`; returns its ARN.
pub async fn running_notebook(emulator: &Emulator, spec: &NotebookSpec) -> Result<String, SupportError> {
    let arn = spec.create(emulator).await?;
    emulator.set_notebook_status(&spec.name, "InService").await?;
    Ok(arn)
}
