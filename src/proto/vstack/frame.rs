//! Framing: cutting a byte stream into Smart Install messages by the 16-byte header
//! (`w0 | w1 | type | length`, big-endian u32) and `16 + length` (smart-install.md §2.1).
//!
//! [`StreamDecoder`] takes one direction of a TCP stream in pieces of any size and yields
//! [`Frame`]s; [`decode_all`] does the same for a whole buffer; [`decode_message`] checks a
//! buffer that must hold exactly one message. Incomplete input is [`Decoded::NeedMore`], never an
//! error.
//!
//! Inputs: attacker-controlled bytes. The decoder buffers at most one message, and a header that
//! declares more than [`Limits::max_message_bytes`] is refused before anything is allocated for
//! it (STYLE.md §3 item 1).

use super::error::{DecodeError, LimitError};
use super::field::Reader;
use super::{HEADER_LEN_BYTES, Message};

/// Decoder limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    max_message_bytes: usize,
}

impl Limits {
    /// Default maximum message size, header included: 2 KiB (smart-install.md §9(b); the
    /// largest known legitimate-looking message is 1048 bytes).
    pub const DEFAULT_MAX_MESSAGE_BYTES: usize = 2048;
    /// Largest maximum accepted by [`Limits::new`]: 1 MiB.
    pub const CEILING_MESSAGE_BYTES: usize = 1 << 20;

    /// Limits with a maximum message size of `max_message_bytes` (header included), between one
    /// header (16) and [`Limits::CEILING_MESSAGE_BYTES`].
    pub fn new(max_message_bytes: usize) -> Result<Self, LimitError> {
        if (HEADER_LEN_BYTES..=Self::CEILING_MESSAGE_BYTES).contains(&max_message_bytes) {
            Ok(Self { max_message_bytes })
        } else {
            Err(LimitError {
                requested: max_message_bytes,
                min: HEADER_LEN_BYTES,
                max: Self::CEILING_MESSAGE_BYTES,
            })
        }
    }

    /// The maximum message size in bytes, header included.
    pub fn max_message_bytes(&self) -> usize {
        self.max_message_bytes
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_message_bytes: Self::DEFAULT_MAX_MESSAGE_BYTES,
        }
    }
}

/// The 16-byte header of every message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Header {
    /// Word 0 ("msg_from"): 1 director tools, 2 SIET execute, 4 client replies.
    pub w0: u32,
    /// Word 1 ("version"): 1 in requests, 0 in client replies.
    pub w1: u32,
    /// Message type.
    pub msg_type: u32,
    /// Payload bytes after the header.
    pub length: u32,
}

impl Header {
    /// Reads the header at the start of `bytes`; `None` when fewer than 16 bytes are given.
    pub fn parse(bytes: &[u8]) -> Option<Self> {
        let mut r = Reader::new(bytes);
        Some(Self {
            w0: r.u32()?,
            w1: r.u32()?,
            msg_type: r.u32()?,
            length: r.u32()?,
        })
    }

    /// Size of the whole message: 16 + `length`.
    pub fn total_len(&self) -> u64 {
        HEADER_LEN_BYTES as u64 + u64::from(self.length)
    }

    /// The 16 header bytes.
    pub fn to_bytes(&self) -> [u8; HEADER_LEN_BYTES] {
        let mut out = [0; HEADER_LEN_BYTES];
        let words = [self.w0, self.w1, self.msg_type, self.length];
        for (chunk, word) in out.chunks_exact_mut(4).zip(words) {
            chunk.copy_from_slice(&word.to_be_bytes());
        }
        out
    }
}

/// A decoded message with its place in the stream and its bytes as received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    /// Stream offset of the header.
    pub offset: u64,
    /// The header.
    pub header: Header,
    /// The typed message; `message.encode()` gives back `raw`.
    pub message: Message,
    /// The message bytes, header included, as received (what a relay forwards).
    pub raw: Vec<u8>,
}

/// The outcome of [`StreamDecoder::decode`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decoded {
    /// A complete message.
    Frame(Frame),
    /// The input is used up; at least this many more bytes are needed (the rest of the header,
    /// or the rest of the message once the header is known).
    NeedMore {
        /// Bytes still missing for the next step.
        at_least: usize,
    },
}

/// Cuts one direction of a TCP stream into messages; keeps at most one partial message.
#[derive(Clone, Debug)]
pub struct StreamDecoder {
    limits: Limits,
    /// Bytes of the current message received so far (never more than the limit).
    buf: Vec<u8>,
    /// Stream offset of `buf[0]`.
    offset: u64,
    /// A framing error after which no boundary is known; returned again on every call.
    failed: Option<DecodeError>,
}

impl StreamDecoder {
    /// A decoder at stream offset 0.
    pub fn new(limits: Limits) -> Self {
        Self {
            limits,
            buf: Vec::new(),
            offset: 0,
            failed: None,
        }
    }

