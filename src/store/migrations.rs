//! Versioned schema migrations for the SQLite store: an ordered list of SQL steps, recorded in a
//! `schema_migrations` table. Each step runs in its own `BEGIN IMMEDIATE` transaction together with
//! its bookkeeping row, so a failed or interrupted step leaves the previous version intact and a
//! second process opening the same file cannot apply a step twice. A database whose version is
//! newer than the newest known step is refused ([`StoreError::SchemaTooNew`]).
//!
//! Trust: the SQL is ours; the database file is the gateway's own.

use rusqlite::{Connection, OptionalExtension, TransactionBehavior};

use crate::store::StoreError;

/// One schema step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Migration {
    /// Version reached after the step; versions count 1, 2, 3, … without gaps.
    pub version: u32,
    /// Short description, recorded in `schema_migrations`.
    pub name: &'static str,
    /// The SQL (one or more statements).
    pub sql: &'static str,
}

/// Every migration, oldest first. Never edit a released step; append a new one.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "join-window state and client overrides",
        sql: "
        CREATE TABLE join_window_state (
            id     INTEGER PRIMARY KEY CHECK (id = 1),
            manual TEXT NOT NULL CHECK (manual IN ('open', 'closed'))
        );
        CREATE TABLE client_overrides (
            mac   BLOB PRIMARY KEY CHECK (typeof(mac) = 'blob' AND length(mac) = 6),
            state TEXT NOT NULL CHECK (state IN ('allowed', 'held'))
        ) WITHOUT ROWID;
    ",
    },
    Migration {
        version: 2,
        name: "PnP devices and their history",
        sql: "
        CREATE TABLE pnp_devices (
            serial       TEXT PRIMARY KEY,
            pid          TEXT NOT NULL,
            udi          TEXT NOT NULL,
            state        TEXT NOT NULL,
            profile      TEXT,
            step         INTEGER NOT NULL CHECK (step >= 0),
            approved     INTEGER NOT NULL CHECK (approved IN (0, 1)),
            last_contact TEXT NOT NULL,
            context      TEXT NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE pnp_history (
            id     INTEGER PRIMARY KEY AUTOINCREMENT,
            serial TEXT NOT NULL REFERENCES pnp_devices (serial) ON DELETE CASCADE,
            at     TEXT NOT NULL,
            state  TEXT NOT NULL,
            note   TEXT NOT NULL
        );
        CREATE INDEX pnp_history_by_serial ON pnp_history (serial, id);
    ",
    },
    Migration {
        version: 3,
        name: "Smart Install director clients",
        sql: "
        CREATE TABLE director_clients (
            mac    BLOB PRIMARY KEY CHECK (typeof(mac) = 'blob' AND length(mac) = 6),
            idx    INTEGER NOT NULL UNIQUE CHECK (idx >= 1),
            record TEXT NOT NULL
        ) WITHOUT ROWID;
    ",
    },
    Migration {
        version: 4,
        name: "DHCP leases",
        sql: "
        CREATE TABLE dhcp_leases (
            ip       BLOB PRIMARY KEY CHECK (typeof(ip) = 'blob' AND length(ip) = 4),
            mac      BLOB NOT NULL CHECK (typeof(mac) = 'blob' AND length(mac) = 6),
            state    TEXT NOT NULL CHECK (state IN ('offered', 'bound', 'released', 'declined')),
            expires  TEXT NOT NULL,
            hostname TEXT
        ) WITHOUT ROWID;
        CREATE INDEX dhcp_leases_by_mac ON dhcp_leases (mac);
    ",
    },
    Migration {
        version: 5,
        name: "SMI proxy database",
        sql: "
        CREATE TABLE smi_proxy_clients (
            mac    BLOB PRIMARY KEY CHECK (typeof(mac) = 'blob' AND length(mac) = 6),
            record TEXT NOT NULL
        ) WITHOUT ROWID;
        CREATE TRIGGER smi_proxy_clients_never_cleared BEFORE DELETE ON smi_proxy_clients
        BEGIN
            SELECT RAISE(ABORT, 'the SMI proxy database cannot be cleared');
        END;
    ",
    },
];

/// The newest schema version this build knows.
pub fn latest_version() -> u32 {
    MIGRATIONS.last().map_or(0, |m| m.version)
}

