//! An in-memory [`Store`] for unit tests and dry runs: plain fields, no locking (writes take
//! `&mut self`), nothing persisted.

use std::collections::BTreeMap;

use crate::policy::join::{ClientOverride, Mac, ManualWindow};
use crate::store::{Store, StoreError, migrations};

/// State held in memory only.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MemoryStore {
    manual: Option<ManualWindow>,
    clients: BTreeMap<Mac, ClientOverride>,
    pub(crate) pnp: crate::store::pnp::MemoryPnp,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }
}

impl Store for MemoryStore {
    fn manual_window(&self) -> Result<Option<ManualWindow>, StoreError> {
        Ok(self.manual)
    }

    fn set_manual_window(&mut self, window: Option<ManualWindow>) -> Result<(), StoreError> {
        self.manual = window;
        Ok(())
    }

    fn client_override(&self, mac: &Mac) -> Result<Option<ClientOverride>, StoreError> {
        Ok(self.clients.get(mac).copied())
    }

    fn set_client_override(
        &mut self,
        mac: &Mac,
        state: Option<ClientOverride>,
    ) -> Result<(), StoreError> {
        match state {
            Some(state) => self.clients.insert(*mac, state),
            None => self.clients.remove(mac),
        };
        Ok(())
    }

    fn client_overrides(&self) -> Result<Vec<(Mac, ClientOverride)>, StoreError> {
        Ok(self.clients.iter().map(|(m, s)| (*m, *s)).collect())
    }

    /// The schema version whose behaviour this store mirrors.
    fn schema_version(&self) -> Result<u32, StoreError> {
        Ok(migrations::latest_version())
    }
}
