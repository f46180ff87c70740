//! The auditor on synthesized traffic (frames built with `proto::packet::build`, attacks from the
//! `sim::attack` corpus): each attack yields its rule, benign director traffic yields nothing,
//! without a director list director-dependent findings stay at low or below, and TFTP requests
//! are tied to the Smart Install command before them.

use core::net::SocketAddr;

use super::*;
use crate::config::rules::builtin;
use crate::policy::net::{AddrSet, HostSet};
use crate::proto::packet::build::{FrameSpec, Framing, Side, TcpConversation, udp_frame};
use crate::rules::Severity;
use crate::sim::attack::{self, Mode, Params};

const DIRECTOR: &str = "192.0.2.1:40001";
const CLIENT: &str = "192.0.2.2:4786";
const ATTACKER: &str = "198.51.100.66:40002";
const ATTACKER_TFTP: &str = "198.51.100.66:69";

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

fn knowledge() -> Knowledge {
    let mut k = Knowledge::none();
    k.add_directors(&AddrSet(vec!["192.0.2.1/32".parse().unwrap()]));
    let mut servers = HostSet::default();
    servers.push_entry("192.0.2.1").unwrap();
    k.add_tftp_servers(&servers);
    k
}

/// Feeds `frames` (Ethernet) one millisecond apart from `t0`.
struct Feed {
    auditor: Auditor,
    ts: u64,
}

impl Feed {
    fn new(knowledge: Knowledge) -> Self {
        let settings = AuditorSettings {
            knowledge,
            ..AuditorSettings::default()
        };
        Self {
            auditor: Auditor::new(builtin().unwrap(), settings).unwrap(),
            ts: 1_700_000_000_000_000_000,
        }
    }

    fn frames(&mut self, frames: Vec<Vec<u8>>) {
        for f in frames {
            self.ts += 1_000_000;
            self.auditor.record(self.ts, LinkType::Ethernet, &f);
        }
    }

    /// A whole connection from `from` to `to`: handshake, `request` segments, optional
    /// `reply`, close.
    fn connection(&mut self, from: &str, to: &str, request: &[Vec<u8>], reply: &[u8]) {
        let mut c = TcpConversation::new(FrameSpec::new(Framing::Ethernet), addr(from), addr(to));
        let mut frames = c.handshake();
        for seg in request {
            frames.extend(c.send(Side::Client, seg, 1460));
        }
        if !reply.is_empty() {
            frames.extend(c.send(Side::Server, reply, 1460));
        }
        frames.extend(c.close(Side::Client));
        self.frames(frames);
    }

    fn tftp(&mut self, from: &str, to: &str, payload: &[u8]) {
        let spec = FrameSpec::new(Framing::Ethernet);
        self.frames(vec![udp_frame(&spec, addr(from), addr(to), payload)]);
    }

    fn report(self) -> Report {
        self.auditor.finish()
    }
}

fn corpus(mode: Mode) -> Vec<Vec<u8>> {
    let params = Params {
        tftp_host: "198.51.100.66".into(),
        target_name: "192.0.2.2".into(),
        file: None,
    };
    attack::build(mode, &params).unwrap().segments
}

fn rules(report: &Report) -> Vec<(&str, Severity)> {
    report
        .findings
        .iter()
        .map(|f| (f.rule.as_str(), f.severity))
        .collect()
}

fn rrq(name: &str) -> Vec<u8> {
    let mut p = vec![0, 1];
    p.extend_from_slice(name.as_bytes());
    p.extend_from_slice(b"\0octet\0");
    p
}

fn wrq(name: &str) -> Vec<u8> {
    let mut p = rrq(name);
    p[1] = 2;
    p
}

const PROBE_REPLY: [u8; 24] = [
    0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 8, 0, 0, 0, 1, 0, 0, 0, 0,
];

