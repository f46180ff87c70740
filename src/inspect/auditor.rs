//! The capture auditor's engine: frames in, findings out. Each frame is decoded
//! (`crate::proto::packet`); TCP goes through the flow table and its reassembly
//! ([`super::flows`]), UDP port 69 to the TFTP request decoder; reassembled streams go to the
//! protocol observers by port and content — Smart Install on 4786 ([`super::smart_install`]),
//! FTP commands on 21 ([`super::ftp`]), DHCP replies from port 67 ([`super::dhcp`]), HTTP requests on any other port whose client speaks
//! first with a request line ([`super::http`], PnP bodies through `crate::proto::pnp`). Each
//! observation becomes a [`crate::rules::Event`]; every rule it matches is a [`Finding`].
//!
//! Correlation: a director-side command (config push, image upgrade, copy, execute) is
//! remembered per receiving address for [`AuditorSettings::correlation_window_ns`]; a TFTP
//! request from that address within the window carries the command's kind and its sender's
//! role (`after_smart_install`, `trigger`, `trigger_source`).
//!
//! Pure and bounded: no I/O, no clock (times come from the capture); flows, buffers, the
//! correlation table, the speaker table and the findings are all capped.
//!
//! Inputs: captured frames (attacker-controlled); the rule set and knowledge from the operator.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};

use crate::proto::packet::{self, Packet, Transport, UdpDatagram};
use crate::proto::pcap::LinkType;
use crate::proto::vstack::{DecodeError, Frame, Kind, Limits};
use crate::rules::{Event, EventKind, RuleSet};

use super::classify::classify;
use super::dhcp;
use super::events;
use super::finding::{AuditStats, Finding, Report};
use super::flows::{Direction, FlowInfo, FlowLimits, FlowTable, LimitError, Segment};
use super::ftp::{FtpCommand, FtpCommands};
use super::http::{HttpRequest, HttpRequests, Progress};
use super::knowledge::{Knowledge, Role};
use super::reassembly::{CloseKind, Interest, StreamEvent};
use super::smart_install::{SiItem, SiStream};
use super::speakers::Speakers;

/// Smart Install's TCP port.
pub const SMART_INSTALL_PORT: u16 = 4786;
/// TFTP's UDP port.
pub const TFTP_PORT: u16 = 69;
/// FTP's control port.
pub const FTP_PORT: u16 = 21;
/// Receivers of a recent Smart Install command remembered at once.
const MAX_TRIGGERS: usize = 65_536;
/// Different UDIs remembered per PnP connection.
const MAX_UDIS: usize = 16;

/// How the auditor works.
#[derive(Clone, Debug)]
pub struct AuditorSettings {
    /// Directors and allowed TFTP servers.
    pub knowledge: Knowledge,
    /// Flow and reassembly caps.
    pub flows: FlowLimits,
    /// Smart Install decoder caps.
    pub vstack: Limits,
    /// How long after a Smart Install command a TFTP request counts as its consequence.
    pub correlation_window_ns: u64,
    /// Most findings kept (later ones are counted in `findings_dropped`).
    pub max_findings: usize,
}

impl Default for AuditorSettings {
    fn default() -> Self {
        Self {
            knowledge: Knowledge::none(),
            flows: FlowLimits::default(),
            vstack: Limits::default(),
            correlation_window_ns: 120_000_000_000,
            max_findings: 100_000,
        }
    }
}

/// A Smart Install command some address received.
#[derive(Clone, Debug)]
struct Trigger {
    ts_ns: u64,
    kind: Kind,
    source: Role,
    hosts: Vec<String>,
}

/// The observers of one TCP flow.
#[derive(Debug)]
enum FlowState {
    SmartInstall(Box<SiFlow>),
    Http(Box<HttpFlow>),
    Ftp(FtpCommands),
}

#[derive(Debug)]
struct SiFlow {
    from_initiator: SiStream,
    from_responder: SiStream,
    announced: bool,
}

#[derive(Debug, Default)]
struct HttpFlow {
    requests: HttpRequests,
    udis: Vec<String>,
}

