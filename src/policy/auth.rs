//! Device authentication policy: trust-anchor sets, whether a certificate (SUDI) is required,
//! allow and deny lists by serial number and PID, whether the UDI a device claims must match its
//! certificate, and the named `danger_*` exceptions for legacy SUDI realities.
//!
//! Inputs: operator policy, and facts established by the edge's certificate verifier (chain status,
//! PID and SN from the subject serialNumber) plus the UDI the device claims in its messages, which
//! is untrusted until compared here. Implements the device-authentication row of
//! `../shared/design/ARCHITECTURE.md` §6.
//!
//! Decision order ([`DeviceAuthPolicy::decide`]), first failing check decides:
//! no certificate (`certificate-required`, or [`AuthVerdict::Unauthenticated`] when certificates are
//! optional) → chain failure (`chain-verification`) → anchor set not trusted (`trust-anchors`) →
//! SHA-1 legacy chain without the knob or outside the pinned roots
//! (`danger-accept-sha1-legacy-sudi`) → expired IDevID without the knob
//! (`danger-ignore-idevid-not-after`) → deny lists (`deny-serials`, `deny-pids`; deny overrides
//! allow) → allow lists (`allow-serials`, `allow-pids`) → claimed UDI differs from the certificate
//! (`udi-mismatch`) → [`AuthVerdict::Authenticated`] (`authenticated`). All rules share the policy's
//! mode.
//!
//! Trusted SMI proxies (`smi_proxies`): a ztpgate in SMI-proxy mode speaks PnP for many legacy
//! Smart Install clients over one TLS connection with its own certificate, claiming each client's
//! UDI. When the verified certificate's serial matches `smi_proxies` and the claimed UDI is not
//! the certificate's, the chain checks above still apply to the proxy's certificate, then the deny
//! and allow lists apply to the CLAIMED PID and SN (not the proxy's) and the verdict is
//! [`AuthVerdict::Proxied`] (`smi-proxy`). A proxy claiming its own UDI follows the ordinary order.

use std::fmt;
use std::path::PathBuf;

use crate::identity::{CertIdentity, DeviceIdentity, Udi};
use crate::policy::{Area, Decision, Mode, RuleRef};

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

impl IdPattern {
    /// Whether `value` (a serial number or PID) matches: equal ignoring ASCII case, or, for a
    /// pattern ending in `*`, starting with the part before the `*`.
    pub fn matches(&self, value: &str) -> bool {
        match self.source.strip_suffix('*') {
            Some(prefix) => value
                .get(..prefix.len())
                .is_some_and(|head| head.eq_ignore_ascii_case(prefix)),
            None => value.eq_ignore_ascii_case(&self.source),
        }
    }
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
    /// Serials of trusted SMI proxies' certificates: a connection whose verified certificate
    /// matches one may claim UDIs other than its own (see [`AuthVerdict::Proxied`]). Default: none.
    pub smi_proxies: Vec<IdPattern>,
    /// The ways a device may prove its SUDI. Default: the TLS client certificate.
    pub methods: Vec<AuthMethod>,
    /// Whether any one of `methods` suffices or all are needed. Default: any.
    pub methods_required: MethodsRequired,
}

/// A way for a device to prove it holds its SUDI key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AuthMethod {
    /// The SUDI presented as TLS client certificate (checked in the handshake).
    TlsCertificate,
    /// The `urn:cisco:pnp:device-auth` service: the device signs a server challenge.
    DeviceAuth,
    /// `show platform sudi certificate sign nonce <N>` run through cli-exec.
    SudiCli,
}

impl AuthMethod {
    /// The name used in policy files.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::TlsCertificate => "tls-certificate",
            Self::DeviceAuth => "device-auth",
            Self::SudiCli => "sudi-cli",
        }
    }
}

/// Whether one or all authentication methods are needed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum MethodsRequired {
    /// Any one method suffices.
    #[default]
    Any,
    /// Every listed method must succeed.
    All,
}

