//! Unit and property tests of the CDP codec: round trips through the encoder, every typed
//! rejection (destination, EtherType, SNAP, version, checksum, TLV and address bounds), and no
//! panic on arbitrary or corrupted frames.

#![allow(clippy::unwrap_used)]

use std::net::{Ipv4Addr, Ipv6Addr};

use proptest::prelude::*;

use super::*;

const SOURCE: [u8; 6] = [0x00, 0x1b, 0x54, 0xc2, 0x10, 0x01];

fn switch_pdu() -> Pdu {
    Pdu {
        version: Version::V2,
        ttl_secs: DEFAULT_TTL_SECS,
        tlvs: vec![
            Tlv::DeviceId("access-1.example.net".into()),
            Tlv::SoftwareVersion("Cisco IOS Software, C2960X Software\nline two".into()),
            Tlv::Platform("cisco WS-C2960X-48FPD-L".into()),
            Tlv::Addresses(vec![Address::Ipv4(Ipv4Addr::new(10, 0, 0, 5))]),
            Tlv::PortId("GigabitEthernet1/0/1".into()),
            Tlv::Capabilities(Capabilities(Capabilities::SWITCH | Capabilities::IGMP)),
            Tlv::VtpDomain("campus".into()),
            Tlv::NativeVlan(10),
            Tlv::Duplex(Duplex::Full),
            Tlv::ManagementAddresses(vec![Address::Ipv6("fd00::5".parse().unwrap())]),
            Tlv::Unknown {
                kind: 0x0012,
                value: vec![0],
            },
        ],
    }
}

#[test]
fn decodes_what_it_encodes() {
    let frame = encode_frame(SOURCE, None, &switch_pdu()).unwrap();
    let decoded = decode_frame(&frame).unwrap();
    assert_eq!(decoded.source, SOURCE);
    assert_eq!(decoded.vlan, None);
    assert_eq!(decoded.pdu, switch_pdu());
    let n = decoded.pdu.neighbor();
    assert_eq!(n.pid(), Some("WS-C2960X-48FPD-L"));
    assert_eq!(
        n.version_line(),
        Some("Cisco IOS Software, C2960X Software")
    );
    assert_eq!(n.native_vlan, Some(10));
    assert_eq!(n.capabilities.unwrap().names(), ["switch", "igmp"]);
}

#[test]
fn accepts_an_8021q_tag() {
    let frame = encode_frame(SOURCE, Some(20), &switch_pdu()).unwrap();
    assert_eq!(&frame[12..16], &[0x81, 0x00, 0x00, 20]);
    assert_eq!(decode_frame(&frame).unwrap().vlan, Some(20));
}

#[test]
fn pads_short_frames_and_ignores_the_padding() {
    let pdu = Pdu {
        version: Version::V1,
        ttl_secs: 60,
        tlvs: vec![Tlv::DeviceId("r".into())],
    };
    let frame = encode_frame(SOURCE, None, &pdu).unwrap();
    assert_eq!(frame.len(), MIN_FRAME_BYTES);
    assert_eq!(decode_frame(&frame).unwrap().pdu, pdu);
}

#[test]
fn rejects_a_bad_checksum() {
    let mut frame = encode_frame(SOURCE, None, &switch_pdu()).unwrap();
    frame[26] ^= 0x01;
    assert!(matches!(
        decode_frame(&frame),
        Err(DecodeError::ChecksumMismatch { .. })
    ));
}

#[test]
fn rejects_other_destinations_and_ethernet_ii() {
    let mut frame = encode_frame(SOURCE, None, &switch_pdu()).unwrap();
    frame[5] = 0xcd;
    assert!(matches!(
        decode_frame(&frame),
        Err(DecodeError::NotCdpDestination { .. })
    ));
    let mut frame = encode_frame(SOURCE, None, &switch_pdu()).unwrap();
    frame[12..14].copy_from_slice(&[0x08, 0x00]);
    assert_eq!(
        decode_frame(&frame),
        Err(DecodeError::NotLength { ethertype: 0x0800 })
    );
}

#[test]
fn rejects_a_length_beyond_the_capture() {
    let frame = encode_frame(SOURCE, None, &switch_pdu()).unwrap();
    assert!(matches!(
        decode_frame(&frame[..frame.len() - 1]),
        Err(DecodeError::LengthBeyondFrame { .. })
    ));
}

#[test]
fn rejects_unknown_versions_and_other_snap_headers() {
    let mut pdu = encode_pdu(&switch_pdu()).unwrap();
    pdu[0] = 3;
    assert_eq!(
        decode_pdu(&pdu),
        Err(DecodeError::UnsupportedVersion { version: 3 })
    );
    let mut frame = encode_frame(SOURCE, None, &switch_pdu()).unwrap();
    frame[21] = 0x01;
    assert!(matches!(
        decode_frame(&frame),
        Err(DecodeError::NotCdpSnap { .. })
    ));
}

/// A PDU with `body` after the header and a valid checksum.
fn pdu_with(body: &[u8]) -> Vec<u8> {
    let mut pdu = vec![2, 180, 0, 0];
    pdu.extend_from_slice(body);
    let sum = checksum(&pdu);
    pdu[2..4].copy_from_slice(&sum.to_be_bytes());
    pdu
}

#[test]
fn rejects_tlv_lengths_below_header_or_past_the_end() {
    for body in [
        &[0x00, 0x01, 0x00, 0x03][..],
        &[0x00, 0x01, 0x00, 0x09, b'a'],
    ] {
        assert!(matches!(
            decode_pdu(&pdu_with(body)),
            Err(DecodeError::TlvLength {
                offset: 4,
                kind: 1,
                ..
            })
        ));
    }
    assert!(matches!(
        decode_pdu(&pdu_with(&[0x00, 0x01, 0x00])),
        Err(DecodeError::Truncated { .. })
    ));
}

