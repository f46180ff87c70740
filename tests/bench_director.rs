//! `ztpgate bench director` runs end to end on a small database and reports every figure.

mod common;

use common::{succeeded, ztpgate};

#[test]
fn a_small_run_reports_every_figure() {
    let out = ztpgate(&[
        "bench",
        "director",
        "--clients",
        "300",
        "--runs",
        "2",
        "--json",
    ]);
    let report: serde_json::Value = serde_json::from_str(&succeeded(&out)).unwrap();
    assert_eq!(report["clients"], 300);
    // Twelve lines of state, legend, headers and the director's row, then one per client.
    assert_eq!(report["status_lines"], 300 + 12);
    for key in [
        "save_ms",
        "load_ms",
        "status_ms",
        "show_status_ms",
        "status_detail_ms",
    ] {
        assert!(report[key].as_f64().unwrap() > 0.0, "{key}: {report}");
    }
    assert!(report["db_bytes"].as_u64().unwrap() > 300 * 200);
    let bad = ztpgate(&["bench", "director", "--clients", "0"]);
    assert!(!bad.status.success());
}