#[test]
fn benign_director_traffic_has_no_findings() {
    let mut feed = Feed::new(knowledge());
    feed.connection(DIRECTOR, CLIENT, &corpus(Mode::Test), &PROBE_REPLY);
    let push = corpus(Mode::ChangeConfig);
    // A director's own config push naming its own TFTP server, and the fetch that follows.
    let own = {
        let params = Params {
            tftp_host: "192.0.2.1".into(),
            target_name: "192.0.2.2".into(),
            file: Some("sw2-confg".into()),
        };
        attack::build(Mode::ChangeConfig, &params).unwrap().segments
    };
    assert_ne!(own, push);
    feed.connection(DIRECTOR, CLIENT, &own, &[]);
    feed.tftp("192.0.2.2:50000", "192.0.2.1:69", &rrq("sw2-confg"));
    let report = feed.report();
    assert!(
        report.findings.is_empty(),
        "{:?} {:?}",
        rules(&report),
        report.findings
    );
    assert_eq!(report.stats.smart_install_messages, 3);
    assert_eq!(report.stats.tftp_requests, 1);
    let roles: Vec<(&str, &str)> = report
        .speakers
        .iter()
        .map(|s| (s.address.as_str(), s.role.as_str()))
        .collect();
    assert_eq!(roles, [("192.0.2.1", "director"), ("192.0.2.2", "client")]);
}

#[test]
fn every_attack_is_found_by_its_rule() {
    for (mode, rule, severity) in [
        (Mode::Test, "si-probe", Severity::Medium),
        (Mode::Greenbone, "si-probe", Severity::Medium),
        (Mode::ChangeConfig, "si-change-config", Severity::Critical),
        (Mode::LegacyTest, "si-legacy-test", Severity::Medium),
        (Mode::GetConfig, "si-get-config", Severity::Critical),
        (Mode::MsfDownload, "si-get-config", Severity::Critical),
        (Mode::UpdateIos, "si-update-ios", Severity::Critical),
        (Mode::Execute, "si-execute", Severity::Critical),
        (
            Mode::Cve20180171,
            "si-cve-2018-0171-poc",
            Severity::Critical,
        ),
        (Mode::Cve20180171, "si-tlv-overflow", Severity::Critical),
        (Mode::Cve20180171, "si-length-mismatch", Severity::High),
        (Mode::Split, "si-get-config", Severity::Critical),
        (Mode::Pipelined, "si-get-config", Severity::Critical),
        (Mode::Pipelined, "si-probe", Severity::Medium),
    ] {
        let mut feed = Feed::new(knowledge());
        feed.connection(ATTACKER, CLIENT, &corpus(mode), &[]);
        let report = feed.report();
        let found = rules(&report);
        assert!(found.contains(&(rule, severity)), "{mode:?}: {found:?}");
        assert!(
            found.contains(&("si-non-director", Severity::Medium)),
            "{mode:?}: {found:?}"
        );
    }
}

#[test]
fn without_a_director_list_nothing_director_like_is_above_low() {
    let mut feed = Feed::new(Knowledge::none());
    for mode in [
        Mode::Test,
        Mode::ChangeConfig,
        Mode::GetConfig,
        Mode::UpdateIos,
        Mode::Execute,
    ] {
        feed.connection(ATTACKER, CLIENT, &corpus(mode), &PROBE_REPLY);
    }
    let report = feed.report();
    assert!(!report.findings.is_empty());
    for f in &report.findings {
        assert!(f.severity <= Severity::Low, "{} at {}", f.rule, f.severity);
        assert!(f.unverified, "{}", f.rule);
    }
    // The exploit is an exploit whoever sends it.
    let mut feed = Feed::new(Knowledge::none());
    feed.connection(ATTACKER, CLIENT, &corpus(Mode::Cve20180171), &[]);
    let report = feed.report();
    assert!(rules(&report).contains(&("si-tlv-overflow", Severity::Critical)));
}

#[test]
fn a_client_reply_to_a_scanner_and_its_callbacks_are_tied_to_the_command() {
    let mut feed = Feed::new(knowledge());
    feed.connection(ATTACKER, CLIENT, &corpus(Mode::Test), &PROBE_REPLY);
    feed.connection(ATTACKER, CLIENT, &corpus(Mode::GetConfig), &[]);
    feed.tftp("192.0.2.2:51000", ATTACKER_TFTP, &wrq("192.0.2.2.conf"));
    feed.connection(ATTACKER, CLIENT, &corpus(Mode::LegacyTest), &[]);
    feed.tftp("192.0.2.2:51001", ATTACKER_TFTP, &rrq("random_file"));
    let report = feed.report();
    let found = rules(&report);
    for expected in [
        ("si-reply-to-non-director", Severity::High),
        ("si-config-exfiltration", Severity::Critical),
        ("si-random-file-rrq", Severity::Medium),
        ("cleartext-tftp-transfer", Severity::Medium),
    ] {
        assert!(found.contains(&expected), "{expected:?} in {found:?}");
    }
    let exfil = report
        .findings
        .iter()
        .find(|f| f.rule == "si-config-exfiltration")
        .unwrap();
    assert_eq!(exfil.facts["trigger"], "copy_commands");
    assert_eq!(exfil.facts["named_in_message"], true);
    // random_file is the scan's callback, not a download on a non-director's order.
    assert!(
        !found.iter().any(|(r, _)| *r == "si-triggered-download"),
        "{found:?}"
    );
}

