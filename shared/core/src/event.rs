//! Event parsing: EventBridge envelopes carrying CloudTrail API calls (SageMaker, EC2, KMS,
//! IAM), SageMaker state changes and schedules, into typed events. Anything malformed gets a
//! [`ParseEventError`] naming what was wrong; anything sagefence does not act on is
//! [`Event::Ignored`] with the reason.

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::Value;

use crate::error::ParseEventError;
use crate::model::{Job, Resource, ResourceKind, ResourceRef};
use crate::wire::{
    ids, non_empty, Completeness, DomainWire, EndpointConfigWire, ModelWire, NotebookWire, ProcessingJobWire,
    TrainingJobWire, TransformJobWire, TuningJobWire,
};

const API_CALL: &str = "AWS API Call via CloudTrail";
const SCHEDULED: &str = "Scheduled Event";

/// Where and when an event happened, from its EventBridge envelope.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct EventMeta {
    /// The EventBridge event id.
    pub id: Option<String>,
    /// The event source, e.g. `aws.sagemaker`.
    pub source: String,
    /// The detail type.
    pub detail_type: String,
    /// The account.
    pub account: Option<String>,
    /// The region.
    pub region: Option<String>,
    /// When it happened.
    pub time: Option<DateTime<Utc>>,
}

/// Who made an API call, for every identity type CloudTrail records (`Root`, `IAMUser`,
/// `AssumedRole`, `FederatedUser`, `AWSAccount`, `AWSService`, `IdentityCenterUser`, `Unknown`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Actor {
    /// The identity type as CloudTrail writes it; `Unknown` when it wrote none.
    pub identity_type: String,
    /// The caller's ARN (for an assumed role, the session ARN); services, other accounts and
    /// Identity Center users have none.
    pub arn: Option<String>,
    /// For an assumed role, the role's ARN.
    pub role_arn: Option<String>,
    /// The AWS service that called on the principal's behalf, if any.
    pub invoked_by: Option<String>,
    /// The caller's principal id (for an Identity Center user, its user id).
    pub principal_id: Option<String>,
    /// The account the caller belongs to.
    pub account_id: Option<String>,
}

/// The identity type of a role session, the only identity that can be one of sagefence's roles.
const ASSUMED_ROLE: &str = "AssumedRole";

impl Actor {
    /// The ARNs that tell whether the call was made by one of sagefence's roles: a role
    /// session's ARN and its role's. None for any other identity: an IAM user, the root user, a
    /// federated user, another account or a service is never sagefence, whatever its ARN says.
    pub fn role_session_arns(&self) -> impl Iterator<Item = &str> {
        let session = self.identity_type == ASSUMED_ROLE;
        [&self.role_arn, &self.arn]
            .into_iter()
            .filter(move |_| session)
            .flatten()
            .map(String::as_str)
    }

    /// The actor of a CloudTrail `userIdentity` (its raw JSON). An identity of a shape this
    /// version does not know is `Unknown`, never a reason to drop the call.
    fn from_identity(json: Option<&RawValue>) -> Actor {
        let identity: UserIdentity = json
            .and_then(|raw| serde_json::from_str(raw.get()).ok())
            .unwrap_or_default();
        let identity_type = identity.kind.unwrap_or_else(|| "Unknown".to_owned());
        let issuer = identity.session_context.and_then(|c| c.session_issuer);
        let role_arn = if identity_type == ASSUMED_ROLE {
            issuer
                .filter(|i| i.kind.as_deref().is_none_or(|k| k == "Role"))
                .and_then(|i| i.arn)
                .or_else(|| identity.arn.as_deref().and_then(role_of_session))
        } else {
            None
        };
        Actor {
            identity_type,
            arn: identity.arn,
            role_arn,
            invoked_by: identity.invoked_by,
            principal_id: identity
                .principal_id
                .or_else(|| identity.on_behalf_of.and_then(|o| o.user_id)),
            account_id: identity.account_id,
        }
    }
}

/// The role of a session ARN `arn:PARTITION:sts::ACCOUNT:assumed-role/ROLE/SESSION`, as
/// `arn:PARTITION:iam::ACCOUNT:role/ROLE` (a role's name is unique in its account).
fn role_of_session(arn: &str) -> Option<String> {
    let mut parts = arn.splitn(6, ':');
    let (prefix, partition, service, _region, account, resource) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    let role = resource.strip_prefix("assumed-role/")?.split('/').next()?;
    (prefix == "arn" && service == "sts" && !role.is_empty())
        .then(|| format!("arn:{partition}:iam::{account}:role/{role}"))
}

