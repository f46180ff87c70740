use std::time::Duration;

use super::*;
use crate::pki::lab::{self, DeviceFiles, LabPki};
use crate::pki::{KeyKind, load_certs_pem};

struct Fixture {
    _dir: tempfile::TempDir,
    pki: LabPki,
    device: DeviceFiles,
}

fn fixture(kind: KeyKind) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let pki = lab::init(dir.path(), false).unwrap();
    let device = lab::issue_device(dir.path(), "ISR4321/K9", "FDO0000TEST", kind, 365).unwrap();
    Fixture {
        _dir: dir,
        pki,
        device,
    }
}

fn one(path: &std::path::Path) -> CertificateDer<'static> {
    load_certs_pem(path).unwrap().remove(0)
}

fn now() -> SystemTime {
    crate::clock::now_system()
}

#[test]
fn device_chain_is_valid_against_device_root() {
    let f = fixture(KeyKind::Rsa2048);
    let chain = load_certs_pem(&f.device.chain).unwrap();
    let verdict = verify_chain(
        &chain[0],
        &chain[1..],
        &[one(&f.pki.device_root_cert)],
        now(),
    );
    assert_eq!(
        verdict,
        ChainVerdict::Valid {
            anchor_subject: "O=ztpgate lab, CN=ztpgate lab device root CA".to_owned()
        }
    );
    assert!(verdict.is_valid());
}

#[test]
fn intermediate_alone_is_a_trust_anchor() {
    let f = fixture(KeyKind::P256);
    let verdict = verify_chain(
        &one(&f.device.cert),
        &[],
        &[one(&f.pki.device_ca_cert)],
        now(),
    );
    assert!(verdict.is_valid(), "{verdict}");
}

#[test]
fn device_certificate_cannot_chain_to_admin_ca() {
    let f = fixture(KeyKind::P256);
    let chain = load_certs_pem(&f.device.chain).unwrap();
    let verdict = verify_chain(&chain[0], &chain[1..], &[one(&f.pki.ca_cert)], now());
    assert_eq!(verdict, ChainVerdict::UnknownIssuer);
}

#[test]
fn admin_certificate_chains_to_admin_ca_only() {
    let f = fixture(KeyKind::P256);
    let admin = one(&f.pki.admin_cert);
    assert!(verify_chain(&admin, &[], &[one(&f.pki.ca_cert)], now()).is_valid());
    assert_eq!(
        verify_chain(&admin, &[], &[one(&f.pki.device_root_cert)], now()),
        ChainVerdict::UnknownIssuer
    );
}

#[test]
fn server_certificate_is_not_a_client_certificate() {
    let f = fixture(KeyKind::P256);
    let verdict = verify_chain(&one(&f.pki.server_cert), &[], &[one(&f.pki.ca_cert)], now());
    assert!(
        matches!(&verdict, ChainVerdict::Other(s) if s.contains("RequiredEkuNotFound")),
        "{verdict:?}"
    );
}

#[test]
fn reports_expiry_and_not_yet_valid_with_dates() {
    let f = fixture(KeyKind::P256);
    let leaf = one(&f.device.cert);
    let anchors = [one(&f.pki.device_ca_cert)];
    let far = now() + Duration::from_secs(400 * 86_400);
    match verify_chain(&leaf, &[], &anchors, far) {
        ChainVerdict::Expired { not_after } => {
            let info = crate::pki::inspect::CertInfo::from_der(&leaf).unwrap();
            assert_eq!(not_after, info.not_after);
        }
        other => panic!("expected Expired, got {other:?}"),
    }
    let past = UNIX_EPOCH + Duration::from_secs(946_684_800);
    assert!(matches!(
        verify_chain(&leaf, &[], &anchors, past),
        ChainVerdict::NotYetValid { .. }
    ));
}

#[test]
fn reports_bad_signature() {
    let f = fixture(KeyKind::P256);
    let mut der = one(&f.device.cert).to_vec();
    let last = der.len() - 1;
    der[last] ^= 0x01;
    let verdict = verify_chain(
        &CertificateDer::from(der),
        &[],
        &[one(&f.pki.device_ca_cert)],
        now(),
    );
    assert_eq!(verdict, ChainVerdict::BadSignature);
}

#[test]
fn no_anchors_is_its_own_verdict() {
    let f = fixture(KeyKind::P256);
    assert_eq!(
        verify_chain(&one(&f.device.cert), &[], &[], now()),
        ChainVerdict::NoAnchors
    );
}

#[test]
fn garbage_leaf_is_other() {
    let f = fixture(KeyKind::P256);
    let verdict = verify_chain(
        &CertificateDer::from(vec![0x30, 0x00]),
        &[],
        &[one(&f.pki.device_ca_cert)],
        now(),
    );
    assert!(matches!(verdict, ChainVerdict::Other(_)));
}

#[test]
fn names_sha1_signature_algorithms() {
    let mut alg = vec![0x06, 0x09];
    alg.extend_from_slice(OID_SHA1_WITH_RSA);
    alg.extend_from_slice(&[0x05, 0x00]);
    let verdict = unsupported(&alg);
    assert_eq!(
        verdict,
        ChainVerdict::UnsupportedSignatureAlgorithm {
            algorithm: "sha1WithRSAEncryption".to_owned(),
            sha1: true
        }
    );
    assert!(verdict.to_string().contains("ACT2 SUDI CA"));
    let md5 = [
        0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x04,
    ];
    assert!(matches!(
        unsupported(&md5),
        ChainVerdict::UnsupportedSignatureAlgorithm { sha1: false, .. }
    ));
}
