//! File grants: per-device, unguessable, expiring download URLs.
//!
//! A grant names one device (by serial number), one file (a relative path under the file root) and
//! an expiry. Its URL path is `/files/<device>/<expires>/<mac>/<path>`, where `<mac>` is
//! HMAC-SHA-256 under the gateway's file key over the other three. Whoever holds the URL can fetch
//! that one file until it expires — and when the request comes with a verified device certificate,
//! only if it is that device's. URL paths are attacker-controlled: parsing is bounded and every
//! path component is checked before it can name a file. Pure: time comes in as `now`.

use std::fmt;

use sha2::{Digest, Sha256};

use crate::policy::provision::is_safe_relative_path;

/// Length of the file key.
pub const FILE_KEY_BYTES: usize = 32;
/// The most bytes of URL path a grant may have.
pub const MAX_GRANT_PATH_BYTES: usize = 1024;
/// The most bytes of a device serial number in a grant.
pub const MAX_DEVICE_BYTES: usize = 64;

/// URL prefix of file grants.
pub const PREFIX: &str = "/files/";

/// A permission for one device to fetch one file until a time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    /// Device serial number.
    pub device: String,
    /// File path relative to the file root (`/`-separated, no `.` or `..`).
    pub path: String,
    /// Expiry, seconds since the Unix epoch (UTC).
    pub expires: i64,
}

impl Grant {
    /// A grant, after checking the device and path syntax.
    pub fn new(device: &str, path: &str, expires: i64) -> Result<Self, GrantError> {
        check_device(device)?;
        check_path(path)?;
        Ok(Self {
            device: device.to_owned(),
            path: path.to_owned(),
            expires,
        })
    }

    /// The signed URL path of this grant.
    pub fn url_path(&self, key: &[u8; FILE_KEY_BYTES]) -> String {
        let mac = hex::encode(self.mac(key));
        format!(
            "{PREFIX}{}/{}/{mac}/{}",
            self.device, self.expires, self.path
        )
    }

    /// Checks a request path: well-formed, correctly signed, not expired at `now`.
    pub fn verify(
        url_path: &str,
        key: &[u8; FILE_KEY_BYTES],
        now: i64,
    ) -> Result<Self, GrantError> {
        if url_path.len() > MAX_GRANT_PATH_BYTES {
            return Err(GrantError::TooLong);
        }
        let rest = url_path.strip_prefix(PREFIX).ok_or(GrantError::Malformed)?;
        let mut parts = rest.splitn(4, '/');
        let (Some(device), Some(expires), Some(mac), Some(path)) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(GrantError::Malformed);
        };
        let expires = parse_expiry(expires)?;
        let grant = Self::new(device, path, expires)?;
        let mut given = [0u8; 32];
        hex::decode_to_slice(mac, &mut given).map_err(|_| GrantError::Malformed)?;
        if !constant_time_eq(&given, &grant.mac(key)) {
            return Err(GrantError::BadSignature);
        }
        if now >= grant.expires {
            return Err(GrantError::Expired {
                expired: grant.expires,
            });
        }
        Ok(grant)
    }

    fn mac(&self, key: &[u8; FILE_KEY_BYTES]) -> [u8; 32] {
        let mut msg = Vec::with_capacity(64 + self.device.len() + self.path.len());
        msg.extend_from_slice(b"ztpgate file grant v1\0");
        msg.extend_from_slice(self.device.as_bytes());
        msg.push(0);
        msg.extend_from_slice(self.expires.to_string().as_bytes());
        msg.push(0);
        msg.extend_from_slice(self.path.as_bytes());
        hmac_sha256(key, &msg)
    }
}

impl fmt::Display for Grant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} for {} until {}",
            self.path, self.device, self.expires
        )
    }
}

