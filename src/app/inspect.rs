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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::FsyncPolicy;
    use crate::inspect::finding::Finding;
    use crate::rules::{Event, EventKind, Severity};

    /// A finding of rule `id` from `src`.
    fn finding(rules: &crate::rules::RuleSet, id: &str, src: &str) -> LiveFinding {
        let rule = rules.get(id).unwrap();
        let src: core::net::SocketAddr = src.parse().unwrap();
        let dst = "192.0.2.2:4786".parse().unwrap();
        let event = Event::new(EventKind::SmartInstallConnection).with("source", "non_director");
        LiveFinding {
            interface: Arc::from("eth1"),
            finding: Finding::new(rule, &event, 1_700_000_000_000_000_000, src, dst, "tcp"),
        }
    }

    #[tokio::test]
    async fn findings_are_recorded_within_budget_and_threshold() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.jsonl");
        let audit = Arc::new(Mutex::new(
            AuditLog::open(&path, FsyncPolicy::Always).unwrap(),
        ));
        let metrics = Arc::new(InspectMetrics::new(&["eth1".to_owned()]));
        let cfg = InspectConfig {
            record_burst: 3,
            records_per_second: 0,
            record_min_severity: Severity::Medium,
            ..InspectConfig::default()
        };
        let rules = cfg.rule_set().unwrap();
        let (tx, rx) = mpsc::channel(64);
        // Five of one rule from one source: three recorded, two throttled.
        for _ in 0..5 {
            tx.send(finding(&rules, "si-non-director", "198.51.100.66:40000"))
                .await
                .unwrap();
        }
        // Another source has its own budget; an info finding is only counted.
        tx.send(finding(&rules, "si-non-director", "198.51.100.67:40000"))
            .await
            .unwrap();
        let mut info = finding(&rules, "si-non-director", "198.51.100.68:40000");
        info.finding.severity = Severity::Info;
        tx.send(info).await.unwrap();
        drop(tx);
        record(rx, Arc::clone(&audit), Arc::clone(&metrics), cfg).await;

        let load = |c: &std::sync::atomic::AtomicU64| c.load(Ordering::Relaxed);
        assert_eq!(load(&metrics.records_written), 4);
        assert_eq!(load(&metrics.records_throttled), 2);
        assert_eq!(load(&metrics.records_below_threshold), 1);
        let counted: u64 = metrics.findings.lock().await.values().sum();
        assert_eq!(counted, 7);

        let text = std::fs::read_to_string(&path).unwrap();
        let records: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(records.len(), 4);
        let first = &records[0];
        assert_eq!(
            (
                &first["area"],
                &first["verdict"],
                &first["rule"],
                &first["mode"]
            ),
            (
                &serde_json::json!("inspect"),
                &serde_json::json!("alert"),
                &serde_json::json!("si-non-director"),
                &serde_json::json!("audit")
            )
        );
        assert_eq!(first["actor"], "198.51.100.66");
        assert_eq!(first["detail"]["interface"], "eth1");
        assert_eq!(first["detail"]["severity"], "medium");
        assert!(crate::audit::log::verify_file(&path).is_ok());
    }
}
