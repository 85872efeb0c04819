//! Applying planned remedies through the ports, shared by the guardrail and the sweeper. Every
//! remedy is idempotent: a resource that is already gone or already as wanted ends
//! `already-done`; one in a state that does not allow the action yet ends `deferred` (a later
//! state-change event or sweep completes it). Throttled and transient failures are retried with
//! bounded exponential backoff.

use std::future::Future;
use std::time::Duration;

use crate::ports::OnAws;
use crate::ports::{
    KeyInventory, Keys, Network, NetworkInventory, Notifier, PortError, PortErrorKind, PortResult, RoleInventory,
    Roles, SageMaker, SageMakerInventory,
};
use crate::{Ec2Adapter, FlowLogSettings, IamAdapter, KmsAdapter, SageMakerAdapter};
use sagefence_audit::audit::{action_name, Notification, Outcome};
use sagefence_core::model::{JobKind, Resource, ResourceKind};
use sagefence_core::plan::{Action, ActionKind, VIOLATION_TAG};
use sagefence_core::policy::{Mode, Policy};

/// How often and how patiently a throttled or unavailable call is retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// Attempts per call (at least 1).
    pub max_attempts: u32,
    /// The first delay; it doubles on each retry.
    pub base_delay: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            max_attempts: 4,
            base_delay: Duration::from_millis(100),
        }
    }
}

/// Runs `call` until it succeeds, fails for good, or `backoff.max_attempts` are spent.
pub async fn retrying<T, F, Fut>(backoff: &Backoff, mut call: F) -> PortResult<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = PortResult<T>>,
{
    let mut delay = backoff.base_delay;
    let mut attempt = 1;
    loop {
        match call().await {
            Err(err) if err.is_retryable() && attempt < backoff.max_attempts => {
                tracing::warn!(operation = err.operation, attempt, error = %err, "retrying after backoff");
                tokio::time::sleep(delay).await;
                delay = delay.saturating_mul(2);
                attempt += 1;
            }
            result => return result,
        }
    }
}

/// The outcome of a remedy call: gone counts as done, a wrong state as deferred.
pub fn outcome(result: PortResult<()>) -> Outcome {
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

/// One planned action and how it ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// Its position in the resource's plan.
    pub step: usize,
    /// The action.
    pub action: Action,
    /// How it ended.
    pub outcome: Outcome,
}

/// The kinds of port remedies act through, one per service: a type-level bundle, so the
/// guardrail, the sweeper and the remediator name one parameter instead of five.
pub trait RemedyPorts {
    /// SageMaker.
    type SageMaker: SageMaker + Sync;
    /// EC2.
    type Network: Network + Sync;
    /// KMS.
    type Keys: Keys + Sync;
    /// IAM.
    type Roles: Roles + Sync;
    /// Where notifications go.
    type Notifier: Notifier + Sync;
}

/// Remedy ports that can also list what they govern (the sweeper's inventory).
pub trait InventoryPorts:
    RemedyPorts<SageMaker: SageMakerInventory, Network: NetworkInventory, Keys: KeyInventory, Roles: RoleInventory>
{
}

impl<P> InventoryPorts for P where
    P: RemedyPorts<SageMaker: SageMakerInventory, Network: NetworkInventory, Keys: KeyInventory, Roles: RoleInventory>
{
}

impl<T: Notifier + Sync> RemedyPorts for OnAws<T> {
    type SageMaker = SageMakerAdapter;
    type Network = Ec2Adapter;
    type Keys = KmsAdapter;
    type Roles = IamAdapter;
    type Notifier = T;
}

/// The ports of one account and region.
pub struct Ports<P: RemedyPorts> {
    /// SageMaker.
    pub sagemaker: P::SageMaker,
    /// EC2.
    pub network: P::Network,
    /// KMS.
    pub keys: P::Keys,
    /// IAM.
    pub roles: P::Roles,
    /// Where notifications go.
    pub notifier: P::Notifier,
}

impl<P: RemedyPorts> std::fmt::Debug for Ports<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ports").finish_non_exhaustive()
    }
}

impl<T: Notifier + Sync> Ports<OnAws<T>> {
    /// The SDK adapters on `sdk`, recreating flow logs with `flow_logs`, notifying through `notifier`.
    pub fn on_aws(sdk: &aws_types::SdkConfig, flow_logs: FlowLogSettings, notifier: T) -> Self {
        Ports {
            sagemaker: SageMakerAdapter::new(aws_sdk_sagemaker::Client::new(sdk)),
            network: Ec2Adapter::new(aws_sdk_ec2::Client::new(sdk), flow_logs),
            keys: KmsAdapter::new(aws_sdk_kms::Client::new(sdk)),
            roles: IamAdapter::new(aws_sdk_iam::Client::new(sdk)),
            notifier,
        }
    }
}

/// The ports remedies act through, with the policy and the retry settings.
#[derive(Debug)]
pub struct Remediator<'a, P: RemedyPorts> {
    /// The policy (its owner tag names whom to notify).
    pub policy: &'a Policy,
    /// Retries of throttled or unavailable calls.
    pub backoff: Backoff,
    /// SageMaker.
    pub sagemaker: &'a P::SageMaker,
    /// EC2.
    pub network: &'a P::Network,
    /// KMS.
    pub keys: &'a P::Keys,
    /// IAM.
    pub roles: &'a P::Roles,
    /// Where notifications go.
    pub notifier: &'a P::Notifier,
}

