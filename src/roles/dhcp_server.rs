//! The DHCP server role of the Smart Install director (RFC 2131 §4.3): given a decoded request,
//! the lease table, the pool configuration, `now` and the caller's decision for this client,
//! returns the reply to send (if any), where to send it (RFC 2131 §4.1), the lease changes to
//! persist and one event to audit. Pure: no sockets, no clock, no store.
//!
//! Smart Install options (smart-install-overview.txt "DHCP and Smart Install": 125 sub-options 5
//! and 16, 67, 66/150, 12) are added only when the caller's [`ClientDecision`] carries them —
//! the caller gives them only while the join window lets the client in; otherwise the client
//! gets plain DHCP ("the new switch receives the default files from the DHCP server"). Devices
//! announcing `ciscopnp` in option 60 get the PnP option 43 string when the caller gives one.
//!
//! Addresses are stable per MAC ("DHCP remember"): records stay after expiry and a MAC gets its
//! previous address back unless another client holds it ([`lease::Pool::allocate`]). BOOTP
//! requests without option 53 are ignored. The relay mode is in [`relay`].
//!
//! Inputs: requests from any host on the management network (attacker-controlled); the lease
//! table, configuration and decision are trusted.

pub mod lease;
pub mod relay;
pub mod reply;

use std::net::Ipv4Addr;

use chrono::{DateTime, Duration, Utc};

use crate::policy::join::Mac;
use crate::proto::dhcp::options::MessageType;
use crate::proto::dhcp::{Message, Op};

pub use lease::{Lease, LeaseChange, LeaseState, LeaseTable, Pool};
pub use reply::{Destination, Reply};

/// How long an offered address stays reserved for the client.
pub const OFFER_HOLD_SECS: i64 = 60;
/// How long a declined address stays out of the pool.
pub const DECLINE_QUARANTINE_SECS: i64 = 600;

/// The server's network parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerConfig {
    /// The server's own address (option 54).
    pub server_ip: Ipv4Addr,
    /// The subnet mask (option 1); `server_ip` and the pool are inside this subnet.
    pub subnet_mask: Ipv4Addr,
    /// The address range handed out.
    pub pool: Pool,
    /// Routers (option 3), none when empty.
    pub routers: Vec<Ipv4Addr>,
    /// DNS servers (option 6), none when empty.
    pub dns: Vec<Ipv4Addr>,
    /// Lease time in seconds (option 51).
    pub lease_secs: u32,
}

impl ServerConfig {
    /// Whether `ip` is in the server's subnet.
    pub fn in_subnet(&self, ip: Ipv4Addr) -> bool {
        let mask = u32::from(self.subnet_mask);
        u32::from(ip) & mask == u32::from(self.server_ip) & mask
    }
}

/// The Smart Install options a client in the join window receives.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SmartInstallOptions {
    /// Option 125 enterprise 9 sub-option 5: the image list file.
    pub image_list: Option<String>,
    /// Option 67: the configuration file.
    pub config_file: Option<String>,
    /// Options 66 (as text) and 150: the TFTP server.
    pub tftp_server: Option<Ipv4Addr>,
    /// Option 12: the host name assigned to the client.
    pub hostname: Option<String>,
    /// Option 125 enterprise 9 sub-option 16: the director's address.
    pub director: Option<Ipv4Addr>,
}

/// What the caller decided for one client (by its MAC) before the role answers it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientDecision {
    /// Smart Install options to add; `None` when the join window keeps the client out.
    pub smart_install: Option<SmartInstallOptions>,
    /// PnP option 43 string for clients announcing `ciscopnp` (option 60).
    pub pnp_option43: Option<String>,
}

/// What happened, for the audit log and the director database.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// An address was offered.
    Offered {
        /// The client.
        mac: Mac,
        /// The address.
        ip: Ipv4Addr,
        /// Whether Smart Install options were included.
        smart_install: bool,
    },
    /// A lease was granted (DHCPACK).
    Granted {
        /// The client.
        mac: Mac,
        /// The address.
        ip: Ipv4Addr,
        /// Whether Smart Install options were included.
        smart_install: bool,
    },
    /// A request was refused: a DHCPNAK, or no address left for a DISCOVER.
    Refused {
        /// The client.
        mac: Mac,
        /// The address asked for, if any.
        requested: Option<Ipv4Addr>,
        /// Why.
        reason: RefuseReason,
    },
    /// The client declined an address (in use by someone else).
    Declined {
        /// The client.
        mac: Mac,
        /// The address.
        ip: Ipv4Addr,
    },
    /// The client released its address.
    Released {
        /// The client.
        mac: Mac,
        /// The address.
        ip: Ipv4Addr,
    },
    /// The client asked for parameters only (DHCPINFORM).
    Informed {
        /// The client.
        mac: Mac,
        /// Its address.
        ip: Ipv4Addr,
    },
    /// No answer: the message is not for this server.
    Ignored {
        /// Why.
        reason: IgnoreReason,
    },
}

