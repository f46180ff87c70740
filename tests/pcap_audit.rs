//! `ztpgate pcap audit`, run as the built binary on captures this test writes (frames from the
//! documented layouts via `proto::packet::build`, attacks from the `sim::attack` corpus): every
//! attack found by its rule in every link framing and in pcap and pcapng, benign director traffic
//! without findings, the exit status following `--fail-on`, SARIF that names the rules, a
//! truncated capture still reported, and garbage refused with exit 2.

#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use ztpgate::proto::packet::build::{FrameSpec, Framing, Side, TcpConversation, udp_frame};
use ztpgate::proto::pcap::build::{
    enhanced_packet, interface_description, pcap_header, pcap_record, section_header,
};
use ztpgate::sim::attack::{self, Mode, Params};

fn audit(file: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ztpgate"))
        .args(["pcap", "audit"])
        .arg(file)
        .args(args)
        .output()
        .unwrap()
}

fn json(output: &Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&output.stdout)))
}

fn rules_found(report: &serde_json::Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap().to_owned())
        .collect()
}

/// Frames of a capture, one millisecond apart.
struct Capture {
    spec: FrameSpec,
    frames: Vec<Vec<u8>>,
}

impl Capture {
    fn new(framing: Framing) -> Self {
        Self {
            spec: FrameSpec::new(framing),
            frames: Vec::new(),
        }
    }

    fn connection(&mut self, from: SocketAddr, to: SocketAddr, segments: &[Vec<u8>], reply: &[u8]) {
        let mut c = TcpConversation::new(self.spec, from, to);
        self.frames.extend(c.handshake());
        for s in segments {
            self.frames.extend(c.send(Side::Client, s, 536));
        }
        if !reply.is_empty() {
            self.frames.extend(c.send(Side::Server, reply, 536));
        }
        self.frames.extend(c.close(Side::Client));
    }

    fn udp(&mut self, from: SocketAddr, to: SocketAddr, payload: &[u8]) {
        self.frames.push(udp_frame(&self.spec, from, to, payload));
    }

    fn pcap(&self) -> Vec<u8> {
        let mut out = pcap_header(self.spec.link_type(), 65_535, true).to_vec();
        for (i, f) in self.frames.iter().enumerate() {
            pcap_record(
                1_790_000_000_000_000_000 + i as u64 * 1_000_000,
                f,
                true,
                &mut out,
            );
        }
        out
    }

    fn pcapng(&self) -> Vec<u8> {
        let mut out = Vec::new();
        section_header(&mut out);
        interface_description(self.spec.link_type(), 65_535, Some(9), &mut out);
        for (i, f) in self.frames.iter().enumerate() {
            enhanced_packet(
                0,
                1_790_000_000_000_000_000 + i as u64 * 1_000_000,
                f,
                &mut out,
            );
        }
        out
    }
}

struct Hosts {
    director: SocketAddr,
    client: SocketAddr,
    attacker: SocketAddr,
    attacker_tftp: SocketAddr,
    client_tftp: SocketAddr,
}

fn v4() -> Hosts {
    Hosts {
        director: "192.0.2.1:40001".parse().unwrap(),
        client: "192.0.2.2:4786".parse().unwrap(),
        attacker: "198.51.100.66:40002".parse().unwrap(),
        attacker_tftp: "198.51.100.66:69".parse().unwrap(),
        client_tftp: "192.0.2.2:50001".parse().unwrap(),
    }
}

fn v6() -> Hosts {
    Hosts {
        director: "[2001:db8::1]:40001".parse().unwrap(),
        client: "[2001:db8::2]:4786".parse().unwrap(),
        attacker: "[2001:db8:66::66]:40002".parse().unwrap(),
        attacker_tftp: "[2001:db8:66::66]:69".parse().unwrap(),
        client_tftp: "[2001:db8::2]:50001".parse().unwrap(),
    }
}

fn corpus(mode: Mode, tftp_host: &str) -> Vec<Vec<u8>> {
    let params = Params {
        tftp_host: tftp_host.into(),
        target_name: "192.0.2.2".into(),
        file: None,
    };
    attack::build(mode, &params).unwrap().segments
}

const PROBE_REPLY: [u8; 24] = [
    0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 8, 0, 0, 0, 1, 0, 0, 0, 0,
];

fn tftp_request(opcode: u8, name: &str) -> Vec<u8> {
    let mut p = vec![0, opcode];
    p.extend_from_slice(name.as_bytes());
    p.extend_from_slice(b"\0octet\0");
    p
}

/// Every attack of the corpus from the attacker, with the client's callbacks.
fn attacks(framing: Framing, h: &Hosts) -> Capture {
    let tftp_host = h.attacker_tftp.ip().to_string();
    let mut c = Capture::new(framing);
    c.connection(
        h.attacker,
        h.client,
        &corpus(Mode::Test, &tftp_host),
        &PROBE_REPLY,
    );
    for mode in [
        Mode::ChangeConfig,
        Mode::UpdateIos,
        Mode::Execute,
        Mode::Cve20180171,
        Mode::Split,
    ] {
        c.connection(h.attacker, h.client, &corpus(mode, &tftp_host), &[]);
    }
    c.connection(
        h.attacker,
        h.client,
        &corpus(Mode::GetConfig, &tftp_host),
        &[],
    );
    c.udp(
        h.client_tftp,
        h.attacker_tftp,
        &tftp_request(2, "192.0.2.2.conf"),
    );
    c.connection(
        h.attacker,
        h.client,
        &corpus(Mode::LegacyTest, &tftp_host),
        &[],
    );
    c.udp(
        h.client_tftp,
        h.attacker_tftp,
        &tftp_request(1, "random_file"),
    );
    c
}

