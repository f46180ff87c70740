//! Image and configuration delivery policy: HTTPS only by default, allowed hosts, checksums, and
//! named legacy-TFTP exceptions for Smart Install clients that cannot speak HTTPS.
//!
//! Inputs: operator policy; URLs that come from operators, directors or upstream PnP servers
//! (semi-trusted) and device addresses (attacker-influenced). Implements the image-delivery row of
//! `../shared/design/ARCHITECTURE.md` §6.
//!
//! Decision order ([`ImageDeliveryPolicy::decide`]), each step naming its rule:
//! 1. the URL must parse ([`crate::policy::url`]; bounded, strict) — else `url-unparseable`;
//! 2. a `tftp` URL for a legacy Smart Install client inside a `legacy_tftp` exception's networks,
//!    naming that exception's server, is allowed — the rule is the exception's name and mode;
//! 3. a scheme outside `schemes` is rewritten to `rewrite_cleartext_to` (rule `rewrite-cleartext`)
//!    when it is a clear-text scheme, the host is allowed and the checksum passes step 5; else
//!    `https-only`;
//! 4. the host must be in `allowed_hosts` — else `host-allowlist`;
//! 5. the checksum must be `sha256:<64 hex>` or `sha512:<128 hex>` when required — else
//!    `checksum-required`. MD5 and SHA-1 are refused as too weak: both have practical collision
//!    attacks, so a checksum in them does not bind the image. A malformed checksum is refused even
//!    when none is required (`checksum-invalid`): the device would fail to verify it anyway.
//!
//! A rewrite also demands the checksum: the gateway's cache fetches the clear-text original and
//! can only vouch for it by verifying that checksum.

use std::net::IpAddr;

use crate::policy::net::{AddrSet, HostSet};
use crate::policy::url::{self, Url, shorten};
use crate::policy::{Area, Decision, Mode, RuleRef};

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

impl Scheme {
    /// The scheme as written in URLs and policy files.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ftp => "ftp",
            Self::Http => "http",
            Self::Https => "https",
            Self::Scp => "scp",
            Self::Sftp => "sftp",
            Self::Tftp => "tftp",
        }
    }

    /// Whether the scheme carries files in clear text (and may be rewritten to the HTTPS cache).
    pub fn is_cleartext(self) -> bool {
        matches!(self, Self::Ftp | Self::Http | Self::Tftp)
    }
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

impl ImageDeliveryPolicy {
    /// Decides whether the delivery `ev` may go ahead, be rewritten to HTTPS or must be refused.
    pub fn decide(&self, ev: &DeliveryEvent<'_>) -> Decision<DeliveryVerdict> {
        let url = match url::parse(ev.url) {
            Ok(url) => url,
            Err(err) => {
                return self.deny(
                    "url-unparseable",
                    format!("URL {:?} rejected: {err}", shorten(ev.url)),
                );
            }
        };
        if url.scheme == Scheme::Tftp
            && ev.legacy_smart_install
            && let Some(decision) = self.legacy_exception(&url, ev.device)
        {
            return decision;
        }
        if !self.schemes.contains(&url.scheme) {
            return self.scheme_not_allowed(&url, ev);
        }
        if !self.allowed_hosts.contains_host(url.host) {
            return self.deny(
                "host-allowlist",
                format!("host {} not in image_delivery.allowed_hosts", url.host),
            );
        }
        if let Some(denial) = self.checksum_problem(ev.checksum) {
            return denial;
        }
        Decision::new(
            DeliveryVerdict::Allow,
            rule("allowed"),
            self.mode,
            format!(
                "{} from allowed host {} with checksum policy satisfied",
                url.scheme.as_str(),
                url.host
            ),
        )
    }

    /// Decides on a URL an upstream PnP server handed the SMI proxy for a legacy client
    /// (`config-upgrade`, `image-install`): it must parse, be HTTPS — whatever `schemes` allows
    /// for devices, the proxy itself fetches upstream only over HTTPS and never rewrites — and
    /// name an allowed host. The PnP protocol carries only an MD5 checksum, which cannot satisfy
    /// the sha256/sha512 rule; the proxy verifies it after the download, and the bytes are bound
    /// to the server by the certificate-verified TLS connection they arrive on.
    pub fn decide_upstream(&self, url: &str) -> Decision<DeliveryVerdict> {
        let parsed = match url::parse(url) {
            Ok(parsed) => parsed,
            Err(err) => {
                return self.deny(
                    "url-unparseable",
                    format!("URL {:?} rejected: {err}", shorten(url)),
                );
            }
        };
        if parsed.scheme != Scheme::Https {
            return self.deny(
                "https-only",
                format!(
                    "the SMI proxy fetches from PnP servers over https only, not {}",
                    parsed.scheme.as_str()
                ),
            );
        }
        if !self.allowed_hosts.contains_host(parsed.host) {
            return self.deny(
                "host-allowlist",
                format!("host {} not in image_delivery.allowed_hosts", parsed.host),
            );
        }
        Decision::new(
            DeliveryVerdict::Allow,
            rule("allowed"),
            self.mode,
            format!(
                "https from allowed host {} for an SMI proxy client (PnP checksum verified after \
                 download)",
                parsed.host
            ),
        )
    }