/// CloudTrail's `userIdentity`, every field optional: which ones appear depends on the type.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct UserIdentity {
    #[serde(rename = "type", default, deserialize_with = "non_empty")]
    kind: Option<String>,
    #[serde(default, deserialize_with = "non_empty")]
    principal_id: Option<String>,
    #[serde(default, deserialize_with = "non_empty")]
    arn: Option<String>,
    #[serde(default, deserialize_with = "non_empty")]
    account_id: Option<String>,
    #[serde(default, deserialize_with = "non_empty")]
    invoked_by: Option<String>,
    #[serde(default)]
    session_context: Option<SessionContext>,
    #[serde(default)]
    on_behalf_of: Option<OnBehalfOf>,
}

/// `sessionContext`; `sessionIssuer` is `{}` for console sessions of IAM and root users.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SessionContext {
    #[serde(default)]
    session_issuer: Option<SessionIssuer>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SessionIssuer {
    #[serde(rename = "type", default, deserialize_with = "non_empty")]
    kind: Option<String>,
    #[serde(default, deserialize_with = "non_empty")]
    arn: Option<String>,
}

/// An Identity Center user's `onBehalfOf`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct OnBehalfOf {
    #[serde(default, deserialize_with = "non_empty")]
    user_id: Option<String>,
}

/// A SageMaker call that creates or changes a governed resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum SageMakerOperation {
    /// A Create* call.
    Create,
    /// An Update* call.
    Update,
}

/// An EC2 call that can break a project network.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "call")]
pub enum Ec2Request {
    /// An internet gateway was attached to a VPC.
    AttachInternetGateway {
        /// The gateway.
        internet_gateway_id: String,
        /// The VPC.
        vpc_id: String,
    },
    /// A NAT gateway was created.
    CreateNatGateway {
        /// Its subnet.
        subnet_id: String,
        /// The gateway, from the response.
        nat_gateway_id: Option<String>,
    },
    /// A peering connection was requested.
    CreateVpcPeeringConnection {
        /// The requester VPC.
        vpc_id: String,
        /// The peer VPC.
        peer_vpc_id: Option<String>,
        /// The connection, from the response.
        peering_connection_id: Option<String>,
    },
    /// A peering connection was accepted.
    AcceptVpcPeeringConnection {
        /// The connection.
        peering_connection_id: String,
    },
    /// Ingress was allowed into a security group.
    AuthorizeSecurityGroupIngress {
        /// The group, where the call or its response names it by id.
        group_id: Option<String>,
        /// The group's name, where the call names it so (only a default VPC's groups can be).
        group_name: Option<String>,
        /// Every CIDR range the call opened.
        cidr_ranges: Vec<String>,
    },
    /// A subnet attribute changed.
    ModifySubnetAttribute {
        /// The subnet.
        subnet_id: String,
        /// The new MapPublicIpOnLaunch, if the call set it.
        map_public_ip_on_launch: Option<bool>,
    },
    /// Flow logs were deleted.
    DeleteFlowLogs {
        /// The deleted flow logs.
        flow_log_ids: Vec<String>,
    },
}

/// A KMS call that can weaken a project key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "call")]
pub enum KmsRequest {
    /// Rotation was turned off.
    DisableKeyRotation {
        /// The key.
        key_id: String,
    },
    /// The key was scheduled for deletion.
    ScheduleKeyDeletion {
        /// The key.
        key_id: String,
        /// The waiting period, if given.
        pending_window_in_days: Option<i32>,
    },
}

/// An IAM call that can widen a project role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "call")]
pub enum IamRequest {
    /// A managed policy was attached to a role.
    AttachRolePolicy {
        /// The role.
        role_name: String,
        /// The policy.
        policy_arn: String,
    },
    /// An inline policy was put on a role.
    PutRolePolicy {
        /// The role.
        role_name: String,
        /// The policy name.
        policy_name: String,
        /// The policy document, as sent.
        policy_document: String,
    },
}

