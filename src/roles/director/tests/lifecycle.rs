//! Zero-touch downloads started by the client's own fetches, replacement, backups, selectors.

use super::database::policy;
use super::*;
use crate::policy::director::AssignedBy;
use crate::roles::director::database::image_list_name;

const PID: &str = "WS-C2960X-48FPD-L";

fn ip(last: u8) -> std::net::IpAddr {
    std::net::IpAddr::from([10, 0, 0, last])
}

/// A CDP frame from `mac` with `pid`, captured on `port`.
fn seen(db: &mut Database, mac: [u8; 6], pid: &str, port: &str, t: u32) -> Changes {
    let facts = CdpFacts {
        source_mac: mac,
        pid: Some(pid),
        local_port: Some(port),
        ..CdpFacts::default()
    };
    db.on_cdp(&facts, JoinState::Active, &policy(), at(1, 0, t))
}

fn provisioned(db: &mut Database, mac: [u8; 6], last: u8) {
    let p = policy();
    db.on_dhcp(mac, ip(last), Some("sw"), JoinState::Active, at(1, 1, 0));
    let list = image_list_name("c2960x.tar\n");
    for file in [list.as_str(), "c2960x.tar", "seed.cfg"] {
        db.on_transfer(ip(last), file, None, &p, at(1, 1, 1));
        db.on_transfer(ip(last), file, Some(Ok(())), &p, at(1, 1, 2));
    }
}

fn inactive(db: &mut Database, mac: [u8; 6]) {
    for s in 0..Client::MISSES_INACTIVE {
        db.on_probe(&mac, false, at(2, 0, s));
    }
}

#[test]
fn a_client_fetching_its_plan_starts_a_zero_touch_download() {
    let mut db = Database::new(Vec::new());
    let mac = [1; 6];
    db.on_dhcp(mac, ip(1), None, JoinState::Active, at(1, 0, 0));
    assert!(db.get(&mac).unwrap().download.is_none());
    db.on_probe(&mac, true, at(1, 0, 1));
    provisioned(&mut db, mac, 1);
    let d = db.get(&mac).unwrap().download.clone().unwrap();
    assert_eq!(d.method, DownloadMethod::ZeroTouch);
    assert!(d.succeeded() && d.finished());
    assert_eq!(db.get(&mac).unwrap().status_letters(), "S A a I C");
    // A second read of the list after a finished download is a new zero-touch update (an
    // erased switch); another file of the plan, or one outside it, starts nothing.
    db.on_transfer(ip(1), "other", None, &policy(), at(3, 0, 0));
    db.on_transfer(ip(1), "seed.cfg", None, &policy(), at(3, 0, 0));
    let d = db.get(&mac).unwrap().download.clone().unwrap();
    assert!(
        d.finished() && d.succeeded(),
        "a configuration re-read starts nothing: {d:?}"
    );
    db.on_transfer(
        ip(1),
        &image_list_name("c2960x.tar\n"),
        None,
        &policy(),
        at(3, 0, 1),
    );
    let d = db.get(&mac).unwrap().download.clone().unwrap();
    assert_eq!(
        (d.image, d.started),
        (ArtifactStatus::Upgrading, at(3, 0, 1))
    );
}

#[test]
fn a_new_switch_of_the_same_pid_on_the_same_port_replaces_an_inactive_one() {
    let mut db = Database::new(Vec::new());
    let (old, new) = ([1; 6], [9; 6]);
    seen(&mut db, old, PID, "p2", 0);
    provisioned(&mut db, old, 2);
    db.backed_up(
        &old,
        "sw-0101.0101.0101.REV2".into(),
        "AB".into(),
        at(1, 5, 0),
    );
    let old_index = db.get(&old).unwrap().index;
    inactive(&mut db, old);
    let changes = seen(&mut db, new, &PID.to_ascii_lowercase(), "p2", 1);
    assert_eq!(changes.removed.len(), 1, "the replaced entry is removed");
    assert_eq!(changes.removed[0].mac, old);
    assert!(db.get(&old).is_none());
    let c = db.get(&new).unwrap();
    assert_eq!(c.index, old_index, "the replacement takes the DevNo over");
    let r = c.replacement.clone().unwrap();
    assert_eq!(r.replaced_mac, old);
    let plan = db.plan(&new, &policy()).unwrap();
    assert_eq!(plan.assignment.by, AssignedBy::Replacement);
    assert_eq!(plan.image_list, "c2960x.tar\n");
    assert_eq!(
        db.readable_by(&new, &policy()).last().cloned(),
        Some(("sw-0101.0101.0101.REV2".into(), Repository::Backups))
    );
    // Once its download is done, it is an ordinary client again.
    db.on_dhcp(new, ip(9), None, JoinState::Active, at(3, 0, 0));
    let list = image_list_name("c2960x.tar\n");
    for file in [list.as_str(), "c2960x.tar", "sw-0101.0101.0101.REV2"] {
        db.on_transfer(ip(9), file, None, &policy(), at(3, 0, 1));
        db.on_transfer(ip(9), file, Some(Ok(())), &policy(), at(3, 0, 2));
    }
    let c = db.get(&new).unwrap();
    assert!(c.download.as_ref().unwrap().succeeded());
    let plan = db.plan(&new, &policy()).unwrap();
    assert_eq!(plan.assignment.by, AssignedBy::Default);
}

