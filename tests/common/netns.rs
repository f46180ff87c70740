//! Network-namespace helpers for the tests that need root: throwaway namespaces deleted on drop
//! (even when an assertion fails), veth links between them, child processes killed on drop, and
//! the packet counters of table `inet ztpgate` by reason.
//!
//! Tests call [`skip_reason`] first and print it and return when it is `Some`.

use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

use serde_json::Value;

use super::BIN;

/// A network namespace that is deleted when dropped.
pub struct Netns(pub String);

impl Netns {
    /// Creates `ztpgate-<tag>-<pid>-<n>` with its loopback up.
    pub fn new(tag: &str) -> Self {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let name = format!("ztpgate-{tag}-{}-{n}", std::process::id());
        run_ok(Command::new("ip").args(["netns", "add", &name]));
        let ns = Self(name);
        ns.exec(&["ip", "link", "set", "lo", "up"]);
        ns
    }

    /// `argv` to run inside the namespace.
    pub fn cmd(&self, argv: &[&str]) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &self.0]).args(argv);
        c
    }

    /// Runs `argv` inside the namespace; it must succeed.
    pub fn exec(&self, argv: &[&str]) -> Output {
        run_ok(&mut self.cmd(argv))
    }

    /// `ztpgate args...` inside the namespace (the command, not yet run).
    pub fn ztpgate_cmd(&self, args: &[&str]) -> Command {
        let mut argv = vec![BIN];
        argv.extend_from_slice(args);
        self.cmd(&argv)
    }

    /// Runs `ztpgate args...` inside the namespace; it must succeed.
    pub fn ztpgate(&self, args: &[&str]) -> Output {
        run_ok(&mut self.ztpgate_cmd(args))
    }

    /// Links this namespace's `dev` to `peer`'s `peer_dev` with a veth pair, assigns the
    /// addresses (`a.b.c.d/len`) and brings both ends up.
    pub fn link(&self, dev: &str, addr: &str, peer: &Self, peer_dev: &str, peer_addr: &str) {
        self.exec(&[
            "ip", "link", "add", dev, "type", "veth", "peer", "name", peer_dev, "netns", &peer.0,
        ]);
        self.exec(&["ip", "addr", "add", addr, "dev", dev]);
        self.exec(&["ip", "link", "set", dev, "up"]);
        peer.exec(&["ip", "addr", "add", peer_addr, "dev", peer_dev]);
        peer.exec(&["ip", "link", "set", peer_dev, "up"]);
    }

    /// The items of `nft -j list table inet ztpgate`.
    pub fn table(&self) -> Vec<Value> {
        let out = self.exec(&["nft", "-j", "list", "table", "inet", "ztpgate"]);
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
        doc["nftables"].as_array().unwrap().clone()
    }

    /// `nft list tables`.
    pub fn tables(&self) -> String {
        String::from_utf8(self.exec(&["nft", "list", "tables"]).stdout).unwrap()
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "del", &self.0]).status();
    }
}

/// A child process killed when dropped.
pub struct Proc(pub Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs `cmd`; it must succeed.
pub fn run_ok(cmd: &mut Command) -> Output {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Whether `program args...` runs and succeeds.
pub fn works(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Why namespace tests cannot run here (not root, no `ip netns`, no `nft`), if they cannot.
pub fn skip_reason() -> Option<&'static str> {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0");
    if !root {
        return Some("needs root (network namespaces, CAP_NET_ADMIN)");
    }
    if !works("ip", &["netns", "list"]) {
        return Some("`ip netns` is unavailable");
    }
    if !works("nft", &["--version"]) {
        return Some("`nft` is not installed");
    }
    None
}

/// The rules among `nft -j` items.
pub fn rules(items: &[Value]) -> Vec<&Value> {
    items.iter().filter_map(|i| i.get("rule")).collect()
}

/// Packets counted by the rules commented `ztpgate:<reason>`.
pub fn packets(items: &[Value], reason: &str) -> u64 {
    let comment = format!("ztpgate:{reason}");
    rules(items)
        .into_iter()
        .filter(|r| r["comment"] == comment.as_str())
        .flat_map(|r| r["expr"].as_array().unwrap().iter())
        .filter_map(|e| e.get("counter"))
        .map(|c| c["packets"].as_u64().unwrap())
        .sum()
}
