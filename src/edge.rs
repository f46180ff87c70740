//! I/O adapters: TLS configuration, the shared HTTPS accept loop, the admin API, the file
//! server, a TFTP client and server, CDP capture, capture-file reading, the Smart Install relay
//! and the nftables (netlink) adapter. Everything that touches a socket lives here; decisions are made by the pure
//! modules and only carried out here.

pub mod admin;
pub mod capture_file;
pub mod cdp_listener;
pub mod client;
pub mod dhcp;
pub mod director;
pub mod files;
pub mod libpcap;
pub mod listener;
pub mod live_capture;
pub mod netlink;
pub mod pnp;
pub mod reverse_telnet;
pub mod smi_proxy;
pub mod sudi_verifier;
pub mod tftp_client;
pub mod tftp_server;
pub mod tls;
pub mod udp;
pub mod vstack_relay;