/// Brings the database up to the last of `steps`; returns the resulting version.
pub(crate) fn migrate(conn: &mut Connection, steps: &[Migration]) -> Result<u32, StoreError> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version    INTEGER PRIMARY KEY,
            name       TEXT NOT NULL,
            applied_at TEXT NOT NULL
        )",
    )
    .map_err(sql("create schema_migrations"))?;
    let supported = steps.last().map_or(0, |m| m.version);
    let found = current_version(conn)?;
    if found > supported {
        return Err(StoreError::SchemaTooNew { found, supported });
    }
    for step in steps.iter().filter(|m| m.version > found) {
        apply(conn, step)?;
    }
    current_version(conn)
}

/// The highest applied version (0 for a new database).
pub(crate) fn current_version(conn: &Connection) -> Result<u32, StoreError> {
    conn.query_row("SELECT MAX(version) FROM schema_migrations", [], |row| {
        row.get::<_, Option<u32>>(0)
    })
    .optional()
    .map_err(sql("read the schema version"))
    .map(|v| v.flatten().unwrap_or(0))
}

fn apply(conn: &mut Connection, step: &Migration) -> Result<(), StoreError> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(sql("begin a migration"))?;
    // Another process may have applied it between our check and the lock.
    if current_version(&tx)? >= step.version {
        return Ok(());
    }
    let failed = |source| StoreError::Migration {
        version: step.version,
        name: step.name,
        source,
    };
    tx.execute_batch(step.sql).map_err(failed)?;
    let applied_at = crate::clock::now_utc().to_rfc3339();
    tx.execute(
        "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)",
        (step.version, step.name, applied_at),
    )
    .map_err(failed)?;
    tx.commit().map_err(failed)
}

fn sql(op: &'static str) -> impl FnOnce(rusqlite::Error) -> StoreError {
    move |source| StoreError::Sqlite { op, source }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STEPS: &[Migration] = &[
        Migration {
            version: 1,
            name: "one",
            sql: "CREATE TABLE a (x INTEGER);",
        },
        Migration {
            version: 2,
            name: "two",
            sql: "CREATE TABLE b (y INTEGER);",
        },
    ];

    fn tables(conn: &Connection) -> Vec<String> {
        let mut stmt = conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    #[test]
    fn versions_count_up_from_one_without_gaps() {
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert_eq!(usize::try_from(m.version).unwrap(), i + 1, "{}", m.name);
        }
        assert_eq!(latest_version(), u32::try_from(MIGRATIONS.len()).unwrap());
    }

    #[test]
    fn applies_steps_in_order_once() {
        let mut conn = Connection::open_in_memory().unwrap();
        assert_eq!(migrate(&mut conn, &STEPS[..1]).unwrap(), 1);
        assert_eq!(migrate(&mut conn, STEPS).unwrap(), 2);
        assert_eq!(migrate(&mut conn, STEPS).unwrap(), 2);
        assert_eq!(tables(&conn), ["a", "b", "schema_migrations"]);
        let rows: u32 = conn
            .query_row("SELECT COUNT(*) FROM schema_migrations", [], |r| r.get(0))
            .unwrap();
        assert_eq!(rows, 2);
    }

    #[test]
    fn failed_step_is_rolled_back_and_named() {
        let mut conn = Connection::open_in_memory().unwrap();
        let broken = [
            STEPS[0],
            Migration {
                version: 2,
                name: "broken",
                sql: "CREATE TABLE c (z INTEGER); CREATE TABLE a (x INTEGER);",
            },
        ];
        match migrate(&mut conn, &broken) {
            Err(StoreError::Migration {
                version: 2,
                name: "broken",
                ..
            }) => {}
            other => panic!("expected Migration error, got {other:?}"),
        }
        assert_eq!(current_version(&conn).unwrap(), 1);
        assert_eq!(tables(&conn), ["a", "schema_migrations"]);
    }

    #[test]
    fn refuses_a_newer_schema() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn, STEPS).unwrap();
        assert!(matches!(
            migrate(&mut conn, &STEPS[..1]),
            Err(StoreError::SchemaTooNew {
                found: 2,
                supported: 1
            })
        ));
    }
}
