//! Smart Install in one direction of a TCP 4786 stream: the codec's [`StreamDecoder`] cuts the
//! reassembled bytes into messages; each message or decode error comes out as an [`SiItem`] for
//! the auditor to turn into events. After an `Oversized` header the next message boundary cannot
//! be found, so the direction is given up (the error is reported once); a stream that ends inside
//! a message is reported as truncated only when it was closed (FIN or RST), not when the capture
//! simply ended.
//!
//! Inputs: attacker-controlled bytes in pieces of any size (bounded by the codec's
//! [`Limits`]); pure.

use crate::proto::vstack::{DecodeError, Decoded, Frame, Limits, StreamDecoder};

/// What one direction yielded.
#[derive(Debug)]
pub enum SiItem {
    /// A decoded message.
    Message(Frame),
    /// Bytes that did not decode.
    Error(DecodeError),
}

/// One direction of a Smart Install connection.
#[derive(Debug)]
pub struct SiStream {
    decoder: StreamDecoder,
    dead: bool,
}

impl SiStream {
    /// A direction decoded with `limits`.
    pub fn new(limits: Limits) -> Self {
        Self {
            decoder: StreamDecoder::new(limits),
            dead: false,
        }
    }

    /// Whether the direction was given up (no message boundary can be found any more).
    pub fn is_dead(&self) -> bool {
        self.dead
    }

    /// Feeds the next in-order bytes; items are appended to `out`.
    pub fn feed(&mut self, mut data: &[u8], out: &mut Vec<SiItem>) {
        while !self.dead {
            match self.decoder.decode(&mut data) {
                Ok(Decoded::NeedMore { .. }) => break,
                Ok(Decoded::Frame(frame)) => out.push(SiItem::Message(frame)),
                Err(err) => {
                    self.dead = matches!(err, DecodeError::Oversized { .. });
                    out.push(SiItem::Error(err));
                }
            }
        }
    }

    /// Bytes were lost in this direction: message boundaries are unknown from here on.
    pub fn lost(&mut self) {
        self.dead = true;
    }

    /// The sender closed its side: a partial message is a truncation.
    pub fn closed(&mut self, out: &mut Vec<SiItem>) {
        if self.dead {
            return;
        }
        if let Err(err) = self.decoder.finish() {
            out.push(SiItem::Error(err));
        }
        self.dead = true;
    }
}
