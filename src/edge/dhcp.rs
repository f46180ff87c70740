//! DHCP sockets of the Smart Install director: the server (or relay) on UDP 67 of the management
//! interface, driving the pure role in [`crate::roles::dhcp_server`].
//!
//! Sockets: one bound to `0.0.0.0:67` with `SO_BINDTODEVICE` on the configured interface (it
//! receives the clients' broadcasts and sends replies out of that interface, `SO_BROADCAST` on);
//! in relay mode a second one bound to `address:67` receives the third-party server's replies
//! (sent to `giaddr`) and forwards requests to it. Replies follow RFC 2131 §4.1: to the relay at
//! `giaddr`, unicast to `ciaddr`, else broadcast — a reply to a client without an address is
//! broadcast rather than unicast to its hardware address, which §4.1 allows when the server
//! cannot set a neighbour entry.
//!
//! Leases are restored from the store at start and each request's changes are written before
//! the reply goes out (offers excepted: they are held in memory only). Every lease granted or refused is one audit record (area `dhcp`). Which
//! clients get Smart Install options is decided by a [`Decide`] implementation, so the director
//! database can replace the static join-window policy later.
//!
//! Inputs: datagrams from the management network (attacker-controlled), decoded by the bounded
//! codec; replies from the upstream server in relay mode (semi-trusted, re-encoded; replies from
//! any other source address are dropped).

use std::collections::HashSet;
use std::io;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use tokio::net::UdpSocket;
use tokio::sync::{Mutex, watch};

use crate::audit::throttle::Throttle;
use crate::audit::{AuditEntry, AuditLog, EntryKind};
use crate::config::dhcp::{DhcpConfig, DhcpMode};
use crate::policy::Decision;
use crate::policy::join::{
    ClientOverride, JoinContext, JoinDevice, JoinOutcome, JoinWindowPolicy, Mac, ManualWindow,
    Purpose,
};
use crate::proto::dhcp::options::MessageType;
use crate::proto::dhcp::{MAX_DATAGRAM_BYTES, Message, Op};
use crate::roles::dhcp_server::relay::{self, RelayAction, RelayConfig};
use crate::roles::dhcp_server::{
    self, ClientDecision, Destination, Event, LeaseChange, LeaseState, LeaseTable, Reply,
    ServerConfig,
};
use crate::store::dhcp::DhcpStore;
use crate::store::{SqliteStore, Store, StoreError};

/// Operator state the decision depends on, read from the store for each request.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OperatorState {
    /// The runtime manual join-window state.
    pub manual: Option<ManualWindow>,
    /// The operator's override for this client.
    pub client_override: Option<ClientOverride>,
}

impl OperatorState {
    /// The join-window decision for the Smart Install client `mac` at `now` under `policy` and
    /// this operator state (a `held` override is the hold list).
    pub fn join_decision(
        &self,
        policy: &JoinWindowPolicy,
        mac: &Mac,
        now: DateTime<Utc>,
    ) -> Decision<JoinOutcome> {
        let device = JoinDevice {
            mac: Some(*mac),
            ..JoinDevice::default()
        };
        let ctx = JoinContext {
            manual: self.manual,
            client_override: self.client_override,
            on_hold_list: self.client_override == Some(ClientOverride::Held),
            purpose: Purpose::SmartInstallJoin,
        };
        policy.decide(&device, &ctx, now)
    }
}

/// A decision with the rule behind it, for the audit record.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Verdict {
    /// What the client gets.
    pub decision: ClientDecision,
    /// The deciding rule.
    pub rule: String,
    /// Why.
    pub reason: String,
    /// The client goes on the hold list (join window open in manual mode): the edge stores a
    /// `held` override for it, which an operator's approval replaces.
    pub hold: bool,
}

