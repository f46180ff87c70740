//! The emulated switch's DHCP client, sans-IO (RFC 2131 §4.4): it builds DISCOVER and REQUEST
//! datagrams, takes received datagrams and timeouts with `now` as an argument, and reports the
//! lease with the Smart Install options a director hands out (option 125 enterprise 9 sub-options
//! 5 and 16, 67, 150/66/`siaddr`, 12). The caller owns the socket and the clock.
//!
//! States: SELECTING (DISCOVER sent, first OFFER taken), REQUESTING (REQUEST for the offer),
//! INIT-REBOOT (REQUEST for a remembered address, after a reload), then done. Each exchange has a
//! fresh `xid`; replies with another `xid` or another `chaddr` are ignored; a packet is
//! retransmitted after a timeout that doubles up to [`Timing::max_retransmit`], and the exchange
//! gives up after [`Timing::attempts`] sends (the caller starts over later, as IOS autoinstall
//! does). Every request sets the broadcast flag, because the client cannot receive a unicast
//! before its address is configured.
//!
//! Inputs: datagrams from anyone on the link (untrusted), decoded by the bounded
//! `proto::dhcp::Message::decode`; malformed options are treated as absent.

use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use crate::proto::dhcp::options::{
    self, MessageType, SmartInstallVendor, decode_vendor_blocks, ipv4, ipv4_list,
};
use crate::proto::dhcp::{DhcpOption, FLAG_BROADCAST, Message, Op};

/// Options the switch asks for (option 55): mask, router, DNS, host name, TFTP server name,
/// boot file, V-I vendor-specific, TFTP server addresses.
pub const PARAMETER_REQUEST_LIST: [u8; 8] = [1, 3, 6, 12, 66, 67, 125, 150];

/// Prefix length used when a reply has no (valid) subnet mask.
pub const DEFAULT_PREFIX: u8 = 24;

/// Retransmission behaviour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timing {
    /// Wait before the first retransmission.
    pub retransmit: Duration,
    /// Largest wait (the wait doubles after each retransmission).
    pub max_retransmit: Duration,
    /// Sends of one packet (the first included) before the exchange gives up.
    pub attempts: u32,
}

impl Default for Timing {
    /// 1 s doubling to 4 s, 4 sends.
    fn default() -> Self {
        Self {
            retransmit: Duration::from_secs(1),
            max_retransmit: Duration::from_secs(4),
            attempts: 4,
        }
    }
}

/// What a director's reply told the client.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BootOptions {
    /// Option 125, enterprise 9, sub-option 5: the image list file.
    pub image_list: Option<String>,
    /// Option 67: the configuration file.
    pub config_file: Option<String>,
    /// The TFTP server: option 150 (first address), else 66 (an IPv4 literal), else `siaddr`.
    pub tftp_server: Option<Ipv4Addr>,
    /// Option 12: host name.
    pub hostname: Option<String>,
    /// Option 125, enterprise 9, sub-option 16: the director.
    pub director: Option<Ipv4Addr>,
}

impl BootOptions {
    /// Whether the reply asks for zero-touch (an image list or a configuration file).
    pub fn zero_touch(&self) -> bool {
        self.image_list.is_some() || self.config_file.is_some()
    }

    /// Reads the options of a reply.
    pub fn from_message(m: &Message) -> Self {
        let vendor = m
            .option(options::VENDOR_IDENTIFYING)
            .and_then(|v| decode_vendor_blocks(v).ok())
            .and_then(|blocks| SmartInstallVendor::from_blocks(&blocks))
            .unwrap_or_default();
        let text = |code| {
            m.option(code)
                .and_then(|v| std::str::from_utf8(v).ok())
                .map(|s| s.trim_end_matches('\0').to_owned())
                .filter(|s| !s.is_empty())
        };
        let tftp_150 = m
            .option(options::TFTP_SERVER_ADDRESS)
            .and_then(|v| ipv4_list(options::TFTP_SERVER_ADDRESS, v).ok())
            .and_then(|list| list.first().copied());
        let tftp_66 = text(options::TFTP_SERVER_NAME).and_then(|s| s.parse().ok());
        let siaddr = (!m.siaddr.is_unspecified()).then_some(m.siaddr);
        Self {
            image_list: vendor.image_list.filter(|s| !s.is_empty()),
            config_file: text(options::BOOTFILE),
            tftp_server: tftp_150.or(tftp_66).or(siaddr),
            hostname: text(options::HOSTNAME),
            director: vendor.director,
        }
    }
}

