use chrono::TimeZone;

use super::views::cisco_mac;
use super::*;
use crate::policy::join::{JoinState, Mac};

fn at(h: u32, m: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2011, 3, 30, h, m, s).unwrap()
}

use chrono::{DateTime, Utc};

fn client(index: u32, mac: &str, pid: &str, ip: &str, host: &str) -> Client {
    let mut c = Client::new(
        index,
        Mac::parse(mac).unwrap().0,
        JoinState::Active,
        at(1, 0, 0),
    );
    c.pid = Some(pid.into());
    c.ip = Some(ip.parse().unwrap());
    c.hostname = Some(host.into());
    c.probed(true, at(1, 0, 0));
    c
}

fn director() -> DirectorInfo {
    DirectorInfo {
        enabled: true,
        ip: Some("172.20.249.54".parse().unwrap()),
        hostname: "IBD-MXD-ST".into(),
        mac: Some(Mac::parse("0018.7363.4200").unwrap().0),
        config_url: Some("tftp://1.1.1.100/default-config.txt".into()),
        image_url: None,
        script_url: None,
        window: "Open (default)".into(),
        join_mode: "auto (default)".into(),
        backup: Some("backups (default)".into()),
    }
}

#[test]
fn status_rows_carry_the_reference_letters() {
    let mut done = client(
        5,
        "0021.a1ab.9b80",
        "WS-C2960-48TC-S",
        "172.20.249.249",
        "DEV-ab.9bc",
    );
    done.download = Some(Download {
        method: DownloadMethod::ZeroTouch,
        image: ArtifactStatus::Upgraded { at: at(2, 47, 39) },
        config: ArtifactStatus::Upgraded { at: at(3, 2, 23) },
        script: ArtifactStatus::NotRequested,
        started: at(2, 0, 0),
    });
    let mut held = client(
        12,
        "0cd9.9649.cb80",
        "WS-C2960S-48TD-L",
        "172.20.249.98",
        "Switch",
    );
    held.join = JoinState::Hold;
    held.download = Some(Download {
        method: DownloadMethod::ImageConfigUpgrade,
        image: ArtifactStatus::Upgrading,
        config: ArtifactStatus::Failed {
            reason: "TFTP timeout".into(),
        },
        script: ArtifactStatus::Failed {
            reason: "no script".into(),
        },
        started: at(2, 0, 0),
    });
    let text = render_status(&director(), &[done, held], false);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "SmartInstall: ENABLED");
    assert!(lines.contains(&"Join-window_Status: a - Allowed h - On-hold d - Denied"));
    assert!(lines.contains(
        &"DevNo  MAC Address      Product-ID          IP_addr            Hostname           Status"
    ));
    assert!(lines.contains(&"0      0018.7363.4200   ztpgate             172.20.249.54      IBD-MXD-ST         Director"));
    assert!(lines.contains(&"5      0021.a1ab.9b80   WS-C2960-48TC-S     172.20.249.249     DEV-ab.9bc         S A a I C"));
    assert!(lines.contains(&"12     0cd9.9649.cb80   WS-C2960S-48TD-L    172.20.249.98      Switch             S A h i x F"));
}

#[test]
fn three_missed_probes_make_a_client_inactive() {
    let mut c = client(
        4,
        "0024.13c6.b580",
        "WS-C3750E-24TD",
        "172.20.249.115",
        "DEV-c6.b5c",
    );
    for _ in 0..Client::MISSES_INACTIVE - 1 {
        c.probed(false, at(2, 0, 0));
        assert_eq!(c.health, Health::Active);
    }
    c.probed(false, at(2, 0, 0));
    assert_eq!(c.status_letters(), "S I a");
    c.probed(true, at(3, 0, 0));
    assert_eq!((c.status_letters().as_str(), c.missed_probes), ("S A a", 0));
}

#[test]
fn status_detail_names_every_reference_field() {
    let mut c = client(
        2,
        "001d.71ba.f780",
        "WS-C2960PD-8TT-L",
        "1.1.1.1",
        "2960pd-47",
    );
    c.serial = Some("FOC1138Z6P7".into());
    c.upstream = Some(Mac::parse("0023.5e32.3780").unwrap().0);
    c.backup = Some(Backup {
        file: "2960pd-47-001d.71ba.f780.REV2".into(),
        client_name: "2960pd-47".into(),
        revision: 2,
        checksum: "426154BFAFE1425F527621DC8B647C38".into(),
        at: at(4, 0, 0),
    });
    let text = render_status(&director(), &[c], true);
    for line in [
        "Device Num       : 2",
        "MAC Address      : 001d.71ba.f780",
        "Serial           : FOC1138Z6P7",
        "(N-1)HOP Entry   : 0023.5e32.3780",
        "Backup done      : Yes",
        "Latest backup file: 2960pd-47-001d.71ba.f780.REV2",
        "File checksum    : 426154BFAFE1425F527621DC8B647C38",
        "Status           : ACT",
        "Status           : Director",
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "missing {line:?} in\n{text}"
        );
    }
}

