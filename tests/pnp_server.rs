//! The PnP server over real TLS, driven by the real `curl` with lab SUDI-style client
//! certificates: HELLO, a realistic WORK-REQUEST answered with a well-formed service request that
//! echoes the correlator byte for byte, the exchange moving on after the device's answer, and the
//! refusals — no certificate, a UDI that is not the certificate's — each audited.

#![allow(clippy::unwrap_used)]

mod common;

use common::{Gateway, have_curl};
use ztpgate::proto::pnp::{ServerMessage, ServiceRequest, parse_server_message};
use ztpgate::store::SqliteStore;
use ztpgate::store::pnp::PnpStore;

const PID: &str = "C9300-24T";
const SN: &str = "FOC2233X0CD";
const CORRELATOR: &str = "CiscoPnP-1.0-R33.200930-I1-P592-T43891-2";

fn work_request(sn: &str, correlator: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<pnp xmlns="urn:cisco:pnp" version="1.0" udi="PID:{PID},VID:V02,SN:{sn}">
  <info xmlns="urn:cisco:pnp:work-info" correlator="{correlator}">
    <deviceId>
      <udi>PID:{PID},VID:V02,SN:{sn}</udi>
      <hostname>Switch</hostname>
      <authRequired>false</authRequired>
      <viaProxy>false</viaProxy>
      <securityAdvise>false</securityAdvise>
    </deviceId>
  </info>
</pnp>"#
    )
}

fn post(
    gw: &Gateway,
    port: &str,
    path: &str,
    body: &str,
    cert: Option<&(String, String)>,
) -> (u16, String) {
    let file = gw.dir.path().join("body.xml");
    std::fs::write(&file, body).unwrap();
    let data = format!("@{}", file.display());
    let mut args = vec![
        "-H",
        "Content-Type: text/xml",
        "--data-binary",
        data.as_str(),
    ];
    if let Some((c, k)) = cert {
        args.extend(["--cert", c.as_str(), "--key", k.as_str()]);
    }
    gw.curl(port, path, &args)
}

#[test]
fn answers_a_real_work_request_and_moves_on_after_the_response() {
    if !have_curl() {
        return;
    }
    let mut gw = Gateway::start("");
    let port = gw.port("PnP server");
    assert_eq!(gw.curl(&port, "/pnp/HELLO", &[]).0, 200);
    let cert = gw.device_cert(PID, SN);

    let (code, body) = post(
        &gw,
        &port,
        "/pnp/WORK-REQUEST",
        &work_request(SN, CORRELATOR),
        Some(&cert),
    );
    assert_eq!(code, 200, "{body}");
    assert!(
        body.contains(&format!("correlator=\"{CORRELATOR}\"")),
        "{body}"
    );
    let (envelope, msg) = parse_server_message(body.as_bytes()).unwrap();
    assert_eq!(envelope.udi.sn, SN);
    let ServerMessage::Request(req) = msg else {
        panic!("{body}")
    };
    assert!(matches!(req.body, ServiceRequest::DeviceInfo(_)), "{body}");

    let response = format!(
        r#"<pnp xmlns="urn:cisco:pnp" version="1.0" udi="PID:{PID},VID:V02,SN:{SN}"><response xmlns="urn:cisco:pnp:device-info" correlator="{CORRELATOR}" success="1"><imageInfo><versionString>17.9.4a</versionString></imageInfo></response></pnp>"#
    );
    let (code, body) = post(&gw, &port, "/pnp/WORK-RESPONSE", &response, Some(&cert));
    assert_eq!(code, 200);
    let (_, msg) = parse_server_message(body.as_bytes()).unwrap();
    assert!(matches!(msg, ServerMessage::Bye(_)), "{body}");

    // Next step of the lab plan: prove the SUDI with a fresh nonce.
    let (code, body) = post(
        &gw,
        &port,
        "/pnp/WORK-REQUEST",
        &work_request(SN, "CiscoPnP-1.0-2"),
        Some(&cert),
    );
    assert_eq!(code, 200);
    let (_, msg) = parse_server_message(body.as_bytes()).unwrap();
    let ServerMessage::Request(req) = msg else {
        panic!("{body}")
    };
    let ServiceRequest::CliExec(cli) = req.body else {
        panic!("{body}")
    };
    assert!(
        cli.cmd
            .starts_with("show platform sudi certificate sign nonce "),
        "{}",
        cli.cmd
    );

    let audit = gw.audit();
    assert!(
        audit
            .iter()
            .any(|(v, rule, actor)| v == "DEVICE_INFO" && rule == "pnp-workflow" && actor == SN),
        "{audit:?}"
    );
    assert!(gw.stop().success());
}

