//! The `[firewall]` section of the gateway configuration: whether `ztpgate serve` keeps the
//! nftables table `inet ztpgate` in place, where director flows are steered (the inspecting
//! relay of `[smart_install_relay]`) and how often the table is checked.
//!
//! Operator input, trusted but validated: a managed firewall must be able to steer, so the relay
//! needs one port and, per family, one address that routed traffic can be DNATed to (not
//! loopback, not unspecified). Reference: `policies/README.md`, `rules/README.md`.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use crate::config::doc::{Ctx, Node, Table};
use crate::config::gateway::positive_duration;
use crate::config::{FirewallConfig, SmartInstallRelayConfig};
use crate::policy::firewall::{RelayTarget, SMART_INSTALL_PORT};

/// Default of `check_interval`.
const DEFAULT_CHECK_INTERVAL: Duration = Duration::from_secs(10);

/// Parses `[firewall]`; `relay` is the already parsed `[smart_install_relay]`.
pub(super) fn parse(
    cx: &mut Ctx<'_>,
    t: &mut Table<'_, '_>,
    relay: &SmartInstallRelayConfig,
) -> FirewallConfig {
    let manage_node = t.take("manage");
    let manage = manage_node
        .as_ref()
        .and_then(|n| n.bool(cx))
        .unwrap_or(false);
    let check_interval = t
        .parse(cx, "check_interval", positive_duration)
        .unwrap_or(DEFAULT_CHECK_INTERVAL);
    let explicit_node = t.take("relay_address");
    let explicit = explicit_node
        .as_ref()
        .and_then(|n| n.strings(cx, str::parse::<IpAddr>));
    let mut target = RelayTarget {
        port: relay
            .listen
            .first()
            .map_or(SMART_INSTALL_PORT, SocketAddr::port),
        ..RelayTarget::default()
    };
    match (&explicit_node, explicit) {
        (Some(node), Some(addrs)) => {
            if relay.listen.is_empty() && !addrs.is_empty() {
                node.invalid(
                    cx,
                    "no relay to steer to: smart_install_relay.listen is empty",
                );
            }
            for addr in addrs {
                if let Err(e) = target.add(addr) {
                    node.invalid(cx, e);
                }
            }
        }
        (Some(_), None) => {}
        (None, _) => {
            for listen in &relay.listen {
                // The first specific address of each family; unspecified ones cannot be targets
                // and loopback ones are reported below when the firewall is managed.
                let _ = target.add(listen.ip());
            }
        }
    }
    if let (true, Some(node)) = (manage, &manage_node) {
        check_managed(cx, node, relay, &target);
    }
    FirewallConfig {
        manage,
        relay: target,
        check_interval,
    }
}

/// A managed firewall needs a relay it can really steer to.
fn check_managed(
    cx: &mut Ctx<'_>,
    node: &Node<'_, '_>,
    relay: &SmartInstallRelayConfig,
    target: &RelayTarget,
) {
    if relay.listen.is_empty() {
        // Nothing to steer to: director flows are dropped (`si-no-relay`). A valid, if strict,
        // deployment: 4786 is closed to everyone.
        return;
    }
    if relay.listen.iter().any(|l| l.port() != target.port) {
        node.invalid(
            cx,
            "the firewall steers to one relay port, but smart_install_relay.listen uses several",
        );
    }
    let addrs: Vec<IpAddr> = [target.v4.map(IpAddr::V4), target.v6.map(IpAddr::V6)]
        .into_iter()
        .flatten()
        .collect();
    if addrs.is_empty() {
        node.invalid(
            cx,
            "smart_install_relay.listen has no specific address to steer to: \
             name it in firewall.relay_address",
        );
    }
    for addr in addrs.into_iter().filter(IpAddr::is_loopback) {
        node.invalid(
            cx,
            format!(
                "relay address {addr} is a loopback address: routed traffic cannot be DNATed to it \
                 (the kernel drops it as martian); listen on a gateway interface address"
            ),
        );
    }
}
