//! Typed models of a project's network (VPCs, subnets, security groups), as EC2 describes
//! them. The guardrail reads them after an EC2 call; the sweeper on schedule.

use serde::{Deserialize, Serialize};

use super::values::Tags;

/// A VPC peering connection touching a VPC.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Peering {
    /// The connection id.
    pub id: String,
    /// Its status code (`pending-acceptance`, `active`, ...).
    pub status: String,
}

/// A VPC and what connects it to the outside.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Vpc {
    /// The VPC id.
    pub id: String,
    /// Its tags (the project tag makes it a project VPC).
    pub tags: Tags,
    /// Internet gateways attached to it.
    pub internet_gateways: Vec<String>,
    /// NAT gateways in it that are pending or available.
    pub nat_gateways: Vec<String>,
    /// Peering connections it requests or accepts that are not deleted, rejected or failed.
    pub peerings: Vec<Peering>,
    /// Its active flow logs.
    pub flow_logs: Vec<String>,
    /// Service names of its VPC endpoints (e.g. `com.amazonaws.eu-west-1.sagemaker.api`).
    pub endpoint_services: Vec<String>,
}

/// A subnet, with the tags of the VPC it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Subnet {
    /// The subnet id.
    pub id: String,
    /// Its VPC.
    pub vpc_id: String,
    /// The VPC's tags: a project subnet sits in a project VPC.
    pub vpc_tags: Tags,
    /// MapPublicIpOnLaunch.
    pub map_public_ip_on_launch: bool,
}

/// One ingress permission of a security group, for one CIDR range.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct IngressRange {
    /// `tcp`, `udp`, `icmp` or `-1` (all).
    pub protocol: String,
    /// First port, where the protocol has ports.
    pub from_port: Option<i32>,
    /// Last port, where the protocol has ports.
    pub to_port: Option<i32>,
    /// The CIDR range (IPv4 or IPv6).
    pub cidr: String,
}

impl IngressRange {
    /// Whether the range admits the whole internet.
    pub fn is_open(&self) -> bool {
        self.cidr == "0.0.0.0/0" || self.cidr == "::/0"
    }
}

/// A security group, with the tags of its VPC.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SecurityGroup {
    /// The group id.
    pub id: String,
    /// Its VPC.
    pub vpc_id: String,
    /// The VPC's tags: a project group sits in a project VPC.
    pub vpc_tags: Tags,
    /// Its CIDR-based ingress permissions.
    pub ingress: Vec<IngressRange>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_ranges_are_the_whole_internet_only() {
        let range = |cidr: &str| IngressRange {
            protocol: "tcp".into(),
            from_port: Some(22),
            to_port: Some(22),
            cidr: cidr.into(),
        };
        assert!(range("0.0.0.0/0").is_open());
        assert!(range("::/0").is_open());
        assert!(!range("10.0.0.0/8").is_open());
    }
}
