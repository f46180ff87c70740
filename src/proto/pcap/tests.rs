//! Capture framing tests: builder → parser round trips for both formats and byte orders,
//! pcapng sections with several interfaces, timestamp resolutions and skipped blocks, byte-wise
//! incremental feeding, every malformed header, truncation at every cut point, and property
//! tests on arbitrary bytes.

use proptest::prelude::*;

use super::build::*;
use super::*;

/// (timestamp, link, data, original length) of every record, parsed as the file reader does.
type Seen = Vec<(u64, LinkType, Vec<u8>, u32)>;

fn parse_all(bytes: &[u8]) -> Result<Seen, CaptureError> {
    let mut parser = CaptureParser::new(CaptureLimits::default());
    let mut seen = Vec::new();
    let mut at = 0;
    loop {
        let input = &bytes[at..];
        match parser.parse(input)? {
            Parsed::Record { consumed, record } => {
                assert!((1..=input.len()).contains(&consumed));
                seen.push((
                    record.timestamp_ns,
                    record.link,
                    record.data.to_vec(),
                    record.original_len,
                ));
                at += consumed;
            }
            Parsed::Skipped { consumed } => {
                assert!((1..=input.len()).contains(&consumed));
                at += consumed;
            }
            Parsed::NeedMore { at_least } => {
                assert!(at_least > input.len());
                parser.finish(input)?;
                return Ok(seen);
            }
        }
    }
}

/// Feeds only as many bytes as the parser asked for, one more at a time.
fn parse_incrementally(bytes: &[u8]) -> Seen {
    let mut parser = CaptureParser::new(CaptureLimits::default());
    let mut seen = Vec::new();
    let (mut at, mut len) = (0, 0);
    while at < bytes.len() {
        let input = &bytes[at..(at + len).min(bytes.len())];
        match parser.parse(input).unwrap() {
            Parsed::Record { consumed, record } => {
                seen.push((
                    record.timestamp_ns,
                    record.link,
                    record.data.to_vec(),
                    record.original_len,
                ));
                (at, len) = (at + consumed, 0);
            }
            Parsed::Skipped { consumed } => (at, len) = (at + consumed, 0),
            Parsed::NeedMore { at_least } => {
                assert!(
                    at_least > input.len(),
                    "NeedMore must ask for more than it has"
                );
                len += 1;
            }
        }
    }
    seen
}

fn frames() -> Vec<Vec<u8>> {
    vec![vec![0xaa; 60], (0..=255).collect(), vec![], vec![7; 1514]]
}

fn classic(order: ByteOrder, nanos: bool) -> Vec<u8> {
    let mut out = pcap_header_in(order, LinkType::Ethernet, 65535, nanos).to_vec();
    for (i, frame) in frames().iter().enumerate() {
        let ts = 1_700_000_000_123_456_789 + i as u64 * 1_000_000_007;
        pcap_record_in(order, ts, frame, frame.len() as u32 + 4, nanos, &mut out);
    }
    out
}

#[test]
fn classic_pcap_round_trips_in_both_byte_orders_and_resolutions() {
    for order in [ByteOrder::Little, ByteOrder::Big] {
        for nanos in [false, true] {
            let bytes = classic(order, nanos);
            let seen = parse_all(&bytes).unwrap();
            assert_eq!(seen.len(), 4);
            for (i, (ts, link, data, original)) in seen.iter().enumerate() {
                let expected = 1_700_000_000_123_456_789 + i as u64 * 1_000_000_007;
                let expected = if nanos {
                    expected
                } else {
                    expected / 1_000 * 1_000
                };
                assert_eq!(*ts, expected, "{order:?} nanos={nanos}");
                assert_eq!(*link, LinkType::Ethernet);
                assert_eq!(data, &frames()[i]);
                assert_eq!(*original, data.len() as u32 + 4);
            }
            assert_eq!(parse_incrementally(&bytes), seen);
            let mut parser = CaptureParser::new(CaptureLimits::default());
            parser.parse(&bytes).unwrap();
            assert_eq!(parser.format(), Some(Format::Pcap { nanos }));
        }
    }
}