/// Decides which options a client gets, and hears which leases were granted: the boundary
/// toward the director database (`crate::edge::director`), or the static join-window policy.
pub trait Decide: Send + Sync + 'static {
    /// The decision for the client `mac` sending `request` at `now`.
    fn decide(
        &self,
        request: &Message,
        mac: &Mac,
        operator: &OperatorState,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Verdict> + Send;

    /// Leases were granted (the ACKs are stored and about to be sent), all of one batch at
    /// once so the listener can record them together. Nothing by default.
    fn granted(
        &self,
        _grants: &[Grant<'_>],
        _now: DateTime<Utc>,
    ) -> impl Future<Output = ()> + Send {
        async {}
    }
}

/// One granted lease, as [`Decide::granted`] hears it.
#[derive(Clone, Copy, Debug)]
pub struct Grant<'a> {
    /// The client.
    pub mac: Mac,
    /// Its address.
    pub ip: Ipv4Addr,
    /// What it sent (its hostname option, its vendor class), or the server's reply in relay mode.
    pub request: &'a Message,
}

/// Why the DHCP service could not start.
#[derive(Debug, thiserror::Error)]
pub enum DhcpError {
    /// A socket could not be created, configured or bound.
    #[error("dhcp: cannot {op} {addr}: {source}")]
    Socket {
        /// What was being done.
        op: &'static str,
        /// The address (or interface) concerned.
        addr: String,
        /// The OS error.
        source: io::Error,
    },
    /// The leases could not be restored.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The running DHCP service.
pub struct DhcpService<D> {
    config: DhcpConfig,
    client_side: UdpSocket,
    server_side: Option<UdpSocket>,
    leases: LeaseTable,
    store: Arc<Mutex<SqliteStore>>,
    audit: Arc<Mutex<AuditLog>>,
    decide: D,
    pnp_clients: HashSet<Mac>,
    /// One budget of refusal records for all clients: MAC addresses are forged at will, so a
    /// per-client budget would not stop a flood.
    refusals: Mutex<Throttle<()>>,
    started: std::time::Instant,
}

/// Refusal records: a burst of this many ...
const REFUSAL_BURST: u32 = 50;
/// ... then this many per second; the rest are counted into the next refusal record.
const REFUSALS_PER_SECOND: f64 = 10.0;

impl<D: Decide> DhcpService<D> {
    /// Binds the sockets and restores the leases.
    pub async fn bind(
        config: DhcpConfig,
        store: Arc<Mutex<SqliteStore>>,
        audit: Arc<Mutex<AuditLog>>,
        decide: D,
    ) -> Result<Self, DhcpError> {
        let any = SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, config.server_port);
        let client_side = udp_socket(any, Some(&config.interface))?;
        let server_side = match config.mode {
            DhcpMode::Relay(_) => Some(udp_socket(
                SocketAddrV4::new(config.address, config.server_port),
                None,
            )?),
            DhcpMode::Server(_) => None,
        };
        let leases = LeaseTable::new(store.lock().await.dhcp_leases()?);
        Ok(Self {
            config,
            client_side,
            server_side,
            leases,
            store,
            audit,
            decide,
            pnp_clients: HashSet::new(),
            refusals: Mutex::new(Throttle::new(REFUSAL_BURST, REFUSALS_PER_SECOND)),
            started: crate::clock::now_monotonic(),
        })
    }

    /// Number of lease records restored or kept.
    pub fn lease_count(&self) -> usize {
        self.leases.len()
    }

    /// Serves until `stop` turns true.
    pub async fn run(mut self, mut stop: watch::Receiver<bool>) {
        let mut buf = vec![0; MAX_DATAGRAM_BYTES + 1];
        let mut up = vec![0; MAX_DATAGRAM_BYTES + 1];
        loop {
            tokio::select! {
                r = self.client_side.recv_from(&mut buf) => match r {
                    Ok((n, from)) => self.on_client_side(&buf[..n], from).await,
                    Err(err) => tracing::warn!(%err, "dhcp: receive failed"),
                },
                r = recv_opt(self.server_side.as_ref(), &mut up) => match r {
                    Ok((n, from)) => self.on_server_side(&up[..n], from).await,
                    Err(err) => tracing::warn!(%err, "dhcp: receive from the server failed"),
                },
                _ = stop.changed() => break,
            }
        }
    }

