//! Online resolution: what an event alone cannot tell, read through the ports. The resources
//! an event concerns, as they are now (the current state beats the event's, which may be
//! stale or out of order), and the facts the rules need (project subnets and keys).

use chrono::{DateTime, TimeDelta, Utc};
use sagefence_aws::lookup;
use sagefence_aws::ports::{AuditSink, Keys, Network, PortResult, Roles, SageMaker};
use sagefence_aws::remedy::RemedyPorts;
use sagefence_core::event::{ApiCall, ApiRequest, Ec2Request, Event, IamRequest, KmsRequest, SageMakerOperation};
use sagefence_core::model::{JobKind, Resource, ResourceKind, ResourceRef};
use sagefence_core::Facts;

use crate::handler::Guardrail;

/// How long before a Create call's recorded time its resource may have been made (CloudTrail
/// records the call once it is answered; this only bounds the listing).
const MADE_BEFORE_THE_CALL: TimeDelta = TimeDelta::minutes(15);
use crate::retry::retrying;

/// What the account says about an event's subjects.
#[derive(Debug, Default)]
pub(crate) struct Resolved {
    /// The resources to evaluate, as they are now.
    pub resources: Vec<Resource>,
    /// The project subnets and keys among those the resources use.
    pub facts: Facts,
    /// Resources the event names that no longer exist.
    pub gone: Vec<ResourceRef>,
}

impl<P: RemedyPorts, A: AuditSink + Sync> Guardrail<P, A> {
    pub(crate) async fn resolve(&self, event: &Event) -> PortResult<Resolved> {
        let mut resolved = Resolved::default();
        let current = match event {
            Event::StateChange { resource, .. }
            | Event::ApiCall(ApiCall {
                request: ApiRequest::SageMaker { resource, .. },
                ..
            }) => vec![(resource.reference(), self.current(resource).await?)],
            Event::ApiCall(ApiCall {
                request: ApiRequest::SageMakerOmitted { resource, operation },
                meta,
                ..
            }) => {
                // a Create call's resource is made just before the call's time; an Update's may be older
                let made_after = match operation {
                    SageMakerOperation::Create => meta.time.map(|t| t - MADE_BEFORE_THE_CALL),
                    SageMakerOperation::Update => None,
                };
                vec![(resource.clone(), self.named(resource, made_after).await?)]
            }
            Event::ApiCall(call) => self.infrastructure(call).await?,
            Event::Scheduled { .. } | Event::Ignored { .. } => Vec::new(),
        };
        for (reference, resource) in current {
            match resource {
                Some(resource) => resolved.resources.push(resource),
                None => resolved.gone.push(reference),
            }
        }
        let tag_key = &self.policy.scope.project_tag_key;
        let backoff = self.settings.backoff();
        resolved.facts = lookup::facts(
            &self.ports.network,
            &self.ports.keys,
            &self.ports.roles,
            &backoff,
            tag_key,
            &resolved.resources,
        )
        .await?;
        Ok(resolved)
    }

    /// A SageMaker resource as it is now; `None` when it is gone. Other kinds are taken as given.
    async fn current(&self, resource: &Resource) -> PortResult<Option<Resource>> {
        match resource {
            Resource::NotebookInstance(_) | Resource::Job(_) | Resource::Model(_) | Resource::EndpointConfig(_) => {
                let reference = resource.reference();
                self.by_name(reference.kind, &reference.name).await
            }
            other => Ok(Some(other.clone())),
        }
    }

    /// A SageMaker resource known only by its name (a call CloudTrail truncated), as it is now;
    /// `None` when it is gone or of a kind sagefence does not read back by name. A name taken
    /// from an ARN is lowercase, as SageMaker writes ARNs: when nothing has that name, the
    /// resource of that kind whose name differs only in case (made after `made_after`) is read.
    async fn named(&self, reference: &ResourceRef, made_after: Option<DateTime<Utc>>) -> PortResult<Option<Resource>> {
        let name = reference.name.as_str();
        let found = self.by_name(reference.kind, name).await?;
        if found.is_some() || name != name.to_ascii_lowercase() {
            return Ok(found);
        }
        let (sm, s) = (&self.ports.sagemaker, &self.settings);
        match retrying(s, || sm.name_in_case(reference.kind, name, made_after)).await? {
            Some(exact) if exact != name => self.by_name(reference.kind, &exact).await,
            _ => Ok(None),
        }
    }