/// Everything but the flow table, so that flow events can reach it while the table is borrowed.
struct Context {
    rules: RuleSet,
    settings: AuditorSettings,
    triggers: HashMap<IpAddr, Trigger>,
    speakers: Speakers,
    findings: Vec<Finding>,
    stats: AuditStats,
}

/// The auditor of one capture (or one live interface).
pub struct Auditor {
    flows: FlowTable<FlowState>,
    cx: Context,
}

impl Auditor {
    /// An auditor applying `rules`.
    pub fn new(rules: RuleSet, settings: AuditorSettings) -> Result<Self, LimitError> {
        Ok(Self {
            flows: FlowTable::new(settings.flows)?,
            cx: Context {
                rules,
                settings,
                triggers: HashMap::new(),
                speakers: Speakers::default(),
                findings: Vec::new(),
                stats: AuditStats::default(),
            },
        })
    }

    /// One captured frame of link type `link`, captured at `ts_ns`.
    pub fn record(&mut self, ts_ns: u64, link: LinkType, frame: &[u8]) {
        self.cx.stats.records += 1;
        self.cx.stats.frame_bytes += frame.len() as u64;
        match packet::decode(link, frame) {
            Ok(Some(p)) => self.packet(ts_ns, &p),
            Ok(None) => self.cx.stats.non_ip += 1,
            Err(_) => self.cx.stats.malformed += 1,
        }
    }

    /// One decoded packet.
    pub fn packet(&mut self, ts_ns: u64, p: &Packet<'_>) {
        match &p.transport {
            Transport::Tcp(t) => {
                self.cx.stats.tcp_segments += 1;
                let src = SocketAddr::new(p.src, t.src_port);
                let dst = SocketAddr::new(p.dst, t.dst_port);
                let seg = Segment {
                    seq: t.seq,
                    ack: t.ack,
                    flags: t.flags,
                    payload: t.payload,
                };
                let limits = self.cx.settings.vstack;
                let cx = &mut self.cx;
                self.flows.segment(
                    ts_ns,
                    src,
                    dst,
                    &seg,
                    |info| Some(new_state(info, limits)),
                    &mut |info, state, dir, event| cx.on_stream(info, state, dir, event),
                );
            }
            Transport::Udp(u) => {
                self.cx.stats.udp_datagrams += 1;
                if u.dst_port == TFTP_PORT {
                    self.cx.tftp(ts_ns, p.src, p.dst, u);
                } else if u.src_port == dhcp::SERVER_PORT {
                    self.cx.dhcp(ts_ns, p.src, p.dst, u);
                }
            }
            Transport::Fragment { .. } => self.cx.stats.fragments += 1,
            Transport::Other(_) => {}
        }
    }

    /// The findings so far, handed over (live capture records them as they come).
    pub fn take_findings(&mut self) -> Vec<Finding> {
        std::mem::take(&mut self.cx.findings)
    }

    /// Ends the flows idle since before `now_ns` less the idle timeout (capture time): a live
    /// capture calls this now and then, since quiet flows get no packet to end them.
    pub fn expire(&mut self, now_ns: u64) {
        let cx = &mut self.cx;
        self.flows.expire(now_ns, &mut |info, state, dir, event| {
            cx.on_stream(info, state, dir, event)
        });
    }

    /// Counters so far.
    pub fn stats(&self) -> AuditStats {
        let mut stats = self.cx.stats;
        let flows = self.flows.stats();
        stats.tcp_flows = flows.flows_seen;
        stats.peak_buffered_bytes = flows.peak_buffered_bytes as u64;
        stats
    }

    /// End of capture: every flow is flushed and closed, and the report assembled.
    pub fn finish(mut self) -> Report {
        let cx = &mut self.cx;
        self.flows
            .finish(&mut |info, state, dir, event| cx.on_stream(info, state, dir, event));
        let stats = self.stats();
        let Context {
            settings,
            speakers,
            mut findings,
            ..
        } = self.cx;
        findings.sort_by_key(|f| f.timestamp_ns);
        Report {
            findings,
            speakers: speakers.finish(&settings.knowledge),
            stats,
            directors_known: settings.knowledge.knows_directors(),
            tftp_servers_known: settings.knowledge.knows_tftp_servers(),
        }
    }
}

