//! CDP over a real link, in two network namespaces this test creates and removes: the emulated
//! switch (`sim switch --cdp-interface`) sends the encoder's frames from one end of a veth pair
//! through libpcap, and `cdp listen` (the pcap listener, filter `ether dst 01:00:0c:cc:cc:cc`)
//! on the other end reports the neighbor: device ID with serial, platform/PID, port, addresses,
//! native VLAN, the sender's MAC and the local interface.
//!
//! Needs root and `ip netns`; prints a skip reason otherwise.

#![allow(clippy::unwrap_used)]

mod common;

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::sync::mpsc;
use std::time::Duration;

use common::netns::{Netns, Proc, skip_reason};
use serde_json::Value;

#[test]
fn listener_reports_the_emulated_switch_as_a_neighbor() {
    if let Some(reason) = skip_reason() {
        println!("skipped: {reason}");
        return;
    }
    let switch = Netns::new("cdpsw");
    let gateway = Netns::new("cdpgw");
    switch.link("sw0", "10.78.0.10/24", &gateway, "gw0", "10.78.0.1/24");
    let link = switch.exec(&["ip", "-j", "link", "show", "sw0"]);
    let link: Value = serde_json::from_slice(&link.stdout).unwrap();
    let switch_mac = link[0]["address"].as_str().unwrap().to_owned();

    let listener = gateway
        .ztpgate_cmd(&[
            "cdp",
            "listen",
            "--interface",
            "gw0",
            "--count",
            "2",
            "--timeout-secs",
            "30",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut listener = Proc(listener);
    let (tx, rx) = mpsc::channel();
    let stdout = listener.0.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let _ = tx.send(line.unwrap());
        }
    });
    // The listener prints "listening" on stderr once its capture is open.
    let mut stderr = BufReader::new(listener.0.stderr.take().unwrap());
    let mut ready = String::new();
    stderr.read_line(&mut ready).unwrap();
    assert!(ready.starts_with("listening"), "{ready}");

    let sim = switch
        .ztpgate_cmd(&[
            "sim",
            "switch",
            "--listen",
            "127.0.0.1:0",
            "--hostname",
            "access-7",
            "--cdp-interface",
            "sw0",
            "--cdp-interval",
            "1",
            "--serial",
            "FOC2233X0QZ",
            "--cdp-device-id-serial",
            "--cdp-platform",
            "cisco WS-C2960X-24PS-L",
            "--cdp-port-id",
            "GigabitEthernet1/0/7",
            "--cdp-address",
            "10.78.0.10",
            "--cdp-address",
            "fd00:78::10",
            "--cdp-native-vlan",
            "78",
        ])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let _sim = Proc(sim);

    let mut records = Vec::new();
    while records.len() < 2 {
        let line = rx.recv_timeout(Duration::from_secs(30)).unwrap();
        let doc: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(doc["event"], "neighbor", "{line}");
        records.push(doc["record"].clone());
    }
    let status = listener.0.wait().unwrap();
    assert!(status.success());

    let r = &records[0];
    assert_eq!(r["interface"], "gw0");
    assert_eq!(r["source_mac"], switch_mac.as_str());
    assert_eq!(r["pid"], "WS-C2960X-24PS-L");
    assert_eq!(r["ttl_secs"], 180);
    let n = &r["neighbor"];
    assert_eq!(n["device_id"], "access-7(FOC2233X0QZ)");
    assert_eq!(n["platform"], "cisco WS-C2960X-24PS-L");
    assert_eq!(n["port_id"], "GigabitEthernet1/0/7");
    assert_eq!(n["native_vlan"], 78);
    assert_eq!(
        n["addresses"],
        serde_json::json!(["10.78.0.10", "fd00:78::10"])
    );
    assert_eq!(n["management_addresses"], n["addresses"]);
    assert!(
        n["software_version"]
            .as_str()
            .unwrap()
            .starts_with("Cisco IOS Software, C2960X")
    );
    // Periodic: the second advertisement is a separate capture, later.
    assert!(records[1]["seen_at"].as_str() > r["seen_at"].as_str());
}
