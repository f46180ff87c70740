//! TFTP packet codec (RFC 1350, with the option extension of RFC 2347 and the block-size option
//! of RFC 2348): one UDP datagram in, one typed [`Packet`] out, and back. Pure and bounded: no
//! sockets, no clock, no panics on peer data.
//!
//! | Opcode | Packet | Layout |
//! |---|---|---|
//! | 1 | RRQ | `filename NUL mode NUL [option NUL value NUL]*` |
//! | 2 | WRQ | same as RRQ |
//! | 3 | DATA | `block:u16 data[0..=blksize]` |
//! | 4 | ACK | `block:u16` |
//! | 5 | ERROR | `code:u16 message NUL` |
//! | 6 | OACK | `[option NUL value NUL]*` (RFC 2347) |
//!
//! Used by the emulated Smart Install client (`sim switch`), which performs the TFTP side
//! channel of smart-install.md §3.9, and by the director's TFTP server. Submodules: [`options`]
//! (server-side option negotiation, RFC 2347/2348/2349/7440) and [`transfer`] (the sans-IO
//! windowed sender and receiver both the client and the server run).
//!
//! Inputs: datagrams from any UDP peer (attacker-controlled). Bounds: a datagram is at most
//! [`MAX_DATAGRAM_BYTES`]; strings must be NUL-terminated UTF-8 of at most [`MAX_TEXT_BYTES`];
//! at most [`MAX_OPTIONS`] options. The caller checks DATA sizes against the block size it
//! negotiated ([`DEFAULT_BLOCK_BYTES`] without options).

/// Data bytes per block without the block-size option (RFC 1350).
pub const DEFAULT_BLOCK_BYTES: usize = 512;
/// Largest block size RFC 2348 allows.
pub const MAX_BLOCK_BYTES: usize = 65464;
/// Largest datagram the codec accepts: a DATA packet with the largest block.
pub const MAX_DATAGRAM_BYTES: usize = MAX_BLOCK_BYTES + 4;
/// Longest filename, mode, option name/value or error message, in bytes.
pub const MAX_TEXT_BYTES: usize = 255;
/// Most options in one request or OACK.
pub const MAX_OPTIONS: usize = 16;

pub mod options;
pub mod transfer;

const OP_RRQ: u16 = 1;
const OP_WRQ: u16 = 2;
const OP_DATA: u16 = 3;
const OP_ACK: u16 = 4;
const OP_ERROR: u16 = 5;
const OP_OACK: u16 = 6;

/// One TFTP packet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Packet {
    /// Read request (opcode 1).
    Rrq(Request),
    /// Write request (opcode 2).
    Wrq(Request),
    /// A data block (opcode 3). Block numbers start at 1; a short block ends the transfer.
    Data {
        /// Block number.
        block: u16,
        /// Payload bytes.
        data: Vec<u8>,
    },
    /// Acknowledgement of a block (opcode 4); block 0 acknowledges a WRQ.
    Ack {
        /// Block number acknowledged.
        block: u16,
    },
    /// An error; it ends the transfer (opcode 5).
    Error {
        /// Error code (RFC 1350 appendix, RFC 2347 code 8).
        code: ErrorCode,
        /// Human-readable text.
        message: String,
    },
    /// Option acknowledgement (opcode 6, RFC 2347).
    OAck {
        /// The options the server accepted, as (name, value).
        options: Vec<(String, String)>,
    },
}

/// The body of an RRQ or WRQ.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// The file name, as sent.
    pub filename: String,
    /// Transfer mode.
    pub mode: Mode,
    /// Options (RFC 2347), as (name, value), in order.
    pub options: Vec<(String, String)>,
}

impl Request {
    /// An octet-mode request for `filename` without options.
    pub fn octet(filename: &str) -> Self {
        Self {
            filename: filename.to_owned(),
            mode: Mode::Octet,
            options: Vec::new(),
        }
    }
}

/// Transfer mode (RFC 1350 §1; compared case-insensitively).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// `netascii`.
    Netascii,
    /// `octet`.
    Octet,
    /// `mail` (obsolete).
    Mail,
}

impl Mode {
    /// The mode as written on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Netascii => "netascii",
            Self::Octet => "octet",
            Self::Mail => "mail",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        [Self::Netascii, Self::Octet, Self::Mail]
            .into_iter()
            .find(|m| m.as_str().eq_ignore_ascii_case(text))
    }
}

/// TFTP error codes (RFC 1350 appendix; 8 from RFC 2347).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorCode {
    /// 0: not defined, see the message.
    NotDefined,
    /// 1: file not found.
    FileNotFound,
    /// 2: access violation.
    AccessViolation,
    /// 3: disk full or allocation exceeded.
    DiskFull,
    /// 4: illegal TFTP operation.
    IllegalOperation,
    /// 5: unknown transfer ID.
    UnknownTid,
    /// 6: file already exists.
    FileExists,
    /// 7: no such user.
    NoSuchUser,
    /// 8: option negotiation refused.
    OptionRefused,
    /// Any other code.
    Other(u16),
}

