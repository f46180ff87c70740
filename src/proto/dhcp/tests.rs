use std::net::Ipv4Addr;

use proptest::prelude::*;

use super::options::*;
use super::*;

/// A DHCPDISCOVER laid out byte by byte as in RFC 2131 §2 (Figure 1), from MAC 00:11:22:33:44:55.
fn discover_bytes() -> Vec<u8> {
    let mut b = vec![0x01, 0x01, 0x06, 0x00]; // op, htype, hlen, hops
    b.extend_from_slice(&[0xde, 0xad, 0xbe, 0xef]); // xid
    b.extend_from_slice(&[0x00, 0x00, 0x80, 0x00]); // secs, flags (broadcast)
    b.extend_from_slice(&[0; 16]); // ciaddr, yiaddr, siaddr, giaddr
    b.extend_from_slice(&[0x00, 0x11, 0x22, 0x33, 0x44, 0x55]);
    b.extend_from_slice(&[0; 10]); // rest of chaddr
    b.extend_from_slice(&[0; 64 + 128]); // sname, file
    b.extend_from_slice(&MAGIC_COOKIE);
    b.extend_from_slice(&[53, 1, 1]); // DHCPDISCOVER
    b.extend_from_slice(&[50, 4, 10, 0, 0, 7]); // requested IP
    b.extend_from_slice(&[60, 8]);
    b.extend_from_slice(b"ciscopnp");
    b.extend_from_slice(&[55, 3, 1, 3, 125]);
    b.push(0xff);
    b
}

#[test]
fn decodes_a_discover_laid_out_as_in_rfc_2131() {
    let m = Message::decode(&discover_bytes()).unwrap();
    assert_eq!(m.op, Op::Request);
    assert_eq!(m.xid, 0xdead_beef);
    assert!(m.broadcast());
    assert_eq!(m.mac().unwrap().to_string(), "00:11:22:33:44:55");
    assert_eq!(m.message_type(), Some(MessageType::Discover));
    assert_eq!(m.requested_ip(), Some(Ipv4Addr::new(10, 0, 0, 7)));
    assert!(m.is_cisco_pnp());
    assert_eq!(m.option(PARAMETER_REQUEST_LIST), Some(&[1, 3, 125][..]));
    assert!(m.sname.is_empty() && m.file.is_empty());
}

#[test]
fn joins_repeated_options_across_overloaded_fields() {
    let mut b = discover_bytes();
    b.truncate(236 + 4);
    b.extend_from_slice(&[52, 1, 3, 12, 3]);
    b.extend_from_slice(b"sw-");
    b.push(0xff);
    // file field: the second part of option 12, then the end.
    b[108..114].copy_from_slice(&[12, 3, b'o', b'n', b'e', 0xff]);
    // sname field: a third part.
    b[44..49].copy_from_slice(&[12, 2, b'-', b'2', 0xff]);
    let m = Message::decode(&b).unwrap();
    assert_eq!(m.hostname(), Some("sw-one-2"));
    assert!(m.file.is_empty() && m.sname.is_empty());
}

#[test]
fn keeps_sname_and_file_without_overload() {
    let mut b = discover_bytes();
    b[44..48].copy_from_slice(b"srv1");
    b[108..116].copy_from_slice(b"boot.cfg");
    let m = Message::decode(&b).unwrap();
    assert_eq!(m.sname, b"srv1");
    assert_eq!(m.file, b"boot.cfg");
}

#[test]
fn rejects_a_truncated_option() {
    let mut b = discover_bytes();
    b.truncate(236 + 4);
    b.extend_from_slice(&[12, 9, b'a']);
    assert_eq!(
        Message::decode(&b),
        Err(DecodeError::TruncatedOption {
            code: 12,
            offset: 0,
            len: 9
        })
    );
}

