//! Address planning, pure: IPv4 CIDR blocks parsed and compared, a project VPC's block picked
//! from a pool so that it overlaps no VPC in the account, its subnets carved out of it, and the
//! availability zones chosen where every endpoint service the project needs is offered.

use std::collections::BTreeMap;
use std::fmt;
use std::net::Ipv4Addr;
use std::str::FromStr;

use crate::error::RequestError;

/// An IPv4 CIDR block, normalised to its network address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Cidr {
    network: u32,
    prefix: u8,
}

impl Cidr {
    /// `10.0.0.0/8`, the default pool of project VPC blocks.
    pub const TEN_SLASH_EIGHT: Cidr = Cidr {
        network: 0x0a00_0000,
        prefix: 8,
    };

    /// The block starting at `network` with this prefix length (host bits cleared).
    pub fn new(network: u32, prefix: u8) -> Option<Cidr> {
        (prefix <= 32).then(|| Cidr {
            network: network & mask(prefix),
            prefix,
        })
    }

    /// The prefix length.
    pub fn prefix(self) -> u8 {
        self.prefix
    }

    /// The first address.
    pub fn first(self) -> u32 {
        self.network
    }

    /// The last address.
    pub fn last(self) -> u32 {
        self.network | !mask(self.prefix)
    }

    /// Whether the two blocks share any address.
    pub fn overlaps(self, other: Cidr) -> bool {
        self.first() <= other.last() && other.first() <= self.last()
    }

    /// Whether `other` lies wholly inside this block.
    pub fn contains(self, other: Cidr) -> bool {
        self.first() <= other.first() && other.last() <= self.last()
    }

    /// The `count` first blocks of length `prefix` inside this one, in order; `None` when they
    /// do not fit.
    pub fn split(self, prefix: u8, count: usize) -> Option<Vec<Cidr>> {
        if prefix < self.prefix || prefix > 32 {
            return None;
        }
        let size = 1u64 << (32 - u32::from(prefix));
        let fits = (1u64 << u32::from(prefix - self.prefix)) >= count as u64;
        fits.then(|| {
            (0..count as u64)
                .filter_map(|i| u32::try_from(u64::from(self.network) + i * size).ok())
                .filter_map(|network| Cidr::new(network, prefix))
                .collect()
        })
    }
}

fn mask(prefix: u8) -> u32 {
    if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(prefix))
    }
}

impl FromStr for Cidr {
    type Err = RequestError;

    fn from_str(text: &str) -> Result<Cidr, RequestError> {
        let invalid = || RequestError::Invalid {
            property: "Cidr",
            reason: format!("`{text}` is not an IPv4 CIDR block such as `10.20.0.0/16`"),
        };
        let (address, prefix) = text.trim().split_once('/').ok_or_else(invalid)?;
        let address: Ipv4Addr = address.parse().map_err(|_| invalid())?;
        let prefix: u8 = prefix.parse().map_err(|_| invalid())?;
        let network = u32::from(address);
        let cidr = Cidr::new(network, prefix).ok_or_else(invalid)?;
        if cidr.network != network {
            return Err(RequestError::Invalid {
                property: "Cidr",
                reason: format!("`{text}` has host bits set; did you mean `{cidr}`?"),
            });
        }
        Ok(cidr)
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", Ipv4Addr::from(self.network), self.prefix)
    }
}

/// The first block of length `prefix` inside `pool` that overlaps none of `taken`; `None` when
/// the pool is exhausted. Unreadable entries of `taken` are ignored (IPv6 blocks, typically).
pub fn allocate(pool: Cidr, prefix: u8, taken: &[String]) -> Option<Cidr> {
    if prefix < pool.prefix() || prefix > 28 {
        return None;
    }
    let taken: Vec<Cidr> = taken.iter().filter_map(|t| t.parse().ok()).collect();
    let size = 1u64 << (32 - u32::from(prefix));
    let mut candidate = u64::from(pool.first());
    while candidate + size - 1 <= u64::from(pool.last()) {
        let block = u32::try_from(candidate).ok().and_then(|n| Cidr::new(n, prefix))?;
        match taken
            .iter()
            .filter(|t| t.overlaps(block))
            .map(|t| u64::from(t.last()))
            .max()
        {
            None => return Some(block),
            Some(last) => {
                let next = last + 1;
                candidate = next.div_ceil(size) * size;
            }
        }
    }
    None
}

/// The blocks of `taken` a requested block overlaps.
pub fn overlapping(block: Cidr, taken: &[String]) -> Vec<String> {
    taken
        .iter()
        .filter(|t| t.parse::<Cidr>().is_ok_and(|t| t.overlaps(block)))
        .cloned()
        .collect()
}

/// The subnets of a VPC block, one per zone: the VPC block split in four (so up to four zones),
/// the first `zones` of them.
pub fn subnets(vpc: Cidr, zones: usize) -> Option<Vec<Cidr>> {
    vpc.split(vpc.prefix().checked_add(2)?, zones)
}

/// Why no set of zones serves the project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZoneShortage {
    /// How many zones offer every service.
    pub usable: Vec<String>,
    /// For each service, the available zones that lack it.
    pub missing: BTreeMap<String, Vec<String>>,
}

