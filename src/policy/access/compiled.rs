//! Compiled rule tables of the Smart Install access policy: no linear scan over rules.
//!
//! For each address family and direction, the prefix boundaries of all rules split the address
//! space into elementary intervals; each interval carries the bit set of rules whose `from` (or
//! `to`) covers it. A lookup is one binary search per address, then a few AND operations over
//! `ceil(rules / 64)` words with the kind's bit set and the class masks; the deciding rule is the
//! lowest set bit. Inputs: a validated policy (trusted) and event addresses (attacker-influenced,
//! only compared).

use crate::policy::Mode;
use crate::policy::access::{
    Action, MessageKind, RuleMatch, Selector, SmartInstallEvent, SmartInstallPolicy,
};
use crate::policy::net::{IpNet, family_bits};

/// Bit-set tables over the rules of one policy.
#[derive(Clone, Debug)]
pub(crate) struct RuleIndex {
    /// 64-bit words per rule bit set.
    words: usize,
    src: AddrIndex,
    dst: AddrIndex,
    /// One bit set per [`MessageKind`], in declaration order.
    kinds: Vec<u64>,
    enforced_deny: Vec<u64>,
    audit_deny: Vec<u64>,
    allow: Vec<u64>,
}

impl RuleIndex {
    /// Builds the tables for `policy`.
    pub(crate) fn build(policy: &SmartInstallPolicy) -> Self {
        let words = policy.rules.len().div_ceil(64);
        let mut kinds = vec![0; MessageKind::ALL.len() * words];
        let mut enforced_deny = vec![0; words];
        let mut audit_deny = vec![0; words];
        let mut allow = vec![0; words];
        let mut src = Vec::new();
        let mut dst = Vec::new();
        for (r, rule) in policy.rules.iter().enumerate() {
            for kind in rule.kinds.iter() {
                set_row_bit(&mut kinds, kind as usize, words, r);
            }
            let class = match (rule.action, rule.mode) {
                (Action::Deny, Mode::Enforce) => &mut enforced_deny,
                (Action::Deny, Mode::Audit) => &mut audit_deny,
                (Action::Allow, _) => &mut allow,
            };
            set_bit(class, r);
            src.extend(selector_ranges(policy, &rule.from).map(|range| (range, r)));
            dst.extend(selector_ranges(policy, &rule.to).map(|range| (range, r)));
        }
        Self {
            words,
            src: AddrIndex::build(words, &src),
            dst: AddrIndex::build(words, &dst),
            kinds,
            enforced_deny,
            audit_deny,
            allow,
        }
    }

    /// The best-class, first-in-file-order rule matching `ev`.
    pub(crate) fn lookup(&self, ev: &SmartInstallEvent<'_>) -> RuleMatch {
        let words = self.words;
        let src = self.src.row(ev.src, words);
        let dst = self.dst.row(ev.dst, words);
        let start = ev.kind as usize * words;
        let kind = self.kinds.get(start..start + words).unwrap_or_default();
        let mut audit = None;
        let mut allow = None;
        let rows = src.iter().zip(dst).zip(kind);
        let classes = self
            .enforced_deny
            .iter()
            .zip(&self.audit_deny)
            .zip(&self.allow);
        for (w, (((s, d), k), ((e, a), l))) in rows.zip(classes).enumerate() {
            let m = s & d & k;
            if m == 0 {
                continue;
            }
            if m & e != 0 {
                return RuleMatch::EnforcedDeny(w * 64 + (m & e).trailing_zeros() as usize);
            }
            if audit.is_none() && m & a != 0 {
                audit = Some(w * 64 + (m & a).trailing_zeros() as usize);
            }
            if allow.is_none() && m & l != 0 {
                allow = Some(w * 64 + (m & l).trailing_zeros() as usize);
            }
        }
        RuleMatch::from_firsts(audit, allow)
    }
}

