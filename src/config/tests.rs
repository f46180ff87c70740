//! Unit tests of configuration loading: the document walker (positions, key paths, every error
//! kind, file order) here; each policy section and the gateway schema in `tests/`.

mod device_auth;
mod director;
mod gateway;
mod image_delivery;
mod join_window;
mod pnp;
mod smart_install;
mod smi_proxy;

use std::path::Path;

use crate::config::{ConfigError, ConfigErrorKind, ConfigErrors, policy_from_toml};
use crate::policy::{Mode, Policy};

/// Parses a policy file named `p.toml` in `/etc/ztpgate/policies`, without a data directory.
fn policy(text: &str) -> Result<Policy, ConfigErrors> {
    policy_from_toml("p.toml", text, Path::new("/etc/ztpgate/policies"), None)
}

/// Parses `text`, which must be valid.
fn valid(text: &str) -> Policy {
    match policy(text) {
        Ok(p) => p,
        Err(e) => panic!("unexpected errors:\n{e}"),
    }
}

/// The errors for `text`, which must be invalid.
fn errors(text: &str) -> Vec<ConfigError> {
    match policy(text) {
        Ok(_) => panic!("expected errors for:\n{text}"),
        Err(e) => e.0,
    }
}

/// `(line, col, key)` of every error.
fn positions(text: &str) -> Vec<(usize, usize, String)> {
    errors(text)
        .into_iter()
        .map(|e| (e.line, e.col, e.key))
        .collect()
}

/// The single error for `text`.
fn only_error(text: &str) -> ConfigError {
    let mut errs = errors(text);
    assert_eq!(errs.len(), 1, "expected one error, got {errs:#?}");
    errs.remove(0)
}

/// Asserts that the single error for `text` is `Invalid` at `key` and its message contains
/// `needle`.
fn assert_invalid(text: &str, key: &str, needle: &str) {
    let e = only_error(text);
    assert_eq!(e.key, key, "{e}");
    match &e.kind {
        ConfigErrorKind::Invalid(msg) => assert!(msg.contains(needle), "{e}"),
        other => panic!("expected Invalid, got {other:?} ({e})"),
    }
}

#[test]
fn minimal_policy_takes_strict_defaults() {
    let p = valid("name = \"min\"\n");
    assert_eq!(p.name, "min");
    assert_eq!(p.description, "");
    assert_eq!(p.smart_install.default_mode, Mode::Enforce);
    assert!(p.smart_install.directors.is_empty());
    assert!(p.smart_install.rules.is_empty());
    assert!(p.join_window.gate_pnp);
    assert!(p.join_window.windows.is_empty());
    assert!(p.device_auth.require_certificate);
    assert!(p.device_auth.udi_must_match_certificate);
    assert_eq!(
        p.image_delivery.schemes,
        vec![crate::policy::delivery::Scheme::Https]
    );
    assert!(p.image_delivery.require_checksum);
}

#[test]
fn requires_a_non_empty_name() {
    let e = only_error("description = \"x\"\n");
    assert_eq!((e.line, e.col, e.key.as_str()), (1, 1, "name"));
    assert_eq!(e.kind, ConfigErrorKind::MissingKey);
    assert_invalid("name = \"  \"\n", "name", "must not be empty");
}

#[test]
fn rejects_unknown_top_level_key_at_its_position() {
    let e = only_error("name = \"x\"\n\n  colour = \"blue\"\n");
    assert_eq!((e.line, e.col), (3, 3));
    assert_eq!(e.key, "colour");
    assert_eq!(e.kind, ConfigErrorKind::UnknownKey);
    assert_eq!(e.file, "p.toml");
    assert_eq!(e.to_string(), "p.toml:3:3: colour: unknown key");
}

#[test]
fn rejects_unknown_key_in_nested_table_with_its_path() {
    let text =
        "name = \"x\"\n[smart_install.checks]\nurl_hosts = \"audit\"\nurl_host = \"audit\"\n";
    let e = only_error(text);
    assert_eq!((e.line, e.col), (4, 1));
    assert_eq!(e.key, "smart_install.checks.url_host");
    assert_eq!(e.kind, ConfigErrorKind::UnknownKey);
}

