//! The sending side of a TFTP transfer (RFC 1350 §6, RFC 7440 §4): sends a window of DATA
//! blocks, advances on an ACK of any block it has sent but not yet seen acknowledged, ignores
//! duplicate and old ACKs (RFC 1123 §4.2.3.1), and on timeout resends the window from the first
//! unacknowledged block, a bounded number of times. When the transfer opens with an OACK, the
//! OACK is sent first and ACK 0 is awaited (RFC 2347).
//!
//! Inputs: datagrams from the transfer's peer (attacker-controlled), `now` from the caller.

use std::time::Duration;

use super::{
    Action, BlockSource, Params, TransferError, Violation, error_datagram, kind, timed_out,
    violation, wire,
};
use crate::proto::tftp::{ErrorCode, Packet};

/// A transfer that sends a file.
#[derive(Debug)]
pub struct Sender<S> {
    params: Params,
    source: S,
    /// File size in bytes.
    size: u64,
    /// Number of the final (short, possibly empty) block.
    last: u64,
    /// Highest block acknowledged (0: none).
    acked: u64,
    /// Next block to send in the current window.
    next: u64,
    /// The OACK, while it waits for ACK 0.
    oack: Option<Vec<u8>>,
    retries: u32,
    deadline: Duration,
    finished: bool,
}

impl<S: BlockSource> Sender<S> {
    /// Starts sending `size` bytes from `source`. With `oack` (an encoded OACK), sends it and
    /// waits for ACK 0; without, sends the first window at once. Returns the first actions.
    pub fn start(
        params: Params,
        source: S,
        size: u64,
        oack: Option<Vec<u8>>,
        now: Duration,
    ) -> (Self, Vec<Action>) {
        let block = params.block_bytes.max(1) as u64;
        let mut sender = Self {
            params,
            source,
            size,
            last: size / block + 1,
            acked: 0,
            next: 1,
            oack,
            retries: 0,
            deadline: now,
            finished: false,
        };
        let mut out = Vec::new();
        sender.transmit(now, &mut out);
        (sender, out)
    }

    /// Handles one datagram from the peer.
    pub fn handle_input(&mut self, now: Duration, datagram: &[u8]) -> Vec<Action> {
        let mut out = Vec::new();
        if self.finished {
            return out;
        }
        let Ok(packet) = Packet::decode(datagram) else {
            self.finished = true;
            violation(&mut out, Violation::Undecodable);
            return out;
        };
        match packet {
            Packet::Ack { block } => self.on_ack(now, block, &mut out),
            Packet::Error { code, message } => {
                self.finished = true;
                out.push(Action::Fail {
                    reason: TransferError::Peer { code, message },
                });
            }
            other => {
                self.finished = true;
                let opcode = kind(&other);
                violation(&mut out, Violation::UnexpectedPacket { opcode });
            }
        }
        out
    }

    /// Handles the deadline passing: resends from the first unacknowledged block, or fails
    /// after [`Params::max_retries`] retransmissions.
    pub fn handle_timeout(&mut self, now: Duration) -> Vec<Action> {
        let mut out = Vec::new();
        if self.finished || now < self.deadline {
            return out;
        }
        if self.retries >= self.params.max_retries {
            self.finished = true;
            return timed_out(self.retries);
        }
        self.retries = self.retries.saturating_add(1);
        self.next = self.acked.saturating_add(1);
        self.transmit(now, &mut out);
        out
    }

    /// The pending deadline, if the transfer is still running.
    pub fn poll_timeout(&self) -> Option<Duration> {
        (!self.finished).then_some(self.deadline)
    }

    /// Whether the transfer has ended (done or failed).
    pub fn is_finished(&self) -> bool {
        self.finished
    }

    /// Gives back the block source.
    pub fn into_source(self) -> S {
        self.source
    }

    fn on_ack(&mut self, now: Duration, block: u16, out: &mut Vec<Action>) {
        if self.oack.is_some() {
            if block == 0 {
                self.oack = None;
                self.progress(now, out);
            }
            return;
        }
        // Blocks sent but not yet acknowledged are acked+1 ..= next-1; at most a window
        // (< 65536) of them, so the 16-bit number maps to exactly one of them.
        let outstanding = self.next.saturating_sub(self.acked).saturating_sub(1);
        let ahead = u64::from(block.wrapping_sub(wire(self.acked)));
        if ahead == 0 || ahead > outstanding {
            // A duplicate or an old ACK: ignored, never answered (Sorcerer's Apprentice).
            return;
        }
        self.acked = self.acked.saturating_add(ahead);
        if self.acked >= self.last {
            self.finished = true;
            out.push(Action::Done { bytes: self.size });
            return;
        }
        self.progress(now, out);
    }

    /// Progress was made: a fresh retry budget and the next window from the first
    /// unacknowledged block.
    fn progress(&mut self, now: Duration, out: &mut Vec<Action>) {
        self.retries = 0;
        self.next = self.acked.saturating_add(1);
        self.transmit(now, out);
    }

    /// Sends the OACK, or the window from `next`, and arms the deadline.
    fn transmit(&mut self, now: Duration, out: &mut Vec<Action>) {
        if let Some(oack) = &self.oack {
            out.push(Action::Send(oack.clone()));
        } else {
            let end = self
                .acked
                .saturating_add(u64::from(self.params.window.max(1)))
                .min(self.last);
            while self.next <= end {
                match self.data(self.next) {
                    Ok(bytes) => out.push(Action::Send(bytes)),
                    Err(reason) => {
                        self.finished = true;
                        out.push(Action::Send(error_datagram(
                            ErrorCode::NotDefined,
                            "cannot read the file",
                        )));
                        out.push(Action::Fail { reason });
                        return;
                    }
                }
                self.next = self.next.saturating_add(1);
            }
        }
        self.deadline = now + self.params.timeout;
        out.push(Action::NextTimeout(self.deadline));
    }

    /// The encoded DATA datagram of block `seq`.
    fn data(&mut self, seq: u64) -> Result<Vec<u8>, TransferError> {
        let block = self.params.block_bytes;
        let offset = seq.saturating_sub(1).saturating_mul(block as u64);
        let len = usize::try_from(self.size.saturating_sub(offset))
            .unwrap_or(usize::MAX)
            .min(block);
        let [a, b] = wire(seq).to_be_bytes();
        let mut datagram = Vec::with_capacity(len.saturating_add(4));
        datagram.extend_from_slice(&[0x00, 0x03, a, b]);
        datagram.resize(len.saturating_add(4), 0);
        let body = datagram.get_mut(4..).unwrap_or_default();
        let mut filled = 0;
        while filled < len {
            let buf = body.get_mut(filled..).unwrap_or_default();
            let n = self.source.read_at(offset + filled as u64, buf)?;
            if n == 0 {
                // The file shrank under us: what was announced can no longer be sent.
                return Err(TransferError::Source);
            }
            filled += n;
        }
        Ok(datagram)
    }
}
