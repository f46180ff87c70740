//! `ztpgate serve` end to end: starts on the embedded lab defaults (and on a config file), answers
//! `/health` over mutual TLS only to the admin certificate — checked with the real `curl` — and
//! shuts down cleanly on Ctrl-C (SIGINT), leaving an intact audit chain.

#![allow(clippy::unwrap_used)]

mod common;

use std::process::Command;

use common::{BIN, Gateway, have_curl};

#[test]
fn serves_health_on_lab_defaults_to_the_admin_certificate_only() {
    if !have_curl() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("var");
    let mut gw = Gateway::launch(dir, None, data);
    let line = gw.wait_for("admin API listening on https://");
    assert!(
        line.contains("https://127.0.0.1:"),
        "lab defaults listen on loopback: {line}"
    );

    let (code, health) = gw.admin("GET", "/health");
    assert_eq!(code, 200, "admin certificate must be accepted");
    assert_eq!(health["status"], "ok");
    assert_eq!(health["policy"], "lab");

    let port = gw.port("admin API");
    assert_eq!(
        gw.curl(&port, "/health", &[]).0,
        0,
        "no client certificate: handshake fails"
    );
    // A device certificate (other hierarchy) must not open the admin API.
    let (cert, key) = gw.device_cert("C9300-24T", "FOC1234X0AB");
    let with_device = ["--cert", cert.as_str(), "--key", key.as_str()];
    assert_eq!(gw.curl(&port, "/health", &with_device).0, 0);

    let data = gw.state();
    let dir = std::mem::replace(&mut gw.dir, tempfile::tempdir().unwrap());
    assert!(gw.stop().success(), "clean shutdown on Ctrl-C");
    let out = Command::new(BIN)
        .args(["audit", "verify"])
        .arg(data.join("audit.jsonl"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "audit chain intact: {text}");
    assert!(
        text.contains("2 records"),
        "serve-start and serve-stop recorded: {text}"
    );
    drop(dir);
}

#[test]
fn serves_from_a_config_file_on_an_ephemeral_port_and_restarts_on_the_same_state() {
    if !have_curl() {
        return;
    }
    let mut gw = Gateway::start("");
    for round in 0..2 {
        let (code, _) = gw.admin("GET", "/health");
        assert_eq!(code, 200, "round {round}: admin request accepted");
        let config = gw.config.clone();
        let dir = std::mem::replace(&mut gw.dir, tempfile::tempdir().unwrap());
        assert!(gw.stop().success());
        gw = Gateway::spawn(dir, config);
    }
    let (ok, text) = gw.verify_audit();
    assert!(ok, "{text}");
    // Three starts and two stops so far: one chain across the restarts.
    assert!(
        text.contains("5 records"),
        "the chain continues across restarts: {text}"
    );
}

#[test]
fn refuses_a_bad_config_with_every_error() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("bad.toml");
    std::fs::write(
        &config,
        "[gateway]\ndata_dirr = \"x\"\n[admin]\nlisten = [\"not an address\"]\n",
    )
    .unwrap();
    let out = Command::new(BIN)
        .args(["serve", "--config"])
        .arg(&config)
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.toml:2:1: gateway.data_dirr: unknown key"),
        "{err}"
    );
    assert!(err.contains("bad.toml:4:"), "{err}");
}

#[test]
fn announces_every_enabled_danger_option_at_startup() {
    let mut gw = Gateway::start_with(
        |lab| {
            let risky = lab.replace(
                "udi_must_match_certificate = true",
                "udi_must_match_certificate = true\ndanger_ignore_idevid_not_after = true",
            );
            assert_ne!(
                lab, risky,
                "the lab policy has a [device_auth] table to extend"
            );
            risky
        },
        "",
    );
    gw.wait_for("WARNING: policy enables danger_ignore_idevid_not_after");
    let log = std::fs::read_to_string(gw.state().join("audit.jsonl")).unwrap();
    let start: serde_json::Value = serde_json::from_str(log.lines().next().unwrap()).unwrap();
    assert_eq!(
        start["detail"]["dangers"],
        serde_json::json!(["danger_ignore_idevid_not_after"]),
        "the serve-start record names the enabled danger options"
    );
    assert!(gw.stop().success());
}
