//! The HTTPS admin API: mutual TLS with an admin client certificate, HTTP/1.1, bounded
//! connections and timeouts, graceful shutdown.
//!
//! Peers are operators' tools, authenticated by the TLS layer before any byte of HTTP is read.
//! Routes are answered by [`route`], which is pure; this file only moves bytes.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use rustls::ServerConfig;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio_rustls::TlsAcceptor;

/// What the admin API reports about the running gateway.
#[derive(Clone, Debug, serde::Serialize)]
pub struct AdminStatus {
    /// Always `ok` while the process serves.
    pub status: &'static str,
    /// ztpgate version.
    pub version: &'static str,
    /// Name of the policy in force.
    pub policy: String,
    /// When the gateway started (RFC 3339, UTC).
    pub started: String,
}

/// Limits of the admin listener.
#[derive(Clone, Copy, Debug)]
pub struct AdminLimits {
    /// Concurrent connections.
    pub max_connections: usize,
    /// TLS handshake plus request headers.
    pub request_timeout: Duration,
}

/// Accepts connections on `listener` until `shutdown` turns true, then lets in-flight requests
/// finish.
pub async fn serve(
    listener: TcpListener,
    tls: Arc<ServerConfig>,
    status: Arc<AdminStatus>,
    limits: AdminLimits,
    mut shutdown: watch::Receiver<bool>,
) {
    let acceptor = TlsAcceptor::from(tls);
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
                tracing::warn!(%err, "admin accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let acceptor = acceptor.clone();
        let status = Arc::clone(&status);
        let shutdown = shutdown.clone();
        tokio::spawn(async move {
            connection(acceptor, stream, peer, status, limits, shutdown).await;
            drop(permit);
        });
    }
    // Wait until every connection has released its slot.
    let all = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    let _all = slots.acquire_many(all).await;
}

async fn connection(
    acceptor: TlsAcceptor,
    stream: tokio::net::TcpStream,
    peer: SocketAddr,
    status: Arc<AdminStatus>,
    limits: AdminLimits,
    mut shutdown: watch::Receiver<bool>,
) {
    let tls = match tokio::time::timeout(limits.request_timeout, acceptor.accept(stream)).await {
        Ok(Ok(tls)) => tls,
        Ok(Err(err)) => {
            tracing::info!(%peer, %err, "admin TLS handshake rejected");
            return;
        }
        Err(_) => {
            tracing::info!(%peer, "admin TLS handshake timed out");
            return;
        }
    };
    let service = service_fn(move |req: Request<Incoming>| {
        let status = Arc::clone(&status);
        async move { Ok::<_, Infallible>(route(req.method(), req.uri().path(), &status)) }
    });
    let conn = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.request_timeout)
        .max_buf_size(64 * 1024)
        .serve_connection(TokioIo::new(tls), service);
    tokio::pin!(conn);
    tokio::select! {
        res = conn.as_mut() => {
            if let Err(err) = res {
                tracing::debug!(%peer, %err, "admin connection ended with an error");
            }
        }
        _ = shutdown.changed() => {
            conn.as_mut().graceful_shutdown();
            let _ = tokio::time::timeout(limits.request_timeout, conn).await;
        }
    }
}

/// Answers one admin request.
pub fn route(method: &Method, path: &str, status: &AdminStatus) -> Response<Full<Bytes>> {
    match (method, path) {
        (&Method::GET | &Method::HEAD, "/health") => json(StatusCode::OK, status),
        (_, "/health") => json(
            StatusCode::METHOD_NOT_ALLOWED,
            &serde_json::json!({"error": "method not allowed"}),
        ),
        _ => json(
            StatusCode::NOT_FOUND,
            &serde_json::json!({"error": "not found"}),
        ),
    }
}

fn json<T: serde::Serialize>(code: StatusCode, body: &T) -> Response<Full<Bytes>> {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    let mut resp = Response::new(Full::new(Bytes::from(bytes)));
    *resp.status_mut() = code;
    resp.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status() -> AdminStatus {
        AdminStatus {
            status: "ok",
            version: "0",
            policy: "lab".into(),
            started: "2026-01-01T00:00:00Z".into(),
        }
    }

    #[test]
    fn health_answers_get_and_refuses_other_methods() {
        assert_eq!(route(&Method::GET, "/health", &status()).status(), 200);
        assert_eq!(route(&Method::POST, "/health", &status()).status(), 405);
        assert_eq!(route(&Method::GET, "/nope", &status()).status(), 404);
    }
}
