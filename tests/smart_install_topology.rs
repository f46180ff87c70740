//! Smart Install enforcement end to end, in network namespaces this test creates:
//!
//! ```text
//!   mgmt (director 10.77.1.2, TFTP server 10.77.1.6)
//!     │ 10.77.1.0/24
//!   gw (ztpgate serve: relay on 10.77.1.1:14786, table inet ztpgate, routing)
//!     │ 10.77.2.0/24                    │ 10.77.3.0/24
//!   access (emulated switch 10.77.2.10)  outside (attacker + rogue TFTP server 10.77.3.66)
//! ```
//!
//! The gateway applies the firewall from its policy and steers director flows through the
//! inspecting relay (`SO_ORIGINAL_DST`). The test shows: the director's probe gets the 24-byte
//! reply; the attacker's probe and every attack-corpus message get nothing and the switch sees no
//! connection; the director's copy-commands toward the allowed TFTP server really deliver the
//! configuration there, while the same message (and every corpus message) naming the rogue
//! server is dropped at the relay and no TFTP leaves the switch; nft counters and audit records
//! account for every drop; a ruleset flush is repaired; SIGKILL leaves 4786 closed.
//!
//! tcpdump records the three links on their far side from the gateway (what the attacker sent,
//! what the director sent, what reached the switch) for the whole run, and `ztpgate pcap audit`
//! must find exactly the findings and speakers the test's actions imply (tables [`OUTSIDE`],
//! [`MGMT`], [`ACCESS`]).
//!
//! Needs root, `ip netns`, `nft` and `in.tftpd` (tftpd-hpa); prints a skip reason otherwise.
//! Without tcpdump the capture audit alone is skipped, with its reason printed.

#![allow(clippy::unwrap_used)]

mod common;

use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread::sleep;
use std::time::Duration;

use common::netns::{Netns, Proc, packets, skip_reason};
use common::pcap_audit::{self, Expected};
use common::s;
use common::tcpdump::{self, Recording};
use serde_json::Value;

const DIRECTOR: &str = "10.77.1.2";
const TFTP_SERVER: &str = "10.77.1.6";
const RELAY: &str = "10.77.1.1:14786";
const SWITCH: &str = "10.77.2.10:4786";
const SWITCH_V6: &str = "[fd77:2::10]:4786";
const ATTACKER: &str = "10.77.3.66";

/// Every `sim attack` mode; the first three are probes, the rest carry a URL or a command.
const ALL_MODES: [&str; 12] = [
    "test",
    "talos",
    "greenbone",
    "legacy-test",
    "get-config",
    "msf-download",
    "change-config",
    "update-ios",
    "execute",
    "cve-2018-0171",
    "split",
    "pipelined",
];

/// The four namespaces and their links.
struct Topology {
    mgmt: Netns,
    gw: Netns,
    access: Netns,
    outside: Netns,
}

impl Topology {
    fn build() -> Self {
        let t = Self {
            mgmt: Netns::new("si-mgmt"),
            gw: Netns::new("si-gw"),
            access: Netns::new("si-acc"),
            outside: Netns::new("si-out"),
        };
        t.gw.link("gm", "10.77.1.1/24", &t.mgmt, "mg", "10.77.1.2/24");
        t.mgmt
            .exec(&["ip", "addr", "add", "10.77.1.6/24", "dev", "mg"]);
        t.gw.link("ga", "10.77.2.1/24", &t.access, "ag", "10.77.2.10/24");
        t.gw.link("go", "10.77.3.1/24", &t.outside, "og", "10.77.3.66/24");
        for (ns, via) in [
            (&t.mgmt, "10.77.1.1"),
            (&t.access, "10.77.2.1"),
            (&t.outside, "10.77.3.1"),
        ] {
            ns.exec(&["ip", "route", "add", "default", "via", via]);
        }
        // The same networks over IPv6 (no duplicate address detection: usable at once).
        for (ns, dev, addr) in [
            (&t.gw, "gm", "fd77:1::1/64"),
            (&t.gw, "ga", "fd77:2::1/64"),
            (&t.gw, "go", "fd77:3::1/64"),
            (&t.mgmt, "mg", "fd77:1::2/64"),
            (&t.access, "ag", "fd77:2::10/64"),
            (&t.outside, "og", "fd77:3::66/64"),
        ] {
            ns.exec(&["ip", "-6", "addr", "add", addr, "dev", dev, "nodad"]);
        }
        for (ns, via) in [
            (&t.mgmt, "fd77:1::1"),
            (&t.access, "fd77:2::1"),
            (&t.outside, "fd77:3::1"),
        ] {
            ns.exec(&["ip", "-6", "route", "add", "default", "via", via]);
        }
        t.gw.exec(&["sysctl", "-q", "-w", "net.ipv4.ip_forward=1"]);
        t.gw.exec(&["sysctl", "-q", "-w", "net.ipv6.conf.all.forwarding=1"]);
        t
    }
}

