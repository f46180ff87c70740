use super::*;

fn mac(s: &str) -> Mac {
    Mac::parse(s).unwrap()
}

fn files(image: &str, config: &str) -> Artifacts {
    Artifacts {
        image: Some(image.to_owned()),
        config: Some(config.to_owned()),
        script: None,
    }
}

fn group(name: &str, matcher: GroupMatch) -> Group {
    Group {
        name: name.to_owned(),
        matcher,
        artifacts: files(&format!("{name}.tar"), &format!("{name}.cfg")),
    }
}

/// A policy with one group of every kind, the built-in 2960x group and a default.
fn policy() -> DirectorPolicy {
    DirectorPolicy {
        default: files("default.tar", "default.cfg"),
        groups: vec![
            group("by-pid", GroupMatch::Pid(vec!["ws-c2960x-48fpd-l".into()])),
            group("by-uplink", GroupMatch::Connectivity(mac("0023.5e32.3780"))),
            group("by-mac", GroupMatch::Mac(vec![mac("001d.71ba.f780")])),
            Group {
                name: "by-stack".into(),
                matcher: GroupMatch::Stack(vec![
                    StackSlot {
                        number: 1,
                        pid: "WS-C3750E-24TD".into(),
                        image: Some("3750e.tar".into()),
                    },
                    StackSlot {
                        number: 2,
                        pid: "WS-C3750G-24TS".into(),
                        image: None,
                    },
                ]),
                artifacts: files("by-stack.tar", "by-stack.cfg"),
            },
        ],
        builtin: vec![BuiltIn {
            family: "2960x".into(),
            artifacts: files("builtin-2960x.tar", "builtin-2960x.cfg"),
        }],
        harden: Hardening::default(),
    }
}

fn facts<'a>(
    pid: &'a str,
    m: &str,
    up: Option<&str>,
    stack: &'a [(u8, String)],
) -> ClientFacts<'a> {
    ClientFacts {
        mac: Some(mac(m)),
        pid: Some(pid),
        upstream: up.map(mac),
        stack,
    }
}

#[test]
fn custom_groups_follow_the_documented_priority() {
    let p = policy();
    // Matches MAC, connectivity and PID groups: MAC wins.
    let all = facts(
        "WS-C2960X-48FPD-L",
        "001d.71ba.f780",
        Some("0023.5e32.3780"),
        &[],
    );
    assert_eq!(p.assign(&all).unwrap().group.as_deref(), Some("by-mac"));
    // Connectivity beats PID.
    let up = facts(
        "WS-C2960X-48FPD-L",
        "0000.0000.0001",
        Some("0023.5e32.3780"),
        &[],
    );
    let a = p.assign(&up).unwrap();
    assert_eq!(
        (a.by, a.images),
        (AssignedBy::Connectivity, vec!["by-uplink.tar".into()])
    );
    // PID beats the built-in group of the same family.
    let pid = facts("WS-C2960X-48FPD-L", "0000.0000.0001", None, &[]);
    assert_eq!(p.assign(&pid).unwrap().by, AssignedBy::Pid);
    // Another 2960X falls to the built-in group, anything else to the default.
    let builtin = facts("WS-C2960X-24TD-L", "0000.0000.0002", None, &[]);
    let a = p.assign(&builtin).unwrap();
    assert_eq!(
        (a.by, a.config.as_deref()),
        (AssignedBy::BuiltIn, Some("builtin-2960x.cfg"))
    );
    let other = facts("WS-C3560G-24PS", "0000.0000.0003", None, &[]);
    assert_eq!(p.assign(&other).unwrap().by, AssignedBy::Default);
}

#[test]
fn stack_groups_give_one_image_per_member_and_win_over_mac_groups() {
    let mut p = policy();
    let stack = [
        (2, "WS-C3750G-24TS".to_owned()),
        (1, "WS-C3750E-24TD".to_owned()),
    ];
    p.groups.push(group(
        "stack-mac",
        GroupMatch::Mac(vec![mac("0018.7363.4200")]),
    ));
    let a = p
        .assign(&facts("WS-C3750E-24TD", "0018.7363.4200", None, &stack))
        .unwrap();
    assert_eq!(a.by, AssignedBy::Stack);
    assert_eq!(a.images, ["3750e.tar", "by-stack.tar"]);
    assert_eq!(a.image_list(), "3750e.tar\nby-stack.tar\n");
    // A stack whose members differ from the group's slots is not in it; stacks never fall into
    // PID, connectivity or built-in groups, only into MAC groups or the default.
    let other = [
        (1, "WS-C3750E-24TD".to_owned()),
        (2, "WS-C3750X-48P".to_owned()),
    ];
    let a = p
        .assign(&facts("WS-C3750E-24TD", "0018.7363.4200", None, &other))
        .unwrap();
    assert_eq!((a.by, a.images.len()), (AssignedBy::Mac, 2));
    let a = p
        .assign(&facts("WS-C2960X-48FPD-L", "0000.0000.0009", None, &other))
        .unwrap();
    assert_eq!(a.by, AssignedBy::Default);
    assert_eq!(a.images, ["default.tar", "default.tar"]);
}

