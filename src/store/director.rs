//! Storage of the Smart Install director database: one record per client, keyed by MAC address,
//! with its stable `DevNo` index. Records are stored whole (JSON), so a restart restores every
//! field, download status included (unlike the Cisco director, nothing is lost).
//!
//! Trust: records come from the director role (client-supplied strings already bounded); stored
//! JSON that no longer parses is a [`StoreError::Corrupt`], never a panic.

use crate::roles::director::Client;
use crate::store::StoreError;

/// The director's clients.
pub trait DirectorStore: Send {
    /// Every client, by index.
    fn director_clients(&self) -> Result<Vec<Client>, StoreError>;

    /// Inserts or replaces `clients` (by MAC) in one transaction. An index already used by
    /// another MAC is an error and nothing is written.
    fn save_director_clients(&mut self, clients: &[Client]) -> Result<(), StoreError>;

    /// Removes the client with `mac`; whether it existed.
    fn remove_director_client(&mut self, mac: &[u8; 6]) -> Result<bool, StoreError>;
}

/// The record's JSON text.
pub(crate) fn encode(client: &Client) -> Result<String, StoreError> {
    serde_json::to_string(client).map_err(|e| StoreError::Corrupt {
        column: "director_clients.record",
        value: e.to_string(),
    })
}

/// A record from its JSON text.
pub(crate) fn decode(text: &str) -> Result<Client, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt {
        column: "director_clients.record",
        value: format!("{e}: {}", text.chars().take(80).collect::<String>()),
    })
}
