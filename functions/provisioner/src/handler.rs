//! One request: parse, hold it for answering, do the work under a deadline, answer exactly
//! once, record. Whatever happens (a failure, a malformed request, the deadline close by, a
//! panic), CloudFormation gets an answer.

use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use sagefence_audit::audit::{record_id, AuditRecord, Outcome, Subject};
use sagefence_aws::ports::{
    AuditSink, BucketBuilder, KeyBuilder, Keys, LogGroups, Network, NetworkBuilder, OnAws, PortError, PortErrorKind,
    RoleBuilder,
};
use sagefence_aws::{Ec2Adapter, FlowLogSettings, IamAdapter, KmsAdapter, LogsAdapter, S3Buckets};
use sagefence_core::Policy;
use serde::Serialize;
use tokio::time::Instant;

use crate::answer::{self, response_document, Answer, AnswerSlot, Pending};
use crate::documents::ProjectScope;
use crate::error::{ProvisionerError, RequestError};
use crate::request::{self, AnswerTarget, Operation, Request, ResourceKind};
use crate::settings::Settings;

/// The function name in audit records.
pub const FUNCTION: &str = "provisioner";

/// The ports the provisioner works through, one per AWS service it builds with.
pub trait ProvisionerPorts {
    /// EC2: the project's network.
    type Network: Network + NetworkBuilder + Sync;
    /// KMS: the project's key.
    type Keys: Keys + KeyBuilder + Sync;
    /// S3: the project's buckets.
    type Buckets: BucketBuilder + Sync;
    /// IAM: the project's and notebooks' roles.
    type Roles: RoleBuilder + Sync;
    /// CloudWatch Logs: the flow-log group.
    type Logs: LogGroups + Sync;
    /// Where audit records go.
    type Audit: AuditSink + Sync;
}

impl<A: AuditSink + Sync> ProvisionerPorts for OnAws<A> {
    type Network = Ec2Adapter;
    type Keys = KmsAdapter;
    type Buckets = S3Buckets;
    type Roles = IamAdapter;
    type Logs = LogsAdapter;
    type Audit = A;
}

/// The provisioner with its policy, settings and ports, built once at cold start.
pub struct Provisioner<P: ProvisionerPorts> {
    /// The policy (allowed instance types, required endpoints, tag keys).
    pub policy: Policy,
    /// How to build.
    pub settings: Settings,
    /// EC2.
    pub network: P::Network,
    /// KMS.
    pub keys: P::Keys,
    /// S3.
    pub buckets: P::Buckets,
    /// IAM.
    pub roles: P::Roles,
    /// CloudWatch Logs.
    pub logs: P::Logs,
    /// Where audit records go.
    pub audit: P::Audit,
    /// The request being worked on, for the panic hook.
    pub slot: AnswerSlot,
}

impl<P: ProvisionerPorts> std::fmt::Debug for Provisioner<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Provisioner")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl<A: AuditSink + Sync> Provisioner<OnAws<A>> {
    /// The provisioner on the real adapters built from `sdk`, auditing into `audit`.
    pub fn on_aws(sdk: &aws_config::SdkConfig, policy: Policy, settings: Settings, audit: A, slot: AnswerSlot) -> Self {
        let flow_logs = FlowLogSettings {
            log_group_prefix: settings.flow_log_group_prefix.clone(),
            delivery_role_arn: settings.flow_log_role_arn.clone(),
        };
        Provisioner {
            policy,
            settings,
            network: Ec2Adapter::new(aws_sdk_ec2::Client::new(sdk), flow_logs),
            keys: KmsAdapter::new(aws_sdk_kms::Client::new(sdk)),
            buckets: S3Buckets::new(sagefence_aws::s3_client(sdk)),
            roles: IamAdapter::new(aws_sdk_iam::Client::new(sdk)),
            logs: LogsAdapter::new(aws_sdk_cloudwatchlogs::Client::new(sdk)),
            audit,
            slot,
        }
    }
}

