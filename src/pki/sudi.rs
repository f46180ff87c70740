//! SUDI (Cisco IEEE 802.1AR IDevID) verification: the device chain with explicit options for the
//! two legacy exceptions real Cisco material needs, and the signed `show platform sudi
//! certificate sign` attestation.
//!
//! Trust: certificates and CLI output are attacker-controlled; anchors and [`ChainOptions`] are
//! operator-chosen. Pure: bytes, options and `at` in, typed results out. Implements
//! `../shared/protocols/pnp.md` §4.1 (CA hierarchy), §4.2 (leaf) and §4.4 (validation steps).
//!
//! - [`chain`]: [`verify_sudi_chain`], rustls-webpki first, then the pinned-root SHA-1 path.
//! - [`device_auth`]: verifying a PnP device-auth answer (SUDI chain plus challenge signature).
//! - [`attest`]: parsing and verifying `show platform sudi certificate sign nonce <N>` output.
//!
//! The results map onto the policy model: [`VerifiedSudiChain::into_verified_chain`] and
//! [`cert_status`] give `crate::policy::auth::{VerifiedChain, CertStatus}`.

pub mod attest;
pub mod chain;
pub mod device_auth;

mod legacy;

pub use attest::{AttestError, Attestation, attest};
pub use chain::verify_sudi_chain;

use chrono::{DateTime, Utc};

use crate::identity::CertIdentity;
use crate::policy::auth::{CertStatus, ChainFailure, DeviceAuthPolicy, VerifiedChain};

/// The legacy exceptions a SUDI chain may use; the default refuses both.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ChainOptions<'a> {
    /// SHA-256 (of the DER) of roots under which a SHA-1 RSA signature by the root on its
    /// sub-CA is accepted (the ACT2 SUDI CA). Empty: SHA-1 is refused everywhere.
    pub sha1_pinned_roots: &'a [[u8; 32]],
    /// Accept a leaf (IDevID) past its notAfter, as IEEE 802.1AR intends IDevIDs for the life of
    /// the device. CA certificates must still be valid.
    pub ignore_idevid_not_after: bool,
}

impl<'a> ChainOptions<'a> {
    /// The options a device-auth policy sets with its `danger_*` knobs.
    pub fn from_policy(policy: &'a DeviceAuthPolicy) -> Self {
        Self {
            sha1_pinned_roots: &policy.danger_accept_sha1_legacy_sudi,
            ignore_idevid_not_after: policy.danger_ignore_idevid_not_after,
        }
    }

    /// Whether any legacy exception is on.
    pub fn is_dangerous(&self) -> bool {
        !self.sha1_pinned_roots.is_empty() || self.ignore_idevid_not_after
    }
}

/// A SUDI chain that verified, and how.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedSudiChain {
    /// PID and SN from the leaf's subject serialNumber.
    pub identity: CertIdentity,
    /// Subject of the anchor the path ends in.
    pub anchor_subject: String,
    /// SHA-256 of the anchor's DER.
    pub root_sha256: [u8; 32],
    /// The path needed the pinned root's SHA-1 signature on its sub-CA.
    pub used_sha1_legacy: bool,
    /// The leaf is past its notAfter and was accepted under `ignore_idevid_not_after`.
    pub expired_idevid: bool,
}

impl VerifiedSudiChain {
    /// The policy's view of this chain, ending in the caller's anchor set `anchor_set`.
    pub fn into_verified_chain(self, anchor_set: impl Into<String>) -> VerifiedChain {
        VerifiedChain {
            identity: self.identity,
            anchor_set: anchor_set.into(),
            used_sha1_legacy: self.used_sha1_legacy,
            expired_idevid: self.expired_idevid,
            root_sha256: self.root_sha256,
        }
    }
}

/// The policy's [`CertStatus`] for a verification result, the chain ending in `anchor_set`.
pub fn cert_status(
    result: Result<VerifiedSudiChain, SudiChainError>,
    anchor_set: &str,
) -> CertStatus {
    match result {
        Ok(chain) => CertStatus::Verified(chain.into_verified_chain(anchor_set)),
        Err(err) => CertStatus::Failed(err.failure()),
    }
}

