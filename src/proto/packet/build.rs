//! Frame writers for tests, benchmark generators and fuzz seeds: whole TCP and UDP frames with
//! correct IPv4 header checksums and TCP/UDP checksums (IPv4 and IPv6 pseudo-headers), over
//! Ethernet (0, 1 or 2 VLAN tags), Linux cooked v1/v2, raw IP or BSD loopback; and
//! [`TcpConversation`], which tracks both sequence spaces of one connection and writes its
//! handshake, data, retransmissions, close and reset. Pure.
//!
//! Inputs: trusted values from the caller. Two quirks are documented rather than refused so
//! the writers stay infallible: an IPv4 and an IPv6 endpoint in one frame are both written as
//! IPv6 (the IPv4 one as `::ffff:a.b.c.d`), and a payload longer than one IP packet can carry
//! is cut to the largest that fits.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};

use super::TcpFlags;
use crate::proto::pcap::LinkType;

/// The link layer a frame is written with.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Framing {
    /// Ethernet II, untagged.
    #[default]
    Ethernet,
    /// Ethernet II with one 802.1Q tag.
    Vlan(u16),
    /// Ethernet II with an 802.1ad outer tag and an 802.1Q inner tag.
    QinQ {
        /// Service (outer) VLAN ID.
        outer: u16,
        /// Customer (inner) VLAN ID.
        inner: u16,
    },
    /// Linux cooked capture v1.
    LinuxSll,
    /// Linux cooked capture v2.
    LinuxSll2,
    /// Raw IP, no link header.
    Raw,
    /// BSD loopback with a little-endian family.
    Null,
}

/// How frames are written: link layer, MAC addresses and TTL / hop limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameSpec {
    /// Link layer.
    pub framing: Framing,
    /// Source MAC (Ethernet and cooked headers).
    pub src_mac: [u8; 6],
    /// Destination MAC (Ethernet).
    pub dst_mac: [u8; 6],
    /// IPv4 TTL / IPv6 hop limit.
    pub ttl: u8,
}

impl Default for FrameSpec {
    fn default() -> Self {
        Self::new(Framing::Ethernet)
    }
}

impl FrameSpec {
    /// A spec with the given framing, locally administered MACs and TTL 64.
    pub fn new(framing: Framing) -> Self {
        Self {
            framing,
            src_mac: [0x02, 0, 0, 0, 0, 0x01],
            dst_mac: [0x02, 0, 0, 0, 0, 0x02],
            ttl: 64,
        }
    }

    /// The capture link type these frames must be stored under.
    pub fn link_type(&self) -> LinkType {
        match self.framing {
            Framing::Ethernet | Framing::Vlan(_) | Framing::QinQ { .. } => LinkType::Ethernet,
            Framing::LinuxSll => LinkType::LinuxSll,
            Framing::LinuxSll2 => LinkType::LinuxSll2,
            Framing::Raw => LinkType::Raw,
            Framing::Null => LinkType::Null,
        }
    }
}

/// The TCP header fields a caller chooses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TcpHeader {
    /// Sequence number.
    pub seq: u32,
    /// Acknowledgement number.
    pub ack: u32,
    /// Control flags.
    pub flags: TcpFlags,
    /// Receive window.
    pub window: u16,
}

/// A TCP frame (window 65535).
pub fn tcp_frame(
    spec: &FrameSpec,
    src: SocketAddr,
    dst: SocketAddr,
    seq: u32,
    ack: u32,
    flags: TcpFlags,
    payload: &[u8],
) -> Vec<u8> {
    let mut out = Vec::with_capacity(96 + payload.len());
    let header = TcpHeader {
        seq,
        ack,
        flags,
        window: 0xffff,
    };
    write_tcp_frame(&mut out, spec, src, dst, &header, payload);
    out
}

/// Appends a TCP frame to `out` (no allocation when `out` has room).
pub fn write_tcp_frame(
    out: &mut Vec<u8>,
    spec: &FrameSpec,
    src: SocketAddr,
    dst: SocketAddr,
    header: &TcpHeader,
    payload: &[u8],
) {
    let mut tcp = [0u8; 20];
    put16(&mut tcp, 0, src.port());
    put16(&mut tcp, 2, dst.port());
    tcp[4..8].copy_from_slice(&header.seq.to_be_bytes());
    tcp[8..12].copy_from_slice(&header.ack.to_be_bytes());
    tcp[12] = 5 << 4;
    tcp[13] = header.flags.0;
    put16(&mut tcp, 14, header.window);
    write_ip_frame(
        out,
        spec,
        (src.ip(), dst.ip()),
        PROTO_TCP,
        &mut tcp,
        payload,
        16,
    );
}

