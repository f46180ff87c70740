//! The pure core of the audit log: record layout, canonical encoding, hashing, and the chain
//! verifier that names the first bad record. No I/O: bytes and strings in, verdicts out.
//!
//! Trust: lines handed to the verifier may have been tampered with; every check works on the raw
//! bytes, and every failure names the line and, where readable, the record's `seq`. The format is
//! specified in the [`crate::audit`] module header.

use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::audit::EntryKind;

/// `prev` of the first record, and the head of an empty log: 64 zeros.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The longest record line accepted, in bytes (excluding the newline).
pub const MAX_RECORD_BYTES: usize = 64 * 1024;

/// The text between the canonical body and the hash.
const HASH_PREFIX: &str = ",\"hash\":\"";
/// Length of a hex SHA-256.
const HEX_LEN: usize = 64;
/// `,"hash":"` + 64 hex digits + `"}`.
const HASH_SUFFIX_LEN: usize = HASH_PREFIX.len() + HEX_LEN + 2;

/// One audit record as stored: the fields in their fixed order.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Record {
    /// Position in the chain, from 1.
    pub seq: u64,
    /// RFC 3339 UTC time with milliseconds.
    pub ts: String,
    /// Policy decision or operator action.
    pub kind: EntryKind,
    /// Policy area (or `operator`).
    pub area: String,
    /// Verdict name (or the operator action).
    pub verdict: String,
    /// Deciding rule.
    pub rule: String,
    /// `enforce` or `audit`.
    pub mode: String,
    /// Who caused the record.
    pub actor: String,
    /// Free-form details.
    pub detail: serde_json::Value,
    /// Hex SHA-256 of the previous record's line.
    pub prev: String,
    /// Hex SHA-256 of this record's canonical body.
    pub hash: String,
}

/// A record without its hash, in canonical field order: what is hashed.
#[derive(Clone, Debug, Serialize)]
pub struct RecordBody<'a> {
    /// Position in the chain, from 1.
    pub seq: u64,
    /// RFC 3339 UTC time with milliseconds.
    pub ts: &'a str,
    /// Policy decision or operator action.
    pub kind: EntryKind,
    /// Policy area (or `operator`).
    pub area: &'a str,
    /// Verdict name (or the operator action).
    pub verdict: &'a str,
    /// Deciding rule.
    pub rule: &'a str,
    /// `enforce` or `audit`.
    pub mode: &'a str,
    /// Who caused the record.
    pub actor: &'a str,
    /// Free-form details.
    pub detail: &'a serde_json::Value,
    /// Hex SHA-256 of the previous record's line.
    pub prev: &'a str,
}

/// An encoded record: its line (without newline) and its hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EncodedRecord {
    /// The JSON line, without the trailing newline.
    pub line: String,
    /// Hex SHA-256 of the canonical body.
    pub hash: String,
}

/// Encodes a record: canonical body, its hash, and the line with the hash spliced in.
pub fn encode(body: &RecordBody<'_>) -> Result<EncodedRecord, serde_json::Error> {
    let canonical = serde_json::to_string(body)?;
    let hash = sha256_hex(canonical.as_bytes());
    // A serialized struct is a JSON object: the last byte is its closing brace.
    let open = canonical.strip_suffix('}').unwrap_or(&canonical);
    let line = format!("{open}{HASH_PREFIX}{hash}\"}}");
    Ok(EncodedRecord { line, hash })
}

/// Lower-case hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// What a verified chain ends with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainSummary {
    /// Number of records.
    pub records: u64,
    /// `hash` of the last record ([`GENESIS`] for an empty log).
    pub head_hash: String,
    /// SHA-256 of the last line: the `prev` the next record must carry.
    pub next_prev: String,
}

/// The first bad record of a chain.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {}: {kind}", SeqLabel(*seq, *expected_seq))]
pub struct ChainError {
    /// 1-based line number.
    pub line: usize,
    /// The record's `seq`, when it could be read.
    pub seq: Option<u64>,
    /// The `seq` expected at this line.
    pub expected_seq: u64,
    /// What is wrong.
    pub kind: ChainErrorKind,
}

impl ChainError {
    /// `record seq S` (or `record at expected seq S` when the record is unreadable).
    pub fn record_label(&self) -> String {
        SeqLabel(self.seq, self.expected_seq).to_string()
    }
}

struct SeqLabel(Option<u64>, u64);

impl fmt::Display for SeqLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(seq) => write!(f, "record seq {seq}"),
            None => write!(f, "record at expected seq {}", self.1),
        }
    }
}

/// What is wrong with a record line.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ChainErrorKind {
    /// The line is longer than [`MAX_RECORD_BYTES`].
    #[error("line longer than {max_bytes} bytes")]
    TooLong {
        /// The limit.
        max_bytes: usize,
    },
    /// The line is not UTF-8.
    #[error("not UTF-8")]
    NotUtf8,
    /// The last line has no newline: a truncated or partially written record.
    #[error("truncated record (no newline at end of file)")]
    Truncated,
    /// An empty line.
    #[error("empty line")]
    EmptyLine,
    /// The line is not a well-formed record.
    #[error("not a valid record: {reason} (column {column})")]
    BadJson {
        /// 1-based column where parsing failed.
        column: usize,
        /// The parser's complaint.
        reason: String,
    },
    /// The line does not end in `,"hash":"<64 lower-case hex digits>"}`.
    #[error("hash field missing, misplaced or malformed")]
    BadHashField,
    /// The record's `seq` is not the next one: a record was deleted, inserted or moved.
    #[error("seq {found} where {expected} was expected (record deleted, inserted or moved)")]
    SeqGap {
        /// The seq that should be here.
        expected: u64,
        /// The seq found.
        found: u64,
    },
    /// `prev` is not the hash of the previous line: the previous line was changed or replaced.
    #[error("prev {found} does not match the previous line's hash {expected}")]
    PrevMismatch {
        /// SHA-256 of the previous line.
        expected: String,
        /// The record's `prev`.
        found: String,
    },
    /// The record's content does not match its `hash`: the record was edited.
    #[error("content hashes to {computed}, record says {found} (record edited)")]
    HashMismatch {
        /// SHA-256 of the canonical body.
        computed: String,
        /// The record's `hash`.
        found: String,
    },
}

