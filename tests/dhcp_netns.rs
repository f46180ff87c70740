//! ztpgate's DHCP server and relay against real clients, in network namespaces this test creates:
//!
//! ```text
//!   client (busybox udhcpc on c0, MAC 02:00:00:5a:00:01)
//!     │ 10.66.1.0/24
//!   gw (ztpgate serve, [dhcp] on g0 = 10.66.1.1)
//!     │ 10.66.2.0/24 (relay test only)
//!   srv (dnsmasq on s0 = 10.66.2.2, the third-party DHCP server)
//! ```
//!
//! What the client receives is read from udhcpc's script environment (the script dumps `env`),
//! not from ztpgate's logs: inside the join window options 125 (enterprise 9, sub-options 5 and
//! 16), 67 and 66 are there; outside it (policy `manual = "closed"`) none is, and the address is
//! the same as before the restart (leases persist, "DHCP remember"). In relay mode dnsmasq
//! allocates and ztpgate inserts the Smart Install options into its replies.
//!
//! Needs root, `ip netns`, busybox `udhcpc` and (relay test) `dnsmasq`; prints a skip reason
//! otherwise.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Stdio;
use std::sync::mpsc;
use std::thread::sleep;
use std::time::Duration;

use common::netns::{Netns, Proc, skip_reason, works};
use common::s;

const CLIENT_MAC: &str = "02:00:00:5a:00:01";
const GW: &str = "10.66.1.1";

/// Why these tests cannot run here.
fn skip(relay: bool) -> Option<&'static str> {
    if let Some(reason) = skip_reason() {
        return Some(reason);
    }
    if !works("busybox", &["udhcpc", "--help"]) && !works("udhcpc", &["--help"]) {
        return Some("busybox udhcpc is not installed");
    }
    if relay && !works("dnsmasq", &["--version"]) {
        return Some("dnsmasq is not installed (scripts/install-deps.sh)");
    }
    None
}

/// Client and gateway namespaces (and the server's, for the relay).
struct Topology {
    client: Netns,
    gw: Netns,
    srv: Option<Netns>,
}

impl Topology {
    fn new(relay: bool) -> Self {
        let client = Netns::new("dhcpc");
        let gw = Netns::new("dhcpg");
        gw.exec(&[
            "ip", "link", "add", "g0", "type", "veth", "peer", "name", "c0", "netns", &client.0,
        ]);
        gw.exec(&["ip", "addr", "add", "10.66.1.1/24", "dev", "g0"]);
        gw.exec(&["ip", "link", "set", "g0", "up"]);
        client.exec(&["ip", "link", "set", "c0", "address", CLIENT_MAC]);
        client.exec(&["ip", "link", "set", "c0", "up"]);
        let srv = relay.then(|| {
            let srv = Netns::new("dhcps");
            gw.link("g1", "10.66.2.1/24", &srv, "s0", "10.66.2.2/24");
            srv.exec(&["ip", "route", "add", "10.66.1.0/24", "via", "10.66.2.1"]);
            srv
        });
        Self { client, gw, srv }
    }

