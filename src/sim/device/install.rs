//! Services that fetch files: config-upgrade (§2.5.7), image-install (§2.5.8) and
//! file-transfer (§2.5.9), plus the list of locations a request will fetch, so the async loop
//! can download them before the pure device runs.
//!
//! Inputs: server-named locations (only `https://` URLs and server-relative `uri`s are
//! fetched; the `fetch` callback enforces it), MD5 checksums from the request (§2.5.8).
//! Image version: taken from the file name `<anything>.<version>.SPA.bin` (the Cisco naming,
//! e.g. `cat9k_iosxe.17.09.04a.SPA.bin` → `17.09.04a`); other names keep their stem as the
//! version. The request has no version field, so nothing else can supply it.

use md5::{Digest as _, Md5};

use super::exec::{config_lines, valid_config_line};
use super::{Device, DeviceOutcome, FetchError};
use crate::proto::pnp::Service;
use crate::proto::pnp::cli_config::ConfigData;
use crate::proto::pnp::error_info::{ConfigUpgradeError, FileTransferError, ImageInstallError};
use crate::proto::pnp::{
    AfterOperation, ApplyTo, ConfigUpgrade, Correlator, ErrorCode, FileLocation, FileTransfer,
    ImageInstall, ServiceRequest,
};

/// The locations a request makes the device fetch (sources of config-upgrade, image-install and
/// file-transfer), in the form the `fetch` callback receives them.
pub fn urls_to_fetch(request: &ServiceRequest) -> Vec<String> {
    let source = match request {
        ServiceRequest::ConfigUpgrade(u) => &u.source.file,
        ServiceRequest::ImageInstall(i) => &i.source.file,
        ServiceRequest::FileTransfer(t) => &t.source,
        _ => return Vec::new(),
    };
    if fetchable(source) {
        vec![source.as_str().to_owned()]
    } else {
        Vec::new()
    }
}

/// Only `https://` locations and server-relative `uri`s are fetched.
fn fetchable(location: &FileLocation) -> bool {
    match location {
        FileLocation::Uri(_) => true,
        FileLocation::Location(l) => l
            .get(..8)
            .is_some_and(|s| s.eq_ignore_ascii_case("https://")),
    }
}

/// Fetches a location through the callback, refusing anything but HTTPS.
fn get(
    fetch: &mut dyn FnMut(&str) -> Result<Vec<u8>, FetchError>,
    location: &FileLocation,
) -> Result<Vec<u8>, FetchError> {
    if !fetchable(location) {
        return Err(FetchError::NotHttps {
            location: location.as_str().to_owned(),
        });
    }
    fetch(location.as_str())
}

/// The version in an image file name: `<x>.<version>.SPA.bin` → `<version>`; otherwise the
/// name without directory and extension.
pub fn image_version(file: &str) -> String {
    let base = file.rsplit(['/', ':']).next().unwrap_or(file);
    if let Some((_, version)) = base
        .strip_suffix(".SPA.bin")
        .and_then(|stem| stem.split_once('.'))
    {
        return version.to_owned();
    }
    base.rsplit_once('.')
        .map_or(base, |(stem, _)| stem)
        .to_owned()
}

fn md5_hex(data: &[u8]) -> String {
    hex::encode(Md5::digest(data))
}

fn checksum_ok(expected: Option<&str>, data: &[u8]) -> bool {
    expected.is_none_or(|e| e.trim().eq_ignore_ascii_case(&md5_hex(data)))
}

/// The base name of a location (`https://h/p/x.bin` → `x.bin`).
fn base_name(location: &str) -> &str {
    location.rsplit(['/', ':']).next().unwrap_or(location)
}

impl Device {
    pub(super) fn config_upgrade(
        &mut self,
        c: Option<&Correlator>,
        request: &ConfigUpgrade,
        fetch: &mut dyn FnMut(&str) -> Result<Vec<u8>, FetchError>,
    ) -> DeviceOutcome {
        let service = Service::ConfigUpgrade;
        let fail = |d: &Self, code, msg: &str| {
            d.fail(c, &service, ErrorCode::ConfigUpgrade(code), msg, vec![])
        };
        let data = match get(fetch, &request.source.file) {
            Ok(data) => data,
            Err(e) => return fail(self, ConfigUpgradeError::InvalidSourceFile, &e.to_string()),
        };
        if !checksum_ok(request.source.checksum.as_deref(), &data) {
            return fail(self, ConfigUpgradeError::HashFailed, "checksum mismatch");
        }
        let Ok(text) = String::from_utf8(data) else {
            return fail(self, ConfigUpgradeError::FileType, "not a text file");
        };
        let lines = config_lines(&ConfigData::Block(text));
        if let Some(bad) = lines.iter().find(|l| !valid_config_line(l)) {
            let msg = format!("Invalid input detected: {bad}");
            return fail(self, ConfigUpgradeError::InvalidInputDetected, &msg);
        }
        match request.apply_to {
            Some(ApplyTo::Startup) => {
                self.startup = lines.into_iter().filter(|l| !l.starts_with('!')).collect();
            }
            // Running is the default (pnp.md §6 item 8); AP configs are applied to running too.
            _ => lines.iter().for_each(|l| {
                self.apply_line(l);
            }),
        }
        let log = crate::proto::pnp::write::Node::new("serviceLog").text("[OK]");
        let mut outcome = self.ok(c, &service, vec![log]);
        self.after(&request.after, false, &mut outcome);
        outcome
    }