impl DeviceAuthPolicy {
    /// The proofs a device must still give through PnP services before its plan runs, given
    /// whether it presented a verified certificate. `Any`: nothing when the certificate counts,
    /// else the first service method; `All`: every service method.
    pub fn proofs_needed(&self, certificate_verified: bool) -> Vec<AuthMethod> {
        let services = self
            .methods
            .iter()
            .copied()
            .filter(|m| *m != AuthMethod::TlsCertificate);
        match self.methods_required {
            MethodsRequired::All => services.collect(),
            MethodsRequired::Any
                if certificate_verified && self.methods.contains(&AuthMethod::TlsCertificate) =>
            {
                Vec::new()
            }
            MethodsRequired::Any => services.take(1).collect(),
        }
    }
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
            smi_proxies: Vec::new(),
            methods: vec![AuthMethod::TlsCertificate],
            methods_required: MethodsRequired::Any,
        }
    }
}

impl DeviceAuthPolicy {
    /// Decides whether the device behind `ev` is authenticated.
    pub fn decide(&self, ev: &AuthEvidence<'_>) -> Decision<AuthVerdict> {
        let chain = match &ev.certificate {
            CertStatus::NotPresented if self.require_certificate => {
                return self.reject(
                    "certificate-required",
                    RejectReason::CertificateRequired,
                    "no client certificate presented; device_auth.require_certificate is on",
                );
            }
            CertStatus::NotPresented => {
                return Decision::new(
                    AuthVerdict::Unauthenticated,
                    rule("certificate-optional"),
                    self.mode,
                    "no client certificate; allowed unauthenticated because \
                     device_auth.require_certificate is off",
                );
            }
            CertStatus::Failed(failure) => {
                return self.reject(
                    "chain-verification",
                    RejectReason::ChainFailed { failure: *failure },
                    format!("certificate chain rejected: {failure}"),
                );
            }
            CertStatus::Verified(chain) => chain,
        };
        if let Some(denial) = self.check_chain(chain) {
            return denial;
        }
        if let Some(proxied) = self.proxied(chain, ev.claimed_udi) {
            return proxied;
        }
        if let Some(denial) = self.check_lists(&chain.identity) {
            return denial;
        }
        if let Some(denial) = self.check_claim(&chain.identity, ev.claimed_udi) {
            return denial;
        }
        Decision::new(
            AuthVerdict::Authenticated(DeviceIdentity::authenticated(&chain.identity)),
            rule("authenticated"),
            self.mode,
            format!(
                "{} verified against trust-anchor set {}",
                chain.identity, chain.anchor_set
            ),
        )
    }

    /// The enabled `danger_*` knobs, by policy-file name, for the startup log and SECURITY.md.
    pub fn dangers(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        if !self.danger_accept_sha1_legacy_sudi.is_empty() {
            out.push("danger_accept_sha1_legacy_sudi");
        }
        if self.danger_ignore_idevid_not_after {
            out.push("danger_ignore_idevid_not_after");
        }
        out
    }

    /// A trusted SMI proxy claiming another device's UDI: the lists decide on the claimed device.
    /// `None` when the certificate is no proxy's, or it claims nothing or its own UDI.
    fn proxied(
        &self,
        chain: &VerifiedChain,
        claimed: Option<&Udi>,
    ) -> Option<Decision<AuthVerdict>> {
        let claimed = claimed.filter(|udi| !chain.identity.matches(udi))?;
        let pattern = self
            .smi_proxies
            .iter()
            .find(|p| p.matches(&chain.identity.sn))?;
        let device = CertIdentity {
            pid: claimed.pid.clone(),
            sn: claimed.sn.clone(),
        };
        if let Some(denial) = self.check_lists(&device) {
            return Some(denial);
        }
        Some(Decision::new(
            AuthVerdict::Proxied {
                proxy: DeviceIdentity::authenticated(&chain.identity),
                device,
            },
            rule("smi-proxy"),
            self.mode,
            format!(
                "SMI proxy {} (matches {} in device_auth.smi_proxies, verified against \
                 trust-anchor set {}) speaks for claimed UDI {claimed}",
                chain.identity, pattern.source, chain.anchor_set
            ),
        ))
    }

