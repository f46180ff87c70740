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
