//! `ztpgate vstack join-window | on-hold-clients | join-window-status | backup | download-*`
//! against a running gateway (`serve` with `[smart_install_director] enable = true`, the admin
//! API over mutual TLS on loopback): each action's output and exit code, and its effect as
//! `ztpgate show vstack` reports it. Clients are seeded into the store before the start; their
//! address is 127.0.0.1 with nothing listening on the client port, so requests to them fail.

#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::{BIN, Gateway, s, stdout, succeeded};
use ztpgate::policy::join::{JoinState, Mac};
use ztpgate::roles::director::Client;
use ztpgate::store::SqliteStore;
use ztpgate::store::director::DirectorStore;

const NOT_RUNNING: &str =
    "the Smart Install director is not running ([smart_install_director] enable = true)";

/// A gateway with the director enabled (or not) over `clients`.
struct Director {
    gw: Gateway,
    admin: String,
}

impl Director {
    fn start(enable: bool, clients: &[Client]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
        let lab = std::fs::read_to_string(repo.join("policies/lab.toml")).unwrap();
        std::fs::write(dir.path().join("lab.toml"), lab).unwrap();
        let data = dir.path().join("state");
        std::fs::create_dir(&data).unwrap();
        SqliteStore::open(&data.join("ztpgate.db"))
            .unwrap()
            .save_director_clients(clients)
            .unwrap();
        let config = dir.path().join("gw.toml");
        std::fs::write(
            &config,
            format!(
                "[gateway]\ndata_dir = \"state\"\npolicy = \"lab.toml\"\n\
                 [admin]\nlisten = [\"127.0.0.1:0\"]\n[files]\nlisten = []\n\
                 [pnp_server]\nlisten = []\n[tftp]\nlisten = [\"127.0.0.1:0\"]\n\
                 [smart_install_director]\nenable = {enable}\ntftp_address = \"127.0.0.1\"\n\
                 client_port = {}\nprobe_interval = \"1h\"\nprobe_timeout = \"2s\"\n\
                 backup_on_start = false\n",
                closed_port()
            ),
        )
        .unwrap();
        let mut gw = Gateway::launch(dir, Some(config), data);
        let admin = gw.port("admin API");
        Self { gw, admin }
    }

    /// Runs `ztpgate <group> <args> --config … --server …`.
    fn run(&self, group: &str, args: &[&str]) -> Output {
        Command::new(BIN)
            .arg(group)
            .args(args)
            .args(["--config", s(&self.gw.config)])
            .args(["--server", &format!("https://localhost:{}", self.admin)])
            .output()
            .unwrap()
    }

    fn vstack(&self, args: &[&str]) -> Output {
        self.run("vstack", args)
    }

    fn show(&self, view: &str) -> String {
        succeeded(&self.run("show", &["vstack", view]))
    }

    /// The join-window letter of client `index` in `show vstack status`.
    fn join_letter(&self, index: u32) -> String {
        let status = self.show("status");
        let row = status
            .lines()
            .find(|l| l.split_whitespace().next() == Some(&index.to_string()))
            .unwrap_or_else(|| panic!("no row {index}: {status}"));
        row.split_whitespace().nth(7).unwrap().to_owned()
    }
}

fn client(index: u32, mac: &str) -> Client {
    let now = chrono::DateTime::UNIX_EPOCH + chrono::Duration::days(20_000);
    let mut c = Client::new(index, Mac::parse(mac).unwrap().0, JoinState::Active, now);
    c.pid = Some("WS-C2960X-48FPD-L".into());
    c.ip = Some("127.0.0.1".parse().unwrap());
    c.hostname = Some(format!("sw-{index}"));
    c.probed(true, now);
    c
}

