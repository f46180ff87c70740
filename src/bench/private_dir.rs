//! A private working directory for one benchmark run: created (mode 0700) under the system temp
//! directory with a name of its own, removed with everything in it on drop.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// A benchmark's own directory; removed on drop.
#[derive(Debug)]
pub struct PrivateDir {
    path: PathBuf,
}

impl PrivateDir {
    /// Creates `<temp>/ztpgate-bench-<tag>-<pid>-<n>`; fails if it exists.
    pub fn create(tag: &str) -> io::Result<Self> {
        use std::os::unix::fs::DirBuilderExt;
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let name = format!("ztpgate-bench-{tag}-{}-{n}", std::process::id());
        let path = std::env::temp_dir().join(name);
        std::fs::DirBuilder::new().mode(0o700).create(&path)?;
        Ok(Self { path })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for PrivateDir {
    fn drop(&mut self) {
        // Best effort: a leftover benchmark file in the temp dir harms nothing.
        let _ = std::fs::remove_dir_all(&self.path);
    }
}
