//! `ztpgate show vstack proxy-db [detail]` against a running gateway: the SMI proxy database
//! stored before the start is restored and printed in the reference layouts
//! (`../shared/reference/smi-proxy.txt`, "show vstack proxy-db"), and the admin API refuses to
//! clear it (`DELETE /vstack/proxy-db` is 405, the entries stay).

#![allow(clippy::unwrap_used)]

mod common;

use std::process::Command;

use common::{BIN, Gateway, have_curl, s, succeeded};
use ztpgate::identity::Udi;
use ztpgate::policy::join::Mac;
use ztpgate::roles::smi_proxy::proxy_db::{EntryState, ProxyEntry};
use ztpgate::store::SqliteStore;
use ztpgate::store::proxy::ProxyStore;

fn entry(mac: &str, udi: &str, ip: &str, state: EntryState) -> ProxyEntry {
    let now = chrono::DateTime::UNIX_EPOCH + chrono::Duration::days(20_000);
    let mut e = ProxyEntry::new(Mac::parse(mac).unwrap().0, now);
    e.udi = Some(Udi::parse(udi).unwrap());
    e.ip = Some(ip.parse().unwrap());
    e.hostname = Some("Switch".into());
    e.state = state;
    e
}

fn start_with_seeded_database(telnet_port: u16) -> Gateway {
    let dir = tempfile::tempdir().unwrap();
    let policy = format!("{PROXY_POLICY}telnet_port = {telnet_port}\n");
    std::fs::write(dir.path().join("lab.toml"), policy).unwrap();
    let data = dir.path().join("state");
    std::fs::create_dir(&data).unwrap();
    SqliteStore::open(&data.join("ztpgate.db"))
        .unwrap()
        .save_proxy_clients(&[
            entry(
                "001e.f76d.af80",
                "PID:WS-C3750E-48TD,VID:V01,SN:FDO1152V10R",
                "5.1.1.4",
                EntryState::Hello,
            ),
            entry(
                "0023.5e32.3780",
                "PID:WS-C3750X-24,VID:V02,SN:FDO1613R2TA",
                "5.1.1.5",
                EntryState::NoState,
            ),
        ])
        .unwrap();
    let config = dir.path().join("gw.toml");
    std::fs::write(
        &config,
        "[gateway]\ndata_dir = \"state\"\npolicy = \"lab.toml\"\n\
         [admin]\nlisten = [\"127.0.0.1:0\"]\n[files]\nlisten = []\n[pnp_server]\nlisten = []\n\
         [tftp]\nlisten = [\"127.0.0.1:0\"]\n",
    )
    .unwrap();
    Gateway::launch(dir, Some(config), data)
}

/// A policy putting ztpgate in SMI proxy mode.
/// A policy putting ztpgate in SMI proxy mode (on loopback; the upstream server is not reached
/// in these tests).
const PROXY_POLICY: &str = "name = \"proxy\"\n[smart_install]\nrole = \"proxy\"\n\
    [smart_install.proxy]\ninterface = \"lo\"\nusername = \"smi\"\npassword = \"pw\"\n\
    pnp_server = \"https://127.0.0.1:9\"\n";

fn show(gw: &mut Gateway, args: &[&str]) -> String {
    let admin = gw.port("admin API");
    let out = Command::new(BIN)
        .args(["show", "vstack", "proxy-db"])
        .args(args)
        .args(["--config", s(&gw.config)])
        .args(["--server", &format!("https://localhost:{admin}")])
        .output()
        .unwrap();
    succeeded(&out)
}

#[test]
fn the_stored_proxy_database_is_shown_in_the_reference_layout() {
    let mut gw = start_with_seeded_database(19141);
    let table = show(&mut gw, &[]);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(
        lines[..7],
        [
            "Smi PnP Proxy:      ENABLED",
            "",
            "Proxy Database:",
            "MAC ADDR           UDI                               State",
            "-----",
            "001e.f76d.af80    PID:WS-C3750E-48TD,VID:V01,SN:FDO1152V10R    HELLO",
            "0023.5e32.3780    PID:WS-C3750X-24,VID:V02,SN:FDO1613R2TA      NO STATE",
        ],
        "{table}"
    );
    assert!(
        table.contains(
            "MAC ADDR           IP_addr           Hostname           Status\n-----\n\
             001e.f76d.af80    5.1.1.4           Switch             A\n"
        ),
        "{table}"
    );
    let detail = show(&mut gw, &["detail"]);
    assert!(
        detail.contains(
            "-----\n\
             Device ID          : Switch\n\
             MAC Address       : 001e.f76d.af80\n\
             IP Addr           : 5.1.1.4\n\
             UDI               : PID:WS-C3750E-48TD,VID:V01,SN:FDO1152V10R\n\
             state             : HELLO\n\
             status            : A\n"
        ),
        "{detail}"
    );
    let json: serde_json::Value = serde_json::from_str(&show(&mut gw, &["--json"])).unwrap();
    assert_eq!(json["clients"].as_array().unwrap().len(), 2);
}

#[test]
fn the_admin_api_refuses_to_clear_the_proxy_database() {
    if !have_curl() {
        eprintln!("skipped: curl is not installed");
        return;
    }
    let mut gw = start_with_seeded_database(19142);
    let (code, _) = gw.admin("DELETE", "/vstack/proxy-db");
    assert_eq!(code, 405);
    let (code, body) = gw.admin("GET", "/vstack/proxy-db");
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["clients"].as_array().unwrap().len(), 2, "{body}");
    assert_eq!(body["enabled"], true);
}
