//! One direction of one TCP connection, reassembled: segments in, in-order stream events out.
//!
//! Inputs: TCP segments from a capture of hostile traffic — sequence numbers, flags and payloads
//! are all attacker-controlled. Memory is bounded whatever they are:
//! - in-order data is handed to the consumer by reference, never copied or buffered;
//! - out-of-order data is copied into a buffer capped in bytes (each buffered piece is charged
//!   [`SEGMENT_OVERHEAD_BYTES`] on top of its payload) and in pieces; when a segment does not fit,
//!   the oldest hole is declared lost ([`StreamEvent::Gap`]) and delivery resumes after it;
//! - the last [`ReassemblyLimits::history_bytes`] delivered bytes are kept in a ring to check
//!   retransmissions of delivered data.
//!
//! Sequence numbers use serial arithmetic (RFC 1982): a segment is placed relative to the next
//! expected byte, so the stream crosses 2^32 transparently, and positions are reported as 64-bit
//! stream offsets (bytes since the first byte of the stream). A segment starting more than
//! [`MAX_WINDOW_BYTES`] ahead is out of window and dropped.
//!
//! Overlap policy: **first copy wins**. Bytes already delivered or buffered are never replaced;
//! a later copy that differs from the first one is reported as [`StreamEvent::Conflict`] (a
//! classic IDS-evasion signal), when the first copy is still buffered or within the history ring.
//! Beyond the ring nothing is claimed.
//!
//! The stream starts at the byte after the SYN's sequence number when the SYN is seen, else
//! (mid-stream pickup) at the first segment carrying data or a FIN. It ends with a FIN once every
//! byte before the FIN is delivered, or at once with an RST whose sequence number is within
//! [`RESET_WINDOW_BYTES`] of the next expected byte (buffered data is discarded, as the receiving
//! stack would), or when the owner closes it.

mod history;

#[cfg(test)]
mod tests;

/// Owned copies of stream events, for tests of the reassembler and the flow table.
#[cfg(test)]
pub(crate) mod owned {
    use super::{CloseKind, StreamEvent};

    /// An owned copy of a [`StreamEvent`].
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub(crate) enum Ev {
        Data(u64, Vec<u8>),
        Gap(u64, u64),
        Conflict(u64, u64),
        Closed(CloseKind),
    }

    impl Ev {
        pub(crate) fn of(event: StreamEvent<'_>) -> Self {
            match event {
                StreamEvent::Data { offset, bytes } => Self::Data(offset, bytes.to_vec()),
                StreamEvent::Gap { offset, missing } => Self::Gap(offset, missing),
                StreamEvent::Conflict { offset, len } => Self::Conflict(offset, len),
                StreamEvent::Closed(kind) => Self::Closed(kind),
            }
        }
    }
}

use std::collections::BTreeMap;
use std::ops::ControlFlow;

use super::flows::{Segment, TcpFlags};
use history::History;

/// How far ahead of the next expected byte a segment may start: 2^30, the largest window TCP
/// window scaling allows (RFC 7323 §2.3). Farther segments (bogus or random sequence numbers) are
/// dropped and counted in [`StreamStats::out_of_window`].
pub const MAX_WINDOW_BYTES: u32 = 1 << 30;

/// How far ahead of the next expected byte an RST's sequence number may be for the RST to be
/// believed (1 MiB, above any per-direction buffer cap). A blind RST with a random sequence number
/// passes with odds of 1 in 4096; RFC 5961 §3 asks stacks for an exact match, which a passive
/// observer that may have missed segments cannot demand.
pub const RESET_WINDOW_BYTES: u32 = 1 << 20;

/// Bytes charged against the buffer caps for each buffered piece, on top of its payload, so that
/// a flood of one-byte segments cannot hide behind a byte cap.
pub const SEGMENT_OVERHEAD_BYTES: usize = 64;

/// Default size of the ring of delivered bytes kept for conflict checks.
pub const DEFAULT_HISTORY_BYTES: usize = 2048;

