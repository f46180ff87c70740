//! Live inspection in `ztpgate serve`, in network namespaces this test creates:
//!
//! ```text
//!   director 10.79.1.2 ─┐
//!   attacker 10.79.1.66 ─┤ br0 (gateway namespace, 10.79.1.1; ztpgate serve watching port p-sw)
//!   switch   10.79.1.10 ─┘ (emulated Smart Install client, behind bridge port p-sw)
//! ```
//!
//! The gateway watches the switch's bridge port with `[inspect] interfaces`. The director's
//! probe is its business: no record. The attacker's probe, its get-config (copy commands) and
//! the switch's TFTP upload to the attacker that follows become `inspect` audit records with
//! their rule ids and severities, and `/metrics` on the admin API counts the packets and the
//! findings. The audit log still verifies after a clean stop.
//!
//! Needs root and `ip netns`; prints a skip reason otherwise.

#![allow(clippy::unwrap_used)]

mod common;

use std::process::Stdio;

use common::netns::{Netns, Proc, run_ok, skip_reason};
use common::switch::{GatewayLab, eventually, lines, plug};
use common::{BIN, s};
use serde_json::Value;

const SWITCH: &str = "10.79.1.10:4786";
const DIRECTOR: &str = "10.79.1.2";
const ATTACKER: &str = "10.79.1.66";
const ADMIN: &str = "127.0.0.1:19443";

const POLICY: &str = r#"name = "inspect-live"

[smart_install]
directors = ["10.79.1.2"]
client_networks = ["10.79.1.0/24"]
tftp_servers = ["10.79.1.2"]
"#;

const GATEWAY: &str = r#"[gateway]
data_dir = "var"
policy = "policy.toml"

[admin]
listen = ["127.0.0.1:19443"]

[pnp_server]
listen = []

[files]
listen = []

[inspect]
interfaces = ["p-sw"]
record_burst = 50
"#;