    fn legacy_exception(
        &self,
        url: &Url<'_>,
        device: Option<IpAddr>,
    ) -> Option<Decision<DeliveryVerdict>> {
        let device = device?;
        let exception = self
            .legacy_tftp
            .iter()
            .find(|ex| ex.networks.contains(device) && ex.server.contains_host(url.host))?;
        Some(Decision::new(
            DeliveryVerdict::Allow,
            rule(exception.name.as_str()),
            exception.mode,
            format!(
                "legacy Smart Install client {device} may use TFTP server {} (exception {})",
                url.host, exception.name
            ),
        ))
    }

    fn scheme_not_allowed(
        &self,
        url: &Url<'_>,
        ev: &DeliveryEvent<'_>,
    ) -> Decision<DeliveryVerdict> {
        let scheme = url.scheme.as_str();
        match &self.rewrite_cleartext_to {
            Some(base)
                if url.scheme.is_cleartext() && self.allowed_hosts.contains_host(url.host) =>
            {
                if let Some(denial) = self.checksum_problem(ev.checksum) {
                    return denial;
                }
                let target = format!(
                    "{}/{}",
                    base.trim_end_matches('/'),
                    url.path.trim_start_matches('/')
                );
                let reason = format!(
                    "clear-text {scheme} URL on allowed host {} rewritten to {target}",
                    url.host
                );
                Decision::new(
                    DeliveryVerdict::Rewrite(target),
                    rule("rewrite-cleartext"),
                    self.mode,
                    reason,
                )
            }
            _ => {
                let legacy = if url.scheme == Scheme::Tftp && ev.legacy_smart_install {
                    "; no legacy_tftp exception covers this client and server"
                } else {
                    ""
                };
                let allowed: Vec<&str> = self.schemes.iter().map(|s| s.as_str()).collect();
                self.deny(
                    "https-only",
                    format!(
                        "scheme {scheme} not allowed (allowed: {}){legacy}",
                        allowed.join(", ")
                    ),
                )
            }
        }
    }

    fn checksum_problem(&self, checksum: Option<&str>) -> Option<Decision<DeliveryVerdict>> {
        match (checksum, self.require_checksum) {
            (None, false) => None,
            (None, true) => Some(self.deny(
                "checksum-required",
                "no checksum given; sha256:<hex> or sha512:<hex> required",
            )),
            (Some(text), required) => {
                let err = Checksum::parse(text).err()?;
                let name = if required {
                    "checksum-required"
                } else {
                    "checksum-invalid"
                };
                Some(self.deny(
                    name,
                    format!("checksum {:?} rejected: {err}", shorten(text)),
                ))
            }
        }
    }

    fn deny(&self, name: &str, reason: impl Into<String>) -> Decision<DeliveryVerdict> {
        Decision::new(DeliveryVerdict::Deny, rule(name), self.mode, reason)
    }
}

/// A checksum accompanying a delivery: algorithm and hex digest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Checksum<'a> {
    /// The digest algorithm.
    pub algorithm: ChecksumAlgorithm,
    /// The digest in hex (either case).
    pub hex: &'a str,
}

/// Digest algorithms accepted for image checksums.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChecksumAlgorithm {
    /// SHA-256 (64 hex digits).
    Sha256,
    /// SHA-512 (128 hex digits).
    Sha512,
}

impl<'a> Checksum<'a> {
    /// Parses `sha256:<64 hex>` or `sha512:<128 hex>` (algorithm name case-insensitive).
    pub fn parse(text: &'a str) -> Result<Self, ChecksumError> {
        let (name, hex) = text
            .split_once(':')
            .ok_or(ChecksumError::MissingAlgorithm)?;
        let (algorithm, expected) = if name.eq_ignore_ascii_case("sha256") {
            (ChecksumAlgorithm::Sha256, 64)
        } else if name.eq_ignore_ascii_case("sha512") {
            (ChecksumAlgorithm::Sha512, 128)
        } else if name.eq_ignore_ascii_case("md5") {
            return Err(ChecksumError::WeakAlgorithm { algorithm: "md5" });
        } else if name.eq_ignore_ascii_case("sha1") {
            return Err(ChecksumError::WeakAlgorithm { algorithm: "sha1" });
        } else {
            return Err(ChecksumError::UnknownAlgorithm);
        };
        if hex.len() != expected {
            return Err(ChecksumError::BadLength {
                expected,
                actual: hex.len(),
            });
        }
        if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(ChecksumError::NotHex);
        }
        Ok(Self { algorithm, hex })
    }
}