#[test]
fn rejects_unknown_key_in_array_of_tables_element_with_index() {
    let text = r#"name = "x"
[[smart_install.rules]]
name = "a"
action = "allow"
from = ["any"]
to = ["any"]
kinds = ["probe"]
[[smart_install.rules]]
name = "b"
action = "allow"
from = ["any"]
to = ["any"]
kind = ["probe"]
"#;
    let e = errors(text);
    let unknown: Vec<_> = e
        .iter()
        .filter(|e| e.kind == ConfigErrorKind::UnknownKey)
        .collect();
    assert_eq!(unknown.len(), 1);
    assert_eq!(unknown[0].key, "smart_install.rules[1].kind");
    assert_eq!((unknown[0].line, unknown[0].col), (13, 1));
    let missing: Vec<_> = e
        .iter()
        .filter(|e| e.kind == ConfigErrorKind::MissingKey)
        .collect();
    assert_eq!(missing.len(), 1);
    assert_eq!(missing[0].key, "smart_install.rules[1].kinds");
    // Reported at the `[[smart_install.rules]]` header of the second element.
    assert_eq!((missing[0].line, missing[0].col), (8, 1));
}

#[test]
fn quotes_keys_that_are_not_bare() {
    let e = only_error("name = \"x\"\n\"odd key\" = 1\n");
    assert_eq!(e.key, "\"odd key\"");
}

#[test]
fn reports_wrong_type_with_expected_type() {
    let e = only_error("name = 5\n");
    assert_eq!((e.line, e.col), (1, 8));
    assert_eq!(
        e.kind,
        ConfigErrorKind::WrongType {
            expected: "a string"
        }
    );
    assert_eq!(e.to_string(), "p.toml:1:8: name: expected a string");
}

#[test]
fn mistyped_section_is_one_wrong_type_error() {
    let e = only_error("name = \"x\"\nsmart_install = 5\n");
    assert_eq!(e.key, "smart_install");
    assert_eq!(
        e.kind,
        ConfigErrorKind::WrongType {
            expected: "a table"
        }
    );
}

#[test]
fn accepts_inline_and_dotted_tables_like_headers() {
    let p = valid(
        "name = \"x\"\nsmart_install = { default_mode = \"audit\", checks = { url_hosts = \"audit\" } }\n\
         join_window.gate_pnp = false\n",
    );
    assert_eq!(p.smart_install.default_mode, Mode::Audit);
    assert_eq!(p.smart_install.checks.url_hosts, Mode::Audit);
    assert!(!p.join_window.gate_pnp);
    let e = only_error("name = \"x\"\nsmart_install = { default_mod = \"audit\" }\n");
    assert_eq!((e.line, e.col), (2, 19));
    assert_eq!(e.key, "smart_install.default_mod");
}

#[test]
fn reports_every_error_in_file_order() {
    let text = r#"zz = 1
name = "x"
[image_delivery]
schemes = ["gopher"]
aa = true
[smart_install]
directors = ["10.0.0.0/33", "ok.example"]
"#;
    assert_eq!(
        positions(text),
        vec![
            (1, 1, "zz".to_owned()),
            (4, 12, "image_delivery.schemes[0]".to_owned()),
            (5, 1, "image_delivery.aa".to_owned()),
            (7, 14, "smart_install.directors[0]".to_owned()),
            (7, 29, "smart_install.directors[1]".to_owned()),
        ]
    );
}

#[test]
fn counts_columns_in_characters() {
    let e = only_error("name = \"x\"\ndescription = \"ÄÖÜ\"; bogus = 1\n");
    assert!(matches!(e.kind, ConfigErrorKind::Syntax(_)), "{e}");
    // `;` is the 20th character of the line although it starts at byte 22.
    assert_eq!((e.line, e.col), (2, 20));
}

