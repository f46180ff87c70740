//! Real TLS handshakes on 127.0.0.1 against `edge::tls::device_server` with the SUDI client
//! verifier: lab device certificates are accepted and identified, certificates of other CAs and
//! expired IDevIDs are refused (the latter unless `danger_ignore_idevid_not_after`), a missing
//! certificate fails only when mandatory. Also `curl` as a client (skipped when absent) and the
//! real Cisco ACT2 chain through `verify_client_cert` (skipped when `../shared` is absent).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime};

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, DnValue,
    ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose,
};
use rustls::server::danger::ClientCertVerifier;
use rustls::{CertificateError, ClientConfig, ClientConnection, ServerConnection, StreamOwned};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, UnixTime};
use sha2::{Digest, Sha256};
use ztpgate::clock;
use ztpgate::edge::sudi_verifier::{DeviceAnchor, SudiClientVerifier};
use ztpgate::edge::tls::device_server;
use ztpgate::pki::lab::{self, LabPki};
use ztpgate::pki::{KeyKind, load_certs_pem, load_key_pem};
use ztpgate::policy::auth::{CertStatus, DeviceAuthPolicy, TrustAnchorSet};

const IO_TIMEOUT: Duration = Duration::from_secs(10);
const RESPONSE: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\npong\n";

struct Lab {
    _dir: tempfile::TempDir,
    pki: LabPki,
    device_chain: PathBuf,
    device_key: PathBuf,
}

fn lab() -> Lab {
    let dir = tempfile::tempdir().unwrap();
    let pki_dir = dir.path().join("pki");
    let pki = lab::init(&pki_dir, false).unwrap();
    let device =
        lab::issue_device(&pki_dir, "ISR4321/K9", "FDO21520TGH", KeyKind::Rsa2048, 365).unwrap();
    Lab {
        _dir: dir,
        pki,
        device_chain: device.chain,
        device_key: device.key,
    }
}

fn policy_over(set: &str, paths: Vec<PathBuf>) -> DeviceAuthPolicy {
    DeviceAuthPolicy {
        anchor_sets: vec![TrustAnchorSet {
            name: set.to_owned(),
            paths,
        }],
        trust_anchors: vec![set.to_owned()],
        ..DeviceAuthPolicy::default()
    }
}

fn lab_verifier(l: &Lab, mandatory: bool) -> Arc<SudiClientVerifier> {
    let policy = policy_over("lab", vec![l.pki.device_root_cert.clone()]);
    Arc::new(SudiClientVerifier::from_policy(&policy, mandatory).unwrap())
}

/// Serves one connection: reads the first line, answers [`RESPONSE`], returns the client chain.
fn serve_one(l: &Lab, verifier: Arc<SudiClientVerifier>) -> (SocketAddr, JoinHandle<ServerSide>) {
    let chain = load_certs_pem(&l.pki.server_cert).unwrap();
    let key = load_key_pem(&l.pki.server_key).unwrap();
    let config = device_server(chain, key, verifier).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let handle = std::thread::spawn(move || {
        let (tcp, _) = listener.accept().unwrap();
        tcp.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
        let conn = ServerConnection::new(config).unwrap();
        let mut tls = BufReader::new(StreamOwned::new(conn, tcp));
        let mut line = String::new();
        tls.read_line(&mut line).map_err(rustls_error)?;
        let stream = tls.get_mut();
        stream.write_all(RESPONSE).map_err(rustls_error)?;
        stream.conn.send_close_notify();
        stream.flush().map_err(rustls_error)?;
        let peer = stream.conn.peer_certificates().unwrap_or_default();
        Ok(peer.iter().map(|c| c.clone().into_owned()).collect())
    });
    (addr, handle)
}

type ServerSide = Result<Vec<CertificateDer<'static>>, Option<rustls::Error>>;

/// The rustls error behind an I/O error, if it is one.
fn rustls_error(err: std::io::Error) -> Option<rustls::Error> {
    err.get_ref()
        .and_then(|e| e.downcast_ref::<rustls::Error>())
        .cloned()
}

/// Connects with an optional client certificate; the response on success.
fn client(
    l: &Lab,
    addr: SocketAddr,
    auth: Option<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)>,
) -> std::io::Result<String> {
    let mut roots = rustls::RootCertStore::empty();
    for ca in load_certs_pem(&l.pki.ca_cert).unwrap() {
        roots.add(ca).unwrap();
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots);
    let config = match auth {
        Some((chain, key)) => builder.with_client_auth_cert(chain, key).unwrap(),
        None => builder.with_no_client_auth(),
    };
    let name = "localhost".try_into().unwrap();
    let conn = ClientConnection::new(Arc::new(config), name).unwrap();
    let tcp = TcpStream::connect(addr)?;
    tcp.set_read_timeout(Some(IO_TIMEOUT))?;
    let mut tls = StreamOwned::new(conn, tcp);
    // Over TLS 1.3 a refused client certificate shows only on the first read.
    tls.write_all(b"GET / HTTP/1.1\r\n\r\n")?;
    let mut out = String::new();
    tls.read_to_string(&mut out)?;
    Ok(out)
}

