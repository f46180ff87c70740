//! BOOTP/DHCPv4 codec (RFC 951, RFC 2131, options of RFC 2132): one UDP datagram in, one typed
//! [`Message`] out, and back. Pure and bounded: no sockets, no clock, no panics on peer data.
//!
//! ```text
//! op htype hlen hops | xid:u32 | secs:u16 flags:u16 | ciaddr yiaddr siaddr giaddr |
//! chaddr[16] | sname[64] | file[128] | magic 63.82.53.63 | options…
//! ```
//!
//! Parsing follows RFC 2131 §4.1 and RFC 3396: options are read from the `options` field, then,
//! when option 52 (overload) says so, from `file` and then `sname`; several instances of one code
//! are concatenated into one value, in that order. The parsed [`Message`] keeps one entry per code,
//! in order of first appearance; an overloaded `sname`/`file` is reported empty. Encoding writes
//! options in the order they are stored (see [`Message::set_option`]), splits values longer than
//! 255 bytes into consecutive instances (RFC 3396 §7), never overloads, ends with option 255 and
//! pads the datagram to the BOOTP minimum of [`MIN_MESSAGE_BYTES`].
//!
//! Typed helpers for the options ztpgate uses are in [`options`]; option 82 (relay agent
//! information, RFC 3046) is kept verbatim.
//!
//! Inputs: datagrams from any host on the management network (attacker-controlled). Bounds: a
//! datagram is at most [`MAX_DATAGRAM_BYTES`]; every option length is checked against the field
//! that holds it before it is read.

pub mod options;

use std::net::Ipv4Addr;

use crate::policy::join::Mac;

/// Fixed BOOTP header length, up to and including `file`.
pub const HEADER_BYTES: usize = 236;
/// The DHCP magic cookie that starts the options field (RFC 2131 §3).
pub const MAGIC_COOKIE: [u8; 4] = [0x63, 0x82, 0x53, 0x63];
/// Largest datagram accepted or produced (an Ethernet payload minus IP and UDP headers).
pub const MAX_DATAGRAM_BYTES: usize = 1472;
/// The BOOTP minimum message length (RFC 951: 300 bytes of BOOTP payload); replies are padded.
pub const MIN_MESSAGE_BYTES: usize = 300;
/// `flags` bit asking for a broadcast reply (RFC 2131 §2).
pub const FLAG_BROADCAST: u16 = 0x8000;

const SNAME_OFFSET: usize = 44;
const SNAME_BYTES: usize = 64;
const FILE_OFFSET: usize = 108;
const FILE_BYTES: usize = 128;
const CHADDR_OFFSET: usize = 28;
const OPTION_PAD: u8 = 0x00;
const OPTION_END: u8 = 0xff;

/// `op`: who sent the message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    /// BOOTREQUEST (1), client → server.
    Request,
    /// BOOTREPLY (2), server → client.
    Reply,
}

impl Op {
    fn code(self) -> u8 {
        match self {
            Self::Request => 1,
            Self::Reply => 2,
        }
    }
}

/// One option: its code and its (concatenated) value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DhcpOption {
    /// Option code (1–254).
    pub code: u8,
    /// The value bytes, all instances joined (RFC 3396).
    pub data: Vec<u8>,
}

/// A decoded BOOTP/DHCP message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// Request or reply.
    pub op: Op,
    /// Hardware address type (1: Ethernet).
    pub htype: u8,
    /// Hardware address length (6 for Ethernet, at most 16).
    pub hlen: u8,
    /// Relay hop count.
    pub hops: u8,
    /// Transaction ID chosen by the client.
    pub xid: u32,
    /// Seconds since the client began.
    pub secs: u16,
    /// Flags (bit 15: broadcast).
    pub flags: u16,
    /// Client IP address (bound clients only).
    pub ciaddr: Ipv4Addr,
    /// "Your" (client) address assigned by the server.
    pub yiaddr: Ipv4Addr,
    /// Next server (TFTP) address.
    pub siaddr: Ipv4Addr,
    /// Relay agent address.
    pub giaddr: Ipv4Addr,
    /// Client hardware address field (the first `hlen` bytes are meaningful).
    pub chaddr: [u8; 16],
    /// Server host name, without trailing NULs (empty when overloaded with options).
    pub sname: Vec<u8>,
    /// Boot file name, without trailing NULs (empty when overloaded with options).
    pub file: Vec<u8>,
    /// Options in order of first appearance, one entry per code.
    pub options: Vec<DhcpOption>,
}

