//! `ztpgate sudi verify` and `certs inspect --policy` with the SUDI danger knobs, driven through
//! the binary: the real ISR4321 `show platform sudi certificate sign nonce 1` output from
//! `../shared` (skipped with a printed reason when absent), its tampered variants, and a
//! lab-generated attestation signed in the test.

// Test helpers outside #[test] functions: a panic is the failure report.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{s, stdout, ztpgate};

use std::path::{Path, PathBuf};
use std::process::Output;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
use rustls_pki_types::PrivateKeyDer;
use sha2::{Digest, Sha256};
use ztpgate::pki::sudi::attest::signed_data;
use ztpgate::pki::{KeyKind, lab, load_certs_pem, load_key_pem};

/// After the ISR4321 SUDI expired (2024-11-15), before Cisco Root CA 2048 does (2029-05-14).
const AT: &str = "2025-06-01T00:00:00Z";

struct Real {
    dir: tempfile::TempDir,
    valid: PathBuf,
    invalid: PathBuf,
    cert: PathBuf,
    root: PathBuf,
    pin: String,
}

impl Real {
    fn load() -> Option<Self> {
        let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared");
        let fixtures = shared.join("fixtures/sudi-devices");
        let root = shared.join("certs/cisco-sudi-ca/crca2048.pem");
        if !fixtures.is_dir() || !root.is_file() {
            eprintln!(
                "skipped: {} (real Cisco SUDI material) is absent",
                shared.display()
            );
            return None;
        }
        let der = load_certs_pem(&root).unwrap().remove(0);
        Some(Self {
            dir: tempfile::tempdir().unwrap(),
            valid: fixtures.join("isr4321-show-platform-sudi-sign-nonce.txt"),
            invalid: fixtures.join("isr4321-show-platform-sudi-sign-invalid-dev-cert.txt"),
            cert: fixtures.join("isr4321-sudi-cert.pem"),
            pin: hex::encode(Sha256::digest(&der)),
            root,
        })
    }

    fn verify(&self, file: &Path, extra: &[&str]) -> Output {
        let mut args = vec![
            "sudi",
            "verify",
            s(file),
            "--anchors",
            s(&self.root),
            "--at",
            AT,
        ];
        args.extend_from_slice(extra);
        ztpgate(&args)
    }

    fn danger(&self) -> Vec<&str> {
        vec![
            "--danger-accept-sha1-legacy-sudi",
            "--pin-root",
            &self.pin,
            "--danger-ignore-idevid-not-after",
        ]
    }

    fn rewritten(&self, name: &str, f: impl Fn(&str) -> String) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, f(&std::fs::read_to_string(&self.valid).unwrap())).unwrap();
        path
    }
}

#[test]
fn real_isr4321_output_verifies_with_the_danger_flags() {
    let Some(r) = Real::load() else { return };
    let out = r.verify(&r.valid, &r.danger());
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("PID:         ISR4321/K9"), "{text}");
    assert!(text.contains("SN:          FDO184619XU"), "{text}");
    assert!(text.contains("nonce:       1"), "{text}");
    assert!(
        text.contains("SHA-1 legacy SUDI CA accepted under pinned root"),
        "{text}"
    );
    let mut json_args = r.danger();
    json_args.push("--json");
    let json: serde_json::Value =
        serde_json::from_str(&stdout(&r.verify(&r.valid, &json_args))).unwrap();
    assert_eq!(json["valid"], true);
    assert_eq!(json["chain"]["used_sha1_legacy"], true);
    assert_eq!(json["chain"]["expired_idevid"], true);
}

