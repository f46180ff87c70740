//! Storage of the SMI Proxy database (`crate::roles::smi_proxy::proxy_db`): one record per proxied
//! client, keyed by MAC address, restored at start. As the reference documents ("Clearing this
//! database is disallowed"), the trait has no delete method at all, and the SQLite table refuses
//! deletes with a trigger.
//!
//! Trust: records come from the proxy role (client-supplied strings already bounded); stored JSON
//! that no longer parses, or a record stored under another MAC, is a [`StoreError::Corrupt`],
//! never a panic.

use crate::roles::smi_proxy::proxy_db::ProxyEntry;
use crate::store::StoreError;

/// The SMI proxy's clients. Insert-or-replace only; nothing is ever removed.
pub trait ProxyStore: Send {
    /// Every client, by MAC.
    fn proxy_clients(&self) -> Result<Vec<ProxyEntry>, StoreError>;

    /// Inserts or replaces `entries` (by MAC) in one transaction.
    fn save_proxy_clients(&mut self, entries: &[ProxyEntry]) -> Result<(), StoreError>;
}

/// The record's JSON text.
pub(crate) fn encode(entry: &ProxyEntry) -> Result<String, StoreError> {
    serde_json::to_string(entry).map_err(|e| StoreError::Corrupt {
        column: "smi_proxy_clients.record",
        value: e.to_string(),
    })
}

/// A record from its JSON text.
pub(crate) fn decode(text: &str) -> Result<ProxyEntry, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt {
        column: "smi_proxy_clients.record",
        value: format!("{e}: {}", text.chars().take(80).collect::<String>()),
    })
}
