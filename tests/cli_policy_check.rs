//! `ztpgate policy check`, run as the built binary: exit status and the `file:line:col: key:`
//! lines an operator sees.

// Test helpers panic on broken fixtures, like the tests themselves.
#![allow(clippy::unwrap_used)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn check(args: &[&Path]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ztpgate"))
        .current_dir(repo())
        .arg("policy")
        .arg("check")
        .args(args)
        .output()
        .unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

#[test]
fn shipped_files_pass() {
    let mut files: Vec<PathBuf> = fs::read_dir(repo().join("policies"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .map(|p| p.strip_prefix(repo()).unwrap().to_path_buf())
        .collect();
    files.sort();
    files.push(PathBuf::from("ztpgate.toml"));
    files.push(PathBuf::from("rules/smart-install.toml"));
    files.push(PathBuf::from("rules/provisioning.toml"));
    let args: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    let output = check(&args);
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{out}");
    assert!(out.contains("policies/lab.toml: ok (policy)\n"), "{out}");
    assert!(
        out.contains("policies/default.toml: ok (policy)\n"),
        "{out}"
    );
    assert!(
        out.ends_with("rules/provisioning.toml: ok (rule file)\n"),
        "{out}"
    );
    assert!(
        out.contains("ztpgate.toml: ok (gateway configuration)\n"),
        "{out}"
    );
    assert_eq!(out.lines().count(), files.len());
}

#[test]
fn reports_typo_and_bad_cidr_with_positions() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    fs::write(
        &bad,
        "name = \"typo\"\n[smart_install]\ndirectorz = [\"10.0.0.1\"]\nclient_networks = [\"10.0.0.0/33\"]\n",
    )
    .unwrap();
    let output = check(&[&bad]);
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{out}");
    let name = bad.display();
    assert_eq!(
        out,
        format!(
            "{name}:3:1: smart_install.directorz: unknown key\n\
             {name}:4:20: smart_install.client_networks[0]: prefix length /33 exceeds /32\n"
        )
    );
}

#[test]
fn reports_rule_file_mistakes_with_positions() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("rules.toml");
    fs::write(
        &bad,
        "[[rule]]\nid = \"x-1\"\ntitle = \"t\"\nseverity = \"high\"\n\
         event = \"tftp.request\"\nreferences = [\"r\"]\n[rule.match]\nopcod = \"wrq\"\n",
    )
    .unwrap();
    let output = check(&[&bad]);
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{out}");
    let name = bad.display();
    assert!(
        out.starts_with(&format!(
            "{name}:8:9: rule[0].match.opcod: tftp.request has no field \"opcod\""
        )),
        "{out}"
    );
}

#[test]
fn good_files_still_pass_next_to_bad_and_unreadable_ones() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.toml");
    let output = check(&[Path::new("policies/lab.toml"), &missing]);
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{out}");
    let mut lines = out.lines();
    assert_eq!(lines.next(), Some("policies/lab.toml: ok (policy)"));
    let line = lines.next().unwrap();
    assert!(
        line.starts_with(&format!("{}: cannot read file: ", missing.display())),
        "{line}"
    );
    assert_eq!(lines.next(), None);
}

#[test]
fn a_gateway_config_is_checked_with_its_policy() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("gw.toml");
    fs::write(&config, "[gateway]\npolicy = \"p.toml\"\n").unwrap();
    fs::write(dir.path().join("p.toml"), "name = \"p\"\nbogus = true\n").unwrap();
    let output = check(&[&config]);
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{out}");
    assert_eq!(
        out,
        format!(
            "{}:2:1: bogus: unknown key\n",
            dir.path().join("p.toml").display()
        )
    );
}
