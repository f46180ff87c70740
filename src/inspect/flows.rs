//! The flow table: every TCP connection of a capture, keyed by its unordered endpoint pair, each
//! with a [`StreamReassembler`] per direction and the consumer's state (its protocol decoders).
//!
//! Inputs: decoded TCP segments with their endpoints and capture timestamps (nanoseconds, from the
//! capture, never the clock). All attacker-controlled; memory stays bounded whatever arrives:
//! - at most [`FlowLimits::max_flows`] flows; a new flow evicts the least recently active one
//!   (O(1): the flows sit on a list in order of last activity). An evicted flow is flushed and
//!   closed with [`CloseKind::Evicted`];
//! - out-of-order bytes are capped per direction and in total ([`FlowLimits`]);
//! - flows idle longer than [`FlowLimits::idle_timeout_ns`] (capture time) are closed with
//!   [`CloseKind::Expired`], checked at the front of the activity list on every segment.
//!
//! Roles: the initiator is the sender of the SYN without ACK (or the receiver of the SYN-ACK);
//! with no handshake seen it is the first sender, and [`FlowInfo::syn_seen`] is false so that
//! consumers can fall back to port heuristics.
//!
//! Which segments create a flow: a SYN, or a segment carrying data. A bare ACK, FIN or RST on an
//! unknown key creates nothing (counted in [`FlowStats::unmatched_segments`]), so scans and
//! backscatter cost no memory.
//!
//! Interest: `new_state` returning `None` tracks the flow without delivering anything (a port the
//! consumer does not decode). The sink answering [`Interest::IgnoreDirection`] stops that
//! direction; [`Interest::Ignore`] stops both and drops the consumer state at once. Ignored
//! directions are neither reassembled nor buffered; they only follow FIN, RST and, loosely, the
//! sequence numbers, so that the flow still ends and its later segments are not a new flow.
//!
//! After the close: a believed RST (within
//! [`RESET_WINDOW_BYTES`](super::reassembly::RESET_WINDOW_BYTES) of the sender's sequence
//! numbers), or both directions finished (FIN delivered), ends a flow: its consumer state is
//! dropped and its buffers freed, but the key stays as a closed entry until it is evicted or idle.
//! Trailing ACKs, FIN retransmissions and late data on a closed entry are counted
//! ([`FlowStats::late_segments`]) and dropped instead of starting a phantom mid-stream flow; a
//! SYN without ACK on a closed key starts a new flow. A SYN on a key that is still open is taken
//! as a retransmission, so a port reused without a close in the capture is followed again only
//! after the idle timeout.

mod lru;

#[cfg(test)]
mod tests;

use core::hash::{Hash, Hasher};
use core::net::{IpAddr, SocketAddr};
use std::collections::HashMap;

use foldhash::quality::RandomState;

use super::reassembly::{
    CloseKind, DEFAULT_HISTORY_BYTES, Interest, ReassemblyLimits, StreamEvent, StreamReassembler,
    StreamStats,
};
use lru::Lru;

pub use crate::proto::packet::TcpFlags;

/// One decoded TCP segment; the payload is borrowed from the capture buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segment<'a> {
    /// Sequence number.
    pub seq: u32,
    /// Acknowledgment number (kept for consumers; reassembly does not use it).
    pub ack: u32,
    /// Header flags.
    pub flags: TcpFlags,
    /// TCP payload.
    pub payload: &'a [u8],
}

/// Which way bytes travel in a flow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    /// From the initiator to the responder.
    FromInitiator,
    /// From the responder back to the initiator.
    FromResponder,
}

impl Direction {
    /// The other direction.
    pub fn reverse(self) -> Self {
        match self {
            Self::FromInitiator => Self::FromResponder,
            Self::FromResponder => Self::FromInitiator,
        }
    }
}

