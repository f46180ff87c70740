//! Verification of a PnP device-auth answer: the SUDI certificate the device sent verifies to a
//! trust anchor, and its challenge response is the leaf key's signature over the challenge the
//! gateway chose.
//!
//! Trust: the [`DeviceAuthAnswer`] is attacker-controlled (every field, including the method
//! names); the challenge, anchors, `at` and [`ChainOptions`] are the gateway's. Pure: no I/O, no
//! clock. Implements `../shared/protocols/pnp.md` §2.5.17 (steps 2–4 of Cisco's verifier) and
//! §4.4 step 4; the PID/SN comparison (step 5) is the policy's, on the returned identity.
//!
//! Steps, first failure decides:
//!
//! 1. The method names: hash `SHA256` (the default when absent) or `SHA512`; encryption `RSA` or
//!    `ECDSA` when given.
//! 2. `sudi-cert`: bounded base64 of a PEM holding the leaf, optionally followed by the SUDI
//!    sub-CA (anchors may hold the sub-CA for devices that send only the leaf).
//! 3. The chain, by [`verify_sudi_chain`] at `at` under the caller's options.
//! 4. `challenge-response`: bounded base64 of a PKCS#1 v1.5 (RSA, 2048–8192 bits) or ASN.1 ECDSA
//!    (P-256, P-384) signature over the raw challenge bytes, by the verified leaf's key.

use std::time::SystemTime;

use aws_lc_rs::signature::{self, UnparsedPublicKey, VerificationAlgorithm};
use base64::Engine;
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use x509_parser::oid_registry::{OID_EC_P256, OID_KEY_TYPE_EC_PUBLIC_KEY, OID_NIST_EC_P384};
use x509_parser::oid_registry::{OID_PKCS1_RSAENCRYPTION, Oid};

use super::{ChainOptions, SudiChainError, VerifiedSudiChain, verify_sudi_chain};
use crate::proto::pnp::device_auth::DeviceAuthAnswer;

/// Longest accepted `sudi-cert` field (base64 text, whitespace included).
pub const MAX_SUDI_CERT_B64_BYTES: usize = 32 * 1024;
/// Longest accepted `challenge-response` field (base64 text; RSA-8192 needs 1,368).
pub const MAX_SIGNATURE_B64_BYTES: usize = 2 * 1024;
/// Most certificates accepted in `sudi-cert` (leaf, sub-CA and some slack).
pub const MAX_SUDI_CERTS: usize = 4;

/// Verifies `answer` to the device-auth request that carried `challenge`, the chain ending in one
/// of `anchors` at `at` under `opts`. Returns the verified chain (with the certificate identity).
pub fn verify_device_auth(
    challenge: &str,
    answer: &DeviceAuthAnswer,
    anchors: &[CertificateDer<'_>],
    at: SystemTime,
    opts: &ChainOptions<'_>,
) -> Result<VerifiedSudiChain, DeviceAuthError> {
    let hash = HashMethod::parse(answer.hash_method.as_deref())?;
    let claimed_key = answer
        .encryption_method
        .as_deref()
        .map(KeyAlgorithm::parse)
        .transpose()?;
    let certs = decode_certs(&answer.sudi_cert)?;
    let (leaf, intermediates) = certs.split_first().ok_or(DeviceAuthError::NoCertificate)?;
    let chain = verify_sudi_chain(leaf, intermediates, anchors, at, opts)?;
    let signature = decode_b64(
        "challenge-response",
        &answer.challenge_response,
        MAX_SIGNATURE_B64_BYTES,
    )?;
    let key = LeafKey::from_cert(leaf)?;
    if let Some(claimed) = claimed_key
        && claimed != key.algorithm
    {
        return Err(DeviceAuthError::MethodMismatch {
            claimed,
            key: key.algorithm,
        });
    }
    key.verify(hash, challenge.as_bytes(), &signature)?;
    Ok(chain)
}

/// Why a device-auth answer was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DeviceAuthError {
    /// A field is longer than its limit (checked before decoding).
    #[error("{field}: {actual} exceeds the limit of {limit}")]
    TooLarge {
        /// `sudi-cert`, `challenge-response` or `sudi-cert certificates`.
        field: &'static str,
        /// The limit.
        limit: usize,
        /// What was sent.
        actual: usize,
    },
    /// A field is not valid base64.
    #[error("{field}: not valid base64")]
    BadBase64 {
        /// `sudi-cert` or `challenge-response`.
        field: &'static str,
    },
    /// The decoded `sudi-cert` is not PEM.
    #[error("sudi-cert: bad PEM: {detail}")]
    BadPem {
        /// The PEM reader's complaint.
        detail: String,
    },
    /// The decoded `sudi-cert` holds no certificate.
    #[error("sudi-cert: no certificate")]
    NoCertificate,
    /// The certificate chain did not verify.
    #[error("SUDI chain rejected: {0}")]
    Chain(#[from] SudiChainError),
    /// A method name the gateway does not accept.
    #[error("{field} {value:?} is not supported")]
    UnsupportedMethod {
        /// `hash-method` or `encryption-method`.
        field: &'static str,
        /// What the device named (truncated to 64 bytes).
        value: String,
    },
    /// The named encryption method is not the algorithm of the certificate's key.
    #[error("encryption-method {claimed} does not match the certificate's {key} key")]
    MethodMismatch {
        /// What the device named.
        claimed: KeyAlgorithm,
        /// The leaf's key algorithm.
        key: KeyAlgorithm,
    },
    /// The leaf's key is not RSA or ECDSA P-256/P-384.
    #[error("unsupported SUDI key {algorithm}")]
    UnsupportedKey {
        /// The key algorithm (and curve) OID, dotted.
        algorithm: String,
    },
    /// The signature does not verify over the challenge with the leaf's key.
    #[error("challenge-response signature does not verify")]
    BadSignature,
}

/// The key algorithm of a device-auth signature (`encryption-method`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, thiserror::Error)]
pub enum KeyAlgorithm {
    /// ECDSA on P-256 or P-384, ASN.1 DER signatures.
    #[error("ECDSA")]
    Ecdsa,
    /// RSA with PKCS#1 v1.5 signatures.
    #[error("RSA")]
    Rsa,
}

impl KeyAlgorithm {
    fn parse(name: &str) -> Result<Self, DeviceAuthError> {
        match name.trim() {
            n if n.eq_ignore_ascii_case("RSA") => Ok(Self::Rsa),
            n if n.eq_ignore_ascii_case("ECDSA") => Ok(Self::Ecdsa),
            other => Err(unsupported("encryption-method", other)),
        }
    }
}

/// The hash of a device-auth signature (`hashing-method`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum HashMethod {
    Sha256,
    Sha512,
}

