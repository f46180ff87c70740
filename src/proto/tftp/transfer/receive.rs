//! The receiving side of a TFTP transfer (RFC 1350 §6, RFC 7440 §4): stores blocks strictly in
//! order, ACKs every full window and the final (short) block, ACKs the last in-order block once
//! when a gap shows up, re-ACKs (never re-stores) a retransmission of the block it acknowledged
//! last, and on timeout re-sends that ACK (or the opening OACK/ACK 0), a bounded number of times.
//! After the final block it keeps answering a retransmitted final block with its ACK (the dally
//! of RFC 1350 §6), without storing anything.
//!
//! Inputs: datagrams from the transfer's peer (attacker-controlled), `now` from the caller. Stored
//! bytes are capped; a block larger than the negotiated size is a violation.

use std::time::Duration;

use super::{
    Action, BlockSink, Params, TransferError, Violation, ack_datagram, error_datagram, kind,
    timed_out, violation, wire,
};
use crate::proto::tftp::{ErrorCode, Packet};

/// A transfer that receives a file.
#[derive(Debug)]
pub struct Receiver<K> {
    params: Params,
    sink: K,
    max_bytes: u64,
    /// Highest block stored, all before it stored too (0: none).
    received: u64,
    /// File bytes stored.
    bytes: u64,
    /// Blocks stored since the last ACK sent.
    since_ack: u16,
    /// What re-opens the transfer until the first block arrives (OACK or ACK 0).
    opening: Option<Vec<u8>>,
    /// A gap was already reported since the last progress.
    gap_reported: bool,
    retries: u32,
    deadline: Duration,
    state: State,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Running,
    /// Done; the wire number of the final block, re-ACKed if retransmitted.
    Done(u16),
    Failed,
}

impl<K: BlockSink> Receiver<K> {
    /// Starts receiving into `sink`, storing at most `max_bytes`. `opening` (an encoded OACK or
    /// ACK 0) is sent now and re-sent on timeout until the first block arrives; without it (a
    /// client whose request was answered directly with DATA 1) nothing is sent.
    pub fn start(
        params: Params,
        sink: K,
        max_bytes: u64,
        opening: Option<Vec<u8>>,
        now: Duration,
    ) -> (Self, Vec<Action>) {
        let deadline = now + params.timeout;
        let mut out = Vec::new();
        if let Some(first) = &opening {
            out.push(Action::Send(first.clone()));
        }
        out.push(Action::NextTimeout(deadline));
        let receiver = Self {
            params,
            sink,
            max_bytes,
            received: 0,
            bytes: 0,
            since_ack: 0,
            opening,
            gap_reported: false,
            retries: 0,
            deadline,
            state: State::Running,
        };
        (receiver, out)
    }

    /// Handles one datagram from the peer.
    pub fn handle_input(&mut self, now: Duration, datagram: &[u8]) -> Vec<Action> {
        let mut out = Vec::new();
        let packet = Packet::decode(datagram);
        match (self.state, packet) {
            (State::Done(last), Ok(Packet::Data { block, .. })) if block == last => {
                out.push(Action::Send(ack_datagram(last)));
            }
            (State::Running, Ok(Packet::Data { block, data })) => {
                self.on_data(now, block, &data, &mut out);
            }
            (State::Running, Ok(Packet::Error { code, message })) => {
                self.state = State::Failed;
                out.push(Action::Fail {
                    reason: TransferError::Peer { code, message },
                });
            }
            (State::Running, Ok(other)) => {
                self.state = State::Failed;
                let opcode = kind(&other);
                violation(&mut out, Violation::UnexpectedPacket { opcode });
            }
            (State::Running, Err(_)) => {
                self.state = State::Failed;
                violation(&mut out, Violation::Undecodable);
            }
            (State::Done(_) | State::Failed, _) => {}
        }
        out
    }