/// `in.tftpd` in the foreground on `addr:69`, writable (`-c`), serving `dir`.
fn tftpd(ns: &Netns, daemon: &str, addr: &str, dir: &Path) -> Proc {
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    let child = ns
        .cmd(&[daemon, "-L", "-a", &format!("{addr}:69"), "-c", "-p"])
        .args(["-u", "root", "-s", s(dir)])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    Proc(child)
}

/// The emulated switch with every event it reports.
struct Switch {
    _proc: Proc,
    events: mpsc::Receiver<Value>,
    seen: Vec<Value>,
}

impl Switch {
    fn start(ns: &Netns) -> Self {
        let mut child = ns
            .ztpgate_cmd(&[
                "sim",
                "switch",
                "--listen",
                "[::]:4786",
                "--hostname",
                "topo-sw",
            ])
            .args(["--tftp-timeout-ms", "300", "--tftp-retries", "2"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut sw = Self {
            events: lines(child.stdout.take().unwrap(), |l| {
                serde_json::from_str(&l).unwrap()
            }),
            _proc: Proc(child),
            seen: Vec::new(),
        };
        sw.wait(|e| e["event"] == "listening", "listening");
        sw
    }

    /// Events since the last call.
    fn take(&mut self) -> Vec<Value> {
        self.seen.extend(self.events.try_iter());
        std::mem::take(&mut self.seen)
    }

    /// Waits up to 10 s for an event for which `pred` holds (kept for [`Self::take`]).
    fn wait(&mut self, pred: impl Fn(&Value) -> bool, what: &str) -> Value {
        for _ in 0..100 {
            self.seen.extend(self.events.try_iter());
            if let Some(e) = self.seen.iter().find(|e| pred(e)) {
                return e.clone();
            }
            sleep(Duration::from_millis(100));
        }
        panic!("the switch never reported {what}: {:#?}", self.seen);
    }
}

/// The lines of `out`, converted by `f`, as they arrive.
fn lines<T: Send + 'static>(
    out: impl std::io::Read + Send + 'static,
    f: fn(String) -> T,
) -> mpsc::Receiver<T> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if tx.send(f(line)).is_err() {
                break;
            }
        }
    });
    rx
}

/// `ztpgate serve` in the gateway namespace, its stdout lines collected.
struct Gateway {
    proc: Proc,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
    audit: PathBuf,
}

