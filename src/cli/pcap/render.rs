//! How `ztpgate pcap audit` prints a report: text for people, JSON, and SARIF 2.1.0 for
//! code-scanning and SIEM tools; and its progress bar (drawn only on a terminal).
//!
//! Inputs: a finished report (its values come from the capture and are printed as data, escaped
//! with `escape_debug` in text output, as the other commands print captured text).

use std::fmt::Write as _;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::inspect::finding::{Finding, Report};
use crate::rules::{RuleSet, Severity};

/// Findings' facts shown in text output, in this order.
const TEXT_FACTS: &[&str] = &[
    "kind",
    "urls",
    "commands",
    "filename",
    "trigger",
    "method",
    "path",
    "host",
    "command",
    "argument",
    "previous_udi",
    "udi",
    "error",
    "declared_length",
    "source",
    "destination",
    "trigger_source",
    "server",
];

/// The report as text.
pub(super) fn text(file: &str, report: &Report) -> String {
    let mut out = String::new();
    let s = &report.stats;
    let _ = writeln!(out, "{}", file.escape_debug());
    let _ = writeln!(
        out,
        "  {} records, {} bytes of frames; {} TCP flows, {} Smart Install messages, {} TFTP \
         requests, {} HTTP requests, {} FTP commands",
        s.records,
        s.frame_bytes,
        s.tcp_flows,
        s.smart_install_messages,
        s.tftp_requests,
        s.http_requests,
        s.ftp_commands
    );
    if s.lost_bytes > 0 || s.fragments > 0 || s.malformed > 0 {
        let _ = writeln!(
            out,
            "  {} bytes lost to capture gaps, {} IP fragments (not reassembled), {} malformed frames",
            s.lost_bytes, s.fragments, s.malformed
        );
    }
    if !report.directors_known {
        let _ = writeln!(
            out,
            "  no director list given (--config or --director): findings that depend on it are \
             at most low"
        );
    }
    let counts: Vec<String> = Severity::ALL
        .iter()
        .rev()
        .map(|sev| {
            (
                sev,
                report
                    .findings
                    .iter()
                    .filter(|f| f.severity == *sev)
                    .count(),
            )
        })
        .filter(|(_, n)| *n > 0)
        .map(|(sev, n)| format!("{n} {sev}"))
        .collect();
    let _ = writeln!(
        out,
        "\nfindings: {}{}",
        report.findings.len(),
        if counts.is_empty() {
            String::new()
        } else {
            format!(" ({})", counts.join(", "))
        }
    );
    if s.findings_dropped > 0 {
        let _ = writeln!(out, "  {} more not kept (cap reached)", s.findings_dropped);
    }
    for f in &report.findings {
        finding(&mut out, f);
    }
    let _ = writeln!(out, "\nSmart Install speakers: {}", report.speakers.len());
    if !report.speakers.is_empty() {
        let _ = writeln!(
            out,
            "  {:<40} {:<22} {:>9} {:>9} {:>9} {:>8} {:>10} {:>6}  peers",
            "address",
            "role",
            "director",
            "sent d/c",
            "received",
            "accepted",
            "unanswered",
            "opened"
        );
    }
    for sp in &report.speakers {
        let configured = match sp.configured_director {
            Some(true) => "yes",
            Some(false) => "no",
            None => "?",
        };
        let peers: Vec<&str> = sp.peers.iter().map(String::as_str).collect();
        let _ = writeln!(
            out,
            "  {:<40} {:<22} {:>9} {:>9} {:>9} {:>8} {:>10} {:>6}  {}",
            sp.address,
            sp.role,
            configured,
            format!("{}/{}", sp.director_messages, sp.client_messages),
            sp.received,
            sp.accepted,
            sp.unanswered,
            sp.opened,
            peers.join(" ")
        );
    }
    out
}

