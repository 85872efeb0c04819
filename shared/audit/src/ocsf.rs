//! OCSF 1.3 records: API Activity (6003) from CloudTrail API calls, Compliance Finding (2003)
//! from rule verdicts and Remediation Activity (7001) from remedies, so an auditor's SIEM reads
//! sagefence's audit trail without a custom parser.
//!
//! Audit records arrive as JSON (from logs or a queue), so this module reads them through
//! [`RecordLine`], the owned, deserializable twin of [`AuditRecord`]'s JSON form.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::audit::AuditRecord;
use sagefence_core::event::{Actor, ApiCall, ApiRequest, SageMakerOperation};

/// The OCSF schema version the records follow.
pub const OCSF_VERSION: &str = "1.3.0";
/// The vendor named in every record's `metadata.product`.
pub const VENDOR: &str = "sagefence";

/// OCSF class: API Activity.
pub const API_ACTIVITY: u32 = 6003;
/// OCSF class: Compliance Finding.
pub const COMPLIANCE_FINDING: u32 = 2003;
/// OCSF class: Remediation Activity.
pub const REMEDIATION_ACTIVITY: u32 = 7001;

/// Who made a call, as an audit record's JSON carries it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActorLine {
    /// The identity type.
    #[serde(default)]
    pub identity_type: String,
    /// The caller's ARN.
    #[serde(default)]
    pub arn: Option<String>,
    /// For an assumed role, the role's ARN.
    #[serde(default)]
    pub role_arn: Option<String>,
    /// The calling AWS service, if any.
    #[serde(default)]
    pub invoked_by: Option<String>,
    /// The caller's principal id.
    #[serde(default)]
    pub principal_id: Option<String>,
    /// The caller's account.
    #[serde(default)]
    pub account_id: Option<String>,
}

impl From<&Actor> for ActorLine {
    fn from(actor: &Actor) -> Self {
        ActorLine {
            identity_type: actor.identity_type.clone(),
            arn: actor.arn.clone(),
            role_arn: actor.role_arn.clone(),
            invoked_by: actor.invoked_by.clone(),
            principal_id: actor.principal_id.clone(),
            account_id: actor.account_id.clone(),
        }
    }
}

/// A resource, as an audit record's JSON names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceLine {
    /// Its kind, e.g. `notebook-instance`.
    pub kind: String,
    /// Its name.
    pub name: String,
    /// Its ARN, where known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
}

/// A rule's verdict, as an audit record's JSON carries it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingLine {
    /// The rule id.
    pub rule: String,
    /// The Security Hub control, where one maps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub control: Option<String>,
    /// The resource.
    pub resource: ResourceLine,
    /// `PASSED`, `FAILED` or `NOT_APPLICABLE`.
    pub status: String,
    /// `INFORMATIONAL` to `CRITICAL`.
    pub severity: String,
    /// Why.
    pub reason: String,
    /// `enforce`, `audit` or `off`.
    pub mode: String,
    /// The exemption waiving a failure, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exemption: Option<Value>,
}

/// A remedy, as an audit record's JSON carries it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionLine {
    /// What to do: `{"type": "stop-notebook-instance", ...}`.
    pub action: Value,
    /// The resource.
    pub resource: ResourceLine,
    /// The rules calling for it.
    pub rules: Vec<String>,
    /// `enforce` or `audit`.
    pub mode: String,
    /// Why.
    pub reason: String,
}

impl ActionLine {
    /// The action's kind, e.g. `stop-notebook-instance`.
    pub fn kind(&self) -> &str {
        self.action.get("type").and_then(Value::as_str).unwrap_or("unknown")
    }
}

/// How a remedy ended, as an audit record's JSON carries it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "kebab-case")]
pub enum OutcomeLine {
    /// Applied now.
    Applied,
    /// Already as wanted.
    AlreadyDone {
        /// What the service said.
        #[serde(default)]
        detail: String,
    },
    /// Audit mode: not applied.
    DryRun,
    /// Not applied yet.
    Deferred {
        /// What the service said.
        #[serde(default)]
        detail: String,
    },
    /// Failed.
    Failed {
        /// The error.
        #[serde(default)]
        error: String,
        /// Whether a retry may succeed.
        #[serde(default)]
        retryable: bool,
    },
}