/// The emulated switch on `ns`, listening on 4786, once it says so.
fn switch(ns: &Netns) -> Proc {
    let mut child = ns
        .ztpgate_cmd(&["sim", "switch", "--listen", "0.0.0.0:4786"])
        .args(["--hostname", "live-sw", "--tftp-timeout-ms", "300"])
        .args(["--tftp-retries", "1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let rx = lines(child.stdout.take().unwrap());
    let mut seen = Vec::new();
    assert!(
        eventually(10, || {
            seen.extend(rx.try_iter());
            seen.iter().any(|l: &String| l.contains("\"listening\""))
        }),
        "switch never listened: {seen:?}"
    );
    std::thread::spawn(move || for _ in rx {});
    Proc(child)
}

/// `sim attack --mode MODE` from `ns` at the switch, naming `tftp`.
fn attack(ns: &Netns, mode: &str, tftp: &str) {
    run_ok(
        ns.ztpgate_cmd(&["sim", "attack", "--target", SWITCH, "--mode", mode])
            .args(["--tftp", tftp, "--wait-ms", "1000"]),
    );
}

/// The `inspect` records of the audit log.
fn inspect_records(lab: &GatewayLab) -> Vec<Value> {
    std::fs::read_to_string(lab.path("var/audit.jsonl"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|r| r["area"] == "inspect")
        .collect()
}

fn has(records: &[Value], rule: &str, severity: &str, actor: &str) -> bool {
    records.iter().any(|r| {
        r["rule"] == rule
            && r["detail"]["severity"] == severity
            && r["actor"] == actor
            && r["verdict"] == "alert"
            && r["detail"]["interface"] == "p-sw"
    })
}

#[test]
fn findings_on_a_watched_interface_become_audit_records_and_metrics() {
    if let Some(reason) = skip_reason() {
        println!("skipped: {reason}");
        return;
    }
    let lab = GatewayLab::new("insp", "10.79.1.1/24");
    let sw = plug(&lab.gw, "p-sw", "insp-sw", "02:00:00:79:01:10");
    sw.exec(&["ip", "addr", "add", "10.79.1.10/24", "dev", "s0"]);
    let director = plug(&lab.gw, "p-dir", "insp-dir", "02:00:00:79:01:02");
    director.exec(&["ip", "addr", "add", "10.79.1.2/24", "dev", "s0"]);
    let attacker = plug(&lab.gw, "p-att", "insp-att", "02:00:00:79:01:66");
    attacker.exec(&["ip", "addr", "add", "10.79.1.66/24", "dev", "s0"]);
    std::fs::write(lab.path("policy.toml"), POLICY).unwrap();
    std::fs::write(&lab.config, GATEWAY).unwrap();
    let _switch = switch(&sw);
    let gw = lab.serve();

    // The director's probe: its own business.
    attack(&director, "test", DIRECTOR);
    // The attacker: a probe, then the running configuration to its own TFTP server.
    attack(&attacker, "test", ATTACKER);
    attack(&attacker, "get-config", ATTACKER);

    let expected = [
        ("si-non-director", "medium", ATTACKER),
        ("si-probe", "medium", ATTACKER),
        ("si-reply-to-non-director", "high", "10.79.1.10"),
        ("si-get-config", "critical", ATTACKER),
        ("si-url-host-not-allowed", "high", ATTACKER),
        ("si-config-exfiltration", "critical", "10.79.1.10"),
    ];
    let mut records = Vec::new();
    let all_found = eventually(20, || {
        records = inspect_records(&lab);
        expected
            .iter()
            .all(|(rule, sev, actor)| has(&records, rule, sev, actor))
    });
    assert!(all_found, "missing among {records:#?}");
    assert!(
        !records.iter().any(|r| r["actor"] == DIRECTOR),
        "the director's traffic was reported: {records:#?}"
    );
    let exfil = records
        .iter()
        .find(|r| r["rule"] == "si-config-exfiltration")
        .unwrap();
    assert_eq!(exfil["detail"]["facts"]["opcode"], "wrq");
    assert_eq!(exfil["detail"]["facts"]["trigger"], "copy_commands");
    assert_eq!(exfil["mode"], "audit");

    let metrics = admin_metrics(&lab);
    let value = |line: &str| -> u64 {
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(line)?.trim().parse().ok())
            .unwrap_or_else(|| panic!("{line} not in {metrics}"))
    };
    assert!(value("ztpgate_inspect_packets_total{interface=\"p-sw\"}") > 10);
    assert!(value("ztpgate_inspect_smart_install_messages_total{interface=\"p-sw\"}") >= 4);
    assert!(
        value("ztpgate_inspect_findings_total{rule=\"si-get-config\",severity=\"critical\"}") >= 1
    );
    assert!(value("ztpgate_inspect_records_total{outcome=\"written\"}") >= 6);
    assert_eq!(
        value("ztpgate_inspect_queue_dropped_total{interface=\"p-sw\"}"),
        0
    );

    lab.stop(gw);
    run_ok(std::process::Command::new(BIN).args([
        "audit",
        "verify",
        s(&lab.path("var/audit.jsonl")),
    ]));
}

/// `GET /metrics` from the admin API, inside the gateway namespace, with the admin certificate.
fn admin_metrics(lab: &GatewayLab) -> String {
    let pki = lab.path("var/pki");
    let (host, port) = ADMIN.split_once(':').unwrap();
    let out = run_ok(
        lab.gw
            .cmd(&["curl", "-sS", "--max-time", "10", "--cacert"])
            .arg(pki.join("ca.crt"))
            .arg("--cert")
            .arg(pki.join("admin.crt"))
            .arg("--key")
            .arg(pki.join("admin.key"))
            .args(["--resolve", &format!("localhost:{port}:{host}")])
            .arg(format!("https://localhost:{port}/metrics")),
    );
    String::from_utf8(out.stdout).unwrap()
}
