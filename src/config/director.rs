//! The `[director]` section of a policy file: the Smart Install director's default image,
//! seed configuration and script, its custom and built-in groups, and
//! `harden_after_zero_touch` (`crate::policy::director`).
//!
//! Operator input, trusted but validated: file names are relative names under the director's
//! file root (no `..`, no absolute paths, a conservative character set), MAC addresses and PIDs
//! are checked, and a custom group names exactly one way of matching.

use crate::config::doc::{Ctx, Node, Table, UniqueNames};
use crate::config::policy_file::{non_empty, required_list, unique_name};
use crate::policy::director::{
    Artifacts, BuiltIn, DirectorPolicy, Group, GroupMatch, Hardening, StackSlot, product_family,
};
use crate::policy::join::Mac;

/// Parses the section (already taken from the document; the caller finishes it).
pub(super) fn parse(cx: &mut Ctx<'_>, t: &mut Table<'_, '_>) -> DirectorPolicy {
    let default = Artifacts {
        image: t.parse(cx, "default_image", file_name),
        config: t.parse(cx, "default_config", file_name),
        script: t.parse(cx, "default_script", file_name),
    };
    let harden = t
        .take("harden_after_zero_touch")
        .map(|n| hardening(cx, &n))
        .unwrap_or_default();
    let mut names = UniqueNames::default();
    let mut groups = Vec::new();
    for mut g in t.tables(cx, "groups") {
        if let Some(group) = custom_group(cx, &mut g, &mut names) {
            groups.push(group);
        }
        g.finish(cx);
    }
    let mut families = UniqueNames::default();
    let mut builtin = Vec::new();
    for mut b in t.tables(cx, "builtin") {
        if let Some(b_group) = builtin_group(cx, &mut b, &mut families) {
            builtin.push(b_group);
        }
        b.finish(cx);
    }
    DirectorPolicy {
        default,
        groups,
        builtin,
        harden,
    }
}

fn artifacts(cx: &mut Ctx<'_>, t: &mut Table<'_, '_>) -> Artifacts {
    Artifacts {
        image: t.parse(cx, "image", file_name),
        config: t.parse(cx, "config", file_name),
        script: t.parse(cx, "script", file_name),
    }
}

/// One `[[director.groups]]`: `name`, exactly one of `stack`, `macs`, `upstream`, `pids`, and its
/// files.
fn custom_group(cx: &mut Ctx<'_>, t: &mut Table<'_, '_>, names: &mut UniqueNames) -> Option<Group> {
    let name = unique_name(cx, t, names);
    let mut matchers = Vec::new();
    if let Some(node) = t.take("stack") {
        matchers.push(stack_slots(cx, &node).map(GroupMatch::Stack));
    }
    if let Some(node) = t.take("macs") {
        matchers.push(required_list(cx, &node, Mac::parse).map(GroupMatch::Mac));
    }
    if let Some(node) = t.take("upstream") {
        matchers.push(node.parse(cx, Mac::parse).map(GroupMatch::Connectivity));
    }
    if let Some(node) = t.take("pids") {
        matchers.push(required_list(cx, &node, non_empty).map(GroupMatch::Pid));
    }
    let artifacts = artifacts(cx, t);
    if matchers.len() != 1 {
        t.invalid(
            cx,
            "a group needs exactly one of `stack`, `macs`, `upstream`, `pids`",
        );
        return None;
    }
    Some(Group {
        name: name?,
        matcher: matchers.pop().flatten()?,
        artifacts,
    })
}

/// `stack = [{ number = 1, pid = "…", image = "…" }, …]`: numbers 1 to 9, each once.
fn stack_slots(cx: &mut Ctx<'_>, node: &Node<'_, '_>) -> Option<Vec<StackSlot>> {
    let tables = node.tables(cx)?;
    if tables.is_empty() {
        node.invalid(cx, "must not be empty");
        return None;
    }
    let mut slots = Vec::new();
    let mut ok = true;
    for mut t in tables {
        let number = t.require(cx, "number").and_then(|n| {
            let v = n.integer(cx)?;
            let checked = u8::try_from(v).ok().filter(|v| (1..=9).contains(v));
            match checked {
                Some(v) if slots.iter().any(|s: &StackSlot| s.number == v) => {
                    n.invalid(cx, format!("stack member {v} is listed twice"));
                    None
                }
                None => {
                    n.invalid(cx, "must be a stack member number from 1 to 9");
                    None
                }
                some => some,
            }
        });
        let pid = t.require(cx, "pid").and_then(|n| n.parse(cx, non_empty));
        let image = t.parse(cx, "image", file_name);
        t.finish(cx);
        match (number, pid) {
            (Some(number), Some(pid)) => slots.push(StackSlot { number, pid, image }),
            _ => ok = false,
        }
    }
    ok.then_some(slots)
}

/// One `[[director.builtin]]`: a product `family` (as `product_family` derives it) and its files.
fn builtin_group(
    cx: &mut Ctx<'_>,
    t: &mut Table<'_, '_>,
    families: &mut UniqueNames,
) -> Option<BuiltIn> {
    let node = t.require(cx, "family")?;
    let family = node.parse(cx, family_name)?;
    let unique = families.insert(cx, &node, &family);
    let artifacts = artifacts(cx, t);
    unique.then_some(BuiltIn { family, artifacts })
}

/// `harden_after_zero_touch = ["acl", "no-vstack"]` (either, both or none).
fn hardening(cx: &mut Ctx<'_>, node: &Node<'_, '_>) -> Hardening {
    let mut harden = Hardening::default();
    for item in node
        .strings(cx, |s| match s {
            "acl" | "no-vstack" => Ok(s.to_owned()),
            _ => Err(format!(
                "unknown value `{s}` (expected `acl` or `no-vstack`)"
            )),
        })
        .unwrap_or_default()
    {
        match item.as_str() {
            "acl" => harden.acl = true,
            _ => harden.no_vstack = true,
        }
    }
    harden
}

/// A family as `product_family` derives it: accepts a family (`2960x`) or a whole PID.
fn family_name(s: &str) -> Result<String, String> {
    product_family(s)
        .or_else(|| product_family(&format!("WS-C{s}")))
        .ok_or_else(|| format!("`{s}` is not a product family such as `2960x` or `3850`"))
}

/// A file under the director's root: relative, no `..`, letters, digits and `._-+/` only.
fn file_name(s: &str) -> Result<String, &'static str> {
    let ok = !s.is_empty()
        && s.len() <= 255
        && !s.starts_with('/')
        && s.split('/').all(|c| !c.is_empty() && c != "." && c != "..")
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'+' | b'/'));
    if ok {
        Ok(s.to_owned())
    } else {
        Err("must be a relative file name (letters, digits, `._-+/`, no `..`)")
    }
}