impl Gateway {
    fn start(ns: &Netns, dir: &Path) -> Self {
        std::fs::write(dir.join("topology.toml"), POLICY).unwrap();
        let config = dir.join("ztpgate.toml");
        std::fs::write(&config, GATEWAY).unwrap();
        let mut child = ns
            .ztpgate_cmd(&["serve", "--config", s(&config)])
            .current_dir(dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut gw = Self {
            lines: lines(child.stdout.take().unwrap(), |l| l),
            proc: Proc(child),
            seen: Vec::new(),
            audit: dir.join("var/audit.jsonl"),
        };
        gw.wait_for("serving (policy", 60);
        gw
    }

    /// Waits up to `secs` seconds for a stdout line containing `needle`.
    fn wait_for(&mut self, needle: &str, secs: u64) {
        for _ in 0..secs * 10 {
            self.seen.extend(self.lines.try_iter());
            if self.said(needle) {
                return;
            }
            sleep(Duration::from_millis(100));
        }
        panic!("serve never said {needle:?}: {:#?}", self.seen);
    }

    fn said(&self, needle: &str) -> bool {
        self.seen.iter().any(|l| l.contains(needle))
    }

    /// The Smart Install decisions and firewall applications in the audit log.
    fn records(&self) -> Vec<Value> {
        std::fs::read_to_string(&self.audit)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    fn decisions(&self) -> Vec<Value> {
        self.records()
            .into_iter()
            .filter(|r| r["area"] == "smart_install")
            .collect()
    }
}

/// Runs the `sim attack` modes from `ns` at `target` in parallel, naming `tftp` in their URLs;
/// returns (mode, report or error text) per mode.
fn attack(
    ns: &Netns,
    target: &str,
    modes: &[&str],
    tftp: &str,
) -> Vec<(String, Result<Value, String>)> {
    let children: Vec<_> = modes
        .iter()
        .map(|mode| {
            let child = ns
                .ztpgate_cmd(&["sim", "attack", "--target", target, "--mode", mode])
                .args(["--tftp", tftp, "--wait-ms", "1500"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            ((*mode).to_owned(), child)
        })
        .collect();
    children
        .into_iter()
        .map(|(mode, child)| {
            let out = child.wait_with_output().unwrap();
            let result = if out.status.success() {
                Ok(serde_json::from_slice(&out.stdout).unwrap())
            } else {
                Err(String::from_utf8_lossy(&out.stderr).into_owned())
            };
            (mode, result)
        })
        .collect()
}

fn one(ns: &Netns, target: &str, mode: &str, tftp: &str) -> Result<Value, String> {
    attack(ns, target, &[mode], tftp).remove(0).1
}

fn tftpd_path() -> Option<&'static str> {
    ["/usr/sbin/in.tftpd", "/sbin/in.tftpd"]
        .into_iter()
        .find(|p| Path::new(p).exists())
}

#[test]
fn only_the_director_reaches_the_switch_and_only_toward_allowed_tftp_servers() {
    if let Some(reason) = skip_reason() {
        eprintln!("skipping: {reason}");
        return;
    }
    let Some(daemon) = tftpd_path() else {
        eprintln!("skipping: in.tftpd (tftpd-hpa) is not installed");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (good_dir, rogue_dir) = (dir.path().join("tftp"), dir.path().join("rogue"));
    std::fs::create_dir(&good_dir).unwrap();
    std::fs::create_dir(&rogue_dir).unwrap();
    let t = Topology::build();
    let _good = tftpd(&t.mgmt, daemon, TFTP_SERVER, &good_dir);
    let _rogue = tftpd(&t.outside, daemon, ATTACKER, &rogue_dir);
    let mut switch = Switch::start(&t.access);
    let mut gw = Gateway::start(&t.gw, dir.path());
    gw.wait_for("firewall applied", 1);
    switch.take();
    let captures = match tcpdump::skip_reason() {
        Some(reason) => {
            eprintln!("capture audit skipped: {reason}");
            None
        }
        None => Some(Captures::start(&t, dir.path())),
    };

    // 1. The director's probe is steered through the relay and gets the 24-byte reply.
    let r = one(&t.mgmt, SWITCH, "test", TFTP_SERVER).unwrap();
    assert_eq!(r["received_bytes"], 24, "{r}");
    assert_eq!(r["replies"][0], "probe_reply", "{r}");
    let connected = switch.wait(|e| e["event"] == "connected", "the relay's connection");
    switch.wait(|e| e["event"] == "replied", "its reply");
    // The switch sees the gateway (the relay), not the director: DNAT, not TPROXY.
    assert!(
        connected["peer"]
            .as_str()
            .unwrap()
            .starts_with("[::ffff:10.77.2.1]:"),
        "{connected}"
    );
    switch.take();

    // ... and over IPv6 as well, while the attacker's IPv6 probe is dropped.
    let r = one(&t.mgmt, SWITCH_V6, "test", TFTP_SERVER).unwrap();
    assert_eq!(r["received_bytes"], 24, "{r}");
    let connected = switch.wait(|e| e["event"] == "connected", "the relay's IPv6 connection");
    assert_eq!(
        connected["peer"]
            .as_str()
            .unwrap()
            .rsplit_once(':')
            .unwrap()
            .0,
        "[fd77:2::1]",
        "{connected}"
    );
    let err = one(&t.outside, SWITCH_V6, "test", ATTACKER).unwrap_err();
    assert!(err.contains("timed out"), "IPv6 attacker: {err}");
    switch.take();

    // 2. The attacker: every corpus message, to the switch and to the relay port itself, gets
    //    nothing (dropped, so the connection times out), and the switch sees no connection.
    let mut attempts = 0;
    for (mode, result) in attack(&t.outside, SWITCH, &ALL_MODES, ATTACKER) {
        let err = result.expect_err(&format!("{mode}: the attacker got an answer"));
        assert!(err.contains("timed out"), "{mode}: {err}");
        attempts += 1;
    }
    let err = one(&t.outside, RELAY, "test", ATTACKER).unwrap_err();
    assert!(err.contains("timed out"), "relay port: {err}");
    assert!(switch.take().is_empty(), "the attacker reached the switch");

    // 3. Copy-commands toward the allowed TFTP server: the configuration really arrives there.
    let r = one(&t.mgmt, SWITCH, "get-config", TFTP_SERVER).unwrap();
    assert_ne!(r["outcome"], "reset", "{r}");
    let ev = switch.wait(
        |e| e["event"] == "tftp" && e["ok"] == true,
        "the TFTP upload",
    );
    assert_eq!(
        ev["server"].as_str().unwrap(),
        format!("{TFTP_SERVER}:69"),
        "{ev}"
    );
    let uploaded = wait_for_file(&good_dir.join("10.77.2.10.conf"), "hostname topo-sw");
    assert!(uploaded.contains("hostname topo-sw"));
    switch.take();

    // 4. The same message naming another host, and every command of the corpus naming it, is
    //    dropped at the relay: the director's connection is reset and the switch does no TFTP.
    let before = gw.decisions().len();
    let mut denied = 0;
    for (mode, result) in attack(&t.mgmt, SWITCH, &ALL_MODES[3..], ATTACKER) {
        let report = result.unwrap_or_else(|e| panic!("{mode}: {e}"));
        assert!(
            report["outcome"] == "reset" || report["outcome"] == "closed",
            "{mode}: {report}"
        );
        denied += 1;
    }
    sleep(Duration::from_millis(1500));
    let events = switch.take();
    let tftp: Vec<&Value> = events.iter().filter(|e| e["event"] == "tftp").collect();
    assert!(tftp.is_empty(), "the switch issued TFTP: {tftp:?}");
    let received: Vec<&Value> = events.iter().filter(|e| e["event"] == "received").collect();
    // Only the probe of the pipelined segment reaches the switch; its copy-commands do not.
    assert!(
        received.iter().all(|e| e["kind"] == "probe"),
        "{received:?}"
    );
    assert!(std::fs::read_dir(&rogue_dir).unwrap().next().is_none());

    // 5. Audit records account for every relay drop; the attacker never reached the relay.
    let decisions = gw.decisions();
    let new = &decisions[before..];
    let denials: Vec<&Value> = new.iter().filter(|r| r["verdict"] == "deny").collect();
    assert_eq!(denials.len(), denied, "{denials:#?}");
    for d in &denials {
        assert_eq!(d["actor"], DIRECTOR, "{d}");
        assert_eq!(d["detail"]["outcome"], "dropped", "{d}");
        assert_eq!(d["detail"]["direction"], "director_to_client", "{d}");
        assert_eq!(d["detail"]["dst"], SWITCH, "{d}");
    }
    let rules: Vec<&str> = denials
        .iter()
        .map(|d| d["rule"].as_str().unwrap())
        .collect();
    assert!(rules.contains(&"tlv-overrun"), "{rules:?}");
    assert!(rules.contains(&"url-host-allowlist"), "{rules:?}");
    assert!(
        decisions
            .iter()
            .all(|r| r["actor"] != ATTACKER && r["actor"] != "fd77:3::66")
    );
    assert!(
        decisions
            .iter()
            .any(|r| r["detail"]["kind"] == "copy-commands" && r["verdict"] == "allow")
    );

    // ... and nft counters account for every packet dropped before it.
    let items = t.gw.table();
    assert!(
        packets(&items, "si-drop-not-director") >= attempts,
        "{items:#?}"
    );
    assert!(packets(&items, "si-drop-relay-direct") >= 1);
    assert!(packets(&items, "si-steer-to-relay") >= 2 + denied as u64);
    assert!(packets(&items, "tftp-allowed-server") >= 1);
    assert_eq!(packets(&items, "tftp-drop-server"), 0);
    let status = Command::new(common::BIN)
        .args(["audit", "verify"])
        .arg(&gw.audit)
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stdout)
    );

    // 6. A ruleset flush is repaired within the check interval, and recorded.
    t.gw.exec(&["nft", "flush", "ruleset"]);
    gw.wait_for("was missing; re-applied", 10);
    assert!(
        gw.records()
            .iter()
            .any(|r| r["verdict"] == "firewall-apply" && r["detail"]["reason"] == "table missing")
    );
    assert!(one(&t.outside, SWITCH, "test", ATTACKER).is_err());

    // 7. SIGKILL: the table stays, the attacker still gets nothing, and the director's flows
    //    (steered to a relay that is gone) are refused rather than passed to the switch.
    drop(std::mem::replace(
        &mut gw.proc,
        Proc(Command::new("true").spawn().unwrap()),
    ));
    let err = one(&t.outside, SWITCH, "test", ATTACKER).unwrap_err();
    assert!(err.contains("timed out"), "{err}");
    let err = one(&t.mgmt, SWITCH, "test", TFTP_SERVER).unwrap_err();
    assert!(!err.is_empty());
    assert!(
        switch.take().is_empty(),
        "the switch was reached after the gateway died"
    );
    assert!(t.gw.tables().contains("table inet ztpgate"));

    // 8. The captures of the run hold exactly the findings the steps above imply.
    if let Some(captures) = captures {
        captures.audit(&dir.path().join("ztpgate.toml"));
    }
}

fn wait_for_file(path: &Path, needle: &str) -> String {
    for _ in 0..200 {
        if let Ok(text) = std::fs::read_to_string(path)
            && text.contains(needle)
        {
            return text;
        }
        sleep(Duration::from_millis(50));
    }
    panic!("{} never arrived with {needle:?}", path.display());
}

/// The three links, each recorded on its far side from the gateway for the whole run.
struct Captures {
    outside: Recording,
    mgmt: Recording,
    access: Recording,
}

impl Captures {
    fn start(t: &Topology, dir: &Path) -> Self {
        Self {
            outside: Recording::start(&t.outside, "og", &dir.join("outside.pcap")),
            mgmt: Recording::start(&t.mgmt, "mg", &dir.join("mgmt.pcap")),
            access: Recording::start(&t.access, "ag", &dir.join("access.pcap")),
        }
    }

    /// Stops the recordings and audits each with the gateway's configuration `config`.
    fn audit(self, config: &Path) {
        let config = ["--config", s(config)];
        let outside = pcap_audit::audit(&self.outside.stop(), &config);
        let mgmt = pcap_audit::audit(&self.mgmt.stop(), &config);
        // Behind the relay the switch's director is the gateway itself (step 1: the switch sees
        // the gateway, not the director), so its addresses there are the directors of that link.
        let mut access_args = config.to_vec();
        for relay in RELAY_EGRESS {
            access_args.extend(["--director", relay]);
        }
        let access = pcap_audit::audit(&self.access.stop(), &access_args);
        for report in [&outside, &mgmt, &access] {
            assert!(report["directors_known"] == true && report["tftp_servers_known"] == true);
        }
        for (link, report, expected) in [
            ("outside", &outside, &OUTSIDE),
            ("mgmt", &mgmt, &MGMT),
            ("access", &access, &ACCESS),
        ] {
            expected.check(link, report);
        }
    }
}

/// The relay's addresses on the access link.
const RELAY_EGRESS: [&str; 2] = ["10.77.2.1", "fd77:2::1"];

/// What the attacker sent (link og, namespace outside). The gateway drops its SYNs, so no
/// connection is ever established and no message of the corpus is on the wire: each attempt is
/// a connection from a non-director to port 4786 that never got an answer.
const OUTSIDE: Expected = Expected {
    findings: &[
        // Step 2: the twelve corpus modes, one connection each.
        "12 si-non-director medium 10.77.3.66 -> 10.77.2.10",
        // Step 6: the probe once the flushed ruleset is back.
        "1 si-non-director medium 10.77.3.66 -> 10.77.2.10",
        // Step 7: the probe after SIGKILL.
        "1 si-non-director medium 10.77.3.66 -> 10.77.2.10",
        // Step 1: the attacker's IPv6 probe.
        "1 si-non-director medium fd77:3::66 -> fd77:2::10",
        // (Step 2's probe of the relay's own port, 10.77.1.1:14786, is not on Smart Install's
        // port: no finding.)
    ],
    // Connection attempts only: the attacker opened them; the switch, never reached, answered
    // none of them.
    speakers: &[
        ("10.77.2.10", "target"),
        ("10.77.3.66", "connector"),
        ("fd77:2::10", "target"),
        ("fd77:3::66", "connector"),
    ],
    messages: 0..=0,
    tftp: false,
};

/// What the director sent and got back (link mg, namespace mgmt). Its probes and its
/// copy-commands naming the allowed TFTP server (steps 1 and 3), the switch's upload to that
/// server (step 3) and the refused probe after SIGKILL (step 7) give no finding: a configured
/// director, an allowed server.
const MGMT: Expected = Expected {
    findings: &[
        // Step 4, the director's corpus naming the attacker's TFTP server. From a director only
        // the server it names is wrong: si-legacy-test, si-get-config, si-change-config,
        // si-update-ios and si-execute keep to non-directors. One finding per mode:
        // legacy-test, tftp://10.77.3.66/random_file;
        "1 si-url-host-not-allowed high 10.77.1.2 -> 10.77.2.10 config_push",
        // get-config, copy flash:/config.text tftp://10.77.3.66/10.77.2.10.conf;
        "1 si-url-host-not-allowed high 10.77.1.2 -> 10.77.2.10 copy_commands",
        // msf-download, copy system:running-config tftp://10.77.3.66/msfcfgdl;
        "1 si-url-host-not-allowed high 10.77.1.2 -> 10.77.2.10 copy_commands",
        // change-config, tftp://10.77.3.66/10.77.2.10.conf with a reload;
        "1 si-url-host-not-allowed high 10.77.1.2 -> 10.77.2.10 config_push",
        // update-ios, tftp://10.77.3.66/tar_imglist0.txt;
        "1 si-url-host-not-allowed high 10.77.1.2 -> 10.77.2.10 image_upgrade",
        // execute, tftp://10.77.3.66/execute.txt;
        "1 si-url-host-not-allowed high 10.77.1.2 -> 10.77.2.10 execute",
        // split, get-config in four segments, reassembled into one message;
        "1 si-url-host-not-allowed high 10.77.1.2 -> 10.77.2.10 copy_commands",
        // pipelined, its get-config (its probe is the director's own: nothing).
        "1 si-url-host-not-allowed high 10.77.1.2 -> 10.77.2.10 copy_commands",
        // cve-2018-0171, shapes that count whoever sends them: the PoC's filler,
        "1 si-cve-2018-0171-poc critical 10.77.1.2 -> 10.77.2.10 init_discovery",
        // its TLV overrunning the message,
        "1 si-tlv-overflow critical 10.77.1.2 -> 10.77.2.10 init_discovery",
        // and the next "header", made of filler, declaring about 1 GiB.
        "1 si-length-mismatch high 10.77.1.2 -> 10.77.2.10 oversized",
    ],
    // The switch is a client here too: the relay passes its replies back under its address.
    speakers: &[
        ("10.77.1.2", "director"),
        ("10.77.2.10", "client"),
        ("fd77:1::2", "director"),
        ("fd77:2::10", "client"),
    ],
    // Step 1: probe and reply, IPv4 and IPv6 (4); step 3: get-config (1); step 4: one message
    // per mode, two for pipelined, the PoC's first (10). The relay resets the director's
    // connections of step 4 before passing anything back.
    messages: 15..=15,
    tftp: true,
};

/// What reached the switch (link ag, namespace access): the relay's connections carrying the
/// director's probes (step 1, IPv4 and IPv6), its copy-commands toward the allowed server
/// (step 3), the probe of the pipelined segment (step 4), the switch's replies and its upload to
/// the allowed server (step 3). No attack reached the switch: nothing is found.
const ACCESS: Expected = Expected {
    findings: &[],
    speakers: &[
        ("10.77.2.1", "director"),
        ("10.77.2.10", "client"),
        ("fd77:2::1", "director"),
        ("fd77:2::10", "client"),
    ],
    // Step 1: probe and reply, IPv4 and IPv6 (4); step 3: get-config (1); step 4: pipelined's
    // probe (1) and the switch's reply, unless the relay's reset (after it records the denial of
    // the copy-commands behind the probe) reaches the switch first.
    messages: 6..=7,
    tftp: true,
};

const POLICY: &str = r#"name = "topology"

[smart_install]
directors = ["10.77.1.2", "fd77:1::2"]
client_networks = ["10.77.2.0/24", "fd77:2::/64"]
tftp_servers = ["10.77.1.6"]
copy_patterns = [
  "copy system:running-config flash:/config.text",
  "copy flash:/config.text tftp://{tftp}/*",
]

[[smart_install.rules]]
name = "director-manages-clients"
action = "allow"
from = ["directors"]
to = ["client_networks"]
kinds = ["all"]

[[smart_install.rules]]
name = "clients-answer-the-director"
action = "allow"
from = ["client_networks"]
to = ["directors"]
kinds = ["client-reply"]
"#;

const GATEWAY: &str = r#"[gateway]
data_dir = "var"
policy = "topology.toml"

[pnp_server]
listen = []

[files]
listen = []

[smart_install_relay]
listen = ["10.77.1.1:14786", "[fd77:1::1]:14786"]

[firewall]
manage = true
check_interval = "1s"
"#;
