//! The SMI PnP proxy end to end, in network namespaces this test creates and removes: legacy
//! Smart Install switches (`ztpgate sim switch --boot-dhcp`) are onboarded by ztpgate's own PnP
//! server through ztpgate in proxy mode.
//!
//! ```text
//!   gw: ztpgate serve — policy smart_install.role = "proxy" on br0 = 10.69.1.1;
//!       [dhcp] server, [tftp] 10.69.1.1:69, reverse telnet 10.69.1.1:19140,
//!       PnP server and file server on 127.0.0.1 (the proxy's upstream, over HTTPS with the
//!       proxy's own client certificate, listed in device_auth.smi_proxies)
//!     br0 ── p1 ── sw1  WS-C2960X-24PS-L  SN FOC2101A001  profile: device-info, image, config
//!         ── p2 ── sw2  WS-C2960X-24PS-L  SN FOC2101A002  profile: cli (unsupported)
//!         ── p3 ── sw3  WS-C3750E-24TD    SN FDO1402B003  profile: hardware info (unsupported)
//! ```
//!
//! 1. Each switch boots erased, gets `client_cfg_pnp.txt` by DHCP/TFTP, reloads, telnets back;
//!    the proxy logs in, runs `show version`, binds MAC ↔ UDI and starts the client's PnP
//!    conversation under that UDI.
//! 2. sw1: device-info is answered from the proxy database; the image is fetched by the proxy
//!    over HTTPS, checksum-verified and delivered over TFTP with a Smart Install image upgrade
//!    (the switch reloads on it); the config upgrade aimed at the running config is refused with
//!    the documented strings, the server retries toward startup, and the configuration lands in
//!    the switch's startup config. The server's plan finishes.
//! 3. sw2 (cli-exec) and sw3 (hardware info) get the exact documented refusals.
//! 4. `show vstack proxy-db detail` has the reference layout; after a restart of the gateway the
//!    database is unchanged.
//!
//! Needs root and `ip netns`; prints a skip reason otherwise.

#![allow(clippy::unwrap_used)]

mod common;

use std::process::Command;

use common::netns::{Netns, skip_reason};
use common::s;
use common::switch::{BootingSwitch, GatewayLab, eventually};
use md5::{Digest as _, Md5};
use serde_json::Value;

const IMAGE: &str = "c2960x-universalk9-mz.152-7.E9.bin";
const SWITCHES: [(u8, &str, &str); 3] = [
    (1, "WS-C2960X-24PS-L", "FOC2101A001"),
    (2, "WS-C2960X-24PS-L", "FOC2101A002"),
    (3, "WS-C3750E-24TD", "FDO1402B003"),
];

fn mac(n: u8) -> String {
    format!("02:00:00:00:01:{n:02x}")
}

fn cisco(n: u8) -> String {
    format!("0200.0000.01{n:02x}")
}

struct Lab(GatewayLab);

impl std::ops::Deref for Lab {
    type Target = GatewayLab;

    fn deref(&self) -> &GatewayLab {
        &self.0
    }
}

impl Lab {
    fn new() -> Self {
        let lab = Self(GatewayLab::new("smig", "10.69.1.1/24"));
        lab.files();
        lab
    }

    fn plug(&self, port: &str, n: u8) -> Netns {
        common::switch::plug(&self.gw, port, &format!("smis{n}"), &mac(n))
    }

    fn files(&self) {
        let var = self.path("var");
        let files = var.join("files");
        std::fs::create_dir_all(files.join("images")).unwrap();
        std::fs::create_dir_all(files.join("configs")).unwrap();
        std::fs::write(files.join("images").join(IMAGE), image()).unwrap();
        std::fs::write(
            files.join("configs/default.cfg"),
            "hostname legacy-{{serial}}\n!\ninterface Vlan1\n ip address dhcp\n!\nend\n",
        )
        .unwrap();
        std::fs::create_dir_all(self.path("tftp")).unwrap();
        std::fs::write(&self.config, GATEWAY).unwrap();
        std::fs::write(self.path("policy.toml"), POLICY).unwrap();
        // The lab PKI and the proxy's certificate (from the lab device CA), before the start.
        let pki = var.join("pki");
        for args in [
            vec!["certs", "init", "--dir", s(&pki)],
            vec![
                "certs",
                "device",
                "--dir",
                s(&pki),
                "--pid",
                "ZTPGATE-SMI-PROXY",
                "--sn",
                "PROXY1",
            ],
        ] {
            let out = Command::new(common::BIN)
                .args(&args)
                .current_dir(self.dir.path())
                .output()
                .unwrap();
            assert!(out.status.success(), "{args:?}: {out:?}");
        }
    }