#[test]
fn rejects_short_long_and_cookieless_datagrams() {
    let b = discover_bytes();
    assert!(matches!(
        Message::decode(&b[..239]),
        Err(DecodeError::TooShort { .. })
    ));
    let mut long = b.clone();
    long.resize(MAX_DATAGRAM_BYTES + 1, 0);
    assert!(matches!(
        Message::decode(&long),
        Err(DecodeError::TooLong { .. })
    ));
    let mut bootp = b.clone();
    bootp[236] = 0;
    assert_eq!(Message::decode(&bootp), Err(DecodeError::NoMagicCookie));
    let mut op = b;
    op[0] = 3;
    assert_eq!(Message::decode(&op), Err(DecodeError::UnknownOp(3)));
}

#[test]
fn rejects_a_bad_overload_value() {
    let mut b = discover_bytes();
    b.truncate(240);
    b.extend_from_slice(&[52, 1, 4, 0xff]);
    assert_eq!(Message::decode(&b), Err(DecodeError::BadOverload(vec![4])));
}

#[test]
fn encodes_padded_to_the_bootp_minimum_and_splits_long_values() {
    let mut m = Message::decode(&discover_bytes()).unwrap();
    m.options.clear();
    let wire = m.encode().unwrap();
    assert_eq!(wire.len(), MIN_MESSAGE_BYTES);
    assert_eq!(wire[240], 0xff);
    m.set_option(HOSTNAME, vec![b'x'; 300]);
    let wire = m.encode().unwrap();
    assert_eq!(&wire[240..242], &[12, 255]);
    assert_eq!(&wire[497..499], &[12, 45]);
    assert_eq!(
        Message::decode(&wire)
            .unwrap()
            .option(HOSTNAME)
            .unwrap()
            .len(),
        300
    );
}

#[test]
fn refuses_reserved_codes_and_oversized_fields() {
    let mut m = Message::decode(&discover_bytes()).unwrap();
    m.options.push(DhcpOption {
        code: 0,
        data: vec![],
    });
    assert_eq!(m.encode(), Err(EncodeError::ReservedCode(0)));
    m.options.pop();
    m.file = vec![b'f'; 129];
    assert!(matches!(
        m.encode(),
        Err(EncodeError::FieldTooLong { field: "file", .. })
    ));
}

#[test]
fn smart_install_block_matches_the_documented_layout() {
    let vendor = SmartInstallVendor {
        image_list: Some("imagelist.txt".into()),
        director: Some(Ipv4Addr::new(10, 1, 1, 1)),
    };
    let wire = encode_vendor_blocks(&[vendor.block()]).unwrap();
    let mut expected = vec![0, 0, 0, 9, 2 + 13 + 2 + 4, 5, 13];
    expected.extend_from_slice(b"imagelist.txt");
    expected.extend_from_slice(&[16, 4, 10, 1, 1, 1]);
    assert_eq!(wire, expected);
    let blocks = decode_vendor_blocks(&wire).unwrap();
    assert_eq!(SmartInstallVendor::from_blocks(&blocks), Some(vendor));
}

#[test]
fn merging_keeps_other_enterprises_and_replaces_cisco() {
    let other = VendorBlock {
        enterprise: 3561,
        suboptions: vec![(1, b"abc".to_vec())],
    };
    let old_cisco = SmartInstallVendor {
        image_list: Some("old".into()),
        director: None,
    };
    let existing = encode_vendor_blocks(&[old_cisco.block(), other.clone()]).unwrap();
    let new = SmartInstallVendor {
        image_list: Some("new".into()),
        director: None,
    };
    let merged = merge_vendor_block(Some(&existing), new.block()).unwrap();
    let blocks = decode_vendor_blocks(&merged).unwrap();
    assert_eq!(blocks, vec![other, new.block()]);
}

#[test]
fn rejects_truncated_vendor_blocks() {
    assert!(decode_vendor_blocks(&[0, 0, 0, 9, 5, 5, 9]).is_err());
    assert!(decode_vendor_blocks(&[0, 0, 0]).is_err());
    assert!(decode_vendor_blocks(&[0, 0, 0, 9, 2, 5, 3]).is_err());
}

