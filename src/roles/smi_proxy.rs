//! The SMI proxy role's pure cores (`../shared/reference/smi-proxy.txt`, "SMI Proxy and Tailored
//! Configuration Files"): how ztpgate learns a legacy Smart Install client's UDI.
//!
//! - [`tailored`]: renders `client_cfg_pnp.txt`, the tailored configuration that makes an old client
//!   telnet back to the proxy, with credentials taken from policy (there are no defaults).
//! - [`cli_session`]: the sans-IO "expect" driver for that reverse-telnet session: logs in,
//!   enables, runs `show version` and hands the output to the parser.
//! - [`show_version`]: parses `show version` output into PID, VID, serial number and the rest.
//!
//! Everything here is deterministic: text and `now` in, values out. The device's output is
//! untrusted; the telnet byte layer is `crate::proto::telnet`; the listener is at the edge.

pub mod cli_session;
pub mod show_version;
pub mod tailored;
