//! The project environment: a VPC with no route out (its CIDR overlapping no other VPC),
//! private subnets in zones that offer every endpoint service, the SageMaker and endpoint
//! security groups, interface endpoints and an S3 gateway endpoint reaching only the project's
//! buckets, flow logs to a KMS-encrypted log group, the project key (rotation on), the data and
//! model buckets (SSE-KMS, public access blocked, TLS-only, endpoint-only) and the project admin
//! and user roles. Everything carries the project tag and the physical id; teardown finds it
//! by them, so Delete works after a partial create and on replays.

use std::collections::BTreeMap;

use sagefence_aws::ports::{
    BucketBuilder, BuiltNetwork, EndpointAttachment, EndpointRequest, KeyBuilder, KeyRef, Keys, LogGroups,
    NetworkBuilder, NewRole, RoleBuilder,
};

use crate::addressing::{allocate, choose_zones, overlapping, subnets};
use crate::answer::Answer;
use crate::documents::{self, ProjectScope};
use crate::handler::{
    delete_patiently, new_physical_id, properties_changed, tags_for, Context, Failure, Provisioner, ProvisionerPorts,
    PROVISIONED_BY,
};
use crate::request::{EnvironmentProperties, Operation};

/// The interface endpoint services every project VPC gets.
pub const INTERFACE_SERVICES: [&str; 12] = [
    "sagemaker.api",
    "sagemaker.runtime",
    "notebook",
    "sts",
    "logs",
    "monitoring",
    "ssm",
    "kms",
    "ecr.api",
    "ecr.dkr",
    "git-codecommit",
    "codecommit",
];

/// A service's full endpoint service name (`notebook` is SageMaker's own namespace).
pub fn service_name(region: &str, service: &str) -> String {
    if service == "notebook" {
        format!("aws.sagemaker.{region}.notebook")
    } else {
        format!("com.amazonaws.{region}.{service}")
    }
}

/// The names of everything an environment is made of, from its physical id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvironmentNames {
    /// The physical id.
    pub id: String,
    /// The project admin role.
    pub admin_role: String,
    /// The project user role.
    pub user_role: String,
    /// The project key's alias.
    pub key_alias: String,
    /// The data bucket.
    pub data_bucket: String,
    /// The model bucket.
    pub model_bucket: String,
    /// The SageMaker security group.
    pub sagemaker_group: String,
    /// The endpoint security group.
    pub endpoint_group: String,
}

impl EnvironmentNames {
    /// The names for the environment `id` in `account`.
    pub fn new(id: &str, account: &str) -> EnvironmentNames {
        EnvironmentNames {
            id: id.to_owned(),
            admin_role: format!("sagefence-{id}-admin"),
            user_role: format!("sagefence-{id}-user"),
            key_alias: format!("alias/sagefence/{id}"),
            data_bucket: format!("sagefence-{id}-data-{account}"),
            model_bucket: format!("sagefence-{id}-model-{account}"),
            sagemaker_group: format!("{id}-sagemaker"),
            endpoint_group: format!("{id}-endpoints"),
        }
    }

    /// Both buckets.
    pub fn buckets(&self) -> Vec<String> {
        vec![self.data_bucket.clone(), self.model_bucket.clone()]
    }
}