    /// Runs udhcpc once in the client namespace; returns its script environment at `bound`.
    fn udhcpc(&self, dir: &Path) -> BTreeMap<String, String> {
        let out = dir.join("bound.env");
        let _ = std::fs::remove_file(&out);
        let script = dir.join("udhcpc.sh");
        std::fs::write(
            &script,
            format!(
                "#!/bin/sh\n[ \"$1\" = bound ] && env > {}.tmp && mv {0}.tmp {0}\nexit 0\n",
                s(&out)
            ),
        )
        .unwrap();
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        let status = self
            .client
            .cmd(&[
                "busybox",
                "udhcpc",
                "-f",
                "-q",
                "-n",
                "-i",
                "c0",
                "-s",
                s(&script),
                "-t",
                "6",
                "-T",
                "1",
                "-A",
                "1",
                "-O",
                "125",
                "-O",
                "150",
                "-O",
                "66",
                "-O",
                "67",
                "-O",
                "12",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "udhcpc got no lease");
        std::fs::read_to_string(&out)
            .unwrap()
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    }
}

/// `ztpgate serve` in the gateway namespace.
struct Gateway {
    _proc: Proc,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Gateway {
    fn start(ns: &Netns, dir: &Path, dhcp: &str, window: &str) -> Self {
        std::fs::write(
            dir.join("policy.toml"),
            format!("name = \"dhcp-test\"\n\n[join_window]\nmanual = \"{window}\"\n"),
        )
        .unwrap();
        let config = dir.join("ztpgate.toml");
        std::fs::write(&config, format!("{GATEWAY}{dhcp}")).unwrap();
        let mut child = ns
            .ztpgate_cmd(&["serve", "--config", s(&config)])
            .current_dir(dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let (tx, lines) = mpsc::channel();
        let stdout = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut gw = Self {
            _proc: Proc(child),
            lines,
            seen: Vec::new(),
        };
        gw.wait_for("serving (policy");
        gw
    }

    fn wait_for(&mut self, needle: &str) {
        for _ in 0..600 {
            self.seen.extend(self.lines.try_iter());
            if self.seen.iter().any(|l| l.contains(needle)) {
                return;
            }
            sleep(Duration::from_millis(100));
        }
        panic!("serve never said {needle:?}: {:#?}", self.seen);
    }
}

/// Option 125 as udhcpc exports it (hex): enterprise 9, sub-option 5 `imagelist.txt`,
/// sub-option 16 the gateway's address.
fn expected_opt125() -> String {
    let mut v = vec![0, 0, 0, 9, 2 + 13 + 2 + 4, 5, 13];
    v.extend_from_slice(b"imagelist.txt");
    v.extend_from_slice(&[16, 4, 10, 66, 1, 1]);
    hex(&v)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn assert_smart_install(env: &BTreeMap<String, String>) {
    assert_eq!(
        env.get("opt125").map(|v| v.to_lowercase()),
        Some(expected_opt125()),
        "{env:#?}"
    );
    assert_eq!(
        env.get("bootfile").map(String::as_str),
        Some("client.cfg"),
        "{env:#?}"
    );
    assert_eq!(env.get("tftp").map(String::as_str), Some(GW), "{env:#?}");
}

fn assert_plain(env: &BTreeMap<String, String>) {
    for key in ["opt125", "bootfile", "tftp", "opt150"] {
        assert!(
            !env.contains_key(key),
            "{key} outside the join window: {env:#?}"
        );
    }
}

fn audit_verdicts(dir: &Path) -> Vec<String> {
    std::fs::read_to_string(dir.join("var/audit.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|r| r["area"] == "dhcp")
        .map(|r| r["verdict"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn server_gives_smart_install_options_only_inside_the_join_window_and_keeps_addresses() {
    if let Some(reason) = skip(false) {
        eprintln!("skipped: {reason}");
        return;
    }
    let t = Topology::new(false);
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let gw = Gateway::start(&t.gw, dir, SERVER, "open");
    let inside = t.udhcpc(dir);
    assert_smart_install(&inside);
    let ip = inside["ip"].clone();
    assert!(ip.starts_with("10.66.1.1"), "{ip}");
    assert_eq!(inside["subnet"], "255.255.255.0");
    drop(gw);

    // Restart with the join window closed: the lease comes back from the store, the client gets
    // the same address and plain DHCP.
    let mut gw = Gateway::start(&t.gw, dir, SERVER, "closed");
    gw.wait_for("1 lease records restored");
    let outside = t.udhcpc(dir);
    assert_plain(&outside);
    assert_eq!(outside["ip"], ip, "the address changed across a restart");
    drop(gw);
    assert_eq!(audit_verdicts(dir), ["grant", "grant"]);
}

#[test]
fn relay_inserts_smart_install_options_into_dnsmasq_replies() {
    if let Some(reason) = skip(true) {
        eprintln!("skipped: {reason}");
        return;
    }
    let t = Topology::new(true);
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let srv = t.srv.as_ref().unwrap();
    let leases = dir.join("dnsmasq.leases");
    let _dnsmasq = Proc(
        srv.cmd(&[
            "dnsmasq",
            "--no-daemon",
            "--conf-file=/dev/null",
            "--port=0",
            "--interface=s0",
            "--bind-interfaces",
            "--user=root",
            "--dhcp-range=10.66.1.100,10.66.1.150,255.255.255.0,1h",
            "--dhcp-option=67,upstream.cfg",
            &format!("--dhcp-leasefile={}", s(&leases)),
            &format!("--pid-file={}", s(&dir.join("dnsmasq.pid"))),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap(),
    );
    sleep(Duration::from_millis(500));
    let _gw = Gateway::start(&t.gw, dir, RELAY, "open");
    let env = t.udhcpc(dir);
    assert_smart_install(&env);
    assert_eq!(env["serverid"], "10.66.2.2", "{env:#?}");
    let ip = env["ip"].clone();
    assert!(ip.starts_with("10.66.1.1"), "{ip}");
    // dnsmasq really allocated the address.
    let text = std::fs::read_to_string(&leases).unwrap();
    assert!(text.contains(&ip) && text.contains(CLIENT_MAC), "{text}");
}

const GATEWAY: &str = r#"[gateway]
data_dir = "var"
policy = "policy.toml"

[pnp_server]
listen = []

[files]
listen = []
"#;

const SERVER: &str = r#"
[dhcp]
mode = "server"
interface = "g0"
address = "10.66.1.1"
subnet_mask = "255.255.255.0"
pool_start = "10.66.1.100"
pool_end = "10.66.1.150"
router = ["10.66.1.1"]
lease_time = "1h"
image_list = "imagelist.txt"
config_file = "client.cfg"
"#;

const RELAY: &str = r#"
[dhcp]
mode = "relay"
interface = "g0"
address = "10.66.1.1"
relay_server = "10.66.2.2"
image_list = "imagelist.txt"
config_file = "client.cfg"
"#;
