//! `ztpgate bench pnp populate`: writes N realistic PnP device records into the gateway's SQLite
//! store, as the PnP server would have left them mid-onboarding — a spread of workflow states,
//! a stored [`Context`] (plan step and phase, pending request with its correlator, reported
//! version and free space, reload waits) and one history entry each — so the gateway's memory can
//! be measured with that many devices known. Run it while the gateway is stopped.
//!
//! Inputs: operator parameters. Writes go through [`PnpStore::save_pnp_batch`], a thousand records
//! per transaction.

use std::path::PathBuf;

use chrono::{DateTime, Duration as Span, Utc};

use super::{PnpBenchError, rate};
use crate::clock::now_monotonic;
use crate::roles::pnp_server::state::{Context, DeviceState, FreeSpace, Pending, ReloadWait};
use crate::store::SqliteStore;
use crate::store::pnp::{PnpDeviceRecord, PnpHistoryEntry, PnpStore};

/// Records per transaction (the server's writer also stores devices in batches).
const BATCH: usize = 1000;

/// Parameters of a populate run.
#[derive(Clone, Debug)]
pub struct PopulateOptions {
    /// The gateway's database file (created and migrated when missing).
    pub db: PathBuf,
    /// Records to write.
    pub devices: u32,
    /// Device `i` (from 1) has serial `<prefix><i:06>`.
    pub prefix: String,
    /// Product ID of every device.
    pub pid: String,
    /// Profile name stored for devices that have one.
    pub profile: String,
}

/// The result of a populate run.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct PopulateReport {
    /// The database file.
    pub db: String,
    /// Records written.
    pub devices: u32,
    /// Time taken.
    pub seconds: f64,
    /// Records per second.
    pub records_per_second: f64,
}

/// Writes the records; `now` anchors their timestamps.
pub fn run_populate(
    opts: &PopulateOptions,
    now: DateTime<Utc>,
) -> Result<PopulateReport, PnpBenchError> {
    let mut store = SqliteStore::open(&opts.db)?;
    let started = now_monotonic();
    let mut records = Vec::with_capacity(BATCH);
    let mut history = Vec::with_capacity(BATCH);
    for index in 1..=opts.devices {
        let (record, entry) = device_record(opts, index, now);
        history.push((record.serial.clone(), entry));
        records.push(record);
        if records.len() == BATCH || index == opts.devices {
            store.save_pnp_batch(&records, &history)?;
            records.clear();
            history.clear();
        }
    }
    let seconds = now_monotonic().duration_since(started).as_secs_f64();
    Ok(PopulateReport {
        db: opts.db.display().to_string(),
        devices: opts.devices,
        seconds,
        records_per_second: rate(u64::from(opts.devices), seconds),
    })
}

/// Renders a report as the text `bench pnp populate` prints.
pub fn render_table(r: &PopulateReport) -> String {
    format!(
        "ztpgate bench pnp populate: {} device records written to {} in {:.1} s \
         ({:.0} records/s)\n",
        r.devices, r.db, r.seconds, r.records_per_second
    )
}

