//! Packet captures for the namespace tests: `tcpdump` recording one interface of a namespace
//! into a pcap file, started and stopped around the traffic a test wants to keep.
//!
//! [`Recording::start`] returns once tcpdump reports that it is listening, so nothing sent after
//! it is missed; [`Recording::stop`] interrupts it, waits, and checks from tcpdump's closing
//! counts that every packet the kernel passed it is in the file. Packets are handed over as they
//! arrive (`--immediate-mode`: otherwise the kernel keeps them in a ring block for up to a
//! second, and those still there at the interrupt are lost) and written at once (`-U`);
//! addresses are not resolved (`-n`). A recording dropped without being stopped is killed.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use super::netns::{Netns, Proc, works};

/// Why captures cannot be made here (no tcpdump), if they cannot.
pub fn skip_reason() -> Option<&'static str> {
    if works("tcpdump", &["--version"]) {
        None
    } else {
        Some("`tcpdump` is not installed (make deps installs it)")
    }
}

/// A running tcpdump writing one interface to a file.
pub struct Recording {
    proc: Proc,
    file: PathBuf,
    stderr: mpsc::Receiver<String>,
}

impl Recording {
    /// Records `iface` of `ns` into `file` (pcap); returns once tcpdump listens.
    pub fn start(ns: &Netns, iface: &str, file: &Path) -> Self {
        let path = file.to_str().expect("utf-8 path");
        // `-Z root`: tcpdump stays root, so the file belongs to the test like its directory.
        let mut child = ns
            .cmd(&["tcpdump", "--immediate-mode", "-U", "-n", "-Z", "root"])
            .args(["-i", iface, "-w", path])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start tcpdump");
        let (tx, stderr) = mpsc::channel();
        let pipe = child.stderr.take().expect("tcpdump's stderr");
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let rec = Self {
            proc: Proc(child),
            file: file.to_path_buf(),
            stderr,
        };
        let mut said = Vec::new();
        loop {
            match rec.stderr.recv_timeout(Duration::from_secs(10)) {
                Ok(line) if line.contains("listening on") => return rec,
                Ok(line) => said.push(line),
                Err(_) => panic!("tcpdump on {iface} never listened: {said:#?}"),
            }
        }
    }

    /// Stops the capture (SIGINT, then waits for tcpdump to exit); returns the file, which holds
    /// every packet tcpdump received.
    pub fn stop(mut self) -> PathBuf {
        let pid = self.proc.0.id().to_string();
        let sent = Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .is_ok_and(|s| s.success());
        assert!(sent, "cannot interrupt tcpdump {pid}");
        let status = self.proc.0.wait().expect("wait for tcpdump");
        let said: Vec<String> = self.stderr.try_iter().collect();
        assert!(status.success(), "tcpdump failed ({status}): {said:#?}");
        let count = |what: &str| {
            said.iter()
                .find_map(|l| l.strip_suffix(what)?.trim().parse::<u64>().ok())
                .unwrap_or_else(|| panic!("tcpdump did not say {what:?}: {said:#?}"))
        };
        let captured = count("packets captured");
        assert_eq!(captured, count("packets received by filter"), "{said:#?}");
        assert_eq!(count("packets dropped by kernel"), 0, "{said:#?}");
        self.file.clone()
    }
}
