//! The director's TFTP server under `ztpgate serve`, driven by real clients on loopback:
//! tftp-hpa (`tftp -m binary -c get/put`) and curl (`tftp://`, `--tftp-blksize`, `--interface`
//! for a second client address, 127.0.0.2). Assigned files arrive byte-exact; another client's
//! file, `../` and absolute paths, a symlink out of the root and unassigned names are refused;
//! uploads land only in the backup directory, sanitized and capped, and a refused upload leaves
//! nothing behind. Every transfer is in the audit log (area `tftp`).
//!
//! Skips (with a reason) when `tftp` or `curl` is not installed.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::Gateway;

const MAX_WRITE: usize = 100_000;

fn have(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

fn content(len: usize, seed: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 13 + seed + i / 509) as u8).collect()
}

/// A root with an image and configs for 127.0.0.1, a config for 127.0.0.2, a secret outside the
/// root and a symlink to it inside.
struct Files {
    dir: tempfile::TempDir,
}

impl Files {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        std::fs::create_dir_all(root.join("images")).unwrap();
        std::fs::write(root.join("images/c2960.bin"), content(700_000, 1)).unwrap();
        std::fs::write(root.join("sw1.cfg"), content(3_000, 2)).unwrap();
        std::fs::write(root.join("sw2.cfg"), content(2_000, 3)).unwrap();
        std::fs::write(root.join("unassigned.cfg"), b"x").unwrap();
        std::fs::write(dir.path().join("secret.txt"), b"secret").unwrap();
        std::os::unix::fs::symlink(dir.path().join("secret.txt"), root.join("escape.cfg")).unwrap();
        std::fs::create_dir_all(dir.path().join("backups")).unwrap();
        Self { dir }
    }

    fn root(&self) -> PathBuf {
        self.dir.path().join("root")
    }

    fn backups(&self) -> PathBuf {
        self.dir.path().join("backups")
    }

    fn config(&self) -> String {
        format!(
            "[tftp]\nlisten = [\"127.0.0.1:0\"]\nroot = \"{}\"\nbackup_dir = \"{}\"\n\
             max_write_bytes = {MAX_WRITE}\ntimeout = \"1s\"\nretries = 3\n\
             [[tftp.assign]]\nclient = \"127.0.0.1\"\n\
             files = [\"images/c2960.bin\", \"sw1.cfg\", \"escape.cfg\"]\n\
             [[tftp.assign]]\nclient = \"127.0.0.2\"\nfiles = [\"sw2.cfg\"]\n",
            self.root().display(),
            self.backups().display()
        )
    }
}

/// Starts the gateway; returns it and the TFTP port.
fn start(files: &Files) -> (Gateway, String) {
    let mut gw = Gateway::start(&files.config());
    let line = gw.wait_for("TFTP server listening on udp://");
    let addr = line.split("udp://").nth(1).unwrap();
    let addr = addr.split_whitespace().next().unwrap();
    let port = addr.rsplit(':').next().unwrap().to_owned();
    (gw, port)
}

fn tftp(port: &str, command: &str) -> Output {
    Command::new("tftp")
        .args(["-m", "binary", "127.0.0.1", port, "-c"])
        .args(command.split(' '))
        .output()
        .unwrap()
}

fn curl(port: &str, name: &str, out: &Path, extra: &[&str]) -> Output {
    Command::new("curl")
        .args(["-sS", "--max-time", "20", "--path-as-is", "-o"])
        .arg(out)
        .args(extra)
        .arg(format!("tftp://127.0.0.1:{port}/{name}"))
        .output()
        .unwrap()
}

fn skip() -> bool {
    for program in ["tftp", "curl"] {
        if !have(program) {
            eprintln!("skipped: `{program}` is not installed (scripts/install-deps.sh)");
            return true;
        }
    }
    false
}

