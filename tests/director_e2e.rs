//! The Smart Install director end to end, with emulated switches booting erased in network
//! namespaces this test creates and removes:
//!
//! ```text
//!   gw: ztpgate serve — [dhcp] server on br0 = 10.68.1.1, [tftp] 10.68.1.1:69,
//!       [smart_install_director] capturing CDP on the bridge ports p1..p4
//!     br0 ── p1 ── sw1  WS-C2960X-24PS-L  02:00:00:00:00:01  (MAC group edge-1)
//!         ── p2 ── sw2  WS-C2960X-24PS-L  02:00:00:00:00:02  (MAC group edge-2)
//!                  … unplugged, its cable moved to sw5 (02:00:00:00:00:05, same PID)
//!         ── p3 ── sw3  WS-C3750E-24TD    02:00:00:00:00:03  (built-in group 3750e)
//!         ── p4 ── sw4  WS-C2960X-24PS-L  02:00:00:00:00:04  (default; joins in manual mode)
//! ```
//!
//! 1. Auto mode: sw1–sw3 (two PIDs) get their options by DHCP, fetch image list, image and
//!    configuration over TFTP, reload under their group's hostname; `show vstack status` shows
//!    them `S A a I C`. tftp-hpa and curl from sw1's address fetch its image list and
//!    configuration and are refused sw2's and sw3's files and paths outside the root.
//! 2. Two on-demand backups: `<hostname>-<mac>.REV1` and `.REV2` exist, the status detail's
//!    checksum is the MD5 of REV2.
//! 3. Replacement: sw2 is unplugged, goes Inactive; sw5 of the same PID on the same port gets
//!    sw2's backup as its configuration (and reloads as `edge-2`), takes sw2's DevNo, and sw2's
//!    entry is gone.
//! 4. The director restarts (manual mode now): nothing is lost; a start-time backup follows.
//! 5. sw4 joins in manual mode: held (`h`, plain DHCP, no transfer) until `vstack
//!    on-hold-clients remove`, then provisioned.
//!
//! Needs root and `ip netns`; prints a skip reason otherwise.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;

use std::path::Path;
use std::process::Command;
use std::thread::sleep;
use std::time::Duration;

use common::netns::{Netns, skip_reason};
use common::s;
use common::switch::{BootingSwitch, GatewayLab, eventually, term, tftp_ok};
use md5::{Digest as _, Md5};
use serde_json::Value;

const IMAGE_2960: &str = "c2960x-universalk9-mz.152-7.E8.tar";
const IMAGE_3750: &str = "c3750e-universalk9-tar.122-55.SE12.tar";
const PID_2960: &str = "WS-C2960X-24PS-L";
const PID_3750: &str = "WS-C3750E-24TD";

fn mac(n: u8) -> String {
    format!("02:00:00:00:00:{n:02x}")
}

fn cisco(n: u8) -> String {
    format!("0200.0000.00{n:02x}")
}

/// The gateway namespace with its bridge, and one namespace per switch slot.
struct Lab(GatewayLab);

impl std::ops::Deref for Lab {
    type Target = GatewayLab;

    fn deref(&self) -> &GatewayLab {
        &self.0
    }
}

impl Lab {
    fn new() -> Self {
        let lab = Self(GatewayLab::new("dirg", "10.68.1.1/24"));
        lab.files();
        lab
    }

    /// Plugs a new switch namespace into bridge port `port`, its interface `s0` with `mac`.
    fn plug(&self, port: &str, n: u8) -> Netns {
        common::switch::plug(&self.gw, port, &format!("dirs{n}"), &mac(n))
    }

    /// Moves the cable end `s0` from `old` to a new switch namespace with `mac(n)`.
    fn replug(&self, old: &Netns, n: u8) -> Netns {
        let ns = Netns::new(&format!("dirs{n}"));
        old.exec(&["ip", "link", "set", "s0", "down"]);
        old.exec(&["ip", "link", "set", "s0", "netns", &ns.0]);
        ns.exec(&["ip", "link", "set", "s0", "address", &mac(n)]);
        ns.exec(&["ip", "link", "set", "s0", "up"]);
        ns
    }

