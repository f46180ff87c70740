//! IPv4 and IPv6 headers: addresses, the transport protocol and the transport bytes, cut to
//! the length the IP header declares (so Ethernet padding never reaches TCP) or to what was
//! captured (flagged as truncated). IPv6 extension headers are walked up to a bound; fragments
//! are reported, not reassembled. Inputs: untrusted frames.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::link::u16_at;
use super::{Layer, MAX_IPV6_EXTENSION_HEADERS, PacketError};

/// What the transport decoder needs from the IP layer.
pub(super) struct IpPacket<'a> {
    pub(super) src: IpAddr,
    pub(super) dst: IpAddr,
    pub(super) body: Body<'a>,
    pub(super) truncated: bool,
}

/// The content after the IP headers.
pub(super) enum Body<'a> {
    /// A whole (unfragmented) payload of the given protocol.
    Payload { protocol: u8, bytes: &'a [u8] },
    /// A fragment.
    Fragment {
        protocol: u8,
        offset: u16,
        more: bool,
    },
    /// Nothing decodable follows (ESP, no next header).
    Opaque(u8),
}

const IPV4_HEADER_BYTES: usize = 20;
const IPV6_HEADER_BYTES: usize = 40;

const HOP_BY_HOP: u8 = 0;
const ROUTING: u8 = 43;
const FRAGMENT: u8 = 44;
const ESP: u8 = 50;
const AUTHENTICATION: u8 = 51;
const NO_NEXT_HEADER: u8 = 59;
const DESTINATION_OPTIONS: u8 = 60;

pub(super) fn ipv4(bytes: &[u8]) -> Result<IpPacket<'_>, PacketError> {
    let header: &[u8; IPV4_HEADER_BYTES] = bytes.first_chunk().ok_or(PacketError::Truncated {
        layer: Layer::Ipv4,
        needed: IPV4_HEADER_BYTES,
        available: bytes.len(),
    })?;
    let version = header[0] >> 4;
    if version != 4 {
        return Err(PacketError::BadIpVersion {
            layer: Layer::Ipv4,
            version,
        });
    }
    let words = header[0] & 0x0f;
    if words < 5 {
        return Err(PacketError::BadIpv4HeaderLength { words });
    }
    let header_len = usize::from(words) * 4;
    let total_len = u16_at(header, 2);
    if usize::from(total_len) < header_len {
        return Err(PacketError::BadIpv4TotalLength {
            total_len,
            header_len,
        });
    }
    if bytes.len() < header_len {
        return Err(PacketError::Truncated {
            layer: Layer::Ipv4,
            needed: header_len,
            available: bytes.len(),
        });
    }
    let end = usize::from(total_len).min(bytes.len());
    let payload = bytes.get(header_len..end).unwrap_or_default();
    let fragment = u16_at(header, 6);
    let protocol = header[9];
    let (offset, more) = ((fragment & 0x1fff) << 3, fragment & 0x2000 != 0);
    let body = if offset != 0 || more {
        Body::Fragment {
            protocol,
            offset,
            more,
        }
    } else {
        Body::Payload {
            protocol,
            bytes: payload,
        }
    };
    let [a, b, c, d] = [header[12], header[13], header[14], header[15]];
    let [e, f, g, h] = [header[16], header[17], header[18], header[19]];
    Ok(IpPacket {
        src: IpAddr::V4(Ipv4Addr::new(a, b, c, d)),
        dst: IpAddr::V4(Ipv4Addr::new(e, f, g, h)),
        body,
        truncated: bytes.len() < usize::from(total_len),
    })
}

pub(super) fn ipv6(bytes: &[u8]) -> Result<IpPacket<'_>, PacketError> {
    let header: &[u8; IPV6_HEADER_BYTES] = bytes.first_chunk().ok_or(PacketError::Truncated {
        layer: Layer::Ipv6,
        needed: IPV6_HEADER_BYTES,
        available: bytes.len(),
    })?;
    let version = header[0] >> 4;
    if version != 6 {
        return Err(PacketError::BadIpVersion {
            layer: Layer::Ipv6,
            version,
        });
    }
    let payload_len = usize::from(u16_at(header, 4));
    let end = IPV6_HEADER_BYTES + payload_len;
    let truncated = bytes.len() < end;
    let payload = bytes
        .get(IPV6_HEADER_BYTES..end.min(bytes.len()))
        .unwrap_or_default();
    let src = address(header, 8);
    let dst = address(header, 24);
    let body = extension_headers(header[6], payload, truncated)?;
    Ok(IpPacket {
        src: IpAddr::V6(src),
        dst: IpAddr::V6(dst),
        body,
        truncated,
    })
}

/// Walks the extension headers to the upper-layer protocol.
fn extension_headers(
    mut next: u8,
    mut rest: &[u8],
    truncated: bool,
) -> Result<Body<'_>, PacketError> {
    for _ in 0..=MAX_IPV6_EXTENSION_HEADERS {
        let length = match next {
            HOP_BY_HOP | ROUTING | DESTINATION_OPTIONS => {
                rest.get(1).map(|&n| (usize::from(n) + 1) * 8)
            }
            AUTHENTICATION => rest.get(1).map(|&n| (usize::from(n) + 2) * 4),
            FRAGMENT => Some(8),
            ESP | NO_NEXT_HEADER => return Ok(Body::Opaque(next)),
            protocol => {
                return Ok(Body::Payload {
                    protocol,
                    bytes: rest,
                });
            }
        };
        let Some((header, after)) = length.and_then(|n| rest.split_at_checked(n)) else {
            return Err(extension_error(next, length, rest, truncated));
        };
        let header_type = next;
        next = header.first().copied().unwrap_or(NO_NEXT_HEADER);
        rest = after;
        if header_type == FRAGMENT {
            let field = u16_at(header, 2);
            let (offset, more) = (field & 0xfff8, field & 1 != 0);
            if offset != 0 || more {
                return Ok(Body::Fragment {
                    protocol: next,
                    offset,
                    more,
                });
            }
            // An atomic fragment (offset 0, no more): the payload is whole.
        }
    }
    Err(PacketError::TooManyExtensionHeaders {
        limit: MAX_IPV6_EXTENSION_HEADERS,
    })
}

fn extension_error(next: u8, length: Option<usize>, rest: &[u8], truncated: bool) -> PacketError {
    match length {
        Some(length) if !truncated => PacketError::ExtensionHeaderOverrun {
            next_header: next,
            length,
        },
        _ => PacketError::Truncated {
            layer: Layer::Ipv6Extension,
            needed: length.unwrap_or(2),
            available: rest.len(),
        },
    }
}

fn address(header: &[u8; IPV6_HEADER_BYTES], at: usize) -> Ipv6Addr {
    let mut octets = [0u8; 16];
    if let Some(bytes) = header.get(at..at + 16) {
        octets.copy_from_slice(bytes);
    }
    Ipv6Addr::from(octets)
}
