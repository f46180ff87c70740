use std::os::unix::fs::PermissionsExt;

use super::*;
use crate::pki::inspect::CertInfo;
use crate::pki::load_certs_pem;

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn init_writes_complete_pki_with_private_keys_0600() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("pki");
    let pki = init(&root, false).unwrap();
    assert!(pki.generated);
    assert_eq!(mode(&root), 0o700);
    for file in pki.files() {
        let expected = if file.extension().unwrap() == "key" {
            0o600
        } else {
            0o644
        };
        assert_eq!(mode(&file), expected, "{}", file.display());
    }
    let ca = CertInfo::from_der(&load_certs_pem(&pki.ca_cert).unwrap()[0]).unwrap();
    assert_eq!(ca.subject, "O=ztpgate lab, CN=ztpgate lab CA");
    assert_eq!(ca.key, "EC P-256");
    assert!(ca.is_ca);
    assert_eq!((ca.not_after - ca.not_before).num_days(), CA_DAYS);
    let root_ca = CertInfo::from_der(&load_certs_pem(&pki.device_root_cert).unwrap()[0]).unwrap();
    assert_eq!(root_ca.key, "RSA 2048");
    assert_eq!(
        (root_ca.not_after - root_ca.not_before).num_days(),
        DEVICE_ROOT_DAYS
    );
}

#[test]
fn init_refuses_existing_pki_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let first = init(dir.path(), false).unwrap();
    let before = std::fs::read(&first.ca_cert).unwrap();
    match init(dir.path(), false) {
        Err(PkiError::AlreadyExists { path }) => assert_eq!(path, first.ca_key()),
        other => panic!("expected AlreadyExists, got {other:?}"),
    }
    assert_eq!(std::fs::read(&first.ca_cert).unwrap(), before);
    init(dir.path(), true).unwrap();
    assert_ne!(std::fs::read(&first.ca_cert).unwrap(), before);
}

#[test]
fn ensure_generates_once_then_loads() {
    let dir = tempfile::tempdir().unwrap();
    let first = ensure(dir.path()).unwrap();
    assert!(first.generated);
    let second = ensure(dir.path()).unwrap();
    assert!(!second.generated);
    assert_eq!(second.server_key, first.server_key);
}

#[test]
fn ensure_reports_missing_file_of_complete_pki() {
    let dir = tempfile::tempdir().unwrap();
    let pki = ensure(dir.path()).unwrap();
    std::fs::remove_file(&pki.admin_key).unwrap();
    match ensure(dir.path()) {
        Err(PkiError::Missing { path }) => assert_eq!(path, pki.admin_key),
        other => panic!("expected Missing, got {other:?}"),
    }
}

#[test]
fn ensure_replaces_leftovers_of_interrupted_init() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("server.key"), b"partial").unwrap();
    let pki = ensure(dir.path()).unwrap();
    assert!(pki.generated);
    crate::pki::load_key_pem(&pki.server_key).unwrap();
}

#[test]
fn issues_device_certificate_with_chain_and_private_key() {
    let dir = tempfile::tempdir().unwrap();
    let pki = init(dir.path(), false).unwrap();
    let files = issue_device(
        dir.path(),
        "ISR4321/K9",
        "FDO21520TGH",
        KeyKind::Rsa2048,
        90,
    )
    .unwrap();
    assert_eq!(
        files.cert,
        dir.path().join("devices/ISR4321_K9_FDO21520TGH.crt")
    );
    assert_eq!(mode(&files.key), 0o600);
    let chain = load_certs_pem(&files.chain).unwrap();
    assert_eq!(chain.len(), 2);
    assert_eq!(chain[1], load_certs_pem(&pki.device_ca_cert).unwrap()[0]);
    let info = CertInfo::from_der(&chain[0]).unwrap();
    assert_eq!(
        info.subject.split(", ").last(),
        Some("CN=ISR4321/K9-FDO21520TGH")
    );
    assert_eq!(info.key, "RSA 2048");
    assert_eq!(info.identity(), Some(&files.identity));
    let reparsed = CertIdentity::parse_serial_number(&files.identity.to_string()).unwrap();
    assert_eq!(reparsed, files.identity);
}

#[test]
fn refuses_to_overwrite_device_files_unless_forced() {
    let dir = tempfile::tempdir().unwrap();
    init(dir.path(), false).unwrap();
    issue_device(dir.path(), "C9300-24P", "FOC1", KeyKind::P256, 10).unwrap();
    assert!(matches!(
        issue_device(dir.path(), "C9300-24P", "FOC1", KeyKind::P256, 10),
        Err(PkiError::AlreadyExists { .. })
    ));
    let req = DeviceRequest {
        pid: "C9300-24P",
        sn: "FOC1",
        key: KeyKind::P256,
        days: 10,
        out_name: Some("spare"),
        force: false,
    };
    let named = issue(dir.path(), &req).unwrap();
    assert_eq!(named.key, dir.path().join("devices/spare.key"));
    issue(dir.path(), &DeviceRequest { force: true, ..req }).unwrap();
}

#[test]
fn rejects_unusable_pid_sn_days_and_names() {
    let dir = tempfile::tempdir().unwrap();
    let field = |pid: &str, sn: &str| match issue_device(dir.path(), pid, sn, KeyKind::P256, 1) {
        Err(PkiError::InvalidDeviceField { problem, .. }) => problem,
        other => panic!("expected InvalidDeviceField, got {other:?}"),
    };
    assert_eq!(field("", "X"), FieldProblem::Empty);
    assert_eq!(field("A", &"9".repeat(65)), FieldProblem::TooLong);
    assert_eq!(field("A B", "X"), FieldProblem::BadCharacter);
    assert_eq!(field("A", "X,Y"), FieldProblem::BadCharacter);
    assert_eq!(field("A", "X_Y"), FieldProblem::BadCharacter);
    assert_eq!(field("A", "é"), FieldProblem::BadCharacter);
    assert!(matches!(
        issue_device(dir.path(), "A", "B", KeyKind::P256, 0),
        Err(PkiError::InvalidDays { days: 0 })
    ));
    for name in ["", "../x", ".hidden", "a/b"] {
        let req = DeviceRequest {
            pid: "A",
            sn: "B",
            key: KeyKind::P256,
            days: 1,
            out_name: Some(name),
            force: false,
        };
        assert!(matches!(
            issue(dir.path(), &req),
            Err(PkiError::InvalidOutputName { .. })
        ));
    }
}

#[test]
fn issuing_without_lab_pki_fails_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    assert!(matches!(
        issue_device(dir.path(), "A", "B", KeyKind::P256, 1),
        Err(PkiError::Io { .. })
    ));
}

#[test]
fn detects_device_ca_key_mismatch() {
    let dir = tempfile::tempdir().unwrap();
    let pki = init(dir.path(), false).unwrap();
    std::fs::copy(pki.device_root_key(), pki.device_ca_key()).unwrap();
    assert!(matches!(
        issue_device(dir.path(), "A", "B", KeyKind::P256, 1),
        Err(PkiError::KeyMismatch { .. })
    ));
}
