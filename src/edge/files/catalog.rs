//! Checksums and entity tags of the files the gateway serves, computed once per file version.
//!
//! A file is read in bounded chunks to compute its MD5 (what the PnP agent's `<checksum>`
//! expects), its SHA-256 and a strong ETag; results are cached by path and revalidated by length
//! and modification time, so a replaced file is never served with stale checksums. Files live
//! under the operator's file root (trusted); their names come from verified grants.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use md5::Md5;
use sha2::{Digest, Sha256};
use tokio::sync::RwLock;

/// Bytes read per step when hashing.
pub const HASH_CHUNK_BYTES: usize = 64 * 1024;

/// What the server knows about one version of a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileInfo {
    /// Length in bytes.
    pub len: u64,
    /// Modification time of the version hashed.
    pub modified: Option<SystemTime>,
    /// Lower-case hex MD5.
    pub md5: String,
    /// Lower-case hex SHA-256.
    pub sha256: String,
}

impl FileInfo {
    /// The strong entity tag: the quoted SHA-256.
    pub fn etag(&self) -> String {
        format!("\"{}\"", self.sha256)
    }
}

/// Cache of [`FileInfo`] by path.
#[derive(Debug, Default)]
pub struct Catalog {
    entries: RwLock<HashMap<PathBuf, FileInfo>>,
}

impl Catalog {
    /// The info of the file at `path` whose metadata is `meta`, hashing it if this version is not
    /// cached yet. Hashing runs on the blocking pool.
    pub async fn info(&self, path: &Path, meta: &std::fs::Metadata) -> std::io::Result<FileInfo> {
        let (len, modified) = (meta.len(), meta.modified().ok());
        if let Some(hit) = self.entries.read().await.get(path)
            && hit.len == len
            && hit.modified == modified
        {
            return Ok(hit.clone());
        }
        let owned = path.to_owned();
        let info = tokio::task::spawn_blocking(move || hash_file(&owned, modified))
            .await
            .map_err(std::io::Error::other)??;
        self.entries
            .write()
            .await
            .insert(path.to_owned(), info.clone());
        Ok(info)
    }
}

/// Hashes a file in [`HASH_CHUNK_BYTES`] steps.
pub fn hash_file(path: &Path, modified: Option<SystemTime>) -> std::io::Result<FileInfo> {
    let mut file = std::fs::File::open(path)?;
    let (mut md5, mut sha256) = (Md5::new(), Sha256::new());
    let mut buf = vec![0u8; HASH_CHUNK_BYTES];
    let mut len = 0u64;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        let chunk = buf.get(..n).unwrap_or_default();
        md5.update(chunk);
        sha256.update(chunk);
        len += n as u64;
    }
    Ok(FileInfo {
        len,
        modified,
        md5: hex::encode(md5.finalize()),
        sha256: hex::encode(sha256.finalize()),
    })
}
