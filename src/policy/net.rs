//! Addresses, CIDR prefixes and host sets used by policy rules.
//!
//! Trusts nothing: every constructor validates (prefix length within the family, no host bits set)
//! and returns a typed error. IPv4 addresses are also matched in their IPv4-mapped IPv6 form
//! (`::ffff:a.b.c.d`), which is how dual-stack sockets report them.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

/// An IPv4 or IPv6 prefix such as `10.77.1.0/24` or `2001:db8::/32`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IpNet {
    addr: IpAddr,
    prefix: u8,
}

impl IpNet {
    /// A prefix from an address and a length. Fails if the length exceeds the family's width or if
    /// host bits are set (`10.0.0.1/24` is almost always a typo for `10.0.0.0/24` or `/32`).
    pub fn new(addr: IpAddr, prefix: u8) -> Result<Self, NetError> {
        let max = max_prefix(addr);
        if prefix > max {
            return Err(NetError::PrefixTooLong { prefix, max });
        }
        let net = Self { addr, prefix };
        if net.network_bits() != to_bits(addr) {
            return Err(NetError::HostBitsSet);
        }
        Ok(net)
    }

    /// A single-host prefix (`/32` or `/128`).
    pub fn host(addr: IpAddr) -> Self {
        Self {
            addr,
            prefix: max_prefix(addr),
        }
    }

    /// The network address.
    pub fn addr(&self) -> IpAddr {
        self.addr
    }

    /// The prefix length.
    pub fn prefix(&self) -> u8 {
        self.prefix
    }

    /// Whether `ip` lies inside this prefix. IPv4-mapped IPv6 addresses match IPv4 prefixes.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        match (self.addr, ip) {
            (IpAddr::V4(_), IpAddr::V4(_)) | (IpAddr::V6(_), IpAddr::V6(_)) => {
                (to_bits(ip) & mask(self.addr, self.prefix)) == to_bits(self.addr)
            }
            _ => false,
        }
    }

    /// Whether this is an IPv4 prefix.
    pub fn is_ipv4(&self) -> bool {
        self.addr.is_ipv4()
    }

    /// The inclusive range of this prefix as integers of its own family (IPv4 addresses as `u32`
    /// values widened to `u128`). Families never overlap: compare only with [`family_bits`] of the
    /// same family. Used to compile rule tables.
    pub fn range(&self) -> (u128, u128) {
        let width = u32::from(max_prefix(self.addr));
        let host_bits = width - u32::from(self.prefix);
        let span = if host_bits == 128 {
            u128::MAX
        } else {
            (1u128 << host_bits) - 1
        };
        let base = to_bits(self.addr);
        (base, base | span)
    }

    fn network_bits(&self) -> u128 {
        to_bits(self.addr) & mask(self.addr, self.prefix)
    }
}

impl FromStr for IpNet {
    type Err = NetError;

    /// Parses `addr/len` or a bare address (a host prefix).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.split_once('/') {
            None => {
                let addr = IpAddr::from_str(s).map_err(|_| NetError::BadAddress)?;
                Ok(Self::host(addr))
            }
            Some((a, p)) => {
                let addr = IpAddr::from_str(a).map_err(|_| NetError::BadAddress)?;
                let prefix = p.parse::<u8>().map_err(|_| NetError::BadPrefix)?;
                Self::new(addr, prefix)
            }
        }
    }
}

impl fmt::Display for IpNet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// A set of prefixes. Empty matches nothing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AddrSet(pub Vec<IpNet>);

impl AddrSet {
    /// Whether any prefix of the set contains `ip`.
    pub fn contains(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|n| n.contains(ip))
    }

    /// Whether the set has no prefix.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Hosts named in URLs: address prefixes plus exact DNS names (compared case-insensitively,
/// without a trailing dot).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HostSet {
    /// Address prefixes.
    pub nets: AddrSet,
    /// Lower-case DNS names.
    pub names: Vec<String>,
}

impl HostSet {
    /// Whether `host` (an address literal, possibly in brackets, or a DNS name) is in the set.
    pub fn contains_host(&self, host: &str) -> bool {
        let trimmed = host.trim_start_matches('[').trim_end_matches(']');
        if let Ok(ip) = IpAddr::from_str(trimmed) {
            return self.nets.contains(ip);
        }
        let name = trimmed.trim_end_matches('.');
        self.names.iter().any(|n| n.eq_ignore_ascii_case(name))
    }

    /// Parses one entry: a prefix, an address or a DNS name.
    pub fn push_entry(&mut self, entry: &str) -> Result<(), NetError> {
        if entry.contains('/') || IpAddr::from_str(entry).is_ok() {
            self.nets.0.push(entry.parse()?);
            return Ok(());
        }
        if is_dns_name(entry) {
            self.names
                .push(entry.trim_end_matches('.').to_ascii_lowercase());
            return Ok(());
        }
        Err(NetError::BadHost)
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.nets.is_empty() && self.names.is_empty()
    }
}

