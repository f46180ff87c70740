//! The text `ztpgate bench vstack-relay` prints: one row per phase, the added latency per
//! concurrency, the audit cross-check and the targets with ✔/✘.
//!
//! Inputs: a report built by [`super::run_relay_bench`] (trusted). Pure.

use super::{RelayBenchReport, Route, TARGET_ADDED_P99_US, TARGET_MESSAGES_PER_SECOND};

/// Renders a report as the table `bench vstack-relay` prints.
pub fn render_table(r: &RelayBenchReport) -> String {
    let mut out = format!(
        "ztpgate bench vstack-relay: probe/reply exchanges on loopback, {:.1} s measured after \
         {:.1} s warm-up per phase, audit fsync {}\n\n",
        r.seconds, r.warmup_seconds, r.fsync
    );
    out.push_str(&format!(
        "{:<7} {:>5} {:>10} {:>12} {:>12} {:>8} {:>8} {:>8} {:>9} {:>6}\n",
        "path",
        "conns",
        "exchanges",
        "exchanges/s",
        "messages/s",
        "p50 µs",
        "p90 µs",
        "p99 µs",
        "max µs",
        "errors"
    ));
    for p in &r.phases {
        let l = &p.latency;
        out.push_str(&format!(
            "{:<7} {:>5} {:>10} {:>12.0} {:>12.0} {:>8.1} {:>8.1} {:>8.1} {:>9.1} {:>6}\n",
            route_name(p.route),
            p.connections,
            p.exchanges,
            p.exchanges_per_second,
            p.messages_per_second,
            l.p50_ms * 1e3,
            l.p90_ms * 1e3,
            l.p99_ms * 1e3,
            l.max_ms * 1e3,
            p.errors
        ));
    }
    out.push_str("(messages/s counts both directions: a probe and its reply per exchange)\n\n");
    for a in &r.added {
        out.push_str(&format!(
            "added by the relay, {} connection(s): p50 {:+.1} µs, p99 {:+.1} µs\n",
            a.connections, a.p50_us, a.p99_us
        ));
    }
    let a = &r.audit;
    out.push_str(&format!(
        "relay: {} messages sent, {} forwarded, {} dropped, {} resets, {} audit records \
         ({} verified in the hash chain, {} bytes)\n\n",
        a.messages_sent,
        a.messages_forwarded,
        a.messages_dropped,
        a.resets,
        a.audit_records,
        a.chain_verified,
        a.log_bytes
    ));
    out.push_str(&targets(r));
    out.push_str(&format!("errors: {}\n", r.errors));
    if let Some(e) = &r.first_error {
        out.push_str(&format!("first error: {e}\n"));
    }
    out
}

/// The two targets of the issue, each with ✔ or ✘.
fn targets(r: &RelayBenchReport) -> String {
    let mark = |ok: bool| if ok { "✔" } else { "✘" };
    let mut out = String::new();
    if let Some(one) = r.added.iter().find(|a| a.connections == 1) {
        out.push_str(&format!(
            "target < {TARGET_ADDED_P99_US} µs added at p99 (1 connection): {:.1} µs {}\n",
            one.p99_us,
            mark(one.p99_us < TARGET_ADDED_P99_US)
        ));
    }
    let best = r
        .phases
        .iter()
        .filter(|p| p.route == Route::Relay)
        .map(|p| p.messages_per_second)
        .fold(0.0, f64::max);
    out.push_str(&format!(
        "target ≥ {TARGET_MESSAGES_PER_SECOND} messages/s through the relay: {best:.0} {}\n",
        mark(best >= TARGET_MESSAGES_PER_SECOND)
    ));
    out
}

fn route_name(route: Route) -> &'static str {
    match route {
        Route::Direct => "direct",
        Route::Relay => "relay",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::bench::pnp::LatencySummary;
    use crate::bench::vstack::{AddedLatency, AuditTally, PhaseReport};

    fn phase(route: Route, connections: u32, mps: f64, p99_ms: f64) -> PhaseReport {
        PhaseReport {
            route,
            connections,
            exchanges: 10,
            exchanges_per_second: mps / 2.0,
            messages_per_second: mps,
            errors: 0,
            latency: LatencySummary {
                count: 10,
                p99_ms,
                ..LatencySummary::default()
            },
        }
    }

    #[test]
    fn table_marks_met_and_missed_targets() {
        let report = RelayBenchReport {
            connections: 64,
            seconds: 1.0,
            warmup_seconds: 0.0,
            fsync: "always".into(),
            phases: vec![
                phase(Route::Direct, 1, 40_000.0, 0.02),
                phase(Route::Relay, 1, 20_000.0, 0.09),
                phase(Route::Direct, 64, 200_000.0, 1.0),
                phase(Route::Relay, 64, 60_000.0, 2.0),
            ],
            added: vec![
                AddedLatency {
                    connections: 1,
                    p50_us: 30.0,
                    p99_us: 70.0,
                },
                AddedLatency {
                    connections: 64,
                    p50_us: 500.0,
                    p99_us: 1000.0,
                },
            ],
            audit: AuditTally::default(),
            errors: 0,
            first_error: None,
        };
        let table = render_table(&report);
        assert!(table.contains("(1 connection): 70.0 µs ✔"), "{table}");
        assert!(table.contains("through the relay: 60000 ✔"), "{table}");
        assert!(table.contains("relay      64"), "{table}");
        let slow = RelayBenchReport {
            added: vec![AddedLatency {
                connections: 1,
                p50_us: 90.0,
                p99_us: 150.0,
            }],
            phases: vec![phase(Route::Relay, 1, 9_000.0, 0.2)],
            ..report
        };
        let table = render_table(&slow);
        assert!(table.contains("150.0 µs ✘"), "{table}");
        assert!(table.contains("9000 ✘"), "{table}");
    }
}
