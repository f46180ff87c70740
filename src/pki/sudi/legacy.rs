//! The pinned-root SHA-1 legacy path: verifies a SUDI chain whose root signed its sub-CA with
//! SHA-1 RSA (Cisco Root CA 2048 → ACT2 SUDI CA), which rustls-webpki refuses.
//!
//! Trust: leaf and intermediates are attacker-controlled; anchors and pins are the operator's.
//! Pure. Implements `../shared/protocols/pnp.md` §4.1 and §4.4 steps 1–2.
//!
//! The path is built leaf → intermediates → anchor by issuer/subject name (exact DER) and
//! signature, depth-first, bounded by [`MAX_PATH_INTERMEDIATES`] and [`MAX_SIGNATURE_CHECKS`].
//! On every link: the signature (sha256/384/512 RSA PKCS#1, ECDSA P-256/P-384 with SHA-256/384)
//! and the outer and inner signature algorithms agree. SHA-1 RSA (keys of 2048 to 8192 bits) is
//! accepted on exactly one link: a signature made by an anchor whose DER SHA-256 is pinned, on
//! the certificate directly below it. A SHA-1 signature anywhere else is refused; by an unpinned
//! anchor it is `Sha1RootNotPinned`. Every certificate, the anchor included, must be valid at
//! `at`, except the leaf's notAfter under `ignore_idevid_not_after`. Issuers (intermediates and
//! the anchor) need basicConstraints CA:TRUE, a pathLenConstraint that admits the sub-CAs below
//! them, and keyCertSign when keyUsage is present; the leaf must not be a CA and, when keyUsage
//! is present, must allow digitalSignature. An extendedKeyUsage below the anchor must allow
//! clientAuth (or anyExtendedKeyUsage). Unknown critical extensions are refused.

use aws_lc_rs::signature::{self as sig, UnparsedPublicKey, VerificationAlgorithm};
use chrono::{DateTime, Utc};
use rustls_pki_types::CertificateDer;
use sha2::{Digest, Sha256};
use x509_parser::certificate::X509Certificate;
use x509_parser::oid_registry::{self as oids, Oid};

use super::{ChainOptions, PurposeProblem, SudiChainError};

/// The most intermediates a legacy path may have (SUDI paths have one).
pub(super) const MAX_PATH_INTERMEDIATES: usize = 3;
/// The most signatures one verification may check before giving up.
pub(super) const MAX_SIGNATURE_CHECKS: u32 = 32;

/// A legacy path that verified.
#[derive(Clone, Copy, Debug)]
pub(super) struct LegacyPath {
    /// Index of the anchor it ends in.
    pub(super) anchor_index: usize,
    /// Whether the pinned anchor's SHA-1 signature was needed.
    pub(super) used_sha1: bool,
}

/// Verifies the chain from `leaf` to an anchor, allowing SHA-1 only on a pinned anchor's link.
pub(super) fn verify_pinned(
    leaf: &CertificateDer<'_>,
    intermediates: &[CertificateDer<'_>],
    anchors: &[CertificateDer<'_>],
    at: i64,
    opts: &ChainOptions<'_>,
) -> Result<LegacyPath, SudiChainError> {
    let leaf = parse(leaf, "leaf".to_owned())?;
    let inters = intermediates
        .iter()
        .enumerate()
        .map(|(i, der)| parse(der, format!("intermediate #{}", i + 1)))
        .collect::<Result<Vec<_>, _>>()?;
    let anchors = anchors
        .iter()
        .enumerate()
        .map(|(i, der)| {
            let pinned = opts.sha1_pinned_roots.contains(&Sha256::digest(der).into());
            parse(der, format!("anchor #{}", i + 1)).map(|cert| (cert, pinned))
        })
        .collect::<Result<Vec<_>, _>>()?;
    check_common(&leaf, at, opts.ignore_idevid_not_after)?;
    check_leaf(&leaf)?;
    let mut search = Search {
        inters: &inters,
        anchors: &anchors,
        at,
        budget: MAX_SIGNATURE_CHECKS,
        on_path: Vec::new(),
    };
    search.extend(&leaf)
}

/// Checks that the certificate `der` is inside its validity period at `at`.
pub(super) fn check_validity_at(der: &CertificateDer<'_>, at: i64) -> Result<(), SudiChainError> {
    let cert = parse(der, "intermediate".to_owned())?;
    check_validity(&cert, at, false)
}

struct Search<'s, 'c> {
    inters: &'s [X509Certificate<'c>],
    anchors: &'s [(X509Certificate<'c>, bool)],
    at: i64,
    budget: u32,
    on_path: Vec<usize>,
}

