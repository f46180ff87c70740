//! Counters of live inspection, shared between the capture threads (per-interface counters,
//! published once a second and at the end), the task that records findings (findings per rule
//! and severity, records written or throttled) and the admin API, which renders them in the
//! Prometheus text format (`GET /metrics`).
//!
//! Inputs: counters only; rule ids and interface names come from the operator and are escaped
//! as label values anyway.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::Mutex;

use crate::inspect::finding::AuditStats;
use crate::rules::Severity;

/// Counters of one watched interface.
#[derive(Debug, Default)]
pub struct InterfaceMetrics {
    /// The interface.
    pub name: String,
    /// Packets audited.
    pub packets: AtomicU64,
    /// Their captured bytes.
    pub bytes: AtomicU64,
    /// Packets whose headers did not decode.
    pub malformed: AtomicU64,
    /// TCP flows seen.
    pub tcp_flows: AtomicU64,
    /// Smart Install messages decoded.
    pub smart_install_messages: AtomicU64,
    /// TFTP requests seen.
    pub tftp_requests: AtomicU64,
    /// HTTP requests seen.
    pub http_requests: AtomicU64,
    /// Stream bytes lost to reassembly gaps.
    pub lost_bytes: AtomicU64,
    /// Packets the kernel passed the filter (libpcap's `ps_recv`).
    pub kernel_received: AtomicU64,
    /// Packets the kernel dropped for lack of buffer space (`ps_drop`).
    pub kernel_dropped: AtomicU64,
    /// Packets the interface dropped (`ps_ifdrop`).
    pub interface_dropped: AtomicU64,
    /// Findings dropped because the recording queue was full.
    pub queue_dropped: AtomicU64,
}

impl InterfaceMetrics {
    /// Counters of `name`, all zero.
    pub fn new(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            ..Self::default()
        }
    }

    /// Takes the auditor's counters and libpcap's statistics (when readable).
    pub fn publish(&self, stats: &AuditStats, kernel: Option<&pcap::Stat>) {
        let set = |c: &AtomicU64, v: u64| c.store(v, Ordering::Relaxed);
        set(&self.packets, stats.records);
        set(&self.bytes, stats.frame_bytes);
        set(&self.malformed, stats.malformed);
        set(&self.tcp_flows, stats.tcp_flows);
        set(&self.smart_install_messages, stats.smart_install_messages);
        set(&self.tftp_requests, stats.tftp_requests);
        set(&self.http_requests, stats.http_requests);
        set(&self.lost_bytes, stats.lost_bytes);
        if let Some(k) = kernel {
            set(&self.kernel_received, u64::from(k.received));
            set(&self.kernel_dropped, u64::from(k.dropped));
            set(&self.interface_dropped, u64::from(k.if_dropped));
        }
    }
}

/// Counters of live inspection as a whole.
#[derive(Debug, Default)]
pub struct InspectMetrics {
    /// One entry per watched interface.
    pub interfaces: Vec<Arc<InterfaceMetrics>>,
    /// Findings by rule and severity (recorded or not).
    pub findings: Mutex<BTreeMap<(String, Severity), u64>>,
    /// Findings written to the audit log.
    pub records_written: AtomicU64,
    /// Findings left out of the audit log by the per-rule, per-source budget.
    pub records_throttled: AtomicU64,
    /// Findings below the recording threshold (counted only).
    pub records_below_threshold: AtomicU64,
}

/// A per-interface counter: its name, help text and field.
type Counter = (
    &'static str,
    &'static str,
    fn(&InterfaceMetrics) -> &AtomicU64,
);