/// The observers of a new flow, chosen by port.
fn new_state(info: &FlowInfo, limits: Limits) -> FlowState {
    let (i, r) = (info.initiator.port(), info.responder.port());
    if r == SMART_INSTALL_PORT || i == SMART_INSTALL_PORT {
        FlowState::SmartInstall(Box::new(SiFlow {
            from_initiator: SiStream::new(limits),
            from_responder: SiStream::new(limits),
            announced: false,
        }))
    } else if r == FTP_PORT {
        FlowState::Ftp(FtpCommands::new())
    } else {
        FlowState::Http(Box::default())
    }
}

/// (sender, receiver) of bytes travelling in `dir`.
fn ends(info: &FlowInfo, dir: Direction) -> (SocketAddr, SocketAddr) {
    match dir {
        Direction::FromInitiator => (info.initiator, info.responder),
        Direction::FromResponder => (info.responder, info.initiator),
    }
}

impl Context {
    fn on_stream(
        &mut self,
        info: &FlowInfo,
        state: &mut FlowState,
        dir: Direction,
        ev: StreamEvent<'_>,
    ) -> Interest {
        let (src, dst) = ends(info, dir);
        let ts = info.last_ns;
        if let StreamEvent::Gap { missing, .. } = ev {
            self.stats.lost_bytes = self.stats.lost_bytes.saturating_add(missing);
        }
        if let StreamEvent::Conflict { offset, len } = ev {
            let e = events::base(EventKind::TcpOverlapConflict, src, dst)
                .with("offset", offset)
                .with("len", len);
            self.emit(&e, ts, src, dst, "tcp");
        }
        match state {
            FlowState::SmartInstall(si) => self.smart_install(info, si, dir, ev),
            FlowState::Http(h) => self.http(ts, src, dst, h, dir, ev),
            FlowState::Ftp(f) => self.ftp(ts, src, dst, f, dir, ev),
        }
    }

    fn smart_install(
        &mut self,
        info: &FlowInfo,
        si: &mut SiFlow,
        dir: Direction,
        ev: StreamEvent<'_>,
    ) -> Interest {
        let ts = info.last_ns;
        if !si.announced {
            si.announced = true;
            self.si_connection(info);
        }
        let (src, dst) = ends(info, dir);
        let stream = match dir {
            Direction::FromInitiator => &mut si.from_initiator,
            Direction::FromResponder => &mut si.from_responder,
        };
        let mut items = Vec::new();
        match ev {
            StreamEvent::Data { bytes, .. } => stream.feed(bytes, &mut items),
            StreamEvent::Gap { .. } => stream.lost(),
            StreamEvent::Closed(CloseKind::Fin | CloseKind::Reset) => stream.closed(&mut items),
            StreamEvent::Closed(_) | StreamEvent::Conflict { .. } => {}
        }
        let dead = stream.is_dead();
        for item in items {
            self.si_item(ts, src, dst, item);
        }
        if dead {
            Interest::IgnoreDirection
        } else {
            Interest::Continue
        }
    }

    fn si_connection(&mut self, info: &FlowInfo) {
        let (connector, listener) = if info.responder.port() == SMART_INSTALL_PORT {
            (info.initiator, info.responder)
        } else {
            (info.responder, info.initiator)
        };
        self.speakers
            .connection(info.first_ns, connector.ip(), listener.ip(), info.accepted);
        let e = events::si_connection(connector, listener, info.into(), &self.settings.knowledge);
        self.emit(&e, info.first_ns, connector, listener, "tcp");
    }

    fn si_item(&mut self, ts: u64, src: SocketAddr, dst: SocketAddr, item: SiItem) {
        match item {
            SiItem::Message(frame) => self.si_message(ts, src, dst, &frame),
            SiItem::Error(err) => self.si_error(ts, src, dst, &err),
        }
    }

