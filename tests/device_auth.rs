//! Device-auth answers (pnp.md §2.5.17) signed with lab SUDI-like keys: RSA and P-256 answers
//! verify; a wrong challenge, a tampered signature, a certificate from another CA and garbage
//! base64 each give their typed error; arbitrary input never panics.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self, EcdsaKeyPair, RsaKeyPair};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use proptest::prelude::*;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use ztpgate::clock;
use ztpgate::pki::sudi::device_auth::{DeviceAuthError, KeyAlgorithm, verify_device_auth};
use ztpgate::pki::sudi::{ChainOptions, SudiChainError};
use ztpgate::pki::{KeyKind, lab, load_certs_pem, load_key_pem};
use ztpgate::proto::pnp::device_auth::DeviceAuthAnswer;

const CHALLENGE: &str = "Q7Z2M0K4R9X1B8C6D3F5G7H2J4L6N8P0";

struct Device {
    chain_pem: String,
    leaf_pem: String,
    key: PrivateKeyDer<'static>,
    key_path: PathBuf,
    kind: KeyKind,
}

struct Lab {
    _dir: tempfile::TempDir,
    root: CertificateDer<'static>,
    device_ca: CertificateDer<'static>,
    rsa: Device,
    p256: Device,
}

fn lab() -> Lab {
    let dir = tempfile::tempdir().unwrap();
    let pki_dir = dir.path().join("pki");
    let pki = lab::init(&pki_dir, false).unwrap();
    let device = |pid: &str, sn: &str, kind| {
        let files = lab::issue_device(&pki_dir, pid, sn, kind, 365).unwrap();
        Device {
            chain_pem: std::fs::read_to_string(&files.chain).unwrap(),
            leaf_pem: std::fs::read_to_string(&files.cert).unwrap(),
            key: load_key_pem(&files.key).unwrap(),
            key_path: files.key,
            kind,
        }
    };
    Lab {
        rsa: device("ISR4321/K9", "FDO21520TGH", KeyKind::Rsa2048),
        p256: device("C9300-24P", "FOC2222X0AB", KeyKind::P256),
        root: one(&pki.device_root_cert),
        device_ca: one(&pki.device_ca_cert),
        _dir: dir,
    }
}

fn one(path: &Path) -> CertificateDer<'static> {
    load_certs_pem(path).unwrap().remove(0)
}

fn sign(device: &Device, message: &[u8], sha512: bool) -> Vec<u8> {
    let pkcs8 = match &device.key {
        PrivateKeyDer::Pkcs8(k) => k.secret_pkcs8_der(),
        other => panic!("lab keys are PKCS#8, got {other:?}"),
    };
    let rng = SystemRandom::new();
    match device.kind {
        KeyKind::Rsa2048 => {
            let key = RsaKeyPair::from_pkcs8(pkcs8).unwrap();
            let mut sig = vec![0; key.public_modulus_len()];
            let alg = if sha512 {
                &signature::RSA_PKCS1_SHA512
            } else {
                &signature::RSA_PKCS1_SHA256
            };
            key.sign(alg, &rng, message, &mut sig).unwrap();
            sig
        }
        KeyKind::P256 => {
            // aws-lc-rs signs P-256 only with SHA-256.
            assert!(!sha512, "no P-256/SHA-512 signer");
            let key = EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8)
                .unwrap();
            key.sign(&rng, message).unwrap().as_ref().to_vec()
        }
    }
}

fn answer(pem: &str, sig: &[u8], method: &str, hash: &str) -> DeviceAuthAnswer {
    DeviceAuthAnswer {
        challenge_response: STANDARD.encode(sig),
        sudi_cert: STANDARD.encode(pem),
        encryption_method: Some(method.to_owned()),
        hash_method: Some(hash.to_owned()),
    }
}

