//! Image and configuration delivery policy: HTTPS only by default, allowed hosts, checksums, and
//! named legacy-TFTP exceptions for Smart Install clients that cannot speak HTTPS.
//!
//! Inputs: operator policy; URLs that come from operators, directors or upstream PnP servers
//! (semi-trusted) and device addresses (attacker-influenced).

use std::net::IpAddr;

use crate::policy::Mode;
use crate::policy::net::{AddrSet, HostSet};

/// URL schemes the delivery policy knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scheme {
    /// FTP (clear text).
    Ftp,
    /// HTTP (clear text).
    Http,
    /// HTTPS.
    Https,
    /// SCP.
    Scp,
    /// SFTP.
    Sftp,
    /// TFTP (clear text, unauthenticated).
    Tftp,
}

/// A named exception that lets Smart Install clients in `networks` fetch from `server` over TFTP.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LegacyTftpException {
    /// Exception name (the deciding rule when it applies).
    pub name: String,
    /// Client networks the exception covers.
    pub networks: AddrSet,
    /// The only TFTP server those clients may use.
    pub server: HostSet,
    /// Enforce or audit.
    pub mode: Mode,
}

/// The validated image-delivery policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageDeliveryPolicy {
    /// Mode of the built-in rules.
    pub mode: Mode,
    /// Allowed schemes. Default: HTTPS only.
    pub schemes: Vec<Scheme>,
    /// Hosts images may come from; empty: none (every URL denied).
    pub allowed_hosts: HostSet,
    /// Whether a checksum must accompany every delivery. Default: true.
    pub require_checksum: bool,
    /// When set, clear-text URLs on allowed hosts are rewritten to this HTTPS base (the gateway's
    /// cache) instead of being denied.
    pub rewrite_cleartext_to: Option<String>,
    /// Legacy TFTP exceptions.
    pub legacy_tftp: Vec<LegacyTftpException>,
}

impl Default for ImageDeliveryPolicy {
    fn default() -> Self {
        Self {
            mode: Mode::Enforce,
            schemes: vec![Scheme::Https],
            allowed_hosts: HostSet::default(),
            require_checksum: true,
            rewrite_cleartext_to: None,
            legacy_tftp: Vec::new(),
        }
    }
}

/// A delivery to decide on.
#[derive(Clone, Copy, Debug)]
pub struct DeliveryEvent<'a> {
    /// The URL the device would fetch.
    pub url: &'a str,
    /// The checksum that accompanies it (`sha256:<hex>`, `md5:<hex>`), if any.
    pub checksum: Option<&'a str>,
    /// The receiving device's address, if known.
    pub device: Option<IpAddr>,
    /// Whether the receiver is a legacy Smart Install client (eligible for a TFTP exception).
    pub legacy_smart_install: bool,
}

/// The delivery verdict.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryVerdict {
    /// Deliver as is.
    Allow,
    /// Refuse the delivery.
    Deny,
    /// Deliver through this HTTPS URL instead.
    Rewrite(String),
}