#[test]
fn classic_magic_is_read_from_hex() {
    // tcpdump's little-endian microsecond header: 2.4, snaplen 262144, Ethernet.
    let header =
        hex::decode("d4c3b2a1 02000400 00000000 00000000 00000400 01000000".replace(' ', ""))
            .unwrap();
    assert_eq!(header, pcap_header(LinkType::Ethernet, 262_144, false));
    let mut parser = CaptureParser::new(CaptureLimits::default());
    assert_eq!(
        parser.parse(&header).unwrap(),
        Parsed::Skipped { consumed: 24 }
    );
    // The FCS bits above the link type are ignored; 228 is raw IPv4.
    let mut header = pcap_header_in(ByteOrder::Big, LinkType::Ipv4, 100, true);
    header[20] = 0x10;
    let mut bytes = header.to_vec();
    pcap_record_in(ByteOrder::Big, 5, &[0x45], 1, true, &mut bytes);
    assert_eq!(
        parse_all(&bytes).unwrap(),
        vec![(5, LinkType::Ipv4, vec![0x45], 1)]
    );
}

fn two_interface_section(order: ByteOrder, out: &mut Vec<u8>) {
    section_header_in(order, out);
    interface_description_in(order, LinkType::Ethernet, 65535, None, None, out);
    interface_description_in(order, LinkType::Raw, 1500, Some(9), Some(10), out);
    enhanced_packet_in(order, 0, 1_700_000_000_000_001, &[1, 2, 3], 3, out);
    block_in(order, 0x0bad_cafe, &[9; 13], out); // unknown: skipped
    block_in(order, 5, &[0; 20], out); // interface statistics: skipped
    enhanced_packet_in(order, 1, 1_700_000_000_000_000_002, &[0x45; 21], 40, out);
}

#[test]
fn pcapng_sections_in_both_orders_with_two_interfaces() {
    let mut bytes = Vec::new();
    two_interface_section(ByteOrder::Big, &mut bytes);
    two_interface_section(ByteOrder::Little, &mut bytes);
    simple_packet(&[0xee; 5], &mut bytes);
    let seen = parse_all(&bytes).unwrap();
    let section = [
        (
            1_700_000_000_000_001_000,
            LinkType::Ethernet,
            vec![1, 2, 3],
            3,
        ),
        // Nanosecond interface with an if_tsoffset of 10 s.
        (1_700_000_010_000_000_002, LinkType::Raw, vec![0x45; 21], 40),
    ];
    let mut expected: Seen = section.iter().chain(section.iter()).cloned().collect();
    expected.push((0, LinkType::Ethernet, vec![0xee; 5], 5));
    assert_eq!(seen, expected);
    assert_eq!(parse_incrementally(&bytes), expected);
}

#[test]
fn pcapng_power_of_two_resolution_and_obsolete_packet_block() {
    let mut bytes = Vec::new();
    section_header(&mut bytes);
    interface_description(LinkType::LinuxSll2, 0, Some(0x80 | 20), &mut bytes);
    enhanced_packet(0, 3 << 20, &[1], &mut bytes);
    // Obsolete Packet Block: interface u16, drops u16, ts high, ts low, caplen, len, data.
    let mut body = Vec::new();
    for word in [0u16, 0] {
        body.extend_from_slice(&word.to_le_bytes());
    }
    for word in [0u32, 1 << 20, 2, 9] {
        body.extend_from_slice(&word.to_le_bytes());
    }
    body.extend_from_slice(&[7, 8]);
    block(2, &body, &mut bytes);
    assert_eq!(
        parse_all(&bytes).unwrap(),
        vec![
            (3_000_000_000, LinkType::LinuxSll2, vec![1], 1),
            (1_000_000_000, LinkType::LinuxSll2, vec![7, 8], 9),
        ]
    );
}

#[test]
fn simple_packet_is_cut_by_the_snap_length() {
    let mut bytes = Vec::new();
    section_header(&mut bytes);
    interface_description(LinkType::Ethernet, 4, None, &mut bytes);
    simple_packet(&[1, 2, 3, 4, 5, 6], &mut bytes);
    assert_eq!(
        parse_all(&bytes).unwrap(),
        vec![(0, LinkType::Ethernet, vec![1, 2, 3, 4], 6)]
    );
}

