//! Tests of the `[device_auth]` schema.

use super::*;

const ANCHORS: &str = "name = \"x\"\n[[trust_anchors]]\nname = \"sudi\"\npaths = [\"ca.pem\"]\n";

fn auth(body: &str) -> String {
    format!("{ANCHORS}[device_auth]\n{body}")
}

const PIN: &str = "00112233445566778899aabbccddeeff00112233445566778899AABBCCDDEEFF";

#[test]
fn parses_a_complete_section() {
    let p = valid(&auth(
        r#"mode = "audit"
trust_anchors = ["sudi"]
require_certificate = false
udi_must_match_certificate = false
allow_serials = ["foc1234*"]
deny_serials = ["FOC9999X0AB"]
allow_pids = ["c9300-24p", "WS-C2960X-*"]
deny_pids = ["*"]
danger_ignore_idevid_not_after = true
"#,
    ));
    let a = &p.device_auth;
    assert_eq!(a.mode, Mode::Audit);
    assert_eq!(a.trust_anchors, vec!["sudi".to_owned()]);
    assert_eq!(a.anchor_sets[0].name, "sudi");
    assert!(!a.require_certificate);
    assert!(!a.udi_must_match_certificate);
    assert_eq!(a.allow_serials[0].source, "FOC1234*");
    assert_eq!(a.allow_pids[0].source, "C9300-24P");
    assert_eq!(a.allow_pids[1].source, "WS-C2960X-*");
    assert_eq!(a.deny_pids[0].source, "*");
    assert!(a.danger_accept_sha1_legacy_sudi.is_empty());
    assert!(a.danger_ignore_idevid_not_after);
}

#[test]
fn trust_anchor_references_must_name_a_set() {
    assert_invalid(
        &auth("trust_anchors = [\"sudi\", \"cisco\"]\n"),
        "device_auth.trust_anchors[1]",
        "no [[trust_anchors]] set is named `cisco`",
    );
    // Sets declared after the section count too.
    valid(
        "name = \"x\"\n[device_auth]\ntrust_anchors = [\"late\"]\n[[trust_anchors]]\nname = \"late\"\npaths = [\"a\"]\n",
    );
}

#[test]
fn validates_id_patterns() {
    let key = "device_auth.allow_pids[0]";
    let check = |pattern: &str, needle: &str| {
        assert_invalid(&auth(&format!("allow_pids = [{pattern:?}]\n")), key, needle);
    };
    check("", "must not be empty");
    check("C9300 24P", "may only contain");
    check("C*300", "may only contain");
    check("C9300**", "may only contain");
    check(&"A".repeat(65), "longer than 64");
    valid(&auth(&format!("allow_pids = [{:?}]\n", "A".repeat(64))));
    valid(&auth("deny_serials = [\"a/b.c_d-e*\"]\n"));
}

#[test]
fn sha1_legacy_knob_needs_pins_and_pins_need_the_knob() {
    let p = valid(&auth(&format!(
        "danger_accept_sha1_legacy_sudi = true\ndanger_sha1_pinned_roots = [\"{PIN}\", \"{}\"]\n",
        PIN.as_bytes()
            .chunks(2)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect::<Vec<_>>()
            .join(":")
    )));
    let pins = &p.device_auth.danger_accept_sha1_legacy_sudi;
    assert_eq!(pins.len(), 2);
    assert_eq!(pins[0], pins[1]);
    assert_eq!(pins[0][0..2], [0x00, 0x11]);
    assert_eq!(pins[0][31], 0xff);

    let e = only_error(&auth("danger_accept_sha1_legacy_sudi = true\n"));
    assert_eq!(e.key, "device_auth.danger_sha1_pinned_roots");
    assert_eq!(e.kind, ConfigErrorKind::MissingKey);
    assert_invalid(
        &auth("danger_accept_sha1_legacy_sudi = true\ndanger_sha1_pinned_roots = []\n"),
        "device_auth.danger_sha1_pinned_roots",
        "at least one pinned root",
    );
    assert_invalid(
        &auth(&format!("danger_sha1_pinned_roots = [\"{PIN}\"]\n")),
        "device_auth.danger_sha1_pinned_roots",
        "has no effect",
    );
    assert_invalid(
        &auth("danger_accept_sha1_legacy_sudi = false\ndanger_sha1_pinned_roots = []\n"),
        "device_auth.danger_sha1_pinned_roots",
        "has no effect",
    );
    assert_invalid(
        &auth("danger_accept_sha1_legacy_sudi = true\ndanger_sha1_pinned_roots = [\"abcd\"]\n"),
        "device_auth.danger_sha1_pinned_roots[0]",
        "64 hex digits",
    );
    // A mistyped knob is one error, not two.
    let e = only_error(&auth(&format!(
        "danger_accept_sha1_legacy_sudi = \"yes\"\ndanger_sha1_pinned_roots = [\"{PIN}\"]\n"
    )));
    assert_eq!(e.key, "device_auth.danger_accept_sha1_legacy_sudi");
}