/// What the provisioner did with one request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    /// `Create`, `Update` or `Delete` (empty for a malformed request).
    pub request: String,
    /// `SUCCESS` or `FAILED`.
    pub status: &'static str,
    /// The physical id answered.
    pub physical_id: String,
    /// The reason answered.
    pub reason: String,
    /// What was made, removed, kept or found.
    pub steps: Vec<String>,
}

/// A failed step, with the reason a data scientist or the platform team can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure(pub String);

impl From<PortError> for Failure {
    fn from(error: PortError) -> Failure {
        let advice = match error.kind {
            PortErrorKind::Throttled | PortErrorKind::Unavailable => "AWS is busy; retry the launch in a few minutes",
            PortErrorKind::AccessDenied => "the provisioner's role lacks this permission; ask the platform team",
            PortErrorKind::NotFound => "a resource it needs is gone",
            PortErrorKind::InvalidState => "a resource is not in a state that allows it; retry later",
            PortErrorKind::Other => "ask the platform team with this reason",
        };
        Failure(format!("`{}` failed: {} ({advice})", error.operation, error.message))
    }
}

impl From<RequestError> for Failure {
    fn from(error: RequestError) -> Failure {
        Failure(error.to_string())
    }
}

/// The log of what one request did, readable after the work was cut short.
#[derive(Debug, Default)]
pub struct Steps(Mutex<Vec<String>>);

impl Steps {
    /// Adds one line.
    pub fn push(&self, line: impl Into<String>) {
        let line = line.into();
        tracing::info!(step = %line, "provisioning");
        self.0.lock().unwrap_or_else(PoisonError::into_inner).push(line);
    }

    /// Every line so far.
    pub fn lines(&self) -> Vec<String> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }
}

/// What the work on one request knows about it.
#[derive(Debug)]
pub struct Context<'a> {
    /// The request.
    pub request: &'a Request,
    /// Partition, account, region, project tag key (the project is set per resource).
    pub scope: ProjectScope,
    /// What was done so far.
    pub steps: &'a Steps,
}

impl<P: ProvisionerPorts> Provisioner<P> {
    /// Handles one request (its raw JSON) and answers it before `deadline` (the Lambda
    /// context's deadline).
    pub async fn handle(
        &self,
        payload: &[u8],
        deadline: Instant,
        now: DateTime<Utc>,
    ) -> Result<Report, ProvisionerError> {
        let request = match request::parse(payload) {
            Ok(request) => request,
            Err(error) => return self.refuse(payload, error, now).await,
        };
        let physical_id = self.initial_physical_id(&request);
        self.slot.hold(Pending {
            target: request.target.clone(),
            physical_id: physical_id.clone(),
        });
        let steps = Steps::default();
        let budget = deadline
            .checked_duration_since(Instant::now())
            .unwrap_or_default()
            .saturating_sub(self.settings.answer_margin);
        let answer = match tokio::time::timeout(budget, Box::pin(self.dispatch(&request, &physical_id, &steps))).await {
            Ok(answer) => answer,
            Err(_) => {
                let last = steps.lines().last().cloned().unwrap_or_else(|| "starting".to_owned());
                Answer::failed(
                    physical_id,
                    format!(
                        "the provisioner ran out of time after {}s (last step: {last}); AWS may be slow: retry \
                         the operation. CloudFormation's rollback removes anything made",
                        budget.as_secs()
                    ),
                )
            }
        };
        let report = Report {
            request: request.operation.name().to_owned(),
            status: if answer.success { "SUCCESS" } else { "FAILED" },
            physical_id: answer.physical_id.clone(),
            reason: answer.reason.clone(),
            steps: steps.lines(),
        };
        let sent = match self.slot.take() {
            Some(pending) => {
                answer::put(
                    &pending.target.response_url,
                    response_document(&pending.target, &answer),
                )
                .await
            }
            None => Ok(()),
        };
        let outcome = if answer.success {
            Outcome::Applied
        } else {
            Outcome::Failed {
                error: answer.reason.clone(),
                retryable: false,
            }
        };
        let subject = Subject::Provisioning {
            request: report.request.clone(),
            resource_type: request.resource_type.clone(),
            physical_id: answer.physical_id.clone(),
            outcome,
            steps: report.steps.clone(),
        };
        let id = record_id(&[
            "provisioning",
            &request.target.stack_id,
            &request.target.logical_resource_id,
            &request.target.request_id,
            report.status,
        ]);
        self.record(&request.target, id, now, subject).await?;
        sent.map_err(ProvisionerError::Answer)?;
        Ok(report)
    }