impl OutcomeLine {
    /// The outcome's kebab-case name, as metrics label it.
    pub fn name(&self) -> &'static str {
        match self {
            OutcomeLine::Applied => "applied",
            OutcomeLine::AlreadyDone { .. } => "already-done",
            OutcomeLine::DryRun => "dry-run",
            OutcomeLine::Deferred { .. } => "deferred",
            OutcomeLine::Failed { .. } => "failed",
        }
    }
}

/// What a record is about, as its JSON carries it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum SubjectLine {
    /// A rule's verdict.
    Finding {
        /// The verdict.
        finding: FindingLine,
    },
    /// A remedy and its outcome.
    Action {
        /// The remedy.
        action: ActionLine,
        /// How it ended.
        #[serde(flatten)]
        outcome: OutcomeLine,
    },
    /// An event needing no evaluation.
    Ignored {
        /// Why.
        #[serde(flatten)]
        reason: Map<String, Value>,
    },
    /// sagefence's own call echoed back.
    OwnCall,
    /// A malformed event.
    Malformed {
        /// What was wrong.
        #[serde(default)]
        error: String,
    },
    /// A provisioning request and how it ended.
    Provisioning {
        /// The request, resource, outcome and steps.
        #[serde(flatten)]
        detail: Map<String, Value>,
    },
}

/// One audit record read back from its JSON: the deserializable twin of [`AuditRecord`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordLine {
    /// The record id (stable per event and subject).
    pub id: String,
    /// When the decision was made.
    pub time: DateTime<Utc>,
    /// The deciding function.
    pub function: String,
    /// The EventBridge event id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
    /// The account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// The region.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Who made the triggering call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<ActorLine>,
    /// What the record is about.
    pub subject: SubjectLine,
    /// Project, where the producer knew it (from the resource's project tag).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
}

impl RecordLine {
    /// Reads a record from the JSON the guardrail writes.
    pub fn from_json(json: &str) -> Result<RecordLine, serde_json::Error> {
        serde_json::from_str(json)
    }

    /// The record as its producer would write it, read back.
    pub fn from_record(record: &AuditRecord) -> Result<RecordLine, serde_json::Error> {
        serde_json::from_value(serde_json::to_value(record)?)
    }
}

/// The OCSF record for an audit record: Compliance Finding for a verdict, Remediation Activity
/// for a remedy; `None` for the bookkeeping subjects (ignored events, own calls, malformed
/// events, provisioning requests), which have no OCSF class of their own and stay in the raw
/// trail.
pub fn from_record(record: &RecordLine) -> Option<Value> {
    match &record.subject {
        SubjectLine::Finding { finding } => Some(compliance_finding(record, finding)),
        SubjectLine::Action { action, outcome } => Some(remediation_activity(record, action, outcome)),
        SubjectLine::Ignored { .. }
        | SubjectLine::OwnCall
        | SubjectLine::Malformed { .. }
        | SubjectLine::Provisioning { .. } => None,
    }
}

/// Sets `key` on a JSON object (a no-op on anything else).
fn set(object: &mut Value, key: &str, value: Value) {
    if let Some(map) = object.as_object_mut() {
        map.insert(key.to_owned(), value);
    }
}

/// An OCSF event class: its uid and name, and its category's.
#[derive(Debug, Clone, Copy)]
struct Class {
    uid: u32,
    name: &'static str,
    category_uid: u32,
    category_name: &'static str,
}

const API_ACTIVITY_CLASS: Class = Class {
    uid: API_ACTIVITY,
    name: "API Activity",
    category_uid: 6,
    category_name: "Application Activity",
};
const COMPLIANCE_FINDING_CLASS: Class = Class {
    uid: COMPLIANCE_FINDING,
    name: "Compliance Finding",
    category_uid: 2,
    category_name: "Findings",
};
const REMEDIATION_ACTIVITY_CLASS: Class = Class {
    uid: REMEDIATION_ACTIVITY,
    name: "Remediation Activity",
    category_uid: 7,
    category_name: "Remediation",
};

