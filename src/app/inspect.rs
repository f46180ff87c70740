//! Live inspection in `ztpgate serve` (`[inspect] interfaces`): one capture thread per watched
//! interface ([`LiveCapture`], the capture auditor on live packets) and one task that turns their
//! findings into audit records (area `inspect`, verdict `alert`, the rule id as `rule`) and
//! metrics.
//!
//! Recording is bounded twice: findings below `record_min_severity` are only counted, and each
//! (rule, source address) pair has a token bucket of `record_burst` records refilled at
//! `records_per_second` — a flood of attack packets cannot become a flood of synced records. The
//! next record of a throttled pair says how many were left out; metrics count everything.
//!
//! Inputs: findings of attacker-controlled traffic (their facts are kept as data in `detail`);
//! the `[inspect]` configuration and the policy's directors and TFTP servers (operator).

use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::{Mutex, mpsc, watch};
use tokio::task::JoinSet;

use crate::audit::throttle::{Admit, Throttle};
use crate::audit::{AuditEntry, AuditLog, EntryKind};
use crate::config::GatewayConfig;
use crate::config::inspect::InspectConfig;
use crate::edge::live_capture::{CaptureSettings, InspectMetrics, LiveCapture, LiveFinding};
use crate::inspect::auditor::{Auditor, AuditorSettings};
use crate::inspect::knowledge::Knowledge;

use super::ServeError;

/// Findings waiting to be recorded.
const QUEUE: usize = 4_096;

/// Starts a capture on every `[inspect] interfaces` entry, counting into `metrics`; returns the
/// interfaces watched.
pub(super) fn start(
    config: &GatewayConfig,
    metrics: &Arc<InspectMetrics>,
    audit: &Arc<Mutex<AuditLog>>,
    tasks: &mut JoinSet<()>,
    stop: &watch::Receiver<bool>,
) -> Result<Vec<String>, ServeError> {
    let cfg = &config.inspect;
    if cfg.interfaces.is_empty() {
        return Ok(Vec::new());
    }
    let rules = cfg.rule_set().map_err(ServeError::Rules)?;
    let settings = AuditorSettings {
        knowledge: Knowledge::from_policy(&config.policy.smart_install),
        ..AuditorSettings::default()
    };
    let capture = CaptureSettings {
        filter: cfg.filter.clone(),
        promiscuous: cfg.promiscuous,
        snaplen: cfg.snaplen,
    };
    let (tx, rx) = mpsc::channel(QUEUE);
    let flag = Arc::new(AtomicBool::new(false));
    let mut threads = Vec::new();
    for (name, counters) in cfg.interfaces.iter().zip(&metrics.interfaces) {
        let auditor = Auditor::new(rules.clone(), settings.clone())
            .map_err(|e| ServeError::Inspect(format!("{name}: {e}")))?;
        let live = LiveCapture::open(name, &capture, auditor, Arc::clone(counters))
            .map_err(|e| ServeError::Inspect(e.to_string()))?;
        println!(
            "ztpgate: inspecting {name} (filter {:?}, {} rules)",
            cfg.filter,
            rules.rules().len()
        );
        threads.push(live.spawn(Arc::clone(&flag), tx.clone()));
    }
    // Only the capture threads hold senders: the recorder ends once they all have.
    drop(tx);
    tasks.spawn(record(
        rx,
        Arc::clone(audit),
        Arc::clone(metrics),
        cfg.clone(),
    ));
    let mut stop = stop.clone();
    tasks.spawn(async move {
        while !*stop.borrow() {
            if stop.changed().await.is_err() {
                break;
            }
        }
        flag.store(true, Ordering::Relaxed);
        for (_, breaker) in &threads {
            breaker.breakloop();
        }
        for (thread, _) in threads {
            match tokio::task::spawn_blocking(move || thread.join()).await {
                Ok(Ok(Ok(()))) => {}
                Ok(Ok(Err(err))) => tracing::error!(%err, "live inspection stopped"),
                _ => tracing::error!("a live inspection thread failed"),
            }
        }
    });
    Ok(cfg.interfaces.clone())
}

/// Records findings until every capture has ended.
async fn record(
    mut rx: mpsc::Receiver<LiveFinding>,
    audit: Arc<Mutex<AuditLog>>,
    metrics: Arc<InspectMetrics>,
    cfg: InspectConfig,
) {
    let mut budget: Throttle<(String, IpAddr)> =
        Throttle::new(cfg.record_burst, f64::from(cfg.records_per_second));
    let origin = crate::clock::now_monotonic();
    while let Some(live) = rx.recv().await {
        let f = &live.finding;
        metrics.count(&f.rule, f.severity).await;
        if f.severity < cfg.record_min_severity {
            metrics
                .records_below_threshold
                .fetch_add(1, Ordering::Relaxed);
            continue;
        }
        let now = crate::clock::now_monotonic().duration_since(origin);
        let suppressed = match budget.admit((f.rule.clone(), f.src.ip()), now) {
            Admit::Write { suppressed } => suppressed,
            Admit::Suppress => {
                metrics.records_throttled.fetch_add(1, Ordering::Relaxed);
                continue;
            }
        };
        let written = audit
            .lock()
            .await
            .append(entry(&live, suppressed), crate::clock::now_utc());
        match written {
            Ok(_) => {
                metrics.records_written.fetch_add(1, Ordering::Relaxed);
            }
            Err(err) => tracing::error!(%err, rule = %f.rule, "cannot record a finding"),
        }
    }
}

/// The audit record of one live finding.
fn entry(live: &LiveFinding, suppressed: u64) -> AuditEntry {
    let f = &live.finding;
    let mut detail = serde_json::json!({
        "interface": &*live.interface,
        "severity": f.severity,
        "unverified": f.unverified,
        "title": f.title,
        "src": f.src.to_string(),
        "dst": f.dst.to_string(),
        "transport": f.transport,
        "event": f.event,
        "captured_at": f.time(),
        "facts": f.facts,
    });
    if suppressed > 0
        && let Some(map) = detail.as_object_mut()
    {
        map.insert("suppressed".to_owned(), suppressed.into());
    }
    AuditEntry {
        kind: EntryKind::Decision,
        area: "inspect".to_owned(),
        verdict: "alert".to_owned(),
        rule: f.rule.clone(),
        mode: "audit".to_owned(),
        actor: f.src.ip().to_string(),
        detail,
    }
}
