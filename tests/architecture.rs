//! Architecture rules that Cargo cannot enforce inside one crate: the pure core (`src/proto`,
//! `src/policy`, `src/inspect`) never uses sockets, files, tokio, the process environment or the
//! clock, and never reaches into the I/O edge. Time and bytes come in as arguments (STYLE.md §2, §2.9).

#![allow(clippy::unwrap_used)]

use std::fs;
use std::path::{Path, PathBuf};

/// Forbidden in pure modules, with the reason shown on failure.
const FORBIDDEN: &[(&str, &str)] = &[
    ("tokio", "async runtime"),
    ("TcpStream", "socket"),
    ("TcpListener", "socket"),
    ("UdpSocket", "socket"),
    ("UnixStream", "socket"),
    ("std::net::Socket", "socket"),
    ("socket2", "socket"),
    ("std::fs", "file system"),
    ("File::", "file system"),
    ("OpenOptions", "file system"),
    ("read_to_string(", "file system"),
    ("std::io::stdin", "standard input"),
    ("std::env", "process environment"),
    ("std::process", "processes"),
    ("SystemTime::now", "clock"),
    ("Instant::now", "clock"),
    ("Utc::now", "clock"),
    ("Local::now", "clock"),
    ("crate::clock", "clock"),
    ("crate::edge", "I/O edge"),
    ("crate::store", "database"),
    ("crate::audit", "audit log I/O"),
    ("rusqlite", "database"),
    ("hyper", "HTTP I/O"),
    ("rustls", "TLS I/O"),
];

/// The pure modules, as (module file, module directory) pairs relative to the crate root.
const PURE: &[&str] = &["src/inspect", "src/policy", "src/proto", "src/rules"];

#[test]
fn pure_modules_use_no_io_and_no_clock() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for module in PURE {
        let file = root.join(format!("{module}.rs"));
        if file.exists() {
            files.push(file);
        }
        collect_rs(&root.join(module), &mut files);
    }
    assert!(
        files.iter().any(|f| f.starts_with(root.join("src/policy"))),
        "the policy module must exist and be scanned"
    );
    let mut violations = Vec::new();
    for file in &files {
        let text = fs::read_to_string(file).unwrap();
        for v in scan(&text) {
            violations.push(format!(
                "{}:{v}",
                file.strip_prefix(root).unwrap().display()
            ));
        }
    }
    assert!(
        violations.is_empty(),
        "pure modules must not do I/O or read the clock:\n{}",
        violations.join("\n")
    );
}

#[test]
fn scanner_catches_each_kind_of_violation() {
    for (needle, _) in FORBIDDEN {
        let src = format!("fn f() {{ let _x = {needle}; }}\n");
        assert_eq!(scan(&src).len(), 1, "scanner missed {needle}");
    }
    // Comments do not count: pure modules may explain what they avoid.
    assert!(scan("//! no tokio here\n/// nor std::fs\nfn f() {} // SystemTime::now\n").is_empty());
    assert_eq!(scan("use tokio::net::TcpStream;\n").len(), 1);
    // A URL in a string literal does not hide the code after it.
    assert_eq!(scan("let u = \"tftp://h/x\"; std::fs::read(u);\n").len(), 1);
}

/// Returns `line: needle (reason)` for every forbidden use outside comments.
fn scan(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let code = strip_comment(line);
        if let Some((needle, why)) = FORBIDDEN.iter().find(|(needle, _)| code.contains(needle)) {
            out.push(format!("{}: {needle} ({why}): {}", n + 1, line.trim()));
        }
    }
    out
}

/// The line up to a `//` comment that is not inside a string literal.
fn strip_comment(line: &str) -> &str {
    let bytes = line.as_bytes();
    let (mut in_str, mut escaped) = (false, false);
    for i in 0..bytes.len() {
        let b = bytes[i];
        if in_str {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_str = false,
                _ => {}
            }
        } else if b == b'"' {
            in_str = true;
        } else if b == b'/' && bytes.get(i + 1) == Some(&b'/') {
            return &line[..i];
        }
    }
    line
}

fn collect_rs(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.map(|e| e.unwrap().path()).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            collect_rs(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}
