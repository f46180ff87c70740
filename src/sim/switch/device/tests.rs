//! Behaviour of the emulated client without sockets: replies to both probes, the TFTP action of
//! each message kind, `copy` parsing and execution, execute files and image lists.

use super::*;
use crate::proto::vstack::{
    ConfigPush, CopyCommands, Execute, ImageUpgrade, InitDiscovery, ReloadSchedule, Tlv,
    UpgradeTiming,
};

fn remote(host: &str, port: Option<u16>, file: &str) -> Remote {
    Remote {
        host: host.to_owned(),
        port,
        file: file.to_owned(),
    }
}

#[test]
fn answers_the_hello_probe_with_the_24_byte_reply() {
    let Action::Reply(bytes) = action_for(&Message::new(Body::Probe(Probe::HELLO))) else {
        panic!("no reply");
    };
    assert_eq!(
        hex::encode(bytes),
        "000000040000000000000003000000080000000100000000"
    );
}

#[test]
fn answers_the_short_probe_and_unknown_types_with_the_20_byte_status() {
    let expected = "0000000400000000000000040000000400000001";
    for msg in [
        Message::new(Body::Probe(Probe::SHORT)),
        Message::new(Body::Unknown {
            msg_type: 9,
            payload: vec![1, 2],
        }),
    ] {
        assert_eq!(
            action_for(&msg),
            Action::Reply(hex::decode(expected).unwrap())
        );
    }
    assert_eq!(hex::encode(status_reply()), expected);
}

#[test]
fn config_push_fetches_the_url_with_its_reload_time() {
    let push = ConfigPush::new(
        b"tftp://192.0.2.1:6969/conf/a.conf",
        ReloadSchedule::at(0, 1).unwrap(),
    );
    let action = action_for(&Message::new(Body::ConfigPush(push.unwrap())));
    assert_eq!(
        action,
        Action::FetchConfig {
            remote: remote("192.0.2.1", Some(6969), "conf/a.conf"),
            reload: Some((0, 1)),
        }
    );
}

#[test]
fn image_upgrade_and_execute_fetch_their_files() {
    let up = ImageUpgrade::new(b"tftp://h/tar_imglist0.txt", UpgradeTiming::Immediate).unwrap();
    assert_eq!(
        action_for(&Message::new(Body::ImageUpgrade(up))),
        Action::FetchImageList {
            remote: remote("h", None, "tar_imglist0.txt"),
            reload: Some((0, 0)),
        }
    );
    let ex = Execute::new(b"tftp://[2001:db8::1]/cmds.txt").unwrap();
    assert_eq!(
        action_for(&Message::new(Body::Execute(ex))),
        Action::FetchCommands {
            remote: remote("2001:db8::1", None, "cmds.txt")
        }
    );
}

#[test]
fn non_tftp_url_is_a_bad_url() {
    let push = ConfigPush::new(b"http://h/x", ReloadSchedule::none()).unwrap();
    assert_eq!(
        action_for(&Message::new(Body::ConfigPush(push))),
        Action::BadUrl("http://h/x".to_owned())
    );
}

#[test]
fn copy_commands_parse_in_order_and_report_unknown_ones() {
    let cmds = CopyCommands::new(&[
        "copy system:running-config flash:/config.text",
        "copy flash:/config.text tftp://192.0.2.1/192.0.2.2.conf",
        "reload",
    ])
    .unwrap();
    let Action::RunCopies(copies) = action_for(&Message::new(Body::CopyCommands(cmds))) else {
        panic!("not copies");
    };
    assert_eq!(
        copies,
        vec![
            (
                "copy system:running-config flash:/config.text".to_owned(),
                Some(Copy {
                    from: Location::RunningConfig,
                    to: Location::Flash("config.text".to_owned()),
                })
            ),
            (
                "copy flash:/config.text tftp://192.0.2.1/192.0.2.2.conf".to_owned(),
                Some(Copy {
                    from: Location::Flash("config.text".to_owned()),
                    to: Location::Tftp(remote("192.0.2.1", None, "192.0.2.2.conf")),
                })
            ),
            ("reload".to_owned(), None),
        ]
    );
}

#[test]
fn oversized_init_discovery_tlv_crashes_and_small_one_does_not() {
    let small = InitDiscovery::new(vec![Tlv {
        tlv_type: 1,
        value: vec![0x41; 0x58],
    }]);
    assert_eq!(
        action_for(&Message::new(Body::InitDiscovery(small))),
        Action::Nothing
    );
    let big = InitDiscovery::new(vec![Tlv {
        tlv_type: 1,
        value: vec![0x41; 0xd8],
    }]);
    assert_eq!(
        action_for(&Message::new(Body::InitDiscovery(big))),
        Action::Crash { declared: 0xd8 }
    );
}

