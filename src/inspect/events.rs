//! Smart Install observations as rule [`Event`]s, built the same way wherever they are observed:
//! by the capture auditor (reassembled streams of a capture or a live interface) and by the
//! inspecting relay (the bytes it forwards). One builder per event kind, so a rule matches the
//! same traffic in both places.
//!
//! Inputs: decoded messages and decode errors of attacker-controlled bytes (kept as data), the
//! endpoints, and the operator's [`Knowledge`]. Pure.

use core::net::SocketAddr;

use crate::proto::vstack::{DecodeError, Direction, Frame};
use crate::rules::{Event, EventKind, Value};

use super::flows::FlowInfo;
use super::knowledge::Knowledge;

/// An event of `kind` with the endpoints' addresses and ports.
pub fn base(kind: EventKind, src: SocketAddr, dst: SocketAddr) -> Event {
    Event::new(kind)
        .with("src", src.ip().to_string())
        .with("dst", dst.ip().to_string())
        .with("src_port", src.port())
        .with("dst_port", dst.port())
}

/// A TCP connection (or attempt) to port 4786 (`smart_install.connection`); `syn_seen` and
/// `accepted` as in [`super::flows::FlowInfo`].
pub fn si_connection(
    connector: SocketAddr,
    listener: SocketAddr,
    seen: ConnectionSeen,
    k: &Knowledge,
) -> Event {
    base(EventKind::SmartInstallConnection, connector, listener)
        .with("source", k.role(connector.ip()).as_str())
        .with("destination", k.role(listener.ip()).as_str())
        .with("syn_seen", seen.syn_seen)
        .with("accepted", seen.accepted)
}

/// What was seen of a connection's opening.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConnectionSeen {
    /// The handshake's SYN or SYN-ACK was seen.
    pub syn_seen: bool,
    /// The listener answered (SYN-ACK or data).
    pub accepted: bool,
}

impl From<&FlowInfo> for ConnectionSeen {
    fn from(info: &FlowInfo) -> Self {
        Self {
            syn_seen: info.syn_seen,
            accepted: info.accepted,
        }
    }
}

/// One decoded Smart Install message from `src` to `dst` (`smart_install.message`). The sender's
/// role is the one the body implies ([`crate::proto::vstack::Message::acting_direction`]): a
/// command sent with `w0 = 4` is still a command.
pub fn si_message(src: SocketAddr, dst: SocketAddr, frame: &Frame, k: &Knowledge) -> Event {
    let m = &frame.message;
    let h = frame.header;
    let hosts = m.hosts();
    let sender_role = match m.acting_direction() {
        Direction::DirectorToClient => "director",
        Direction::ClientToDirector => "client",
        Direction::Unknown => "other",
    };
    base(EventKind::SmartInstallMessage, src, dst)
        .with("w0", h.w0)
        .with("w1", h.w1)
        .with("type", h.msg_type)
        .with("length", h.length)
        .with("bytes", frame.raw.len())
        .with("kind", m.kind().as_str())
        .with("sender_role", sender_role)
        .with("source", k.role(src.ip()).as_str())
        .with("destination", k.role(dst.ip()).as_str())
        .with(
            "urls",
            m.urls()
                .iter()
                .map(|u| u.text().into_owned())
                .collect::<Vec<_>>(),
        )
        .with("hosts_allowed", k.hosts_allowed(hosts.iter().copied()))
        .with(
            "hosts",
            hosts.iter().map(|h| (*h).to_owned()).collect::<Vec<_>>(),
        )
        .with(
            "commands",
            m.commands()
                .iter()
                .map(|c| c.text().into_owned())
                .collect::<Vec<_>>(),
        )
        .with(
            "findings",
            m.findings()
                .iter()
                .map(|f| f.code().to_owned())
                .collect::<Vec<_>>(),
        )
        .with("payload", Value::Bytes(frame.raw.clone()))
}

/// Smart Install bytes from `src` that did not decode (`smart_install.decode_error`).
pub fn si_decode_error(
    src: SocketAddr,
    dst: SocketAddr,
    err: &DecodeError,
    k: &Knowledge,
) -> Event {
    let mut e = base(EventKind::SmartInstallDecodeError, src, dst)
        .with("error", err.code())
        .with("source", k.role(src.ip()).as_str())
        .with("destination", k.role(dst.ip()).as_str());
    match *err {
        DecodeError::Oversized {
            declared_length, ..
        } => e.set("declared_length", declared_length),
        DecodeError::LengthMismatch {
            msg_type,
            declared_length,
            ..
        } => {
            e.set("type", msg_type);
            e.set("declared_length", declared_length);
        }
        DecodeError::Truncated { available, .. } => e.set("available", available),
        DecodeError::TrailingBytes { .. } => {}
    }
    e
}
