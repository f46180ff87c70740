//! [`verify_sudi_chain`]: a SUDI leaf through intermediates to a trust anchor, with the two
//! legacy exceptions of [`ChainOptions`] applied explicitly.
//!
//! Trust: leaf and intermediates are attacker-controlled; anchors and options are the operator's.
//! Pure apart from its inputs. Implements `../shared/protocols/pnp.md` §4.2 and §4.4.
//!
//! What is checked, in order:
//!
//! 1. The leaf parses and carries a `PID:… SN:…` serialNumber (else `MissingIdentity`).
//! 2. IDevID notAfter: a leaf past its notAfter is refused (`IdevidExpired`) unless
//!    `ignore_idevid_not_after`. Only the leaf's notAfter is exempt; its notBefore and the
//!    validity of every CA on the path are still checked at `at`.
//! 3. rustls-webpki path building for client authentication — at `at`, or, for an accepted
//!    expired leaf, at the leaf's notAfter, after which each intermediate on the found path is
//!    re-checked for validity at `at`. Anchors are trusted as configured (webpki does not read
//!    their validity).
//! 4. Only when webpki refuses a SHA-1 signature: without pinned roots the chain is refused
//!    (`Sha1LegacyNotAllowed`); with pins, the path is verified by the pinned-root legacy
//!    verifier (see `legacy.rs`), which accepts SHA-1 RSA on exactly one link: the signature a
//!    pinned anchor made on the certificate directly below it.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chrono::{DateTime, Utc};
use rustls_pki_types::CertificateDer;
use sha2::{Digest, Sha256};

use super::{ChainOptions, SudiChainError, VerifiedSudiChain, legacy};
use crate::identity::CertIdentity;
use crate::pki::inspect::CertInfo;
use crate::pki::verify::{ChainVerdict, PathError, from_webpki, subject_of, webpki_path};