    /// Takes bytes from the front of `input` and returns the next message, or `NeedMore` once
    /// `input` is used up. Call it until it returns `NeedMore` (or an error) before feeding the
    /// next piece. On a recoverable error ([`DecodeError::is_recoverable`]) the message was
    /// consumed and decoding can go on; after any other error every call returns that error.
    pub fn decode(&mut self, input: &mut &[u8]) -> Result<Decoded, DecodeError> {
        if let Some(err) = &self.failed {
            return Err(err.clone());
        }
        self.fill(input, HEADER_LEN_BYTES);
        let Some(header) = Header::parse(&self.buf) else {
            let at_least = HEADER_LEN_BYTES.saturating_sub(self.buf.len());
            return Ok(Decoded::NeedMore { at_least });
        };
        let total = match usize::try_from(header.total_len()) {
            Ok(total) if total <= self.limits.max_message_bytes => total,
            _ => {
                let err = DecodeError::Oversized {
                    offset: self.offset,
                    declared_length: header.length,
                    limit: self.limits.max_message_bytes,
                };
                self.failed = Some(err.clone());
                return Err(err);
            }
        };
        self.fill(input, total);
        if self.buf.len() < total {
            let at_least = total.saturating_sub(self.buf.len());
            return Ok(Decoded::NeedMore { at_least });
        }
        let raw = std::mem::take(&mut self.buf);
        let offset = self.offset;
        self.offset = self.offset.saturating_add(total as u64);
        let message = Message::from_frame(&header, &raw, offset)?;
        Ok(Decoded::Frame(Frame {
            offset,
            header,
            message,
            raw,
        }))
    }

    /// Decodes every whole message of `piece` into `frames`, stopping at the first error (also a
    /// recoverable one); a partial message at the end stays buffered for the next piece.
    pub fn decode_into(
        &mut self,
        piece: &[u8],
        frames: &mut Vec<Frame>,
    ) -> Result<(), DecodeError> {
        let mut input = piece;
        loop {
            match self.decode(&mut input)? {
                Decoded::Frame(frame) => frames.push(frame),
                Decoded::NeedMore { .. } => return Ok(()),
            }
        }
    }

    /// At the end of the stream: an error if a partial message is buffered (or decoding failed).
    pub fn finish(&self) -> Result<(), DecodeError> {
        if let Some(err) = &self.failed {
            return Err(err.clone());
        }
        if self.buf.is_empty() {
            return Ok(());
        }
        let expected = Header::parse(&self.buf).map_or(HEADER_LEN_BYTES as u64, |h| h.total_len());
        Err(DecodeError::Truncated {
            offset: self.offset,
            expected,
            available: self.buf.len(),
        })
    }

    /// Bytes of a partial message currently buffered.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// Stream offset of the next message (the one being buffered).
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Moves bytes from `input` into the buffer until it holds `upto` bytes or `input` is empty.
    fn fill(&mut self, input: &mut &[u8], upto: usize) {
        let want = upto.saturating_sub(self.buf.len()).min(input.len());
        if let Some((head, tail)) = input.split_at_checked(want) {
            self.buf.extend_from_slice(head);
            *input = tail;
        }
    }
}

/// The messages of a whole buffer, up to the first error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decoding {
    /// Messages decoded before the error (all of them without one).
    pub frames: Vec<Frame>,
    /// The first error, including a message truncated by the end of the buffer.
    pub error: Option<DecodeError>,
}

/// Decodes every message in `bytes`, stopping at the first error (the same frames and error a
/// [`StreamDecoder`] yields for these bytes fed in pieces of any size, then `finish`ed).
pub fn decode_all(bytes: &[u8], limits: Limits) -> Decoding {
    let mut decoder = StreamDecoder::new(limits);
    let mut frames = Vec::new();
    let error = decoder
        .decode_into(bytes, &mut frames)
        .and_then(|()| decoder.finish())
        .err();
    Decoding { frames, error }
}

/// Decodes a buffer that must hold exactly one message: fewer bytes than the header declares is
/// [`DecodeError::Truncated`], more is [`DecodeError::TrailingBytes`].
pub fn decode_message(bytes: &[u8], limits: Limits) -> Result<Message, DecodeError> {
    let available = bytes.len();
    let header = Header::parse(bytes).ok_or(DecodeError::Truncated {
        offset: 0,
        expected: HEADER_LEN_BYTES as u64,
        available,
    })?;
    let total = header.total_len();
    if total > limits.max_message_bytes as u64 {
        return Err(DecodeError::Oversized {
            offset: 0,
            declared_length: header.length,
            limit: limits.max_message_bytes,
        });
    }
    match (available as u64).cmp(&total) {
        std::cmp::Ordering::Less => Err(DecodeError::Truncated {
            offset: 0,
            expected: total,
            available,
        }),
        std::cmp::Ordering::Greater => Err(DecodeError::TrailingBytes {
            offset: 0,
            declared_total: total,
            actual: available,
        }),
        std::cmp::Ordering::Equal => Message::from_frame(&header, bytes, 0),
    }
}
