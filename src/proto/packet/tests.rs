//! Packet decoding tests: builder → decoder round trips for every framing, address family and
//! transport; checksums checked independently; hex-literal frames (Ethernet padding, ARP, LLC,
//! loopback); VLAN stacks, fragments, IPv6 extension headers; every header error; truncation;
//! the TCP conversation writer; property tests on arbitrary frames.

use std::net::{IpAddr, SocketAddr};

use proptest::prelude::*;

use super::build::*;
use super::*;

/// An owned summary of a [`Transport`], for closures that build and decode a frame.
#[derive(Debug, PartialEq, Eq)]
enum Kind {
    Tcp(Vec<u8>),
    Udp(Vec<u8>),
    Fragment {
        protocol: u8,
        offset: u16,
        more: bool,
    },
    Other(u8),
}

impl Transport<'_> {
    fn to_owned_kind(self) -> Kind {
        match self {
            Transport::Tcp(tcp) => Kind::Tcp(tcp.payload.to_vec()),
            Transport::Udp(udp) => Kind::Udp(udp.payload.to_vec()),
            Transport::Fragment {
                protocol,
                offset,
                more,
            } => Kind::Fragment {
                protocol,
                offset,
                more,
            },
            Transport::Other(protocol) => Kind::Other(protocol),
        }
    }
}

fn hex(s: &str) -> Vec<u8> {
    hex::decode(s.replace(' ', "")).unwrap()
}

