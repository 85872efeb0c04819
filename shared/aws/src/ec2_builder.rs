//! The network builder port on the EC2 SDK: the account's VPC CIDRs, zones and endpoint
//! services for planning; a project VPC's subnets, security groups, endpoints and flow log
//! created with their tags, found again by tag, and deleted (a resource already gone counts as
//! deleted).

use std::collections::BTreeMap;

use aws_sdk_ec2::types::{
    AttributeBooleanValue, IpPermission, ResourceType, Tag, TagSpecification, UserIdGroupPair, VpcEndpointType,
};

use crate::ec2::{filter, tags, unsuccessful, Ec2Adapter};
use crate::error::{answered, deleted, has_code, other, SdkResultExt};
use crate::pages::all_items;
use crate::ports::{
    BuiltNetwork, BuiltPart, BuiltVpc, EndpointAttachment, EndpointRequest, Network, NetworkBuilder, PortResult,
};

/// VPC endpoint states of endpoints that are gone or going.
const GONE_ENDPOINTS: &[&str] = &["deleting", "deleted", "rejected", "failed", "expired"];

fn tag_specification(kind: ResourceType, tags: &BTreeMap<String, String>) -> TagSpecification {
    let tags = tags.iter().map(|(k, v)| Tag::builder().key(k).value(v).build());
    TagSpecification::builder()
        .resource_type(kind)
        .set_tags(Some(tags.collect()))
        .build()
}

impl NetworkBuilder for Ec2Adapter {
    async fn vpc_cidrs(&self) -> PortResult<Vec<String>> {
        let vpcs = all_items!("DescribeVpcs", self.client.describe_vpcs())?;
        let mut cidrs: Vec<String> = Vec::new();
        for vpc in &vpcs {
            cidrs.extend(vpc.cidr_block().map(str::to_owned));
            let associated = vpc.cidr_block_association_set().iter();
            cidrs.extend(associated.filter_map(|a| a.cidr_block().map(str::to_owned)));
        }
        cidrs.sort();
        cidrs.dedup();
        Ok(cidrs)
    }

    async fn availability_zones(&self) -> PortResult<Vec<String>> {
        let out = self
            .client
            .describe_availability_zones()
            .filters(filter("state", ["available"]))
            .send()
            .await
            .port("DescribeAvailabilityZones")?;
        Ok(out
            .availability_zones()
            .iter()
            .filter_map(|z| z.zone_name().map(str::to_owned))
            .collect())
    }

    async fn endpoint_service_zones(&self, service_names: &[String]) -> PortResult<BTreeMap<String, Vec<String>>> {
        let mut zones = BTreeMap::new();
        let mut token: Option<String> = None;
        loop {
            let page = self
                .client
                .describe_vpc_endpoint_services()
                .set_service_names(Some(service_names.to_vec()))
                .set_next_token(token.take())
                .send()
                .await
                .port("DescribeVpcEndpointServices")?;
            for detail in page.service_details() {
                if let Some(name) = detail.service_name() {
                    let entry: &mut Vec<String> = zones.entry(name.to_owned()).or_default();
                    entry.extend(detail.availability_zones().iter().cloned());
                }
            }
            match page.next_token() {
                Some(next) if !next.is_empty() => token = Some(next.to_owned()),
                _ => break,
            }
        }
        Ok(zones)
    }

