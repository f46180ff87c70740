//! The TLS accept loop shared by the gateway's HTTPS listeners: connection cap, handshake and
//! header timeouts, HTTP/1.1 keep-alive, accept back-off and graceful shutdown.
//!
//! Peers are untrusted until the TLS layer has verified them; what a listener serves is decided
//! by its [`Handler`], which sees the verified client certificate (if any) in [`ConnInfo`].

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use hyper::body::{Body, Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use rustls::ServerConfig;
use rustls_pki_types::CertificateDer;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tokio_rustls::TlsAcceptor;

use crate::policy::auth::CertStatus;

/// The most bytes of request head a connection may buffer.
pub const MAX_HEAD_BYTES: usize = 64 * 1024;

/// Limits of one listener.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Concurrent connections.
    pub max_connections: usize,
    /// TLS handshake, and reading one request head.
    pub request_timeout: Duration,
}

/// What the TLS layer established about a connection.
#[derive(Clone, Debug)]
pub struct ConnInfo {
    /// The peer's address.
    pub peer: SocketAddr,
    /// The client certificate chain the verifier accepted (leaf first); empty without one.
    pub client_chain: Vec<CertificateDer<'static>>,
    /// The policy-level verdict on `client_chain` and when it was reached: worked out on the
    /// connection's first request, reused by the next ones while fresh.
    pub cert_memo: OnceLock<(SystemTime, CertStatus)>,
}

/// Answers requests of one listener.
pub trait Handler: Send + Sync + 'static {
    /// The response body type.
    type Body: Body<Data = Bytes, Error: std::error::Error + Send + Sync> + Send + 'static;

    /// Answers one request.
    fn handle(
        &self,
        req: Request<Incoming>,
        conn: &ConnInfo,
    ) -> impl Future<Output = Response<Self::Body>> + Send;
}

/// Accepts connections until `shutdown` turns true, then lets in-flight requests finish. Without
/// `tls` the listener speaks plain HTTP (only the PnP bootstrap listener does).
pub async fn serve<H: Handler>(
    listener: TcpListener,
    tls: Option<Arc<ServerConfig>>,
    handler: Arc<H>,
    limits: Limits,
    mut shutdown: watch::Receiver<bool>,
) {
    let acceptor = tls.map(TlsAcceptor::from);
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    loop {
        let Ok(permit) = Arc::clone(&slots).acquire_owned().await else {
            return;
        };
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = shutdown.changed() => break,
        };
        let (stream, peer) = match accepted {
            Ok(conn) => conn,
            Err(err) => {
                // Resource exhaustion (EMFILE and the like): back off instead of spinning.
                tracing::warn!(%err, "accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let acceptor = acceptor.clone();
        let handler = Arc::clone(&handler);
        let shutdown = shutdown.clone();
        tokio::spawn(async move {
            connection(acceptor, stream, peer, handler, limits, shutdown).await;
            drop(permit);
        });
    }
    // Wait until every connection has released its slot.
    let all = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    let _all = slots.acquire_many(all).await;
}

async fn connection<H: Handler>(
    acceptor: Option<TlsAcceptor>,
    stream: TcpStream,
    peer: SocketAddr,
    handler: Arc<H>,
    limits: Limits,
    shutdown: watch::Receiver<bool>,
) {
    let Some(acceptor) = acceptor else {
        let conn = ConnInfo {
            peer,
            client_chain: Vec::new(),
            cert_memo: OnceLock::new(),
        };
        return http(TokioIo::new(stream), conn, handler, limits, shutdown).await;
    };
    let tls = match tokio::time::timeout(limits.request_timeout, acceptor.accept(stream)).await {
        Ok(Ok(tls)) => tls,
        Ok(Err(err)) => {
            tracing::info!(%peer, %err, "TLS handshake rejected");
            return;
        }
        Err(_) => {
            tracing::info!(%peer, "TLS handshake timed out");
            return;
        }
    };
    let conn = ConnInfo {
        peer,
        client_chain: tls
            .get_ref()
            .1
            .peer_certificates()
            .map(|c| c.iter().map(|d| d.clone().into_owned()).collect())
            .unwrap_or_default(),
        cert_memo: OnceLock::new(),
    };
    http(TokioIo::new(tls), conn, handler, limits, shutdown).await;
}

/// Serves HTTP/1.1 on an established (TLS or plain) connection.
async fn http<H: Handler, I>(
    io: I,
    conn: ConnInfo,
    handler: Arc<H>,
    limits: Limits,
    mut shutdown: watch::Receiver<bool>,
) where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let peer = conn.peer;
    let conn = Arc::new(conn);
    let service = service_fn(move |req: Request<Incoming>| {
        let handler = Arc::clone(&handler);
        let conn = Arc::clone(&conn);
        async move { Ok::<_, Infallible>(handler.handle(req, &conn).await) }
    });
    let http = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.request_timeout)
        .max_buf_size(MAX_HEAD_BYTES)
        .serve_connection(io, service);
    tokio::pin!(http);
    tokio::select! {
        res = http.as_mut() => {
            if let Err(err) = res {
                tracing::debug!(%peer, %err, "connection ended with an error");
            }
        }
        _ = shutdown.changed() => {
            http.as_mut().graceful_shutdown();
            let _ = tokio::time::timeout(limits.request_timeout, http).await;
        }
    }
}
