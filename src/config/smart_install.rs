//! The `[smart_install]` section of a policy file: directors, client networks, TFTP servers,
//! `copy` command patterns, content-check modes and the access rules
//! (`crate::policy::access`; message kinds per `../shared/protocols/smart-install.md` §2.3).
//!
//! Operator input, trusted but validated.

use crate::config::doc::{Ctx, Node, Table, UniqueNames, one_of};
use crate::config::policy_file::{addr_set, host_set, mode, required_list, unique_name};
use crate::policy::Mode;
use crate::policy::access::{
    AccessRule, Action, ContentChecks, CopyPattern, KindSet, MessageKind, Selector,
    SmartInstallPolicy,
};
use crate::policy::net::{AddrSet, IpNet, NetError};
use crate::policy::smi_proxy::ProxySettings;

/// Parses the section (already taken from the document; the caller finishes it): the access
/// policy, and the SMI proxy settings when `role = "proxy"`.
pub(super) fn parse(
    cx: &mut Ctx<'_>,
    t: &mut Table<'_, '_>,
) -> (SmartInstallPolicy, Option<ProxySettings>) {
    let proxy = crate::config::smi_proxy::parse(cx, t);
    (access(cx, t), proxy)
}

fn access(cx: &mut Ctx<'_>, t: &mut Table<'_, '_>) -> SmartInstallPolicy {
    let mut policy = SmartInstallPolicy::default();
    if let Some(m) = t.parse(cx, "default_mode", mode) {
        policy.default_mode = m;
    }
    if let Some(node) = t.take("directors") {
        policy.directors = addr_set(cx, &node);
    }
    if let Some(node) = t.take("client_networks") {
        policy.client_networks = addr_set(cx, &node);
    }
    if let Some(node) = t.take("tftp_servers") {
        policy.tftp_servers = host_set(cx, &node);
    }
    if let Some(patterns) = t.strings(cx, "copy_patterns", copy_pattern) {
        policy.copy_patterns = patterns;
    }
    policy.checks = t.with_section(cx, "checks", content_checks);
    let mut names = UniqueNames::default();
    for mut rule in t.tables(cx, "rules") {
        if let Some(r) = access_rule(cx, &mut rule, &mut names) {
            policy.rules.push(r);
        }
        rule.finish(cx);
    }
    policy
}

fn content_checks(cx: &mut Ctx<'_>, t: &mut Table<'_, '_>) -> ContentChecks {
    let mut checks = ContentChecks::default();
    if let Some(m) = t.parse(cx, "url_hosts", mode) {
        checks.url_hosts = m;
    }
    if let Some(m) = t.parse(cx, "copy_commands", mode) {
        checks.copy_commands = m;
    }
    checks
}

/// One `[[smart_install.rules]]` entry. Every key is checked even when an earlier one failed.
fn access_rule(
    cx: &mut Ctx<'_>,
    t: &mut Table<'_, '_>,
    names: &mut UniqueNames,
) -> Option<AccessRule> {
    let name = unique_name(cx, t, names);
    let action = t.require(cx, "action").and_then(|n| n.parse(cx, action));
    let from = t.require(cx, "from").and_then(|n| selectors(cx, &n));
    let to = t.require(cx, "to").and_then(|n| selectors(cx, &n));
    let kinds = t.require(cx, "kinds").and_then(|n| kinds(cx, &n));
    let mode_node = t.take("mode");
    let rule_mode = mode_node
        .as_ref()
        .and_then(|n| n.parse(cx, mode))
        .unwrap_or_default();
    // Audit mode records a denial without enforcing it. An allow rule has no denial to soften,
    // and an allow that is "only audited" would be read as either a grant or not: refuse it.
    if let (Some(node), Some(Action::Allow), Mode::Audit) = (&mode_node, action, rule_mode) {
        node.invalid(
            cx,
            "audit mode applies to deny rules; remove it from this allow rule",
        );
    }
    Some(AccessRule {
        name: name?,
        action: action?,
        from: from?,
        to: to?,
        kinds: kinds?,
        mode: rule_mode,
    })
}

fn action(s: &str) -> Result<Action, String> {
    one_of(s, &[("allow", Action::Allow), ("deny", Action::Deny)])
}

/// One `from`/`to` element before consecutive prefixes are merged.
enum SelectorItem {
    Named(Selector),
    Net(IpNet),
}

/// `from`/`to`: named sets or prefixes; consecutive prefixes become one [`Selector::Nets`].
fn selectors(cx: &mut Ctx<'_>, node: &Node<'_, '_>) -> Option<Vec<Selector>> {
    let items = required_list(cx, node, selector_item)?;
    let mut out: Vec<Selector> = Vec::new();
    for item in items {
        match (item, out.last_mut()) {
            (SelectorItem::Net(net), Some(Selector::Nets(set))) => set.0.push(net),
            (SelectorItem::Net(net), _) => out.push(Selector::Nets(AddrSet(vec![net]))),
            (SelectorItem::Named(selector), _) => out.push(selector),
        }
    }
    Some(out)
}

fn selector_item(s: &str) -> Result<SelectorItem, String> {
    let named = match s {
        "any" => Selector::Any,
        "directors" => Selector::Directors,
        "client_networks" => Selector::ClientNetworks,
        "tftp_servers" => Selector::TftpServers,
        _ => {
            return s.parse().map(SelectorItem::Net).map_err(|e: NetError| {
                format!(
                    "`{s}` is not `any`, `directors`, `client_networks`, `tftp_servers` or an \
                     address prefix ({e})"
                )
            });
        }
    };
    Ok(SelectorItem::Named(named))
}

/// Message kinds; `all` is every kind except `execute`, which must be named explicitly.
fn kinds(cx: &mut Ctx<'_>, node: &Node<'_, '_>) -> Option<KindSet> {
    let sets = required_list(cx, node, |s| match s {
        "all" => Ok(MessageKind::ALL
            .into_iter()
            .filter(|k| *k != MessageKind::Execute)
            .fold(KindSet::default(), KindSet::with)),
        _ => s.parse::<MessageKind>().map(|k| KindSet::default().with(k)),
    })?;
    Some(
        sets.into_iter()
            .fold(KindSet::default(), |a, b| KindSet(a.0 | b.0)),
    )
}

/// A `copy` command pattern: starts with `copy`, only the `{tftp}` placeholder.
fn copy_pattern(s: &str) -> Result<CopyPattern, String> {
    let mut words = s.split_whitespace();
    let starts_with_copy = words.next().is_some_and(|w| w.eq_ignore_ascii_case("copy"));
    if !starts_with_copy || words.next().is_none() {
        return Err("a copy pattern must start with `copy ` followed by its arguments".into());
    }
    let mut rest = s;
    while let Some(open) = rest.find(['{', '}']) {
        if rest[open..].starts_with('}') {
            return Err("unmatched `}` in copy pattern".into());
        }
        let close = rest[open..]
            .find('}')
            .ok_or("unterminated `{` placeholder in copy pattern")?;
        let name = &rest[open + 1..open + close];
        if name != "tftp" {
            return Err(format!(
                "unknown placeholder `{{{name}}}` (the only placeholder is `{{tftp}}`)"
            ));
        }
        rest = &rest[open + close + 1..];
    }
    Ok(CopyPattern {
        source: s.to_owned(),
    })
}
