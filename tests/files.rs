//! The HTTPS file server end to end, driven by the real `curl`: per-device grant URLs, Range and
//! resume, checksums in headers, and refusals — forged, expired, another device's certificate,
//! symlink escapes — each audited.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::Duration;

use common::{BIN, Gateway, have_curl, succeeded};
use sha2::{Digest, Sha256};

const DEVICE: &str = "FOC1234X0AB";

/// A gateway and its file server.
struct Files {
    gw: Gateway,
    port: String,
}

impl Files {
    fn start() -> Self {
        let mut gw = Gateway::start("");
        let port = gw.port("file server");
        Self { gw, port }
    }

    fn state(&self) -> PathBuf {
        self.gw.state()
    }

    fn put(&self, name: &str, bytes: &[u8]) {
        let path = self.state().join("files").join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }

    fn grant(&self, device: &str, path: &str, ttl: &str) -> String {
        let out = Command::new(BIN)
            .args(["files", "grant", "--config"])
            .arg(&self.gw.config)
            .args(["--device", device, "--path", path, "--ttl", ttl, "--base"])
            .arg(format!("https://localhost:{}", self.port))
            .output()
            .unwrap();
        succeeded(&out).trim().to_owned()
    }

    /// Runs curl against a full URL; returns (http status or 0 on failure, headers, body).
    fn curl(&self, url: &str, extra: &[&str]) -> (u16, String, Vec<u8>) {
        let headers = self.gw.dir.path().join("headers.txt");
        let body = self.gw.dir.path().join("body.bin");
        let _ = std::fs::remove_file(&body);
        let out: Output = curl_command(self)
            .arg("--path-as-is")
            .arg("-D")
            .arg(&headers)
            .arg("-o")
            .arg(&body)
            .args(["-w", "%{http_code}"])
            .args(extra)
            .arg(url)
            .output()
            .unwrap();
        let code = String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .unwrap_or(0);
        (
            code,
            std::fs::read_to_string(&headers).unwrap_or_default(),
            std::fs::read(&body).unwrap_or_default(),
        )
    }

    fn device_cert(&self, sn: &str) -> (String, String) {
        self.gw.device_cert("C9300-24T", sn)
    }

    fn audit_rules(&self) -> Vec<String> {
        self.gw
            .audit()
            .into_iter()
            .map(|(verdict, rule, _)| format!("{verdict}:{rule}"))
            .collect()
    }
}

/// `curl` trusting the gateway CA, with localhost resolved to the loopback listener.
fn curl_command(f: &Files) -> Command {
    let mut cmd = Command::new("curl");
    cmd.args(["-sS", "--max-time", "20", "--cacert"])
        .arg(f.state().join("pki/ca.crt"))
        .arg("--resolve")
        .arg(format!("localhost:{}:127.0.0.1", f.port));
    cmd
}

fn image() -> Vec<u8> {
    (0..300_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect()
}

fn header<'a>(headers: &'a str, name: &str) -> Option<&'a str> {
    headers.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

