//! The SMI Proxy role (`../shared/reference/smi-proxy.txt`): toward legacy Smart Install clients
//! ztpgate acts as their director, toward a PnP server as a PnP agent on each client's behalf.
//!
//! Pure: records and messages in, records and text out; time comes in as `now`. Client-supplied
//! values (MACs, UDIs learned from `show version`, hostnames) are untrusted and bounded.

pub mod proxy_db;
