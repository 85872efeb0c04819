//! What the rules need that a resource alone cannot tell, read through the ports: which of the
//! subnets resources use sit in a project VPC (the project tag, no internet gateway) and which
//! of the keys they name are the project's (customer managed, enabled, the project tag). Each
//! distinct subnet, VPC and key is read once, however many resources use it.

use std::collections::BTreeSet;

use crate::ports::{Keys, Network, PortResult};
use crate::remedy::{retrying, Backoff};
use sagefence_core::evaluate::Facts;
use sagefence_core::model::KeyState;
use sagefence_core::model::{Fact, Resource};

/// The most values one EC2 Describe* filter takes.
const FILTER_VALUES: usize = 200;

/// The subnets a resource is placed in.
pub fn subnet_ids(resource: &Resource) -> Vec<String> {
    match resource {
        Resource::NotebookInstance(n) => match &n.subnet_id {
            Fact::Known(Some(subnet)) => vec![subnet.clone()],
            _ => Vec::new(),
        },
        Resource::Job(j) => j
            .specs
            .iter()
            .filter_map(|s| s.network.as_ref().and_then(|n| n.vpc.as_ref()))
            .flat_map(|vpc| vpc.subnets.iter().cloned())
            .collect(),
        Resource::Model(m) => m.vpc.as_ref().map(|v| v.subnets.clone()).unwrap_or_default(),
        Resource::Domain(d) => d.subnet_ids.clone(),
        _ => Vec::new(),
    }
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

/// The facts for evaluating `resources` online.
pub async fn facts<N, K>(
    network: &N,
    keys: &K,
    backoff: &Backoff,
    project_tag_key: &str,
    resources: &[Resource],
) -> PortResult<Facts>
where
    N: Network + Sync,
    K: Keys + Sync,
{
    let subnets = project_subnets(network, backoff, project_tag_key, resources);
    let keys = project_keys(keys, backoff, project_tag_key, resources);
    let (project_subnets, project_keys) = futures_util::future::try_join(subnets, keys).await?;
    Ok(Facts {
        online: true,
        project_subnets,
        project_keys,
    })
}

async fn project_subnets<N: Network + Sync>(
    network: &N,
    backoff: &Backoff,
    tag_key: &str,
    resources: &[Resource],
) -> PortResult<BTreeSet<String>> {
    let wanted: Vec<String> = resources
        .iter()
        .flat_map(subnet_ids)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut project = BTreeSet::new();
    let mut private_vpcs: BTreeSet<String> = BTreeSet::new();
    let mut public_vpcs: BTreeSet<String> = BTreeSet::new();
    for chunk in wanted.chunks(FILTER_VALUES) {
        let subnets = retrying(backoff, || network.subnets(chunk)).await?;
        for subnet in &subnets {
            if subnet.vpc_tags.get(tag_key).is_none() || public_vpcs.contains(&subnet.vpc_id) {
                continue;
            }
            if !private_vpcs.contains(&subnet.vpc_id) {
                let vpc = retrying(backoff, || network.vpc(&subnet.vpc_id)).await?;
                if vpc.is_some_and(|v| v.internet_gateways.is_empty()) {
                    private_vpcs.insert(subnet.vpc_id.clone());
                } else {
                    public_vpcs.insert(subnet.vpc_id.clone());
                }
            }
            if private_vpcs.contains(&subnet.vpc_id) {
                project.insert(subnet.id.clone());
            }
        }
    }
    Ok(project)
}

async fn project_keys<K: Keys + Sync>(
    keys: &K,
    backoff: &Backoff,
    tag_key: &str,
    resources: &[Resource],
) -> PortResult<BTreeSet<String>> {
    let wanted: BTreeSet<&str> = resources.iter().filter_map(key_id).collect();
    let mut project = BTreeSet::new();
    for key_id in wanted {
        let key = retrying(backoff, || keys.key(key_id)).await?;
        if let Some(key) = key {
            if key.customer_managed && key.state == KeyState::Enabled && key.tags.get(tag_key).is_some() {
                project.extend([key_id.to_owned(), key.id, key.arn]);
            }
        }
    }
    Ok(project)
}