/// The address ranges `(is_ipv4, first, last)` that a rule's selectors stand for.
fn selector_ranges<'a>(
    policy: &'a SmartInstallPolicy,
    selectors: &'a [Selector],
) -> impl Iterator<Item = Range> + 'a {
    selectors.iter().flat_map(move |selector| {
        let nets: &[IpNet] = match selector {
            Selector::Any => &[],
            Selector::Directors => &policy.directors.0,
            Selector::ClientNetworks => &policy.client_networks.0,
            Selector::TftpServers => &policy.tftp_servers.nets.0,
            Selector::Nets(set) => &set.0,
        };
        let any: &[Range] = match selector {
            Selector::Any => &ANY,
            _ => &[],
        };
        any.iter().copied().chain(nets.iter().map(|net| {
            let (lo, hi) = net.range();
            (net.is_ipv4(), lo, hi)
        }))
    })
}

/// `(is_ipv4, first, last)` in the family's integer space ([`IpNet::range`]).
type Range = (bool, u128, u128);

/// Both whole families.
const ANY: [Range; 2] = [(true, 0, u32::MAX as u128), (false, 0, u128::MAX)];

/// Interval tables for one direction, one per family.
#[derive(Clone, Debug)]
struct AddrIndex {
    v4: IntervalTable,
    v6: IntervalTable,
}

impl AddrIndex {
    fn build(words: usize, ranges: &[(Range, usize)]) -> Self {
        let family = |v4: bool| -> Vec<(u128, u128, usize)> {
            ranges
                .iter()
                .filter(|((is_v4, _, _), _)| *is_v4 == v4)
                .map(|((_, lo, hi), r)| (*lo, *hi, *r))
                .collect()
        };
        Self {
            v4: IntervalTable::build(words, &family(true)),
            v6: IntervalTable::build(words, &family(false)),
        }
    }

    /// The rule bit set of the interval containing `ip`.
    fn row(&self, ip: std::net::IpAddr, words: usize) -> &[u64] {
        let (v4, x) = family_bits(ip);
        let table = if v4 { &self.v4 } else { &self.v6 };
        table.row(x, words)
    }
}

/// Sorted interval starts of one family and a rule bit set per interval.
#[derive(Clone, Debug)]
struct IntervalTable {
    /// Starts of the elementary intervals; `bounds[0] == 0`.
    bounds: Vec<u128>,
    /// `bounds.len()` rows of `words` words each.
    rows: Vec<u64>,
}

impl IntervalTable {
    fn build(words: usize, ranges: &[(u128, u128, usize)]) -> Self {
        let mut bounds = vec![0];
        for &(lo, hi, _) in ranges {
            bounds.push(lo);
            // Past an IPv4 family's top this adds an interval no address falls in: harmless.
            if let Some(next) = hi.checked_add(1) {
                bounds.push(next);
            }
        }
        bounds.sort_unstable();
        bounds.dedup();
        let mut rows = vec![0; bounds.len() * words];
        for &(lo, hi, r) in ranges {
            let first = bounds.partition_point(|b| *b < lo);
            let end = bounds.partition_point(|b| *b <= hi);
            for k in first..end {
                set_row_bit(&mut rows, k, words, r);
            }
        }
        Self { bounds, rows }
    }

    fn row(&self, x: u128, words: usize) -> &[u64] {
        let k = self.bounds.partition_point(|b| *b <= x).saturating_sub(1);
        self.rows
            .get(k * words..(k + 1) * words)
            .unwrap_or_default()
    }
}

fn set_bit(words: &mut [u64], bit: usize) {
    if let Some(w) = words.get_mut(bit / 64) {
        *w |= 1 << (bit % 64);
    }
}

/// Sets `bit` in row `row` of a table of `words`-word rows.
fn set_row_bit(table: &mut [u64], row: usize, words: usize, bit: usize) {
    if let Some(row) = table.get_mut(row * words..(row + 1) * words) {
        set_bit(row, bit);
    }
}
