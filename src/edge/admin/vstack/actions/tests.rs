//! Route tests against a real [`Director`] over an in-memory store: each action's answer, what
//! it changed in the store and the database, and the refusals (400, 404, 405, 409).

#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Mutex;

use super::*;
use crate::audit::AuditLog;
use crate::config::FsyncPolicy;
use crate::config::si_director::DirectorConfig;
use crate::edge::director::Settings;
use crate::edge::tftp_server::AssignmentTable;
use crate::policy::director::DirectorPolicy;
use crate::policy::join::{ClientOverride, JoinState, JoinWindowPolicy, Mac, ManualWindow};
use crate::roles::dhcp_server::SmartInstallOptions;
use crate::roles::director::Client;
use crate::store::director::DirectorStore;
use crate::store::{SqliteStore, Store};

const OPERATOR: &str = "CN=admin";

struct Fixture {
    director: Arc<Director>,
    store: Arc<Mutex<SqliteStore>>,
    _dir: tempfile::TempDir,
}

/// A director over `clients` whose clients are reached at `client_port`.
async fn fixture(clients: &[Client], client_port: u16) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open_in_memory().unwrap();
    store.save_director_clients(clients).unwrap();
    let store = Arc::new(Mutex::new(store));
    let audit = AuditLog::open(&dir.path().join("audit.jsonl"), FsyncPolicy::Always).unwrap();
    let root = dir.path().join("tftp");
    let settings = Settings {
        config: DirectorConfig {
            enable: true,
            client_port,
            probe_timeout: Duration::from_secs(2),
            backup_on_start: false,
            ..DirectorConfig::default()
        },
        policy: DirectorPolicy::default(),
        join: JoinWindowPolicy::default(),
        smart_install: SmartInstallOptions::default(),
        pnp_option43: None,
        tftp: SocketAddr::from(([127, 0, 0, 1], 6969)),
        static_reads: AssignmentTable::new(&root),
        root,
        backup_dir: dir.path().join("backups"),
        lists_dir: dir.path().join("lists"),
    };
    let audit = Arc::new(Mutex::new(audit));
    let (director, _rx) = Director::start(settings, Arc::clone(&store), audit)
        .await
        .unwrap();
    Fixture {
        director,
        store,
        _dir: dir,
    }
}

fn client(index: u32, mac: &str, join: JoinState) -> Client {
    let now = chrono::DateTime::UNIX_EPOCH + chrono::Duration::days(20_000);
    let mut c = Client::new(index, Mac::parse(mac).unwrap().0, join, now);
    c.pid = Some("WS-C2960X-48FPD-L".into());
    c.ip = Some("127.0.0.1".parse().unwrap());
    c.hostname = Some(format!("sw-{index}"));
    c
}

/// A loopback port nothing listens on.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

async fn post(f: &Fixture, path: &str, query: Option<&str>) -> Answer {
    let director = Some(f.director.as_ref());
    route(&Method::POST, path, query, OPERATOR, director)
        .await
        .unwrap()
}

#[tokio::test]
async fn every_action_needs_the_running_director() {
    for path in [
        "/vstack/join-window/open",
        "/vstack/on-hold-clients/remove",
        "/vstack/clients/index:1/join-window/held",
        "/vstack/clients/all/backup",
        "/vstack/clients/mac:0011.2233.4455/update/image",
    ] {
        let (code, body) = route(&Method::POST, path, None, OPERATOR, None)
            .await
            .unwrap();
        assert_eq!(code, StatusCode::CONFLICT, "{path}");
        assert_eq!(body["error"], NOT_RUNNING);
    }
}

#[tokio::test]
async fn refuses_other_methods_bad_input_and_ignores_other_paths() {
    let f = fixture(&[], closed_port()).await;
    let director = Some(f.director.as_ref());
    let get = route(
        &Method::GET,
        "/vstack/join-window/open",
        None,
        OPERATOR,
        director,
    )
    .await;
    assert_eq!(get.unwrap().0, StatusCode::METHOD_NOT_ALLOWED);
    let (code, body) = post(&f, "/vstack/clients/index:0,x/backup", None).await;
    assert_eq!(code, StatusCode::BAD_REQUEST);
    assert!(body["error"].as_str().unwrap().contains("bad client index"));
    let (code, _) = post(&f, "/vstack/clients/all/update/image", Some("reload=9:99")).await;
    assert_eq!(code, StatusCode::BAD_REQUEST);
    assert!(
        route(&Method::POST, "/vstack/clients", None, OPERATOR, director)
            .await
            .is_none()
    );
    assert!(
        route(&Method::POST, "/vstack/other/x", None, OPERATOR, director)
            .await
            .is_none()
    );
}