fn ng_prefix() -> Vec<u8> {
    let mut bytes = Vec::new();
    section_header(&mut bytes);
    interface_description(LinkType::Ethernet, 0, None, &mut bytes);
    bytes
}

fn first_error(bytes: &[u8]) -> CaptureError {
    parse_all(bytes).unwrap_err()
}

#[test]
fn rejects_files_that_are_not_captures() {
    assert_eq!(
        first_error(b"GET / HTTP/1.1\r\n"),
        CaptureError::NotACapture { magic: *b"GET " }
    );
    assert_eq!(first_error(b""), CaptureError::Empty);
    let mut header = pcap_header(LinkType::Ethernet, 0, false);
    header[4] = 3;
    assert!(matches!(
        first_error(&header),
        CaptureError::UnsupportedVersion { major: 3, .. }
    ));
    let mut shb = Vec::new();
    section_header(&mut shb);
    shb[12] = 2;
    assert!(matches!(
        first_error(&shb),
        CaptureError::UnsupportedVersion { major: 2, .. }
    ));
    shb[8] = 0;
    assert!(matches!(
        first_error(&shb),
        CaptureError::BadBlock {
            defect: BlockDefect::ByteOrderMagic,
            ..
        }
    ));
}

#[test]
fn rejects_every_kind_of_malformed_block() {
    let base = ng_prefix();
    let offset = base.len() as u64;
    let with = |f: &dyn Fn(&mut Vec<u8>)| {
        let mut bytes = base.clone();
        f(&mut bytes);
        first_error(&bytes)
    };
    let raw = |words: &[u32]| {
        words
            .iter()
            .flat_map(|w| w.to_le_bytes())
            .collect::<Vec<u8>>()
    };
    assert_eq!(
        with(&|b| b.extend(raw(&[6, 8, 8]))),
        CaptureError::BadBlock {
            offset,
            block_type: 6,
            defect: BlockDefect::LengthTooSmall(8)
        }
    );
    assert_eq!(
        with(&|b| b.extend(raw(&[6, 14, 0, 0]))),
        CaptureError::BadBlock {
            offset,
            block_type: 6,
            defect: BlockDefect::LengthNotAligned(14)
        }
    );
    assert_eq!(
        with(&|b| b.extend(raw(&[6, 16, 0, 20]))),
        CaptureError::BadBlock {
            offset,
            block_type: 6,
            defect: BlockDefect::TrailerMismatch {
                leading: 16,
                trailer: 20
            }
        }
    );
    assert_eq!(
        with(&|b| b.extend(raw(&[6, 0x1000_0000]))),
        CaptureError::BlockTooLarge {
            offset,
            length: 0x1000_0000,
            limit: DEFAULT_MAX_BLOCK_BYTES
        }
    );
    assert_eq!(
        with(&|b| b.extend(raw(&[6, 16, 0, 16]))),
        CaptureError::BadBlock {
            offset,
            block_type: 6,
            defect: BlockDefect::BodyTooShort {
                needed: 20,
                available: 4
            }
        }
    );
    assert_eq!(
        with(&|b| enhanced_packet(3, 0, &[1], b)),
        CaptureError::UnknownInterface {
            offset,
            interface: 3,
            known: 1
        }
    );
    // Captured length 9 in a block with room for 4 data bytes.
    assert_eq!(
        with(&|b| b.extend(raw(&[6, 36, 0, 0, 0, 9, 9, 0, 36]))),
        CaptureError::BadBlock {
            offset,
            block_type: 6,
            defect: BlockDefect::CapturedLengthExceedsBlock {
                captured_len: 9,
                available: 4
            }
        }
    );
    // if_tsresol option declaring 200 bytes in a 4-byte option area.
    assert_eq!(
        with(&|b| b.extend(raw(&[1, 24, 1, 0, 200 << 16 | 9, 24]))),
        CaptureError::BadBlock {
            offset,
            block_type: 1,
            defect: BlockDefect::OptionOverrun {
                code: 9,
                length: 200
            }
        }
    );
}

