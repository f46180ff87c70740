//! The same behaviour suite against every `Store` implementation, plus what only the SQLite file
//! store must do: persist across reopen, run in WAL mode, refuse a newer schema, and migrate
//! idempotently.

// Test helpers outside #[test] functions: a panic is the failure report.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use ztpgate::policy::join::{ClientOverride, Mac, ManualWindow};
use ztpgate::store::migrations::latest_version;
use ztpgate::store::{MemoryStore, SqliteStore, Store, StoreError};

const A: Mac = Mac([0x00, 0x1b, 0x54, 0x00, 0x00, 0x01]);
const B: Mac = Mac([0x00, 0x1b, 0x54, 0x00, 0x00, 0x02]);
const C: Mac = Mac([0xf8, 0x00, 0x00, 0x00, 0x00, 0x00]);

/// The behaviour every store shares, on an empty store.
fn behaves_as_a_store(store: &mut dyn Store) {
    assert_eq!(store.schema_version().unwrap(), latest_version());

    assert_eq!(store.manual_window().unwrap(), None);
    store.set_manual_window(Some(ManualWindow::Closed)).unwrap();
    assert_eq!(store.manual_window().unwrap(), Some(ManualWindow::Closed));
    store.set_manual_window(Some(ManualWindow::Open)).unwrap();
    assert_eq!(store.manual_window().unwrap(), Some(ManualWindow::Open));
    store.set_manual_window(None).unwrap();
    assert_eq!(store.manual_window().unwrap(), None);

    assert_eq!(store.client_override(&A).unwrap(), None);
    assert!(store.client_overrides().unwrap().is_empty());
    store
        .set_client_override(&C, Some(ClientOverride::Held))
        .unwrap();
    store
        .set_client_override(&A, Some(ClientOverride::Held))
        .unwrap();
    store
        .set_client_override(&B, Some(ClientOverride::Allowed))
        .unwrap();
    assert_eq!(
        store.client_override(&A).unwrap(),
        Some(ClientOverride::Held)
    );
    assert_eq!(
        store.client_overrides().unwrap(),
        vec![
            (A, ClientOverride::Held),
            (B, ClientOverride::Allowed),
            (C, ClientOverride::Held),
        ],
        "sorted by MAC"
    );

    store
        .set_client_override(&A, Some(ClientOverride::Allowed))
        .unwrap();
    assert_eq!(
        store.client_override(&A).unwrap(),
        Some(ClientOverride::Allowed)
    );
    store.set_client_override(&B, None).unwrap();
    store.set_client_override(&B, None).unwrap();
    let hold_list: Vec<Mac> = store
        .client_overrides()
        .unwrap()
        .into_iter()
        .filter(|(_, s)| *s == ClientOverride::Held)
        .map(|(m, _)| m)
        .collect();
    assert_eq!(hold_list, vec![C]);
    assert_eq!(store.client_override(&B).unwrap(), None);
}

#[test]
fn memory_store_behaves_as_a_store() {
    behaves_as_a_store(&mut MemoryStore::new());
}

#[test]
fn in_memory_sqlite_store_behaves_as_a_store() {
    behaves_as_a_store(&mut SqliteStore::open_in_memory().unwrap());
}

#[test]
fn sqlite_file_store_behaves_as_a_store() {
    let dir = tempfile::tempdir().unwrap();
    behaves_as_a_store(&mut SqliteStore::open(&dir.path().join("state.db")).unwrap());
}

#[test]
fn stores_work_behind_a_trait_object() {
    let mut stores: Vec<Box<dyn Store>> = vec![
        Box::new(MemoryStore::new()),
        Box::new(SqliteStore::open_in_memory().unwrap()),
    ];
    for store in &mut stores {
        store.set_manual_window(Some(ManualWindow::Closed)).unwrap();
        assert_eq!(store.manual_window().unwrap(), Some(ManualWindow::Closed));
    }
}

#[test]
fn sqlite_state_survives_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.db");
    {
        let mut store = SqliteStore::open(&path).unwrap();
        store.set_manual_window(Some(ManualWindow::Closed)).unwrap();
        store
            .set_client_override(&B, Some(ClientOverride::Held))
            .unwrap();
    }
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.manual_window().unwrap(), Some(ManualWindow::Closed));
    assert_eq!(
        store.client_overrides().unwrap(),
        vec![(B, ClientOverride::Held)]
    );
}

#[test]
fn sqlite_file_store_runs_in_wal_mode() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.db");
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.journal_mode().unwrap(), "wal");
    // WAL is a property of the file: a plain connection sees it too.
    let raw = rusqlite::Connection::open(&path).unwrap();
    let mode: String = raw
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
}

fn migration_rows(path: &Path) -> u32 {
    rusqlite::Connection::open(path)
        .unwrap()
        .query_row("SELECT COUNT(*) FROM schema_migrations", [], |r| r.get(0))
        .unwrap()
}

#[test]
fn migrations_are_idempotent_on_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.db");
    {
        let mut store = SqliteStore::open(&path).unwrap();
        store
            .set_client_override(&A, Some(ClientOverride::Held))
            .unwrap();
    }
    let rows = migration_rows(&path);
    assert_eq!(rows, latest_version());
    for _ in 0..3 {
        let store = SqliteStore::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), latest_version());
        assert_eq!(
            store.client_override(&A).unwrap(),
            Some(ClientOverride::Held)
        );
    }
    assert_eq!(migration_rows(&path), rows);
}

#[test]
fn database_with_a_future_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.db");
    drop(SqliteStore::open(&path).unwrap());
    let future = latest_version() + 1;
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, 'future', 'x')",
            [future],
        )
        .unwrap();
    match SqliteStore::open(&path) {
        Err(StoreError::SchemaTooNew { found, supported }) => {
            assert_eq!((found, supported), (future, latest_version()));
        }
        other => panic!("expected SchemaTooNew, got {other:?}"),
    }
}

#[test]
fn unopenable_path_is_a_typed_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing-dir/state.db");
    assert!(matches!(
        SqliteStore::open(&path),
        Err(StoreError::Sqlite { .. })
    ));
}
