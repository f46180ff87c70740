//! The CDP parser checked against an independent dissector: every `tests/fixtures/cdp/*.hex`
//! frame (built by `generate.py` from the documented layout) is decoded by `proto::cdp`, and its
//! fields are compared with what tshark printed for the same frame (`*.tshark.txt`, recorded with
//! `TZ=UTC tshark -r <pcap> -V -O cdp`). When tshark is installed the test also re-runs it on a
//! pcap written here and checks the recorded text is still what it prints; otherwise it says why
//! that part is skipped. The CLI decodes every fixture too.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

use ztpgate::cli::cdp::frame_bytes;
use ztpgate::policy::join::Mac;
use ztpgate::proto::cdp::{Address, Frame, Tlv, decode_frame};

/// What tshark printed for one frame, as the fields we check.
#[derive(Debug, Default)]
struct Dissection {
    version: Option<String>,
    ttl: Option<String>,
    checksum_good: bool,
    device_id: Option<String>,
    platform: Option<String>,
    port_id: Option<String>,
    version_lines: Vec<String>,
    native_vlan: Option<String>,
    vtp_domain: Option<String>,
    duplex: Option<String>,
    capabilities: Option<String>,
    addresses: Vec<String>,
    management_addresses: Vec<String>,
    unknown: Vec<(String, String)>,
    vlan: Option<String>,
    source: Option<String>,
}

/// Parses `tshark -V -O cdp` text: top-level TLV lines are indented 4 spaces, their fields 8,
/// address entries' fields 12.
fn dissect(text: &str) -> Dissection {
    let mut d = Dissection::default();
    let mut section = String::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("802.1Q Virtual LAN, ") {
            d.vlan = rest.rsplit("ID: ").next().map(str::to_owned);
        }
        if let Some(rest) = line.strip_prefix("Ethernet II, Src: ") {
            d.source = rest.split(['(', ')']).nth(1).map(str::to_owned);
        }
        let field = |prefix: &str| line.strip_prefix(prefix).map(str::to_owned);
        if line.starts_with("    ") && !line.starts_with("     ") {
            section = line.trim().to_owned();
            d.version = d.version.take().or_else(|| field("    Version: "));
            d.ttl = d.ttl.take().or_else(|| field("    TTL: "));
            d.checksum_good |= line == "    [Checksum Status: Good]";
            if let Some(rest) = line.strip_prefix("    Type: Unknown (") {
                d.unknown
                    .push((rest.split(')').next().unwrap().to_owned(), String::new()));
            }
        }
        let slot = match () {
            () if line.starts_with("        Device ID: ") => &mut d.device_id,
            () if line.starts_with("        Platform: ") => &mut d.platform,
            () if line.starts_with("        Sent through Interface: ") => &mut d.port_id,
            () if line.starts_with("        Native VLAN: ") => &mut d.native_vlan,
            () if line.starts_with("        VTP Management Domain: ") => &mut d.vtp_domain,
            () if line.starts_with("        Duplex: ") => &mut d.duplex,
            () if line.starts_with("        Capabilities: ") => &mut d.capabilities,
            () => &mut None,
        };
        let top_field = line.starts_with("        ") && !line.starts_with("         ");
        if let Some((_, value)) = line.trim_start().split_once(": ")
            && slot.is_none()
            && top_field
        {
            *slot = Some(value.to_owned());
        }
        if let Some(v) = field("        Software version: ") {
            d.version_lines.push(v);
        }
        if let Some(data) = field("        Data: ")
            && let Some(last) = d.unknown.last_mut()
        {
            last.1 = data;
        }
        let address =
            field("            IP Address: ").or_else(|| field("            IPv6 Address: "));
        if let Some(a) = address {
            match section.as_str() {
                "Addresses" => d.addresses.push(a),
                "Management Addresses" => d.management_addresses.push(a),
                other => panic!("address outside an address TLV: {other}"),
            }
        }
    }
    d
}

fn fixtures() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cdp");
    let mut out: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "hex"))
        .collect();
    out.sort();
    assert!(out.len() >= 5, "fixtures missing in {}", dir.display());
    out
}

fn load(hex_path: &Path) -> (Vec<u8>, Frame, String) {
    let bytes = frame_bytes(&std::fs::read(hex_path).unwrap()).unwrap();
    let frame = decode_frame(&bytes).unwrap_or_else(|e| panic!("{}: {e}", hex_path.display()));
    let recorded = std::fs::read_to_string(hex_path.with_extension("tshark.txt")).unwrap();
    (bytes, frame, recorded)
}

fn strings(addrs: &[Address]) -> Vec<String> {
    addrs.iter().map(ToString::to_string).collect()
}

