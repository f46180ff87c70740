//! CDP decoding: Ethernet/802.1Q/802.3/LLC-SNAP framing, the CDP header with its checksum, and
//! the TLVs. Every length is checked against the bytes actually present before it is used.

use std::net::{Ipv4Addr, Ipv6Addr};

use super::types::{Address, Capabilities, Duplex, Frame, Pdu, Tlv, Version};
use super::{
    CDP_MULTICAST, DecodeError, LLC_SNAP, MAX_ADDRESSES, MAX_FRAME_BYTES, MAX_PAYLOAD_BYTES,
    MAX_PDU_BYTES, MAX_TLVS, checksum, tlv_type,
};

/// NLPID protocol byte for IPv4.
pub(super) const NLPID_IPV4: u8 = 0xcc;
/// 802.2 protocol bytes for IPv6 (LLC/SNAP with EtherType 0x86DD).
pub(super) const PROTO_IPV6: [u8; 8] = [0xaa, 0xaa, 0x03, 0x00, 0x00, 0x00, 0x86, 0xdd];
/// Protocol type of NLPID entries.
pub(super) const PROTOCOL_TYPE_NLPID: u8 = 1;
/// Protocol type of 802.2 entries.
pub(super) const PROTOCOL_TYPE_8022: u8 = 2;
/// TPID of an 802.1Q tag.
pub(super) const TPID_8021Q: u16 = 0x8100;

/// Decodes a captured Ethernet frame (without FCS; trailing padding is ignored).
pub fn decode_frame(frame: &[u8]) -> Result<Frame, DecodeError> {
    if frame.len() > MAX_FRAME_BYTES {
        return Err(DecodeError::FrameTooLong {
            max: MAX_FRAME_BYTES,
            actual: frame.len(),
        });
    }
    let mut r = Reader::new(frame);
    let destination: [u8; 6] = r.array("Ethernet header")?;
    if destination != CDP_MULTICAST {
        return Err(DecodeError::NotCdpDestination { destination });
    }
    let source: [u8; 6] = r.array("Ethernet header")?;
    let mut type_or_length = r.u16("Ethernet header")?;
    let mut vlan = None;
    if type_or_length == TPID_8021Q {
        vlan = Some(r.u16("802.1Q tag")? & 0x0fff);
        type_or_length = r.u16("802.1Q tag")?;
    }
    let declared = usize::from(type_or_length);
    if declared > MAX_PAYLOAD_BYTES {
        return Err(DecodeError::NotLength {
            ethertype: type_or_length,
        });
    }
    let available = r.left();
    let payload = r.take(declared).ok_or(DecodeError::LengthBeyondFrame {
        declared,
        available,
    })?;
    let mut p = Reader::new(payload);
    let snap: [u8; 8] = p.array("LLC/SNAP header")?;
    if snap != LLC_SNAP {
        return Err(DecodeError::NotCdpSnap { found: snap });
    }
    let pdu_bytes = p.rest();
    let pdu = decode_pdu(pdu_bytes)?;
    let checksum = u16::from_be_bytes([pdu_bytes[2], pdu_bytes[3]]);
    Ok(Frame {
        source,
        vlan,
        checksum,
        pdu,
    })
}

/// Decodes a CDP PDU (from the version byte on) and verifies its checksum.
pub fn decode_pdu(pdu: &[u8]) -> Result<Pdu, DecodeError> {
    if pdu.len() > MAX_PDU_BYTES {
        return Err(DecodeError::PduTooLong {
            max: MAX_PDU_BYTES,
            actual: pdu.len(),
        });
    }
    let mut r = Reader::new(pdu);
    let version = match r.u8("CDP header")? {
        1 => Version::V1,
        2 => Version::V2,
        version => return Err(DecodeError::UnsupportedVersion { version }),
    };
    let ttl_secs = r.u8("CDP header")?;
    let declared = r.u16("CDP header")?;
    let mut zeroed = [0u8; MAX_PDU_BYTES];
    let zeroed = &mut zeroed[..pdu.len()];
    zeroed.copy_from_slice(pdu);
    zeroed[2..4].fill(0);
    let computed = checksum(zeroed);
    if computed != declared {
        return Err(DecodeError::ChecksumMismatch { declared, computed });
    }
    let mut tlvs = Vec::new();
    while r.left() > 0 {
        if tlvs.len() == MAX_TLVS {
            return Err(DecodeError::TooManyTlvs { max: MAX_TLVS });
        }
        tlvs.push(tlv(&mut r)?);
    }
    Ok(Pdu {
        version,
        ttl_secs,
        tlvs,
    })
}