impl HashMethod {
    fn parse(name: Option<&str>) -> Result<Self, DeviceAuthError> {
        let Some(name) = name.map(str::trim).filter(|n| !n.is_empty()) else {
            return Ok(Self::Sha256);
        };
        if name.eq_ignore_ascii_case("SHA256") || name.eq_ignore_ascii_case("SHA-256") {
            Ok(Self::Sha256)
        } else if name.eq_ignore_ascii_case("SHA512") || name.eq_ignore_ascii_case("SHA-512") {
            Ok(Self::Sha512)
        } else {
            Err(unsupported("hash-method", name))
        }
    }
}

/// The leaf's public key, as aws-lc-rs wants it.
struct LeafKey {
    algorithm: KeyAlgorithm,
    curve: Option<Curve>,
    /// The subjectPublicKey bit string: RSAPublicKey DER, or the EC point.
    public_key: Vec<u8>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Curve {
    P256,
    P384,
}

impl LeafKey {
    fn from_cert(leaf: &CertificateDer<'_>) -> Result<Self, DeviceAuthError> {
        // The chain verified, so the leaf parses; a failure here is still reported, not assumed.
        let (_, cert) = x509_parser::parse_x509_certificate(leaf).map_err(|e| {
            DeviceAuthError::Chain(SudiChainError::Malformed {
                which: "leaf".to_owned(),
                detail: e.to_string(),
            })
        })?;
        let spki = cert.public_key();
        let alg = &spki.algorithm.algorithm;
        let public_key = spki.subject_public_key.data.to_vec();
        if *alg == OID_PKCS1_RSAENCRYPTION {
            return Ok(Self {
                algorithm: KeyAlgorithm::Rsa,
                curve: None,
                public_key,
            });
        }
        let curve_oid = spki
            .algorithm
            .parameters
            .as_ref()
            .and_then(|p| p.as_oid().ok());
        let curve = match curve_oid {
            Some(c) if *alg == OID_KEY_TYPE_EC_PUBLIC_KEY && c == OID_EC_P256 => Curve::P256,
            Some(c) if *alg == OID_KEY_TYPE_EC_PUBLIC_KEY && c == OID_NIST_EC_P384 => Curve::P384,
            other => {
                return Err(DeviceAuthError::UnsupportedKey {
                    algorithm: key_name(alg, other.as_ref()),
                });
            }
        };
        Ok(Self {
            algorithm: KeyAlgorithm::Ecdsa,
            curve: Some(curve),
            public_key,
        })
    }