/// Why an address, prefix or host could not be parsed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NetError {
    /// Not an IPv4 or IPv6 address.
    #[error("not an IPv4 or IPv6 address")]
    BadAddress,
    /// The part after `/` is not a number.
    #[error("prefix length is not a number")]
    BadPrefix,
    /// Prefix longer than the address family allows.
    #[error("prefix length /{prefix} exceeds /{max}")]
    PrefixTooLong {
        /// Given length.
        prefix: u8,
        /// Maximum for the family.
        max: u8,
    },
    /// Bits beyond the prefix are set.
    #[error("host bits set beyond the prefix length")]
    HostBitsSet,
    /// Neither an address, a prefix nor a DNS name.
    #[error("not an address, prefix or DNS name")]
    BadHost,
}

/// Maps an IPv4-mapped IPv6 address to its IPv4 form; leaves everything else unchanged.
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(v6),
        },
        v4 @ IpAddr::V4(_) => v4,
    }
}

/// The family (`true` for IPv4, after [`canonical`]) and the integer value of `ip`, comparable with
/// [`IpNet::range`] of prefixes of the same family.
pub fn family_bits(ip: IpAddr) -> (bool, u128) {
    let ip = canonical(ip);
    (ip.is_ipv4(), to_bits(ip))
}

fn is_dns_name(s: &str) -> bool {
    let s = s.trim_end_matches('.');
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

fn max_prefix(addr: IpAddr) -> u8 {
    match addr {
        IpAddr::V4(_) => 32,
        IpAddr::V6(_) => 128,
    }
}

fn to_bits(addr: IpAddr) -> u128 {
    match addr {
        IpAddr::V4(v4) => u128::from(u32::from(v4)),
        IpAddr::V6(v6) => u128::from(v6),
    }
}

fn mask(addr: IpAddr, prefix: u8) -> u128 {
    let width = u32::from(max_prefix(addr));
    let host_bits = width - u32::from(prefix);
    let full: u128 = if width == 128 {
        u128::MAX
    } else {
        (1u128 << width) - 1
    };
    if host_bits == 128 {
        0
    } else {
        full & !((1u128 << host_bits) - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    use proptest::prelude::*;

    #[test]
    fn parses_and_matches_v4_prefix() {
        let net: IpNet = "10.77.1.0/24".parse().unwrap();
        assert!(net.contains("10.77.1.9".parse().unwrap()));
        assert!(!net.contains("10.77.2.9".parse().unwrap()));
        assert!(net.contains("::ffff:10.77.1.9".parse().unwrap()));
    }

    #[test]
    fn rejects_host_bits_and_long_prefixes() {
        assert_eq!("10.0.0.1/24".parse::<IpNet>(), Err(NetError::HostBitsSet));
        assert!(matches!(
            "10.0.0.0/33".parse::<IpNet>(),
            Err(NetError::PrefixTooLong { .. })
        ));
        assert_eq!("10.0.0/8".parse::<IpNet>(), Err(NetError::BadAddress));
        assert_eq!("10.0.0.0/x".parse::<IpNet>(), Err(NetError::BadPrefix));
    }

    #[test]
    fn zero_prefix_matches_whole_family_only() {
        let v4: IpNet = "0.0.0.0/0".parse().unwrap();
        assert!(v4.contains("192.0.2.1".parse().unwrap()));
        assert!(!v4.contains("2001:db8::1".parse().unwrap()));
        let v6: IpNet = "::/0".parse().unwrap();
        assert!(v6.contains("2001:db8::1".parse().unwrap()));
    }

    #[test]
    fn host_set_matches_names_and_addresses() {
        let mut hosts = HostSet::default();
        hosts.push_entry("TFTP.example.net.").unwrap();
        hosts.push_entry("2001:db8::/64").unwrap();
        assert!(hosts.contains_host("tftp.example.net"));
        assert!(hosts.contains_host("[2001:db8::5]"));
        assert!(!hosts.contains_host("evil.example.net"));
        assert_eq!(hosts.push_entry("bad host!"), Err(NetError::BadHost));
    }

    proptest! {
        #[test]
        fn contains_agrees_with_range(a in any::<u32>(), b in any::<u32>(), p in 0u8..=32) {
            let base = Ipv4Addr::from(a & if p == 0 { 0 } else { u32::MAX << (32 - u32::from(p)) });
            let net = IpNet::new(IpAddr::V4(base), p).unwrap();
            let ip = IpAddr::V4(Ipv4Addr::from(b));
            let (lo, hi) = net.range();
            let (v4, x) = family_bits(ip);
            prop_assert!(v4);
            prop_assert_eq!(net.contains(ip), lo <= x && x <= hi);
        }

        #[test]
        fn v6_contains_agrees_with_range(a in any::<u128>(), b in any::<u128>(), p in 0u8..=128) {
            let m = if p == 0 { 0 } else { u128::MAX << (128 - u32::from(p)) };
            let net = IpNet::new(IpAddr::V6(Ipv6Addr::from(a & m)), p).unwrap();
            let ip = IpAddr::V6(Ipv6Addr::from(b));
            // Mapped addresses are canonicalised to IPv4 and never match an IPv6 prefix.
            prop_assume!(Ipv6Addr::from(b).to_ipv4_mapped().is_none());
            let (lo, hi) = net.range();
            let (v4, x) = family_bits(ip);
            prop_assert!(!v4);
            prop_assert_eq!(net.contains(ip), lo <= x && x <= hi);
        }
    }
}
