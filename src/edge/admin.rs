//! The HTTPS admin API: mutual TLS with an admin client certificate, answering `/health`, the
//! PnP device routes of [`pnp`] and the Smart Install director views and actions of [`vstack`].
//!
//! Peers are operators' tools, authenticated by the TLS layer (admin CA only) before any byte of
//! HTTP is read. Routes are answered by [`route`], which is pure; the accept loop is
//! [`crate::edge::listener`].

pub mod pnp;
pub mod vstack;
pub mod vstack_proxy;

use std::sync::Arc;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::{Method, Request, Response, StatusCode};

use tokio::sync::Mutex;

use crate::audit::AuditLog;
use crate::edge::listener::{ConnInfo, Handler};
use crate::edge::pnp::directory::Directory;
use crate::pki::inspect::CertInfo;
use crate::store::SqliteStore;

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

/// The admin API's [`Handler`]: answers from the gateway status.
pub struct AdminApi {
    /// What `/health` reports.
    pub status: AdminStatus,
    /// Gateway state.
    pub store: Arc<Mutex<SqliteStore>>,
    /// PnP devices.
    pub pnp: Arc<Directory>,
    /// Audit log (operator actions).
    pub audit: Arc<Mutex<AuditLog>>,
    /// The Smart Install director's views.
    pub director: vstack::DirectorView,
    /// The running director (its actions), when `[smart_install_director]` is enabled.
    pub runtime: Option<Arc<crate::edge::director::Director>>,
    /// Live inspection counters (`GET /metrics`).
    pub metrics: Arc<crate::edge::live_capture::InspectMetrics>,
}

impl Handler for AdminApi {
    type Body = Full<Bytes>;

    async fn handle(&self, req: Request<Incoming>, conn: &ConnInfo) -> Response<Full<Bytes>> {
        if req.uri().path() == "/metrics" && matches!(*req.method(), Method::GET | Method::HEAD) {
            return text(StatusCode::OK, self.metrics.render().await);
        }
        let operator = operator_name(conn);
        let answer = pnp::route(
            req.method(),
            req.uri().path(),
            &operator,
            &self.pnp,
            &self.store,
            &self.audit,
        )
        .await;
        let answer = match answer {
            Some(a) => Some(a),
            None => {
                vstack::route(req.method(), req.uri().path(), &self.director, &self.store).await
            }
        };
        let answer = match answer {
            Some(a) => Some(a),
            None => {
                vstack_proxy::route(req.method(), req.uri().path(), &self.director, &self.store)
                    .await
            }
        };
        let answer = match answer {
            Some(a) => Some(a),
            None => {
                let (path, query) = (req.uri().path(), req.uri().query());
                let director = self.runtime.as_deref();
                vstack::actions::route(req.method(), path, query, &operator, director).await
            }
        };
        match answer {
            Some((code, body)) => json(code, &body),
            None => route(req.method(), req.uri().path(), &self.status),
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

/// The operator's name: the subject of the admin certificate the TLS layer verified.
fn operator_name(conn: &ConnInfo) -> String {
    conn.client_chain
        .first()
        .and_then(|leaf| CertInfo::from_der(leaf).ok())
        .map_or_else(|| "admin".to_owned(), |info| info.subject)
}

/// A Prometheus text-format body.
fn text(code: StatusCode, body: String) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(Bytes::from(body)));
    *resp.status_mut() = code;
    resp.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    resp
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
