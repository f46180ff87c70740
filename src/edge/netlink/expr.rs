//! Translates one planned rule into nftnl expressions.
//!
//! Trusts the plan. Byte order matters: `nftnl` compares integers in native order, so ports are
//! sent as big-endian bytes; addresses are already in network order. Family checks come first,
//! as the plan orders them, so IPv4 fields are never loaded from an IPv6 packet.

use std::net::IpAddr;

use nftnl::expr::{
    Bitwise, Cmp, CmpOp, Counter, Immediate, Ipv4HeaderField, Ipv6HeaderField, Meta, Nat, NatType,
    NetworkHeaderField, Payload, Register, TcpHeaderField, TransportHeaderField, UdpHeaderField,
};
use nftnl::{Chain, ProtoFamily, Rule};

use super::{ApplyError, cstring};
use crate::policy::firewall::{self, Family, Match, Protocol, Verdict};
use crate::policy::net::IpNet;

const NFPROTO_IPV4: u8 = 0x02;
const NFPROTO_IPV6: u8 = 0x0a;
const IPPROTO_TCP: u8 = 0x06;
const IPPROTO_UDP: u8 = 0x11;

/// The nftnl rule for `planned`, in `chain`.
pub(super) fn rule<'a>(
    chain: &'a Chain<'a>,
    planned: &firewall::Rule,
) -> Result<Rule<'a>, ApplyError> {
    let mut rule = Rule::new(chain);
    for m in &planned.matches {
        add_match(&mut rule, m);
    }
    if planned.counter {
        rule.add_expr(&Counter);
    }
    add_verdict(&mut rule, &planned.verdict)?;
    let comment = format!("ztpgate:{}", planned.reason);
    rule.set_comment(cstring(&comment)?)
        .map_err(|reason| ApplyError::Name {
            name: comment,
            reason,
        })?;
    Ok(rule)
}

fn add_match(rule: &mut Rule<'_>, m: &Match) {
    match m {
        Match::Family(f) => {
            rule.add_expr(&Meta::NfProto);
            rule.add_expr(&Cmp::new(CmpOp::Eq, nfproto(*f)));
        }
        Match::Protocol(p) => {
            rule.add_expr(&Meta::L4Proto);
            rule.add_expr(&Cmp::new(CmpOp::Eq, ipproto(*p)));
        }
        Match::DestinationPort(p, port) => {
            let field = match p {
                Protocol::Tcp => TransportHeaderField::Tcp(TcpHeaderField::Dport),
                Protocol::Udp => TransportHeaderField::Udp(UdpHeaderField::Dport),
            };
            rule.add_expr(&Payload::Transport(field));
            rule.add_expr(&Cmp::new(CmpOp::Eq, &port.to_be_bytes()[..]));
        }
        Match::Source(net) => add_prefix(rule, net, true),
        Match::Destination(net) => add_prefix(rule, net, false),
    }
}

/// Loads the address, masks it to the prefix length (unless a host) and compares.
fn add_prefix(rule: &mut Rule<'_>, net: &IpNet, source: bool) {
    let field = match (net.addr(), source) {
        (IpAddr::V4(_), true) => NetworkHeaderField::Ipv4(Ipv4HeaderField::Saddr),
        (IpAddr::V4(_), false) => NetworkHeaderField::Ipv4(Ipv4HeaderField::Daddr),
        (IpAddr::V6(_), true) => NetworkHeaderField::Ipv6(Ipv6HeaderField::Saddr),
        (IpAddr::V6(_), false) => NetworkHeaderField::Ipv6(Ipv6HeaderField::Daddr),
    };
    rule.add_expr(&Payload::Network(field));
    let (bytes, host_len): (Vec<u8>, u8) = match net.addr() {
        IpAddr::V4(a) => (a.octets().to_vec(), 32),
        IpAddr::V6(a) => (a.octets().to_vec(), 128),
    };
    if net.prefix() < host_len {
        let mask = prefix_mask(net.prefix(), bytes.len());
        let zero = vec![0u8; bytes.len()];
        rule.add_expr(&Bitwise::new(&mask[..], &zero[..]));
    }
    rule.add_expr(&Cmp::new(CmpOp::Eq, &bytes[..]));
}

fn add_verdict(rule: &mut Rule<'_>, verdict: &Verdict) -> Result<(), ApplyError> {
    let v = match verdict {
        Verdict::Accept => nftnl::expr::Verdict::Accept,
        Verdict::Drop => nftnl::expr::Verdict::Drop,
        Verdict::Jump(chain) => nftnl::expr::Verdict::Jump {
            chain: cstring(chain)?,
        },
        Verdict::Goto(chain) => nftnl::expr::Verdict::Goto {
            chain: cstring(chain)?,
        },
        Verdict::Dnat(addr, port) => {
            add_dnat(rule, *addr, *port);
            return Ok(());
        }
    };
    rule.add_expr(&v);
    Ok(())
}

/// `dnat to addr:port`: address in register 1, big-endian port in register 2.
fn add_dnat(rule: &mut Rule<'_>, addr: IpAddr, port: u16) {
    let family = match addr {
        IpAddr::V4(a) => {
            rule.add_expr(&Immediate::new(a.octets(), Register::Reg1));
            ProtoFamily::Ipv4
        }
        IpAddr::V6(a) => {
            rule.add_expr(&Immediate::new(a.octets(), Register::Reg1));
            ProtoFamily::Ipv6
        }
    };
    rule.add_expr(&Immediate::new(port.to_be_bytes(), Register::Reg2));
    rule.add_expr(&Nat {
        nat_type: NatType::DNat,
        family,
        ip_register: Register::Reg1,
        port_register: Some(Register::Reg2),
    });
}

fn nfproto(f: Family) -> u8 {
    match f {
        Family::Ipv4 => NFPROTO_IPV4,
        Family::Ipv6 => NFPROTO_IPV6,
    }
}

fn ipproto(p: Protocol) -> u8 {
    match p {
        Protocol::Tcp => IPPROTO_TCP,
        Protocol::Udp => IPPROTO_UDP,
    }
}

/// `len` bytes with the first `prefix` bits set.
fn prefix_mask(prefix: u8, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| {
            let bits = usize::from(prefix).saturating_sub(i * 8).min(8);
            if bits == 0 { 0 } else { 0xffu8 << (8 - bits) }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_mask_sets_leading_bits() {
        assert_eq!(prefix_mask(0, 4), [0, 0, 0, 0]);
        assert_eq!(prefix_mask(12, 4), [0xff, 0xf0, 0, 0]);
        assert_eq!(prefix_mask(24, 4), [0xff, 0xff, 0xff, 0]);
        assert_eq!(
            prefix_mask(65, 16)[..9],
            [0xff; 8].iter().chain(&[0x80]).copied().collect::<Vec<_>>()[..]
        );
    }
}
