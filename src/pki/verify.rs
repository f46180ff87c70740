//! The chain verdict for a device (client) certificate: rustls-webpki 0.103 path building from the
//! leaf through the given intermediates to one of the trust anchors, for TLS client
//! authentication, at a time given as an argument.
//!
//! Trust: the leaf and intermediates are attacker-controlled bytes; anchors are operator-chosen.
//! Every anchor certificate is an anchor whether or not it is self-signed, so a SUDI sub-CA (such
//! as Cisco's High Assurance SUDI CA) can be trusted on its own. Pure apart from its inputs.
//!
//! SHA-1: webpki does not verify SHA-1 signatures. The real Cisco ACT2 SUDI CA is SHA-1 signed by
//! Cisco Root CA 2048, so a chain that has to go through that signature comes out as
//! [`ChainVerdict::UnsupportedSignatureAlgorithm`] here; the pinned-root SHA-1 path for legacy
//! SUDIs (`danger_accept_sha1_legacy_sudi`) is [`crate::pki::sudi::verify_sudi_chain`], whose
//! successes under a `danger_*` option are reported as [`ChainVerdict::ValidUnderDanger`].

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use chrono::{DateTime, Utc};
use rustls_pki_types::{CertificateDer, SignatureVerificationAlgorithm, TrustAnchor, UnixTime};
use webpki::{EndEntityCert, KeyUsage};
use x509_parser::oid_registry::Oid;

/// DER contents of the sha1WithRSAEncryption OID (1.2.840.113549.1.1.5).
const OID_SHA1_WITH_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x05];
/// DER contents of the ecdsa-with-SHA1 OID (1.2.840.10045.4.1).
const OID_ECDSA_WITH_SHA1: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x01];

/// What chain verification concluded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChainVerdict {
    /// A path to a trust anchor exists and every certificate on it is valid at the given time.
    Valid {
        /// Subject of the anchor the path ends in.
        anchor_subject: String,
    },
    /// The chain is valid only because a `danger_*` option allowed it: the pinned-root SHA-1
    /// legacy path and/or an IDevID leaf past its notAfter.
    ValidUnderDanger {
        /// Subject of the anchor the path ends in.
        anchor_subject: String,
        /// SHA-256 of the root's DER, when the SHA-1 legacy path was used.
        sha1_pinned_root: Option<[u8; 32]>,
        /// The leaf IDevID is past its notAfter.
        expired_idevid: bool,
    },
    /// A certificate on the path has expired.
    Expired {
        /// Its notAfter.
        not_after: DateTime<Utc>,
    },
    /// A certificate on the path is not valid yet.
    NotYetValid {
        /// Its notBefore.
        not_before: DateTime<Utc>,
    },
    /// No path leads to any of the trust anchors.
    UnknownIssuer,
    /// A signature on the path does not verify.
    BadSignature,
    /// A signature on the path uses an algorithm webpki does not accept (e.g. SHA-1).
    UnsupportedSignatureAlgorithm {
        /// The algorithm's name (or dotted OID).
        algorithm: String,
        /// Whether it is a SHA-1 signature, as on the real Cisco ACT2 SUDI CA.
        sha1: bool,
    },
    /// No trust anchors were given.
    NoAnchors,
    /// Anything else webpki reported (bad encoding, wrong key usage, constraints).
    Other(String),
}

impl ChainVerdict {
    /// Whether the chain is valid.
    pub fn is_valid(&self) -> bool {
        matches!(self, Self::Valid { .. } | Self::ValidUnderDanger { .. })
    }

    /// A short machine name: `valid`, `valid_under_danger`, `expired`, `not_yet_valid`, `unknown_issuer`,
    /// `bad_signature`, `unsupported_signature_algorithm`, `no_anchors` or `other`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Valid { .. } => "valid",
            Self::ValidUnderDanger { .. } => "valid_under_danger",
            Self::Expired { .. } => "expired",
            Self::NotYetValid { .. } => "not_yet_valid",
            Self::UnknownIssuer => "unknown_issuer",
            Self::BadSignature => "bad_signature",
            Self::UnsupportedSignatureAlgorithm { .. } => "unsupported_signature_algorithm",
            Self::NoAnchors => "no_anchors",
            Self::Other(_) => "other",
        }
    }
}