/// What a stream reports to its consumer, in stream order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StreamEvent<'a> {
    /// In-order bytes at stream offset `offset`. Borrowed from the segment or from the buffer.
    Data {
        /// Stream offset of the first byte.
        offset: u64,
        /// The bytes.
        bytes: &'a [u8],
    },
    /// `missing` bytes at stream offset `offset` were declared lost; the next data follows them.
    Gap {
        /// Stream offset of the first missing byte.
        offset: u64,
        /// Number of missing bytes.
        missing: u64,
    },
    /// A retransmission carried bytes different from the first copy in the stream range
    /// `offset .. offset + len` (first to last differing byte). The first copy was kept.
    Conflict {
        /// Stream offset of the first differing byte.
        offset: u64,
        /// Bytes from the first to the last differing byte.
        len: u64,
    },
    /// The stream ended; no event follows.
    Closed(CloseKind),
}

/// Why a stream ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CloseKind {
    /// Every byte up to the sender's FIN was delivered (possibly after declared gaps).
    Fin,
    /// An in-window RST aborted the connection.
    Reset,
    /// The flow table needed room for a newer flow.
    Evicted,
    /// The flow was idle longer than the idle timeout (capture time).
    Expired,
    /// The capture ended.
    EndOfCapture,
}

/// The consumer's answer to each event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Interest {
    /// Keep delivering.
    Continue,
    /// Stop delivering this direction; it is tracked for its FIN/RST only.
    IgnoreDirection,
    /// Stop delivering both directions and drop the consumer's state for the flow.
    Ignore,
}

/// Per-direction caps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReassemblyLimits {
    /// Most bytes buffered out of order (payload plus [`SEGMENT_OVERHEAD_BYTES`] per piece).
    pub max_buffered_bytes: usize,
    /// Most out-of-order pieces buffered.
    pub max_buffered_segments: usize,
    /// Size of the ring of delivered bytes used to detect conflicting retransmissions (0: off).
    pub history_bytes: usize,
}

/// Counters of one stream.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StreamStats {
    /// Bytes delivered as [`StreamEvent::Data`].
    pub delivered: u64,
    /// Bytes charged to the buffer now (payload plus per-piece overhead).
    pub buffered: usize,
    /// Bytes received again after a first copy (delivered or buffered).
    pub retransmitted_bytes: u64,
    /// Gaps declared.
    pub gaps: u64,
    /// Bytes declared lost.
    pub gap_bytes: u64,
    /// Conflicting retransmissions reported.
    pub conflicts: u64,
    /// Segments dropped as out of window.
    pub out_of_window: u64,
    /// Bytes dropped because they lie beyond the accepted FIN.
    pub beyond_fin: u64,
    /// FINs ignored because data was already delivered or buffered past them.
    pub rejected_fins: u64,
    /// RSTs ignored because their sequence number was out of window.
    pub rejected_resets: u64,
}

impl core::ops::AddAssign for StreamStats {
    fn add_assign(&mut self, other: Self) {
        self.delivered += other.delivered;
        self.buffered += other.buffered;
        self.retransmitted_bytes += other.retransmitted_bytes;
        self.gaps += other.gaps;
        self.gap_bytes += other.gap_bytes;
        self.conflicts += other.conflicts;
        self.out_of_window += other.out_of_window;
        self.beyond_fin += other.beyond_fin;
        self.rejected_fins += other.rejected_fins;
        self.rejected_resets += other.rejected_resets;
    }
}

/// Where the stream is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Nothing seen that fixes the first sequence number.
    Unstarted,
    /// Reassembling.
    Open,
    /// The consumer lost interest: only FIN and RST are noted.
    Ignored,
    /// Ended; later segments are dropped.
    Closed(CloseKind),
}

/// One direction of one TCP connection.
#[derive(Debug)]
pub struct StreamReassembler {
    limits: ReassemblyLimits,
    phase: Phase,
    /// Sequence number of the byte at stream offset `offset`.
    next: u32,
    /// Stream offset of the next byte to deliver.
    offset: u64,
    syn_seen: bool,
    /// `next` holds a sequence number of this direction.
    seq_known: bool,
    /// A FIN flag was seen (also while ignored).
    fin_flag: bool,
    /// Stream offset of the accepted FIN.
    fin_at: Option<u64>,
    /// Out-of-order pieces by stream offset; never overlapping, all starting after `offset`.
    buffer: BTreeMap<u64, Vec<u8>>,
    history: History,
    stats: StreamStats,
}

