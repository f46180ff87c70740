//! The file-grant key: 32 random bytes in the data directory, created with mode 0600 on first use
//! and read back on every start, so grants survive a restart.

use std::path::Path;

use crate::edge::files::grant::FILE_KEY_BYTES;
use crate::pki::PkiError;
use crate::pki::files::{MODE_SECRET, write_atomic};

/// Why the key could not be loaded or created.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The key file exists but cannot be read.
    #[error("file key {path}: {source}")]
    Read {
        /// The key file.
        path: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The key file does not hold exactly [`FILE_KEY_BYTES`] bytes.
    #[error("file key {path}: expected {FILE_KEY_BYTES} bytes, found {found}")]
    Length {
        /// The key file.
        path: String,
        /// Its length.
        found: usize,
    },
    /// No random bytes could be had.
    #[error("no secure random bytes available")]
    Random,
    /// The new key could not be written.
    #[error(transparent)]
    Write(#[from] PkiError),
}

/// Reads the key at `path`, or creates it when the file does not exist.
pub fn load_or_create(path: &Path) -> Result<[u8; FILE_KEY_BYTES], KeyError> {
    match std::fs::read(path) {
        Ok(bytes) => {
            <[u8; FILE_KEY_BYTES]>::try_from(bytes.as_slice()).map_err(|_| KeyError::Length {
                path: path.display().to_string(),
                found: bytes.len(),
            })
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut key = [0u8; FILE_KEY_BYTES];
            rustls::crypto::aws_lc_rs::default_provider()
                .secure_random
                .fill(&mut key)
                .map_err(|_| KeyError::Random)?;
            write_atomic(path, &key, MODE_SECRET)?;
            Ok(key)
        }
        Err(source) => Err(KeyError::Read {
            path: path.display().to_string(),
            source,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn creates_a_private_key_once_and_reads_it_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("files.key");
        let first = load_or_create(&path).unwrap();
        assert_eq!(load_or_create(&path).unwrap(), first);
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        std::fs::write(&path, b"short").unwrap();
        assert!(matches!(
            load_or_create(&path),
            Err(KeyError::Length { found: 5, .. })
        ));
    }
}
