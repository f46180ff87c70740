//! Rule files: the shipped ones load and cover what they must; every kind of mistake is an error
//! with its line and column.

use super::*;
use crate::rules::{Event, EventKind, Value};

fn errors(text: &str) -> Vec<String> {
    rules_from_toml("r.toml", text)
        .unwrap_err()
        .0
        .iter()
        .map(ToString::to_string)
        .collect()
}

const GOOD: &str = r#"
[[rule]]
id = "push-1"
title = "A push"
severity = "high"
unverified_severity = "low"
event = "smart_install.message"
references = ["ref"]
[rule.match]
kind = "config_push"
source = ["non_director", "unknown"]
urls = { not = { contains = "/random_file" } }
payload = { at = 0, hex = "0000 0001" }
bytes = { gt = 16 }
"#;

#[test]
fn a_good_rule_parses_with_every_condition() {
    let rules = rules_from_toml("r.toml", GOOD).unwrap();
    let r = &rules[0];
    assert_eq!(r.id, "push-1");
    assert_eq!(r.conditions.len(), 5);
    let event = Event::new(EventKind::SmartInstallMessage)
        .with("kind", "config_push")
        .with("source", "unknown")
        .with("urls", vec!["tftp://h/x.conf".to_owned()])
        .with("payload", Value::Bytes(vec![0, 0, 0, 1, 9]))
        .with("bytes", 312u32);
    assert!(r.matches(&event));
    let random = event.with("urls", vec!["tftp://h/random_file".to_owned()]);
    assert!(!r.matches(&random));
}

#[test]
fn mistakes_are_reported_with_their_position() {
    let e = errors(&GOOD.replace("severity = \"high\"", "severity = \"severe\""));
    assert!(e[0].starts_with("r.toml:5:"), "{e:?}");
    assert!(e[0].contains("unknown severity"), "{e:?}");

    let e = errors(&GOOD.replace("kind = \"config_push\"", "knd = \"config_push\""));
    assert!(e[0].contains("has no field \"knd\""), "{e:?}");
    assert!(e[0].starts_with("r.toml:10:"), "{e:?}");

    let e = errors(&GOOD.replace("bytes = { gt = 16 }", "bytes = { prefix = \"x\" }"));
    assert!(e[0].contains("does not apply to a integer field"), "{e:?}");

    let e = errors(&GOOD.replace(
        "unverified_severity = \"low\"",
        "unverified_severity = \"medium\"",
    ));
    assert!(e[0].contains("at most low"), "{e:?}");

    let e = errors(&GOOD.replace(
        "severity = \"high\"\nunverified",
        "severity = \"low\"\nunverified",
    ));
    assert!(e[0].contains("lower than the rule's severity"), "{e:?}");

    let e = errors(&GOOD.replace("id = \"push-1\"", "id = \"Push 1\""));
    assert!(e[0].contains("lowercase"), "{e:?}");

    let e = errors(&GOOD.replace("references = [\"ref\"]", "references = []"));
    assert!(e[0].contains("at least one reference"), "{e:?}");

    let e = errors(&GOOD.replace("event = \"smart_install.message\"", "event = \"smb\""));
    assert!(e[0].contains("unknown event \"smb\""), "{e:?}");

    let e = errors(&GOOD.replace("hex = \"0000 0001\"", "hex = \"0x1\""));
    assert!(e[0].contains("hex"), "{e:?}");

    let e = errors(&GOOD.replace("title = \"A push\"", "title = \"A push\"\ncolour = 1"));
    assert!(e[0].contains("unknown key"), "{e:?}");

    let e = errors("[[rule]]\nid = \"x\"\n");
    assert!(e.iter().any(|m| m.contains("title")), "{e:?}");

    let e = errors("name = 1\n");
    assert!(e.iter().any(|m| m.contains("no [[rule]]")), "{e:?}");
}

#[test]
fn duplicate_ids_across_files_are_refused() {
    let err = rule_set([("a.toml", GOOD), ("b.toml", GOOD)]).unwrap_err();
    let text = err.0[0].to_string();
    assert!(
        text.contains("push-1") && text.contains("defined twice"),
        "{text}"
    );
}

#[test]
fn the_shipped_rules_load_and_cover_the_signatures_and_their_gaps() {
    let set = builtin().unwrap();
    for id in [
        "si-probe",
        "si-update-ios",
        "si-change-config",
        "si-get-config",
        "si-cve-2018-0171-poc",
        "si-random-file-rrq",
        "si-execute",
        "si-reply-to-non-director",
        "si-length-mismatch",
        "si-tlv-overflow",
        "si-non-director",
        "si-config-exfiltration",
        "cleartext-tftp-transfer",
        "cleartext-http-transfer",
        "cleartext-ftp-transfer",
        "pnp-plain-http",
        "pnp-udi-change",
    ] {
        let rule = set.get(id).unwrap_or_else(|| panic!("no rule {id}"));
        assert!(!rule.references.is_empty(), "{id}");
    }
    assert!(is_rule_file(crate::rules::builtin::FILES[0].1));
    assert!(!is_rule_file("name = \"policy\"\n"));
}

#[test]
fn the_shipped_directory_matches_the_embedded_copy() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    let from_disk = load_rules_dir(&dir).unwrap();
    for (name, text) in crate::rules::builtin::FILES {
        let on_disk = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(name));
        assert_eq!(on_disk.unwrap(), *text, "{name}");
    }
    let embedded = builtin().unwrap();
    let ids = |s: &RuleSet| s.rules().iter().map(|r| r.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&from_disk), ids(&embedded));
}
