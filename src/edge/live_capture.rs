//! Live inspection of one interface: libpcap with the operator's BPF filter feeds every packet
//! to the capture auditor ([`Auditor`], the engine of `ztpgate pcap audit`), on a thread of its
//! own (libpcap reads block). Findings leave through a bounded queue as they appear; counters
//! go to the shared [`InspectMetrics`]. Idle flows are expired once a second by capture time, so
//! quiet connections do not hold memory.
//!
//! The queue never blocks the capture: when the consumer falls behind, findings are dropped and
//! counted (`queue_dropped`), and the kernel's own drops are read from libpcap's statistics.
//!
//! Inputs: packets from the wire — attacker-controlled, read only by the bounded decoders of
//! `inspect`, and cut at the snap length. Trusted: interface name, filter, rules (operator).

pub mod metrics;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;

use pcap::{Active, BreakLoop, Capture};

pub use crate::edge::libpcap::CaptureError;
use crate::edge::libpcap::{self, OpenOptions};
use tokio::sync::mpsc;

use crate::inspect::auditor::Auditor;
use crate::inspect::finding::Finding;
use crate::proto::pcap::LinkType;

pub use metrics::{InspectMetrics, InterfaceMetrics};

/// How long a read waits before the capture checks its stop flag and expires idle flows, in
/// milliseconds.
pub const READ_TIMEOUT_MS: i32 = 200;
/// Nanoseconds between two expiry passes (capture time).
const EXPIRE_EVERY_NS: u64 = 1_000_000_000;
/// Kernel capture buffer: room for bursts while the auditor works.
const BUFFER_BYTES: i32 = 8 * 1024 * 1024;

/// How to open a capture.
#[derive(Clone, Debug)]
pub struct CaptureSettings {
    /// BPF filter.
    pub filter: String,
    /// Promiscuous mode.
    pub promiscuous: bool,
    /// Bytes captured per packet.
    pub snaplen: u32,
}

/// A finding and the interface it was seen on.
#[derive(Clone, Debug)]
pub struct LiveFinding {
    /// The interface.
    pub interface: Arc<str>,
    /// The finding.
    pub finding: Finding,
}

/// An open capture on one interface with its auditor.
pub struct LiveCapture {
    capture: Capture<Active>,
    link: LinkType,
    interface: Arc<str>,
    auditor: Auditor,
    metrics: Arc<InterfaceMetrics>,
}

impl LiveCapture {
    /// Opens `interface` with `settings`; packets go to `auditor`, counters to `metrics`.
    pub fn open(
        interface: &str,
        settings: &CaptureSettings,
        auditor: Auditor,
        metrics: Arc<InterfaceMetrics>,
    ) -> Result<Self, CaptureError> {
        let capture = libpcap::open(
            interface,
            &OpenOptions {
                snaplen: i32::try_from(settings.snaplen).unwrap_or(i32::MAX),
                timeout_ms: READ_TIMEOUT_MS,
                promiscuous: settings.promiscuous,
                buffer_bytes: Some(BUFFER_BYTES),
                filter: &settings.filter,
            },
        )?;
        let link = LinkType::from_u32(u32::try_from(capture.get_datalink().0).unwrap_or(u32::MAX));
        Ok(Self {
            capture,
            link,
            interface: Arc::from(interface),
            auditor,
            metrics,
        })
    }

    /// Audits packets until `stop` is set or the capture fails, handing findings to `sink` as
    /// they appear (dropped and counted when it is full). At the end every flow is flushed and
    /// its last findings handed over too.
    pub fn run(
        mut self,
        stop: &AtomicBool,
        sink: &mpsc::Sender<LiveFinding>,
    ) -> Result<(), CaptureError> {
        let mut last_expiry = 0u64;
        let mut result = Ok(());
        while !stop.load(Ordering::Relaxed) {
            let now_ns = match self.capture.next_packet() {
                Ok(packet) => {
                    let ts = timestamp_ns(packet.header.ts.tv_sec, packet.header.ts.tv_usec);
                    self.auditor.record(ts, self.link, packet.data);
                    ts
                }
                Err(pcap::Error::TimeoutExpired) => crate::clock::unix_nanos(),
                // What a read returns after `pcap_breakloop` (see [`Self::spawn`]).
                Err(pcap::Error::NoMorePackets) => break,
                Err(source) => {
                    result = Err(CaptureError::Read {
                        interface: self.interface.to_string(),
                        source,
                    });
                    break;
                }
            };
            if now_ns.saturating_sub(last_expiry) >= EXPIRE_EVERY_NS {
                last_expiry = now_ns;
                self.auditor.expire(now_ns);
                self.publish();
            }
            let findings = self.auditor.take_findings();
            hand_over(&self.interface, &self.metrics, findings, sink);
        }
        self.publish();
        let report = self.auditor.finish();
        hand_over(&self.interface, &self.metrics, report.findings, sink);
        result
    }

    /// Runs the capture on its own thread. To end it, set `stop`, then call
    /// [`BreakLoop::breakloop`] on the returned handle: libpcap on Linux may keep waiting in
    /// a read past its timeout while no packet comes, and only the break wakes it.
    pub fn spawn(
        mut self,
        stop: Arc<AtomicBool>,
        sink: mpsc::Sender<LiveFinding>,
    ) -> (JoinHandle<Result<(), CaptureError>>, BreakLoop) {
        let breaker = self.capture.breakloop_handle();
        let thread = std::thread::spawn(move || self.run(&stop, &sink));
        (thread, breaker)
    }

    /// Copies the auditor's and libpcap's counters into the metrics.
    fn publish(&mut self) {
        let kernel = self.capture.stats().ok();
        self.metrics.publish(&self.auditor.stats(), kernel.as_ref());
    }
}

/// Queues `findings` of `interface` without waiting; those that do not fit are counted.
fn hand_over(
    interface: &Arc<str>,
    metrics: &InterfaceMetrics,
    findings: Vec<Finding>,
    sink: &mpsc::Sender<LiveFinding>,
) {
    for finding in findings {
        let live = LiveFinding {
            interface: Arc::clone(interface),
            finding,
        };
        if sink.try_send(live).is_err() {
            metrics.queue_dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// A packet header's time as nanoseconds since the Unix epoch (0 before it).
fn timestamp_ns(secs: i64, micros: i64) -> u64 {
    let secs = u64::try_from(secs).unwrap_or(0);
    let micros = u64::try_from(micros).unwrap_or(0);
    secs.saturating_mul(1_000_000_000)
        .saturating_add(micros.saturating_mul(1_000))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packet_times_become_nanoseconds() {
        assert_eq!(timestamp_ns(1, 500_000), 1_500_000_000);
        assert_eq!(timestamp_ns(-5, 3), 3_000);
        assert_eq!(timestamp_ns(i64::MAX, i64::MAX), u64::MAX);
    }
}
