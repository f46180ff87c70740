//! Sans-IO TFTP transfer state machines: [`Sender`] (the side that sends DATA: a server serving an
//! RRQ, a client doing a put) and [`Receiver`] (the side that ACKs: a server accepting a WRQ, a
//! client doing a get). Datagrams and timeouts come in with a caller-supplied monotonic `now`,
//! a [`Duration`] since an origin the caller picks (e.g. the start of the transfer); [`Action`]s
//! come out: datagrams to send, the end of the transfer, and the next deadline on the same scale.
//!
//! Implements RFC 1350 (lock-step, a block shorter than the block size ends the transfer, errors
//! end it), RFC 1123 §4.2.3.1 (no Sorcerer's Apprentice: a duplicate ACK never triggers a
//! retransmission) and RFC 7440 (windowed transfer: the sender sends `window` blocks then waits;
//! the receiver ACKs each full window, the final block, and the last in-order block when it sees a
//! gap; on timeout the sender resends from the first unacknowledged block). Block numbers are
//! 16 bits on the wire and roll over from 65535 to 0; internally blocks are counted in 64 bits.
//!
//! Inputs: datagrams from the transfer's peer (attacker-controlled; the caller has already
//! filtered by transfer ID). File bytes come from a [`BlockSource`] and go to a [`BlockSink`], so
//! the machines themselves do no I/O.

mod receive;
mod send;

use std::time::Duration;

pub use receive::Receiver;
pub use send::Sender;

use crate::proto::tftp::{ErrorCode, Packet};

/// Transfer parameters, usually from [`super::options::negotiate`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Params {
    /// Data bytes per block (8..=65464).
    pub block_bytes: usize,
    /// Blocks per window (1: RFC 1350 lock-step).
    pub window: u16,
    /// Retransmission timeout.
    pub timeout: Duration,
    /// Retransmissions of one packet or window before the transfer fails.
    pub max_retries: u32,
}

/// What the caller must do next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Send this datagram to the peer.
    Send(Vec<u8>),
    /// The transfer completed; `bytes` of file data went through.
    Done {
        /// File bytes transferred.
        bytes: u64,
    },
    /// The transfer failed (any ERROR for the peer has already been emitted as `Send`).
    Fail {
        /// Why.
        reason: TransferError,
    },
    /// Call `handle_timeout` at this time (on the caller's `now` scale) unless a datagram arrives
    /// first.
    NextTimeout(Duration),
}

/// Why a transfer failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TransferError {
    /// No progress after every retransmission.
    #[error("no reply after {retries} retransmissions")]
    Timeout {
        /// Retransmissions made.
        retries: u32,
    },
    /// The peer sent an ERROR packet.
    #[error("peer error {code:?}: {message}")]
    Peer {
        /// Its code.
        code: ErrorCode,
        /// Its message.
        message: String,
    },
    /// The peer broke the protocol.
    #[error("protocol violation: {0}")]
    Violation(#[from] Violation),
    /// More file bytes than allowed.
    #[error("file exceeds the limit of {limit} bytes")]
    TooLarge {
        /// The limit.
        limit: u64,
    },
    /// The block source could not supply data (the caller knows the underlying cause).
    #[error("cannot read the file")]
    Source,
    /// The block sink could not store data (the caller knows the underlying cause).
    #[error("cannot write the file")]
    Sink,
    /// The local side stopped the transfer (shutdown).
    #[error("stopped by the local side")]
    Aborted,
}

/// A protocol violation by the peer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Violation {
    /// A datagram that is not a TFTP packet.
    #[error("undecodable datagram")]
    Undecodable,
    /// A valid packet of a kind this side never expects (e.g. DATA sent to the sender).
    #[error("unexpected {opcode} packet")]
    UnexpectedPacket {
        /// Name of the packet kind.
        opcode: &'static str,
    },
    /// A DATA block larger than the negotiated block size.
    #[error("block of {len} bytes exceeds the block size {block_bytes}")]
    BlockTooLarge {
        /// Its length.
        len: usize,
        /// The negotiated block size.
        block_bytes: usize,
    },
}

