//! CDP encoding: TLVs into a PDU with its checksum, and a PDU into the Ethernet frame a switch
//! sends (802.3 + LLC/SNAP to 01:00:0c:cc:cc:cc, padded to 60 bytes, optional 802.1Q tag).

use super::decode::{NLPID_IPV4, PROTO_IPV6, PROTOCOL_TYPE_8022, PROTOCOL_TYPE_NLPID, TPID_8021Q};
use super::types::{Address, Pdu, Tlv};
use super::{CDP_MULTICAST, EncodeError, LLC_SNAP, MAX_ADDRESSES, MAX_PDU_BYTES, MAX_TLVS};
use super::{MIN_FRAME_BYTES, checksum};

/// Encodes a PDU (version, TTL, checksum, TLVs) with its checksum filled in.
pub fn encode_pdu(pdu: &Pdu) -> Result<Vec<u8>, EncodeError> {
    let mut out = vec![pdu.version.number(), pdu.ttl_secs, 0, 0];
    for tlv in &pdu.tlvs {
        let value = value(tlv)?;
        let kind = tlv.kind();
        let length = u16::try_from(value.len() + 4).map_err(|_| EncodeError::TlvTooLong {
            kind,
            actual: value.len(),
        })?;
        out.extend_from_slice(&kind.to_be_bytes());
        out.extend_from_slice(&length.to_be_bytes());
        out.extend_from_slice(&value);
    }
    if out.len() > MAX_PDU_BYTES || pdu.tlvs.len() > MAX_TLVS {
        return Err(EncodeError::PduTooLong {
            actual: out.len(),
            tlvs: pdu.tlvs.len(),
            max: MAX_PDU_BYTES,
            max_tlvs: MAX_TLVS,
        });
    }
    let sum = checksum(&out);
    out[2..4].copy_from_slice(&sum.to_be_bytes());
    Ok(out)
}

/// Encodes the Ethernet frame carrying `pdu` from `source`, tagged with `vlan` when given.
pub fn encode_frame(source: [u8; 6], vlan: Option<u16>, pdu: &Pdu) -> Result<Vec<u8>, EncodeError> {
    let body = encode_pdu(pdu)?;
    let mut out = Vec::with_capacity(22 + LLC_SNAP.len() + body.len());
    out.extend_from_slice(&CDP_MULTICAST);
    out.extend_from_slice(&source);
    if let Some(vlan) = vlan {
        if vlan > 0x0fff {
            return Err(EncodeError::Vlan { vlan });
        }
        out.extend_from_slice(&TPID_8021Q.to_be_bytes());
        out.extend_from_slice(&vlan.to_be_bytes());
    }
    // encode_pdu bounds the PDU to MAX_PDU_BYTES, so the payload is at most 1500 bytes.
    let payload_len =
        u16::try_from(LLC_SNAP.len() + body.len()).map_err(|_| EncodeError::PduTooLong {
            actual: body.len(),
            tlvs: pdu.tlvs.len(),
            max: MAX_PDU_BYTES,
            max_tlvs: MAX_TLVS,
        })?;
    out.extend_from_slice(&payload_len.to_be_bytes());
    out.extend_from_slice(&LLC_SNAP);
    out.extend_from_slice(&body);
    if out.len() < MIN_FRAME_BYTES {
        out.resize(MIN_FRAME_BYTES, 0);
    }
    Ok(out)
}

fn value(tlv: &Tlv) -> Result<Vec<u8>, EncodeError> {
    Ok(match tlv {
        Tlv::DeviceId(s)
        | Tlv::PortId(s)
        | Tlv::SoftwareVersion(s)
        | Tlv::Platform(s)
        | Tlv::VtpDomain(s) => s.as_bytes().to_vec(),
        Tlv::Addresses(a) | Tlv::ManagementAddresses(a) => addresses(tlv.kind(), a)?,
        Tlv::Capabilities(c) => c.0.to_be_bytes().to_vec(),
        Tlv::NativeVlan(v) => v.to_be_bytes().to_vec(),
        Tlv::Duplex(d) => vec![d.byte()],
        Tlv::Unknown { value, .. } => value.clone(),
    })
}

fn addresses(kind: u16, list: &[Address]) -> Result<Vec<u8>, EncodeError> {
    let err = EncodeError::Addresses {
        kind,
        count: list.len(),
        max: MAX_ADDRESSES,
    };
    if list.len() > MAX_ADDRESSES {
        return Err(err);
    }
    // At most MAX_ADDRESSES (16) entries: the count fits u32.
    let mut out = (list.len() as u32).to_be_bytes().to_vec();
    for a in list {
        let (protocol_type, protocol, address): (u8, &[u8], Vec<u8>) = match a {
            Address::Ipv4(ip) => (PROTOCOL_TYPE_NLPID, &[NLPID_IPV4], ip.octets().to_vec()),
            Address::Ipv6(ip) => (PROTOCOL_TYPE_8022, &PROTO_IPV6, ip.octets().to_vec()),
            Address::Other {
                protocol_type,
                protocol,
                address,
            } => (*protocol_type, protocol, address.clone()),
        };
        let protocol_len = u8::try_from(protocol.len()).map_err(|_| err.clone())?;
        let address_len = u16::try_from(address.len()).map_err(|_| err.clone())?;
        out.push(protocol_type);
        out.push(protocol_len);
        out.extend_from_slice(protocol);
        out.extend_from_slice(&address_len.to_be_bytes());
        out.extend_from_slice(&address);
    }
    Ok(out)
}
