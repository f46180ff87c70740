//! The HTTPS client of the device emulators, the `show` commands and `ztpgate bench pnp`: one TLS
//! connection per [`Connection`], reused for any number of HTTP/1.1 exchanges (keep-alive, hyper
//! `client::conn::http1` over tokio-rustls), or one connection per request ([`HttpClient::exchange`]);
//! size-bounded response bodies or streamed ones ([`Connection::send`]), and the "slow drip" request
//! body that sends one byte per interval. TLS session resumption can be turned off, so every
//! connection costs a full handshake (for handshake benchmarks).
//!
//! Trust: the server is verified against the caller's CA (the gateway CA); the client may
//! present a certificate (the device's lab SUDI). Collected response bodies are bounded by
//! [`MAX_RESPONSE_BYTES`]; every exchange is bounded by [`EXCHANGE_TIMEOUT`]. Spec:
//! `../shared/protocols/pnp.md` §1.1–§1.3.

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use http_body_util::{BodyExt as _, Either, Full, Limited};
use hyper::body::{Body, Bytes, Frame, SizeHint};
use hyper::{Method, Request};
use hyper_util::rt::TokioIo;
use rustls::ClientConfig;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

/// The largest response body read (images are fetched through the same client).
pub const MAX_RESPONSE_BYTES: usize = 1 << 30;
/// Deadline of one exchange, connection included.
pub const EXCHANGE_TIMEOUT: Duration = Duration::from_secs(300);

/// Why an exchange failed.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// Not `https://host[:port][/path]`.
    #[error("not an https://host[:port] URL: {url}")]
    BadUrl {
        /// The URL.
        url: String,
    },
    /// TCP connection failed.
    #[error("connect {host}:{port}: {source}")]
    Connect {
        /// Host.
        host: String,
        /// Port.
        port: u16,
        /// Cause.
        source: std::io::Error,
    },
    /// TLS handshake failed.
    #[error("TLS handshake with {host}: {source}")]
    Tls {
        /// Host.
        host: String,
        /// Cause.
        source: std::io::Error,
    },
    /// The TLS client configuration was refused.
    #[error("TLS configuration: {0}")]
    Config(#[from] rustls::Error),
    /// HTTP protocol failure.
    #[error("HTTP: {0}")]
    Http(#[from] hyper::Error),
    /// The request could not be built.
    #[error("HTTP request: {0}")]
    Request(#[from] hyper::http::Error),
    /// The response body is larger than [`MAX_RESPONSE_BYTES`] or broke off.
    #[error("response body: {reason}")]
    Body {
        /// Cause.
        reason: String,
    },
    /// The exchange took longer than [`EXCHANGE_TIMEOUT`].
    #[error("timed out")]
    Timeout,
}

/// A server endpoint: host and port (HTTPS only).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerUrl {
    /// Host name or IP address (IPv6 without brackets).
    pub host: String,
    /// Port (443 by default).
    pub port: u16,
}

impl ServerUrl {
    /// Parses `https://host[:port][/path]` into the endpoint and the path (`/` when absent).
    pub fn parse(url: &str) -> Result<(Self, String), HttpError> {
        let bad = || HttpError::BadUrl {
            url: url.to_owned(),
        };
        let rest = url
            .get(..8)
            .filter(|s| s.eq_ignore_ascii_case("https://"))
            .and_then(|_| url.get(8..))
            .ok_or_else(bad)?;
        let (authority, path) = rest.find('/').map_or((rest, "/"), |i| rest.split_at(i));
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let (host, after) = v6.split_once(']').ok_or_else(bad)?;
            (host, after.strip_prefix(':'))
        } else {
            match authority.rsplit_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (authority, None),
            }
        };
        let port = port.map_or(Ok(443), |p| p.parse::<u16>().map_err(|_| bad()))?;
        if host.is_empty() {
            return Err(bad());
        }
        let server = Self {
            host: host.to_owned(),
            port,
        };
        Ok((server, path.to_owned()))
    }
}

impl std::fmt::Display for ServerUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.host.contains(':') {
            write!(f, "https://[{}]:{}", self.host, self.port)
        } else {
            write!(f, "https://{}:{}", self.host, self.port)
        }
    }
}

