//! The typed errors of the Smart Install codec: [`DecodeError`] for bytes from the network (or a
//! capture), [`EncodeError`] for values that cannot be put on the wire as documented, and
//! [`LimitError`] for a decoder limit that is out of range.
//!
//! Inputs: decode errors describe attacker-controlled bytes; each variant carries the stream
//! offset of the message and the numbers involved (declared and actual sizes, the limit), never
//! formatted text (STYLE.md §2.2). Framing rules: `../shared/protocols/smart-install.md` §2.1.

/// Why bytes could not be decoded into a Smart Install message.
///
/// "Need more bytes" is not an error: the stream decoder returns
/// [`super::Decoded::NeedMore`] for that.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The header declares a message (16 + `length` bytes) larger than the configured maximum.
    /// The decoder cannot find the next message boundary without reading it, so it stops.
    #[error(
        "message at offset {offset} declares {declared_length} payload bytes \
         ({} in total), above the limit of {limit} bytes",
        u64::from(*declared_length) + 16
    )]
    Oversized {
        /// Stream offset of the message header.
        offset: u64,
        /// The header's `length` field (payload bytes after the 16-byte header).
        declared_length: u32,
        /// The maximum message size in bytes, header included.
        limit: usize,
    },
    /// The input ended inside a message (at end of stream, or a one-shot buffer that is short).
    #[error(
        "message at offset {offset} is truncated: {expected} bytes expected, {available} present"
    )]
    Truncated {
        /// Stream offset of the message header.
        offset: u64,
        /// Bytes the message needs: 16 when even the header is incomplete, else 16 + `length`.
        expected: u64,
        /// Bytes that were present.
        available: usize,
    },
    /// The header's `length` is not one of the sizes documented for this message type
    /// (smart-install.md §3). The message was consumed; the stream stays in sync.
    #[error(
        "message at offset {offset}: type {msg_type} declares {declared_length} payload bytes, \
         documented sizes are {documented:?}"
    )]
    LengthMismatch {
        /// Stream offset of the message header.
        offset: u64,
        /// The header's `type` field.
        msg_type: u32,
        /// The header's `length` field.
        declared_length: u32,
        /// The payload sizes documented for this type.
        documented: &'static [u32],
    },
    /// A buffer that should hold exactly one message holds more bytes than the header declares
    /// (the "header/stream length mismatch" of smart-install.md §3.8 and §9).
    #[error(
        "message at offset {offset} declares {declared_total} bytes but {actual} bytes were given"
    )]
    TrailingBytes {
        /// Stream offset of the message header.
        offset: u64,
        /// 16 + the header's `length`.
        declared_total: u64,
        /// The size of the buffer.
        actual: usize,
    },
}

impl DecodeError {
    /// Stream offset of the message the error is about.
    pub fn offset(&self) -> u64 {
        match self {
            Self::Oversized { offset, .. }
            | Self::Truncated { offset, .. }
            | Self::LengthMismatch { offset, .. }
            | Self::TrailingBytes { offset, .. } => *offset,
        }
    }

    /// Whether a stream decoder can go on after this error: the offending message was consumed
    /// whole, so the next message boundary is known. Only [`DecodeError::LengthMismatch`].
    pub fn is_recoverable(&self) -> bool {
        matches!(self, Self::LengthMismatch { .. })
    }

    /// A stable snake_case name of the variant, for logs, metrics and JSON output.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Oversized { .. } => "oversized",
            Self::Truncated { .. } => "truncated",
            Self::LengthMismatch { .. } => "length_mismatch",
            Self::TrailingBytes { .. } => "trailing_bytes",
        }
    }
}

/// Why a typed value cannot be encoded in the documented layout.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    /// A text longer than its fixed-size field allows (one byte is kept for the NUL terminator).
    /// Over-long values are refused, never truncated.
    #[error("{field}: {actual} bytes do not fit (at most {max})")]
    FieldTooLong {
        /// The field.
        field: &'static str,
        /// Longest value that fits with its NUL terminator.
        max: usize,
        /// Length of the value.
        actual: usize,
    },
    /// A text holding a NUL byte, which would end it early on the receiving side.
    #[error("{field}: NUL byte at offset {offset}")]
    NulInField {
        /// The field.
        field: &'static str,
        /// Offset of the NUL within the value.
        offset: usize,
    },
    /// A reload time outside 00:00–23:59.
    #[error("invalid reload time {hour:02}:{minute:02}")]
    InvalidTime {
        /// Hour given.
        hour: u32,
        /// Minute given.
        minute: u32,
    },
    /// More `copy` commands than the three slots of a type-8 message (§3.5).
    #[error("{actual} commands given, a copy-commands message holds at most {max}")]
    TooManyCommands {
        /// Slots available.
        max: usize,
        /// Commands given.
        actual: usize,
    },
    /// A payload whose length does not fit the header's u32 `length` field.
    #[error("payload of {len} bytes does not fit a u32 length")]
    PayloadTooLarge {
        /// Payload length in bytes.
        len: usize,
    },
    /// A malformed TLV tail whose bytes would decode as something else: a short header of 0 or
    /// 8+ bytes, or an overrun whose declared length fits the value it carries.
    #[error("inconsistent TLV tail: declared {declared_len}, {value_len} value bytes")]
    InconsistentTlvTail {
        /// The declared TLV length (or the short-header length).
        declared_len: u64,
        /// Bytes actually carried.
        value_len: usize,
    },
}

/// A decoder limit outside the accepted range.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("maximum message size {requested} is outside {min}..={max} bytes")]
pub struct LimitError {
    /// The value asked for.
    pub requested: usize,
    /// Smallest accepted value (one header).
    pub min: usize,
    /// Largest accepted value.
    pub max: usize,
}
