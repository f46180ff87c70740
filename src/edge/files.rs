//! The HTTPS file server: images, configurations and files, delivered only over TLS and only
//! through per-device grants ([`grant`]), with Range requests for resume, strong ETags, and MD5
//! and SHA-256 checksums in the response headers, streamed from disk with bounded memory.
//!
//! Requests are attacker-controlled: the URL must be a valid, unexpired grant signed with the
//! gateway's file key; when the client presented a verified device certificate, its serial number
//! must be the grant's device. Every refusal and every delivery is an audit record.

pub mod body;
pub mod catalog;
pub mod grant;
pub mod key;
pub mod range;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use hyper::body::Incoming;
use hyper::header::{self, HeaderMap, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use tokio::sync::Mutex;

use crate::audit::{AuditEntry, AuditLog, EntryKind};
use crate::edge::files::body::FileBody;
use crate::edge::files::catalog::{Catalog, FileInfo};
use crate::edge::files::grant::{FILE_KEY_BYTES, Grant, GrantError};
use crate::edge::files::range::RangeOutcome;
use crate::edge::listener::{ConnInfo, Handler};
use crate::identity::CertIdentity;
use crate::pki::inspect::CertInfo;
use crate::policy::auth::IdPattern;

/// The file server's [`Handler`].
#[derive(Debug)]
pub struct FileServer {
    root: PathBuf,
    key: [u8; FILE_KEY_BYTES],
    catalog: Arc<Catalog>,
    audit: Arc<Mutex<AuditLog>>,
    /// Certificate serials of trusted SMI proxies (`device_auth.smi_proxies`): they fetch the
    /// files granted to the devices they speak for.
    smi_proxies: Vec<IdPattern>,
}

/// Why a request was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Not GET or HEAD.
    Method,
    /// The URL is not a valid grant (malformed, forged, expired, unsafe path).
    Grant(GrantError),
    /// A verified device certificate names another device than the grant.
    IdentityMismatch {
        /// Serial number in the certificate.
        certificate: String,
        /// Device of the grant.
        grant: String,
    },
    /// The granted file does not exist (or is not a regular file under the root).
    NotFound,
}

impl Refusal {
    fn status(&self) -> StatusCode {
        match self {
            Self::Method => StatusCode::METHOD_NOT_ALLOWED,
            Self::Grant(GrantError::Malformed | GrantError::TooLong) | Self::NotFound => {
                StatusCode::NOT_FOUND
            }
            Self::Grant(_) | Self::IdentityMismatch { .. } => StatusCode::FORBIDDEN,
        }
    }

    fn rule(&self) -> &'static str {
        match self {
            Self::Method => "file-method",
            Self::Grant(GrantError::Expired { .. }) => "file-grant-expired",
            Self::Grant(GrantError::BadSignature) => "file-grant-signature",
            Self::Grant(_) => "file-grant-malformed",
            Self::IdentityMismatch { .. } => "file-grant-identity",
            Self::NotFound => "file-not-found",
        }
    }

    fn reason(&self) -> String {
        match self {
            Self::Method => "only GET and HEAD are served".into(),
            Self::Grant(e) => e.to_string(),
            Self::IdentityMismatch { certificate, grant } => {
                format!("certificate of device {certificate} used for a grant of device {grant}")
            }
            Self::NotFound => "granted file does not exist".into(),
        }
    }
}

impl FileServer {
    /// A server for the files under `root`, checking grants with `key`; checksums come from the
    /// shared `catalog`.
    pub fn new(
        root: &Path,
        key: [u8; FILE_KEY_BYTES],
        catalog: Arc<Catalog>,
        audit: Arc<Mutex<AuditLog>>,
    ) -> Self {
        Self {
            root: root.to_owned(),
            key,
            catalog,
            audit,
            smi_proxies: Vec::new(),
        }
    }

    /// The same server letting a certificate whose serial matches `patterns` (a trusted SMI
    /// proxy, `device_auth.smi_proxies`) fetch any device's grant: the proxy downloads the
    /// files of the legacy clients it speaks for. Grants stay signed, per device and expiring.
    pub fn with_smi_proxies(self, patterns: Vec<IdPattern>) -> Self {
        Self {
            smi_proxies: patterns,
            ..self
        }
    }

    async fn answer(
        &self,
        req: &Request<Incoming>,
        conn: &ConnInfo,
    ) -> Result<(Grant, FileInfo, Response<FileBody>), (Option<Grant>, Refusal)> {
        if !matches!(*req.method(), Method::GET | Method::HEAD) {
            return Err((None, Refusal::Method));
        }
        let now = crate::clock::now_utc().timestamp();
        let grant = Grant::verify(req.uri().path(), &self.key, now)
            .map_err(|e| (None, Refusal::Grant(e)))?;
        if let Some(id) = client_identity(conn)
            && id.sn != grant.device
            && !self.smi_proxies.iter().any(|p| p.matches(&id.sn))
        {
            let refusal = Refusal::IdentityMismatch {
                certificate: id.sn,
                grant: grant.device.clone(),
            };
            return Err((Some(grant), refusal));
        }
        let Some((path, meta)) = self.resolve(&grant.path).await else {
            return Err((Some(grant), Refusal::NotFound));
        };
        let Ok(info) = self.catalog.info(&path, &meta).await else {
            return Err((Some(grant), Refusal::NotFound));
        };
        let Ok(resp) = respond(req, &path, &info).await else {
            return Err((Some(grant), Refusal::NotFound));
        };
        Ok((grant, info, resp))
    }

