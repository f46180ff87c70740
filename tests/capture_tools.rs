//! Cross-checks of the capture writers and parser against real tools: captures built with
//! `proto::pcap::build` and `proto::packet::build` are read by tcpdump and tshark (addresses,
//! ports, VLAN, checksums), and a pcap converted by editcap to pcapng is read back by the
//! parser. Each test skips with a printed reason when its tool is not installed.

#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;

use ztpgate::edge::capture_file::CaptureFile;
use ztpgate::proto::packet::build::{FrameSpec, Framing, TcpConversation, udp_frame};
use ztpgate::proto::packet::{self, Transport};
use ztpgate::proto::pcap::LinkType;
use ztpgate::proto::pcap::build::{
    enhanced_packet, interface_description, pcap_header, pcap_record, section_header,
};

fn tool(name: &str) -> Option<String> {
    let path = format!("/usr/bin/{name}");
    if Path::new(&path).exists() {
        Some(path)
    } else {
        println!("skipped: {path} is not installed");
        None
    }
}

fn run(program: &str, args: &[&str]) -> String {
    let output = Command::new(program).args(args).output().unwrap();
    assert!(
        output.status.success(),
        "{program} {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

fn sock(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

/// A Smart Install exchange on VLAN 42 plus a TFTP request, as a classic pcap.
fn smart_install_pcap() -> Vec<u8> {
    let spec = FrameSpec::new(Framing::Vlan(42));
    let mut conversation =
        TcpConversation::new(spec, sock("10.9.0.20:50123"), sock("10.9.0.1:4786"));
    let mut frames = conversation.handshake();
    frames.extend(conversation.send(packet::build::Side::Client, &[0x11; 600], 256));
    frames.extend(conversation.close(packet::build::Side::Client));
    frames.push(udp_frame(
        &spec,
        sock("10.9.0.20:40000"),
        sock("10.9.0.5:69"),
        b"\x00\x01c.txt\x00octet\x00",
    ));
    let mut bytes = pcap_header(LinkType::Ethernet, 65_535, false).to_vec();
    for (i, frame) in frames.iter().enumerate() {
        pcap_record(
            1_700_000_000_000_000_000 + i as u64 * 1_000_000,
            frame,
            false,
            &mut bytes,
        );
    }
    bytes
}

#[test]
fn tcpdump_reads_built_frames_with_correct_checksums_and_vlan() {
    let Some(tcpdump) = tool("tcpdump") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("si.pcap");
    std::fs::write(&path, smart_install_pcap()).unwrap();
    let file = path.to_str().unwrap();
    let text = run(&tcpdump, &["-r", file, "-nn", "-e", "-vv"]);
    assert_eq!(text.matches("vlan 42").count(), 10, "{text}");
    assert_eq!(
        text.matches("10.9.0.20.50123 > 10.9.0.1.4786").count(),
        7,
        "{text}"
    );
    assert_eq!(
        text.matches("10.9.0.1.4786 > 10.9.0.20.50123").count(),
        2,
        "{text}"
    );
    assert!(text.contains("10.9.0.20.40000 > 10.9.0.5.69"), "{text}");
    assert!(
        !text.contains("incorrect") && !text.contains("bad "),
        "checksums: {text}"
    );
    assert_eq!(
        text.matches("(correct)").count(),
        9,
        "TCP checksums: {text}"
    );
    assert_eq!(
        text.matches("[udp sum ok]").count(),
        1,
        "UDP checksum: {text}"
    );
    let filtered = run(&tcpdump, &["-r", file, "-nn", "vlan and tcp port 4786"]);
    assert_eq!(filtered.lines().count(), 9, "{filtered}");
}

#[test]
fn tshark_reads_a_two_interface_pcapng() {
    let Some(tshark) = tool("tshark") else { return };
    let mut bytes = Vec::new();
    section_header(&mut bytes);
    interface_description(LinkType::Ethernet, 65_535, None, &mut bytes);
    interface_description(LinkType::LinuxSll, 65_535, Some(9), &mut bytes);
    let eth = udp_frame(
        &FrameSpec::default(),
        sock("192.0.2.1:1000"),
        sock("192.0.2.2:69"),
        b"x",
    );
    let sll = udp_frame(
        &FrameSpec::new(Framing::LinuxSll),
        sock("[2001:db8::1]:2000"),
        sock("[2001:db8::2]:80"),
        b"y",
    );
    enhanced_packet(0, 1_700_000_000_000_000, &eth, &mut bytes);
    enhanced_packet(1, 1_700_000_001_000_000_000, &sll, &mut bytes);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("two.pcapng");
    std::fs::write(&path, bytes).unwrap();
    let text = run(
        &tshark,
        &[
            "-r",
            path.to_str().unwrap(),
            "-T",
            "fields",
            "-E",
            "separator=,",
            "-e",
            "frame.interface_id",
            "-e",
            "frame.time_epoch",
            "-e",
            "ip.src",
            "-e",
            "ipv6.src",
            "-e",
            "udp.dstport",
        ],
    );
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(
        lines[0].starts_with("0,1700000000.000000000,192.0.2.1,,69"),
        "{text}"
    );
    assert!(
        lines[1].starts_with("1,1700000001.000000000,,2001:db8::1,80"),
        "{text}"
    );
}

#[test]
fn editcap_pcapng_conversion_parses_to_the_same_records() {
    let Some(editcap) = tool("editcap") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (input, output) = (dir.path().join("in.pcap"), dir.path().join("out.pcapng"));
    let bytes = smart_install_pcap();
    std::fs::write(&input, &bytes).unwrap();
    run(
        &editcap,
        &[
            "-F",
            "pcapng",
            input.to_str().unwrap(),
            output.to_str().unwrap(),
        ],
    );
    let read = |path: &Path| {
        let mut records = Vec::new();
        CaptureFile::open(path)
            .unwrap()
            .for_each(|r| records.push((r.timestamp_ns, r.link, r.data.to_vec(), r.original_len)))
            .unwrap();
        records
    };
    let (classic, ng) = (read(&input), read(&output));
    assert_eq!(classic.len(), 10);
    assert_eq!(classic, ng);
    let stream: Vec<u8> = ng
        .iter()
        .filter_map(
            |(_, link, data, _)| match packet::decode(*link, data).unwrap()?.transport {
                Transport::Tcp(tcp) if tcp.dst_port == 4786 => Some(tcp.payload.to_vec()),
                _ => None,
            },
        )
        .flatten()
        .collect();
    assert_eq!(stream, vec![0x11; 600]);
}
