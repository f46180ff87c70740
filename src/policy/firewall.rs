//! Firewall planning: the nftables rule set ztpgate wants in its own table (`inet ztpgate`),
//! computed from the Smart Install policy, and the batch that takes the kernel there.
//!
//! Pure: the inputs are the validated [`SmartInstallPolicy`] (operator input, trusted) and the
//! [`RelayTarget`] the caller names; nothing here reads the kernel, a file or the clock. The
//! netlink adapter `crate::edge::netlink` only sends the [`Op`]s planned here. Guidance followed:
//! `../shared/protocols/smart-install.md` §9 (restrict TCP 4786 to the director, restrict the TFTP
//! servers clients may reach) and `../shared/design/STYLE.md` §2.1 (plan, then apply).
//!
//! # The rule set
//! Every chain hooks at `prerouting`, so one table covers traffic to the gateway and traffic it
//! routes, and filtering happens on the original addresses, before any NAT:
//! - `filter-prerouting` (filter, priority -150): TCP to the relay's own address and port is
//!   dropped (`si-drop-relay-direct`: steered flows still carry their original destination here);
//!   TCP 4786 jumps to `smart-install`, UDP 69 to `tftp`; everything else is left to other tables
//!   (policy accept).
//! - `smart-install`: to a client network → `si-to-client`, which accepts directors and drops the
//!   rest; to a director → `si-to-director`, which accepts client networks (the client's side of
//!   the protocol, smart-install.md §9 item 9) and drops the rest; any other TCP 4786 is dropped.
//! - `tftp`: from a client network → `tftp-from-client`, which accepts the `tftp_servers`
//!   prefixes and drops the rest. TFTP from elsewhere is not this table's business.
//! - `steer` (nat, priority -100): director → client TCP 4786 is DNATed to the inspecting relay on
//!   the gateway ([`RelayTarget`]); the relay recovers the original destination with
//!   `SO_ORIGINAL_DST`. A family without a relay address cannot be steered, so its director flows
//!   are dropped instead (fail closed, counted as `si-no-relay`).
//!
//! Every accept and drop carries a counter and a comment naming its reason (`ztpgate:<reason>`),
//! so drops can be accounted per reason with `nft list table inet ztpgate`. DNS names in
//! `tftp_servers` cannot be matched by address without resolving them; they are listed in
//! [`Ruleset::unmatched_hosts`] and rendered as a comment, and TFTP to them is dropped.
//!
//! # Applying
//! The kernel interface can only write, so [`diff`] works against what ztpgate last applied
//! ([`Current`]). Any change replaces the whole table in one atomic batch: create the table (a
//! no-op when it exists), delete it, then add every chain and rule. The kernel runs the batch as
//! one transaction, so no packet ever sees a half-built table, and no other table is touched.

mod render;
#[cfg(test)]
mod tests;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::policy::access::SmartInstallPolicy;
use crate::policy::net::IpNet;

pub use self::render::{render_ruleset, render_script};

/// The nftables family and name of ztpgate's table. No other table is ever touched.
pub const TABLE_NAME: &str = "ztpgate";

/// TCP port of Smart Install (smart-install.md §1).
pub const SMART_INSTALL_PORT: u16 = 4786;

/// UDP port of TFTP.
pub const TFTP_PORT: u16 = 69;

/// Where steered director → client flows go: the relay's listen port on the gateway and, per
/// family, the gateway address it listens on.
///
/// nftables' `redirect` would pick the address itself, but the netlink library has no redirect
/// expression, so the plan DNATs to an explicit address. Default: port 4786 and no address, which
/// steers nothing and drops director flows (fail closed) until an address is given.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RelayTarget {
    /// TCP port the relay listens on.
    pub port: u16,
    /// Gateway IPv4 address the relay listens on.
    pub v4: Option<Ipv4Addr>,
    /// Gateway IPv6 address the relay listens on.
    pub v6: Option<Ipv6Addr>,
}