fn tlv(r: &mut Reader<'_>) -> Result<Tlv, DecodeError> {
    let offset = r.pos;
    let kind = r.u16("TLV header")?;
    let length = usize::from(r.u16("TLV header")?);
    let available = r.left() + 4;
    if length < 4 || length > available {
        return Err(DecodeError::TlvLength {
            offset,
            kind,
            length,
            available,
        });
    }
    let value = r.take(length - 4).ok_or(DecodeError::TlvLength {
        offset,
        kind,
        length,
        available,
    })?;
    let text = || String::from_utf8_lossy(value).into_owned();
    Ok(match kind {
        tlv_type::DEVICE_ID => Tlv::DeviceId(text()),
        tlv_type::ADDRESSES => Tlv::Addresses(addresses(kind, value)?),
        tlv_type::PORT_ID => Tlv::PortId(text()),
        tlv_type::CAPABILITIES => {
            Tlv::Capabilities(Capabilities(u32::from_be_bytes(fixed(kind, value)?)))
        }
        tlv_type::SOFTWARE_VERSION => Tlv::SoftwareVersion(text()),
        tlv_type::PLATFORM => Tlv::Platform(text()),
        tlv_type::VTP_DOMAIN => Tlv::VtpDomain(text()),
        tlv_type::NATIVE_VLAN => Tlv::NativeVlan(u16::from_be_bytes(fixed(kind, value)?)),
        tlv_type::DUPLEX => Tlv::Duplex(Duplex::from_byte(fixed::<1>(kind, value)?[0])),
        tlv_type::MANAGEMENT_ADDRESSES => Tlv::ManagementAddresses(addresses(kind, value)?),
        _ => Tlv::Unknown {
            kind,
            value: value.to_vec(),
        },
    })
}

fn fixed<const N: usize>(kind: u16, value: &[u8]) -> Result<[u8; N], DecodeError> {
    value.try_into().map_err(|_| DecodeError::FixedLength {
        kind,
        expected: N,
        actual: value.len(),
    })
}

fn addresses(kind: u16, value: &[u8]) -> Result<Vec<Address>, DecodeError> {
    let mut r = Reader::new(value);
    let declared = r.u32("address count")?;
    let count = usize::try_from(declared)
        .ok()
        .filter(|n| *n <= MAX_ADDRESSES)
        .ok_or(DecodeError::TooManyAddresses {
            kind,
            declared,
            max: MAX_ADDRESSES,
        })?;
    let mut out = Vec::with_capacity(count);
    for index in 0..count {
        let entry = address(&mut r).ok_or(DecodeError::AddressEntry { kind, index })?;
        out.push(entry);
    }
    if r.left() != 0 {
        return Err(DecodeError::AddressEntry { kind, index: count });
    }
    Ok(out)
}

fn address(r: &mut Reader<'_>) -> Option<Address> {
    let protocol_type = r.u8("").ok()?;
    let protocol_len = usize::from(r.u8("").ok()?);
    let protocol = r.take(protocol_len)?;
    let address_len = usize::from(r.u16("").ok()?);
    let address = r.take(address_len)?;
    Some(match (protocol_type, protocol, address.len()) {
        (PROTOCOL_TYPE_NLPID, [NLPID_IPV4], 4) => {
            Address::Ipv4(Ipv4Addr::from(<[u8; 4]>::try_from(address).ok()?))
        }
        (PROTOCOL_TYPE_8022, p, 16) if p == PROTO_IPV6 => {
            Address::Ipv6(Ipv6Addr::from(<[u8; 16]>::try_from(address).ok()?))
        }
        _ => Address::Other {
            protocol_type,
            protocol: protocol.to_vec(),
            address: address.to_vec(),
        },
    })
}

/// A bounds-checked cursor over a byte slice.
struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn new(buf: &'a [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    fn left(&self) -> usize {
        self.buf.len() - self.pos
    }

    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let out = self.buf.get(self.pos..self.pos.checked_add(n)?)?;
        self.pos += n;
        Some(out)
    }

    fn rest(&mut self) -> &'a [u8] {
        let out = &self.buf[self.pos..];
        self.pos = self.buf.len();
        out
    }

    fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], DecodeError> {
        let available = self.left();
        self.take(N)
            .and_then(|b| b.try_into().ok())
            .ok_or(DecodeError::Truncated {
                what,
                needed: N,
                available,
            })
    }

    fn u8(&mut self, what: &'static str) -> Result<u8, DecodeError> {
        self.array::<1>(what).map(|[b]| b)
    }

    fn u16(&mut self, what: &'static str) -> Result<u16, DecodeError> {
        self.array(what).map(u16::from_be_bytes)
    }

    fn u32(&mut self, what: &'static str) -> Result<u32, DecodeError> {
        self.array(what).map(u32::from_be_bytes)
    }
}