impl<P: ProvisionerPorts> Provisioner<P> {
    /// Serves a `Custom::ProjectEnvironment` request.
    pub(crate) async fn environment(&self, context: &Context<'_>, physical_id: &str) -> Answer {
        let request = context.request;
        let properties = match EnvironmentProperties::parse(&request.properties) {
            Ok(properties) => properties,
            Err(error) if request.operation == Operation::Delete => {
                context
                    .steps
                    .push(format!("properties unreadable ({error}); removing by tag"));
                return self.delete_environment(context, physical_id).await;
            }
            Err(error) => return Answer::failed(physical_id, error.to_string()),
        };
        let mut scope = context.scope.clone();
        scope.project = properties.project.as_str().to_owned();
        match &request.operation {
            Operation::Delete => self.delete_environment(context, physical_id).await,
            Operation::Create => self.create_environment(context, &scope, &properties, physical_id).await,
            Operation::Update { old_properties } => {
                if properties_changed(old_properties, &request.properties) {
                    let replacement = new_physical_id(request);
                    context.steps.push(format!(
                        "properties changed: replacing `{physical_id}` by `{replacement}`"
                    ));
                    self.slot.set_physical_id(&replacement);
                    self.create_environment(context, &scope, &properties, &replacement)
                        .await
                } else {
                    let names = EnvironmentNames::new(physical_id, &scope.account);
                    match self.describe_environment(&scope, &names).await {
                        Ok(Some(data)) => Answer::success(physical_id, data),
                        Ok(None) => Answer::failed(
                            physical_id,
                            format!("environment `{physical_id}` is incomplete; delete and launch the product again"),
                        ),
                        Err(Failure(reason)) => Answer::failed(physical_id, reason),
                    }
                }
            }
        }
    }

    async fn create_environment(
        &self,
        context: &Context<'_>,
        scope: &ProjectScope,
        properties: &EnvironmentProperties,
        physical_id: &str,
    ) -> Answer {
        let names = EnvironmentNames::new(physical_id, &scope.account);
        match self.describe_environment(scope, &names).await {
            Ok(Some(data)) => {
                context.steps.push(format!(
                    "environment `{physical_id}` already complete (a retried request)"
                ));
                return Answer::success(physical_id, data);
            }
            Ok(None) => {}
            Err(Failure(reason)) => return Answer::failed(physical_id, reason),
        }
        if let Err(Failure(reason)) = self.teardown_network(context, &names).await {
            return Answer::failed(physical_id, reason);
        }
        match Box::pin(self.build_environment(context, scope, properties, &names)).await {
            Ok(data) => Answer::success(physical_id, data),
            Err(Failure(reason)) => {
                context.steps.push(format!("create failed: {reason}; rolling back"));
                let reason = match Box::pin(self.teardown_environment(context, &names)).await {
                    Ok(()) => format!("{reason}. Everything made was removed"),
                    Err(Failure(rollback)) => {
                        format!("{reason}. Rollback incomplete ({rollback}); CloudFormation's rollback retries it")
                    }
                };
                Answer::failed(physical_id, reason)
            }
        }
    }

    async fn delete_environment(&self, context: &Context<'_>, physical_id: &str) -> Answer {
        let names = EnvironmentNames::new(physical_id, &context.scope.account);
        match Box::pin(self.teardown_environment(context, &names)).await {
            Ok(()) => Answer::success(physical_id, BTreeMap::new()),
            Err(Failure(reason)) => Answer::failed(physical_id, reason),
        }
    }

    /// The project role `name`, created under the project's path with the permissions
    /// boundary when it does not exist yet.
    pub(crate) async fn ensure_role(
        &self,
        context: &Context<'_>,
        scope: &ProjectScope,
        name: &str,
        trust: &serde_json::Value,
        tags: &BTreeMap<String, String>,
    ) -> Result<String, Failure> {
        if let Some(arn) = self.roles.role_arn(name).await? {
            return Ok(arn);
        }
        let role = NewRole {
            name,
            path: &scope.role_path(),
            trust_policy: &trust.to_string(),
            tags,
            permissions_boundary: self.settings.permissions_boundary_arn.as_deref(),
        };
        let arn = self.roles.create_role(&role).await?;
        context.steps.push(format!("created role `{name}`"));
        Ok(arn)
    }

