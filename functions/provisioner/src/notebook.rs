//! Notebook access: validates a notebook request against the project and the policy (the
//! project's environment exists, the notebook as it will be launched passes every notebook
//! rule, the instance type among them), makes the per-user, per-notebook execution role whose
//! policy holds SageMaker to the project through condition keys, and answers the placement
//! the notebook must use.

use std::collections::BTreeMap;

use sagefence_aws::ports::{KeyBuilder, NetworkBuilder, RoleBuilder};
use sagefence_core::model::{Fact, NotebookInstance, Tags, Toggle};
use sagefence_core::{evaluate, Facts, Resource};

use crate::answer::Answer;
use crate::documents::{self, Placement, ProjectScope};
use crate::environment::EnvironmentNames;
use crate::handler::{
    new_physical_id, properties_changed, tags_for, Context, Failure, Provisioner, ProvisionerPorts, PROVISIONED_BY,
};
use crate::request::{NotebookProperties, Operation};

/// The inline policy of a notebook execution role.
pub const NOTEBOOK_POLICY: &str = "sagefence-notebook";

/// The execution role of the notebook access `physical_id`.
pub fn role_name(physical_id: &str) -> String {
    format!("sagefence-{physical_id}")
}

impl<P: ProvisionerPorts> Provisioner<P> {
    /// Serves a `Custom::NotebookAccess` request.
    pub(crate) async fn notebook_access(&self, context: &Context<'_>, physical_id: &str) -> Answer {
        let request = context.request;
        if request.operation == Operation::Delete {
            let role = role_name(physical_id);
            return match self.roles.delete_role(&role).await {
                Ok(()) => {
                    context.steps.push(format!("role `{role}` gone"));
                    Answer::success(physical_id, BTreeMap::new())
                }
                Err(error) => Answer::failed(physical_id, Failure::from(error).0),
            };
        }
        let properties = match NotebookProperties::parse(&request.properties) {
            Ok(properties) => properties,
            Err(error) => return Answer::failed(physical_id, error.to_string()),
        };
        let physical_id = match &request.operation {
            Operation::Update { old_properties } => {
                let old = NotebookProperties::parse(old_properties).ok();
                let identity_changed =
                    old.is_none_or(|old| old.project != properties.project || old.owner != properties.owner);
                if identity_changed && properties_changed(old_properties, &request.properties) {
                    let replacement = new_physical_id(request);
                    context.steps.push(format!(
                        "project or owner changed: replacing `{physical_id}` by `{replacement}`"
                    ));
                    self.slot.set_physical_id(&replacement);
                    replacement
                } else {
                    physical_id.to_owned()
                }
            }
            _ => physical_id.to_owned(),
        };
        let mut scope = context.scope.clone();
        scope.project = properties.project.as_str().to_owned();
        match self
            .grant_notebook_access(context, &scope, &properties, &physical_id)
            .await
        {
            Ok(data) => Answer::success(physical_id, data),
            Err(Failure(reason)) => {
                if request.operation == Operation::Create {
                    if let Err(error) = self.roles.delete_role(&role_name(&physical_id)).await {
                        context.steps.push(format!("rollback of the role failed: {error}"));
                    }
                }
                Answer::failed(physical_id, reason)
            }
        }
    }