/// The port that tags a resource of this kind.
enum TagHolder {
    /// EC2, by resource id.
    Network,
    /// KMS, by key id.
    Keys,
    /// IAM, by role name.
    Roles,
    /// SageMaker, by ARN.
    SageMaker,
}

fn tag_holder(kind: ResourceKind) -> TagHolder {
    match kind {
        ResourceKind::Vpc | ResourceKind::Subnet | ResourceKind::SecurityGroup => TagHolder::Network,
        ResourceKind::KmsKey => TagHolder::Keys,
        ResourceKind::Role => TagHolder::Roles,
        _ => TagHolder::SageMaker,
    }
}

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

impl<'a, P: RemedyPorts> Remediator<'a, P> {
    /// Acts through `ports` under `policy`.
    pub fn new(ports: &'a Ports<P>, policy: &'a Policy, backoff: Backoff) -> Self {
        Remediator {
            policy,
            backoff,
            sagemaker: &ports.sagemaker,
            network: &ports.network,
            keys: &ports.keys,
            roles: &ports.roles,
            notifier: &ports.notifier,
        }
    }

    /// Applies one resource's plan in order. Once a step fails or is deferred, the later
    /// steps (but notifications) are deferred too. Every enforced remedy applied now is
    /// notified to the owner and the security team; bookkeeping tags are not news.
    pub async fn apply_plan(&self, resource: &Resource, actions: Vec<Action>) -> Vec<Applied> {
        let owner = resource
            .tags()
            .and_then(|tags| tags.get(&self.policy.scope.owner_tag_key))
            .map(str::to_owned);
        let mut blocked = false;
        let mut applied = Vec::with_capacity(actions.len());
        for (step, action) in actions.into_iter().enumerate() {
            let outcome = if blocked && action.action != ActionKind::Notify {
                Outcome::Deferred {
                    detail: "an earlier step for this resource did not complete".to_owned(),
                }
            } else {
                self.apply(resource, &action).await
            };
            if matches!(outcome, Outcome::Failed { .. } | Outcome::Deferred { .. }) {
                blocked = true;
            }
            let notify = !matches!(
                action.action,
                ActionKind::Tag { .. } | ActionKind::Untag { .. } | ActionKind::Notify
            ) && action.mode == Mode::Enforce
                && outcome == Outcome::Applied;
            if notify {
                let notification = Notification::for_action(&action, &outcome, owner.as_deref());
                if let Err(err) = retrying(&self.backoff, || self.notifier.notify(&notification)).await {
                    tracing::warn!(error = %err, action = %action_name(&action), "notification failed; the remedy stands");
                }
            }
            applied.push(Applied { step, action, outcome });
        }
        applied
    }

    /// Applies one action (or records it as a dry run in audit mode).
    pub async fn apply(&self, resource: &Resource, action: &Action) -> Outcome {
        if action.mode != Mode::Enforce {
            return Outcome::DryRun;
        }
        if action.action == ActionKind::DeleteEndpointConfigIfUnused {
            return self.delete_endpoint_config_if_unused(resource, action).await;
        }
        outcome(retrying(&self.backoff, || self.call(resource, action)).await)
    }

    async fn call(&self, resource: &Resource, action: &Action) -> PortResult<()> {
        let target = &action.resource;
        let name = target.name.as_str();
        let arn = || target.arn.as_deref().ok_or_else(|| unusable(action, "no ARN"));
        let sm = self.sagemaker;
        match &action.action {
            ActionKind::Tag { tags } => match tag_holder(target.kind) {
                TagHolder::Network => self.network.tag(name, tags).await,
                TagHolder::Keys => self.keys.tag(name, tags).await,
                TagHolder::Roles => self.roles.tag(name, tags).await,
                TagHolder::SageMaker => sm.tag(arn()?, tags).await,
            },
            ActionKind::Untag { keys } => match tag_holder(target.kind) {
                TagHolder::Network => self.network.untag(name, keys).await,
                TagHolder::Keys => self.keys.untag(name, keys).await,
                TagHolder::Roles => self.roles.untag(name, keys).await,
                TagHolder::SageMaker => sm.untag(arn()?, keys).await,
            },
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
        let in_use = match retrying(&self.backoff, || self.sagemaker.endpoint_config_in_use(name)).await {
            Ok(in_use) => in_use,
            Err(err) => return outcome(Err(err)),
        };
        if !in_use {
            return outcome(retrying(&self.backoff, || self.sagemaker.delete_endpoint_config(name)).await);
        }
        if let Some(arn) = action.resource.arn.as_deref() {
            let rules = action.rules.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(" ");
            let tags = [(VIOLATION_TAG.to_owned(), rules)].into();
            if let Err(err) = retrying(&self.backoff, || self.sagemaker.tag(arn, &tags)).await {
                return outcome(Err(err));
            }
        }
        let owner = resource.tags().and_then(|t| t.get(&self.policy.scope.owner_tag_key));
        let deferred = Outcome::Deferred {
            detail: "an endpoint uses it: tagged and notified instead of deleted".to_owned(),
        };
        let notification = Notification::for_action(action, &deferred, owner);
        if let Err(err) = retrying(&self.backoff, || self.notifier.notify(&notification)).await {
            return outcome(Err(err));
        }
        deferred
    }
}
