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
    /// Whether the range reaches any address outside `inside` (the VPC's CIDR blocks) and the
    /// private address space (RFC 1918, shared 100.64.0.0/10, IPv6 unique local fc00::/7).
    /// A range that does not parse is open: what cannot be read is not private.
    pub fn is_open(&self, inside: &[String]) -> bool {
        let Some(range) = Cidr::parse(&self.cidr) else {
            return true;
        };
        let private = PRIVATE.iter().filter_map(|c| Cidr::parse(c));
        let vpc = inside.iter().filter_map(|c| Cidr::parse(c));
        !private.chain(vpc).any(|block| block.contains(&range))
    }
}

/// The private address space: RFC 1918, shared address space, IPv6 unique local addresses.
const PRIVATE: &[&str] = &[
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "100.64.0.0/10",
    "fc00::/7",
];

/// A CIDR block, IPv4 or IPv6, as a network address (host bits cleared) and prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    network: u128,
    prefix: u8,
    v6: bool,
}

impl Cidr {
    /// Parses `a.b.c.d/n` or `x::y/n`; `None` when it is neither. A bare address is a /32 or /128.
    pub fn parse(text: &str) -> Option<Cidr> {
        let (address, prefix) = match text.trim().split_once('/') {
            Some((address, prefix)) => (address, Some(prefix.parse::<u8>().ok()?)),
            None => (text.trim(), None),
        };
        let (bits, v6, width) = match address.parse::<std::net::IpAddr>().ok()? {
            std::net::IpAddr::V4(v4) => (u128::from(u32::from(v4)), false, 32u8),
            std::net::IpAddr::V6(v6) => (u128::from(v6), true, 128u8),
        };
        let prefix = prefix.unwrap_or(width);
        if prefix > width {
            return None;
        }
        let host_bits = u32::from(width - prefix);
        let mask = u128::MAX.checked_shl(host_bits).unwrap_or(0);
        Some(Cidr {
            network: bits & mask,
            prefix,
            v6,
        })
    }

    /// Whether every address of `other` lies in this block.
    pub fn contains(&self, other: &Cidr) -> bool {
        if self.v6 != other.v6 || other.prefix < self.prefix {
            return false;
        }
        let width: u8 = if self.v6 { 128 } else { 32 };
        let host_bits = u32::from(width - self.prefix);
        let mask = u128::MAX.checked_shl(host_bits).unwrap_or(0);
        other.network & mask == self.network
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
    /// The VPC's CIDR blocks (IPv4 and IPv6): ingress from them stays inside.
    pub vpc_cidrs: Vec<String>,
    /// Its CIDR-based ingress permissions.
    pub ingress: Vec<IngressRange>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(cidr: &str) -> IngressRange {
        IngressRange {
            protocol: "tcp".into(),
            from_port: Some(22),
            to_port: Some(22),
            cidr: cidr.into(),
        }
    }

    #[test]
    fn any_range_reaching_outside_private_space_is_open() {
        let vpc = ["10.20.0.0/16".to_owned(), "2600:1f18:1:2::/56".to_owned()];
        for open in [
            "0.0.0.0/0",
            "::/0",
            "0.0.0.0/1",
            "128.0.0.0/1",
            "8.0.0.0/8",
            "::/1",
            "8000::/1",
            "2000::/3",
            "203.0.113.7/32",
            "11.0.0.0/8",
            "10.0.0.0/7",
            "172.16.0.0/11",
            "not-a-cidr",
            "10.0.0.0/33",
        ] {
            assert!(range(open).is_open(&vpc), "{open}");
        }
        for inside in [
            "10.0.0.0/8",
            "10.20.1.0/24",
            "172.31.0.0/16",
            "192.168.1.1/32",
            "100.64.0.0/10",
            "fd00::/8",
            "2600:1f18:1:2::/64",
            "10.1.2.3",
        ] {
            assert!(!range(inside).is_open(&vpc), "{inside}");
        }
        assert!(range("2600:1f18:1:2::/56").is_open(&[]));
    }

    #[test]
    fn host_bits_are_cleared() {
        assert_eq!(Cidr::parse("10.1.2.3/8"), Cidr::parse("10.0.0.0/8"));
        assert!(Cidr::parse("0.0.0.0/0")
            .unwrap()
            .contains(&Cidr::parse("1.2.3.4").unwrap()));
        assert!(!Cidr::parse("0.0.0.0/0").unwrap().contains(&Cidr::parse("::1").unwrap()));
    }
}
