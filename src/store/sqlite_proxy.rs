//! [`ProxyStore`] on SQLite: `smi_proxy_clients` (schema version 5), one row per client with its
//! MAC and whole record; a batch is one transaction. A trigger refuses every `DELETE`.

use rusqlite::params;

use crate::roles::smi_proxy::proxy_db::ProxyEntry;
use crate::store::proxy::{ProxyStore, decode, encode};
use crate::store::{SqliteStore, StoreError};

impl ProxyStore for SqliteStore {
    fn proxy_clients(&self) -> Result<Vec<ProxyEntry>, StoreError> {
        self.load_records(
            "list SMI proxy clients",
            "SELECT record, mac FROM smi_proxy_clients ORDER BY mac",
            "smi_proxy_clients.record",
            decode,
            |entry, row| Ok(row.get::<_, Vec<u8>>(1)? == entry.mac),
        )
    }

    fn save_proxy_clients(&mut self, entries: &[ProxyEntry]) -> Result<(), StoreError> {
        let encoded = entries
            .iter()
            .map(|e| encode(e).map(|text| (e.mac, text)))
            .collect::<Result<Vec<_>, _>>()?;
        self.write("save SMI proxy clients", |tx| {
            let mut upsert = tx.prepare_cached(
                "INSERT INTO smi_proxy_clients (mac, record) VALUES (?1, ?2)
                 ON CONFLICT (mac) DO UPDATE SET record = excluded.record",
            )?;
            for (mac, text) in &encoded {
                upsert.execute(params![mac.as_slice(), text])?;
            }
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};

    use super::*;
    use crate::identity::Udi;
    use crate::roles::smi_proxy::proxy_db::EntryState;

    fn now() -> DateTime<Utc> {
        DateTime::UNIX_EPOCH + chrono::Duration::days(20_000)
    }

    fn entry(last: u8, state: EntryState) -> ProxyEntry {
        let mut e = ProxyEntry::new([0, 0x1e, 0xf7, 0x6d, 0xaf, last], now());
        e.udi = Some(Udi::parse(&format!("PID:WS-C3750E-48TD,VID:V01,SN:FDO{last}")).unwrap());
        e.ip = Some(std::net::IpAddr::from([5, 1, 1, last]));
        e.state = state;
        e
    }

    #[test]
    fn clients_survive_a_reopen_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("z.db");
        let saved = vec![entry(2, EntryState::Hello), entry(1, EntryState::NoState)];
        SqliteStore::open(&path)
            .unwrap()
            .save_proxy_clients(&saved)
            .unwrap();
        let mut store = SqliteStore::open(&path).unwrap();
        let loaded = store.proxy_clients().unwrap();
        assert_eq!(loaded, vec![saved[1].clone(), saved[0].clone()]);
        store
            .save_proxy_clients(&[entry(1, EntryState::Working)])
            .unwrap();
        let states: Vec<EntryState> = store
            .proxy_clients()
            .unwrap()
            .iter()
            .map(|e| e.state)
            .collect();
        assert_eq!(states, [EntryState::Working, EntryState::Hello]);
    }

    #[test]
    fn the_table_refuses_to_be_cleared() {
        let mut store = SqliteStore::open_in_memory().unwrap();
        store
            .save_proxy_clients(&[entry(1, EntryState::Hello)])
            .unwrap();
        let cleared = store.conn().execute("DELETE FROM smi_proxy_clients", []);
        assert!(cleared.is_err(), "{cleared:?}");
        assert_eq!(store.proxy_clients().unwrap().len(), 1);
    }

    #[test]
    fn unreadable_records_are_corrupt_not_panics() {
        let store = SqliteStore::open_in_memory().unwrap();
        store
            .conn()
            .execute(
                "INSERT INTO smi_proxy_clients (mac, record) VALUES (?1, '{\"mac\":')",
                [[1u8, 2, 3, 4, 5, 6].as_slice()],
            )
            .unwrap();
        assert!(matches!(
            store.proxy_clients(),
            Err(StoreError::Corrupt { .. })
        ));
    }

    #[test]
    fn a_record_under_another_mac_is_corrupt() {
        let store = SqliteStore::open_in_memory().unwrap();
        let text = encode(&entry(1, EntryState::Hello)).unwrap();
        store
            .conn()
            .execute(
                "INSERT INTO smi_proxy_clients (mac, record) VALUES (?1, ?2)",
                params![[9u8, 9, 9, 9, 9, 9].as_slice(), text],
            )
            .unwrap();
        assert!(matches!(
            store.proxy_clients(),
            Err(StoreError::Corrupt {
                column: "smi_proxy_clients.record",
                ..
            })
        ));
    }
}