#[test]
fn download_status_lists_methods_and_artifacts() {
    let mut c = client(
        1,
        "001e.be67.3000",
        "WS-C2960-48TC-S",
        "172.20.249.3",
        "Switch",
    );
    c.download = Some(Download {
        method: DownloadMethod::ImageUpgrade,
        image: ArtifactStatus::Upgraded { at: at(2, 47, 39) },
        config: ArtifactStatus::NotRequested,
        script: ArtifactStatus::NotRequested,
        started: at(2, 0, 0),
    });
    let idle = client(
        2,
        "0022.0d26.6300",
        "WS-C2960-48TC-S",
        "172.20.249.2",
        "Switch",
    );
    let text = render_download_status(&director(), &[c.clone(), idle], false);
    assert!(text.starts_with("Total no of entries : 1\n"), "{text}");
    assert!(text.lines().any(|l| l == "1   172.20.249.3    001e.be67.3000  image-upgrade   UPGRADED       **             **"), "{text}");
    let detail = render_download_status(&director(), &[c], true);
    for line in [
        "No 1:",
        "client-mac: 001e.be67.3000",
        "method: image-upgrade",
        "image-fail-reason: NA",
        "image downloaded at: 02:47:39 UTC Mar 30 2011",
        "config downloaded at: -",
    ] {
        assert!(
            detail.lines().any(|l| l == line),
            "missing {line:?} in\n{detail}"
        );
    }
}

#[test]
fn disabled_director_and_config_view() {
    let mut d = director();
    assert!(render_config(&d).contains(
        "Vstack Config file: tftp://1.1.1.100/default-config.txt\nVstack Image file: none\n"
    ));
    d.enabled = false;
    assert_eq!(render_status(&d, &[], false), "SmartInstall: DISABLED\n");
    assert_eq!(cisco_mac(&[0, 0x18, 0x73, 0x63, 0x42, 0]), "0018.7363.4200");
}

mod database {
    use super::*;
    use crate::policy::director::{Artifacts, DirectorPolicy};
    use crate::roles::director::database::{image_and_version, image_list_name};

    const MAC: [u8; 6] = [0, 0x21, 0xa1, 0xab, 0x9b, 0x80];

    pub(super) fn policy() -> DirectorPolicy {
        DirectorPolicy {
            default: Artifacts {
                image: Some("c2960x.tar".into()),
                config: Some("seed.cfg".into()),
                script: None,
            },
            ..DirectorPolicy::default()
        }
    }

