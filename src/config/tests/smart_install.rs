//! Tests of the `[smart_install]` schema.

use super::*;

use crate::policy::access::{Action, KindSet, MessageKind, Selector};
use crate::policy::net::IpNet;

fn net(s: &str) -> IpNet {
    s.parse().unwrap()
}

fn rule(body: &str) -> String {
    format!("name = \"x\"\n[[smart_install.rules]]\nname = \"r\"\n{body}")
}

const RULE_BASE: &str = "action = \"allow\"\nfrom = [\"any\"]\nto = [\"any\"]\n";

#[test]
fn parses_addresses_hosts_and_patterns() {
    let p = valid(
        r#"name = "x"
[smart_install]
default_mode = "audit"
directors = ["127.0.0.1/32", "::1"]
client_networks = ["10.0.0.0/8", "2001:db8::/32"]
tftp_servers = ["192.0.2.5", "TFTP.lab.example"]
copy_patterns = ["COPY system:running-config tftp://{tftp}/*"]
[smart_install.checks]
url_hosts = "audit"
"#,
    );
    let si = &p.smart_install;
    assert_eq!(si.default_mode, Mode::Audit);
    assert_eq!(si.directors.0, vec![net("127.0.0.1/32"), net("::1/128")]);
    assert_eq!(si.client_networks.0.len(), 2);
    assert!(si.tftp_servers.contains_host("tftp.lab.example"));
    assert!(si.tftp_servers.contains_host("192.0.2.5"));
    assert_eq!(
        si.copy_patterns[0].source,
        "COPY system:running-config tftp://{tftp}/*"
    );
    assert_eq!(si.checks.url_hosts, Mode::Audit);
    assert_eq!(si.checks.copy_commands, Mode::Enforce);
}

#[test]
fn rejects_bad_cidr_on_the_element_span() {
    let e = only_error("name = \"x\"\n[smart_install]\ndirectors = [\"::1\", \"10.0.0.0/33\"]\n");
    assert_eq!((e.line, e.col), (3, 21));
    assert_eq!(e.key, "smart_install.directors[1]");
    assert_eq!(
        e.kind,
        ConfigErrorKind::Invalid("prefix length /33 exceeds /32".into())
    );
    assert_invalid(
        "name = \"x\"\n[smart_install]\nclient_networks = [\"10.0.0.1/8\"]\n",
        "smart_install.client_networks[0]",
        "host bits",
    );
    assert_invalid(
        "name = \"x\"\n[smart_install]\ntftp_servers = [\"bad host\"]\n",
        "smart_install.tftp_servers[0]",
        "not an address",
    );
}

#[test]
fn rejects_non_string_list_elements() {
    let e = only_error("name = \"x\"\n[smart_install]\ndirectors = [\"::1\", 5]\n");
    assert_eq!(e.key, "smart_install.directors[1]");
    assert_eq!(
        e.kind,
        ConfigErrorKind::WrongType {
            expected: "a string"
        }
    );
}

#[test]
fn validates_copy_patterns() {
    let key = "smart_install.copy_patterns[0]";
    let check = |pattern: &str, needle: &str| {
        let text = format!("name = \"x\"\n[smart_install]\ncopy_patterns = [{pattern:?}]\n");
        assert_invalid(&text, key, needle);
    };
    check("", "must start with `copy `");
    check("show running-config", "must start with `copy `");
    check("copy", "must start with `copy `");
    check("copyx a b", "must start with `copy `");
    check("copy a tftp://{host}/x", "unknown placeholder `{host}`");
    check("copy a tftp://{tftp/x", "unterminated");
    check("copy a tftp://tftp}/x", "unmatched `}`");
    valid(
        "name = \"x\"\n[smart_install]\ncopy_patterns = [\"copy\\tflash:a tftp://{tftp}/{tftp}\"]\n",
    );
}

#[test]
fn parses_a_complete_rule() {
    let p = valid(&rule(
        "action = \"deny\"\nfrom = [\"directors\", \"tftp_servers\"]\nto = [\"client_networks\"]\n\
         kinds = [\"probe\", \"config-push\"]\nmode = \"audit\"\n",
    ));
    let r = &p.smart_install.rules[0];
    assert_eq!(r.name, "r");
    assert_eq!(r.action, Action::Deny);
    assert_eq!(r.from, vec![Selector::Directors, Selector::TftpServers]);
    assert_eq!(r.to, vec![Selector::ClientNetworks]);
    assert_eq!(
        r.kinds,
        KindSet::default()
            .with(MessageKind::Probe)
            .with(MessageKind::ConfigPush)
    );
    assert_eq!(r.mode, Mode::Audit);
}

