//! The PnP agent emulator end to end against a tiny in-test HTTPS PnP server on 127.0.0.1:0
//! (hyper + tokio-rustls, lab certificates, client certificate required): HELLO, device-info,
//! `show platform sudi certificate sign nonce …` (verified against the lab device root), then
//! backoff terminate. Proves the loop, TLS with the gateway CA and the client certificate.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt as _, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::Mutex;
use tokio_rustls::TlsAcceptor;

use md5::{Digest as _, Md5};
use ztpgate::edge::client::ServerUrl;
use ztpgate::edge::tls::mutual_tls_server;
use ztpgate::pki::sudi::{ChainOptions, attest};
use ztpgate::pki::{lab, load_certs_pem, load_key_pem};
use ztpgate::proto::pnp::common::Source;
use ztpgate::proto::pnp::{AfterOperation, FileLocation, ImageInstall};
use ztpgate::proto::pnp::{
    AgentMessage, Backoff, Bye, CliExec, DeviceInfoRequest, DeviceInfoType, Header,
    Request as PnpRequest, ResponseBody, ServiceRequest, parse_agent_message, parse_work_request,
};
use ztpgate::sim::fleet::{FleetOptions, run_fleet, totals};
use ztpgate::sim::pnp_agent::{AgentOptions, FinalState, Misbehaviour};

const NONCE: u64 = 987_654_321;

const IMAGE: &str = "cat9k_iosxe.17.09.04a.SPA.bin";

#[derive(Default)]
struct Log {
    /// (path, body) of every request.
    requests: Vec<(String, String)>,
    work_requests: u32,
    client_cert_seen: bool,
    /// Requests to hand out in order; then backoff terminate.
    script: Vec<ServiceRequest>,
}

impl Log {
    fn with(script: Vec<ServiceRequest>) -> Arc<Mutex<Self>> {
        Arc::new(Mutex::new(Self {
            script,
            ..Self::default()
        }))
    }

    fn next(&self) -> ServiceRequest {
        let n = self.work_requests as usize;
        self.script
            .get(n - 1)
            .cloned()
            .unwrap_or_else(|| ServiceRequest::Backoff(Backoff::terminate("done")))
    }

    fn count(&self, path: &str) -> usize {
        self.requests.iter().filter(|(p, _)| p == path).count()
    }
}

fn image_bytes() -> Vec<u8> {
    vec![0x5a; 64 * 1024]
}

fn basic_script() -> Vec<ServiceRequest> {
    vec![
        ServiceRequest::DeviceInfo(DeviceInfoRequest {
            kind: DeviceInfoType::All,
        }),
        ServiceRequest::CliExec(CliExec::new(&format!(
            "show platform sudi certificate sign nonce {NONCE}"
        ))),
    ]
}

fn status(code: u16) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::new()));
    *r.status_mut() = hyper::StatusCode::from_u16(code).unwrap();
    r
}

async fn answer(log: Arc<Mutex<Log>>, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let path = req.uri().path().to_owned();
    let body = req.into_body().collect().await.unwrap().to_bytes();
    let text = String::from_utf8_lossy(&body).into_owned();
    let mut log = log.lock().await;
    log.requests.push((path.clone(), text));
    let reply = match path.as_str() {
        "/pnp/WORK-REQUEST" => {
            log.work_requests += 1;
            let Ok(wr) = parse_work_request(&body) else {
                return status(400);
            };
            let request = PnpRequest::new(wr.correlator.clone(), log.next());
            request.render(&Header::reply_to(&wr.envelope))
        }
        p if p == format!("/images/{IMAGE}") => {
            return Response::new(Full::new(image_bytes().into()));
        }
        "/pnp/WORK-RESPONSE" => match parse_agent_message(&body).unwrap() {
            AgentMessage::Response(r) => {
                Bye::new(r.correlator.unwrap()).render(&Header::reply_to(&r.envelope))
            }
            other => panic!("unexpected {other:?}"),
        },
        _ => String::new(),
    };
    Response::new(Full::new(Bytes::from(reply)))
}

async fn serve(pki: &lab::LabPki, log: Arc<Mutex<Log>>) -> u16 {
    let chain = load_certs_pem(&pki.server_cert).unwrap();
    let key = load_key_pem(&pki.server_key).unwrap();
    let roots = load_certs_pem(&pki.device_root_cert).unwrap();
    let acceptor = TlsAcceptor::from(mutual_tls_server(chain, key, &roots).unwrap());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let (tcp, _) = listener.accept().await.unwrap();
            let (acceptor, log) = (acceptor.clone(), Arc::clone(&log));
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                if tls
                    .get_ref()
                    .1
                    .peer_certificates()
                    .is_some_and(|c| !c.is_empty())
                {
                    log.lock().await.client_cert_seen = true;
                }
                let service = service_fn(move |req| {
                    let log = Arc::clone(&log);
                    async move { Ok::<_, std::convert::Infallible>(answer(log, req).await) }
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(tls), service)
                    .await;
            });
        }
    });
    port
}

fn options(pki: &lab::LabPki, port: u16, misbehave: Option<Misbehaviour>) -> FleetOptions {
    FleetOptions {
        count: 1,
        pid: "C9300-24P".into(),
        serial_prefix: "FOC".into(),
        ca: pki.ca_cert.clone(),
        pki: Some(pki.dir.clone()),
        cert_key: None,
        key_kind: ztpgate::pki::KeyKind::Rsa2048,
        agent: AgentOptions {
            server: ServerUrl::parse(&format!("https://127.0.0.1:{port}"))
                .unwrap()
                .0,
            max_rounds: 10,
            time_scale: 0.0,
            reload_time: Duration::from_secs(60),
            misbehave,
            drip_interval: Duration::from_millis(1),
        },
    }
}

