//! `ztpgate serve` end to end: starts on the embedded lab defaults (and on a config file), answers
//! `/health` over mutual TLS only to the admin certificate — checked with the real `curl` — and
//! shuts down cleanly on Ctrl-C (SIGINT), leaving an intact audit chain.

#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_ztpgate");

struct Gateway {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Gateway {
    fn start(dir: &Path, args: &[&str]) -> Self {
        let mut child = Command::new(BIN)
            .arg("serve")
            .args(args)
            .current_dir(dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Self {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Waits for a stdout line containing `needle` and returns it.
    fn wait_for(&mut self, needle: &str) -> String {
        loop {
            match self.lines.recv_timeout(Duration::from_secs(60)) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.contains(needle) {
                        return line;
                    }
                }
                Err(_) => panic!("no line with {needle:?}; output so far: {:#?}", self.seen),
            }
        }
    }

    fn admin_addr(&mut self) -> String {
        let line = self.wait_for("admin API listening on https://");
        let rest = line.split("https://").nth(1).unwrap();
        rest.split_whitespace().next().unwrap().to_owned()
    }

    fn interrupt_and_wait(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        assert!(
            Command::new("kill")
                .args(["-INT", &pid])
                .status()
                .unwrap()
                .success()
        );
        self.wait_for("ztpgate: stopped");
        self.child.wait().unwrap()
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn curl(pki: &Path, addr: &str, client: Option<(&str, &str)>) -> (bool, String) {
    let mut cmd = Command::new("curl");
    cmd.args(["-sS", "--max-time", "10", "--cacert"])
        .arg(pki.join("ca.crt"));
    if let Some((cert, key)) = client {
        cmd.arg("--cert")
            .arg(pki.join(cert))
            .arg("--key")
            .arg(pki.join(key));
    }
    // The server certificate names localhost; resolve it to the listener's address.
    let port = addr.rsplit(':').next().unwrap();
    let ip = addr.rsplit_once(':').unwrap().0;
    cmd.arg("--resolve")
        .arg(format!("localhost:{port}:{}", ip.trim_matches(['[', ']'])))
        .arg(format!("https://localhost:{port}/health"));
    let out = cmd.output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

fn have_curl() -> bool {
    let ok = Command::new("curl").arg("--version").output().is_ok();
    if !ok {
        eprintln!("skipping: curl is not installed (make test installs it)");
    }
    ok
}

#[test]
fn serves_health_on_lab_defaults_to_the_admin_certificate_only() {
    if !have_curl() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut gw = Gateway::start(dir.path(), &[]);
    let addr = gw.admin_addr();
    assert!(
        addr.starts_with("127.0.0.1:"),
        "lab defaults listen on loopback: {addr}"
    );
    let pki = dir.path().join("var/pki");

    let (ok, body) = curl(&pki, &addr, Some(("admin.crt", "admin.key")));
    assert!(ok, "admin certificate must be accepted");
    let health: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(health["status"], "ok");
    assert_eq!(health["policy"], "lab");

    let (ok, _) = curl(&pki, &addr, None);
    assert!(!ok, "a request without a client certificate must fail");

    // A device certificate (other hierarchy) must not open the admin API.
    let out = Command::new(BIN)
        .args(["certs", "device", "--dir"])
        .arg(&pki)
        .args(["--pid", "C9300-24T", "--sn", "FOC1234X0AB", "--key", "p256"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (ok, _) = curl(
        &pki,
        &addr,
        Some((
            "devices/C9300-24T_FOC1234X0AB.crt",
            "devices/C9300-24T_FOC1234X0AB.key",
        )),
    );
    assert!(
        !ok,
        "a device certificate must not authenticate as an operator"
    );

    let status = gw.interrupt_and_wait();
    assert!(status.success(), "clean shutdown on Ctrl-C: {status:?}");

    let out = Command::new(BIN)
        .args(["audit", "verify"])
        .arg(dir.path().join("var/audit.jsonl"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "audit chain intact: {text}");
    assert!(
        text.contains("2 records"),
        "serve-start and serve-stop recorded: {text}"
    );
}

#[test]
fn serves_from_a_config_file_on_an_ephemeral_port_and_restarts_on_the_same_state() {
    if !have_curl() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::create_dir(dir.path().join("policies")).unwrap();
    std::fs::copy(
        repo.join("policies/lab.toml"),
        dir.path().join("policies/lab.toml"),
    )
    .unwrap();
    let config = dir.path().join("gw.toml");
    std::fs::write(
        &config,
        "[gateway]\ndata_dir = \"state\"\npolicy = \"policies/lab.toml\"\n\
         [admin]\nlisten = [\"127.0.0.1:0\"]\n[files]\nlisten = [\"127.0.0.1:0\"]\n[pnp_server]\nlisten = [\"127.0.0.1:0\"]\n",
    )
    .unwrap();
    for round in 0..2 {
        let mut gw = Gateway::start(dir.path(), &["--config", config.to_str().unwrap()]);
        let addr = gw.admin_addr();
        let pki = dir.path().join("state/pki");
        let (ok, _) = curl(&pki, &addr, Some(("admin.crt", "admin.key")));
        assert!(ok, "round {round}: admin request accepted");
        assert!(gw.interrupt_and_wait().success());
    }
    let out = Command::new(BIN)
        .args(["audit", "verify"])
        .arg(dir.path().join("state/audit.jsonl"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("4 records"),
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
    let dir = tempfile::tempdir().unwrap();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let lab = std::fs::read_to_string(repo.join("policies/lab.toml")).unwrap();
    let risky = lab.replace(
        "udi_must_match_certificate = true",
        "udi_must_match_certificate = true\ndanger_ignore_idevid_not_after = true",
    );
    assert_ne!(
        lab, risky,
        "the lab policy has a [device_auth] table to extend"
    );
    std::fs::write(dir.path().join("risky.toml"), risky).unwrap();
    let config = dir.path().join("gw.toml");
    std::fs::write(
        &config,
        "[gateway]\ndata_dir = \"state\"\npolicy = \"risky.toml\"\n\
         [admin]\nlisten = [\"127.0.0.1:0\"]\n[files]\nlisten = [\"127.0.0.1:0\"]\n[pnp_server]\nlisten = [\"127.0.0.1:0\"]\n",
    )
    .unwrap();
    let mut gw = Gateway::start(dir.path(), &["--config", config.to_str().unwrap()]);
    gw.wait_for("WARNING: policy enables danger_ignore_idevid_not_after");
    gw.admin_addr();
    assert!(gw.interrupt_and_wait().success());
    let log = std::fs::read_to_string(dir.path().join("state/audit.jsonl")).unwrap();
    let start: serde_json::Value = serde_json::from_str(log.lines().next().unwrap()).unwrap();
    assert_eq!(
        start["detail"]["dangers"],
        serde_json::json!(["danger_ignore_idevid_not_after"]),
        "the serve-start record names the enabled danger options"
    );
}