#[test]
fn delivers_granted_files_with_checksums_ranges_and_resume() {
    if !have_curl() {
        return;
    }
    let gw = Files::start();
    let data = image();
    gw.put("images/c9300.bin", &data);
    let url = gw.grant(DEVICE, "images/c9300.bin", "10m");
    assert!(url.contains(&format!("/files/{DEVICE}/")), "{url}");

    let (code, headers, body) = gw.curl(&url, &[]);
    assert_eq!(code, 200, "{headers}");
    assert_eq!(body, data);
    let sha = hex::encode(Sha256::digest(&data));
    assert_eq!(header(&headers, "x-checksum-sha256"), Some(sha.as_str()));
    assert_eq!(
        header(&headers, "etag"),
        Some(format!("\"{sha}\"").as_str())
    );
    assert_eq!(header(&headers, "x-checksum-md5").map(str::len), Some(32));
    assert_eq!(header(&headers, "accept-ranges"), Some("bytes"));

    let (code, headers, body) = gw.curl(&url, &["-r", "100-199"]);
    assert_eq!(code, 206);
    assert_eq!(body, &data[100..200]);
    assert_eq!(
        header(&headers, "content-range"),
        Some("bytes 100-199/300000")
    );

    let (code, _, _) = gw.curl(&url, &["-r", "300000-"]);
    assert_eq!(code, 416);

    // Resume: curl continues a partial download where it stopped.
    let partial = gw.gw.dir.path().join("partial.bin");
    std::fs::write(&partial, &data[..123_456]).unwrap();
    let out = curl_command(&gw)
        .args(["-C", "-", "-o"])
        .arg(&partial)
        .arg(&url)
        .output()
        .unwrap();
    succeeded(&out);
    assert_eq!(std::fs::read(&partial).unwrap(), data);

    // A conditional request for the same version is answered without the body.
    let etag = format!("If-None-Match: \"{sha}\"");
    let (code, _, body) = gw.curl(&url, &["-H", &etag]);
    assert_eq!((code, body.len()), (304, 0));

    let rules = gw.audit_rules();
    assert!(
        rules.iter().filter(|r| *r == "allow:file-grant").count() >= 5,
        "{rules:?}"
    );
}

#[test]
fn refuses_forged_expired_foreign_and_escaping_requests_and_audits_them() {
    if !have_curl() {
        return;
    }
    let gw = Files::start();
    gw.put("configs/FOC1234X0AB.cfg", b"hostname sw1\n");
    gw.put("configs/FOC9999X0ZZ.cfg", b"hostname sw2\n");
    let url = gw.grant(DEVICE, "configs/FOC1234X0AB.cfg", "10m");

    // Another device's file through this device's grant: the signature no longer matches.
    let forged = url.replace("FOC1234X0AB.cfg", "FOC9999X0ZZ.cfg");
    assert_eq!(gw.curl(&forged, &[]).0, 403);
    // Path traversal never reaches the file system.
    let traversal = url.replace("configs/FOC1234X0AB.cfg", "configs/../../pki/ca.key");
    assert_eq!(gw.curl(&traversal, &[]).0, 403);

    // The device's own certificate is accepted; another device's certificate is refused.
    let (cert, key) = gw.device_cert(DEVICE);
    let (code, _, body) = gw.curl(&url, &["--cert", &cert, "--key", &key]);
    assert_eq!((code, body.as_slice()), (200, b"hostname sw1\n".as_slice()));
    let (cert, key) = gw.device_cert("FOC9999X0ZZ");
    assert_eq!(gw.curl(&url, &["--cert", &cert, "--key", &key]).0, 403);

    // A certificate from outside the device trust anchors fails the TLS handshake.
    let pki = gw.state().join("pki");
    let (admin_cert, admin_key) = (pki.join("admin.crt"), pki.join("admin.key"));
    let admin = [
        "--cert",
        admin_cert.to_str().unwrap(),
        "--key",
        admin_key.to_str().unwrap(),
    ];
    assert_eq!(gw.curl(&url, &admin).0, 0);

    // A symlink out of the file root is not followed.
    std::os::unix::fs::symlink(pki.join("ca.key"), gw.state().join("files/escape.key")).unwrap();
    let escape = gw.grant(DEVICE, "escape.key", "10m");
    assert_eq!(gw.curl(&escape, &[]).0, 404);

    // Expired grants are refused.
    let short = gw.grant(DEVICE, "configs/FOC1234X0AB.cfg", "1s");
    std::thread::sleep(Duration::from_millis(2_100));
    assert_eq!(gw.curl(&short, &[]).0, 403);

    let rules = gw.audit_rules();
    for rule in [
        "deny:file-grant-signature",
        "deny:file-grant-malformed",
        "deny:file-grant-identity",
        "deny:file-not-found",
        "deny:file-grant-expired",
        "allow:file-grant",
    ] {
        assert!(
            rules.iter().any(|r| r == rule),
            "{rule} missing from {rules:?}"
        );
    }
    let verify = Command::new(BIN)
        .args(["audit", "verify"])
        .arg(gw.state().join("audit.jsonl"))
        .output()
        .unwrap();
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stdout)
    );
}
