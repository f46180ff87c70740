//! The director behind the TFTP server: read permissions from the clients' plans, uploads only
//! as requested backups, and what each transfer means for the database.
//!
//! - A read is granted when the requesting address belongs to a client whose plan names the file
//!   (resolved under its repository, never outside it), or when the operator's static
//!   `[[tftp.assign]]` list grants it.
//! - An upload is granted only from a client the director asked for a backup, under the name it
//!   asked for, before `backup_timeout` passed. The stored upload is rotated into
//!   `<hostname>-<mac>.REV2` (the previous one becomes `.REV1`) and its MD5 recorded.
//! - Transfer starts and ends move the client's download status (`on_transfer`).
//!
//! Inputs: the client address and file name (attacker-controlled; names are checked as safe
//! relative paths first), transfer outcomes from the TFTP server.

use std::io::Read as _;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use md5::{Digest as _, Md5};

use crate::edge::tftp_server::access::{resolve_under, safe_relative};
use crate::edge::tftp_server::{Authorizer, Refusal, TransferEvent, TransferPhase};
use crate::roles::director::Changes;
use crate::roles::director::backup::revision_names;

use super::{Director, Input, actor};

impl Authorizer for Director {
    fn authorize_read(&self, client: IpAddr, filename: &str) -> Result<PathBuf, Refusal> {
        let name = safe_relative(filename).map_err(Refusal::UnsafeName)?;
        let repo = self.grants.read().ok().and_then(|g| {
            g.by_ip
                .get(&client)
                .and_then(|(_, files)| files.get(name).copied())
        });
        match repo {
            Some(repo) => resolve_under(self.dir(repo), name),
            None => self.settings.static_reads.authorize_read(client, filename),
        }
    }

    fn authorize_write(&self, client: IpAddr, filename: &str) -> Result<(), Refusal> {
        let timeout = self.settings.config.backup_timeout;
        let now = crate::clock::now_monotonic();
        let asked = self.backups.read().ok().and_then(|b| {
            b.get(&client)
                .filter(|p| {
                    p.filename == filename && now.saturating_duration_since(p.asked) <= timeout
                })
                .cloned()
        });
        asked.map(|_| ()).ok_or(Refusal::NotAssigned)
    }

    fn transfer_event(&self, event: TransferEvent) {
        let _ = self.inputs.send(Input::Transfer(event));
    }
}

impl Director {
    /// Applies a transfer report: download status for reads, backup rotation for uploads.
    pub(super) async fn on_transfer(&self, event: TransferEvent) {
        if event.write {
            self.on_upload(event).await;
            return;
        }
        let result = match &event.phase {
            TransferPhase::Started => None,
            TransferPhase::Completed { .. } => Some(Ok(())),
            TransferPhase::Failed { reason } => Some(Err(reason.clone())),
            TransferPhase::Refused(refusal) => Some(Err(format!("refused: {refusal}"))),
        };
        let now = crate::clock::now_utc();
        let mut db = self.db.lock().await;
        let policy = &self.settings.policy;
        let Some(mac) = db
            .on_transfer(event.client, &event.filename, result, policy, now)
            .map(|c| c.mac)
        else {
            return;
        };
        let changes = Changes::one(mac);
        self.persist(&db, &changes).await;
    }

    async fn on_upload(&self, event: TransferEvent) {
        let stored = match &event.phase {
            TransferPhase::Started => return,
            TransferPhase::Completed { stored, .. } => stored.clone(),
            TransferPhase::Failed { .. } | TransferPhase::Refused(_) => None,
        };
        let pending = self.backups.write().ok().and_then(|mut b| {
            let matches = b
                .get(&event.client)
                .is_some_and(|p| p.filename == event.filename);
            if matches {
                b.remove(&event.client)
            } else {
                None
            }
        });
        let Some(pending) = pending else {
            return;
        };
        let Some(stored) = stored else {
            let reason = match event.phase {
                TransferPhase::Failed { reason } => reason,
                TransferPhase::Refused(refusal) => format!("refused: {refusal}"),
                _ => "not stored".to_owned(),
            };
            let detail = serde_json::json!({ "reason": reason });
            self.record("backup-failed", actor(&pending.mac), detail)
                .await;
            return;
        };
        self.rotate_backup(pending.mac, &stored).await;
    }

    /// Moves an upload into place as the client's latest revision.
    async fn rotate_backup(&self, mac: [u8; 6], stored: &Path) {
        let now = crate::clock::now_utc();
        let mut db = self.db.lock().await;
        let hostname = db.get(&mac).and_then(|c| c.hostname.clone());
        let (rev2, rev1) = revision_names(hostname.as_deref(), &mac);
        let dir = self.settings.backup_dir.clone();
        let upload = stored.to_path_buf();
        let (r2, r1) = (rev2.clone(), rev1.clone());
        let rotated = tokio::task::spawn_blocking(move || rotate(&dir, &upload, &r2, &r1)).await;
        let checksum = match rotated {
            Ok(Ok(sum)) => sum,
            Ok(Err(err)) => {
                tracing::error!(%err, "director: cannot rotate a backup");
                let detail = serde_json::json!({ "reason": err.to_string() });
                drop(db);
                self.record("backup-failed", actor(&mac), detail).await;
                return;
            }
            Err(_) => return,
        };
        let Some(revision) = db
            .backed_up(&mac, rev2.clone(), checksum.clone(), now)
            .and_then(|c| c.backup.as_ref().map(|b| b.revision))
        else {
            return;
        };
        let changes = Changes::one(mac);
        self.persist(&db, &changes).await;
        drop(db);
        let detail = serde_json::json!({
            "file": rev2, "previous": rev1, "revision": revision, "md5": checksum,
        });
        self.record("backup", actor(&mac), detail).await;
    }
}

/// `REV2` → `REV1`, the upload → `REV2`; returns the new `REV2`'s MD5 (upper-case hex).
fn rotate(dir: &Path, upload: &Path, rev2: &str, rev1: &str) -> std::io::Result<String> {
    let (rev2, rev1) = (dir.join(rev2), dir.join(rev1));
    if rev2.exists() {
        std::fs::rename(&rev2, &rev1)?;
    }
    std::fs::rename(upload, &rev2)?;
    let mut file = std::fs::File::open(&rev2)?;
    let mut md5 = Md5::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        md5.update(buf.get(..n).unwrap_or_default());
    }
    Ok(hex::encode_upper(md5.finalize()))
}
