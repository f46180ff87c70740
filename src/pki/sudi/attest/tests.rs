use std::time::SystemTime;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, RSA_PKCS1_SHA256, RsaKeyPair,
};
use proptest::prelude::*;
use rustls_pki_types::PrivateKeyDer;
use sha2::{Digest, Sha256};

use super::*;
use crate::pki::sudi::tests::shared;
use crate::pki::{KeyKind, lab, load_certs_pem, load_key_pem};

const VALID: &str = "fixtures/sudi-devices/isr4321-show-platform-sudi-sign-nonce.txt";
const INVALID: &str = "fixtures/sudi-devices/isr4321-show-platform-sudi-sign-invalid-dev-cert.txt";

/// 2025-06-01: after the ISR4321 SUDI expired (2024-11-15), before Root CA 2048 does (2029).
fn mid_2025() -> SystemTime {
    SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_748_736_000)
}

struct Real {
    valid: String,
    invalid: String,
    anchors: Vec<CertificateDer<'static>>,
    pin: [u8; 32],
}

fn real() -> Option<Real> {
    let dir = shared()?;
    let anchors = load_certs_pem(&dir.join("certs/cisco-sudi-ca/crca2048.pem")).unwrap();
    Some(Real {
        valid: std::fs::read_to_string(dir.join(VALID)).unwrap(),
        invalid: std::fs::read_to_string(dir.join(INVALID)).unwrap(),
        pin: Sha256::digest(&anchors[0]).into(),
        anchors,
    })
}

fn danger(pin: &[[u8; 32]]) -> ChainOptions<'_> {
    ChainOptions {
        sha1_pinned_roots: pin,
        ignore_idevid_not_after: true,
    }
}

#[test]
fn real_isr4321_output_verifies_under_the_danger_options() {
    let Some(r) = real() else { return };
    let pins = [r.pin];
    let a = attest(&r.valid, None, &r.anchors, mid_2025(), &danger(&pins)).unwrap();
    assert_eq!(a.identity.pid, "ISR4321/K9");
    assert_eq!(a.identity.sn, "FDO184619XU");
    assert_eq!((a.nonce, a.signature_version), (Some(1), 1));
    assert!(a.chain.used_sha1_legacy && a.chain.expired_idevid);
    assert!(attest(&r.valid, Some(1), &r.anchors, mid_2025(), &danger(&pins)).is_ok());
}

#[test]
fn real_output_without_danger_options_fails_on_the_chain_only() {
    let Some(r) = real() else { return };
    let parsed = parse_output(&r.valid).unwrap();
    let exam = examine(
        &parsed,
        None,
        &r.anchors,
        mid_2025(),
        &ChainOptions::default(),
    );
    assert_eq!(exam.signature, Ok(()));
    assert!(matches!(
        exam.chain,
        Err(SudiChainError::IdevidExpired { .. })
    ));
    let only_expiry = ChainOptions {
        sha1_pinned_roots: &[],
        ignore_idevid_not_after: true,
    };
    assert_eq!(
        attest(&r.valid, None, &r.anchors, mid_2025(), &only_expiry),
        Err(AttestError::Chain(SudiChainError::Sha1LegacyNotAllowed))
    );
}

#[test]
fn invalid_device_certificate_is_rejected() {
    let Some(r) = real() else { return };
    let pins = [r.pin];
    let parsed = parse_output(&r.invalid).unwrap();
    let exam = examine(&parsed, None, &r.anchors, mid_2025(), &danger(&pins));
    assert_eq!(exam.signature, Err(AttestError::BadSignature));
    assert_eq!(exam.chain, Err(SudiChainError::BadSignature));
    assert!(attest(&r.invalid, None, &r.anchors, mid_2025(), &danger(&pins)).is_err());
}

#[test]
fn nonce_mismatch_and_tampered_nonce_are_rejected() {
    let Some(r) = real() else { return };
    let pins = [r.pin];
    assert_eq!(
        attest(&r.valid, Some(2), &r.anchors, mid_2025(), &danger(&pins)),
        Err(AttestError::NonceMismatch {
            expected: 2,
            signed: 1
        })
    );
    let tampered = r.valid.replace("sign nonce 1", "sign nonce 2");
    assert_eq!(
        attest(&tampered, None, &r.anchors, mid_2025(), &danger(&pins)),
        Err(AttestError::BadSignature)
    );
    let no_command: String = r.valid.lines().skip(1).collect::<Vec<_>>().join("\n");
    assert_eq!(
        attest(&no_command, Some(7), &r.anchors, mid_2025(), &danger(&pins)),
        Err(AttestError::BadSignature)
    );
    assert!(attest(&no_command, Some(1), &r.anchors, mid_2025(), &danger(&pins)).is_ok());
}

