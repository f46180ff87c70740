//! The audit log: every policy decision and operator action as one record of an append-only,
//! hash-chained JSONL file, and the verifier behind `ztpgate audit verify`
//! (`../shared/design/ARCHITECTURE.md` §1 "Prove it", §7).
//!
//! Trust: entries come from the gateway itself (decisions computed by `policy`, operator actions
//! after admin authentication), but their `detail` may quote attacker-supplied values, which are
//! JSON-escaped. A log file handed to the verifier is untrusted.
//!
//! # Record format
//!
//! One record per line, UTF-8, terminated by `\n`, at most [`chain::MAX_RECORD_BYTES`] bytes:
//!
//! ```text
//! {"seq":N,"ts":"2030-01-01T12:00:00.000Z","kind":"decision"|"operator","area":"…","verdict":"…",
//!  "rule":"…","mode":"…","actor":"…","detail":{…},"prev":"<64 hex>","hash":"<64 hex>"}
//! ```
//!
//! - `seq` counts from 1 without gaps; `ts` is RFC 3339 UTC with milliseconds.
//! - **Canonical body**: the record *without* `hash`, serialized by serde_json in compact form
//!   (no whitespace) with the fields in exactly the order above (`seq` … `prev`); keys inside
//!   `detail` come out sorted (serde_json's default map).
//! - **`hash`** = lower-case hex SHA-256 of the canonical body's bytes.
//! - **The line** is the canonical body with its final `}` replaced by `,"hash":"<hash>"}`. So
//!   `hash` is always the last field, and the verifier recovers the hashed bytes by cutting that
//!   suffix off the raw line and closing the brace again: it hashes the bytes as stored, never a
//!   re-serialization, so *any* byte change (even whitespace or an escape) is detected.
//! - **`prev`** = lower-case hex SHA-256 of the previous line's bytes (without its `\n`), and 64
//!   zeros ([`chain::GENESIS`]) for `seq` 1.
//!
//! # What verification detects
//!
//! The first bad record is named by line and `seq`: an edited record (its own `hash` no longer
//! matches, including the last record and the `hash` field itself), a deleted, inserted, moved or
//! duplicated record (`seq` gap, or a `prev` that does not match), and a truncated last line (no
//! trailing newline, or partial JSON). Not detectable from the file alone: removing whole records
//! from the end, or rewriting the chain from some record on with recomputed hashes. Both are caught
//! by comparing the head (`hash` of the last record, printed by `ztpgate audit verify`) with a
//! copy kept elsewhere — `ztpgate audit verify FILE --head HASH`.
//!
//! # Durability ([`crate::config::FsyncPolicy`])
//!
//! Each record is written with one `write_all` on a file opened with `O_APPEND`.
//! - `Always`: `fdatasync` after every record. A crash (power loss included) loses no record whose
//!   `append` returned; at worst the record being written is left partial, which the verifier
//!   reports as a truncated last line and `AuditLog::open` refuses until an operator repairs it.
//! - `Interval(d)`: `fdatasync` when at least `d` has passed since the last one, on
//!   [`AuditLog::flush`] and on drop. A process crash loses nothing (the data is in the page
//!   cache); a power loss or kernel crash can lose the records of the last interval `d`.

pub mod chain;
pub mod log;
pub mod throttle;

use std::io;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

pub use chain::{ChainError, ChainErrorKind, ChainSummary};
pub use log::{AuditLog, RecordId};

use crate::policy::Decision;

/// What a record is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EntryKind {
    /// A policy decision.
    Decision,
    /// An operator action (admin API or CLI).
    Operator,
}

/// One entry to append; the log adds `seq`, `ts`, `prev` and `hash`.
#[derive(Clone, Debug, PartialEq)]
pub struct AuditEntry {
    /// Decision or operator action.
    pub kind: EntryKind,
    /// Policy area (`smart_install`, `join_window`, …) or `operator`.
    pub area: String,
    /// Verdict name (`allow`, `deny`, `hold`, …) or the operator's action.
    pub verdict: String,
    /// Name of the deciding rule (empty for operator actions).
    pub rule: String,
    /// `enforce` or `audit` (empty for operator actions).
    pub mode: String,
    /// Who caused it: a device, a peer address, an admin identity.
    pub actor: String,
    /// Details: event facts, the decision's reason, and so on.
    pub detail: serde_json::Value,
}

/// The `area` of operator records.
pub const OPERATOR_AREA: &str = "operator";

impl AuditEntry {
    /// A record of a policy decision: area, rule and mode from the decision; the verdict's name
    /// (its serialized form, or the variant name for verdicts that carry data). `detail` gains
    /// `reason` (the decision's explanation) and, for verdicts with data, `verdict_data`;
    /// a non-object `detail` is kept under `data`.
    pub fn decision<V: Serialize>(
        decision: &Decision<V>,
        actor: impl Into<String>,
        detail: serde_json::Value,
    ) -> Result<Self, AuditError> {
        let verdict =
            serde_json::to_value(&decision.verdict).map_err(|source| AuditError::Encode {
                what: "verdict",
                source,
            })?;
        let (name, data) = verdict_name(verdict);
        let mut detail = into_object(detail);
        detail.insert("reason".to_owned(), decision.reason.clone().into());
        if let Some(data) = data {
            detail.insert("verdict_data".to_owned(), data);
        }
        Ok(Self {
            kind: EntryKind::Decision,
            area: decision.rule.area.as_str().to_owned(),
            verdict: name,
            rule: decision.rule.name.clone(),
            mode: decision.mode.as_str().to_owned(),
            actor: actor.into(),
            detail: serde_json::Value::Object(detail),
        })
    }

