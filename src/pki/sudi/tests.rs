use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use rustls_pki_types::CertificateDer;
use sha2::{Digest, Sha256};

use super::*;
use crate::pki::inspect::CertInfo;
use crate::pki::{KeyKind, lab, load_certs_pem};

/// `../shared` next to the crate, or `None` (with the skip reason printed) when absent.
pub(crate) fn shared() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared");
    if dir.join("certs/cisco-sudi-ca").is_dir() && dir.join("fixtures/sudi-devices").is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "skipped: {} (real Cisco SUDI material) is absent",
            dir.display()
        );
        None
    }
}

fn one(path: &Path) -> CertificateDer<'static> {
    load_certs_pem(path).unwrap().remove(0)
}

fn year(y: i32) -> SystemTime {
    let t = chrono::NaiveDate::from_ymd_opt(y, 6, 1)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_utc();
    SystemTime::from(t)
}

struct Act2 {
    leaf: CertificateDer<'static>,
    act2: CertificateDer<'static>,
    root: CertificateDer<'static>,
    root_sha256: [u8; 32],
    other_root: CertificateDer<'static>,
}

fn act2() -> Option<Act2> {
    let shared = shared()?;
    let ca = shared.join("certs/cisco-sudi-ca");
    let root = one(&ca.join("crca2048.pem"));
    Some(Act2 {
        leaf: one(&shared.join("fixtures/sudi-devices/isr4321-sudi-cert.pem")),
        act2: one(&ca.join("ACT2SUDICA.pem")),
        root_sha256: Sha256::digest(&root).into(),
        root,
        other_root: one(&ca.join("crca2099.pem")),
    })
}