fn device_auth(chain: &Path, key: &Path) -> (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>) {
    (load_certs_pem(chain).unwrap(), load_key_pem(key).unwrap())
}

#[test]
fn accepts_lab_device_and_identifies_it() {
    let l = lab();
    let verifier = lab_verifier(&l, true);
    let (addr, server) = serve_one(&l, Arc::clone(&verifier));
    let reply = client(&l, addr, Some(device_auth(&l.device_chain, &l.device_key))).unwrap();
    assert!(reply.ends_with("pong\n"));
    let chain = server.join().unwrap().unwrap();
    assert_eq!(chain.len(), 2);
    let (verified, set) = verifier.identify(&chain, clock::now_system()).unwrap();
    assert_eq!(set, "lab");
    assert_eq!(verified.identity.pid, "ISR4321/K9");
    assert_eq!(verified.identity.sn, "FDO21520TGH");
    let CertStatus::Verified(status) = verifier.cert_status(&chain, clock::now_system()) else {
        panic!("chain should verify");
    };
    assert_eq!(status.anchor_set, "lab");
    assert!(!status.used_sha1_legacy && !status.expired_idevid);
}

#[test]
fn refuses_device_of_another_lab_pki() {
    let l = lab();
    let other = lab();
    let (addr, server) = serve_one(&l, lab_verifier(&l, true));
    let auth = device_auth(&other.device_chain, &other.device_key);
    assert!(client(&l, addr, Some(auth)).is_err());
    // Both lab PKIs name their CAs alike: the path builds by name, the signature fails.
    assert_eq!(
        server.join().unwrap(),
        Err(Some(rustls::Error::InvalidCertificate(
            CertificateError::BadSignature
        )))
    );
}

#[test]
fn refuses_admin_certificate_of_the_same_lab() {
    let l = lab();
    let (addr, server) = serve_one(&l, lab_verifier(&l, true));
    let auth = device_auth(&l.pki.admin_cert, &l.pki.admin_key);
    assert!(client(&l, addr, Some(auth)).is_err());
    // The admin certificate carries no SUDI identity and chains to another hierarchy.
    assert!(matches!(
        server.join().unwrap(),
        Err(Some(rustls::Error::InvalidCertificate(_)))
    ));
}

#[test]
fn refuses_device_of_an_unknown_ca() {
    let l = lab();
    let (addr, server) = serve_one(&l, lab_verifier(&l, true));
    let foreign = RcgenDevice::new(false);
    assert!(client(&l, addr, Some(foreign.auth())).is_err());
    assert_eq!(
        server.join().unwrap(),
        Err(Some(rustls::Error::InvalidCertificate(
            CertificateError::UnknownIssuer
        )))
    );
}

#[test]
fn missing_certificate_fails_only_when_mandatory() {
    let l = lab();
    let (addr, server) = serve_one(&l, lab_verifier(&l, true));
    assert!(client(&l, addr, None).is_err());
    assert_eq!(
        server.join().unwrap(),
        Err(Some(rustls::Error::NoCertificatesPresented))
    );

    let verifier = lab_verifier(&l, false);
    let (addr, server) = serve_one(&l, Arc::clone(&verifier));
    assert!(client(&l, addr, None).unwrap().ends_with("pong\n"));
    let chain = server.join().unwrap().unwrap();
    assert!(chain.is_empty());
    assert_eq!(
        verifier.cert_status(&chain, clock::now_system()),
        CertStatus::NotPresented
    );
}

#[test]
fn expired_idevid_needs_the_danger_option() {
    let l = lab();
    let expired = RcgenDevice::new(true);
    let anchor = || DeviceAnchor {
        set: "test".to_owned(),
        cert: expired.root.clone(),
    };
    let strict = Arc::new(SudiClientVerifier::new(vec![anchor()], vec![], false, true).unwrap());
    let (addr, server) = serve_one(&l, strict);
    assert!(client(&l, addr, Some(expired.auth())).is_err());
    assert_eq!(
        server.join().unwrap(),
        Err(Some(rustls::Error::InvalidCertificate(
            CertificateError::Expired
        )))
    );

    let lenient = Arc::new(SudiClientVerifier::new(vec![anchor()], vec![], true, true).unwrap());
    let (addr, server) = serve_one(&l, Arc::clone(&lenient));
    assert!(
        client(&l, addr, Some(expired.auth()))
            .unwrap()
            .ends_with("pong\n")
    );
    let chain = server.join().unwrap().unwrap();
    let (verified, set) = lenient.identify(&chain, clock::now_system()).unwrap();
    assert_eq!(set, "test");
    assert!(verified.expired_idevid);
}