    /// A request that cannot be parsed: answered FAILED when it names where to answer,
    /// recorded either way.
    async fn refuse(
        &self,
        payload: &[u8],
        error: RequestError,
        now: DateTime<Utc>,
    ) -> Result<Report, ProvisionerError> {
        let id = record_id(&["malformed", &String::from_utf8_lossy(payload)]);
        let subject = Subject::Malformed {
            error: error.to_string(),
        };
        let Some(target) = AnswerTarget::lenient(payload) else {
            self.record(&AnswerTarget::default(), id, now, subject).await?;
            return Err(ProvisionerError::Unanswerable(error));
        };
        self.record(&target, id, now, subject).await?;
        let physical_id = target.physical_resource_id.clone().unwrap_or_default();
        let answer = Answer::failed(physical_id, error.to_string());
        answer::put(&target.response_url, response_document(&target, &answer))
            .await
            .map_err(ProvisionerError::Answer)?;
        Ok(Report {
            request: String::new(),
            status: "FAILED",
            physical_id: answer.physical_id,
            reason: answer.reason,
            steps: Vec::new(),
        })
    }

    async fn record(
        &self,
        target: &AnswerTarget,
        id: String,
        now: DateTime<Utc>,
        subject: Subject,
    ) -> Result<(), ProvisionerError> {
        let location = target.stack_location().ok();
        let record = AuditRecord {
            id,
            time: now,
            function: FUNCTION,
            event_id: Some(target.request_id.clone()).filter(|r| !r.is_empty()),
            account: location.as_ref().map(|l| l.account.clone()),
            region: location.map(|l| l.region),
            actor: None,
            subject,
        };
        self.audit.record(&record).await.map_err(ProvisionerError::Audit)
    }

    /// The physical id a Create makes (the same on every retry of the request), or the one
    /// CloudFormation names.
    fn initial_physical_id(&self, request: &Request) -> String {
        match (&request.operation, &request.target.physical_resource_id) {
            (Operation::Update { .. } | Operation::Delete, Some(id)) => id.clone(),
            _ => new_physical_id(request),
        }
    }

    async fn dispatch(&self, request: &Request, physical_id: &str, steps: &Steps) -> Answer {
        let context = match request.target.stack_location() {
            Ok(location) => Context {
                request,
                scope: ProjectScope {
                    partition: location.partition,
                    account: location.account,
                    region: location.region,
                    project: String::new(),
                    project_tag_key: self.policy.scope.project_tag_key.clone(),
                },
                steps,
            },
            Err(error) => return Answer::failed(physical_id, error.to_string()),
        };
        match request.kind {
            ResourceKind::ProjectEnvironment => Box::pin(self.environment(&context, physical_id)).await,
            ResourceKind::NotebookAccess => Box::pin(self.notebook_access(&context, physical_id)).await,
            ResourceKind::EnvironmentCheck => Box::pin(self.environment_check(&context, physical_id)).await,
        }
    }
}

/// A new physical id for a Create (or a replacing Update): the project (and owner) followed by
/// a digest of the stack, logical id and request id, so a retried request makes the same id.
pub fn new_physical_id(request: &Request) -> String {
    let digest = record_id(&[
        &request.target.stack_id,
        &request.target.logical_resource_id,
        &request.target.request_id,
    ]);
    let short = digest.get(..8).unwrap_or(&digest);
    let text = |name: &'static str| {
        request::text(&request.properties, name)
            .ok()
            .flatten()
            .map(|s| s.to_lowercase())
            .unwrap_or_default()
    };
    let mut parts: Vec<String> = vec![text("ProjectName")];
    if request.kind == ResourceKind::NotebookAccess {
        parts.push(text("OwnerUserName"));
    }
    if request.kind == ResourceKind::EnvironmentCheck {
        parts.push("check".to_owned());
    }
    let prefix: String = parts
        .join("-")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
        .take(45)
        .collect();
    if prefix.trim_matches('-').is_empty() {
        format!("sagefence-{short}")
    } else {
        format!("{prefix}-{short}")
    }
}

