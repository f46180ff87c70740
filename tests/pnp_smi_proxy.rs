//! The PnP server facing an SMI proxy, over real TLS with `curl` and lab certificates: one client
//! certificate (the proxy's, subject serialNumber `PID:ZTPGATE-SMI-PROXY SN:PROXY1`) claiming the
//! UDIs of the legacy clients it speaks for. Listed in `device_auth.smi_proxies`, each claimed
//! device is provisioned as itself and its history names the proxy; not listed, the same
//! certificate is refused as a UDI mismatch; and a policy demanding a SUDI proof fails a proxied
//! device's plan at once instead of waiting for a proof it cannot give.

#![allow(clippy::unwrap_used)]

mod common;

use common::{Gateway, have_curl};
use ztpgate::proto::pnp::{ServerMessage, ServiceRequest, parse_server_message};

const PROXY_PID: &str = "ZTPGATE-SMI-PROXY";
const PROXY_SN: &str = "PROXY1";
const CLIENTS: [(&str, &str); 2] = [
    ("WS-C2960X-48FPD-L", "FOC1111X0AA"),
    ("WS-C3850-24P", "FOC2222X0BB"),
];

fn work_request(pid: &str, sn: &str, correlator: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<pnp xmlns="urn:cisco:pnp" version="1.0" udi="PID:{pid},VID:V01,SN:{sn}">
  <info xmlns="urn:cisco:pnp:work-info" correlator="{correlator}">
    <deviceId>
      <udi>PID:{pid},VID:V01,SN:{sn}</udi>
      <hostname>Switch</hostname>
      <authRequired>false</authRequired>
      <viaProxy>true</viaProxy>
      <securityAdvise>false</securityAdvise>
    </deviceId>
  </info>
</pnp>"#
    )
}

fn post(gw: &Gateway, port: &str, body: &str, cert: &(String, String)) -> (u16, String) {
    let file = gw.dir.path().join("body.xml");
    std::fs::write(&file, body).unwrap();
    let data = format!("@{}", file.display());
    let args = [
        "-H",
        "Content-Type: text/xml",
        "--data-binary",
        data.as_str(),
        "--cert",
        cert.0.as_str(),
        "--key",
        cert.1.as_str(),
    ];
    gw.curl(port, "/pnp/WORK-REQUEST", &args)
}

/// The lab policy with `extra` lines added to `[device_auth]`.
fn with_device_auth(extra: &'static str) -> impl FnOnce(String) -> String {
    move |lab: String| {
        let anchor = "udi_must_match_certificate = true\n";
        assert!(lab.contains(anchor), "lab policy changed");
        lab.replace(anchor, &format!("{anchor}{extra}"))
    }
}

#[test]
fn listed_smi_proxy_gets_each_claimed_device_provisioned() {
    if !have_curl() {
        return;
    }
    let mut gw = Gateway::start_with(with_device_auth("smi_proxies = [\"PROXY1\"]\n"), "");
    let port = gw.port("PnP server");
    let cert = gw.device_cert(PROXY_PID, PROXY_SN);

    for (i, (pid, sn)) in CLIENTS.iter().enumerate() {
        let corr = format!("CiscoPnP-1.0-proxy-{i}");
        let (code, body) = post(&gw, &port, &work_request(pid, sn, &corr), &cert);
        assert_eq!(code, 200, "{body}");
        let (envelope, msg) = parse_server_message(body.as_bytes()).unwrap();
        assert_eq!(
            (envelope.udi.pid.as_str(), envelope.udi.sn.as_str()),
            (*pid, *sn)
        );
        let ServerMessage::Request(req) = msg else {
            panic!("{body}")
        };
        assert!(matches!(req.body, ServiceRequest::DeviceInfo(_)), "{body}");
        assert!(body.contains(&format!("correlator=\"{corr}\"")), "{body}");
    }

    let (code, list) = gw.admin("GET", "/pnp/devices");
    assert_eq!(code, 200);
    let mut serials: Vec<String> = list["devices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["serial"].as_str().unwrap().to_owned())
        .collect();
    serials.sort();
    assert_eq!(serials, ["FOC1111X0AA", "FOC2222X0BB"], "{list}");
    for (pid, sn) in CLIENTS {
        let dev = list["devices"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["serial"] == sn)
            .unwrap();
        assert_eq!(dev["pid"], pid, "{dev}");
        let notes = gw.pnp_history(sn);
        assert!(
            notes
                .iter()
                .any(|n| n.contains(&format!("through SMI proxy PID:{PROXY_PID} SN:{PROXY_SN}"))),
            "{notes:?}"
        );
    }
    let audit = gw.audit();
    for (_, sn) in CLIENTS {
        assert!(
            audit
                .iter()
                .any(|(v, r, actor)| v == "DEVICE_INFO" && r == "pnp-workflow" && actor == sn),
            "{audit:?}"
        );
    }
    assert!(!audit.iter().any(|(v, _, _)| v == "deny"), "{audit:?}");
    assert!(gw.stop().success());
}

#[test]
fn the_same_certificate_not_listed_is_refused_as_a_udi_mismatch() {
    if !have_curl() {
        return;
    }
    let mut gw = Gateway::start("");
    let port = gw.port("PnP server");
    let cert = gw.device_cert(PROXY_PID, PROXY_SN);
    let (pid, sn) = CLIENTS[0];
    let (code, _) = post(&gw, &port, &work_request(pid, sn, "c-1"), &cert);
    assert_eq!(code, 403);
    let audit = gw.audit();
    assert!(
        audit
            .iter()
            .any(|(v, r, actor)| v == "deny" && r == "udi-mismatch" && actor == sn),
        "{audit:?}"
    );
    assert!(gw.stop().success());
}

#[test]
fn a_policy_demanding_sudi_proofs_fails_a_proxied_device_at_once() {
    if !have_curl() {
        return;
    }
    let mut gw = Gateway::start_with(
        with_device_auth(
            "smi_proxies = [\"PROXY*\"]\nmethods = [\"tls-certificate\", \"sudi-cli\"]\n\
             methods_required = \"all\"\n",
        ),
        "",
    );
    let port = gw.port("PnP server");
    let cert = gw.device_cert(PROXY_PID, PROXY_SN);
    let (pid, sn) = CLIENTS[1];
    let (code, body) = post(&gw, &port, &work_request(pid, sn, "c-1"), &cert);
    assert_eq!(code, 200, "{body}");
    let (_, msg) = parse_server_message(body.as_bytes()).unwrap();
    let ServerMessage::Request(req) = msg else {
        panic!("{body}")
    };
    assert!(matches!(req.body, ServiceRequest::Backoff(_)), "{body}");
    let (_, detail) = gw.admin("GET", &format!("/pnp/devices/{sn}"));
    assert!(
        detail["device"]["state"]
            .as_str()
            .is_some_and(|s| s.starts_with("FAILED(") && s.contains("sudi-cli")),
        "{detail}"
    );
    let notes = gw.pnp_history(sn);
    assert!(
        notes.iter().any(|n| n.contains("cannot relay SUDI proofs")),
        "{notes:?}"
    );
    assert!(gw.stop().success());
}