/// Why a request was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RefuseReason {
    /// The address is not in the server's subnet (the client moved).
    WrongSubnet,
    /// The address is not the one offered or leased to this client.
    NotOffered,
    /// Another client holds the address.
    AddressTaken,
    /// The pool has no free address.
    PoolExhausted,
}

/// Why a message got no answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum IgnoreReason {
    /// A BOOTREPLY reached the server port.
    NotRequest,
    /// Not Ethernet with a 6-byte hardware address.
    NotEthernet,
    /// No option 53 (plain BOOTP is not served).
    NoMessageType,
    /// A message type clients do not send.
    UnexpectedType,
    /// The client selected another server.
    OtherServer,
    /// A RELEASE or DECLINE for an address this client does not hold here.
    UnknownLease,
}

/// The role's answer to one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// The reply to send, if any.
    pub reply: Option<Reply>,
    /// Lease changes to persist, in order.
    pub changes: Vec<LeaseChange>,
    /// What happened.
    pub event: Event,
}

impl Outcome {
    fn ignored(reason: IgnoreReason) -> Self {
        Self {
            reply: None,
            changes: Vec::new(),
            event: Event::Ignored { reason },
        }
    }
}

/// Answers one request (RFC 2131 §4.3).
pub fn handle(
    request: &Message,
    leases: &LeaseTable,
    config: &ServerConfig,
    decision: &ClientDecision,
    now: DateTime<Utc>,
) -> Outcome {
    if request.op != Op::Request {
        return Outcome::ignored(IgnoreReason::NotRequest);
    }
    let Some(mac) = request.mac() else {
        return Outcome::ignored(IgnoreReason::NotEthernet);
    };
    let Some(kind) = request.message_type() else {
        return Outcome::ignored(IgnoreReason::NoMessageType);
    };
    let cx = Cx {
        request,
        leases,
        config,
        decision,
        now,
        mac,
    };
    match kind {
        MessageType::Discover => cx.discover(),
        MessageType::Request => cx.request(),
        MessageType::Decline => cx.decline(),
        MessageType::Release => cx.release(),
        MessageType::Inform => cx.inform(),
        MessageType::Offer | MessageType::Ack | MessageType::Nak => {
            Outcome::ignored(IgnoreReason::UnexpectedType)
        }
    }
}

/// One request being answered.
struct Cx<'a> {
    request: &'a Message,
    leases: &'a LeaseTable,
    config: &'a ServerConfig,
    decision: &'a ClientDecision,
    now: DateTime<Utc>,
    mac: Mac,
}

