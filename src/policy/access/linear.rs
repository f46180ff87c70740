//! The reference evaluator of the Smart Install access policy: a plain scan over the rules in
//! file order, written for obviousness rather than speed. Property tests check the compiled tables
//! against it, and `ztpgate bench policy` measures both.
//!
//! Inputs: a validated policy (trusted) and event addresses (attacker-influenced, only compared).

use std::net::IpAddr;

use crate::policy::Decision;
use crate::policy::Mode;
use crate::policy::access::{
    AccessVerdict, Action, CompiledAccess, RuleMatch, Selector, SmartInstallEvent,
    SmartInstallPolicy,
};

impl CompiledAccess {
    /// The same decision as [`CompiledAccess::decide`], found by scanning every rule.
    pub(crate) fn decide_linear(&self, ev: &SmartInstallEvent<'_>) -> Decision<AccessVerdict> {
        self.finish(ev, linear_match(self.policy(), ev))
    }
}

fn linear_match(policy: &SmartInstallPolicy, ev: &SmartInstallEvent<'_>) -> RuleMatch {
    let mut audit = None;
    let mut allow = None;
    for (i, rule) in policy.rules.iter().enumerate() {
        let matches = rule.kinds.contains(ev.kind)
            && rule.from.iter().any(|s| selects(policy, s, ev.src))
            && rule.to.iter().any(|s| selects(policy, s, ev.dst));
        if !matches {
            continue;
        }
        match (rule.action, rule.mode) {
            (Action::Deny, Mode::Enforce) => return RuleMatch::EnforcedDeny(i),
            (Action::Deny, Mode::Audit) => {
                audit.get_or_insert(i);
            }
            (Action::Allow, _) => {
                allow.get_or_insert(i);
            }
        }
    }
    RuleMatch::from_firsts(audit, allow)
}

fn selects(policy: &SmartInstallPolicy, selector: &Selector, ip: IpAddr) -> bool {
    match selector {
        Selector::Any => true,
        Selector::Directors => policy.directors.contains(ip),
        Selector::ClientNetworks => policy.client_networks.contains(ip),
        Selector::TftpServers => policy.tftp_servers.nets.contains(ip),
        Selector::Nets(set) => set.contains(ip),
    }
}