impl fmt::Display for ChainVerdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Valid { anchor_subject } => write!(f, "Valid (anchor: {anchor_subject})"),
            Self::ValidUnderDanger {
                anchor_subject,
                sha1_pinned_root,
                expired_idevid,
            } => {
                write!(f, "Valid under danger options (anchor: {anchor_subject})")?;
                if let Some(root) = sha1_pinned_root {
                    write!(
                        f,
                        "; SHA-1 legacy SUDI CA accepted under pinned root {}",
                        hex::encode(root)
                    )?;
                }
                if *expired_idevid {
                    f.write_str("; IDevID past its notAfter accepted")?;
                }
                Ok(())
            }
            Self::Expired { not_after } => write!(
                f,
                "Expired: a certificate on the path expired at {}",
                not_after.to_rfc3339()
            ),
            Self::NotYetValid { not_before } => write!(
                f,
                "NotYetValid: a certificate on the path is valid only from {}",
                not_before.to_rfc3339()
            ),
            Self::UnknownIssuer => f.write_str("UnknownIssuer: no path to any trust anchor"),
            Self::BadSignature => f.write_str("BadSignature: a signature on the path is invalid"),
            Self::UnsupportedSignatureAlgorithm { algorithm, sha1 } => {
                write!(f, "UnsupportedSignatureAlgorithm: {algorithm}")?;
                if *sha1 {
                    f.write_str(
                        " (SHA-1, as the real Cisco ACT2 SUDI CA is signed; rustls-webpki \
                         refuses SHA-1 — accepting it needs danger_accept_sha1_legacy_sudi with \
                         the root pinned)",
                    )?;
                }
                Ok(())
            }
            Self::NoAnchors => f.write_str("NoAnchors: no trust anchors given"),
            Self::Other(what) => write!(f, "Other: {what}"),
        }
    }
}