/// An address granted by a DHCPACK.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lease {
    /// The client's address (`yiaddr`).
    pub ip: Ipv4Addr,
    /// Prefix length from option 1 ([`DEFAULT_PREFIX`] without one).
    pub prefix: u8,
    /// The server (option 54).
    pub server: Ipv4Addr,
    /// The Smart Install options.
    pub boot: BootOptions,
}

/// What the caller does after [`DhcpClient::handle`] or [`DhcpClient::handle_timeout`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Nothing: the datagram was not for this exchange, or no timer is due.
    Wait,
    /// Broadcast this datagram to port 67.
    Send(Vec<u8>),
    /// The exchange ended with an ACK.
    Bound(Lease),
    /// The server refused (DHCPNAK); start over with [`DhcpClient::discover`].
    Nak,
    /// No usable reply after every retransmission.
    GaveUp,
}

/// Where an exchange is.
#[derive(Clone, Debug, PartialEq, Eq)]
enum State {
    Idle,
    Selecting,
    Requesting {
        ip: Ipv4Addr,
        server: Option<Ipv4Addr>,
    },
}

/// One client (one MAC); one exchange at a time.
#[derive(Clone, Debug)]
pub struct DhcpClient {
    mac: [u8; 6],
    timing: Timing,
    xid: u32,
    state: State,
    last_sent: Vec<u8>,
    sends: u32,
    wait: Duration,
    deadline: Option<Instant>,
}

impl DhcpClient {
    /// A client for `mac`; `xid_seed` starts the transaction IDs (each exchange takes the next).
    pub fn new(mac: [u8; 6], xid_seed: u32, timing: Timing) -> Self {
        Self {
            mac,
            timing,
            xid: xid_seed,
            state: State::Idle,
            last_sent: Vec::new(),
            sends: 0,
            wait: timing.retransmit,
            deadline: None,
        }
    }

    /// The current transaction ID.
    pub fn xid(&self) -> u32 {
        self.xid
    }

    /// Starts a new exchange with a DISCOVER (INIT → SELECTING); returns the datagram.
    pub fn discover(&mut self, now: Instant) -> Vec<u8> {
        self.begin(now, State::Selecting, MessageType::Discover, |_| {})
    }

    /// Starts a new exchange asking to keep `ip` (INIT-REBOOT: REQUEST with option 50, no 54).
    pub fn reboot(&mut self, now: Instant, ip: Ipv4Addr) -> Vec<u8> {
        let state = State::Requesting { ip, server: None };
        self.begin(now, state, MessageType::Request, |m| {
            m.set_option(options::REQUESTED_IP, ip.octets().to_vec());
        })
    }

    /// When [`Self::handle_timeout`] has something to do.
    pub fn next_timeout(&self) -> Option<Instant> {
        self.deadline
    }

    /// Retransmits the last packet when its timer is due, or gives up after the last attempt.
    pub fn handle_timeout(&mut self, now: Instant) -> Step {
        match self.deadline {
            Some(deadline) if now >= deadline => {}
            _ => return Step::Wait,
        }
        if self.sends >= self.timing.attempts {
            self.finish();
            return Step::GaveUp;
        }
        self.sends += 1;
        self.wait = (self.wait * 2).min(self.timing.max_retransmit);
        self.deadline = Some(now + self.wait);
        Step::Send(self.last_sent.clone())
    }

    /// Takes one received datagram.
    pub fn handle(&mut self, now: Instant, datagram: &[u8]) -> Step {
        let Ok(reply) = Message::decode(datagram) else {
            return Step::Wait;
        };
        if reply.op != Op::Reply
            || reply.xid != self.xid
            || reply.chaddr.get(..6) != Some(self.mac.as_slice())
        {
            return Step::Wait;
        }
        match (&self.state, reply.message_type()) {
            (State::Selecting, Some(MessageType::Offer)) => self.take_offer(now, &reply),
            (State::Requesting { ip, server }, Some(MessageType::Ack)) => {
                let (ip, server) = (*ip, *server);
                self.take_ack(&reply, ip, server)
            }
            (State::Requesting { .. }, Some(MessageType::Nak)) => {
                self.finish();
                Step::Nak
            }
            _ => Step::Wait,
        }
    }