#[test]
fn crlf_and_trailing_spaces_still_verify() {
    let Some(r) = real() else { return };
    let pins = [r.pin];
    let text: String = r.valid.lines().map(|l| format!("{l}  \r\n")).collect();
    let text = format!("banner line\r\n\r\n{text}");
    let a = attest(&text, None, &r.anchors, mid_2025(), &danger(&pins)).unwrap();
    assert_eq!(a.identity.sn, "FDO184619XU");
}

#[test]
fn parser_errors_are_typed() {
    assert_eq!(
        parse_output("hello"),
        Err(AttestError::CertificateCount { found: 0 })
    );
    assert!(matches!(
        parse_output(&"x".repeat(MAX_OUTPUT_BYTES + 1)),
        Err(AttestError::TooLarge { .. })
    ));
    assert_eq!(
        parse_output("r#show platform sudi certificate sign nonce -1\n"),
        Err(AttestError::BadNonce { line: 1 })
    );
    assert_eq!(
        parse_output("-----BEGIN CERTIFICATE-----\nAAAA\n"),
        Err(AttestError::BadPem { line: 1 })
    );
}

/// Builds the command output a lab device with `kind` keys would print, signed over `nonce`.
fn lab_output(kind: KeyKind, nonce: u64) -> (tempfile::TempDir, String, CertificateDer<'static>) {
    let dir = tempfile::tempdir().unwrap();
    let pki = lab::init(dir.path(), false).unwrap();
    let dev = lab::issue_device(dir.path(), "ISR4331/K9", "FDO0000LAB9", kind, 365).unwrap();
    let root = load_certs_pem(&pki.device_root_cert).unwrap().remove(0);
    let mut certs = vec![root.clone()];
    certs.extend(load_certs_pem(&pki.device_ca_cert).unwrap());
    certs.extend(load_certs_pem(&dev.cert).unwrap());
    let data = signed_data(Some(nonce), 1, &certs);
    let PrivateKeyDer::Pkcs8(key) = load_key_pem(&dev.key).unwrap() else {
        panic!("lab keys are PKCS#8")
    };
    let rng = SystemRandom::new();
    let signature = match kind {
        KeyKind::Rsa2048 => {
            let pair = RsaKeyPair::from_pkcs8(key.secret_pkcs8_der()).unwrap();
            let mut sig = vec![0; pair.public_modulus_len()];
            pair.sign(&RSA_PKCS1_SHA256, &rng, &data, &mut sig).unwrap();
            sig
        }
        KeyKind::P256 => {
            let pair =
                EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, key.secret_pkcs8_der())
                    .unwrap();
            pair.sign(&rng, &data).unwrap().as_ref().to_vec()
        }
    };
    let mut out = format!("lab#show platform sudi certificate sign nonce {nonce}\n");
    for path in [&pki.device_root_cert, &pki.device_ca_cert, &dev.cert] {
        out.push_str(&std::fs::read_to_string(path).unwrap());
    }
    out.push_str("Signature version: 1\nSignature:\n");
    for chunk in hex::encode_upper(&signature).as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).unwrap());
        out.push('\n');
    }
    out.push_str("lab#\n");
    (dir, out, root)
}

#[test]
fn lab_generated_attestations_verify() {
    for kind in [KeyKind::Rsa2048, KeyKind::P256] {
        let (_dir, out, root) = lab_output(kind, 42);
        let now = crate::clock::now_system();
        let opts = ChainOptions::default();
        let a = attest(&out, Some(42), std::slice::from_ref(&root), now, &opts).unwrap();
        assert_eq!(a.identity.pid, "ISR4331/K9");
        assert!(!a.chain.used_sha1_legacy);
        let flipped = out.replacen("Signature:\n", "Signature:\n00", 1);
        assert!(attest(&flipped, Some(42), std::slice::from_ref(&root), now, &opts).is_err());
    }
}

proptest! {
    #[test]
    fn parser_never_panics_on_garbage(text in "\\PC{0,400}") {
        let _ = parse_output(&text);
    }

    #[test]
    fn parser_never_panics_on_mangled_structure(
        lines in proptest::collection::vec(prop_oneof![
            Just("-----BEGIN CERTIFICATE-----".to_owned()),
            Just("-----END CERTIFICATE-----".to_owned()),
            Just("Signature version: 1".to_owned()),
            Just("Signature:".to_owned()),
            Just("x#show platform sudi certificate sign nonce".to_owned()),
            "[0-9A-Fa-f]{0,80}",
            "[A-Za-z0-9+/=]{0,64}",
        ], 0..40)
    ) {
        let _ = parse_output(&lines.join("\r\n"));
    }
}