    fn files(&self) {
        let root = self.path("tftp");
        std::fs::create_dir_all(&root).unwrap();
        let image: Vec<u8> = (0..200_000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        std::fs::write(root.join(IMAGE_2960), &image).unwrap();
        std::fs::write(root.join(IMAGE_3750), &image[..50_000]).unwrap();
        for (file, host) in [
            ("edge-1.cfg", "edge-1"),
            ("edge-2.cfg", "edge-2"),
            ("dist.cfg", "dist-1"),
            ("seed.cfg", "edge-4"),
        ] {
            let text = format!(
                "!\nhostname {host}\n!\nvstack\n!\ninterface Vlan1\n ip address dhcp\n!\nend\n"
            );
            std::fs::write(root.join(file), text).unwrap();
        }
        std::fs::write(&self.config, format!("{GATEWAY}root = \"{}\"\n", s(&root))).unwrap();
        self.policy("auto");
    }

    fn policy(&self, mode: &str) {
        std::fs::write(self.path("policy.toml"), POLICY.replace("{mode}", mode)).unwrap();
    }

    /// `ztpgate serve` in gw, once it serves.
    /// `ztpgate ARGS --config CFG` in gw.
    fn cli(&self, args: &[&str]) -> std::process::Output {
        self.cli_output(args)
    }

    fn status(&self) -> String {
        let out = self.cli(&["show", "vstack", "status"]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// The clients of `show vstack status --json`, by Cisco MAC.
    fn clients(&self) -> BTreeMap<String, Value> {
        let out = self.cli(&["show", "vstack", "status", "--json"]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
        doc["clients"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                let m: Vec<u8> = serde_json::from_value(c["mac"].clone()).unwrap();
                let key = format!(
                    "{:02x}{:02x}.{:02x}{:02x}.{:02x}{:02x}",
                    m[0], m[1], m[2], m[3], m[4], m[5]
                );
                (key, c.clone())
            })
            .collect()
    }

    /// The status row of client `n`, if listed.
    fn row(&self, n: u8) -> Option<String> {
        self.status()
            .lines()
            .find(|l| l.contains(&cisco(n)))
            .map(str::to_owned)
    }

    /// Waits until client `n`'s row ends with `letters`.
    fn wait_letters(&self, n: u8, letters: &str, secs: u64) -> String {
        let mut last = None;
        let ok = eventually(secs, || {
            last = self.row(n);
            last.as_deref()
                .is_some_and(|r| r.trim_end().ends_with(letters))
        });
        assert!(
            ok,
            "client {n} never showed {letters:?}; last row {last:?}\n{}",
            self.status()
        );
        last.unwrap()
    }
}

fn md5_upper(path: &Path) -> String {
    hex::encode_upper(Md5::digest(std::fs::read(path).unwrap()))
}

/// What must survive a restart: everything but liveness counters and backups (which a
/// start-time backup moves on).
fn durable(c: &Value) -> Value {
    let mut c = c.clone();
    for key in ["last_seen", "missed_probes", "health", "backup"] {
        c.as_object_mut().unwrap().remove(key);
    }
    c
}

#[test]
fn director_provisions_backs_up_replaces_holds_and_survives_a_restart() {
    if let Some(reason) = skip_reason() {
        eprintln!("skipped: {reason}");
        return;
    }
    let lab = Lab::new();
    let ns1 = lab.plug("p1", 1);
    let ns2 = lab.plug("p2", 2);
    let ns3 = lab.plug("p3", 3);
    let ns4 = lab.plug("p4", 4);
    let gw = lab.serve();

    // 1. Three switches of two PIDs join in auto mode.
    let mut sw1 = BootingSwitch::start(&ns1, PID_2960, "GigabitEthernet1/0/1");
    let mut sw2 = BootingSwitch::start(&ns2, PID_2960, "GigabitEthernet1/0/1");
    let mut sw3 = BootingSwitch::start(&ns3, PID_3750, "GigabitEthernet1/0/49");
    for (sw, host, image) in [
        (&mut sw1, "edge-1", "C2960X-UNIVERSALK9-M"),
        (&mut sw2, "edge-2", "C2960X-UNIVERSALK9-M"),
        (&mut sw3, "dist-1", "C3750E-UNIVERSALK9-M"),
    ] {
        let dhcp = sw.wait(40, "dhcp", |e| e["event"] == "dhcp");
        assert!(
            dhcp["image_list"]
                .as_str()
                .unwrap()
                .starts_with("imagelist-"),
            "{dhcp}"
        );
        let r = sw.wait(60, "the reload", |e| e["event"] == "reloaded");
        assert_eq!(
            (r["hostname"].as_str(), r["image"].as_str()),
            (Some(host), Some(image)),
            "{r}"
        );
    }
    for n in 1..=3 {
        lab.wait_letters(n, "S A a I C", 30);
    }
    // Real clients from sw1's address: its plan's files only (its image list at the end: a
    // read of it starts a new zero-touch update).
    let fetch = |name: &str| {
        let out = ns1
            .cmd(&[
                "tftp",
                "10.68.1.1",
                "-m",
                "binary",
                "-c",
                "get",
                name,
                "/dev/stdout",
            ])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
    };
    assert!(fetch("edge-1.cfg").contains("hostname edge-1"));
    for refused in ["edge-2.cfg", "dist.cfg", "../ztpgate.toml", "/etc/passwd"] {
        let text = fetch(refused);
        assert!(
            !text.contains("hostname") && !text.contains("root:"),
            "{refused}: {text}"
        );
    }
    let curl = |name: &str| {
        ns1.cmd(&[
            "curl",
            "-sS",
            "--max-time",
            "10",
            &format!("tftp://10.68.1.1/{name}"),
        ])
        .output()
        .unwrap()
    };
    let got = curl("edge-1.cfg");
    assert!(String::from_utf8_lossy(&got.stdout).contains("hostname edge-1"));
    assert!(
        !curl("edge-2.cfg").status.success(),
        "another client's file"
    );
    let status = lab.status();
    assert!(status.contains("dist-1"), "{status}");
    assert!(status.contains(PID_3750), "{status}");

    // 2. Two backups of every client: REV1 and REV2 with the MD5 of REV2.
    for revision in 1..=2 {
        let out = lab.cli(&["vstack", "backup", "--all"]);
        assert!(
            out.status.success(),
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let ok = eventually(30, || {
            let clients = lab.clients();
            clients.len() == 3
                && clients
                    .values()
                    .all(|c| c["backup"]["revision"].as_u64() >= Some(revision))
        });
        assert!(
            ok,
            "backups never reached revision {revision}: {:#?}",
            lab.clients()
        );
    }
    let backups = lab.path("var/backups");
    for (n, host) in [(1, "edge-1"), (2, "edge-2"), (3, "dist-1")] {
        let base = format!("{host}-{}", cisco(n));
        let rev2 = backups.join(format!("{base}.REV2"));
        assert!(
            backups.join(format!("{base}.REV1")).is_file(),
            "no REV1 for {base}"
        );
        let c = &lab.clients()[&cisco(n)];
        assert_eq!(c["backup"]["file"], format!("{base}.REV2"));
        assert_eq!(c["backup"]["checksum"], md5_upper(&rev2));
        assert!(
            std::fs::read_to_string(&rev2)
                .unwrap()
                .contains(&format!("hostname {host}"))
        );
    }
    let detail =
        String::from_utf8(lab.cli(&["show", "vstack", "status", "detail"]).stdout).unwrap();
    assert!(
        detail.contains(&format!("Latest backup file: edge-2-{}.REV2", cisco(2))),
        "{detail}"
    );

    // 3. sw2 is unplugged; sw5 of the same PID takes its port and gets its backup.
    let old_index = lab.clients()[&cisco(2)]["index"].clone();
    term(&sw2.proc);
    let _ = sw2.proc.0.wait();
    let ns5 = lab.replug(&ns2, 5);
    lab.wait_letters(2, "S I a I C", 30);
    let mut sw5 = BootingSwitch::start(&ns5, PID_2960, "GigabitEthernet1/0/1");
    // Its CDP frame may reach the director just after its first DHCP request (then the seed it
    // was offered is refused and it asks again); it must end up with the backup.
    let inherited = format!("edge-2-{}.REV2", cisco(2));
    sw5.wait(40, "dhcp with the backup", |e| {
        e["event"] == "dhcp" && e["config_file"] == inherited.as_str()
    });
    let cfg = sw5.wait(40, "the inherited config", |e| tftp_ok(e, "config"));
    assert_eq!(cfg["file"], inherited);
    let r = sw5.wait(60, "the reload", |e| e["event"] == "reloaded");
    assert_eq!(r["hostname"], "edge-2", "{r}");
    lab.wait_letters(5, "S A a I C", 30);
    let clients = lab.clients();
    assert!(
        !clients.contains_key(&cisco(2)),
        "the replaced entry is removed: {clients:#?}"
    );
    assert_eq!(clients[&cisco(5)]["index"], old_index);
    assert_eq!(
        clients[&cisco(5)]["replacement"]["replaced_mac"],
        serde_json::json!([2, 0, 0, 0, 0, 2])
    );

    // 4. The director restarts (manual mode now) and loses nothing.
    let before = lab.clients();
    lab.stop(gw);
    lab.policy("manual");
    let gw = lab.serve();
    let after = lab.clients();
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        after.keys().collect::<Vec<_>>()
    );
    for (key, c) in &before {
        assert_eq!(
            durable(c),
            durable(&after[key]),
            "{key} changed across the restart"
        );
    }
    // Backed up again at start.
    let ok = eventually(30, || {
        lab.clients()[&cisco(1)]["backup"]["revision"].as_u64() >= Some(3)
    });
    assert!(ok, "no start-time backup: {:#?}", lab.clients());

    // 5. sw4 joins in manual mode: held until approved.
    let mut sw4 = BootingSwitch::start(&ns4, PID_2960, "GigabitEthernet1/0/1");
    let dhcp = sw4.wait(40, "dhcp", |e| e["event"] == "dhcp");
    assert!(
        dhcp["image_list"].is_null() && dhcp["config_file"].is_null(),
        "held: {dhcp}"
    );
    lab.wait_letters(4, "S A h", 30);
    sleep(Duration::from_secs(2));
    assert!(
        sw4.all("tftp").is_empty(),
        "a held client fetched: {:#?}",
        sw4.seen
    );
    let out = lab.cli(&["vstack", "on-hold-clients", "remove"]);
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let r = sw4.wait(60, "the reload after approval", |e| {
        e["event"] == "reloaded"
    });
    assert_eq!(r["hostname"], "edge-4", "{r}");
    for n in [1, 3, 4, 5] {
        lab.wait_letters(n, "S A a I C", 30);
    }
    assert!(lab.row(2).is_none(), "{}", lab.status());
    let download =
        String::from_utf8(lab.cli(&["show", "vstack", "download-status"]).stdout).unwrap();
    assert!(download.contains("zero-touch"), "{download}");
    // tftp-hpa reading sw1's image list from its address looks like an erased switch starting
    // over: a new zero-touch download, its image in progress.
    let list = sw1.wait(1, "dhcp", |e| e["event"] == "dhcp")["image_list"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(fetch(&list).trim(), IMAGE_2960);
    lab.wait_letters(1, "S A a i", 10);
    lab.stop(gw);

    // Every decision and action is in a verifiable audit log.
    let log = lab.path("var/audit.jsonl");
    let out = Command::new(common::BIN)
        .args(["audit", "verify", s(&log)])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let text = std::fs::read_to_string(&log).unwrap();
    for needle in [
        "\"verdict\":\"replace\"",
        "\"verdict\":\"backup\"",
        "vstack.join-window-status",
    ] {
        assert!(text.contains(needle), "no {needle} record");
    }
    drop((sw1, sw3, sw5));
}

const GATEWAY: &str = r#"[gateway]
data_dir = "var"
policy = "policy.toml"

[admin]
listen = ["127.0.0.1:9443"]

[pnp_server]
listen = []

[files]
listen = []

[dhcp]
mode = "server"
interface = "br0"
address = "10.68.1.1"
subnet_mask = "255.255.255.0"
pool_start = "10.68.1.100"
pool_end = "10.68.1.120"
lease_time = "1h"

[smart_install_director]
enable = true
cdp_interfaces = ["p1", "p2", "p3", "p4"]
probe_interval = "1s"
probe_timeout = "1s"
backup_interval = "off"

[tftp]
listen = ["10.68.1.1:69"]
"#;

const POLICY: &str = r#"name = "director-e2e"

[join_window]
mode = "{mode}"

[director]
default_image = "c2960x-universalk9-mz.152-7.E8.tar"
default_config = "seed.cfg"

[[director.groups]]
name = "edge-1"
macs = ["02:00:00:00:00:01"]
image = "c2960x-universalk9-mz.152-7.E8.tar"
config = "edge-1.cfg"

[[director.groups]]
name = "edge-2"
macs = ["02:00:00:00:00:02"]
image = "c2960x-universalk9-mz.152-7.E8.tar"
config = "edge-2.cfg"

[[director.builtin]]
family = "3750e"
image = "c3750e-universalk9-tar.122-55.SE12.tar"
config = "dist.cfg"
"#;