#[test]
fn refuses_missing_certificates_and_foreign_udis_and_audits_them() {
    if !have_curl() {
        return;
    }
    let mut gw = Gateway::start("");
    let port = gw.port("PnP server");
    let cert = gw.device_cert(PID, SN);

    // No certificate: the lab policy requires one.
    let (code, _) = post(
        &gw,
        &port,
        "/pnp/WORK-REQUEST",
        &work_request(SN, CORRELATOR),
        None,
    );
    assert_eq!(code, 403);
    // This device's certificate, another device's UDI.
    let (code, _) = post(
        &gw,
        &port,
        "/pnp/WORK-REQUEST",
        &work_request("FOC9999X9ZZ", CORRELATOR),
        Some(&cert),
    );
    assert_eq!(code, 403);
    // Garbage never reaches the workflow.
    let (code, _) = post(
        &gw,
        &port,
        "/pnp/WORK-REQUEST",
        "<pnp><!DOCTYPE x [<!ENTITY a 'b'>]>",
        Some(&cert),
    );
    assert_eq!(code, 400);
    // A SUDI-style certificate from a CA the policy does not trust: the handshake fails, and the
    // refusal is audited all the same.
    let other = gw.dir.path().join("other-pki");
    for args in [
        vec!["certs", "init", "--dir", other.to_str().unwrap()],
        vec![
            "certs",
            "device",
            "--dir",
            other.to_str().unwrap(),
            "--pid",
            PID,
            "--sn",
            "FOREIGN1",
            "--key",
            "p256",
        ],
    ] {
        assert!(
            std::process::Command::new(common::BIN)
                .args(&args)
                .status()
                .unwrap()
                .success()
        );
    }
    let foreign = (
        other
            .join(format!("devices/{PID}_FOREIGN1.chain.pem"))
            .display()
            .to_string(),
        other
            .join(format!("devices/{PID}_FOREIGN1.key"))
            .display()
            .to_string(),
    );
    let (code, _) = post(
        &gw,
        &port,
        "/pnp/WORK-REQUEST",
        &work_request("FOREIGN1", CORRELATOR),
        Some(&foreign),
    );
    assert_eq!(code, 0, "TLS handshake refused");
    let big = format!("<pnp>{}</pnp>", "x".repeat(70_000));
    let (code, _) = post(&gw, &port, "/pnp/WORK-REQUEST", &big, Some(&cert));
    assert_eq!(code, 413);

    let audit = gw.audit();
    for rule in [
        "certificate-required",
        "udi-mismatch",
        "pnp-malformed",
        "pnp-body-too-large",
    ] {
        assert!(
            audit.iter().any(|(v, r, _)| v == "deny" && r == rule),
            "{rule} missing: {audit:?}"
        );
    }
    // None of them reached the workflow: no device was recorded.
    let store = SqliteStore::open(&gw.state().join("ztpgate.db")).unwrap();
    assert!(store.pnp_devices().unwrap().is_empty());
    drop(store);
    assert!(gw.stop().success());
}

