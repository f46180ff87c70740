//! The lab PKI: what `ztpgate certs init` and `ztpgate serve` (without a configured PKI) generate,
//! and the SUDI-like device certificates of `ztpgate certs device`.
//!
//! Two separate hierarchies, so a device certificate can never open the admin API:
//!
//! ```text
//! ca.crt  "ztpgate lab CA" (P-256, 10 years, pathlen 0)
//!  ├─ server.crt  "ztpgate lab server" (localhost, 127.0.0.1, ::1; serverAuth; 2 years)
//!  └─ admin.crt   "ztpgate-admin" (clientAuth; 2 years)
//! device-root.crt  "ztpgate lab device root CA" (RSA-2048, 20 years, pathlen 1)
//!  └─ device-ca.crt  "ztpgate lab device CA" (RSA-2048, 10 years, pathlen 0)
//!      └─ devices/<PID>_<SN>.crt  serialNumber "PID:<pid> SN:<sn>" (PrintableString; clientAuth)
//! ```
//!
//! Trust: the directory is the gateway's own data. The PID and SN of a device certificate come
//! from the operator and are validated (PrintableString characters, no space or comma, at most
//! [`crate::identity::MAX_UDI_FIELD_BYTES`]). Private keys are written 0600 in a 0700 directory,
//! each file atomically (temp name, fsync, rename); `ca.crt` is written last, so its presence
//! marks a complete PKI. Certificates are generated, never committed.

use std::path::{Path, PathBuf};

use rcgen::{Issuer, KeyPair};
use time::OffsetDateTime;

use crate::identity::{CertIdentity, MAX_UDI_FIELD_BYTES};
use crate::pki::files::{self, MODE_PUBLIC, MODE_SECRET};
use crate::pki::issue;
use crate::pki::{FieldProblem, KeyKind, PkiError};

/// Default validity of a device certificate, in days (about 10 years, like ACT2 SUDIs).
pub const DEFAULT_DEVICE_DAYS: u32 = 3_650;
/// Longest allowed validity of a device certificate, in days (about 100 years).
pub const MAX_DEVICE_DAYS: u32 = 36_525;

const CA_DAYS: i64 = 3_652;
const LEAF_DAYS: i64 = 730;
const DEVICE_ROOT_DAYS: i64 = 7_305;
const DEVICE_CA_DAYS: i64 = 3_652;
const MAX_OUTPUT_NAME_BYTES: usize = 128;

/// The files of a lab PKI directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LabPki {
    /// The directory.
    pub dir: PathBuf,
    /// Admin CA certificate (`ca.crt`); issues the server and admin certificates.
    pub ca_cert: PathBuf,
    /// Gateway server certificate (`server.crt`).
    pub server_cert: PathBuf,
    /// Gateway server key (`server.key`).
    pub server_key: PathBuf,
    /// Admin client certificate (`admin.crt`).
    pub admin_cert: PathBuf,
    /// Admin client key (`admin.key`).
    pub admin_key: PathBuf,
    /// Root of the device hierarchy (`device-root.crt`).
    pub device_root_cert: PathBuf,
    /// Intermediate that issues device certificates (`device-ca.crt`).
    pub device_ca_cert: PathBuf,
    /// Whether this call generated the files.
    pub generated: bool,
}

impl LabPki {
    fn at(dir: &Path, generated: bool) -> Self {
        Self {
            dir: dir.to_owned(),
            ca_cert: dir.join("ca.crt"),
            server_cert: dir.join("server.crt"),
            server_key: dir.join("server.key"),
            admin_cert: dir.join("admin.crt"),
            admin_key: dir.join("admin.key"),
            device_root_cert: dir.join("device-root.crt"),
            device_ca_cert: dir.join("device-ca.crt"),
            generated,
        }
    }

    /// The admin CA's private key (`ca.key`).
    pub fn ca_key(&self) -> PathBuf {
        self.dir.join("ca.key")
    }

    /// The device root's private key (`device-root.key`).
    pub fn device_root_key(&self) -> PathBuf {
        self.dir.join("device-root.key")
    }

    /// The device intermediate's private key (`device-ca.key`).
    pub fn device_ca_key(&self) -> PathBuf {
        self.dir.join("device-ca.key")
    }

    /// Every file of the PKI, `ca.crt` last.
    pub fn files(&self) -> [PathBuf; 10] {
        [
            self.ca_key(),
            self.server_cert.clone(),
            self.server_key.clone(),
            self.admin_cert.clone(),
            self.admin_key.clone(),
            self.device_root_cert.clone(),
            self.device_root_key(),
            self.device_ca_cert.clone(),
            self.device_ca_key(),
            self.ca_cert.clone(),
        ]
    }
}

