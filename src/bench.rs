//! Benchmarks behind `ztpgate bench`: synthetic but realistic policies, pre-generated events, and
//! single-threaded decision loops timed with [`crate::clock::now_monotonic`] (`bench policy`);
//! the load driver for PnP servers ([`pnp`], `bench pnp`); the Smart Install relay benchmark
//! ([`vstack`], `bench vstack-relay`); and `ztpgate pcap audit` against tshark and tcpdump on a
//! generated capture ([`pcap_audit`], `bench pcap-audit`).
//!
//! Inputs: only the benchmark parameters. Policies and events come from a fixed-seed xorshift
//! generator, so two runs measure the same work. Figures are recorded in `docs/benchmarks.md`.

use std::hint::black_box;
use std::time::Duration;

use crate::clock::now_monotonic;
use crate::policy::Mode;
use crate::policy::access::{AccessVerdict, CompiledAccess, SmartInstallEvent};
use crate::policy::delivery::DeliveryVerdict;

pub use self::private_dir::PrivateDir;
use self::synthetic::{SEED, access_events, delivery_events, join_events};
pub use self::synthetic::{
    XorShift, synthetic_access_policy, synthetic_delivery_policy, synthetic_join_policy,
};

pub mod dhcp;
pub mod director;
pub mod pcap_audit;
pub mod pnp;
mod private_dir;
pub mod smi_proxy;
mod synthetic;
pub mod vstack;

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
        .map(|(name, n)| match n * 100 / total.max(1) {
            0 => format!("{name} <1%"),
            share => format!("{name} {share}%"),
        })
        .collect();
    parts.join(", ")
}

pub(crate) fn group_digits(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::policy::access::{Action, Selector};
    use crate::policy::net::IpNet;

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