#[test]
fn curl_with_device_certificate_is_accepted_and_without_refused() {
    if std::process::Command::new("curl")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("skipped: curl is not installed");
        return;
    }
    let l = lab();
    let curl = |addr: SocketAddr, with_cert: bool| {
        let mut cmd = std::process::Command::new("curl");
        cmd.args(["-sS", "--max-time", "10", "--cacert"])
            .arg(&l.pki.ca_cert)
            .arg("--resolve")
            .arg(format!("localhost:{}:127.0.0.1", addr.port()));
        if with_cert {
            cmd.arg("--cert")
                .arg(&l.device_chain)
                .arg("--key")
                .arg(&l.device_key);
        }
        cmd.arg(format!("https://localhost:{}/", addr.port()))
            .output()
            .unwrap()
    };
    let (addr, server) = serve_one(&l, lab_verifier(&l, true));
    let out = curl(addr, true);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.stdout, b"pong\n");
    assert_eq!(server.join().unwrap().unwrap().len(), 2);

    let (addr, server) = serve_one(&l, lab_verifier(&l, true));
    assert!(!curl(addr, false).status.success());
    assert!(server.join().unwrap().is_err());
}

#[test]
fn real_act2_chain_verifies_only_with_the_danger_options() {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared");
    let ca = shared.join("certs/cisco-sudi-ca");
    let leaf_path = shared.join("fixtures/sudi-devices/isr4321-sudi-cert.pem");
    if !ca.is_dir() || !leaf_path.is_file() {
        eprintln!(
            "skipped: {} (real Cisco SUDI material) is absent",
            shared.display()
        );
        return;
    }
    let root = ca.join("crca2048.pem");
    let root_sha256: [u8; 32] = Sha256::digest(&load_certs_pem(&root).unwrap()[0]).into();
    let leaf = load_certs_pem(&leaf_path).unwrap().remove(0);
    let act2 = load_certs_pem(&ca.join("ACT2SUDICA.pem")).unwrap();
    let at = chrono::NaiveDate::from_ymd_opt(2025, 6, 1)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_utc();
    let now = UnixTime::since_unix_epoch(Duration::from_secs(at.timestamp() as u64));
    let mut policy = policy_over("cisco", vec![root]);

    let strict = SudiClientVerifier::from_policy(&policy, true).unwrap();
    assert_eq!(
        strict.verify_client_cert(&leaf, &act2, now).unwrap_err(),
        rustls::Error::InvalidCertificate(CertificateError::Expired)
    );
    policy.danger_ignore_idevid_not_after = true;
    let no_pin = SudiClientVerifier::from_policy(&policy, true).unwrap();
    assert!(matches!(
        no_pin.verify_client_cert(&leaf, &act2, now),
        Err(rustls::Error::InvalidCertificate(
            CertificateError::UnsupportedSignatureAlgorithmContext { .. }
        ))
    ));
    policy.danger_accept_sha1_legacy_sudi = vec![root_sha256];
    let danger = SudiClientVerifier::from_policy(&policy, true).unwrap();
    assert!(danger.verify_client_cert(&leaf, &act2, now).is_ok());
    let chain = [leaf, act2[0].clone()];
    let (verified, set) = danger.identify(&chain, SystemTime::from(at)).unwrap();
    assert_eq!(set, "cisco");
    assert_eq!(verified.identity.pid, "ISR4321/K9");
    assert!(verified.used_sha1_legacy && verified.expired_idevid);
    assert_eq!(danger.root_hint_subjects().len(), 1);
}

/// A SUDI-like device under a fresh rcgen root (names unlike the lab's), optionally expired.
struct RcgenDevice {
    root: CertificateDer<'static>,
    leaf: CertificateDer<'static>,
    key: PrivateKeyDer<'static>,
}

impl RcgenDevice {
    fn new(expired: bool) -> Self {
        let now = time::OffsetDateTime::from_unix_timestamp(clock::now_utc().timestamp()).unwrap();
        let mut ca = CertificateParams::default();
        ca.distinguished_name = name("rcgen test SUDI root");
        ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        ca.not_before = now - time::Duration::days(3_000);
        ca.not_after = now + time::Duration::days(3_000);
        let ca_key = KeyPair::generate().unwrap();
        let root = ca.self_signed(&ca_key).unwrap().der().clone();
        let issuer = Issuer::new(ca, ca_key);

        let mut leaf = CertificateParams::default();
        let mut dn = name("C9300-24P-FOC9999X0ZZ");
        dn.push(
            DnType::CustomDnType(vec![2, 5, 4, 5]),
            DnValue::PrintableString("PID:C9300-24P SN:FOC9999X0ZZ".try_into().unwrap()),
        );
        leaf.distinguished_name = dn;
        leaf.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        let (from, to) = if expired { (2_000, 1_000) } else { (1, 365) };
        leaf.not_before = now - time::Duration::days(from);
        leaf.not_after = if expired {
            now - time::Duration::days(to)
        } else {
            now + time::Duration::days(to)
        };
        let key = KeyPair::generate().unwrap();
        let leaf = leaf.signed_by(&key, &issuer).unwrap().der().clone();
        let key = PrivateKeyDer::try_from(key.serialize_der()).unwrap();
        Self { root, leaf, key }
    }

    fn auth(&self) -> (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>) {
        (vec![self.leaf.clone()], self.key.clone_key())
    }
}

fn name(cn: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, "rcgen test");
    dn.push(DnType::CommonName, cn);
    dn
}