    fn cli(&self, args: &[&str]) -> String {
        let out = self.cli_output(args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// The PnP server's devices with their history.
    fn devices(&self) -> Vec<Value> {
        let out = self.cli(&["show", "pnp", "devices", "detail", "--json"]);
        serde_json::from_str::<Value>(&out)
            .unwrap()
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    fn device(&self, serial: &str) -> Option<Value> {
        self.devices()
            .into_iter()
            .find(|d| d["serial"] == serial || d["device"]["serial"] == serial)
    }

    fn audit(&self) -> String {
        let mut text = String::new();
        for entry in std::fs::read_dir(self.path("var")).unwrap().flatten() {
            let name = entry.file_name();
            if name.to_string_lossy().starts_with("audit") {
                text.push_str(&std::fs::read_to_string(entry.path()).unwrap_or_default());
            }
        }
        text
    }
}

fn image() -> Vec<u8> {
    (0..150_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8)
        .collect()
}

fn md5_hex(bytes: &[u8]) -> String {
    hex::encode(Md5::digest(bytes))
}

fn state(device: &Value) -> String {
    let d = device.get("device").unwrap_or(device);
    d["state"].as_str().unwrap_or_default().to_owned()
}

fn notes(device: &Value) -> String {
    device["history"]
        .as_array()
        .map(|h| {
            h.iter()
                .map(|n| n["note"].as_str().unwrap_or_default().to_owned())
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default()
}

fn start_switch(ns: &Netns, pid: &str, serial: &str) -> BootingSwitch {
    BootingSwitch::start_with(ns, pid, "GigabitEthernet0/1", &["--serial", serial])
}

#[test]
fn legacy_switches_are_onboarded_through_the_proxy_by_the_pnp_server() {
    if let Some(reason) = skip_reason() {
        println!("skipped: {reason}");
        return;
    }
    let lab = Lab::new();
    let ports: Vec<Netns> = SWITCHES
        .iter()
        .map(|(n, _, _)| lab.plug(&format!("p{n}"), *n))
        .collect();
    let gw = lab.serve();
    let mut switches = Vec::new();
    for (ns, (_, pid, serial)) in ports.iter().zip(SWITCHES) {
        switches.push(start_switch(ns, pid, serial));
    }

    // 1. Reverse telnet: every switch logs the proxy in and is keyed by its UDI.
    for (i, (n, pid, serial)) in SWITCHES.iter().enumerate() {
        let sw = &mut switches[i];
        sw.wait(60, "the reverse-telnet session", |e| {
            e["event"] == "telnet" && e["ok"] == true
        });
        let db = lab.cli(&["show", "vstack", "proxy-db", "detail"]);
        assert!(
            db.contains(&format!("MAC Address       : {}", cisco(*n))),
            "{db}"
        );
        assert!(
            db.contains(&format!("PID:{pid},VID:V01,SN:{serial}")),
            "{db}"
        );
    }

    // 2. sw1 is provisioned to the end of its plan.
    let finished = eventually(120, || {
        lab.device("FOC2101A001")
            .is_some_and(|d| state(&d) == "FINISHED")
    });
    let sw1 = lab.device("FOC2101A001");
    assert!(finished, "{sw1:#?}\n{}", lab.audit());
    let history = notes(sw1.as_ref().unwrap());
    assert!(history.contains("retrying toward startup"), "{history}");
    let s1 = &mut switches[0];
    let image_get = s1.wait(10, "the image transfer", |e| {
        e["event"] == "tftp" && e["purpose"] == "image" && e["ok"] == true
    });
    assert_eq!(image_get["bytes"], image().len(), "{image_get}");
    assert!(
        image_get["file"].as_str().unwrap().ends_with(IMAGE),
        "{image_get}"
    );
    s1.wait(10, "the reload on the new image", |e| {
        e["event"] == "reloaded" && e["version"] == "15.2(7)E9"
    });
    let startup = s1.wait(10, "the day-0 configuration in startup", |e| {
        e["event"] == "startup_config" && e["hostname"] == "legacy-FOC2101A001"
    });
    let day0 = "hostname legacy-FOC2101A001\n!\ninterface Vlan1\n ip address dhcp\n!\nend\n";
    assert_eq!(startup["md5"], md5_hex(day0.as_bytes()), "{startup}");
    let audit = lab.audit();
    assert!(
        audit.contains("XSVC_ERROR_CONFIG_UPGRADE_UNSUPPORTED")
            && audit.contains("SMI PROXY: Config upgrade apply to Running Config is not supported"),
        "{audit}"
    );
    assert!(
        audit.contains(&md5_hex(&image())),
        "the staged image's MD5 is audited"
    );

    // 3. The unsupported services get the documented strings.
    for (serial, code, message) in [
        (
            "FOC2101A002",
            "PNP_ERROR_UNSUPPORTED_REQUEST",
            "SMI PROXY:Not supported service request",
        ),
        (
            "FDO1402B003",
            "XSVC_ERROR_DEVICE_INFO_UNSUPPORTED",
            "SMI PROXY:Client device hardware info not supported",
        ),
    ] {
        let failed = eventually(60, || {
            lab.device(serial)
                .is_some_and(|d| notes(&d).contains(message))
        });
        let d = lab.device(serial);
        assert!(failed, "{serial}: {d:#?}");
        let history = notes(d.as_ref().unwrap());
        assert!(history.contains(code), "{history}");
    }

    // 4. The proxy database in the reference layout, unchanged across a restart.
    let before = lab.cli(&["show", "vstack", "proxy-db", "detail"]);
    for (n, pid, serial) in SWITCHES {
        let block = before
            .split("Device ID")
            .find(|b| b.contains(&cisco(n)))
            .unwrap_or_else(|| panic!("no block for {n}: {before}"));
        let lines: Vec<&str> = block.lines().collect();
        assert!(lines[1].starts_with("MAC Address       : "), "{block}");
        assert!(
            lines[2].starts_with("IP Addr           : 10.69.1."),
            "{block}"
        );
        assert_eq!(
            lines[3],
            format!("UDI               : PID:{pid},VID:V01,SN:{serial}")
        );
        assert!(lines[4].starts_with("state             : "), "{block}");
        assert_eq!(lines[5], "status            : A", "{block}");
    }
    let summary = lab.cli(&["show", "vstack", "proxy-db"]);
    assert!(
        summary.contains("SMI Proxy") || summary.contains("Proxy"),
        "{summary}"
    );
    lab.stop(gw);
    let gw = lab.serve();
    let after = lab.cli(&["show", "vstack", "proxy-db", "detail"]);
    let udis = |t: &str| -> Vec<String> {
        t.lines()
            .filter(|l| l.starts_with("UDI") || l.starts_with("MAC Address"))
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(udis(&before), udis(&after), "{before}\n---\n{after}");
    assert_eq!(udis(&after).len(), 6);
    lab.stop(gw);
    drop(switches);
    drop(ports);
}

const GATEWAY: &str = r#"[gateway]
data_dir = "var"
policy = "policy.toml"

[admin]
listen = ["127.0.0.1:9443"]

[pnp_server]
listen = ["127.0.0.1:8445"]

[files]
listen = ["127.0.0.1:8444"]

[dhcp]
mode = "server"
interface = "br0"
address = "10.69.1.1"
subnet_mask = "255.255.255.0"
pool_start = "10.69.1.100"
pool_end = "10.69.1.120"
lease_time = "1h"

[tftp]
listen = ["10.69.1.1:69"]
root = "tftp"

[smart_install_proxy]
certificate = "pki/devices/ZTPGATE-SMI-PROXY_PROXY1.chain.pem"
key = "pki/devices/ZTPGATE-SMI-PROXY_PROXY1.key"
probe_interval = "1s"
probe_timeout = "1s"
retry_interval = "1s"
transfer_timeout = "30s"
cdp_interfaces = ["p1", "p2", "p3"]
"#;

const POLICY: &str = r#"name = "smi-proxy-e2e"

[smart_install]
role = "proxy"
directors = ["10.69.1.1/32"]
client_networks = ["10.69.1.0/24"]
tftp_servers = ["10.69.1.1"]

[smart_install.proxy]
address = "10.69.1.1"
username = "ztpadmin"
password = "Pr0xyLab"
enable_password = "En4ble"
pnp_server = "https://127.0.0.1:8445"

[[trust_anchors]]
name = "lab-devices"
paths = ["{data_dir}/pki/device-root.crt", "{data_dir}/pki/device-ca.crt"]

[device_auth]
trust_anchors = ["lab-devices"]
smi_proxies = ["PROXY1"]

[image_delivery]
allowed_hosts = ["127.0.0.1", "localhost"]

[[image_delivery.legacy_tftp]]
name = "proxy-clients"
networks = ["10.69.1.0/24"]
server = "10.69.1.1"

[pnp]
unclaimed_backoff = "1m"
refused_backoff = "5m"

[[pnp.profiles]]
name = "legacy-edge"
serials = ["FOC2101A001"]

[[pnp.profiles.steps]]
type = "device-info"
info = "all"

[[pnp.profiles.steps]]
type = "image"
file = "images/c2960x-universalk9-mz.152-7.E9.bin"
reload_delay = "0s"

[[pnp.profiles.steps]]
type = "config"
template_dir = "configs"

[[pnp.profiles.steps]]
type = "finish"
action = "terminate"

[[pnp.profiles]]
name = "legacy-cli"
serials = ["FOC2101A002"]

[[pnp.profiles.steps]]
type = "cli"
commands = ["show running-config"]

[[pnp.profiles]]
name = "legacy-hardware"
serials = ["FDO1402B003"]

[[pnp.profiles.steps]]
type = "device-info"
info = "hardware"
"#;