/// What an API call asked for, typed by service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiRequest {
    /// A SageMaker call creating or updating a governed resource.
    SageMaker {
        /// Create or update.
        operation: SageMakerOperation,
        /// The resource as the call describes it.
        resource: Resource,
    },
    /// An EC2 call.
    Ec2(Ec2Request),
    /// A KMS call.
    Kms(KmsRequest),
    /// An IAM call.
    Iam(IamRequest),
    /// A change to governed resources' tags (any service).
    Tags(crate::tag_change::TagChange),
    /// A SageMaker call CloudTrail recorded without its parameters (it truncates records over
    /// its size limit and marks them `omitted`): only the resource is known, by the name the
    /// response, the record's `resources` or the event's ARNs give it.
    SageMakerOmitted {
        /// Create or update.
        operation: SageMakerOperation,
        /// The resource.
        resource: ResourceRef,
    },
}

/// A successful, mutating API call that sagefence governs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiCall {
    /// The envelope.
    pub meta: EventMeta,
    /// The CloudTrail event id.
    pub event_id: String,
    /// The API operation, e.g. `CreateNotebookInstance`.
    pub event_name: String,
    /// The caller.
    pub actor: Actor,
    /// What was asked.
    pub request: ApiRequest,
}

/// Why an event needs no evaluation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "kebab-case")]
pub enum IgnoreReason {
    /// The call failed (`errorCode` set): nothing changed.
    FailedCall {
        /// The operation.
        event_name: String,
        /// The error code.
        error_code: String,
    },
    /// The call only reads.
    ReadOnly {
        /// The operation.
        event_name: String,
    },
    /// A call sagefence does not govern.
    UnhandledCall {
        /// The CloudTrail event source.
        event_source: String,
        /// The operation.
        event_name: String,
    },
    /// An event type sagefence does not govern.
    UnhandledEvent,
    /// A state change to a status sagefence does not act on (a notebook `Deleted`, or a
    /// status AWS added since).
    UnhandledStatus {
        /// The detail type.
        detail_type: String,
        /// The status, as written.
        status: String,
    },
}

/// A parsed event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A governed API call.
    ApiCall(ApiCall),
    /// A SageMaker resource changed state; the resource as the event describes it.
    StateChange {
        /// The envelope.
        meta: EventMeta,
        /// The resource.
        resource: Resource,
    },
    /// A scheduled trigger.
    Scheduled {
        /// The envelope.
        meta: EventMeta,
    },
    /// An event that needs no evaluation, and why.
    Ignored {
        /// The envelope.
        meta: EventMeta,
        /// Why.
        reason: IgnoreReason,
    },
}

impl Event {
    /// The envelope of any event.
    pub fn meta(&self) -> &EventMeta {
        match self {
            Event::ApiCall(call) => &call.meta,
            Event::StateChange { meta, .. } | Event::Scheduled { meta } | Event::Ignored { meta, .. } => meta,
        }
    }

    /// The SageMaker resource the event describes, if any.
    pub fn resource(&self) -> Option<&Resource> {
        match self {
            Event::ApiCall(ApiCall {
                request: ApiRequest::SageMaker { resource, .. },
                ..
            })
            | Event::StateChange { resource, .. } => Some(resource),
            _ => None,
        }
    }
}

/// The EventBridge envelope. Only `source` and `detail-type` are required; `null` is absent.
#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(default, deserialize_with = "non_empty")]
    id: Option<String>,
    source: String,
    #[serde(rename = "detail-type")]
    detail_type: String,
    #[serde(default, deserialize_with = "non_empty")]
    account: Option<String>,
    #[serde(default, deserialize_with = "non_empty")]
    region: Option<String>,
    #[serde(default)]
    time: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "ids")]
    resources: Vec<String>,
    #[serde(borrow, default)]
    detail: Option<&'a RawValue>,
}

