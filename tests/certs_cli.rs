//! `ztpgate certs init|device|inspect` driven through the binary in temp directories: file modes,
//! refusal to overwrite, the SUDI-style PrintableString serialNumber (checked with openssl when it
//! is installed), chain verdicts and exit codes, and the real ISR4321 SUDI certificate from
//! `../shared` when that material is present.

// Test helpers outside #[test] functions: a panic is the failure report.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{s, stdout, ztpgate};

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

/// A lab PKI with one RSA device certificate for ISR4321/K9 FDO21520TGH.
struct Lab {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
}

impl Lab {
    fn new() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("pki");
        let out = ztpgate(&["certs", "init", "--dir", s(&dir)]);
        assert!(out.status.success(), "{out:?}");
        let out = ztpgate(&[
            "certs",
            "device",
            "--dir",
            s(&dir),
            "--pid",
            "ISR4321/K9",
            "--sn",
            "FDO21520TGH",
        ]);
        assert!(out.status.success(), "{out:?}");
        Self { _tmp: tmp, dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    fn device(&self, ext: &str) -> PathBuf {
        self.dir
            .join(format!("devices/ISR4321_K9_FDO21520TGH.{ext}"))
    }
}

fn have_openssl() -> bool {
    let found = Command::new("openssl").arg("version").output().is_ok();
    if !found {
        eprintln!("skipping openssl cross-check: openssl is not installed");
    }
    found
}

#[test]
fn init_creates_pki_with_private_keys_0600() {
    let lab = Lab::new();
    assert_eq!(mode(&lab.dir), 0o700);
    for name in ["ca", "server", "admin", "device-root", "device-ca"] {
        assert_eq!(mode(&lab.path(&format!("{name}.key"))), 0o600, "{name}.key");
        assert!(lab.path(&format!("{name}.crt")).is_file(), "{name}.crt");
    }
    assert_eq!(mode(&lab.device("key")), 0o600);
}

#[test]
fn reinit_without_force_fails_and_keeps_the_pki() {
    let lab = Lab::new();
    let before = std::fs::read(lab.path("ca.crt")).unwrap();
    let out = ztpgate(&["certs", "init", "--dir", s(&lab.dir)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("already exists"));
    assert_eq!(std::fs::read(lab.path("ca.crt")).unwrap(), before);
    let out = ztpgate(&["certs", "init", "--dir", s(&lab.dir), "--force"]);
    assert!(out.status.success());
    assert_ne!(std::fs::read(lab.path("ca.crt")).unwrap(), before);
}

#[test]
fn device_serial_number_is_a_printable_string_per_openssl() {
    let lab = Lab::new();
    if !have_openssl() {
        return;
    }
    let out = Command::new("openssl")
        .args([
            "x509",
            "-noout",
            "-subject",
            "-nameopt",
            "multiline,show_type",
            "-in",
        ])
        .arg(lab.device("crt"))
        .output()
        .unwrap();
    let subject = stdout(&out);
    assert!(
        subject
            .contains("serialNumber              = PRINTABLESTRING:PID:ISR4321/K9 SN:FDO21520TGH"),
        "{subject}"
    );
    let out = Command::new("openssl")
        .arg("verify")
        .arg("-CAfile")
        .arg(lab.path("device-root.crt"))
        .arg("-untrusted")
        .arg(lab.path("device-ca.crt"))
        .arg(lab.device("crt"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stdout(&out));
}

#[test]
fn inspect_shows_identity_and_valid_chain_to_device_root() {
    let lab = Lab::new();
    let out = ztpgate(&[
        "certs",
        "inspect",
        s(&lab.device("chain.pem")),
        "--anchors",
        s(&lab.path("device-root.crt")),
    ]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("PID:           ISR4321/K9\n"), "{text}");
    assert!(text.contains("SN:            FDO21520TGH\n"), "{text}");
    assert!(text.contains("PrintableString"), "{text}");
    assert!(
        text.contains(
            "chain:         Valid (anchor: O=ztpgate lab, CN=ztpgate lab device root CA)"
        ),
        "{text}"
    );
}

#[test]
fn inspect_accepts_the_intermediate_alone_as_anchor() {
    let lab = Lab::new();
    let out = ztpgate(&[
        "certs",
        "inspect",
        s(&lab.device("crt")),
        "--anchors",
        s(&lab.path("device-ca.crt")),
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["verdict"]["status"], "valid");
    assert_eq!(
        json["verdict"]["anchor_subject"],
        "O=ztpgate lab, CN=ztpgate lab device CA"
    );
    assert_eq!(json["pid"], "ISR4321/K9");
    assert_eq!(json["serial_number"]["string_type"], "PrintableString");
}

#[test]
fn inspect_against_admin_ca_is_unknown_issuer() {
    let lab = Lab::new();
    let out = ztpgate(&[
        "certs",
        "inspect",
        s(&lab.device("chain.pem")),
        "--anchors",
        s(&lab.path("ca.crt")),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("chain:         UnknownIssuer"));
}

#[test]
fn inspect_in_the_far_future_is_expired() {
    let lab = Lab::new();
    let out = ztpgate(&[
        "certs",
        "inspect",
        s(&lab.device("chain.pem")),
        "--anchors",
        s(&lab.path("device-root.crt")),
        "--at",
        "2200-01-01T00:00:00Z",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(text.contains("chain:         Expired"), "{text}");
    assert!(
        text.contains("checked at:    2200-01-01T00:00:00Z"),
        "{text}"
    );
}

#[test]
fn inspect_without_anchors_is_not_valid() {
    let lab = Lab::new();
    let out = ztpgate(&["certs", "inspect", s(&lab.device("crt"))]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("NoAnchors"));
}

#[test]
fn inspect_of_unreadable_input_exits_2() {
    let lab = Lab::new();
    let missing = lab.path("nope.pem");
    assert_eq!(
        ztpgate(&["certs", "inspect", s(&missing)]).status.code(),
        Some(2)
    );
    let garbage = lab.path("garbage.pem");
    std::fs::write(&garbage, "not a certificate").unwrap();
    assert_eq!(
        ztpgate(&["certs", "inspect", s(&garbage)]).status.code(),
        Some(2)
    );
    let out = ztpgate(&[
        "certs",
        "inspect",
        s(&lab.device("crt")),
        "--anchors",
        s(&missing),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let out = ztpgate(&[
        "certs",
        "inspect",
        s(&lab.device("crt")),
        "--policy",
        s(&missing),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let out = ztpgate(&["certs", "inspect", s(&lab.device("crt")), "--at", "soon"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn device_command_validates_and_supports_p256_and_out_name() {
    let lab = Lab::new();
    let out = ztpgate(&[
        "certs",
        "device",
        "--dir",
        s(&lab.dir),
        "--pid",
        "C9300-24P",
        "--sn",
        "FOC1",
        "--key",
        "p256",
        "--days",
        "30",
        "--out",
        "spare",
    ]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(mode(&lab.path("devices/spare.key")), 0o600);
    let out = ztpgate(&[
        "certs",
        "inspect",
        s(&lab.path("devices/spare.chain.pem")),
        "--json",
    ]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["key"], "EC P-256");
    assert_eq!(json["sn"], "FOC1");
    let again = ztpgate(&[
        "certs",
        "device",
        "--dir",
        s(&lab.dir),
        "--pid",
        "ISR4321/K9",
        "--sn",
        "FDO21520TGH",
    ]);
    assert_eq!(
        again.status.code(),
        Some(2),
        "existing device files are not overwritten"
    );
    let bad = ztpgate(&[
        "certs",
        "device",
        "--dir",
        s(&lab.dir),
        "--pid",
        "ISR 4321",
        "--sn",
        "X",
    ]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("invalid PID"));
}

/// `<manifest>/../shared`, or `None` (with the skip reason printed) when the material is absent.
fn shared_sudi() -> Option<(PathBuf, PathBuf)> {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared");
    let anchors = shared.join("certs/cisco-sudi-ca");
    let cert = shared.join("fixtures/sudi-devices/isr4321-sudi-cert.pem");
    if anchors.is_dir() && cert.is_file() {
        Some((anchors, cert))
    } else {
        eprintln!(
            "skipping real SUDI checks: {} or {} is absent",
            anchors.display(),
            cert.display()
        );
        None
    }
}

#[test]
fn real_isr4321_sudi_is_parsed_and_its_expiry_explained() {
    let Some((anchors, cert)) = shared_sudi() else {
        return;
    };
    let out = ztpgate(&[
        "certs",
        "inspect",
        s(&cert),
        "--anchors",
        s(&anchors),
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["pid"], "ISR4321/K9");
    assert_eq!(json["sn"], "FDO184619XU");
    assert_eq!(json["serial_number"]["string_type"], "PrintableString");
    assert_eq!(json["issuer"], "O=Cisco, CN=ACT2 SUDI CA");
    assert_eq!(json["signature_algorithm"], "sha256WithRSAEncryption");
    // The leaf expired on 2024-11-15: checked now, that is the verdict.
    assert_eq!(json["verdict"]["status"], "expired");
    assert_eq!(json["verdict"]["not_after"], "2024-11-15T12:37:19Z");

    // Within its lifetime, with the ACT2 SUDI CA (not self-signed) as the anchor, it is valid.
    let out = ztpgate(&[
        "certs",
        "inspect",
        s(&cert),
        "--anchors",
        s(&anchors.join("ACT2SUDICA.pem")),
        "--at",
        "2020-01-01T00:00:00Z",
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).contains("Valid (anchor: O=Cisco, CN=ACT2 SUDI CA)"));
}

#[test]
fn real_sudi_chain_to_cisco_root_ca_2048_needs_sha1() {
    let Some((anchors, cert)) = shared_sudi() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let bundle = tmp.path().join("bundle.pem");
    // The fixture has no trailing newline; keep the PEM blocks on separate lines.
    let text = format!(
        "{}\n{}",
        std::fs::read_to_string(&cert).unwrap().trim_end(),
        std::fs::read_to_string(anchors.join("ACT2SUDICA.pem")).unwrap()
    );
    std::fs::write(&bundle, text).unwrap();
    let out = ztpgate(&[
        "certs",
        "inspect",
        s(&bundle),
        "--anchors",
        s(&anchors.join("crca2048.pem")),
        "--at",
        "2020-01-01T00:00:00Z",
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["intermediates"], 1);
    assert_eq!(json["verdict"]["status"], "unsupported_signature_algorithm");
    assert_eq!(json["verdict"]["algorithm"], "sha1WithRSAEncryption");
    let explanation = json["verdict"]["explanation"].as_str().unwrap();
    assert!(explanation.contains("ACT2 SUDI CA"), "{explanation}");
}