/// Either side of a transfer, for drivers that run both the same way.
pub trait Machine {
    /// Handles one datagram from the peer.
    fn handle_input(&mut self, now: Duration, datagram: &[u8]) -> Vec<Action>;
    /// Handles the deadline passing.
    fn handle_timeout(&mut self, now: Duration) -> Vec<Action>;
}

impl<S: BlockSource> Machine for Sender<S> {
    fn handle_input(&mut self, now: Duration, datagram: &[u8]) -> Vec<Action> {
        Self::handle_input(self, now, datagram)
    }
    fn handle_timeout(&mut self, now: Duration) -> Vec<Action> {
        Self::handle_timeout(self, now)
    }
}

impl<K: BlockSink> Machine for Receiver<K> {
    fn handle_input(&mut self, now: Duration, datagram: &[u8]) -> Vec<Action> {
        Self::handle_input(self, now, datagram)
    }
    fn handle_timeout(&mut self, now: Duration) -> Vec<Action> {
        Self::handle_timeout(self, now)
    }
}

/// Where a [`Sender`] reads file data.
pub trait BlockSource {
    /// Fills `buf` from byte `offset` of the file; returns how many bytes were read (fewer than
    /// `buf.len()` only at the end of the file).
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<usize, TransferError>;
}

/// Where a [`Receiver`] writes file data, in order.
pub trait BlockSink {
    /// Appends `data` to the file.
    fn append(&mut self, data: &[u8]) -> Result<(), TransferError>;
}

impl BlockSource for &[u8] {
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<usize, TransferError> {
        let start = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(self.len());
        let rest = self.get(start..).unwrap_or_default();
        let n = rest.len().min(buf.len());
        buf.get_mut(..n)
            .unwrap_or_default()
            .copy_from_slice(rest.get(..n).unwrap_or_default());
        Ok(n)
    }
}

impl BlockSink for Vec<u8> {
    fn append(&mut self, data: &[u8]) -> Result<(), TransferError> {
        self.extend_from_slice(data);
        Ok(())
    }
}

/// The 16-bit wire number of block `seq` (rolls over from 65535 to 0).
fn wire(seq: u64) -> u16 {
    // Truncation is the wire format's rollover.
    (seq & 0xffff) as u16
}

/// The encoded ERROR datagram, for the peer.
/// The actions of a transfer whose retries ran out: tell the peer, then fail.
fn timed_out(retries: u32) -> Vec<Action> {
    vec![
        Action::Send(error_datagram(ErrorCode::NotDefined, "transfer timed out")),
        Action::Fail {
            reason: TransferError::Timeout { retries },
        },
    ]
}

fn error_datagram(code: ErrorCode, message: &str) -> Vec<u8> {
    Packet::error(code, message).encode().unwrap_or_default()
}

/// The encoded ACK datagram for wire block `block`.
fn ack_datagram(block: u16) -> Vec<u8> {
    let [a, b] = block.to_be_bytes();
    vec![0x00, 0x04, a, b]
}

/// The kind name of a packet, for [`Violation::UnexpectedPacket`].
fn kind(packet: &Packet) -> &'static str {
    match packet {
        Packet::Rrq(_) => "RRQ",
        Packet::Wrq(_) => "WRQ",
        Packet::Data { .. } => "DATA",
        Packet::Ack { .. } => "ACK",
        Packet::Error { .. } => "ERROR",
        Packet::OAck { .. } => "OACK",
    }
}

/// Ends a transfer on a peer violation: ERROR 4 to the peer, then `Fail`.
fn violation(out: &mut Vec<Action>, v: Violation) {
    out.push(Action::Send(error_datagram(
        ErrorCode::IllegalOperation,
        "illegal TFTP operation",
    )));
    out.push(Action::Fail {
        reason: TransferError::Violation(v),
    });
}

#[cfg(test)]
mod tests;