#[test]
fn rejects_wrong_types_and_unknown_keys() {
    let e = errors(&auth(
        "require_certificate = \"yes\"\nrequire_certificates = true\n",
    ));
    let summary: Vec<_> = e.iter().map(|e| (e.key.as_str(), e.kind.clone())).collect();
    assert_eq!(
        summary,
        vec![
            (
                "device_auth.require_certificate",
                ConfigErrorKind::WrongType {
                    expected: "a boolean"
                }
            ),
            (
                "device_auth.require_certificates",
                ConfigErrorKind::UnknownKey
            ),
        ]
    );
}

#[test]
fn parses_authentication_methods_and_checks_them_against_the_certificate_requirement() {
    let p = valid(
        "name = \"x\"\n[device_auth]\nrequire_certificate = false\n\
         methods = [\"device-auth\", \"sudi-cli\"]\nmethods_required = \"all\"\n",
    );
    use crate::policy::auth::{AuthMethod, MethodsRequired};
    assert_eq!(
        p.device_auth.methods,
        vec![AuthMethod::DeviceAuth, AuthMethod::SudiCli]
    );
    assert_eq!(p.device_auth.methods_required, MethodsRequired::All);
    assert_eq!(
        p.device_auth.proofs_needed(true),
        vec![AuthMethod::DeviceAuth, AuthMethod::SudiCli]
    );
    assert_invalid(
        "name = \"x\"\n[device_auth]\nmethods = [\"device-auth\"]\n",
        "device_auth.methods",
        "require_certificate = true needs tls-certificate",
    );
    assert_invalid(
        "name = \"x\"\n[device_auth]\nmethods = [\"telepathy\"]\n",
        "device_auth.methods[0]",
        "unknown value `telepathy`",
    );
    // Any: a verified certificate is enough when it is one of the methods.
    let any =
        valid("name = \"x\"\n[device_auth]\nmethods = [\"tls-certificate\", \"device-auth\"]\n");
    assert!(any.device_auth.proofs_needed(true).is_empty());
    assert_eq!(
        any.device_auth.proofs_needed(false),
        vec![AuthMethod::DeviceAuth]
    );
}

#[test]
fn parses_smi_proxy_serials_and_defaults_to_none() {
    let p = valid(&auth("smi_proxies = [\"proxy1\", \"ZTPGATE-*\"]\n"));
    let sources: Vec<&str> = p
        .device_auth
        .smi_proxies
        .iter()
        .map(|p| p.source.as_str())
        .collect();
    assert_eq!(sources, ["PROXY1", "ZTPGATE-*"]);
    assert!(valid(&auth("")).device_auth.smi_proxies.is_empty());
    assert_invalid(
        &auth("smi_proxies = [\"bad pattern\"]\n"),
        "device_auth.smi_proxies[0]",
        "may only contain",
    );
}