/// Verifies that `leaf` chains to one of `anchors` through `intermediates` for TLS client
/// authentication at time `at`.
pub fn verify_chain(
    leaf: &CertificateDer<'_>,
    intermediates: &[CertificateDer<'_>],
    anchors: &[CertificateDer<'_>],
    at: SystemTime,
) -> ChainVerdict {
    match webpki_path(leaf, intermediates, anchors, at) {
        Ok(path) => ChainVerdict::Valid {
            anchor_subject: anchors
                .get(path.anchor_index)
                .map_or_else(|| "(unnamed anchor)".to_owned(), subject_of),
        },
        Err(PathError::NoAnchors) => ChainVerdict::NoAnchors,
        Err(PathError::BadAnchor { index, detail }) => {
            ChainVerdict::Other(format!("trust anchor #{}: {detail}", index + 1))
        }
        Err(PathError::BadLeaf { detail }) => {
            ChainVerdict::Other(format!("leaf certificate: {detail}"))
        }
        Err(PathError::Webpki(err)) => from_webpki(err),
    }
}

/// A path rustls-webpki found.
#[derive(Clone, Debug)]
pub(crate) struct WebpkiPath {
    /// Index into the `anchors` slice of the anchor the path ends in (always in bounds).
    pub(crate) anchor_index: usize,
    /// The intermediates on the path, leaf side first.
    pub(crate) intermediates: Vec<CertificateDer<'static>>,
}

/// Why rustls-webpki found no path.
#[derive(Debug)]
pub(crate) enum PathError {
    /// No trust anchors were given.
    NoAnchors,
    /// An anchor is not a usable certificate.
    BadAnchor { index: usize, detail: String },
    /// The leaf is not a usable certificate.
    BadLeaf { detail: String },
    /// Path building failed.
    Webpki(webpki::Error),
}

/// Runs rustls-webpki path building for TLS client authentication at `at`.
pub(crate) fn webpki_path(
    leaf: &CertificateDer<'_>,
    intermediates: &[CertificateDer<'_>],
    anchors: &[CertificateDer<'_>],
    at: SystemTime,
) -> Result<WebpkiPath, PathError> {
    if anchors.is_empty() {
        return Err(PathError::NoAnchors);
    }
    let mut trust = Vec::with_capacity(anchors.len());
    for (index, anchor) in anchors.iter().enumerate() {
        let ta = webpki::anchor_from_trusted_cert(anchor).map_err(|e| PathError::BadAnchor {
            index,
            detail: format!("{e:?}"),
        })?;
        trust.push(ta);
    }
    let end_entity = EndEntityCert::try_from(leaf).map_err(|e| PathError::BadLeaf {
        detail: format!("{e:?}"),
    })?;
    let time = UnixTime::since_unix_epoch(at.duration_since(UNIX_EPOCH).unwrap_or_default());
    let path = end_entity
        .verify_for_usage(
            algorithms(),
            &trust,
            intermediates,
            time,
            KeyUsage::client_auth(),
            None,
            None,
        )
        .map_err(PathError::Webpki)?;
    Ok(WebpkiPath {
        anchor_index: anchor_index(path.anchor(), &trust),
        intermediates: path
            .intermediate_certificates()
            .map(|cert| cert.der().into_owned())
            .collect(),
    })
}

fn algorithms() -> &'static [&'static dyn SignatureVerificationAlgorithm] {
    rustls::crypto::aws_lc_rs::default_provider()
        .signature_verification_algorithms
        .all
}

pub(crate) fn from_webpki(err: webpki::Error) -> ChainVerdict {
    match err {
        webpki::Error::CertExpired { not_after, .. } => ChainVerdict::Expired {
            not_after: datetime(not_after),
        },
        webpki::Error::CertNotValidYet { not_before, .. } => ChainVerdict::NotYetValid {
            not_before: datetime(not_before),
        },
        webpki::Error::UnknownIssuer => ChainVerdict::UnknownIssuer,
        webpki::Error::InvalidSignatureForPublicKey => ChainVerdict::BadSignature,
        webpki::Error::UnsupportedSignatureAlgorithmContext(ctx) => {
            unsupported(&ctx.signature_algorithm_id)
        }
        webpki::Error::UnsupportedSignatureAlgorithmForPublicKeyContext(ctx) => {
            unsupported(&ctx.signature_algorithm_id)
        }
        other => ChainVerdict::Other(format!("{other:?}")),
    }
}

/// Names the algorithm of a DER AlgorithmIdentifier body (`06 len oid [params]`).
fn unsupported(alg_id: &[u8]) -> ChainVerdict {
    let oid = match alg_id {
        [0x06, len, rest @ ..] if usize::from(*len) <= rest.len() => &rest[..usize::from(*len)],
        _ => alg_id,
    };
    let sha1 = oid == OID_SHA1_WITH_RSA || oid == OID_ECDSA_WITH_SHA1;
    let parsed = Oid::new(oid.into());
    let algorithm = x509_parser::objects::oid2sn(&parsed, x509_parser::objects::oid_registry())
        .map(str::to_owned)
        .unwrap_or_else(|_| parsed.to_id_string());
    ChainVerdict::UnsupportedSignatureAlgorithm { algorithm, sha1 }
}

fn anchor_index(found: &TrustAnchor<'_>, trust: &[TrustAnchor<'_>]) -> usize {
    // webpki returns one of the anchors we passed in, so a match always exists.
    trust
        .iter()
        .position(|ta| {
            ta.subject_public_key_info == found.subject_public_key_info
                && ta.subject == found.subject
        })
        .unwrap_or_default()
}

/// The subject of a DER certificate, RFC 4514 style, or `(unnamed anchor)`.
pub(crate) fn subject_of(der: &CertificateDer<'_>) -> String {
    x509_parser::parse_x509_certificate(der)
        .map(|(_, cert)| cert.subject().to_string())
        .unwrap_or_else(|_| "(unnamed anchor)".to_owned())
}

fn datetime(t: UnixTime) -> DateTime<Utc> {
    i64::try_from(t.as_secs())
        .ok()
        .and_then(|secs| DateTime::from_timestamp(secs, 0))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

#[cfg(test)]
mod tests;
