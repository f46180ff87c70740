//! `ztpgate pcap audit --format json` run on a capture, its report reduced to what tests compare
//! (one line per finding, (address, role) per Smart Install speaker) and checked against what a
//! test expects ([`Expected`]).

use std::net::SocketAddr;
use std::ops::RangeInclusive;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

use super::{BIN, s};

/// The JSON report of `pcap audit FILE` with `args` (the knowledge: `--config`, `--director`,
/// …). Exit status 1 (a finding at `--fail-on` or above) is a report too; the capture must be
/// whole: no bytes lost to gaps, no malformed frame, no fragment, no finding dropped.
pub fn audit(file: &Path, args: &[&str]) -> Value {
    let out = Command::new(BIN)
        .args([
            "pcap",
            "audit",
            s(file),
            "--format",
            "json",
            "--no-progress",
        ])
        .args(args)
        .output()
        .unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let stats = &report["stats"];
    for counter in ["lost_bytes", "malformed", "fragments", "findings_dropped"] {
        assert_eq!(stats[counter], 0, "{}: {counter}: {stats}", file.display());
    }
    report
}

/// The findings of `report`, sorted, each as `rule severity src-ip -> dst-ip what`, where `what`
/// is the message kind or the decode error (empty for a connection or a TFTP request).
pub fn findings(report: &Value) -> Vec<String> {
    let mut lines: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let ip = |k: &str| f[k].as_str().unwrap().parse::<SocketAddr>().unwrap().ip();
            let facts = &f["facts"];
            let what = facts["kind"].as_str().or_else(|| facts["error"].as_str());
            format!(
                "{} {} {} -> {} {}",
                f["rule"].as_str().unwrap(),
                f["severity"].as_str().unwrap(),
                ip("src"),
                ip("dst"),
                what.unwrap_or_default()
            )
            .trim_end()
            .to_owned()
        })
        .collect();
    lines.sort();
    lines
}

/// The Smart Install speakers of `report` as (address, role), in the report's (address) order.
pub fn speakers(report: &Value) -> Vec<(String, String)> {
    report["speakers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|sp| {
            let text = |k: &str| sp[k].as_str().unwrap().to_owned();
            (text("address"), text("role"))
        })
        .collect()
}

/// What the audit of one capture must report.
pub struct Expected {
    /// Findings, a multiset: `count rule severity src -> dst what`, the finding as [`findings`]
    /// writes it after how many times it must appear.
    pub findings: &'static [&'static str],
    /// Smart Install speakers in address order: (address, role).
    pub speakers: &'static [(&'static str, &'static str)],
    /// How many Smart Install messages were decoded (TCP reassembly delivers a retransmission
    /// once).
    pub messages: RangeInclusive<u64>,
    /// Whether TFTP requests were seen (how many can depend on retransmissions).
    pub tftp: bool,
}

impl Expected {
    /// Asserts that `report`, the audit of the capture named `what`, is exactly this.
    pub fn check(&self, what: &str, report: &Value) {
        let mut want: Vec<&str> = self
            .findings
            .iter()
            .flat_map(|entry| {
                let (n, line) = entry.split_once(' ').unwrap();
                std::iter::repeat_n(line, n.parse().unwrap())
            })
            .collect();
        want.sort_unstable();
        assert_eq!(findings(report), want, "{what}: {:#}", report["findings"]);
        let speakers = speakers(report);
        let speakers: Vec<(&str, &str)> = speakers
            .iter()
            .map(|(a, r)| (a.as_str(), r.as_str()))
            .collect();
        assert_eq!(speakers, self.speakers, "{what}: {:#}", report["speakers"]);
        let stats = &report["stats"];
        let messages = stats["smart_install_messages"].as_u64().unwrap();
        assert!(self.messages.contains(&messages), "{what}: {stats}");
        let tftp = stats["tftp_requests"].as_u64().unwrap() > 0;
        assert_eq!(tftp, self.tftp, "{what}: {stats}");
    }
}