/// Whether an Update changed any property but the service token (no change: nothing to do).
pub fn properties_changed(old: &serde_json::Value, new: &serde_json::Value) -> bool {
    let strip = |value: &serde_json::Value| {
        let mut value = value.clone();
        if let Some(map) = value.as_object_mut() {
            map.remove("ServiceToken");
        }
        value
    };
    strip(old) != strip(new)
}

/// Retries a delete that AWS refuses while dependents are still going away (network
/// interfaces of deleted endpoints linger for a while).
pub async fn delete_patiently<F, Fut>(mut call: F) -> Result<(), PortError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<(), PortError>>,
{
    let mut attempt = 0u32;
    loop {
        match call().await {
            Err(error) if error.kind == PortErrorKind::InvalidState && attempt < 12 => {
                attempt += 1;
                tokio::time::sleep(Duration::from_secs(5)).await;
            }
            result => return result,
        }
    }
}

/// The tag every provisioned resource carries: the physical id of what made it.
pub const PROVISIONED_BY: &str = "sagefence:provisioned-by";

/// The tags of a resource made for `physical_id` in `project`.
pub fn tags_for(policy: &Policy, project: &str, physical_id: &str) -> BTreeMap<String, String> {
    [
        (policy.scope.project_tag_key.clone(), project.to_owned()),
        (PROVISIONED_BY.to_owned(), physical_id.to_owned()),
    ]
    .into_iter()
    .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn request(kind: ResourceKind, request_id: &str, properties: serde_json::Value) -> Request {
        Request {
            target: AnswerTarget {
                response_url: "http://127.0.0.1:1/".into(),
                stack_id: "arn:aws:cloudformation:eu-west-1:123456789012:stack/s/1".into(),
                request_id: request_id.into(),
                logical_resource_id: "Env".into(),
                physical_resource_id: None,
            },
            resource_type: String::new(),
            kind,
            operation: Operation::Create,
            properties,
        }
    }

    #[test]
    fn physical_ids_are_stable_per_request_and_new_per_replacement() {
        let properties = json!({ "ProjectName": "alpha", "OwnerUserName": "Alice" });
        let first = new_physical_id(&request(ResourceKind::ProjectEnvironment, "r-1", properties.clone()));
        let again = new_physical_id(&request(ResourceKind::ProjectEnvironment, "r-1", properties.clone()));
        let other = new_physical_id(&request(ResourceKind::ProjectEnvironment, "r-2", properties.clone()));
        assert_eq!(first, again);
        assert_ne!(first, other);
        assert!(first.starts_with("alpha-") && first.len() == "alpha-".len() + 8);
        let notebook = new_physical_id(&request(ResourceKind::NotebookAccess, "r-1", properties));
        assert!(notebook.starts_with("alpha-alice-"), "{notebook}");
        let unnamed = new_physical_id(&request(ResourceKind::ProjectEnvironment, "r-1", json!({})));
        assert!(unnamed.starts_with("sagefence-"), "{unnamed}");
    }

    #[test]
    fn a_new_service_token_is_no_change() {
        let old = json!({ "ServiceToken": "a", "ProjectName": "alpha" });
        assert!(!properties_changed(
            &old,
            &json!({ "ServiceToken": "b", "ProjectName": "alpha" })
        ));
        assert!(properties_changed(
            &old,
            &json!({ "ServiceToken": "a", "ProjectName": "beta" })
        ));
    }

    #[test]
    fn port_failures_read_as_advice() {
        let failure = Failure::from(PortError {
            operation: "CreateVpc",
            kind: PortErrorKind::AccessDenied,
            message: "UnauthorizedOperation: no".into(),
        });
        assert!(failure.0.contains("`CreateVpc`") && failure.0.contains("platform team"));
    }
}
