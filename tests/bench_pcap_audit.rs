//! `ztpgate bench pcap-audit` at a small scale, run as the built binary: an 8 MiB capture is
//! written, read in full by `ztpgate pcap audit` (records and frame bytes equal what was
//! written, the attack rules among the findings), and tshark and tcpdump are either measured or
//! skipped with a reason; the temporary capture is gone afterwards. A second test checks that
//! `--generate-only --out` writes a deterministic pcapng file of the reported size.

#![allow(clippy::unwrap_used)]

use std::process::Command;

fn bench(args: &[&str]) -> serde_json::Value {
    let output = Command::new(env!("CARGO_BIN_EXE_ztpgate"))
        .args(["bench", "pcap-audit", "--json"])
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

#[test]
fn a_small_capture_is_audited_in_full_and_compared() {
    let report = bench(&["--size", "8MiB", "--runs", "1"]);
    let comp = &report["capture"]["composition"];
    let file_bytes = comp["file_bytes"].as_u64().unwrap();
    assert!(file_bytes >= 8 << 20, "{comp}");
    assert!(comp["tcp_flows"].as_u64().unwrap() > 50, "{comp}");
    assert!(
        comp["smart_install_packets"].as_u64().unwrap() > 0,
        "{comp}"
    );
    assert!(comp["ipv6_packets"].as_u64().unwrap() > 0, "{comp}");
    assert!(comp["vlan_packets"].as_u64().unwrap() > 0, "{comp}");

    let audit = &report["audit"];
    assert_eq!(audit["complete"], true, "{audit}");
    assert_eq!(audit["records"], comp["packets"]);
    assert_eq!(audit["frame_bytes"], comp["frame_bytes"]);
    assert!(audit["findings"].as_u64().unwrap() > 0);
    for rule in [
        "si-probe",
        "si-change-config",
        "si-update-ios",
        "si-execute",
        "si-get-config",
        "si-cve-2018-0171-poc",
        "si-legacy-test",
        "si-random-file-rrq",
        "si-config-exfiltration",
        "pnp-plain-http",
        "cleartext-http-transfer",
        "cleartext-ftp-transfer",
        "cleartext-tftp-transfer",
    ] {
        assert!(
            audit["rules"][rule].as_u64().unwrap_or(0) > 0,
            "{rule}: {audit}"
        );
    }

    let tools = report["tools"].as_array().unwrap();
    let names: Vec<&str> = tools.iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["ztpgate", "tshark", "tcpdump"]);
    let si_packets = comp["smart_install_packets"].as_u64().unwrap();
    for t in tools {
        if let Some(reason) = t["skipped"].as_str() {
            assert_ne!(t["name"], "ztpgate", "{t}");
            assert!(!reason.is_empty(), "{t}");
            continue;
        }
        let runs = t["runs"].as_array().unwrap();
        assert_eq!(runs.len(), 1, "{t}");
        let median = &t["median"];
        assert!(median["wall_seconds"].as_f64().unwrap() > 0.0, "{t}");
        let rate = median["mb_per_s"].as_f64().unwrap();
        let expected = file_bytes as f64 / 1e6 / median["wall_seconds"].as_f64().unwrap();
        assert!((rate - expected).abs() < 1e-6 * expected, "{t}");
        let lines = median["output_lines"].as_u64().unwrap();
        match t["name"].as_str().unwrap() {
            // One line per matching frame; tshark decodes the VLAN-tagged ones too.
            "tshark" => assert_eq!(lines, si_packets, "{t}"),
            // `tcp port 4786` without `vlan` does not look inside 802.1Q tags.
            "tcpdump" => assert!(lines > 0 && lines <= si_packets, "{t}"),
            _ => {}
        }
    }
    if report["tools"][1]["median"].is_object() {
        assert!(report["ratio_tshark"].as_f64().unwrap() > 0.0);
    }
    let path = report["capture"]["path"].as_str().unwrap();
    assert!(!std::path::Path::new(path).exists(), "{path} left behind");
}

#[test]
fn generate_only_writes_a_deterministic_capture_of_the_reported_size() {
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for name in ["a.pcapng", "b.pcapng"] {
        let path = dir.path().join(name);
        let out = path.to_str().unwrap();
        let capture = bench(&[
            "--size",
            "1MiB",
            "--format",
            "pcapng",
            "--generate-only",
            "--out",
            out,
        ]);
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(
            bytes.len() as u64,
            capture["composition"]["file_bytes"].as_u64().unwrap()
        );
        assert_eq!(bytes.get(..4), Some(&[0x0a, 0x0d, 0x0d, 0x0a][..]));
        files.push(bytes);
    }
    assert_eq!(files[0], files[1]);
}
