//! The `[smart_install_director]` section of the gateway configuration: whether `ztpgate serve`
//! runs the Smart Install director (its database behind the DHCP and TFTP services), where it
//! listens for CDP, how often it probes clients, and how it takes configuration backups.
//!
//! Operator input, trusted but validated: intervals are positive; the address clients reach
//! ztpgate's TFTP server at must be a specific IPv4 address (Smart Install URLs and DHCP options
//! carry IPv4); interface names are checked like `ip link` names. Which images and
//! configurations clients get is policy (`[director]` of the policy file). Reference:
//! `policies/README.md`.

use std::net::Ipv4Addr;
use std::time::Duration;

use crate::config::doc::{Ctx, Table};
use crate::config::gateway::positive_duration;

/// `[smart_install_director]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirectorConfig {
    /// Run the director (default: off).
    pub enable: bool,
    /// Interfaces CDP frames are captured on: each is a port the director's clients hang off.
    pub cdp_interfaces: Vec<String>,
    /// Time between two probes of every client.
    pub probe_interval: Duration,
    /// How long one probe waits for its answer.
    pub probe_timeout: Duration,
    /// TCP port clients listen on for Smart Install (4786).
    pub client_port: u16,
    /// The address clients reach ztpgate's TFTP server at (backups, on-demand updates); `None`:
    /// `[dhcp.smart_install] tftp_server`.
    pub tftp_address: Option<Ipv4Addr>,
    /// Configuration backups (`vstack backup`; default on).
    pub backup: bool,
    /// Back every client up when the director starts (default on).
    pub backup_on_start: bool,
    /// Back every client up this often (`None`: only at start and on demand).
    pub backup_interval: Option<Duration>,
    /// How long a requested backup upload is awaited.
    pub backup_timeout: Duration,
}

impl Default for DirectorConfig {
    fn default() -> Self {
        Self {
            enable: false,
            cdp_interfaces: Vec::new(),
            probe_interval: Duration::from_secs(30),
            probe_timeout: Duration::from_secs(3),
            client_port: 4786,
            tftp_address: None,
            backup: true,
            backup_on_start: true,
            backup_interval: Some(Duration::from_secs(24 * 3600)),
            backup_timeout: Duration::from_secs(120),
        }
    }
}

/// Parses `[smart_install_director]`.
pub(super) fn parse(cx: &mut Ctx<'_>, t: &mut Table<'_, '_>) -> DirectorConfig {
    let d = DirectorConfig::default();
    let duration = |cx: &mut Ctx<'_>, t: &mut Table<'_, '_>, key: &str, default: Duration| {
        t.parse(cx, key, positive_duration).unwrap_or(default)
    };
    let enable = t.bool(cx, "enable").unwrap_or(d.enable);
    let cdp_interfaces = t
        .strings(cx, "cdp_interfaces", interface_name)
        .unwrap_or_default();
    let probe_interval = duration(cx, t, "probe_interval", d.probe_interval);
    let probe_timeout = duration(cx, t, "probe_timeout", d.probe_timeout);
    let client_port = port(cx, t, "client_port").unwrap_or(d.client_port);
    let tftp_address = t.parse(cx, "tftp_address", tftp_address);
    let backup = t.bool(cx, "backup").unwrap_or(d.backup);
    let backup_on_start = t.bool(cx, "backup_on_start").unwrap_or(d.backup_on_start);
    let backup_interval = match t.take("backup_interval") {
        None => d.backup_interval,
        Some(n) => match n.str(cx) {
            Some("off") => None,
            Some(_) => n.parse(cx, positive_duration),
            None => None,
        },
    };
    let backup_timeout = duration(cx, t, "backup_timeout", d.backup_timeout);
    DirectorConfig {
        enable,
        cdp_interfaces,
        probe_interval,
        probe_timeout,
        client_port,
        tftp_address,
        backup,
        backup_on_start,
        backup_interval,
        backup_timeout,
    }
}

/// Takes `key` as a TCP port, 1–65535.
pub(super) fn port(cx: &mut Ctx<'_>, t: &mut Table<'_, '_>, key: &str) -> Option<u16> {
    t.take(key).and_then(|n| {
        let v = n.integer(cx)?;
        let port = u16::try_from(v).ok().filter(|p| *p != 0);
        if port.is_none() {
            n.invalid(cx, "must be a port between 1 and 65535");
        }
        port
    })
}

/// The address clients reach ztpgate's TFTP server at: a specific unicast IPv4 address (Smart
/// Install URLs and DHCP options carry IPv4).
pub(super) fn tftp_address(s: &str) -> Result<Ipv4Addr, &'static str> {
    let ip = s
        .parse::<Ipv4Addr>()
        .map_err(|_| "must be an IPv4 address")?;
    if ip.is_unspecified() || ip.is_broadcast() || ip.is_multicast() {
        return Err("must be a specific unicast address");
    }
    Ok(ip)
}

/// A network interface name as the kernel accepts it (1–15 bytes, no `/`, whitespace or `:`).
pub(super) fn interface_name(s: &str) -> Result<String, &'static str> {
    let ok = !s.is_empty()
        && s.len() <= 15
        && s != "."
        && s != ".."
        && !s
            .bytes()
            .any(|b| b == b'/' || b == b':' || b.is_ascii_whitespace() || b == 0);
    if ok {
        Ok(s.to_owned())
    } else {
        Err("must be an interface name (1-15 characters, no '/', ':' or spaces)")
    }
}