#[test]
fn builds_the_pnp_option_43_string() {
    assert_eq!(
        pnp_option43(Ipv4Addr::new(192, 0, 2, 10), 443),
        "5A1N;B2;K5;I192.0.2.10;J443"
    );
}

#[test]
fn typed_accessors_check_lengths() {
    assert!(ipv4(50, &[1, 2, 3]).is_err());
    assert!(ipv4_list(3, &[]).is_err());
    assert_eq!(
        ipv4_list(6, &[1, 1, 1, 1, 8, 8, 8, 8]).unwrap(),
        [Ipv4Addr::new(1, 1, 1, 1), Ipv4Addr::new(8, 8, 8, 8)]
    );
    assert_eq!(u32_value(51, &[0, 0, 0x0e, 0x10]), Ok(3600));
    assert!(u32_value(51, &[1]).is_err());
    assert_eq!(MessageType::from_code(9), None);
}

fn arb_message() -> impl Strategy<Value = Message> {
    let text = |max| proptest::collection::vec(1u8..=255, 0..=max);
    let opts = proptest::collection::btree_map(
        (1u8..=254).prop_filter("not overload", |c| *c != OVERLOAD),
        proptest::collection::vec(any::<u8>(), 0..300),
        0..4,
    );
    (
        (
            any::<bool>(),
            any::<u8>(),
            0u8..=16,
            any::<u8>(),
            any::<u32>(),
        ),
        (
            any::<u16>(),
            any::<u16>(),
            any::<[u8; 16]>(),
            any::<[u32; 4]>(),
        ),
        (text(64), text(128), opts),
    )
        .prop_map(
            |((reply, htype, hlen, hops, xid), (secs, flags, chaddr, ips), (sname, file, opts))| {
                Message {
                    op: if reply { Op::Reply } else { Op::Request },
                    htype,
                    hlen,
                    hops,
                    xid,
                    secs,
                    flags,
                    ciaddr: Ipv4Addr::from(ips[0]),
                    yiaddr: Ipv4Addr::from(ips[1]),
                    siaddr: Ipv4Addr::from(ips[2]),
                    giaddr: Ipv4Addr::from(ips[3]),
                    chaddr,
                    sname,
                    file,
                    options: opts
                        .into_iter()
                        .map(|(code, data)| DhcpOption { code, data })
                        .collect(),
                }
            },
        )
}

proptest! {
    #[test]
    fn encode_then_decode_round_trips(m in arb_message()) {
        let wire = m.encode().unwrap();
        prop_assert!(wire.len() >= MIN_MESSAGE_BYTES);
        prop_assert_eq!(Message::decode(&wire).unwrap(), m);
    }

    #[test]
    fn decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..1600)) {
        let _ = Message::decode(&bytes);
    }

    #[test]
    fn decode_never_panics_after_the_cookie(tail in proptest::collection::vec(any::<u8>(), 0..400)) {
        let mut b = discover_bytes();
        b.truncate(240);
        b.extend_from_slice(&tail);
        if let Ok(m) = Message::decode(&b) {
            let _ = m.vendor_blocks();
            let _ = m.lease_time();
        }
    }

    #[test]
    fn vendor_blocks_round_trip(blocks in proptest::collection::vec(
        (any::<u32>(), proptest::collection::vec((any::<u8>(), proptest::collection::vec(any::<u8>(), 0..20)), 0..5)),
        0..3,
    )) {
        let blocks: Vec<VendorBlock> = blocks
            .into_iter()
            .map(|(enterprise, suboptions)| VendorBlock { enterprise, suboptions })
            .collect();
        let wire = encode_vendor_blocks(&blocks).unwrap();
        prop_assert_eq!(decode_vendor_blocks(&wire).unwrap(), blocks);
    }
}