/// Verifies `answer` to [`CHALLENGE`] now under `anchor`; the identity on success.
fn check(
    answer: &DeviceAuthAnswer,
    anchor: &CertificateDer<'static>,
) -> Result<String, DeviceAuthError> {
    let now = clock::now_system();
    let anchors = std::slice::from_ref(anchor);
    verify_device_auth(CHALLENGE, answer, anchors, now, &ChainOptions::default())
        .map(|chain| chain.identity.to_string())
}

#[test]
fn accepts_rsa_answer_with_chain_bundle() {
    let l = lab();
    let sig = sign(&l.rsa, CHALLENGE.as_bytes(), false);
    let a = answer(&l.rsa.chain_pem, &sig, "RSA", "SHA256");
    assert_eq!(check(&a, &l.root).unwrap(), "PID:ISR4321/K9 SN:FDO21520TGH");
}

#[test]
fn accepts_rsa_answer_with_sha512() {
    let l = lab();
    let sig = sign(&l.rsa, CHALLENGE.as_bytes(), true);
    let a = answer(&l.rsa.chain_pem, &sig, "rsa", "SHA512");
    assert!(check(&a, &l.root).is_ok());
}

#[test]
fn accepts_p256_answer() {
    let l = lab();
    let sig = sign(&l.p256, CHALLENGE.as_bytes(), false);
    let a = answer(&l.p256.chain_pem, &sig, "ECDSA", "SHA256");
    assert_eq!(check(&a, &l.root).unwrap(), "PID:C9300-24P SN:FOC2222X0AB");
}

#[test]
fn accepts_leaf_only_when_the_sub_ca_is_an_anchor() {
    let l = lab();
    let sig = sign(&l.rsa, CHALLENGE.as_bytes(), false);
    let mut a = answer(&l.rsa.leaf_pem, &sig, "RSA", "SHA256");
    a.encryption_method = None;
    a.hash_method = None;
    assert!(check(&a, &l.device_ca).is_ok());
    assert_eq!(
        check(&a, &l.root),
        Err(DeviceAuthError::Chain(SudiChainError::UnknownIssuer))
    );
}

#[test]
fn rejects_signature_over_another_challenge() {
    let l = lab();
    let sig = sign(&l.rsa, b"SOMEOTHERCHALLENGE0000000000000000", false);
    let a = answer(&l.rsa.chain_pem, &sig, "RSA", "SHA256");
    assert_eq!(check(&a, &l.root), Err(DeviceAuthError::BadSignature));
}

#[test]
fn rejects_tampered_signature_and_wrong_hash() {
    let l = lab();
    for device in [&l.rsa, &l.p256] {
        let method = if device.kind == KeyKind::P256 {
            "ECDSA"
        } else {
            "RSA"
        };
        let mut sig = sign(device, CHALLENGE.as_bytes(), false);
        let wrong_hash = answer(&device.chain_pem, &sig, method, "SHA512");
        assert_eq!(
            check(&wrong_hash, &l.root),
            Err(DeviceAuthError::BadSignature)
        );
        let last = sig.len() - 1;
        sig[last] ^= 0x01;
        let tampered = answer(&device.chain_pem, &sig, method, "SHA256");
        assert_eq!(
            check(&tampered, &l.root),
            Err(DeviceAuthError::BadSignature)
        );
    }
}

#[test]
fn rejects_certificate_from_another_ca() {
    let l = lab();
    let other = lab();
    let sig = sign(&other.rsa, CHALLENGE.as_bytes(), false);
    let a = answer(&other.rsa.chain_pem, &sig, "RSA", "SHA256");
    // Both lab PKIs name their CAs alike, so the path builds by name and the signature fails.
    assert_eq!(
        check(&a, &l.root),
        Err(DeviceAuthError::Chain(SudiChainError::BadSignature))
    );
}

