//! Parser for the output of IOS / IOS-XE `show version`, as read from a legacy Smart Install
//! client over the reverse-telnet session (`../shared/reference/smi-proxy.txt`: the proxy "telnets
//! to clients and acquires the output data for the show version command" to learn PID, VID, SN).
//!
//! Sources, first occurrence wins (on a stack that is the active switch):
//! - PID: `Model number : …` (12.2/15.x Catalyst) or `Model Number : …` (IOS-XE), else the
//!   `cisco <PID> (<cpu>) processor …` line;
//! - serial: `System serial number : …` / `System Serial Number : …`, else
//!   `Processor board ID <SN>`;
//! - VID: `Version ID : …` (absent on IOS-XE 3.x/16.x and on old 12.2 releases);
//! - hostname: `<hostname> uptime is …`; version: the `Version <v>` token of the first
//!   `Cisco IOS …` / `IOS (tm) …` banner line; image: `System image file is "<path>"`;
//!   base MAC: `Base ethernet MAC Address : …`.
//!
//! Inputs are device output, untrusted: at most [`MAX_OUTPUT_BYTES`]; invalid UTF-8 is replaced
//! (and then refused inside a value); every value must be printable ASCII without spaces and at
//! most [`MAX_VALUE_BYTES`] long ([`MAX_UDI_FIELD_BYTES`] for PID, VID and serial). PID and serial
//! are required. No panic on any input (property-tested).

use crate::identity::{MAX_UDI_FIELD_BYTES, Udi};
use crate::policy::join::Mac;

/// The largest `show version` output accepted (real ones are 2–8 KiB; a stack of 9 is ~25 KiB).
pub const MAX_OUTPUT_BYTES: usize = 256 * 1024;
/// The longest hostname, version or image path accepted.
pub const MAX_VALUE_BYTES: usize = 256;

/// What `show version` told about a device.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShowVersion {
    /// Product ID, e.g. `WS-C2960X-48FPD-L`.
    pub pid: String,
    /// Version ID, e.g. `V05`; absent on platforms that do not print it.
    pub vid: Option<String>,
    /// System serial number, e.g. `FOC1933X0AB`.
    pub serial: String,
    /// The device's hostname, from the `… uptime is …` line.
    pub hostname: Option<String>,
    /// Software version, e.g. `15.2(7)E8` or `16.12.04`.
    pub version: Option<String>,
    /// System image file, e.g. `flash:/c2960x-universalk9-mz.152-7.E8.bin`.
    pub image: Option<String>,
    /// Base Ethernet MAC address.
    pub base_mac: Option<[u8; 6]>,
}

impl ShowVersion {
    /// The UDI the PnP server knows this device by (an absent VID is written empty).
    pub fn udi(&self) -> Udi {
        Udi {
            pid: self.pid.clone(),
            vid: self.vid.clone().unwrap_or_default(),
            sn: self.serial.clone(),
        }
    }
}

/// A field of [`ShowVersion`], to name what is missing or malformed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    /// Product ID.
    Pid,
    /// Version ID.
    Vid,
    /// Serial number.
    Serial,
    /// Hostname.
    Hostname,
    /// Software version.
    Version,
    /// System image file.
    Image,
    /// Base MAC address.
    BaseMac,
}

/// Output that does not yield a usable [`ShowVersion`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ShowVersionError {
    /// Output longer than [`MAX_OUTPUT_BYTES`].
    #[error("show version output of {len} bytes exceeds {limit} bytes")]
    TooLarge {
        /// Length received.
        len: usize,
        /// The limit.
        limit: usize,
    },
    /// Nothing but whitespace.
    #[error("show version output is empty")]
    Empty,
    /// A required field (PID or serial) was not found.
    #[error("show version output has no {0:?}")]
    Missing(Field),
    /// A field's value is too long or has a character outside printable ASCII.
    #[error("show version {field:?} on line {line} is malformed")]
    BadValue {
        /// Which field.
        field: Field,
        /// One-based line number.
        line: usize,
    },
}

/// Parses `show version` output.
pub fn parse(output: &[u8]) -> Result<ShowVersion, ShowVersionError> {
    if output.len() > MAX_OUTPUT_BYTES {
        return Err(ShowVersionError::TooLarge {
            len: output.len(),
            limit: MAX_OUTPUT_BYTES,
        });
    }
    let text = String::from_utf8_lossy(output);
    if text.trim().is_empty() {
        return Err(ShowVersionError::Empty);
    }
    let mut found = Found::default();
    for (index, line) in text.lines().enumerate() {
        found.line(index + 1, line.trim())?;
    }
    found.finish()
}