/// A UDP frame.
pub fn udp_frame(spec: &FrameSpec, src: SocketAddr, dst: SocketAddr, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(96 + payload.len());
    write_udp_frame(&mut out, spec, src, dst, payload);
    out
}

/// Appends a UDP frame to `out`.
pub fn write_udp_frame(
    out: &mut Vec<u8>,
    spec: &FrameSpec,
    src: SocketAddr,
    dst: SocketAddr,
    payload: &[u8],
) {
    let mut udp = [0u8; 8];
    put16(&mut udp, 0, src.port());
    put16(&mut udp, 2, dst.port());
    write_ip_frame(
        out,
        spec,
        (src.ip(), dst.ip()),
        PROTO_UDP,
        &mut udp,
        payload,
        6,
    );
}

/// The Internet checksum (RFC 1071) of `data`, folded and complemented.
pub fn internet_checksum(data: &[u8]) -> u16 {
    fold(sum(0, data))
}

/// Which end of a [`TcpConversation`] sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// The end that opened the connection.
    Client,
    /// The end that accepted it.
    Server,
}

impl Side {
    /// The other end.
    pub fn peer(self) -> Self {
        match self {
            Self::Client => Self::Server,
            Self::Server => Self::Client,
        }
    }

    fn index(self) -> usize {
        match self {
            Self::Client => 0,
            Self::Server => 1,
        }
    }
}

/// One TCP connection between a client and a server: tracks both sequence spaces and writes
/// the frames of a well-behaved exchange, plus retransmissions. Frames come back as separate
/// buffers so a caller can drop, repeat or reorder them (out-of-order delivery).
#[derive(Clone, Debug)]
pub struct TcpConversation {
    spec: FrameSpec,
    ends: [SocketAddr; 2],
    isn: [u32; 2],
    /// Next sequence number each side sends.
    next: [u32; 2],
    scratch: Vec<u8>,
}

impl TcpConversation {
    /// A conversation with initial sequence numbers 0x1000_0000 (client) and 0x2000_0000
    /// (server).
    pub fn new(spec: FrameSpec, client: SocketAddr, server: SocketAddr) -> Self {
        Self::with_isn(spec, client, server, 0x1000_0000, 0x2000_0000)
    }

    /// A conversation with chosen initial sequence numbers (to test wrap-around).
    pub fn with_isn(
        spec: FrameSpec,
        client: SocketAddr,
        server: SocketAddr,
        client_isn: u32,
        server_isn: u32,
    ) -> Self {
        Self {
            spec,
            ends: [client, server],
            isn: [client_isn, server_isn],
            next: [client_isn, server_isn],
            scratch: Vec::with_capacity(2048),
        }
    }

    /// The address of one end.
    pub fn addr(&self, side: Side) -> SocketAddr {
        self.ends[side.index()]
    }

    /// The next sequence number `side` will send.
    pub fn next_seq(&self, side: Side) -> u32 {
        self.next[side.index()]
    }

    /// The sequence number of byte `offset` of the data `side` sends (after the SYN).
    pub fn seq_at(&self, side: Side, offset: u32) -> u32 {
        self.isn[side.index()].wrapping_add(1).wrapping_add(offset)
    }

    /// SYN, SYN-ACK, ACK.
    pub fn handshake(&mut self) -> Vec<Vec<u8>> {
        let syn = self.control(Side::Client, TcpFlags::SYN, 1);
        let syn_ack = self.control(Side::Server, TcpFlags::SYN | TcpFlags::ACK, 1);
        let ack = self.control(Side::Client, TcpFlags::ACK, 0);
        vec![syn, syn_ack, ack]
    }

    /// `data` from `from`, cut into segments of at most `segment_size` bytes (0: one segment);
    /// the last segment carries PSH.
    pub fn send(&mut self, from: Side, data: &[u8], segment_size: usize) -> Vec<Vec<u8>> {
        let mut frames = Vec::new();
        self.send_each(from, data, segment_size, |frame| {
            frames.push(frame.to_vec())
        });
        frames
    }

