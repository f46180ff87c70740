//! `ztpgate bench pnp` against a real gateway (tests/common harness, loopback, temp dirs): short
//! exchanges and handshakes runs with every request answered and the device workflow moving on,
//! a download through a per-device grant, and `populate` writing records the store reads back.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;

use common::{Gateway, s, stdout, ztpgate};
use ztpgate::store::SqliteStore;
use ztpgate::store::pnp::PnpStore;

/// The lab policy with its PnP section replaced by the benchmark profile: one CLI step.
fn bench_policy(lab: String) -> String {
    let cut = lab.find("# --- PnP provisioning").unwrap();
    let commands = vec!["\"show inventory\""; 5_000].join(", ");
    format!(
        "{}[[pnp.profiles]]\nname = \"bench\"\npids = [\"C9300-24P\"]\n\n\
         [[pnp.profiles.steps]]\ntype = \"cli\"\ncommands = [{commands}]\n",
        &lab[..cut]
    )
}

fn json(out: &std::process::Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "status {:?}\nstdout: {}\nstderr: {}",
        out.status,
        stdout(out),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn load(kind: &str, server: &str, pki: &Path) -> serde_json::Value {
    let args = [
        "bench",
        "pnp",
        kind,
        "--server",
        server,
        "--pki",
        s(pki),
        "--agents",
        "2",
        "--seconds",
        "1",
        "--warmup",
        "0.3",
        "--serial-prefix",
        "TB",
        "--ecdsa",
        "--json",
    ];
    json(&ztpgate(&args))
}

#[test]
fn drives_exchanges_handshakes_and_downloads_against_the_gateway() {
    let mut gw = Gateway::start_with(bench_policy, "");
    let server = format!("https://127.0.0.1:{}", gw.port("PnP server"));
    let pki = gw.state().join("pki");

    let r = load("exchanges", &server, &pki);
    assert!(r["requests"].as_u64().unwrap() > 0, "{r}");
    // Rounds cut by the window edges count one POST only: at most one per agent and edge.
    let (wr, resp) = (r["work_requests"].as_i64(), r["work_responses"].as_i64());
    assert!((wr.unwrap() - resp.unwrap()).abs() <= 4, "{r}");
    for zero in ["errors", "non_2xx", "unexpected_answers", "reconnects"] {
        assert_eq!(r[zero], 0, "{zero}: {r}");
    }
    assert!(r["latency"]["p99_ms"].as_f64().unwrap() > 0.0, "{r}");

    let h = load("handshakes", &server, &pki);
    assert!(h["handshakes"].as_u64().unwrap() > 0, "{h}");
    for zero in ["errors", "non_2xx", "resumed"] {
        assert_eq!(h[zero], 0, "{zero}: {h}");
    }

    let image = vec![0xa5u8; 1 << 20];
    std::fs::write(gw.state().join("files/image.bin"), &image).unwrap();
    let files = gw.port("file server");
    let base = format!("https://127.0.0.1:{files}");
    let grant = ztpgate(&[
        "files",
        "grant",
        "--config",
        s(&gw.config),
        "--device",
        "TB0001",
        "--path",
        "image.bin",
        "--base",
        &base,
    ]);
    let url = stdout(&grant).trim().to_owned();
    let device = pki.join("devices/C9300-24P_TB0001");
    let d = json(&ztpgate(&[
        "bench",
        "pnp",
        "download",
        "--url",
        &url,
        "--ca",
        s(&pki.join("ca.crt")),
        "--cert",
        &format!("{}.chain.pem", device.display()),
        "--key",
        &format!("{}.key", device.display()),
        "--concurrency",
        "2",
        "--json",
    ]));
    assert_eq!(d["bytes"], 2 * image.len(), "{d}");
    assert_eq!(d["errors"], 0, "{d}");

    // The store is in WAL mode: readable while the gateway runs.
    let store = SqliteStore::open(&gw.state().join("ztpgate.db")).unwrap();
    let record = store.pnp_device("TB0001").unwrap().unwrap();
    assert_eq!(record.state, "CLI_RUNNING");
    assert!(
        record.context["phase"].as_u64().unwrap_or(0) > 0,
        "{record:?}"
    );
    drop(store);
    assert!(gw.stop().success());
}

#[test]
fn populate_writes_records_the_store_reads_back() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("gw.db");
    let out = ztpgate(&[
        "bench",
        "pnp",
        "populate",
        "--db",
        s(&db),
        "--devices",
        "300",
        "--prefix",
        "MEM",
        "--json",
    ]);
    let report = json(&out);
    assert_eq!(report["devices"], 300);
    let store = SqliteStore::open(&db).unwrap();
    let all = store.pnp_devices().unwrap();
    assert_eq!(all.len(), 300);
    assert_eq!(all[0].serial, "MEM000001");
    let states: std::collections::BTreeSet<&str> = all.iter().map(|r| r.state.as_str()).collect();
    assert!(states.len() >= 8, "{states:?}");
    assert_eq!(store.pnp_history("MEM000300", 5).unwrap().len(), 1);
}

#[test]
fn refuses_bad_arguments_with_usage_status() {
    let out = ztpgate(&[
        "bench",
        "pnp",
        "exchanges",
        "--server",
        "http://127.0.0.1:1",
        "--pki",
        "pki",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--server"));
}