/// Parses one EventBridge event from its bytes. The detail is read straight from the bytes
/// into typed shapes, without an intermediate JSON tree.
pub fn parse(bytes: &[u8]) -> Result<Event, ParseEventError> {
    let envelope: Envelope<'_> = serde_json::from_slice(bytes).map_err(|err| {
        if err.is_data() {
            ParseEventError::Envelope(err)
        } else {
            ParseEventError::Json(err)
        }
    })?;
    let meta = EventMeta {
        id: envelope.id,
        source: envelope.source,
        detail_type: envelope.detail_type,
        account: envelope.account,
        region: envelope.region,
        time: envelope.time,
    };
    if meta.detail_type == SCHEDULED && meta.source == "aws.events" {
        return Ok(Event::Scheduled { meta });
    }
    let governed = meta.detail_type == API_CALL || meta.source == "aws.sagemaker";
    let detail = match envelope.detail {
        Some(detail) => detail.get(),
        None if governed => {
            return Err(ParseEventError::Field {
                event: meta.detail_type.clone(),
                path: "detail".to_owned(),
                message: "missing field `detail`".to_owned(),
            })
        }
        None => "{}",
    };
    if meta.detail_type == API_CALL {
        return parse_api_call(meta, detail, &envelope.resources);
    }
    if meta.source == "aws.sagemaker" {
        let event = meta.detail_type.as_str();
        let resource = match event {
            "SageMaker Notebook Instance State Change" => {
                let wire = typed::<NotebookWire>(event, detail)?;
                if let Some(status) = wire.unhandled_status() {
                    let reason = IgnoreReason::UnhandledStatus {
                        detail_type: meta.detail_type.clone(),
                        status: status.to_owned(),
                    };
                    return Ok(Event::Ignored { meta, reason });
                }
                Some(Resource::NotebookInstance(wire.into_model(Completeness::StateChange)))
            }
            "SageMaker Training Job State Change" => Some(job::<TrainingJobWire>(event, detail)?),
            "SageMaker Processing Job State Change" => Some(job::<ProcessingJobWire>(event, detail)?),
            "SageMaker Transform Job State Change" => Some(job::<TransformJobWire>(event, detail)?),
            "SageMaker HyperParameter Tuning Job State Change" => Some(job::<TuningJobWire>(event, detail)?),
            _ => None,
        };
        if let Some(resource) = resource {
            return Ok(Event::StateChange { meta, resource });
        }
    }
    Ok(Event::Ignored {
        meta,
        reason: IgnoreReason::UnhandledEvent,
    })
}

/// Deserializes `value` as `T`, naming the offending field's path on error. Field names in
/// messages are spelled as the input spells them: camelCase for CloudTrail request parameters
/// (event names are operations there), PascalCase for state-change details.
fn typed<T: DeserializeOwned>(event: &str, json: &str) -> Result<T, ParseEventError> {
    let mut deserializer = serde_json::Deserializer::from_str(json);
    serde_path_to_error::deserialize(&mut deserializer).map_err(|err| {
        let path = err.path().to_string();
        let mut message = err.into_inner().to_string();
        if !event.starts_with("SageMaker ") {
            message = camel_case_missing_field(&message);
        }
        ParseEventError::Field {
            event: event.to_owned(),
            path,
            message,
        }
    })
}

/// Rewrites serde's "missing field `PascalName`" as "missing field `pascalName`".
fn camel_case_missing_field(message: &str) -> String {
    const MARK: &str = "missing field `";
    match message.split_once(MARK) {
        Some((before, rest)) => {
            let mut chars = rest.chars();
            let first = chars.next().map(|c| c.to_ascii_lowercase()).unwrap_or_default();
            format!("{before}{MARK}{first}{}", chars.as_str())
        }
        None => message.to_owned(),
    }
}

fn job<T: DeserializeOwned + Into<Job>>(event: &str, json: &str) -> Result<Resource, ParseEventError> {
    Ok(Resource::Job(typed::<T>(event, json)?.into()))
}

/// A CloudTrail record, as far as sagefence reads it. Only `eventSource`, `eventName` and
/// `eventID` are required; everything else may be absent or `null`, as CloudTrail documents.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TrailRecord<'a> {
    #[serde(borrow, default)]
    user_identity: Option<&'a RawValue>,
    event_source: String,
    event_name: String,
    #[serde(rename = "eventID", default, deserialize_with = "non_empty")]
    event_id: Option<String>,
    #[serde(default, deserialize_with = "non_empty")]
    error_code: Option<String>,
    #[serde(default)]
    read_only: Option<bool>,
    #[serde(borrow, default)]
    request_parameters: Option<&'a RawValue>,
    #[serde(borrow, default)]
    response_elements: Option<&'a RawValue>,
    #[serde(borrow, default)]
    resources: Option<&'a RawValue>,
}

/// One of a CloudTrail record's `resources`.
#[derive(Deserialize)]
struct TrailResource {
    #[serde(rename = "ARN", alias = "arn", default, deserialize_with = "non_empty")]
    arn: Option<String>,
}