    fn si_message(&mut self, ts: u64, src: SocketAddr, dst: SocketAddr, frame: &Frame) {
        self.stats.smart_install_messages += 1;
        let m = &frame.message;
        // Judged by the body, as the receiver does: a command sent with w0 = 4 is a command.
        self.speakers
            .message(ts, src.ip(), dst.ip(), m.acting_direction());
        let e = events::si_message(src, dst, frame, &self.settings.knowledge);
        let command = matches!(
            m.kind(),
            Kind::ConfigPush | Kind::ImageUpgrade | Kind::CopyCommands | Kind::Execute
        );
        if command {
            self.remember(
                dst.ip(),
                Trigger {
                    ts_ns: ts,
                    kind: m.kind(),
                    source: self.settings.knowledge.role(src.ip()),
                    hosts: m.hosts().into_iter().map(str::to_owned).collect(),
                },
            );
        }
        self.emit(&e, ts, src, dst, "tcp");
    }

    fn si_error(&mut self, ts: u64, src: SocketAddr, dst: SocketAddr, err: &DecodeError) {
        let e = events::si_decode_error(src, dst, err, &self.settings.knowledge);
        self.emit(&e, ts, src, dst, "tcp");
    }

    fn remember(&mut self, receiver: IpAddr, trigger: Trigger) {
        if self.triggers.len() >= MAX_TRIGGERS && !self.triggers.contains_key(&receiver) {
            let window = self.settings.correlation_window_ns;
            let now = trigger.ts_ns;
            self.triggers
                .retain(|_, t| now.saturating_sub(t.ts_ns) <= window);
            if self.triggers.len() >= MAX_TRIGGERS {
                self.triggers.clear();
            }
        }
        self.triggers.insert(receiver, trigger);
    }

    fn tftp(&mut self, ts: u64, client: IpAddr, server: IpAddr, u: &UdpDatagram<'_>) {
        use crate::proto::tftp::Packet as Tftp;
        // Only requests start on port 69; data and acknowledgements use other ports.
        if !matches!(u.payload.get(..2), Some([0, 1 | 2])) {
            return;
        }
        let (opcode, request) = match Tftp::decode(u.payload) {
            Ok(Tftp::Rrq(r)) => ("rrq", r),
            Ok(Tftp::Wrq(r)) => ("wrq", r),
            _ => return,
        };
        self.stats.tftp_requests += 1;
        let src = SocketAddr::new(client, u.src_port);
        let dst = SocketAddr::new(server, u.dst_port);
        let k = &self.settings.knowledge;
        let window = self.settings.correlation_window_ns;
        let trigger = self
            .triggers
            .get(&client)
            .filter(|t| ts >= t.ts_ns && ts - t.ts_ns <= window);
        let server_text = server.to_string();
        let mut e = events::base(EventKind::TftpRequest, src, dst)
            .with("opcode", opcode)
            .with("filename", request.filename.clone())
            .with("mode", request.mode.as_str())
            .with("file_class", classify(&request.filename).as_str())
            .with("bytes", u.payload.len())
            .with("server", k.server(&server_text).as_str())
            .with("after_smart_install", trigger.is_some())
            .with("trigger", trigger.map_or("none", |t| t.kind.as_str()))
            .with(
                "trigger_source",
                trigger.map_or("none", |t| t.source.as_str()),
            );
        // URL hosts keep the brackets of IPv6 literals (`[2001:db8::1]`).
        let named = trigger.is_some_and(|t| {
            t.hosts
                .iter()
                .any(|h| h.trim_start_matches('[').trim_end_matches(']').parse() == Ok(server))
        });
        e.set("named_in_message", named);
        self.emit(&e, ts, src, dst, "udp");
    }

    fn dhcp(&mut self, ts: u64, server: IpAddr, client: IpAddr, u: &UdpDatagram<'_>) {
        let src = SocketAddr::new(server, u.src_port);
        let dst = SocketAddr::new(client, u.dst_port);
        if let Some(e) = dhcp::reply_event(src, dst, u.payload, &self.settings.knowledge) {
            self.stats.dhcp_replies += 1;
            self.emit(&e, ts, src, dst, "udp");
        }
    }