/// Verifies a SUDI `leaf` through `intermediates` to one of `anchors` at `at`, under `opts`.
pub fn verify_sudi_chain(
    leaf: &CertificateDer<'_>,
    intermediates: &[CertificateDer<'_>],
    anchors: &[CertificateDer<'_>],
    at: SystemTime,
    opts: &ChainOptions<'_>,
) -> Result<VerifiedSudiChain, SudiChainError> {
    if anchors.is_empty() {
        return Err(SudiChainError::NoAnchors);
    }
    let (identity, not_after) = leaf_facts(leaf)?;
    let at_secs = unix_secs(at);
    let expired_idevid = at_secs > not_after.timestamp();
    if expired_idevid && !opts.ignore_idevid_not_after {
        return Err(SudiChainError::IdevidExpired { not_after });
    }
    let check_at = if expired_idevid {
        UNIX_EPOCH + Duration::from_secs(u64::try_from(not_after.timestamp()).unwrap_or_default())
    } else {
        at
    };
    let (anchor_index, used_sha1_legacy) = match webpki_path(leaf, intermediates, anchors, check_at)
    {
        Ok(path) => {
            if expired_idevid {
                for der in &path.intermediates {
                    legacy::check_validity_at(der, at_secs)?;
                }
            }
            (path.anchor_index, false)
        }
        Err(PathError::Webpki(err)) => match from_webpki(err) {
            ChainVerdict::UnsupportedSignatureAlgorithm { sha1: true, .. } => {
                if opts.sha1_pinned_roots.is_empty() {
                    return Err(SudiChainError::Sha1LegacyNotAllowed);
                }
                let path = legacy::verify_pinned(leaf, intermediates, anchors, at_secs, opts)?;
                (path.anchor_index, path.used_sha1)
            }
            other => return Err(from_verdict(other)),
        },
        Err(other) => return Err(from_path_error(other)),
    };
    let anchor = anchors
        .get(anchor_index)
        .ok_or(SudiChainError::UnknownIssuer)?;
    Ok(VerifiedSudiChain {
        identity,
        anchor_subject: subject_of(anchor),
        root_sha256: Sha256::digest(anchor).into(),
        used_sha1_legacy,
        expired_idevid,
    })
}

fn leaf_facts(leaf: &CertificateDer<'_>) -> Result<(CertIdentity, DateTime<Utc>), SudiChainError> {
    let info = CertInfo::from_der(leaf).map_err(|e| SudiChainError::Malformed {
        which: "leaf".to_owned(),
        detail: e.reason,
    })?;
    let identity = info
        .identity()
        .cloned()
        .ok_or(SudiChainError::MissingIdentity)?;
    Ok((identity, info.not_after))
}

/// Seconds since the Unix epoch (times before 1970 count as 0, times past i64 saturate).
pub(super) fn unix_secs(t: SystemTime) -> i64 {
    let secs = t.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
    i64::try_from(secs).unwrap_or(i64::MAX)
}

fn from_verdict(verdict: ChainVerdict) -> SudiChainError {
    match verdict {
        ChainVerdict::Expired { not_after } => SudiChainError::Expired { not_after },
        ChainVerdict::NotYetValid { not_before } => SudiChainError::NotYetValid { not_before },
        ChainVerdict::UnknownIssuer => SudiChainError::UnknownIssuer,
        ChainVerdict::BadSignature => SudiChainError::BadSignature,
        ChainVerdict::UnsupportedSignatureAlgorithm { algorithm, .. } => {
            SudiChainError::UnsupportedSignatureAlgorithm { algorithm }
        }
        ChainVerdict::NoAnchors => SudiChainError::NoAnchors,
        ChainVerdict::Other(detail) => SudiChainError::Other { detail },
        // from_webpki only builds failures; a success verdict cannot reach this mapping.
        valid @ (ChainVerdict::Valid { .. } | ChainVerdict::ValidUnderDanger { .. }) => {
            SudiChainError::Other {
                detail: valid.to_string(),
            }
        }
    }
}

fn from_path_error(err: PathError) -> SudiChainError {
    match err {
        PathError::NoAnchors => SudiChainError::NoAnchors,
        PathError::BadAnchor { index, detail } => SudiChainError::Malformed {
            which: format!("anchor #{}", index + 1),
            detail,
        },
        PathError::BadLeaf { detail } => SudiChainError::Malformed {
            which: "leaf".to_owned(),
            detail,
        },
        PathError::Webpki(err) => from_verdict(from_webpki(err)),
    }
}

/// How `certs inspect` shows a SUDI verification result.
pub fn to_verdict(result: &Result<VerifiedSudiChain, SudiChainError>) -> ChainVerdict {
    match result {
        Ok(chain) if chain.used_sha1_legacy || chain.expired_idevid => {
            ChainVerdict::ValidUnderDanger {
                anchor_subject: chain.anchor_subject.clone(),
                sha1_pinned_root: chain.used_sha1_legacy.then_some(chain.root_sha256),
                expired_idevid: chain.expired_idevid,
            }
        }
        Ok(chain) => ChainVerdict::Valid {
            anchor_subject: chain.anchor_subject.clone(),
        },
        Err(
            SudiChainError::Expired { not_after } | SudiChainError::IdevidExpired { not_after },
        ) => ChainVerdict::Expired {
            not_after: *not_after,
        },
        Err(SudiChainError::NotYetValid { not_before }) => ChainVerdict::NotYetValid {
            not_before: *not_before,
        },
        Err(SudiChainError::UnknownIssuer) => ChainVerdict::UnknownIssuer,
        Err(SudiChainError::BadSignature) => ChainVerdict::BadSignature,
        Err(SudiChainError::NoAnchors) => ChainVerdict::NoAnchors,
        Err(
            err @ (SudiChainError::Sha1LegacyNotAllowed | SudiChainError::Sha1RootNotPinned { .. }),
        ) => ChainVerdict::UnsupportedSignatureAlgorithm {
            algorithm: format!("sha1WithRSAEncryption ({err})"),
            sha1: true,
        },
        Err(err) => ChainVerdict::Other(err.to_string()),
    }
}
