//! `ztpgate bench vstack-relay` smoke runs on loopback (debug build, about a second each): every
//! exchange answered and checked, every relayed message forwarded and audited, nonzero counts in
//! every phase; once through the library and once through the CLI with `--json`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;
use std::time::Duration;

use ztpgate::bench::vstack::{RelayBenchOptions, Route, run_relay_bench};
use ztpgate::config::FsyncPolicy;

#[test]
fn short_run_relays_and_audits_every_message() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let opts = RelayBenchOptions {
        connections: 3,
        duration: Duration::from_millis(250),
        warmup: Duration::from_millis(50),
        fsync: FsyncPolicy::Interval(Duration::from_secs(1)),
    };
    let report = runtime.block_on(run_relay_bench(&opts)).unwrap();
    assert_eq!(report.errors, 0, "{:?}", report.first_error);
    let routes: Vec<(Route, u32)> = report
        .phases
        .iter()
        .map(|p| (p.route, p.connections))
        .collect();
    assert_eq!(
        routes,
        [
            (Route::Direct, 1),
            (Route::Relay, 1),
            (Route::Direct, 3),
            (Route::Relay, 3)
        ]
    );
    for p in &report.phases {
        assert!(p.exchanges > 0 && p.messages_per_second > 0.0, "{p:?}");
        assert_eq!(p.latency.count, p.exchanges);
        assert!(p.latency.p50_ms > 0.0 && p.latency.p99_ms >= p.latency.p50_ms);
    }
    let a = report.audit;
    assert!(a.messages_sent > 0);
    assert_eq!(a.messages_forwarded, a.messages_sent);
    assert_eq!(a.audit_records, a.messages_sent);
    assert_eq!(a.chain_verified, a.audit_records);
    assert!(a.log_bytes > 0);
    assert_eq!(a.messages_dropped + a.resets, 0);
    assert_eq!(report.added.len(), 2);
}

#[test]
fn cli_prints_a_json_report_and_exits_zero() {
    let out = Command::new(env!("CARGO_BIN_EXE_ztpgate"))
        .args([
            "bench",
            "vstack-relay",
            "--connections",
            "2",
            "--seconds",
            "0.2",
            "--warmup",
            "0",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "status {:?}\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["fsync"], "always");
    assert_eq!(report["errors"], 0);
    assert_eq!(report["phases"].as_array().unwrap().len(), 4);
    assert_eq!(report["phases"][1]["route"], "relay");
    let audit = &report["audit"];
    assert!(audit["audit_records"].as_u64().unwrap() > 0);
    assert_eq!(audit["audit_records"], audit["messages_sent"]);
    assert_eq!(audit["chain_verified"], audit["audit_records"]);
}
