//! The SQLite [`Store`] (rusqlite, bundled SQLite): one file in the data directory in WAL mode
//! with `synchronous=FULL` (a committed write survives power loss), foreign keys on, a busy
//! timeout for concurrent readers, and versioned migrations applied on open
//! ([`crate::store::migrations`]). Every write is one transaction.
//!
//! Trust: the file is the gateway's own; values read back are still validated.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior};

use crate::policy::join::{ClientOverride, Mac, ManualWindow};
use crate::store::{
    Store, StoreError, client_override_name, manual_window_name, migrations, parse_client_override,
    parse_manual_window,
};

/// How long a statement waits for another connection's lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// A store in a SQLite database.
#[derive(Debug)]
pub struct SqliteStore {
    conn: Connection,
}

impl SqliteStore {
    /// Opens (or creates) the database at `path`, switches it to WAL and migrates it.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let conn = Connection::open(path).map_err(sql("open the database"))?;
        let mode: String = conn
            .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))
            .map_err(sql("enable WAL"))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::NotWal { found: mode });
        }
        Self::init(conn)
    }

    /// A private in-memory database (no WAL: SQLite keeps its journal in memory).
    pub fn open_in_memory() -> Result<Self, StoreError> {
        let conn = Connection::open_in_memory().map_err(sql("open the database"))?;
        Self::init(conn)
    }

    /// The journal mode SQLite reports (`wal` for file databases).
    pub fn journal_mode(&self) -> Result<String, StoreError> {
        self.conn
            .pragma_query_value(None, "journal_mode", |row| row.get(0))
            .map_err(sql("read the journal mode"))
    }

    fn init(mut conn: Connection) -> Result<Self, StoreError> {
        conn.busy_timeout(BUSY_TIMEOUT)
            .map_err(sql("set the busy timeout"))?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(sql("set synchronous=FULL"))?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(sql("enable foreign keys"))?;
        migrations::migrate(&mut conn, migrations::MIGRATIONS)?;
        Ok(Self { conn })
    }

    /// The connection, for the other tables' implementations.
    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    /// Loads the JSON records of `query` — whose columns are the record text, then the key
    /// columns, the first of them the client's MAC — in query order. Each record is decoded and
    /// must have been stored under its own key (`own_key`), else the table is corrupt.
    pub(crate) fn load_records<T>(
        &self,
        op: &'static str,
        query: &str,
        column: &'static str,
        decode: impl Fn(&str) -> Result<T, StoreError>,
        own_key: impl Fn(&T, &rusqlite::Row<'_>) -> rusqlite::Result<bool>,
    ) -> Result<Vec<T>, StoreError> {
        let mut stmt = self.conn().prepare_cached(query).map_err(sql(op))?;
        let mut rows = stmt.query([]).map_err(sql(op))?;
        let mut records = Vec::new();
        while let Some(row) = rows.next().map_err(sql(op))? {
            let text: String = row.get(0).map_err(sql(op))?;
            let record = decode(&text)?;
            if !own_key(&record, row).map_err(sql(op))? {
                let mac: Vec<u8> = row.get(1).map_err(sql(op))?;
                return Err(StoreError::Corrupt {
                    column,
                    value: format!("record of {} stored under another key", hex::encode(&mac)),
                });
            }
            records.push(record);
        }
        Ok(records)
    }

    /// Runs `f` in one `BEGIN IMMEDIATE` transaction and commits it.
    pub(crate) fn write(
        &mut self,
        op: &'static str,
        f: impl FnOnce(&rusqlite::Transaction<'_>) -> rusqlite::Result<()>,
    ) -> Result<(), StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sql(op))?;
        f(&tx).map_err(sql(op))?;
        tx.commit().map_err(sql(op))
    }
}

impl Store for SqliteStore {
    fn manual_window(&self) -> Result<Option<ManualWindow>, StoreError> {
        let stored: Option<String> = self
            .conn
            .query_row(
                "SELECT manual FROM join_window_state WHERE id = 1",
                [],
                |r| r.get(0),
            )
            .optional()
            .map_err(sql("read the manual join window"))?;
        stored
            .map(|s| {
                parse_manual_window(&s).ok_or(StoreError::Corrupt {
                    column: "join_window_state.manual",
                    value: s,
                })
            })
            .transpose()
    }