    async fn on_client_side(&mut self, datagram: &[u8], from: SocketAddr) {
        if let DhcpMode::Server(server) = &self.config.mode {
            let server = server.clone();
            self.serve_batch(datagram, &server).await;
            return;
        }
        let message = match Message::decode(datagram) {
            Ok(m) => m,
            Err(err) => {
                tracing::debug!(%from, %err, "dhcp: undecodable datagram");
                return;
            }
        };
        match self.config.mode.clone() {
            DhcpMode::Server(_) => {}
            DhcpMode::Relay(relay) if message.op == Op::Request => {
                if let Some(mac) = message.mac() {
                    self.remember_pnp(mac, message.is_cisco_pnp());
                }
                self.relay_action(relay::from_client(&message, &relay), &message)
                    .await;
            }
            // A server reply that reached the client-side socket (the server is on this link).
            DhcpMode::Relay(relay) => self.relay_reply(&message, &relay, from).await,
        }
    }

    async fn on_server_side(&mut self, datagram: &[u8], from: SocketAddr) {
        let DhcpMode::Relay(relay) = self.config.mode.clone() else {
            return;
        };
        match Message::decode(datagram) {
            Ok(m) => self.relay_reply(&m, &relay, from).await,
            Err(err) => tracing::debug!(%from, %err, "dhcp: undecodable reply"),
        }
    }

    /// Answers `first` and every datagram already queued behind it (up to [`MAX_BATCH`]) with one
    /// store transaction and one audit sync: group commit, the replies go out only after both.
    async fn serve_batch(&mut self, first: &[u8], server: &ServerConfig) {
        let mut batch = vec![first.to_vec()];
        let mut buf = vec![0; MAX_DATAGRAM_BYTES + 1];
        while batch.len() < MAX_BATCH {
            match self.client_side.try_recv_from(&mut buf) {
                Ok((n, _)) => batch.push(buf[..n].to_vec()),
                Err(_) => break,
            }
        }
        let now = crate::clock::now_utc();
        let mut durable = Vec::new();
        let mut answered = Vec::new();
        for datagram in &batch {
            let Some((request, mac)) = decode_request(datagram) else {
                continue;
            };
            let verdict = self.verdict(&request, &mac, now).await;
            if verdict.hold {
                self.hold(&mac).await;
            }
            let out = dhcp_server::handle(&request, &self.leases, server, &verdict.decision, now);
            for change in &out.changes {
                self.leases.apply(change);
                // Offers live in memory only: an offer lost in a restart costs the client one
                // NAK and a new DISCOVER, and skipping it halves the synchronous writes.
                if !matches!(change, LeaseChange::Upsert(l) if l.state == LeaseState::Offered) {
                    durable.push(change.clone());
                }
            }
            answered.push((out, verdict, request));
        }
        let stored = self.store.lock().await.apply_dhcp_changes(&durable);
        if let Err(err) = stored {
            // Nothing is promised to a client that could not be stored.
            tracing::error!(%err, "dhcp: cannot store leases; requests dropped");
            self.reload_leases().await;
            return;
        }
        self.audit_events(answered.iter().map(|(out, v, _)| (&out.event, v)))
            .await;
        let grants: Vec<Grant<'_>> = answered
            .iter()
            .filter_map(|(out, _, request)| match &out.event {
                Event::Granted { mac, ip, .. } => Some(Grant {
                    mac: *mac,
                    ip: *ip,
                    request,
                }),
                _ => None,
            })
            .collect();
        if !grants.is_empty() {
            self.decide.granted(&grants, now).await;
        }
        for (out, _, _) in &answered {
            if let Some(reply) = &out.reply {
                self.send_reply(reply).await;
            }
        }
    }

    /// Puts `mac` on the hold list (a `held` override) unless the operator already decided.
    async fn hold(&self, mac: &Mac) {
        let mut store = self.store.lock().await;
        if matches!(store.client_override(mac), Ok(None))
            && let Err(err) = store.set_client_override(mac, Some(ClientOverride::Held))
        {
            tracing::error!(%err, %mac, "dhcp: cannot put the client on the hold list");
        }
    }

    /// Restores the in-memory table from the store after a failed write.
    async fn reload_leases(&mut self) {
        match self.store.lock().await.dhcp_leases() {
            Ok(leases) => self.leases = LeaseTable::new(leases),
            Err(err) => tracing::error!(%err, "dhcp: cannot reload leases"),
        }
    }

