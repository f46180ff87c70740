//! TCP and UDP headers over the IP payload: ports, sequence numbers, flags and the payload,
//! bounded by the IP payload (TCP) or the UDP length. Checksums are not verified: an auditor
//! reports what was on the wire. Inputs: untrusted frames.

use super::ip::{Body, IpPacket};
use super::link::{u16_at, u32_at};
use super::{Layer, PacketError, TcpFlags, TcpSegment, Transport, UdpDatagram};

const TCP: u8 = 6;
const UDP: u8 = 17;
const TCP_HEADER_BYTES: usize = 20;
const UDP_HEADER_BYTES: usize = 8;

pub(super) fn decode<'a>(ip: &IpPacket<'a>) -> Result<Transport<'a>, PacketError> {
    match ip.body {
        Body::Payload {
            protocol: TCP,
            bytes,
        } => tcp(bytes, ip.truncated).map(Transport::Tcp),
        Body::Payload {
            protocol: UDP,
            bytes,
        } => udp(bytes, ip.truncated).map(Transport::Udp),
        Body::Payload { protocol, .. } | Body::Opaque(protocol) => Ok(Transport::Other(protocol)),
        Body::Fragment {
            protocol,
            offset,
            more,
        } => Ok(Transport::Fragment {
            protocol,
            offset,
            more,
        }),
    }
}

fn tcp(segment: &[u8], truncated: bool) -> Result<TcpSegment<'_>, PacketError> {
    let header: &[u8; TCP_HEADER_BYTES] = segment
        .first_chunk()
        .ok_or_else(|| truncated_error(Layer::Tcp, TCP_HEADER_BYTES, segment.len()))?;
    let words = header[12] >> 4;
    let header_len = usize::from(words) * 4;
    if words < 5 || (header_len > segment.len() && !truncated) {
        return Err(PacketError::BadTcpDataOffset {
            words,
            segment_len: segment.len(),
        });
    }
    let payload = segment
        .get(header_len..)
        .ok_or_else(|| truncated_error(Layer::Tcp, header_len, segment.len()))?;
    Ok(TcpSegment {
        src_port: u16_at(header, 0),
        dst_port: u16_at(header, 2),
        seq: u32_at(header, 4),
        ack: u32_at(header, 8),
        flags: TcpFlags(header[13]),
        payload,
    })
}

fn udp(datagram: &[u8], truncated: bool) -> Result<UdpDatagram<'_>, PacketError> {
    let header: &[u8; UDP_HEADER_BYTES] = datagram
        .first_chunk()
        .ok_or_else(|| truncated_error(Layer::Udp, UDP_HEADER_BYTES, datagram.len()))?;
    let length = u16_at(header, 4);
    let len = usize::from(length);
    if len < UDP_HEADER_BYTES || (len > datagram.len() && !truncated) {
        return Err(PacketError::BadUdpLength {
            length,
            payload_len: datagram.len(),
        });
    }
    Ok(UdpDatagram {
        src_port: u16_at(header, 0),
        dst_port: u16_at(header, 2),
        payload: datagram
            .get(UDP_HEADER_BYTES..len.min(datagram.len()))
            .unwrap_or_default(),
    })
}

fn truncated_error(layer: Layer, needed: usize, available: usize) -> PacketError {
    PacketError::Truncated {
        layer,
        needed,
        available,
    }
}