#[test]
fn parser_agrees_with_tshark_on_every_fixture() {
    for path in fixtures() {
        let (_, frame, recorded) = load(&path);
        let t = dissect(&recorded);
        let n = frame.pdu.neighbor();
        let name = path.display();
        assert!(
            t.checksum_good,
            "{name}: tshark disagrees with the checksum"
        );
        assert_eq!(
            t.version,
            Some(frame.pdu.version.number().to_string()),
            "{name}"
        );
        assert_eq!(
            t.ttl,
            Some(format!("{} seconds", frame.pdu.ttl_secs)),
            "{name}"
        );
        assert_eq!(t.device_id, n.device_id, "{name}");
        assert_eq!(t.platform, n.platform, "{name}");
        assert_eq!(t.port_id, n.port_id, "{name}");
        let ours: Vec<&str> = n.software_version.as_deref().unwrap().lines().collect();
        assert_eq!(t.version_lines, ours, "{name}");
        assert_eq!(
            t.version_lines.first().map(String::as_str),
            n.version_line()
        );
        assert_eq!(
            t.native_vlan,
            n.native_vlan.map(|v| v.to_string()),
            "{name}"
        );
        assert_eq!(t.vtp_domain, n.vtp_domain, "{name}");
        let duplex = n.duplex.map(|d| format!("{d:?}"));
        assert_eq!(t.duplex, duplex, "{name}");
        let caps = n.capabilities.map(|c| format!("{:#010x}", c.0));
        assert_eq!(t.capabilities, caps, "{name}");
        assert_eq!(t.addresses, strings(&n.addresses), "{name}");
        assert_eq!(
            t.management_addresses,
            strings(&n.management_addresses),
            "{name}"
        );
        assert_eq!(t.vlan, frame.vlan.map(|v| v.to_string()), "{name}");
        if let Some(source) = &t.source {
            assert_eq!(*source, Mac(frame.source).to_string(), "{name}");
        }
        let unknown: Vec<(String, String)> = frame
            .pdu
            .tlvs
            .iter()
            .filter_map(|tlv| match tlv {
                Tlv::Unknown { kind, value } if *kind > 0x0016 => {
                    Some((format!("{kind:#06x}"), hex::encode(value)))
                }
                _ => None,
            })
            .collect();
        assert_eq!(t.unknown, unknown, "{name}");
    }
}

#[test]
fn fixtures_cover_ipv6_router_vtp_vlan_tag_and_unknown_tlvs() {
    let frames: Vec<Frame> = fixtures().iter().map(|p| load(p).1).collect();
    let neighbors: Vec<_> = frames.iter().map(|f| f.pdu.neighbor()).collect();
    let any_v6 = |a: &[Address]| a.iter().any(|a| matches!(a, Address::Ipv6(_)));
    assert!(neighbors.iter().any(|n| any_v6(&n.management_addresses)));
    assert!(neighbors.iter().any(|n| {
        n.capabilities
            .is_some_and(|c| c.names() == ["router", "igmp"])
    }));
    assert!(
        neighbors
            .iter()
            .any(|n| n.vtp_domain.is_some() && n.native_vlan == Some(100))
    );
    assert!(
        neighbors
            .iter()
            .any(|n| n.pid() == Some("WS-C2960X-48FPD-L"))
    );
    assert!(frames.iter().any(|f| f.vlan.is_some()));
    assert!(
        frames
            .iter()
            .any(|f| f.pdu.tlvs.iter().any(|t| t.kind() == 0x7a01))
    );
}

/// A one-frame pcap (LINKTYPE_ETHERNET, timestamp 0).
fn pcap(frame: &[u8]) -> Vec<u8> {
    let len = u32::try_from(frame.len()).unwrap().to_le_bytes();
    let mut out = Vec::new();
    out.extend_from_slice(&0xa1b2_c3d4_u32.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&4u16.to_le_bytes());
    out.extend_from_slice(&[0; 8]);
    out.extend_from_slice(&65_535u32.to_le_bytes());
    out.extend_from_slice(&1u32.to_le_bytes());
    out.extend_from_slice(&[0; 8]);
    out.extend_from_slice(&len);
    out.extend_from_slice(&len);
    out.extend_from_slice(frame);
    out
}

#[test]
fn recorded_dissections_match_tshark_today() {
    if Command::new("tshark").arg("--version").output().is_err() {
        println!("skipped: tshark is not installed (scripts/install-deps.sh installs it)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for path in fixtures() {
        let (bytes, _, recorded) = load(&path);
        let file = dir.path().join("frame.pcap");
        std::fs::write(&file, pcap(&bytes)).unwrap();
        let out = Command::new("tshark")
            .env("TZ", "UTC")
            .arg("-r")
            .arg(&file)
            .args(["-V", "-O", "cdp"])
            .output()
            .unwrap();
        assert!(out.status.success(), "tshark failed on {}", path.display());
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            recorded,
            "{}: tshark now dissects it differently (regenerate with generate.py and review)",
            path.display()
        );
    }
}

#[test]
fn cli_decodes_every_fixture_as_json() {
    for path in fixtures() {
        let out = Command::new(env!("CARGO_BIN_EXE_ztpgate"))
            .args(["cdp", "decode", "--json"])
            .arg(&path)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let (_, frame, _) = load(&path);
        assert_eq!(
            doc["neighbor"]["device_id"],
            frame.pdu.neighbor().device_id.unwrap()
        );
        assert_eq!(doc["tlvs"].as_array().unwrap().len(), frame.pdu.tlvs.len());
    }
    let bad = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(bad.path(), "01 00 0c cc cc cc 00").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_ztpgate"))
        .args(["cdp", "decode"])
        .arg(bad.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
}
