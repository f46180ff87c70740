//! Relay mode (RFC 1542 §4, RFC 2131 §4.1): ztpgate sits between the Smart Install clients and
//! a third-party DHCP server. Client requests go to the server with `giaddr` set to the relay's
//! address; the server's replies to that `giaddr` come back, get the Smart Install options
//! inserted (same rules as the server: only with the caller's [`ClientDecision`], which it gives
//! only while the join window lets the client in), and go to the client. This is what the Cisco
//! director does by snooping ("the director inserts options into the DHCP response",
//! smart-install-overview.txt "DHCP and Smart Install").
//!
//! Pure: the caller decodes, decides and sends. Inputs: client requests and server replies are
//! both untrusted; the upstream server is semi-trusted (its replies are re-encoded by our codec,
//! option 82 kept verbatim).

use std::net::Ipv4Addr;

use crate::proto::dhcp::options::MessageType;
use crate::proto::dhcp::{EncodeError, Message, Op};
use crate::roles::dhcp_server::ClientDecision;
use crate::roles::dhcp_server::reply::{Destination, add_client_options, client_destination};

/// RFC 1542 §4.1.1: requests that have crossed more relays than this are dropped.
pub const MAX_HOPS: u8 = 16;

/// The relay's addresses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RelayConfig {
    /// The relay's address on the clients' network (written to `giaddr`).
    pub agent_ip: Ipv4Addr,
    /// The third-party DHCP server (port 67).
    pub server: Ipv4Addr,
}

/// What to do with a datagram that reached the relay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RelayAction {
    /// Send `datagram` to the server at `server`:67.
    ToServer {
        /// The encoded request.
        datagram: Vec<u8>,
        /// The server's address.
        server: Ipv4Addr,
    },
    /// Send `datagram` to the client.
    ToClient {
        /// The encoded reply.
        datagram: Vec<u8>,
        /// Where it goes (never [`Destination::Relay`]).
        destination: Destination,
        /// Whether Smart Install options were inserted.
        smart_install: bool,
        /// The reply's type.
        kind: MessageType,
    },
    /// Nothing to send.
    Drop(DropReason),
}

/// Why the relay dropped a datagram.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DropReason {
    /// A request that already crossed [`MAX_HOPS`] relays.
    TooManyHops,
    /// A reply for another relay agent.
    NotOurAgent,
    /// A reply without a known message type.
    NoMessageType,
    /// The re-encoded message does not fit a datagram.
    Encode(EncodeError),
}

/// A client request: increments `hops`, sets `giaddr` when no relay did before, and forwards.
pub fn from_client(request: &Message, config: &RelayConfig) -> RelayAction {
    if request.op != Op::Request {
        return RelayAction::Drop(DropReason::NotOurAgent);
    }
    if request.hops >= MAX_HOPS {
        return RelayAction::Drop(DropReason::TooManyHops);
    }
    let mut m = request.clone();
    m.hops += 1;
    if m.giaddr.is_unspecified() {
        m.giaddr = config.agent_ip;
    }
    match m.encode() {
        Ok(datagram) => RelayAction::ToServer {
            datagram,
            server: config.server,
        },
        Err(e) => RelayAction::Drop(DropReason::Encode(e)),
    }
}

/// A server reply to our `giaddr`: inserts the client's options into OFFER and ACK and sends it
/// on to the client (RFC 2131 §4.1 destination rules).
pub fn from_server(
    reply: &Message,
    config: &RelayConfig,
    decision: &ClientDecision,
) -> RelayAction {
    if reply.op != Op::Reply || reply.giaddr != config.agent_ip {
        return RelayAction::Drop(DropReason::NotOurAgent);
    }
    let Some(kind) = reply.message_type() else {
        return RelayAction::Drop(DropReason::NoMessageType);
    };
    let mut m = reply.clone();
    let smart_install = match kind {
        MessageType::Offer | MessageType::Ack => {
            // The reply carries no option 60: the caller sets `pnp_option43` only for clients
            // whose request announced `ciscopnp`.
            add_client_options(&mut m, decision, true)
        }
        _ => false,
    };
    let destination = client_destination(reply, kind, reply.yiaddr);
    match m.encode() {
        Ok(datagram) => RelayAction::ToClient {
            datagram,
            destination,
            smart_install,
            kind,
        },
        Err(e) => RelayAction::Drop(DropReason::Encode(e)),
    }
}