    pub(super) fn image_install(
        &mut self,
        c: Option<&Correlator>,
        request: &ImageInstall,
        fetch: &mut dyn FnMut(&str) -> Result<Vec<u8>, FetchError>,
    ) -> DeviceOutcome {
        let service = Service::ImageInstall;
        let fail = |d: &Self, code, msg: &str| {
            d.fail(c, &service, ErrorCode::ImageInstall(code), msg, vec![])
        };
        let source = request.source.file.as_str();
        let Some((fs_index, name)) = self.destination(request.destination.as_ref(), source) else {
            return fail(self, ImageInstallError::InvalidDestinationFs, "destination");
        };
        if !(name.ends_with(".bin") || name.ends_with(".tar")) {
            return fail(
                self,
                ImageInstallError::InvalidImageFormat,
                "not a .bin or .tar image",
            );
        }
        let data = match get(fetch, &request.source.file) {
            Ok(data) => data,
            Err(e) => return fail(self, ImageInstallError::SourceNotFound, &e.to_string()),
        };
        if !checksum_ok(request.source.checksum.as_deref(), &data) {
            return fail(
                self,
                ImageInstallError::VerifyFailed,
                "MD5 checksum mismatch",
            );
        }
        let md5 = md5_hex(&data);
        let Some(fs) = self.file_systems.get_mut(fs_index) else {
            return fail(self, ImageInstallError::InvalidDestinationFs, "destination");
        };
        if !fs.store(&name, &data, md5) {
            return fail(
                self,
                ImageInstallError::NoSpace,
                "no space on destination file system",
            );
        }
        self.boot_image = format!("{}:{name}", fs.name);
        self.boot_version = image_version(&name);
        let mut outcome = self.ok(c, &service, vec![]);
        self.after(&request.after, true, &mut outcome);
        outcome
    }

    pub(super) fn file_transfer(
        &mut self,
        c: Option<&Correlator>,
        request: &FileTransfer,
        fetch: &mut dyn FnMut(&str) -> Result<Vec<u8>, FetchError>,
    ) -> DeviceOutcome {
        let service = Service::FileTransfer;
        let code = ErrorCode::FileTransfer(FileTransferError::FileCopyFailed);
        let source = request.source.as_str();
        let Some((fs_index, name)) = self.destination(Some(&request.destination), source) else {
            return self.fail(c, &service, code, "invalid destination", vec![]);
        };
        let data = match get(fetch, &request.source) {
            Ok(data) => data,
            Err(e) => return self.fail(c, &service, code, &e.to_string(), vec![]),
        };
        let md5 = md5_hex(&data);
        let stored = self
            .file_systems
            .get_mut(fs_index)
            .is_some_and(|fs| fs.store(&name, &data, md5));
        if !stored {
            return self.fail(c, &service, code, "no space on destination", vec![]);
        }
        self.ok(c, &service, vec![])
    }

    /// The file-system index and file name of a destination (`fs:name`), defaulting to the
    /// first file system and the source's base name; `None` for an unknown file system.
    fn destination(&self, dest: Option<&FileLocation>, source: &str) -> Option<(usize, String)> {
        let (fs, name) = match dest.map(FileLocation::as_str) {
            Some(d) => match d.split_once(':') {
                Some((fs, name)) => (fs, name.trim_start_matches('/')),
                None => (self.file_systems.first()?.name.as_str(), d),
            },
            None => (self.file_systems.first()?.name.as_str(), base_name(source)),
        };
        let name = if name.is_empty() {
            base_name(source)
        } else {
            name
        };
        let index = self.file_systems.iter().position(|f| f.name == fs)?;
        Some((index, name.to_owned()))
    }

    /// Applies the `reload`/`noReload` choice; `default_reload` is the device default.
    fn after(&mut self, after: &AfterOperation, default_reload: bool, outcome: &mut DeviceOutcome) {
        match after {
            AfterOperation::Reload(r) => {
                if r.save_config == Some(true) {
                    self.startup = self.running.clone();
                }
                outcome.reload = true;
                outcome.reload_delay = r.delay_in.unwrap_or(0);
            }
            AfterOperation::NoReload => {}
            AfterOperation::DeviceDefault => outcome.reload = default_reload,
        }
    }
}
