//! `[dhcp]` of the gateway configuration: ztpgate's DHCP service for the Smart Install management
//! network, as a server with its own pool or as a relay toward a third-party server, and the
//! static Smart Install values it hands to clients in the join window (until the director
//! database assigns them per client).
//!
//! ```toml
//! [dhcp]
//! mode = "server"                 # "off" (default) | "server" | "relay"
//! interface = "eth1"              # the management network interface (required)
//! address = "10.55.0.1"           # ztpgate's address on it: server id, giaddr (required)
//! subnet_mask = "255.255.255.0"   # server mode (required)
//! pool_start = "10.55.0.100"      # server mode (required)
//! pool_end = "10.55.0.199"        # server mode (required)
//! router = ["10.55.0.1"]          # optional
//! dns = []                        # optional
//! lease_time = "1h"               # default 1h
//! relay_server = "10.56.0.2"      # relay mode (required)
//! image_list = "imagelist.txt"    # option 125 sub-option 5
//! config_file = "client.cfg"      # option 67
//! tftp_server = "10.55.0.1"       # options 66/150, default: address
//! director = "10.55.0.1"          # option 125 sub-option 16, default: address
//! pnp_server = "10.55.0.1:8445"   # option 43 for `ciscopnp` clients, optional
//! server_port = 67                # UDP ports (other values for tests and benchmarks)
//! client_port = 68
//! ```
//!
//! Operator input, trusted but validated: the pool must lie in the subnet of `address`.

use std::net::{Ipv4Addr, SocketAddrV4};

use crate::config::doc::{Ctx, Node, Table, one_of};
use crate::config::gateway::positive_duration;
use crate::roles::dhcp_server::relay::RelayConfig;
use crate::roles::dhcp_server::{Pool, ServerConfig, SmartInstallOptions};

/// The DHCP service (`[dhcp]` with a mode other than `off`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DhcpConfig {
    /// Server or relay, with its parameters.
    pub mode: DhcpMode,
    /// The management network interface the service binds to.
    pub interface: String,
    /// ztpgate's address on that interface.
    pub address: Ipv4Addr,
    /// Static Smart Install options for clients in the join window (no host name).
    pub smart_install: SmartInstallOptions,
    /// The PnP server given to `ciscopnp` clients in option 43.
    pub pnp_server: Option<SocketAddrV4>,
    /// UDP port of servers and relays (67).
    pub server_port: u16,
    /// UDP port of clients (68).
    pub client_port: u16,
}

/// Server or relay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DhcpMode {
    /// ztpgate allocates addresses from its pool.
    Server(ServerConfig),
    /// ztpgate relays to a third-party server and inserts the Smart Install options.
    Relay(RelayConfig),
}

/// Every key of `[dhcp]` but `mode`.
const KEYS: [&str; 16] = [
    "interface",
    "address",
    "subnet_mask",
    "pool_start",
    "pool_end",
    "router",
    "dns",
    "lease_time",
    "relay_server",
    "image_list",
    "config_file",
    "tftp_server",
    "director",
    "pnp_server",
    "server_port",
    "client_port",
];

/// Parses `[dhcp]`; `None` when the mode is `off` (or the section is absent or invalid).
pub(super) fn parse(cx: &mut Ctx<'_>, t: &mut Table<'_, '_>) -> Option<DhcpConfig> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mode {
        Off,
        Server,
        Relay,
    }
    let modes = [
        ("off", Mode::Off),
        ("server", Mode::Server),
        ("relay", Mode::Relay),
    ];
    let explicit = t.parse(cx, "mode", |s| one_of(s, &modes));
    match explicit {
        // Turned off on purpose: the settings may stay for later, but only known keys.
        Some(Mode::Off) => {
            for key in KEYS {
                let _ = t.take(key);
            }
            return None;
        }
        // No mode: leave the other keys untaken, so `finish` reports them and a half-configured
        // section with the mode forgotten does not pass silently.
        None => return None,
        Some(_) => {}
    }
    let mode = explicit.unwrap_or(Mode::Off);
    let interface = t
        .require(cx, "interface")
        .and_then(|n| n.parse(cx, interface_name));
    let address = t.require(cx, "address").and_then(|n| n.parse(cx, ipv4));
    let lease_secs = t
        .parse(cx, "lease_time", positive_duration)
        .map(|d| u32::try_from(d.as_secs().max(60)).unwrap_or(u32::MAX))
        .unwrap_or(3600);
    let routers = t.strings(cx, "router", ipv4).unwrap_or_default();
    let dns = t.strings(cx, "dns", ipv4).unwrap_or_default();
    let server = match mode {
        Mode::Server => Some(server(cx, t, address, routers, dns, lease_secs)),
        _ => None,
    };
    let relay_server = match mode {
        Mode::Relay => t
            .require(cx, "relay_server")
            .and_then(|n| n.parse(cx, ipv4)),
        _ => None,
    };
    let smart_install = SmartInstallOptions {
        image_list: t.parse(cx, "image_list", file_name),
        config_file: t.parse(cx, "config_file", file_name),
        tftp_server: t.parse(cx, "tftp_server", ipv4).or(address),
        hostname: None,
        director: t.parse(cx, "director", ipv4).or(address),
    };
    let pnp_server = t.parse(cx, "pnp_server", |s| s.parse::<SocketAddrV4>());
    let server_port = port(cx, t, "server_port", 67);
    let client_port = port(cx, t, "client_port", 68);
    let (interface, address) = (interface?, address?);
    let mode = match (server, relay_server) {
        (Some(server), _) => DhcpMode::Server(server?),
        (None, Some(relay_server)) => DhcpMode::Relay(RelayConfig {
            agent_ip: address,
            server: relay_server,
        }),
        (None, None) => return None,
    };
    Some(DhcpConfig {
        mode,
        interface,
        address,
        smart_install,
        pnp_server,
        server_port,
        client_port,
    })
}

