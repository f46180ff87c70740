//! The last bytes delivered on one stream, kept in a fixed-size ring so that a retransmission of
//! already-delivered data can be checked byte for byte.
//!
//! Inputs: delivered stream bytes (attacker-controlled). The ring holds at most `cap` bytes,
//! allocated once on first use; older bytes are forgotten, and nothing is claimed about them.

/// A ring of the most recent delivered bytes, ending at stream offset `end`.
#[derive(Debug)]
pub(super) struct History {
    buf: Vec<u8>,
    cap: usize,
    /// Physical index of the oldest byte once the ring is full (0 until then).
    head: usize,
    /// Stream offset just after the newest byte.
    end: u64,
}

impl History {
    pub(super) fn new(cap: usize) -> Self {
        Self {
            buf: Vec::new(),
            cap,
            head: 0,
            end: 0,
        }
    }

    /// Appends delivered bytes (which start at the current `end`).
    pub(super) fn push(&mut self, data: &[u8]) {
        self.end += data.len() as u64;
        if self.cap == 0 {
            return;
        }
        let data = data
            .get(data.len().saturating_sub(self.cap)..)
            .unwrap_or_default();
        if self.buf.len() < self.cap {
            if self.buf.capacity() < self.cap {
                // One allocation per stream: the ring never grows past `cap`.
                self.buf.reserve_exact(self.cap - self.buf.len());
            }
            let room = self.cap - self.buf.len();
            let (now, rest) = data.split_at(room.min(data.len()));
            self.buf.extend_from_slice(now);
            self.write_ring(rest);
        } else {
            self.write_ring(data);
        }
    }

    /// Forgets every byte; the next byte pushed sits at stream offset `end` (after a gap).
    pub(super) fn restart_at(&mut self, end: u64) {
        self.buf.clear();
        self.head = 0;
        self.end = end;
    }

    /// Frees the ring's memory (the stream is closed or ignored).
    pub(super) fn release(&mut self) {
        if self.buf.capacity() > 0 {
            self.buf = Vec::new();
        }
        self.head = 0;
    }

    /// Compares `data`, which starts at stream offset `offset`, with the remembered bytes it
    /// overlaps. Returns the stream range `(offset, len)` from the first to the last differing
    /// byte, or `None` when every compared byte matches (or nothing could be compared).
    pub(super) fn conflict(&self, offset: u64, data: &[u8]) -> Option<(u64, u64)> {
        let window_start = self.end - self.buf.len() as u64;
        let from = offset.max(window_start);
        let to = (offset + data.len() as u64).min(self.end);
        if from >= to {
            return None;
        }
        let n = (to - from) as usize;
        let theirs = data.get((from - offset) as usize..)?.get(..n)?;
        let (a, b) = self.slices((from - window_start) as usize, n);
        let (theirs_a, theirs_b) = theirs.split_at(a.len().min(theirs.len()));
        let first = span(theirs_a, a);
        let second = span(theirs_b, b).map(|(s, e)| (s + a.len(), e + a.len()));
        let (start, end) = match (first, second) {
            (Some((s, _)), Some((_, e))) => (s, e),
            (Some(span), None) | (None, Some(span)) => span,
            (None, None) => return None,
        };
        Some((from + start as u64, (end - start) as u64))
    }

    /// The `n` remembered bytes starting at logical index `from` (0 = oldest), as two slices.
    fn slices(&self, from: usize, n: usize) -> (&[u8], &[u8]) {
        let len = self.buf.len();
        if len == 0 {
            return (&[], &[]);
        }
        let start = (self.head + from) % len;
        let first = n.min(len - start);
        let a = self.buf.get(start..start + first).unwrap_or_default();
        let b = self.buf.get(..n - first).unwrap_or_default();
        (a, b)
    }

    /// Writes `data` (at most `cap` bytes) over the oldest bytes of a full ring.
    fn write_ring(&mut self, data: &[u8]) {
        if data.is_empty() {
            return;
        }
        let first = (self.cap - self.head).min(data.len());
        let (a, b) = data.split_at(first);
        if let Some(dst) = self.buf.get_mut(self.head..self.head + first) {
            dst.copy_from_slice(a);
        }
        if let Some(dst) = self.buf.get_mut(..b.len()) {
            dst.copy_from_slice(b);
        }
        self.head = (self.head + data.len()) % self.cap;
    }
}

/// The index range from the first to the last differing byte of two equal-length slices.
pub(super) fn span(x: &[u8], y: &[u8]) -> Option<(usize, usize)> {
    let first = x.iter().zip(y).position(|(a, b)| a != b)?;
    let last = x.iter().zip(y).rposition(|(a, b)| a != b)?;
    Some((first, last + 1))
}