/// The audit records once `count` of them satisfy `pred` (the server writes a transfer's last
/// record just after the client has finished), or after five seconds.
fn audit_when(
    gw: &Gateway,
    count: usize,
    pred: impl Fn(&(String, String, String)) -> bool,
) -> Vec<(String, String, String)> {
    for _ in 0..50 {
        let audit = gw.audit();
        if audit.iter().filter(|r| pred(r)).count() >= count {
            return audit;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    gw.audit()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn real_clients_fetch_assigned_files_byte_exact() {
    if skip() {
        return;
    }
    let files = Files::new();
    let (gw, port) = start(&files);
    let out = files.dir.path().join("got");
    let o = tftp(&port, &format!("get images/c2960.bin {}", out.display()));
    let got = std::fs::read(&out).unwrap_or_default();
    assert!(
        got == content(700_000, 1),
        "{} bytes; {}",
        got.len(),
        text(&o)
    );
    std::fs::remove_file(&out).unwrap();

    let o = curl(&port, "images/c2960.bin", &out, &["--tftp-blksize", "1468"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(std::fs::read(&out).unwrap() == content(700_000, 1));

    // The second client address gets its own file.
    let o = curl(&port, "sw2.cfg", &out, &["--interface", "127.0.0.2"]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(std::fs::read(&out).unwrap(), content(2_000, 3));

    let audit = audit_when(&gw, 3, |(v, _, _)| v == "complete");
    let completes = audit
        .iter()
        .filter(|(verdict, rule, _)| verdict == "complete" && rule == "read")
        .count();
    assert_eq!(completes, 3, "{audit:?}");
    assert!(gw.verify_audit().0);
}

#[test]
fn real_clients_are_refused_what_is_not_theirs() {
    if skip() {
        return;
    }
    let files = Files::new();
    let (gw, port) = start(&files);
    let out = files.dir.path().join("refused");
    // tftp-hpa from 127.0.0.1: another client's file, traversal, absolute, symlink, unassigned.
    for name in [
        "sw2.cfg",
        "../secret.txt",
        "images/../sw1.cfg",
        "/etc/passwd",
        "escape.cfg",
        "unassigned.cfg",
    ] {
        let o = tftp(&port, &format!("get {name} {}", out.display()));
        let said = text(&o);
        assert!(
            said.contains("Access violation") || said.contains("access denied"),
            "{name}: {said}"
        );
        let got = std::fs::read(&out).unwrap_or_default();
        assert!(got.is_empty(), "{name}: got {} bytes", got.len());
    }
    // curl from 127.0.0.2 asking for 127.0.0.1's file.
    let o = curl(&port, "sw1.cfg", &out, &["--interface", "127.0.0.2"]);
    assert!(!o.status.success(), "{}", text(&o));
    assert!(std::fs::read(&out).unwrap_or_default().is_empty());

    let refusals = audit_when(&gw, 7, |(v, _, _)| v == "refuse")
        .into_iter()
        .filter(|(verdict, _, _)| verdict == "refuse")
        .count();
    assert_eq!(refusals, 7);
}

#[test]
fn tftp_hpa_uploads_land_in_the_backup_dir_sanitized_and_capped() {
    if skip() {
        return;
    }
    let files = Files::new();
    let (gw, port) = start(&files);
    let local = files.dir.path().join("running-config");
    std::fs::write(&local, content(20_000, 4)).unwrap();
    let o = tftp(&port, &format!("put {} ../sw1.confg", local.display()));
    let stored = files.backups().join("127.0.0.1__sw1.confg");
    let got = std::fs::read(&stored).unwrap_or_default();
    assert!(
        got == content(20_000, 4),
        "{} bytes; {}",
        got.len(),
        text(&o)
    );
    assert!(!files.dir.path().join("sw1.confg").exists());
    assert!(!files.root().join("sw1.confg").exists());

    // Over the cap: refused mid-transfer, nothing left behind.
    let big = files.dir.path().join("big");
    std::fs::write(&big, content(MAX_WRITE + 1, 5)).unwrap();
    let o = tftp(&port, &format!("put {} big.confg", big.display()));
    assert!(text(&o).contains("Error code 3"), "{}", text(&o));
    std::thread::sleep(std::time::Duration::from_millis(200));
    let left: Vec<_> = std::fs::read_dir(files.backups())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, vec![std::ffi::OsString::from("127.0.0.1__sw1.confg")]);

    let audit = audit_when(&gw, 1, |(v, r, _)| v == "fail" && r == "write");
    assert!(
        audit
            .iter()
            .any(|(verdict, rule, _)| verdict == "fail" && rule == "write"),
        "{audit:?}"
    );
}