fn server(
    cx: &mut Ctx<'_>,
    t: &mut Table<'_, '_>,
    address: Option<Ipv4Addr>,
    routers: Vec<Ipv4Addr>,
    dns: Vec<Ipv4Addr>,
    lease_secs: u32,
) -> Option<ServerConfig> {
    let mask = t
        .require(cx, "subnet_mask")
        .and_then(|n| n.parse(cx, netmask));
    let start = t.require(cx, "pool_start");
    let end = t.require(cx, "pool_end");
    let first = start.as_ref().and_then(|n| n.parse(cx, ipv4));
    let last = end.as_ref().and_then(|n| n.parse(cx, ipv4));
    let config = ServerConfig {
        server_ip: address?,
        subnet_mask: mask?,
        pool: Pool {
            first: first?,
            last: last?,
        },
        routers,
        dns,
        lease_secs,
    };
    let (start, end) = (start?, end?);
    check_pool(cx, &config, &start, &end).then_some(config)
}

/// The pool lies in the server's subnet, is ordered, not too large and excludes the server.
fn check_pool(
    cx: &mut Ctx<'_>,
    c: &ServerConfig,
    start: &Node<'_, '_>,
    end: &Node<'_, '_>,
) -> bool {
    let (first, last) = (c.pool.first, c.pool.last);
    if !c.in_subnet(first) {
        start.invalid(
            cx,
            format!("not in the subnet of dhcp.address {}", c.server_ip),
        );
        return false;
    }
    if !c.in_subnet(last) {
        end.invalid(
            cx,
            format!("not in the subnet of dhcp.address {}", c.server_ip),
        );
        return false;
    }
    let size = u64::from(u32::from(last)) + 1;
    let size = size.saturating_sub(u64::from(u32::from(first)));
    if last < first || size > MAX_POOL_ADDRESSES {
        end.invalid(
            cx,
            format!("the pool must run upwards from pool_start and hold at most {MAX_POOL_ADDRESSES} addresses"),
        );
        return false;
    }
    if c.pool.contains(c.server_ip) {
        end.invalid(cx, "the pool must not contain dhcp.address");
        return false;
    }
    true
}

fn port(cx: &mut Ctx<'_>, t: &mut Table<'_, '_>, key: &str, default: u16) -> u16 {
    t.take(key)
        .and_then(|n| {
            let v = n.integer(cx)?;
            let p = u16::try_from(v).ok().filter(|p| *p != 0);
            if p.is_none() {
                n.invalid(cx, "must be a port number from 1 to 65535");
            }
            p
        })
        .unwrap_or(default)
}

fn ipv4(s: &str) -> Result<Ipv4Addr, &'static str> {
    s.parse().map_err(|_| "must be an IPv4 address")
}

fn netmask(s: &str) -> Result<Ipv4Addr, &'static str> {
    let mask: Ipv4Addr = s.parse().map_err(|_| "must be an IPv4 netmask")?;
    let bits = u32::from(mask);
    if bits.leading_ones() + bits.trailing_zeros() == 32 && bits != 0 {
        Ok(mask)
    } else {
        Err("must be a contiguous netmask such as 255.255.255.0")
    }
}

fn interface_name(s: &str) -> Result<String, &'static str> {
    let ok = !s.is_empty()
        && s.len() < 16
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'@'));
    if ok {
        Ok(s.to_owned())
    } else {
        Err("must be a network interface name (1 to 15 characters)")
    }
}