    async fn ensure_key(
        &self,
        context: &Context<'_>,
        names: &EnvironmentNames,
        policy: &serde_json::Value,
        tags: &BTreeMap<String, String>,
    ) -> Result<KeyRef, Failure> {
        let key = match self.keys.key_by_alias(&names.key_alias).await? {
            Some(key) => key,
            None => {
                let description = format!("sagefence project key of `{}`", names.id);
                let key = self.keys.create_key(&description, &policy.to_string(), tags).await?;
                self.keys.create_alias(&names.key_alias, &key.id).await?;
                context
                    .steps
                    .push(format!("created key `{}` ({})", key.id, names.key_alias));
                key
            }
        };
        self.keys.enable_rotation(&key.id).await?;
        context.steps.push(format!("rotation on for key `{}`", key.id));
        Ok(key)
    }

    async fn build_environment(
        &self,
        context: &Context<'_>,
        scope: &ProjectScope,
        properties: &EnvironmentProperties,
        names: &EnvironmentNames,
    ) -> Result<BTreeMap<String, String>, Failure> {
        let mut tags = tags_for(&self.policy, &scope.project, &names.id);
        tags.insert("sagefence:env-type".to_owned(), properties.env_type.clone());
        let region = scope.region.as_str();

        let (vpc_cidr, zones) = self.plan_network(context, properties).await?;

        let trust = documents::trust_account(scope);
        let admin_arn = self
            .ensure_role(context, scope, &names.admin_role, &trust, &tags)
            .await?;
        let user_arn = self
            .ensure_role(context, scope, &names.user_role, &trust, &tags)
            .await?;
        let key_policy = documents::key_policy(scope, &admin_arn, &user_arn);
        let key = self.ensure_key(context, names, &key_policy, &tags).await?;
        let buckets = names.buckets();
        let admin_policy = documents::admin_role_policy(scope, &buckets, &key.arn);
        self.roles
            .put_role_policy(&names.admin_role, "sagefence-project-admin", &admin_policy.to_string())
            .await?;
        let user_policy = documents::user_role_policy(scope, &buckets, &key.arn);
        self.roles
            .put_role_policy(&names.user_role, "sagefence-project-user", &user_policy.to_string())
            .await?;

        let mut vpc_tags = tags.clone();
        vpc_tags.insert("Name".to_owned(), names.id.clone());
        let vpc_id = self.network.create_vpc(&vpc_cidr.to_string(), &vpc_tags).await?;
        context
            .steps
            .push(format!("created VPC `{vpc_id}` ({vpc_cidr}), no internet gateway"));
        let blocks = subnets(vpc_cidr, zones.len())
            .ok_or_else(|| Failure(format!("`{vpc_cidr}` cannot hold {} subnets", zones.len())))?;
        let mut subnet_ids = Vec::new();
        for (zone, block) in zones.iter().zip(blocks) {
            let id = self
                .network
                .create_subnet(&vpc_id, &block.to_string(), zone, &tags)
                .await?;
            context
                .steps
                .push(format!("created private subnet `{id}` ({block}) in `{zone}`"));
            subnet_ids.push(id);
        }
        let sagemaker_group = self
            .network
            .create_security_group(
                &vpc_id,
                &names.sagemaker_group,
                "SageMaker notebooks, jobs and models of the project",
                &tags,
            )
            .await?;
        self.network
            .allow_ingress_from_group(&sagemaker_group, &sagemaker_group, None)
            .await?;
        let endpoint_group = self
            .network
            .create_security_group(
                &vpc_id,
                &names.endpoint_group,
                "the project's VPC interface endpoints",
                &tags,
            )
            .await?;
        self.network
            .allow_ingress_from_group(&endpoint_group, &sagemaker_group, Some(443))
            .await?;
        context.steps.push(format!(
            "created security groups `{sagemaker_group}` (self ingress) and `{endpoint_group}` (443 from it)"
        ));
        for service in INTERFACE_SERVICES {
            let endpoint = EndpointRequest {
                vpc_id: vpc_id.clone(),
                service_name: service_name(region, service),
                attachment: EndpointAttachment::Interface {
                    subnet_ids: subnet_ids.clone(),
                    security_group_ids: vec![endpoint_group.clone()],
                },
                policy: None,
            };
            self.network.create_endpoint(&endpoint, &tags).await?;
        }
        context
            .steps
            .push(format!("created {} interface endpoints", INTERFACE_SERVICES.len()));
        let route_table = self.network.main_route_table(&vpc_id).await?;
        let s3_endpoint = EndpointRequest {
            vpc_id: vpc_id.clone(),
            service_name: service_name(region, "s3"),
            attachment: EndpointAttachment::Gateway {
                route_table_ids: vec![route_table],
            },
            policy: Some(documents::s3_endpoint_policy(scope, &buckets).to_string()),
        };
        let s3_endpoint_id = self.network.create_endpoint(&s3_endpoint, &tags).await?;
        context.steps.push(format!(
            "created S3 gateway endpoint `{s3_endpoint_id}` reaching only the project buckets"
        ));

        let log_group = format!("{}{vpc_id}", self.settings.flow_log_group_prefix);
        self.logs
            .create_log_group(&log_group, &key.arn, self.settings.log_retention_days, &tags)
            .await?;
        let flow_log = self
            .network
            .create_flow_log_to(&vpc_id, &log_group, &self.settings.flow_log_role_arn, &tags)
            .await?;
        context.steps.push(format!(
            "flow log `{flow_log}` to `{log_group}` (encrypted with the project key)"
        ));

        let mut exempt = vec![admin_arn.clone()];
        exempt.extend(self.settings.bucket_admin_arns.iter().cloned());
        for bucket in &buckets {
            if !self.buckets.bucket_exists(bucket).await? {
                self.buckets.create_bucket(bucket, &tags).await?;
            }
            let policy = documents::bucket_policy(scope, bucket, &s3_endpoint_id, &exempt);
            self.buckets
                .protect_bucket(bucket, &key.arn, &policy.to_string())
                .await?;
            context.steps.push(format!(
                "bucket `{bucket}`: SSE-KMS, public access blocked, TLS and endpoint only"
            ));
        }

        Ok(environment_data(EnvironmentData {
            names,
            vpc_id: &vpc_id,
            vpc_cidr: &vpc_cidr.to_string(),
            subnet_ids: &subnet_ids,
            sagemaker_group: &sagemaker_group,
            endpoint_group: &endpoint_group,
            s3_endpoint_id: &s3_endpoint_id,
            key: &key,
            admin_arn: &admin_arn,
            user_arn: &user_arn,
            log_group: &log_group,
        }))
    }

