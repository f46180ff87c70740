use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use chrono::TimeZone;

use super::*;
use crate::audit::ChainErrorKind;

fn t(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_900_000_000 + secs, 5_000_000).unwrap()
}

fn entry(n: u64) -> AuditEntry {
    AuditEntry::operator("admin", "test.action", serde_json::json!({ "n": n }))
}

#[test]
fn creates_log_0600_and_appends_a_verifiable_chain() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    let mut log = AuditLog::open(&path, FsyncPolicy::Always).unwrap();
    assert_eq!(log.head().seq, 0);
    let mut last = None;
    for n in 1..=3 {
        last = Some(log.append(entry(n), t(i64::try_from(n).unwrap())).unwrap());
    }
    let last = last.unwrap();
    assert_eq!(last.seq, 3);
    assert_eq!(log.head(), last);
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let summary = verify_file(&path).unwrap();
    assert_eq!((summary.records, summary.head_hash), (3, last.hash));
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.contains("\"ts\":\"2030-03-17T17:46:41.005Z\""),
        "{text}"
    );
}

#[test]
fn reopening_continues_the_chain() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    let first = {
        let mut log = AuditLog::open(&path, FsyncPolicy::Always).unwrap();
        log.append(entry(1), t(1)).unwrap();
        log.append(entry(2), t(2)).unwrap()
    };
    let mut log = AuditLog::open(&path, FsyncPolicy::Always).unwrap();
    assert_eq!(log.head(), first);
    let next = log.append(entry(3), t(3)).unwrap();
    assert_eq!(next.seq, 3);
    assert_eq!(verify_file(&path).unwrap().head_hash, next.hash);
}

#[test]
fn refuses_to_append_to_a_broken_log() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    {
        let mut log = AuditLog::open(&path, FsyncPolicy::Always).unwrap();
        for n in 1..=3 {
            log.append(entry(n), t(0)).unwrap();
        }
    }
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replacen("\"n\":2", "\"n\":7", 1)).unwrap();
    match AuditLog::open(&path, FsyncPolicy::Always) {
        Err(err @ AuditError::Broken { .. }) => {
            let msg = err.to_string();
            assert!(msg.contains(":2: record seq 2: content hashes to"), "{msg}");
            assert!(msg.contains("refusing to append"), "{msg}");
        }
        other => panic!("expected Broken, got {other:?}"),
    }
    assert_eq!(std::fs::read_to_string(&path).unwrap().lines().count(), 3);
}

#[test]
fn refuses_a_log_whose_last_write_was_cut_short() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    {
        let mut log = AuditLog::open(&path, FsyncPolicy::Always).unwrap();
        log.append(entry(1), t(0)).unwrap();
        log.append(entry(2), t(0)).unwrap();
    }
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, &text[..text.len() - 20]).unwrap();
    let Err(AuditError::Broken { error, .. }) = AuditLog::open(&path, FsyncPolicy::Always) else {
        panic!("expected Broken");
    };
    assert_eq!((error.line, error.kind), (2, ChainErrorKind::Truncated));
}

#[test]
fn interval_policy_syncs_when_the_interval_has_passed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    let every = FsyncPolicy::Interval(Duration::from_secs(10));
    let mut log = AuditLog::open(&path, every).unwrap();
    log.append(entry(1), t(0)).unwrap();
    assert!(!log.unsynced, "first record syncs");
    log.append(entry(2), t(5)).unwrap();
    assert!(log.unsynced, "within the interval: not yet");
    log.append(entry(3), t(10)).unwrap();
    assert!(!log.unsynced, "interval reached");
    log.append(entry(4), t(11)).unwrap();
    assert!(log.unsynced);
    log.flush().unwrap();
    assert!(!log.unsynced);
    log.append(entry(5), t(3)).unwrap();
    assert!(!log.unsynced, "a clock that went backwards syncs");
}

#[test]
fn always_policy_syncs_every_record() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = AuditLog::open(&dir.path().join("a.jsonl"), FsyncPolicy::Always).unwrap();
    log.append(entry(1), t(0)).unwrap();
    log.append(entry(2), t(0)).unwrap();
    assert!(!log.unsynced);
}

#[test]
fn deferred_appends_wait_for_one_commit() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.jsonl");
    let mut log = AuditLog::open(&path, FsyncPolicy::Always).unwrap();
    assert_eq!(log.fsync_policy(), FsyncPolicy::Always);
    log.append_deferred(entry(1), t(0)).unwrap();
    let last = log.append_deferred(entry(2), t(0)).unwrap();
    assert!(log.unsynced, "not synced before the commit");
    log.commit(t(0)).unwrap();
    assert!(!log.unsynced);
    log.commit(t(1)).unwrap();
    assert_eq!(verify_file(&path).unwrap().head_hash, last.hash);
}

#[test]
fn rejects_oversized_records_without_writing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    let mut log = AuditLog::open(&path, FsyncPolicy::Always).unwrap();
    let big = AuditEntry::operator(
        "admin",
        "x",
        serde_json::json!("a".repeat(MAX_RECORD_BYTES)),
    );
    assert!(matches!(
        log.append(big, t(0)),
        Err(AuditError::RecordTooLarge { .. })
    ));
    assert_eq!(std::fs::metadata(&path).unwrap().len(), 0);
    assert_eq!(log.append(entry(1), t(0)).unwrap().seq, 1);
}

#[test]
fn verifier_reports_overlong_line_without_reading_it_whole() {
    let mut bytes = vec![b'{'; MAX_RECORD_BYTES * 3];
    bytes.push(b'\n');
    let err = verify_reader(&bytes[..]).unwrap_err();
    let VerifyError::Chain(err) = err else {
        panic!("expected a chain error");
    };
    assert_eq!(err.line, 1);
    assert!(matches!(err.kind, ChainErrorKind::TooLong { .. }));
}