#[test]
fn holds_unknown_devices_in_manual_mode_until_an_operator_approves() {
    if !have_curl() {
        return;
    }
    let mut gw = Gateway::start_with(
        |lab| lab.replace("mode = \"auto\"", "mode = \"manual\""),
        "",
    );
    let port = gw.port("PnP server");
    let cert = gw.device_cert(PID, SN);

    let (code, body) = post(
        &gw,
        &port,
        "/pnp/WORK-REQUEST",
        &work_request(SN, "c-1"),
        Some(&cert),
    );
    assert_eq!(code, 200);
    let (_, msg) = parse_server_message(body.as_bytes()).unwrap();
    let ServerMessage::Request(req) = msg else {
        panic!("{body}")
    };
    assert!(
        matches!(req.body, ServiceRequest::Backoff(_)),
        "parked: {body}"
    );

    let (code, list) = gw.admin("GET", "/pnp/devices");
    assert_eq!(code, 200);
    assert_eq!(list["devices"][0]["serial"], SN);
    assert_eq!(list["devices"][0]["state"], "UNCLAIMED");
    // Retry makes no sense for a parked device; approval does.
    assert_eq!(gw.admin("POST", &format!("/pnp/devices/{SN}/retry")).0, 409);
    assert_eq!(gw.admin("POST", "/pnp/devices/NOSUCH/approve").0, 404);
    let (code, approved) = gw.admin("POST", &format!("/pnp/devices/{SN}/approve"));
    assert_eq!(code, 200, "{approved}");
    assert_eq!(approved["device"]["approved"], true);

    let (_, body) = post(
        &gw,
        &port,
        "/pnp/WORK-REQUEST",
        &work_request(SN, "c-2"),
        Some(&cert),
    );
    let (_, msg) = parse_server_message(body.as_bytes()).unwrap();
    let ServerMessage::Request(req) = msg else {
        panic!("{body}")
    };
    assert!(
        matches!(req.body, ServiceRequest::DeviceInfo(_)),
        "released: {body}"
    );

    let (code, detail) = gw.admin("GET", &format!("/pnp/devices/{SN}"));
    assert_eq!(code, 200);
    let notes: Vec<String> = detail["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["note"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        notes.iter().any(|n| n.contains("approved by an operator")),
        "{notes:?}"
    );
    let audit = gw.audit();
    assert!(
        audit
            .iter()
            .any(|(v, _, actor)| v == "pnp-approve" && actor.contains("ztpgate-admin")),
        "{audit:?}"
    );
    assert!(
        audit
            .iter()
            .any(|(v, r, _)| v == "park" && r == "provision"),
        "{audit:?}"
    );
    assert!(gw.stop().success());
}

#[test]
fn plain_http_bootstrap_only_redirects_to_https() {
    if !have_curl() {
        return;
    }
    let mut gw = Gateway::start("bootstrap_listen = [\"127.0.0.1:0\"]\n");
    let https_port = gw.port("PnP server");
    let line = gw.wait_for("PnP bootstrap listening on http://");
    let addr = line
        .split("http://")
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    let http = |path: &str, extra: &[&str]| {
        let out = std::process::Command::new("curl")
            .args(["-sS", "--max-time", "10", "-w", "\n%{http_code}"])
            .args(extra)
            .arg(format!("http://{addr}{path}"))
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let (body, code) = text.rsplit_once('\n').unwrap();
        (code.parse::<u16>().unwrap(), body.to_owned())
    };
    assert_eq!(http("/pnp/HELLO", &[]).0, 200);
    let wr = work_request(SN, CORRELATOR);
    let (code, body) = http("/pnp/WORK-REQUEST", &["--data-binary", &wr]);
    assert_eq!(code, 200);
    let (_, msg) = parse_server_message(body.as_bytes()).unwrap();
    let ServerMessage::Request(req) = msg else {
        panic!("{body}")
    };
    let ServiceRequest::Redirection(r) = req.body else {
        panic!("{body}")
    };
    assert_eq!(r.primary.protocol, "https");
    assert_eq!(r.primary.port, Some(https_port.parse().unwrap()));
    assert!(body.contains(&format!("correlator=\"{CORRELATOR}\"")));
    // Nothing else is served in clear text.
    assert_eq!(http("/files/x", &[]).0, 404);
    let audit = gw.audit();
    assert!(
        audit
            .iter()
            .any(|(v, r, actor)| v == "redirect" && r == "pnp-bootstrap" && actor == SN)
    );
    assert!(gw.stop().success());
}
