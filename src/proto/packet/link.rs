//! Link-layer headers: finds the IP header in a frame and the outermost VLAN ID. Ethernet II
//! (with 802.1Q 0x8100, 802.1ad 0x88a8 and the old QinQ 0x9100 tags), Linux cooked v1 (16
//! bytes, protocol at 14) and v2 (20 bytes, protocol at 0), raw IP by version nibble, BSD
//! loopback (4-byte family in the capturing host's order: 2 is IPv4; 24, 28 and 30 are IPv6).
//! Inputs: untrusted frames.

use super::{Layer, MAX_VLAN_TAGS, PacketError};
use crate::proto::pcap::LinkType;

/// The network-layer bytes of a frame.
pub(super) enum Network<'a> {
    V4(&'a [u8]),
    V6(&'a [u8]),
}

const ETHERTYPE_IPV4: u16 = 0x0800;
const ETHERTYPE_IPV6: u16 = 0x86dd;
const ETHERTYPE_VLAN: u16 = 0x8100;
const ETHERTYPE_QINQ: u16 = 0x88a8;
const ETHERTYPE_QINQ_OLD: u16 = 0x9100;

/// Strips the link layer: `None` for frames that do not carry IP.
pub(super) fn strip(
    link: LinkType,
    frame: &[u8],
) -> Result<Option<(Option<u16>, Network<'_>)>, PacketError> {
    match link {
        LinkType::Ethernet => ethertype_chain(frame, 12),
        LinkType::LinuxSll => {
            need::<0>(frame, 16)?;
            ethertype_chain(frame, 14)
        }
        LinkType::LinuxSll2 => {
            need::<0>(frame, 20)?;
            let rest = frame.get(20..).unwrap_or_default();
            Ok(by_ethertype(u16_at(frame, 0), rest).map(|n| (None, n)))
        }
        LinkType::Raw => Ok(by_version(frame).map(|n| (None, n))),
        LinkType::Ipv4 => Ok(Some((None, Network::V4(frame)))),
        LinkType::Ipv6 => Ok(Some((None, Network::V6(frame)))),
        LinkType::Null => {
            let family: [u8; 4] = need(frame, 4)?;
            let rest = frame.get(4..).unwrap_or_default();
            let network = match (u32::from_le_bytes(family), u32::from_be_bytes(family)) {
                (2, _) | (_, 2) => Some(Network::V4(rest)),
                (24 | 28 | 30, _) | (_, 24 | 28 | 30) => Some(Network::V6(rest)),
                _ => None,
            };
            Ok(network.map(|n| (None, n)))
        }
        LinkType::Other(_) => Ok(None),
    }
}

/// Follows the ethertype at `at` through VLAN tags to the payload.
fn ethertype_chain(
    frame: &[u8],
    mut at: usize,
) -> Result<Option<(Option<u16>, Network<'_>)>, PacketError> {
    need::<0>(frame, at + 2)?;
    let mut vlan = None;
    let mut tags = 0;
    let mut ethertype = u16_at(frame, at);
    while matches!(
        ethertype,
        ETHERTYPE_VLAN | ETHERTYPE_QINQ | ETHERTYPE_QINQ_OLD
    ) {
        tags += 1;
        if tags > MAX_VLAN_TAGS {
            return Err(PacketError::TooManyVlanTags {
                limit: MAX_VLAN_TAGS,
            });
        }
        need::<0>(frame, at + 6)?;
        if vlan.is_none() {
            vlan = Some(u16_at(frame, at + 2) & 0x0fff);
        }
        at += 4;
        ethertype = u16_at(frame, at);
    }
    let rest = frame.get(at + 2..).unwrap_or_default();
    Ok(by_ethertype(ethertype, rest).map(|n| (vlan, n)))
}

fn by_ethertype(ethertype: u16, rest: &[u8]) -> Option<Network<'_>> {
    match ethertype {
        ETHERTYPE_IPV4 => Some(Network::V4(rest)),
        ETHERTYPE_IPV6 => Some(Network::V6(rest)),
        _ => None,
    }
}

fn by_version(rest: &[u8]) -> Option<Network<'_>> {
    match rest.first().map(|b| b >> 4) {
        Some(4) => Some(Network::V4(rest)),
        Some(6) => Some(Network::V6(rest)),
        _ => None,
    }
}

/// Checks that `frame` holds `len` bytes and returns the first `N` of them.
fn need<const N: usize>(frame: &[u8], len: usize) -> Result<[u8; N], PacketError> {
    match (frame.len() >= len, frame.first_chunk::<N>()) {
        (true, Some(first)) => Ok(*first),
        _ => Err(PacketError::Truncated {
            layer: Layer::Link,
            needed: len.max(N),
            available: frame.len(),
        }),
    }
}

/// A big-endian u16 at `at`, 0 when out of bounds (callers check the length first).
pub(super) fn u16_at(bytes: &[u8], at: usize) -> u16 {
    bytes
        .get(at..at + 2)
        .and_then(|b| b.try_into().ok())
        .map_or(0, u16::from_be_bytes)
}

/// A big-endian u32 at `at`, 0 when out of bounds (callers check the length first).
pub(super) fn u32_at(bytes: &[u8], at: usize) -> u32 {
    bytes
        .get(at..at + 4)
        .and_then(|b| b.try_into().ok())
        .map_or(0, u32::from_be_bytes)
}