    /// The VPC block and zones of a new environment.
    async fn plan_network(
        &self,
        context: &Context<'_>,
        properties: &EnvironmentProperties,
    ) -> Result<(crate::addressing::Cidr, Vec<String>), Failure> {
        let taken = self.network.vpc_cidrs().await?;
        let vpc_cidr = match properties.cidr {
            Some(cidr) => {
                let conflicts = overlapping(cidr, &taken);
                if !conflicts.is_empty() {
                    return Err(Failure(format!(
                        "CIDR `{cidr}` overlaps existing VPC block(s) `{}`; choose another or leave `Cidr` empty to allocate one",
                        conflicts.join("`, `")
                    )));
                }
                cidr
            }
            None => allocate(self.settings.cidr_pool, self.settings.vpc_prefix, &taken).ok_or_else(|| {
                Failure(format!(
                    "no free /{} block left in `{}`; ask the platform team to widen the pool",
                    self.settings.vpc_prefix, self.settings.cidr_pool
                ))
            })?,
        };
        let region = &context.scope.region;
        let services: Vec<String> = INTERFACE_SERVICES.iter().map(|s| service_name(region, s)).collect();
        let available = self.network.availability_zones().await?;
        let offered = self.network.endpoint_service_zones(&services).await?;
        let zones = choose_zones(&available, &offered, &services, properties.zone_count).map_err(|shortage| {
            let missing: Vec<String> = shortage
                .missing
                .iter()
                .map(|(service, zones)| format!("`{service}` not in {}", zones.join(", ")))
                .collect();
            Failure(format!(
                "only {} zone(s) offer every endpoint service ({}), {} asked: {}; lower `AzCount`",
                shortage.usable.len(),
                shortage.usable.join(", "),
                properties.zone_count,
                missing.join("; ")
            ))
        })?;
        context
            .steps
            .push(format!("planned VPC `{vpc_cidr}` in zones {}", zones.join(", ")));
        Ok((vpc_cidr, zones))
    }

