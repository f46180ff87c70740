//! Tests of the HTTPS client: URL parsing, and keep-alive connections against an in-process
//! TLS server on 127.0.0.1:0 (connection reuse, server-side close, session resumption on and off).

use super::*;

#[test]
fn parses_https_urls_with_port_path_and_ipv6() {
    let (s, p) = ServerUrl::parse("https://gw.example:8443/images/x.bin").unwrap();
    assert_eq!(
        (s.host.as_str(), s.port, p.as_str()),
        ("gw.example", 8443, "/images/x.bin")
    );
    let (s, p) = ServerUrl::parse("HTTPS://[::1]").unwrap();
    assert_eq!((s.host.as_str(), s.port, p.as_str()), ("::1", 443, "/"));
    assert_eq!(s.to_string(), "https://[::1]:443");
}

#[test]
fn rejects_plain_http_and_bad_ports() {
    assert!(ServerUrl::parse("http://gw/").is_err());
    assert!(ServerUrl::parse("https://gw:99999/").is_err());
    assert!(ServerUrl::parse("https://:80/").is_err());
}

/// An HTTPS server on 127.0.0.1:0 (lab server certificate) answering each request with its path;
/// `/close` answers with `Connection: close`. Counts the TCP connections it accepts.
struct TestServer {
    url: ServerUrl,
    roots: Vec<CertificateDer<'static>>,
    accepted: Arc<std::sync::atomic::AtomicUsize>,
    _dir: tempfile::TempDir,
}

async fn test_server() -> TestServer {
    use std::sync::atomic::{AtomicUsize, Ordering};

    let dir = tempfile::tempdir().unwrap();
    let pki = crate::pki::lab::init(dir.path(), false).unwrap();
    let chain = crate::pki::load_certs_pem(&pki.server_cert).unwrap();
    let key = crate::pki::load_key_pem(&pki.server_key).unwrap();
    let config = crate::edge::tls::no_client_auth_server(chain, key).unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&accepted);
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let service = hyper::service::service_fn(|req: Request<hyper::body::Incoming>| {
                    let path = req.uri().path().to_owned();
                    let mut resp = hyper::Response::new(Full::new(Bytes::from(path.clone())));
                    if path == "/close" {
                        resp.headers_mut().insert(
                            hyper::header::CONNECTION,
                            hyper::header::HeaderValue::from_static("close"),
                        );
                    }
                    async move { Ok::<_, Infallible>(resp) }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(tls), service)
                    .await;
            });
        }
    });
    TestServer {
        url: ServerUrl {
            host: "127.0.0.1".to_owned(),
            port,
        },
        roots: crate::pki::load_certs_pem(&pki.ca_cert).unwrap(),
        accepted,
        _dir: dir,
    }
}

fn accepted(server: &TestServer) -> usize {
    server.accepted.load(std::sync::atomic::Ordering::SeqCst)
}

#[tokio::test]
async fn connection_carries_many_exchanges_over_one_tls_session() {
    let server = test_server().await;
    let client = HttpClient::new(&server.roots, None).unwrap();
    let mut conn = client.connect(&server.url).await.unwrap();
    for path in ["/pnp/WORK-REQUEST", "/pnp/WORK-RESPONSE", "/pnp/HELLO"] {
        let (status, body) = conn
            .exchange(Method::POST, path, full("<pnp/>"))
            .await
            .unwrap();
        assert_eq!((status, &body[..]), (200, path.as_bytes()));
    }
    assert_eq!(accepted(&server), 1);
    assert!(!conn.is_closed());
    assert_eq!(conn.session().version, "TLSv1_3");
    assert!(!conn.session().resumed);
    let response = conn
        .send(Method::GET, "/streamed", full(Bytes::new()))
        .await
        .unwrap();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(&body[..], b"/streamed");
}

#[tokio::test]
async fn connection_reports_a_close_by_the_server() {
    let server = test_server().await;
    let client = HttpClient::new(&server.roots, None).unwrap();
    let mut conn = client.connect(&server.url).await.unwrap();
    let (status, _) = conn
        .exchange(Method::GET, "/close", full(Bytes::new()))
        .await
        .unwrap();
    assert_eq!(status, 200);
    for _ in 0..200 {
        if conn.is_closed() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(conn.is_closed());
    assert!(
        conn.exchange(Method::GET, "/", full(Bytes::new()))
            .await
            .is_err()
    );
    // The one-shot exchange opens a connection of its own each time.
    let (status, body) = client
        .exchange(&server.url, Method::GET, "/x", full(Bytes::new()))
        .await
        .unwrap();
    assert_eq!((status, &body[..]), (200, &b"/x"[..]));
    assert_eq!(accepted(&server), 2);
}

#[tokio::test]
async fn resumption_can_be_turned_off() {
    let server = test_server().await;
    let second_resumed = |resumption| {
        let server = &server;
        async move {
            let client = HttpClient::with_resumption(&server.roots, None, resumption).unwrap();
            for _ in 0..2 {
                let mut conn = client.connect(&server.url).await.unwrap();
                // Reading a response also reads the session tickets sent after the handshake.
                conn.exchange(Method::GET, "/", full(Bytes::new()))
                    .await
                    .unwrap();
                if conn.session().resumed {
                    return true;
                }
            }
            false
        }
    };
    assert!(second_resumed(SessionResumption::Enabled).await);
    assert!(!second_resumed(SessionResumption::Disabled).await);
}

#[tokio::test]
async fn connect_to_a_closed_port_fails_with_connect_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let client = HttpClient::new(&[], None).unwrap();
    let url = ServerUrl {
        host: "127.0.0.1".to_owned(),
        port,
    };
    assert!(matches!(
        client.connect(&url).await,
        Err(HttpError::Connect { .. })
    ));
}