impl Default for RelayTarget {
    fn default() -> Self {
        Self {
            port: SMART_INSTALL_PORT,
            v4: None,
            v6: None,
        }
    }
}

/// Why an address cannot be added to a [`RelayTarget`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    /// Unspecified or multicast addresses cannot be DNAT targets.
    #[error("{0} cannot be a DNAT target")]
    NotATarget(IpAddr),
    /// The family already has its address.
    #[error("{0}: at most one relay address per address family")]
    FamilyTaken(IpAddr),
}

impl RelayTarget {
    /// Adds `addr` as the relay address of its family.
    pub fn add(&mut self, addr: IpAddr) -> Result<(), TargetError> {
        if addr.is_unspecified() || addr.is_multicast() {
            return Err(TargetError::NotATarget(addr));
        }
        match addr {
            IpAddr::V4(a) if self.v4.is_none() => self.v4 = Some(a),
            IpAddr::V6(a) if self.v6.is_none() => self.v6 = Some(a),
            _ => return Err(TargetError::FamilyTaken(addr)),
        }
        Ok(())
    }

    /// The relay address for `family`, if one was given.
    pub fn addr(&self, family: Family) -> Option<IpAddr> {
        match family {
            Family::Ipv4 => self.v4.map(IpAddr::V4),
            Family::Ipv6 => self.v6.map(IpAddr::V6),
        }
    }
}

/// The whole content of table `inet ztpgate`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ruleset {
    /// Chains in creation order (base chains first).
    pub chains: Vec<Chain>,
    /// `tftp_servers` entries that are DNS names and so cannot be matched by address.
    pub unmatched_hosts: Vec<String>,
}

impl Ruleset {
    /// Rules in all chains.
    pub fn rule_count(&self) -> usize {
        self.chains.iter().map(|c| c.rules.len()).sum()
    }
}

/// One chain of the table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chain {
    /// Chain name, unique in the table.
    pub name: &'static str,
    /// Hook of a base chain; `None` for a chain reached only by jump or goto.
    pub hook: Option<BaseHook>,
    /// Rules in evaluation order.
    pub rules: Vec<Rule>,
}

/// How a base chain attaches to the `prerouting` hook (its policy is always accept: the table only
/// drops what a rule drops).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BaseHook {
    /// `type filter hook prerouting priority -150` (before conntrack NAT).
    Filter,
    /// `type nat hook prerouting priority -100` (dstnat).
    Nat,
}

impl BaseHook {
    /// The chain priority.
    pub fn priority(self) -> i32 {
        match self {
            Self::Filter => -150,
            Self::Nat => -100,
        }
    }
}

/// One rule: all matches must hold; then the counter counts and the verdict applies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    /// Conditions, in evaluation order.
    pub matches: Vec<Match>,
    /// Whether the rule counts packets and bytes.
    pub counter: bool,
    /// What happens to a matching packet.
    pub verdict: Verdict,
    /// Why the rule exists; rendered as the comment `ztpgate:<reason>`.
    pub reason: &'static str,
}

/// A rule condition.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Match {
    /// The layer-3 family (`meta nfproto`); must precede address matches in an inet table.
    Family(Family),
    /// The layer-4 protocol (`meta l4proto`); must precede a port match.
    Protocol(Protocol),
    /// The destination port of the protocol matched before.
    DestinationPort(Protocol, u16),
    /// The source address lies in the prefix.
    Source(IpNet),
    /// The destination address lies in the prefix.
    Destination(IpNet),
}

/// Layer-3 family.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Family {
    /// IPv4.
    Ipv4,
    /// IPv6.
    Ipv6,
}

impl Family {
    /// The family of a prefix.
    pub fn of(net: &IpNet) -> Self {
        if net.is_ipv4() {
            Self::Ipv4
        } else {
            Self::Ipv6
        }
    }
}

/// Layer-4 protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Protocol {
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
}