    async fn built_network(&self, tag_key: &str, tag_value: &str) -> PortResult<BuiltNetwork> {
        let tagged = || filter(&format!("tag:{tag_key}"), [tag_value]);
        let vpcs = all_items!("DescribeVpcs", self.client.describe_vpcs().filters(tagged()))?;
        let vpcs: Vec<BuiltVpc> = vpcs
            .iter()
            .filter_map(|v| {
                Some(BuiltVpc {
                    id: v.vpc_id()?.to_owned(),
                    cidr: v.cidr_block().unwrap_or_default().to_owned(),
                    tags: tags(v.tags()).0,
                })
            })
            .collect();
        let subnets = all_items!("DescribeSubnets", self.client.describe_subnets().filters(tagged()))?;
        let groups = all_items!(
            "DescribeSecurityGroups",
            self.client.describe_security_groups().filters(tagged())
        )?;
        let endpoints = all_items!(
            "DescribeVpcEndpoints",
            self.client.describe_vpc_endpoints().filters(tagged())
        )?;
        let flow_logs = if vpcs.is_empty() {
            Vec::new()
        } else {
            all_items!(
                "DescribeFlowLogs",
                self.client
                    .describe_flow_logs()
                    .filter(filter("resource-id", vpcs.iter().map(|v| v.id.as_str())))
            )?
        };
        Ok(BuiltNetwork {
            vpcs,
            subnets: subnets
                .iter()
                .filter_map(|s| {
                    Some(BuiltPart {
                        id: s.subnet_id()?.to_owned(),
                        label: s.availability_zone().unwrap_or_default().to_owned(),
                    })
                })
                .collect(),
            security_groups: groups
                .iter()
                .filter(|g| g.group_name() != Some("default"))
                .filter_map(|g| {
                    Some(BuiltPart {
                        id: g.group_id()?.to_owned(),
                        label: g.group_name().unwrap_or_default().to_owned(),
                    })
                })
                .collect(),
            endpoints: endpoints
                .iter()
                .filter(|e| {
                    let state = e.state().map(|s| s.as_str().to_lowercase()).unwrap_or_default();
                    !GONE_ENDPOINTS.contains(&state.as_str())
                })
                .filter_map(|e| {
                    Some(BuiltPart {
                        id: e.vpc_endpoint_id()?.to_owned(),
                        label: e.service_name().unwrap_or_default().to_owned(),
                    })
                })
                .collect(),
            flow_logs: flow_logs
                .iter()
                .filter_map(|l| l.flow_log_id().map(str::to_owned))
                .collect(),
        })
    }

    async fn create_vpc(&self, cidr: &str, tags: &BTreeMap<String, String>) -> PortResult<String> {
        let op = "CreateVpc";
        let out = self
            .client
            .create_vpc()
            .cidr_block(cidr)
            .tag_specifications(tag_specification(ResourceType::Vpc, tags))
            .send()
            .await
            .port(op)?;
        let id = answered(op, "VpcId", out.vpc().and_then(|v| v.vpc_id()))?.to_owned();
        let on = || AttributeBooleanValue::builder().value(true).build();
        let call = self.client.modify_vpc_attribute().vpc_id(&id).enable_dns_support(on());
        call.send().await.port("ModifyVpcAttribute")?;
        let call = self
            .client
            .modify_vpc_attribute()
            .vpc_id(&id)
            .enable_dns_hostnames(on());
        call.send().await.port("ModifyVpcAttribute")?;
        Ok(id)
    }

    async fn create_subnet(
        &self,
        vpc_id: &str,
        cidr: &str,
        zone: &str,
        tags: &BTreeMap<String, String>,
    ) -> PortResult<String> {
        let op = "CreateSubnet";
        let out = self
            .client
            .create_subnet()
            .vpc_id(vpc_id)
            .cidr_block(cidr)
            .availability_zone(zone)
            .tag_specifications(tag_specification(ResourceType::Subnet, tags))
            .send()
            .await
            .port(op)?;
        let subnet = answered(op, "Subnet", out.subnet())?;
        let id = answered(op, "SubnetId", subnet.subnet_id())?.to_owned();
        if subnet.map_public_ip_on_launch() == Some(true) {
            self.disable_map_public_ip(&id).await?;
        }
        Ok(id)
    }

    async fn create_security_group(
        &self,
        vpc_id: &str,
        name: &str,
        description: &str,
        tags: &BTreeMap<String, String>,
    ) -> PortResult<String> {
        let op = "CreateSecurityGroup";
        let out = self
            .client
            .create_security_group()
            .vpc_id(vpc_id)
            .group_name(name)
            .description(description)
            .tag_specifications(tag_specification(ResourceType::SecurityGroup, tags))
            .send()
            .await
            .port(op)?;
        answered(op, "GroupId", out.group_id()).map(str::to_owned)
    }