impl ErrorCode {
    /// The wire value.
    pub fn code(self) -> u16 {
        match self {
            Self::NotDefined => 0,
            Self::FileNotFound => 1,
            Self::AccessViolation => 2,
            Self::DiskFull => 3,
            Self::IllegalOperation => 4,
            Self::UnknownTid => 5,
            Self::FileExists => 6,
            Self::NoSuchUser => 7,
            Self::OptionRefused => 8,
            Self::Other(c) => c,
        }
    }

    /// The code for a wire value.
    pub fn from_code(code: u16) -> Self {
        match code {
            0 => Self::NotDefined,
            1 => Self::FileNotFound,
            2 => Self::AccessViolation,
            3 => Self::DiskFull,
            4 => Self::IllegalOperation,
            5 => Self::UnknownTid,
            6 => Self::FileExists,
            7 => Self::NoSuchUser,
            8 => Self::OptionRefused,
            c => Self::Other(c),
        }
    }
}

/// Why a datagram is not a TFTP packet.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// Fewer bytes than the packet's fixed part.
    #[error("datagram of {len} bytes is shorter than the {needed} bytes its opcode needs")]
    TooShort {
        /// Datagram length.
        len: usize,
        /// Bytes the fixed part needs.
        needed: usize,
    },
    /// Larger than [`MAX_DATAGRAM_BYTES`].
    #[error("datagram of {len} bytes exceeds the limit of {limit}")]
    TooLong {
        /// Datagram length.
        len: usize,
        /// The limit.
        limit: usize,
    },
    /// Opcode outside 1–6.
    #[error("unknown opcode {opcode}")]
    UnknownOpcode {
        /// The opcode.
        opcode: u16,
    },
    /// A string field has no NUL terminator.
    #[error("string at offset {offset} is not NUL-terminated")]
    Unterminated {
        /// Offset of the string.
        offset: usize,
    },
    /// A string field is longer than [`MAX_TEXT_BYTES`].
    #[error("string at offset {offset} is {len} bytes, above the limit of {limit}")]
    TextTooLong {
        /// Offset of the string.
        offset: usize,
        /// Its length.
        len: usize,
        /// The limit.
        limit: usize,
    },
    /// A string field is not UTF-8.
    #[error("string at offset {offset} is not UTF-8")]
    NotUtf8 {
        /// Offset of the string.
        offset: usize,
    },
    /// The request's mode is not netascii, octet or mail.
    #[error("unknown transfer mode at offset {offset}")]
    UnknownMode {
        /// Offset of the mode string.
        offset: usize,
    },
    /// An option name without a value, or more than [`MAX_OPTIONS`] options.
    #[error("bad option list at offset {offset}")]
    BadOptions {
        /// Offset where the list went wrong.
        offset: usize,
    },
    /// Bytes after an ERROR message's NUL or after an ACK's block number.
    #[error("{extra} unexpected bytes after the packet")]
    TrailingBytes {
        /// How many.
        extra: usize,
    },
}

/// Why a packet cannot be encoded.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    /// A string is empty where a value is required, contains NUL, or exceeds
    /// [`MAX_TEXT_BYTES`].
    #[error("field {field} cannot be encoded ({len} bytes, NUL inside: {has_nul})")]
    BadText {
        /// Which field.
        field: &'static str,
        /// Its length.
        len: usize,
        /// Whether it contains NUL.
        has_nul: bool,
    },
    /// DATA larger than [`MAX_BLOCK_BYTES`], or more than [`MAX_OPTIONS`] options.
    #[error("{what}: {len} exceeds the limit of {limit}")]
    TooLarge {
        /// What is too large.
        what: &'static str,
        /// The size.
        len: usize,
        /// The limit.
        limit: usize,
    },
}

// === impl Packet ===

impl Packet {
    /// Decodes one datagram.
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        if bytes.len() > MAX_DATAGRAM_BYTES {
            return Err(DecodeError::TooLong {
                len: bytes.len(),
                limit: MAX_DATAGRAM_BYTES,
            });
        }
        let opcode = u16_at(bytes, 0)?;
        match opcode {
            OP_RRQ => Ok(Self::Rrq(decode_request(bytes)?)),
            OP_WRQ => Ok(Self::Wrq(decode_request(bytes)?)),
            OP_DATA => Ok(Self::Data {
                block: u16_at(bytes, 2)?,
                data: bytes.get(4..).unwrap_or_default().to_vec(),
            }),
            OP_ACK => {
                let block = u16_at(bytes, 2)?;
                no_trailing(bytes, 4)?;
                Ok(Self::Ack { block })
            }
            OP_ERROR => {
                let code = ErrorCode::from_code(u16_at(bytes, 2)?);
                let (message, end) = text_at(bytes, 4)?;
                no_trailing(bytes, end)?;
                Ok(Self::Error { code, message })
            }
            OP_OACK => Ok(Self::OAck {
                options: decode_options(bytes, 2)?,
            }),
            opcode => Err(DecodeError::UnknownOpcode { opcode }),
        }
    }

    /// Encodes the packet into one datagram.
    pub fn encode(&self) -> Result<Vec<u8>, EncodeError> {
        let mut out = Vec::new();
        match self {
            Self::Rrq(r) => encode_request(&mut out, OP_RRQ, r)?,
            Self::Wrq(r) => encode_request(&mut out, OP_WRQ, r)?,
            Self::Data { block, data } => {
                if data.len() > MAX_BLOCK_BYTES {
                    return Err(EncodeError::TooLarge {
                        what: "data block",
                        len: data.len(),
                        limit: MAX_BLOCK_BYTES,
                    });
                }
                put_u16s(&mut out, &[OP_DATA, *block]);
                out.extend_from_slice(data);
            }
            Self::Ack { block } => put_u16s(&mut out, &[OP_ACK, *block]),
            Self::Error { code, message } => {
                put_u16s(&mut out, &[OP_ERROR, code.code()]);
                put_text(&mut out, "message", message, true)?;
            }
            Self::OAck { options } => {
                put_u16s(&mut out, &[OP_OACK]);
                put_options(&mut out, options)?;
            }
        }
        Ok(out)
    }

    /// An ERROR packet, for replies built by the caller.
    pub fn error(code: ErrorCode, message: &str) -> Self {
        Self::Error {
            code,
            message: message.to_owned(),
        }
    }
}

