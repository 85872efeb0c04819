//! The network port on the EC2 SDK: Describe* calls (every one paginated, filtered so unknown ids
//! are simply absent) read VPCs, subnets and security groups; the remedies detach and delete
//! gateways, remove peerings, add flow logs, stop public IPs and revoke open ingress.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_ec2::operation::create_flow_logs::builders::CreateFlowLogsFluentBuilder;
use aws_sdk_ec2::types::{
    Filter, FlowLogsResourceType, IpPermission, IpRange, Ipv6Range, LogDestinationType, Tag, TrafficType,
    UnsuccessfulItemError,
};
use aws_sdk_ec2::Client;

use crate::error::{found, has_code, other, SdkResultExt};
use crate::pages::all_items;
use crate::ports::{Network, NetworkInventory, PortErrorKind, PortResult};
use sagefence_core::model::Tags;
use sagefence_core::model::{IngressRange, Peering, SecurityGroup, Subnet, Vpc};

/// Peering statuses of connections that no longer link anything.
const ENDED_PEERINGS: &[&str] = &["deleted", "rejected", "failed", "expired"];

/// VPC endpoint states of endpoints that no longer serve.
const ENDED_ENDPOINTS: &[&str] = &["deleting", "deleted", "rejected", "failed", "expired"];

/// Where new flow logs deliver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowLogSettings {
    /// The CloudWatch Logs group of a VPC's flow log is this prefix followed by the VPC id.
    pub log_group_prefix: String,
    /// The role flow logs assume to deliver to CloudWatch Logs.
    pub delivery_role_arn: String,
}

/// [`Network`] on an `aws_sdk_ec2` client.
#[derive(Debug, Clone)]
pub struct Ec2Adapter {
    /// The EC2 client.
    pub client: Client,
    /// Where [`Network::create_flow_log`] delivers.
    pub flow_logs: FlowLogSettings,
}

pub(crate) fn filter<I, S>(name: &str, values: I) -> Filter
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    let values = values.into_iter().map(Into::into).collect();
    Filter::builder().name(name).set_values(Some(values)).build()
}

pub(crate) fn tags(list: &[Tag]) -> Tags {
    list.iter()
        .filter_map(|t| Some((t.key()?, t.value().unwrap_or_default())))
        .collect()
}

fn ingress(permission: &IpPermission) -> impl Iterator<Item = IngressRange> + '_ {
    let v4 = permission.ip_ranges().iter().filter_map(|r| r.cidr_ip());
    let v6 = permission.ipv6_ranges().iter().filter_map(|r| r.cidr_ipv6());
    v4.chain(v6).map(|cidr| IngressRange {
        protocol: permission.ip_protocol().unwrap_or("-1").to_owned(),
        from_port: permission.from_port(),
        to_port: permission.to_port(),
        cidr: cidr.to_owned(),
    })
}

fn permission(range: &IngressRange) -> IpPermission {
    let builder = IpPermission::builder()
        .ip_protocol(&range.protocol)
        .set_from_port(range.from_port)
        .set_to_port(range.to_port);
    if range.cidr.contains(':') {
        builder.ipv6_ranges(Ipv6Range::builder().cidr_ipv6(&range.cidr).build())
    } else {
        builder.ip_ranges(IpRange::builder().cidr_ip(&range.cidr).build())
    }
    .build()
}

/// An item's failure in a batch answer, as `code: message`.
pub(crate) fn unsuccessful(error: &UnsuccessfulItemError) -> String {
    let code = error.code().unwrap_or_default();
    format!("{code}: {}", error.message().unwrap_or_default())
}

impl Ec2Adapter {
    /// An adapter on this client, creating flow logs as `flow_logs` says.
    pub fn new(client: Client, flow_logs: FlowLogSettings) -> Self {
        Self { client, flow_logs }
    }

    /// A CreateFlowLogs call delivering all of the VPC's traffic to `log_group` with `role_arn`.
    pub(crate) fn flow_log_call(&self, vpc_id: &str, log_group: &str, role_arn: &str) -> CreateFlowLogsFluentBuilder {
        self.client
            .create_flow_logs()
            .resource_type(FlowLogsResourceType::Vpc)
            .resource_ids(vpc_id)
            .traffic_type(TrafficType::All)
            .log_destination_type(LogDestinationType::CloudWatchLogs)
            .log_group_name(log_group)
            .deliver_logs_permission_arn(role_arn)
    }

