//! [`DirectorStore`] on SQLite: `director_clients` (schema version 3), one row per client with
//! its MAC, index and whole record; a batch is one transaction.

use rusqlite::params;

use crate::roles::director::Client;
use crate::store::director::{DirectorStore, decode, encode};
use crate::store::{SqliteStore, StoreError};

impl DirectorStore for SqliteStore {
    fn director_clients(&self) -> Result<Vec<Client>, StoreError> {
        self.load_records(
            "list director clients",
            "SELECT record, mac, idx FROM director_clients ORDER BY idx",
            "director_clients.record",
            decode,
            |client, row| {
                Ok(row.get::<_, Vec<u8>>(1)? == client.mac
                    && row.get::<_, i64>(2)? == i64::from(client.index))
            },
        )
    }

    fn save_director_clients(&mut self, clients: &[Client]) -> Result<(), StoreError> {
        let encoded = clients
            .iter()
            .map(|c| encode(c).map(|text| (c, text)))
            .collect::<Result<Vec<_>, _>>()?;
        self.write("save director clients", |tx| {
            let mut upsert = tx.prepare_cached(
                "INSERT INTO director_clients (mac, idx, record) VALUES (?1, ?2, ?3)
                 ON CONFLICT (mac) DO UPDATE SET idx = excluded.idx, record = excluded.record",
            )?;
            for (client, text) in &encoded {
                upsert.execute(params![client.mac.as_slice(), client.index, text])?;
            }
            Ok(())
        })
    }

    fn remove_director_client(&mut self, mac: &[u8; 6]) -> Result<bool, StoreError> {
        let mut removed = false;
        self.write("remove a director client", |tx| {
            removed = tx.execute(
                "DELETE FROM director_clients WHERE mac = ?1",
                [mac.as_slice()],
            )? > 0;
            Ok(())
        })?;
        Ok(removed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::join::JoinState;
    use crate::roles::director::{ArtifactStatus, Download, DownloadMethod};

    fn client(index: u32, last: u8) -> Client {
        let mut c = Client::new(
            index,
            [0, 0x1d, 0x71, 0xba, 0xf7, last],
            JoinState::Hold,
            crate::clock::now_utc(),
        );
        c.pid = Some("WS-C2960X-48FPD-L".into());
        c.download = Some(Download {
            method: DownloadMethod::ZeroTouch,
            image: ArtifactStatus::Failed {
                reason: "TFTP timeout".into(),
            },
            config: ArtifactStatus::Upgrading,
            script: ArtifactStatus::NotRequested,
            started: crate::clock::now_utc(),
        });
        c
    }

    #[test]
    fn clients_survive_a_reopen_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("z.db");
        let saved = vec![client(2, 2), client(1, 1)];
        SqliteStore::open(&path)
            .unwrap()
            .save_director_clients(&saved)
            .unwrap();
        let store = SqliteStore::open(&path).unwrap();
        let loaded = store.director_clients().unwrap();
        assert_eq!(loaded, vec![saved[1].clone(), saved[0].clone()]);
    }

    #[test]
    fn an_index_taken_by_another_mac_writes_nothing() {
        let mut store = SqliteStore::open_in_memory().unwrap();
        store.save_director_clients(&[client(1, 1)]).unwrap();
        let mut changed = client(1, 1);
        changed.hostname = Some("new".into());
        assert!(
            store
                .save_director_clients(&[changed, client(1, 2)])
                .is_err()
        );
        let loaded = store.director_clients().unwrap();
        assert_eq!((loaded.len(), loaded[0].hostname.clone()), (1, None));
        assert!(store.remove_director_client(&loaded[0].mac).unwrap());
        assert!(!store.remove_director_client(&loaded[0].mac).unwrap());
        assert!(store.director_clients().unwrap().is_empty());
    }

    #[test]
    fn unreadable_records_are_corrupt_not_panics() {
        let store = SqliteStore::open_in_memory().unwrap();
        store
            .conn()
            .execute(
                "INSERT INTO director_clients (mac, idx, record) VALUES (?1, 1, '{\"index\":')",
                [[1u8, 2, 3, 4, 5, 6].as_slice()],
            )
            .unwrap();
        assert!(matches!(
            store.director_clients(),
            Err(StoreError::Corrupt { .. })
        ));
    }
}
