//! The emulated switch booting erased (`ztpgate sim switch --boot-dhcp s0`) inside a test's
//! network namespace, with its JSON event lines collected as they arrive, and the polling helpers
//! the namespace tests share.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::Stdio;
use std::sync::mpsc;
use std::thread::sleep;
use std::time::Duration;

use serde_json::Value;

use super::netns::{Netns, Proc};

/// Lines of a child's stdout as they arrive.
pub fn lines(out: impl std::io::Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// Polls `ok` every 100 ms for up to `secs` seconds; whether it held.
pub fn eventually(secs: u64, mut ok: impl FnMut() -> bool) -> bool {
    for _ in 0..secs * 10 {
        if ok() {
            return true;
        }
        sleep(Duration::from_millis(100));
    }
    ok()
}

/// A gateway namespace `tag` with a bridge `br0` up at `cidr` (e.g. `10.68.1.1/24`).
pub fn bridge(tag: &str, cidr: &str) -> Netns {
    let gw = Netns::new(tag);
    gw.exec(&["ip", "link", "set", "lo", "up"]);
    gw.exec(&["ip", "link", "add", "br0", "type", "bridge"]);
    gw.exec(&["ip", "addr", "add", cidr, "dev", "br0"]);
    gw.exec(&["ip", "link", "set", "br0", "up"]);
    gw
}

/// Plugs a new namespace `tag` into bridge port `port` of `gw`; its end of the cable is `s0`,
/// up, with `mac`.
pub fn plug(gw: &Netns, port: &str, tag: &str, mac: &str) -> Netns {
    let ns = Netns::new(tag);
    gw.exec(&[
        "ip", "link", "add", port, "type", "veth", "peer", "name", "s0", "netns", &ns.0,
    ]);
    gw.exec(&["ip", "link", "set", port, "master", "br0"]);
    gw.exec(&["ip", "link", "set", port, "up"]);
    ns.exec(&["ip", "link", "set", "s0", "address", mac]);
    ns.exec(&["ip", "link", "set", "s0", "up"]);
    ns
}

/// `ztpgate serve --config CONFIG` in `ns` from `dir`, once it says it serves; its output keeps
/// being drained so it never blocks on a full pipe.
pub fn serve(ns: &Netns, config: &Path, dir: &Path) -> Proc {
    let mut child = ns
        .ztpgate_cmd(&["serve", "--config", config.to_str().unwrap()])
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let rx = lines(child.stdout.take().unwrap());
    let proc = Proc(child);
    let mut seen = Vec::new();
    let served = eventually(60, || {
        seen.extend(rx.try_iter());
        seen.iter().any(|l: &String| l.contains("serving (policy"))
    });
    assert!(served, "serve never served: {seen:#?}");
    std::thread::spawn(move || for _ in rx {});
    proc
}

/// Whether `e` is a successful TFTP transfer event for `purpose`.
pub fn tftp_ok(e: &Value, purpose: &str) -> bool {
    e["event"] == "tftp" && e["purpose"] == purpose && e["ok"] == true
}

/// An erased emulated switch on `s0` of its namespace, and every event it printed.
pub struct BootingSwitch {
    pub proc: Proc,
    events: mpsc::Receiver<String>,
    pub seen: Vec<Value>,
}

impl BootingSwitch {
    /// Starts it with CDP and DHCP retries every second, advertising `pid` from `port_id`.
    pub fn start(ns: &Netns, pid: &str, port_id: &str) -> Self {
        Self::start_with(ns, pid, port_id, &[])
    }

    /// Like [`BootingSwitch::start`], with `extra` arguments (e.g. `--serial`).
    pub fn start_with(ns: &Netns, pid: &str, port_id: &str, extra: &[&str]) -> Self {
        let mut child = ns
            .ztpgate_cmd(&[
                "sim",
                "switch",
                "--boot-dhcp",
                "s0",
                "--listen",
                "0.0.0.0:4786",
                "--cdp-interface",
                "s0",
                "--cdp-interval",
                "1",
                "--dhcp-retry-secs",
                "1",
                "--pid",
                pid,
                "--cdp-port-id",
                port_id,
                "--tftp-timeout-ms",
                "500",
                "--tftp-retries",
                "4",
            ])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let events = lines(child.stdout.take().unwrap());
        Self {
            proc: Proc(child),
            events,
            seen: Vec::new(),
        }
    }

    fn pump(&mut self) {
        for line in self.events.try_iter() {
            self.seen.push(serde_json::from_str(&line).unwrap());
        }
    }

    /// Waits up to `secs` for an event for which `pred` holds.
    pub fn wait(&mut self, secs: u64, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        let found = eventually(secs, || {
            self.pump();
            self.seen.iter().any(&pred)
        });
        assert!(found, "the switch never reported {what}: {:#?}", self.seen);
        self.seen.iter().find(|e| pred(e)).cloned().unwrap()
    }

    /// Waits up to `secs` for at least `n` events of `kind`.
    pub fn wait_count(&mut self, secs: u64, kind: &str, n: usize) -> Vec<Value> {
        let found = eventually(secs, || self.all(kind).len() >= n);
        assert!(found, "fewer than {n} {kind} events: {:#?}", self.seen);
        self.all(kind)
    }

    /// Every event of `kind` so far.
    pub fn all(&mut self, kind: &str) -> Vec<Value> {
        self.pump();
        self.seen
            .iter()
            .filter(|e| e["event"] == kind)
            .cloned()
            .collect()
    }
}

/// Sends SIGTERM to `p`.
pub fn term(p: &Proc) {
    let pid = p.0.id().to_string();
    let sent = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(sent.success(), "kill -TERM {pid}");
}

/// The base of the namespace end-to-end labs: a gateway namespace with its bridge, a private
/// directory and the path of its `ztpgate.toml` (written by the test).
pub struct GatewayLab {
    /// The gateway namespace.
    pub gw: Netns,
    /// The lab's files.
    pub dir: tempfile::TempDir,
    /// `<dir>/ztpgate.toml`.
    pub config: std::path::PathBuf,
}

impl GatewayLab {
    /// A gateway namespace `tag` with its bridge at `cidr`, and an empty lab directory.
    pub fn new(tag: &str, cidr: &str) -> Self {
        let gw = bridge(tag, cidr);
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("ztpgate.toml");
        Self { gw, dir, config }
    }

    /// A path inside the lab directory.
    pub fn path(&self, rel: &str) -> std::path::PathBuf {
        self.dir.path().join(rel)
    }

    /// `ztpgate serve --config CFG` in the gateway namespace.
    pub fn serve(&self) -> Proc {
        serve(&self.gw, &self.config, self.dir.path())
    }

    /// Stops serve with SIGTERM and waits for a clean exit.
    pub fn stop(&self, mut gw: Proc) {
        term(&gw);
        let status = gw.0.wait().unwrap();
        assert!(status.success(), "serve exited with {status:?}");
    }

    /// `ztpgate ARGS --config CFG` in the gateway namespace, run in the lab directory.
    pub fn cli_output(&self, args: &[&str]) -> std::process::Output {
        let mut argv = args.to_vec();
        argv.extend(["--config", self.config.to_str().unwrap()]);
        self.gw
            .ztpgate_cmd(&argv)
            .current_dir(self.dir.path())
            .output()
            .unwrap()
    }
}