    /// The subnets whose `filter_name` is one of `values`, each with its VPC's tags.
    async fn subnets_where(&self, filter_name: &str, values: &[String]) -> PortResult<Vec<Subnet>> {
        if values.is_empty() {
            return Ok(Vec::new());
        }
        let subnets = all_items!(
            "DescribeSubnets",
            self.client
                .describe_subnets()
                .filters(filter(filter_name, values.iter().map(String::as_str)))
        )?;
        let vpc_ids = subnets.iter().filter_map(|s| s.vpc_id()).collect();
        let vpc_tags = self.vpc_tags(&vpc_ids).await?;
        Ok(subnets
            .iter()
            .filter_map(|s| {
                let vpc_id = s.vpc_id()?;
                Some(Subnet {
                    id: s.subnet_id()?.to_owned(),
                    vpc_id: vpc_id.to_owned(),
                    vpc_tags: vpc_tags.get(vpc_id).cloned().unwrap_or_default(),
                    map_public_ip_on_launch: s.map_public_ip_on_launch().unwrap_or(false),
                })
            })
            .collect())
    }

    /// The tags of each of these VPCs that exists.
    async fn vpc_tags(&self, ids: &BTreeSet<&str>) -> PortResult<BTreeMap<String, Tags>> {
        Ok(self
            .vpc_tags_and_cidrs(ids)
            .await?
            .into_iter()
            .map(|(id, (tags, _))| (id, tags))
            .collect())
    }

    /// Each VPC's tags and associated CIDR blocks (IPv4 and IPv6).
    async fn vpc_tags_and_cidrs(&self, ids: &BTreeSet<&str>) -> PortResult<BTreeMap<String, (Tags, Vec<String>)>> {
        if ids.is_empty() {
            return Ok(BTreeMap::new());
        }
        let vpcs = all_items!(
            "DescribeVpcs",
            self.client
                .describe_vpcs()
                .filters(filter("vpc-id", ids.iter().copied()))
        )?;
        Ok(vpcs
            .iter()
            .filter_map(|v| {
                let v4 = v.cidr_block_association_set().iter().filter_map(|a| a.cidr_block());
                let v6 = v
                    .ipv6_cidr_block_association_set()
                    .iter()
                    .filter_map(|a| a.ipv6_cidr_block());
                let cidrs = v.cidr_block().into_iter().chain(v4).chain(v6).map(str::to_owned);
                let mut cidrs: Vec<String> = cidrs.collect();
                cidrs.sort();
                cidrs.dedup();
                Some((v.vpc_id()?.to_owned(), (tags(v.tags()), cidrs)))
            })
            .collect())
    }

    async fn internet_gateways(&self, vpc_id: &str) -> PortResult<Vec<String>> {
        let gateways = all_items!(
            "DescribeInternetGateways",
            self.client
                .describe_internet_gateways()
                .filters(filter("attachment.vpc-id", [vpc_id]))
        )?;
        Ok(gateways
            .iter()
            .filter_map(|g| g.internet_gateway_id().map(str::to_owned))
            .collect())
    }

    async fn nat_gateways(&self, vpc_id: &str) -> PortResult<Vec<String>> {
        let gateways = all_items!(
            "DescribeNatGateways",
            self.client
                .describe_nat_gateways()
                .filter(filter("vpc-id", [vpc_id]))
                .filter(filter("state", ["pending", "available"]))
        )?;
        Ok(gateways
            .iter()
            .filter_map(|g| g.nat_gateway_id().map(str::to_owned))
            .collect())
    }

    async fn peerings(&self, vpc_id: &str) -> PortResult<Vec<Peering>> {
        let mut peerings: Vec<Peering> = Vec::new();
        for side in ["requester-vpc-info.vpc-id", "accepter-vpc-info.vpc-id"] {
            let connections = all_items!(
                "DescribeVpcPeeringConnections",
                self.client
                    .describe_vpc_peering_connections()
                    .filters(filter(side, [vpc_id]))
            )?;
            for connection in &connections {
                let status = connection.status().and_then(|s| s.code()).map(|c| c.as_str());
                let (Some(id), Some(status)) = (connection.vpc_peering_connection_id(), status) else {
                    continue;
                };
                if !ENDED_PEERINGS.contains(&status) && !peerings.iter().any(|p| p.id == id) {
                    peerings.push(Peering {
                        id: id.to_owned(),
                        status: status.to_owned(),
                    });
                }
            }
        }
        Ok(peerings)
    }

    async fn flow_logs(&self, vpc_id: &str) -> PortResult<Vec<String>> {
        let logs = all_items!(
            "DescribeFlowLogs",
            self.client.describe_flow_logs().filter(filter("resource-id", [vpc_id]))
        )?;
        Ok(logs
            .iter()
            .filter(|l| l.flow_log_status() == Some("ACTIVE"))
            .filter_map(|l| l.flow_log_id().map(str::to_owned))
            .collect())
    }

