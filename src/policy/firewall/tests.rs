use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use proptest::prelude::*;

use super::*;
use crate::policy::net::{AddrSet, HostSet};

fn net(s: &str) -> IpNet {
    s.parse().unwrap()
}

fn policy(directors: &[&str], clients: &[&str], tftp: &[&str]) -> SmartInstallPolicy {
    let mut tftp_servers = HostSet::default();
    for t in tftp {
        tftp_servers.push_entry(t).unwrap();
    }
    SmartInstallPolicy {
        directors: AddrSet(directors.iter().map(|s| net(s)).collect()),
        client_networks: AddrSet(clients.iter().map(|s| net(s)).collect()),
        tftp_servers,
        ..SmartInstallPolicy::default()
    }
}

fn relay() -> RelayTarget {
    RelayTarget {
        port: 14_786,
        v4: Some(Ipv4Addr::new(192, 0, 2, 1)),
        v6: Some("2001:db8::1".parse().unwrap()),
    }
}

fn chain<'a>(r: &'a Ruleset, name: &str) -> &'a Chain {
    r.chains.iter().find(|c| c.name == name).unwrap()
}

fn lines(r: &Ruleset, name: &str) -> Vec<String> {
    chain(r, name)
        .rules
        .iter()
        .map(render::render_rule)
        .collect()
}

#[test]
fn empty_policy_drops_all_smart_install_and_steers_nothing() {
    let r = plan(&SmartInstallPolicy::default(), &RelayTarget::default());
    assert_eq!(
        lines(&r, "smart-install"),
        ["counter drop comment \"ztpgate:si-drop-other\""]
    );
    assert!(chain(&r, "steer").rules.is_empty());
    assert!(chain(&r, "tftp").rules.is_empty());
}

#[test]
fn directors_reach_clients_and_are_steered_to_the_relay() {
    let p = policy(
        &["10.10.0.5/32", "2001:db8:10::5/128"],
        &["10.20.0.0/16", "2001:db8:20::/48"],
        &[],
    );
    let r = plan(&p, &relay());
    assert_eq!(
        lines(&r, "si-to-client"),
        [
            "meta nfproto ipv4 ip saddr 10.10.0.5 counter accept comment \"ztpgate:si-director-to-client\"",
            "meta nfproto ipv6 ip6 saddr 2001:db8:10::5 counter accept comment \"ztpgate:si-director-to-client\"",
            "counter drop comment \"ztpgate:si-drop-not-director\"",
        ]
    );
    assert_eq!(
        lines(&r, "steer"),
        [
            "meta nfproto ipv4 meta l4proto tcp tcp dport 4786 ip daddr 10.20.0.0/16 counter dnat ip to 192.0.2.1:14786 comment \"ztpgate:si-steer-to-relay\"",
            "meta nfproto ipv6 meta l4proto tcp tcp dport 4786 ip6 daddr 2001:db8:20::/48 counter dnat ip6 to [2001:db8::1]:14786 comment \"ztpgate:si-steer-to-relay\"",
        ]
    );
}

#[test]
fn direct_connections_to_the_relay_are_dropped() {
    let r = plan(&policy(&["10.10.0.5/32"], &["10.20.0.0/16"], &[]), &relay());
    let filter = lines(&r, "filter-prerouting");
    assert_eq!(
        filter[..2],
        [
            "meta nfproto ipv4 meta l4proto tcp tcp dport 14786 ip daddr 192.0.2.1 counter drop comment \"ztpgate:si-drop-relay-direct\"",
            "meta nfproto ipv6 meta l4proto tcp tcp dport 14786 ip6 daddr 2001:db8::1 counter drop comment \"ztpgate:si-drop-relay-direct\"",
        ]
    );
    let none = plan(&policy(&[], &[], &[]), &RelayTarget::default());
    assert_eq!(chain(&none, "filter-prerouting").rules.len(), 2);
}

#[test]
fn family_without_relay_address_drops_director_flows() {
    let p = policy(
        &["10.10.0.5/32", "2001:db8:10::5/128"],
        &["10.20.0.0/16", "2001:db8:20::/48"],
        &[],
    );
    let only_v4 = RelayTarget {
        v6: None,
        ..relay()
    };
    let r = plan(&p, &only_v4);
    let to_client = &chain(&r, "si-to-client").rules;
    assert_eq!(to_client[0].verdict, Verdict::Accept);
    assert_eq!(
        (to_client[1].verdict.clone(), to_client[1].reason),
        (Verdict::Drop, "si-no-relay")
    );
    assert_eq!(chain(&r, "steer").rules.len(), 1);
}