/// What a rule does with a matching packet.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Verdict {
    /// Let it through this table.
    Accept,
    /// Drop it.
    Drop,
    /// Evaluate the named chain, then continue here.
    Jump(&'static str),
    /// Evaluate the named chain and do not come back.
    Goto(&'static str),
    /// Rewrite the destination to the address and port (nat chains only).
    Dnat(IpAddr, u16),
}

/// What ztpgate knows about its table in the kernel (the kernel interface cannot read it back).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Current {
    /// This exact rule set was applied by this process and nothing flushed it since.
    Applied(Ruleset),
    /// The table is known not to exist.
    Absent,
    /// Not known (a fresh process, or the ruleset may have been flushed): replace whatever is there.
    Unknown,
}

/// One message of the netlink batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    /// Create the table if it does not exist (never fails on an existing table).
    EnsureTable,
    /// Delete the table with all its chains, rules and counters.
    DeleteTable,
    /// Create a chain (all chains come before any rule, so jumps resolve).
    AddChain {
        /// Chain name.
        name: &'static str,
        /// Base-chain hook, if any.
        hook: Option<BaseHook>,
    },
    /// Append a rule to a chain.
    AddRule {
        /// Chain name.
        chain: &'static str,
        /// The rule.
        rule: Rule,
    },
}

/// Plans the table for `policy`, steering director flows to `relay`.
pub fn plan(policy: &SmartInstallPolicy, relay: &RelayTarget) -> Ruleset {
    let clients = &policy.client_networks.0;
    let directors = &policy.directors.0;
    let tftp = &policy.tftp_servers.nets.0;
    let chains = vec![
        Chain {
            name: "filter-prerouting",
            hook: Some(BaseHook::Filter),
            rules: relay_direct_rules(relay)
                .into_iter()
                .chain([
                    dispatch(Protocol::Tcp, SMART_INSTALL_PORT, "smart-install"),
                    dispatch(Protocol::Udp, TFTP_PORT, "tftp"),
                ])
                .collect(),
        },
        Chain {
            name: "steer",
            hook: Some(BaseHook::Nat),
            rules: steer_rules(clients, relay),
        },
        Chain {
            name: "smart-install",
            hook: None,
            rules: smart_install_rules(clients, directors),
        },
        Chain {
            name: "si-to-client",
            hook: None,
            rules: to_client_rules(directors, relay),
        },
        Chain {
            name: "si-to-director",
            hook: None,
            rules: allow_then_drop(
                clients,
                Match::Source,
                "si-client-to-director",
                "si-drop-to-director",
            ),
        },
        Chain {
            name: "tftp",
            hook: None,
            rules: clients
                .iter()
                .map(|c| {
                    rule(
                        Match::Source,
                        *c,
                        false,
                        Verdict::Goto("tftp-from-client"),
                        "tftp-from-client",
                    )
                })
                .collect(),
        },
        Chain {
            name: "tftp-from-client",
            hook: None,
            rules: allow_then_drop(
                tftp,
                Match::Destination,
                "tftp-allowed-server",
                "tftp-drop-server",
            ),
        },
    ];
    Ruleset {
        chains,
        unmatched_hosts: policy.tftp_servers.names.clone(),
    }
}

/// The batch that takes the kernel from `current` to `desired` (empty when nothing changes).
pub fn diff(current: &Current, desired: &Ruleset) -> Vec<Op> {
    let mut ops = match current {
        Current::Applied(applied) if applied == desired => return Vec::new(),
        Current::Applied(_) | Current::Unknown => vec![Op::EnsureTable, Op::DeleteTable],
        Current::Absent => Vec::new(),
    };
    ops.push(Op::EnsureTable);
    ops.extend(desired.chains.iter().map(|c| Op::AddChain {
        name: c.name,
        hook: c.hook,
    }));
    for chain in &desired.chains {
        ops.extend(chain.rules.iter().map(|r| Op::AddRule {
            chain: chain.name,
            rule: r.clone(),
        }));
    }
    ops
}

/// The batch that removes ztpgate's table, whether or not it exists, and nothing else.
pub fn removal() -> Vec<Op> {
    vec![Op::EnsureTable, Op::DeleteTable]
}