    /// Like [`send`](Self::send), handing each frame to `sink` from a reused buffer (no
    /// allocation per frame).
    pub fn send_each(
        &mut self,
        from: Side,
        data: &[u8],
        segment_size: usize,
        mut sink: impl FnMut(&[u8]),
    ) {
        let size = if segment_size == 0 {
            data.len().max(1)
        } else {
            segment_size
        };
        let mut chunks = data.chunks(size).peekable();
        while let Some(chunk) = chunks.next() {
            let flags = if chunks.peek().is_none() {
                TcpFlags::ACK | TcpFlags::PSH
            } else {
                TcpFlags::ACK
            };
            let seq = self.next[from.index()];
            self.write(from, seq, flags, chunk);
            self.next[from.index()] = seq.wrapping_add(len32(chunk.len()));
            sink(&self.scratch);
        }
    }

    /// A pure acknowledgement from `from` of everything its peer sent.
    pub fn ack(&mut self, from: Side) -> Vec<u8> {
        self.control(from, TcpFlags::ACK, 0)
    }

    /// A retransmission: `data` from `from` at stream offset `offset` (0 is the first data
    /// byte) with ACK set, acknowledging everything the peer sent. The sequence state is
    /// unchanged.
    pub fn retransmit(&mut self, from: Side, offset: u32, data: &[u8]) -> Vec<u8> {
        let seq = self.seq_at(from, offset);
        self.write(from, seq, TcpFlags::ACK, data);
        self.scratch.clone()
    }

    /// FIN-ACK from `from`, FIN-ACK from its peer, and the last ACK from `from`.
    pub fn close(&mut self, from: Side) -> Vec<Vec<u8>> {
        let fin = self.control(from, TcpFlags::FIN | TcpFlags::ACK, 1);
        let peer_fin = self.control(from.peer(), TcpFlags::FIN | TcpFlags::ACK, 1);
        let last = self.control(from, TcpFlags::ACK, 0);
        vec![fin, peer_fin, last]
    }

    /// A reset from `from`.
    pub fn reset(&mut self, from: Side) -> Vec<u8> {
        self.control(from, TcpFlags::RST | TcpFlags::ACK, 0)
    }

    /// A segment without data that advances `from`'s sequence by `consumes` (1 for SYN/FIN).
    fn control(&mut self, from: Side, flags: TcpFlags, consumes: u32) -> Vec<u8> {
        let seq = self.next[from.index()];
        self.write(from, seq, flags, &[]);
        self.next[from.index()] = seq.wrapping_add(consumes);
        self.scratch.clone()
    }

    fn write(&mut self, from: Side, seq: u32, flags: TcpFlags, payload: &[u8]) {
        let peer = from.peer();
        // A SYN carries no acknowledgement.
        let ack = if flags == TcpFlags::SYN {
            0
        } else {
            self.next[peer.index()]
        };
        let header = TcpHeader {
            seq,
            ack,
            flags,
            window: 0xffff,
        };
        self.scratch.clear();
        let (src, dst) = (self.ends[from.index()], self.ends[peer.index()]);
        write_tcp_frame(&mut self.scratch, &self.spec, src, dst, &header, payload);
    }
}

const PROTO_TCP: u8 = 6;
const PROTO_UDP: u8 = 17;
const ETHERTYPE_IPV4: u16 = 0x0800;
const ETHERTYPE_IPV6: u16 = 0x86dd;