/// Why a checksum was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ChecksumError {
    /// No `algorithm:` prefix.
    #[error("no algorithm prefix (expected sha256:<hex> or sha512:<hex>)")]
    MissingAlgorithm,
    /// An algorithm with practical collision attacks.
    #[error("{algorithm} is too weak (collisions are practical); use sha256 or sha512")]
    WeakAlgorithm {
        /// The refused algorithm.
        algorithm: &'static str,
    },
    /// An algorithm the policy does not know.
    #[error("unknown algorithm (expected sha256 or sha512)")]
    UnknownAlgorithm,
    /// Wrong number of hex digits for the algorithm.
    #[error("expected {expected} hex digits, got {actual}")]
    BadLength {
        /// Digits the algorithm needs.
        expected: usize,
        /// Digits given.
        actual: usize,
    },
    /// A character that is not a hex digit.
    #[error("digest is not hexadecimal")]
    NotHex,
}

fn rule(name: &str) -> RuleRef {
    RuleRef::new(Area::ImageDelivery, name)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA256: &str = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    fn hosts(entries: &[&str]) -> HostSet {
        let mut set = HostSet::default();
        for e in entries {
            set.push_entry(e).unwrap();
        }
        set
    }

    fn policy() -> ImageDeliveryPolicy {
        ImageDeliveryPolicy {
            allowed_hosts: hosts(&["images.example.net", "192.0.2.10"]),
            legacy_tftp: vec![LegacyTftpException {
                name: "branch-7-legacy".into(),
                networks: AddrSet(vec!["10.7.0.0/16".parse().unwrap()]),
                server: hosts(&["10.7.0.5"]),
                mode: Mode::Audit,
            }],
            ..ImageDeliveryPolicy::default()
        }
    }

    fn event(url: &str) -> DeliveryEvent<'_> {
        DeliveryEvent {
            url,
            checksum: Some(SHA256),
            device: None,
            legacy_smart_install: false,
        }
    }

    #[test]
    fn upstream_urls_must_be_https_from_an_allowed_host_whatever_the_schemes() {
        let mut p = policy();
        p.schemes.push(Scheme::Http);
        p.rewrite_cleartext_to = Some("https://gw/cache".into());
        let ok = p.decide_upstream("https://images.example.net/c2960x.bin");
        assert_eq!(ok.verdict, DeliveryVerdict::Allow);
        assert_eq!(ok.rule.to_string(), "image_delivery/allowed");
        let http = p.decide_upstream("http://images.example.net/c2960x.bin");
        assert_eq!(http.verdict, DeliveryVerdict::Deny);
        assert_eq!(http.rule.to_string(), "image_delivery/https-only");
        let tftp = p.decide_upstream("tftp://10.7.0.5/c2960x.bin");
        assert_eq!(tftp.rule.to_string(), "image_delivery/https-only");
        let host = p.decide_upstream("https://evil.example/c2960x.bin");
        assert_eq!(host.rule.to_string(), "image_delivery/host-allowlist");
        let junk = p.decide_upstream("not a url");
        assert_eq!(junk.rule.to_string(), "image_delivery/url-unparseable");
    }

    #[test]
    fn allows_https_from_allowed_host_with_checksum() {
        let d = policy().decide(&event("https://images.example.net/c9300.bin"));
        assert_eq!(d.verdict, DeliveryVerdict::Allow);
        assert_eq!(d.rule.to_string(), "image_delivery/allowed");
        assert_eq!(d.mode, Mode::Enforce);
    }

    #[test]
    fn denies_unparseable_url() {
        let d = policy().decide(&event(r"https://images.example.net\@evil/x"));
        assert_eq!(d.verdict, DeliveryVerdict::Deny);
        assert_eq!(d.rule.name, "url-unparseable");
    }

    #[test]
    fn denies_cleartext_without_rewrite() {
        let d = policy().decide(&event("http://images.example.net/c9300.bin"));
        assert_eq!(d.verdict, DeliveryVerdict::Deny);
        assert_eq!(d.rule.name, "https-only");
        assert!(d.reason.contains("scheme http not allowed"), "{}", d.reason);
    }

    #[test]
    fn rewrites_cleartext_on_allowed_host() {
        let mut p = policy();
        p.rewrite_cleartext_to = Some("https://gw.example.net/cache/".into());
        let d = p.decide(&event("tftp://192.0.2.10/images/c9300.bin"));
        assert_eq!(
            d.verdict,
            DeliveryVerdict::Rewrite("https://gw.example.net/cache/images/c9300.bin".into())
        );
        assert_eq!(d.rule.name, "rewrite-cleartext");
        let d = p.decide(&event("http://evil.example.org/c9300.bin"));
        assert_eq!(d.rule.name, "https-only");
        let d = p.decide(&DeliveryEvent {
            checksum: None,
            ..event("http://192.0.2.10/c9300.bin")
        });
        assert_eq!(d.rule.name, "checksum-required");
    }

    #[test]
    fn never_rewrites_encrypted_schemes() {
        let mut p = policy();
        p.rewrite_cleartext_to = Some("https://gw.example.net/cache".into());
        let d = p.decide(&event("sftp://192.0.2.10/c9300.bin"));
        assert_eq!(d.verdict, DeliveryVerdict::Deny);
        assert_eq!(d.rule.name, "https-only");
    }

    #[test]
    fn allows_tftp_through_legacy_exception_only() {
        let p = policy();
        let legacy = DeliveryEvent {
            device: Some("10.7.3.4".parse().unwrap()),
            legacy_smart_install: true,
            checksum: None,
            ..event("tftp://10.7.0.5/c2960.tar")
        };
        let d = p.decide(&legacy);
        assert_eq!(d.verdict, DeliveryVerdict::Allow);
        assert_eq!(d.rule.name, "branch-7-legacy");
        assert_eq!(d.mode, Mode::Audit);

        let outside = DeliveryEvent {
            device: Some("10.8.3.4".parse().unwrap()),
            ..legacy
        };
        assert_eq!(p.decide(&outside).rule.name, "https-only");
        let other_server = DeliveryEvent {
            url: "tftp://10.7.0.6/c2960.tar",
            ..legacy
        };
        assert_eq!(p.decide(&other_server).rule.name, "https-only");
        let not_legacy = DeliveryEvent {
            legacy_smart_install: false,
            ..legacy
        };
        assert_eq!(p.decide(&not_legacy).rule.name, "https-only");
    }

    #[test]
    fn denies_host_outside_allowlist() {
        let d = policy().decide(&event("https://evil.example.org/c9300.bin"));
        assert_eq!(d.verdict, DeliveryVerdict::Deny);
        assert_eq!(d.rule.name, "host-allowlist");
        assert!(d.reason.contains("evil.example.org"));
    }

    #[test]
    fn requires_strong_checksum() {
        let p = policy();
        let url = "https://images.example.net/c9300.bin";
        for bad in [
            None,
            Some("md5:d41d8cd98f00b204e9800998ecf8427e"),
            Some("sha256:abc"),
            Some("sha512:zz"),
        ] {
            let d = p.decide(&DeliveryEvent {
                checksum: bad,
                ..event(url)
            });
            assert_eq!(d.verdict, DeliveryVerdict::Deny, "{bad:?}");
            assert_eq!(d.rule.name, "checksum-required");
        }
        let sha512 = format!("SHA512:{}", "aB".repeat(64));
        let d = p.decide(&DeliveryEvent {
            checksum: Some(&sha512),
            ..event(url)
        });
        assert_eq!(d.verdict, DeliveryVerdict::Allow);
    }

    #[test]
    fn refuses_malformed_checksum_even_when_optional() {
        let p = ImageDeliveryPolicy {
            require_checksum: false,
            ..policy()
        };
        let url = "https://images.example.net/c9300.bin";
        let none = DeliveryEvent {
            checksum: None,
            ..event(url)
        };
        assert_eq!(p.decide(&none).verdict, DeliveryVerdict::Allow);
        let md5 = DeliveryEvent {
            checksum: Some("md5:d41d8cd98f00b204e9800998ecf8427e"),
            ..event(url)
        };
        let d = p.decide(&md5);
        assert_eq!(d.rule.name, "checksum-invalid");
        assert!(d.reason.contains("md5 is too weak"), "{}", d.reason);
    }

    #[test]
    fn parses_checksums() {
        assert_eq!(
            Checksum::parse(SHA256).unwrap().algorithm,
            ChecksumAlgorithm::Sha256
        );
        assert_eq!(
            Checksum::parse("sha1:00"),
            Err(ChecksumError::WeakAlgorithm { algorithm: "sha1" })
        );
        assert_eq!(
            Checksum::parse("crc32:00"),
            Err(ChecksumError::UnknownAlgorithm)
        );
        assert_eq!(Checksum::parse("abc"), Err(ChecksumError::MissingAlgorithm));
        let not_hex = format!("sha256:{}", "g".repeat(64));
        assert_eq!(Checksum::parse(&not_hex), Err(ChecksumError::NotHex));
    }

    #[test]
    fn default_policy_denies_everything() {
        let d = ImageDeliveryPolicy::default().decide(&event("https://images.example.net/x"));
        assert_eq!(d.verdict, DeliveryVerdict::Deny);
        assert_eq!(d.rule.name, "host-allowlist");
    }
}