    /// The SageMaker resource of `kind` named exactly `name`, as it is now.
    async fn by_name(&self, kind: ResourceKind, name: &str) -> PortResult<Option<Resource>> {
        let sm = &self.ports.sagemaker;
        let s = &self.settings;
        let job = |kind| async move { retrying(s, || sm.job(kind, name)).await.map(|j| j.map(Resource::Job)) };
        Ok(match kind {
            ResourceKind::NotebookInstance => retrying(s, || sm.notebook(name)).await?.map(Resource::NotebookInstance),
            ResourceKind::TrainingJob => job(JobKind::Training).await?,
            ResourceKind::ProcessingJob => job(JobKind::Processing).await?,
            ResourceKind::HyperParameterTuningJob => job(JobKind::HyperParameterTuning).await?,
            ResourceKind::TransformJob => job(JobKind::Transform).await?,
            ResourceKind::Model => retrying(s, || sm.model(name)).await?.map(Resource::Model),
            ResourceKind::EndpointConfig => retrying(s, || sm.endpoint_config(name))
                .await?
                .map(Resource::EndpointConfig),
            _ => None,
        })
    }

    /// The network, key or role resources an EC2, KMS or IAM call touched, as they are now.
    async fn infrastructure(&self, call: &ApiCall) -> PortResult<Vec<(ResourceRef, Option<Resource>)>> {
        let s = &self.settings;
        let net = &self.ports.network;
        let vpc_ids: Vec<String> = match &call.request {
            ApiRequest::Ec2(Ec2Request::AttachInternetGateway { vpc_id, .. }) => vec![vpc_id.clone()],
            ApiRequest::Ec2(Ec2Request::CreateNatGateway { subnet_id, .. }) => {
                let subnets = retrying(s, || net.subnets(std::slice::from_ref(subnet_id))).await?;
                subnets.into_iter().map(|subnet| subnet.vpc_id).collect()
            }
            ApiRequest::Ec2(Ec2Request::CreateVpcPeeringConnection {
                vpc_id,
                peer_vpc_id,
                peering_connection_id,
            }) => match peering_connection_id {
                Some(id) => retrying(s, || net.peering_vpc_ids(id)).await?,
                None => std::iter::once(vpc_id.clone()).chain(peer_vpc_id.clone()).collect(),
            },
            ApiRequest::Ec2(Ec2Request::AcceptVpcPeeringConnection { peering_connection_id }) => {
                retrying(s, || net.peering_vpc_ids(peering_connection_id)).await?
            }
            ApiRequest::Ec2(Ec2Request::DeleteFlowLogs { .. }) => {
                retrying(s, || net.tagged_vpc_ids(&self.policy.scope.project_tag_key)).await?
            }
            _ => Vec::new(),
        };
        let mut out = Vec::new();
        for id in vpc_ids {
            let vpc = retrying(s, || net.vpc(&id)).await?;
            out.push((
                reference(sagefence_core::model::ResourceKind::Vpc, &id),
                vpc.map(Resource::Vpc),
            ));
        }
        match &call.request {
            ApiRequest::Ec2(Ec2Request::AuthorizeSecurityGroupIngress {
                group_id, group_name, ..
            }) => {
                let group_id = match (group_id, group_name) {
                    (Some(id), _) => Some(id.clone()),
                    (None, Some(name)) => retrying(s, || net.default_vpc_group_id(name)).await?,
                    (None, None) => None,
                };
                let named = group_id.as_ref().or(group_name.as_ref()).cloned().unwrap_or_default();
                let group = match &group_id {
                    Some(id) => retrying(s, || net.security_group(id)).await?,
                    None => None,
                };
                out.push((
                    reference(sagefence_core::model::ResourceKind::SecurityGroup, &named),
                    group.map(Resource::SecurityGroup),
                ));
            }
            ApiRequest::Ec2(Ec2Request::ModifySubnetAttribute { subnet_id, .. }) => {
                let subnets = retrying(s, || net.subnets(std::slice::from_ref(subnet_id))).await?;
                out.push((
                    reference(sagefence_core::model::ResourceKind::Subnet, subnet_id),
                    subnets.into_iter().next().map(Resource::Subnet),
                ));
            }
            ApiRequest::Kms(
                KmsRequest::DisableKeyRotation { key_id } | KmsRequest::ScheduleKeyDeletion { key_id, .. },
            ) => {
                let key = retrying(s, || self.ports.keys.key(key_id)).await?;
                out.push((
                    reference(sagefence_core::model::ResourceKind::KmsKey, key_id),
                    key.map(Resource::KmsKey),
                ));
            }
            ApiRequest::Iam(
                IamRequest::AttachRolePolicy { role_name, .. } | IamRequest::PutRolePolicy { role_name, .. },
            ) => {
                let role = retrying(s, || self.ports.roles.role(role_name)).await?;
                out.push((
                    reference(sagefence_core::model::ResourceKind::Role, role_name),
                    role.map(Resource::Role),
                ));
            }
            _ => {}
        }
        Ok(out)
    }
}

fn reference(kind: sagefence_core::model::ResourceKind, name: &str) -> ResourceRef {
    ResourceRef {
        kind,
        name: name.to_owned(),
        arn: None,
    }
}