    fn verify(&self, hash: HashMethod, message: &[u8], sig: &[u8]) -> Result<(), DeviceAuthError> {
        let alg: &'static dyn VerificationAlgorithm = match (self.curve, hash) {
            (None, HashMethod::Sha256) => &signature::RSA_PKCS1_2048_8192_SHA256,
            (None, HashMethod::Sha512) => &signature::RSA_PKCS1_2048_8192_SHA512,
            (Some(Curve::P256), HashMethod::Sha256) => &signature::ECDSA_P256_SHA256_ASN1,
            (Some(Curve::P256), HashMethod::Sha512) => &signature::ECDSA_P256_SHA512_ASN1,
            (Some(Curve::P384), HashMethod::Sha256) => &signature::ECDSA_P384_SHA256_ASN1,
            (Some(Curve::P384), HashMethod::Sha512) => &signature::ECDSA_P384_SHA512_ASN1,
        };
        UnparsedPublicKey::new(alg, &self.public_key)
            .verify(message, sig)
            .map_err(|_| DeviceAuthError::BadSignature)
    }
}

fn key_name(alg: &Oid<'_>, param: Option<&Oid<'_>>) -> String {
    match param {
        Some(p) => format!("{alg} ({p})"),
        None => alg.to_string(),
    }
}

/// `sudi-cert` → base64 → PEM → certificates, leaf first.
fn decode_certs(field: &str) -> Result<Vec<CertificateDer<'static>>, DeviceAuthError> {
    let pem = decode_b64("sudi-cert", field, MAX_SUDI_CERT_B64_BYTES)?;
    let mut certs = Vec::new();
    for item in CertificateDer::pem_slice_iter(&pem) {
        let cert = item.map_err(|e| DeviceAuthError::BadPem {
            detail: e.to_string(),
        })?;
        if certs.len() == MAX_SUDI_CERTS {
            return Err(DeviceAuthError::TooLarge {
                field: "sudi-cert certificates",
                limit: MAX_SUDI_CERTS,
                actual: MAX_SUDI_CERTS + 1,
            });
        }
        certs.push(cert);
    }
    if certs.is_empty() {
        return Err(DeviceAuthError::NoCertificate);
    }
    Ok(certs)
}

/// Standard base64 with padding; whitespace (XML line breaks) is ignored. The length limit is
/// checked on the raw text, before anything is allocated.
fn decode_b64(field: &'static str, text: &str, limit: usize) -> Result<Vec<u8>, DeviceAuthError> {
    if text.len() > limit {
        return Err(DeviceAuthError::TooLarge {
            field,
            limit,
            actual: text.len(),
        });
    }
    let compact: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    base64::engine::general_purpose::STANDARD
        .decode(compact)
        .map_err(|_| DeviceAuthError::BadBase64 { field })
}

fn unsupported(field: &'static str, value: &str) -> DeviceAuthError {
    let mut end = value.len().min(MAX_METHOD_ECHO_BYTES);
    while !value.is_char_boundary(end) {
        end -= 1;
    }
    DeviceAuthError::UnsupportedMethod {
        field,
        value: value[..end].to_owned(),
    }
}

/// How much of an unsupported method name is echoed into the error.
const MAX_METHOD_ECHO_BYTES: usize = 64;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_defaults_to_sha256_and_accepts_sha512() {
        assert_eq!(HashMethod::parse(None), Ok(HashMethod::Sha256));
        assert_eq!(HashMethod::parse(Some(" ")), Ok(HashMethod::Sha256));
        assert_eq!(HashMethod::parse(Some("sha512")), Ok(HashMethod::Sha512));
        assert!(matches!(
            HashMethod::parse(Some("MD5")),
            Err(DeviceAuthError::UnsupportedMethod {
                field: "hash-method",
                ..
            })
        ));
    }

    #[test]
    fn truncates_echoed_method_names_on_char_boundaries() {
        let long = "é".repeat(100);
        let DeviceAuthError::UnsupportedMethod { value, .. } = unsupported("hash-method", &long)
        else {
            panic!("wrong variant");
        };
        assert!(value.len() <= MAX_METHOD_ECHO_BYTES);
        assert!(long.starts_with(&value));
    }

    #[test]
    fn rejects_oversized_fields_before_decoding() {
        let big = "A".repeat(MAX_SUDI_CERT_B64_BYTES + 1);
        assert_eq!(
            decode_certs(&big),
            Err(DeviceAuthError::TooLarge {
                field: "sudi-cert",
                limit: MAX_SUDI_CERT_B64_BYTES,
                actual: MAX_SUDI_CERT_B64_BYTES + 1,
            })
        );
    }

    #[test]
    fn base64_of_non_pem_holds_no_certificate() {
        let text = base64::engine::general_purpose::STANDARD.encode(b"hello");
        assert_eq!(decode_certs(&text), Err(DeviceAuthError::NoCertificate));
    }
}