impl Search<'_, '_> {
    /// Finds a path from `child` (with `self.on_path` intermediates already below it) upwards.
    fn extend(&mut self, child: &X509Certificate<'_>) -> Result<LegacyPath, SudiChainError> {
        let mut last = SudiChainError::UnknownIssuer;
        let sub_cas = self.on_path.len();
        for (index, (anchor, pinned)) in self.anchors.iter().enumerate() {
            if anchor.subject().as_raw() != child.issuer().as_raw() {
                continue;
            }
            let result = self.spend().and_then(|()| {
                check_issuer(anchor, sub_cas, self.at)?;
                let sha1 = verify_signature(child, anchor, Some(*pinned))?;
                Ok(LegacyPath {
                    anchor_index: index,
                    used_sha1: sha1,
                })
            });
            match result {
                Ok(path) => return Ok(path),
                Err(err @ SudiChainError::Other { .. }) => return Err(err),
                Err(err) => last = err,
            }
        }
        if sub_cas >= MAX_PATH_INTERMEDIATES {
            return Err(last);
        }
        for (index, issuer) in self.inters.iter().enumerate() {
            if self.on_path.contains(&index) || issuer.subject().as_raw() != child.issuer().as_raw()
            {
                continue;
            }
            let result = self.spend().and_then(|()| {
                check_issuer(issuer, sub_cas, self.at)?;
                check_eku(issuer)?;
                verify_signature(child, issuer, None)?;
                self.on_path.push(index);
                let up = self.extend(issuer);
                self.on_path.pop();
                up
            });
            match result {
                Ok(path) => return Ok(path),
                Err(err @ SudiChainError::Other { .. }) => return Err(err),
                Err(err) => last = err,
            }
        }
        Err(last)
    }

    fn spend(&mut self) -> Result<(), SudiChainError> {
        self.budget = self
            .budget
            .checked_sub(1)
            .ok_or_else(|| SudiChainError::Other {
                detail: format!("path search exceeded {MAX_SIGNATURE_CHECKS} signature checks"),
            })?;
        Ok(())
    }
}

fn parse<'c>(
    der: &'c CertificateDer<'_>,
    which: String,
) -> Result<X509Certificate<'c>, SudiChainError> {
    match x509_parser::parse_x509_certificate(der) {
        Ok(([], cert)) => Ok(cert),
        Ok(_) => Err(SudiChainError::Malformed {
            which,
            detail: "trailing data after the certificate".to_owned(),
        }),
        Err(e) => Err(SudiChainError::Malformed {
            which,
            detail: e.to_string(),
        }),
    }
}

fn check_leaf(leaf: &X509Certificate<'_>) -> Result<(), SudiChainError> {
    let bc = leaf
        .basic_constraints()
        .map_err(|_| purpose(leaf, PurposeProblem::LeafIsCa))?;
    if bc.is_some_and(|bc| bc.value.ca) {
        return Err(purpose(leaf, PurposeProblem::LeafIsCa));
    }
    let ku = leaf
        .key_usage()
        .map_err(|_| purpose(leaf, PurposeProblem::KeyUsage))?;
    if ku.is_some_and(|ku| !ku.value.digital_signature()) {
        return Err(purpose(leaf, PurposeProblem::KeyUsage));
    }
    check_eku(leaf)
}

/// Checks an issuer with `sub_cas` intermediates below it.
fn check_issuer(
    issuer: &X509Certificate<'_>,
    sub_cas: usize,
    at: i64,
) -> Result<(), SudiChainError> {
    check_common(issuer, at, false)?;
    let bc = issuer.basic_constraints().ok().flatten();
    let Some(bc) = bc.filter(|bc| bc.value.ca) else {
        return Err(purpose(issuer, PurposeProblem::NotACa));
    };
    if let Some(max) = bc.value.path_len_constraint
        && usize::try_from(max).is_ok_and(|max| sub_cas > max)
    {
        return Err(purpose(issuer, PurposeProblem::PathTooLong));
    }
    let ku = issuer
        .key_usage()
        .map_err(|_| purpose(issuer, PurposeProblem::KeyUsage))?;
    if ku.is_some_and(|ku| !ku.value.key_cert_sign()) {
        return Err(purpose(issuer, PurposeProblem::KeyUsage));
    }
    Ok(())
}

fn check_common(
    cert: &X509Certificate<'_>,
    at: i64,
    ignore_not_after: bool,
) -> Result<(), SudiChainError> {
    check_validity(cert, at, ignore_not_after)?;
    let known = [
        oids::OID_X509_EXT_BASIC_CONSTRAINTS,
        oids::OID_X509_EXT_KEY_USAGE,
        oids::OID_X509_EXT_EXTENDED_KEY_USAGE,
        oids::OID_X509_EXT_SUBJECT_ALT_NAME,
        oids::OID_X509_EXT_CERTIFICATE_POLICIES,
    ];
    if cert
        .extensions()
        .iter()
        .any(|ext| ext.critical && !known.contains(&ext.oid))
    {
        return Err(purpose(cert, PurposeProblem::UnknownCriticalExtension));
    }
    Ok(())
}