    /// The Data of a complete environment; `None` when any part is missing.
    async fn describe_environment(
        &self,
        scope: &ProjectScope,
        names: &EnvironmentNames,
    ) -> Result<Option<BTreeMap<String, String>>, Failure> {
        let built = self.network.built_network(PROVISIONED_BY, &names.id).await?;
        let [vpc] = built.vpcs.as_slice() else {
            return Ok(None);
        };
        let group = |name: &str| {
            built
                .security_groups
                .iter()
                .find(|g| g.label == name)
                .map(|g| g.id.clone())
        };
        let (Some(sagemaker_group), Some(endpoint_group)) =
            (group(&names.sagemaker_group), group(&names.endpoint_group))
        else {
            return Ok(None);
        };
        let s3 = service_name(&scope.region, "s3");
        let Some(s3_endpoint_id) = built.endpoints.iter().find(|e| e.label == s3).map(|e| e.id.clone()) else {
            return Ok(None);
        };
        if built.endpoints.len() < INTERFACE_SERVICES.len() + 1
            || built.subnets.is_empty()
            || built.flow_logs.is_empty()
        {
            return Ok(None);
        }
        let Some(key) = self.keys.key_by_alias(&names.key_alias).await? else {
            return Ok(None);
        };
        let (Some(admin_arn), Some(user_arn)) = (
            self.roles.role_arn(&names.admin_role).await?,
            self.roles.role_arn(&names.user_role).await?,
        ) else {
            return Ok(None);
        };
        for bucket in names.buckets() {
            if !self.buckets.bucket_exists(&bucket).await? {
                return Ok(None);
            }
        }
        let mut subnets = built.subnets.clone();
        subnets.sort_by(|a, b| a.label.cmp(&b.label));
        let subnet_ids: Vec<String> = subnets.into_iter().map(|s| s.id).collect();
        let log_group = format!("{}{}", self.settings.flow_log_group_prefix, vpc.id);
        Ok(Some(environment_data(EnvironmentData {
            names,
            vpc_id: &vpc.id,
            vpc_cidr: &vpc.cidr,
            subnet_ids: &subnet_ids,
            sagemaker_group: &sagemaker_group,
            endpoint_group: &endpoint_group,
            s3_endpoint_id: &s3_endpoint_id,
            key: &key,
            admin_arn: &admin_arn,
            user_arn: &user_arn,
            log_group: &log_group,
        })))
    }

    /// Removes the network of an environment (flow logs and their groups, endpoints, groups,
    /// subnets, VPC), whatever part of it exists.
    async fn teardown_network(&self, context: &Context<'_>, names: &EnvironmentNames) -> Result<(), Failure> {
        let built: BuiltNetwork = self.network.built_network(PROVISIONED_BY, &names.id).await?;
        for flow_log in &built.flow_logs {
            self.network.delete_flow_log(flow_log).await?;
        }
        for vpc in &built.vpcs {
            let group = format!("{}{}", self.settings.flow_log_group_prefix, vpc.id);
            self.logs.delete_log_group(&group).await?;
        }
        for endpoint in &built.endpoints {
            self.network.delete_endpoint(&endpoint.id).await?;
        }
        let mut groups = built.security_groups.clone();
        groups.sort_by_key(|g| g.label != names.endpoint_group);
        for group in &groups {
            delete_patiently(|| self.network.delete_security_group(&group.id)).await?;
        }
        for subnet in &built.subnets {
            delete_patiently(|| self.network.delete_subnet(&subnet.id)).await?;
        }
        for vpc in &built.vpcs {
            delete_patiently(|| self.network.delete_vpc(&vpc.id)).await?;
        }
        if !built.vpcs.is_empty() || !built.subnets.is_empty() {
            context.steps.push(format!(
                "removed {} VPC(s), {} subnet(s), {} security group(s), {} endpoint(s), {} flow log(s)",
                built.vpcs.len(),
                built.subnets.len(),
                groups.len(),
                built.endpoints.len(),
                built.flow_logs.len()
            ));
        }
        Ok(())
    }

