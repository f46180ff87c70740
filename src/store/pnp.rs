//! Persistent state of PnP devices: one record per serial number (identity, named workflow state,
//! chosen profile and plan position, operator approval, last contact, workflow context) and an
//! append-only history of state changes, so a device's onboarding survives a gateway restart and
//! operators can see what happened.
//!
//! Trust: records are written by the PnP server role from authenticated (or policy-allowed)
//! identities and by operators through the admin API; values read back are checked.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::store::{MemoryStore, StoreError};

/// The most history entries kept per device in memory; SQLite keeps all.
pub const MAX_MEMORY_HISTORY: usize = 1_000;

/// What the gateway remembers about one PnP device.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct PnpDeviceRecord {
    /// Serial number (the key).
    pub serial: String,
    /// Product ID.
    pub pid: String,
    /// Last UDI the device presented (`PID:…,VID:…,SN:…`).
    pub udi: String,
    /// Named workflow state, e.g. `IMAGE_INSTALLING`, `FINISHED`, `FAILED(<error>)`.
    pub state: String,
    /// Profile whose plan runs, once chosen.
    pub profile: Option<String>,
    /// Position in the plan (index of the current step).
    pub step: u32,
    /// Whether an operator approved the device (released it from the unclaimed list).
    pub approved: bool,
    /// When the device last asked for work.
    pub last_contact: DateTime<Utc>,
    /// Workflow context (pending request, nonce, reload in progress, …), as JSON.
    pub context: serde_json::Value,
}

/// One state change of a device.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct PnpHistoryEntry {
    /// When it happened.
    pub at: DateTime<Utc>,
    /// The state entered.
    pub state: String,
    /// What happened.
    pub note: String,
}

/// Storage of PnP device records.
pub trait PnpStore: Send {
    /// The record of `serial`, if the device has been seen.
    fn pnp_device(&self, serial: &str) -> Result<Option<PnpDeviceRecord>, StoreError>;

    /// Every record, by serial number.
    fn pnp_devices(&self) -> Result<Vec<PnpDeviceRecord>, StoreError> {
        let mut records = Vec::new();
        let mut corrupt = None;
        self.visit_pnp_devices(&mut |mut rec, text| {
            if corrupt.is_some() {
                return;
            }
            match parse_context(text) {
                Ok(context) => {
                    rec.context = context;
                    records.push(rec);
                }
                Err(e) => corrupt = Some(e),
            }
        })?;
        corrupt.map_or(Ok(records), Err)
    }

    /// Calls `f` with every record, by serial number, one at a time: the record's `context` is
    /// left `Null` and its stored JSON text is passed beside it, for loaders that parse it into
    /// their own type without holding every record at once.
    fn visit_pnp_devices(&self, f: &mut dyn FnMut(PnpDeviceRecord, &str))
    -> Result<(), StoreError>;

    /// Writes `record` (insert or replace) and, if given, appends `history`, in one transaction.
    fn save_pnp_device(
        &mut self,
        record: &PnpDeviceRecord,
        history: Option<&PnpHistoryEntry>,
    ) -> Result<(), StoreError> {
        let history: Vec<_> = history
            .map(|h| (record.serial.clone(), h.clone()))
            .into_iter()
            .collect();
        self.save_pnp_batch(std::slice::from_ref(record), &history)
    }

    /// Writes every record (insert or replace) and appends every history entry (serial, entry),
    /// all in one transaction: either all of it is stored or none.
    fn save_pnp_batch(
        &mut self,
        records: &[PnpDeviceRecord],
        history: &[(String, PnpHistoryEntry)],
    ) -> Result<(), StoreError>;

    /// The newest `limit` history entries of `serial`, oldest first.
    fn pnp_history(&self, serial: &str, limit: usize) -> Result<Vec<PnpHistoryEntry>, StoreError>;
}

/// A stored workflow context (JSON text) as a value; unreadable text is [`StoreError::Corrupt`].
pub(crate) fn parse_context(text: &str) -> Result<serde_json::Value, StoreError> {
    serde_json::from_str(text).map_err(|_| StoreError::Corrupt {
        column: "pnp_devices.context",
        value: text.chars().take(64).collect(),
    })
}

// === impl MemoryStore ===

/// In-memory PnP records, part of [`MemoryStore`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MemoryPnp {
    devices: BTreeMap<String, PnpDeviceRecord>,
    history: BTreeMap<String, Vec<PnpHistoryEntry>>,
}

impl PnpStore for MemoryStore {
    fn pnp_device(&self, serial: &str) -> Result<Option<PnpDeviceRecord>, StoreError> {
        Ok(self.pnp.devices.get(serial).cloned())
    }

    fn visit_pnp_devices(
        &self,
        f: &mut dyn FnMut(PnpDeviceRecord, &str),
    ) -> Result<(), StoreError> {
        for rec in self.pnp.devices.values() {
            let text = rec.context.to_string();
            let mut rec = rec.clone();
            rec.context = serde_json::Value::Null;
            f(rec, &text);
        }
        Ok(())
    }

    fn save_pnp_batch(
        &mut self,
        records: &[PnpDeviceRecord],
        history: &[(String, PnpHistoryEntry)],
    ) -> Result<(), StoreError> {
        for record in records {
            self.pnp
                .devices
                .insert(record.serial.clone(), record.clone());
        }
        for (serial, entry) in history {
            let list = self.pnp.history.entry(serial.clone()).or_default();
            list.push(entry.clone());
            if list.len() > MAX_MEMORY_HISTORY {
                list.remove(0);
            }
        }
        Ok(())
    }

    fn pnp_history(&self, serial: &str, limit: usize) -> Result<Vec<PnpHistoryEntry>, StoreError> {
        let list = self.pnp.history.get(serial).map_or(&[][..], Vec::as_slice);
        Ok(list[list.len().saturating_sub(limit)..].to_vec())
    }
}