    async fn relay_reply(&mut self, reply: &Message, relay: &RelayConfig, from: SocketAddr) {
        // Only the configured server's replies are relayed: a rogue server on either side
        // cannot use ztpgate to reach the clients.
        if from.ip() != std::net::IpAddr::V4(relay.server) {
            tracing::debug!(%from, "dhcp relay: reply from a server other than relay_server");
            return;
        }
        let Some(mac) = reply.mac() else {
            return;
        };
        let now = crate::clock::now_utc();
        let mut verdict = self.verdict(reply, &mac, now).await;
        if verdict.hold {
            self.hold(&mac).await;
        }
        if !self.pnp_clients.contains(&mac) {
            verdict.decision.pnp_option43 = None;
        }
        let action = relay::from_server(reply, relay, &verdict.decision);
        if let RelayAction::ToClient {
            kind,
            smart_install,
            ..
        } = &action
        {
            let event = match kind {
                MessageType::Ack => Some(Event::Granted {
                    mac,
                    ip: reply.yiaddr,
                    smart_install: *smart_install,
                }),
                MessageType::Nak => Some(Event::Refused {
                    mac,
                    requested: None,
                    reason: dhcp_server::RefuseReason::NotOffered,
                }),
                _ => None,
            };
            if let Some(event) = event {
                self.audit_event(&event, &verdict).await;
            }
            if *kind == MessageType::Ack {
                let grant = Grant {
                    mac,
                    ip: reply.yiaddr,
                    request: reply,
                };
                self.decide.granted(&[grant], now).await;
            }
        }
        self.relay_action(action, reply).await;
    }

    async fn relay_action(&self, action: RelayAction, message: &Message) {
        let port = self.config.server_port;
        let (socket, to, datagram) = match action {
            RelayAction::ToServer { datagram, server } => {
                let socket = self.server_side.as_ref().unwrap_or(&self.client_side);
                (socket, SocketAddrV4::new(server, port), datagram)
            }
            RelayAction::ToClient {
                datagram,
                destination,
                ..
            } => (&self.client_side, self.target(destination), datagram),
            RelayAction::Drop(reason) => {
                tracing::debug!(?reason, xid = message.xid, "dhcp relay: dropped");
                return;
            }
        };
        if let Err(err) = socket.send_to(&datagram, to).await {
            tracing::warn!(%err, %to, "dhcp relay: send failed");
        }
    }

    async fn send_reply(&self, reply: &Reply) {
        let datagram = match reply.message.encode() {
            Ok(d) => d,
            Err(err) => {
                tracing::error!(%err, "dhcp: reply does not encode");
                return;
            }
        };
        let to = self.target(reply.destination);
        if let Err(err) = self.client_side.send_to(&datagram, to).await {
            tracing::warn!(%err, %to, "dhcp: send failed");
        }
    }

    fn target(&self, destination: Destination) -> SocketAddrV4 {
        target(&self.config, destination)
    }

    async fn verdict(&self, request: &Message, mac: &Mac, now: DateTime<Utc>) -> Verdict {
        let operator = {
            let store = self.store.lock().await;
            OperatorState {
                manual: store.manual_window().unwrap_or_else(|err| {
                    tracing::error!(%err, "dhcp: cannot read the join window state");
                    Some(ManualWindow::Closed)
                }),
                client_override: store.client_override(mac).unwrap_or(None),
            }
        };
        self.decide.decide(request, mac, &operator, now).await
    }

    fn remember_pnp(&mut self, mac: Mac, pnp: bool) {
        if !pnp {
            self.pnp_clients.remove(&mac);
            return;
        }
        if self.pnp_clients.len() >= MAX_REMEMBERED_PNP_CLIENTS {
            self.pnp_clients.clear();
        }
        self.pnp_clients.insert(mac);
    }

    async fn audit_event(&self, event: &Event, verdict: &Verdict) {
        self.audit_events(std::iter::once((event, verdict))).await;
    }

    /// Appends a record per granted or refused lease, then syncs once.
    async fn audit_events<'e>(&self, events: impl Iterator<Item = (&'e Event, &'e Verdict)>) {
        let now = crate::clock::now_utc();
        let mut audit = self.audit.lock().await;
        let since_start = crate::clock::now_monotonic().saturating_duration_since(self.started);
        let mut refusals = self.refusals.lock().await;
        for (event, verdict) in events {
            let Some(entry) = audit_entry(event, verdict, &self.config)
                .and_then(|e| within_budget(e, event, &mut refusals, since_start))
            else {
                continue;
            };
            if let Err(err) = audit.append_deferred(entry, now) {
                tracing::error!(%err, "dhcp: cannot write the audit log");
            }
        }
        if let Err(err) = audit.commit(now) {
            tracing::error!(%err, "dhcp: cannot sync the audit log");
        }
    }
}

