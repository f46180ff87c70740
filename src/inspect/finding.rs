//! What the auditor reports: [`Finding`]s (a rule matched an event) and the [`Report`] of a
//! whole capture (findings, Smart Install speakers, counters).
//!
//! Inputs: events built from attacker-controlled traffic; values are kept as data.

use core::net::SocketAddr;

use crate::rules::{Event, Rule, Severity, Value};

use super::speakers::Speaker;

/// One rule match.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Finding {
    /// The rule's id.
    pub rule: String,
    /// The rule's title.
    pub title: String,
    /// Severity (the rule's, or its unverified severity).
    pub severity: Severity,
    /// Whether the severity was lowered because a role or server status was unknown.
    pub unverified: bool,
    /// Capture time, nanoseconds since the Unix epoch.
    pub timestamp_ns: u64,
    /// Sender of what matched.
    pub src: SocketAddr,
    /// Its receiver.
    pub dst: SocketAddr,
    /// `tcp` or `udp`.
    pub transport: &'static str,
    /// The event kind (`smart_install.message`, …).
    pub event: &'static str,
    /// The event's fields (raw payloads left out), for the reader.
    pub facts: serde_json::Map<String, serde_json::Value>,
}

impl Finding {
    /// The finding of `rule` on `event`.
    pub fn new(
        rule: &Rule,
        event: &Event,
        timestamp_ns: u64,
        src: SocketAddr,
        dst: SocketAddr,
        transport: &'static str,
    ) -> Self {
        let mut facts = serde_json::Map::new();
        for (name, value) in event.values() {
            if matches!(name, "src" | "dst" | "src_port" | "dst_port") {
                continue;
            }
            if let Value::Bytes(_) = value {
                continue;
            }
            if let Ok(v) = serde_json::to_value(value) {
                facts.insert(name.to_owned(), v);
            }
        }
        Self {
            rule: rule.id.clone(),
            title: rule.title.clone(),
            severity: rule.severity_for(event),
            unverified: rule.unverified_severity.is_some() && rule.unverified(event),
            timestamp_ns,
            src,
            dst,
            transport,
            event: event.kind.as_str(),
            facts,
        }
    }

    /// The UTC time of the finding, RFC 3339 with microseconds.
    pub fn time(&self) -> String {
        let secs = i64::try_from(self.timestamp_ns / 1_000_000_000).unwrap_or(i64::MAX);
        let nanos = u32::try_from(self.timestamp_ns % 1_000_000_000).unwrap_or(0);
        chrono::DateTime::from_timestamp(secs, nanos).map_or_else(
            || self.timestamp_ns.to_string(),
            |t| t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        )
    }
}

/// Counters of one audit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct AuditStats {
    /// Capture records read.
    pub records: u64,
    /// Bytes of captured frames.
    pub frame_bytes: u64,
    /// Frames that were not IP (ARP, CDP, …) or whose link type is not decoded.
    pub non_ip: u64,
    /// Frames whose headers did not decode.
    pub malformed: u64,
    /// IP fragments (not reassembled).
    pub fragments: u64,
    /// TCP segments.
    pub tcp_segments: u64,
    /// UDP datagrams.
    pub udp_datagrams: u64,
    /// Smart Install messages decoded.
    pub smart_install_messages: u64,
    /// TFTP requests.
    pub tftp_requests: u64,
    /// DHCP server replies.
    pub dhcp_replies: u64,
    /// HTTP requests.
    pub http_requests: u64,
    /// FTP commands.
    pub ftp_commands: u64,
    /// TCP flows seen.
    pub tcp_flows: u64,
    /// Bytes declared lost by reassembly (gaps).
    pub lost_bytes: u64,
    /// Highest out-of-order bytes buffered at once.
    pub peak_buffered_bytes: u64,
    /// Findings not kept because the cap was reached.
    pub findings_dropped: u64,
}

/// The result of auditing one capture.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Report {
    /// Every finding, in capture order.
    pub findings: Vec<Finding>,
    /// Every host that spoke Smart Install, by address.
    pub speakers: Vec<Speaker>,
    /// Counters.
    pub stats: AuditStats,
    /// Whether the auditor knew the directors (else director-dependent findings are at most low).
    pub directors_known: bool,
    /// Whether it knew the allowed TFTP servers.
    pub tftp_servers_known: bool,
}

impl Report {
    /// Findings at `severity` or above.
    pub fn at_least(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity >= severity)
            .count()
    }
}
