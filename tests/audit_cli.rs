//! `ztpgate audit verify` on a real log written through `AuditLog`: the intact log passes, each
//! kind of tampering fails with exit 1 and the right line and record named, `--head` catches tail
//! truncation, and a reopened log continues its chain.

// Test helpers outside #[test] functions: a panic is the failure report.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{s, stdout, ztpgate};

use std::path::{Path, PathBuf};
use std::process::Output;

use chrono::{TimeZone, Utc};
use ztpgate::audit::{AuditEntry, AuditLog, RecordId};
use ztpgate::config::FsyncPolicy;
use ztpgate::policy::access::AccessVerdict;
use ztpgate::policy::{Area, Decision, Mode, RuleRef};

const RECORDS: usize = 6;

/// A temp dir with `audit.jsonl` holding [`RECORDS`] records, decisions and operator actions.
struct Log {
    dir: tempfile::TempDir,
    path: PathBuf,
    head: RecordId,
}

impl Log {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.jsonl");
        let mut log = AuditLog::open(&path, FsyncPolicy::Always).unwrap();
        let mut head = log.head();
        for i in 0..RECORDS {
            let now = Utc
                .timestamp_opt(1_900_000_000 + i64::try_from(i).unwrap(), 0)
                .unwrap();
            head = log.append(entry(i), now).unwrap();
        }
        Self { dir, path, head }
    }

    fn lines(&self) -> Vec<String> {
        std::fs::read_to_string(&self.path)
            .unwrap()
            .split_inclusive('\n')
            .map(str::to_owned)
            .collect()
    }

    /// Writes `lines` to a new file and runs `audit verify` on it.
    fn verify_tampered(&self, name: &str, lines: &[String]) -> (Output, PathBuf) {
        let path = self.dir.path().join(name);
        std::fs::write(&path, lines.concat()).unwrap();
        (ztpgate(&["audit", "verify", s(&path)]), path)
    }
}

fn entry(i: usize) -> AuditEntry {
    if i.is_multiple_of(2) {
        let decision = Decision {
            verdict: AccessVerdict::Deny,
            rule: RuleRef::new(Area::SmartInstall, "director-only"),
            mode: Mode::Enforce,
            reason: "config push from a non-director".to_owned(),
        };
        let detail = serde_json::json!({ "src": format!("10.77.2.{i}"), "message": "config-push" });
        AuditEntry::decision(&decision, format!("10.77.2.{i}"), detail).unwrap()
    } else {
        AuditEntry::operator(
            "admin:CN=ztpgate-admin",
            "join-window.open",
            serde_json::json!({ "i": i }),
        )
    }
}