/// The files written for one device.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceFiles {
    /// The device certificate (`devices/<name>.crt`).
    pub cert: PathBuf,
    /// Its private key (`devices/<name>.key`, mode 0600).
    pub key: PathBuf,
    /// Leaf followed by the device CA (`devices/<name>.chain.pem`), what a device presents.
    pub chain: PathBuf,
    /// The identity in the subject serialNumber.
    pub identity: CertIdentity,
}

/// What `issue` should produce.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceRequest<'a> {
    /// Product ID, e.g. `ISR4321/K9`.
    pub pid: &'a str,
    /// Serial number, e.g. `FDO21520TGH`.
    pub sn: &'a str,
    /// Key algorithm.
    pub key: KeyKind,
    /// Validity in days, 1 to [`MAX_DEVICE_DAYS`].
    pub days: u32,
    /// Base file name under `devices/`; default `<PID with / as _>_<SN>`.
    pub out_name: Option<&'a str>,
    /// Overwrite existing files of the same name.
    pub force: bool,
}

/// Returns the lab PKI in `dir`, generating it when `ca.crt` is missing. A missing `ca.crt` means
/// no PKI or an interrupted generation, whose leftovers are replaced.
pub fn ensure(dir: &Path) -> Result<LabPki, PkiError> {
    let pki = LabPki::at(dir, false);
    if !exists(&pki.ca_cert)? {
        return generate(dir);
    }
    for file in pki.files() {
        if !exists(&file)? {
            return Err(PkiError::Missing { path: file });
        }
    }
    Ok(pki)
}

/// Generates a new lab PKI in `dir` (created with mode 0700). Without `force`, refuses when any
/// of its files exists.
pub fn init(dir: &Path, force: bool) -> Result<LabPki, PkiError> {
    if !force {
        for file in LabPki::at(dir, false).files() {
            if exists(&file)? {
                return Err(PkiError::AlreadyExists { path: file });
            }
        }
    }
    generate(dir)
}

/// Issues a device certificate with the defaults of [`DeviceRequest`] (no overwrite).
pub fn issue_device(
    dir: &Path,
    pid: &str,
    sn: &str,
    key: KeyKind,
    days: u32,
) -> Result<DeviceFiles, PkiError> {
    issue(
        dir,
        &DeviceRequest {
            pid,
            sn,
            key,
            days,
            out_name: None,
            force: false,
        },
    )
}

/// Issues a SUDI-like device certificate from the lab device CA in `dir`.
pub fn issue(dir: &Path, req: &DeviceRequest<'_>) -> Result<DeviceFiles, PkiError> {
    let identity = CertIdentity {
        pid: device_field("PID", req.pid)?,
        sn: device_field("SN", req.sn)?,
    };
    if req.days == 0 || req.days > MAX_DEVICE_DAYS {
        return Err(PkiError::InvalidDays { days: req.days });
    }
    let name = match req.out_name {
        Some(name) => output_name(name)?,
        None => default_device_name(&identity),
    };
    let pki = LabPki::at(dir, false);
    let devices = dir.join("devices");
    let files = DeviceFiles {
        cert: devices.join(format!("{name}.crt")),
        key: devices.join(format!("{name}.key")),
        chain: devices.join(format!("{name}.chain.pem")),
        identity,
    };
    if !req.force {
        for path in [&files.cert, &files.key, &files.chain] {
            if exists(path)? {
                return Err(PkiError::AlreadyExists { path: path.clone() });
            }
        }
    }
    let (issuer, _) = issue::issuer_from_files(&pki.device_ca_cert, &pki.device_ca_key())?;
    let ca_pem = std::fs::read_to_string(&pki.device_ca_cert)
        .map_err(|e| PkiError::io(&pki.device_ca_cert, e))?;
    let key = issue::generate_key(req.key, "device key")?;
    let params = issue::device_params(&files.identity, req.key, i64::from(req.days), now())?;
    let cert = params
        .signed_by(&key, &issuer)
        .map_err(PkiError::generate("device certificate"))?;
    files::create_private_dir(&devices)?;
    let leaf_pem = cert.pem();
    files::write_atomic(&files.key, key.serialize_pem().as_bytes(), MODE_SECRET)?;
    files::write_atomic(&files.cert, leaf_pem.as_bytes(), MODE_PUBLIC)?;
    let chain = format!("{leaf_pem}{}", with_newline(&ca_pem));
    files::write_atomic(&files.chain, chain.as_bytes(), MODE_PUBLIC)?;
    Ok(files)
}

/// `<PID with / replaced by _>_<SN>`, the default base name of a device's files.
pub fn default_device_name(id: &CertIdentity) -> String {
    format!("{}_{}", id.pid.replace('/', "_"), id.sn)
}