/// Values seen so far: the labelled ones and the fallbacks, kept apart.
#[derive(Default)]
struct Found {
    model_number: Option<String>,
    processor_pid: Option<String>,
    system_serial: Option<String>,
    board_id: Option<String>,
    vid: Option<String>,
    hostname: Option<String>,
    version: Option<String>,
    image: Option<String>,
    base_mac: Option<[u8; 6]>,
}

impl Found {
    fn line(&mut self, number: usize, line: &str) -> Result<(), ShowVersionError> {
        if let Some((key, value)) = line.split_once(':') {
            self.labelled(number, key.trim(), value.trim())?;
        }
        let words: Vec<&str> = line.split_whitespace().take(4).collect();
        match words.as_slice() {
            [host, "uptime", "is", ..] => set(&mut self.hostname, Field::Hostname, number, host)?,
            ["Processor", "board", "ID", id, ..] => {
                let id = id.trim_end_matches(',');
                set(&mut self.board_id, Field::Serial, number, id)?;
            }
            [cisco, pid, cpu, ..]
                if cisco.eq_ignore_ascii_case("cisco")
                    && cpu.starts_with('(')
                    && line.contains(" processor") =>
            {
                set(&mut self.processor_pid, Field::Pid, number, pid)?;
            }
            _ => {}
        }
        let banner = line.starts_with("Cisco IOS") || line.starts_with("IOS (tm)");
        if let Some(version) = banner.then(|| banner_version(line)).flatten() {
            set(&mut self.version, Field::Version, number, version)?;
        }
        if let Some(rest) = line.strip_prefix("System image file is ") {
            let path = rest.trim().trim_matches('"');
            set(&mut self.image, Field::Image, number, path)?;
        }
        Ok(())
    }

    fn labelled(&mut self, number: usize, key: &str, value: &str) -> Result<(), ShowVersionError> {
        let key = key.to_ascii_lowercase();
        match key.as_str() {
            "model number" => set(&mut self.model_number, Field::Pid, number, value),
            "system serial number" => set(&mut self.system_serial, Field::Serial, number, value),
            "version id" => set(&mut self.vid, Field::Vid, number, value),
            "base ethernet mac address" if self.base_mac.is_none() => {
                let mac = Mac::parse(value).map_err(|_| ShowVersionError::BadValue {
                    field: Field::BaseMac,
                    line: number,
                })?;
                self.base_mac = Some(mac.0);
                Ok(())
            }
            _ => Ok(()),
        }
    }

    fn finish(self) -> Result<ShowVersion, ShowVersionError> {
        let pid = self.model_number.or(self.processor_pid);
        let serial = self.system_serial.or(self.board_id);
        Ok(ShowVersion {
            pid: pid.ok_or(ShowVersionError::Missing(Field::Pid))?,
            vid: self.vid,
            serial: serial.ok_or(ShowVersionError::Missing(Field::Serial))?,
            hostname: self.hostname,
            version: self.version,
            image: self.image,
            base_mac: self.base_mac,
        })
    }
}

/// The token after `Version ` on a banner line, up to a comma or space.
fn banner_version(line: &str) -> Option<&str> {
    let (_, rest) = line.split_once("Version ")?;
    rest.split([',', ' ']).next().filter(|v| !v.is_empty())
}

/// Stores the first value seen for a field, after checking it.
fn set(
    slot: &mut Option<String>,
    field: Field,
    line: usize,
    value: &str,
) -> Result<(), ShowVersionError> {
    // An empty value (`Version ID :` with nothing after it) says nothing: keep looking.
    if slot.is_some() || value.is_empty() {
        return Ok(());
    }
    let udi_field = matches!(field, Field::Pid | Field::Vid | Field::Serial);
    let limit = if udi_field {
        MAX_UDI_FIELD_BYTES
    } else {
        MAX_VALUE_BYTES
    };
    // A comma would split the UDI text `PID:…,VID:…,SN:…`.
    let bad_char = |b: u8| !b.is_ascii_graphic() || (udi_field && b == b',');
    if value.len() > limit || value.bytes().any(bad_char) {
        return Err(ShowVersionError::BadValue { field, line });
    }
    *slot = Some(value.to_owned());
    Ok(())
}

#[cfg(test)]
mod tests;
