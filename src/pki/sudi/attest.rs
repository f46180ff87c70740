//! SUDI CLI attestation: parses and verifies the output of `show platform sudi certificate sign
//! nonce <N>` — the device signs a nonce and its certificate chain with its SUDI key.
//!
//! Trust: the output text is attacker-controlled (copied from a device or a ticket) and bounded
//! by [`MAX_OUTPUT_BYTES`], [`MAX_CERTIFICATES`] and [`MAX_SIGNATURE_HEX_CHARS`]; anchors, options
//! and the expected nonce are the operator's. Pure: text in, verdicts out.
//!
//! Format: optional banner and prompt lines (the command line, if echoed, gives the nonce), three
//! PEM certificates — root CA, SUDI sub-CA, device — then `Signature version: <n>` and
//! `Signature:` followed by hex, possibly wrapped. CRLF and trailing spaces are accepted.
//!
//! Signed data (confirmed on the real ISR4321 fixture): the nonce as a big-endian u64 (absent
//! when the command had no nonce), the signature version as a big-endian u32, then the DER of
//! the root, the sub-CA and the device certificate as printed; RSA PKCS#1 v1.5 with SHA-256 by
//! the device key (ECDSA with SHA-256 for EC device keys). The printed chain must verify under
//! [`super::verify_sudi_chain`] with the caller's anchors: printed certificates are only
//! intermediates, never trusted by themselves.

use std::time::SystemTime;

use aws_lc_rs::signature::{self as sig, UnparsedPublicKey, VerificationAlgorithm};
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use x509_parser::oid_registry as oids;

use super::{ChainOptions, SudiChainError, VerifiedSudiChain, verify_sudi_chain};
use crate::identity::CertIdentity;
use crate::pki::inspect::CertInfo;

/// The largest output accepted (the real one is under 5 KiB).
pub const MAX_OUTPUT_BYTES: usize = 64 * 1024;
/// Exactly this many certificates are expected: root CA, SUDI sub-CA, device.
pub const MAX_CERTIFICATES: usize = 3;
/// The longest signature accepted, in hex characters (an RSA-8192 signature).
pub const MAX_SIGNATURE_HEX_CHARS: usize = 2 * 1024;

/// A verified attestation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attestation {
    /// PID and SN of the device.
    pub identity: CertIdentity,
    /// The nonce that was signed (`None`: the command ran without one).
    pub nonce: Option<u64>,
    /// The signature version the device reported.
    pub signature_version: u32,
    /// The verified chain.
    pub chain: VerifiedSudiChain,
}

/// The parts of the command output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SudiOutput {
    /// The nonce on the echoed command line, if the command line is present and has one.
    pub command_nonce: Option<u64>,
    /// Root CA, SUDI sub-CA and device certificate, as printed.
    pub certificates: [CertificateDer<'static>; 3],
    /// The `Signature version:` value.
    pub signature_version: u32,
    /// The signature bytes.
    pub signature: Vec<u8>,
}

/// Both verdicts on an output, for reporting them side by side.
#[derive(Clone, Debug)]
pub struct Examination {
    /// The device identity, when the device certificate has one.
    pub identity: Option<CertIdentity>,
    /// The nonce the signature was checked against.
    pub nonce: Option<u64>,
    /// The signature verdict.
    pub signature: Result<(), AttestError>,
    /// The chain verdict.
    pub chain: Result<VerifiedSudiChain, SudiChainError>,
}

/// Why an output could not be parsed or did not verify.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AttestError {
    /// The output is larger than [`MAX_OUTPUT_BYTES`].
    #[error("output of {len} bytes exceeds {MAX_OUTPUT_BYTES}")]
    TooLarge {
        /// Its size.
        len: usize,
    },
    /// Fewer or more than three certificates.
    #[error("expected 3 certificates (root CA, SUDI CA, device), found {found}")]
    CertificateCount {
        /// How many were found (counting stops past [`MAX_CERTIFICATES`]).
        found: usize,
    },
    /// A PEM block is unterminated or not base64 DER.
    #[error("line {line}: bad PEM certificate block")]
    BadPem {
        /// 1-based line of its BEGIN line.
        line: usize,
    },
    /// The echoed command line has an unreadable nonce.
    #[error("line {line}: nonce is not a number from 0 to 18446744073709551615")]
    BadNonce {
        /// 1-based line.
        line: usize,
    },
    /// No or an unreadable `Signature version:` line.
    #[error("missing or invalid 'Signature version:' line")]
    BadSignatureVersion,
    /// No signature, odd-length or non-hex signature text, or longer than allowed.
    #[error("missing or invalid 'Signature:' hex (at most {MAX_SIGNATURE_HEX_CHARS} characters)")]
    BadSignatureHex,
    /// The output echoes a command with a different nonce than expected.
    #[error("the output signed nonce {signed}, not the expected {expected}")]
    NonceMismatch {
        /// The nonce the operator expected.
        expected: u64,
        /// The nonce on the echoed command line.
        signed: u64,
    },
    /// The device certificate is unusable for signature verification.
    #[error("device certificate: {reason}")]
    BadDeviceCertificate {
        /// What is wrong.
        reason: String,
    },
    /// The signature does not verify with the device key over the nonce and chain.
    #[error("signature does not verify with the device key")]
    BadSignature,
    /// The printed chain does not verify against the anchors.
    #[error("certificate chain: {0}")]
    Chain(#[from] SudiChainError),
}