#[test]
fn rejects_garbage_base64_and_bad_pem() {
    let l = lab();
    let sig = sign(&l.rsa, CHALLENGE.as_bytes(), false);
    let mut a = answer(&l.rsa.chain_pem, &sig, "RSA", "SHA256");
    a.sudi_cert = "not base64 !!".to_owned();
    assert_eq!(
        check(&a, &l.root),
        Err(DeviceAuthError::BadBase64 { field: "sudi-cert" })
    );
    let mut a = answer(&l.rsa.chain_pem, &sig, "RSA", "SHA256");
    a.challenge_response = "%%%".to_owned();
    assert_eq!(
        check(&a, &l.root),
        Err(DeviceAuthError::BadBase64 {
            field: "challenge-response"
        })
    );
    let broken = "-----BEGIN CERTIFICATE-----\nAAAA\n";
    let a = answer(broken, &sig, "RSA", "SHA256");
    assert!(matches!(
        check(&a, &l.root),
        Err(DeviceAuthError::BadPem { .. })
    ));
}

#[test]
fn rejects_unsupported_and_mismatched_methods() {
    let l = lab();
    let sig = sign(&l.rsa, CHALLENGE.as_bytes(), false);
    let a = answer(&l.rsa.chain_pem, &sig, "RSA", "MD5");
    assert!(matches!(
        check(&a, &l.root),
        Err(DeviceAuthError::UnsupportedMethod {
            field: "hash-method",
            ..
        })
    ));
    let a = answer(&l.rsa.chain_pem, &sig, "ECDSA", "SHA256");
    assert_eq!(
        check(&a, &l.root),
        Err(DeviceAuthError::MethodMismatch {
            claimed: KeyAlgorithm::Ecdsa,
            key: KeyAlgorithm::Rsa,
        })
    );
}

#[test]
fn rejects_oversized_signature_field() {
    let l = lab();
    let mut a = answer(&l.rsa.chain_pem, b"x", "RSA", "SHA256");
    a.challenge_response = "A".repeat(64 * 1024);
    assert!(matches!(
        check(&a, &l.root),
        Err(DeviceAuthError::TooLarge {
            field: "challenge-response",
            ..
        })
    ));
}

#[test]
fn accepts_p256_answer_with_sha512_signed_by_openssl() {
    let l = lab();
    let out = std::process::Command::new("openssl")
        .args(["dgst", "-sha512", "-sign"])
        .arg(&l.p256.key_path)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child
                .stdin
                .take()
                .unwrap()
                .write_all(CHALLENGE.as_bytes())?;
            child.wait_with_output()
        });
    let sig = match out {
        Ok(out) if out.status.success() => out.stdout,
        _ => {
            eprintln!("skipped: openssl is not available to sign with P-256/SHA-512");
            return;
        }
    };
    let a = answer(&l.p256.chain_pem, &sig, "ECDSA", "SHA512");
    assert!(check(&a, &l.root).is_ok());
    let a = answer(&l.p256.chain_pem, &sig, "ECDSA", "SHA256");
    assert_eq!(check(&a, &l.root), Err(DeviceAuthError::BadSignature));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn garbage_never_panics(
        sig in ".{0,200}",
        cert in prop::collection::vec(any::<u8>(), 0..600),
        armour in any::<bool>(),
        method in proptest::option::of(".{0,12}"),
        hash in proptest::option::of(".{0,12}"),
    ) {
        let body = if armour {
            format!(
                "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
                STANDARD.encode(&cert)
            )
            .into_bytes()
        } else {
            cert
        };
        let a = DeviceAuthAnswer {
            challenge_response: sig,
            sudi_cert: STANDARD.encode(&body),
            encryption_method: method,
            hash_method: hash,
        };
        // Anchors need not be real: no input may get far enough to panic on them.
        let anchor = CertificateDer::from(vec![0x30, 0x00]);
        let result = verify_device_auth(
            CHALLENGE,
            &a,
            &[anchor],
            SystemTime::UNIX_EPOCH,
            &ChainOptions::default(),
        );
        prop_assert!(result.is_err());
    }
}
