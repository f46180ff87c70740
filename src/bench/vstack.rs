//! `ztpgate bench vstack-relay`: messages per second through the inspecting Smart Install relay
//! and the latency it adds over a direct TCP connection on the same machine (issue 4, recorded
//! in `docs/benchmarks.md`, "Smart Install relay").
//!
//! One process, loopback only. It starts a Smart Install client ([`responder`]) answering every
//! probe with the 24-byte probe reply, and the production [`VstackRelay`] in front of it
//! (`upstream` fixed to the responder, the embedded lab policy, whose directors include
//! 127.0.0.1, and a real [`AuditLog`] in a private temp directory with the chosen fsync policy,
//! by default the gateway's `always`). Directors ([`load`]) loop probe → whole reply → next
//! probe. Phases, each after its own warm-up: direct with 1 connection, relay with 1 connection
//! (the added latency without queueing), then direct and relay with N connections (throughput).
//! Every reply is decoded and checked; every relayed message must have become one audit record,
//! and the log file's hash chain must verify afterwards.
//!
//! Inputs: only the benchmark parameters; replies are untrusted and checked ([`load`]). Timing
//! uses [`crate::clock::now_monotonic`]. Spec: `../shared/protocols/smart-install.md` §3.1–§3.2.

mod load;
mod render;
mod responder;

use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::{Mutex, watch};

use crate::audit::{AuditError, AuditLog};
use crate::bench::PrivateDir;
use crate::bench::pnp::{LatencySummary, rate};
use crate::config::{FsyncPolicy, RelayUpstream};
use crate::edge::vstack_relay::VstackRelay;
use crate::proto::vstack::Limits;

pub use self::render::render_table;
use self::responder::Responder;

/// Parameters of `ztpgate bench vstack-relay`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RelayBenchOptions {
    /// Concurrent connections of the throughput phases.
    pub connections: u32,
    /// Measured time per phase.
    pub duration: Duration,
    /// Time before each phase's measurement that does not count.
    pub warmup: Duration,
    /// Durability of the relay's audit log.
    pub fsync: FsyncPolicy,
}

/// Why the benchmark could not run.
#[derive(Debug, thiserror::Error)]
pub enum RelayBenchError {
    /// A loopback listener could not be bound.
    #[error("cannot bind a loopback listener: {0}")]
    Bind(io::Error),
    /// The private directory of the audit log could not be created.
    #[error("cannot create {path}: {source}")]
    TempDir {
        /// The directory.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// The audit log could not be opened.
    #[error(transparent)]
    Audit(#[from] AuditError),
    /// A load task panicked or was cancelled.
    #[error("load task failed: {reason}")]
    Task {
        /// What the runtime reported.
        reason: String,
    },
}

/// How the directors reach the responder.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Route {
    /// Straight to the responder.
    Direct,
    /// Through the relay.
    Relay,
}

/// One measured phase.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct PhaseReport {
    /// Direct or through the relay.
    pub route: Route,
    /// Concurrent connections.
    pub connections: u32,
    /// Probe/reply exchanges completed inside the window.
    pub exchanges: u64,
    /// `exchanges / seconds`.
    pub exchanges_per_second: f64,
    /// Messages per second, both directions: 2 per exchange (the probe and its reply), each
    /// inspected and audited by the relay.
    pub messages_per_second: f64,
    /// Failures of this phase (connects, broken connections, timeouts, bad replies).
    pub errors: u64,
    /// Exchange latency: probe written → whole reply read.
    pub latency: LatencySummary,
}

/// Latency the relay adds at one concurrency: relay minus direct, in microseconds.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct AddedLatency {
    /// Concurrent connections.
    pub connections: u32,
    /// At the median.
    pub p50_us: f64,
    /// At the 99th percentile.
    pub p99_us: f64,
}

/// What the relay inspected and recorded over all relay phases (warm-ups included).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct AuditTally {
    /// Messages the directors and the responder exchanged through the relay (2 per exchange).
    pub messages_sent: u64,
    /// Messages the relay forwarded.
    pub messages_forwarded: u64,
    /// Messages the relay dropped (must be 0: every probe is allowed).
    pub messages_dropped: u64,
    /// Connections the relay reset (must be 0).
    pub resets: u64,
    /// Records appended to the audit log (must equal the messages inspected).
    pub audit_records: u64,
    /// Records of the log file whose hash chain verified after the run (must equal
    /// `audit_records`).
    pub chain_verified: u64,
    /// Size of the log file after the run.
    pub log_bytes: u64,
}

/// The result of `ztpgate bench vstack-relay`.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct RelayBenchReport {
    /// Connections of the throughput phases.
    pub connections: u32,
    /// Measured seconds per phase.
    pub seconds: f64,
    /// Warm-up seconds before each phase.
    pub warmup_seconds: f64,
    /// The audit log's fsync policy (`always`, or `interval <duration>`).
    pub fsync: String,
    /// The phases, in the order run.
    pub phases: Vec<PhaseReport>,
    /// Added latency per concurrency (1 connection, then N).
    pub added: Vec<AddedLatency>,
    /// Inspection and audit counts.
    pub audit: AuditTally,
    /// All failures: phase errors plus audit mismatches.
    pub errors: u64,
    /// The first failure seen, if any.
    pub first_error: Option<String>,
}

/// Target of the issue: at most this much added latency at p99 (1 connection), microseconds.
pub const TARGET_ADDED_P99_US: f64 = 100.0;
/// Target of the issue: at least this many messages per second through the relay.
pub const TARGET_MESSAGES_PER_SECOND: f64 = 50_000.0;

