//! Tests of the `[image_delivery]` schema.

use super::*;

use crate::policy::delivery::Scheme;

fn delivery(body: &str) -> String {
    format!("name = \"x\"\n[image_delivery]\n{body}")
}

fn legacy(body: &str) -> String {
    format!("name = \"x\"\n[[image_delivery.legacy_tftp]]\nname = \"l\"\n{body}")
}

#[test]
fn parses_a_complete_section() {
    let p = valid(&delivery(
        r#"mode = "audit"
schemes = ["https", "sftp", "scp"]
allowed_hosts = ["images.example.net", "192.0.2.10", "2001:db8::/64"]
require_checksum = false
rewrite_cleartext_to = "https://127.0.0.1:8443/cache"
[[image_delivery.legacy_tftp]]
name = "legacy-2960"
networks = ["10.1.0.0/16", "10.2.0.0/16"]
server = "10.0.0.5"
mode = "audit"
"#,
    ));
    let d = &p.image_delivery;
    assert_eq!(d.mode, Mode::Audit);
    assert_eq!(d.schemes, vec![Scheme::Https, Scheme::Sftp, Scheme::Scp]);
    assert!(d.allowed_hosts.contains_host("IMAGES.example.net"));
    assert!(d.allowed_hosts.contains_host("2001:db8::7"));
    assert!(!d.require_checksum);
    assert_eq!(
        d.rewrite_cleartext_to.as_deref(),
        Some("https://127.0.0.1:8443/cache")
    );
    let l = &d.legacy_tftp[0];
    assert_eq!(l.name, "legacy-2960");
    assert_eq!(l.networks.0.len(), 2);
    assert!(l.server.contains_host("10.0.0.5"));
    assert_eq!(l.mode, Mode::Audit);
}

#[test]
fn rejects_unknown_schemes_and_bad_hosts() {
    assert_invalid(
        &delivery("schemes = [\"https\", \"gopher\"]\n"),
        "image_delivery.schemes[1]",
        "unknown value `gopher`",
    );
    assert_invalid(
        &delivery("allowed_hosts = [\"-bad-.example\"]\n"),
        "image_delivery.allowed_hosts[0]",
        "not an address",
    );
}

#[test]
fn rewrite_target_must_be_https() {
    let key = "image_delivery.rewrite_cleartext_to";
    for bad in [
        "http://cache",
        "https://",
        "https:///cache",
        "ftp://x",
        "https://a b",
    ] {
        let e = only_error(&delivery(&format!("rewrite_cleartext_to = {bad:?}\n")));
        assert_eq!(e.key, key, "{bad}");
        assert!(matches!(e.kind, ConfigErrorKind::Invalid(_)), "{bad}");
    }
    valid(&delivery(
        "rewrite_cleartext_to = \"HTTPS://cache.example/x\"\n",
    ));
}

#[test]
fn legacy_exceptions_need_networks_and_one_server() {
    let key = |k: &str| format!("image_delivery.legacy_tftp[0].{k}");
    let e = errors(&legacy(""));
    let keys: Vec<_> = e.iter().map(|e| e.key.clone()).collect();
    assert_eq!(keys, vec![key("networks"), key("server")]);
    assert_invalid(
        &legacy("networks = []\nserver = \"10.0.0.5\"\n"),
        &key("networks"),
        "must not be empty",
    );
    assert_invalid(
        &legacy("networks = [\"10.0.0.0/8\"]\nserver = \"10.0.0.0/24\"\n"),
        &key("server"),
        "single address",
    );
    assert_invalid(
        &legacy("networks = [\"10.0.0.0/8\"]\nserver = \"not a host\"\n"),
        &key("server"),
        "not an address",
    );
    let e = only_error(&legacy(
        "networks = [\"10.0.0.0/8\"]\nserver = [\"10.0.0.5\"]\n",
    ));
    assert_eq!(
        e.kind,
        ConfigErrorKind::WrongType {
            expected: "a string"
        }
    );
    let p = valid(&legacy(
        "networks = [\"10.0.0.0/8\"]\nserver = \"tftp.example\"\n",
    ));
    assert!(
        p.image_delivery.legacy_tftp[0]
            .server
            .contains_host("TFTP.example")
    );
}

#[test]
fn rejects_duplicate_exception_names() {
    let one = "[[image_delivery.legacy_tftp]]\nname = \"l\"\nnetworks = [\"10.0.0.0/8\"]\nserver = \"10.0.0.5\"\n";
    let e = only_error(&format!("name = \"x\"\n{one}{one}"));
    assert_eq!(
        (e.line, e.key.as_str()),
        (7, "image_delivery.legacy_tftp[1].name")
    );
}