/// Why a datagram is not a valid BOOTP/DHCP message.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// Shorter than the fixed header plus the magic cookie.
    #[error("datagram of {len} bytes is shorter than a DHCP header ({min} bytes)")]
    TooShort {
        /// Bytes received.
        len: usize,
        /// Minimum length.
        min: usize,
    },
    /// Longer than [`MAX_DATAGRAM_BYTES`].
    #[error("datagram of {len} bytes exceeds the {max}-byte limit")]
    TooLong {
        /// Bytes received.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// `op` is neither 1 nor 2.
    #[error("unknown op {0}")]
    UnknownOp(u8),
    /// `hlen` exceeds the 16-byte `chaddr` field.
    #[error("hardware address length {0} exceeds 16")]
    HardwareLength(u8),
    /// The magic cookie is missing (a plain BOOTP message or garbage).
    #[error("no DHCP magic cookie")]
    NoMagicCookie,
    /// An option's length runs past the end of the field that holds it.
    #[error("option {code} at offset {offset} claims {len} bytes past the end of its field")]
    TruncatedOption {
        /// Option code.
        code: u8,
        /// Offset of the code byte within its field.
        offset: usize,
        /// The claimed length.
        len: usize,
    },
    /// Option 52 has a length other than 1 or a value other than 1, 2 or 3.
    #[error("invalid option overload value {0:?}")]
    BadOverload(Vec<u8>),
}

/// Why a message cannot be encoded.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    /// The encoded message would exceed [`MAX_DATAGRAM_BYTES`].
    #[error("encoded message of {len} bytes exceeds the {max}-byte limit")]
    TooLong {
        /// Encoded length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// `sname` or `file` is longer than its field (64 or 128 bytes).
    #[error("{field} of {len} bytes does not fit its field")]
    FieldTooLong {
        /// `sname` or `file`.
        field: &'static str,
        /// Its length.
        len: usize,
    },
    /// Option code 0 or 255 cannot carry a value.
    #[error("option code {0} cannot carry a value")]
    ReservedCode(u8),
}

// === impl Message ===

impl Message {
    /// Decodes one datagram.
    pub fn decode(buf: &[u8]) -> Result<Self, DecodeError> {
        let min = HEADER_BYTES + MAGIC_COOKIE.len();
        if buf.len() < min {
            return Err(DecodeError::TooShort {
                len: buf.len(),
                min,
            });
        }
        if buf.len() > MAX_DATAGRAM_BYTES {
            return Err(DecodeError::TooLong {
                len: buf.len(),
                max: MAX_DATAGRAM_BYTES,
            });
        }
        let op = match buf[0] {
            1 => Op::Request,
            2 => Op::Reply,
            other => return Err(DecodeError::UnknownOp(other)),
        };
        if buf[2] > 16 {
            return Err(DecodeError::HardwareLength(buf[2]));
        }
        if buf[HEADER_BYTES..min] != MAGIC_COOKIE {
            return Err(DecodeError::NoMagicCookie);
        }
        let mut chaddr = [0; 16];
        chaddr.copy_from_slice(&buf[CHADDR_OFFSET..CHADDR_OFFSET + 16]);
        let sname_field = &buf[SNAME_OFFSET..SNAME_OFFSET + SNAME_BYTES];
        let file_field = &buf[FILE_OFFSET..FILE_OFFSET + FILE_BYTES];
        let mut options = Vec::new();
        read_options(&buf[min..], &mut options)?;
        let overload = match find(&options, options::OVERLOAD) {
            None => 0,
            Some([v @ 1..=3]) => *v,
            Some(other) => return Err(DecodeError::BadOverload(other.to_vec())),
        };
        if overload & 1 != 0 {
            read_options(file_field, &mut options)?;
        }
        if overload & 2 != 0 {
            read_options(sname_field, &mut options)?;
        }
        Ok(Self {
            op,
            htype: buf[1],
            hlen: buf[2],
            hops: buf[3],
            xid: u32::from_be_bytes([buf[4], buf[5], buf[6], buf[7]]),
            secs: u16::from_be_bytes([buf[8], buf[9]]),
            flags: u16::from_be_bytes([buf[10], buf[11]]),
            ciaddr: ip_at(buf, 12),
            yiaddr: ip_at(buf, 16),
            siaddr: ip_at(buf, 20),
            giaddr: ip_at(buf, 24),
            chaddr,
            sname: if overload & 2 != 0 {
                Vec::new()
            } else {
                c_string(sname_field)
            },
            file: if overload & 1 != 0 {
                Vec::new()
            } else {
                c_string(file_field)
            },
            options,
        })
    }