#[test]
fn rejects_wrong_fixed_sizes() {
    assert_eq!(
        decode_pdu(&pdu_with(&[0x00, 0x0a, 0x00, 0x05, 0x01])),
        Err(DecodeError::FixedLength {
            kind: 0x000a,
            expected: 2,
            actual: 1
        })
    );
}

#[test]
fn bounds_address_counts_and_entries() {
    let huge = [0x00, 0x02, 0x00, 0x08, 0xff, 0xff, 0xff, 0xff];
    assert!(matches!(
        decode_pdu(&pdu_with(&huge)),
        Err(DecodeError::TooManyAddresses {
            declared: u32::MAX,
            ..
        })
    ));
    // One entry announced, its address runs past the TLV.
    let short = [
        0x00, 0x02, 0x00, 0x0f, 0, 0, 0, 1, 0x01, 0x01, 0xcc, 0x00, 0x04, 10, 0,
    ];
    assert_eq!(
        decode_pdu(&pdu_with(&short)),
        Err(DecodeError::AddressEntry {
            kind: 0x0002,
            index: 0
        })
    );
}

#[test]
fn bounds_the_tlv_count() {
    let body: Vec<u8> = (0..=MAX_TLVS)
        .flat_map(|_| [0x7f, 0x00, 0x00, 0x04])
        .collect();
    assert_eq!(
        decode_pdu(&pdu_with(&body)),
        Err(DecodeError::TooManyTlvs { max: MAX_TLVS })
    );
}

#[test]
fn keeps_unusual_addresses() {
    let other = Address::Other {
        protocol_type: 1,
        protocol: vec![0x81],
        address: vec![0x49, 0x00, 0x01],
    };
    let pdu = Pdu {
        version: Version::V2,
        ttl_secs: 180,
        tlvs: vec![Tlv::Addresses(vec![other.clone()])],
    };
    let decoded = decode_pdu(&encode_pdu(&pdu).unwrap()).unwrap();
    assert_eq!(decoded.tlvs, [Tlv::Addresses(vec![other])]);
}

#[test]
fn refuses_to_encode_oversized_pdus() {
    let pdu = Pdu {
        version: Version::V2,
        ttl_secs: 180,
        tlvs: vec![Tlv::SoftwareVersion("x".repeat(MAX_PDU_BYTES))],
    };
    assert!(matches!(
        encode_pdu(&pdu),
        Err(EncodeError::PduTooLong { .. })
    ));
    assert_eq!(
        encode_frame(SOURCE, Some(4096), &switch_pdu()),
        Err(EncodeError::Vlan { vlan: 4096 })
    );
}

fn address() -> impl Strategy<Value = Address> {
    prop_oneof![
        any::<[u8; 4]>().prop_map(|b| Address::Ipv4(Ipv4Addr::from(b))),
        any::<[u8; 16]>().prop_map(|b| Address::Ipv6(Ipv6Addr::from(b))),
        (
            3u8..=255,
            prop::collection::vec(any::<u8>(), 0..9),
            prop::collection::vec(any::<u8>(), 0..20)
        )
            .prop_map(|(protocol_type, protocol, address)| Address::Other {
                protocol_type,
                protocol,
                address,
            }),
    ]
}

fn tlv() -> impl Strategy<Value = Tlv> {
    let text = "[ -~\n]{0,40}";
    prop_oneof![
        text.prop_map(Tlv::DeviceId),
        text.prop_map(Tlv::PortId),
        text.prop_map(Tlv::SoftwareVersion),
        text.prop_map(Tlv::Platform),
        text.prop_map(Tlv::VtpDomain),
        prop::collection::vec(address(), 0..4).prop_map(Tlv::Addresses),
        prop::collection::vec(address(), 0..4).prop_map(Tlv::ManagementAddresses),
        any::<u32>().prop_map(|c| Tlv::Capabilities(Capabilities(c))),
        any::<u16>().prop_map(Tlv::NativeVlan),
        any::<u8>().prop_map(|d| Tlv::Duplex(Duplex::from_byte(d))),
        (0x0017u16.., prop::collection::vec(any::<u8>(), 0..30))
            .prop_map(|(kind, value)| Tlv::Unknown { kind, value }),
    ]
}

proptest! {
    #[test]
    fn round_trips_any_pdu(
        v2 in any::<bool>(),
        ttl_secs in any::<u8>(),
        tlvs in prop::collection::vec(tlv(), 0..12),
        vlan in prop::option::of(0u16..4096),
    ) {
        let pdu = Pdu { version: if v2 { Version::V2 } else { Version::V1 }, ttl_secs, tlvs };
        let frame = encode_frame(SOURCE, vlan, &pdu).unwrap();
        let decoded = decode_frame(&frame).unwrap();
        prop_assert_eq!(decoded.pdu, pdu);
        prop_assert_eq!(decoded.vlan, vlan);
    }

    #[test]
    fn never_panics_on_arbitrary_frames(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let mut frame = CDP_MULTICAST.to_vec();
        frame.extend_from_slice(&bytes);
        let _ = decode_frame(&frame);
        let _ = decode_pdu(&bytes);
    }

    #[test]
    fn never_panics_on_corrupted_valid_frames(index in 0usize..200, byte in any::<u8>()) {
        let mut frame = encode_frame(SOURCE, None, &switch_pdu()).unwrap();
        let i = index % frame.len();
        frame[i] = byte;
        let _ = decode_frame(&frame);
    }
}