#[test]
fn real_output_without_danger_flags_names_the_reason() {
    let Some(r) = Real::load() else { return };
    let out = r.verify(&r.valid, &["--json"]);
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(json["signature"]["valid"], true);
    assert_eq!(json["chain"]["error"], "idevid_expired");
    let out = r.verify(&r.valid, &["--danger-ignore-idevid-not-after", "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(json["chain"]["error"], "sha1_legacy_not_allowed");
}

#[test]
fn invalid_device_certificate_and_tampered_nonce_exit_1() {
    let Some(r) = Real::load() else { return };
    let danger = r.danger();
    let out = r.verify(&r.invalid, &danger);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("signature:   INVALID"));
    let tampered = r.rewritten("tampered.txt", |t| {
        t.replace("sign nonce 1", "sign nonce 2")
    });
    assert_eq!(r.verify(&tampered, &danger).status.code(), Some(1));
    let mut expect_other = danger.clone();
    expect_other.extend(["--nonce", "5"]);
    let out = r.verify(&r.valid, &expect_other);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("not the expected 5"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn crlf_and_trailing_spaces_variant_verifies() {
    let Some(r) = Real::load() else { return };
    let crlf = r.rewritten("crlf.txt", |t| {
        t.lines().map(|l| format!("{l} \t \r\n")).collect()
    });
    let out = r.verify(&crlf, &r.danger());
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
}

#[test]
fn garbage_and_usage_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let garbage = dir.path().join("garbage.txt");
    std::fs::write(
        &garbage,
        "\u{0}\u{1}not an output-----BEGIN CERTIFICATE-----",
    )
    .unwrap();
    let out = ztpgate(&["sudi", "verify", s(&garbage), "--anchors", s(&garbage)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("garbage.txt"));
    let out = ztpgate(&["sudi", "verify", s(&dir.path().join("absent.txt"))]);
    assert_eq!(out.status.code(), Some(2));
    let out = ztpgate(&["sudi", "verify", s(&garbage), "--pin-root", "00"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn policy_supplies_anchors_and_danger_knobs() {
    let Some(r) = Real::load() else { return };
    let policy = r.dir.path().join("policy.toml");
    std::fs::write(
        &policy,
        format!(
            "name = \"sudi-test\"\n\n[[trust_anchors]]\nname = \"cisco\"\npaths = [{root:?}]\n\n[device_auth]\n\
             trust_anchors = [\"cisco\"]\ndanger_accept_sha1_legacy_sudi = true\n\
             danger_sha1_pinned_roots = [\"{pin}\"]\ndanger_ignore_idevid_not_after = true\n",
            root = s(&r.root),
            pin = r.pin,
        ),
    )
    .unwrap();
    let out = ztpgate(&[
        "sudi",
        "verify",
        s(&r.valid),
        "--policy",
        s(&policy),
        "--at",
        AT,
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        String::from_utf8_lossy(&out.stderr)
    );
    // certs inspect applies the same knobs to the bare ISR4321 certificate (ACT2 as intermediate).
    let bundle = r.rewritten("bundle.pem", |_| {
        let ca = r.root.with_file_name("ACT2SUDICA.pem");
        std::fs::read_to_string(&r.cert).unwrap() + "\n" + &std::fs::read_to_string(ca).unwrap()
    });
    let out = ztpgate(&[
        "certs",
        "inspect",
        s(&bundle),
        "--policy",
        s(&policy),
        "--at",
        AT,
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(json["verdict"]["status"], "valid_under_danger");
    assert!(
        json["verdict"]["explanation"]
            .as_str()
            .unwrap()
            .contains("IDevID past its notAfter")
    );
    let out = ztpgate(&[
        "certs",
        "inspect",
        s(&bundle),
        "--anchors",
        s(&r.root),
        "--at",
        AT,
    ]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn lab_generated_attestation_verifies_against_device_root() {
    let dir = tempfile::tempdir().unwrap();
    let pki = lab::init(dir.path(), false).unwrap();
    let dev =
        lab::issue_device(dir.path(), "C1111-8P", "FGL0000LAB1", KeyKind::Rsa2048, 365).unwrap();
    let paths = [&pki.device_root_cert, &pki.device_ca_cert, &dev.cert];
    let certs: Vec<_> = paths
        .iter()
        .map(|p| load_certs_pem(p).unwrap().remove(0))
        .collect();
    let PrivateKeyDer::Pkcs8(key) = load_key_pem(&dev.key).unwrap() else {
        panic!("lab keys are PKCS#8")
    };
    let pair = RsaKeyPair::from_pkcs8(key.secret_pkcs8_der()).unwrap();
    let mut sig = vec![0; pair.public_modulus_len()];
    let data = signed_data(Some(99), 1, &certs);
    pair.sign(&RSA_PKCS1_SHA256, &SystemRandom::new(), &data, &mut sig)
        .unwrap();
    let mut text = String::from("Router#show platform sudi certificate sign nonce 99\n");
    for p in paths {
        text.push_str(&std::fs::read_to_string(p).unwrap());
    }
    text.push_str(&format!(
        "Signature version: 1\nSignature:\n{}\nRouter#\n",
        hex::encode_upper(&sig)
    ));
    let file = dir.path().join("out.txt");
    std::fs::write(&file, text).unwrap();
    let root = s(&pki.device_root_cert);
    let out = ztpgate(&[
        "sudi",
        "verify",
        s(&file),
        "--anchors",
        root,
        "--nonce",
        "99",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(stdout(&out).contains("FGL0000LAB1"));
    let out = ztpgate(&["sudi", "verify", s(&file), "--anchors", s(&pki.ca_cert)]);
    assert_eq!(out.status.code(), Some(1));
}
