//! Project network rules: no internet gateway, NAT or peering, flow logs and the required
//! endpoints on a project VPC; no public IPs on its subnets; no ingress from outside the VPC and
//! private address space to its security groups. Their checks, and the fixes that undo each drift.

use super::action::{fixed_then_notified, step, ActionKind, Step};
use super::catalog::RuleId;
use super::settings::Remedy;
use super::verdict::{backticked, fail, pass, Context, Verdict};
use crate::model::{SecurityGroup, Subnet, Vpc};

pub(super) fn check_vpc(cx: &Context<'_>, v: &Vpc) -> Vec<(RuleId, Verdict)> {
    let region = cx.region;
    let gateways = if v.internet_gateways.is_empty() {
        pass("no internet gateway is attached")
    } else {
        fail(format!(
            "internet gateway(s) {} attached",
            backticked(&v.internet_gateways)
        ))
    };
    let peering_ids: Vec<String> = v.peerings.iter().map(|p| p.id.clone()).collect();
    let outside = match (v.nat_gateways.is_empty(), peering_ids.is_empty()) {
        (true, true) => pass("no NAT gateway and no peering connection"),
        (false, true) => fail(format!("NAT gateway(s) {}", backticked(&v.nat_gateways))),
        (true, false) => fail(format!("peering connection(s) {}", backticked(&peering_ids))),
        (false, false) => fail(format!(
            "NAT gateway(s) {} and peering connection(s) {}",
            backticked(&v.nat_gateways),
            backticked(&peering_ids)
        )),
    };
    let flow_logs = if v.flow_logs.is_empty() {
        fail("no active flow log")
    } else {
        pass(format!("flow log(s) {}", backticked(&v.flow_logs)))
    };
    let missing: Vec<String> = cx
        .rules
        .vpc_required_endpoints
        .services
        .iter()
        .filter(|service| {
            !v.endpoint_services.iter().any(|name| match region {
                Some(region) => {
                    *name == format!("com.amazonaws.{region}.{service}")
                        || *name == format!("aws.sagemaker.{region}.{service}")
                }
                None => name.ends_with(&format!(".{service}")),
            })
        })
        .cloned()
        .collect();
    let endpoints = if missing.is_empty() {
        pass("every required VPC endpoint is present")
    } else {
        fail(format!("missing VPC endpoint(s) {}", backticked(&missing)))
    };
    vec![
        (RuleId::VpcNoInternetGateway, gateways),
        (RuleId::VpcNoNatOrPeering, outside),
        (RuleId::VpcFlowLogsEnabled, flow_logs),
        (RuleId::VpcRequiredEndpoints, endpoints),
    ]
}

pub(super) fn check_subnet(subnet: &Subnet) -> Vec<(RuleId, Verdict)> {
    vec![(RuleId::SubnetNoPublicIp, subnet_public_ip(subnet))]
}

fn subnet_public_ip(subnet: &Subnet) -> Verdict {
    if subnet.map_public_ip_on_launch {
        fail("MapPublicIpOnLaunch is true")
    } else {
        pass("MapPublicIpOnLaunch is false")
    }
}

pub(super) fn check_security_group(group: &SecurityGroup) -> Vec<(RuleId, Verdict)> {
    vec![(RuleId::SecurityGroupNoOpenIngress, open_ingress(group))]
}

fn open_ingress(group: &SecurityGroup) -> Verdict {
    let open: Vec<String> = group
        .ingress
        .iter()
        .filter(|range| range.is_open(&group.vpc_cidrs))
        .map(|range| match (range.from_port, range.to_port) {
            (Some(from), Some(to)) if from == to => format!("{} {from} from {}", range.protocol, range.cidr),
            (Some(from), Some(to)) => format!("{} {from}-{to} from {}", range.protocol, range.cidr),
            _ => format!("{} from {}", range.protocol, range.cidr),
        })
        .collect();
    if open.is_empty() {
        pass("no ingress from outside the VPC and private address space")
    } else {
        fail(format!(
            "ingress from outside the VPC and private address space: {}",
            backticked(&open)
        ))
    }
}

/// A project VPC's fixes: detach and delete internet gateways, delete NAT gateways, remove
/// peerings, create a flow log.
pub(super) fn vpc_steps(v: &Vpc, owed: &[(RuleId, Remedy)]) -> Vec<Step> {
    fixed_then_notified(Some(&v.tags), owed, |fixing, out| {
        if fixing(RuleId::VpcNoInternetGateway) {
            for id in &v.internet_gateways {
                out.push(step(
                    ActionKind::DeleteInternetGateway {
                        internet_gateway_id: id.clone(),
                    },
                    &[RuleId::VpcNoInternetGateway],
                    "a project VPC has no route to the internet",
                ));
            }
        }
        if fixing(RuleId::VpcNoNatOrPeering) {
            for id in &v.nat_gateways {
                out.push(step(
                    ActionKind::DeleteNatGateway {
                        nat_gateway_id: id.clone(),
                    },
                    &[RuleId::VpcNoNatOrPeering],
                    "a project VPC has no NAT gateway",
                ));
            }
            for peering in &v.peerings {
                out.push(step(
                    ActionKind::RemoveVpcPeeringConnection {
                        peering_connection_id: peering.id.clone(),
                    },
                    &[RuleId::VpcNoNatOrPeering],
                    "a project VPC is not peered",
                ));
            }
        }
        if fixing(RuleId::VpcFlowLogsEnabled) {
            out.push(step(
                ActionKind::CreateFlowLog,
                &[RuleId::VpcFlowLogsEnabled],
                "a project VPC logs its flows",
            ));
        }
    })
}

/// A project subnet's fix: stop mapping public IPs on launch.
pub(super) fn subnet_steps(s: &Subnet, owed: &[(RuleId, Remedy)]) -> Vec<Step> {
    fixed_then_notified(Some(&s.vpc_tags), owed, |fixing, out| {
        if fixing(RuleId::SubnetNoPublicIp) {
            out.push(step(
                ActionKind::DisableMapPublicIpOnLaunch,
                &[RuleId::SubnetNoPublicIp],
                "a project subnet gives no public IPs",
            ));
        }
    })
}

/// A project security group's fix: revoke the ingress open to the internet.
pub(super) fn security_group_steps(g: &SecurityGroup, owed: &[(RuleId, Remedy)]) -> Vec<Step> {
    fixed_then_notified(Some(&g.vpc_tags), owed, |fixing, out| {
        if fixing(RuleId::SecurityGroupNoOpenIngress) {
            out.push(step(
                ActionKind::RevokeIngress {
                    ranges: g.ingress.iter().filter(|r| r.is_open(&g.vpc_cidrs)).cloned().collect(),
                },
                &[RuleId::SecurityGroupNoOpenIngress],
                "a project security group admits nothing from the internet",
            ));
        }
    })
}