    async fn grant_notebook_access(
        &self,
        context: &Context<'_>,
        scope: &ProjectScope,
        properties: &NotebookProperties,
        physical_id: &str,
    ) -> Result<BTreeMap<String, String>, Failure> {
        let project = properties.project.as_str();
        let built = self.network.built_network(&scope.project_tag_key, project).await?;
        let environments: Vec<&str> = built
            .vpcs
            .iter()
            .filter_map(|v| v.tags.get(PROVISIONED_BY).map(String::as_str))
            .collect();
        let environment = match environments.as_slice() {
            [one] => *one,
            [] => {
                return Err(Failure(format!(
                    "project `{project}` has no environment in this account and region: check the project name, or ask \
                     the data-science administrator to launch the project environment product first"
                )))
            }
            many => {
                return Err(Failure(format!(
                    "project `{project}` has {} environments (`{}`); ask the platform team which to use",
                    many.len(),
                    many.join("`, `")
                )))
            }
        };
        let names = EnvironmentNames::new(environment, &scope.account);
        let own = self.network.built_network(PROVISIONED_BY, environment).await?;
        let mut subnets = own.subnets.clone();
        subnets.sort_by(|a, b| a.label.cmp(&b.label));
        let subnet_ids: Vec<String> = subnets.iter().map(|s| s.id.clone()).collect();
        let group = own.security_groups.iter().find(|g| g.label == names.sagemaker_group);
        let (Some(group), false) = (group, subnet_ids.is_empty()) else {
            return Err(Failure(format!(
                "project `{project}`'s environment `{environment}` is incomplete (no subnet or SageMaker security group); \
                 ask the data-science administrator to update it"
            )));
        };
        let key = self.keys.key_by_alias(&names.key_alias).await?.ok_or_else(|| {
            Failure(format!(
                "project `{project}` has no key `{}`; ask the data-science administrator",
                names.key_alias
            ))
        })?;
        let spread = sagefence_audit::audit::record_id(&[&properties.owner]);
        let index = usize::from_str_radix(spread.get(..4).unwrap_or("0"), 16).unwrap_or(0) % subnet_ids.len().max(1);
        let subnet = subnet_ids.get(index).cloned().unwrap_or_default();
        let role = role_name(physical_id);
        let role_arn = scope.role_arn(&role);

        let mut tags = tags_for(&self.policy, project, physical_id);
        tags.insert(self.policy.scope.owner_tag_key.clone(), properties.owner.clone());
        let notebook = NotebookInstance {
            name: physical_id.to_owned(),
            arn: None,
            status: None,
            instance_type: Fact::Known(properties.instance_type.clone()),
            direct_internet_access: Fact::Known(Toggle::Disabled),
            root_access: Fact::Known(Toggle::Disabled),
            subnet_id: Fact::Known(Some(subnet.clone())),
            security_group_ids: Fact::Known(vec![group.id.clone()]),
            kms_key_id: Fact::Known(Some(key.arn.clone())),
            role_arn: Fact::Known(role_arn.clone()),
            tags: Fact::Known(Tags(tags.clone())),
        };
        let owned = |ids: &[String]| ids.iter().map(|id| (id.clone(), project.to_owned())).collect();
        let facts = Facts {
            online: true,
            project_subnets: owned(&subnet_ids),
            project_security_groups: owned(std::slice::from_ref(&group.id)),
            project_keys: owned(&[key.id.clone(), key.arn.clone()]),
            project_roles: owned(std::slice::from_ref(&role_arn)),
        };
        let findings = evaluate(
            &self.policy,
            &Resource::NotebookInstance(notebook),
            Some(&scope.region),
            &facts,
            chrono::Utc::now(),
        );
        let refusals: Vec<String> = findings
            .iter()
            .filter(|f| f.is_violation() && f.mode == sagefence_core::Mode::Enforce)
            .map(|f| format!("{}: {}", f.rule.as_str(), f.reason))
            .collect();
        if !refusals.is_empty() {
            return Err(Failure(format!(
                "the notebook would break the policy: {}",
                refusals.join("; ")
            )));
        }
        context.steps.push(format!(
            "notebook of `{}` passes {} rule(s)",
            properties.owner,
            findings.len()
        ));

        let placement = Placement {
            subnet_ids: subnet_ids.clone(),
            security_group_id: group.id.clone(),
            key_arn: key.arn.clone(),
            buckets: names.buckets(),
        };
        let trust = documents::trust_sagemaker(scope);
        self.ensure_role(context, scope, &role, &trust, &tags).await?;
        let policy = documents::notebook_role_policy(scope, &placement, &role_arn);
        self.roles
            .put_role_policy(&role, NOTEBOOK_POLICY, &policy.to_string())
            .await?;
        context
            .steps
            .push(format!("role `{role}` held to subnets, group `{}` and key", group.id));
        Ok([
            ("RoleArn", role_arn),
            ("RoleName", role),
            ("SubnetId", subnet),
            ("SecurityGroupId", group.id.clone()),
            ("KmsKeyId", key.arn),
            ("LifecycleConfigName", self.settings.lifecycle_config_name.clone()),
            ("DataBucket", names.data_bucket.clone()),
            ("ModelBucket", names.model_bucket.clone()),
            ("InstanceType", properties.instance_type.clone()),
            ("ProjectTagKey", self.policy.scope.project_tag_key.clone()),
            ("OwnerTagKey", self.policy.scope.owner_tag_key.clone()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect())
    }
}