#[test]
fn merges_consecutive_prefixes_into_one_selector() {
    let p = valid(&rule(
        "action = \"allow\"\nfrom = [\"10.0.0.0/8\", \"192.0.2.1\", \"any\", \"::1\"]\nto = [\"any\"]\n\
         kinds = [\"probe\"]\n",
    ));
    let r = &p.smart_install.rules[0];
    assert_eq!(r.mode, Mode::Enforce);
    match &r.from[..] {
        [Selector::Nets(a), Selector::Any, Selector::Nets(b)] => {
            assert_eq!(a.0, vec![net("10.0.0.0/8"), net("192.0.2.1/32")]);
            assert_eq!(b.0, vec![net("::1/128")]);
        }
        other => panic!("unexpected selectors {other:?}"),
    }
}

#[test]
fn all_kinds_excludes_execute_unless_named() {
    let p = valid(&rule(&format!("{RULE_BASE}kinds = [\"all\"]\n")));
    let kinds = p.smart_install.rules[0].kinds;
    assert!(!kinds.contains(MessageKind::Execute));
    for kind in MessageKind::ALL {
        if kind != MessageKind::Execute {
            assert!(kinds.contains(kind), "{kind}");
        }
    }
    let p = valid(&rule(&format!(
        "{RULE_BASE}kinds = [\"all\", \"execute\"]\n"
    )));
    assert!(
        p.smart_install.rules[0]
            .kinds
            .contains(MessageKind::Execute)
    );
}

#[test]
fn reports_every_missing_rule_key() {
    let e = errors("name = \"x\"\n[[smart_install.rules]]\nmode = \"audit\"\n");
    let keys: Vec<_> = e.iter().map(|e| e.key.as_str()).collect();
    assert_eq!(
        keys,
        vec![
            "smart_install.rules[0].name",
            "smart_install.rules[0].action",
            "smart_install.rules[0].from",
            "smart_install.rules[0].to",
            "smart_install.rules[0].kinds",
        ]
    );
    assert!(e.iter().all(|e| e.kind == ConfigErrorKind::MissingKey));
    assert!(e.iter().all(|e| (e.line, e.col) == (2, 1)));
}

#[test]
fn rejects_bad_rule_values() {
    let key = |k: &str| format!("smart_install.rules[0].{k}");
    assert_invalid(
        &rule("action = \"permit\"\nfrom = [\"any\"]\nto = [\"any\"]\nkinds = [\"probe\"]\n"),
        &key("action"),
        "expected one of `allow`, `deny`",
    );
    assert_invalid(
        &rule(&format!("{RULE_BASE}kinds = []\n")),
        &key("kinds"),
        "must not be empty",
    );
    assert_invalid(
        &rule(&format!("{RULE_BASE}kinds = [\"probes\"]\n")),
        &key("kinds[0]"),
        "unknown message kind",
    );
    assert_invalid(
        &rule("action = \"allow\"\nfrom = [\"director\"]\nto = [\"any\"]\nkinds = [\"probe\"]\n"),
        &key("from[0]"),
        "is not `any`, `directors`",
    );
    assert_invalid(
        &rule("action = \"allow\"\nfrom = [\"any\"]\nto = []\nkinds = [\"probe\"]\n"),
        &key("to"),
        "must not be empty",
    );
    assert_invalid(
        &rule(&format!("{RULE_BASE}kinds = [\"probe\"]\nmode = \"log\"\n")),
        &key("mode"),
        "unknown value `log`",
    );
    assert_invalid(
        &rule(&format!(
            "{RULE_BASE}kinds = [\"probe\"]\nmode = \"audit\"\n"
        )),
        &key("mode"),
        "audit mode applies to deny rules",
    );
}

#[test]
fn rejects_duplicate_rule_names_at_the_second() {
    let one = format!("[[smart_install.rules]]\nname = \"r\"\n{RULE_BASE}kinds = [\"probe\"]\n");
    let text = format!("name = \"x\"\n{one}{one}");
    let e = only_error(&text);
    assert_eq!((e.line, e.col), (9, 8));
    assert_eq!(e.key, "smart_install.rules[1].name");
    assert_eq!(
        e.kind,
        ConfigErrorKind::Invalid("duplicate name `r`".into())
    );
}