/// Incremental chain verification, one line at a time, so logs of any length verify in constant
/// memory.
#[derive(Clone, Debug)]
pub struct ChainVerifier {
    lines: usize,
    records: u64,
    head_hash: String,
    next_prev: String,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        Self::new()
    }
}

impl ChainVerifier {
    /// A verifier at the start of a log.
    pub fn new() -> Self {
        Self {
            lines: 0,
            records: 0,
            head_hash: GENESIS.to_owned(),
            next_prev: GENESIS.to_owned(),
        }
    }

    /// Checks the next line, given as raw bytes including its `\n` terminator (the last line of
    /// a file lacks it only when truncated).
    pub fn push_bytes(&mut self, line: &[u8]) -> Result<(), ChainError> {
        self.lines += 1;
        let body = line.strip_suffix(b"\n").unwrap_or(line);
        if body.len() > MAX_RECORD_BYTES {
            return Err(self.error(
                None,
                ChainErrorKind::TooLong {
                    max_bytes: MAX_RECORD_BYTES,
                },
            ));
        }
        let text =
            std::str::from_utf8(line).map_err(|_| self.error(None, ChainErrorKind::NotUtf8))?;
        self.check(text)
    }

    /// Checks the next line, including its `\n` terminator.
    pub fn push_line(&mut self, line: &str) -> Result<(), ChainError> {
        self.lines += 1;
        if line.len() > MAX_RECORD_BYTES + 1 {
            return Err(self.error(
                None,
                ChainErrorKind::TooLong {
                    max_bytes: MAX_RECORD_BYTES,
                },
            ));
        }
        self.check(line)
    }

    /// The chain so far.
    pub fn summary(&self) -> ChainSummary {
        ChainSummary {
            records: self.records,
            head_hash: self.head_hash.clone(),
            next_prev: self.next_prev.clone(),
        }
    }

    fn check(&mut self, line: &str) -> Result<(), ChainError> {
        let Some(body) = line.strip_suffix('\n') else {
            let seq = serde_json::from_str::<Record>(line).ok().map(|r| r.seq);
            return Err(self.error(seq, ChainErrorKind::Truncated));
        };
        if body.is_empty() {
            return Err(self.error(None, ChainErrorKind::EmptyLine));
        }
        let record: Record = serde_json::from_str(body).map_err(|e| {
            self.error(
                None,
                ChainErrorKind::BadJson {
                    column: e.column(),
                    reason: e.to_string(),
                },
            )
        })?;
        let seq = Some(record.seq);
        let Some(canonical) = canonical_body(body, &record.hash) else {
            return Err(self.error(seq, ChainErrorKind::BadHashField));
        };
        let expected = self.records + 1;
        if record.seq != expected {
            let kind = ChainErrorKind::SeqGap {
                expected,
                found: record.seq,
            };
            return Err(self.error(seq, kind));
        }
        if record.prev != self.next_prev {
            let kind = ChainErrorKind::PrevMismatch {
                expected: self.next_prev.clone(),
                found: record.prev,
            };
            return Err(self.error(seq, kind));
        }
        let computed = sha256_hex(canonical.as_bytes());
        if computed != record.hash {
            let kind = ChainErrorKind::HashMismatch {
                computed,
                found: record.hash,
            };
            return Err(self.error(seq, kind));
        }
        self.records = record.seq;
        self.head_hash = record.hash;
        self.next_prev = sha256_hex(body.as_bytes());
        Ok(())
    }

    fn error(&self, seq: Option<u64>, kind: ChainErrorKind) -> ChainError {
        ChainError {
            line: self.lines,
            seq,
            expected_seq: self.records + 1,
            kind,
        }
    }
}

/// Verifies a whole log given as lines that keep their `\n` terminators
/// (`text.split_inclusive('\n')`).
pub fn verify_lines<'a>(
    lines: impl IntoIterator<Item = &'a str>,
) -> Result<ChainSummary, ChainError> {
    let mut verifier = ChainVerifier::new();
    for line in lines {
        verifier.push_line(line)?;
    }
    Ok(verifier.summary())
}

/// The hashed body of a line: the line without its trailing `,"hash":"<hex>"}`, closed with `}`.
/// `None` when the line does not end in exactly that form with the record's own hash.
fn canonical_body(line: &str, hash: &str) -> Option<String> {
    let split = line.len().checked_sub(HASH_SUFFIX_LEN)?;
    let (open, suffix) = (line.get(..split)?, line.get(split..)?);
    let digits = suffix.strip_prefix(HASH_PREFIX)?.strip_suffix("\"}")?;
    let well_formed = digits.len() == HEX_LEN
        && digits == hash
        && digits
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    well_formed.then(|| format!("{open}}}"))
}

#[cfg(test)]
mod tests;