#[test]
fn a_command_sent_as_a_client_reply_is_still_a_command() {
    // SIET's change-config with w0 = 4 (the client's value): the switch still fetches the file.
    let mut push = corpus(Mode::ChangeConfig);
    push[0][..4].copy_from_slice(&[0, 0, 0, 4]);
    let mut feed = Feed::new(knowledge());
    feed.connection(ATTACKER, CLIENT, &push, &[]);
    feed.tftp("192.0.2.2:51002", ATTACKER_TFTP, &rrq("network-confg"));
    let report = feed.report();
    let found = rules(&report);
    for expected in [
        ("si-change-config", Severity::Critical),
        ("si-triggered-download", Severity::High),
    ] {
        assert!(found.contains(&expected), "{expected:?} in {found:?}");
    }
    let download = report
        .findings
        .iter()
        .find(|f| f.rule == "si-triggered-download")
        .unwrap();
    assert_eq!(download.facts["trigger"], "config_push");
    // The attacker is not a client answering a scanner.
    assert!(
        !found.iter().any(|(r, _)| *r == "si-reply-to-non-director"),
        "{found:?}"
    );
    let attacker = report
        .speakers
        .iter()
        .find(|s| s.address == "198.51.100.66")
        .unwrap();
    assert_ne!(attacker.role, "client", "{attacker:?}");
}

#[test]
fn clear_text_http_ftp_and_pnp() {
    let mut feed = Feed::new(knowledge());
    let hello = b"GET /pnp/HELLO HTTP/1.1\r\nHost: 192.0.2.10\r\n\r\n".to_vec();
    let body = |sn: &str| {
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
             <pnp xmlns=\"urn:cisco:pnp\" version=\"1.0\" udi=\"PID:WS-C3850-24P,VID:V01,SN:{sn}\">\
             <info xmlns=\"urn:cisco:pnp:work-info\" correlator=\"CiscoPnP-1.0-1\">\
             <deviceId><udi>PID:WS-C3850-24P,VID:V01,SN:{sn}</udi><hostname>sw</hostname>\
             <authRequired>false</authRequired></deviceId></info></pnp>"
        )
    };
    let request = |b: &str| {
        format!(
            "POST /pnp/WORK-REQUEST HTTP/1.1\r\nHost: 192.0.2.10\r\nContent-Length: {}\r\n\r\n{b}",
            b.len()
        )
        .into_bytes()
    };
    let image = b"GET /images/cat3k_caa-universalk9.16.12.10.SPA.bin HTTP/1.1\r\n\r\n".to_vec();
    feed.connection(
        "192.0.2.20:50000",
        "192.0.2.10:80",
        &[
            hello,
            request(&body("FOC1111A1AA")),
            request(&body("FOC2222B2BB")),
            image,
        ],
        b"HTTP/1.1 200 OK\r\n\r\n",
    );
    feed.connection(
        "192.0.2.20:50001",
        "192.0.2.11:21",
        &[b"USER anonymous\r\nPASS x\r\nRETR sw-confg\r\n".to_vec()],
        b"220 ready\r\n",
    );
    let report = feed.report();
    let found = rules(&report);
    let count = |id: &str| found.iter().filter(|(r, _)| *r == id).count();
    assert_eq!(count("pnp-plain-http"), 3, "{found:?}");
    assert_eq!(count("pnp-udi-change"), 1, "{found:?}");
    assert_eq!(count("cleartext-http-transfer"), 1, "{found:?}");
    assert_eq!(count("cleartext-ftp-transfer"), 1, "{found:?}");
    let change = report
        .findings
        .iter()
        .find(|f| f.rule == "pnp-udi-change")
        .unwrap();
    assert_eq!(
        change.facts["previous_udi"],
        "PID:WS-C3850-24P,VID:V01,SN:FOC1111A1AA"
    );
    assert_eq!(
        change.facts["udi"],
        "PID:WS-C3850-24P,VID:V01,SN:FOC2222B2BB"
    );
}

