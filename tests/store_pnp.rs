//! PnP device records: the same behaviour from the SQLite store (in memory and on disk) and the
//! in-memory store, persistence across reopen, one transaction per record and history entry, and
//! the upgrade of a version-1 database that already holds join-window state.

#![allow(clippy::unwrap_used)]

use chrono::{DateTime, TimeZone, Utc};
use rusqlite::Connection;
use ztpgate::policy::join::{ClientOverride, Mac};
use ztpgate::store::pnp::{PnpDeviceRecord, PnpHistoryEntry, PnpStore};
use ztpgate::store::{MemoryStore, SqliteStore, Store};

fn at(minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 21, 10, minute, 0).unwrap()
}

fn record(serial: &str, state: &str, step: u32) -> PnpDeviceRecord {
    PnpDeviceRecord {
        serial: serial.into(),
        pid: "ISR4321/K9".into(),
        udi: format!("PID:ISR4321/K9,VID:V04,SN:{serial}"),
        state: state.into(),
        profile: Some("edge".into()),
        step,
        approved: false,
        last_contact: at(step),
        context: serde_json::json!({"pending": {"correlator": "CiscoPnP-1.0-1", "step": step}}),
    }
}

fn entry(minute: u32, state: &str, note: &str) -> PnpHistoryEntry {
    PnpHistoryEntry {
        at: at(minute),
        state: state.into(),
        note: note.into(),
    }
}

fn behaves_as_a_pnp_store(store: &mut dyn PnpStore) {
    assert_eq!(store.pnp_device("FDO1").unwrap(), None);
    assert!(store.pnp_devices().unwrap().is_empty());

    let first = record("FDO1", "DEVICE_INFO", 0);
    store
        .save_pnp_device(&first, Some(&entry(0, "DEVICE_INFO", "first contact")))
        .unwrap();
    let mut later = record("FDO1", "IMAGE_INSTALLING", 3);
    later.approved = true;
    store
        .save_pnp_device(
            &later,
            Some(&entry(3, "IMAGE_INSTALLING", "image-install sent")),
        )
        .unwrap();
    store
        .save_pnp_device(&record("FDO0", "UNCLAIMED", 0), None)
        .unwrap();

    assert_eq!(store.pnp_device("FDO1").unwrap(), Some(later));
    let serials: Vec<_> = store
        .pnp_devices()
        .unwrap()
        .into_iter()
        .map(|r| r.serial)
        .collect();
    assert_eq!(serials, ["FDO0", "FDO1"]);
    let history = store.pnp_history("FDO1", 10).unwrap();
    assert_eq!(
        history,
        vec![
            entry(0, "DEVICE_INFO", "first contact"),
            entry(3, "IMAGE_INSTALLING", "image-install sent")
        ]
    );
    assert_eq!(store.pnp_history("FDO1", 1).unwrap(), history[1..].to_vec());
    assert!(store.pnp_history("FDO0", 10).unwrap().is_empty());
}

#[test]
fn memory_store_keeps_pnp_devices() {
    behaves_as_a_pnp_store(&mut MemoryStore::new());
}

#[test]
fn sqlite_store_keeps_pnp_devices() {
    behaves_as_a_pnp_store(&mut SqliteStore::open_in_memory().unwrap());
}

#[test]
fn pnp_devices_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ztpgate.db");
    {
        let mut store = SqliteStore::open(&path).unwrap();
        behaves_as_a_pnp_store(&mut store);
    }
    let store = SqliteStore::open(&path).unwrap();
    let device = store.pnp_device("FDO1").unwrap().unwrap();
    assert_eq!(device.state, "IMAGE_INSTALLING");
    assert!(device.approved);
    assert_eq!(device.context["pending"]["correlator"], "CiscoPnP-1.0-1");
    assert_eq!(store.pnp_history("FDO1", 10).unwrap().len(), 2);
}

#[test]
fn version_1_database_is_upgraded_keeping_its_data() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v1.db");
    {
        // A database as version 1 left it: only the join-window tables.
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL,
                                             applied_at TEXT NOT NULL);
             INSERT INTO schema_migrations VALUES (1, 'join-window state and client overrides',
                                                   '2026-01-01T00:00:00Z');
             CREATE TABLE join_window_state (id INTEGER PRIMARY KEY CHECK (id = 1),
                 manual TEXT NOT NULL CHECK (manual IN ('open', 'closed')));
             CREATE TABLE client_overrides (mac BLOB PRIMARY KEY, state TEXT NOT NULL)
                 WITHOUT ROWID;
             INSERT INTO client_overrides VALUES (x'001122334455', 'held');",
        )
        .unwrap();
    }
    let mut store = SqliteStore::open(&path).unwrap();
    assert_eq!(
        store.schema_version().unwrap(),
        ztpgate::store::migrations::latest_version()
    );
    let mac = Mac([0x00, 0x11, 0x22, 0x33, 0x44, 0x55]);
    assert_eq!(
        store.client_override(&mac).unwrap(),
        Some(ClientOverride::Held)
    );
    store
        .save_pnp_device(&record("FDO2", "FINISHED", 5), None)
        .unwrap();
    assert_eq!(store.pnp_devices().unwrap().len(), 1);
}

#[test]
fn corrupt_context_is_a_typed_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ztpgate.db");
    let mut store = SqliteStore::open(&path).unwrap();
    store
        .save_pnp_device(&record("FDO3", "FINISHED", 1), None)
        .unwrap();
    drop(store);
    let conn = Connection::open(&path).unwrap();
    conn.execute(
        "UPDATE pnp_devices SET context = '{not json' WHERE serial = 'FDO3'",
        [],
    )
    .unwrap();
    drop(conn);
    let store = SqliteStore::open(&path).unwrap();
    let err = store.pnp_device("FDO3").unwrap_err();
    assert!(err.to_string().contains("pnp_devices.context"), "{err}");
}
