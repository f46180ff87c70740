use chrono::TimeZone;

use super::*;

fn at(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_790_000_000 + secs, 0).unwrap()
}

fn open(dir: &tempfile::TempDir) -> Arc<Mutex<SqliteStore>> {
    Arc::new(Mutex::new(
        SqliteStore::open(&dir.path().join("state.db")).unwrap(),
    ))
}

fn entry(serial: &str, state: DeviceState, seq: u64) -> DeviceEntry {
    let mut e = DeviceEntry::new(
        serial,
        "C9300-24T",
        &format!("PID:C9300-24T,VID:V01,SN:{serial}"),
        at(0),
    );
    e.state = state;
    e.profile = Some("edge".into());
    e.ctx.seq = seq;
    e.ctx.step = 2;
    e
}

fn note(state: &str, text: &str) -> PnpHistoryEntry {
    PnpHistoryEntry {
        at: at(1),
        state: state.into(),
        note: text.into(),
    }
}

/// Makes the store refuse (or accept again) every write.
async fn read_only(store: &Arc<Mutex<SqliteStore>>, on: bool) {
    store
        .lock()
        .await
        .conn()
        .pragma_update(None, "query_only", on)
        .unwrap();
}

async fn stored(store: &Arc<Mutex<SqliteStore>>, serial: &str) -> Option<DeviceEntry> {
    let rec = store.lock().await.pnp_device(serial).unwrap();
    rec.map(DeviceEntry::from_record)
}

#[tokio::test]
async fn committed_save_is_stored_when_it_returns() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let devices = Directory::load(Arc::clone(&store)).await.unwrap();
    let (_stop, rx) = watch::channel(false);
    tokio::spawn(Arc::clone(&devices).run_writer(rx));
    let e = entry("FOC1", DeviceState::CliRunning, 3);
    devices
        .save(
            &e,
            Some(note("CLI_RUNNING", "started")),
            Durability::Committed,
        )
        .await
        .unwrap();
    assert_eq!(stored(&store, "FOC1").await, Some(e));
    let history = store.lock().await.pnp_history("FOC1", 10).unwrap();
    assert_eq!(history, vec![note("CLI_RUNNING", "started")]);
}

#[tokio::test]
async fn deferred_changes_are_coalesced_and_written_behind() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let devices = Directory::load(Arc::clone(&store)).await.unwrap();
    for seq in 1..=50 {
        let e = entry("FOC1", DeviceState::CliRunning, seq);
        devices.save(&e, None, Durability::Deferred).await.unwrap();
    }
    // Nothing reaches the store before the writer runs; then only the newest change does.
    assert_eq!(stored(&store, "FOC1").await, None);
    assert_eq!(devices.dirty.lock().await.records.len(), 1);
    let (_stop, rx) = watch::channel(false);
    tokio::spawn(Arc::clone(&devices).run_writer(rx));
    let mut found = None;
    for _ in 0..50 {
        tokio::time::sleep(FLUSH_INTERVAL / 2).await;
        found = stored(&store, "FOC1").await;
        if found.is_some() {
            break;
        }
    }
    assert_eq!(found.map(|e| e.ctx.seq), Some(50));
}

#[tokio::test]
async fn a_failed_batch_is_kept_and_newer_changes_win() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let devices = Directory::load(Arc::clone(&store)).await.unwrap();
    devices
        .save(
            &entry("FOC1", DeviceState::CliRunning, 1),
            Some(note("CLI_RUNNING", "first")),
            Durability::Deferred,
        )
        .await
        .unwrap();
    read_only(&store, true).await;
    assert!(
        !devices.write_batch().await,
        "a read-only store fails the batch"
    );
    assert_eq!(*devices.committed.borrow(), 0);
    // A newer change of the same device arrives while the batch waits to be retried.
    devices
        .save(
            &entry("FOC1", DeviceState::Finished, 2),
            Some(note("FINISHED", "second")),
            Durability::Deferred,
        )
        .await
        .unwrap();
    read_only(&store, false).await;
    assert!(devices.write_batch().await);
    let e = stored(&store, "FOC1").await.unwrap();
    assert_eq!((e.state, e.ctx.seq), (DeviceState::Finished, 2));
    let notes: Vec<String> = store
        .lock()
        .await
        .pnp_history("FOC1", 10)
        .unwrap()
        .into_iter()
        .map(|h| h.note)
        .collect();
    assert_eq!(notes, ["first", "second"]);
    assert!(*devices.committed.borrow() >= 2);
}

#[tokio::test]
async fn load_restores_every_stored_device() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let mut e = entry("FOC2", DeviceState::Failed("image: 1816".into()), 9);
    e.ctx.running_version = Some("17.3.4a".into());
    e.approved = true;
    store
        .lock()
        .await
        .save_pnp_device(&e.record(), None)
        .unwrap();
    let devices = Directory::load(Arc::clone(&store)).await.unwrap();
    assert_eq!(devices.records().await.len(), 1);
    let slot = devices.device("FOC2").await.unwrap();
    assert_eq!(*slot.lock().await, e);
    assert!(devices.device("FOC3").await.is_none());
}

#[tokio::test]
async fn stopping_the_writer_stores_what_is_queued() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let devices = Directory::load(Arc::clone(&store)).await.unwrap();
    let (stop, rx) = watch::channel(false);
    let writer = tokio::spawn(Arc::clone(&devices).run_writer(rx));
    let slot = devices
        .device_or_insert("FOC4", || entry("FOC4", DeviceState::New, 0))
        .await
        .unwrap();
    let e = slot.lock().await.clone();
    devices.save(&e, None, Durability::Deferred).await.unwrap();
    stop.send(true).unwrap();
    writer.await.unwrap();
    assert_eq!(stored(&store, "FOC4").await, Some(e));
}

#[tokio::test]
async fn insertion_keeps_the_first_entry_of_a_serial() {
    let dir = tempfile::tempdir().unwrap();
    let devices = Directory::load(open(&dir)).await.unwrap();
    let a = devices
        .device_or_insert("FOC5", || entry("FOC5", DeviceState::New, 1))
        .await
        .unwrap();
    let b = devices
        .device_or_insert("FOC5", || entry("FOC5", DeviceState::New, 2))
        .await
        .unwrap();
    assert!(Arc::ptr_eq(&a, &b));
    assert_eq!(b.lock().await.ctx.seq, 1);
    assert_eq!(devices.records().await.len(), 1);
}

#[test]
fn unknown_stored_values_start_the_device_over() {
    let mut rec = entry("FOC6", DeviceState::CliRunning, 4).record();
    rec.state = "FROM_A_NEWER_VERSION".into();
    rec.context = serde_json::json!({"step": "not a number"});
    let e = DeviceEntry::from_record(rec);
    assert_eq!((e.state, e.ctx), (DeviceState::New, Context::default()));
}
