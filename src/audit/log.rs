//! The audit log file: open (verifying what is there), append one record per `write_all` on an
//! `O_APPEND` file, and sync to disk per [`FsyncPolicy`]; plus streaming verification of a log
//! file for `ztpgate audit verify`.
//!
//! Trust: an existing file is verified before anything is appended; a broken chain is refused
//! with the first bad record named. One writer per file: the gateway owns its log. Time comes in
//! as `now` (this module never reads the clock). Format and durability: [`crate::audit`].

use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use chrono::{DateTime, SecondsFormat, Utc};

use crate::audit::chain::{self, ChainSummary, ChainVerifier, MAX_RECORD_BYTES, RecordBody};
use crate::audit::{AuditEntry, AuditError, ChainError};
use crate::config::FsyncPolicy;

/// Mode of a newly created log file.
const MODE_LOG: u32 = 0o600;

/// Where an appended record sits in the chain.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RecordId {
    /// Its `seq`.
    pub seq: u64,
    /// Its `hash` (lower-case hex), the new head of the log.
    pub hash: String,
}

/// An open, verified audit log, positioned after its head.
#[derive(Debug)]
pub struct AuditLog {
    path: PathBuf,
    file: File,
    fsync: FsyncPolicy,
    tip: ChainSummary,
    last_sync: Option<DateTime<Utc>>,
    unsynced: bool,
    poisoned: bool,
}

impl AuditLog {
    /// Opens `path`, creating it (mode 0600) when absent. An existing file is verified first and
    /// the chain continues after its head; a broken chain is refused ([`AuditError::Broken`]).
    pub fn open(path: &Path, fsync: FsyncPolicy) -> Result<Self, AuditError> {
        let io_err = |op| {
            move |source| AuditError::Io {
                path: path.to_owned(),
                op,
                source,
            }
        };
        let existed = path.try_exists().map_err(io_err("check"))?;
        let file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .mode(MODE_LOG)
            .open(path)
            .map_err(io_err("open"))?;
        if !existed {
            sync_dir(path).map_err(io_err("sync the directory of"))?;
        }
        let tip = match verify_reader(BufReader::new(&file)) {
            Ok(tip) => tip,
            Err(VerifyError::Io(source)) => return Err(io_err("read")(source)),
            Err(VerifyError::Chain(error)) => {
                return Err(AuditError::Broken {
                    path: path.to_owned(),
                    error,
                });
            }
        };
        Ok(Self {
            path: path.to_owned(),
            file,
            fsync,
            tip,
            last_sync: None,
            unsynced: false,
            poisoned: false,
        })
    }

    /// Appends `entry` as the next record, stamped `now`, and syncs per the fsync policy.
    pub fn append(
        &mut self,
        entry: AuditEntry,
        now: DateTime<Utc>,
    ) -> Result<RecordId, AuditError> {
        let id = self.append_deferred(entry, now)?;
        self.commit(now)?;
        Ok(id)
    }

    /// Appends `entry` like [`AuditLog::append`] but does not sync: for group commit, the caller
    /// calls [`AuditLog::commit`] before acting on the record, and one sync covers every record
    /// appended until then (by any caller). Under `FsyncPolicy::Always` the record is durable
    /// only once that `commit` has returned.
    pub fn append_deferred(
        &mut self,
        entry: AuditEntry,
        now: DateTime<Utc>,
    ) -> Result<RecordId, AuditError> {
        if self.poisoned {
            return Err(AuditError::Poisoned {
                path: self.path.clone(),
            });
        }
        let seq = self.tip.records + 1;
        let ts = now.to_rfc3339_opts(SecondsFormat::Millis, true);
        let body = RecordBody {
            seq,
            ts: &ts,
            kind: entry.kind,
            area: &entry.area,
            verdict: &entry.verdict,
            rule: &entry.rule,
            mode: &entry.mode,
            actor: &entry.actor,
            detail: &entry.detail,
            prev: &self.tip.next_prev,
        };
        let record = chain::encode(&body).map_err(|source| AuditError::Encode {
            what: "record",
            source,
        })?;
        if record.line.len() > MAX_RECORD_BYTES {
            return Err(AuditError::RecordTooLarge {
                bytes: record.line.len(),
                max: MAX_RECORD_BYTES,
            });
        }
        let mut bytes = record.line.into_bytes();
        let next_prev = chain::sha256_hex(&bytes);
        bytes.push(b'\n');
        if let Err(source) = self.file.write_all(&bytes) {
            // Part of the line may be on disk: the tail is unknown until the file is reverified.
            self.poisoned = true;
            return Err(self.io_error("append to", source));
        }
        self.tip = ChainSummary {
            records: seq,
            head_hash: record.hash.clone(),
            next_prev,
        };
        self.unsynced = true;
        Ok(RecordId {
            seq,
            hash: record.hash,
        })
    }

