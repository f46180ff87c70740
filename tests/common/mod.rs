//! Test harness shared by the integration tests: a `ztpgate serve` process in a temp directory
//! with its listeners on ephemeral loopback ports, read from its own announcements, and the real
//! `curl` pointed at it.

#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

pub mod netns;
pub mod pcap_audit;
pub mod switch;
pub mod tcpdump;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

pub const BIN: &str = env!("CARGO_BIN_EXE_ztpgate");

/// A running gateway.
pub struct Gateway {
    pub child: Child,
    pub dir: tempfile::TempDir,
    pub config: PathBuf,
    /// The data directory.
    pub data: PathBuf,
    lines: mpsc::Receiver<String>,
    pub seen: Vec<String>,
}

impl Gateway {
    /// Starts `serve` with the lab policy, every listener on 127.0.0.1:0, plus `extra` config.
    pub fn start(extra: &str) -> Self {
        Self::start_with(|lab| lab, extra)
    }

    /// Like [`Gateway::start`], with the lab policy text passed through `edit` first.
    pub fn start_with(edit: impl FnOnce(String) -> String, extra: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
        let lab = std::fs::read_to_string(repo.join("policies/lab.toml")).unwrap();
        std::fs::write(dir.path().join("lab.toml"), edit(lab)).unwrap();
        let config = dir.path().join("gw.toml");
        std::fs::write(
            &config,
            format!(
                "[gateway]\ndata_dir = \"state\"\npolicy = \"lab.toml\"\n\
                 [admin]\nlisten = [\"127.0.0.1:0\"]\n[files]\nlisten = [\"127.0.0.1:0\"]\n\
                 [pnp_server]\nlisten = [\"127.0.0.1:0\"]\n{extra}"
            ),
        )
        .unwrap();
        Self::spawn(dir, config)
    }

    /// Starts `serve --config` for an existing directory and configuration (data in `state`).
    pub fn spawn(dir: tempfile::TempDir, config: PathBuf) -> Self {
        let data = dir.path().join("state");
        Self::launch(dir, Some(config), data)
    }

    /// Starts `serve` in `dir` (with `--config` when given; else the embedded lab defaults) and
    /// waits until it serves.
    pub fn launch(dir: tempfile::TempDir, config: Option<PathBuf>, data: PathBuf) -> Self {
        let mut cmd = Command::new(BIN);
        cmd.arg("serve").current_dir(dir.path());
        if let Some(config) = &config {
            cmd.arg("--config").arg(config);
        }
        let mut child = cmd
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
        let mut gw = Self {
            child,
            dir,
            config: config.unwrap_or_default(),
            data,
            lines,
            seen: Vec::new(),
        };
        gw.wait_for("serving (policy");
        gw
    }

    /// Waits for a stdout line containing `needle`.
    pub fn wait_for(&mut self, needle: &str) -> String {
        if let Some(line) = self.seen.iter().find(|l| l.contains(needle)) {
            return line.clone();
        }
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

    /// The port a listener announced with `<what> listening on https://127.0.0.1:PORT`.
    pub fn port(&mut self, what: &str) -> String {
        let line = self.wait_for(&format!("{what} listening on https://"));
        let rest = line.split("https://").nth(1).unwrap();
        let addr = rest
            .split(|c: char| c == '/' || c.is_whitespace())
            .next()
            .unwrap();
        addr.rsplit(':').next().unwrap().to_owned()
    }

    pub fn state(&self) -> PathBuf {
        self.data.clone()
    }

    /// Issues a lab device certificate; returns (chain file, key file).
    pub fn device_cert(&self, pid: &str, sn: &str) -> (String, String) {
        let pki = self.state().join("pki");
        let out = Command::new(BIN)
            .args(["certs", "device", "--dir"])
            .arg(&pki)
            .args(["--pid", pid, "--sn", sn, "--key", "p256", "--force"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let base = pki.join(format!("devices/{}_{sn}", pid.replace('/', "_")));
        (
            format!("{}.chain.pem", base.display()),
            format!("{}.key", base.display()),
        )
    }

    /// The notes of a PnP device's history, oldest first (through the admin API).
    pub fn pnp_history(&mut self, serial: &str) -> Vec<String> {
        let (_, detail) = self.admin("GET", &format!("/pnp/devices/{serial}"));
        detail["history"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["note"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    /// `curl` to the admin API with the admin certificate.
    pub fn admin(&mut self, method: &str, path: &str) -> (u16, serde_json::Value) {
        let port = self.port("admin API");
        let pki = self.state().join("pki");
        let (cert, key) = (pki.join("admin.crt"), pki.join("admin.key"));
        let (code, body) = self.curl(
            &port,
            path,
            &[
                "-X",
                method,
                "--cert",
                cert.to_str().unwrap(),
                "--key",
                key.to_str().unwrap(),
            ],
        );
        (code, serde_json::from_str(&body).unwrap_or_default())
    }

    /// `curl` against `https://localhost:PORT{path}`; returns (status or 0, body).
    pub fn curl(&self, port: &str, path: &str, extra: &[&str]) -> (u16, String) {
        let out: Output = Command::new("curl")
            .args(["-sS", "--max-time", "20", "--cacert"])
            .arg(self.state().join("pki/ca.crt"))
            .arg("--resolve")
            .arg(format!("localhost:{port}:127.0.0.1"))
            .args(["-w", "\n%{http_code}"])
            .args(extra)
            .arg(format!("https://localhost:{port}{path}"))
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let (body, code) = text.rsplit_once('\n').unwrap_or(("", &text));
        (code.trim().parse().unwrap_or(0), body.to_owned())
    }

    /// Runs `ztpgate audit verify` on the gateway's log; returns (success, stdout).
    pub fn verify_audit(&self) -> (bool, String) {
        let out = Command::new(BIN)
            .args(["audit", "verify"])
            .arg(self.state().join("audit.jsonl"))
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    }

    /// Every audit record as (verdict, rule, actor).
    pub fn audit(&self) -> Vec<(String, String, String)> {
        std::fs::read_to_string(self.state().join("audit.jsonl"))
            .unwrap()
            .lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                let s = |k: &str| v[k].as_str().unwrap_or_default().to_owned();
                (s("verdict"), s("rule"), s("actor"))
            })
            .collect()
    }

    /// Sends SIGINT and waits for a clean exit.
    pub fn stop(mut self) -> std::process::ExitStatus {
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

/// Runs the `ztpgate` binary with `args`.
pub fn ztpgate(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().expect("run ztpgate")
}

/// The standard output of a finished command, as text.
pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The standard output of a command that must have succeeded (its stderr otherwise).
pub fn succeeded(out: &Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout(out)
}

/// A path as a command-line argument.
pub fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// Whether `curl` is installed; prints the skip reason otherwise.
pub fn have_curl() -> bool {
    let ok = Command::new("curl").arg("--version").output().is_ok();
    if !ok {
        eprintln!("skipping: curl is not installed (make test installs it)");
    }
    ok
}
