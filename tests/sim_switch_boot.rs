//! The emulated switch boots zero-touch against `ztpgate serve`, in two network namespaces this
//! test creates and removes:
//!
//! ```text
//!   gw (ztpgate serve: [dhcp] server on g0 = 10.67.1.1, pool of one address 10.67.1.100,
//!       [tftp] on 10.67.1.1:69 serving the image list, image and config to 10.67.1.100)
//!     │ veth, no address on the switch side until DHCP
//!   sw (ztpgate sim switch --boot-dhcp s0, erased)
//! ```
//!
//! Inside the join window the switch's own JSON events show the DHCP options, the three TFTP
//! downloads (the image with its exact size), the reload into hostname `edge-1` running the
//! installed image, and a second DHCP after the reload; a probe from gw to the leased address gets
//! the 24-byte reply; `cdp listen` in gw sees the reloaded switch (device ID, version, address);
//! SIGTERM ends the switch cleanly. With the join window closed the switch gets plain DHCP, keeps
//! retrying, and fetches nothing.
//!
//! Needs root and `ip netns`; prints a skip reason otherwise.

#![allow(clippy::unwrap_used)]

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use common::netns::{Netns, Proc, skip_reason};
use common::s;
use common::switch::{BootingSwitch, eventually, tftp_ok};
use serde_json::Value;

const GW: &str = "10.67.1.1";
const LEASED: &str = "10.67.1.100";
const IMAGE: &str = "c2960x-universalk9-mz.152-7.E8.tar";
const IMAGE_BYTES: usize = 300 * 1024;
/// The image an on-demand upgrade (`sim attack --mode update-ios`) installs.
const UPGRADE: &str = "c3750e-universalk9-tar.122-55.SE12.tar";

/// The two namespaces and their link.
struct Topology {
    gw: Netns,
    sw: Netns,
}

impl Topology {
    fn new() -> Self {
        let gw = Netns::new("bootg");
        let sw = Netns::new("boots");
        gw.exec(&[
            "ip", "link", "add", "g0", "type", "veth", "peer", "name", "s0", "netns", &sw.0,
        ]);
        gw.exec(&["ip", "addr", "add", "10.67.1.1/24", "dev", "g0"]);
        gw.exec(&["ip", "link", "set", "g0", "up"]);
        sw.exec(&["ip", "link", "set", "s0", "up"]);
        Self { gw, sw }
    }
}

/// `ztpgate serve` with DHCP and TFTP in `ns`, the join window `window` (`open`/`closed`).
fn serve(ns: &Netns, dir: &Path, window: &str) -> Proc {
    let root = dir.join("tftp");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(root.join("imagelist.txt"), format!("{IMAGE}\n")).unwrap();
    let image: Vec<u8> = (0..IMAGE_BYTES)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(root.join(IMAGE), &image).unwrap();
    std::fs::write(root.join("tar_imglist0.txt"), format!("{UPGRADE}\n")).unwrap();
    std::fs::write(root.join(UPGRADE), &image[..4096]).unwrap();
    std::fs::write(
        root.join("edge-1.cfg"),
        "!\nhostname edge-1\n!\nvstack\n!\ninterface Vlan1\n ip address dhcp\n!\nend\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("policy.toml"),
        format!("name = \"boot-test\"\n\n[join_window]\nmanual = \"{window}\"\n"),
    )
    .unwrap();
    let config = dir.join("ztpgate.toml");
    std::fs::write(
        &config,
        format!("{GATEWAY}root = \"{}\"\n{ASSIGN}", s(&root)),
    )
    .unwrap();
    common::switch::serve(ns, &config, dir)
}

