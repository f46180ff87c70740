//! [`SudiClientVerifier`]: the rustls client-certificate verifier of the device listeners. The
//! chain goes through [`verify_sudi_chain`] (not webpki's verifier, which refuses the SHA-1
//! signature of the legacy ACT2 SUDI CA and every expired IDevID), with the policy's `danger_*`
//! exceptions; handshake signatures stay with rustls' modern algorithms.
//!
//! Trust: client certificates are attacker-controlled; the anchor sets and options come from the
//! operator's device-auth policy. Implements `../shared/protocols/pnp.md` §1.7 and §4.4
//! ("SUDI-based client certificate validation").
//!
//! The verifier only gates the handshake. After it, [`SudiClientVerifier::identify`] (or
//! [`SudiClientVerifier::cert_status`]) re-verifies the presented chain to give the policy its
//! facts, including which anchor set the chain ends in.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{CertificateError, DigitallySignedStruct, DistinguishedName, OtherError};
use rustls::{Error, SignatureScheme};
use rustls_pki_types::{CertificateDer, UnixTime};
use sha2::{Digest, Sha256};

use crate::pki::sudi::{ChainOptions, SudiChainError, VerifiedSudiChain, verify_sudi_chain};
use crate::pki::{PkiError, load_certs_pem};
use crate::policy::auth::{CertStatus, DeviceAuthPolicy};

/// A trust anchor and the name of the anchor set it was loaded from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceAnchor {
    /// The anchor set's name (`[[trust_anchors]] name`).
    pub set: String,
    /// The certificate.
    pub cert: CertificateDer<'static>,
}

/// Verifies device client certificates as SUDI chains; see the module documentation.
#[derive(Clone, Debug)]
pub struct SudiClientVerifier {
    anchors: Vec<CertificateDer<'static>>,
    /// Anchor set name and SHA-256 of each entry of `anchors`, same order.
    anchor_sets: Vec<(String, [u8; 32])>,
    hints: Vec<DistinguishedName>,
    sha1_pinned_roots: Vec<[u8; 32]>,
    ignore_idevid_not_after: bool,
    mandatory: bool,
    algorithms: WebPkiSupportedAlgorithms,
    rejections: Option<tokio::sync::mpsc::Sender<Rejection>>,
}

/// A client certificate refused during a TLS handshake, for the audit log (the handshake itself
/// only ends with an alert).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    /// Subject of the presented certificate (or a note that it could not be parsed).
    pub subject: String,
    /// Serial number from the subject's SUDI identity, if any.
    pub serial: Option<String>,
    /// The reason's short name, e.g. `unknown_issuer`.
    pub reason: &'static str,
    /// The full explanation.
    pub detail: String,
}

impl SudiClientVerifier {
    /// A verifier over `anchors` with the given legacy exceptions (see [`ChainOptions`]);
    /// `mandatory`: the handshake fails without a client certificate.
    pub fn new(
        anchors: Vec<DeviceAnchor>,
        sha1_pinned_roots: Vec<[u8; 32]>,
        ignore_idevid_not_after: bool,
        mandatory: bool,
    ) -> Result<Self, VerifierError> {
        if anchors.is_empty() {
            return Err(VerifierError::NoAnchors);
        }
        let mut hints = Vec::with_capacity(anchors.len());
        for (index, anchor) in anchors.iter().enumerate() {
            let (_, cert) = x509_parser::parse_x509_certificate(&anchor.cert).map_err(|e| {
                VerifierError::BadAnchor {
                    set: anchor.set.clone(),
                    index,
                    detail: e.to_string(),
                }
            })?;
            hints.push(DistinguishedName::from(cert.subject().as_raw().to_vec()));
        }
        let anchor_sets = anchors
            .iter()
            .map(|a| (a.set.clone(), Sha256::digest(&a.cert).into()))
            .collect();
        Ok(Self {
            anchors: anchors.into_iter().map(|a| a.cert).collect(),
            anchor_sets,
            hints,
            sha1_pinned_roots,
            ignore_idevid_not_after,
            mandatory,
            algorithms: rustls::crypto::aws_lc_rs::default_provider()
                .signature_verification_algorithms,
            rejections: None,
        })
    }

    /// Reports every refused certificate on `tx` (best effort: when the channel is full the report
    /// is dropped and counted in the log, never blocking a handshake).
    pub fn with_rejection_reports(mut self, tx: tokio::sync::mpsc::Sender<Rejection>) -> Self {
        self.rejections = Some(tx);
        self
    }

