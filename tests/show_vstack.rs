//! `ztpgate show vstack status|download-status|config` against a running gateway: the director
//! database stored before the start is read back through the admin API (mutual TLS) and printed
//! in the reference layouts, with the join window's state and the policy's default files.

#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;
use std::process::Command;

use common::{BIN, Gateway, s, succeeded};
use ztpgate::policy::join::{JoinState, Mac};
use ztpgate::roles::director::{ArtifactStatus, Client, Download, DownloadMethod};
use ztpgate::store::SqliteStore;
use ztpgate::store::director::DirectorStore;

fn client(index: u32, mac: &str, ip: &str, join: JoinState) -> Client {
    let now = chrono::DateTime::UNIX_EPOCH + chrono::Duration::days(20_000);
    let mut c = Client::new(index, Mac::parse(mac).unwrap().0, join, now);
    c.pid = Some("WS-C2960X-48FPD-L".into());
    c.ip = Some(ip.parse().unwrap());
    c.hostname = Some(format!("sw-{index}"));
    c.probed(true, now);
    c
}

#[test]
fn views_come_from_the_stored_director_database() {
    let dir = tempfile::tempdir().unwrap();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let lab = std::fs::read_to_string(repo.join("policies/lab.toml")).unwrap();
    let policy = format!(
        "{lab}\n[director]\ndefault_image = \"c2960x.tar\"\ndefault_config = \"seed.cfg\"\n"
    );
    std::fs::write(dir.path().join("lab.toml"), policy).unwrap();
    let mut done = client(1, "0021.a1ab.9b80", "10.77.2.10", JoinState::Active);
    let now = done.last_seen;
    done.download = Some(Download {
        method: DownloadMethod::ZeroTouch,
        image: ArtifactStatus::Upgraded { at: now },
        config: ArtifactStatus::Failed {
            reason: "TFTP timeout".into(),
        },
        script: ArtifactStatus::NotRequested,
        started: now,
    });
    let held = client(2, "0cd9.9649.cb80", "10.77.2.11", JoinState::Hold);
    let data = dir.path().join("state");
    std::fs::create_dir(&data).unwrap();
    SqliteStore::open(&data.join("ztpgate.db"))
        .unwrap()
        .save_director_clients(&[done, held])
        .unwrap();
    let config = dir.path().join("gw.toml");
    std::fs::write(
        &config,
        "[gateway]\ndata_dir = \"state\"\npolicy = \"lab.toml\"\n\
         [admin]\nlisten = [\"127.0.0.1:0\"]\n[files]\nlisten = []\n[pnp_server]\nlisten = []\n",
    )
    .unwrap();
    let mut gw = Gateway::launch(dir, Some(config), data);
    let admin = gw.port("admin API");
    let show = |args: &[&str]| {
        let out = Command::new(BIN)
            .args(["show", "vstack"])
            .args(args)
            .args(["--config", s(&gw.config)])
            .args(["--server", &format!("https://localhost:{admin}")])
            .output()
            .unwrap();
        succeeded(&out)
    };
    let status = show(&["status"]);
    assert!(status.starts_with("SmartInstall: ENABLED\n"), "{status}");
    let rows: Vec<&str> = status.lines().filter(|l| l.contains("10.77.2.")).collect();
    assert_eq!(
        rows,
        [
            "1      0021.a1ab.9b80   WS-C2960X-48FPD-L   10.77.2.10         sw-1               S A a I x",
            "2      0cd9.9649.cb80   WS-C2960X-48FPD-L   10.77.2.11         sw-2               S A h",
        ],
        "{status}"
    );
    let detail = show(&["status", "detail"]);
    assert!(detail.contains("Device Num       : 2\n"), "{detail}");
    let downloads = show(&["download-status", "detail"]);
    assert!(
        downloads.contains("config-fail-reason: TFTP timeout\n"),
        "{downloads}"
    );
    let config = show(&["config"]);
    assert!(
        config.contains("Vstack Config file: seed.cfg\n"),
        "{config}"
    );
    assert!(
        config.contains("  Window: Open\n  Operation Mode: auto\n"),
        "{config}"
    );
    let json: serde_json::Value = serde_json::from_str(&show(&["status", "--json"])).unwrap();
    assert_eq!(json["clients"].as_array().unwrap().len(), 2);
}
