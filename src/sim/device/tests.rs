use std::sync::OnceLock;
use std::time::Duration;

use aws_lc_rs::signature::{RSA_PKCS1_2048_8192_SHA256, UnparsedPublicKey};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use md5::{Digest as _, Md5};
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject as _;

use super::*;
use crate::pki::sudi::{ChainOptions, attest};
use crate::pki::{KeyKind, lab, load_certs_pem, load_key_pem};
use crate::proto::pnp::cli_config::EntryOutcome;
use crate::proto::pnp::common::Source;
use crate::proto::pnp::error_info::{DeviceAuthError, ImageInstallError};
use crate::proto::pnp::reload::ConfigAction;
use crate::proto::pnp::{
    AgentMessage, ApplyTo, Backoff, CliConfig, CliExec, ConfigUpgrade, Correlator,
    DeviceAuthRequest, DeviceInfoRequest, DeviceInfoType, ErrorCode, FileLocation, FileTransfer,
    Header, ImageInstall, ReloadRequest, ResponseBody, ServerMessage, WorkResponse,
    parse_agent_message, parse_server_message,
};

const CORRELATOR: &str = "CiscoPnP-1.0-R1.2-I1-P3-T4-2";

struct Lab {
    _dir: tempfile::TempDir,
    root: CertificateDer<'static>,
    ca: CertificateDer<'static>,
    device: CertificateDer<'static>,
    key_der: Vec<u8>,
}

fn lab() -> &'static Lab {
    static LAB: OnceLock<Lab> = OnceLock::new();
    LAB.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let pki = lab::init(dir.path(), false).unwrap();
        let files =
            lab::issue_device(dir.path(), "C9300-24P", "FOC0001", KeyKind::Rsa2048, 30).unwrap();
        let one = |p: &std::path::Path| load_certs_pem(p).unwrap().remove(0);
        let key = load_key_pem(&files.key).unwrap();
        Lab {
            root: one(&pki.device_root_cert),
            ca: one(&pki.device_ca_cert),
            device: one(&files.cert),
            key_der: key.secret_der().to_vec(),
            _dir: dir,
        }
    })
}

fn device() -> Device {
    let lab = lab();
    let sudi = Sudi {
        chain: [lab.root.clone(), lab.ca.clone(), lab.device.clone()],
        key: SigningKey::from_pkcs8(&lab.key_der).unwrap(),
    };
    Device::new(DeviceSpec::lab("C9300-24P", "FOC0001"), Some(sudi))
}

/// Renders the request as a server would and parses it back, as the agent loop does.
fn request(body: ServiceRequest) -> Request {
    let r = Request::new(Correlator::new(CORRELATOR).unwrap(), body);
    let text = r.render(&Header::new(device().udi()));
    match parse_server_message(text.as_bytes()).unwrap().1 {
        ServerMessage::Request(r) => *r,
        ServerMessage::Bye(_) => panic!("bye"),
    }
}

fn no_fetch(url: &str) -> Result<Vec<u8>, FetchError> {
    panic!("unexpected fetch of {url}")
}

fn run(d: &mut Device, body: ServiceRequest) -> (DeviceOutcome, WorkResponse) {
    run_fetch(d, body, &mut no_fetch)
}

fn run_fetch(
    d: &mut Device,
    body: ServiceRequest,
    fetch: &mut dyn FnMut(&str) -> Result<Vec<u8>, FetchError>,
) -> (DeviceOutcome, WorkResponse) {
    let outcome = d.handle(&request(body), fetch);
    let text = outcome.response.clone().unwrap();
    assert!(
        text.contains(&format!("correlator=\"{CORRELATOR}\"")),
        "{text}"
    );
    assert!(
        text.contains("udi=\"PID:C9300-24P,VID:V01,SN:FOC0001\""),
        "{text}"
    );
    match parse_agent_message(text.as_bytes()).unwrap() {
        AgentMessage::Response(r) => {
            assert_eq!(r.success, outcome.success);
            (outcome, r)
        }
        other => panic!("{other:?}"),
    }
}

fn error_number(r: &WorkResponse) -> Option<u16> {
    r.error.as_ref()?.code.as_ref()?.number()
}

fn exec_output(d: &mut Device, cmd: &str) -> (bool, String) {
    let (o, r) = run(d, ServiceRequest::CliExec(CliExec::new(cmd)));
    match r.body {
        ResponseBody::CliExec(e) => (o.success, e.output()),
        other => panic!("{other:?}"),
    }
}