fn dispatch(protocol: Protocol, port: u16, chain: &'static str) -> Rule {
    Rule {
        matches: vec![
            Match::Protocol(protocol),
            Match::DestinationPort(protocol, port),
        ],
        counter: false,
        verdict: Verdict::Jump(chain),
        reason: chain,
    }
}

fn smart_install_rules(clients: &[IpNet], directors: &[IpNet]) -> Vec<Rule> {
    let to_client = clients.iter().map(|c| {
        rule(
            Match::Destination,
            *c,
            false,
            Verdict::Goto("si-to-client"),
            "si-to-client",
        )
    });
    let to_director = directors.iter().map(|d| {
        rule(
            Match::Destination,
            *d,
            false,
            Verdict::Goto("si-to-director"),
            "si-to-director",
        )
    });
    let drop = Rule {
        matches: Vec::new(),
        counter: true,
        verdict: Verdict::Drop,
        reason: "si-drop-other",
    };
    to_client.chain(to_director).chain([drop]).collect()
}

fn to_client_rules(directors: &[IpNet], relay: &RelayTarget) -> Vec<Rule> {
    let mut rules: Vec<Rule> = directors
        .iter()
        .map(|d| match relay.addr(Family::of(d)) {
            Some(_) => rule(
                Match::Source,
                *d,
                true,
                Verdict::Accept,
                "si-director-to-client",
            ),
            None => rule(Match::Source, *d, true, Verdict::Drop, "si-no-relay"),
        })
        .collect();
    rules.push(Rule {
        matches: Vec::new(),
        counter: true,
        verdict: Verdict::Drop,
        reason: "si-drop-not-director",
    });
    rules
}

/// Nobody connects to the relay directly: steered flows still carry their original destination
/// when the filter chain sees them (it runs before NAT), so a packet addressed to the relay's own
/// address and port was sent there on purpose and is dropped.
fn relay_direct_rules(relay: &RelayTarget) -> Vec<Rule> {
    [Family::Ipv4, Family::Ipv6]
        .into_iter()
        .filter_map(|family| {
            let addr = relay.addr(family)?;
            let mut r = rule(
                Match::Destination,
                IpNet::host(addr),
                true,
                Verdict::Drop,
                "si-drop-relay-direct",
            );
            r.matches.insert(1, Match::Protocol(Protocol::Tcp));
            r.matches
                .insert(2, Match::DestinationPort(Protocol::Tcp, relay.port));
            Some(r)
        })
        .collect()
}

fn steer_rules(clients: &[IpNet], relay: &RelayTarget) -> Vec<Rule> {
    clients
        .iter()
        .filter_map(|c| {
            let to = relay.addr(Family::of(c))?;
            let mut r = rule(
                Match::Destination,
                *c,
                true,
                Verdict::Dnat(to, relay.port),
                "si-steer-to-relay",
            );
            r.matches.insert(1, Match::Protocol(Protocol::Tcp));
            r.matches
                .insert(2, Match::DestinationPort(Protocol::Tcp, SMART_INSTALL_PORT));
            Some(r)
        })
        .collect()
}

/// One counted accept per prefix (matched with `to_match`), then a counted drop.
fn allow_then_drop(
    nets: &[IpNet],
    to_match: fn(IpNet) -> Match,
    allow: &'static str,
    drop: &'static str,
) -> Vec<Rule> {
    let mut rules: Vec<Rule> = nets
        .iter()
        .map(|n| rule(to_match, *n, true, Verdict::Accept, allow))
        .collect();
    rules.push(Rule {
        matches: Vec::new(),
        counter: true,
        verdict: Verdict::Drop,
        reason: drop,
    });
    rules
}

/// A rule on one address match, preceded by the family check the inet table needs.
fn rule(
    side: fn(IpNet) -> Match,
    net: IpNet,
    counter: bool,
    verdict: Verdict,
    reason: &'static str,
) -> Rule {
    Rule {
        matches: vec![Match::Family(Family::of(&net)), side(net)],
        counter,
        verdict,
        reason,
    }
}