    fn set_manual_window(&mut self, window: Option<ManualWindow>) -> Result<(), StoreError> {
        self.write("set the manual join window", |tx| {
            match window {
                Some(w) => tx.execute(
                    "INSERT INTO join_window_state (id, manual) VALUES (1, ?1)
                     ON CONFLICT (id) DO UPDATE SET manual = excluded.manual",
                    [manual_window_name(w)],
                ),
                None => tx.execute("DELETE FROM join_window_state", []),
            }
            .map(drop)
        })
    }

    fn client_override(&self, mac: &Mac) -> Result<Option<ClientOverride>, StoreError> {
        let stored: Option<String> = self
            .conn
            .query_row(
                "SELECT state FROM client_overrides WHERE mac = ?1",
                [&mac.0[..]],
                |r| r.get(0),
            )
            .optional()
            .map_err(sql("read a client override"))?;
        stored.map(override_from).transpose()
    }

    fn set_client_override(
        &mut self,
        mac: &Mac,
        state: Option<ClientOverride>,
    ) -> Result<(), StoreError> {
        self.write("set a client override", |tx| {
            match state {
                Some(s) => tx.execute(
                    "INSERT INTO client_overrides (mac, state) VALUES (?1, ?2)
                     ON CONFLICT (mac) DO UPDATE SET state = excluded.state",
                    (&mac.0[..], client_override_name(s)),
                ),
                None => tx.execute("DELETE FROM client_overrides WHERE mac = ?1", [&mac.0[..]]),
            }
            .map(drop)
        })
    }

    fn client_overrides(&self) -> Result<Vec<(Mac, ClientOverride)>, StoreError> {
        let op = "list client overrides";
        let mut stmt = self
            .conn
            .prepare_cached("SELECT mac, state FROM client_overrides ORDER BY mac")
            .map_err(sql(op))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, String>(1)?))
            })
            .map_err(sql(op))?;
        let mut out = Vec::new();
        for row in rows {
            let (mac, state) = row.map_err(sql(op))?;
            out.push((mac_from(mac)?, override_from(state)?));
        }
        Ok(out)
    }

    fn schema_version(&self) -> Result<u32, StoreError> {
        migrations::current_version(&self.conn)
    }
}

fn mac_from(bytes: Vec<u8>) -> Result<Mac, StoreError> {
    <[u8; 6]>::try_from(bytes.as_slice())
        .map(Mac)
        .map_err(|_| StoreError::Corrupt {
            column: "client_overrides.mac",
            value: hex::encode(&bytes),
        })
}

fn override_from(s: String) -> Result<ClientOverride, StoreError> {
    parse_client_override(&s).ok_or(StoreError::Corrupt {
        column: "client_overrides.state",
        value: s,
    })
}

pub(crate) fn sql(op: &'static str) -> impl FnOnce(rusqlite::Error) -> StoreError {
    move |source| StoreError::Sqlite { op, source }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_memory_store_is_migrated_to_the_latest_version() {
        let store = SqliteStore::open_in_memory().unwrap();
        assert_eq!(
            store.schema_version().unwrap(),
            migrations::latest_version()
        );
    }

    #[test]
    fn schema_constraints_reject_bad_rows() {
        let store = SqliteStore::open_in_memory().unwrap();
        let short_mac = store.conn.execute(
            "INSERT INTO client_overrides (mac, state) VALUES (x'0102', 'held')",
            [],
        );
        assert!(short_mac.is_err());
        let bad_state = store.conn.execute(
            "INSERT INTO client_overrides (mac, state) VALUES (x'010203040506', 'maybe')",
            [],
        );
        assert!(bad_state.is_err());
        let second_row = store.conn.execute(
            "INSERT INTO join_window_state (id, manual) VALUES (2, 'open')",
            [],
        );
        assert!(second_row.is_err());
    }

    #[test]
    fn unknown_stored_value_is_corrupt_not_a_panic() {
        let store = SqliteStore::open_in_memory().unwrap();
        store
            .conn
            .execute_batch(
                "PRAGMA ignore_check_constraints = ON;
                 INSERT INTO join_window_state (id, manual) VALUES (1, 'ajar');",
            )
            .unwrap();
        assert!(matches!(
            store.manual_window(),
            Err(StoreError::Corrupt {
                column: "join_window_state.manual",
                ..
            })
        ));
    }
}