impl StreamReassembler {
    /// A stream that has seen nothing yet. Allocates nothing until data is out of order or
    /// delivered.
    pub fn new(limits: ReassemblyLimits) -> Self {
        Self {
            limits,
            phase: Phase::Unstarted,
            next: 0,
            offset: 0,
            syn_seen: false,
            seq_known: false,
            fin_flag: false,
            fin_at: None,
            buffer: BTreeMap::new(),
            history: History::new(limits.history_bytes),
            stats: StreamStats::default(),
        }
    }

    /// Feeds one segment sent in this direction. `budget` is how many more bytes this stream may
    /// add to its buffer (the flow table's global cap); `emit` receives the events in order and
    /// stops delivery by answering anything but [`Interest::Continue`].
    pub fn handle<F>(&mut self, seg: &Segment<'_>, budget: usize, emit: &mut F)
    where
        F: FnMut(StreamEvent<'_>) -> Interest,
    {
        let flags = seg.flags;
        match self.phase {
            Phase::Closed(_) => return,
            Phase::Ignored => {
                self.track_ignored(seg);
                return;
            }
            Phase::Unstarted | Phase::Open => {}
        }
        if flags.contains(TcpFlags::RST) {
            if self.accepts_reset(seg.seq) {
                self.abort(CloseKind::Reset, emit);
            } else {
                self.stats.rejected_resets += 1;
            }
            return;
        }
        let data_seq = self.start(seg);
        if self.phase == Phase::Unstarted {
            return;
        }
        let cap = self
            .limits
            .max_buffered_bytes
            .min(self.stats.buffered.saturating_add(budget));
        let mut flow = self.place(data_seq, seg.payload, cap, emit);
        if flow.is_continue() {
            if flags.contains(TcpFlags::FIN) {
                self.fin_flag = true;
                self.accept_fin(data_seq.wrapping_add(seg.payload.len() as u32));
            }
            flow = self.finish_if_fin(emit);
        }
        if flow.is_break() {
            self.ignore();
        }
    }

    /// Whether an RST with sequence number `seq` from this direction would be believed: always
    /// before any sequence number is known and after the end, else only within
    /// [`RESET_WINDOW_BYTES`] ahead of the next expected byte (of the latest segment's end, on
    /// either side, while ignored). A blind RST with a random sequence number is ignored and
    /// counted in [`StreamStats::rejected_resets`], so that it cannot end the inspection of a
    /// connection that goes on.
    pub fn accepts_reset(&self, seq: u32) -> bool {
        match self.phase {
            Phase::Open => seq.wrapping_sub(self.next) <= RESET_WINDOW_BYTES,
            // `next` is only the end of the latest segment here: allow either side of it.
            Phase::Ignored if self.seq_known => {
                let rel = seq.wrapping_sub(self.next).wrapping_add(RESET_WINDOW_BYTES);
                rel <= 2 * RESET_WINDOW_BYTES
            }
            Phase::Unstarted | Phase::Ignored | Phase::Closed(_) => true,
        }
    }

    /// Ends the stream at once: buffered data is discarded, then `Closed(kind)` is emitted
    /// (unless the stream was already closed or ignored).
    pub fn abort<F>(&mut self, kind: CloseKind, emit: &mut F)
    where
        F: FnMut(StreamEvent<'_>) -> Interest,
    {
        let report = matches!(self.phase, Phase::Unstarted | Phase::Open);
        self.release();
        self.phase = Phase::Closed(kind);
        if report {
            let _ = emit(StreamEvent::Closed(kind));
        }
    }

    /// Ends the stream gracefully: buffered data is delivered (each hole before it declared a
    /// gap), then `Closed(Fin)` if that reaches the FIN, else `Closed(kind)`.
    pub fn close<F>(&mut self, kind: CloseKind, emit: &mut F)
    where
        F: FnMut(StreamEvent<'_>) -> Interest,
    {
        if self.phase != Phase::Open {
            self.abort(kind, emit);
            return;
        }
        let flushed = self.flush(emit);
        if flushed.is_break() {
            self.ignore();
            self.phase = Phase::Closed(kind);
            return;
        }
        let kind = if self.fin_at.is_some() {
            CloseKind::Fin
        } else {
            kind
        };
        self.abort(kind, emit);
    }

    /// Stops delivery and frees the buffers; FIN and RST are still noted.
    pub fn ignore(&mut self) {
        if matches!(self.phase, Phase::Unstarted | Phase::Open) {
            self.phase = Phase::Ignored;
        }
        self.release();
    }

    /// How the stream ended, if it did.
    pub fn closed(&self) -> Option<CloseKind> {
        match self.phase {
            Phase::Closed(kind) => Some(kind),
            _ => None,
        }
    }

    /// Whether nothing more is expected: closed, or ignored and its FIN seen.
    pub fn is_finished(&self) -> bool {
        match self.phase {
            Phase::Closed(_) => true,
            Phase::Ignored => self.fin_flag,
            Phase::Unstarted | Phase::Open => false,
        }
    }

    /// Whether the stream's first sequence number came from a SYN.
    pub fn syn_seen(&self) -> bool {
        self.syn_seen
    }

    /// Stream offset of the next byte to deliver.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Bytes charged to the out-of-order buffer now.
    pub fn buffered(&self) -> usize {
        self.stats.buffered
    }

    /// The stream's counters.
    pub fn stats(&self) -> StreamStats {
        self.stats
    }

    // === segment placement ===

    /// Applies the SYN (or mid-stream pickup) and returns the sequence number of the first
    /// payload byte.
    fn start(&mut self, seg: &Segment<'_>) -> u32 {
        let mut data_seq = seg.seq;
        if seg.flags.contains(TcpFlags::SYN) {
            data_seq = seg.seq.wrapping_add(1);
            // A SYN (re)starts the stream only while nothing has been placed yet.
            let untouched = self.offset == 0 && self.buffer.is_empty() && self.fin_at.is_none();
            if self.phase == Phase::Unstarted || untouched {
                self.phase = Phase::Open;
                self.next = data_seq;
                self.seq_known = true;
                self.syn_seen = true;
            }
        }
        let has_content = !seg.payload.is_empty() || seg.flags.contains(TcpFlags::FIN);
        if self.phase == Phase::Unstarted && has_content {
            self.phase = Phase::Open;
            self.next = data_seq;
            self.seq_known = true;
        }
        data_seq
    }

    /// While ignored: notes FIN and RST, and follows the sequence numbers loosely (the end of the
    /// latest segment, moving forward only) so that a blind RST can still be told apart.
    fn track_ignored(&mut self, seg: &Segment<'_>) {
        let flags = seg.flags;
        if flags.contains(TcpFlags::RST) {
            if self.accepts_reset(seg.seq) {
                self.phase = Phase::Closed(CloseKind::Reset);
            } else {
                self.stats.rejected_resets += 1;
            }
            return;
        }
        self.fin_flag |= flags.contains(TcpFlags::FIN);
        let syn = u32::from(flags.contains(TcpFlags::SYN));
        let end = seg
            .seq
            .wrapping_add(syn)
            .wrapping_add(seg.payload.len() as u32);
        if self.seq_known {
            if end.wrapping_sub(self.next) <= MAX_WINDOW_BYTES {
                self.next = end;
            }
        } else if syn == 1 || !seg.payload.is_empty() || flags.contains(TcpFlags::FIN) {
            self.next = end;
            self.seq_known = true;
        }
    }

    /// Places `payload`, whose first byte has sequence number `seq`, in the stream.
    fn place<F>(&mut self, seq: u32, payload: &[u8], cap: usize, emit: &mut F) -> ControlFlow<()>
    where
        F: FnMut(StreamEvent<'_>) -> Interest,
    {
        if payload.is_empty() {
            return ControlFlow::Continue(());
        }
        let rel = seq.wrapping_sub(self.next);
        // Serial arithmetic: up to MAX_WINDOW ahead is "later", the top half of the space is
        // "earlier"; the band between is out of window.
        let start = if rel <= MAX_WINDOW_BYTES {
            i128::from(self.offset) + i128::from(rel)
        } else if rel >= 1 << 31 {
            i128::from(self.offset) - i128::from(rel.wrapping_neg())
        } else {
            self.stats.out_of_window += 1;
            return ControlFlow::Continue(());
        };
        // Bytes before stream offset 0 (before the SYN) are not part of the stream.
        let skip = usize::try_from((-start).max(0)).unwrap_or(usize::MAX);
        let Some(bytes) = payload.get(skip..) else {
            self.stats.out_of_window += 1;
            return ControlFlow::Continue(());
        };
        let seg_start = u64::try_from(start.max(0)).unwrap_or(u64::MAX);
        let mut end = seg_start + bytes.len() as u64;
        if let Some(fin) = self.fin_at {
            let kept = end.min(fin).max(seg_start);
            self.stats.beyond_fin += end - kept;
            end = kept;
        }
        let mut cursor = seg_start;
        while cursor < end {
            let rest = bytes
                .get((cursor - seg_start) as usize..(end - seg_start) as usize)
                .unwrap_or_default();
            cursor = self.place_from(cursor, rest, cap, emit)?;
        }
        ControlFlow::Continue(())
    }

    /// Places the front of `rest` (which starts at stream offset `at`) and returns the stream
    /// offset up to which it was handled.
    fn place_from<F>(
        &mut self,
        at: u64,
        rest: &[u8],
        cap: usize,
        emit: &mut F,
    ) -> ControlFlow<(), u64>
    where
        F: FnMut(StreamEvent<'_>) -> Interest,
    {
        let end = at + rest.len() as u64;
        if at < self.offset {
            // Already delivered: compare with what the history ring still holds.
            let upto = end.min(self.offset);
            let old = rest.get(..(upto - at) as usize).unwrap_or_default();
            self.stats.retransmitted_bytes += upto - at;
            if let Some((offset, len)) = self.history.conflict(at, old) {
                self.conflict(offset, len, emit)?;
            }
            return ControlFlow::Continue(upto);
        }
        if let Some((&start, first)) = self.buffer.range(..=at).next_back() {
            let first_end = start + first.len() as u64;
            if first_end > at {
                // Covered by a buffered first copy.
                let upto = end.min(first_end);
                let n = (upto - at) as usize;
                let theirs = rest.get(..n).unwrap_or_default();
                let ours = first.get((at - start) as usize..).unwrap_or_default();
                let ours = ours.get(..n).unwrap_or_default();
                self.stats.retransmitted_bytes += upto - at;
                if let Some((s, e)) = history::span(theirs, ours) {
                    self.conflict(at + s as u64, (e - s) as u64, emit)?;
                }
                return ControlFlow::Continue(upto);
            }
        }
        let upto = match self.buffer.range(at..).next() {
            Some((&next_start, _)) => end.min(next_start),
            None => end,
        };
        let piece = rest.get(..(upto - at) as usize).unwrap_or_default();
        self.place_piece(at, piece, cap, emit)?;
        ControlFlow::Continue(upto)
    }

    /// Delivers or buffers `piece`, which overlaps nothing delivered or buffered.
    fn place_piece<F>(&mut self, at: u64, piece: &[u8], cap: usize, emit: &mut F) -> ControlFlow<()>
    where
        F: FnMut(StreamEvent<'_>) -> Interest,
    {
        loop {
            if at == self.offset {
                self.deliver(piece, emit)?;
                return self.drain(emit);
            }
            let cost = piece.len().saturating_add(SEGMENT_OVERHEAD_BYTES);
            let fits = self.stats.buffered.saturating_add(cost) <= cap
                && self.buffer.len() < self.limits.max_buffered_segments;
            if fits {
                self.buffer.insert(at, piece.to_vec());
                self.stats.buffered += cost;
                return ControlFlow::Continue(());
            }
            // Full: the oldest hole is declared lost and delivery resumes after it.
            let hole_end = self
                .buffer
                .first_key_value()
                .map_or(at, |(&start, _)| start.min(at));
            if hole_end <= self.offset {
                // Unreachable while every piece starts after `offset`; never spin if it breaks.
                return ControlFlow::Continue(());
            }
            self.gap(hole_end, emit)?;
            self.drain(emit)?;
        }
    }

    /// Delivers every buffered piece that is now in order.
    fn drain<F>(&mut self, emit: &mut F) -> ControlFlow<()>
    where
        F: FnMut(StreamEvent<'_>) -> Interest,
    {
        while let Some(entry) = self.buffer.first_entry() {
            if *entry.key() != self.offset {
                break;
            }
            let piece = entry.remove();
            self.stats.buffered -= piece.len() + SEGMENT_OVERHEAD_BYTES;
            self.deliver(&piece, emit)?;
        }
        ControlFlow::Continue(())
    }

    /// Delivers everything buffered, declaring each hole a gap, and the hole before the FIN.
    fn flush<F>(&mut self, emit: &mut F) -> ControlFlow<()>
    where
        F: FnMut(StreamEvent<'_>) -> Interest,
    {
        while let Some((&start, _)) = self.buffer.first_key_value() {
            if start < self.offset {
                // Unreachable while every piece starts after `offset`; never spin if it breaks.
                self.release();
                break;
            }
            self.gap(start, emit)?;
            self.drain(emit)?;
        }
        if let Some(fin) = self.fin_at {
            self.gap(fin, emit)?;
        }
        ControlFlow::Continue(())
    }

    fn deliver<F>(&mut self, bytes: &[u8], emit: &mut F) -> ControlFlow<()>
    where
        F: FnMut(StreamEvent<'_>) -> Interest,
    {
        let offset = self.offset;
        let len = bytes.len() as u64;
        self.offset += len;
        self.next = self.next.wrapping_add(bytes.len() as u32);
        self.stats.delivered += len;
        self.history.push(bytes);
        send(emit, StreamEvent::Data { offset, bytes })
    }

    /// Declares the bytes up to stream offset `to` lost (nothing when `to` is not ahead).
    fn gap<F>(&mut self, to: u64, emit: &mut F) -> ControlFlow<()>
    where
        F: FnMut(StreamEvent<'_>) -> Interest,
    {
        if to <= self.offset {
            return ControlFlow::Continue(());
        }
        let offset = self.offset;
        let missing = to - offset;
        self.offset = to;
        self.next = self.next.wrapping_add(missing as u32);
        self.stats.gaps += 1;
        self.stats.gap_bytes += missing;
        self.history.restart_at(to);
        send(emit, StreamEvent::Gap { offset, missing })
    }

    fn conflict<F>(&mut self, offset: u64, len: u64, emit: &mut F) -> ControlFlow<()>
    where
        F: FnMut(StreamEvent<'_>) -> Interest,
    {
        self.stats.conflicts += 1;
        send(emit, StreamEvent::Conflict { offset, len })
    }

    // === FIN ===

    /// Records a FIN whose sequence number is `end_seq`, unless data lies past it.
    fn accept_fin(&mut self, end_seq: u32) {
        let rel = end_seq.wrapping_sub(self.next);
        if rel > MAX_WINDOW_BYTES {
            self.stats.rejected_fins += 1;
            return;
        }
        let fin = self.offset + u64::from(rel);
        let buffered_end = self
            .buffer
            .last_key_value()
            .map_or(0, |(&start, piece)| start + piece.len() as u64);
        match self.fin_at {
            Some(known) if known == fin => {}
            Some(_) => self.stats.rejected_fins += 1,
            None if buffered_end > fin => self.stats.rejected_fins += 1,
            None => self.fin_at = Some(fin),
        }
    }

    /// Emits `Closed(Fin)` once every byte before the FIN is delivered.
    fn finish_if_fin<F>(&mut self, emit: &mut F) -> ControlFlow<()>
    where
        F: FnMut(StreamEvent<'_>) -> Interest,
    {
        if self.fin_at == Some(self.offset) {
            self.abort(CloseKind::Fin, emit);
        }
        ControlFlow::Continue(())
    }

    /// Frees the buffers; cheap when they are already empty (called for every segment of an
    /// ignored flow).
    fn release(&mut self) {
        if !self.buffer.is_empty() {
            self.buffer = BTreeMap::new();
        }
        self.stats.buffered = 0;
        self.history.release();
    }
}

/// Sends one event; anything but `Continue` stops delivery.
fn send<F>(emit: &mut F, event: StreamEvent<'_>) -> ControlFlow<()>
where
    F: FnMut(StreamEvent<'_>) -> Interest,
{
    match emit(event) {
        Interest::Continue => ControlFlow::Continue(()),
        Interest::IgnoreDirection | Interest::Ignore => ControlFlow::Break(()),
    }
}