fn image_install(name: &str, data: &[u8], checksum: Option<String>) -> (ServiceRequest, Vec<u8>) {
    let request = ServiceRequest::ImageInstall(ImageInstall {
        source: Source {
            file: FileLocation::Location(format!("https://files.example/{name}")),
            checksum,
        },
        destination: Some(FileLocation::Location(format!("bootflash:{name}"))),
        after: AfterOperation::DeviceDefault,
    });
    (request, data.to_vec())
}

#[test]
fn device_info_all_reports_every_section() {
    let mut d = device();
    let kind = DeviceInfoType::All;
    let (_, r) = run(
        &mut d,
        ServiceRequest::DeviceInfo(DeviceInfoRequest { kind }),
    );
    let ResponseBody::DeviceInfo(info) = r.body else {
        panic!()
    };
    assert_eq!(
        info.udi.clone().unwrap().primary_chassis.unwrap(),
        d.udi().to_string()
    );
    assert_eq!(info.image_field("versionString"), Some("17.03.04a"));
    assert_eq!(info.hardware_field("boardId"), Some("FOC0001"));
    let boot = &info.file_systems[0];
    assert_eq!(boot.name.as_deref(), Some("bootflash"));
    let free: u64 = boot.freespace.as_deref().unwrap().parse().unwrap();
    assert_eq!(free, d.file_systems()[0].free());
    assert_eq!(info.profiles[0].name.as_deref(), Some("pnp-zero-touch"));
}

#[test]
fn device_info_unknown_type_fails_with_invalid_request() {
    let kind = DeviceInfoType::Other("bogus".into());
    let (_, r) = run(
        &mut device(),
        ServiceRequest::DeviceInfo(DeviceInfoRequest { kind }),
    );
    assert!(!r.success);
    assert_eq!(error_number(&r), Some(1611));
}

#[test]
fn sudi_sign_output_attests_against_the_lab_root() {
    let mut d = device();
    let (ok, out) = exec_output(&mut d, "show platform sudi certificate sign nonce 4242");
    assert!(ok, "{out}");
    let anchors = [lab().root.clone()];
    let opts = ChainOptions::default();
    let a = attest(
        &out,
        Some(4242),
        &anchors,
        crate::clock::now_system(),
        &opts,
    )
    .unwrap();
    assert_eq!(a.identity.sn, "FOC0001");
    assert!(
        attest(
            &out,
            Some(4243),
            &anchors,
            crate::clock::now_system(),
            &opts
        )
        .is_err()
    );
}

#[test]
fn unknown_command_answers_invalid_input() {
    let mut d = device();
    let (ok, out) = exec_output(&mut d, "format flash:");
    assert!(!ok);
    assert!(out.contains("% Invalid input detected"));
    let (_, r) = run(&mut d, ServiceRequest::CliExec(CliExec::new("bogus")));
    assert_eq!(error_number(&r), Some(1304));
}

#[test]
fn exec_commands_change_and_report_state() {
    let mut d = device();
    assert!(
        exec_output(&mut d, "show version")
            .1
            .contains("Version 17.03.04a")
    );
    assert!(
        exec_output(&mut d, "dir bootflash:")
            .1
            .contains("cat9k_iosxe.17.03.04a.SPA.bin")
    );
    exec_output(&mut d, "config-register 0x2142");
    assert_eq!(d.config_register(), (0x2102, 0x2142));
    let apply = CliConfig::apply(&["hostname edge-1"]);
    run(&mut d, ServiceRequest::CliConfig(apply));
    assert!(d.startup_config().is_empty());
    assert!(exec_output(&mut d, "write memory").1.contains("[OK]"));
    assert_eq!(d.startup_config(), ["hostname edge-1"]);
    d.reload();
    assert_eq!(d.config_register(), (0x2142, 0x2142));
    assert_eq!(d.hostname(), "edge-1");
}

#[test]
fn cli_config_reports_each_line_and_persist_saves() {
    let mut d = device();
    let apply = CliConfig::apply(&["hostname sw1", "#bad", "ntp server 10.0.0.1"]);
    let (o, r) = run(&mut d, ServiceRequest::CliConfig(apply));
    assert!(o.success);
    let ResponseBody::CliConfig(result) = r.body else {
        panic!()
    };
    assert!(matches!(
        result.entries[0].outcome,
        EntryOutcome::Success { .. }
    ));
    assert_eq!(result.entries[1].outcome, EntryOutcome::Invalid);
    assert_eq!(result.entries[2].line_number, Some(3));
    assert_eq!(d.hostname(), "sw1");
    run(&mut d, ServiceRequest::CliConfig(CliConfig::Persist));
    assert_eq!(d.startup_config().len(), 2);
}