/// A request body that sends one byte per `interval` (the slow-drip misbehaviour).
#[derive(Debug)]
pub struct Drip {
    data: Bytes,
    interval: Duration,
    sleep: Pin<Box<tokio::time::Sleep>>,
}

impl Drip {
    /// Drips `data`, the first byte after one interval.
    pub fn new(data: Bytes, interval: Duration) -> Self {
        Self {
            data,
            interval,
            sleep: Box::pin(tokio::time::sleep(interval)),
        }
    }
}

impl Body for Drip {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let this = self.get_mut();
        if this.data.is_empty() {
            return Poll::Ready(None);
        }
        ready!(this.sleep.as_mut().poll(cx));
        let next = this.sleep.deadline() + this.interval;
        this.sleep.as_mut().reset(next);
        Poll::Ready(Some(Ok(Frame::data(this.data.split_to(1)))))
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.data.len() as u64)
    }
}

/// A request body: all at once, or dripped.
pub type RequestBody = Either<Full<Bytes>, Drip>;

/// The body of a normal request.
pub fn full(data: impl Into<Bytes>) -> RequestBody {
    Either::Left(Full::new(data.into()))
}

/// Whether a client offers to resume earlier TLS sessions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SessionResumption {
    /// Resume (rustls' default in-memory session cache, tickets and session ids).
    #[default]
    Enabled,
    /// Never resume: every connection performs a full handshake.
    Disabled,
}

/// The HTTPS client of one device.
#[derive(Clone)]
pub struct HttpClient {
    connector: TlsConnector,
}

impl std::fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HttpClient")
    }
}

impl HttpClient {
    /// A client trusting `roots`, presenting `identity` (chain and key) when given.
    pub fn new(
        roots: &[CertificateDer<'static>],
        identity: Option<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)>,
    ) -> Result<Self, HttpError> {
        Self::with_resumption(roots, identity, SessionResumption::Enabled)
    }

    /// Like [`HttpClient::new`], with TLS session resumption on or off.
    pub fn with_resumption(
        roots: &[CertificateDer<'static>],
        identity: Option<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)>,
        resumption: SessionResumption,
    ) -> Result<Self, HttpError> {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut store = rustls::RootCertStore::empty();
        for root in roots {
            store.add(root.clone())?;
        }
        let builder = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_root_certificates(store);
        let mut config = match identity {
            Some((chain, key)) => builder.with_client_auth_cert(chain, key)?,
            None => builder.with_no_client_auth(),
        };
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        if resumption == SessionResumption::Disabled {
            config.resumption = rustls::client::Resumption::disabled();
        }
        Ok(Self {
            connector: TlsConnector::from(Arc::new(config)),
        })
    }

    /// One exchange on a connection of its own: returns the status and the body.
    pub async fn exchange(
        &self,
        server: &ServerUrl,
        method: Method,
        path: &str,
        body: RequestBody,
    ) -> Result<(u16, Bytes), HttpError> {
        let once = async {
            let mut conn = self.open(server).await?;
            conn.exchange_inner(method, path, body).await
        };
        tokio::time::timeout(EXCHANGE_TIMEOUT, once)
            .await
            .map_err(|_| HttpError::Timeout)?
    }

    /// Opens a keep-alive connection (TCP, TLS handshake, HTTP/1.1), within [`EXCHANGE_TIMEOUT`].
    pub async fn connect(&self, server: &ServerUrl) -> Result<Connection, HttpError> {
        tokio::time::timeout(EXCHANGE_TIMEOUT, self.open(server))
            .await
            .map_err(|_| HttpError::Timeout)?
    }

    async fn open(&self, server: &ServerUrl) -> Result<Connection, HttpError> {
        let host = server.host.clone();
        let name = ServerName::try_from(host.clone()).map_err(|_| HttpError::BadUrl {
            url: server.to_string(),
        })?;
        let tcp = TcpStream::connect((host.as_str(), server.port))
            .await
            .map_err(|source| HttpError::Connect {
                host: host.clone(),
                port: server.port,
                source,
            })?;
        // Request/response exchanges are small: send them without waiting for Nagle.
        tcp.set_nodelay(true).map_err(|source| HttpError::Connect {
            host: host.clone(),
            port: server.port,
            source,
        })?;
        let tls = self
            .connector
            .connect(name, tcp)
            .await
            .map_err(|source| HttpError::Tls {
                host: host.clone(),
                source,
            })?;
        let session = TlsSession::of(tls.get_ref().1);
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls)).await?;
        let driver = tokio::spawn(async move {
            // The connection ends when the server closes it or the `Connection` is dropped;
            // the next `send` reports why.
            let _ = conn.await;
        });
        Ok(Connection {
            sender,
            driver,
            host,
            session,
        })
    }
}

