//! Durable file writes for the lab PKI: private keys are created with mode 0600 under a temporary
//! name, fsynced, then renamed over the target (atomic on POSIX), and the directory is fsynced so
//! the rename survives a crash (`../shared/design/ARCHITECTURE.md` §7).
//!
//! Trust: paths come from the operator or from the lab layout; contents are generated here.

use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use crate::pki::PkiError;

/// Mode of private-key files.
pub(crate) const MODE_SECRET: u32 = 0o600;
/// Mode of certificate files.
pub(crate) const MODE_PUBLIC: u32 = 0o644;
/// Mode of directories that hold private keys.
pub(crate) const MODE_DIR: u32 = 0o700;

/// Creates `dir` (and missing parents) with mode 0700 when it does not exist.
pub(crate) fn create_private_dir(dir: &Path) -> Result<(), PkiError> {
    DirBuilder::new()
        .recursive(true)
        .mode(MODE_DIR)
        .create(dir)
        .map_err(|e| PkiError::io(dir, e))
}

/// Writes `contents` to `path` atomically with the given mode: temp file, fsync, rename, fsync of
/// the directory. The temp file never has wider permissions than `mode`.
pub(crate) fn write_atomic(path: &Path, contents: &[u8], mode: u32) -> Result<(), PkiError> {
    let tmp = temp_name(path);
    remove_if_present(&tmp)?;
    let written = write_new(&tmp, contents, mode).and_then(|()| fs::rename(&tmp, path));
    if let Err(err) = written {
        // Best effort: the error that matters is the write or rename failure itself.
        let _ = fs::remove_file(&tmp);
        return Err(PkiError::io(path, err));
    }
    sync_parent(path)
}

fn write_new(path: &Path, contents: &[u8], mode: u32) -> io::Result<()> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)?;
    file.write_all(contents)?;
    file.sync_all()
}

fn temp_name(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.tmp"))
}

fn remove_if_present(path: &Path) -> Result<(), PkiError> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(PkiError::io(path, e)),
        _ => Ok(()),
    }
}

fn sync_parent(path: &Path) -> Result<(), PkiError> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| PkiError::io(dir, e))
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn writes_secret_with_mode_0600_and_replaces_atomically() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.key");
        write_atomic(&path, b"one", MODE_SECRET).unwrap();
        write_atomic(&path, b"two", MODE_SECRET).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two");
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert!(!dir.path().join(".k.key.tmp").exists());
    }

    #[test]
    fn replaces_stale_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.crt");
        fs::write(dir.path().join(".c.crt.tmp"), b"stale").unwrap();
        write_atomic(&path, b"fresh", MODE_PUBLIC).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"fresh");
    }

    #[test]
    fn creates_private_directory_with_mode_0700() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("a/b");
        create_private_dir(&sub).unwrap();
        let mode = fs::metadata(&sub).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
    }
}
