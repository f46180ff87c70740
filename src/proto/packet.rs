//! Packet decoding for the capture auditor: one captured frame in, the IP addresses, the outer
//! VLAN and the TCP segment or UDP datagram out, all borrowed from the frame. Pure, zero-copy,
//! no allocation.
//!
//! Layers:
//! - link ([`link`]): Ethernet II with up to [`MAX_VLAN_TAGS`] 802.1Q / 802.1ad / QinQ tags
//!   (the outermost VLAN ID is kept), Linux cooked v1 and v2, raw IP, BSD loopback;
//! - network ([`ip`]): IPv4 (header checked; the payload is cut to the total length, so Ethernet
//!   padding is ignored) and IPv6 with up to [`MAX_IPV6_EXTENSION_HEADERS`] extension headers;
//!   fragments are reported, not reassembled: any fragment, the first included, is
//!   [`Transport::Fragment`] because its transport header alone says nothing reliable;
//! - transport ([`transport`]): TCP (data offset checked, options skipped) and UDP (length
//!   checked).
//!
//! A frame cut by the capture's snap length decodes as far as its headers are complete and is
//! flagged [`Packet::truncated`]; headers cut short are [`PacketError::Truncated`].
//!
//! Inputs: captured frames, fully attacker-controlled. Every offset is bounds-checked; errors
//! are typed and name the layer. [`build`] writes frames for tests and generators.

pub mod build;
mod ip;
mod link;
mod transport;

#[cfg(test)]
mod tests;

use std::net::{IpAddr, SocketAddr};

use crate::proto::pcap::LinkType;

/// A decoded IP packet, borrowed from the frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Packet<'a> {
    /// The outermost VLAN ID (802.1Q or 802.1ad), if the frame was tagged.
    pub vlan: Option<u16>,
    /// Source address.
    pub src: IpAddr,
    /// Destination address.
    pub dst: IpAddr,
    /// The transport-layer content.
    pub transport: Transport<'a>,
    /// The capture holds fewer bytes than the IP header declares (snap length): the payload
    /// is what was captured.
    pub truncated: bool,
}

/// What an IP packet carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport<'a> {
    /// A TCP segment.
    Tcp(TcpSegment<'a>),
    /// A UDP datagram.
    Udp(UdpDatagram<'a>),
    /// A fragment of a larger datagram (IPv4 MF/offset or an IPv6 fragment header); not
    /// reassembled.
    Fragment {
        /// The protocol of the fragmented datagram.
        protocol: u8,
        /// Offset of this fragment in the datagram, in bytes.
        offset: u16,
        /// More fragments follow.
        more: bool,
    },
    /// Any other protocol (ICMP, ESP, no next header, ...), by protocol number.
    Other(u8),
}

/// A TCP segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TcpSegment<'a> {
    /// Source port.
    pub src_port: u16,
    /// Destination port.
    pub dst_port: u16,
    /// Sequence number.
    pub seq: u32,
    /// Acknowledgement number.
    pub ack: u32,
    /// Control flags.
    pub flags: TcpFlags,
    /// Segment data after the header and options, bounded by the IP payload length.
    pub payload: &'a [u8],
}

/// A UDP datagram.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UdpDatagram<'a> {
    /// Source port.
    pub src_port: u16,
    /// Destination port.
    pub dst_port: u16,
    /// Datagram data, bounded by the UDP length.
    pub payload: &'a [u8],
}

/// TCP control flags (the low byte of the flags field).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct TcpFlags(pub u8);

impl TcpFlags {
    /// No more data from the sender.
    pub const FIN: Self = Self(0x01);
    /// Synchronize sequence numbers.
    pub const SYN: Self = Self(0x02);
    /// Reset the connection.
    pub const RST: Self = Self(0x04);
    /// Push.
    pub const PSH: Self = Self(0x08);
    /// The acknowledgement field is significant.
    pub const ACK: Self = Self(0x10);
    /// The urgent pointer is significant.
    pub const URG: Self = Self(0x20);

    /// True when every flag of `other` is set.
    pub fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }

    /// A SYN without ACK: the segment that opens a connection.
    pub fn opens(self) -> bool {
        self.contains(Self::SYN) && !self.contains(Self::ACK)
    }
}

impl std::ops::BitOr for TcpFlags {
    type Output = Self;

    fn bitor(self, rhs: Self) -> Self {
        Self(self.0 | rhs.0)
    }
}

