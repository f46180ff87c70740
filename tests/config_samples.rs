//! Every shipped configuration and policy file loads, and rejects an unknown key injected at the
//! top level, into every table and into every array-of-tables element (`../shared/design/STYLE.md`
//! §2.3, "Every shipped file is a test input").

// Test helpers panic on broken fixtures, like the tests themselves.
#![allow(clippy::unwrap_used)]

use std::fs;
use std::path::{Path, PathBuf};

use toml::{Table, Value};
use ztpgate::config::{
    ConfigErrorKind, ConfigErrors, FileKind, check_file, from_toml, load, policy_from_toml,
};

const INJECTED: &str = "zz_injected_key";

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `policies/*.toml` (found by listing the folder, so new files are covered) and `ztpgate.toml`.
fn shipped_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(repo().join("policies"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 2,
        "expected policies/default.toml and lab.toml"
    );
    files.push(repo().join("ztpgate.toml"));
    files
}

#[test]
fn every_shipped_file_is_valid() {
    for file in shipped_files() {
        let kind = check_file(&file).unwrap_or_else(|e| panic!("{}:\n{e}", file.display()));
        let expected = if file.ends_with("ztpgate.toml") {
            FileKind::Gateway
        } else {
            FileKind::Policy
        };
        assert_eq!(kind, expected, "{}", file.display());
    }
    let config = load(&repo().join("ztpgate.toml")).unwrap();
    assert_eq!(config.policy.name, "lab");
    assert_eq!(config.policy_source, Some(repo().join("policies/lab.toml")));
}

#[test]
fn every_table_of_every_shipped_file_rejects_unknown_keys() {
    for file in shipped_files() {
        let text = fs::read_to_string(&file).unwrap();
        let doc: Table = text.parse().unwrap();
        let mut targets = vec![Vec::new()];
        table_paths(&doc, &mut Vec::new(), &mut targets);
        assert!(targets.len() > 3, "{}: too few tables", file.display());
        if !file.ends_with("ztpgate.toml") {
            let has_element = |t: &Vec<Step>| t.iter().any(|s| matches!(s, Step::Index(_)));
            assert!(targets.iter().any(has_element), "{}", file.display());
        }
        for target in targets {
            let mut injected = doc.clone();
            insert_at(&mut injected, &target);
            let text = toml::to_string(&injected).unwrap();
            let expected = key_path(&target);
            let errors = validate(&file, &text)
                .err()
                .unwrap_or_else(|| panic!("{}: {expected} accepted", file.display()));
            assert_eq!(errors.0.len(), 1, "{}: {errors}", file.display());
            let error = &errors.0[0];
            assert_eq!(error.key, expected, "{}", file.display());
            assert_eq!(error.kind, ConfigErrorKind::UnknownKey);
            assert!(error.line > 0, "{error}");
        }
    }
}

/// Validates `text` as if it were `file`.
fn validate(file: &Path, text: &str) -> Result<(), ConfigErrors> {
    let name = file.display().to_string();
    let dir = file.parent().unwrap();
    if file.ends_with("ztpgate.toml") {
        from_toml(&name, text, dir).map(|_| ())
    } else {
        policy_from_toml(&name, text, dir, None).map(|_| ())
    }
}

/// A step into a table (key) or an array of tables (index).
#[derive(Clone, Debug)]
enum Step {
    Key(String),
    Index(usize),
}

/// Collects the path of every table below `table` (sub-tables and array-of-tables elements).
fn table_paths(table: &Table, prefix: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
    for (key, value) in table {
        prefix.push(Step::Key(key.clone()));
        match value {
            Value::Table(t) => {
                out.push(prefix.clone());
                table_paths(t, prefix, out);
            }
            Value::Array(items) if items.iter().all(Value::is_table) => {
                for (i, item) in items.iter().enumerate() {
                    prefix.push(Step::Index(i));
                    out.push(prefix.clone());
                    if let Value::Table(t) = item {
                        table_paths(t, prefix, out);
                    }
                    prefix.pop();
                }
            }
            _ => {}
        }
        prefix.pop();
    }
}

fn insert_at(root: &mut Table, path: &[Step]) {
    let mut table = root;
    let mut steps = path.iter().peekable();
    while let Some(Step::Key(key)) = steps.next() {
        let value = table.get_mut(key).unwrap();
        let value = match steps.peek() {
            Some(Step::Index(i)) => {
                steps.next();
                &mut value.as_array_mut().unwrap()[*i]
            }
            _ => value,
        };
        table = value.as_table_mut().unwrap();
    }
    table.insert(INJECTED.to_owned(), Value::Boolean(true));
}

fn key_path(path: &[Step]) -> String {
    let mut out = String::new();
    for step in path {
        match step {
            Step::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Step::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    if !out.is_empty() {
        out.push('.');
    }
    out + INJECTED
}