fn decode_request(bytes: &[u8]) -> Result<Request, DecodeError> {
    let (filename, mode_at) = text_at(bytes, 2)?;
    let (mode_text, options_at) = text_at(bytes, mode_at)?;
    let mode = Mode::parse(&mode_text).ok_or(DecodeError::UnknownMode { offset: mode_at })?;
    Ok(Request {
        filename,
        mode,
        options: decode_options(bytes, options_at)?,
    })
}

fn decode_options(bytes: &[u8], mut at: usize) -> Result<Vec<(String, String)>, DecodeError> {
    let mut options = Vec::new();
    while at < bytes.len() {
        if options.len() == MAX_OPTIONS {
            return Err(DecodeError::BadOptions { offset: at });
        }
        let (name, value_at) = text_at(bytes, at)?;
        if value_at >= bytes.len() || name.is_empty() {
            return Err(DecodeError::BadOptions { offset: at });
        }
        let (value, next) = text_at(bytes, value_at)?;
        options.push((name, value));
        at = next;
    }
    Ok(options)
}

fn encode_request(out: &mut Vec<u8>, opcode: u16, r: &Request) -> Result<(), EncodeError> {
    put_u16s(out, &[opcode]);
    put_text(out, "filename", &r.filename, false)?;
    put_text(out, "mode", r.mode.as_str(), false)?;
    put_options(out, &r.options)
}

fn put_options(out: &mut Vec<u8>, options: &[(String, String)]) -> Result<(), EncodeError> {
    if options.len() > MAX_OPTIONS {
        return Err(EncodeError::TooLarge {
            what: "options",
            len: options.len(),
            limit: MAX_OPTIONS,
        });
    }
    for (name, value) in options {
        put_text(out, "option name", name, false)?;
        put_text(out, "option value", value, false)?;
    }
    Ok(())
}

/// The big-endian u16 at `at`.
fn u16_at(bytes: &[u8], at: usize) -> Result<u16, DecodeError> {
    let needed = at.saturating_add(2);
    match bytes.get(at..needed) {
        Some(&[a, b]) => Ok(u16::from_be_bytes([a, b])),
        _ => Err(DecodeError::TooShort {
            len: bytes.len(),
            needed,
        }),
    }
}

/// The NUL-terminated string at `at` and the offset after its NUL.
fn text_at(bytes: &[u8], at: usize) -> Result<(String, usize), DecodeError> {
    let rest = bytes.get(at..).unwrap_or_default();
    let len = rest
        .iter()
        .position(|&b| b == 0)
        .ok_or(DecodeError::Unterminated { offset: at })?;
    if len > MAX_TEXT_BYTES {
        return Err(DecodeError::TextTooLong {
            offset: at,
            len,
            limit: MAX_TEXT_BYTES,
        });
    }
    let text = rest.get(..len).unwrap_or_default();
    let text = std::str::from_utf8(text).map_err(|_| DecodeError::NotUtf8 { offset: at })?;
    Ok((text.to_owned(), at.saturating_add(len).saturating_add(1)))
}

fn no_trailing(bytes: &[u8], end: usize) -> Result<(), DecodeError> {
    match bytes.len().saturating_sub(end) {
        0 => Ok(()),
        extra => Err(DecodeError::TrailingBytes { extra }),
    }
}

fn put_u16s(out: &mut Vec<u8>, words: &[u16]) {
    for w in words {
        out.extend_from_slice(&w.to_be_bytes());
    }
}

fn put_text(
    out: &mut Vec<u8>,
    field: &'static str,
    text: &str,
    empty_ok: bool,
) -> Result<(), EncodeError> {
    let has_nul = text.contains('\0');
    if has_nul || text.len() > MAX_TEXT_BYTES || (text.is_empty() && !empty_ok) {
        return Err(EncodeError::BadText {
            field,
            len: text.len(),
            has_nul,
        });
    }
    out.extend_from_slice(text.as_bytes());
    out.push(0);
    Ok(())
}

#[cfg(test)]
mod tests;
