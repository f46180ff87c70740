//! `smart_install.role` and `[smart_install.proxy]` of a policy file: the SMI PnP proxy role
//! (`crate::policy::smi_proxy`), and the rule that director and proxy are mutually exclusive.
//!
//! Operator input, trusted but validated: exactly one of `address` / `interface`; credentials
//! required (no defaults), one IOS word each (printable, no spaces: they are written into the
//! tailored client configuration); VLAN 1–4094; the upstream PnP server only over HTTPS.

use std::net::Ipv4Addr;

use crate::config::doc::{Ctx, Node, Table, one_of};
use crate::policy::smi_proxy::{
    DEFAULT_PNP_PROFILE, DEFAULT_TELNET_PORT, MAX_WORD_BYTES, ProxyAddress, ProxySettings, Role,
    is_word_byte,
};

/// Director-only sections of a policy file, refused with `role = "proxy"`.
pub(super) const DIRECTOR_ONLY: [&str; 2] = ["join_window", "director"];

/// Takes `role` and `proxy` from `[smart_install]`.
pub(super) fn parse(cx: &mut Ctx<'_>, t: &mut Table<'_, '_>) -> Option<ProxySettings> {
    let role_node = t.take("role");
    let role = role_node
        .as_ref()
        .and_then(|n| {
            n.parse(cx, |s: &str| {
                one_of(s, &[("director", Role::Director), ("proxy", Role::Proxy)])
            })
        })
        .unwrap_or_default();
    let proxy_node = t.take("proxy");
    match (role, proxy_node) {
        (Role::Proxy, Some(node)) => {
            let mut table = node.table(cx)?;
            let settings = settings(cx, &mut table);
            table.finish(cx);
            settings
        }
        (Role::Proxy, None) => {
            t.missing(cx, "proxy");
            None
        }
        (Role::Director, Some(node)) => {
            node.invalid(
                cx,
                "smart_install.proxy is set but smart_install.role is not \"proxy\"",
            );
            None
        }
        (Role::Director, None) => None,
    }
}

fn settings(cx: &mut Ctx<'_>, t: &mut Table<'_, '_>) -> Option<ProxySettings> {
    let ip = t.parse(cx, "address", |s: &str| {
        let ip: Ipv4Addr = s.parse().map_err(|_| "must be an IPv4 address")?;
        if ip.is_unspecified() || ip.is_multicast() || ip.is_broadcast() || ip.is_loopback() {
            return Err("must be a specific unicast address the clients can reach");
        }
        Ok(ip)
    });
    let interface = t.parse(cx, "interface", super::si_director::interface_name);
    let address = match (ip, interface) {
        (Some(ip), None) => Some(ProxyAddress::Ip(ip)),
        (None, Some(name)) => Some(ProxyAddress::Interface(name)),
        (Some(_), Some(_)) => {
            t.invalid(cx, "set `address` or `interface`, not both");
            None
        }
        (None, None) => {
            t.invalid(cx, "needs `address` or `interface`");
            None
        }
    };
    let startup_vlan =
        integer(cx, t.take("startup_vlan"), 1, 4094, "a VLAN from 1 to 4094").unwrap_or(1);
    let telnet_port = integer(
        cx,
        t.take("telnet_port"),
        1,
        65535,
        "a port from 1 to 65535",
    )
    .unwrap_or_else(|| i64::from(DEFAULT_TELNET_PORT));
    let pnp_profile = t
        .parse(cx, "pnp_profile", ios_word)
        .unwrap_or_else(|| DEFAULT_PNP_PROFILE.to_owned());
    let username = t
        .require(cx, "username")
        .and_then(|n| n.parse(cx, ios_word));
    let password = t
        .require(cx, "password")
        .and_then(|n| n.parse(cx, ios_word));
    let enable_password = t.parse(cx, "enable_password", ios_word);
    let pnp_server = t.parse(cx, "pnp_server", |s: &str| {
        if s.len() > "https://".len() && s[..8].eq_ignore_ascii_case("https://") {
            Ok(s.to_owned())
        } else {
            Err("must be an https:// URL (the upstream PnP server is reached over HTTPS only)")
        }
    });
    let password = password?;
    Some(ProxySettings {
        address: address?,
        startup_vlan: u16::try_from(startup_vlan).ok()?,
        pnp_profile,
        telnet_port: u16::try_from(telnet_port).ok()?,
        username: username?,
        enable_password: enable_password.unwrap_or_else(|| password.clone()),
        password,
        pnp_server,
    })
}

/// An integer in `min..=max`.
fn integer(
    cx: &mut Ctx<'_>,
    node: Option<Node<'_, '_>>,
    min: i64,
    max: i64,
    what: &str,
) -> Option<i64> {
    let node = node?;
    let v = node.integer(cx)?;
    if (min..=max).contains(&v) {
        Some(v)
    } else {
        node.invalid(cx, format!("must be {what}"));
        None
    }
}

/// One IOS word: 1–64 printable ASCII characters, no spaces, no `?` (IOS help) — it is written
/// into the clients' configuration.
fn ios_word(s: &str) -> Result<String, &'static str> {
    let ok = !s.is_empty() && s.len() <= MAX_WORD_BYTES && s.bytes().all(is_word_byte);
    if ok {
        Ok(s.to_owned())
    } else {
        Err("must be 1-64 printable characters without spaces or `?`")
    }
}