#[test]
fn device_copies_between_running_config_flash_and_startup() {
    let mut d = Device::new("sw1");
    assert!(d.running_config.contains("hostname sw1"));
    let running = d.read(&Location::RunningConfig).unwrap();
    d.write(&Location::Flash("config.text".to_owned()), &running);
    assert_eq!(
        d.read(&Location::Flash("config.text".to_owned())),
        Some(running)
    );
    assert_eq!(d.read(&Location::Flash("missing".to_owned())), None);
    d.write(&Location::StartupConfig, b"hostname new\n");
    assert_eq!(d.startup_config, "hostname new\n");
}

#[test]
fn execute_lines_are_applied_before_end() {
    let lines = command_lines("\"username cisco privilege 15 secret 0 cisco\" \"exit\"");
    assert_eq!(
        lines,
        vec!["username cisco privilege 15 secret 0 cisco", "exit"]
    );
    let mut d = Device::new("sw1");
    d.apply_lines(lines.iter().map(String::as_str));
    assert!(
        d.running_config
            .ends_with("username cisco privilege 15 secret 0 cisco\nend\n")
    );
    assert_eq!(command_lines("a\n\n b \n"), vec!["a", "b"]);
}

#[test]
fn image_list_names_the_image_next_to_it() {
    let list = remote("h", Some(69), "imgs/tar_imglist0.txt");
    let name = image_name("\n c2960-lanbasek9-tar.152-2.E.tar \n").unwrap();
    assert_eq!(
        list.sibling(name),
        remote("h", Some(69), "imgs/c2960-lanbasek9-tar.152-2.E.tar")
    );
    assert_eq!(image_name("\n\n"), None);
}

#[test]
fn locations_parse_ios_file_systems() {
    assert_eq!(
        Location::parse("running-config"),
        Some(Location::RunningConfig)
    );
    assert_eq!(
        Location::parse("nvram:startup-config"),
        Some(Location::StartupConfig)
    );
    assert_eq!(Location::parse("flash:"), None);
    assert_eq!(Location::parse("ftp://h/x"), None);
    assert_eq!(Copy::parse("copy a"), None);
    assert_eq!(
        Copy::parse("copy running-config startup-config extra"),
        None
    );
}

#[test]
fn image_upgrade_reload_timing_reads_the_flags_and_the_schedule() {
    let at = |h, m| ImageUpgrade::new(b"tftp://h/l.txt", UpgradeTiming::At { hour: h, minute: m });
    let immediate = ImageUpgrade::new(b"tftp://h/l.txt", UpgradeTiming::Immediate).unwrap();
    assert_eq!(upgrade_reload(&immediate), Some((0, 0)));
    assert_eq!(upgrade_reload(&at(1, 30).unwrap()), Some((1, 30)));
    // The flags bit alone means "now", whatever the schedule says.
    let mut flagged = at(2, 0).unwrap();
    flagged.flags |= FLAG_RELOAD_NOW;
    assert_eq!(upgrade_reload(&flagged), Some((0, 0)));
    let mut none = at(2, 0).unwrap();
    none.reload = ReloadSchedule::none();
    assert_eq!(upgrade_reload(&none), None);
}

#[test]
fn reload_time_is_a_delay_in_hours_and_minutes() {
    assert_eq!(reload_delay((0, 0)), Duration::ZERO);
    assert_eq!(reload_delay((0, 1)), Duration::from_secs(60));
    assert_eq!(reload_delay((2, 30)), Duration::from_secs(9000));
}

#[test]
fn an_erased_switch_has_no_startup_config_and_the_builtin_software() {
    let d = Device::erased("Switch");
    assert!(!d.has_startup_config());
    assert_eq!(d.hostname(), "Switch");
    assert_eq!(d.software, Software::builtin());
    assert!(Device::new("sw1").has_startup_config());
}

#[test]
fn reload_runs_the_startup_config_and_the_installed_image() {
    let mut d = Device::erased("Switch");
    let image = Software::from_file("c3750e-universalk9-tar.122-55.SE12.tar");
    d.install(image.clone());
    assert_eq!(d.software, Software::builtin(), "not before the reload");
    d.write(&Location::StartupConfig, b"hostname edge-1\n!\nend\n");
    assert_eq!(d.hostname(), "Switch");
    d.reload();
    assert_eq!(d.hostname(), "edge-1");
    assert_eq!(d.software, image);
    assert!(d.installed.is_none());
}

#[test]
fn reload_without_a_startup_config_keeps_the_running_config() {
    let mut d = Device::erased("Switch");
    d.apply_lines(["hostname temp"]);
    d.reload();
    assert_eq!(d.hostname(), "temp", "the running config is kept");
}