    async fn allow_ingress_from_group(
        &self,
        group_id: &str,
        source_group_id: &str,
        port: Option<u16>,
    ) -> PortResult<()> {
        let source = UserIdGroupPair::builder().group_id(source_group_id).build();
        let permission = match port {
            Some(port) => IpPermission::builder()
                .ip_protocol("tcp")
                .from_port(i32::from(port))
                .to_port(i32::from(port)),
            None => IpPermission::builder().ip_protocol("-1"),
        }
        .user_id_group_pairs(source)
        .build();
        let out = self
            .client
            .authorize_security_group_ingress()
            .group_id(group_id)
            .ip_permissions(permission)
            .send()
            .await
            .port("AuthorizeSecurityGroupIngress");
        match out {
            Err(e) if has_code(&e, "InvalidPermission.Duplicate") => Ok(()),
            out => out.map(drop),
        }
    }

    async fn main_route_table(&self, vpc_id: &str) -> PortResult<String> {
        let op = "DescribeRouteTables";
        let out = self
            .client
            .describe_route_tables()
            .filters(filter("vpc-id", [vpc_id]))
            .filters(filter("association.main", ["true"]))
            .send()
            .await
            .port(op)?;
        out.route_tables()
            .iter()
            .find_map(|t| t.route_table_id().map(str::to_owned))
            .ok_or_else(|| other(op, format!("VPC `{vpc_id}` has no main route table")))
    }

    async fn create_endpoint(&self, endpoint: &EndpointRequest, tags: &BTreeMap<String, String>) -> PortResult<String> {
        let op = "CreateVpcEndpoint";
        let call = self
            .client
            .create_vpc_endpoint()
            .vpc_id(&endpoint.vpc_id)
            .service_name(&endpoint.service_name)
            .set_policy_document(endpoint.policy.clone())
            .tag_specifications(tag_specification(ResourceType::VpcEndpoint, tags));
        let call = match &endpoint.attachment {
            EndpointAttachment::Interface {
                subnet_ids,
                security_group_ids,
            } => call
                .vpc_endpoint_type(VpcEndpointType::Interface)
                .private_dns_enabled(true)
                .set_subnet_ids(Some(subnet_ids.clone()))
                .set_security_group_ids(Some(security_group_ids.clone())),
            EndpointAttachment::Gateway { route_table_ids } => call
                .vpc_endpoint_type(VpcEndpointType::Gateway)
                .set_route_table_ids(Some(route_table_ids.clone())),
        };
        let out = call.send().await.port(op)?;
        let id = out.vpc_endpoint().and_then(|e| e.vpc_endpoint_id());
        answered(op, "VpcEndpointId", id).map(str::to_owned)
    }

    async fn create_flow_log_to(
        &self,
        vpc_id: &str,
        log_group: &str,
        role_arn: &str,
        tags: &BTreeMap<String, String>,
    ) -> PortResult<String> {
        let op = "CreateFlowLogs";
        let call = self.flow_log_call(vpc_id, log_group, role_arn);
        let call = call.tag_specifications(tag_specification(ResourceType::VpcFlowLog, tags));
        let out = call.send().await.port(op)?;
        if let Some(error) = out.unsuccessful().iter().find_map(|u| u.error()) {
            return Err(other(op, unsuccessful(error)));
        }
        answered(op, "FlowLogIds", out.flow_log_ids().first().cloned())
    }

    async fn delete_flow_log(&self, id: &str) -> PortResult<()> {
        let call = self.client.delete_flow_logs().flow_log_ids(id);
        deleted(call.send().await.port("DeleteFlowLogs"))
    }

    async fn delete_endpoint(&self, id: &str) -> PortResult<()> {
        let call = self.client.delete_vpc_endpoints().vpc_endpoint_ids(id);
        deleted(call.send().await.port("DeleteVpcEndpoints"))
    }

    async fn delete_security_group(&self, id: &str) -> PortResult<()> {
        let call = self.client.delete_security_group().group_id(id);
        deleted(call.send().await.port("DeleteSecurityGroup"))
    }

    async fn delete_subnet(&self, id: &str) -> PortResult<()> {
        let call = self.client.delete_subnet().subnet_id(id);
        deleted(call.send().await.port("DeleteSubnet"))
    }

    async fn delete_vpc(&self, id: &str) -> PortResult<()> {
        let call = self.client.delete_vpc().vpc_id(id);
        deleted(call.send().await.port("DeleteVpc"))
    }
}