/// Why a grant is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum GrantError {
    /// Not of the form `/files/<device>/<expires>/<mac>/<path>`.
    #[error("not a file grant URL")]
    Malformed,
    /// Longer than [`MAX_GRANT_PATH_BYTES`].
    #[error("grant URL longer than {MAX_GRANT_PATH_BYTES} bytes")]
    TooLong,
    /// The device part is not a plausible serial number.
    #[error("device name is not a serial number")]
    BadDevice,
    /// The path is empty, absolute, or has an empty, `.`, `..` or unsafe component.
    #[error("file path is not a safe relative path")]
    BadPath,
    /// The signature does not match: forged or altered URL.
    #[error("grant signature does not match")]
    BadSignature,
    /// The grant has expired.
    #[error("grant expired at {expired}")]
    Expired {
        /// Expiry, seconds since the epoch.
        expired: i64,
    },
}

/// HMAC-SHA-256 (RFC 2104).
pub fn hmac_sha256(key: &[u8], msg: &[u8]) -> [u8; 32] {
    const BLOCK: usize = 64;
    let mut k = [0u8; BLOCK];
    if key.len() > BLOCK {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(k.map(|b| b ^ 0x36));
    inner.update(msg);
    let mut outer = Sha256::new();
    outer.update(k.map(|b| b ^ 0x5c));
    outer.update(inner.finalize());
    outer.finalize().into()
}

fn constant_time_eq(a: &[u8; 32], b: &[u8; 32]) -> bool {
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn parse_expiry(s: &str) -> Result<i64, GrantError> {
    if s.is_empty() || s.len() > 12 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(GrantError::Malformed);
    }
    s.parse().map_err(|_| GrantError::Malformed)
}

fn check_device(device: &str) -> Result<(), GrantError> {
    let ok = !device.is_empty()
        && device.len() <= MAX_DEVICE_BYTES
        && device
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(GrantError::BadDevice)
    }
}

fn check_path(path: &str) -> Result<(), GrantError> {
    if is_safe_relative_path(path) {
        Ok(())
    } else {
        Err(GrantError::BadPath)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const KEY: [u8; 32] = [7; 32];

    #[test]
    fn hmac_matches_rfc_4231_case_2() {
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(mac),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn signed_grant_verifies_until_it_expires() {
        let g = Grant::new("FOC1234X0AB", "images/c9300.bin", 1_000).unwrap();
        let url = g.url_path(&KEY);
        assert!(url.starts_with("/files/FOC1234X0AB/1000/"));
        assert_eq!(Grant::verify(&url, &KEY, 999), Ok(g));
        assert_eq!(
            Grant::verify(&url, &KEY, 1_000),
            Err(GrantError::Expired { expired: 1_000 })
        );
    }

    #[test]
    fn altered_urls_are_refused() {
        let url = Grant::new("FOC1", "cfg/FOC1.cfg", 1_000)
            .unwrap()
            .url_path(&KEY);
        let other_file = url.replace("cfg/FOC1.cfg", "cfg/FOC2.cfg");
        let other_device = url.replace("/files/FOC1/", "/files/FOC2/");
        let later = url.replace("/1000/", "/9000/");
        for bad in [other_file, other_device, later] {
            assert_eq!(Grant::verify(&bad, &KEY, 0), Err(GrantError::BadSignature));
        }
        assert_eq!(
            Grant::verify(&url, &[8; 32], 0),
            Err(GrantError::BadSignature)
        );
    }

    #[test]
    fn unsafe_paths_and_devices_are_refused() {
        for path in [
            "../etc/passwd",
            "a/../b",
            "/abs",
            "a//b",
            "a/./b",
            "a\\b",
            "a b",
            "",
        ] {
            assert_eq!(
                Grant::new("D", path, 1).unwrap_err(),
                GrantError::BadPath,
                "{path}"
            );
        }
        assert_eq!(
            Grant::new("a/b", "x", 1).unwrap_err(),
            GrantError::BadDevice
        );
        assert_eq!(
            Grant::verify("/files/x", &KEY, 0),
            Err(GrantError::Malformed)
        );
        let long = format!("/files/D/1/{}/x", "0".repeat(2000));
        assert_eq!(Grant::verify(&long, &KEY, 0), Err(GrantError::TooLong));
    }

    proptest! {
        #[test]
        fn verify_never_panics(s in "\\PC{0,200}") {
            let _ = Grant::verify(&s, &KEY, 0);
        }
    }
}
