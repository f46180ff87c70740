//! rustls server configurations for the gateway's HTTPS listeners.
//!
//! The admin API requires a client certificate issued by the admin CA: the verifier is mandatory,
//! never optional, and the admin CA is a different hierarchy from any device CA, so a device
//! certificate can never authenticate as an operator. Device listeners verify client certificates
//! as SUDI chains ([`device_server`]). Inputs: operator-supplied PEM files.

use std::sync::Arc;

use rustls::ServerConfig;
use rustls::server::WebPkiClientVerifier;
use rustls::server::danger::ClientCertVerifier;
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
    let mut roots = rustls::RootCertStore::empty();
    for cert in client_roots {
        roots.add(cert.clone()).map_err(TlsError::BadAnchor)?;
    }
    let verifier =
        WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider()).build()?;
    server(chain, key, Some(verifier))
}

/// A server configuration that does not ask for client certificates (device listeners when no
/// device trust anchors could be loaded: every device is then refused by policy, and audited).
pub fn no_client_auth_server(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> Result<Arc<ServerConfig>, TlsError> {
    server(chain, key, None)
}

/// A server configuration for device listeners: client certificates are verified as SUDI chains
/// by `verifier`, which also decides whether one is mandatory.
pub fn device_server(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    verifier: Arc<SudiClientVerifier>,
) -> Result<Arc<ServerConfig>, TlsError> {
    server(chain, key, Some(verifier))
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// TLS 1.2 and 1.3 with the aws-lc-rs provider's safe defaults, HTTP/1.1 over ALPN.
fn server(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    verifier: Option<Arc<dyn ClientCertVerifier>>,
) -> Result<Arc<ServerConfig>, TlsError> {
    let builder = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(TlsError::Certificate)?;
    let builder = match verifier {
        Some(v) => builder.with_client_cert_verifier(v),
        None => builder.with_no_client_auth(),
    };
    let mut config = builder
        .with_single_cert(chain, key)
        .map_err(TlsError::Certificate)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}