#[test]
fn config_upgrade_fetches_over_https_and_applies_to_startup() {
    let mut d = device();
    let config = b"hostname from-file\n!\ninterface Vlan1\n".to_vec();
    let upgrade = |file: FileLocation, checksum| {
        ServiceRequest::ConfigUpgrade(ConfigUpgrade {
            details: None,
            source: Source { file, checksum },
            apply_to: Some(ApplyTo::Startup),
            abort_on_syntax_fault: false,
            after: AfterOperation::NoReload,
        })
    };
    let md5 = hex::encode(Md5::digest(&config));
    let url = FileLocation::Location("https://gw/configs/FOC0001.cfg".into());
    let mut fetch = |u: &str| {
        assert_eq!(u, "https://gw/configs/FOC0001.cfg");
        Ok(config.clone())
    };
    let (o, _) = run_fetch(&mut d, upgrade(url.clone(), Some(md5)), &mut fetch);
    assert!(o.success && !o.reload);
    assert_eq!(
        d.startup_config(),
        ["hostname from-file", "interface Vlan1"]
    );
    let (o, r) = run_fetch(&mut d, upgrade(url, Some("00".into())), &mut fetch);
    assert!(!o.success);
    assert_eq!(error_number(&r), Some(1403));
    let tftp = FileLocation::Location("tftp://gw/x.cfg".into());
    let (_, r) = run(&mut d, upgrade(tftp, None));
    assert_eq!(error_number(&r), Some(1416));
}

#[test]
fn image_install_stores_image_and_reload_bumps_version() {
    let mut d = device();
    let data = vec![7u8; 4096];
    let sum = hex::encode(Md5::digest(&data));
    let (req, bytes) = image_install("cat9k_iosxe.17.09.04a.SPA.bin", &data, Some(sum));
    let (o, r) = run_fetch(&mut d, req, &mut |_| Ok(bytes.clone()));
    assert!(r.success && o.reload, "{:?}", r.error);
    assert_eq!(d.version(), "17.03.04a");
    assert_eq!(d.boot().1, "17.09.04a");
    d.reload();
    assert_eq!(d.version(), "17.09.04a");
    assert_eq!(d.image(), "bootflash:cat9k_iosxe.17.09.04a.SPA.bin");
    assert_eq!(d.reloads(), 1);
}

#[test]
fn image_install_without_space_fails_with_no_space() {
    let mut d = device();
    let free = d.file_systems()[0].free();
    let (req, _) = image_install("big.17.1.SPA.bin", &[], None);
    let mut fetch = |_: &str| Ok(vec![0u8; usize::try_from(free + 1).unwrap()]);
    let (o, r) = run_fetch(&mut d, req, &mut fetch);
    assert!(!o.success && !o.reload);
    let code = ErrorCode::ImageInstall(ImageInstallError::NoSpace);
    assert_eq!(r.error.unwrap().code, Some(code));
}

#[test]
fn image_install_with_wrong_checksum_fails_verification() {
    let (req, bytes) = image_install("x.17.1.SPA.bin", b"image", Some("ab".repeat(16)));
    let (_, r) = run_fetch(&mut device(), req, &mut |_| Ok(bytes.clone()));
    assert_eq!(error_number(&r), Some(1816));
    let (req, _) = image_install("packages.conf", b"", None);
    assert_eq!(error_number(&run(&mut device(), req).1), Some(1806));
}

#[test]
fn file_transfer_stores_the_file() {
    let mut d = device();
    let req = ServiceRequest::FileTransfer(FileTransfer {
        source: FileLocation::Uri("/files/banner.txt".into()),
        destination: FileLocation::Location("bootflash:guest-share/banner.txt".into()),
    });
    let (o, _) = run_fetch(&mut d, req, &mut |_| Ok(b"hello".to_vec()));
    assert!(o.success);
    let file = d.file_systems()[0]
        .files
        .iter()
        .find(|f| f.name == "guest-share/banner.txt");
    assert_eq!(file.unwrap().md5, hex::encode(Md5::digest(b"hello")));
}

#[test]
fn reload_request_erases_or_saves_config() {
    let mut d = device();
    run(
        &mut d,
        ServiceRequest::CliConfig(CliConfig::apply(&["hostname r1"])),
    );
    let req = ReloadRequest {
        delay_in: Some(5),
        config: Some(ConfigAction::Save(true)),
        ..ReloadRequest::default()
    };
    let (o, _) = run(&mut d, ServiceRequest::Reload(req));
    assert!(o.reload);
    assert_eq!(o.reload_delay, 5);
    assert_eq!(d.startup_config(), ["hostname r1"]);
}

