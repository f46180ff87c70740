//! rustls server configurations for the gateway's HTTPS listeners.
//!
//! The admin API requires a client certificate issued by the admin CA: the verifier is mandatory,
//! never optional, and the admin CA is a different hierarchy from any device CA, so a device
//! certificate can never authenticate as an operator. Device listeners verify client certificates
//! as SUDI chains ([`device_server`]). Inputs: operator-supplied PEM files.

use std::sync::Arc;

use rustls::ServerConfig;
use rustls::server::WebPkiClientVerifier;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use crate::edge::sudi_verifier::SudiClientVerifier;

/// Why a TLS configuration could not be built.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A CA certificate was not accepted as a trust anchor.
    #[error("admin CA certificate rejected: {0}")]
    BadAnchor(rustls::Error),
    /// No CA certificate to verify clients with.
    #[error("no admin CA certificate")]
    NoAnchor,
    /// The client verifier could not be built.
    #[error("client verifier: {0}")]
    Verifier(#[from] rustls::server::VerifierBuilderError),
    /// The certificate chain or key was rejected.
    #[error("server certificate or key rejected: {0}")]
    Certificate(rustls::Error),
}

/// A server configuration that requires a client certificate chaining to one of `client_roots`.
pub fn mutual_tls_server(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    client_roots: &[CertificateDer<'static>],
) -> Result<Arc<ServerConfig>, TlsError> {
    if client_roots.is_empty() {
        return Err(TlsError::NoAnchor);
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    for cert in client_roots {
        roots.add(cert.clone()).map_err(TlsError::BadAnchor)?;
    }
    let verifier =
        WebPkiClientVerifier::builder_with_provider(Arc::new(roots), Arc::clone(&provider))
            .build()?;
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(TlsError::Certificate)?
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, key)
        .map_err(TlsError::Certificate)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// A server configuration that asks for a client certificate and verifies it against
/// `client_roots` when one is presented, but also serves clients without one (the file server:
/// a grant URL suffices; a certificate, when shown, must be the grant's device). With no roots,
/// client certificates are not requested at all.
pub fn optional_client_auth_server(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    client_roots: &[CertificateDer<'static>],
) -> Result<Arc<ServerConfig>, TlsError> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = ServerConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .map_err(TlsError::Certificate)?;
    let builder = if client_roots.is_empty() {
        builder.with_no_client_auth()
    } else {
        let mut roots = rustls::RootCertStore::empty();
        for cert in client_roots {
            roots.add(cert.clone()).map_err(TlsError::BadAnchor)?;
        }
        let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
            .allow_unauthenticated()
            .build()?;
        builder.with_client_cert_verifier(verifier)
    };
    let mut config = builder
        .with_single_cert(chain, key)
        .map_err(TlsError::Certificate)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// A server configuration for device listeners: client certificates are verified as SUDI chains
/// by `verifier`, which also decides whether one is mandatory.
pub fn device_server(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    verifier: Arc<SudiClientVerifier>,
) -> Result<Arc<ServerConfig>, TlsError> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(TlsError::Certificate)?
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, key)
        .map_err(TlsError::Certificate)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}
