//! Certificates: the lab PKI (`ztpgate certs init|device`), PEM loading for the TLS edge, and the
//! inspection and chain verdict behind `ztpgate certs inspect`.
//!
//! Trust: PEM and DER files given by the operator are parsed defensively (they may hold
//! attacker-supplied device certificates); the lab PKI directory is trusted as the gateway's own
//! data. Implements `../shared/design/ARCHITECTURE.md` §5 (`certs` commands) and §7 (files are
//! written to a temp name, fsynced, then renamed).
//!
//! - [`lab`]: generation of the lab CA, server, admin and SUDI-like device hierarchy.
//! - [`inspect`]: what a certificate says (subject, SUDI identity, validity, key, fingerprint).
//! - [`verify`]: the chain verdict against trust anchors (rustls-webpki), time as an argument.

pub mod inspect;
pub mod lab;
pub mod sudi;
pub mod verify;

pub(crate) mod files;
mod issue;

use std::io;
use std::path::{Path, PathBuf};

use rustls_pki_types::pem::{self, PemObject};
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

/// The file extensions read from a directory of PEM files.
const PEM_EXTENSIONS: [&str; 3] = ["pem", "crt", "cer"];

/// Loads every certificate from `path`: a PEM file (a bundle is fine) or a directory whose
/// `*.pem`, `*.crt` and `*.cer` files are read in name order.
pub fn load_certs_pem(path: &Path) -> Result<Vec<CertificateDer<'static>>, PkiError> {
    let meta = std::fs::metadata(path).map_err(|e| PkiError::io(path, e))?;
    if !meta.is_dir() {
        return load_certs_file(path);
    }
    let mut certs = Vec::new();
    for file in pem_files_in(path)? {
        certs.extend(certs_from_file(&file)?);
    }
    if certs.is_empty() {
        return Err(PkiError::NoCertificates {
            path: path.to_owned(),
        });
    }
    Ok(certs)
}

/// Loads certificates from one file: PEM (`CERTIFICATE` blocks), or a single DER certificate when
/// the file has no PEM armour.
pub fn load_certs_file(path: &Path) -> Result<Vec<CertificateDer<'static>>, PkiError> {
    let certs = certs_from_file(path)?;
    if certs.is_empty() {
        return Err(PkiError::NoCertificates {
            path: path.to_owned(),
        });
    }
    Ok(certs)
}

/// Loads the first private key (PKCS#8, PKCS#1 or SEC1) from a PEM file.
pub fn load_key_pem(path: &Path) -> Result<PrivateKeyDer<'static>, PkiError> {
    let bytes = std::fs::read(path).map_err(|e| PkiError::io(path, e))?;
    PrivateKeyDer::from_pem_slice(&bytes).map_err(|e| match e {
        pem::Error::NoItemsFound => PkiError::NoPrivateKey {
            path: path.to_owned(),
        },
        other => PkiError::pem(path, other),
    })
}

/// The key algorithm of a generated certificate.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum KeyKind {
    /// ECDSA on NIST P-256 with SHA-256.
    P256,
    /// RSA-2048 with PKCS#1 v1.5 SHA-256 signatures (what Cisco SUDI certificates use).
    #[default]
    Rsa2048,
}

/// Why a certificate operation failed.
#[derive(Debug, thiserror::Error)]
pub enum PkiError {
    /// A file or directory could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The operating-system error.
        source: io::Error,
    },
    /// A PEM file is malformed.
    #[error("{}: bad PEM: {source}", path.display())]
    Pem {
        /// The file.
        path: PathBuf,
        /// What the PEM reader found.
        source: pem::Error,
    },
    /// A file or directory holds no certificate.
    #[error("{}: no certificate found", path.display())]
    NoCertificates {
        /// The file or directory.
        path: PathBuf,
    },
    /// A PEM file holds no private key.
    #[error("{}: no private key found", path.display())]
    NoPrivateKey {
        /// The file.
        path: PathBuf,
    },
    /// A certificate is not valid DER X.509.
    #[error("{}: not an X.509 certificate: {reason}", path.display())]
    BadCertificate {
        /// Where it came from.
        path: PathBuf,
        /// The parser's complaint.
        reason: String,
    },
    /// `init` would overwrite an existing lab PKI (use `--force`), or a device file exists.
    #[error("{}: already exists (use --force to overwrite)", path.display())]
    AlreadyExists {
        /// The existing file.
        path: PathBuf,
    },
    /// A file of the lab PKI is missing.
    #[error("{}: missing (the lab PKI is incomplete; regenerate it with `ztpgate certs init --force`)", path.display())]
    Missing {
        /// The missing file.
        path: PathBuf,
    },
    /// A private key does not belong to its certificate.
    #[error("{}: private key does not match {}", key.display(), cert.display())]
    KeyMismatch {
        /// The certificate.
        cert: PathBuf,
        /// The key.
        key: PathBuf,
    },
    /// An issuer name uses an attribute encoding the generator cannot reproduce.
    #[error("{}: unsupported issuer name attribute {oid}", path.display())]
    UnsupportedName {
        /// The issuer certificate.
        path: PathBuf,
        /// The attribute type.
        oid: String,
    },
    /// A PID or SN is unusable in a SUDI-style serialNumber.
    #[error("invalid {field} {value:?}: {problem}")]
    InvalidDeviceField {
        /// `PID` or `SN`.
        field: &'static str,
        /// The value given.
        value: String,
        /// What is wrong with it.
        problem: FieldProblem,
    },
    /// The validity in days is out of range.
    #[error("invalid validity of {days} days (allowed 1 to {max})", max = lab::MAX_DEVICE_DAYS)]
    InvalidDays {
        /// The value given.
        days: u32,
    },
    /// An output file name is not a plain file name.
    #[error("invalid output name {name:?}: must be a plain file name without '/' or leading '.'")]
    InvalidOutputName {
        /// The value given.
        name: String,
    },
    /// Key or certificate generation failed.
    #[error("cannot generate {what}: {source}")]
    Generate {
        /// Which certificate or key.
        what: &'static str,
        /// rcgen's error.
        source: rcgen::Error,
    },
}

