//! Persistent DHCP leases (table `dhcp_leases`, schema version 4): one row per address with the
//! client MAC, state, expiry and host name, so leases and the per-MAC address memory survive a
//! restart. The DHCP edge restores the whole table at start and writes each request's lease
//! changes in one transaction.
//!
//! Trust: rows are written by the DHCP server role from its own decisions; values read back are
//! checked (a malformed row is [`StoreError::Corrupt`]).

use std::net::Ipv4Addr;

use chrono::{DateTime, SecondsFormat, Utc};

use crate::policy::join::Mac;
use crate::roles::dhcp_server::{Lease, LeaseChange, LeaseState};
use crate::store::sqlite::sql;
use crate::store::{SqliteStore, StoreError};

/// Storage of DHCP leases.
pub trait DhcpStore: Send {
    /// Every lease record, by address.
    fn dhcp_leases(&self) -> Result<Vec<Lease>, StoreError>;

    /// Applies `changes` in order, atomically.
    fn apply_dhcp_changes(&mut self, changes: &[LeaseChange]) -> Result<(), StoreError>;
}

impl DhcpStore for SqliteStore {
    fn dhcp_leases(&self) -> Result<Vec<Lease>, StoreError> {
        let op = "list DHCP leases";
        let mut stmt = self
            .conn()
            .prepare_cached("SELECT ip, mac, state, expires, hostname FROM dhcp_leases ORDER BY ip")
            .map_err(sql(op))?;
        let rows = stmt
            .query_map([], |r| {
                Ok(RawLease {
                    ip: r.get(0)?,
                    mac: r.get(1)?,
                    state: r.get(2)?,
                    expires: r.get(3)?,
                    hostname: r.get(4)?,
                })
            })
            .map_err(sql(op))?;
        let mut leases = Vec::new();
        for row in rows {
            leases.push(row.map_err(sql(op))?.check()?);
        }
        Ok(leases)
    }

    fn apply_dhcp_changes(&mut self, changes: &[LeaseChange]) -> Result<(), StoreError> {
        if changes.is_empty() {
            return Ok(());
        }
        self.write("write DHCP leases", |tx| {
            for change in changes {
                match change {
                    LeaseChange::Upsert(l) => {
                        tx.execute(
                            "INSERT OR REPLACE INTO dhcp_leases (ip, mac, state, expires, hostname)
                             VALUES (?1, ?2, ?3, ?4, ?5)",
                            rusqlite::params![
                                &l.ip.octets()[..],
                                &l.mac.0[..],
                                l.state.as_str(),
                                l.expires.to_rfc3339_opts(SecondsFormat::Secs, true),
                                l.hostname,
                            ],
                        )?;
                    }
                    LeaseChange::Remove(ip) => {
                        tx.execute("DELETE FROM dhcp_leases WHERE ip = ?1", [&ip.octets()[..]])?;
                    }
                }
            }
            Ok(())
        })
    }
}

/// A row as stored, before its values are checked.
struct RawLease {
    ip: Vec<u8>,
    mac: Vec<u8>,
    state: String,
    expires: String,
    hostname: Option<String>,
}

impl RawLease {
    fn check(self) -> Result<Lease, StoreError> {
        let ip = <[u8; 4]>::try_from(self.ip.as_slice()).map_err(|_| StoreError::Corrupt {
            column: "dhcp_leases.ip",
            value: hex::encode(&self.ip),
        })?;
        let mac = <[u8; 6]>::try_from(self.mac.as_slice()).map_err(|_| StoreError::Corrupt {
            column: "dhcp_leases.mac",
            value: hex::encode(&self.mac),
        })?;
        let state = LeaseState::parse(&self.state).ok_or_else(|| StoreError::Corrupt {
            column: "dhcp_leases.state",
            value: self.state.clone(),
        })?;
        let expires = DateTime::parse_from_rfc3339(&self.expires)
            .map_err(|_| StoreError::Corrupt {
                column: "dhcp_leases.expires",
                value: self.expires.clone(),
            })?
            .with_timezone(&Utc);
        Ok(Lease {
            ip: Ipv4Addr::from(ip),
            mac: Mac(mac),
            state,
            expires,
            hostname: self.hostname,
        })
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn lease(last: u8, state: LeaseState) -> Lease {
        Lease {
            ip: Ipv4Addr::new(10, 0, 0, last),
            mac: Mac([0, 1, 2, 3, 4, last]),
            state,
            expires: Utc.with_ymd_and_hms(2026, 5, 1, 8, 0, 0).unwrap(),
            hostname: Some(format!("sw{last}")),
        }
    }

    #[test]
    fn leases_round_trip_through_sqlite() {
        let mut store = SqliteStore::open_in_memory().unwrap();
        let a = lease(10, LeaseState::Bound);
        let b = lease(11, LeaseState::Declined);
        store
            .apply_dhcp_changes(&[
                LeaseChange::Upsert(a.clone()),
                LeaseChange::Upsert(b.clone()),
            ])
            .unwrap();
        assert_eq!(store.dhcp_leases().unwrap(), [a.clone(), b]);
        let mut released = a;
        released.state = LeaseState::Released;
        store
            .apply_dhcp_changes(&[
                LeaseChange::Remove(Ipv4Addr::new(10, 0, 0, 11)),
                LeaseChange::Upsert(released.clone()),
            ])
            .unwrap();
        assert_eq!(store.dhcp_leases().unwrap(), [released]);
    }

    #[test]
    fn a_corrupt_row_is_reported() {
        let store = SqliteStore::open_in_memory().unwrap();
        store
            .conn()
            .execute(
                "INSERT INTO dhcp_leases VALUES (x'0a000001', x'000102030405', 'bound', 'soon', NULL)",
                [],
            )
            .unwrap();
        assert!(matches!(
            store.dhcp_leases(),
            Err(StoreError::Corrupt {
                column: "dhcp_leases.expires",
                ..
            })
        ));
    }
}
