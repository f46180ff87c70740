//! Protocol codecs. Everything under `proto` is pure: bytes and typed values in, typed values
//! and bytes out — no sockets, no files, no async runtime, no clock (STYLE.md §2,
//! `tests/architecture.rs`). Every input is treated as attacker-controlled and bounded.
//!
//! - [`cdp`]: Cisco Discovery Protocol frames (v1/v2), captured on the management network.
//! - [`packet`]: Ethernet/VLAN/Linux-cooked/raw frames with IPv4/IPv6 and TCP/UDP, borrowed from
//!   a capture record.
//! - [`pcap`]: pcap and pcapng capture-file framing (records borrowed from the file buffer).
//! - [`pnp`]: Cisco Plug-and-Play XML messages (`../shared/protocols/pnp.md`).
//! - [`telnet`]: telnet stream filter for the SMI proxy's reverse-telnet session (RFC 854/855).
//! - [`tftp`]: TFTP packets (RFC 1350, options per RFC 2347/2348).
//! - [`vstack`]: Cisco Smart Install binary messages on TCP 4786
//!   (`../shared/protocols/smart-install.md`).

pub mod cdp;
pub mod dhcp;
pub mod packet;
pub mod pcap;
pub mod pnp;
pub mod telnet;
pub mod tftp;
pub mod vstack;