#[test]
fn out_of_order_and_retransmitted_segments_still_decode() {
    let mut feed = Feed::new(knowledge());
    let mut c = TcpConversation::new(
        FrameSpec::new(Framing::Vlan(20)),
        addr(ATTACKER),
        addr(CLIENT),
    );
    let mut frames = c.handshake();
    let msg = corpus(Mode::GetConfig).concat();
    let mut data = c.send(Side::Client, &msg, 300);
    data.reverse();
    let again = data.last().cloned().unwrap();
    frames.extend(data);
    frames.push(again);
    frames.extend(c.close(Side::Client));
    feed.frames(frames);
    let report = feed.report();
    assert!(
        rules(&report).contains(&("si-get-config", Severity::Critical)),
        "{:?}",
        rules(&report)
    );
    assert_eq!(report.stats.smart_install_messages, 1);
}

#[test]
fn a_dropped_syn_is_an_unanswered_attempt() {
    let mut feed = Feed::new(knowledge());
    let mut c = TcpConversation::new(
        FrameSpec::new(Framing::Ethernet),
        addr(ATTACKER),
        addr(CLIENT),
    );
    let syn = c.handshake().remove(0);
    feed.frames(vec![syn.clone(), syn]);
    feed.connection(DIRECTOR, CLIENT, &corpus(Mode::Test), &PROBE_REPLY);
    let report = feed.report();
    let attempt = report
        .findings
        .iter()
        .find(|f| f.rule == "si-non-director")
        .unwrap();
    assert_eq!(attempt.facts["accepted"], false);
    assert_eq!(attempt.facts["syn_seen"], true);
    let switch = report
        .speakers
        .iter()
        .find(|s| s.address == "192.0.2.2")
        .unwrap();
    // It answered the director, not the attacker.
    assert_eq!((switch.accepted, switch.unanswered), (1, 1));
    assert_eq!(switch.role, "client");
}

#[test]
fn an_ipv6_exfiltration_is_tied_to_the_server_its_url_names() {
    let mut k = Knowledge::none();
    k.add_directors(&AddrSet(vec!["2001:db8::1/128".parse().unwrap()]));
    let mut feed = Feed::new(k);
    let params = Params {
        tftp_host: "[2001:db8::66]".into(),
        target_name: "2001:db8::2".into(),
        file: None,
    };
    let get_config = attack::build(Mode::GetConfig, &params).unwrap().segments;
    feed.connection(
        "[2001:db8::66]:40000",
        "[2001:db8::2]:4786",
        &get_config,
        &[],
    );
    feed.tftp(
        "[2001:db8::2]:51000",
        "[2001:db8::66]:69",
        &wrq("2001:db8::2.conf"),
    );
    let report = feed.report();
    let exfil = report
        .findings
        .iter()
        .find(|f| f.rule == "si-config-exfiltration")
        .unwrap();
    assert_eq!(exfil.facts["named_in_message"], true);
    assert_eq!(exfil.severity, Severity::Critical);
}

#[test]
fn a_dhcp_reply_naming_a_rogue_tftp_server_is_found() {
    use crate::proto::dhcp::DhcpOption;
    use crate::proto::dhcp::options::{MessageType, TFTP_SERVER_ADDRESS};
    let offer = |server: [u8; 4]| {
        dhcp::tests::reply(
            MessageType::Offer,
            vec![DhcpOption {
                code: TFTP_SERVER_ADDRESS,
                data: server.to_vec(),
            }],
        )
    };
    let mut feed = Feed::new(knowledge());
    feed.tftp("192.0.2.1:67", "255.255.255.255:68", &offer([192, 0, 2, 1]));
    feed.tftp(
        "198.51.100.66:67",
        "255.255.255.255:68",
        &offer([198, 51, 100, 66]),
    );
    let report = feed.report();
    assert_eq!(
        rules(&report),
        [("dhcp-tftp-server-not-allowed", Severity::High)]
    );
    assert_eq!(report.findings[0].src, addr("198.51.100.66:67"));
    assert_eq!(report.stats.dhcp_replies, 2);
}