    fn take_offer(&mut self, now: Instant, offer: &Message) -> Step {
        let Some(server) = offer.server_id() else {
            return Step::Wait;
        };
        let ip = offer.yiaddr;
        if ip.is_unspecified() {
            return Step::Wait;
        }
        self.sends = 0;
        self.wait = self.timing.retransmit;
        let state = State::Requesting {
            ip,
            server: Some(server),
        };
        let datagram = self.send(now, state, MessageType::Request, |m| {
            m.set_option(options::REQUESTED_IP, ip.octets().to_vec());
            m.set_option(options::SERVER_ID, server.octets().to_vec());
        });
        Step::Send(datagram)
    }

    fn take_ack(&mut self, ack: &Message, ip: Ipv4Addr, server: Option<Ipv4Addr>) -> Step {
        if ack.yiaddr != ip {
            return Step::Wait;
        }
        let server = match (ack.server_id(), server) {
            (Some(from), Some(chosen)) if from != chosen => return Step::Wait,
            (Some(from), _) => from,
            (None, Some(chosen)) => chosen,
            (None, None) => return Step::Wait,
        };
        let prefix = ack
            .option(options::SUBNET_MASK)
            .and_then(|v| ipv4(options::SUBNET_MASK, v).ok())
            .and_then(prefix_len)
            .unwrap_or(DEFAULT_PREFIX);
        self.finish();
        Step::Bound(Lease {
            ip,
            prefix,
            server,
            boot: BootOptions::from_message(ack),
        })
    }

    /// A new exchange: next xid, fresh retransmission timer.
    fn begin(
        &mut self,
        now: Instant,
        state: State,
        kind: MessageType,
        add: impl FnOnce(&mut Message),
    ) -> Vec<u8> {
        self.xid = self.xid.wrapping_add(1);
        self.sends = 0;
        self.wait = self.timing.retransmit;
        self.send(now, state, kind, add)
    }

    fn send(
        &mut self,
        now: Instant,
        state: State,
        kind: MessageType,
        add: impl FnOnce(&mut Message),
    ) -> Vec<u8> {
        let mut m = self.request(kind);
        add(&mut m);
        m.set_option(
            options::PARAMETER_REQUEST_LIST,
            PARAMETER_REQUEST_LIST.to_vec(),
        );
        // A request of a few fixed options always fits one datagram.
        self.last_sent = m.encode().unwrap_or_default();
        self.state = state;
        self.sends += 1;
        self.deadline = Some(now + self.wait);
        self.last_sent.clone()
    }

    fn request(&self, kind: MessageType) -> Message {
        let mut chaddr = [0; 16];
        chaddr[..6].copy_from_slice(&self.mac);
        let mut client_id = vec![1];
        client_id.extend_from_slice(&self.mac);
        Message {
            op: Op::Request,
            htype: 1,
            hlen: 6,
            hops: 0,
            xid: self.xid,
            secs: 0,
            flags: FLAG_BROADCAST,
            ciaddr: Ipv4Addr::UNSPECIFIED,
            yiaddr: Ipv4Addr::UNSPECIFIED,
            siaddr: Ipv4Addr::UNSPECIFIED,
            giaddr: Ipv4Addr::UNSPECIFIED,
            chaddr,
            sname: Vec::new(),
            file: Vec::new(),
            options: vec![
                DhcpOption {
                    code: options::MESSAGE_TYPE,
                    data: vec![kind.code()],
                },
                DhcpOption {
                    code: options::CLIENT_ID,
                    data: client_id,
                },
            ],
        }
    }

    fn finish(&mut self) {
        self.state = State::Idle;
        self.deadline = None;
    }
}

/// The prefix length of a contiguous netmask.
pub fn prefix_len(mask: Ipv4Addr) -> Option<u8> {
    let bits = u32::from(mask);
    let ones = bits.leading_ones();
    (bits.checked_shl(ones).unwrap_or(0) == 0)
        .then(|| u8::try_from(ones).ok())
        .flatten()
}

#[cfg(test)]
mod tests;
