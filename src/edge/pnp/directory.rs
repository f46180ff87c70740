//! The PnP server's device directory: every known device in memory, each behind its own lock,
//! written to the store behind the exchanges in batched transactions (group commit).
//!
//! Why: one SQLite transaction (and one fsync) per PnP message serialises every device on the
//! disk. Here a message touches only its device's entry; the writer task coalesces the entries
//! changed since its last run into one transaction every [`FLUSH_INTERVAL`].
//!
//! What a crash can lose: progress *inside* a state (last contact, the correlator in flight, the
//! position inside a CLI list) younger than [`FLUSH_INTERVAL`] — the device then repeats its
//! current step. Every state change and every history note is [`Durability::Committed`]: the
//! device sees the reply only after the transaction holding it has committed (many exchanges
//! share one commit). A write that fails is kept and retried; nothing is half-written.
//!
//! Trust: entries are written by the PnP server from authenticated (or policy-allowed)
//! identities and by operators; values loaded from the store are the gateway's own, read through
//! the checks of [`crate::store::pnp`]. The number of devices is capped ([`MAX_DEVICES`]).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::{Mutex, Notify, RwLock, watch};

use crate::roles::pnp_server::state::{Context, DeviceState};
use crate::store::pnp::{PnpDeviceRecord, PnpHistoryEntry, PnpStore};
use crate::store::{SqliteStore, StoreError};

/// Longest time a change waits before the writer stores it.
pub const FLUSH_INTERVAL: Duration = Duration::from_millis(200);

/// Longest time an exchange waits for its commit before it answers 503 (the device retries).
pub const COMMIT_TIMEOUT: Duration = Duration::from_secs(5);

/// Most devices the directory holds; a new device beyond it is refused.
pub const MAX_DEVICES: usize = 1_000_000;

/// One device as the PnP server works on it.
#[derive(Clone, Debug, PartialEq)]
pub struct DeviceEntry {
    /// Serial number (the key).
    pub serial: String,
    /// Product ID.
    pub pid: String,
    /// Last UDI presented.
    pub udi: String,
    /// Workflow state.
    pub state: DeviceState,
    /// Profile whose plan runs, once chosen.
    pub profile: Option<String>,
    /// Released by an operator.
    pub approved: bool,
    /// Last message.
    pub last_contact: DateTime<Utc>,
    /// Workflow context.
    pub ctx: Context,
}

impl DeviceEntry {
    /// A device seen for the first time.
    pub fn new(serial: &str, pid: &str, udi: &str, now: DateTime<Utc>) -> Self {
        Self {
            serial: serial.to_owned(),
            pid: pid.to_owned(),
            udi: udi.to_owned(),
            state: DeviceState::New,
            profile: None,
            approved: false,
            last_contact: now,
            ctx: Context::default(),
        }
    }

    /// The entry of a stored record. An unknown state name or an unreadable context (written by
    /// another version) starts the device over rather than guessing.
    pub fn from_record(mut rec: PnpDeviceRecord) -> Self {
        let ctx = match std::mem::take(&mut rec.context) {
            serde_json::Value::Null => Ok(Context::default()),
            value => serde_json::from_value(value),
        };
        Self::with_context(rec, ctx)
    }

    /// The entry of a record whose context is still the stored JSON text.
    pub fn from_stored(rec: PnpDeviceRecord, context: &str) -> Self {
        let ctx = match context {
            "null" | "" => Ok(Context::default()),
            text => serde_json::from_str(text),
        };
        Self::with_context(rec, ctx)
    }

    fn with_context(rec: PnpDeviceRecord, ctx: Result<Context, serde_json::Error>) -> Self {
        let state = rec.state.parse().unwrap_or_else(|_| {
            tracing::warn!(serial = %rec.serial, state = %rec.state, "unknown stored PnP state");
            DeviceState::New
        });
        let ctx = ctx.unwrap_or_else(|_| {
            tracing::warn!(serial = %rec.serial, "unreadable stored PnP context");
            Context::default()
        });
        Self {
            serial: rec.serial,
            pid: rec.pid,
            udi: rec.udi,
            state,
            profile: rec.profile,
            approved: rec.approved,
            last_contact: rec.last_contact,
            ctx,
        }
    }