    async fn endpoint_services(&self, vpc_id: &str) -> PortResult<Vec<String>> {
        let endpoints = all_items!(
            "DescribeVpcEndpoints",
            self.client.describe_vpc_endpoints().filters(filter("vpc-id", [vpc_id]))
        )?;
        Ok(endpoints
            .iter()
            .filter(|e| {
                let state = e.state().map(|s| s.as_str().to_lowercase()).unwrap_or_default();
                !ENDED_ENDPOINTS.contains(&state.as_str())
            })
            .filter_map(|e| e.service_name().map(str::to_owned))
            .collect())
    }
}

impl Network for Ec2Adapter {
    async fn subnets(&self, ids: &[String]) -> PortResult<Vec<Subnet>> {
        self.subnets_where("subnet-id", ids).await
    }

    async fn vpc(&self, id: &str) -> PortResult<Option<Vpc>> {
        let Some(vpc_tags) = self.vpc_tags(&BTreeSet::from([id])).await?.remove(id) else {
            return Ok(None);
        };
        let (internet_gateways, nat_gateways, peerings, flow_logs, endpoint_services) =
            futures_util::future::try_join5(
                self.internet_gateways(id),
                self.nat_gateways(id),
                self.peerings(id),
                self.flow_logs(id),
                self.endpoint_services(id),
            )
            .await?;
        Ok(Some(Vpc {
            id: id.to_owned(),
            tags: vpc_tags,
            internet_gateways,
            nat_gateways,
            peerings,
            flow_logs,
            endpoint_services,
        }))
    }

    async fn tagged_vpc_ids(&self, tag_key: &str) -> PortResult<Vec<String>> {
        let vpcs = all_items!(
            "DescribeVpcs",
            self.client.describe_vpcs().filters(filter("tag-key", [tag_key]))
        )?;
        Ok(vpcs.iter().filter_map(|v| v.vpc_id().map(str::to_owned)).collect())
    }

    async fn peering_vpc_ids(&self, peering_connection_id: &str) -> PortResult<Vec<String>> {
        let connections = all_items!(
            "DescribeVpcPeeringConnections",
            self.client
                .describe_vpc_peering_connections()
                .filters(filter("vpc-peering-connection-id", [peering_connection_id]))
        )?;
        let mut ids: Vec<String> = Vec::new();
        for connection in &connections {
            let sides = [connection.requester_vpc_info(), connection.accepter_vpc_info()];
            for id in sides.into_iter().flatten().filter_map(|info| info.vpc_id()) {
                if !ids.iter().any(|known| known == id) {
                    ids.push(id.to_owned());
                }
            }
        }
        Ok(ids)
    }

    async fn security_group(&self, id: &str) -> PortResult<Option<SecurityGroup>> {
        let groups = all_items!(
            "DescribeSecurityGroups",
            self.client.describe_security_groups().filters(filter("group-id", [id]))
        )?;
        let Some(group) = groups.iter().find(|g| g.group_id() == Some(id)) else {
            return Ok(None);
        };
        let vpc_id = group.vpc_id().unwrap_or_default();
        let (vpc_tags, vpc_cidrs) = match vpc_id {
            "" => Default::default(),
            vpc_id => self
                .vpc_tags_and_cidrs(&BTreeSet::from([vpc_id]))
                .await?
                .remove(vpc_id)
                .unwrap_or_default(),
        };
        Ok(Some(SecurityGroup {
            id: id.to_owned(),
            vpc_id: vpc_id.to_owned(),
            vpc_tags,
            vpc_cidrs,
            ingress: group.ip_permissions().iter().flat_map(ingress).collect(),
        }))
    }

    async fn default_vpc_group_id(&self, name: &str) -> PortResult<Option<String>> {
        let call = self.client.describe_security_groups().group_names(name);
        let answer = found(call.send().await.port("DescribeSecurityGroups"))?;
        Ok(answer.and_then(|a| a.security_groups().iter().find_map(|g| g.group_id().map(str::to_owned))))
    }

    async fn delete_internet_gateway(&self, vpc_id: &str, internet_gateway_id: &str) -> PortResult<()> {
        let detached = self
            .client
            .detach_internet_gateway()
            .vpc_id(vpc_id)
            .internet_gateway_id(internet_gateway_id)
            .send()
            .await
            .port("DetachInternetGateway");
        match detached {
            Ok(_) => {}
            Err(e) if e.kind == PortErrorKind::NotFound || has_code(&e, "Gateway.NotAttached") => {}
            Err(e) => return Err(e),
        }
        let call = self
            .client
            .delete_internet_gateway()
            .internet_gateway_id(internet_gateway_id);
        call.send().await.port("DeleteInternetGateway").map(drop)
    }

    async fn delete_nat_gateway(&self, nat_gateway_id: &str) -> PortResult<()> {
        let call = self.client.delete_nat_gateway().nat_gateway_id(nat_gateway_id);
        call.send().await.port("DeleteNatGateway").map(drop)
    }