fn sock(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

const FRAMINGS: [Framing; 7] = [
    Framing::Ethernet,
    Framing::Vlan(100),
    Framing::QinQ {
        outer: 300,
        inner: 20,
    },
    Framing::LinuxSll,
    Framing::LinuxSll2,
    Framing::Raw,
    Framing::Null,
];

fn expected_vlan(framing: Framing) -> Option<u16> {
    match framing {
        Framing::Vlan(id) => Some(id),
        Framing::QinQ { outer, .. } => Some(outer),
        _ => None,
    }
}

/// Offset of the IP header for a framing.
fn ip_offset(framing: Framing) -> usize {
    match framing {
        Framing::Ethernet => 14,
        Framing::Vlan(_) => 18,
        Framing::QinQ { .. } => 22,
        Framing::LinuxSll => 16,
        Framing::LinuxSll2 => 20,
        Framing::Raw => 0,
        Framing::Null => 4,
    }
}

/// Verifies the IPv4 header checksum and the transport checksum without the builder's code.
fn assert_checksums(ip: &[u8]) {
    let fold = |mut acc: u32| {
        while acc > 0xffff {
            acc = (acc & 0xffff) + (acc >> 16);
        }
        acc
    };
    let add = |bytes: &[u8]| -> u32 {
        bytes
            .chunks(2)
            .map(|c| u32::from(c[0]) << 8 | u32::from(*c.get(1).unwrap_or(&0)))
            .sum()
    };
    let (pseudo, segment) = if ip[0] >> 4 == 4 {
        let header_len = usize::from(ip[0] & 15) * 4;
        assert_eq!(fold(add(&ip[..header_len])), 0xffff, "IPv4 header checksum");
        let segment = &ip[header_len..];
        let pseudo = add(&ip[12..20]) + u32::from(ip[9]) + segment.len() as u32;
        (pseudo, segment)
    } else {
        let segment = &ip[40..];
        (
            add(&ip[8..40]) + u32::from(ip[6]) + segment.len() as u32,
            segment,
        )
    };
    assert_eq!(fold(pseudo + add(segment)), 0xffff, "transport checksum");
}

#[test]
fn tcp_and_udp_round_trip_over_every_framing_and_family() {
    let pairs = [
        (sock("192.0.2.10:51000"), sock("198.51.100.1:4786")),
        (sock("[2001:db8::10]:51000"), sock("[2001:db8::1]:4786")),
    ];
    for framing in FRAMINGS {
        let spec = FrameSpec::new(framing);
        for (src, dst) in pairs {
            let payload = b"\x00\x00\x00\x01\x00\x00\x00\x01\x00\x00\x00\x04\x00\x00\x00\x08";
            let flags = TcpFlags::PSH | TcpFlags::ACK;
            let frame = tcp_frame(&spec, src, dst, 0xfffffff0, 77, flags, payload);
            assert_checksums(&frame[ip_offset(framing)..]);
            let packet = decode(spec.link_type(), &frame).unwrap().unwrap();
            assert_eq!(packet.vlan, expected_vlan(framing), "{framing:?}");
            assert_eq!(
                (packet.src_socket(), packet.dst_socket()),
                (Some(src), Some(dst))
            );
            assert!(!packet.truncated);
            let Transport::Tcp(tcp) = packet.transport else {
                panic!("{framing:?}: not TCP")
            };
            assert_eq!((tcp.seq, tcp.ack, tcp.flags), (0xfffffff0, 77, flags));
            assert!(tcp.flags.contains(TcpFlags::ACK) && !tcp.flags.contains(TcpFlags::SYN));
            assert_eq!(tcp.payload, payload);

            let frame = udp_frame(&spec, dst, src, b"\x00\x01hello\x00octet\x00");
            assert_checksums(&frame[ip_offset(framing)..]);
            let packet = decode(spec.link_type(), &frame).unwrap().unwrap();
            let Transport::Udp(udp) = packet.transport else {
                panic!("{framing:?}: not UDP")
            };
            assert_eq!((udp.src_port, udp.dst_port), (4786, 51000));
            assert_eq!(udp.payload, b"\x00\x01hello\x00octet\x00");
        }
    }
}

#[test]
fn builder_checksums_match_a_known_header() {
    // The IPv4 header of the Wikipedia checksum example: checksum b861.
    let header = hex("4500 0073 0000 4000 4011 0000 c0a8 0001 c0a8 00c7");
    assert_eq!(internet_checksum(&header), 0xb861);
}

#[test]
fn mixed_families_are_written_as_ipv4_mapped_ipv6() {
    let frame = tcp_frame(
        &FrameSpec::default(),
        sock("192.0.2.1:1"),
        sock("[2001:db8::1]:2"),
        1,
        0,
        TcpFlags::SYN,
        &[],
    );
    let packet = decode(LinkType::Ethernet, &frame).unwrap().unwrap();
    assert_eq!(packet.src, "::ffff:192.0.2.1".parse::<IpAddr>().unwrap());
    assert_checksums(&frame[14..]);
}

#[test]
fn ethernet_padding_is_not_payload() {
    // A 54-byte SYN-less ACK padded to the 60-byte Ethernet minimum with six zero bytes.
    let frame = hex("020000000002 020000000001 0800 \
         4500 0028 0000 4000 4006 0000 c0000201 c6336401 \
         c738 12b2 00000001 00000002 5010 ffff 0000 0000 \
         000000000000");
    let packet = decode(LinkType::Ethernet, &frame).unwrap().unwrap();
    let Transport::Tcp(tcp) = packet.transport else {
        panic!("not TCP")
    };
    assert_eq!(
        (tcp.src_port, tcp.dst_port, tcp.seq, tcp.ack),
        (51000, 4786, 1, 2)
    );
    assert_eq!(tcp.flags, TcpFlags::ACK);
    assert!(tcp.payload.is_empty());
    assert!(!packet.truncated);
}

#[test]
fn non_ip_frames_are_none() {
    let arp = hex("ffffffffffff 020000000001 0806 0001 0800 0604 0001");
    let cdp_llc = hex("01000ccccccc 020000000001 0026 aaaa03 00000c 2000");
    let lldp = hex("0180c200000e 020000000001 88cc 0207 04");
    for frame in [arp, cdp_llc, lldp] {
        assert_eq!(decode(LinkType::Ethernet, &frame), Ok(None));
    }
    assert_eq!(decode(LinkType::Other(147), &[0x45; 40]), Ok(None));
    assert_eq!(decode(LinkType::Raw, &[0x20; 40]), Ok(None));
    assert_eq!(decode(LinkType::Null, &hex("07000000 45")), Ok(None));
}

#[test]
fn loopback_family_is_read_in_either_byte_order() {
    let frame = tcp_frame(
        &FrameSpec::new(Framing::Null),
        sock("[::1]:1"),
        sock("[::1]:2"),
        1,
        0,
        TcpFlags::SYN,
        &[],
    );
    let mut big = frame.clone();
    big[..4].copy_from_slice(&24u32.to_be_bytes());
    for frame in [frame, big] {
        let packet = decode(LinkType::Null, &frame).unwrap().unwrap();
        assert_eq!(packet.dst_socket(), Some(sock("[::1]:2")));
    }
}

#[test]
fn vlan_stacks_keep_the_outer_id_and_are_bounded() {
    let inner = udp_frame(
        &FrameSpec::default(),
        sock("10.0.0.1:1"),
        sock("10.0.0.2:69"),
        b"x",
    );
    let with_tags = |count: usize| {
        let mut frame = inner[..12].to_vec();
        for i in 0..count {
            frame.extend_from_slice(&[0x81, 0x00]);
            frame.extend_from_slice(&(0x2000u16 | (i as u16 + 10)).to_be_bytes());
        }
        frame.extend_from_slice(&inner[12..]);
        frame
    };
    let frame = with_tags(MAX_VLAN_TAGS);
    let packet = decode(LinkType::Ethernet, &frame).unwrap().unwrap();
    assert_eq!(
        packet.vlan,
        Some(10),
        "priority bits stripped, outer tag kept"
    );
    assert_eq!(
        decode(LinkType::Ethernet, &with_tags(MAX_VLAN_TAGS + 1)),
        Err(PacketError::TooManyVlanTags {
            limit: MAX_VLAN_TAGS
        })
    );
    let frame = with_tags(1);
    assert_eq!(
        decode(LinkType::Ethernet, &frame[..16]),
        Err(PacketError::Truncated {
            layer: Layer::Link,
            needed: 18,
            available: 16
        })
    );
}

fn v4_tcp(payload: &[u8]) -> Vec<u8> {
    tcp_frame(
        &FrameSpec::new(Framing::Raw),
        sock("10.0.0.1:1000"),
        sock("10.0.0.2:4786"),
        5,
        6,
        TcpFlags::ACK,
        payload,
    )
}

#[test]
fn snap_length_cuts_are_flagged_and_header_cuts_are_errors() {
    let frame = v4_tcp(&[9; 100]);
    let packet = decode(LinkType::Raw, &frame[..70]).unwrap().unwrap();
    assert!(packet.truncated);
    let Transport::Tcp(tcp) = packet.transport else {
        panic!("not TCP")
    };
    assert_eq!(tcp.payload, &[9; 30]);
    assert_eq!(
        decode(LinkType::Raw, &frame[..30]),
        Err(PacketError::Truncated {
            layer: Layer::Tcp,
            needed: 20,
            available: 10
        })
    );
    assert_eq!(
        decode(LinkType::Raw, &frame[..19]),
        Err(PacketError::Truncated {
            layer: Layer::Ipv4,
            needed: 20,
            available: 19
        })
    );
    let v6 = tcp_frame(
        &FrameSpec::new(Framing::Raw),
        sock("[::1]:1"),
        sock("[::2]:2"),
        0,
        0,
        TcpFlags::SYN,
        &[],
    );
    assert_eq!(
        decode(LinkType::Raw, &v6[..39]),
        Err(PacketError::Truncated {
            layer: Layer::Ipv6,
            needed: 40,
            available: 39
        })
    );
}

#[test]
fn rejects_inconsistent_ipv4_headers() {
    let frame = v4_tcp(b"abc");
    let with = |at: usize, value: u8| {
        let mut f = frame.clone();
        f[at] = value;
        decode(LinkType::Ipv4, &f).map(|p| p.map(|p| p.transport.to_owned_kind()))
    };
    assert_eq!(
        with(0, 0x65),
        Err(PacketError::BadIpVersion {
            layer: Layer::Ipv4,
            version: 6
        })
    );
    assert_eq!(
        with(0, 0x44),
        Err(PacketError::BadIpv4HeaderLength { words: 4 })
    );
    assert_eq!(
        with(3, 19),
        Err(PacketError::BadIpv4TotalLength {
            total_len: 19,
            header_len: 20
        })
    );
    assert_eq!(
        with(0, 0x4f),
        Err(PacketError::BadIpv4TotalLength {
            total_len: 43,
            header_len: 60
        })
    );
    let mut cut = frame.clone();
    cut[0] = 0x4f;
    cut[3] = 100;
    assert_eq!(
        decode(LinkType::Ipv4, &cut),
        Err(PacketError::Truncated {
            layer: Layer::Ipv4,
            needed: 60,
            available: 43
        })
    );
    // IPv4 options (IHL 6): the TCP header moves by four bytes.
    let mut options = frame[..20].to_vec();
    options[0] = 0x46;
    options[3] += 4;
    options.extend_from_slice(&[1, 1, 1, 0]);
    options.extend_from_slice(&frame[20..]);
    let Transport::Tcp(tcp) = decode(LinkType::Ipv4, &options).unwrap().unwrap().transport else {
        panic!("not TCP")
    };
    assert_eq!(tcp.payload, b"abc");
}

#[test]
fn ipv4_fragments_are_reported_not_decoded() {
    let frame = v4_tcp(b"abc");
    let with_field = |field: u16| {
        let mut f = frame.clone();
        f[6..8].copy_from_slice(&field.to_be_bytes());
        decode(LinkType::Raw, &f)
            .unwrap()
            .unwrap()
            .transport
            .to_owned_kind()
    };
    assert_eq!(
        with_field(0x2000),
        Kind::Fragment {
            protocol: 6,
            offset: 0,
            more: true
        }
    );
    assert_eq!(
        with_field(185),
        Kind::Fragment {
            protocol: 6,
            offset: 1480,
            more: false
        }
    );
    assert!(
        matches!(with_field(0x4000), Kind::Tcp(_)),
        "DF alone is not a fragment"
    );
}

fn v6_with_extensions(extensions: &[(u8, Vec<u8>)], last: u8, rest: &[u8]) -> Vec<u8> {
    let mut payload = Vec::new();
    for (i, (_, body)) in extensions.iter().enumerate() {
        let next = extensions.get(i + 1).map_or(last, |(t, _)| *t);
        payload.push(next);
        payload.extend_from_slice(body);
    }
    payload.extend_from_slice(rest);
    let first = extensions.first().map_or(last, |(t, _)| *t);
    let mut frame = hex("6000 0000");
    frame.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    frame.extend_from_slice(&[first, 64]);
    frame.extend_from_slice(&[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    frame.extend_from_slice(&[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
    frame.extend_from_slice(&payload);
    frame
}

#[test]
fn ipv6_extension_headers_are_walked_and_bounded() {
    let udp = hex("0035 0035 000a 0000 6869");
    let hop = (0u8, hex("00 01020304 0506"));
    let dest = (60u8, hex("01 0000000000 00 00000000 00000000"));
    let auth = (51u8, hex("01 0000 00000000 00000000"));
    let frame = v6_with_extensions(&[hop.clone(), dest, auth], 17, &udp);
    let Transport::Udp(datagram) = decode(LinkType::Ipv6, &frame).unwrap().unwrap().transport
    else {
        panic!("not UDP")
    };
    assert_eq!(datagram.payload, b"hi");

    let fragment = |field: u16| {
        (
            44u8,
            [vec![0], field.to_be_bytes().to_vec(), vec![0, 0, 0, 9]].concat(),
        )
    };
    let frame = v6_with_extensions(&[fragment(0x00b9)], 6, &[0; 8]);
    assert_eq!(
        decode(LinkType::Ipv6, &frame).unwrap().unwrap().transport,
        Transport::Fragment {
            protocol: 6,
            offset: 0xb8,
            more: true
        }
    );
    let atomic = v6_with_extensions(&[fragment(0)], 17, &udp);
    assert!(matches!(
        decode(LinkType::Ipv6, &atomic).unwrap().unwrap().transport,
        Transport::Udp(_)
    ));

    let esp = v6_with_extensions(&[], 50, &[0; 16]);
    assert_eq!(
        decode(LinkType::Ipv6, &esp).unwrap().unwrap().transport,
        Transport::Other(50)
    );

    let many = vec![hop.clone(); MAX_IPV6_EXTENSION_HEADERS + 1];
    assert_eq!(
        decode(LinkType::Ipv6, &v6_with_extensions(&many, 17, &udp)),
        Err(PacketError::TooManyExtensionHeaders {
            limit: MAX_IPV6_EXTENSION_HEADERS
        })
    );
    let exactly = vec![hop; MAX_IPV6_EXTENSION_HEADERS];
    assert!(decode(LinkType::Ipv6, &v6_with_extensions(&exactly, 17, &udp)).is_ok());

    // A routing header claiming 24 bytes in an 8-byte payload.
    let overrun = v6_with_extensions(&[(43u8, hex("02 00000000 0000"))], 59, &[]);
    assert_eq!(
        decode(LinkType::Ipv6, &overrun),
        Err(PacketError::ExtensionHeaderOverrun {
            next_header: 43,
            length: 24
        })
    );
}

#[test]
fn tcp_options_are_skipped_and_bad_offsets_rejected() {
    let frame = v4_tcp(b"abcdefgh");
    let with_offset = |words: u8| {
        let mut f = frame.clone();
        f[32] = words << 4;
        decode(LinkType::Raw, &f).map(|p| p.map(|p| p.transport.to_owned_kind()))
    };
    let Ok(Some(Kind::Tcp(payload))) = with_offset(6) else {
        panic!("not TCP")
    };
    assert_eq!(payload, b"efgh", "4 bytes of options skipped");
    assert_eq!(with_offset(7), Ok(Some(Kind::Tcp(Vec::new()))));
    assert_eq!(
        with_offset(4),
        Err(PacketError::BadTcpDataOffset {
            words: 4,
            segment_len: 28
        })
    );
    assert_eq!(
        with_offset(8),
        Err(PacketError::BadTcpDataOffset {
            words: 8,
            segment_len: 28
        })
    );
}

#[test]
fn udp_length_bounds_the_payload_and_is_checked() {
    let frame = udp_frame(
        &FrameSpec::new(Framing::Raw),
        sock("10.0.0.1:68"),
        sock("10.0.0.2:67"),
        b"abcd",
    );
    let with_len = |len: u16| {
        let mut f = frame.clone();
        f[24..26].copy_from_slice(&len.to_be_bytes());
        decode(LinkType::Raw, &f).map(|p| p.map(|p| p.transport.to_owned_kind()))
    };
    assert_eq!(with_len(10), Ok(Some(Kind::Udp(b"ab".to_vec()))));
    assert_eq!(
        with_len(7),
        Err(PacketError::BadUdpLength {
            length: 7,
            payload_len: 12
        })
    );
    assert_eq!(
        with_len(13),
        Err(PacketError::BadUdpLength {
            length: 13,
            payload_len: 12
        })
    );
}

fn tcp_of(frame: &[u8]) -> (SocketAddr, TcpSegment<'_>) {
    let packet = decode(LinkType::Ethernet, frame).unwrap().unwrap();
    let Transport::Tcp(tcp) = packet.transport else {
        panic!("not TCP")
    };
    (packet.src_socket().unwrap(), tcp)
}

#[test]
fn conversation_tracks_both_sequence_spaces() {
    let (client, server) = (sock("10.1.1.10:50000"), sock("10.1.1.1:4786"));
    let mut conversation =
        TcpConversation::with_isn(FrameSpec::default(), client, server, u32::MAX - 1, 100);
    let handshake = conversation.handshake();
    let [syn, syn_ack, ack] = [&handshake[0], &handshake[1], &handshake[2]].map(|f| tcp_of(f).1);
    assert_eq!(
        (syn.flags, syn.seq, syn.ack),
        (TcpFlags::SYN, u32::MAX - 1, 0)
    );
    assert_eq!(
        (syn_ack.flags, syn_ack.seq, syn_ack.ack),
        (TcpFlags::SYN | TcpFlags::ACK, 100, u32::MAX)
    );
    assert_eq!(
        (ack.flags, ack.seq, ack.ack),
        (TcpFlags::ACK, u32::MAX, 101)
    );

    let data: Vec<u8> = (0..250u8).collect();
    let segments = conversation.send(Side::Client, &data, 100);
    assert_eq!(segments.len(), 3);
    let mut joined = Vec::new();
    for (i, frame) in segments.iter().enumerate() {
        let (from, tcp) = tcp_of(frame);
        assert_eq!(from, client);
        assert_eq!(
            tcp.seq,
            (u32::MAX).wrapping_add(i as u32 * 100),
            "sequence wraps"
        );
        assert_eq!(tcp.flags.contains(TcpFlags::PSH), i == 2);
        joined.extend_from_slice(tcp.payload);
    }
    assert_eq!(joined, data);
    assert_eq!(
        conversation.next_seq(Side::Client),
        (u32::MAX).wrapping_add(250)
    );

    let retransmission = conversation.retransmit(Side::Client, 100, &data[100..200]);
    assert_eq!(
        retransmission, segments[1],
        "same bytes as the original segment"
    );

    let reply = conversation.send(Side::Server, b"ok", 0);
    assert_eq!(tcp_of(&reply[0]).1.ack, (u32::MAX).wrapping_add(250));
    let ack_frame = conversation.ack(Side::Client);
    let server_ack = tcp_of(&ack_frame).1;
    assert_eq!(server_ack.ack, 103);

    let close = conversation.close(Side::Server);
    let flags: Vec<TcpFlags> = close.iter().map(|f| tcp_of(f).1.flags).collect();
    assert_eq!(
        flags,
        [
            TcpFlags::FIN | TcpFlags::ACK,
            TcpFlags::FIN | TcpFlags::ACK,
            TcpFlags::ACK
        ]
    );
    assert_eq!(
        tcp_of(&close[2]).1.ack,
        (u32::MAX).wrapping_add(251),
        "the client's FIN is acked"
    );
    let reset_frame = conversation.reset(Side::Client);
    let reset = tcp_of(&reset_frame).1;
    assert!(reset.flags.contains(TcpFlags::RST));
}

proptest! {
    #[test]
    fn arbitrary_frames_never_panic(
        frame in proptest::collection::vec(any::<u8>(), 0..200),
        link in prop_oneof![
            Just(LinkType::Ethernet), Just(LinkType::LinuxSll), Just(LinkType::LinuxSll2),
            Just(LinkType::Raw), Just(LinkType::Null), Just(LinkType::Ipv4), Just(LinkType::Ipv6),
        ],
    ) {
        if let Ok(Some(packet)) = decode(link, &frame) {
            let payload = match packet.transport {
                Transport::Tcp(tcp) => tcp.payload,
                Transport::Udp(udp) => udp.payload,
                _ => &[],
            };
            let start = payload.as_ptr() as usize;
            let base = frame.as_ptr() as usize;
            prop_assert!(payload.is_empty() || (start >= base && start + payload.len() <= base + frame.len()));
        }
    }

    #[test]
    fn built_frames_decode_to_what_was_built(
        payload in proptest::collection::vec(any::<u8>(), 0..600),
        seq in any::<u32>(),
        framing in 0..FRAMINGS.len(),
        v6 in any::<bool>(),
    ) {
        let spec = FrameSpec::new(FRAMINGS[framing]);
        let (src, dst) = if v6 { (sock("[fe80::1]:1"), sock("[fe80::2]:2")) } else { (sock("1.2.3.4:1"), sock("5.6.7.8:2")) };
        let frame = tcp_frame(&spec, src, dst, seq, 0, TcpFlags::ACK, &payload);
        assert_checksums(&frame[ip_offset(spec.framing)..]);
        let packet = decode(spec.link_type(), &frame).unwrap().unwrap();
        let Transport::Tcp(tcp) = packet.transport else { panic!("not TCP") };
        prop_assert_eq!(tcp.seq, seq);
        prop_assert_eq!(tcp.payload, &payload[..]);
    }
}