    /// The record as stored and shown.
    pub fn record(&self) -> PnpDeviceRecord {
        PnpDeviceRecord {
            serial: self.serial.clone(),
            pid: self.pid.clone(),
            udi: self.udi.clone(),
            state: self.state.to_string(),
            profile: self.profile.clone(),
            step: u32::try_from(self.ctx.step).unwrap_or(u32::MAX),
            approved: self.approved,
            last_contact: self.last_contact,
            context: serde_json::to_value(&self.ctx).unwrap_or(serde_json::Value::Null),
        }
    }
}

/// How soon a change must be on disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Durability {
    /// Stored by the writer's next run.
    Deferred,
    /// Committed before `save` returns.
    Committed,
}

/// Why the directory could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    /// Loading from the store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The change was not committed in time (the store keeps failing or is stuck).
    #[error("the state store did not commit within {0:?}")]
    CommitTimeout(Duration),
    /// The writer has stopped (the gateway is shutting down).
    #[error("the state writer has stopped")]
    WriterStopped,
    /// [`MAX_DEVICES`] reached.
    #[error("device directory full ({MAX_DEVICES} devices)")]
    Full,
}

/// Changes not yet stored.
#[derive(Default)]
struct Dirty {
    /// Generation of the batch being filled.
    generation: u64,
    records: HashMap<String, DeviceEntry>,
    history: Vec<(String, PnpHistoryEntry)>,
}

/// Every known PnP device; see the module docs.
pub struct Directory {
    devices: RwLock<HashMap<Box<str>, Arc<Mutex<DeviceEntry>>>>,
    dirty: Mutex<Dirty>,
    wake: Notify,
    /// The newest generation whose batch (and all before it) is committed.
    committed: watch::Sender<u64>,
    store: Arc<Mutex<SqliteStore>>,
}

impl Directory {
    /// Loads every stored device.
    pub async fn load(store: Arc<Mutex<SqliteStore>>) -> Result<Arc<Self>, DirectoryError> {
        let mut devices = HashMap::new();
        store.lock().await.visit_pnp_devices(&mut |rec, context| {
            let e = DeviceEntry::from_stored(rec, context);
            devices.insert(e.serial.clone().into_boxed_str(), Arc::new(Mutex::new(e)));
        })?;
        devices.shrink_to_fit();
        let (committed, _) = watch::channel(0);
        Ok(Arc::new(Self {
            devices: RwLock::new(devices),
            dirty: Mutex::new(Dirty {
                generation: 1,
                ..Dirty::default()
            }),
            wake: Notify::new(),
            committed,
            store,
        }))
    }

    /// The entry of `serial`, if known.
    pub async fn device(&self, serial: &str) -> Option<Arc<Mutex<DeviceEntry>>> {
        self.devices.read().await.get(serial).cloned()
    }

    /// The entry of `serial`, created by `make` when unknown (not stored until saved).
    pub async fn device_or_insert(
        &self,
        serial: &str,
        make: impl FnOnce() -> DeviceEntry,
    ) -> Result<Arc<Mutex<DeviceEntry>>, DirectoryError> {
        if let Some(found) = self.device(serial).await {
            return Ok(found);
        }
        let mut devices = self.devices.write().await;
        if let Some(found) = devices.get(serial) {
            return Ok(Arc::clone(found));
        }
        if devices.len() >= MAX_DEVICES {
            return Err(DirectoryError::Full);
        }
        let entry = Arc::new(Mutex::new(make()));
        devices.insert(serial.into(), Arc::clone(&entry));
        Ok(entry)
    }

    /// Every device's record, by serial number.
    pub async fn records(&self) -> Vec<PnpDeviceRecord> {
        let entries: Vec<_> = self.devices.read().await.values().cloned().collect();
        let mut out = Vec::with_capacity(entries.len());
        for e in entries {
            out.push(e.lock().await.record());
        }
        out.sort_by(|a, b| a.serial.cmp(&b.serial));
        out
    }

