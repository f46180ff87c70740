//! The observable steps of the emulated switch ([`Event`]), printed by `ztpgate sim switch` as
//! one JSON object per line with an `event` tag (`listening`, `tftp`, `reloaded`, `telnet`,
//! `startup_config`, …), so tests can see what left the switch and what landed on it.
//! Inputs: none (built by the switch itself).

use std::net::{Ipv4Addr, SocketAddr};

use serde::Serialize;

/// One observable step of the switch, printed as a JSON line by the CLI.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// The switch is listening.
    Listening {
        /// Bound address.
        addr: SocketAddr,
    },
    /// A connection was accepted.
    Connected {
        /// The peer.
        peer: SocketAddr,
    },
    /// A message was decoded.
    Received {
        /// The peer.
        peer: SocketAddr,
        /// Kind name (`probe`, `config_push`, …).
        kind: &'static str,
        /// Message size.
        bytes: usize,
        /// URLs it names.
        urls: Vec<String>,
        /// Commands it carries.
        commands: Vec<String>,
    },
    /// Bytes were sent back.
    Replied {
        /// The peer.
        peer: SocketAddr,
        /// Reply size.
        bytes: usize,
    },
    /// The stream could not be decoded.
    DecodeError {
        /// The peer.
        peer: SocketAddr,
        /// Error code (`oversized`, `length_mismatch`, …).
        code: &'static str,
        /// Whether decoding goes on.
        recoverable: bool,
    },
    /// A TFTP transfer finished (or failed).
    Tftp {
        /// `get` (RRQ) or `put` (WRQ).
        op: &'static str,
        /// Why: `config`, `image_list`, `image`, `commands`, `copy`.
        purpose: &'static str,
        /// TFTP server (`host:port`).
        server: String,
        /// File name.
        file: String,
        /// Whether it succeeded.
        ok: bool,
        /// Bytes transferred.
        bytes: usize,
        /// The failure, if any.
        error: Option<String>,
    },
    /// A command was run or refused.
    Command {
        /// The command text.
        command: String,
        /// Whether it was carried out.
        ok: bool,
        /// Why not, if not.
        error: Option<String>,
    },
    /// A reload was scheduled (after a config push or an image upgrade that asks for one).
    ReloadScheduled {
        /// HH:MM, read as a delay.
        at: String,
    },
    /// The switch reloaded: it runs its startup config and the installed image.
    Reloaded {
        /// The hostname it now has.
        hostname: String,
        /// The image it now runs.
        image: String,
        /// Its version.
        version: String,
    },
    /// DHCP bound an address (DHCPACK), with the options the server gave.
    Dhcp {
        /// The address.
        ip: Ipv4Addr,
        /// Its prefix length (option 1).
        prefix: u8,
        /// The DHCP server (option 54).
        server: Ipv4Addr,
        /// Option 125 enterprise 9 sub-option 5: the image list file.
        image_list: Option<String>,
        /// Option 67: the configuration file.
        config_file: Option<String>,
        /// Options 150, 66 or `siaddr`: the TFTP server.
        tftp_server: Option<Ipv4Addr>,
        /// Option 12: the host name.
        hostname: Option<String>,
        /// Option 125 enterprise 9 sub-option 16: the director.
        director: Option<Ipv4Addr>,
    },
    /// A DHCP exchange or the address configuration failed; the switch tries again later.
    DhcpFailed {
        /// The interface.
        interface: String,
        /// What failed.
        error: String,
    },
    /// The switch "crashed" on an init-discovery overflow (CVE-2018-0171).
    Crash {
        /// The peer.
        peer: SocketAddr,
        /// Largest TLV length declared.
        declared: u64,
    },
    /// A URL the switch cannot use.
    BadUrl {
        /// The URL.
        url: String,
    },
    /// A CDP frame was sent (or could not be), see [`cdp`].
    Cdp {
        /// The interface.
        interface: String,
        /// Whether it was sent.
        ok: bool,
        /// Frame size.
        bytes: usize,
        /// The failure, if any.
        error: Option<String>,
    },
    /// An outgoing telnet session (a `do telnet` line) ended.
    Telnet {
        /// `host:port` called.
        server: String,
        /// Whether the peer logged in and ran `show version`.
        ok: bool,
        /// Why not, if not.
        error: Option<String>,
    },
    /// A startup config was written (config push, zero-touch boot, copy).
    StartupConfig {
        /// Its size.
        bytes: usize,
        /// Its MD5, lower-case hex.
        md5: String,
        /// Its `hostname`, if any.
        hostname: Option<String>,
    },
    /// A connection ended.
    Closed {
        /// The peer.
        peer: SocketAddr,
        /// `eof`, `reset`, `crash` or `decode_error`.
        reason: &'static str,
    },
}
