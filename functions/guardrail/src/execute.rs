//! Applying one planned action through the ports. Every remedy is idempotent: a resource that
//! is already gone or already as wanted ends `already-done`; one in a state that does not allow
//! the action yet ends `deferred` (a later state-change event completes it).

use sagefence::audit::{Notification, Outcome};
use sagefence::model::{JobKind, Resource, ResourceKind};
use sagefence::plan::{Action, ActionKind, VIOLATION_TAG};
use sagefence::ports::{AuditSink, Keys, Network, Notifier, PortError, PortErrorKind, PortResult, Roles, SageMaker};
use sagefence::Mode;

use crate::handler::Guardrail;
use crate::retry::retrying;

fn job_kind(kind: ResourceKind) -> Option<JobKind> {
    match kind {
        ResourceKind::TrainingJob => Some(JobKind::Training),
        ResourceKind::ProcessingJob => Some(JobKind::Processing),
        ResourceKind::HyperParameterTuningJob => Some(JobKind::HyperParameterTuning),
        ResourceKind::TransformJob => Some(JobKind::Transform),
        _ => None,
    }
}

fn unusable(action: &Action, why: &str) -> PortError {
    PortError {
        operation: "PlanAction",
        kind: PortErrorKind::Other,
        message: format!("{why} for {}", action.resource),
    }
}

fn outcome(result: PortResult<()>) -> Outcome {
    match result {
        Ok(()) => Outcome::Applied,
        Err(err) => match err.kind {
            PortErrorKind::NotFound => Outcome::AlreadyDone {
                detail: err.to_string(),
            },
            PortErrorKind::InvalidState => Outcome::Deferred {
                detail: err.to_string(),
            },
            _ => Outcome::Failed {
                retryable: err.is_retryable(),
                error: err.to_string(),
            },
        },
    }
}

impl<S, N, K, R, T, A> Guardrail<S, N, K, R, T, A>
where
    S: SageMaker + Sync,
    N: Network + Sync,
    K: Keys + Sync,
    R: Roles + Sync,
    T: Notifier + Sync,
    A: AuditSink + Sync,
{
    /// Applies one action (or records it as a dry run in audit mode).
    pub(crate) async fn apply(&self, resource: &Resource, action: &Action) -> Outcome {
        if action.mode != Mode::Enforce {
            return Outcome::DryRun;
        }
        if action.action == ActionKind::DeleteEndpointConfigIfUnused {
            return self.delete_endpoint_config_if_unused(resource, action).await;
        }
        outcome(retrying(&self.settings, || self.call(resource, action)).await)
    }

    async fn call(&self, resource: &Resource, action: &Action) -> PortResult<()> {
        let target = &action.resource;
        let name = target.name.as_str();
        let arn = || target.arn.as_deref().ok_or_else(|| unusable(action, "no ARN"));
        let sm = &self.sagemaker;
        match &action.action {
            ActionKind::Tag { tags } => sm.tag(arn()?, tags).await,
            ActionKind::Untag { keys } => sm.untag(arn()?, keys).await,
            ActionKind::StopNotebookInstance => sm.stop_notebook(name).await,
            ActionKind::StartNotebookInstance => sm.start_notebook(name).await,
            ActionKind::UpdateNotebookInstance { root_access } => {
                sm.update_notebook_root_access(name, *root_access).await
            }
            ActionKind::DeleteNotebookInstance => sm.delete_notebook(name).await,
            ActionKind::StopJob => {
                let kind = job_kind(target.kind).ok_or_else(|| unusable(action, "not a job"))?;
                sm.stop_job(kind, name).await
            }
            ActionKind::DeleteModel => sm.delete_model(name).await,
            ActionKind::DeleteEndpointConfigIfUnused => sm.delete_endpoint_config(name).await,
            ActionKind::DeleteInternetGateway { internet_gateway_id } => {
                self.network.delete_internet_gateway(name, internet_gateway_id).await
            }
            ActionKind::DeleteNatGateway { nat_gateway_id } => self.network.delete_nat_gateway(nat_gateway_id).await,
            ActionKind::RemoveVpcPeeringConnection { peering_connection_id } => {
                self.network.remove_peering(peering_connection_id).await
            }
            ActionKind::CreateFlowLog => self.network.create_flow_log(name).await,
            ActionKind::DisableMapPublicIpOnLaunch => self.network.disable_map_public_ip(name).await,
            ActionKind::RevokeIngress { ranges } => self.network.revoke_ingress(name, ranges).await,
            ActionKind::CancelKeyDeletion => self.keys.cancel_deletion(name).await,
            ActionKind::EnableKeyRotation => self.keys.enable_rotation(name).await,
            ActionKind::DetachRolePolicy { policy_arn } => self.roles.detach_policy(name, policy_arn).await,
            ActionKind::DeleteRolePolicy { policy_name } => self.roles.delete_inline_policy(name, policy_name).await,
            ActionKind::Notify => {
                let owner = resource.tags().and_then(|t| t.get(&self.policy.scope.owner_tag_key));
                self.notifier
                    .notify(&Notification::for_action(action, &Outcome::Applied, owner))
                    .await
            }
        }
    }

    /// Deletes an endpoint configuration no endpoint uses; one in use is marked and reported.
    async fn delete_endpoint_config_if_unused(&self, resource: &Resource, action: &Action) -> Outcome {
        let name = action.resource.name.as_str();
        let in_use = match retrying(&self.settings, || self.sagemaker.endpoint_config_in_use(name)).await {
            Ok(in_use) => in_use,
            Err(err) => return outcome(Err(err)),
        };
        if !in_use {
            return outcome(retrying(&self.settings, || self.sagemaker.delete_endpoint_config(name)).await);
        }
        if let Some(arn) = action.resource.arn.as_deref() {
            let rules = action.rules.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(" ");
            let tags = [(VIOLATION_TAG.to_owned(), rules)].into();
            if let Err(err) = retrying(&self.settings, || self.sagemaker.tag(arn, &tags)).await {
                return outcome(Err(err));
            }
        }
        let owner = resource.tags().and_then(|t| t.get(&self.policy.scope.owner_tag_key));
        let deferred = Outcome::Deferred {
            detail: "an endpoint uses it: tagged and notified instead of deleted".to_owned(),
        };
        let notification = Notification::for_action(action, &deferred, owner);
        if let Err(err) = retrying(&self.settings, || self.notifier.notify(&notification)).await {
            return outcome(Err(err));
        }
        deferred
    }
}