impl Cx<'_> {
    fn discover(&self) -> Outcome {
        let wanted = self.request.requested_ip();
        let Some(ip) = self
            .config
            .pool
            .allocate(self.leases, &self.mac, wanted, self.now)
        else {
            return self.refused(wanted, RefuseReason::PoolExhausted, false);
        };
        let bound_here = self.leases.get(ip).is_some_and(|l| {
            l.mac == self.mac && l.state == LeaseState::Bound && l.is_active(self.now)
        });
        let changes = if bound_here {
            Vec::new()
        } else {
            vec![self.lease(ip, LeaseState::Offered, Duration::seconds(OFFER_HOLD_SECS))]
        };
        let (reply, smart_install) = self.reply(MessageType::Offer, ip, true);
        Outcome {
            reply: Some(reply),
            changes,
            event: Event::Offered {
                mac: self.mac,
                ip,
                smart_install,
            },
        }
    }

    fn request(&self) -> Outcome {
        let requested = self.request.requested_ip();
        match (self.request.server_id(), requested) {
            // SELECTING: the client answers an offer.
            (Some(server), _) if server != self.config.server_ip => self.other_server(),
            (Some(_), Some(ip)) => match self.leases.get(ip) {
                Some(l) if l.mac == self.mac && offered_or_bound(l, self.now) => self.ack(ip),
                _ => self.refused(Some(ip), RefuseReason::NotOffered, true),
            },
            (Some(_), None) => self.refused(None, RefuseReason::NotOffered, true),
            // INIT-REBOOT: the client asks to keep an address it remembers.
            (None, Some(ip)) => self.confirm(ip),
            // RENEWING / REBINDING: the client extends its lease.
            (None, None) if !self.request.ciaddr.is_unspecified() => {
                self.confirm(self.request.ciaddr)
            }
            (None, None) => self.refused(None, RefuseReason::NotOffered, true),
        }
    }

    /// Grants `ip` again if it is this client's, or free in the pool; NAKs otherwise.
    fn confirm(&self, ip: Ipv4Addr) -> Outcome {
        if !self.config.in_subnet(ip) {
            return self.refused(Some(ip), RefuseReason::WrongSubnet, true);
        }
        let mine = self.leases.get(ip).is_some_and(|l| l.mac == self.mac);
        let free = self.leases.free_for(ip, &self.mac, self.now);
        if free && (mine || self.config.pool.contains(ip)) {
            self.ack(ip)
        } else if free {
            self.refused(Some(ip), RefuseReason::NotOffered, true)
        } else {
            self.refused(Some(ip), RefuseReason::AddressTaken, true)
        }
    }

    fn ack(&self, ip: Ipv4Addr) -> Outcome {
        let mut changes = Vec::new();
        // One address per MAC: drop its other non-declined records.
        for old in self.leases.records_of(&self.mac) {
            if old.ip != ip && old.state != LeaseState::Declined {
                changes.push(LeaseChange::Remove(old.ip));
            }
        }
        let lease_time = Duration::seconds(i64::from(self.config.lease_secs));
        changes.push(self.lease(ip, LeaseState::Bound, lease_time));
        let (reply, smart_install) = self.reply(MessageType::Ack, ip, true);
        Outcome {
            reply: Some(reply),
            changes,
            event: Event::Granted {
                mac: self.mac,
                ip,
                smart_install,
            },
        }
    }

    fn other_server(&self) -> Outcome {
        // The client took another server's offer: free ours.
        let changes = self
            .leases
            .records_of(&self.mac)
            .filter(|l| l.state == LeaseState::Offered)
            .map(|l| LeaseChange::Remove(l.ip))
            .collect();
        Outcome {
            reply: None,
            changes,
            event: Event::Ignored {
                reason: IgnoreReason::OtherServer,
            },
        }
    }

    fn decline(&self) -> Outcome {
        let Some(ip) = self.request.requested_ip() else {
            return Outcome::ignored(IgnoreReason::UnknownLease);
        };
        if self.request.server_id() != Some(self.config.server_ip)
            || self.leases.get(ip).is_none_or(|l| l.mac != self.mac)
        {
            return Outcome::ignored(IgnoreReason::UnknownLease);
        }
        let quarantine = Duration::seconds(DECLINE_QUARANTINE_SECS);
        Outcome {
            reply: None,
            changes: vec![self.lease(ip, LeaseState::Declined, quarantine)],
            event: Event::Declined { mac: self.mac, ip },
        }
    }

    fn release(&self) -> Outcome {
        let ip = self.request.ciaddr;
        match self.leases.get(ip) {
            Some(l) if l.mac == self.mac && l.state == LeaseState::Bound => Outcome {
                reply: None,
                changes: vec![self.lease(ip, LeaseState::Released, Duration::zero())],
                event: Event::Released { mac: self.mac, ip },
            },
            _ => Outcome::ignored(IgnoreReason::UnknownLease),
        }
    }

    fn inform(&self) -> Outcome {
        let ip = self.request.ciaddr;
        let (reply, _) = self.reply(MessageType::Ack, Ipv4Addr::UNSPECIFIED, false);
        Outcome {
            reply: Some(reply),
            changes: Vec::new(),
            event: Event::Informed { mac: self.mac, ip },
        }
    }

    fn refused(&self, requested: Option<Ipv4Addr>, reason: RefuseReason, nak: bool) -> Outcome {
        Outcome {
            reply: nak.then(|| reply::nak(self.request, self.config.server_ip)),
            changes: Vec::new(),
            event: Event::Refused {
                mac: self.mac,
                requested,
                reason,
            },
        }
    }

    fn lease(&self, ip: Ipv4Addr, state: LeaseState, lasts: Duration) -> LeaseChange {
        let hostname = self
            .decision
            .smart_install
            .as_ref()
            .and_then(|s| s.hostname.clone())
            .or_else(|| self.request.hostname().map(str::to_owned));
        LeaseChange::Upsert(Lease {
            ip,
            mac: self.mac,
            state,
            expires: self.now + lasts,
            hostname,
        })
    }

    fn reply(&self, kind: MessageType, yiaddr: Ipv4Addr, with_lease: bool) -> (Reply, bool) {
        reply::build(
            self.request,
            kind,
            yiaddr,
            self.config,
            with_lease,
            self.decision,
        )
    }
}

/// Whether `lease` is a live offer or binding (not a declined address's quarantine).
fn offered_or_bound(lease: &Lease, now: DateTime<Utc>) -> bool {
    matches!(lease.state, LeaseState::Offered | LeaseState::Bound) && lease.is_active(now)
}

#[cfg(test)]
mod tests;