/// The mark CloudTrail leaves on a field it truncated.
#[derive(Deserialize)]
struct OmittedMark {
    #[serde(default)]
    omitted: Option<bool>,
}

/// Whether CloudTrail left the request parameters out: absent, `null`, or marked `omitted`.
fn omitted(params: Option<&str>) -> bool {
    params.is_none_or(|json| serde_json::from_str::<OmittedMark>(json).is_ok_and(|mark| mark.omitted == Some(true)))
}

/// Every ARN the record and its envelope name: the response's, the record's `resources`, the
/// envelope's `resources`. Unreadable entries are skipped: they only help find a name.
fn named_arns(response: Option<&str>, resources: Option<&RawValue>, envelope: &[String]) -> Vec<String> {
    let mut arns = Vec::new();
    if let Some(Value::Object(fields)) = response.and_then(|json| serde_json::from_str(json).ok()) {
        arns.extend(
            fields
                .into_iter()
                .filter(|(key, _)| key.ends_with("Arn") || key.ends_with("ARN"))
                .filter_map(|(_, value)| value.as_str().map(str::to_owned)),
        );
    }
    let listed: Vec<Value> = resources
        .and_then(|raw| serde_json::from_str(raw.get()).ok())
        .unwrap_or_default();
    arns.extend(
        listed
            .into_iter()
            .filter_map(|item| serde_json::from_value::<TrailResource>(item).ok())
            .filter_map(|r| r.arn),
    );
    arns.extend(envelope.iter().cloned());
    arns
}

/// The resource an ARN names, when it is of `resource_type`: `arn:aws:SERVICE:REGION:ACCOUNT:TYPE/NAME`
/// (SageMaker's types are the kinds' names, e.g. `notebook-instance`; a KMS key's is `key`).
fn arn_resource(arn: &str, resource_type: &str) -> Option<String> {
    let resource = arn.splitn(6, ':').nth(5)?;
    let (kind, name) = resource.split_once('/')?;
    (kind == resource_type && !name.is_empty()).then(|| name.to_owned())
}

fn parse_api_call(meta: EventMeta, detail: &str, envelope_resources: &[String]) -> Result<Event, ParseEventError> {
    let record: TrailRecord<'_> = serde_json::from_str(detail).map_err(ParseEventError::CloudTrail)?;
    let event_name = record.event_name;
    if let Some(error_code) = record.error_code {
        return Ok(Event::Ignored {
            meta,
            reason: IgnoreReason::FailedCall { event_name, error_code },
        });
    }
    if record.read_only == Some(true)
        || ["Describe", "List", "Get", "Search"]
            .iter()
            .any(|p| event_name.starts_with(p))
    {
        return Ok(Event::Ignored {
            meta,
            reason: IgnoreReason::ReadOnly { event_name },
        });
    }
    let params = record.request_parameters.map(RawValue::get);
    let response = record.response_elements.map(RawValue::get);
    let named = || named_arns(response, record.resources, envelope_resources);
    let request = match record.event_source.as_str() {
        source if crate::tag_change::is_tag_call(source, &event_name) => Some(ApiRequest::Tags(
            crate::tag_change::parse(source, &event_name, recorded(&event_name, params)?)?,
        )),
        "sagemaker.amazonaws.com" if omitted(params) => sagemaker_omitted(&event_name, &named())?,
        "sagemaker.amazonaws.com" => sagemaker_request(&event_name, params, response)?,
        "ec2.amazonaws.com" => {
            let (params, response) = (tree(&event_name, params)?, tree(&event_name, response)?);
            ec2_request(&event_name, &params, &response)?.map(ApiRequest::Ec2)
        }
        "kms.amazonaws.com" => kms_request(&event_name, params, response, &named())?.map(ApiRequest::Kms),
        "iam.amazonaws.com" => iam_request(&event_name, params)?.map(ApiRequest::Iam),
        _ => None,
    };
    let Some(request) = request else {
        return Ok(Event::Ignored {
            meta,
            reason: IgnoreReason::UnhandledCall {
                event_source: record.event_source,
                event_name,
            },
        });
    };
    let event_id = required(&event_name, record.event_id, "eventID")?;
    Ok(Event::ApiCall(ApiCall {
        meta,
        event_id,
        event_name,
        actor: Actor::from_identity(record.user_identity),
        request,
    }))
}