#[tokio::test]
async fn opens_closes_and_reschedules_the_join_window() {
    let f = fixture(&[], closed_port()).await;
    for (word, expected) in [
        ("close", Some(ManualWindow::Closed)),
        ("open", Some(ManualWindow::Open)),
        ("schedule", None),
    ] {
        let (code, body) = post(&f, &format!("/vstack/join-window/{word}"), None).await;
        assert_eq!(
            (code, body),
            (StatusCode::OK, serde_json::json!({"ok": true}))
        );
        assert_eq!(f.store.lock().await.manual_window().unwrap(), expected);
    }
}

#[tokio::test]
async fn holds_and_allows_selected_clients() {
    let clients = [
        client(1, "0011.2233.4401", JoinState::Active),
        client(2, "0011.2233.4402", JoinState::Active),
    ];
    let f = fixture(&clients, closed_port()).await;
    let (code, body) = post(&f, "/vstack/clients/index:2/join-window/held", None).await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(
        body["outcomes"],
        serde_json::json!([{"index": 2, "mac": "00:11:22:33:44:02", "sent": true, "result": "hold"}])
    );
    let mac = Mac::parse("0011.2233.4402").unwrap();
    let stored = f.store.lock().await.client_override(&mac).unwrap();
    assert_eq!(stored, Some(ClientOverride::Held));
    let (code, body) = post(&f, "/vstack/on-hold-clients/remove", None).await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(body["outcomes"][0]["result"], "active");
    let joins: Vec<JoinState> = f.director.clients().await.iter().map(|c| c.join).collect();
    assert_eq!(joins, [JoinState::Active, JoinState::Active]);
    let (code, body) = post(&f, "/vstack/on-hold-clients/remove", None).await;
    assert_eq!(
        (code, body),
        (StatusCode::OK, serde_json::json!({"outcomes": []}))
    );
}

#[tokio::test]
async fn an_empty_selection_is_not_found() {
    let f = fixture(
        &[client(1, "0011.2233.4401", JoinState::Active)],
        closed_port(),
    )
    .await;
    for path in [
        "/vstack/clients/index:99/backup",
        "/vstack/clients/index:99/update/image",
        "/vstack/clients/index:99/join-window/allowed",
    ] {
        let (code, body) = post(&f, path, None).await;
        assert_eq!(code, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(body["error"], "no client matches index:99");
    }
    let (code, body) = post(&f, "/vstack/clients/group:nobody/backup", None).await;
    assert_eq!(code, StatusCode::NOT_FOUND);
    assert_eq!(body["error"], "no client matches group:nobody");
}

#[tokio::test]
async fn backups_and_updates_report_each_client() {
    let clients = [
        client(1, "0011.2233.4401", JoinState::Active),
        client(2, "0011.2233.4402", JoinState::Hold),
    ];
    let f = fixture(&clients, closed_port()).await;
    let (code, body) = post(&f, "/vstack/clients/all/backup", None).await;
    assert_eq!(code, StatusCode::OK);
    let outcomes = body["outcomes"].as_array().unwrap();
    assert_eq!(outcomes.len(), 2);
    let unreachable = outcomes.iter().find(|o| o["index"] == 1).unwrap();
    assert_eq!(unreachable["sent"], false);
    assert!(
        unreachable["result"]
            .as_str()
            .unwrap()
            .contains("cannot reach 127.0.0.1"),
        "{unreachable}"
    );
    let held = outcomes.iter().find(|o| o["index"] == 2).unwrap();
    assert!(
        held["result"].as_str().unwrap().contains("not allowed"),
        "{held}"
    );
    let (code, body) = post(
        &f,
        "/vstack/clients/index:1/update/config",
        Some("reload=02:30"),
    )
    .await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(body["outcomes"][0]["sent"], false);
    assert_eq!(
        body["outcomes"][0]["result"],
        "no image or configuration assigned"
    );
}
