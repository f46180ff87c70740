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

use ztpgate::edge::tls::mutual_tls_server;
use ztpgate::pki::sudi::{ChainOptions, attest};
use ztpgate::pki::{lab, load_certs_pem, load_key_pem};
use ztpgate::proto::pnp::{
    AgentMessage, Backoff, Bye, CliExec, DeviceInfoRequest, DeviceInfoType, Header,
    Request as PnpRequest, ResponseBody, ServiceRequest, parse_agent_message, parse_work_request,
};
use ztpgate::sim::fleet::{FleetOptions, run_fleet, totals};
use ztpgate::sim::http::ServerUrl;
use ztpgate::sim::pnp_agent::{AgentOptions, FinalState, Misbehaviour};

const NONCE: u64 = 987_654_321;

#[derive(Default)]
struct Log {
    /// (path, body) of every request.
    requests: Vec<(String, String)>,
    work_requests: u32,
    client_cert_seen: bool,
}

fn script(n: u32) -> ServiceRequest {
    match n {
        1 => ServiceRequest::DeviceInfo(DeviceInfoRequest {
            kind: DeviceInfoType::All,
        }),
        2 => ServiceRequest::CliExec(CliExec::new(&format!(
            "show platform sudi certificate sign nonce {NONCE}"
        ))),
        _ => ServiceRequest::Backoff(Backoff::terminate("done")),
    }
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
            let wr = parse_work_request(&body).unwrap();
            let request = PnpRequest::new(wr.correlator.clone(), script(log.work_requests));
            request.render(&Header::reply_to(&wr.envelope))
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
    let log = Arc::new(Mutex::new(Log::default()));
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
    let log = Arc::new(Mutex::new(Log::default()));
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