/// The SageMaker calls sagefence governs: the operation and the kind of resource each makes.
fn sagemaker_call(event_name: &str) -> Option<(SageMakerOperation, ResourceKind)> {
    use SageMakerOperation::{Create, Update};
    Some(match event_name {
        "CreateNotebookInstance" => (Create, ResourceKind::NotebookInstance),
        "UpdateNotebookInstance" => (Update, ResourceKind::NotebookInstance),
        "CreateTrainingJob" => (Create, ResourceKind::TrainingJob),
        "CreateProcessingJob" => (Create, ResourceKind::ProcessingJob),
        "CreateHyperParameterTuningJob" => (Create, ResourceKind::HyperParameterTuningJob),
        "CreateTransformJob" => (Create, ResourceKind::TransformJob),
        "CreateModel" => (Create, ResourceKind::Model),
        "CreateEndpointConfig" => (Create, ResourceKind::EndpointConfig),
        "CreateDomain" => (Create, ResourceKind::Domain),
        _ => return None,
    })
}

/// A governed SageMaker call without its parameters: the resource by the first ARN naming one
/// of the kind the call makes.
fn sagemaker_omitted(event_name: &str, arns: &[String]) -> Result<Option<ApiRequest>, ParseEventError> {
    let Some((operation, kind)) = sagemaker_call(event_name) else {
        return Ok(None);
    };
    let found = arns
        .iter()
        .find_map(|arn| arn_resource(arn, kind.as_str()).map(|name| (name, arn.clone())));
    let Some((name, arn)) = found else {
        return Err(ParseEventError::Field {
            event: event_name.to_owned(),
            path: "requestParameters".to_owned(),
            message: "omitted, and neither the response nor `resources` names the resource".to_owned(),
        });
    };
    Ok(Some(ApiRequest::SageMakerOmitted {
        operation,
        resource: ResourceRef {
            kind,
            name,
            arn: Some(arn),
        },
    }))
}

/// Reads optional raw JSON into a tree, for calls whose shapes vary too much to type.
fn tree(event_name: &str, json: Option<&str>) -> Result<Value, ParseEventError> {
    json.map_or(Ok(Value::Null), |json| typed(event_name, json))
}

/// The first string in `response` under a key ending in `Arn` (e.g. `notebookInstanceArn`).
fn response_arn(response: Option<&str>) -> Option<String> {
    let fields: serde_json::Map<String, Value> = serde_json::from_str(response?).ok()?;
    fields
        .into_iter()
        .find(|(key, value)| key.ends_with("Arn") && value.is_string())
        .and_then(|(_, value)| value.as_str().map(str::to_owned))
}

/// Parameters a successful call must have recorded.
fn recorded<'a>(event_name: &str, params: Option<&'a str>) -> Result<&'a str, ParseEventError> {
    params.ok_or_else(|| ParseEventError::Field {
        event: event_name.to_owned(),
        path: "requestParameters".to_owned(),
        message: "missing: a successful call records its parameters".to_owned(),
    })
}

fn sagemaker_request(
    event_name: &str,
    params: Option<&str>,
    response: Option<&str>,
) -> Result<Option<ApiRequest>, ParseEventError> {
    let params = recorded(event_name, params)?;
    let (operation, mut resource) = match event_name {
        "CreateNotebookInstance" => {
            let wire: NotebookWire = typed(event_name, params)?;
            let notebook = wire.into_model(Completeness::Full);
            if notebook.instance_type.known().is_none() {
                return Err(ParseEventError::Field {
                    event: event_name.to_owned(),
                    path: "instanceType".to_owned(),
                    message: "missing field `instanceType`".to_owned(),
                });
            }
            (SageMakerOperation::Create, Resource::NotebookInstance(notebook))
        }
        "UpdateNotebookInstance" => {
            let wire: NotebookWire = typed(event_name, params)?;
            (
                SageMakerOperation::Update,
                Resource::NotebookInstance(wire.into_model(Completeness::Update)),
            )
        }
        "CreateTrainingJob" => (SageMakerOperation::Create, job::<TrainingJobWire>(event_name, params)?),
        "CreateProcessingJob" => (
            SageMakerOperation::Create,
            job::<ProcessingJobWire>(event_name, params)?,
        ),
        "CreateHyperParameterTuningJob" => (SageMakerOperation::Create, job::<TuningJobWire>(event_name, params)?),
        "CreateTransformJob" => (SageMakerOperation::Create, job::<TransformJobWire>(event_name, params)?),
        "CreateModel" => (
            SageMakerOperation::Create,
            Resource::Model(typed::<ModelWire>(event_name, params)?.into()),
        ),
        "CreateEndpointConfig" => (
            SageMakerOperation::Create,
            Resource::EndpointConfig(typed::<EndpointConfigWire>(event_name, params)?.into()),
        ),
        "CreateDomain" => (
            SageMakerOperation::Create,
            Resource::Domain(typed::<DomainWire>(event_name, params)?.into()),
        ),
        _ => return Ok(None),
    };
    if let Some(arn) = response_arn(response) {
        set_arn(&mut resource, arn);
    }
    Ok(Some(ApiRequest::SageMaker { operation, resource }))
}