/// Why a SUDI chain did not verify.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SudiChainError {
    /// No trust anchors were given.
    #[error("no trust anchors given")]
    NoAnchors,
    /// A certificate could not be parsed.
    #[error("{which}: malformed certificate: {detail}")]
    Malformed {
        /// `leaf`, `intermediate #n` or `anchor #n`.
        which: String,
        /// The parser's complaint.
        detail: String,
    },
    /// The leaf has no `PID:… SN:…` subject serialNumber.
    #[error("the leaf has no SUDI identity (PID and SN) in its subject serialNumber")]
    MissingIdentity,
    /// The leaf (IDevID) is past its notAfter and `ignore_idevid_not_after` is off.
    #[error("IDevID expired at {}; danger_ignore_idevid_not_after is off", not_after.to_rfc3339())]
    IdevidExpired {
        /// The leaf's notAfter.
        not_after: DateTime<Utc>,
    },
    /// A CA certificate on the path is past its notAfter.
    #[error("certificate on the path expired at {}", not_after.to_rfc3339())]
    Expired {
        /// Its notAfter.
        not_after: DateTime<Utc>,
    },
    /// A certificate on the path is before its notBefore.
    #[error("certificate on the path valid only from {}", not_before.to_rfc3339())]
    NotYetValid {
        /// Its notBefore.
        not_before: DateTime<Utc>,
    },
    /// No path leads to any trust anchor.
    #[error("no path to any trust anchor")]
    UnknownIssuer,
    /// A signature on the path does not verify.
    #[error("a signature on the path is invalid")]
    BadSignature,
    /// A signature algorithm that is not accepted at that place in the path.
    #[error("unsupported signature algorithm {algorithm}")]
    UnsupportedSignatureAlgorithm {
        /// Its name or dotted OID.
        algorithm: String,
    },
    /// The path needs a SHA-1 signature and no root is pinned for it.
    #[error("the chain needs a SHA-1 legacy SUDI CA; danger_accept_sha1_legacy_sudi is off")]
    Sha1LegacyNotAllowed,
    /// The path needs a SHA-1 signature by a root that is not pinned.
    #[error(
        "SHA-1 legacy chain ends in root {}, which is not pinned",
        hex::encode(root_sha256)
    )]
    Sha1RootNotPinned {
        /// SHA-256 of the root's DER.
        root_sha256: [u8; 32],
    },
    /// A certificate's basicConstraints, key usage or extended key usage forbids its use here.
    #[error("{subject}: {problem}")]
    InvalidPurpose {
        /// The certificate's subject.
        subject: String,
        /// What is wrong.
        problem: PurposeProblem,
    },
    /// Anything else rustls-webpki reported.
    #[error("{detail}")]
    Other {
        /// webpki's error, debug-formatted.
        detail: String,
    },
}

/// How a certificate's extensions forbid its place in the path.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PurposeProblem {
    /// An issuer without basicConstraints CA:TRUE.
    #[error("issuer is not a CA")]
    NotACa,
    /// The leaf is a CA.
    #[error("leaf is a CA certificate")]
    LeafIsCa,
    /// Too many CAs below an issuer with a pathLenConstraint.
    #[error("path length constraint exceeded")]
    PathTooLong,
    /// keyUsage lacks keyCertSign (issuer) or digitalSignature (leaf).
    #[error("key usage does not allow this use")]
    KeyUsage,
    /// extendedKeyUsage lacks clientAuth.
    #[error("extended key usage does not allow client authentication")]
    ExtendedKeyUsage,
    /// A critical extension the verifier does not understand.
    #[error("unknown critical extension")]
    UnknownCriticalExtension,
}

impl SudiChainError {
    /// The policy's [`ChainFailure`] for this error.
    pub fn failure(&self) -> ChainFailure {
        match self {
            Self::NoAnchors | Self::UnknownIssuer => ChainFailure::UnknownIssuer,
            Self::Malformed { .. } | Self::Other { .. } => ChainFailure::Malformed,
            Self::MissingIdentity => ChainFailure::MissingIdentity,
            Self::IdevidExpired { .. } | Self::Expired { .. } => ChainFailure::Expired,
            Self::NotYetValid { .. } => ChainFailure::NotYetValid,
            Self::BadSignature => ChainFailure::BadSignature,
            Self::UnsupportedSignatureAlgorithm { .. }
            | Self::Sha1LegacyNotAllowed
            | Self::Sha1RootNotPinned { .. } => ChainFailure::UnsupportedSignatureAlgorithm,
            Self::InvalidPurpose { .. } => ChainFailure::InvalidPurpose,
        }
    }

    /// A short machine name, e.g. `sha1_legacy_not_allowed` or `idevid_expired`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::NoAnchors => "no_anchors",
            Self::Malformed { .. } => "malformed",
            Self::MissingIdentity => "missing_identity",
            Self::IdevidExpired { .. } => "idevid_expired",
            Self::Expired { .. } => "expired",
            Self::NotYetValid { .. } => "not_yet_valid",
            Self::UnknownIssuer => "unknown_issuer",
            Self::BadSignature => "bad_signature",
            Self::UnsupportedSignatureAlgorithm { .. } => "unsupported_signature_algorithm",
            Self::Sha1LegacyNotAllowed => "sha1_legacy_not_allowed",
            Self::Sha1RootNotPinned { .. } => "sha1_root_not_pinned",
            Self::InvalidPurpose { .. } => "invalid_purpose",
            Self::Other { .. } => "other",
        }
    }
}

#[cfg(test)]
mod tests;