/// One CDP neighbor record captured on `g0` in `gw`.
fn capture_cdp(gw: &Netns) -> Value {
    let mut child = gw
        .ztpgate_cmd(&[
            "cdp",
            "listen",
            "--interface",
            "g0",
            "--count",
            "1",
            "--timeout-secs",
            "20",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut child = Proc(child);
    let line = BufReader::new(stdout).lines().next().unwrap().unwrap();
    assert!(child.0.wait().unwrap().success());
    let doc: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(doc["event"], "neighbor", "{line}");
    doc["record"].clone()
}

/// `sim attack --mode MODE` from `ns` toward the leased address (TFTP server: the gateway).
fn attack(ns: &Netns, mode: &str) -> Value {
    let target = format!("{LEASED}:4786");
    let out = ns.ztpgate(&[
        "sim",
        "attack",
        "--target",
        &target,
        "--mode",
        mode,
        "--tftp",
        GW,
        "--wait-ms",
        "1500",
    ]);
    serde_json::from_slice(&out.stdout).unwrap()
}

fn version_of(record: &Value) -> String {
    record["neighbor"]["software_version"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn erased_switch_boots_zero_touch_reloads_and_answers_as_edge_1() {
    if let Some(reason) = skip_reason() {
        eprintln!("skipped: {reason}");
        return;
    }
    let t = Topology::new();
    let dir = tempfile::tempdir().unwrap();
    let _gw = serve(&t.gw, dir.path(), "open");
    let mut sw = BootingSwitch::start(&t.sw, "WS-C2960X-24PS-L", "GigabitEthernet1/0/7");

    let dhcp = sw.wait(30, "dhcp", |e| e["event"] == "dhcp");
    assert_eq!(dhcp["ip"], LEASED, "{dhcp}");
    assert_eq!(dhcp["prefix"], 24, "{dhcp}");
    assert_eq!(dhcp["server"], GW, "{dhcp}");
    assert_eq!(dhcp["image_list"], "imagelist.txt", "{dhcp}");
    assert_eq!(dhcp["config_file"], "edge-1.cfg", "{dhcp}");
    assert_eq!(dhcp["tftp_server"], GW, "{dhcp}");
    assert_eq!(dhcp["director"], GW, "{dhcp}");

    let list = sw.wait(30, "the image list", |e| tftp_ok(e, "image_list"));
    assert_eq!(list["file"], "imagelist.txt");
    let image = sw.wait(30, "the image", |e| tftp_ok(e, "image"));
    assert_eq!(image["file"], IMAGE);
    assert_eq!(image["bytes"], IMAGE_BYTES);
    sw.wait(30, "the config", |e| tftp_ok(e, "config"));
    let reloaded = sw.wait(30, "the reload", |e| e["event"] == "reloaded");
    assert_eq!(reloaded["hostname"], "edge-1");
    assert_eq!(reloaded["image"], "C2960X-UNIVERSALK9-M");
    assert_eq!(reloaded["version"], "15.2(7)E8");
    // DHCP again after the reload, same address, and no second zero-touch.
    assert_eq!(sw.wait_count(20, "dhcp", 2)[1]["ip"], LEASED);

    // A probe from the gateway to the leased address gets the 24-byte reply.
    let r = attack(&t.gw, "test");
    assert_eq!(r["received_bytes"], 24, "{r}");

    // CDP now advertises the reloaded switch.
    let record = capture_cdp(&t.gw);
    let n = &record["neighbor"];
    assert_eq!(n["device_id"], "edge-1", "{record}");
    assert_eq!(n["platform"], "cisco WS-C2960X-24PS-L", "{record}");
    assert_eq!(n["port_id"], "GigabitEthernet1/0/7", "{record}");
    assert!(
        version_of(&record).starts_with(
            "Cisco IOS Software, C2960X Software (C2960X-UNIVERSALK9-M), Version 15.2(7)E8,"
        ),
        "{record}"
    );
    assert_eq!(n["addresses"], serde_json::json!([LEASED]), "{record}");
    assert_eq!(
        sw.all("tftp").len(),
        3,
        "one zero-touch only: {:#?}",
        sw.seen
    );

    // On demand: an immediate image upgrade over 4786 installs the image, reloads (the startup
    // config stays), DHCPs again and advertises the new version.
    attack(&t.gw, "update-ios");
    let reloaded = sw.wait(30, "the upgrade reload", |e| {
        e["event"] == "reloaded" && e["version"] == "12.2(55)SE12"
    });
    assert_eq!(reloaded["hostname"], "edge-1");
    assert_eq!(reloaded["image"], "C3750E-UNIVERSALK9-M");
    assert_eq!(sw.wait_count(20, "dhcp", 3)[2]["ip"], LEASED);
    let upgraded = eventually(10, || {
        let record = capture_cdp(&t.gw);
        version_of(&record).contains("(C3750E-UNIVERSALK9-M), Version 12.2(55)SE12,")
    });
    assert!(upgraded, "CDP never advertised the upgrade");

    // Unplugged: SIGTERM ends the switch cleanly.
    let pid = sw.proc.0.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let status = sw.proc.0.wait().unwrap();
    assert!(status.success(), "{status:?}");
}

#[test]
fn outside_the_join_window_the_switch_gets_plain_dhcp_and_fetches_nothing() {
    if let Some(reason) = skip_reason() {
        eprintln!("skipped: {reason}");
        return;
    }
    let t = Topology::new();
    let dir = tempfile::tempdir().unwrap();
    let _gw = serve(&t.gw, dir.path(), "closed");
    let mut sw = BootingSwitch::start(&t.sw, "WS-C2960X-24PS-L", "GigabitEthernet1/0/7");
    let dhcp = sw.wait(30, "dhcp", |e| e["event"] == "dhcp");
    assert_eq!(dhcp["ip"], LEASED, "{dhcp}");
    for key in ["image_list", "config_file", "director"] {
        assert!(dhcp[key].is_null(), "{key} outside the join window: {dhcp}");
    }
    // It keeps asking (every second), and never downloads anything.
    sw.wait_count(15, "dhcp", 3);
    assert!(sw.all("tftp").is_empty(), "{:#?}", sw.seen);
    assert!(sw.all("reloaded").is_empty(), "{:#?}", sw.seen);
}

const GATEWAY: &str = r#"[gateway]
data_dir = "var"
policy = "policy.toml"

[pnp_server]
listen = []

[files]
listen = []

[dhcp]
mode = "server"
interface = "g0"
address = "10.67.1.1"
subnet_mask = "255.255.255.0"
pool_start = "10.67.1.100"
pool_end = "10.67.1.100"
lease_time = "1h"
image_list = "imagelist.txt"
config_file = "edge-1.cfg"

[tftp]
listen = ["10.67.1.1:69"]
"#;

const ASSIGN: &str = r#"
[[tftp.assign]]
client = "10.67.1.100"
files = ["imagelist.txt", "c2960x-universalk9-mz.152-7.E8.tar", "edge-1.cfg",
         "tar_imglist0.txt", "c3750e-universalk9-tar.122-55.SE12.tar"]
"#;
