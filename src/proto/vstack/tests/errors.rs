//! Typed errors: truncated, oversized, length mismatches (header vs. documented layout, header
//! vs. buffer), encode refusals, limits, and TLV overruns as findings.

use super::*;

#[test]
fn truncated_header_and_body() {
    let probe = Message::new(Body::Probe(Probe::HELLO)).encode().unwrap();
    assert_eq!(
        decode_all(&probe[..10], Limits::default()).error,
        Some(DecodeError::Truncated {
            offset: 0,
            expected: 16,
            available: 10
        })
    );
    let two = [probe.clone(), probe[..23].to_vec()].concat();
    let decoding = decode_all(&two, Limits::default());
    assert_eq!(decoding.frames.len(), 1);
    assert_eq!(
        decoding.error,
        Some(DecodeError::Truncated {
            offset: 24,
            expected: 24,
            available: 23
        })
    );
    assert_eq!(
        decode_message(&probe[..23], Limits::default()),
        Err(DecodeError::Truncated {
            offset: 0,
            expected: 24,
            available: 23
        })
    );
    assert_eq!(decode_all(&[], Limits::default()).error, None);
}

#[test]
fn oversized_against_default_and_custom_limits() {
    let huge = hex("00000001 00000001 00000007 ffffffff");
    assert_eq!(
        decode_all(&huge, Limits::default()).error,
        Some(DecodeError::Oversized {
            offset: 0,
            declared_length: u32::MAX,
            limit: 2048
        })
    );
    let copy = Message::new(Body::CopyCommands(CopyCommands::new::<&str>(&[]).unwrap()))
        .encode()
        .unwrap();
    let small = Limits::new(1047).unwrap();
    assert!(matches!(
        decode_message(&copy, small),
        Err(DecodeError::Oversized { limit: 1047, .. })
    ));
    assert!(decode_message(&copy, Limits::new(1048).unwrap()).is_ok());
    assert_eq!(
        Limits::new(15),
        Err(LimitError {
            requested: 15,
            min: 16,
            max: 1 << 20
        })
    );
    assert!(Limits::new((1 << 20) + 1).is_err());
}

#[test]
fn known_type_with_undocumented_length_is_a_length_mismatch() {
    // nmap's Firebird probe prefix (§3.3): type 2 with length 36.
    let firebird = [hex("00000001 00000013 00000002 00000024"), vec![0; 36]].concat();
    assert_eq!(
        decode_message(&firebird, Limits::default()),
        Err(DecodeError::LengthMismatch {
            offset: 0,
            msg_type: 2,
            declared_length: 36,
            documented: &[0x1c4]
        })
    );
    let short_config = hex("00000001 00000001 00000003 00000000");
    assert!(matches!(
        decode_message(&short_config, Limits::default()),
        Err(DecodeError::LengthMismatch {
            documented: &[1, 8, 0x128],
            ..
        })
    ));
}

#[test]
fn buffer_longer_than_its_header_has_trailing_bytes() {
    let poc = hex(&fixtures::poc_hex());
    assert_eq!(
        decode_message(&poc, Limits::new(4096).unwrap()),
        Err(DecodeError::TrailingBytes {
            offset: 0,
            declared_total: 232,
            actual: 2288
        })
    );
}

#[test]
fn tlv_overrun_and_short_header_are_findings_not_errors() {
    let overrun = hex("00000001 00000001 00000007 0000000c 00000009 00000100 41424344");
    let message = decode_one(&overrun);
    assert_eq!(
        message.findings(),
        [Finding::TlvOverrun {
            offset: 16,
            tlv_type: 9,
            declared_len: 0x100,
            available: 4
        }]
    );
    assert_eq!(message.encode().unwrap(), overrun);

    let short = hex("00000001 00000001 00000007 0000000b 00000001 00000000 010203");
    let message = decode_one(&short);
    assert_eq!(
        message.findings(),
        [Finding::TlvShortHeader { offset: 24, len: 3 }]
    );
    assert_eq!(message.encode().unwrap(), short);

    let max_len = hex("00000001 00000001 00000007 00000008 00000001 ffffffff");
    let Body::InitDiscovery(d) = decode_one(&max_len).body else {
        panic!()
    };
    assert_eq!(d.largest_value(), u64::from(u32::MAX));
}

#[test]
fn over_long_fields_are_encode_errors() {
    let url = format!("tftp://192.0.2.1/{}", "a".repeat(200));
    assert_eq!(
        ConfigPush::new(url.as_bytes(), ReloadSchedule::none()),
        Err(EncodeError::FieldTooLong {
            field: "config_url",
            max: 131,
            actual: url.len()
        })
    );
    assert!(Execute::new(&[b'a'; 131]).is_err());
    assert!(Execute::new(&[b'a'; 130]).is_ok());
    assert!(ImageUpgrade::new(&[b'a'; 415], UpgradeTiming::Immediate).is_err());
    assert!(
        ImageUpgrade::new(
            b"tftp://h/l",
            UpgradeTiming::At {
                hour: 24,
                minute: 0
            }
        )
        .is_err()
    );
    assert_eq!(
        CopyCommands::new(&["a", "b", "c", "d"]),
        Err(EncodeError::TooManyCommands { max: 3, actual: 4 })
    );
    assert!(CopyCommands::new(&["x".repeat(336)]).is_err());
}

#[test]
fn inconsistent_tlv_tails_are_refused() {
    let tail = |tail| {
        Message::new(Body::InitDiscovery(InitDiscovery {
            tlvs: Vec::new(),
            tail: Some(tail),
        }))
        .encode()
    };
    assert!(tail(TlvTail::ShortHeader { bytes: vec![] }).is_err());
    assert!(tail(TlvTail::ShortHeader { bytes: vec![0; 8] }).is_err());
    assert!(tail(TlvTail::ShortHeader { bytes: vec![0; 7] }).is_ok());
    let overrun = |declared_len| TlvTail::Overrun {
        tlv_type: 1,
        declared_len,
        value: vec![0; 4],
    };
    assert_eq!(
        tail(overrun(4)),
        Err(EncodeError::InconsistentTlvTail {
            declared_len: 4,
            value_len: 4
        })
    );
    assert!(tail(overrun(5)).is_ok());
}