fn check_validity(
    cert: &X509Certificate<'_>,
    at: i64,
    ignore_not_after: bool,
) -> Result<(), SudiChainError> {
    let validity = cert.validity();
    let not_before = validity.not_before.timestamp();
    if at < not_before {
        return Err(SudiChainError::NotYetValid {
            not_before: datetime(not_before),
        });
    }
    let not_after = validity.not_after.timestamp();
    if at > not_after && !ignore_not_after {
        return Err(SudiChainError::Expired {
            not_after: datetime(not_after),
        });
    }
    Ok(())
}

fn check_eku(cert: &X509Certificate<'_>) -> Result<(), SudiChainError> {
    match cert.extended_key_usage() {
        Ok(None) => Ok(()),
        Ok(Some(eku)) if eku.value.client_auth || eku.value.any => Ok(()),
        _ => Err(purpose(cert, PurposeProblem::ExtendedKeyUsage)),
    }
}

/// Verifies `child`'s signature with `issuer`'s key; returns whether it was SHA-1.
/// `anchor_pinned` is `None` for an intermediate issuer, else whether the anchor is pinned.
fn verify_signature(
    child: &X509Certificate<'_>,
    issuer: &X509Certificate<'_>,
    anchor_pinned: Option<bool>,
) -> Result<bool, SudiChainError> {
    let outer = &child.signature_algorithm;
    let inner = &child.tbs_certificate.signature;
    if outer.algorithm != inner.algorithm || outer.parameters != inner.parameters {
        return Err(SudiChainError::BadSignature);
    }
    let spki = issuer.public_key();
    let curve = spki
        .algorithm
        .parameters
        .as_ref()
        .and_then(|p| p.as_oid().ok());
    let Some((algorithm, sha1)) = algorithm_for(&outer.algorithm, curve.as_ref()) else {
        return Err(SudiChainError::UnsupportedSignatureAlgorithm {
            algorithm: oid_name(&outer.algorithm),
        });
    };
    if sha1 && anchor_pinned != Some(true) {
        return Err(if anchor_pinned == Some(false) {
            SudiChainError::Sha1RootNotPinned {
                root_sha256: Sha256::digest(issuer.as_ref()).into(),
            }
        } else {
            SudiChainError::UnsupportedSignatureAlgorithm {
                algorithm: oid_name(&outer.algorithm),
            }
        });
    }
    UnparsedPublicKey::new(algorithm, spki.subject_public_key.data.as_ref())
        .verify(
            child.tbs_certificate.as_ref(),
            child.signature_value.data.as_ref(),
        )
        .map_err(|_| SudiChainError::BadSignature)?;
    Ok(sha1)
}

/// The aws-lc-rs algorithm for a signature OID and the issuer key's curve; `true` for SHA-1.
fn algorithm_for(
    alg: &Oid<'_>,
    curve: Option<&Oid<'_>>,
) -> Option<(&'static dyn VerificationAlgorithm, bool)> {
    let p256 = curve == Some(&oids::OID_EC_P256);
    let p384 = curve == Some(&oids::OID_NIST_EC_P384);
    let found: (&'static dyn VerificationAlgorithm, bool) = if *alg == oids::OID_PKCS1_SHA1WITHRSA {
        (&sig::RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY, true)
    } else if *alg == oids::OID_PKCS1_SHA256WITHRSA {
        (&sig::RSA_PKCS1_2048_8192_SHA256, false)
    } else if *alg == oids::OID_PKCS1_SHA384WITHRSA {
        (&sig::RSA_PKCS1_2048_8192_SHA384, false)
    } else if *alg == oids::OID_PKCS1_SHA512WITHRSA {
        (&sig::RSA_PKCS1_2048_8192_SHA512, false)
    } else if *alg == oids::OID_SIG_ECDSA_WITH_SHA256 && p256 {
        (&sig::ECDSA_P256_SHA256_ASN1, false)
    } else if *alg == oids::OID_SIG_ECDSA_WITH_SHA256 && p384 {
        (&sig::ECDSA_P384_SHA256_ASN1, false)
    } else if *alg == oids::OID_SIG_ECDSA_WITH_SHA384 && p256 {
        (&sig::ECDSA_P256_SHA384_ASN1, false)
    } else if *alg == oids::OID_SIG_ECDSA_WITH_SHA384 && p384 {
        (&sig::ECDSA_P384_SHA384_ASN1, false)
    } else {
        return None;
    };
    Some(found)
}

fn purpose(cert: &X509Certificate<'_>, problem: PurposeProblem) -> SudiChainError {
    SudiChainError::InvalidPurpose {
        subject: cert.subject().to_string(),
        problem,
    }
}

fn oid_name(oid: &Oid<'_>) -> String {
    x509_parser::objects::oid2sn(oid, x509_parser::objects::oid_registry())
        .map(str::to_owned)
        .unwrap_or_else(|_| oid.to_id_string())
}

fn datetime(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap_or(DateTime::<Utc>::MAX_UTC)
}