/// Runs the phases on the current tokio runtime and reports.
pub async fn run_relay_bench(
    opts: &RelayBenchOptions,
) -> Result<RelayBenchReport, RelayBenchError> {
    let dir = PrivateDir::create("vstack").map_err(|source| RelayBenchError::TempDir {
        path: std::env::temp_dir(),
        source,
    })?;
    let log_path = dir.path().join("audit.jsonl");
    let audit = Arc::new(Mutex::new(AuditLog::open(&log_path, opts.fsync)?));
    let responder = Responder::start().await.map_err(RelayBenchError::Bind)?;
    let relay = Arc::new(VstackRelay::new(
        crate::config::lab_default().policy.smart_install.compile(),
        Limits::default(),
        RELAY_IDLE_TIMEOUT,
        RelayUpstream::Fixed(responder.addr),
        Arc::clone(&audit),
    ));
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(RelayBenchError::Bind)?;
    let relay_addr = listener.local_addr().map_err(RelayBenchError::Bind)?;
    let (stop_tx, stop_rx) = watch::channel(false);
    let max = usize::try_from(opts.connections).unwrap_or(usize::MAX);
    let serving = tokio::spawn(Arc::clone(&relay).serve(listener, max, stop_rx));

    let mut concurrencies = vec![1];
    if opts.connections > 1 {
        concurrencies.push(opts.connections);
    }
    let mut report = RelayBenchReport {
        connections: opts.connections,
        seconds: opts.duration.as_secs_f64(),
        warmup_seconds: opts.warmup.as_secs_f64(),
        fsync: fsync_name(opts.fsync),
        phases: Vec::new(),
        added: Vec::new(),
        audit: AuditTally::default(),
        errors: 0,
        first_error: None,
    };
    let head_before = audit.lock().await.head().seq;
    for n in concurrencies {
        phase(&mut report, Route::Direct, responder.addr, n, opts).await?;
        let relayed = phase(&mut report, Route::Relay, relay_addr, n, opts).await?;
        report.audit.messages_sent += 2 * relayed;
        if let [.., direct, relay] = report.phases.as_slice() {
            report.added.push(added(n, &direct.latency, &relay.latency));
        }
    }
    let _ = stop_tx.send(true);
    let _ = serving.await;
    report.audit.messages_forwarded = relay.stats.messages_forwarded.load(Ordering::Relaxed);
    report.audit.messages_dropped = relay.stats.messages_dropped.load(Ordering::Relaxed);
    report.audit.resets = relay.stats.resets.load(Ordering::Relaxed);
    report.audit.audit_records = audit.lock().await.head().seq.saturating_sub(head_before);
    verify_log(&mut report, &log_path);
    check_audit(&mut report);
    Ok(report)
}

/// Runs one phase, appends its report and returns the exchanges completed (window or not).
async fn phase(
    report: &mut RelayBenchReport,
    route: Route,
    target: SocketAddr,
    connections: u32,
    opts: &RelayBenchOptions,
) -> Result<u64, RelayBenchError> {
    let (tally, window) = load::run(target, connections, opts.warmup, opts.duration).await?;
    let seconds = window.seconds();
    report.errors += tally.errors;
    if report.first_error.is_none() {
        report.first_error = tally.first_error;
    }
    report.phases.push(PhaseReport {
        route,
        connections,
        exchanges: tally.measured,
        exchanges_per_second: rate(tally.measured, seconds),
        messages_per_second: rate(2 * tally.measured, seconds),
        errors: tally.errors,
        latency: tally.latency.summary(),
    });
    Ok(tally.completed)
}

/// Relay minus direct, in microseconds.
fn added(connections: u32, direct: &LatencySummary, relay: &LatencySummary) -> AddedLatency {
    AddedLatency {
        connections,
        p50_us: (relay.p50_ms - direct.p50_ms) * 1e3,
        p99_us: (relay.p99_ms - direct.p99_ms) * 1e3,
    }
}

/// Verifies the hash chain of the log file the relay wrote.
fn verify_log(report: &mut RelayBenchReport, path: &Path) {
    report.audit.log_bytes = std::fs::metadata(path).map_or(0, |m| m.len());
    match crate::audit::log::verify_file(path) {
        Ok(summary) => report.audit.chain_verified = summary.records,
        Err(e) => {
            report.errors += 1;
            report
                .first_error
                .get_or_insert_with(|| format!("the audit log does not verify: {e}"));
        }
    }
}

/// Every message sent through the relay must have been forwarded and audited once.
fn check_audit(report: &mut RelayBenchReport) {
    let a = report.audit;
    let mut problems = Vec::new();
    if a.messages_forwarded != a.messages_sent {
        problems.push(format!(
            "relay forwarded {} messages, directors and responder exchanged {}",
            a.messages_forwarded, a.messages_sent
        ));
    }
    if a.audit_records != a.messages_forwarded + a.messages_dropped {
        problems.push(format!(
            "{} audit records for {} inspected messages",
            a.audit_records,
            a.messages_forwarded + a.messages_dropped
        ));
    }
    if a.chain_verified != a.audit_records {
        problems.push(format!(
            "{} records verified in the log file, {} appended",
            a.chain_verified, a.audit_records
        ));
    }
    if a.messages_dropped + a.resets > 0 {
        problems.push(format!(
            "relay dropped {} messages and reset {} connections",
            a.messages_dropped, a.resets
        ));
    }
    report.errors += problems.len() as u64;
    if report.first_error.is_none() {
        report.first_error = problems.into_iter().next();
    }
}

fn fsync_name(fsync: FsyncPolicy) -> String {
    match fsync {
        FsyncPolicy::Always => "always".to_owned(),
        FsyncPolicy::Interval(every) => format!("interval {every:?}"),
    }
}

/// Idle timeout of the relay: far above any exchange, so it never fires during a run.
const RELAY_IDLE_TIMEOUT: Duration = Duration::from_secs(60);