    /// Handles the deadline passing: re-sends the last ACK (or the opening packet), or fails
    /// after [`Params::max_retries`] retransmissions.
    pub fn handle_timeout(&mut self, now: Duration) -> Vec<Action> {
        let mut out = Vec::new();
        if self.state != State::Running || now < self.deadline {
            return out;
        }
        if self.retries >= self.params.max_retries {
            self.state = State::Failed;
            return timed_out(self.retries);
        }
        self.retries = self.retries.saturating_add(1);
        match (&self.opening, self.received) {
            (Some(first), 0) => out.push(Action::Send(first.clone())),
            _ => self.ack(&mut out),
        }
        self.arm(now, &mut out);
        out
    }

    /// The pending deadline, if the transfer is still running.
    pub fn poll_timeout(&self) -> Option<Duration> {
        (self.state == State::Running).then_some(self.deadline)
    }

    /// Whether the transfer has ended (done or failed).
    pub fn is_finished(&self) -> bool {
        self.state != State::Running
    }

    /// File bytes stored so far.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// The final ACK once the transfer is done, for a driver that dallies without the machine.
    pub fn final_ack(&self) -> Option<Vec<u8>> {
        match self.state {
            State::Done(last) => Some(ack_datagram(last)),
            State::Running | State::Failed => None,
        }
    }

    /// Gives back the sink.
    pub fn into_sink(self) -> K {
        self.sink
    }

    fn on_data(&mut self, now: Duration, block: u16, data: &[u8], out: &mut Vec<Action>) {
        let block_bytes = self.params.block_bytes;
        if data.len() > block_bytes {
            self.state = State::Failed;
            let len = data.len();
            violation(out, Violation::BlockTooLarge { len, block_bytes });
            return;
        }
        let ahead = block.wrapping_sub(wire(self.received));
        match ahead {
            1 => self.store(now, block, data, out),
            // The sender missed our last ACK: answer again, store nothing.
            0 if self.received > 0 => self.ack(out),
            // A gap: report the last in-order block once, so the sender restarts from there.
            a if a <= self.params.window && !self.gap_reported && self.received > 0 => {
                self.gap_reported = true;
                self.ack(out);
            }
            // Old duplicates, or a gap already reported: ignored.
            _ => {}
        }
    }

    fn store(&mut self, now: Duration, block: u16, data: &[u8], out: &mut Vec<Action>) {
        let total = self.bytes.saturating_add(data.len() as u64);
        if total > self.max_bytes {
            self.state = State::Failed;
            out.push(Action::Send(error_datagram(
                ErrorCode::DiskFull,
                "file exceeds the size limit",
            )));
            out.push(Action::Fail {
                reason: TransferError::TooLarge {
                    limit: self.max_bytes,
                },
            });
            return;
        }
        if let Err(reason) = self.sink.append(data) {
            self.state = State::Failed;
            out.push(Action::Send(error_datagram(
                ErrorCode::DiskFull,
                "cannot store the file",
            )));
            out.push(Action::Fail { reason });
            return;
        }
        self.bytes = total;
        self.received = self.received.saturating_add(1);
        self.since_ack = self.since_ack.saturating_add(1);
        self.retries = 0;
        self.gap_reported = false;
        if data.len() < self.params.block_bytes {
            self.ack(out);
            self.state = State::Done(block);
            out.push(Action::Done { bytes: self.bytes });
        } else if self.since_ack >= self.params.window.max(1) {
            self.ack(out);
            self.arm(now, out);
        } else {
            self.arm(now, out);
        }
    }

    /// ACKs the last in-order block.
    fn ack(&mut self, out: &mut Vec<Action>) {
        self.since_ack = 0;
        out.push(Action::Send(ack_datagram(wire(self.received))));
    }

    fn arm(&mut self, now: Duration, out: &mut Vec<Action>) {
        self.deadline = now + self.params.timeout;
        out.push(Action::NextTimeout(self.deadline));
    }
}