/// The record and history entry of device `index`: eight states in rotation.
pub fn device_record(
    opts: &PopulateOptions,
    index: u32,
    now: DateTime<Utc>,
) -> (PnpDeviceRecord, PnpHistoryEntry) {
    let serial = format!("{}{index:06}", opts.prefix);
    let last_contact = now - Span::seconds(i64::from(index % 86_400));
    let seq = u64::from(index % 40) + 1;
    let pending = |service: &str| {
        Some(Pending {
            correlator: format!("CiscoPnP-1.0-R33.200930-I1-P{index}-T{seq}-2"),
            service: format!("urn:cisco:pnp:{service}"),
            sent: last_contact.timestamp(),
        })
    };
    let mut ctx = Context {
        seq,
        running_version: Some("17.03.04a".to_owned()),
        free_bytes: {
            let mut free = FreeSpace::default();
            free.insert("bootflash:".to_owned(), 617_000_000 + u64::from(index));
            free
        },
        ..Context::default()
    };
    let (state, note) = match index % 8 {
        0 => {
            ctx.pending = pending("device-info");
            ctx.running_version = None;
            ctx.free_bytes.clear();
            (
                DeviceState::DeviceInfo,
                "profile selected; join window open",
            )
        }
        1 => {
            (ctx.step, ctx.phase) = (1, index % 100);
            ctx.pending = pending("cli-exec");
            (DeviceState::CliRunning, "device information received")
        }
        2 => {
            ctx.step = 2;
            ctx.pending = pending("image-install");
            (DeviceState::ImageInstalling, "free space checked")
        }
        3 => {
            ctx.step = 2;
            ctx.reload = Some(ReloadWait {
                not_before: last_contact.timestamp() + 300,
                target_version: Some("17.09.04a".to_owned()),
                checks: index % 3,
            });
            (DeviceState::Reloading, "image installed; device reloading")
        }
        4 => {
            (ctx.step, ctx.phase) = (3, 0);
            ctx.running_version = Some("17.09.04a".to_owned());
            ctx.pending = pending("config-upgrade");
            (DeviceState::ConfigApplying, "device back after reload")
        }
        5 => {
            ctx.step = 4;
            ctx.running_version = Some("17.09.04a".to_owned());
            (
                DeviceState::Finished,
                "day-0 configuration in place; plan complete",
            )
        }
        6 => (DeviceState::Unclaimed, "no profile; held for approval"),
        _ => {
            ctx.step = 2;
            let why = "image: image-install failed: PnP Service Error 2305 checksum mismatch";
            (DeviceState::Failed(why.to_owned()), why)
        }
    };
    let profile = (state != DeviceState::Unclaimed).then(|| opts.profile.clone());
    let record = PnpDeviceRecord {
        udi: format!("PID:{},VID:V01,SN:{serial}", opts.pid),
        serial,
        pid: opts.pid.clone(),
        state: state.to_string(),
        profile,
        step: u32::try_from(ctx.step).unwrap_or(u32::MAX),
        approved: index.is_multiple_of(5),
        last_contact,
        context: serde_json::to_value(&ctx).unwrap_or_default(),
    };
    let history = PnpHistoryEntry {
        at: last_contact,
        state: record.state.clone(),
        note: note.to_owned(),
    };
    (record, history)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(db: PathBuf, devices: u32) -> PopulateOptions {
        PopulateOptions {
            db,
            devices,
            prefix: "POP".into(),
            pid: "C9300-24P".into(),
            profile: "bench".into(),
        }
    }

    #[test]
    fn records_cover_every_state_and_parse_back() {
        let o = opts(PathBuf::from("unused.db"), 8);
        let now = DateTime::parse_from_rfc3339("2026-06-01T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let mut states = Vec::new();
        for i in 1..=8 {
            let (rec, history) = device_record(&o, i, now);
            let state: DeviceState = rec.state.parse().unwrap();
            let ctx: Context = serde_json::from_value(rec.context.clone()).unwrap();
            assert_eq!(rec.step as usize, ctx.step);
            assert_eq!(history.state, rec.state);
            assert!(rec.last_contact <= now);
            if state == DeviceState::CliRunning {
                assert_eq!(ctx.pending.unwrap().service, "urn:cisco:pnp:cli-exec");
            }
            states.push(state);
        }
        states.dedup();
        assert_eq!(states.len(), 8, "{states:?}");
        assert_eq!(device_record(&o, 12, now).0.serial, "POP000012");
    }

    #[test]
    fn writes_records_the_store_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let o = opts(dir.path().join("gw.db"), 20);
        let report = run_populate(&o, crate::clock::now_utc()).unwrap();
        assert_eq!(report.devices, 20);
        let store = SqliteStore::open(&o.db).unwrap();
        assert_eq!(store.pnp_devices().unwrap().len(), 20);
        let rec = store.pnp_device("POP000009").unwrap().unwrap();
        assert_eq!(rec.state, "CLI_RUNNING");
        assert_eq!(store.pnp_history("POP000009", 10).unwrap().len(), 1);
        assert!(render_table(&report).contains("20 device records"));
    }
}