/// Asserts exit 1 and that the report names `line` and `record`.
fn assert_names(out: &Output, path: &Path, line: usize, record: &str) {
    let text = stdout(out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    let prefix = format!("{}:{line}: {record}: ", path.display());
    assert!(
        text.starts_with(&prefix),
        "expected {prefix:?}, got {text:?}"
    );
}

#[test]
fn intact_log_verifies_with_its_head() {
    let log = Log::new();
    let out = ztpgate(&["audit", "verify", s(&log.path)]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        stdout(&out),
        format!(
            "{}: ok, {RECORDS} records, head {}\n",
            log.path.display(),
            log.head.hash
        )
    );
}

#[test]
fn edit_of_a_middle_record_is_named() {
    let log = Log::new();
    let mut lines = log.lines();
    lines[2] = lines[2].replace("\"verdict\":\"deny\"", "\"verdict\":\"allow\"");
    let (out, path) = log.verify_tampered("edited.jsonl", &lines);
    assert_names(&out, &path, 3, "record seq 3");
    assert!(stdout(&out).contains("record edited"));
}

#[test]
fn edit_of_the_last_record_is_named() {
    let log = Log::new();
    let mut lines = log.lines();
    lines[RECORDS - 1] = lines[RECORDS - 1].replace("join-window.open", "join-window.shut");
    let (out, path) = log.verify_tampered("last.jsonl", &lines);
    assert_names(&out, &path, RECORDS, &format!("record seq {RECORDS}"));
}

#[test]
fn deleted_middle_record_is_named() {
    let log = Log::new();
    let mut lines = log.lines();
    lines.remove(2);
    let (out, path) = log.verify_tampered("deleted.jsonl", &lines);
    assert_names(&out, &path, 3, "record seq 4");
    assert!(stdout(&out).contains("seq 4 where 3 was expected"));
}

#[test]
fn deleted_first_record_is_named() {
    let log = Log::new();
    let mut lines = log.lines();
    lines.remove(0);
    let (out, path) = log.verify_tampered("no-first.jsonl", &lines);
    assert_names(&out, &path, 1, "record seq 2");
}

#[test]
fn swapped_records_are_named() {
    let log = Log::new();
    let mut lines = log.lines();
    lines.swap(1, 2);
    let (out, path) = log.verify_tampered("swapped.jsonl", &lines);
    assert_names(&out, &path, 2, "record seq 3");
}

#[test]
fn duplicated_record_is_named() {
    let log = Log::new();
    let mut lines = log.lines();
    let copy = lines[3].clone();
    lines.insert(4, copy);
    let (out, path) = log.verify_tampered("duplicated.jsonl", &lines);
    assert_names(&out, &path, 5, "record seq 4");
}

#[test]
fn last_line_truncated_halfway_is_named() {
    let log = Log::new();
    let mut lines = log.lines();
    let half = lines[RECORDS - 1].len() / 2;
    lines[RECORDS - 1].truncate(half);
    let (out, path) = log.verify_tampered("truncated.jsonl", &lines);
    assert_names(
        &out,
        &path,
        RECORDS,
        &format!("record at expected seq {RECORDS}"),
    );
    assert!(stdout(&out).contains("truncated record"));
}

#[test]
fn head_option_accepts_the_right_hash_and_rejects_a_wrong_one() {
    let log = Log::new();
    let out = ztpgate(&["audit", "verify", s(&log.path), "--head", &log.head.hash]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let wrong = "0".repeat(64);
    let out = ztpgate(&["audit", "verify", s(&log.path), "--head", &wrong]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("head mismatch"));
    let out = ztpgate(&["audit", "verify", s(&log.path), "--head", "not-a-hash"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn tail_truncation_is_only_caught_with_head() {
    let log = Log::new();
    let mut lines = log.lines();
    lines.truncate(RECORDS - 2);
    let (out, path) = log.verify_tampered("tail-cut.jsonl", &lines);
    assert_eq!(
        out.status.code(),
        Some(0),
        "a clean cut between records verifies on its own"
    );
    assert!(stdout(&out).contains(&format!("ok, {} records", RECORDS - 2)));
    let out = ztpgate(&["audit", "verify", s(&path), "--head", &log.head.hash]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.contains(&format!("ends at seq {}", RECORDS - 2)),
        "{text}"
    );
}

#[test]
fn reopened_log_continues_its_chain() {
    let log = Log::new();
    let mut reopened = AuditLog::open(&log.path, FsyncPolicy::Always).unwrap();
    assert_eq!(reopened.head(), log.head);
    let now = Utc.timestamp_opt(1_900_001_000, 0).unwrap();
    let next = reopened.append(entry(1), now).unwrap();
    assert_eq!(next.seq, u64::try_from(RECORDS).unwrap() + 1);
    drop(reopened);
    let out = ztpgate(&["audit", "verify", s(&log.path), "--head", &next.hash]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(stdout(&out).contains(&format!("ok, {} records", RECORDS + 1)));
}

#[test]
fn unreadable_file_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let out = ztpgate(&["audit", "verify", s(&dir.path().join("absent.jsonl"))]);
    assert_eq!(out.status.code(), Some(2));
}