    fn check_chain(&self, chain: &VerifiedChain) -> Option<Decision<AuthVerdict>> {
        if !self.trust_anchors.contains(&chain.anchor_set) {
            return Some(self.reject(
                "trust-anchors",
                RejectReason::UntrustedAnchorSet {
                    anchor_set: chain.anchor_set.clone(),
                },
                format!(
                    "chain ends in anchor set {:?}, not in device_auth.trust_anchors",
                    chain.anchor_set
                ),
            ));
        }
        if chain.used_sha1_legacy {
            let reason = if self.danger_accept_sha1_legacy_sudi.is_empty() {
                Some(RejectReason::Sha1LegacyNotAccepted)
            } else if !self
                .danger_accept_sha1_legacy_sudi
                .contains(&chain.root_sha256)
            {
                Some(RejectReason::Sha1LegacyRootNotPinned {
                    root_sha256: hex::encode(chain.root_sha256),
                })
            } else {
                None
            };
            if let Some(reason) = reason {
                let text = reason.to_string();
                return Some(self.reject("danger-accept-sha1-legacy-sudi", reason, text));
            }
        }
        if chain.expired_idevid && !self.danger_ignore_idevid_not_after {
            return Some(self.reject(
                "danger-ignore-idevid-not-after",
                RejectReason::IdevidExpired,
                "IDevID certificate past its notAfter; danger_ignore_idevid_not_after is off",
            ));
        }
        None
    }

    fn check_lists(&self, id: &CertIdentity) -> Option<Decision<AuthVerdict>> {
        let checks = [
            (&self.deny_serials, true, &id.sn, "deny-serials"),
            (&self.deny_pids, true, &id.pid, "deny-pids"),
            (&self.allow_serials, false, &id.sn, "allow-serials"),
            (&self.allow_pids, false, &id.pid, "allow-pids"),
        ];
        for (list, deny, value, name) in checks {
            let hit = list.iter().find(|p| p.matches(value));
            let reason = match (deny, hit) {
                (true, Some(p)) => RejectReason::Listed {
                    list: name,
                    value: value.clone(),
                    pattern: p.source.clone(),
                },
                (false, None) if !list.is_empty() => RejectReason::NotListed {
                    list: name,
                    value: value.clone(),
                },
                _ => continue,
            };
            let text = format!("{id}: {reason}");
            return Some(self.reject(name, reason, text));
        }
        None
    }

    fn check_claim(
        &self,
        id: &CertIdentity,
        claimed: Option<&Udi>,
    ) -> Option<Decision<AuthVerdict>> {
        let claimed = claimed?;
        if !self.udi_must_match_certificate || id.matches(claimed) {
            return None;
        }
        let reason = RejectReason::UdiMismatch {
            claimed: claimed.to_string(),
            certificate: id.to_string(),
        };
        let text = reason.to_string();
        Some(self.reject("udi-mismatch", reason, text))
    }

    fn reject(
        &self,
        name: &str,
        reason: RejectReason,
        text: impl Into<String>,
    ) -> Decision<AuthVerdict> {
        Decision::new(AuthVerdict::Reject(reason), rule(name), self.mode, text)
    }
}

/// What the edge established about a device, for [`DeviceAuthPolicy::decide`].
#[derive(Clone, Debug)]
pub struct AuthEvidence<'a> {
    /// The client certificate, as the verifier judged it.
    pub certificate: CertStatus,
    /// The UDI the device claims in its messages (untrusted), if any.
    pub claimed_udi: Option<&'a Udi>,
}

/// What the edge's certificate verifier found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CertStatus {
    /// No client certificate was presented.
    NotPresented,
    /// A certificate was presented and its chain failed verification.
    Failed(ChainFailure),
    /// The chain verified up to a trust anchor.
    Verified(VerifiedChain),
}

/// A certificate chain that verified, and the facts the policy needs about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedChain {
    /// PID and SN from the leaf's subject serialNumber.
    pub identity: CertIdentity,
    /// Name of the trust-anchor set the chain ends in.
    pub anchor_set: String,
    /// The chain needed a SHA-1 signature (legacy ACT2 SUDI CA) to verify.
    pub used_sha1_legacy: bool,
    /// The leaf is an IDevID past its notAfter (accepted by the verifier only for the policy to
    /// decide).
    pub expired_idevid: bool,
    /// SHA-256 of the root certificate's DER.
    pub root_sha256: [u8; 32],
}