fn set_arn(resource: &mut Resource, arn: String) {
    let slot = match resource {
        Resource::NotebookInstance(n) => &mut n.arn,
        Resource::Job(j) => &mut j.arn,
        Resource::Model(m) => &mut m.arn,
        Resource::EndpointConfig(e) => &mut e.arn,
        Resource::Domain(d) => &mut d.arn,
        Resource::Vpc(_)
        | Resource::Subnet(_)
        | Resource::SecurityGroup(_)
        | Resource::KmsKey(_)
        | Resource::Role(_) => {
            return;
        }
    };
    slot.get_or_insert(arn);
}

/// Whether an object key `key` is the field `name` (camelCase) in either of the cases EC2
/// records it: `subnetId` or `SubnetId`.
fn is_field(key: &str, name: &str) -> bool {
    let (mut k, mut n) = (key.chars(), name.chars());
    k.next().zip(n.next()).is_some_and(|(a, b)| a.eq_ignore_ascii_case(&b)) && k.eq(n)
}

/// Finds the first string under any of the fields `names` (camelCase, either case), at any
/// depth. EC2 records the same request in several shapes across API versions (`subnetId`,
/// `CreateNatGatewayRequest.SubnetId`, ...).
fn find_str(value: &Value, names: &[&str]) -> Option<String> {
    match value {
        Value::Object(map) => names
            .iter()
            .find_map(|name| {
                map.iter()
                    .find(|(k, _)| is_field(k, name))
                    .and_then(|(_, v)| v.as_str())
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
            })
            .or_else(|| map.values().find_map(|v| find_str(v, names))),
        Value::Array(items) => items.iter().find_map(|v| find_str(v, names)),
        _ => None,
    }
}

/// Every string under any of the fields `names` (camelCase, either case), at any depth.
fn find_all_str(value: &Value, names: &[&str], out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                if names.iter().any(|name| is_field(k, name)) {
                    collect_strings(v, out);
                } else {
                    find_all_str(v, names, out);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| find_all_str(v, names, out)),
        _ => {}
    }
}

fn collect_strings(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) if !s.is_empty() => out.push(s.clone()),
        Value::Array(items) => items.iter().for_each(|v| collect_strings(v, out)),
        Value::Object(map) => map.values().for_each(|v| collect_strings(v, out)),
        _ => {}
    }
}

fn required(event_name: &str, value: Option<String>, path: &str) -> Result<String, ParseEventError> {
    value.ok_or_else(|| ParseEventError::Field {
        event: event_name.to_owned(),
        path: path.to_owned(),
        message: format!("missing field `{path}`"),
    })
}