/// Parses and verifies `output`: signature by the device key over `expected_nonce` (or the
/// nonce on the echoed command line) and the printed chain against `anchors` at `at`.
pub fn attest(
    output: &str,
    expected_nonce: Option<u64>,
    anchors: &[CertificateDer<'_>],
    at: SystemTime,
    opts: &ChainOptions<'_>,
) -> Result<Attestation, AttestError> {
    let parsed = parse_output(output)?;
    let exam = examine(&parsed, expected_nonce, anchors, at, opts);
    exam.signature?;
    let chain = exam.chain?;
    Ok(Attestation {
        identity: chain.identity.clone(),
        nonce: exam.nonce,
        signature_version: parsed.signature_version,
        chain,
    })
}

/// Checks the signature and the chain of a parsed output independently.
pub fn examine(
    parsed: &SudiOutput,
    expected_nonce: Option<u64>,
    anchors: &[CertificateDer<'_>],
    at: SystemTime,
    opts: &ChainOptions<'_>,
) -> Examination {
    let [root, sub_ca, device] = &parsed.certificates;
    let nonce = expected_nonce.or(parsed.command_nonce);
    let signature = match (expected_nonce, parsed.command_nonce) {
        (Some(expected), Some(signed)) if expected != signed => {
            Err(AttestError::NonceMismatch { expected, signed })
        }
        _ => verify_signature(parsed, nonce),
    };
    let intermediates = [sub_ca.clone(), root.clone()];
    Examination {
        identity: CertInfo::from_der(device)
            .ok()
            .and_then(|info| info.identity().cloned()),
        nonce,
        signature,
        chain: verify_sudi_chain(device, &intermediates, anchors, at, opts),
    }
}

/// The bytes the device signs.
pub fn signed_data(
    nonce: Option<u64>,
    signature_version: u32,
    certificates: &[CertificateDer<'_>],
) -> Vec<u8> {
    let mut data = Vec::new();
    if let Some(nonce) = nonce {
        data.extend_from_slice(&nonce.to_be_bytes());
    }
    data.extend_from_slice(&signature_version.to_be_bytes());
    for cert in certificates {
        data.extend_from_slice(cert);
    }
    data
}

fn verify_signature(parsed: &SudiOutput, nonce: Option<u64>) -> Result<(), AttestError> {
    let device = &parsed.certificates[2];
    let (_, cert) = x509_parser::parse_x509_certificate(device).map_err(|e| {
        AttestError::BadDeviceCertificate {
            reason: e.to_string(),
        }
    })?;
    let spki = cert.public_key();
    let curve = spki
        .algorithm
        .parameters
        .as_ref()
        .and_then(|p| p.as_oid().ok());
    let algorithm: &'static dyn VerificationAlgorithm =
        if spki.algorithm.algorithm == oids::OID_PKCS1_RSAENCRYPTION {
            &sig::RSA_PKCS1_2048_8192_SHA256
        } else if curve == Some(oids::OID_EC_P256) {
            &sig::ECDSA_P256_SHA256_ASN1
        } else if curve == Some(oids::OID_NIST_EC_P384) {
            &sig::ECDSA_P384_SHA256_ASN1
        } else {
            return Err(AttestError::BadDeviceCertificate {
                reason: "key is neither RSA nor ECDSA P-256/P-384".to_owned(),
            });
        };
    let data = signed_data(nonce, parsed.signature_version, &parsed.certificates);
    UnparsedPublicKey::new(algorithm, spki.subject_public_key.data.as_ref())
        .verify(&data, &parsed.signature)
        .map_err(|_| AttestError::BadSignature)
}

/// Parses the command output (see the module doc for the format).
pub fn parse_output(output: &str) -> Result<SudiOutput, AttestError> {
    if output.len() > MAX_OUTPUT_BYTES {
        return Err(AttestError::TooLarge { len: output.len() });
    }
    let lines: Vec<&str> = output.lines().map(str::trim_end).collect();
    let mut command_nonce = None;
    let mut certs = Vec::new();
    let mut i = 0;
    while let Some(line) = lines.get(i) {
        if line.trim_start() == "-----BEGIN CERTIFICATE-----" {
            if certs.len() == MAX_CERTIFICATES {
                return Err(AttestError::CertificateCount {
                    found: MAX_CERTIFICATES + 1,
                });
            }
            let (cert, next) = pem_block(&lines, i)?;
            certs.push(cert);
            i = next;
            continue;
        }
        if certs.is_empty() {
            if let Some(nonce) = command_line_nonce(line, i + 1)? {
                command_nonce = Some(nonce);
            }
        } else if line.starts_with("Signature version:") {
            break;
        }
        i += 1;
    }
    let found = certs.len();
    let certificates: [CertificateDer<'static>; 3] = certs
        .try_into()
        .map_err(|_| AttestError::CertificateCount { found })?;
    let (signature_version, signature) = signature_lines(lines.get(i..).unwrap_or_default())?;
    Ok(SudiOutput {
        command_nonce,
        certificates,
        signature_version,
        signature,
    })
}

/// Reads the PEM block starting at `begin`; returns it and the index after its END line.
fn pem_block(
    lines: &[&str],
    begin: usize,
) -> Result<(CertificateDer<'static>, usize), AttestError> {
    let bad = AttestError::BadPem { line: begin + 1 };
    let rest = lines.get(begin..).ok_or_else(|| bad.clone())?;
    let end = rest
        .iter()
        .position(|l| l.trim_start() == "-----END CERTIFICATE-----")
        .ok_or_else(|| bad.clone())?;
    let block = rest
        .get(..=end)
        .ok_or_else(|| bad.clone())?
        .iter()
        .map(|l| l.trim_start())
        .collect::<Vec<_>>()
        .join("\n");
    let cert = CertificateDer::from_pem_slice(block.as_bytes()).map_err(|_| bad)?;
    Ok((cert, begin + end + 1))
}

/// The nonce of an echoed `show platform sudi certificate sign [nonce <N>]` line.
fn command_line_nonce(line: &str, number: usize) -> Result<Option<u64>, AttestError> {
    let Some(at) = line.find("show platform sudi certificate sign") else {
        return Ok(None);
    };
    let mut words = line.get(at..).unwrap_or_default().split_ascii_whitespace();
    if !words.any(|w| w == "nonce") {
        return Ok(None);
    }
    let value = words.next().ok_or(AttestError::BadNonce { line: number })?;
    value
        .parse::<u64>()
        .map(Some)
        .map_err(|_| AttestError::BadNonce { line: number })
}

/// Reads `Signature version: <n>` and `Signature:` hex from the lines after the certificates.
fn signature_lines(lines: &[&str]) -> Result<(u32, Vec<u8>), AttestError> {
    let mut iter = lines.iter().map(|l| l.trim());
    let version = iter
        .next()
        .and_then(|l| l.strip_prefix("Signature version:"))
        .and_then(|v| v.trim().parse::<u32>().ok())
        .ok_or(AttestError::BadSignatureVersion)?;
    let first = iter
        .find(|l| !l.is_empty())
        .and_then(|l| l.strip_prefix("Signature:"))
        .ok_or(AttestError::BadSignatureHex)?;
    let mut hex_text = first.trim().to_owned();
    for line in iter {
        if line.is_empty() || !line.bytes().all(|b| b.is_ascii_hexdigit()) {
            break;
        }
        if hex_text.len() + line.len() > MAX_SIGNATURE_HEX_CHARS {
            return Err(AttestError::BadSignatureHex);
        }
        hex_text.push_str(line);
    }
    if hex_text.is_empty() || hex_text.len() > MAX_SIGNATURE_HEX_CHARS {
        return Err(AttestError::BadSignatureHex);
    }
    let signature = hex::decode(&hex_text).map_err(|_| AttestError::BadSignatureHex)?;
    Ok((version, signature))
}

#[cfg(test)]
mod tests;