    /// Removes everything an environment is made of, in the reverse order of its making;
    /// buckets holding data are kept. Nothing left to remove is a success.
    async fn teardown_environment(&self, context: &Context<'_>, names: &EnvironmentNames) -> Result<(), Failure> {
        for bucket in names.buckets().iter().rev() {
            if self.buckets.delete_empty_bucket(bucket).await? {
                context.steps.push(format!("bucket `{bucket}` gone"));
            } else {
                context.steps.push(format!("bucket `{bucket}` holds data: kept"));
            }
        }
        self.teardown_network(context, names).await?;
        if let Some(key) = self.keys.key_by_alias(&names.key_alias).await? {
            self.keys
                .schedule_key_deletion(&key.id, self.settings.key_deletion_days)
                .await?;
            self.keys.delete_alias(&names.key_alias).await?;
            context.steps.push(format!(
                "key `{}` scheduled for deletion in {} days",
                key.id, self.settings.key_deletion_days
            ));
        }
        for role in [&names.user_role, &names.admin_role] {
            self.roles.delete_role(role).await?;
        }
        context
            .steps
            .push(format!("roles `{}` and `{}` gone", names.user_role, names.admin_role));
        Ok(())
    }
}

struct EnvironmentData<'a> {
    names: &'a EnvironmentNames,
    vpc_id: &'a str,
    vpc_cidr: &'a str,
    subnet_ids: &'a [String],
    sagemaker_group: &'a str,
    endpoint_group: &'a str,
    s3_endpoint_id: &'a str,
    key: &'a KeyRef,
    admin_arn: &'a str,
    user_arn: &'a str,
    log_group: &'a str,
}

fn environment_data(d: EnvironmentData<'_>) -> BTreeMap<String, String> {
    [
        ("EnvironmentId", d.names.id.as_str()),
        ("VpcId", d.vpc_id),
        ("VpcCidr", d.vpc_cidr),
        ("SubnetIds", &d.subnet_ids.join(",")),
        ("SecurityGroupId", d.sagemaker_group),
        ("EndpointSecurityGroupId", d.endpoint_group),
        ("S3EndpointId", d.s3_endpoint_id),
        ("KmsKeyId", d.key.id.as_str()),
        ("KmsKeyArn", d.key.arn.as_str()),
        ("DataBucket", d.names.data_bucket.as_str()),
        ("ModelBucket", d.names.model_bucket.as_str()),
        ("AdminRoleArn", d.admin_arn),
        ("UserRoleArn", d.user_arn),
        ("FlowLogGroup", d.log_group),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_fit_aws_limits_for_the_longest_project() {
        let id = format!("{}-{}", "p".repeat(24), "0123abcd");
        let names = EnvironmentNames::new(&id, "123456789012");
        assert!(names.data_bucket.len() <= 63, "{}", names.data_bucket);
        assert!(names.model_bucket.len() <= 63, "{}", names.model_bucket);
        assert!(names.admin_role.len() <= 64 && names.user_role.len() <= 64);
    }

    #[test]
    fn endpoint_service_names() {
        assert_eq!(service_name("eu-west-1", "sts"), "com.amazonaws.eu-west-1.sts");
        assert_eq!(
            service_name("eu-west-1", "notebook"),
            "aws.sagemaker.eu-west-1.notebook"
        );
    }
}