fn generate(dir: &Path) -> Result<LabPki, PkiError> {
    files::create_private_dir(dir)?;
    let pki = LabPki::at(dir, true);
    let now = now();

    let ca_params = issue::ca_params("ztpgate lab CA", Some(0), CA_DAYS, now)?;
    let ca_key = issue::generate_key(KeyKind::P256, "CA key")?;
    let ca_cert = ca_params
        .self_signed(&ca_key)
        .map_err(PkiError::generate("CA certificate"))?;
    write_key(&pki.ca_key(), &ca_key)?;
    let ca = Issuer::new(ca_params, ca_key);

    let server = issue::server_params(LEAF_DAYS, now)?;
    write_leaf(&server, &ca, &pki.server_cert, &pki.server_key, "server")?;
    let admin = issue::client_params("ztpgate-admin", LEAF_DAYS, now)?;
    write_leaf(&admin, &ca, &pki.admin_cert, &pki.admin_key, "admin")?;

    let root_params =
        issue::ca_params("ztpgate lab device root CA", Some(1), DEVICE_ROOT_DAYS, now)?;
    let root_key = issue::generate_key(KeyKind::Rsa2048, "device root key")?;
    let root_cert = root_params
        .self_signed(&root_key)
        .map_err(PkiError::generate("device root certificate"))?;
    write_pair(
        &pki.device_root_cert,
        &root_cert,
        &pki.device_root_key(),
        &root_key,
    )?;
    let root = Issuer::new(root_params, root_key);

    let sub_params = issue::ca_params("ztpgate lab device CA", Some(0), DEVICE_CA_DAYS, now)?;
    let sub_key = issue::generate_key(KeyKind::Rsa2048, "device CA key")?;
    let sub_cert = sub_params
        .signed_by(&sub_key, &root)
        .map_err(PkiError::generate("device CA certificate"))?;
    write_pair(
        &pki.device_ca_cert,
        &sub_cert,
        &pki.device_ca_key(),
        &sub_key,
    )?;

    // Last: its presence marks a complete PKI for `ensure`.
    files::write_atomic(&pki.ca_cert, ca_cert.pem().as_bytes(), MODE_PUBLIC)?;
    Ok(pki)
}

fn write_leaf(
    params: &rcgen::CertificateParams,
    issuer: &Issuer<'_, KeyPair>,
    cert_path: &Path,
    key_path: &Path,
    what: &'static str,
) -> Result<(), PkiError> {
    let key = issue::generate_key(KeyKind::P256, what)?;
    let cert = params
        .signed_by(&key, issuer)
        .map_err(PkiError::generate(what))?;
    write_pair(cert_path, &cert, key_path, &key)
}

fn write_pair(
    cert_path: &Path,
    cert: &rcgen::Certificate,
    key_path: &Path,
    key: &KeyPair,
) -> Result<(), PkiError> {
    write_key(key_path, key)?;
    files::write_atomic(cert_path, cert.pem().as_bytes(), MODE_PUBLIC)
}

fn write_key(path: &Path, key: &KeyPair) -> Result<(), PkiError> {
    files::write_atomic(path, key.serialize_pem().as_bytes(), MODE_SECRET)
}

fn device_field(field: &'static str, value: &str) -> Result<String, PkiError> {
    let problem = if value.is_empty() {
        Some(FieldProblem::Empty)
    } else if value.len() > MAX_UDI_FIELD_BYTES {
        Some(FieldProblem::TooLong)
    } else if !value.bytes().all(is_sudi_char) {
        Some(FieldProblem::BadCharacter)
    } else {
        None
    };
    match problem {
        None => Ok(value.to_owned()),
        Some(problem) => Err(PkiError::InvalidDeviceField {
            field,
            value: value.to_owned(),
            problem,
        }),
    }
}

/// PrintableString characters (X.680), minus space and comma, which separate UDI tokens.
fn is_sudi_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"'()+-./:=?".contains(&b)
}

fn output_name(name: &str) -> Result<String, PkiError> {
    let bad = name.is_empty()
        || name.len() > MAX_OUTPUT_NAME_BYTES
        || name.starts_with('.')
        || name.contains(['/', '\0']);
    if bad {
        return Err(PkiError::InvalidOutputName {
            name: name.to_owned(),
        });
    }
    Ok(name.to_owned())
}

fn exists(path: &Path) -> Result<bool, PkiError> {
    path.try_exists().map_err(|e| PkiError::io(path, e))
}

fn now() -> OffsetDateTime {
    OffsetDateTime::from(crate::clock::now_system())
}

fn with_newline(s: &str) -> String {
    if s.ends_with('\n') {
        s.to_owned()
    } else {
        format!("{s}\n")
    }
}

#[cfg(test)]
mod tests;