#[tokio::test]
async fn agent_runs_device_info_sudi_and_terminate_over_mutual_tls() {
    let dir = tempfile::tempdir().unwrap();
    let pki = lab::init(dir.path(), false).unwrap();
    let log = Log::with(basic_script());
    let port = serve(&pki, Arc::clone(&log)).await;
    let reports = run_fleet(&options(&pki, port, None)).await.unwrap();
    let report = &reports[0];
    assert_eq!(report.state, FinalState::Terminated, "{}", report.line());
    assert_eq!(report.services, ["device-info", "cli-exec", "backoff"]);
    assert_eq!(report.rounds, 3);
    assert!(totals(&reports).1);

    let log = log.lock().await;
    assert!(log.client_cert_seen);
    let paths: Vec<&str> = log.requests.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(paths[0], "/pnp/HELLO");
    assert_eq!(paths[1..].len(), 6);
    let sudi = log
        .requests
        .iter()
        .find(|(_, b)| b.contains("BEGIN CERTIFICATE"))
        .unwrap();
    let AgentMessage::Response(r) = parse_agent_message(sudi.1.as_bytes()).unwrap() else {
        panic!()
    };
    let ResponseBody::CliExec(exec) = r.body else {
        panic!()
    };
    let anchors = load_certs_pem(&pki.device_root_cert).unwrap();
    let at = ztpgate::clock::now_system();
    let attested = attest(
        &exec.output(),
        Some(NONCE),
        &anchors,
        at,
        &ChainOptions::default(),
    );
    assert_eq!(attested.unwrap().identity.sn, "FOC0001");
}

#[tokio::test]
async fn misbehaving_agent_claims_another_udi() {
    let dir = tempfile::tempdir().unwrap();
    let pki = lab::init(dir.path(), false).unwrap();
    let log = Log::with(basic_script());
    let port = serve(&pki, Arc::clone(&log)).await;
    let opts = options(&pki, port, Some(Misbehaviour::WrongUdi));
    let reports = run_fleet(&opts).await.unwrap();
    assert_eq!(reports[0].state, FinalState::Terminated);
    let log = log.lock().await;
    let (_, first) = log
        .requests
        .iter()
        .find(|(p, _)| p == "/pnp/WORK-REQUEST")
        .unwrap();
    assert_eq!(
        parse_work_request(first.as_bytes())
            .unwrap()
            .envelope
            .udi
            .sn,
        "FOC0001X"
    );
}

#[tokio::test]
async fn image_install_fetches_over_https_reloads_and_reports_new_version() {
    let dir = tempfile::tempdir().unwrap();
    let pki = lab::init(dir.path(), false).unwrap();
    let install = ServiceRequest::ImageInstall(ImageInstall {
        source: Source {
            file: FileLocation::Uri(format!("/images/{IMAGE}")),
            checksum: Some(hex::encode(Md5::digest(image_bytes()))),
        },
        destination: None,
        after: AfterOperation::DeviceDefault,
    });
    let info = ServiceRequest::DeviceInfo(DeviceInfoRequest {
        kind: DeviceInfoType::Image,
    });
    let log = Log::with(vec![install, info]);
    let port = serve(&pki, Arc::clone(&log)).await;
    let reports = run_fleet(&options(&pki, port, None)).await.unwrap();
    let report = &reports[0];
    assert_eq!(report.state, FinalState::Terminated, "{}", report.line());
    assert_eq!(report.services, ["image-install", "device-info", "backoff"]);
    assert_eq!((report.reloads, report.version.as_str()), (1, "17.09.04a"));
    let log = log.lock().await;
    assert_eq!(log.count("/pnp/HELLO"), 2);
    assert_eq!(log.count(&format!("/images/{IMAGE}")), 1);
    let info = log
        .requests
        .iter()
        .find(|(_, b)| b.contains("imageInfo"))
        .unwrap();
    assert!(info.1.contains("<versionString>17.09.04a</versionString>"));
    let after_reload = log
        .requests
        .iter()
        .filter(|(p, _)| p == "/pnp/WORK-REQUEST")
        .nth(1);
    assert!(after_reload.unwrap().1.contains("PnP Service Info 2408"));
}

#[tokio::test]
async fn replayed_correlator_and_oversized_body_reach_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let pki = lab::init(dir.path(), false).unwrap();
    let log = Log::with(basic_script());
    let port = serve(&pki, Arc::clone(&log)).await;
    run_fleet(&options(&pki, port, Some(Misbehaviour::ReplayCorrelator)))
        .await
        .unwrap();
    let correlators: Vec<String> = log
        .lock()
        .await
        .requests
        .iter()
        .filter(|(p, _)| p == "/pnp/WORK-REQUEST")
        .map(|(_, b)| {
            parse_work_request(b.as_bytes())
                .unwrap()
                .correlator
                .raw()
                .to_owned()
        })
        .collect();
    assert_eq!(correlators.len(), 3);
    assert!(correlators.iter().all(|c| *c == correlators[0]));

    let log = Log::with(basic_script());
    let port = serve(&pki, Arc::clone(&log)).await;
    let reports = run_fleet(&options(&pki, port, Some(Misbehaviour::Oversized)))
        .await
        .unwrap();
    assert!(matches!(reports[0].state, FinalState::Error(_)));
    assert!(!totals(&reports).1);
    let log = log.lock().await;
    let (_, body) = log
        .requests
        .iter()
        .find(|(p, _)| p == "/pnp/WORK-REQUEST")
        .unwrap();
    assert!(body.len() >= 70 * 1024);
}
