//! Gateway state behind a trait: what the join-window policy needs at run time — the operator's
//! manual open/close override and per-client overrides (whose `Held` entries are the hold list).
//! SQLite is the embedded default ([`sqlite::SqliteStore`]); [`memory::MemoryStore`] serves unit
//! tests (`../shared/design/ARCHITECTURE.md` §7).
//!
//! Trust: values come from the operator (admin API) or from policy decisions; the database file
//! is the gateway's own, but values read back are still checked (an unknown stored value is a
//! [`StoreError::Corrupt`], never a panic). Writes are transactional: a kill at any moment loses
//! nothing committed.

pub mod dhcp;
pub mod director;
pub mod memory;
pub mod migrations;
pub mod pnp;
pub mod proxy;
pub mod sqlite;
mod sqlite_director;
mod sqlite_pnp;
mod sqlite_proxy;

pub use memory::MemoryStore;
pub use sqlite::SqliteStore;

use crate::policy::join::{ClientOverride, Mac, ManualWindow};

/// Persistent gateway state. Reads take `&self`, writes `&mut self`; each write is atomic.
pub trait Store: Send {
    /// The operator's manual join-window override (`None`: follow the schedule).
    fn manual_window(&self) -> Result<Option<ManualWindow>, StoreError>;

    /// Sets or clears (`None`) the manual join-window override.
    fn set_manual_window(&mut self, window: Option<ManualWindow>) -> Result<(), StoreError>;

    /// The operator's override for one client, if any.
    fn client_override(&self, mac: &Mac) -> Result<Option<ClientOverride>, StoreError>;

    /// Sets the override for a client, or removes it (`None`).
    fn set_client_override(
        &mut self,
        mac: &Mac,
        state: Option<ClientOverride>,
    ) -> Result<(), StoreError>;

    /// Every client override, sorted by MAC; the `Held` ones are the hold list.
    fn client_overrides(&self) -> Result<Vec<(Mac, ClientOverride)>, StoreError>;

    /// The schema version of the stored data.
    fn schema_version(&self) -> Result<u32, StoreError>;
}

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite reported an error.
    #[error("store: cannot {op}: {source}")]
    Sqlite {
        /// What was being done.
        op: &'static str,
        /// SQLite's error.
        source: rusqlite::Error,
    },
    /// The database was written by a newer ztpgate.
    #[error(
        "database schema version {found} is newer than this ztpgate supports ({supported}); \
         upgrade ztpgate or restore a matching database"
    )]
    SchemaTooNew {
        /// Version found in the database.
        found: u32,
        /// Newest version this build knows.
        supported: u32,
    },
    /// A migration step failed (and was rolled back).
    #[error("store: migration {version} ({name}) failed: {source}")]
    Migration {
        /// The step's version.
        version: u32,
        /// The step's name.
        name: &'static str,
        /// SQLite's error.
        source: rusqlite::Error,
    },
    /// SQLite would not switch the database to write-ahead logging.
    #[error("store: journal mode is {found:?}, WAL is required")]
    NotWal {
        /// The mode SQLite reported.
        found: String,
    },
    /// A stored value is not one this build understands.
    #[error("store: invalid stored {column}: {value:?}")]
    Corrupt {
        /// `table.column`.
        column: &'static str,
        /// The value found (hex for binary values).
        value: String,
    },
}

/// The stored name of a manual override (as in policy files: `open`, `closed`).
pub(crate) fn manual_window_name(window: ManualWindow) -> &'static str {
    match window {
        ManualWindow::Closed => "closed",
        ManualWindow::Open => "open",
    }
}

/// The stored name of a client override (`allowed`, `held`).
pub(crate) fn client_override_name(state: ClientOverride) -> &'static str {
    match state {
        ClientOverride::Allowed => "allowed",
        ClientOverride::Held => "held",
    }
}

pub(crate) fn parse_manual_window(s: &str) -> Option<ManualWindow> {
    [ManualWindow::Closed, ManualWindow::Open]
        .into_iter()
        .find(|w| manual_window_name(*w) == s)
}

pub(crate) fn parse_client_override(s: &str) -> Option<ClientOverride> {
    [ClientOverride::Allowed, ClientOverride::Held]
        .into_iter()
        .find(|o| client_override_name(*o) == s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_names_round_trip() {
        for w in [ManualWindow::Closed, ManualWindow::Open] {
            assert_eq!(parse_manual_window(manual_window_name(w)), Some(w));
        }
        for o in [ClientOverride::Allowed, ClientOverride::Held] {
            assert_eq!(parse_client_override(client_override_name(o)), Some(o));
        }
        assert_eq!(parse_manual_window("ajar"), None);
        assert_eq!(parse_client_override("Held"), None);
    }

    #[test]
    fn stored_names_match_serde_names() {
        let json = serde_json::to_value(ManualWindow::Closed).unwrap();
        assert_eq!(json, manual_window_name(ManualWindow::Closed));
        let json = serde_json::to_value(ClientOverride::Held).unwrap();
        assert_eq!(json, client_override_name(ClientOverride::Held));
    }
}