/// What is wrong with a PID or SN.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FieldProblem {
    /// The value is empty.
    #[error("empty")]
    Empty,
    /// The value is longer than [`crate::identity::MAX_UDI_FIELD_BYTES`].
    #[error("longer than {} bytes", crate::identity::MAX_UDI_FIELD_BYTES)]
    TooLong,
    /// A character outside the PrintableString set, a space or a comma.
    #[error("only A-Z a-z 0-9 and ' ( ) + - . / : = ? are allowed")]
    BadCharacter,
}

impl PkiError {
    fn io(path: &Path, source: io::Error) -> Self {
        Self::Io {
            path: path.to_owned(),
            source,
        }
    }

    fn pem(path: &Path, source: pem::Error) -> Self {
        Self::Pem {
            path: path.to_owned(),
            source,
        }
    }

    fn generate(what: &'static str) -> impl FnOnce(rcgen::Error) -> Self {
        move |source| Self::Generate { what, source }
    }
}

fn certs_from_file(path: &Path) -> Result<Vec<CertificateDer<'static>>, PkiError> {
    let bytes = std::fs::read(path).map_err(|e| PkiError::io(path, e))?;
    if !bytes.windows(11).any(|w| w == b"-----BEGIN ") {
        // No PEM armour: a single DER certificate, checked by the caller's parser.
        return Ok(if bytes.is_empty() {
            Vec::new()
        } else {
            vec![CertificateDer::from(bytes)]
        });
    }
    CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| PkiError::pem(path, e))
}

fn pem_files_in(dir: &Path) -> Result<Vec<PathBuf>, PkiError> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| PkiError::io(dir, e))? {
        let path = entry.map_err(|e| PkiError::io(dir, e))?.path();
        let wanted = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| PEM_EXTENSIONS.contains(&e));
        if wanted && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loads_directory_of_pem_files_in_name_order_and_skips_keys() {
        let dir = tempfile::tempdir().unwrap();
        let pki = lab::init(&dir.path().join("pki"), false).unwrap();
        let bundle = dir.path().join("anchors");
        std::fs::create_dir(&bundle).unwrap();
        std::fs::copy(&pki.device_root_cert, bundle.join("b.pem")).unwrap();
        std::fs::copy(&pki.ca_cert, bundle.join("a.crt")).unwrap();
        std::fs::copy(&pki.server_key, bundle.join("c.key")).unwrap();
        let certs = load_certs_pem(&bundle).unwrap();
        assert_eq!(certs.len(), 2);
        assert_eq!(certs[0], load_certs_pem(&pki.ca_cert).unwrap()[0]);
    }

    #[test]
    fn rejects_file_without_certificates() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("empty.pem");
        std::fs::write(&path, b"").unwrap();
        assert!(matches!(
            load_certs_pem(&path),
            Err(PkiError::NoCertificates { .. })
        ));
        assert!(matches!(
            load_key_pem(&path),
            Err(PkiError::NoPrivateKey { .. })
        ));
        assert!(matches!(
            load_certs_pem(&dir.path().join("absent.pem")),
            Err(PkiError::Io { .. })
        ));
    }

    #[test]
    fn reads_bare_der_certificate() {
        let dir = tempfile::tempdir().unwrap();
        let pki = lab::init(&dir.path().join("pki"), false).unwrap();
        let der = load_certs_pem(&pki.ca_cert).unwrap().remove(0);
        let path = dir.path().join("ca.der");
        std::fs::write(&path, der.as_ref()).unwrap();
        assert_eq!(load_certs_file(&path).unwrap(), vec![der]);
    }
}