#[test]
fn enforces_the_limits() {
    let limits = CaptureLimits {
        max_record_bytes: 100,
        max_block_bytes: 1024,
        max_interfaces: 2,
    };
    let run = |bytes: &[u8]| {
        let mut parser = CaptureParser::new(limits);
        let mut at = 0;
        loop {
            match parser.parse(&bytes[at..]) {
                Ok(Parsed::Record { consumed, .. } | Parsed::Skipped { consumed }) => {
                    at += consumed
                }
                Ok(Parsed::NeedMore { .. }) => return None,
                Err(e) => return Some(e),
            }
        }
    };
    let mut classic = pcap_header(LinkType::Ethernet, 0, false).to_vec();
    pcap_record(0, &[0; 101], false, &mut classic);
    assert_eq!(
        run(&classic),
        Some(CaptureError::RecordTooLarge {
            offset: 24,
            captured_len: 101,
            limit: 100
        })
    );
    let mut ng = ng_prefix();
    let offset = ng.len() as u64;
    enhanced_packet(0, 0, &[0; 101], &mut ng);
    assert_eq!(
        run(&ng),
        Some(CaptureError::RecordTooLarge {
            offset,
            captured_len: 101,
            limit: 100
        })
    );
    let mut ng = ng_prefix();
    interface_description(LinkType::Raw, 0, None, &mut ng);
    let offset = ng.len() as u64;
    interface_description(LinkType::Raw, 0, None, &mut ng);
    assert_eq!(
        run(&ng),
        Some(CaptureError::TooManyInterfaces { offset, limit: 2 })
    );
}

#[test]
fn a_new_section_forgets_the_interfaces_of_the_previous_one() {
    let mut bytes = ng_prefix();
    section_header(&mut bytes);
    let offset = bytes.len() as u64;
    enhanced_packet(0, 0, &[1], &mut bytes);
    assert_eq!(
        first_error(&bytes),
        CaptureError::UnknownInterface {
            offset,
            interface: 0,
            known: 0
        }
    );
}

#[test]
fn every_truncation_point_is_reported_with_its_offset() {
    let mut ng = ng_prefix();
    enhanced_packet(0, 1, &[1; 10], &mut ng);
    enhanced_packet(0, 2, &[2; 3], &mut ng);
    for bytes in [
        classic(ByteOrder::Little, false),
        classic(ByteOrder::Big, true),
        ng,
    ] {
        let whole = parse_all(&bytes).unwrap();
        for cut in 1..bytes.len() {
            match parse_all(&bytes[..cut]) {
                // A cut on a record boundary is a valid, shorter file.
                Ok(seen) => assert_eq!(seen[..], whole[..seen.len()]),
                Err(CaptureError::Truncated {
                    offset,
                    needed,
                    available,
                }) => {
                    assert_eq!(offset as usize + available, cut);
                    assert!(needed > available);
                }
                Err(other) => panic!("cut at {cut}: {other}"),
            }
        }
    }
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic_or_overconsume(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        check_no_overconsumption(&bytes);
    }

    #[test]
    fn arbitrary_bytes_after_valid_headers_never_panic(
        tail in proptest::collection::vec(any::<u8>(), 0..512),
        ng in any::<bool>(),
    ) {
        let mut bytes = if ng { ng_prefix() } else { pcap_header(LinkType::Ethernet, 0, true).to_vec() };
        bytes.extend_from_slice(&tail);
        check_no_overconsumption(&bytes);
    }
}

fn check_no_overconsumption(bytes: &[u8]) {
    let mut parser = CaptureParser::new(CaptureLimits::default());
    let mut at = 0;
    while let Ok(parsed) = parser.parse(&bytes[at..]) {
        match parsed {
            Parsed::Record { consumed, record } => {
                assert!(consumed >= 1 && consumed <= bytes.len() - at);
                assert!(record.data.len() <= consumed);
                at += consumed;
            }
            Parsed::Skipped { consumed } => {
                assert!(consumed >= 1 && consumed <= bytes.len() - at);
                at += consumed;
            }
            Parsed::NeedMore { at_least } => {
                assert!(at_least > bytes.len() - at);
                let _ = parser.finish(&bytes[at..]);
                break;
            }
        }
    }
}