    /// Syncs the records appended so far when the fsync policy calls for it at `now`: always
    /// under `FsyncPolicy::Always`, once the interval has passed under `Interval`. A no-op when
    /// every record is already synced.
    pub fn commit(&mut self, now: DateTime<Utc>) -> Result<(), AuditError> {
        if self.unsynced && self.sync_due(now) {
            self.sync(now)?;
        }
        Ok(())
    }

    /// Syncs appended records to stable storage now.
    pub fn flush(&mut self) -> Result<(), AuditError> {
        if self.unsynced {
            if let Err(source) = self.file.sync_data() {
                // After a failed sync the kernel may have dropped the dirty pages: a later sync
                // that succeeds proves nothing about the records written before it. Refuse
                // further appends until the file is reopened and reverified.
                self.poisoned = true;
                return Err(self.io_error("sync", source));
            }
            self.unsynced = false;
        }
        Ok(())
    }

    /// The last record: its `seq` (0 for an empty log) and `hash` (the head).
    pub fn head(&self) -> RecordId {
        RecordId {
            seq: self.tip.records,
            hash: self.tip.head_hash.clone(),
        }
    }

    /// Its fsync policy.
    pub fn fsync_policy(&self) -> FsyncPolicy {
        self.fsync
    }

    /// The log file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn sync_due(&self, now: DateTime<Utc>) -> bool {
        match (self.fsync, self.last_sync) {
            (FsyncPolicy::Always, _) | (FsyncPolicy::Interval(_), None) => true,
            (FsyncPolicy::Interval(every), Some(last)) => {
                // A clock that went backwards also triggers a sync.
                let elapsed = now.signed_duration_since(last);
                elapsed.to_std().map_or(true, |e| e >= every)
            }
        }
    }

    fn sync(&mut self, now: DateTime<Utc>) -> Result<(), AuditError> {
        self.flush()?;
        self.last_sync = Some(now);
        Ok(())
    }

    fn io_error(&self, op: &'static str, source: io::Error) -> AuditError {
        AuditError::Io {
            path: self.path.clone(),
            op,
            source,
        }
    }
}

impl Drop for AuditLog {
    fn drop(&mut self) {
        if self.unsynced {
            // Nothing to report to at drop time; `flush` is the checked path.
            let _ = self.file.sync_data();
        }
    }
}

/// Why a log could not be verified.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// Reading failed.
    #[error("read error: {0}")]
    Io(#[from] io::Error),
    /// The chain is broken.
    #[error(transparent)]
    Chain(#[from] ChainError),
}

/// Verifies a log read from `reader`, line by line in constant memory.
pub fn verify_reader(mut reader: impl BufRead) -> Result<ChainSummary, VerifyError> {
    let mut verifier = ChainVerifier::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        // One byte over the limit (plus the newline) is enough to know a line is too long.
        let limit = u64::try_from(MAX_RECORD_BYTES + 2).unwrap_or(u64::MAX);
        let n = reader.by_ref().take(limit).read_until(b'\n', &mut line)?;
        if n == 0 {
            return Ok(verifier.summary());
        }
        verifier.push_bytes(&line)?;
    }
}

/// Verifies the log file at `path`.
pub fn verify_file(path: &Path) -> Result<ChainSummary, VerifyError> {
    verify_reader(BufReader::new(File::open(path)?))
}

fn sync_dir(path: &Path) -> io::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests;