    /// A verifier over the anchor sets the policy trusts (`trust_anchors`), loaded from their
    /// PEM files or directories, with the policy's `danger_*` exceptions.
    pub fn from_policy(policy: &DeviceAuthPolicy, mandatory: bool) -> Result<Self, VerifierError> {
        let mut anchors = Vec::new();
        for name in &policy.trust_anchors {
            let set = policy
                .anchor_sets
                .iter()
                .find(|s| &s.name == name)
                .ok_or_else(|| VerifierError::UnknownAnchorSet { set: name.clone() })?;
            for path in &set.paths {
                let certs = load_certs_pem(path).map_err(|source| VerifierError::AnchorSet {
                    set: name.clone(),
                    source,
                })?;
                anchors.extend(certs.into_iter().map(|cert| DeviceAnchor {
                    set: name.clone(),
                    cert,
                }));
            }
        }
        Self::new(
            anchors,
            policy.danger_accept_sha1_legacy_sudi.clone(),
            policy.danger_ignore_idevid_not_after,
            mandatory,
        )
    }

    /// The chain options this verifier applies.
    pub fn options(&self) -> ChainOptions<'_> {
        ChainOptions {
            sha1_pinned_roots: &self.sha1_pinned_roots,
            ignore_idevid_not_after: self.ignore_idevid_not_after,
        }
    }

    /// The trust anchors, in load order.
    pub fn anchors(&self) -> &[CertificateDer<'static>] {
        &self.anchors
    }

    /// Verifies `client_chain` (leaf first, as the TLS layer reports it) at `at`, and names the
    /// anchor set the chain ends in (the first set, in `trust_anchors` order, holding that anchor).
    pub fn identify(
        &self,
        client_chain: &[CertificateDer<'_>],
        at: SystemTime,
    ) -> Result<(VerifiedSudiChain, String), SudiChainError> {
        let (leaf, intermediates) =
            client_chain
                .split_first()
                .ok_or_else(|| SudiChainError::Malformed {
                    which: "leaf".to_owned(),
                    detail: "no client certificate".to_owned(),
                })?;
        let chain = verify_sudi_chain(leaf, intermediates, &self.anchors, at, &self.options())?;
        let set = self
            .anchor_sets
            .iter()
            .find(|(_, sha)| *sha == chain.root_sha256)
            .map(|(set, _)| set.clone())
            .ok_or(SudiChainError::UnknownIssuer)?;
        Ok((chain, set))
    }

    /// The policy's view of `client_chain` at `at`: not presented when empty, else verified or
    /// failed (see [`crate::pki::sudi::cert_status`]).
    pub fn cert_status(&self, client_chain: &[CertificateDer<'_>], at: SystemTime) -> CertStatus {
        if client_chain.is_empty() {
            return CertStatus::NotPresented;
        }
        match self.identify(client_chain, at) {
            Ok((chain, set)) => crate::pki::sudi::cert_status(Ok(chain), &set),
            Err(err) => crate::pki::sudi::cert_status(Err(err), ""),
        }
    }
}

impl ClientCertVerifier for SudiClientVerifier {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        self.mandatory
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &self.hints
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, Error> {
        let at = UNIX_EPOCH + Duration::from_secs(now.as_secs());
        match verify_sudi_chain(
            end_entity,
            intermediates,
            &self.anchors,
            at,
            &self.options(),
        ) {
            Ok(_) => Ok(ClientCertVerified::assertion()),
            Err(err) => {
                tracing::debug!(error = %err, reason = err.name(), "client certificate rejected");
                if let Some(tx) = &self.rejections {
                    let info = crate::pki::inspect::CertInfo::from_der(end_entity).ok();
                    let report = Rejection {
                        subject: info.as_ref().map_or_else(
                            || "(unparsable certificate)".into(),
                            |i| i.subject.clone(),
                        ),
                        serial: info
                            .as_ref()
                            .and_then(|i| i.identity().map(|id| id.sn.clone())),
                        reason: err.name(),
                        detail: err.to_string(),
                    };
                    if tx.try_send(report).is_err() {
                        tracing::warn!("certificate rejection not audited: report queue full");
                    }
                }
                Err(to_rustls(err))
            }
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// The rustls error (and so the TLS alert) for a chain failure.
pub fn to_rustls(err: SudiChainError) -> Error {
    let cert_error = match err {
        SudiChainError::IdevidExpired { .. } | SudiChainError::Expired { .. } => {
            CertificateError::Expired
        }
        SudiChainError::NotYetValid { .. } => CertificateError::NotValidYet,
        SudiChainError::NoAnchors | SudiChainError::UnknownIssuer => {
            CertificateError::UnknownIssuer
        }
        SudiChainError::BadSignature => CertificateError::BadSignature,
        SudiChainError::Malformed { .. } => CertificateError::BadEncoding,
        SudiChainError::UnsupportedSignatureAlgorithm { .. } => unsupported_algorithm(Vec::new()),
        SudiChainError::Sha1LegacyNotAllowed | SudiChainError::Sha1RootNotPinned { .. } => {
            unsupported_algorithm(OID_SHA1_WITH_RSA.to_vec())
        }
        SudiChainError::InvalidPurpose { .. } => CertificateError::InvalidPurpose,
        other @ (SudiChainError::MissingIdentity | SudiChainError::Other { .. }) => {
            CertificateError::Other(OtherError(Arc::new(other)))
        }
    };
    Error::InvalidCertificate(cert_error)
}

fn unsupported_algorithm(signature_algorithm_id: Vec<u8>) -> CertificateError {
    CertificateError::UnsupportedSignatureAlgorithmContext {
        signature_algorithm_id,
        supported_algorithms: Vec::new(),
    }
}

/// Why a [`SudiClientVerifier`] could not be built.
#[derive(Debug, thiserror::Error)]
pub enum VerifierError {
    /// `trust_anchors` names a set that is not defined.
    #[error("trust-anchor set {set:?} is not defined")]
    UnknownAnchorSet {
        /// The set's name.
        set: String,
    },
    /// A file or directory of an anchor set could not be loaded.
    #[error("trust-anchor set {set:?}: {source}")]
    AnchorSet {
        /// The set's name.
        set: String,
        /// The loading error (it names the path).
        source: PkiError,
    },
    /// An anchor certificate does not parse.
    #[error("trust-anchor set {set:?}: certificate #{} does not parse: {detail}", index + 1)]
    BadAnchor {
        /// The set's name.
        set: String,
        /// Position among all anchors, from 0.
        index: usize,
        /// The parser's complaint.
        detail: String,
    },
    /// No anchor certificate at all.
    #[error("no device trust anchors")]
    NoAnchors,
}

/// The content octets of the sha1WithRSAEncryption OID (1.2.840.113549.1.1.5).
const OID_SHA1_WITH_RSA: [u8; 9] = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x05];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pki::sudi::PurposeProblem;

    #[test]
    fn maps_chain_failures_to_certificate_errors() {
        let cases = [
            (
                SudiChainError::UnknownIssuer,
                CertificateError::UnknownIssuer,
            ),
            (SudiChainError::BadSignature, CertificateError::BadSignature),
            (
                SudiChainError::Sha1LegacyNotAllowed,
                unsupported_algorithm(OID_SHA1_WITH_RSA.to_vec()),
            ),
            (
                SudiChainError::InvalidPurpose {
                    subject: "CN=x".to_owned(),
                    problem: PurposeProblem::LeafIsCa,
                },
                CertificateError::InvalidPurpose,
            ),
        ];
        for (err, want) in cases {
            assert_eq!(to_rustls(err), Error::InvalidCertificate(want));
        }
        assert!(matches!(
            to_rustls(SudiChainError::MissingIdentity),
            Error::InvalidCertificate(CertificateError::Other(_))
        ));
    }

    #[test]
    fn refuses_empty_anchor_list_and_unknown_set() {
        assert!(matches!(
            SudiClientVerifier::new(Vec::new(), Vec::new(), false, true),
            Err(VerifierError::NoAnchors)
        ));
        let policy = DeviceAuthPolicy {
            trust_anchors: vec!["missing".to_owned()],
            ..DeviceAuthPolicy::default()
        };
        assert!(matches!(
            SudiClientVerifier::from_policy(&policy, true),
            Err(VerifierError::UnknownAnchorSet { set }) if set == "missing"
        ));
    }

    #[test]
    fn refuses_unparseable_anchor() {
        let anchor = DeviceAnchor {
            set: "lab".to_owned(),
            cert: CertificateDer::from(vec![0x30, 0x03, 0x02, 0x01, 0x01]),
        };
        assert!(matches!(
            SudiClientVerifier::new(vec![anchor], Vec::new(), false, true),
            Err(VerifierError::BadAnchor { index: 0, .. })
        ));
    }
}
