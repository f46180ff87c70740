//! Device authentication policy: trust-anchor sets, whether a certificate (SUDI) is required,
//! allow and deny lists by serial number and PID, whether the UDI a device claims must match its
//! certificate, and the named `danger_*` exceptions for legacy SUDI realities.
//!
//! Inputs: operator policy, and facts established by the edge's certificate verifier (chain status,
//! PID and SN from the subject serialNumber) plus the UDI the device claims in its messages, which
//! is untrusted until compared here.

use std::path::PathBuf;

use crate::policy::Mode;

/// A named set of trust anchors (PEM files or directories of PEM files).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrustAnchorSet {
    /// Set name, referenced by `device_auth.trust_anchors`.
    pub name: String,
    /// Files or directories, resolved against the policy file's directory.
    pub paths: Vec<PathBuf>,
}

/// A serial-number or PID pattern: exact, or a trailing `*` for a prefix (`C9300-*`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdPattern {
    /// The pattern as written (upper-cased: PIDs and serials are case-insensitive).
    pub source: String,
}

/// The validated device-authentication policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceAuthPolicy {
    /// Mode of the authentication rules.
    pub mode: Mode,
    /// Trust-anchor sets available to verifiers.
    pub anchor_sets: Vec<TrustAnchorSet>,
    /// Names of the sets a device chain may end in.
    pub trust_anchors: Vec<String>,
    /// Whether a device must present a verified certificate (SUDI). Default: true.
    pub require_certificate: bool,
    /// Whether the UDI claimed in a message must match the certificate. Default: true.
    pub udi_must_match_certificate: bool,
    /// Serials allowed; empty: any serial.
    pub allow_serials: Vec<IdPattern>,
    /// Serials denied (overrides allow).
    pub deny_serials: Vec<IdPattern>,
    /// PIDs allowed; empty: any PID.
    pub allow_pids: Vec<IdPattern>,
    /// PIDs denied (overrides allow).
    pub deny_pids: Vec<IdPattern>,
    /// Accept SHA-1-signed legacy SUDI intermediates (ACT2 SUDI CA) — only in chains ending in one
    /// of these pinned roots (SHA-256 of the root certificate's DER). Empty: not accepted.
    pub danger_accept_sha1_legacy_sudi: Vec<[u8; 32]>,
    /// Ignore notAfter of IDevID (SUDI) certificates, as IEEE 802.1AR intends them for life.
    pub danger_ignore_idevid_not_after: bool,
}

impl Default for DeviceAuthPolicy {
    fn default() -> Self {
        Self {
            mode: Mode::Enforce,
            anchor_sets: Vec::new(),
            trust_anchors: Vec::new(),
            require_certificate: true,
            udi_must_match_certificate: true,
            allow_serials: Vec::new(),
            deny_serials: Vec::new(),
            allow_pids: Vec::new(),
            deny_pids: Vec::new(),
            danger_accept_sha1_legacy_sudi: Vec::new(),
            danger_ignore_idevid_not_after: false,
        }
    }
}