/// What the TLS handshake of a connection negotiated.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct TlsSession {
    /// Protocol version, e.g. `TLSv1_3`.
    pub version: String,
    /// Cipher suite, e.g. `TLS13_AES_256_GCM_SHA384`.
    pub cipher_suite: String,
    /// Whether an earlier session was resumed (no full handshake).
    pub resumed: bool,
}

impl TlsSession {
    fn of(conn: &rustls::ClientConnection) -> Self {
        let version = conn
            .protocol_version()
            .map_or_else(|| "?".to_owned(), |v| format!("{v:?}"));
        let cipher_suite = conn
            .negotiated_cipher_suite()
            .map_or_else(|| "?".to_owned(), |s| format!("{:?}", s.suite()));
        let resumed = conn.handshake_kind() == Some(rustls::HandshakeKind::Resumed);
        Self {
            version,
            cipher_suite,
            resumed,
        }
    }
}

/// One keep-alive HTTPS connection: any number of exchanges, one at a time. Dropping it closes
/// the connection.
pub struct Connection {
    sender: hyper::client::conn::http1::SendRequest<RequestBody>,
    driver: tokio::task::JoinHandle<()>,
    host: String,
    session: TlsSession,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("host", &self.host)
            .field("session", &self.session)
            .field("closed", &self.is_closed())
            .finish()
    }
}

impl Connection {
    /// Whether the server (or an error) closed the connection: the next exchange would fail.
    pub fn is_closed(&self) -> bool {
        self.sender.is_closed()
    }

    /// What the TLS handshake negotiated.
    pub fn session(&self) -> &TlsSession {
        &self.session
    }

    /// One exchange on this connection: returns the status and the body (at most
    /// [`MAX_RESPONSE_BYTES`]), within [`EXCHANGE_TIMEOUT`].
    pub async fn exchange(
        &mut self,
        method: Method,
        path: &str,
        body: RequestBody,
    ) -> Result<(u16, Bytes), HttpError> {
        tokio::time::timeout(EXCHANGE_TIMEOUT, self.exchange_inner(method, path, body))
            .await
            .map_err(|_| HttpError::Timeout)?
    }

    /// Sends a request and returns the response with its body unread, for streaming; the head
    /// must arrive within [`EXCHANGE_TIMEOUT`]. Read the body to the end before the next request.
    pub async fn send(
        &mut self,
        method: Method,
        path: &str,
        body: RequestBody,
    ) -> Result<hyper::Response<hyper::body::Incoming>, HttpError> {
        tokio::time::timeout(EXCHANGE_TIMEOUT, self.send_inner(method, path, body))
            .await
            .map_err(|_| HttpError::Timeout)?
    }

    async fn exchange_inner(
        &mut self,
        method: Method,
        path: &str,
        body: RequestBody,
    ) -> Result<(u16, Bytes), HttpError> {
        let response = self.send_inner(method, path, body).await?;
        let status = response.status().as_u16();
        let bytes = Limited::new(response.into_body(), MAX_RESPONSE_BYTES)
            .collect()
            .await
            .map_err(|e| HttpError::Body {
                reason: e.to_string(),
            })?
            .to_bytes();
        Ok((status, bytes))
    }

    async fn send_inner(
        &mut self,
        method: Method,
        path: &str,
        body: RequestBody,
    ) -> Result<hyper::Response<hyper::body::Incoming>, HttpError> {
        // Waits until the previous response was read and the connection is idle again.
        self.sender.ready().await?;
        let request = Request::builder()
            .method(method)
            .uri(path)
            .header(hyper::header::HOST, self.host.as_str())
            .header(hyper::header::CONTENT_TYPE, "text/xml; charset=utf-8")
            .body(body)?;
        Ok(self.sender.send_request(request).await?)
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.driver.abort();
    }
}

#[cfg(test)]
mod tests;