/// Per-interface counters rendered, with their help text.
const INTERFACE_COUNTERS: [Counter; 12] = [
    ("packets_total", "Packets audited.", |m| &m.packets),
    ("bytes_total", "Captured bytes audited.", |m| &m.bytes),
    (
        "malformed_total",
        "Packets whose headers did not decode.",
        |m| &m.malformed,
    ),
    ("tcp_flows_total", "TCP flows seen.", |m| &m.tcp_flows),
    (
        "smart_install_messages_total",
        "Smart Install messages decoded.",
        |m| &m.smart_install_messages,
    ),
    ("tftp_requests_total", "TFTP requests seen.", |m| {
        &m.tftp_requests
    }),
    ("http_requests_total", "HTTP requests seen.", |m| {
        &m.http_requests
    }),
    (
        "lost_bytes_total",
        "Stream bytes lost to reassembly gaps.",
        |m| &m.lost_bytes,
    ),
    (
        "kernel_received_total",
        "Packets that passed the capture filter (libpcap ps_recv).",
        |m| &m.kernel_received,
    ),
    (
        "kernel_dropped_total",
        "Packets dropped by the kernel for lack of buffer space (libpcap ps_drop).",
        |m| &m.kernel_dropped,
    ),
    (
        "interface_dropped_total",
        "Packets dropped by the interface (libpcap ps_ifdrop).",
        |m| &m.interface_dropped,
    ),
    (
        "queue_dropped_total",
        "Findings dropped because the recording queue was full.",
        |m| &m.queue_dropped,
    ),
];

impl InspectMetrics {
    /// Metrics for `interfaces`, all zero.
    pub fn new(interfaces: &[String]) -> Self {
        Self {
            interfaces: interfaces
                .iter()
                .map(|name| Arc::new(InterfaceMetrics::new(name)))
                .collect(),
            ..Self::default()
        }
    }

    /// Counts one finding of `rule` at `severity`.
    pub async fn count(&self, rule: &str, severity: Severity) {
        *self
            .findings
            .lock()
            .await
            .entry((rule.to_owned(), severity))
            .or_default() += 1;
    }

    /// Every counter in the Prometheus text exposition format (version 0.0.4).
    pub async fn render(&self) -> String {
        let mut out = String::new();
        for (name, help, counter) in INTERFACE_COUNTERS {
            header(&mut out, name, help);
            for m in &self.interfaces {
                let value = counter(m).load(Ordering::Relaxed);
                let _ = writeln!(
                    out,
                    "ztpgate_inspect_{name}{{interface=\"{}\"}} {value}",
                    label(&m.name)
                );
            }
        }
        header(
            &mut out,
            "findings_total",
            "Findings by detection rule and severity.",
        );
        for ((rule, severity), n) in self.findings.lock().await.iter() {
            let _ = writeln!(
                out,
                "ztpgate_inspect_findings_total{{rule=\"{}\",severity=\"{severity}\"}} {n}",
                label(rule)
            );
        }
        header(
            &mut out,
            "records_total",
            "Findings by what became of them: written to the audit log, throttled, or below the \
             recording threshold.",
        );
        for (outcome, counter) in [
            ("written", &self.records_written),
            ("throttled", &self.records_throttled),
            ("below_threshold", &self.records_below_threshold),
        ] {
            let value = counter.load(Ordering::Relaxed);
            let _ = writeln!(
                out,
                "ztpgate_inspect_records_total{{outcome=\"{outcome}\"}} {value}"
            );
        }
        out
    }
}

fn header(out: &mut String, name: &str, help: &str) {
    let _ = writeln!(out, "# HELP ztpgate_inspect_{name} {help}");
    let _ = writeln!(out, "# TYPE ztpgate_inspect_{name} counter");
}

/// A label value escaped as the text format requires (`\`, `"`, newline).
fn label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn renders_every_counter_with_escaped_labels() {
        let metrics = InspectMetrics::new(&["eth0".to_owned()]);
        metrics.interfaces[0].packets.store(7, Ordering::Relaxed);
        metrics.count("si-probe", Severity::Medium).await;
        metrics.count("si-probe", Severity::Medium).await;
        metrics.count("odd\"rule", Severity::Info).await;
        metrics.records_written.store(2, Ordering::Relaxed);
        let text = metrics.render().await;
        assert!(text.contains("ztpgate_inspect_packets_total{interface=\"eth0\"} 7\n"));
        assert!(
            text.contains(
                "ztpgate_inspect_findings_total{rule=\"si-probe\",severity=\"medium\"} 2\n"
            )
        );
        assert!(text.contains("rule=\"odd\\\"rule\""));
        assert!(text.contains("ztpgate_inspect_records_total{outcome=\"written\"} 2\n"));
        assert_eq!(text.matches("# TYPE").count(), INTERFACE_COUNTERS.len() + 2);
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let value = line.rsplit(' ').next().unwrap();
            assert!(value.parse::<u64>().is_ok(), "{line}");
        }
    }
}