    /// The granted file, if it is a regular file that really lies under the root (no symlink
    /// escapes).
    async fn resolve(&self, relative: &str) -> Option<(PathBuf, std::fs::Metadata)> {
        let root = tokio::fs::canonicalize(&self.root).await.ok()?;
        let path = tokio::fs::canonicalize(root.join(relative)).await.ok()?;
        if !path.starts_with(&root) {
            return None;
        }
        let meta = tokio::fs::metadata(&path).await.ok()?;
        meta.is_file().then_some((path, meta))
    }

    async fn record(&self, entry: AuditEntry) {
        let mut log = self.audit.lock().await;
        if let Err(err) = log.append(entry, crate::clock::now_utc()) {
            tracing::error!(%err, "cannot write the audit log");
        }
    }
}

impl Handler for FileServer {
    type Body = FileBody;

    async fn handle(&self, req: Request<Incoming>, conn: &ConnInfo) -> Response<FileBody> {
        let method = req.method().clone();
        match self.answer(&req, conn).await {
            Ok((grant, info, resp)) => {
                let detail = serde_json::json!({
                    "peer": conn.peer.to_string(),
                    "path": grant.path,
                    "status": resp.status().as_u16(),
                    "range": header_text(req.headers(), header::RANGE),
                    "sha256": info.sha256,
                    "method": method.as_str(),
                });
                self.record(entry("allow", "file-grant", &grant.device, detail))
                    .await;
                resp
            }
            Err((grant, refusal)) => {
                let device = grant.as_ref().map_or("", |g| g.device.as_str());
                let detail = serde_json::json!({
                    "peer": conn.peer.to_string(),
                    "url_path": req.uri().path().chars().take(256).collect::<String>(),
                    "reason": refusal.reason(),
                });
                tracing::info!(peer = %conn.peer, reason = %refusal.reason(), "file request refused");
                self.record(entry("deny", refusal.rule(), device, detail))
                    .await;
                let mut resp = Response::new(FileBody::fixed(format!("{}\n", refusal.reason())));
                *resp.status_mut() = refusal.status();
                resp
            }
        }
    }
}

/// The response for a granted file: 200, 206, 304 or 416 with the file's checksums.
async fn respond(
    req: &Request<Incoming>,
    path: &Path,
    info: &FileInfo,
) -> std::io::Result<Response<FileBody>> {
    let etag = info.etag();
    let headers = req.headers();
    if header_text(headers, header::IF_NONE_MATCH).is_some_and(|v| etag_matches(v, &etag)) {
        return Ok(with_file_headers(
            Response::new(FileBody::empty()),
            StatusCode::NOT_MODIFIED,
            info,
        ));
    }
    // A Range is honoured only when If-Range (if any) still names this version.
    let if_range_ok = header_text(headers, header::IF_RANGE).is_none_or(|v| v == etag);
    let range_header = headers.get(header::RANGE).map(HeaderValue::as_bytes);
    let outcome = if if_range_ok {
        RangeOutcome::evaluate(range_header, info.len)
    } else {
        RangeOutcome::Full
    };
    let (status, start) = match outcome {
        RangeOutcome::Full => (StatusCode::OK, 0),
        RangeOutcome::Partial { start, .. } => (StatusCode::PARTIAL_CONTENT, start),
        RangeOutcome::Unsatisfiable => {
            let mut resp = with_file_headers(
                Response::new(FileBody::empty()),
                StatusCode::RANGE_NOT_SATISFIABLE,
                info,
            );
            insert(
                &mut resp,
                header::CONTENT_RANGE,
                &format!("bytes */{}", info.len),
            );
            return Ok(resp);
        }
    };
    let len = outcome.body_len(info.len);
    let body = if req.method() == Method::HEAD {
        FileBody::empty()
    } else {
        let file = tokio::fs::File::open(path).await?.into_std().await;
        FileBody::file(file, start, len)
    };
    let mut resp = with_file_headers(Response::new(body), status, info);
    insert(&mut resp, header::CONTENT_LENGTH, &len.to_string());
    if let RangeOutcome::Partial { start, end } = outcome {
        insert(
            &mut resp,
            header::CONTENT_RANGE,
            &format!("bytes {start}-{end}/{}", info.len),
        );
    }
    Ok(resp)
}

fn with_file_headers(
    mut resp: Response<FileBody>,
    status: StatusCode,
    info: &FileInfo,
) -> Response<FileBody> {
    *resp.status_mut() = status;
    insert(&mut resp, header::ETAG, &info.etag());
    insert(&mut resp, header::ACCEPT_RANGES, "bytes");
    insert(&mut resp, header::CONTENT_TYPE, "application/octet-stream");
    insert(&mut resp, header::CACHE_CONTROL, "no-store");
    insert(&mut resp, "x-checksum-md5", &info.md5);
    insert(&mut resp, "x-checksum-sha256", &info.sha256);
    resp
}

fn insert(resp: &mut Response<FileBody>, name: impl header::IntoHeaderName, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        resp.headers_mut().insert(name, v);
    }
}

fn header_text(headers: &HeaderMap, name: header::HeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn etag_matches(list: &str, etag: &str) -> bool {
    list.split(',')
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == "*" || t == etag)
}

/// The identity in the verified client certificate, if the client presented one.
fn client_identity(conn: &ConnInfo) -> Option<CertIdentity> {
    let leaf = conn.client_chain.first()?;
    CertInfo::from_der(leaf).ok()?.identity().cloned()
}

fn entry(verdict: &str, rule: &str, device: &str, detail: serde_json::Value) -> AuditEntry {
    AuditEntry {
        kind: EntryKind::Decision,
        area: "image_delivery".into(),
        verdict: verdict.into(),
        rule: rule.into(),
        mode: "enforce".into(),
        actor: device.into(),
        detail,
    }
}