fn verify(
    a: &Act2,
    anchors: &[CertificateDer<'static>],
    at: SystemTime,
    opts: &ChainOptions<'_>,
) -> Result<VerifiedSudiChain, SudiChainError> {
    verify_sudi_chain(&a.leaf, std::slice::from_ref(&a.act2), anchors, at, opts)
}

#[test]
fn act2_chain_needs_the_sha1_pin() {
    let Some(a) = act2() else { return };
    let anchors = [a.root.clone()];
    let strict = ChainOptions::default();
    assert_eq!(
        verify(&a, &anchors, year(2020), &strict),
        Err(SudiChainError::Sha1LegacyNotAllowed)
    );
    let pins = [a.root_sha256];
    let pinned = ChainOptions {
        sha1_pinned_roots: &pins,
        ignore_idevid_not_after: false,
    };
    let chain = verify(&a, &anchors, year(2020), &pinned).unwrap();
    assert!(chain.used_sha1_legacy && !chain.expired_idevid);
    assert_eq!(chain.root_sha256, a.root_sha256);
    assert_eq!(chain.identity.pid, "ISR4321/K9");
    assert_eq!(chain.identity.sn, "FDO184619XU");
    assert_eq!(
        chain.anchor_subject,
        "O=Cisco Systems, CN=Cisco Root CA 2048"
    );
}

#[test]
fn expired_act2_idevid_needs_its_own_option() {
    let Some(a) = act2() else { return };
    let anchors = [a.root.clone()];
    let pins = [a.root_sha256];
    let mut opts = ChainOptions {
        sha1_pinned_roots: &pins,
        ignore_idevid_not_after: false,
    };
    let err = verify(&a, &anchors, year(2026), &opts).unwrap_err();
    assert!(matches!(err, SudiChainError::IdevidExpired { not_after }
        if not_after.to_rfc3339().starts_with("2024-11-15")));
    assert_eq!(err.failure(), ChainFailure::Expired);
    opts.ignore_idevid_not_after = true;
    let chain = verify(&a, &anchors, year(2026), &opts).unwrap();
    assert!(chain.used_sha1_legacy && chain.expired_idevid);
    // The CAs still expire: Root CA 2048 and ACT2 end in 2029.
    assert!(matches!(
        verify(&a, &anchors, year(2030), &opts),
        Err(SudiChainError::Expired { .. })
    ));
    let strict_sha1 = ChainOptions {
        sha1_pinned_roots: &[],
        ignore_idevid_not_after: true,
    };
    assert_eq!(
        verify(&a, &anchors, year(2026), &strict_sha1),
        Err(SudiChainError::Sha1LegacyNotAllowed)
    );
}

#[test]
fn sha1_pin_of_another_root_does_not_help() {
    let Some(a) = act2() else { return };
    let pins = [Sha256::digest(&a.other_root).into()];
    let opts = ChainOptions {
        sha1_pinned_roots: &pins,
        ignore_idevid_not_after: false,
    };
    let anchors = [a.other_root.clone(), a.root.clone()];
    assert_eq!(
        verify(&a, &anchors, year(2020), &opts),
        Err(SudiChainError::Sha1RootNotPinned {
            root_sha256: a.root_sha256
        })
    );
    assert_eq!(
        verify(&a, std::slice::from_ref(&a.other_root), year(2020), &opts),
        Err(SudiChainError::UnknownIssuer)
    );
}

#[test]
fn tampered_act2_signature_is_bad_on_the_legacy_path() {
    let Some(a) = act2() else { return };
    let mut bytes = a.act2.to_vec();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x01;
    let tampered = Act2 {
        act2: CertificateDer::from(bytes),
        ..a
    };
    let pins = [tampered.root_sha256];
    let opts = ChainOptions {
        sha1_pinned_roots: &pins,
        ignore_idevid_not_after: false,
    };
    let anchors = [tampered.root.clone()];
    assert_eq!(
        verify(&tampered, &anchors, year(2020), &opts),
        Err(SudiChainError::BadSignature)
    );
}

#[test]
fn act2_alone_as_anchor_needs_no_sha1() {
    let Some(a) = act2() else { return };
    let chain = verify_sudi_chain(
        &a.leaf,
        &[],
        std::slice::from_ref(&a.act2),
        year(2020),
        &ChainOptions::default(),
    )
    .unwrap();
    assert!(!chain.used_sha1_legacy);
}

struct Lab {
    _dir: tempfile::TempDir,
    root: CertificateDer<'static>,
    chain: Vec<CertificateDer<'static>>,
}

fn lab_chain(days: u32) -> Lab {
    let dir = tempfile::tempdir().unwrap();
    let pki = lab::init(dir.path(), false).unwrap();
    let dev = lab::issue_device(
        dir.path(),
        "C9300-24P",
        "FOC0000LAB1",
        KeyKind::Rsa2048,
        days,
    )
    .unwrap();
    Lab {
        root: one(&pki.device_root_cert),
        chain: load_certs_pem(&dev.chain).unwrap(),
        _dir: dir,
    }
}

#[test]
fn lab_chain_verifies_on_the_webpki_path() {
    let l = lab_chain(30);
    let chain = verify_sudi_chain(
        &l.chain[0],
        &l.chain[1..],
        std::slice::from_ref(&l.root),
        crate::clock::now_system(),
        &ChainOptions::default(),
    )
    .unwrap();
    assert!(!chain.used_sha1_legacy && !chain.expired_idevid);
    assert_eq!(chain.root_sha256, <[u8; 32]>::from(Sha256::digest(&l.root)));
    let status = cert_status(Ok(chain), "lab");
    let CertStatus::Verified(v) = status else {
        panic!("not verified")
    };
    assert_eq!(v.anchor_set, "lab");
    assert_eq!(v.identity.sn, "FOC0000LAB1");
}

#[test]
fn expired_lab_idevid_is_accepted_only_with_the_option() {
    let l = lab_chain(1);
    let later = crate::clock::now_system() + Duration::from_secs(10 * 86_400);
    let anchors = std::slice::from_ref(&l.root);
    let err = verify_sudi_chain(
        &l.chain[0],
        &l.chain[1..],
        anchors,
        later,
        &ChainOptions::default(),
    )
    .unwrap_err();
    assert_eq!(err.name(), "idevid_expired");
    let opts = ChainOptions {
        sha1_pinned_roots: &[],
        ignore_idevid_not_after: true,
    };
    let chain = verify_sudi_chain(&l.chain[0], &l.chain[1..], anchors, later, &opts).unwrap();
    assert!(chain.expired_idevid && !chain.used_sha1_legacy);
    // The device CA is still checked at `at`.
    let ca_end = CertInfo::from_der(&l.chain[1]).unwrap().not_after;
    let past_ca = SystemTime::from(ca_end) + Duration::from_secs(86_400);
    assert!(matches!(
        verify_sudi_chain(&l.chain[0], &l.chain[1..], anchors, past_ca, &opts),
        Err(SudiChainError::Expired { .. })
    ));
}

#[test]
fn leaf_without_sudi_identity_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let pki = lab::init(dir.path(), false).unwrap();
    let result = verify_sudi_chain(
        &one(&pki.admin_cert),
        &[],
        &[one(&pki.ca_cert)],
        crate::clock::now_system(),
        &ChainOptions::default(),
    );
    assert_eq!(result, Err(SudiChainError::MissingIdentity));
    assert_eq!(
        cert_status(result, "x"),
        CertStatus::Failed(ChainFailure::MissingIdentity)
    );
}

#[test]
fn no_anchors_and_garbage_are_typed_errors() {
    let l = lab_chain(30);
    let now = crate::clock::now_system();
    let opts = ChainOptions::default();
    assert_eq!(
        verify_sudi_chain(&l.chain[0], &[], &[], now, &opts),
        Err(SudiChainError::NoAnchors)
    );
    let garbage = CertificateDer::from(vec![0x30, 0x03, 0x02, 0x01, 0x01]);
    assert!(matches!(
        verify_sudi_chain(&garbage, &[], std::slice::from_ref(&l.root), now, &opts),
        Err(SudiChainError::Malformed { .. })
    ));
}

#[test]
fn options_from_policy_carry_the_danger_knobs() {
    let policy = DeviceAuthPolicy {
        danger_accept_sha1_legacy_sudi: vec![[7; 32]],
        danger_ignore_idevid_not_after: true,
        ..DeviceAuthPolicy::default()
    };
    let opts = ChainOptions::from_policy(&policy);
    assert_eq!(opts.sha1_pinned_roots, &[[7; 32]]);
    assert!(opts.ignore_idevid_not_after && opts.is_dangerous());
    assert!(!ChainOptions::default().is_dangerous());
}