    fn ip(s: &str) -> std::net::IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn dhcp_and_cdp_build_one_record_with_stable_indices() {
        let mut db = Database::new(Vec::new());
        db.on_dhcp(
            MAC,
            ip("10.77.2.10"),
            Some("Switch"),
            JoinState::Active,
            at(1, 0, 0),
        );
        let cdp = CdpFacts {
            source_mac: [0, 0x21, 0xa1, 0xab, 0x9b, 0x81],
            device_id: Some("closet-1.example.net"),
            pid: Some("WS-C2960X-48FPD-L"),
            version_line: Some(
                "Cisco IOS Software, C2960X Software (C2960X-UNIVERSALK9-M), Version 15.2(7)E3, RELEASE SOFTWARE (fc3)",
            ),
            addresses: &[ip("10.77.2.10")],
            port_id: Some("GigabitEthernet1/0/1"),
            local_port: Some("p1"),
        };
        let changes = db.on_cdp(&cdp, JoinState::Active, &policy(), at(1, 0, 5));
        assert_eq!(changes.saved, [MAC]);
        let c = db.get(&MAC).unwrap().clone();
        assert_eq!(c.upstream_port.as_deref(), Some("p1"));
        assert_eq!(
            (c.index, c.mac),
            (1, MAC),
            "CDP matched the DHCP client by address"
        );
        assert_eq!(c.pid.as_deref(), Some("WS-C2960X-48FPD-L"));
        assert_eq!(c.hostname.as_deref(), Some("closet-1"));
        assert_eq!(c.device_id.as_deref(), Some("closet-1.example.net"));
        assert_eq!(
            (c.image.as_deref(), c.version.as_deref()),
            (Some("C2960X-UNIVERSALK9-M"), Some("15.2(7)E3"))
        );
        // An unknown neighbor gets the next index and is not Smart Install capable yet.
        let other = CdpFacts {
            source_mac: [2; 6],
            addresses: &[ip("10.77.2.11")],
            ..CdpFacts::default()
        };
        db.on_cdp(&other, JoinState::Active, &policy(), at(1, 0, 6));
        let o = db.get(&[2; 6]).unwrap().clone();
        assert_eq!((o.index, o.device_type), (2, DeviceType::NonSmartInstall));
        db.on_probe(&[2; 6], true, at(1, 1, 0));
        assert_eq!(
            db.get(&[2; 6]).unwrap().device_type,
            DeviceType::SmartInstall
        );
        // Reloaded from storage, indices continue.
        let stored: Vec<Client> = db.clients().into_iter().cloned().collect();
        let mut again = Database::new(stored);
        again.on_dhcp([3; 6], ip("10.77.2.12"), None, JoinState::Hold, at(2, 0, 0));
        assert_eq!(again.get(&[3; 6]).unwrap().index, 3);
    }

    #[test]
    fn transfers_move_the_download_status_and_only_assigned_files_are_readable() {
        let mut db = Database::new(Vec::new());
        db.on_dhcp(MAC, ip("10.77.2.10"), None, JoinState::Active, at(1, 0, 0));
        let p = policy();
        let plan = db.plan(&MAC, &p).unwrap();
        let list = image_list_name("c2960x.tar\n");
        assert!(list.starts_with("imagelist-") && list.len() == "imagelist-".len() + 16);
        assert_eq!(plan.image_list_file.as_deref(), Some(list.as_str()));
        assert_eq!(plan.image_list, "c2960x.tar\n");
        assert_eq!(
            db.readable_files(ip("10.77.2.10"), &p),
            [
                (list.clone(), Repository::Generated),
                ("c2960x.tar".into(), Repository::Root),
                ("seed.cfg".into(), Repository::Root)
            ]
        );
        assert!(db.readable_files(ip("10.77.2.99"), &p).is_empty());
        db.start_download(&MAC, DownloadMethod::ZeroTouch, &plan, at(1, 0, 0));
        let c = ip("10.77.2.10");
        db.on_transfer(c, &list, Some(Ok(())), &p, at(1, 0, 1));
        assert_eq!(db.get(&MAC).unwrap().status_letters(), "P A a i");
        db.on_transfer(c, "c2960x.tar", Some(Ok(())), &p, at(1, 2, 0));
        db.on_transfer(c, "seed.cfg", None, &p, at(1, 2, 1));
        assert_eq!(db.get(&MAC).unwrap().status_letters(), "P A a I c");
        db.on_transfer(
            c,
            "seed.cfg",
            Some(Err("TFTP timeout\n".into())),
            &p,
            at(1, 2, 5),
        );
        let d = db.get(&MAC).unwrap().download.clone().unwrap();
        assert_eq!(
            d.config,
            ArtifactStatus::Failed {
                reason: "TFTP timeout".into()
            }
        );
        assert_eq!(d.image, ArtifactStatus::Upgraded { at: at(1, 2, 0) });
        // Files outside the plan change nothing.
        assert!(
            db.on_transfer(c, "other.cfg", Some(Ok(())), &p, at(1, 3, 0))
                .is_none()
        );
    }

    #[test]
    fn network_text_is_bounded_and_version_lines_parsed_defensively() {
        let mut db = Database::new(Vec::new());
        let long = "x".repeat(1000) + "\u{7}";
        db.on_dhcp(
            MAC,
            ip("10.0.0.1"),
            Some(&long),
            JoinState::Active,
            at(1, 0, 0),
        );
        assert_eq!(db.get(&MAC).unwrap().hostname.as_ref().unwrap().len(), 128);
        for bad in [
            "",
            "(",
            "()",
            "Cisco (X) no version",
            "Version 1 (",
            ")(Version",
        ] {
            assert_eq!(image_and_version(bad), None, "{bad:?}");
        }
    }
}

mod lifecycle;