#[test]
fn other_pids_other_ports_active_clients_and_ambiguity_are_not_replacements() {
    let mut db = Database::new(Vec::new());
    seen(&mut db, [1; 6], PID, "p2", 0);
    seen(&mut db, [2; 6], PID, "p3", 0);
    // Still active: no replacement.
    assert!(seen(&mut db, [9; 6], PID, "p2", 1).removed.is_empty());
    inactive(&mut db, [1; 6]);
    assert!(
        seen(&mut db, [8; 6], "WS-C3750E-24TD", "p2", 2)
            .removed
            .is_empty()
    );
    assert!(seen(&mut db, [7; 6], PID, "p4", 3).removed.is_empty());
    // [9;6] is already known but still new: it replaces [1;6] at its next advertisement.
    assert_eq!(seen(&mut db, [9; 6], PID, "p2", 4).removed.len(), 1);
    // Two Inactive clients on one port: ambiguous.
    let mut db = Database::new(Vec::new());
    seen(&mut db, [1; 6], PID, "p2", 0);
    seen(&mut db, [2; 6], PID, "p2", 0);
    inactive(&mut db, [1; 6]);
    inactive(&mut db, [2; 6]);
    assert!(seen(&mut db, [9; 6], PID, "p2", 1).removed.is_empty());
    assert!(db.get(&[9; 6]).unwrap().replacement.is_none());
}

#[test]
fn one_replacement_at_a_time_per_branch() {
    let mut db = Database::new(Vec::new());
    for (mac, port) in [([1; 6], "p2"), ([2; 6], "p3")] {
        seen(&mut db, mac, PID, port, 0);
        inactive(&mut db, mac);
    }
    assert_eq!(seen(&mut db, [9; 6], PID, "p2", 1).removed.len(), 1);
    db.on_probe(&[9; 6], true, at(2, 1, 0));
    assert!(seen(&mut db, [8; 6], PID, "p3", 2).removed.is_empty());
    assert!(db.get(&[8; 6]).unwrap().waiting_for_branch);
    assert!(
        db.plan(&[8; 6], &policy()).is_none(),
        "a waiting client gets no plan"
    );
    // The first replacement finishes: the second goes ahead at its next advertisement.
    db.on_dhcp([9; 6], ip(9), None, JoinState::Active, at(3, 0, 0));
    for file in [
        image_list_name("c2960x.tar\n").as_str(),
        "c2960x.tar",
        "seed.cfg",
    ] {
        db.on_transfer(ip(9), file, None, &policy(), at(3, 0, 1));
        db.on_transfer(ip(9), file, Some(Ok(())), &policy(), at(3, 0, 2));
    }
    assert_eq!(seen(&mut db, [8; 6], PID, "p3", 3).removed.len(), 1);
    assert!(!db.get(&[8; 6]).unwrap().waiting_for_branch);
}

#[test]
fn backups_count_revisions_and_selectors_pick_clients() {
    let mut db = Database::new(Vec::new());
    db.on_dhcp([1; 6], ip(1), Some("a"), JoinState::Active, at(1, 0, 0));
    db.on_dhcp([2; 6], ip(2), Some("b"), JoinState::Hold, at(1, 0, 0));
    db.backed_up(
        &[1; 6],
        "a-0101.0101.0101.REV2".into(),
        "X".into(),
        at(1, 1, 0),
    );
    let b = db
        .backed_up(
            &[1; 6],
            "a-0101.0101.0101.REV2".into(),
            "Y".into(),
            at(1, 2, 0),
        )
        .unwrap()
        .backup
        .clone()
        .unwrap();
    assert_eq!(
        (b.revision, b.checksum.as_str(), b.client_name.as_str()),
        (2, "Y", "a")
    );
    assert!(
        db.backed_up(&[7; 6], "x".into(), "X".into(), at(1, 2, 0))
            .is_none()
    );
    let p = policy();
    assert_eq!(db.select(&Selector::All, &p).len(), 2);
    assert_eq!(db.select(&Selector::Indices(vec![2, 5]), &p), [[2; 6]]);
    assert_eq!(db.select(&Selector::Macs(vec![[1; 6]]), &p), [[1; 6]]);
    assert_eq!(db.select(&Selector::Group("default".into()), &p).len(), 2);
    assert!(db.select(&Selector::Group("g".into()), &p).is_empty());
    db.set_join(&[2; 6], JoinState::Active);
    assert_eq!(db.get(&[2; 6]).unwrap().join, JoinState::Active);
}

#[test]
fn an_nx_os_style_device_id_gives_hostname_and_serial() {
    let mut db = Database::new(Vec::new());
    let facts = CdpFacts {
        source_mac: [4; 6],
        device_id: Some("core-1(FOX1234ABCD)"),
        ..CdpFacts::default()
    };
    db.on_cdp(&facts, JoinState::Active, &policy(), at(1, 0, 0));
    let c = db.get(&[4; 6]).unwrap();
    assert_eq!(c.hostname.as_deref(), Some("core-1"));
    assert_eq!(c.serial.as_deref(), Some("FOX1234ABCD"));
}