    fn http(
        &mut self,
        ts: u64,
        src: SocketAddr,
        dst: SocketAddr,
        flow: &mut HttpFlow,
        dir: Direction,
        ev: StreamEvent<'_>,
    ) -> Interest {
        if dir == Direction::FromResponder {
            return Interest::IgnoreDirection;
        }
        let mut requests = Vec::new();
        let progress = match ev {
            StreamEvent::Data { bytes, .. } => flow.requests.feed(bytes, &mut requests),
            StreamEvent::Gap { .. } => Progress::Stop,
            StreamEvent::Closed(_) => {
                flow.requests.finish(&mut requests);
                Progress::Stop
            }
            StreamEvent::Conflict { .. } => Progress::More,
        };
        for r in &requests {
            self.http_request(ts, src, dst, flow, r);
        }
        match progress {
            Progress::More => Interest::Continue,
            Progress::Stop => Interest::Ignore,
        }
    }

    fn http_request(
        &mut self,
        ts: u64,
        src: SocketAddr,
        dst: SocketAddr,
        flow: &mut HttpFlow,
        r: &HttpRequest,
    ) {
        self.stats.http_requests += 1;
        let path = r.path();
        let e = events::base(EventKind::HttpRequest, src, dst)
            .with("method", r.method.clone())
            .with("path", path)
            .with("host", r.host.clone().unwrap_or_default())
            .with("user_agent", r.user_agent.clone().unwrap_or_default())
            .with("file_class", classify(path).as_str())
            .with("pnp", r.is_pnp())
            .with("pnp_service", r.pnp_service().unwrap_or(""));
        self.emit(&e, ts, src, dst, "tcp");
        let Some(body) = r.body.as_deref() else {
            return;
        };
        let Some(udi) = pnp_udi(body) else {
            return;
        };
        let previous = flow.udis.last().cloned();
        if previous.as_deref() == Some(udi.as_str()) {
            return;
        }
        if !flow.udis.contains(&udi) && flow.udis.len() < MAX_UDIS {
            flow.udis.push(udi.clone());
        }
        if let Some(previous) = previous {
            let e = events::base(EventKind::PnpUdiChange, src, dst)
                .with("previous_udi", previous)
                .with("udi", udi)
                .with("udis", flow.udis.len());
            self.emit(&e, ts, src, dst, "tcp");
        }
    }

    fn ftp(
        &mut self,
        ts: u64,
        src: SocketAddr,
        dst: SocketAddr,
        f: &mut FtpCommands,
        dir: Direction,
        ev: StreamEvent<'_>,
    ) -> Interest {
        if dir == Direction::FromResponder {
            return Interest::IgnoreDirection;
        }
        let StreamEvent::Data { bytes, .. } = ev else {
            return Interest::Continue;
        };
        let mut commands: Vec<FtpCommand> = Vec::new();
        let progress = f.feed(bytes, &mut commands);
        for c in commands {
            self.stats.ftp_commands += 1;
            let e = events::base(EventKind::FtpCommand, src, dst)
                .with("file_class", classify(&c.argument).as_str())
                .with("command", c.command)
                .with("argument", c.argument);
            self.emit(&e, ts, src, dst, "tcp");
        }
        match progress {
            Progress::More => Interest::Continue,
            Progress::Stop => Interest::Ignore,
        }
    }

    fn emit(
        &mut self,
        e: &Event,
        ts: u64,
        src: SocketAddr,
        dst: SocketAddr,
        transport: &'static str,
    ) {
        for rule in self.rules.matching(e) {
            if self.findings.len() >= self.settings.max_findings {
                self.stats.findings_dropped += 1;
                continue;
            }
            self.findings
                .push(Finding::new(rule, e, ts, src, dst, transport));
        }
    }
}

/// The UDI of a PnP agent message body, if it parses.
fn pnp_udi(body: &[u8]) -> Option<String> {
    use crate::proto::pnp::AgentMessage;
    let envelope = match crate::proto::pnp::parse_agent_message(body).ok()? {
        AgentMessage::WorkRequest(w) => w.envelope,
        AgentMessage::Response(r) => r.envelope,
        AgentMessage::Fault(f) => f.envelope,
    };
    Some(envelope.udi_text)
}

#[cfg(test)]
mod tests;