    /// Queues `entry` (and `history`) for the store. Call it while holding the entry's lock, so
    /// a device's changes reach the store in order.
    pub async fn save(
        &self,
        entry: &DeviceEntry,
        history: Option<PnpHistoryEntry>,
        durability: Durability,
    ) -> Result<(), DirectoryError> {
        let generation = {
            let mut dirty = self.dirty.lock().await;
            dirty.records.insert(entry.serial.clone(), entry.clone());
            dirty
                .history
                .extend(history.map(|h| (entry.serial.clone(), h)));
            dirty.generation
        };
        match durability {
            Durability::Deferred => Ok(()),
            Durability::Committed => self.committed_through(generation).await,
        }
    }

    /// Stores everything queued so far; returns once it is committed.
    pub async fn flush(&self) -> Result<(), DirectoryError> {
        let generation = self.dirty.lock().await.generation;
        self.committed_through(generation).await
    }

    async fn committed_through(&self, generation: u64) -> Result<(), DirectoryError> {
        let mut rx = self.committed.subscribe();
        self.wake.notify_one();
        match tokio::time::timeout(COMMIT_TIMEOUT, rx.wait_for(|c| *c >= generation)).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(_)) => Err(DirectoryError::WriterStopped),
            Err(_) => Err(DirectoryError::CommitTimeout(COMMIT_TIMEOUT)),
        }
    }

    /// The writer: stores queued changes every [`FLUSH_INTERVAL`] or when an exchange waits for
    /// a commit, until `stop` turns true; then stores what is left.
    pub async fn run_writer(self: Arc<Self>, mut stop: watch::Receiver<bool>) {
        loop {
            let stopping = tokio::select! {
                _ = self.wake.notified() => false,
                _ = tokio::time::sleep(FLUSH_INTERVAL) => false,
                _ = stop.changed() => true,
            };
            let stored = self.write_batch().await;
            if stopping || *stop.borrow() {
                if !stored {
                    // One more attempt before giving up on the queued changes.
                    let _ = self.write_batch().await;
                }
                return;
            }
            if !stored {
                tokio::time::sleep(FLUSH_INTERVAL).await;
            }
        }
    }

    /// Writes the queued batch in one transaction; `false` when it failed (the batch is queued
    /// again, behind newer changes of the same devices).
    async fn write_batch(&self) -> bool {
        let (generation, records, history) = {
            let mut dirty = self.dirty.lock().await;
            let generation = dirty.generation;
            dirty.generation += 1;
            (
                generation,
                std::mem::take(&mut dirty.records),
                std::mem::take(&mut dirty.history),
            )
        };
        if records.is_empty() && history.is_empty() {
            self.committed.send_replace(generation);
            return true;
        }
        let rows: Vec<PnpDeviceRecord> = records.values().map(DeviceEntry::record).collect();
        let store = Arc::clone(&self.store);
        let notes = history.clone();
        let result = tokio::task::spawn_blocking(move || {
            store.blocking_lock().save_pnp_batch(&rows, &notes)
        })
        .await;
        match result {
            Ok(Ok(())) => {
                self.committed.send_replace(generation);
                true
            }
            Ok(Err(err)) => {
                tracing::error!(%err, "cannot store PnP device state; will retry");
                self.requeue(records, history).await;
                false
            }
            Err(err) => {
                tracing::error!(%err, "PnP state writer task failed; will retry");
                self.requeue(records, history).await;
                false
            }
        }
    }

    /// Puts a failed batch back: newer changes of a device win, history keeps its order.
    async fn requeue(
        &self,
        records: HashMap<String, DeviceEntry>,
        mut history: Vec<(String, PnpHistoryEntry)>,
    ) {
        let mut dirty = self.dirty.lock().await;
        for (serial, entry) in records {
            dirty.records.entry(serial).or_insert(entry);
        }
        history.append(&mut dirty.history);
        dirty.history = history;
    }
}

#[cfg(test)]
mod tests;
