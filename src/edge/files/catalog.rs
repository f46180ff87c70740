//! Checksums and entity tags of the files the gateway serves, computed once per file version.
//!
//! A file is read in bounded chunks to compute its MD5 (what the PnP agent's `<checksum>`
//! expects), its SHA-256 and a strong ETag; results are cached by path and revalidated by length
//! and modification time, so a replaced file is never served with stale checksums. Files live
//! under the operator's file root (trusted); their names come from verified grants.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::RwLock;
use std::time::SystemTime;

use md5::Md5;
use sha2::{Digest, Sha256};

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

/// Cache of [`FileInfo`] by path, shared by the file server and the PnP plans that hand out
/// its files, so each version of a file is hashed once. The lock is never held across I/O.
#[derive(Debug, Default)]
pub struct Catalog {
    entries: RwLock<HashMap<PathBuf, FileInfo>>,
}

impl Catalog {
    /// The info of the file at `path` whose metadata is `meta`, hashing it if this version is not
    /// cached yet. Hashing runs on the blocking pool.
    pub async fn info(&self, path: &Path, meta: &std::fs::Metadata) -> std::io::Result<FileInfo> {
        let modified = meta.modified().ok();
        if let Some(hit) = self.cached(path, meta.len(), modified) {
            return Ok(hit);
        }
        let owned = path.to_owned();
        let info = tokio::task::spawn_blocking(move || hash_file(&owned, modified))
            .await
            .map_err(std::io::Error::other)??;
        self.remember(path, &info);
        Ok(info)
    }

    /// The same, for callers outside the async runtime's tasks (or inside `block_in_place`).
    pub fn info_blocking(&self, path: &Path) -> std::io::Result<FileInfo> {
        let meta = std::fs::metadata(path)?;
        let modified = meta.modified().ok();
        if let Some(hit) = self.cached(path, meta.len(), modified) {
            return Ok(hit);
        }
        let info = hash_file(path, modified)?;
        self.remember(path, &info);
        Ok(info)
    }

    fn cached(&self, path: &Path, len: u64, modified: Option<SystemTime>) -> Option<FileInfo> {
        let entries = self.entries.read().ok()?;
        entries
            .get(path)
            .filter(|hit| hit.len == len && hit.modified == modified)
            .cloned()
    }

    fn remember(&self, path: &Path, info: &FileInfo) {
        // A poisoned lock only costs a cache miss next time.
        if let Ok(mut entries) = self.entries.write() {
            entries.insert(path.to_owned(), info.clone());
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_each_version_once_and_notices_a_replaced_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("image.bin");
        std::fs::write(&path, b"abc").unwrap();
        let catalog = Catalog::default();
        let first = catalog.info_blocking(&path).unwrap();
        assert_eq!(
            first.sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(first.md5, "900150983cd24fb0d6963f7d28e17f72");
        assert_eq!(
            catalog.cached(&path, 3, first.modified),
            Some(first.clone())
        );
        std::fs::write(&path, b"abcd").unwrap();
        let second = catalog.info_blocking(&path).unwrap();
        assert_eq!(second.len, 4);
        assert_ne!(second.sha256, first.sha256);
    }
}
