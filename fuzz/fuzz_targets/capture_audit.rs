//! Fuzz target: the capture auditor end to end — capture parser (pcap/pcapng), link/IP/TCP/UDP
//! decoder, flow table and per-direction reassembly, the Smart Install, TFTP, HTTP/PnP and FTP
//! observers and the DHCP reply decoder, with the embedded rules — must never panic and must
//! keep its caps, whatever the bytes (`inspect`, `proto::pcap`, `proto::packet`). Inputs are
//! arbitrary, attacker-style bytes; the first byte picks the mode:
//! - even: the rest is a capture file, parsed record by record;
//! - odd: the rest is a script of segments on four TCP flows (4786, 80, 21, 8080), TFTP
//!   requests and DHCP replies, each `[selector, offset hi, offset lo, length, payload…]`,
//!   written as valid frames so that the reassembler and the observers see out-of-order,
//!   overlapping, conflicting, duplicated and reset segments rather than checksum failures.
//!
//! Small flow caps make eviction, gap declaration and budget exhaustion reachable.
#![no_main]

use std::net::SocketAddr;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use ztpgate::inspect::auditor::{Auditor, AuditorSettings};
use ztpgate::inspect::flows::FlowLimits;
use ztpgate::proto::packet::TcpFlags;
use ztpgate::proto::packet::build::{FrameSpec, Framing, tcp_frame, udp_frame};
use ztpgate::proto::pcap::{CaptureLimits, CaptureParser, Parsed};
use ztpgate::rules::RuleSet;

const PORTS: [u16; 4] = [4786, 80, 21, 8080];
const MAX_BUFFERED_TOTAL: usize = 16 * 1024;

fn rules() -> RuleSet {
    static RULES: OnceLock<RuleSet> = OnceLock::new();
    RULES
        .get_or_init(|| ztpgate::config::rules::builtin().expect("embedded rules"))
        .clone()
}

fn auditor() -> Auditor {
    let settings = AuditorSettings {
        flows: FlowLimits {
            max_flows: 3,
            max_buffered_per_direction: 4 * 1024,
            max_segments_per_direction: 16,
            max_buffered_total: MAX_BUFFERED_TOTAL,
            history_per_direction: 256,
            ..FlowLimits::default()
        },
        max_findings: 64,
        ..AuditorSettings::default()
    };
    Auditor::new(rules(), settings).expect("valid limits")
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let mut auditor = auditor();
    let records = if mode & 1 == 0 {
        capture(&mut auditor, rest)
    } else {
        script(&mut auditor, rest, mode)
    };
    let stats = auditor.stats();
    assert_eq!(stats.records, records);
    let report = auditor.finish();
    assert!(report.findings.len() <= 64);
    assert!(report.stats.peak_buffered_bytes <= 2 * MAX_BUFFERED_TOTAL as u64);
    for f in &report.findings {
        let _ = (f.time(), serde_json::to_string(f).expect("findings serialize"));
    }
});

/// Feeds every record of the capture file `bytes`; returns how many there were.
fn capture(auditor: &mut Auditor, bytes: &[u8]) -> u64 {
    let mut parser = CaptureParser::new(CaptureLimits::default());
    let mut input = bytes;
    let mut records = 0;
    loop {
        match parser.parse(input) {
            Ok(Parsed::Record { consumed, record }) => {
                auditor.record(record.timestamp_ns, record.link, record.data);
                records += 1;
                input = &input[consumed..];
            }
            Ok(Parsed::Skipped { consumed }) => input = &input[consumed..],
            Ok(Parsed::NeedMore { .. }) | Err(_) => return records,
        }
    }
}

/// Feeds the segments the script `bytes` describes; returns how many frames were written.
fn script(auditor: &mut Auditor, mut bytes: &[u8], mode: u8) -> u64 {
    let framing = match mode >> 5 {
        0 | 1 => Framing::Ethernet,
        2 => Framing::Vlan(7),
        3 => Framing::QinQ { outer: 1, inner: 2 },
        4 => Framing::LinuxSll,
        5 => Framing::LinuxSll2,
        6 => Framing::Raw,
        _ => Framing::Null,
    };
    let spec = FrameSpec::new(framing);
    let v6 = mode & 2 != 0;
    let (client_ip, server_ip) = if v6 {
        ("[2001:db8::1]", "[2001:db8::2]")
    } else {
        ("192.0.2.1", "192.0.2.2")
    };
    let mut ts = 1_700_000_000_000_000_000u64;
    let mut records = 0;
    while let [selector, hi, lo, len, tail @ ..] = bytes {
        let take = usize::from(*len).min(tail.len());
        let (payload, next) = tail.split_at(take);
        bytes = next;
        let flow = usize::from(selector & 3);
        let from_server = selector & 4 != 0;
        let client: SocketAddr = format!("{client_ip}:{}", 40_000 + flow)
            .parse()
            .expect("address");
        let server: SocketAddr = format!("{server_ip}:{}", PORTS[flow])
            .parse()
            .expect("address");
        let (src, dst) = if from_server {
            (server, client)
        } else {
            (client, server)
        };
        let frame = if selector & 0xf8 == 0xf8 {
            if selector & 1 == 0 {
                let tftp = SocketAddr::new(server.ip(), 69);
                udp_frame(&spec, client, tftp, payload)
            } else {
                let dhcp_server = SocketAddr::new(server.ip(), 67);
                let dhcp_client = SocketAddr::new(client.ip(), 68);
                udp_frame(&spec, dhcp_server, dhcp_client, payload)
            }
        } else {
            // SYN, FIN, RST and ACK from bits 3–6; PSH with any payload.
            let mut flags = TcpFlags(((selector >> 3) & 0x07) | 0x10);
            if selector & 0x40 != 0 {
                flags = TcpFlags(flags.0 & !0x10);
            }
            if !payload.is_empty() {
                flags = TcpFlags(flags.0 | TcpFlags::PSH.0);
            }
            let isn = if from_server { 0x8000_0000u32 } else { 1000 };
            let offset = u32::from(u16::from_be_bytes([*hi, *lo]));
            tcp_frame(&spec, src, dst, isn.wrapping_add(offset), 0, flags, payload)
        };
        ts += u64::from(*hi) * 1_000_000_000 / 8;
        auditor.record(ts, spec.link_type(), &frame);
        records += 1;
    }
    records
}