/// The UDP destination of a reply (RFC 2131 §4.1; a client without an address gets a broadcast).
fn target(config: &DhcpConfig, destination: Destination) -> SocketAddrV4 {
    match destination {
        Destination::Relay(ip) => SocketAddrV4::new(ip, config.server_port),
        Destination::Unicast(ip) => SocketAddrV4::new(ip, config.client_port),
        Destination::Broadcast | Destination::Hardware { .. } => {
            SocketAddrV4::new(Ipv4Addr::BROADCAST, config.client_port)
        }
    }
}

/// `entry` unless it records a refusal over the shared budget; the first refusal recorded after
/// some were left out says how many (`suppressed_refusals`). Grants are always recorded.
fn within_budget(
    entry: AuditEntry,
    event: &Event,
    refusals: &mut Throttle<()>,
    now: std::time::Duration,
) -> Option<AuditEntry> {
    if matches!(event, Event::Refused { .. }) {
        refusals.admit_entry((), now, entry)
    } else {
        Some(entry)
    }
}

/// The audit record of a granted or refused lease; other events are not audited.
fn audit_entry(event: &Event, verdict: &Verdict, config: &DhcpConfig) -> Option<AuditEntry> {
    let mode = match config.mode {
        DhcpMode::Server(_) => "server",
        DhcpMode::Relay(_) => "relay",
    };
    let (name, mac, detail) = match event {
        Event::Granted {
            mac,
            ip,
            smart_install,
        } => (
            "grant",
            mac,
            serde_json::json!({ "ip": ip.to_string(), "smart_install": smart_install }),
        ),
        Event::Refused {
            mac,
            requested,
            reason,
        } => (
            "refuse",
            mac,
            serde_json::json!({ "requested": requested.map(|ip| ip.to_string()), "refusal": reason }),
        ),
        _ => return None,
    };
    let mut detail = detail;
    if let Some(obj) = detail.as_object_mut() {
        obj.insert("dhcp".into(), mode.into());
        obj.insert("join_rule".into(), verdict.rule.clone().into());
        obj.insert("reason".into(), verdict.reason.clone().into());
    }
    Some(AuditEntry {
        kind: EntryKind::Decision,
        area: "dhcp".into(),
        verdict: name.into(),
        rule: format!("dhcp-{mode}"),
        mode: "enforce".into(),
        actor: format!("client {mac}"),
        detail,
    })
}

/// A non-blocking UDP socket on `addr` with `SO_REUSEADDR` and `SO_BROADCAST`, bound to
/// `device` when given.
fn udp_socket(addr: SocketAddrV4, device: Option<&str>) -> Result<UdpSocket, DhcpError> {
    crate::edge::udp::broadcast_socket(addr, device).map_err(|(op, source)| DhcpError::Socket {
        op,
        addr: match (op, device) {
            ("bind to the interface", Some(d)) => d.to_owned(),
            _ => addr.to_string(),
        },
        source,
    })
}

/// Receives from `socket`, or never when there is none.
async fn recv_opt(socket: Option<&UdpSocket>, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
    match socket {
        Some(s) => s.recv_from(buf).await,
        None => std::future::pending().await,
    }
}

/// Decodes a client's datagram; `None` (logged) when it is not a usable request.
fn decode_request(datagram: &[u8]) -> Option<(Message, Mac)> {
    match Message::decode(datagram) {
        Ok(m) => {
            let mac = m.mac()?;
            Some((m, mac))
        }
        Err(err) => {
            tracing::debug!(%err, "dhcp: undecodable datagram");
            None
        }
    }
}

/// Most requests answered with one store transaction and one audit sync.
const MAX_BATCH: usize = 64;
/// Most MACs remembered as PnP clients in relay mode (the set is cleared when full).
const MAX_REMEMBERED_PNP_CLIENTS: usize = 4_096;

#[cfg(test)]
mod tests;