/// The protocol layer a [`PacketError`] refers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layer {
    /// Link-layer header (Ethernet, VLAN tags, cooked, loopback).
    Link,
    /// IPv4 header.
    Ipv4,
    /// IPv6 header.
    Ipv6,
    /// An IPv6 extension header.
    Ipv6Extension,
    /// TCP header.
    Tcp,
    /// UDP header.
    Udp,
}

/// Why a frame could not be decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PacketError {
    /// A header is cut short by the end of the frame.
    #[error("{layer:?} header needs {needed} bytes, {available} captured")]
    Truncated {
        /// The layer whose header is incomplete.
        layer: Layer,
        /// Bytes the header needs.
        needed: usize,
        /// Bytes present.
        available: usize,
    },
    /// More VLAN tags than [`MAX_VLAN_TAGS`].
    #[error("more than {limit} VLAN tags")]
    TooManyVlanTags {
        /// The limit.
        limit: usize,
    },
    /// The IP version field disagrees with the link layer.
    #[error("{layer:?} header has version {version}")]
    BadIpVersion {
        /// The expected layer.
        layer: Layer,
        /// The version nibble.
        version: u8,
    },
    /// An IPv4 header length (IHL) below 5 words.
    #[error("IPv4 header length of {words} words is below 5")]
    BadIpv4HeaderLength {
        /// The IHL field.
        words: u8,
    },
    /// An IPv4 total length smaller than its header.
    #[error("IPv4 total length {total_len} is shorter than its {header_len}-byte header")]
    BadIpv4TotalLength {
        /// The total length field.
        total_len: u16,
        /// The header length in bytes.
        header_len: usize,
    },
    /// More IPv6 extension headers than [`MAX_IPV6_EXTENSION_HEADERS`].
    #[error("more than {limit} IPv6 extension headers")]
    TooManyExtensionHeaders {
        /// The limit.
        limit: usize,
    },
    /// An IPv6 extension header that runs past the payload length.
    #[error("IPv6 extension header {next_header} of {length} bytes overruns the payload")]
    ExtensionHeaderOverrun {
        /// The extension header type.
        next_header: u8,
        /// Its length in bytes.
        length: usize,
    },
    /// A TCP data offset below 5 words or beyond the segment.
    #[error("TCP data offset of {words} words does not fit a {segment_len}-byte segment")]
    BadTcpDataOffset {
        /// The data offset field.
        words: u8,
        /// The segment length from the IP header.
        segment_len: usize,
    },
    /// A UDP length below 8 or beyond the IP payload.
    #[error("UDP length {length} does not fit an IP payload of {payload_len} bytes")]
    BadUdpLength {
        /// The UDP length field.
        length: u16,
        /// The IP payload length.
        payload_len: usize,
    },
}

/// Decodes a captured frame of the given link type; `Ok(None)` for frames that are not IPv4
/// or IPv6 (ARP, LLC/CDP, LLDP, unknown link types).
///
/// # Errors
/// A [`PacketError`] for an IP frame whose headers are truncated or inconsistent.
pub fn decode(link: LinkType, frame: &[u8]) -> Result<Option<Packet<'_>>, PacketError> {
    let Some((vlan, network)) = link::strip(link, frame)? else {
        return Ok(None);
    };
    let ip = match network {
        link::Network::V4(bytes) => ip::ipv4(bytes)?,
        link::Network::V6(bytes) => ip::ipv6(bytes)?,
    };
    let transport = transport::decode(&ip)?;
    Ok(Some(Packet {
        vlan,
        src: ip.src,
        dst: ip.dst,
        transport,
        truncated: ip.truncated,
    }))
}

impl Packet<'_> {
    /// Source address and port of a TCP segment or UDP datagram.
    pub fn src_socket(&self) -> Option<SocketAddr> {
        self.ports().map(|(src, _)| SocketAddr::new(self.src, src))
    }

    /// Destination address and port of a TCP segment or UDP datagram.
    pub fn dst_socket(&self) -> Option<SocketAddr> {
        self.ports().map(|(_, dst)| SocketAddr::new(self.dst, dst))
    }

    fn ports(&self) -> Option<(u16, u16)> {
        match &self.transport {
            Transport::Tcp(tcp) => Some((tcp.src_port, tcp.dst_port)),
            Transport::Udp(udp) => Some((udp.src_port, udp.dst_port)),
            Transport::Fragment { .. } | Transport::Other(_) => None,
        }
    }
}

/// Most VLAN tags walked before the frame is rejected.
pub const MAX_VLAN_TAGS: usize = 4;
/// Most IPv6 extension headers walked before the packet is rejected.
pub const MAX_IPV6_EXTENSION_HEADERS: usize = 8;