/// Writes link header, IP header, `transport` (its checksum at `checksum_at` filled in) and
/// the payload.
fn write_ip_frame(
    out: &mut Vec<u8>,
    spec: &FrameSpec,
    (src, dst): (IpAddr, IpAddr),
    protocol: u8,
    transport: &mut [u8],
    payload: &[u8],
    checksum_at: usize,
) {
    let (src, dst) = match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => (IpAddr::V4(s), IpAddr::V4(d)),
        (s, d) => (IpAddr::V6(to_v6(s)), IpAddr::V6(to_v6(d))),
    };
    let v4 = src.is_ipv4();
    let ip_header_len = if v4 { 20 } else { 40 };
    let max_payload = 0xffff - transport.len() - if v4 { 20 } else { 0 };
    let payload = &payload[..payload.len().min(max_payload)];
    let transport_len = transport.len() + payload.len();
    if protocol == PROTO_UDP {
        put16(transport, 4, len16(transport_len));
    }
    // Pseudo-header sum (RFC 793 / RFC 8200 §8.1), then the transport header and payload.
    let mut acc = match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => sum(sum(0, &s.octets()), &d.octets()),
        (IpAddr::V6(s), IpAddr::V6(d)) => sum(sum(0, &s.octets()), &d.octets()),
        _ => 0,
    };
    acc += u64::from(protocol) + transport_len as u64;
    acc = sum(sum(acc, transport), payload);
    let mut checksum = fold(acc);
    if protocol == PROTO_UDP && checksum == 0 {
        checksum = 0xffff;
    }
    put16(transport, checksum_at, checksum);

    out.reserve(24 + ip_header_len + transport_len);
    write_link(out, spec, if v4 { ETHERTYPE_IPV4 } else { ETHERTYPE_IPV6 });
    match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            let mut ip = [0u8; 20];
            ip[0] = 0x45;
            put16(&mut ip, 2, len16(20 + transport_len));
            put16(&mut ip, 6, 0x4000); // don't fragment
            ip[8] = spec.ttl;
            ip[9] = protocol;
            ip[12..16].copy_from_slice(&s.octets());
            ip[16..20].copy_from_slice(&d.octets());
            let header_checksum = internet_checksum(&ip);
            put16(&mut ip, 10, header_checksum);
            out.extend_from_slice(&ip);
        }
        (s, d) => {
            let mut ip = [0u8; 40];
            ip[0] = 0x60;
            put16(&mut ip, 4, len16(transport_len));
            ip[6] = protocol;
            ip[7] = spec.ttl;
            ip[8..24].copy_from_slice(&to_v6(s).octets());
            ip[24..40].copy_from_slice(&to_v6(d).octets());
            out.extend_from_slice(&ip);
        }
    }
    out.extend_from_slice(transport);
    out.extend_from_slice(payload);
}

fn write_link(out: &mut Vec<u8>, spec: &FrameSpec, ethertype: u16) {
    let ethernet = |out: &mut Vec<u8>| {
        out.extend_from_slice(&spec.dst_mac);
        out.extend_from_slice(&spec.src_mac);
    };
    match spec.framing {
        Framing::Ethernet => ethernet(out),
        Framing::Vlan(id) => {
            ethernet(out);
            out.extend_from_slice(&[0x81, 0x00]);
            out.extend_from_slice(&(id & 0x0fff).to_be_bytes());
        }
        Framing::QinQ { outer, inner } => {
            ethernet(out);
            out.extend_from_slice(&[0x88, 0xa8]);
            out.extend_from_slice(&(outer & 0x0fff).to_be_bytes());
            out.extend_from_slice(&[0x81, 0x00]);
            out.extend_from_slice(&(inner & 0x0fff).to_be_bytes());
        }
        Framing::LinuxSll => {
            // Packet type 0 (to us), ARPHRD_ETHER, 6-byte address padded to 8.
            out.extend_from_slice(&[0, 0, 0, 1, 0, 6]);
            out.extend_from_slice(&spec.src_mac);
            out.extend_from_slice(&[0, 0]);
        }
        Framing::LinuxSll2 => {
            out.extend_from_slice(&ethertype.to_be_bytes());
            // Reserved, interface index 1, ARPHRD_ETHER, packet type 0, address length 6.
            out.extend_from_slice(&[0, 0, 0, 0, 0, 1, 0, 1, 0, 6]);
            out.extend_from_slice(&spec.src_mac);
            out.extend_from_slice(&[0, 0]);
            return;
        }
        Framing::Raw => return,
        Framing::Null => {
            let family: u32 = if ethertype == ETHERTYPE_IPV4 { 2 } else { 30 };
            out.extend_from_slice(&family.to_le_bytes());
            return;
        }
    }
    out.extend_from_slice(&ethertype.to_be_bytes());
}

fn to_v6(address: IpAddr) -> Ipv6Addr {
    match address {
        IpAddr::V4(v4) => v4.to_ipv6_mapped(),
        IpAddr::V6(v6) => v6,
    }
}

/// Adds `data` as big-endian 16-bit words (odd tail padded with zero) to `acc`.
fn sum(mut acc: u64, data: &[u8]) -> u64 {
    let mut words = data.chunks_exact(2);
    for word in &mut words {
        acc += u64::from(u16::from_be_bytes([word[0], word[1]]));
    }
    if let [last] = words.remainder() {
        acc += u64::from(*last) << 8;
    }
    acc
}

fn fold(mut acc: u64) -> u16 {
    while acc > 0xffff {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    !(acc as u16)
}

fn put16(buf: &mut [u8], at: usize, value: u16) {
    if let Some(slot) = buf.get_mut(at..at + 2) {
        slot.copy_from_slice(&value.to_be_bytes());
    }
}

fn len16(len: usize) -> u16 {
    u16::try_from(len).unwrap_or(u16::MAX)
}

fn len32(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}