/// What is known about a flow, passed with every event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FlowInfo {
    /// Sequential flow number in order of creation, from 0.
    pub id: u64,
    /// The side that opened the connection (or sent first, without a handshake).
    pub initiator: SocketAddr,
    /// The other side.
    pub responder: SocketAddr,
    /// Whether the roles come from a SYN or SYN-ACK (else from the first sender).
    pub syn_seen: bool,
    /// Whether the responder accepted the connection: it sent a SYN-ACK or data (also true for
    /// a connection picked up mid-stream). A SYN answered by nothing, or by a reset, is not.
    pub accepted: bool,
    /// Capture time of the first segment.
    pub first_ns: u64,
    /// Capture time of the latest segment.
    pub last_ns: u64,
}

/// Caps of a [`FlowTable`]. Memory is bounded by about `max_flows × (2 × history_per_direction
/// + 700 bytes + the consumer state) + max_buffered_total`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FlowLimits {
    /// Most flows tracked, closed entries included (at least 1).
    pub max_flows: usize,
    /// Most out-of-order bytes buffered per direction (each piece also charged
    /// [`super::reassembly::SEGMENT_OVERHEAD_BYTES`]).
    pub max_buffered_per_direction: usize,
    /// Most out-of-order pieces buffered per direction.
    pub max_segments_per_direction: usize,
    /// Most out-of-order bytes buffered over all flows (same accounting).
    pub max_buffered_total: usize,
    /// Capture time after which a flow without segments is ended.
    pub idle_timeout_ns: u64,
    /// Delivered bytes remembered per direction to detect conflicting retransmissions.
    pub history_per_direction: usize,
}

impl Default for FlowLimits {
    fn default() -> Self {
        Self {
            max_flows: 16_384,
            max_buffered_per_direction: 256 * 1024,
            max_segments_per_direction: 256,
            max_buffered_total: 64 * 1024 * 1024,
            idle_timeout_ns: 120_000_000_000,
            history_per_direction: DEFAULT_HISTORY_BYTES,
        }
    }
}

/// A [`FlowLimits`] value the table cannot work with.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LimitError {
    /// `max_flows` is 0: no flow could ever be tracked.
    #[error("max_flows must be at least 1")]
    NoFlows,
}

/// Counters of a [`FlowTable`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FlowStats {
    /// Flows created.
    pub flows_seen: u64,
    /// Flows open now.
    pub open: usize,
    /// Entries tracked now (open and closed), at most `max_flows`.
    pub tracked: usize,
    /// Flows ended by FINs.
    pub closed_fin: u64,
    /// Flows ended by an RST.
    pub closed_reset: u64,
    /// Open flows evicted for room.
    pub evicted: u64,
    /// Open flows ended by the idle timeout.
    pub expired: u64,
    /// Segments that arrived on a closed entry and were dropped.
    pub late_segments: u64,
    /// Segments on an unknown key that could not start a flow (no SYN, no data).
    pub unmatched_segments: u64,
    /// Out-of-order bytes charged now, over all flows.
    pub buffered_bytes: usize,
    /// Highest `buffered_bytes` seen.
    pub peak_buffered_bytes: usize,
    /// The stream counters summed over every direction of every flow seen.
    pub streams: StreamStats,
}

/// All TCP connections of a capture, with the consumer's state `S` per flow.
#[derive(Debug)]
pub struct FlowTable<S> {
    limits: FlowLimits,
    /// Keyed by a per-table random seed: keys are attacker-chosen, so collisions must not be
    /// predictable (HashDoS).
    index: HashMap<FlowKey, usize, RandomState>,
    flows: Lru<Flow<S>>,
    next_id: u64,
    stats: FlowStats,
    /// Stream counters of flows no longer tracked.
    gone_streams: StreamStats,
}

impl<S> FlowTable<S> {
    /// An empty table.
    pub fn new(limits: FlowLimits) -> Result<Self, LimitError> {
        if limits.max_flows == 0 {
            return Err(LimitError::NoFlows);
        }
        Ok(Self {
            limits,
            index: HashMap::with_hasher(RandomState::default()),
            flows: Lru::new(),
            next_id: 0,
            stats: FlowStats::default(),
            gone_streams: StreamStats::default(),
        })
    }

