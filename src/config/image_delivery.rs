//! The `[image_delivery]` section of a policy file: allowed schemes and hosts, checksums, the
//! clear-text rewrite target and named legacy-TFTP exceptions (`crate::policy::delivery`).
//!
//! Operator input, trusted but validated.

use crate::config::doc::{Ctx, Node, Table, UniqueNames, one_of};
use crate::config::policy_file::{addr_set, host_set, mode, unique_name};
use crate::policy::delivery::{ImageDeliveryPolicy, LegacyTftpException, Scheme};
use crate::policy::net::HostSet;

/// Parses the section (already taken from the document; the caller finishes it).
pub(super) fn parse(cx: &mut Ctx<'_>, t: &mut Table<'_, '_>) -> ImageDeliveryPolicy {
    let mut policy = ImageDeliveryPolicy::default();
    if let Some(m) = t.parse(cx, "mode", mode) {
        policy.mode = m;
    }
    if let Some(schemes) = t.strings(cx, "schemes", scheme) {
        policy.schemes = schemes;
    }
    if let Some(node) = t.take("allowed_hosts") {
        policy.allowed_hosts = host_set(cx, &node);
    }
    if let Some(b) = t.bool(cx, "require_checksum") {
        policy.require_checksum = b;
    }
    policy.rewrite_cleartext_to = t.parse(cx, "rewrite_cleartext_to", https_base);
    let mut names = UniqueNames::default();
    for mut entry in t.tables(cx, "legacy_tftp") {
        policy
            .legacy_tftp
            .extend(legacy_tftp(cx, &mut entry, &mut names));
        entry.finish(cx);
    }
    policy
}

fn scheme(s: &str) -> Result<Scheme, String> {
    one_of(
        s,
        &[
            ("ftp", Scheme::Ftp),
            ("http", Scheme::Http),
            ("https", Scheme::Https),
            ("scp", Scheme::Scp),
            ("sftp", Scheme::Sftp),
            ("tftp", Scheme::Tftp),
        ],
    )
}

/// `rewrite_cleartext_to`: an `https://host[/path]` base URL.
fn https_base(s: &str) -> Result<String, &'static str> {
    let rest = s
        .get(..8)
        .filter(|p| p.eq_ignore_ascii_case("https://"))
        .map(|_| &s[8..])
        .ok_or("must be an https:// URL")?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if host.is_empty() || s.chars().any(char::is_whitespace) {
        return Err("must be an https:// URL with a host and no spaces");
    }
    Ok(s.to_owned())
}

/// One `[[image_delivery.legacy_tftp]]` exception.
fn legacy_tftp(
    cx: &mut Ctx<'_>,
    t: &mut Table<'_, '_>,
    names: &mut UniqueNames,
) -> Option<LegacyTftpException> {
    let name = unique_name(cx, t, names);
    let networks = t.require(cx, "networks").map(|n| {
        let set = addr_set(cx, &n);
        if n.value().as_array().is_some_and(|a| a.is_empty()) {
            n.invalid(cx, "must not be empty");
        }
        set
    });
    let server = t.require(cx, "server").and_then(|n| single_host(cx, &n));
    let exception_mode = t.parse(cx, "mode", mode).unwrap_or_default();
    Some(LegacyTftpException {
        name: name?,
        networks: networks?,
        server: server?,
        mode: exception_mode,
    })
}

/// `server`: one address or DNS name.
fn single_host(cx: &mut Ctx<'_>, node: &Node<'_, '_>) -> Option<HostSet> {
    let s = node.str(cx)?;
    if s.contains('/') {
        node.invalid(cx, "must be a single address or DNS name, not a prefix");
        return None;
    }
    let mut server = HostSet::default();
    server.push_entry(s).map_err(|e| node.invalid(cx, e)).ok()?;
    Some(server)
}