#[test]
fn backoff_becomes_a_directive_and_is_acknowledged() {
    let mut d = device();
    let b = Backoff::callback_after("backoffNow", 0, 2, 5).unwrap();
    let (o, _) = run(&mut d, ServiceRequest::Backoff(b));
    assert_eq!(o.directive, Directive::Wait(Duration::from_secs(125)));
    let b = Backoff::default_minutes("later", 3).unwrap();
    assert_eq!(
        run(&mut d, ServiceRequest::Backoff(b)).0.directive,
        Directive::SetRetry(Duration::from_secs(180))
    );
    let b = Backoff::terminate("done");
    assert_eq!(
        run(&mut d, ServiceRequest::Backoff(b)).0.directive,
        Directive::Terminate
    );
}

#[test]
fn device_auth_signature_verifies_with_the_device_certificate() {
    let challenge = "ABCDEFGHIJ0123456789KLMNOPQRSTUV";
    let req = DeviceAuthRequest::new(challenge).unwrap();
    let (_, r) = run(&mut device(), ServiceRequest::DeviceAuth(req));
    let ResponseBody::DeviceAuth(Some(answer)) = r.body else {
        panic!()
    };
    let pem = STANDARD.decode(&answer.sudi_cert).unwrap();
    let cert = CertificateDer::from_pem_slice(&pem).unwrap();
    assert_eq!(cert.as_ref(), lab().device.as_ref());
    let (_, parsed) = x509_parser::parse_x509_certificate(&cert).unwrap();
    let key = UnparsedPublicKey::new(
        &RSA_PKCS1_2048_8192_SHA256,
        parsed.public_key().subject_public_key.data.to_vec(),
    );
    let sig = STANDARD.decode(&answer.challenge_response).unwrap();
    key.verify(challenge.as_bytes(), &sig).unwrap();
}

#[test]
fn device_auth_refuses_unsupported_hash() {
    let mut req = DeviceAuthRequest::new("ABCDEFGHIJ0123456789").unwrap();
    req.hash_methods = "SHA512".into();
    let (_, r) = run(&mut device(), ServiceRequest::DeviceAuth(req));
    let code = ErrorCode::DeviceAuth(DeviceAuthError::InvalidHashMethod);
    assert_eq!(r.error.unwrap().code, Some(code));
}

#[test]
fn capability_and_topology_parse() {
    let mut d = device();
    let (_, r) = run(&mut d, ServiceRequest::Capability);
    assert!(matches!(r.body, ResponseBody::Capability(_)));
    let (_, r) = run(&mut d, ServiceRequest::Topology);
    let ResponseBody::Topology(t) = r.body else {
        panic!()
    };
    assert_eq!(
        t.neighbors[0].remote.device_name.as_deref(),
        Some("upstream")
    );
}

#[test]
fn fault_has_no_correlator_and_parses() {
    let text = device().fault("An unknown XML tag has been received", "smu");
    let AgentMessage::Fault(f) = parse_agent_message(text.as_bytes()).unwrap() else {
        panic!()
    };
    assert!(f.correlator.is_none());
    assert_eq!(f.details.as_deref(), Some("smu"));
}

#[test]
fn image_version_reads_cisco_file_names() {
    assert_eq!(
        image_version("bootflash:cat9k_iosxe.17.09.04a.SPA.bin"),
        "17.09.04a"
    );
    assert_eq!(
        image_version("https://h/i/c1100-universalk9.17.06.05.SPA.bin"),
        "17.06.05"
    );
    assert_eq!(image_version("custom.bin"), "custom");
}

#[test]
fn ecdsa_device_sudi_output_attests() {
    let lab = lab();
    let req = lab::DeviceRequest {
        pid: "C9300-24P",
        sn: "FOC0001",
        key: KeyKind::P256,
        days: 30,
        out_name: Some("ecdsa-device"),
        force: true,
    };
    let files = lab::issue(lab._dir.path(), &req).unwrap();
    let key = load_key_pem(&files.key).unwrap();
    let sudi = Sudi {
        chain: [
            lab.root.clone(),
            lab.ca.clone(),
            load_certs_pem(&files.cert).unwrap().remove(0),
        ],
        key: SigningKey::from_pkcs8(key.secret_der()).unwrap(),
    };
    assert_eq!(sudi.key.method(), "ECDSA");
    let mut d = Device::new(DeviceSpec::lab("C9300-24P", "FOC0001"), Some(sudi));
    let (ok, out) = exec_output(&mut d, "show platform sudi certificate sign nonce 7");
    assert!(ok, "{out}");
    let anchors = [lab.root.clone()];
    let now = crate::clock::now_system();
    let a = attest(&out, Some(7), &anchors, now, &ChainOptions::default()).unwrap();
    assert_eq!(a.identity.sn, "FOC0001");
}