    /// Feeds one segment captured at `now_ns` from `src` to `dst`. A new flow gets its state
    /// from `new_state` (`None`: track it but deliver nothing); `sink` receives every event the
    /// segment produces, for this flow and for flows it expires or evicts.
    pub fn segment<N, K>(
        &mut self,
        now_ns: u64,
        src: SocketAddr,
        dst: SocketAddr,
        seg: &Segment<'_>,
        new_state: N,
        sink: &mut K,
    ) where
        N: FnOnce(&FlowInfo) -> Option<S>,
        K: FnMut(&FlowInfo, &mut S, Direction, StreamEvent<'_>) -> Interest,
    {
        self.expire(now_ns, sink);
        let key = FlowKey::new(src, dst);
        let index = match self.index.get(&key).copied() {
            Some(index) if self.flows.get(index).is_some_and(|f| f.open) => index,
            Some(index) if !seg.flags.opens() => {
                self.stats.late_segments += 1;
                self.flows.touch(index);
                if let Some(flow) = self.flows.get_mut(index) {
                    flow.info.last_ns = flow.info.last_ns.max(now_ns);
                }
                return;
            }
            Some(index) => {
                // A closed entry: dropped silently, then a new flow on the same key.
                self.end_flow(index, CloseKind::Evicted, sink);
                self.make_room(sink);
                self.create(key, now_ns, src, dst, seg.flags, new_state)
            }
            None if seg.flags.contains(TcpFlags::SYN) || !seg.payload.is_empty() => {
                self.make_room(sink);
                self.create(key, now_ns, src, dst, seg.flags, new_state)
            }
            None => {
                self.stats.unmatched_segments += 1;
                return;
            }
        };
        self.flows.touch(index);
        self.feed(index, now_ns, src, seg, sink);
    }

    /// Ends every flow idle for longer than the idle timeout at capture time `now_ns`: buffered
    /// data is flushed, then each direction gets `Closed(Expired)`. The front of the activity list
    /// is checked, so with capture timestamps out of order an idle flow may end a little later.
    pub fn expire<K>(&mut self, now_ns: u64, sink: &mut K)
    where
        K: FnMut(&FlowInfo, &mut S, Direction, StreamEvent<'_>) -> Interest,
    {
        while let Some(front) = self.flows.front() {
            let idle = self.flows.get(front).is_some_and(|flow| {
                now_ns.saturating_sub(flow.info.last_ns) > self.limits.idle_timeout_ns
            });
            if !idle {
                break;
            }
            self.end_flow(front, CloseKind::Expired, sink);
        }
    }

    /// End of capture: flushes and closes every flow (least recently active first) with
    /// `Closed(EndOfCapture)` (or `Closed(Fin)` where the flush reaches a FIN), and empties the
    /// table.
    pub fn finish<K>(&mut self, sink: &mut K)
    where
        K: FnMut(&FlowInfo, &mut S, Direction, StreamEvent<'_>) -> Interest,
    {
        while let Some(front) = self.flows.front() {
            self.end_flow(front, CloseKind::EndOfCapture, sink);
        }
    }

    /// Entries tracked (open and closed).
    pub fn len(&self) -> usize {
        self.flows.len()
    }

    /// Whether no entry is tracked.
    pub fn is_empty(&self) -> bool {
        self.flows.len() == 0
    }

    /// The counters. Sums the stream counters of the live flows: O(flows), not for every packet.
    pub fn stats(&self) -> FlowStats {
        let mut streams = self.gone_streams;
        for flow in self.flows.values() {
            streams += flow.from_initiator.stats();
            streams += flow.from_responder.stats();
        }
        FlowStats {
            tracked: self.flows.len(),
            streams,
            ..self.stats
        }
    }

    // === flow life ===

    /// Evicts the least recently active entries until a new flow fits.
    fn make_room<K>(&mut self, sink: &mut K)
    where
        K: FnMut(&FlowInfo, &mut S, Direction, StreamEvent<'_>) -> Interest,
    {
        while self.flows.len() >= self.limits.max_flows {
            let Some(front) = self.flows.front() else {
                break;
            };
            self.end_flow(front, CloseKind::Evicted, sink);
        }
    }

    /// Creates a flow (there must be room) and returns its slot.
    fn create<N>(
        &mut self,
        key: FlowKey,
        now_ns: u64,
        src: SocketAddr,
        dst: SocketAddr,
        flags: TcpFlags,
        new_state: N,
    ) -> usize
    where
        N: FnOnce(&FlowInfo) -> Option<S>,
    {
        let (initiator, responder) = if flags.contains(TcpFlags::SYN | TcpFlags::ACK) {
            (dst, src)
        } else {
            (src, dst)
        };
        let info = FlowInfo {
            id: self.next_id,
            initiator,
            responder,
            syn_seen: flags.contains(TcpFlags::SYN),
            accepted: !flags.contains(TcpFlags::SYN)
                || flags.contains(TcpFlags::SYN | TcpFlags::ACK),
            first_ns: now_ns,
            last_ns: now_ns,
        };
        self.next_id += 1;
        let state = new_state(&info);
        let limits = ReassemblyLimits {
            max_buffered_bytes: self.limits.max_buffered_per_direction,
            max_buffered_segments: self.limits.max_segments_per_direction,
            history_bytes: self.limits.history_per_direction,
        };
        let mut flow = Flow {
            key,
            info,
            open: true,
            state,
            from_initiator: StreamReassembler::new(limits),
            from_responder: StreamReassembler::new(limits),
        };
        if flow.state.is_none() {
            flow.from_initiator.ignore();
            flow.from_responder.ignore();
        }
        let index = self.flows.insert(flow);
        self.index.insert(key, index);
        self.stats.flows_seen += 1;
        self.stats.open += 1;
        index
    }

    /// Hands the segment to its direction's reassembler and ends the flow when it is over.
    fn feed<K>(
        &mut self,
        index: usize,
        now_ns: u64,
        src: SocketAddr,
        seg: &Segment<'_>,
        sink: &mut K,
    ) where
        K: FnMut(&FlowInfo, &mut S, Direction, StreamEvent<'_>) -> Interest,
    {
        let budget = self
            .limits
            .max_buffered_total
            .saturating_sub(self.stats.buffered_bytes);
        let Some(flow) = self.flows.get_mut(index) else {
            return;
        };
        flow.info.last_ns = flow.info.last_ns.max(now_ns);
        let before = flow.buffered();
        let dir = if src == flow.info.initiator {
            Direction::FromInitiator
        } else {
            Direction::FromResponder
        };
        if dir == Direction::FromResponder
            && (seg.flags.contains(TcpFlags::SYN | TcpFlags::ACK) || !seg.payload.is_empty())
        {
            flow.info.accepted = true;
        }
        let Flow {
            info,
            state,
            from_initiator,
            from_responder,
            ..
        } = flow;
        let (stream, other) = match dir {
            Direction::FromInitiator => (from_initiator, from_responder),
            Direction::FromResponder => (from_responder, from_initiator),
        };
        stream.handle(seg, budget, &mut emitter(info, state, dir, sink));
        if state.is_none() {
            stream.ignore();
            other.ignore();
        }
        let reset = stream.closed() == Some(CloseKind::Reset);
        if reset {
            other.abort(
                CloseKind::Reset,
                &mut emitter(info, state, dir.reverse(), sink),
            );
        }
        if reset || (stream.is_finished() && other.is_finished()) {
            flow.retire();
            self.stats.open -= 1;
            if reset {
                self.stats.closed_reset += 1;
            } else {
                self.stats.closed_fin += 1;
            }
        }
        let after = flow.buffered();
        self.stats.buffered_bytes = self.stats.buffered_bytes - before + after;
        self.stats.peak_buffered_bytes = self
            .stats
            .peak_buffered_bytes
            .max(self.stats.buffered_bytes);
    }

    /// Removes the entry at `index`; an open flow is flushed and closed with `kind` first.
    fn end_flow<K>(&mut self, index: usize, kind: CloseKind, sink: &mut K)
    where
        K: FnMut(&FlowInfo, &mut S, Direction, StreamEvent<'_>) -> Interest,
    {
        let Some(mut flow) = self.flows.remove(index) else {
            return;
        };
        self.index.remove(&flow.key);
        let before = flow.buffered();
        if flow.open {
            let Flow {
                info,
                state,
                from_initiator,
                from_responder,
                ..
            } = &mut flow;
            let dir = Direction::FromInitiator;
            from_initiator.close(kind, &mut emitter(info, state, dir, sink));
            from_responder.close(kind, &mut emitter(info, state, dir.reverse(), sink));
            self.stats.open -= 1;
            match kind {
                CloseKind::Evicted => self.stats.evicted += 1,
                CloseKind::Expired => self.stats.expired += 1,
                CloseKind::Fin | CloseKind::Reset | CloseKind::EndOfCapture => {}
            }
        }
        self.stats.buffered_bytes -= before;
        self.gone_streams += flow.from_initiator.stats();
        self.gone_streams += flow.from_responder.stats();
    }
}

/// The unordered endpoint pair of a flow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct FlowKey(SocketAddr, SocketAddr);

impl Hash for FlowKey {
    /// Two integer writes per endpoint (address bits; family and port) instead of the derived
    /// field-by-field hashing of `SocketAddr`. Equal keys have equal addresses and ports, so they
    /// hash alike.
    fn hash<H: Hasher>(&self, state: &mut H) {
        for end in [self.0, self.1] {
            let (bits, family) = match end.ip() {
                IpAddr::V4(a) => (u128::from(a.to_bits()), 4u64),
                IpAddr::V6(a) => (a.to_bits(), 6u64),
            };
            state.write_u128(bits);
            state.write_u64(family << 16 | u64::from(end.port()));
        }
    }
}

impl FlowKey {
    fn new(a: SocketAddr, b: SocketAddr) -> Self {
        if a <= b { Self(a, b) } else { Self(b, a) }
    }
}

#[derive(Debug)]
struct Flow<S> {
    key: FlowKey,
    info: FlowInfo,
    /// False once ended by FIN/RST: the entry only absorbs late segments.
    open: bool,
    /// The consumer's state; `None` once it lost interest (or never had any).
    state: Option<S>,
    from_initiator: StreamReassembler,
    from_responder: StreamReassembler,
}

impl<S> Flow<S> {
    fn buffered(&self) -> usize {
        self.from_initiator.buffered() + self.from_responder.buffered()
    }

    /// Ends the flow: the consumer state is dropped and the buffers freed.
    fn retire(&mut self) {
        self.open = false;
        self.state = None;
        self.from_initiator.ignore();
        self.from_responder.ignore();
    }
}

/// The event callback of one direction: forwards to `sink` while the consumer keeps its state,
/// and drops the state when it answers [`Interest::Ignore`].
fn emitter<'f, S, K>(
    info: &'f FlowInfo,
    state: &'f mut Option<S>,
    dir: Direction,
    sink: &'f mut K,
) -> impl FnMut(StreamEvent<'_>) -> Interest + 'f
where
    K: FnMut(&FlowInfo, &mut S, Direction, StreamEvent<'_>) -> Interest,
{
    move |event| {
        let Some(s) = state.as_mut() else {
            return Interest::Ignore;
        };
        let interest = sink(info, s, dir, event);
        if interest == Interest::Ignore {
            *state = None;
        }
        interest
    }
}