    async fn remove_peering(&self, peering_connection_id: &str) -> PortResult<()> {
        let connections = self
            .client
            .describe_vpc_peering_connections()
            .vpc_peering_connection_ids(peering_connection_id)
            .send()
            .await
            .port("DescribeVpcPeeringConnections")?;
        let pending = connections
            .vpc_peering_connections()
            .iter()
            .filter_map(|c| c.status().and_then(|s| s.code()))
            .any(|code| code.as_str() == "pending-acceptance");
        if pending {
            let call = self.client.reject_vpc_peering_connection();
            let call = call.vpc_peering_connection_id(peering_connection_id);
            call.send().await.port("RejectVpcPeeringConnection").map(drop)
        } else {
            let call = self.client.delete_vpc_peering_connection();
            let call = call.vpc_peering_connection_id(peering_connection_id);
            call.send().await.port("DeleteVpcPeeringConnection").map(drop)
        }
    }

    async fn create_flow_log(&self, vpc_id: &str) -> PortResult<()> {
        let op = "CreateFlowLogs";
        let log_group = format!("{}{vpc_id}", self.flow_logs.log_group_prefix);
        let call = self.flow_log_call(vpc_id, &log_group, &self.flow_logs.delivery_role_arn);
        let out = match call.send().await.port(op) {
            Err(e) if has_code(&e, "FlowLogAlreadyExists") => return Ok(()),
            out => out?,
        };
        let failures = out.unsuccessful().iter().filter_map(|u| u.error());
        let failures: Vec<String> = failures
            .filter(|e| e.code() != Some("FlowLogAlreadyExists"))
            .map(unsuccessful)
            .collect();
        if failures.is_empty() {
            Ok(())
        } else {
            Err(other(op, failures.join("; ")))
        }
    }

    async fn disable_map_public_ip(&self, subnet_id: &str) -> PortResult<()> {
        let off = aws_sdk_ec2::types::AttributeBooleanValue::builder()
            .value(false)
            .build();
        let call = self.client.modify_subnet_attribute().subnet_id(subnet_id);
        call.map_public_ip_on_launch(off)
            .send()
            .await
            .port("ModifySubnetAttribute")
            .map(drop)
    }

    async fn revoke_ingress(&self, group_id: &str, ranges: &[IngressRange]) -> PortResult<()> {
        if ranges.is_empty() {
            return Ok(());
        }
        self.client
            .revoke_security_group_ingress()
            .group_id(group_id)
            .set_ip_permissions(Some(ranges.iter().map(permission).collect()))
            .send()
            .await
            .port("RevokeSecurityGroupIngress")
            .map(drop)
    }

    async fn tag(&self, id: &str, tags: &BTreeMap<String, String>) -> PortResult<()> {
        let tags = tags
            .iter()
            .map(|(k, v)| Tag::builder().key(k).value(v).build())
            .collect();
        let call = self.client.create_tags().resources(id).set_tags(Some(tags));
        call.send().await.port("CreateTags").map(drop)
    }

    async fn untag(&self, id: &str, keys: &[String]) -> PortResult<()> {
        let tags = keys.iter().map(|k| Tag::builder().key(k).build()).collect();
        let call = self.client.delete_tags().resources(id).set_tags(Some(tags));
        call.send().await.port("DeleteTags").map(drop)
    }
}

impl NetworkInventory for Ec2Adapter {
    async fn subnets_in(&self, vpc_ids: &[String]) -> PortResult<Vec<Subnet>> {
        self.subnets_where("vpc-id", vpc_ids).await
    }

    async fn security_groups_in(&self, vpc_ids: &[String]) -> PortResult<Vec<SecurityGroup>> {
        if vpc_ids.is_empty() {
            return Ok(Vec::new());
        }
        let groups = all_items!(
            "DescribeSecurityGroups",
            self.client
                .describe_security_groups()
                .filters(filter("vpc-id", vpc_ids.iter().map(String::as_str)))
        )?;
        let vpcs = self
            .vpc_tags_and_cidrs(&vpc_ids.iter().map(String::as_str).collect())
            .await?;
        Ok(groups
            .iter()
            .filter_map(|g| {
                let vpc_id = g.vpc_id()?;
                let (vpc_tags, vpc_cidrs) = vpcs.get(vpc_id).cloned().unwrap_or_default();
                Some(SecurityGroup {
                    id: g.group_id()?.to_owned(),
                    vpc_id: vpc_id.to_owned(),
                    vpc_tags,
                    vpc_cidrs,
                    ingress: g.ip_permissions().iter().flat_map(ingress).collect(),
                })
            })
            .collect())
    }
}