/// What every sagefence record states, whatever its class.
struct Header<'a> {
    class: Class,
    /// Activity id and name.
    activity: (u32, &'static str),
    /// Severity id and name.
    severity: (u32, &'static str),
    /// Status id and name.
    status: (u32, &'static str),
    time: DateTime<Utc>,
    /// The sagefence record id.
    uid: &'a str,
    /// The EventBridge event id the record answers.
    correlation_uid: Option<&'a str>,
    account: Option<&'a str>,
    region: Option<&'a str>,
}

impl Header<'_> {
    /// The base-event attributes: class, category, activity and `type_uid` (class × 100 +
    /// activity), time, metadata (with the `cloud` profile the `cloud` attribute belongs to),
    /// cloud, severity and status.
    fn into_record(self) -> Value {
        let mut metadata = json!({
            "version": OCSF_VERSION,
            "uid": self.uid,
            "profiles": ["cloud"],
            "product": {
                "name": "sagefence",
                "vendor_name": VENDOR,
                "version": env!("CARGO_PKG_VERSION"),
            },
        });
        if let Some(event_id) = self.correlation_uid {
            set(&mut metadata, "correlation_uid", json!(event_id));
        }
        let mut cloud = json!({ "provider": "AWS" });
        if let Some(account) = self.account {
            set(&mut cloud, "account", json!({ "uid": account }));
        }
        if let Some(region) = self.region {
            set(&mut cloud, "region", json!(region));
        }
        json!({
            "class_uid": self.class.uid,
            "class_name": self.class.name,
            "category_uid": self.class.category_uid,
            "category_name": self.class.category_name,
            "activity_id": self.activity.0,
            "activity_name": self.activity.1,
            "type_uid": u64::from(self.class.uid) * 100 + u64::from(self.activity.0),
            "type_name": format!("{}: {}", self.class.name, self.activity.1),
            "time": self.time.timestamp_millis(),
            "metadata": metadata,
            "cloud": cloud,
            "severity_id": self.severity.0,
            "severity": self.severity.1,
            "status_id": self.status.0,
            "status": self.status.1,
        })
    }
}

/// The header's attributes followed by the class's own.
fn record_with(header: Header<'_>, attributes: Value) -> Value {
    let mut out = header.into_record();
    if let (Some(out), Value::Object(attributes)) = (out.as_object_mut(), attributes) {
        out.extend(attributes);
    }
    out
}

/// OCSF's actor: the caller as `user`, the assumed role as `session.issuer`, the calling
/// service as `invoked_by`. `None` when nothing about the caller is known.
fn actor(actor: &ActorLine) -> Option<Value> {
    let mut out = json!({});
    let uid = actor.arn.as_ref().or(actor.principal_id.as_ref());
    let name = actor
        .arn
        .as_deref()
        .map(|arn| arn.rsplit(['/', ':']).next().unwrap_or(arn))
        .or(actor.invoked_by.as_deref())
        .or(actor.principal_id.as_deref());
    if let Some(name) = name {
        let mut user = json!({
            "name": name,
            "type": actor.identity_type,
            "type_id": user_type_id(&actor.identity_type),
        });
        if let Some(uid) = uid {
            set(&mut user, "uid", json!(uid));
        }
        if let Some(account) = &actor.account_id {
            set(&mut user, "account", json!({ "uid": account }));
        }
        set(&mut out, "user", user);
    }
    if let Some(role) = &actor.role_arn {
        set(&mut out, "session", json!({ "issuer": role }));
    }
    if let Some(service) = &actor.invoked_by {
        set(&mut out, "invoked_by", json!(service));
    }
    if out.as_object().is_some_and(|o| o.is_empty()) {
        return None;
    }
    Some(out)
}

/// OCSF user type ids: 1 User, 2 Admin, 3 System, 99 Other.
fn user_type_id(identity_type: &str) -> u32 {
    match identity_type {
        "IAMUser" | "AssumedRole" | "FederatedUser" | "IdentityCenterUser" => 1,
        "Root" => 2,
        "AWSService" | "AWSAccount" => 3,
        "" => 0,
        _ => 99,
    }
}

fn resource(resource: &ResourceLine, project: Option<&str>) -> Value {
    let mut out = json!({
        "uid": resource.arn.as_deref().unwrap_or(&resource.name),
        "name": resource.name,
        "type": resource.kind,
    });
    if let Some(project) = project {
        set(&mut out, "labels", json!([format!("project:{project}")]));
    }
    out
}

/// OCSF severity ids: 1 Informational .. 5 Critical, 0 Unknown.
fn severity(label: &str) -> (u32, &'static str) {
    match label {
        "INFORMATIONAL" => (1, "Informational"),
        "LOW" => (2, "Low"),
        "MEDIUM" => (3, "Medium"),
        "HIGH" => (4, "High"),
        "CRITICAL" => (5, "Critical"),
        _ => (0, "Unknown"),
    }
}

/// The header of an audit record's OCSF record.
fn record_header<'a>(
    record: &'a RecordLine,
    class: Class,
    activity: (u32, &'static str),
    severity: (u32, &'static str),
    status: (u32, &'static str),
) -> Header<'a> {
    Header {
        class,
        activity,
        severity,
        status,
        time: record.time,
        uid: &record.id,
        correlation_uid: record.event_id.as_deref(),
        account: record.account.as_deref(),
        region: record.region.as_deref(),
    }
}

/// Sets `actor` when the record knows who made the triggering call.
fn with_actor(mut out: Value, record: &RecordLine) -> Value {
    if let Some(actor) = record.actor.as_ref().and_then(actor) {
        set(&mut out, "actor", actor);
    }
    out
}

fn compliance_finding(record: &RecordLine, finding: &FindingLine) -> Value {
    // Compliance status: 1 Pass, 3 Fail, 99 Other.
    let (compliance_id, compliance) = match finding.status.as_str() {
        "PASSED" => (1, "Pass"),
        "FAILED" => (3, "Fail"),
        _ => (99, "Not Applicable"),
    };
    // Activity: 1 Create, 3 Close (a pass closes the finding). Status: 1 New, 3 Suppressed, 4 Resolved.
    let (activity, status) = match finding.status.as_str() {
        "PASSED" => ((3, "Close"), (4, "Resolved")),
        "FAILED" if finding.exemption.is_some() => ((1, "Create"), (3, "Suppressed")),
        _ => ((1, "Create"), (1, "New")),
    };
    let severity = if finding.status == "FAILED" {
        severity(&finding.severity)
    } else {
        (1, "Informational")
    };
    let mut compliance_object = json!({
        "standards": ["sagefence"],
        "status": compliance,
        "status_id": compliance_id,
        "requirements": [finding.rule],
    });
    if let Some(control) = &finding.control {
        set(&mut compliance_object, "control", json!(control));
    }
    let mut unmapped = json!({ "mode": finding.mode, "function": record.function });
    if let Some(exemption) = &finding.exemption {
        set(&mut unmapped, "exemption", exemption.clone());
    }
    let resource_uid = finding.resource.arn.as_deref().unwrap_or(&finding.resource.name);
    let header = record_header(record, COMPLIANCE_FINDING_CLASS, activity, severity, status);
    let out = record_with(
        header,
        json!({
            "message": finding.reason,
            "finding_info": {
                "uid": format!("{}/{resource_uid}", finding.rule),
                "title": format!("{}: {}", finding.rule, finding.resource.name),
                "desc": finding.reason,
                "types": ["Software and Configuration Checks"],
                "created_time": record.time.timestamp_millis(),
            },
            "compliance": compliance_object,
            "resources": [resource(&finding.resource, record.project.as_deref())],
            "unmapped": unmapped,
        }),
    );
    with_actor(out, record)
}

/// Remediation activity ids: 1 Isolate, 3 Restore, 4 Harden.
fn remediation_activity_id(kind: &str) -> (u32, &'static str) {
    if kind.starts_with("stop-")
        || kind.starts_with("delete-")
        || kind.starts_with("detach-")
        || kind.starts_with("revoke-")
        || kind.starts_with("remove-")
    {
        (1, "Isolate")
    } else if kind.starts_with("start-") || kind.starts_with("cancel-") {
        (3, "Restore")
    } else {
        (4, "Harden")
    }
}

fn remediation_activity(record: &RecordLine, action: &ActionLine, outcome: &OutcomeLine) -> Value {
    let kind = action.kind();
    // Remediation status: 1 Success, 2 Failure, 99 Other.
    let (status, detail) = match outcome {
        OutcomeLine::Applied => ((1, "Success"), None),
        OutcomeLine::AlreadyDone { detail } => ((1, "Success"), Some(format!("already done: {detail}"))),
        OutcomeLine::DryRun => ((99, "Dry Run"), Some("audit mode: not applied".to_owned())),
        OutcomeLine::Deferred { detail } => ((99, "Deferred"), Some(detail.clone())),
        OutcomeLine::Failed { error, .. } => ((2, "Failure"), Some(error.clone())),
    };
    let severity = match outcome {
        OutcomeLine::Failed { .. } => (4, "High"),
        _ => (1, "Informational"),
    };
    let header = record_header(
        record,
        REMEDIATION_ACTIVITY_CLASS,
        remediation_activity_id(kind),
        severity,
        status,
    );
    let mut out = record_with(
        header,
        json!({
            "command_uid": format!("{kind}:{}", action.resource.arn.as_deref().unwrap_or(&action.resource.name)),
            "message": action.reason,
            "remediation": { "desc": action.reason },
            "unmapped": {
                // Remediation Activity (7001) has no `resources` attribute.
                "resources": [resource(&action.resource, record.project.as_deref())],
                "action": kind,
                "mode": action.mode,
                "rules": action.rules,
                "outcome": outcome.name(),
                "function": record.function,
            },
        }),
    );
    if let Some(detail) = detail {
        set(&mut out, "status_detail", json!(detail));
    }
    with_actor(out, record)
}

/// What a CloudTrail record tells beyond the typed [`ApiCall`]: the endpoint it came from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallSource {
    /// The CloudTrail event source, e.g. `sagemaker.amazonaws.com`.
    #[serde(default)]
    pub event_source: Option<String>,
    /// The caller's IP address (or service name).
    #[serde(default, rename = "sourceIPAddress")]
    pub source_ip_address: Option<String>,
    /// The caller's user agent.
    #[serde(default)]
    pub user_agent: Option<String>,
}

/// The OCSF API Activity record for a governed API call. `uid` is the sagefence record id
/// (the CloudTrail event id unless the caller knows better).
pub fn api_activity(uid: &str, call: &ApiCall, source: &CallSource) -> Value {
    // Activity: 1 Create, 3 Update, 4 Delete, 99 Other.
    let activity = match &call.request {
        ApiRequest::SageMaker {
            operation: SageMakerOperation::Create,
            ..
        } => (1, "Create"),
        ApiRequest::SageMaker { .. }
        | ApiRequest::SageMakerOmitted {
            operation: SageMakerOperation::Update,
            ..
        } => (3, "Update"),
        ApiRequest::SageMakerOmitted { .. } => (1, "Create"),
        _ if call.event_name.starts_with("Create") => (1, "Create"),
        _ if call.event_name.starts_with("Delete") || call.event_name.starts_with("Detach") => (4, "Delete"),
        _ if [
            "Update",
            "Put",
            "Modify",
            "Attach",
            "Authorize",
            "Enable",
            "Disable",
            "Schedule",
        ]
        .iter()
        .any(|p| call.event_name.starts_with(p)) =>
        {
            (3, "Update")
        }
        _ => (99, "Other"),
    };
    let service = source.event_source.clone().unwrap_or_else(|| {
        match &call.request {
            ApiRequest::SageMaker { .. } | ApiRequest::SageMakerOmitted { .. } => "sagemaker.amazonaws.com",
            ApiRequest::Ec2(_) => "ec2.amazonaws.com",
            ApiRequest::Kms(_) => "kms.amazonaws.com",
            ApiRequest::Iam(_) => "iam.amazonaws.com",
            ApiRequest::Tags(change) => change.event_source(),
        }
        .to_owned()
    });
    let mut src_endpoint = Map::new();
    match &source.source_ip_address {
        // CloudTrail puts a service's name where a service called; OCSF wants that in svc_name.
        Some(ip) if ip.parse::<std::net::IpAddr>().is_ok() => {
            src_endpoint.insert("ip".to_owned(), json!(ip));
        }
        Some(service) => {
            src_endpoint.insert("svc_name".to_owned(), json!(service));
        }
        // OCSF requires the endpoint and one of its identifiers; CloudTrail did not say.
        None => {
            src_endpoint.insert("name".to_owned(), json!("unknown"));
        }
    }
    let caller = ActorLine::from(&call.actor);
    let actor = actor(&caller).unwrap_or_else(|| {
        // API Activity requires an actor; name the identity type when no ARN is known.
        let name = if caller.identity_type.is_empty() {
            "unknown"
        } else {
            caller.identity_type.as_str()
        };
        json!({ "user": { "name": name, "type_id": user_type_id(&caller.identity_type) } })
    });
    let header = Header {
        class: API_ACTIVITY_CLASS,
        activity,
        severity: (1, "Informational"),
        status: (1, "Success"),
        time: call.meta.time.unwrap_or_default(),
        uid,
        correlation_uid: None,
        account: call.meta.account.as_deref(),
        region: call.meta.region.as_deref(),
    };
    let mut out = record_with(
        header,
        json!({
            "actor": actor,
            "api": {
                "operation": call.event_name,
                "service": { "name": service },
                "request": { "uid": call.event_id },
            },
            "src_endpoint": src_endpoint,
        }),
    );
    if let Some(agent) = &source.user_agent {
        set(&mut out, "http_request", json!({ "user_agent": agent }));
    }
    if let Some(resource) = call_resource(call) {
        set(&mut out, "resources", json!([resource]));
    }
    out
}

fn call_resource(call: &ApiCall) -> Option<Value> {
    let reference = match &call.request {
        ApiRequest::SageMaker { resource, .. } => resource.reference(),
        ApiRequest::SageMakerOmitted { resource, .. } => resource.clone(),
        _ => return None,
    };
    let kind = serde_json::to_value(reference.kind).ok()?;
    Some(json!({
        "uid": reference.arn.as_deref().unwrap_or(&reference.name),
        "name": reference.name,
        "type": kind,
    }))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
mod tests {
    use super::*;

    /// The class, category and `type_uid` arithmetic, and sagefence's product; the schema's
    /// required attributes are checked against OCSF itself in `tests/ocsf_schema.rs`.
    fn assert_class(record: &Value, class_uid: u64, category_uid: u64) {
        assert_eq!(record["class_uid"], class_uid);
        assert_eq!(record["category_uid"], category_uid);
        let activity = record["activity_id"].as_u64().unwrap();
        assert_eq!(record["type_uid"].as_u64().unwrap(), class_uid * 100 + activity);
        assert_eq!(record["metadata"]["version"], OCSF_VERSION);
        assert_eq!(record["metadata"]["product"]["name"], "sagefence");
        assert_eq!(record["metadata"]["product"]["version"], env!("CARGO_PKG_VERSION"));
        assert_eq!(record["cloud"]["provider"], "AWS");
    }

    fn record(subject: Value) -> RecordLine {
        serde_json::from_value(json!({
            "id": "0123456789abcdef",
            "time": "2026-11-26T10:00:00.250Z",
            "function": "guardrail",
            "event_id": "ev-1",
            "account": "111122223333",
            "region": "eu-west-1",
            "actor": {
                "identity_type": "AssumedRole",
                "arn": "arn:aws:sts::111122223333:assumed-role/ds/alice",
                "role_arn": "arn:aws:iam::111122223333:role/ds",
                "invoked_by": null
            },
            "subject": subject,
        }))
        .unwrap()
    }

    fn notebook() -> Value {
        json!({"kind": "notebook-instance", "name": "nb1", "arn": "arn:aws:sagemaker:eu-west-1:111122223333:notebook-instance/nb1"})
    }

    #[test]
    fn compliance_finding_carries_the_verdict() {
        // given a failed verdict
        let line = record(json!({"type": "finding", "finding": {
            "rule": "notebook-root-access-disabled", "control": "SageMaker.3", "resource": notebook(),
            "status": "FAILED", "severity": "HIGH", "reason": "root access is enabled", "mode": "enforce"
        }}));
        // when converted
        let ocsf = from_record(&line).unwrap();
        // then it is a Compliance Finding with the verdict's values
        assert_class(&ocsf, 2003, 2);
        assert_eq!(ocsf["metadata"]["uid"], "0123456789abcdef");
        assert_eq!(ocsf["time"], 1_795_687_200_250_i64);
        assert_eq!(ocsf["severity_id"], 4);
        assert_eq!(ocsf["compliance"]["status_id"], 3);
        assert_eq!(ocsf["compliance"]["control"], "SageMaker.3");
        assert_eq!(ocsf["cloud"]["account"]["uid"], "111122223333");
        assert_eq!(ocsf["cloud"]["region"], "eu-west-1");
        assert_eq!(ocsf["actor"]["session"]["issuer"], "arn:aws:iam::111122223333:role/ds");
        assert_eq!(
            ocsf["actor"]["user"]["uid"],
            "arn:aws:sts::111122223333:assumed-role/ds/alice"
        );
        assert_eq!(ocsf["resources"][0]["name"], "nb1");
        assert_eq!(ocsf["resources"][0]["type"], "notebook-instance");
    }

    #[test]
    fn a_finding_names_callers_without_an_arn_by_principal_or_service() {
        let finding = json!({"type": "finding", "finding": {
            "rule": "notebook-root-access-disabled", "resource": notebook(),
            "status": "FAILED", "severity": "HIGH", "reason": "root access is enabled", "mode": "enforce"
        }});
        for (actor, name, uid) in [
            (
                json!({"identity_type": "IdentityCenterUser", "principal_id": "544894e8-80c1", "account_id": "111122223333"}),
                "544894e8-80c1",
                Some("544894e8-80c1"),
            ),
            (
                json!({"identity_type": "AWSService", "invoked_by": "cloudformation.amazonaws.com"}),
                "cloudformation.amazonaws.com",
                None,
            ),
            (
                json!({"identity_type": "Root", "arn": "arn:aws:iam::111122223333:root", "account_id": "111122223333"}),
                "root",
                Some("arn:aws:iam::111122223333:root"),
            ),
        ] {
            let mut line = serde_json::to_value(record(finding.clone())).unwrap();
            line["actor"] = actor;
            let ocsf = from_record(&serde_json::from_value(line).unwrap()).unwrap();
            let user = &ocsf["actor"]["user"];
            assert_eq!(user["name"], name, "{ocsf}");
            assert_eq!(user["uid"].as_str(), uid, "{ocsf}");
        }
    }

    #[test]
    fn passed_finding_closes_and_resolves() {
        let line = record(json!({"type": "finding", "finding": {
            "rule": "notebook-kms-encrypted", "resource": notebook(),
            "status": "PASSED", "severity": "HIGH", "reason": "ok", "mode": "enforce"
        }}));
        let ocsf = from_record(&line).unwrap();
        assert_eq!(ocsf["activity_id"], 3);
        assert_eq!(ocsf["type_uid"], 200_303);
        assert_eq!(ocsf["status"], "Resolved");
        assert_eq!(ocsf["compliance"]["status"], "Pass");
        assert_eq!(ocsf["severity_id"], 1);
    }

    #[test]
    fn remediation_activity_carries_the_outcome_status() {
        for (outcome, status_id) in [
            (json!({"outcome": "applied"}), 1),
            (json!({"outcome": "already-done", "detail": "stopped"}), 1),
            (json!({"outcome": "dry-run"}), 99),
            (json!({"outcome": "deferred", "detail": "pending"}), 99),
            (json!({"outcome": "failed", "error": "boom", "retryable": true}), 2),
        ] {
            // given an action with this outcome
            let mut subject = json!({"type": "action", "action": {
                "action": {"type": "stop-notebook-instance"}, "resource": notebook(),
                "rules": ["notebook-root-access-disabled"], "mode": "enforce", "reason": "root access"
            }});
            for (k, v) in outcome.as_object().unwrap() {
                subject[k] = v.clone();
            }
            // when converted
            let ocsf = from_record(&record(subject)).unwrap();
            // then it is a Remediation Activity with the outcome's status
            assert_class(&ocsf, 7001, 7);
            assert_eq!(ocsf["activity_id"], 1, "stop isolates");
            assert_eq!(ocsf["status_id"], status_id, "{outcome}");
            assert_eq!(ocsf["unmapped"]["resources"][0]["uid"], notebook()["arn"]);
        }
    }

    #[test]
    fn bookkeeping_records_have_no_ocsf_class() {
        assert!(from_record(&record(json!({"type": "own-call"}))).is_none());
        assert!(from_record(&record(json!({"type": "malformed", "error": "x"}))).is_none());
        assert!(from_record(&record(
            json!({"type": "ignored", "reason": "read-only", "event_name": "ListX"})
        ))
        .is_none());
    }

    #[test]
    fn api_activity_names_the_call() {
        // given a CloudTrail CreateNotebookInstance event
        let bytes = include_bytes!("../../../events/sagemaker/api-create-notebook-instance-direct-internet.json");
        let sagefence_core::Event::ApiCall(call) = sagefence_core::event::parse(bytes).unwrap() else {
            panic!("not an API call");
        };
        let source = CallSource {
            event_source: Some("sagemaker.amazonaws.com".into()),
            source_ip_address: Some("10.0.0.1".into()),
            user_agent: Some("aws-cli".into()),
        };
        // when converted
        let ocsf = api_activity(&call.event_id, &call, &source);
        // then it is an API Activity naming the call
        assert_class(&ocsf, 6003, 6);
        assert_eq!(ocsf["activity_id"], 1);
        assert_eq!(ocsf["api"]["operation"], "CreateNotebookInstance");
        assert_eq!(ocsf["src_endpoint"]["ip"], "10.0.0.1");
        assert_eq!(ocsf["resources"][0]["type"], "notebook-instance");
    }

    #[test]
    fn guardrail_records_read_back() {
        // given a record as the guardrail serializes it
        let finding = sagefence_core::Finding {
            rule: sagefence_core::RuleId::NotebookRootAccessDisabled,
            control: Some("SageMaker.3"),
            resource: sagefence_core::model::ResourceRef {
                kind: sagefence_core::model::ResourceKind::NotebookInstance,
                name: "nb1".into(),
                arn: None,
            },
            status: sagefence_core::Status::Failed,
            severity: sagefence_core::Severity::High,
            reason: "root".into(),
            mode: sagefence_core::Mode::Enforce,
            exemption: None,
        };
        let record = AuditRecord {
            id: "abc".into(),
            time: Utc::now(),
            function: "guardrail",
            event_id: None,
            account: Some("111122223333".into()),
            region: None,
            actor: Some(Actor::default()),
            subject: crate::audit::Subject::Finding { finding },
        };
        // when read back, then it converts
        let line = RecordLine::from_record(&record).unwrap();
        let ocsf = from_record(&line).unwrap();
        assert_eq!(ocsf["finding_info"]["uid"], "notebook-root-access-disabled/nb1");
        assert_eq!(ocsf["severity"], "High");
    }
}