    /// A record of an operator action, e.g. `("admin:CN=ztpgate-admin", "join-window.close", {})`.
    pub fn operator(
        actor: impl Into<String>,
        action: impl Into<String>,
        detail: serde_json::Value,
    ) -> Self {
        Self {
            kind: EntryKind::Operator,
            area: OPERATOR_AREA.to_owned(),
            verdict: action.into(),
            rule: String::new(),
            mode: String::new(),
            actor: actor.into(),
            detail,
        }
    }
}

/// Why the audit log could not be opened or appended to.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// Reading, writing or syncing the file failed.
    #[error("{}: cannot {op}: {source}", path.display())]
    Io {
        /// The log file.
        path: PathBuf,
        /// What was being done.
        op: &'static str,
        /// The operating-system error.
        source: io::Error,
    },
    /// The existing log fails verification; nothing is appended to a broken chain.
    #[error("{}:{}: {}: {} — refusing to append to a broken audit log", path.display(), error.line, error.record_label(), error.kind)]
    Broken {
        /// The log file.
        path: PathBuf,
        /// The first bad record.
        error: ChainError,
    },
    /// An earlier write failed part-way; the file's tail is unknown until reopened.
    #[error("{}: an earlier write failed; reopen the log to verify it", path.display())]
    Poisoned {
        /// The log file.
        path: PathBuf,
    },
    /// An entry could not be serialized.
    #[error("cannot encode {what}: {source}")]
    Encode {
        /// Which part.
        what: &'static str,
        /// serde_json's error.
        source: serde_json::Error,
    },
    /// A record would exceed [`chain::MAX_RECORD_BYTES`].
    #[error("record of {bytes} bytes exceeds the limit of {max} bytes")]
    RecordTooLarge {
        /// Its size.
        bytes: usize,
        /// The limit.
        max: usize,
    },
}

fn verdict_name(verdict: serde_json::Value) -> (String, Option<serde_json::Value>) {
    match verdict {
        serde_json::Value::String(name) => (name, None),
        serde_json::Value::Object(map) if map.len() == 1 => {
            let name = map.keys().next().cloned().unwrap_or_default();
            (name, Some(serde_json::Value::Object(map)))
        }
        other => (other.to_string(), Some(other)),
    }
}

fn into_object(detail: serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
    match detail {
        serde_json::Value::Object(map) => map,
        serde_json::Value::Null => serde_json::Map::new(),
        other => serde_json::Map::from_iter([("data".to_owned(), other)]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{Area, Mode, RuleRef};

    #[derive(Serialize)]
    #[serde(rename_all = "lowercase")]
    enum Verdict {
        Hold,
        Rewrite(String),
    }

    fn decision(verdict: Verdict) -> Decision<Verdict> {
        Decision {
            verdict,
            rule: RuleRef::new(Area::JoinWindow, "manual-mode"),
            mode: Mode::Audit,
            reason: "join window in manual mode".to_owned(),
        }
    }

    #[test]
    fn decision_entry_takes_area_rule_mode_and_verdict_name() {
        let entry = AuditEntry::decision(
            &decision(Verdict::Hold),
            "mac:aa:bb:cc:dd:ee:ff",
            serde_json::json!({"pid": "C9300-24P"}),
        )
        .unwrap();
        assert_eq!(entry.kind, EntryKind::Decision);
        assert_eq!(entry.area, "join_window");
        assert_eq!(entry.verdict, "hold");
        assert_eq!(entry.rule, "manual-mode");
        assert_eq!(entry.mode, "audit");
        assert_eq!(
            entry.detail,
            serde_json::json!({"pid": "C9300-24P", "reason": "join window in manual mode"})
        );
    }

    #[test]
    fn verdict_with_data_is_named_by_variant_and_kept_in_detail() {
        let entry = AuditEntry::decision(
            &decision(Verdict::Rewrite("https://gw/img.bin".to_owned())),
            "device",
            serde_json::json!("raw"),
        )
        .unwrap();
        assert_eq!(entry.verdict, "rewrite");
        assert_eq!(
            entry.detail["verdict_data"]["rewrite"],
            "https://gw/img.bin"
        );
        assert_eq!(entry.detail["data"], "raw");
    }

    #[test]
    fn operator_entry_has_operator_area() {
        let entry = AuditEntry::operator("admin", "join-window.close", serde_json::json!({}));
        assert_eq!(entry.kind, EntryKind::Operator);
        assert_eq!(entry.area, OPERATOR_AREA);
        assert_eq!(entry.verdict, "join-window.close");
        assert!(entry.rule.is_empty() && entry.mode.is_empty());
    }
}