/// A file name for option 67 or the image list: printable ASCII, at most 128 bytes.
fn file_name(s: &str) -> Result<String, &'static str> {
    if !s.is_empty() && s.len() <= 128 && s.bytes().all(|b| b.is_ascii_graphic()) {
        Ok(s.to_owned())
    } else {
        Err("must be 1 to 128 printable ASCII characters without spaces")
    }
}

/// Largest pool (a /16).
const MAX_POOL_ADDRESSES: u64 = 65_536;

#[cfg(test)]
mod tests {
    use crate::config::{self, ConfigErrors, GatewayConfig};

    use super::*;

    const POLICY: &str = "name = \"t\"\n";

    fn parse(section: &str) -> Result<GatewayConfig, ConfigErrors> {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("p.toml"), POLICY).unwrap();
        let text = format!("[gateway]\npolicy = \"p.toml\"\n{section}");
        config::from_toml("ztpgate.toml", &text, dir.path())
    }

    const SERVER: &str = r#"
[dhcp]
mode = "server"
interface = "veth0"
address = "10.55.0.1"
subnet_mask = "255.255.255.0"
pool_start = "10.55.0.100"
pool_end = "10.55.0.150"
router = ["10.55.0.1"]
lease_time = "30m"
image_list = "imagelist.txt"
config_file = "client.cfg"
pnp_server = "10.55.0.1:8445"
"#;

    #[test]
    fn parses_a_server_section() {
        let dhcp = parse(SERVER).unwrap().dhcp.unwrap();
        let DhcpMode::Server(server) = &dhcp.mode else {
            panic!("not a server: {:?}", dhcp.mode);
        };
        assert_eq!(server.lease_secs, 1800);
        assert_eq!(server.pool.last, Ipv4Addr::new(10, 55, 0, 150));
        assert_eq!(dhcp.smart_install.tftp_server, Some(dhcp.address));
        assert_eq!(
            dhcp.smart_install.config_file.as_deref(),
            Some("client.cfg")
        );
        assert_eq!((dhcp.server_port, dhcp.client_port), (67, 68));
    }

    #[test]
    fn off_by_default_and_when_absent() {
        assert!(parse("").unwrap().dhcp.is_none());
        assert!(parse("[dhcp]\nmode = \"off\"\n").unwrap().dhcp.is_none());
    }

    #[test]
    fn parses_a_relay_section() {
        let text = "[dhcp]\nmode = \"relay\"\ninterface = \"eth1\"\naddress = \"10.1.0.1\"\nrelay_server = \"10.2.0.2\"\n";
        let dhcp = parse(text).unwrap().dhcp.unwrap();
        assert_eq!(
            dhcp.mode,
            DhcpMode::Relay(RelayConfig {
                agent_ip: Ipv4Addr::new(10, 1, 0, 1),
                server: Ipv4Addr::new(10, 2, 0, 2),
            })
        );
    }

    #[test]
    fn rejects_a_pool_outside_the_subnet() {
        let text = SERVER.replace("10.55.0.150", "10.56.0.150");
        let err = parse(&text).unwrap_err().to_string();
        assert!(err.contains("dhcp.pool_end"), "{err}");
    }

    #[test]
    fn rejects_a_missing_relay_server_and_unknown_keys() {
        let text =
            "[dhcp]\nmode = \"relay\"\ninterface = \"eth1\"\naddress = \"10.1.0.1\"\nbogus = 1\n";
        let err = parse(text).unwrap_err().to_string();
        assert!(err.contains("dhcp.relay_server"), "{err}");
        assert!(err.contains("dhcp.bogus"), "{err}");
    }

    #[test]
    fn a_section_without_mode_reports_its_keys_and_an_off_one_keeps_them() {
        let err = parse("[dhcp]\ninterface = \"eth1\"\n").unwrap_err();
        assert!(err.to_string().contains("dhcp.interface"), "{err}");
        let off = SERVER.replace("mode = \"server\"", "mode = \"off\"");
        assert!(parse(&off).unwrap().dhcp.is_none());
        let typo = format!("{off}intreface = \"eth1\"\n");
        assert!(
            parse(&typo)
                .unwrap_err()
                .to_string()
                .contains("dhcp.intreface")
        );
    }

    #[test]
    fn rejects_a_pool_containing_the_server() {
        let text = SERVER.replace("10.55.0.100", "10.55.0.1");
        let err = parse(&text).unwrap_err().to_string();
        assert!(err.contains("must not contain dhcp.address"), "{err}");
    }

    #[test]
    fn rejects_a_non_contiguous_mask() {
        let text = SERVER.replace("255.255.255.0", "255.0.255.0");
        assert!(
            parse(&text)
                .unwrap_err()
                .to_string()
                .contains("dhcp.subnet_mask")
        );
    }
}
