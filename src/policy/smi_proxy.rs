//! The SMI Proxy role's settings (`smart_install.role = "proxy"`, the Smart Install guide's
//! `vstack proxy {ip-address A | interface I} [startup-vlan V] [pnp-profile P]`): toward legacy
//! Smart Install clients ztpgate acts as their director, toward a PnP server as a PnP agent on
//! each client's behalf (`../shared/reference/smi-proxy.txt`).
//!
//! Pure data, validated by `crate::config` (operator input). The credentials are the ones the
//! tailored client configuration (`client_cfg_pnp.txt`) gives the clients and the reverse-telnet
//! session logs in with: they come from the policy only, there are no defaults.

use std::net::Ipv4Addr;

/// Which Smart Install role ztpgate plays (director and proxy are mutually exclusive).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Role {
    /// The Smart Install director (the default).
    #[default]
    Director,
    /// The SMI PnP proxy.
    Proxy,
}

/// Where the proxy's clients reach it (`vstack proxy ip-address … | interface …`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProxyAddress {
    /// A fixed IPv4 address.
    Ip(Ipv4Addr),
    /// The first IPv4 address of this interface, read at start.
    Interface(String),
}

/// Longest IOS word (credential, profile name) written into a client's configuration.
pub const MAX_WORD_BYTES: usize = 64;

/// Whether `b` may appear in an IOS word: printable ASCII, no space, no `?` (IOS help).
pub fn is_word_byte(b: u8) -> bool {
    b.is_ascii_graphic() && b != b'?'
}

/// Default of `pnp_profile` (the guide's default profile name).
pub const DEFAULT_PNP_PROFILE: &str = "pnp-zero-touch";
/// Default of `telnet_port` (the port of the guide's tailored configuration example).
pub const DEFAULT_TELNET_PORT: u16 = 19140;

/// `[smart_install.proxy]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProxySettings {
    /// The proxy's address toward its clients.
    pub address: ProxyAddress,
    /// The Smart Install management VLAN (`startup-vlan`, default 1).
    pub startup_vlan: u16,
    /// The PnP profile the proxy is associated with (`pnp-profile`).
    pub pnp_profile: String,
    /// TCP port of the reverse-telnet listener the tailored configuration points clients at.
    pub telnet_port: u16,
    /// Login name the tailored configuration creates and the reverse-telnet session uses.
    pub username: String,
    /// Its password.
    pub password: String,
    /// The enable password (default: `password`).
    pub enable_password: String,
    /// The upstream PnP server (`https://…`); `None`: ztpgate's own PnP server.
    pub pnp_server: Option<String>,
}
