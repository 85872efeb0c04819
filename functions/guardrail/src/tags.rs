//! Tag changes by anyone but sagefence: a change that touches sagefence's tags (`sagefence:*`,
//! the project tag) is undone. The resource is read as it is now; its project is re-derived
//! from the infrastructure it runs in (or taken from the request, where it names the value it
//! removed); the tags are set back (`tag_change::restoration`), every change is recorded as a
//! `tags-protected` finding with its reason and told; what cannot be re-derived is reported,
//! not guessed. The resource, with its tags restored, is then evaluated again, which rewrites
//! the remedy tags it owes.

use sagefence_audit::audit::{record_id, Subject};
use sagefence_aws::lookup;
use sagefence_aws::ports::{AuditSink, Keys, Network, PortResult, Roles, SageMaker};
use sagefence_aws::remedy::RemedyPorts;
use sagefence_core::evaluate::waiver;
use sagefence_core::event::{ApiCall, IgnoreReason};
use sagefence_core::model::{JobKind, Resource, Tags};
use sagefence_core::rules::derived_project;
use sagefence_core::tag_change::{restoration, Restoration, TagChange, TagTarget};
use sagefence_core::{Action, ActionKind, Facts, Finding, Mode, RuleId, Status};

use crate::error::GuardrailError;
use crate::handler::{record, Guardrail, Run, Summary};
use crate::retry::retrying;