#[test]
fn nothing_applies_without_a_default() {
    let p = DirectorPolicy::default();
    assert_eq!(
        p.assign(&facts("WS-C2960-48TC-S", "0000.0000.0001", None, &[])),
        None
    );
    let only_config = DirectorPolicy {
        default: Artifacts {
            config: Some("seed.cfg".into()),
            ..Artifacts::default()
        },
        ..DirectorPolicy::default()
    };
    let a = only_config.assign(&ClientFacts::default()).unwrap();
    assert!(a.images.is_empty());
    assert_eq!(a.image_list(), "");
}

#[test]
fn product_families_come_from_the_model_number() {
    for (pid, family) in [
        ("WS-C2960X-48FPD-L", Some("2960x")),
        ("WS-C3750E-24TD", Some("3750e")),
        ("ws-c2960-48tc-s", Some("2960")),
        ("WS-C3850-24T", Some("3850")),
        ("C9300-24P", Some("9300")),
        ("IE-3000", None),
        ("", None),
        ("WS-C29", None),
    ] {
        assert_eq!(product_family(pid).as_deref(), family, "{pid}");
    }
}

#[test]
fn hardening_renders_the_guide_access_list_per_client() {
    let both = Hardening {
        acl: true,
        no_vstack: true,
    };
    let lines = hardening_lines(
        both,
        "10.10.10.1".parse().unwrap(),
        Some("10.10.10.200".parse().unwrap()),
        &["Vlan1"],
    );
    assert_eq!(
        lines,
        [
            "ip access-list extended SMI_HARDENING_LIST",
            "  permit tcp host 10.10.10.1 host 10.10.10.200 eq 4786",
            "  deny tcp any any eq 4786",
            "  permit ip any any",
            "interface Vlan1",
            " ip access-group SMI_HARDENING_LIST in",
            "no vstack",
        ]
    );
    let v6 = hardening_lines(
        Hardening {
            acl: true,
            no_vstack: false,
        },
        "2001:db8::1".parse().unwrap(),
        Some("10.0.0.2".parse().unwrap()),
        &["Vlan1", "Vlan10"],
    );
    assert_eq!(v6[1], "  permit tcp host 2001:db8::1 any eq 4786");
    assert_eq!(
        v6.iter().filter(|l| l.contains("traffic-filter")).count(),
        2
    );
    assert!(
        hardening_lines(
            Hardening::default(),
            "10.0.0.1".parse().unwrap(),
            None,
            &["Vlan1"]
        )
        .is_empty()
    );
}

#[test]
fn hardened_seed_configs_close_4786_on_their_addressed_interfaces() {
    let seed = "!\nhostname edge\ninterface Vlan1\n ip address dhcp\n!\ninterface Gi1/0/1\n \
                switchport\n!\nvstack\nend\n";
    let both = Hardening {
        acl: true,
        no_vstack: true,
    };
    let director: IpAddr = "10.0.0.1".parse().unwrap();
    let out = harden_config(seed, both, director, Some("10.0.0.9".parse().unwrap()));
    assert!(out.ends_with("no vstack\nend\n"), "{out}");
    assert!(
        out.contains("  permit tcp host 10.0.0.1 host 10.0.0.9 eq 4786\n"),
        "{out}"
    );
    assert!(
        out.contains("interface Vlan1\n ip access-group SMI_HARDENING_LIST in\n"),
        "{out}"
    );
    assert!(
        !out.contains("interface Gi1/0/1\n ip access-group"),
        "{out}"
    );
    assert!(out.starts_with("!\nhostname edge\n"), "{out}");
    // No final `end`: the lines are appended.
    let out = harden_config(
        "hostname x",
        Hardening {
            acl: false,
            no_vstack: true,
        },
        director,
        None,
    );
    assert_eq!(out, "hostname x\nno vstack\n");
    // Nothing asked: the seed as it was (normalised line end).
    assert_eq!(
        harden_config(seed, Hardening::default(), director, None),
        seed
    );
}
