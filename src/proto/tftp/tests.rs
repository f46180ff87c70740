//! Codec tests: RFC 1350 packets written out as hex, option lists (RFC 2347/2348), every decode
//! error, and property tests (round trip, no panics on arbitrary datagrams).

use proptest::prelude::*;

use super::*;

fn hex(s: &str) -> Vec<u8> {
    hex::decode(s.replace(' ', "")).unwrap()
}

#[test]
fn decodes_the_legacy_test_rrq_of_snort_41793() {
    // RRQ "random_file" octet: the 20-byte datagram of smart-install.md §3.9.
    let bytes = hex("0001 72616e646f6d5f66696c6500 6f6374657400");
    assert_eq!(bytes.len(), 20);
    let packet = Packet::decode(&bytes).unwrap();
    assert_eq!(packet, Packet::Rrq(Request::octet("random_file")));
    assert_eq!(packet.encode().unwrap(), bytes);
}

#[test]
fn decodes_wrq_with_blksize_option() {
    let bytes = hex("0002 612e636f6e6600 4f4354455400 626c6b73697a6500 3134363800");
    let Packet::Wrq(r) = Packet::decode(&bytes).unwrap() else {
        panic!("not a WRQ");
    };
    assert_eq!(r.filename, "a.conf");
    assert_eq!(r.mode, Mode::Octet);
    assert_eq!(r.options, vec![("blksize".to_owned(), "1468".to_owned())]);
}

#[test]
fn decodes_data_ack_error_and_oack() {
    assert_eq!(
        Packet::decode(&hex("0003 0001")).unwrap(),
        Packet::Data {
            block: 1,
            data: Vec::new()
        }
    );
    assert_eq!(
        Packet::decode(&hex("0004 ffff")).unwrap(),
        Packet::Ack { block: 0xffff }
    );
    assert_eq!(
        Packet::decode(&hex("0005 0001 6e6f00")).unwrap(),
        Packet::error(ErrorCode::FileNotFound, "no")
    );
    assert_eq!(
        Packet::decode(&hex("0006 7473697a6500 313000")).unwrap(),
        Packet::OAck {
            options: vec![("tsize".to_owned(), "10".to_owned())]
        }
    );
}

#[test]
fn rejects_malformed_datagrams() {
    let cases: [(&str, DecodeError); 9] = [
        ("00", DecodeError::TooShort { len: 1, needed: 2 }),
        ("0009", DecodeError::UnknownOpcode { opcode: 9 }),
        ("0001 6100", DecodeError::Unterminated { offset: 4 }),
        ("0001 6100 7a7a00", DecodeError::UnknownMode { offset: 4 }),
        (
            "0001 6100 6f6374657400 6100",
            DecodeError::BadOptions { offset: 10 },
        ),
        ("0001 ff00 6f6374657400", DecodeError::NotUtf8 { offset: 2 }),
        ("0004 0001 00", DecodeError::TrailingBytes { extra: 1 }),
        ("0005 0000 6100 62", DecodeError::TrailingBytes { extra: 1 }),
        ("0004 01", DecodeError::TooShort { len: 3, needed: 4 }),
    ];
    for (input, expected) in cases {
        assert_eq!(Packet::decode(&hex(input)), Err(expected), "{input}");
    }
}

#[test]
fn rejects_oversized_text_and_datagrams() {
    let mut long = vec![0, 1];
    long.extend(std::iter::repeat_n(b'a', MAX_TEXT_BYTES + 1));
    long.extend_from_slice(b"\0octet\0");
    assert!(matches!(
        Packet::decode(&long),
        Err(DecodeError::TextTooLong { offset: 2, .. })
    ));
    let huge = vec![0u8; MAX_DATAGRAM_BYTES + 1];
    assert!(matches!(
        Packet::decode(&huge),
        Err(DecodeError::TooLong { .. })
    ));
}

#[test]
fn refuses_to_encode_what_does_not_fit() {
    let nul = Packet::Rrq(Request::octet("a\0b"));
    assert!(matches!(
        nul.encode(),
        Err(EncodeError::BadText { has_nul: true, .. })
    ));
    let empty = Packet::Wrq(Request::octet(""));
    assert!(matches!(
        empty.encode(),
        Err(EncodeError::BadText { len: 0, .. })
    ));
    let big = Packet::Data {
        block: 1,
        data: vec![0; MAX_BLOCK_BYTES + 1],
    };
    assert!(matches!(big.encode(), Err(EncodeError::TooLarge { .. })));
}

#[test]
fn mode_is_case_insensitive_and_error_codes_round_trip() {
    let Packet::Rrq(r) = Packet::decode(&hex("0001 6100 4e6574415343494900")).unwrap() else {
        panic!("not an RRQ");
    };
    assert_eq!(r.mode, Mode::Netascii);
    for code in 0..=10u16 {
        assert_eq!(ErrorCode::from_code(code).code(), code);
    }
}

fn text() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9_./-]{1,40}"
}

fn options() -> impl Strategy<Value = Vec<(String, String)>> {
    prop::collection::vec((text(), text()), 0..4)
}

fn request() -> impl Strategy<Value = Request> {
    let mode = prop_oneof![Just(Mode::Octet), Just(Mode::Netascii), Just(Mode::Mail)];
    (text(), mode, options()).prop_map(|(filename, mode, options)| Request {
        filename,
        mode,
        options,
    })
}

fn packet() -> impl Strategy<Value = Packet> {
    prop_oneof![
        request().prop_map(Packet::Rrq),
        request().prop_map(Packet::Wrq),
        (any::<u16>(), prop::collection::vec(any::<u8>(), 0..600))
            .prop_map(|(block, data)| Packet::Data { block, data }),
        any::<u16>().prop_map(|block| Packet::Ack { block }),
        (any::<u16>(), "[ -~]{0,40}").prop_map(|(c, m)| Packet::Error {
            code: ErrorCode::from_code(c),
            message: m,
        }),
        options().prop_map(|options| Packet::OAck { options }),
    ]
}

proptest! {
    #[test]
    fn every_packet_round_trips(p in packet()) {
        let bytes = p.encode().unwrap();
        prop_assert_eq!(Packet::decode(&bytes).unwrap(), p);
    }

    #[test]
    fn arbitrary_datagrams_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..700)) {
        if let Ok(p) = Packet::decode(&bytes) {
            // Whatever decodes re-encodes to a datagram that decodes the same way.
            let again = p.encode().unwrap();
            prop_assert_eq!(Packet::decode(&again).unwrap(), p);
        }
    }
}
