//! Building DHCP replies: the header copied from the request, options in a stable order
//! (53, 54, 51, 58, 59, 1, 3, 6, then 12, 66, 67, 150, 125, 43, and 82 echoed last as RFC 3046
//! §2.2 asks), and where the reply goes (RFC 2131 §4.1).
//!
//! Trust: the request is a decoded peer message; everything added comes from configuration or
//! the caller's decision.

use std::net::Ipv4Addr;

use crate::policy::join::Mac;
use crate::proto::dhcp::options::{
    self, MessageType, SmartInstallVendor, encode_ipv4_list, merge_vendor_block,
};
use crate::proto::dhcp::{Message, Op};
use crate::roles::dhcp_server::{ClientDecision, ServerConfig};

/// A reply and its destination.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    /// The message to encode and send.
    pub message: Message,
    /// Where it goes.
    pub destination: Destination,
}

/// Where a reply to a client goes (RFC 2131 §4.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Destination {
    /// To the relay agent at `giaddr`, server port 67.
    Relay(Ipv4Addr),
    /// Broadcast 255.255.255.255, client port 68.
    Broadcast,
    /// Unicast to the client's configured address (`ciaddr`), port 68.
    Unicast(Ipv4Addr),
    /// Unicast to `ip` at hardware address `mac` (the client has no address yet); an edge that
    /// cannot set a neighbour entry broadcasts instead, which RFC 2131 §4.1 allows.
    Hardware {
        /// The offered address.
        ip: Ipv4Addr,
        /// The client's hardware address.
        mac: Mac,
    },
}

/// Where a reply of `kind` to `request` goes (RFC 2131 §4.1), not counting the relay case.
pub fn client_destination(request: &Message, kind: MessageType, yiaddr: Ipv4Addr) -> Destination {
    if kind == MessageType::Nak {
        Destination::Broadcast
    } else if !request.ciaddr.is_unspecified() {
        Destination::Unicast(request.ciaddr)
    } else if request.broadcast() {
        Destination::Broadcast
    } else {
        match request.mac() {
            Some(mac) if !yiaddr.is_unspecified() => Destination::Hardware { ip: yiaddr, mac },
            _ => Destination::Broadcast,
        }
    }
}

/// An OFFER or ACK (or an INFORM's ACK, `with_lease` false) with the network options and, per
/// `decision`, the Smart Install and PnP options. Returns the reply and whether Smart Install
/// options were added.
pub(super) fn build(
    request: &Message,
    kind: MessageType,
    yiaddr: Ipv4Addr,
    config: &ServerConfig,
    with_lease: bool,
    decision: &ClientDecision,
) -> (Reply, bool) {
    let mut m = skeleton(request, kind, yiaddr, config.server_ip);
    if with_lease {
        let secs = config.lease_secs;
        m.set_option(options::LEASE_TIME, secs.to_be_bytes().to_vec());
        m.set_option(options::RENEWAL_TIME, (secs / 2).to_be_bytes().to_vec());
        let t2 = u32::try_from(u64::from(secs) * 7 / 8).unwrap_or(secs);
        m.set_option(options::REBINDING_TIME, t2.to_be_bytes().to_vec());
    }
    m.set_option(options::SUBNET_MASK, config.subnet_mask.octets().to_vec());
    if !config.routers.is_empty() {
        m.set_option(options::ROUTER, encode_ipv4_list(&config.routers));
    }
    if !config.dns.is_empty() {
        m.set_option(options::DNS_SERVERS, encode_ipv4_list(&config.dns));
    }
    let smart_install = add_client_options(&mut m, decision, request.is_cisco_pnp());
    echo_relay_info(&mut m, request);
    let destination = if request.giaddr.is_unspecified() {
        client_destination(request, kind, yiaddr)
    } else {
        Destination::Relay(request.giaddr)
    };
    (
        Reply {
            message: m,
            destination,
        },
        smart_install,
    )
}

/// A DHCPNAK to `request` (RFC 2131 Table 3: no address, no lease options).
pub(super) fn nak(request: &Message, server_ip: Ipv4Addr) -> Reply {
    let mut m = skeleton(request, MessageType::Nak, Ipv4Addr::UNSPECIFIED, server_ip);
    m.ciaddr = Ipv4Addr::UNSPECIFIED;
    echo_relay_info(&mut m, request);
    let destination = if request.giaddr.is_unspecified() {
        Destination::Broadcast
    } else {
        // RFC 2131 §4.3.2: a NAK through a relay has the broadcast bit set.
        m.flags |= crate::proto::dhcp::FLAG_BROADCAST;
        Destination::Relay(request.giaddr)
    };
    Reply {
        message: m,
        destination,
    }
}

/// Adds (or replaces) the Smart Install options and, for PnP clients, option 43, moving option
/// 82 back to the end. Returns whether Smart Install options were added. Used by the server and
/// by the relay on a third-party server's reply.
pub fn add_client_options(m: &mut Message, decision: &ClientDecision, pnp_client: bool) -> bool {
    let relay_info = m.remove_option(options::RELAY_AGENT_INFO);
    let added = match &decision.smart_install {
        Some(si) => {
            if let Some(name) = &si.hostname {
                m.set_option(options::HOSTNAME, name.as_bytes().to_vec());
            }
            if let Some(tftp) = si.tftp_server {
                m.set_option(options::TFTP_SERVER_NAME, tftp.to_string().into_bytes());
                m.set_option(options::TFTP_SERVER_ADDRESS, tftp.octets().to_vec());
                m.siaddr = tftp;
            }
            if let Some(file) = &si.config_file {
                m.set_option(options::BOOTFILE, file.as_bytes().to_vec());
            }
            let vendor = SmartInstallVendor {
                image_list: si.image_list.clone(),
                director: si.director,
            };
            if vendor.image_list.is_some() || vendor.director.is_some() {
                let existing = m.option(options::VENDOR_IDENTIFYING);
                // A malformed 125 from a third-party server is replaced rather than merged.
                let value = merge_vendor_block(existing, vendor.block())
                    .or_else(|_| merge_vendor_block(None, vendor.block()));
                if let Ok(value) = value {
                    m.set_option(options::VENDOR_IDENTIFYING, value);
                }
            }
            true
        }
        None => false,
    };
    if let (true, Some(text)) = (pnp_client, &decision.pnp_option43) {
        m.set_option(options::VENDOR_SPECIFIC, text.as_bytes().to_vec());
    }
    if let Some(info) = relay_info {
        m.set_option(options::RELAY_AGENT_INFO, info);
    }
    added
}

fn skeleton(request: &Message, kind: MessageType, yiaddr: Ipv4Addr, server: Ipv4Addr) -> Message {
    let mut m = Message {
        op: Op::Reply,
        htype: request.htype,
        hlen: request.hlen,
        hops: 0,
        xid: request.xid,
        secs: 0,
        flags: request.flags,
        ciaddr: request.ciaddr,
        yiaddr,
        siaddr: Ipv4Addr::UNSPECIFIED,
        giaddr: request.giaddr,
        chaddr: request.chaddr,
        sname: Vec::new(),
        file: Vec::new(),
        options: Vec::new(),
    };
    m.set_option(options::MESSAGE_TYPE, vec![kind.code()]);
    m.set_option(options::SERVER_ID, server.octets().to_vec());
    m
}

/// RFC 3046 §2.2: the server copies option 82 into its reply, verbatim.
fn echo_relay_info(m: &mut Message, request: &Message) {
    if let Some(info) = request.option(options::RELAY_AGENT_INFO) {
        m.set_option(options::RELAY_AGENT_INFO, info.to_vec());
    }
}