/// Why a presented certificate chain failed verification.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, thiserror::Error)]
#[serde(rename_all = "kebab-case")]
pub enum ChainFailure {
    /// The certificate or chain could not be parsed.
    #[error("malformed certificate")]
    Malformed,
    /// No path to any configured trust anchor.
    #[error("issuer not trusted")]
    UnknownIssuer,
    /// A signature in the chain does not verify.
    #[error("bad signature")]
    BadSignature,
    /// A signature algorithm the verifier does not support.
    #[error("unsupported signature algorithm")]
    UnsupportedSignatureAlgorithm,
    /// A certificate is past its notAfter (and is not an IDevID leaf).
    #[error("certificate expired")]
    Expired,
    /// A certificate is before its notBefore.
    #[error("certificate not yet valid")]
    NotYetValid,
    /// A certificate is revoked.
    #[error("certificate revoked")]
    Revoked,
    /// Revocation status could not be established (fails closed).
    #[error("revocation status unknown")]
    RevocationStatusUnknown,
    /// Key usage or extended key usage does not allow client authentication.
    #[error("certificate not valid for client authentication")]
    InvalidPurpose,
    /// The leaf has no parseable `PID:… SN:…` subject serialNumber.
    #[error("no SUDI identity (PID and SN) in the subject serialNumber")]
    MissingIdentity,
}

/// The authentication verdict.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthVerdict {
    /// The device proved this identity.
    Authenticated(DeviceIdentity),
    /// The device is refused.
    Reject(RejectReason),
    /// No certificate, allowed only because the policy does not require one. Carries no
    /// identity: nothing that needs a [`DeviceIdentity`] can run for this device.
    Unauthenticated,
    /// A trusted SMI proxy (its certificate verified and listed in `smi_proxies`) speaks for a
    /// legacy device. Only the proxy is proven; the device is as claimed, and passed the lists.
    Proxied {
        /// The proxy's verified identity.
        proxy: DeviceIdentity,
        /// The PID and SN the proxy claims for the device it speaks for (not proven by a key).
        device: CertIdentity,
    },
}

/// Why a device was refused.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, thiserror::Error)]
#[serde(rename_all = "kebab-case")]
pub enum RejectReason {
    /// A certificate is required and none was presented.
    #[error("client certificate required")]
    CertificateRequired,
    /// The chain failed verification.
    #[error("certificate chain rejected: {failure}")]
    ChainFailed {
        /// What failed.
        failure: ChainFailure,
    },
    /// The chain ends in an anchor set the policy does not trust.
    #[error("anchor set {anchor_set:?} is not trusted")]
    UntrustedAnchorSet {
        /// The set the chain ends in.
        anchor_set: String,
    },
    /// The chain needs SHA-1 and `danger_accept_sha1_legacy_sudi` is empty.
    #[error("chain needs a SHA-1 legacy SUDI CA; danger_accept_sha1_legacy_sudi is off")]
    Sha1LegacyNotAccepted,
    /// The chain needs SHA-1 and ends in a root not pinned by `danger_accept_sha1_legacy_sudi`.
    #[error(
        "SHA-1 legacy chain ends in root {root_sha256}, not pinned in danger_accept_sha1_legacy_sudi"
    )]
    Sha1LegacyRootNotPinned {
        /// SHA-256 of the root, hex.
        root_sha256: String,
    },
    /// The IDevID is expired and `danger_ignore_idevid_not_after` is off.
    #[error("IDevID certificate expired")]
    IdevidExpired,
    /// The serial or PID is on a deny list.
    #[error("{value} matches {pattern} in {list}")]
    Listed {
        /// Which list (`deny-serials` or `deny-pids`).
        list: &'static str,
        /// The serial or PID.
        value: String,
        /// The matching pattern.
        pattern: String,
    },
    /// An allow list is set and the serial or PID is not on it.
    #[error("{value} not in {list}")]
    NotListed {
        /// Which list (`allow-serials` or `allow-pids`).
        list: &'static str,
        /// The serial or PID.
        value: String,
    },
    /// The UDI the device claims is not the one in its certificate.
    #[error("claimed UDI {claimed} does not match certificate {certificate}")]
    UdiMismatch {
        /// The claimed UDI.
        claimed: String,
        /// The certificate identity.
        certificate: String,
    },
}

impl fmt::Display for AuthVerdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Authenticated(id) => write!(f, "authenticated {id}"),
            Self::Reject(reason) => write!(f, "reject: {reason}"),
            Self::Unauthenticated => f.write_str("unauthenticated"),
            Self::Proxied { proxy, device } => write!(f, "{device} through SMI proxy {proxy}"),
        }
    }
}

fn rule(name: &str) -> RuleRef {
    RuleRef::new(Area::DeviceAuth, name)
}

#[cfg(test)]
mod tests;