#[test]
fn clients_may_reach_directors_only() {
    let p = policy(&["10.10.0.5/32"], &["10.20.0.0/16"], &[]);
    let r = plan(&p, &relay());
    assert_eq!(
        lines(&r, "smart-install"),
        [
            "meta nfproto ipv4 ip daddr 10.20.0.0/16 goto si-to-client comment \"ztpgate:si-to-client\"",
            "meta nfproto ipv4 ip daddr 10.10.0.5 goto si-to-director comment \"ztpgate:si-to-director\"",
            "counter drop comment \"ztpgate:si-drop-other\"",
        ]
    );
    assert_eq!(
        lines(&r, "si-to-director")[0],
        "meta nfproto ipv4 ip saddr 10.20.0.0/16 counter accept comment \"ztpgate:si-client-to-director\""
    );
}

#[test]
fn tftp_from_clients_only_to_allowed_servers() {
    let p = policy(&[], &["10.20.0.0/16"], &["10.10.0.6", "tftp.example.net"]);
    let r = plan(&p, &relay());
    assert_eq!(
        lines(&r, "tftp"),
        [
            "meta nfproto ipv4 ip saddr 10.20.0.0/16 goto tftp-from-client comment \"ztpgate:tftp-from-client\""
        ]
    );
    assert_eq!(
        lines(&r, "tftp-from-client"),
        [
            "meta nfproto ipv4 ip daddr 10.10.0.6 counter accept comment \"ztpgate:tftp-allowed-server\"",
            "counter drop comment \"ztpgate:tftp-drop-server\"",
        ]
    );
    assert_eq!(r.unmatched_hosts, ["tftp.example.net"]);
    assert!(render_script(&r, "p.toml").contains("dropped): tftp.example.net\n"));
}

#[test]
fn base_chains_hook_prerouting_before_nat() {
    let r = plan(&SmartInstallPolicy::default(), &relay());
    let text = render_ruleset(&r);
    assert!(text.starts_with("table inet ztpgate {\n\tchain filter-prerouting {\n\t\ttype filter hook prerouting priority -150; policy accept;\n"));
    assert!(
        text.contains(
            "\tchain steer {\n\t\ttype nat hook prerouting priority -100; policy accept;\n"
        )
    );
    assert_eq!(
        lines(&r, "filter-prerouting")[2..],
        [
            "meta l4proto tcp tcp dport 4786 jump smart-install comment \"ztpgate:smart-install\"",
            "meta l4proto udp udp dport 69 jump tftp comment \"ztpgate:tftp\"",
        ]
    );
}

#[test]
fn every_drop_and_accept_is_counted() {
    let p = policy(
        &["10.10.0.5/32"],
        &["10.20.0.0/16", "2001:db8:20::/48"],
        &["10.10.0.6"],
    );
    let r = plan(&p, &RelayTarget::default());
    for c in &r.chains {
        for rule in &c.rules {
            if matches!(
                rule.verdict,
                Verdict::Accept | Verdict::Drop | Verdict::Dnat(..)
            ) {
                assert!(rule.counter, "{}: {:?}", c.name, rule);
            }
        }
    }
}

#[test]
fn jumps_name_existing_chains_and_addresses_follow_family_checks() {
    let p = policy(
        &["10.10.0.5/32", "::1/128"],
        &["10.20.0.0/16", "2001:db8:20::/48"],
        &["10.10.0.6", "2001:db8::6"],
    );
    let r = plan(&p, &relay());
    let names: Vec<_> = r.chains.iter().map(|c| c.name).collect();
    for c in &r.chains {
        for rule in &c.rules {
            if let Verdict::Jump(t) | Verdict::Goto(t) = rule.verdict {
                assert!(names.contains(&t));
            }
            let mut family = None;
            for m in &rule.matches {
                match m {
                    Match::Family(f) => family = Some(*f),
                    Match::Source(n) | Match::Destination(n) => {
                        assert_eq!(family, Some(Family::of(n)))
                    }
                    _ => {}
                }
            }
        }
    }
}