/// A loopback port nothing listens on.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn join_window_and_on_hold_actions_show_in_the_views() {
    let d = Director::start(true, &[]);
    assert_eq!(succeeded(&d.vstack(&["join-window", "close"])), "ok\n");
    assert!(d.show("config").contains("  Window: Closed\n"));
    assert_eq!(succeeded(&d.vstack(&["join-window", "open"])), "ok\n");
    assert!(d.show("config").contains("  Window: Open\n"));
    assert_eq!(succeeded(&d.vstack(&["join-window", "schedule"])), "ok\n");
    let out = d.vstack(&["on-hold-clients", "remove"]);
    assert_eq!(succeeded(&out), "0 clients\n");
    let json: serde_json::Value = serde_json::from_str(&succeeded(&d.vstack(&[
        "on-hold-clients",
        "remove",
        "--json",
    ])))
    .unwrap();
    assert_eq!(json, serde_json::json!({"outcomes": []}));
    let out = d.vstack(&["backup", "--all"]);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("HTTP 404: no client matches all"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn client_actions_report_each_client_and_change_its_state() {
    let d = Director::start(
        true,
        &[client(1, "0011.2233.4401"), client(2, "0011.2233.4402")],
    );
    let out = d.vstack(&["backup", "--index", "1"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.starts_with("1      0011.2233.4401   "), "{text}");
    assert!(text.contains("cannot reach 127.0.0.1:"), "{text}");
    assert_eq!(text.lines().count(), 1, "{text}");

    let out = d.vstack(&["backup", "--mac", "00:11:22:33:44:02", "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(json["outcomes"][0]["index"], 2);
    assert_eq!(json["outcomes"][0]["sent"], false);

    let out = d.vstack(&["download-image", "--index", "99"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("no client matches index:99"),
        "{}",
        stderr(&out)
    );

    let out = d.vstack(&["download-config", "--all", "--reload", "02:30"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stdout(&out).contains("no image or configuration assigned"));

    assert_eq!(d.join_letter(1), "a");
    let out = d.vstack(&["join-window-status", "--index", "1", "held"]);
    assert_eq!(succeeded(&out), "1      0011.2233.4401   hold\n");
    assert_eq!(d.join_letter(1), "h");
    assert_eq!(d.join_letter(2), "a");
    let out = d.vstack(&["on-hold-clients", "remove"]);
    assert_eq!(succeeded(&out), "1      0011.2233.4401   active\n");
    assert_eq!(d.join_letter(1), "a");
    succeeded(&d.vstack(&["join-window-status", "--all", "held"]));
    assert_eq!(
        (d.join_letter(1), d.join_letter(2)),
        ("h".into(), "h".into())
    );
    succeeded(&d.vstack(&["join-window-status", "--index", "1-2", "allowed"]));
    assert_eq!(
        (d.join_letter(1), d.join_letter(2)),
        ("a".into(), "a".into())
    );
    let audit = d.gw.audit();
    let operator = audit
        .iter()
        .find(|(verdict, _, _)| verdict == "vstack.join-window-status")
        .map(|(_, _, actor)| actor.clone())
        .unwrap();
    assert!(operator.contains("CN="), "{operator}");
    let backup = format!("director (operator {operator})");
    assert!(
        audit
            .iter()
            .any(|(v, _, a)| v == "backup-request" && *a == backup),
        "{audit:?}"
    );
    assert!(audit.iter().any(|(v, _, _)| v == "vstack.update"));
    assert!(d.gw.verify_audit().0);
}

#[test]
fn bad_arguments_are_refused_before_sending() {
    let d = Director::start(false, &[]);
    for args in [
        &["download-image", "--all", "--reload", "25:00"][..],
        &["backup", "--index", "0"],
        &["backup", "--mac", "0011.2233"],
        &["backup", "--all", "--index", "1"],
        &["backup"],
        &["join-window", "ajar"],
    ] {
        let out = d.vstack(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stdout(&out));
        assert!(!stderr(&out).contains(NOT_RUNNING), "{args:?}");
    }
}

#[test]
fn without_the_director_every_action_is_refused() {
    let d = Director::start(false, &[client(1, "0011.2233.4401")]);
    for args in [
        &["join-window", "open"][..],
        &["on-hold-clients", "remove"],
        &["join-window-status", "--index", "1", "held"],
        &["backup", "--all"],
        &["download-image", "--index", "1"],
        &["download-config", "--group", "default", "--reload", "23:59"],
        &["download-image-config", "--mac", "0011.2233.4401"],
    ] {
        let out = d.vstack(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stdout(&out));
        assert!(
            stderr(&out).contains(&format!("HTTP 409: {NOT_RUNNING}")),
            "{args:?}: {}",
            stderr(&out)
        );
    }
}
