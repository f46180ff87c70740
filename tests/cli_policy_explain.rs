//! `ztpgate policy explain` end to end: the binary, a policy file in a temp dir, one event of each
//! area, text and JSON output, exit codes.
//!
//! The policy file is written here in the documented schema, so the expectations do not move when
//! the shipped lab policy is edited.

// Test helpers outside `#[test]` functions: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use ztpgate::config::load_policy_file;

const POLICY: &str = r#"
name = "t"

[smart_install]
directors = ["127.0.0.1"]
client_networks = ["127.0.0.0/8"]
tftp_servers = ["127.0.0.1"]
copy_patterns = ["copy system:running-config tftp://{tftp}/*"]

[[smart_install.rules]]
name = "d"
action = "allow"
from = ["directors"]
to = ["client_networks"]
kinds = ["probe", "config-push", "copy-commands"]

[join_window]
mode = "manual"

[[join_window.windows]]
name = "w"
start = 2026-01-03T02:00:00Z
interval = "04:00"
recurrence = "weekly"

[image_delivery]
allowed_hosts = ["127.0.0.1"]
"#;

/// Writes the policy into a temp dir and checks that it loads.
fn policy_file() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.toml");
    std::fs::write(&path, POLICY).unwrap();
    if let Err(errs) = load_policy_file(&path) {
        panic!("the loader rejects the documented schema:\n{errs}");
    }
    (dir, path)
}

fn explain(policy: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ztpgate"))
        .args(["policy", "explain", "--config"])
        .arg(policy)
        .args(args)
        .output()
        .unwrap()
}

fn stdout(out: &Output) -> String {
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

#[test]
fn explains_smart_install_decisions() {
    let (_dir, path) = policy_file();
    let out = stdout(&explain(
        &path,
        &[
            "smart-install",
            "--from",
            "10.0.0.9",
            "--to",
            "127.0.0.2",
            "--kind",
            "config-push",
        ],
    ));
    assert!(out.contains("verdict: deny"), "{out}");
    assert!(out.contains("rule:    smart_install/default-deny"), "{out}");
    assert!(out.contains("10.0.0.9 is not a director"), "{out}");

    let out = stdout(&explain(
        &path,
        &[
            "smart-install",
            "--from",
            "127.0.0.1",
            "--to",
            "127.0.0.2",
            "--kind",
            "probe",
        ],
    ));
    assert!(out.contains("verdict: allow"), "{out}");
    assert!(out.contains("rule:    smart_install/d"), "{out}");

    let out = stdout(&explain(
        &path,
        &[
            "smart-install",
            "--from",
            "127.0.0.1",
            "--to",
            "127.0.0.2",
            "--kind",
            "copy-commands",
            "--command",
            "copy system:running-config tftp://203.0.113.5/x",
        ],
    ));
    assert!(out.contains("smart_install/url-host-allowlist"), "{out}");
}

#[test]
fn explains_join_window_state() {
    let (_dir, path) = policy_file();
    let open = stdout(&explain(
        &path,
        &[
            "join",
            "--mac",
            "00:1b:54:aa:bb:cc",
            "--at",
            "2026-01-10T03:00:00Z",
        ],
    ));
    assert!(open.contains("verdict:    hold"), "{open}");
    assert!(open.contains("join_window/window-open-manual"), "{open}");
    let closed = stdout(&explain(&path, &["join", "--at", "2026-01-12T03:00:00Z"]));
    assert!(closed.contains("verdict:    deny"), "{closed}");
    assert!(closed.contains("join_window/window-closed"), "{closed}");
}

#[test]
fn explains_delivery_and_auth_as_json() {
    let (_dir, path) = policy_file();
    let out = stdout(&explain(
        &path,
        &["deliver", "--url", "https://127.0.0.1/x.bin", "--json"],
    ));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["verdict"], "deny");
    assert_eq!(v["rule"]["area"], "image_delivery");
    assert_eq!(v["rule"]["name"], "checksum-required");

    let out = stdout(&explain(&path, &["--json", "auth", "--no-certificate"]));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["rule"]["name"], "certificate-required");
    assert_eq!(v["mode"], "enforce");
}

#[test]
fn exits_2_on_bad_arguments_or_missing_policy() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("absent.toml");
    let out = explain(&missing, &["deliver", "--url", "https://127.0.0.1/x"]);
    assert_eq!(out.status.code(), Some(2));
    let out = explain(
        &missing,
        &[
            "smart-install",
            "--from",
            "nope",
            "--to",
            "127.0.0.1",
            "--kind",
            "probe",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--from"));
}