const EXPECTED: &[&str] = &[
    "si-probe",
    "si-non-director",
    "si-reply-to-non-director",
    "si-change-config",
    "si-update-ios",
    "si-execute",
    "si-cve-2018-0171-poc",
    "si-tlv-overflow",
    "si-length-mismatch",
    "si-get-config",
    "si-config-exfiltration",
    "si-legacy-test",
    "si-random-file-rrq",
];

#[test]
fn every_attack_is_found_in_every_framing_and_format() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (Framing::Ethernet, v4(), false),
        (Framing::Vlan(20), v4(), true),
        (
            Framing::QinQ {
                outer: 100,
                inner: 20,
            },
            v6(),
            false,
        ),
        (Framing::LinuxSll, v6(), true),
        (Framing::LinuxSll2, v4(), false),
        (Framing::Raw, v4(), true),
    ];
    for (i, (framing, hosts, ng)) in cases.into_iter().enumerate() {
        let capture = attacks(framing, &hosts);
        let path = dir.path().join(format!("attacks-{i}.cap"));
        std::fs::write(&path, if ng { capture.pcapng() } else { capture.pcap() }).unwrap();
        let director = hosts.director.ip().to_string();
        let output = audit(&path, &["--format", "json", "--director", &director]);
        assert_eq!(output.status.code(), Some(1), "{framing:?}");
        let report = json(&output);
        let found = rules_found(&report);
        for rule in EXPECTED {
            assert!(
                found.iter().any(|r| r == rule),
                "{framing:?}: {rule} not in {found:?}"
            );
        }
        let speakers = report["speakers"].as_array().unwrap();
        let client = speakers
            .iter()
            .find(|s| s["address"] == hosts.client.ip().to_string())
            .unwrap();
        assert_eq!(client["role"], "client", "{framing:?}");
    }
}

#[test]
fn benign_director_traffic_gives_no_findings_and_exit_0() {
    let dir = tempfile::tempdir().unwrap();
    let h = v4();
    let mut c = Capture::new(Framing::Ethernet);
    c.connection(
        h.director,
        h.client,
        &corpus(Mode::Test, "192.0.2.1"),
        &PROBE_REPLY,
    );
    c.connection(
        h.director,
        h.client,
        &corpus(Mode::ChangeConfig, "192.0.2.1"),
        &[],
    );
    c.udp(
        h.client_tftp,
        "192.0.2.1:69".parse().unwrap(),
        &tftp_request(1, "192.0.2.2.conf"),
    );
    let path = dir.path().join("benign.pcap");
    std::fs::write(&path, c.pcap()).unwrap();
    let policy = dir.path().join("policy.toml");
    std::fs::write(
        &policy,
        "name = \"audit\"\n[smart_install]\ndirectors = [\"192.0.2.1\"]\n\
         client_networks = [\"192.0.2.0/24\"]\ntftp_servers = [\"192.0.2.1\"]\n",
    )
    .unwrap();
    let output = audit(
        &path,
        &["--config", policy.to_str().unwrap(), "--fail-on", "info"],
    );
    let text = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{text}");
    assert!(text.contains("\nfindings: 0\n"), "{text}");
    assert!(
        text.contains("3 Smart Install messages, 1 TFTP requests"),
        "{text}"
    );
    // Without the director list the same traffic is reported, but never above low.
    let output = audit(&path, &["--format", "json"]);
    assert_eq!(output.status.code(), Some(0));
    let report = json(&output);
    assert!(!rules_found(&report).is_empty());
    for f in report["findings"].as_array().unwrap() {
        assert!(
            ["info", "low"].contains(&f["severity"].as_str().unwrap()),
            "{f}"
        );
    }
}

#[test]
fn sarif_names_every_rule_it_reports() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("attacks.pcap");
    std::fs::write(&path, attacks(Framing::Ethernet, &v4()).pcap()).unwrap();
    let output = audit(&path, &["--format", "sarif", "--director", "192.0.2.1"]);
    let sarif = json(&output);
    assert_eq!(sarif["version"], "2.1.0");
    let run = &sarif["runs"][0];
    let ids: Vec<&str> = run["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    let results = run["results"].as_array().unwrap();
    assert!(results.len() >= EXPECTED.len());
    for r in results {
        let index = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(ids[index], r["ruleId"].as_str().unwrap());
        assert!(["error", "warning", "note"].contains(&r["level"].as_str().unwrap()));
    }
}

#[test]
fn a_truncated_capture_is_reported_and_garbage_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = attacks(Framing::Ethernet, &v4()).pcap();
    bytes.truncate(bytes.len() - 10);
    let path = dir.path().join("cut.pcap");
    std::fs::write(&path, &bytes).unwrap();
    let output = audit(&path, &["--format", "json", "--director", "192.0.2.1"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        rules_found(&json(&output))
            .iter()
            .any(|r| r == "si-get-config")
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("warning:") && stderr.contains("truncated"),
        "{stderr}"
    );

    let junk = dir.path().join("junk.pcap");
    std::fs::write(&junk, b"this is not a capture at all").unwrap();
    let output = audit(&junk, &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("junk.pcap"));

    // Standard input works too.
    let mut child = Command::new(env!("CARGO_BIN_EXE_ztpgate"))
        .args([
            "pcap",
            "audit",
            "-",
            "--format",
            "json",
            "--director",
            "192.0.2.1",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let capture = attacks(Framing::Ethernet, &v4()).pcap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), &capture).unwrap();
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        rules_found(&json(&output))
            .iter()
            .any(|r| r == "si-execute")
    );
}
