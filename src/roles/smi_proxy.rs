//! The SMI PnP proxy role (`../shared/reference/smi-proxy.txt`): toward legacy Smart Install
//! clients ztpgate acts as their director, toward a PnP server as a PnP agent on each client's
//! behalf. The pure cores:
//!
//! - [`tailored`]: renders `client_cfg_pnp.txt`, the tailored configuration that makes an old
//!   client telnet back to the proxy, with credentials taken from policy (there are no defaults).
//! - [`cli_session`]: the sans-IO "expect" driver for that reverse-telnet session: logs in,
//!   enables, runs `show version` and hands the output to the parser.
//! - [`show_version`]: parses `show version` output into PID, VID, serial number and the rest.
//! - [`proxy_db`]: the proxy database (MAC ↔ UDI ↔ address, health, entry state; never cleared)
//!   and its `show vstack proxy-db` views.
//! - [`services`]: what each PnP service request becomes for a proxied client.
//!
//! Everything here is deterministic: values and `now` in, values out. The device's output is
//! untrusted; the telnet byte layer is `crate::proto::telnet`; sockets are at the edge.

pub mod cli_session;
pub mod proxy_db;
pub mod respond;
pub mod services;
pub mod show_version;
pub mod tailored;
