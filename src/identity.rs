//! Device identities: the UDI a device claims (`PID:…,VID:…,SN:…`), the identity carried in a
//! SUDI certificate subject serialNumber (`PID:<pid> SN:<sn>`), and [`DeviceIdentity`], the proof
//! that an identity was verified.
//!
//! Claimed UDIs come from device messages and are untrusted; they are parsed by token (PIDs may
//! contain `/`, the VID may be empty) and bounded in length.

use std::fmt;

/// The most bytes a PID, VID or SN may have. Cisco values are far shorter.
pub const MAX_UDI_FIELD_BYTES: usize = 64;

/// A UDI as claimed by a device: product ID, version ID (possibly empty) and serial number.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub struct Udi {
    /// Product ID, e.g. `ISR4321/K9`.
    pub pid: String,
    /// Version ID, e.g. `V04`; may be empty.
    pub vid: String,
    /// Serial number, e.g. `FDO21520TGH`.
    pub sn: String,
}

impl Udi {
    /// Parses the PnP form `PID:<pid>,VID:<vid>,SN:<sn>` (tokens in any order, surrounding
    /// whitespace ignored).
    pub fn parse(s: &str) -> Result<Self, IdentityError> {
        let [pid, vid, sn] = tokens(s.split(',').map(str::trim), &["PID", "VID", "SN"], true)?;
        Ok(Self {
            pid: required(pid, IdentityError::MissingPid)?,
            vid: vid.unwrap_or_default(),
            sn: required(sn, IdentityError::MissingSn)?,
        })
    }
}

impl fmt::Display for Udi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PID:{},VID:{},SN:{}", self.pid, self.vid, self.sn)
    }
}

/// PID and serial number as written in a SUDI certificate subject serialNumber attribute.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub struct CertIdentity {
    /// Product ID.
    pub pid: String,
    /// Serial number.
    pub sn: String,
}

impl CertIdentity {
    /// Parses `PID:<pid> SN:<sn>` (space-separated tokens, any order).
    pub fn parse_serial_number(s: &str) -> Result<Self, IdentityError> {
        let [pid, _, sn] = tokens(s.split_ascii_whitespace(), &["PID", "SN"], false)?;
        Ok(Self {
            pid: required(pid, IdentityError::MissingPid)?,
            sn: required(sn, IdentityError::MissingSn)?,
        })
    }

    /// Whether a claimed UDI names this device (PID and SN equal; the VID is not in SUDI subjects).
    pub fn matches(&self, udi: &Udi) -> bool {
        self.pid == udi.pid && self.sn == udi.sn
    }
}

impl fmt::Display for CertIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PID:{} SN:{}", self.pid, self.sn)
    }
}

/// A device identity that passed certificate verification and the authentication policy.
///
/// Only `policy::auth` constructs it, after the edge's verifier established the chain; every
/// provisioning decision takes one, so no policy runs on an unauthenticated device.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub struct DeviceIdentity {
    pid: String,
    sn: String,
}

impl DeviceIdentity {
    /// Only for `policy::auth`: the identity of a device that passed verification and policy.
    pub(crate) fn authenticated(id: &CertIdentity) -> Self {
        Self {
            pid: id.pid.clone(),
            sn: id.sn.clone(),
        }
    }

    /// Product ID.
    pub fn pid(&self) -> &str {
        &self.pid
    }

    /// Serial number.
    pub fn sn(&self) -> &str {
        &self.sn
    }
}

impl fmt::Display for DeviceIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PID:{} SN:{}", self.pid, self.sn)
    }
}

/// Why a UDI or serialNumber string could not be parsed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum IdentityError {
    /// A token has no `:`.
    #[error("token without ':'")]
    MissingColon,
    /// A token other than PID, VID or SN.
    #[error("unknown field (expected PID, VID or SN)")]
    UnknownField,
    /// A field appears twice.
    #[error("field given twice")]
    DuplicateField,
    /// No PID, or an empty one.
    #[error("missing PID")]
    MissingPid,
    /// No SN, or an empty one.
    #[error("missing SN")]
    MissingSn,
    /// A field longer than [`MAX_UDI_FIELD_BYTES`].
    #[error("field longer than {MAX_UDI_FIELD_BYTES} bytes")]
    TooLong,
    /// A field with a control character, or a space where none is allowed.
    #[error("field contains a forbidden character")]
    BadCharacter,
}

fn field(value: &str, spaces_allowed: bool) -> Result<String, IdentityError> {
    if value.len() > MAX_UDI_FIELD_BYTES {
        return Err(IdentityError::TooLong);
    }
    if value
        .chars()
        .any(|c| c.is_control() || (!spaces_allowed && c.is_whitespace()) || c == ',')
    {
        return Err(IdentityError::BadCharacter);
    }
    Ok(value.to_owned())
}

/// Splits `KEY:value` tokens into PID, VID and SN slots; `keys` are the keys allowed.
fn tokens<'a>(
    tokens: impl Iterator<Item = &'a str>,
    keys: &[&str],
    spaces_allowed: bool,
) -> Result<[Option<String>; 3], IdentityError> {
    let mut slots: [Option<String>; 3] = [None, None, None];
    for token in tokens {
        let (key, value) = token.split_once(':').ok_or(IdentityError::MissingColon)?;
        let key = key.trim();
        if !keys.contains(&key) {
            return Err(IdentityError::UnknownField);
        }
        let index = match key {
            "PID" => 0,
            "VID" => 1,
            _ => 2,
        };
        if slots[index].is_some() {
            return Err(IdentityError::DuplicateField);
        }
        let value = if spaces_allowed { value.trim() } else { value };
        slots[index] = Some(field(value, spaces_allowed)?);
    }
    Ok(slots)
}

fn required(value: Option<String>, err: IdentityError) -> Result<String, IdentityError> {
    match value {
        Some(v) if !v.is_empty() => Ok(v),
        _ => Err(err),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_udi_with_slash_pid_and_empty_vid() {
        let udi = Udi::parse("PID:ISR4321/K9,VID:,SN:FDO21520TGH").unwrap();
        assert_eq!(udi.pid, "ISR4321/K9");
        assert_eq!(udi.vid, "");
        assert_eq!(udi.sn, "FDO21520TGH");
        assert_eq!(udi.to_string(), "PID:ISR4321/K9,VID:,SN:FDO21520TGH");
    }

    #[test]
    fn parses_sudi_serial_number() {
        let id = CertIdentity::parse_serial_number("PID:ISR4321/K9 SN:FDO21520TGH").unwrap();
        assert_eq!(id.pid, "ISR4321/K9");
        assert!(id.matches(&Udi::parse("PID:ISR4321/K9,VID:V04,SN:FDO21520TGH").unwrap()));
        assert!(!id.matches(&Udi::parse("PID:ISR4321/K9,VID:V04,SN:OTHER").unwrap()));
    }

    #[test]
    fn rejects_malformed_identities() {
        assert_eq!(Udi::parse("PID:X,SN:"), Err(IdentityError::MissingSn));
        assert_eq!(
            Udi::parse("PID:X,SN:1,SN:2"),
            Err(IdentityError::DuplicateField)
        );
        assert_eq!(Udi::parse("garbage"), Err(IdentityError::MissingColon));
        assert_eq!(
            CertIdentity::parse_serial_number("SN:1"),
            Err(IdentityError::MissingPid)
        );
        let long = format!("PID:{},SN:1", "A".repeat(65));
        assert_eq!(Udi::parse(&long), Err(IdentityError::TooLong));
    }
}