fn finding(out: &mut String, f: &Finding) {
    let _ = writeln!(
        out,
        "\n{:<8} {}  {}  {} -> {} {}{}",
        f.severity.as_str().to_ascii_uppercase(),
        f.rule,
        f.time(),
        f.src,
        f.dst,
        f.transport,
        if f.unverified { "  (unverified)" } else { "" }
    );
    let _ = writeln!(out, "         {}", f.title.escape_debug());
    for key in TEXT_FACTS {
        let Some(value) = f.facts.get(*key) else {
            continue;
        };
        let shown = match value {
            serde_json::Value::String(s) if s.is_empty() || s == "none" => continue,
            serde_json::Value::String(s) => s.escape_debug().to_string(),
            serde_json::Value::Array(items) if items.is_empty() => continue,
            serde_json::Value::Array(items) => items
                .iter()
                .map(|i| i.as_str().unwrap_or_default().escape_debug().to_string())
                .collect::<Vec<_>>()
                .join(" | "),
            other => other.to_string(),
        };
        let _ = writeln!(out, "         {key}: {shown}");
    }
}

/// The report as JSON.
pub(super) fn json(file: &str, report: &Report) -> String {
    let mut value = serde_json::to_value(report).unwrap_or_default();
    if let Some(obj) = value.as_object_mut() {
        obj.insert("file".into(), file.into());
    }
    let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
    text.push('\n');
    text
}

fn sarif_level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "0.0",
    }
}

/// The report as SARIF 2.1.0: one run, the rule set as the driver's rules, one result per
/// finding located in the capture file, with the flow as a logical location.
pub(super) fn sarif(file: &str, report: &Report, rules: &RuleSet) -> String {
    let driver_rules: Vec<serde_json::Value> = rules
        .rules()
        .iter()
        .map(|r| {
            serde_json::json!({
                "id": r.id,
                "name": r.id,
                "shortDescription": { "text": r.title },
                "fullDescription": { "text": if r.description.is_empty() { &r.title } else { &r.description } },
                "help": { "text": format!("References: {}", r.references.join("; ")) },
                "defaultConfiguration": { "level": sarif_level(r.severity) },
                "properties": {
                    "security-severity": security_severity(r.severity),
                    "severity": r.severity,
                    "event": r.event.as_str(),
                    "references": r.references,
                    "tags": ["security", "network"],
                },
            })
        })
        .collect();
    let results: Vec<serde_json::Value> = report
        .findings
        .iter()
        .map(|f| {
            let index = rules.rules().iter().position(|r| r.id == f.rule);
            serde_json::json!({
                "ruleId": f.rule,
                "ruleIndex": index,
                "level": sarif_level(f.severity),
                "message": { "text": format!("{} ({} -> {} {})", f.title, f.src, f.dst, f.transport) },
                "locations": [{
                    "physicalLocation": { "artifactLocation": { "uri": file, "index": 0 } },
                    "logicalLocations": [{
                        "name": format!("{} -> {}", f.src, f.dst),
                        "kind": "flow",
                    }],
                }],
                "properties": {
                    "severity": f.severity,
                    "unverified": f.unverified,
                    "timestamp": f.time(),
                    "src": f.src.to_string(),
                    "dst": f.dst.to_string(),
                    "transport": f.transport,
                    "event": f.event,
                    "facts": f.facts,
                },
            })
        })
        .collect();
    let doc = serde_json::json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "ztpgate",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://ztpgate.invalid/docs/pcap-audit",
                "rules": driver_rules,
            }},
            "artifacts": [{ "location": { "uri": file } }],
            "results": results,
            "properties": {
                "directors_known": report.directors_known,
                "tftp_servers_known": report.tftp_servers_known,
                "stats": report.stats,
                "speakers": report.speakers,
            },
        }],
    });
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}

/// The progress bar (bytes of the capture read), drawn on stderr only when it is a terminal and
/// the size is known.
pub(super) struct Progress(Option<ProgressBar>);

impl Progress {
    /// A bar for a capture of `total` bytes (`None`: no bar).
    pub(super) fn new(total: Option<u64>) -> Self {
        let terminal = std::io::IsTerminal::is_terminal(&std::io::stderr());
        let bar = total.filter(|t| terminal && *t > 0).map(|t| {
            let bar = ProgressBar::with_draw_target(Some(t), ProgressDrawTarget::stderr());
            if let Ok(style) = ProgressStyle::with_template(
                "{bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
            ) {
                bar.set_style(style);
            }
            bar
        });
        Self(bar)
    }

    /// `bytes` read so far.
    pub(super) fn set(&self, bytes: u64) {
        if let Some(bar) = &self.0 {
            bar.set_position(bytes);
        }
    }

    /// Removes the bar.
    pub(super) fn done(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}