fn ec2_request(event_name: &str, params: &Value, response: &Value) -> Result<Option<Ec2Request>, ParseEventError> {
    let get = |name: &str| find_str(params, &[name]).or_else(|| find_str(response, &[name]));
    let need = |name: &str| required(event_name, get(name), name);
    let request = match event_name {
        "AttachInternetGateway" => Ec2Request::AttachInternetGateway {
            internet_gateway_id: need("internetGatewayId")?,
            vpc_id: need("vpcId")?,
        },
        "CreateNatGateway" => Ec2Request::CreateNatGateway {
            subnet_id: need("subnetId")?,
            nat_gateway_id: find_str(response, &["natGatewayId"]),
        },
        "CreateVpcPeeringConnection" => Ec2Request::CreateVpcPeeringConnection {
            vpc_id: need("vpcId")?,
            peer_vpc_id: get("peerVpcId"),
            peering_connection_id: find_str(response, &["vpcPeeringConnectionId"]),
        },
        "AcceptVpcPeeringConnection" => Ec2Request::AcceptVpcPeeringConnection {
            peering_connection_id: need("vpcPeeringConnectionId")?,
        },
        "AuthorizeSecurityGroupIngress" => {
            let mut cidr_ranges = Vec::new();
            find_all_str(params, &["cidrIp", "cidrIpv6"], &mut cidr_ranges);
            let group_id = get("groupId");
            let group_name = find_str(params, &["groupName"]);
            if group_id.is_none() && group_name.is_none() {
                return Err(ParseEventError::Field {
                    event: event_name.to_owned(),
                    path: "groupId".to_owned(),
                    message: "names no security group, by id or by `groupName`".to_owned(),
                });
            }
            Ec2Request::AuthorizeSecurityGroupIngress {
                group_id,
                group_name,
                cidr_ranges,
            }
        }
        "ModifySubnetAttribute" => Ec2Request::ModifySubnetAttribute {
            subnet_id: need("subnetId")?,
            map_public_ip_on_launch: params.get("mapPublicIpOnLaunch").and_then(|v| match v {
                Value::Bool(b) => Some(*b),
                other => other.get("value").and_then(Value::as_bool),
            }),
        },
        "DeleteFlowLogs" => {
            let mut ids = Vec::new();
            find_all_str(params, &["flowLogId", "flowLogIds"], &mut ids);
            ids.retain(|id| id.starts_with("fl-"));
            if ids.is_empty() {
                return Err(ParseEventError::Field {
                    event: event_name.to_owned(),
                    path: "flowLogId".to_owned(),
                    message: "names no flow log".to_owned(),
                });
            }
            Ec2Request::DeleteFlowLogs { flow_log_ids: ids }
        }
        _ => return Ok(None),
    };
    Ok(Some(request))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct KeyParams {
    #[serde(default, deserialize_with = "non_empty")]
    key_id: Option<String>,
    #[serde(default)]
    pending_window_in_days: Option<i32>,
}

/// A KMS call's key: from its parameters, else from its response or `resources` (CloudTrail
/// records every KMS call's key there, so a truncated record still names it).
fn kms_request(
    event_name: &str,
    params: Option<&str>,
    response: Option<&str>,
    named: &[String],
) -> Result<Option<KmsRequest>, ParseEventError> {
    if !["DisableKeyRotation", "ScheduleKeyDeletion"].contains(&event_name) {
        return Ok(None);
    }
    let read = |json: Option<&str>| -> Result<Option<KeyParams>, ParseEventError> {
        match json {
            Some(json) if !omitted(Some(json)) => typed(event_name, json).map(Some),
            _ => Ok(None),
        }
    };
    let (params, response) = (read(params)?, read(response)?);
    let pending_window_in_days = params.as_ref().and_then(|p| p.pending_window_in_days);
    let key_id = [params, response]
        .into_iter()
        .flatten()
        .find_map(|p| p.key_id)
        .or_else(|| named.iter().find(|arn| arn_resource(arn, "key").is_some()).cloned());
    let key_id = required(event_name, key_id, "keyId")?;
    Ok(Some(match event_name {
        "DisableKeyRotation" => KmsRequest::DisableKeyRotation { key_id },
        _ => KmsRequest::ScheduleKeyDeletion {
            key_id,
            pending_window_in_days,
        },
    }))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AttachRolePolicyParams {
    role_name: String,
    policy_arn: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PutRolePolicyParams {
    role_name: String,
    policy_name: String,
    policy_document: String,
}

fn iam_request(event_name: &str, params: Option<&str>) -> Result<Option<IamRequest>, ParseEventError> {
    let request = match event_name {
        "AttachRolePolicy" => {
            let p: AttachRolePolicyParams = typed(event_name, recorded(event_name, params)?)?;
            IamRequest::AttachRolePolicy {
                role_name: p.role_name,
                policy_arn: p.policy_arn,
            }
        }
        "PutRolePolicy" => {
            let p: PutRolePolicyParams = typed(event_name, recorded(event_name, params)?)?;
            IamRequest::PutRolePolicy {
                role_name: p.role_name,
                policy_name: p.policy_name,
                policy_document: p.policy_document,
            }
        }
        _ => return Ok(None),
    };
    Ok(Some(request))
}
