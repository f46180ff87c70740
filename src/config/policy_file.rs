//! Policy files (`policies/*.toml`): the top level (`name`, `description`, `[[trust_anchors]]`)
//! and the helpers the section parsers share. Schema reference: `policies/README.md`;
//! policy model: `../shared/design/ARCHITECTURE.md` §6.
//!
//! Operator input, trusted but validated: every key is checked, every problem reported.

use std::path::{Path, PathBuf};

use crate::config::ConfigError;
use crate::config::doc::{Ctx, Node, Table, UniqueNames, one_of};
use crate::config::{device_auth, director, image_delivery, join_window, pnp, smart_install};
use crate::policy::auth::TrustAnchorSet;
use crate::policy::net::{AddrSet, HostSet, IpNet};
use crate::policy::{Mode, Policy};

/// Where the relative paths of a policy file resolve.
#[derive(Clone, Copy, Debug)]
pub(super) struct PolicyPaths<'p> {
    /// The policy file's directory.
    pub(super) base_dir: &'p Path,
    /// The gateway data directory, when the policy is loaded for a gateway.
    pub(super) data_dir: Option<&'p Path>,
}

/// Parses and validates a policy file.
pub(super) fn parse(
    file: &str,
    text: &str,
    paths: PolicyPaths<'_>,
) -> Result<Policy, Vec<ConfigError>> {
    let (mut cx, doc) = Ctx::parse(file, text);
    let mut root = Table::root(&doc);
    let policy = policy(&mut cx, &mut root, paths);
    root.finish(&mut cx);
    if cx.has_errors() {
        Err(cx.finish())
    } else {
        Ok(policy)
    }
}

fn policy(cx: &mut Ctx<'_>, root: &mut Table<'_, '_>, paths: PolicyPaths<'_>) -> Policy {
    let name = root
        .require(cx, "name")
        .and_then(|n| n.parse(cx, non_empty))
        .unwrap_or_default();
    let description = root
        .take("description")
        .and_then(|n| n.str(cx).map(str::to_owned))
        .unwrap_or_default();
    let anchor_sets = trust_anchors(cx, root, paths);
    let (smart_install, smi_proxy) = root.with_section(cx, "smart_install", smart_install::parse);
    if smi_proxy.is_some() {
        // Taken here, so the director sections are reported where they stand and not parsed.
        for key in crate::config::smi_proxy::DIRECTOR_ONLY {
            if let Some(node) = root.take(key) {
                node.invalid(
                    cx,
                    format!(
                        "[{key}] is a Smart Install director setting and smart_install.role = \
                         \"proxy\": director and proxy are mutually exclusive"
                    ),
                );
            }
        }
    }
    let join_window = root.with_section(cx, "join_window", join_window::parse);
    let device_auth = root.with_section(cx, "device_auth", |cx, t| {
        device_auth::parse(cx, t, anchor_sets)
    });
    let image_delivery = root.with_section(cx, "image_delivery", image_delivery::parse);
    let pnp = root.with_section(cx, "pnp", |cx, t| pnp::parse(cx, t, &image_delivery));
    let director = root.with_section(cx, "director", director::parse);
    Policy {
        name,
        description,
        smart_install,
        join_window,
        device_auth,
        image_delivery,
        pnp,
        director,
        smi_proxy,
    }
}

/// `[[trust_anchors]]`: named sets of PEM files or directories.
fn trust_anchors(
    cx: &mut Ctx<'_>,
    root: &mut Table<'_, '_>,
    paths: PolicyPaths<'_>,
) -> Vec<TrustAnchorSet> {
    let mut names = UniqueNames::default();
    let mut sets = Vec::new();
    for mut t in root.tables(cx, "trust_anchors") {
        let name = unique_name(cx, &mut t, &mut names);
        let files = t
            .require(cx, "paths")
            .and_then(|n| required_list(cx, &n, |s| anchor_path(s, paths)))
            .unwrap_or_default();
        t.finish(cx);
        if let Some(name) = name {
            sets.push(TrustAnchorSet { name, paths: files });
        }
    }
    sets
}

/// A trust-anchor path: `{data_dir}/...` against the data directory (when known), other relative
/// paths against the policy file's directory.
fn anchor_path(s: &str, paths: PolicyPaths<'_>) -> Result<PathBuf, &'static str> {
    if s.is_empty() {
        return Err("path must not be empty");
    }
    if let Some(rest) = s.strip_prefix(DATA_DIR) {
        let rest = match rest {
            "" => "",
            _ => rest
                .strip_prefix('/')
                .ok_or("`{data_dir}` must be followed by `/`")?,
        };
        return Ok(match paths.data_dir {
            Some(data_dir) => super::resolve(data_dir, Path::new(rest)),
            None => PathBuf::from(s),
        });
    }
    Ok(super::resolve(paths.base_dir, Path::new(s)))
}

const DATA_DIR: &str = "{data_dir}";

// === Shared helpers ===

/// `enforce` or `audit`.
pub(super) fn mode(s: &str) -> Result<Mode, String> {
    one_of(s, &[("enforce", Mode::Enforce), ("audit", Mode::Audit)])
}

/// A string that must not be empty.
pub(super) fn non_empty(s: &str) -> Result<String, &'static str> {
    if s.trim().is_empty() {
        Err("must not be empty")
    } else {
        Ok(s.to_owned())
    }
}

/// Takes the required, unique `name` of a named entry (rule, window, set). Returns `None` when it
/// is missing, invalid or a duplicate (all reported).
pub(super) fn unique_name(
    cx: &mut Ctx<'_>,
    t: &mut Table<'_, '_>,
    names: &mut UniqueNames,
) -> Option<String> {
    let node = t.require(cx, "name")?;
    let name = node.parse(cx, non_empty)?;
    names.insert(cx, &node, &name).then_some(name)
}

/// An array of strings that must have at least one element; each converted with `parse`.
pub(super) fn required_list<T, E: std::fmt::Display>(
    cx: &mut Ctx<'_>,
    node: &Node<'_, '_>,
    parse: impl FnMut(&str) -> Result<T, E>,
) -> Option<Vec<T>> {
    let items = node.strings(cx, parse)?;
    if node.value().as_array().is_some_and(|a| a.is_empty()) {
        node.invalid(cx, "must not be empty");
    }
    Some(items)
}

/// An array of address prefixes (bare addresses are host prefixes).
pub(super) fn addr_set(cx: &mut Ctx<'_>, node: &Node<'_, '_>) -> AddrSet {
    AddrSet(node.strings(cx, str::parse::<IpNet>).unwrap_or_default())
}

/// An array of hosts: prefixes, addresses or DNS names.
pub(super) fn host_set(cx: &mut Ctx<'_>, node: &Node<'_, '_>) -> HostSet {
    let mut hosts = HostSet::default();
    for item in node.array(cx).unwrap_or_default() {
        if let Some(s) = item.str(cx)
            && let Err(e) = hosts.push_entry(s)
        {
            item.invalid(cx, e);
        }
    }
    hosts
}
