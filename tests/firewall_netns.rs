//! `ztpgate firewall apply|remove` inside throwaway network namespaces: the table and its counters
//! exist, `firewall status` sees them, no other table is touched, and (with python3) TCP 4786
//! from a non-director is dropped while a director's connection is steered to the relay port.
//!
//! Needs root, `ip netns` and `nft`; prints a skip reason and passes otherwise. Every namespace
//! has a unique name and is deleted on drop, even when an assertion fails.

#![allow(clippy::unwrap_used)]

mod common;

use std::process::Stdio;
use std::thread::sleep;
use std::time::Duration;

use common::netns::{Netns, Proc, packets, rules, skip_reason, works};

fn policy_file(dir: &tempfile::TempDir) -> String {
    let path = dir.path().join("fw.toml");
    std::fs::write(
        &path,
        "name = \"fw-test\"\n\
         [smart_install]\n\
         directors = [\"10.99.0.2\", \"fd00:99::2\"]\n\
         client_networks = [\"10.99.0.1/32\", \"fd00:99::/120\"]\n\
         tftp_servers = [\"10.99.0.6\", \"tftp.example.net\"]\n",
    )
    .unwrap();
    path.to_str().unwrap().to_owned()
}

#[test]
fn apply_and_remove_touch_only_our_table() {
    if let Some(reason) = skip_reason() {
        eprintln!("skipping: {reason}");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let config = policy_file(&dir);
    let ns = Netns::new("fw-only");
    ns.exec(&["nft", "add", "table", "ip", "other"]);
    ns.exec(&[
        "nft",
        "add",
        "chain",
        "ip",
        "other",
        "input",
        "{ type filter hook input priority 0; }",
    ]);
    ns.exec(&[
        "nft", "add", "rule", "ip", "other", "input", "tcp", "dport", "22", "counter", "accept",
    ]);
    let other = ns.exec(&["nft", "list", "table", "ip", "other"]).stdout;

    for _ in 0..2 {
        let out = ns.ztpgate(&[
            "firewall",
            "apply",
            "--config",
            &config,
            "--relay-addr",
            "10.99.0.1",
        ]);
        assert!(String::from_utf8_lossy(&out.stdout).contains("applied table inet ztpgate"));
    }
    let items = ns.table();
    let chains = items.iter().filter(|i| i.get("chain").is_some()).count();
    assert_eq!(chains, 7);
    let rules = rules(&items);
    assert!(rules.len() >= 12, "{rules:?}");
    for rule in &rules {
        let comment = rule["comment"].as_str().unwrap();
        assert!(comment.starts_with("ztpgate:"), "{comment}");
        let exprs = rule["expr"].as_array().unwrap();
        let ends_in = |k: &str| exprs.iter().any(|e| e.get(k).is_some());
        if ends_in("accept") || ends_in("drop") || ends_in("dnat") {
            assert!(ends_in("counter"), "uncounted rule {rule}");
        }
    }
    assert_eq!(
        ns.exec(&["nft", "list", "table", "ip", "other"]).stdout,
        other
    );

    let status = ns.ztpgate(&["firewall", "status"]);
    assert!(String::from_utf8_lossy(&status.stdout).contains("present"));

    ns.ztpgate(&["firewall", "remove", "--config", &config]);
    let status = ns.ztpgate_cmd(&["firewall", "status"]).output().unwrap();
    assert_eq!(status.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&status.stdout).contains("absent"));
    let tables = ns.tables();
    assert_eq!(tables.trim(), "table ip other", "{tables}");
    assert_eq!(
        ns.exec(&["nft", "list", "table", "ip", "other"]).stdout,
        other
    );
    // Removing an absent table is not an error.
    ns.ztpgate(&["firewall", "remove"]);
}

#[test]
fn non_director_is_dropped_and_director_steered_to_the_relay() {
    if let Some(reason) = skip_reason() {
        eprintln!("skipping: {reason}");
        return;
    }
    if !works("python3", &["-c", "import socket"]) {
        eprintln!("skipping: python3 (listener and client) is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let config = policy_file(&dir);
    let gw = Netns::new("fw-gw");
    let peer = Netns::new("fw-peer");
    gw.link("vg", "10.99.0.1/24", &peer, "vp", "10.99.0.2/24");
    peer.exec(&["ip", "addr", "add", "10.99.0.3/24", "dev", "vp"]);
    gw.ztpgate(&[
        "firewall",
        "apply",
        "--config",
        &config,
        "--relay-addr",
        "10.99.0.1",
        "--relay-port",
        "14786",
    ]);
    let _listener = Proc(
        gw.cmd(&["python3", "-c", LISTENER])
            .stdout(Stdio::null())
            .spawn()
            .unwrap(),
    );

    let connect = |src: &str| {
        peer.cmd(&["python3", "-c", CONNECT, src, "10.99.0.1"])
            .stderr(Stdio::null())
            .status()
            .unwrap()
            .code()
    };
    // The director reaches port 4786, which only the relay port 14786 answers: steered.
    let director = (0..25).any(|_| {
        connect("10.99.0.2") == Some(0) || {
            sleep(Duration::from_millis(200));
            false
        }
    });
    assert!(
        director,
        "the director's connection was not steered to the relay"
    );
    // Dropped, not refused: without the table nothing listens on 4786 and the peer gets a reset.
    assert_eq!(
        connect("10.99.0.3"),
        Some(TIMED_OUT),
        "a non-director was not dropped"
    );

    let items = gw.table();
    assert!(packets(&items, "si-director-to-client") >= 1);
    assert!(packets(&items, "si-steer-to-relay") >= 1);
    assert!(packets(&items, "si-drop-not-director") >= 1);
}

/// Accepts and closes connections on the relay port until killed.
const LISTENER: &str = "import socket\n\
s = socket.socket()\n\
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n\
s.bind(('10.99.0.1', 14786))\n\
s.listen(16)\n\
while True:\n    s.accept()[0].close()\n";

/// Exit status of [`CONNECT`] when the connection attempt timed out (its SYN was dropped).
const TIMED_OUT: i32 = 4;

/// Connects from argv[1] to argv[2]:4786 within two seconds. Exit status 0 on success, 3 when
/// refused, [`TIMED_OUT`] on timeout.
const CONNECT: &str = "import socket, sys\n\
s = socket.socket()\n\
s.settimeout(2)\n\
s.bind((sys.argv[1], 0))\n\
try:\n    s.connect((sys.argv[2], 4786))\n\
except socket.timeout:\n    sys.exit(4)\n\
except ConnectionRefusedError:\n    sys.exit(3)\n";