/// The first `count` available zones (in name order) where every service is offered.
pub fn choose_zones(
    available: &[String],
    offered: &BTreeMap<String, Vec<String>>,
    services: &[String],
    count: usize,
) -> Result<Vec<String>, ZoneShortage> {
    let mut zones: Vec<String> = available.to_vec();
    zones.sort();
    zones.dedup();
    let serves = |service: &String, zone: &String| offered.get(service).is_some_and(|z| z.contains(zone));
    let usable: Vec<String> = zones
        .iter()
        .filter(|zone| services.iter().all(|service| serves(service, zone)))
        .cloned()
        .collect();
    if usable.len() >= count && count > 0 {
        return Ok(usable.into_iter().take(count).collect());
    }
    let missing = services
        .iter()
        .map(|service| {
            let lacking: Vec<String> = zones.iter().filter(|z| !serves(service, z)).cloned().collect();
            (service.clone(), lacking)
        })
        .filter(|(_, lacking)| !lacking.is_empty())
        .collect();
    Err(ZoneShortage { usable, missing })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cidr(text: &str) -> Cidr {
        text.parse().unwrap()
    }

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn parses_and_prints_blocks() {
        assert_eq!(cidr("10.20.0.0/16").to_string(), "10.20.0.0/16");
        assert!("10.20.1.0/16"
            .parse::<Cidr>()
            .unwrap_err()
            .to_string()
            .contains("`10.20.0.0/16`"));
        assert!("10.20.0.0".parse::<Cidr>().is_err());
        assert!("10.20.0.0/33".parse::<Cidr>().is_err());
        assert!("fd00::/8".parse::<Cidr>().is_err());
    }

    #[test]
    fn overlap_and_containment() {
        assert!(cidr("10.0.0.0/16").overlaps(cidr("10.0.128.0/17")));
        assert!(cidr("10.0.128.0/17").overlaps(cidr("10.0.0.0/8")));
        assert!(!cidr("10.0.0.0/16").overlaps(cidr("10.1.0.0/16")));
        assert!(cidr("10.0.0.0/8").contains(cidr("10.3.0.0/16")));
        assert!(!cidr("10.3.0.0/16").contains(cidr("10.0.0.0/8")));
    }

    #[test]
    fn allocation_skips_every_taken_block() {
        let pool = cidr("10.0.0.0/8");
        assert_eq!(allocate(pool, 16, &[]), Some(cidr("10.0.0.0/16")));
        let taken = strings(&["10.0.0.0/16", "10.1.4.0/24", "172.31.0.0/16", "fd00::/56"]);
        assert_eq!(allocate(pool, 16, &taken), Some(cidr("10.2.0.0/16")));
        let wide = strings(&["10.0.0.0/12"]);
        assert_eq!(allocate(pool, 16, &wide), Some(cidr("10.16.0.0/16")));
    }

    #[test]
    fn two_allocations_in_turn_never_overlap() {
        let pool = cidr("10.0.0.0/8");
        let mut taken = strings(&["10.0.0.0/16"]);
        let first = allocate(pool, 16, &taken).unwrap();
        taken.push(first.to_string());
        let second = allocate(pool, 16, &taken).unwrap();
        assert!(!first.overlaps(second));
        assert!(!first.overlaps(cidr("10.0.0.0/16")));
    }

    #[test]
    fn an_exhausted_pool_allocates_nothing() {
        let pool = cidr("10.0.0.0/15");
        assert_eq!(allocate(pool, 16, &strings(&["10.0.0.0/16", "10.1.0.0/16"])), None);
        assert_eq!(allocate(pool, 14, &[]), None);
        assert_eq!(allocate(pool, 30, &[]), None);
    }

    #[test]
    fn overlapping_names_the_conflicts() {
        let taken = strings(&["10.0.0.0/16", "10.9.0.0/16", "bad"]);
        assert_eq!(overlapping(cidr("10.0.0.0/12"), &taken), taken[..2].to_vec());
    }

    #[test]
    fn subnets_are_quarters_of_the_vpc() {
        let blocks = subnets(cidr("10.2.0.0/16"), 3).unwrap();
        let texts: Vec<String> = blocks.iter().map(Cidr::to_string).collect();
        assert_eq!(texts, ["10.2.0.0/18", "10.2.64.0/18", "10.2.128.0/18"]);
        assert!(subnets(cidr("10.2.0.0/16"), 5).is_none());
    }

    #[test]
    fn zones_are_those_offering_every_service() {
        let available = strings(&["eu-west-1c", "eu-west-1a", "eu-west-1b"]);
        let offered: BTreeMap<String, Vec<String>> = [
            ("sts".to_owned(), strings(&["eu-west-1a", "eu-west-1b", "eu-west-1c"])),
            ("notebook".to_owned(), strings(&["eu-west-1b", "eu-west-1c"])),
        ]
        .into_iter()
        .collect();
        let services = strings(&["sts", "notebook"]);
        assert_eq!(
            choose_zones(&available, &offered, &services, 2),
            Ok(strings(&["eu-west-1b", "eu-west-1c"]))
        );
        let shortage = choose_zones(&available, &offered, &services, 3).unwrap_err();
        assert_eq!(shortage.usable, strings(&["eu-west-1b", "eu-west-1c"]));
        assert_eq!(shortage.missing.get("notebook"), Some(&strings(&["eu-west-1a"])));
        assert!(!shortage.missing.contains_key("sts"));
    }

    #[test]
    fn an_unknown_service_leaves_no_zone() {
        let available = strings(&["eu-west-1a"]);
        let shortage = choose_zones(&available, &BTreeMap::new(), &strings(&["sts"]), 1).unwrap_err();
        assert!(shortage.usable.is_empty());
        assert_eq!(shortage.missing.get("sts"), Some(&available));
    }
}
