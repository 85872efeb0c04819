//! What the rules need that a resource alone cannot tell, read through the ports: which
//! project each subnet and security group resources use belongs to (its VPC's project tag, no
//! internet gateway), and each key (customer managed, enabled, the project tag) and execution
//! role (the project tag). A blank tag value is no project. Each distinct subnet, group, VPC,
//! key and role is read once, however many resources use it.

use std::collections::{BTreeMap, BTreeSet};

use crate::ports::{Keys, Network, PortResult, Roles};
use crate::remedy::{retrying, Backoff};
use sagefence_core::evaluate::Facts;
use sagefence_core::model::KeyState;
use sagefence_core::model::{Fact, Resource, Tags};

/// The most values one EC2 Describe* filter takes.
const FILTER_VALUES: usize = 200;

/// The project a tag set names: the project tag's value, unless blank.
pub fn project_tag(tags: &Tags, project_tag_key: &str) -> Option<String> {
    tags.get(project_tag_key)
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// The KMS key a resource names that the rules judge against the project's keys.
fn key_id(resource: &Resource) -> Option<&str> {
    match resource {
        Resource::NotebookInstance(n) => match &n.kms_key_id {
            Fact::Known(Some(key_id)) => Some(key_id),
            _ => None,
        },
        _ => None,
    }
}

/// The execution role a resource runs as, where the rules judge it.
fn role_arn(resource: &Resource) -> Option<&str> {
    match resource {
        Resource::NotebookInstance(n) => n.role_arn.known().map(String::as_str),
        _ => None,
    }
}

/// The facts for evaluating `resources` online.
pub async fn facts<N, K, R>(
    network: &N,
    keys: &K,
    roles: &R,
    backoff: &Backoff,
    project_tag_key: &str,
    resources: &[Resource],
) -> PortResult<Facts>
where
    N: Network + Sync,
    K: Keys + Sync,
    R: Roles + Sync,
{
    let mut vpcs = VpcProjects::new(network, backoff, project_tag_key);
    let project_subnets = vpcs.subnets(resources).await?;
    let project_security_groups = vpcs.security_groups(resources).await?;
    let keys = project_keys(keys, backoff, project_tag_key, resources);
    let roles = project_roles(roles, backoff, project_tag_key, resources);
    let (project_keys, project_roles) = futures_util::future::try_join(keys, roles).await?;
    Ok(Facts {
        online: true,
        project_subnets,
        project_security_groups,
        project_keys,
        project_roles,
    })
}

/// The project of each VPC, read once: its project tag when no internet gateway is attached.
struct VpcProjects<'a, N> {
    network: &'a N,
    backoff: &'a Backoff,
    tag_key: &'a str,
    known: BTreeMap<String, Option<String>>,
}

impl<'a, N: Network + Sync> VpcProjects<'a, N> {
    fn new(network: &'a N, backoff: &'a Backoff, tag_key: &'a str) -> Self {
        VpcProjects {
            network,
            backoff,
            tag_key,
            known: BTreeMap::new(),
        }
    }

    /// The project of a VPC with these tags; none when it is no private project VPC.
    async fn project(&mut self, vpc_id: &str, vpc_tags: &Tags) -> PortResult<Option<String>> {
        let Some(project) = project_tag(vpc_tags, self.tag_key) else {
            return Ok(None);
        };
        if let Some(known) = self.known.get(vpc_id) {
            return Ok(known.clone());
        }
        let vpc = retrying(self.backoff, || self.network.vpc(vpc_id)).await?;
        let private = vpc.is_some_and(|v| v.internet_gateways.is_empty()).then_some(project);
        self.known.insert(vpc_id.to_owned(), private.clone());
        Ok(private)
    }

    async fn subnets(&mut self, resources: &[Resource]) -> PortResult<BTreeMap<String, String>> {
        let wanted: Vec<String> = resources
            .iter()
            .flat_map(Resource::subnet_ids)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let mut project = BTreeMap::new();
        for chunk in wanted.chunks(FILTER_VALUES) {
            let subnets = retrying(self.backoff, || self.network.subnets(chunk)).await?;
            for subnet in &subnets {
                if let Some(owner) = self.project(&subnet.vpc_id, &subnet.vpc_tags).await? {
                    project.insert(subnet.id.clone(), owner);
                }
            }
        }
        Ok(project)
    }

    async fn security_groups(&mut self, resources: &[Resource]) -> PortResult<BTreeMap<String, String>> {
        let wanted: BTreeSet<String> = resources.iter().flat_map(Resource::security_group_ids).collect();
        let mut project = BTreeMap::new();
        for id in wanted {
            let group = retrying(self.backoff, || self.network.security_group(&id)).await?;
            if let Some(group) = group {
                if let Some(owner) = self.project(&group.vpc_id, &group.vpc_tags).await? {
                    project.insert(id, owner);
                }
            }
        }
        Ok(project)
    }
}

async fn project_keys<K: Keys + Sync>(
    keys: &K,
    backoff: &Backoff,
    tag_key: &str,
    resources: &[Resource],
) -> PortResult<BTreeMap<String, String>> {
    let wanted: BTreeSet<&str> = resources.iter().filter_map(key_id).collect();
    let mut project = BTreeMap::new();
    for key_id in wanted {
        let key = retrying(backoff, || keys.key(key_id)).await?;
        let Some(key) = key.filter(|k| k.customer_managed && k.state == KeyState::Enabled) else {
            continue;
        };
        if let Some(owner) = project_tag(&key.tags, tag_key) {
            for id in [key_id.to_owned(), key.id, key.arn] {
                project.insert(id, owner.clone());
            }
        }
    }
    Ok(project)
}

async fn project_roles<R: Roles + Sync>(
    roles: &R,
    backoff: &Backoff,
    tag_key: &str,
    resources: &[Resource],
) -> PortResult<BTreeMap<String, String>> {
    let wanted: BTreeSet<&str> = resources.iter().filter_map(role_arn).collect();
    let mut project = BTreeMap::new();
    for arn in wanted {
        let Some(name) = arn.rsplit('/').next().filter(|_| arn.contains(":role/")) else {
            continue;
        };
        let role = retrying(backoff, || roles.role(name)).await?;
        let Some(role) = role.filter(|r| r.arn == arn) else {
            continue;
        };
        if let Some(owner) = project_tag(&role.tags, tag_key) {
            project.insert(arn.to_owned(), owner);
        }
    }
    Ok(project)
}