/// The kernel as the batch sees it: at most one table `inet ztpgate`.
fn run(ops: &[Op], mut kernel: Option<Ruleset>) -> Option<Ruleset> {
    for op in ops {
        match op {
            Op::EnsureTable => {
                kernel.get_or_insert(Ruleset {
                    chains: Vec::new(),
                    unmatched_hosts: Vec::new(),
                });
            }
            Op::DeleteTable => kernel = None,
            Op::AddChain { name, hook } => {
                let t = kernel.as_mut().unwrap();
                t.chains.push(Chain {
                    name,
                    hook: *hook,
                    rules: Vec::new(),
                });
            }
            Op::AddRule { chain, rule } => {
                let t = kernel.as_mut().unwrap();
                t.chains
                    .iter_mut()
                    .find(|c| c.name == *chain)
                    .unwrap()
                    .rules
                    .push(rule.clone());
            }
        }
    }
    kernel.map(|mut k| {
        k.unmatched_hosts.clear();
        k
    })
}

fn strip(mut r: Ruleset) -> Ruleset {
    r.unmatched_hosts.clear();
    r
}

fn arb_net() -> impl Strategy<Value = IpNet> {
    prop_oneof![
        (any::<u32>(), 0u8..=32).prop_map(|(a, p)| {
            let bits = if p == 0 {
                0
            } else {
                a & (u32::MAX << (32 - p))
            };
            IpNet::new(IpAddr::V4(Ipv4Addr::from(bits)), p).unwrap()
        }),
        (any::<u128>(), 0u8..=128).prop_map(|(a, p)| {
            let bits = if p == 0 {
                0
            } else {
                a & (u128::MAX << (128 - p))
            };
            IpNet::new(IpAddr::V6(Ipv6Addr::from(bits)), p).unwrap()
        }),
    ]
}

fn arb_policy() -> impl Strategy<Value = SmartInstallPolicy> {
    let nets = || proptest::collection::vec(arb_net(), 0..4);
    (nets(), nets(), nets()).prop_map(|(d, c, t)| SmartInstallPolicy {
        directors: AddrSet(d),
        client_networks: AddrSet(c),
        tftp_servers: HostSet {
            nets: AddrSet(t),
            names: Vec::new(),
        },
        ..SmartInstallPolicy::default()
    })
}

proptest! {
    #[test]
    fn diff_reaches_the_plan_from_any_start(a in arb_policy(), b in arb_policy()) {
        let (old, new) = (plan(&a, &relay()), plan(&b, &relay()));
        let want = Some(strip(new.clone()));
        let from_old = Some(strip(old.clone()));
        let cases = [
            (Current::Unknown, from_old.clone()),
            (Current::Unknown, None),
            (Current::Absent, None),
            (Current::Applied(old), from_old),
        ];
        for (current, kernel) in cases {
            let reached = run(&diff(&current, &new), kernel);
            prop_assert_eq!(&reached, &want);
        }
    }

    #[test]
    fn diff_against_the_applied_plan_is_empty(a in arb_policy()) {
        let r = plan(&a, &relay());
        prop_assert!(diff(&Current::Applied(r.clone()), &r).is_empty());
    }

    #[test]
    fn removal_leaves_no_table(a in arb_policy(), present in any::<bool>()) {
        let start = present.then(|| strip(plan(&a, &relay())));
        prop_assert_eq!(run(&removal(), start), None);
    }
}

#[test]
fn relay_target_takes_one_routable_address_per_family() {
    let mut t = RelayTarget::default();
    let v4: IpAddr = "192.0.2.1".parse().unwrap();
    t.add(v4).unwrap();
    t.add("2001:db8::1".parse().unwrap()).unwrap();
    assert_eq!(
        t.add("192.0.2.9".parse().unwrap()),
        Err(TargetError::FamilyTaken("192.0.2.9".parse().unwrap()))
    );
    assert_eq!(
        t.v4,
        Some(Ipv4Addr::new(192, 0, 2, 1)),
        "the first one stays"
    );
    let mut empty = RelayTarget::default();
    for bad in ["0.0.0.0", "::", "224.0.0.1"] {
        let addr: IpAddr = bad.parse().unwrap();
        assert_eq!(empty.add(addr), Err(TargetError::NotATarget(addr)));
    }
    assert_eq!(empty, RelayTarget::default());
}