#[test]
fn reports_syntax_errors_and_keeps_checking_the_rest() {
    let text =
        "name = \"x\"\nname = \"y\"\n[smart_install]\ndirectors = [\"10.0.0.0/33\"]\nbogus = 1\n";
    let e = errors(text);
    assert_eq!(e.len(), 3, "{e:#?}");
    assert!(matches!(e[0].kind, ConfigErrorKind::Syntax(_)));
    assert_eq!((e[0].line, e[0].col), (2, 1));
    assert_eq!(
        e[0].to_string(),
        "p.toml:2:1: TOML syntax error: duplicate key"
    );
    assert_eq!(e[1].key, "smart_install.directors[0]");
    assert_eq!(e[2].key, "smart_install.bogus");
}

#[test]
fn suppresses_schema_errors_that_echo_a_syntax_error() {
    // The recovered document holds a bogus string `z` inside the broken array; only the syntax
    // errors are reported for it.
    let e = errors("name = \"x\"\n[smart_install]\ndirectors = [\"10.0.0.1\" z]\n");
    assert!(!e.is_empty());
    assert!(
        e.iter()
            .all(|e| matches!(e.kind, ConfigErrorKind::Syntax(_))),
        "{e:#?}"
    );
}

#[test]
fn displays_whole_file_errors_without_position_or_key() {
    let e = ConfigError {
        file: "x.toml".into(),
        line: 0,
        col: 0,
        key: String::new(),
        kind: ConfigErrorKind::Io("denied".into()),
    };
    assert_eq!(e.to_string(), "x.toml: cannot read file: denied");
    let all = ConfigErrors(vec![e.clone(), e]);
    assert_eq!(
        all.to_string(),
        "x.toml: cannot read file: denied\nx.toml: cannot read file: denied"
    );
}

#[test]
fn trust_anchor_paths_resolve_against_policy_dir_and_data_dir() {
    let text = r#"name = "x"
[[trust_anchors]]
name = "a"
paths = ["../certs/ca", "/abs/root.pem", "./local.pem", "{data_dir}/pki/device-root.crt"]
"#;
    let p = valid(text);
    let set = &p.device_auth.anchor_sets[0];
    assert_eq!(set.name, "a");
    let paths: Vec<_> = set.paths.iter().map(|p| p.display().to_string()).collect();
    assert_eq!(
        paths,
        vec![
            "/etc/ztpgate/policies/../certs/ca",
            "/abs/root.pem",
            "/etc/ztpgate/policies/local.pem",
            "{data_dir}/pki/device-root.crt",
        ]
    );
    let with_data = policy_from_toml(
        "p.toml",
        text,
        Path::new("pol"),
        Some(Path::new("/var/lib/ztpgate")),
    )
    .unwrap();
    assert_eq!(
        with_data.device_auth.anchor_sets[0].paths[3],
        Path::new("/var/lib/ztpgate/pki/device-root.crt")
    );
    assert_eq!(
        with_data.device_auth.anchor_sets[0].paths[0],
        Path::new("pol/../certs/ca")
    );
}

#[test]
fn rejects_bad_trust_anchor_sets() {
    assert_invalid(
        "name = \"x\"\n[[trust_anchors]]\nname = \"a\"\npaths = []\n",
        "trust_anchors[0].paths",
        "must not be empty",
    );
    assert_invalid(
        "name = \"x\"\n[[trust_anchors]]\nname = \"a\"\npaths = [\"{data_dir}x\"]\n",
        "trust_anchors[0].paths[0]",
        "must be followed by `/`",
    );
    let text = "name = \"x\"\n[[trust_anchors]]\nname = \"a\"\npaths = [\"p\"]\n\
                [[trust_anchors]]\nname = \"a\"\npaths = [\"q\"]\n";
    let e = only_error(text);
    assert_eq!((e.line, e.key.as_str()), (6, "trust_anchors[1].name"));
    assert_eq!(
        e.kind,
        ConfigErrorKind::Invalid("duplicate name `a`".into())
    );
    let e = only_error("name = \"x\"\n[[trust_anchors]]\nname = \"a\"\n");
    assert_eq!(e.key, "trust_anchors[0].paths");
    assert_eq!(e.kind, ConfigErrorKind::MissingKey);
}
