//! `ztpgate bench smi-proxy` through the library with a handful of clients: the gateway in proxy
//! mode and the emulated switches run in this process on loopback, and every client ends with
//! its startup config written and its plan `FINISHED` on the server.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use ztpgate::bench::smi_proxy::{SmiProxyBenchOptions, render, run_smi_proxy};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_proxied_clients_are_onboarded_and_measured() {
    let opts = SmiProxyBenchOptions {
        clients: 5,
        timeout: Duration::from_secs(120),
        tftp_max_transfers: None,
    };
    let report = run_smi_proxy(&opts).await.unwrap();
    let text = render(&report);
    assert!(report.complete, "{text}");
    assert_eq!((report.configured, report.finished), (5, 5), "{text}");
    assert_eq!(report.telnet_failures, 0, "{text}");
    assert!(
        report.wall_seconds > 0.0 && report.p50_ms <= report.p99_ms,
        "{text}"
    );
    assert!(report.peak_rss_kib >= report.rss_baseline_kib, "{text}");
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["clients"], 5);
}

#[tokio::test]
async fn refuses_a_client_count_out_of_range() {
    let opts = SmiProxyBenchOptions {
        clients: 0,
        timeout: Duration::from_secs(1),
        tftp_max_transfers: None,
    };
    let err = run_smi_proxy(&opts).await.unwrap_err();
    assert!(err.to_string().contains("--clients"), "{err}");
}