    /// Encodes the message: header, options in stored order (overload option 52 is dropped),
    /// option 255, padding to [`MIN_MESSAGE_BYTES`].
    pub fn encode(&self) -> Result<Vec<u8>, EncodeError> {
        for (field, value, max) in [
            ("sname", &self.sname, SNAME_BYTES),
            ("file", &self.file, FILE_BYTES),
        ] {
            if value.len() > max {
                return Err(EncodeError::FieldTooLong {
                    field,
                    len: value.len(),
                });
            }
        }
        let mut out = Vec::with_capacity(MIN_MESSAGE_BYTES);
        out.extend_from_slice(&[self.op.code(), self.htype, self.hlen, self.hops]);
        out.extend_from_slice(&self.xid.to_be_bytes());
        out.extend_from_slice(&self.secs.to_be_bytes());
        out.extend_from_slice(&self.flags.to_be_bytes());
        for ip in [self.ciaddr, self.yiaddr, self.siaddr, self.giaddr] {
            out.extend_from_slice(&ip.octets());
        }
        out.extend_from_slice(&self.chaddr);
        put_field(&mut out, &self.sname, SNAME_BYTES);
        put_field(&mut out, &self.file, FILE_BYTES);
        out.extend_from_slice(&MAGIC_COOKIE);
        for opt in self.options.iter().filter(|o| o.code != options::OVERLOAD) {
            if opt.code == OPTION_PAD || opt.code == OPTION_END {
                return Err(EncodeError::ReservedCode(opt.code));
            }
            // RFC 3396 §7: a long value is split into consecutive instances of the code; an
            // empty value is still one instance.
            let mut chunks = opt.data.chunks(255).peekable();
            if chunks.peek().is_none() {
                out.extend_from_slice(&[opt.code, 0]);
            }
            for chunk in chunks {
                // `chunks(255)` bounds the length, so the cast cannot truncate.
                out.extend_from_slice(&[opt.code, u8::try_from(chunk.len()).unwrap_or(u8::MAX)]);
                out.extend_from_slice(chunk);
            }
        }
        out.push(OPTION_END);
        if out.len() < MIN_MESSAGE_BYTES {
            out.resize(MIN_MESSAGE_BYTES, OPTION_PAD);
        }
        if out.len() > MAX_DATAGRAM_BYTES {
            return Err(EncodeError::TooLong {
                len: out.len(),
                max: MAX_DATAGRAM_BYTES,
            });
        }
        Ok(out)
    }

    /// The client's MAC address, when the hardware type is Ethernet with a 6-byte address.
    pub fn mac(&self) -> Option<Mac> {
        if self.htype != 1 || self.hlen != 6 {
            return None;
        }
        let mut mac = [0; 6];
        mac.copy_from_slice(&self.chaddr[..6]);
        Some(Mac(mac))
    }

    /// Whether the client asked for a broadcast reply.
    pub fn broadcast(&self) -> bool {
        self.flags & FLAG_BROADCAST != 0
    }

    /// The value of option `code`, if present.
    pub fn option(&self, code: u8) -> Option<&[u8]> {
        find(&self.options, code)
    }

    /// Sets option `code` to `data`: replaces the value in place when present, else appends it.
    pub fn set_option(&mut self, code: u8, data: Vec<u8>) {
        match self.options.iter_mut().find(|o| o.code == code) {
            Some(o) => o.data = data,
            None => self.options.push(DhcpOption { code, data }),
        }
    }

    /// Removes option `code`, returning its value.
    pub fn remove_option(&mut self, code: u8) -> Option<Vec<u8>> {
        let at = self.options.iter().position(|o| o.code == code)?;
        Some(self.options.remove(at).data)
    }
}

/// Reads the options of one field into `out`, joining repeated codes (RFC 3396). Stops at 255 or
/// at the end of the field.
fn read_options(field: &[u8], out: &mut Vec<DhcpOption>) -> Result<(), DecodeError> {
    let mut at = 0;
    while let Some(&code) = field.get(at) {
        match code {
            OPTION_PAD => at += 1,
            OPTION_END => break,
            _ => {
                let len = field.get(at + 1).map_or(usize::MAX, |l| usize::from(*l));
                let value = field.get(at + 2..).and_then(|rest| rest.get(..len)).ok_or(
                    DecodeError::TruncatedOption {
                        code,
                        offset: at,
                        len,
                    },
                )?;
                match out.iter_mut().find(|o| o.code == code) {
                    Some(o) => o.data.extend_from_slice(value),
                    None => out.push(DhcpOption {
                        code,
                        data: value.to_vec(),
                    }),
                }
                at += 2 + len;
            }
        }
    }
    Ok(())
}

fn find(options: &[DhcpOption], code: u8) -> Option<&[u8]> {
    options
        .iter()
        .find(|o| o.code == code)
        .map(|o| o.data.as_slice())
}

fn ip_at(buf: &[u8], at: usize) -> Ipv4Addr {
    Ipv4Addr::new(buf[at], buf[at + 1], buf[at + 2], buf[at + 3])
}

/// The bytes of a NUL-padded field up to its first NUL.
fn c_string(field: &[u8]) -> Vec<u8> {
    let end = field.iter().position(|b| *b == 0).unwrap_or(field.len());
    field[..end].to_vec()
}

fn put_field(out: &mut Vec<u8>, value: &[u8], width: usize) {
    out.extend_from_slice(value);
    out.resize(out.len() + width - value.len(), 0);
}

#[cfg(test)]
mod tests;
