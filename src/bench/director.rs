//! `ztpgate bench director`: the director database at scale — N synthetic clients stored in a
//! real SQLite file, then, per run, loaded back and rendered as `show vstack status` (and
//! `status detail` and `download-status`), which is the work behind each view.
//!
//! Inputs: only the benchmark parameters; clients come from a fixed-seed generator, so two runs
//! measure the same work. Timing uses [`crate::clock::now_monotonic`]. Figures:
//! `docs/benchmarks.md`, "Director database".

use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::bench::XorShift;
use crate::bench::synthetic::SEED;
use crate::clock::now_monotonic;
use crate::policy::join::JoinState;
use crate::roles::director::{
    ArtifactStatus, Backup, Client, DirectorInfo, Download, DownloadMethod, render_download_status,
    render_status,
};
use crate::store::director::DirectorStore;
use crate::store::{SqliteStore, StoreError};

/// Target of the acceptance: `show vstack status` of 10,000 clients.
pub const TARGET_STATUS_MS: f64 = 200.0;

/// Parameters of `bench director`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DirectorBenchOptions {
    /// Clients in the database.
    pub clients: u32,
    /// Timed runs (the median is reported).
    pub runs: u32,
}

/// What `bench director` measured (milliseconds are medians over the runs).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct DirectorBenchReport {
    /// Clients in the database.
    pub clients: u32,
    /// Size of the database file after storing them.
    pub db_bytes: u64,
    /// Storing all of them in one transaction.
    pub save_ms: f64,
    /// Loading them back.
    pub load_ms: f64,
    /// Rendering `show vstack status`.
    pub status_ms: f64,
    /// Load plus render: what one `show vstack status` costs.
    pub show_status_ms: f64,
    /// Rendering `show vstack status detail`.
    pub status_detail_ms: f64,
    /// Rendering `show vstack download-status`.
    pub download_status_ms: f64,
    /// Lines of the status view (clients + header), as a check.
    pub status_lines: usize,
}

/// Runs the benchmark with its database in `dir`.
pub fn run_director_bench(
    opts: &DirectorBenchOptions,
    dir: &Path,
) -> Result<DirectorBenchReport, StoreError> {
    let path = dir.join("director-bench.db");
    let mut store = SqliteStore::open(&path)?;
    let clients = synthetic_clients(opts.clients);
    let t = now_monotonic();
    store.save_director_clients(&clients)?;
    let save_ms = ms(now_monotonic().duration_since(t));
    drop(store);
    let db_bytes = std::fs::metadata(&path).map_or(0, |m| m.len());
    let info = director_info();
    let mut samples: [Vec<f64>; 5] = Default::default();
    let mut status_lines = 0;
    for _ in 0..opts.runs.max(1) {
        let store = SqliteStore::open(&path)?;
        let t0 = now_monotonic();
        let loaded = store.director_clients()?;
        let t1 = now_monotonic();
        let status = render_status(&info, &loaded, false);
        let t2 = now_monotonic();
        let detail = render_status(&info, &loaded, true);
        let t3 = now_monotonic();
        let downloads = render_download_status(&info, &loaded, false);
        let t4 = now_monotonic();
        status_lines = status.lines().count();
        std::hint::black_box((detail.len(), downloads.len()));
        samples[0].push(ms(t1.duration_since(t0)));
        samples[1].push(ms(t2.duration_since(t1)));
        samples[2].push(ms(t2.duration_since(t0)));
        samples[3].push(ms(t3.duration_since(t2)));
        samples[4].push(ms(t4.duration_since(t3)));
    }
    let [load, status, show, detail, downloads] = samples.map(median);
    Ok(DirectorBenchReport {
        clients: opts.clients,
        db_bytes,
        save_ms,
        load_ms: load,
        status_ms: status,
        show_status_ms: show,
        status_detail_ms: detail,
        download_status_ms: downloads,
        status_lines,
    })
}

/// The report as a Markdown table.
pub fn render_report(r: &DirectorBenchReport) -> String {
    let verdict = if r.show_status_ms < TARGET_STATUS_MS {
        "✔"
    } else {
        "✘"
    };
    format!(
        "| Clients | DB MiB | save ms | load ms | status render ms | show status ms | detail ms | download-status ms |\n\
         |---:|---:|---:|---:|---:|---:|---:|---:|\n\
         | {} | {:.1} | {:.1} | {:.1} | {:.1} | **{:.1}** {verdict} (< {TARGET_STATUS_MS} ms) | {:.1} | {:.1} |\n",
        r.clients,
        r.db_bytes as f64 / (1024.0 * 1024.0),
        r.save_ms,
        r.load_ms,
        r.status_ms,
        r.show_status_ms,
        r.status_detail_ms,
        r.download_status_ms,
    )
}

fn director_info() -> DirectorInfo {
    DirectorInfo {
        enabled: true,
        ip: Some(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1))),
        hostname: "ztpgate".into(),
        mac: None,
        config_url: None,
        image_url: None,
        script_url: None,
        window: "Open".into(),
        join_mode: "auto".into(),
        backup: None,
    }
}

const PIDS: [&str; 5] = [
    "WS-C2960X-48FPD-L",
    "WS-C2960-48TC-S",
    "WS-C3750E-24TD",
    "WS-C3850-24T",
    "WS-C2960S-48TD-L",
];

/// `n` clients with every field a real director record has, some with downloads and backups.
pub fn synthetic_clients(n: u32) -> Vec<Client> {
    let mut rng = XorShift::new(SEED);
    let at: DateTime<Utc> = DateTime::UNIX_EPOCH + chrono::Duration::days(20_000);
    (1..=n)
        .map(|i| {
            let b = i.to_be_bytes();
            let mac = [0x00, 0x1d, b[0], b[1], b[2], b[3]];
            let pick = rng.next_u64();
            let join = match pick % 10 {
                0 => JoinState::Hold,
                1 => JoinState::Deny,
                _ => JoinState::Active,
            };
            let mut c = Client::new(i, mac, join, at);
            c.pid = PIDS.get((pick % 5) as usize).map(|p| (*p).to_owned());
            c.ip = Some(IpAddr::V4(Ipv4Addr::new(10, b[1], b[2], b[3])));
            c.hostname = Some(format!("sw-{i:05}"));
            c.device_id = Some(format!("sw-{i:05}.example.net"));
            c.serial = Some(format!("FOC{:08X}", pick as u32));
            c.image = Some("C2960X-UNIVERSALK9-M".into());
            c.version = Some("15.2(7)E3".into());
            c.upstream = Some([0x00, 0x23, 0x5e, 0x32, 0x37, (i % 200) as u8]);
            c.probed(!pick.is_multiple_of(7), at);
            if pick.is_multiple_of(3) {
                c.download = Some(Download {
                    method: DownloadMethod::ZeroTouch,
                    image: ArtifactStatus::Upgraded { at },
                    config: ArtifactStatus::Upgrading,
                    script: ArtifactStatus::NotRequested,
                    started: at,
                });
                c.backup = Some(Backup {
                    file: format!("sw-{i:05}-{}.REV2", hex::encode(mac)),
                    client_name: format!("sw-{i:05}"),
                    revision: 2,
                    checksum: format!("{:032X}", u128::from(pick)),
                    at,
                });
            }
            c
        })
        .collect()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}