impl<P: RemedyPorts, A: AuditSink + Sync> Guardrail<P, A> {
    /// Undoes a tag change made by anyone but sagefence (own calls never reach here).
    pub(crate) async fn tag_change(
        &self,
        call: &ApiCall,
        change: &TagChange,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Summary, GuardrailError> {
        let meta = &call.meta;
        let rule = RuleId::TagsProtected;
        let touched = change.protected_keys(&self.policy.scope);
        if touched.is_empty() || self.policy.mode(rule) == Mode::Off {
            let reason = IgnoreReason::UnhandledCall {
                event_source: change.event_source().to_owned(),
                event_name: call.event_name.clone(),
            };
            let id = record_id(&[meta.id.as_deref().unwrap_or_default(), "ignored"]);
            let subject = Subject::Ignored { reason };
            self.write(record(meta, Some(call.actor.clone()), id, now, subject))
                .await?;
            return Ok(Summary::new(meta, "ignored"));
        }
        let mut run = Run::new(meta, Some(call.actor.clone()), now);
        for target in &change.targets {
            let Some(resource) = self.tagged(target).await.map_err(GuardrailError::Lookup)? else {
                tracing::info!(resource = ?target, "the tagged resource no longer exists; nothing to restore");
                continue;
            };
            let facts = self.facts_for(&resource).await.map_err(GuardrailError::Lookup)?;
            let project = derived_project(&resource, &facts);
            let current = resource.tags().cloned().unwrap_or_default();
            let fix = restoration(change, &current, project.as_deref(), &self.policy.scope);
            let caller = call.actor.arn.as_deref().unwrap_or("an unknown caller");
            let finding = self.tampering_finding(&resource, &call.event_name, caller, &touched, &fix, now);
            self.record_finding(&mut run, "tampering", &finding).await?;
            if finding.is_violation() {
                let actions = self.restoring(&resource, &finding, &fix);
                self.act(&mut run, &resource, actions).await?;
            }
            let restored = with_tags(resource, &current, &fix);
            self.assess(&mut run, &restored, &facts).await?;
        }
        run.finish()
    }

    /// The facts the rules need about one resource.
    async fn facts_for(&self, resource: &Resource) -> PortResult<Facts> {
        let tag_key = &self.policy.scope.project_tag_key;
        let backoff = self.settings.backoff();
        let resources = std::slice::from_ref(resource);
        lookup::facts(
            &self.ports.network,
            &self.ports.keys,
            &self.ports.roles,
            &backoff,
            tag_key,
            resources,
        )
        .await
    }

    /// The resource a tag change names, as it is now; `None` when it is gone or not governed.
    async fn tagged(&self, target: &TagTarget) -> PortResult<Option<Resource>> {
        let s = &self.settings;
        let sm = &self.ports.sagemaker;
        Ok(match target {
            TagTarget::Sagemaker { arn } => {
                let Some((kind, name)) = sagemaker_kind_and_name(arn) else {
                    return Ok(None);
                };
                match kind {
                    "notebook-instance" => retrying(s, || sm.notebook(name)).await?.map(Resource::NotebookInstance),
                    "model" => retrying(s, || sm.model(name)).await?.map(Resource::Model),
                    "endpoint-config" => retrying(s, || sm.endpoint_config(name))
                        .await?
                        .map(Resource::EndpointConfig),
                    job => match job_kind(job) {
                        Some(kind) => retrying(s, || sm.job(kind, name)).await?.map(Resource::Job),
                        None => None,
                    },
                }
            }
            TagTarget::Ec2 { id } if id.starts_with("vpc-") => {
                retrying(s, || self.ports.network.vpc(id)).await?.map(Resource::Vpc)
            }
            TagTarget::Ec2 { id } if id.starts_with("subnet-") => {
                let subnets = retrying(s, || self.ports.network.subnets(std::slice::from_ref(id))).await?;
                subnets.into_iter().next().map(Resource::Subnet)
            }
            TagTarget::Ec2 { id } if id.starts_with("sg-") => retrying(s, || self.ports.network.security_group(id))
                .await?
                .map(Resource::SecurityGroup),
            TagTarget::Ec2 { .. } => None,
            TagTarget::Kms { key_id } => retrying(s, || self.ports.keys.key(key_id)).await?.map(Resource::KmsKey),
            TagTarget::Iam { role_name } => retrying(s, || self.ports.roles.role(role_name))
                .await?
                .map(Resource::Role),
        })
    }

    /// The `tags-protected` finding on a change of sagefence's tags.
    fn tampering_finding(
        &self,
        resource: &Resource,
        event_name: &str,
        caller: &str,
        touched: &[String],
        fix: &Restoration,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Finding {
        let rule = RuleId::TagsProtected;
        let reference = resource.reference();
        let mut reason = format!(
            "`{event_name}` by `{caller}` changed sagefence's tag(s) {}",
            backticked(touched)
        );
        if !fix.set.is_empty() {
            let restored: Vec<String> = fix.set.iter().map(|(k, v)| format!("`{k}`=`{v}`")).collect();
            reason.push_str(&format!("; restore {}", restored.join(", ")));
        }
        if !fix.remove.is_empty() {
            reason.push_str(&format!("; remove {}", backticked(&fix.remove)));
        }
        if !fix.unknown.is_empty() {
            reason.push_str(&format!(
                "; the previous value of {} cannot be re-derived: restore it by hand",
                backticked(&fix.unknown)
            ));
        }
        let exemption = waiver(&self.policy, rule, reference.arn.as_deref(), now.date_naive());
        Finding {
            rule,
            control: rule.info().control,
            resource: reference,
            status: Status::Failed,
            severity: rule.info().severity,
            reason,
            mode: self.policy.mode(rule),
            exemption,
        }
    }

    /// The actions undoing a change: set back, remove, then tell people.
    fn restoring(&self, resource: &Resource, finding: &Finding, fix: &Restoration) -> Vec<Action> {
        let rule = RuleId::TagsProtected;
        let fixing = self.policy.remedy(rule) == sagefence_core::policy::Remedy::Fix;
        let mut kinds = Vec::new();
        if fixing && !fix.set.is_empty() {
            kinds.push(ActionKind::Tag { tags: fix.set.clone() });
        }
        if fixing && !fix.remove.is_empty() {
            kinds.push(ActionKind::Untag {
                keys: fix.remove.clone(),
            });
        }
        kinds.push(ActionKind::Notify);
        kinds
            .into_iter()
            .map(|action| Action {
                action,
                resource: resource.reference(),
                rules: vec![rule],
                mode: finding.mode,
                reason: finding.reason.clone(),
            })
            .collect()
    }
}

/// The resource with its tags as the restoration leaves them (for SageMaker resources and
/// the infrastructure that carries its own tags; a subnet's or group's are its VPC's).
fn with_tags(mut resource: Resource, current: &Tags, fix: &Restoration) -> Resource {
    let mut tags = current.clone();
    tags.0.extend(fix.set.clone());
    for key in &fix.remove {
        tags.0.remove(key);
    }
    match &mut resource {
        Resource::NotebookInstance(n) => n.tags = sagefence_core::model::Fact::Known(tags),
        Resource::Job(j) => j.tags = tags,
        Resource::Model(m) => m.tags = tags,
        Resource::EndpointConfig(e) => e.tags = tags,
        Resource::Domain(d) => d.tags = tags,
        Resource::Vpc(v) => v.tags = tags,
        Resource::KmsKey(k) => k.tags = tags,
        Resource::Role(r) => r.tags = tags,
        Resource::Subnet(_) | Resource::SecurityGroup(_) => {}
    }
    resource
}

/// The kind and name in a SageMaker ARN (`...:notebook-instance/NAME`).
fn sagemaker_kind_and_name(arn: &str) -> Option<(&str, &str)> {
    arn.splitn(6, ':').nth(5)?.split_once('/')
}

fn job_kind(kind: &str) -> Option<JobKind> {
    match kind {
        "training-job" => Some(JobKind::Training),
        "processing-job" => Some(JobKind::Processing),
        "hyper-parameter-tuning-job" => Some(JobKind::HyperParameterTuning),
        "transform-job" => Some(JobKind::Transform),
        _ => None,
    }
}

fn backticked(items: &[String]) -> String {
    items.iter().map(|s| format!("`{s}`")).collect::<Vec<_>>().join(", ")
}
