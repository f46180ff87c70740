//! Capture-file framing: classic pcap and pcapng, parsed from borrowed bytes into [`Record`]s
//! that point into the caller's buffer. Pure and sans-IO: the caller (`edge::capture_file`)
//! reads the file in large chunks and hands the unconsumed bytes to [`CaptureParser::parse`];
//! the parser never copies packet data and never allocates per record.
//!
//! Formats:
//! - classic pcap: magic `a1b2c3d4` (microsecond) or `a1b23c4d` (nanosecond) in either byte
//!   order, a 24-byte file header and 16-byte record headers ([`classic`]);
//! - pcapng: sections opened by a Section Header Block in either byte order, Interface
//!   Description Blocks (link type, snap length, `if_tsresol`, `if_tsoffset`), Enhanced,
//!   Simple and obsolete Packet Blocks; every other block type is skipped by its length ([`ng`]).
//!
//! Inputs: the file is supplied by the operator but its packets, and possibly its framing, were
//! produced by untrusted parties. Every length is checked against the input and against
//! [`CaptureLimits`] before it is used; a malformed header is a typed [`CaptureError`] carrying
//! the byte offset of the header, never a panic. "Need more bytes" is [`Parsed::NeedMore`], not
//! an error; at end of file the caller asks [`CaptureParser::finish`] whether leftover bytes
//! mean a truncated file. [`build`] writes both formats for tests and generators.

pub mod build;
mod classic;
mod error;
mod ng;

#[cfg(test)]
mod tests;

pub use error::{BlockDefect, CaptureError};

use classic::ClassicHeader;
use ng::Section;

/// The link-layer header type of a capture (tcpdump.org `LINKTYPE_*` values).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LinkType {
    /// BSD loopback (0): a 4-byte address family in the capturing host's byte order.
    Null,
    /// Ethernet II / IEEE 802.3 (1).
    Ethernet,
    /// Raw IPv4 or IPv6, told apart by the version nibble (101; also 12 and 14 on some systems).
    Raw,
    /// Linux "cooked" capture v1 (113): a 16-byte header.
    LinuxSll,
    /// Linux "cooked" capture v2 (276): a 20-byte header.
    LinuxSll2,
    /// Raw IPv4 only (228).
    Ipv4,
    /// Raw IPv6 only (229).
    Ipv6,
    /// Any other link type, kept as its number.
    Other(u32),
}

impl LinkType {
    /// The link type for a `LINKTYPE_*` number (the `DLT_*` aliases 12 and 14 are raw IP).
    pub fn from_u32(value: u32) -> Self {
        match value {
            0 => Self::Null,
            1 => Self::Ethernet,
            12 | 14 | 101 => Self::Raw,
            113 => Self::LinuxSll,
            276 => Self::LinuxSll2,
            228 => Self::Ipv4,
            229 => Self::Ipv6,
            other => Self::Other(other),
        }
    }

    /// The `LINKTYPE_*` number written to files (101 for raw IP).
    pub fn to_u32(self) -> u32 {
        match self {
            Self::Null => 0,
            Self::Ethernet => 1,
            Self::Raw => 101,
            Self::LinuxSll => 113,
            Self::LinuxSll2 => 276,
            Self::Ipv4 => 228,
            Self::Ipv6 => 229,
            Self::Other(value) => value,
        }
    }
}

/// The container format, known once the first header has been parsed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Classic pcap; `nanos` is true for the nanosecond magic `a1b23c4d`.
    Pcap {
        /// Timestamps carry nanoseconds instead of microseconds.
        nanos: bool,
    },
    /// pcapng.
    PcapNg,
}

/// The byte order of a file (classic pcap) or of a section (pcapng).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ByteOrder {
    /// Least significant byte first.
    Little,
    /// Most significant byte first.
    Big,
}

/// One captured packet, borrowed from the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record<'a> {
    /// Capture time in nanoseconds since the Unix epoch (0 for pcapng Simple Packet Blocks,
    /// which carry no timestamp).
    pub timestamp_ns: u64,
    /// The link type of the interface the packet was captured on.
    pub link: LinkType,
    /// The captured bytes (possibly cut by the snap length).
    pub data: &'a [u8],
    /// The length of the packet on the wire.
    pub original_len: u32,
}

/// The outcome of one [`CaptureParser::parse`] call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Parsed<'a> {
    /// The input holds an incomplete header or block: call again with at least `at_least`
    /// bytes (counted from the start of the same input).
    NeedMore {
        /// Minimum input length the next call needs.
        at_least: usize,
    },
    /// A packet; the caller drops `consumed` bytes (always `1..=input.len()`) before the next call.
    Record {
        /// Bytes of input used by this record.
        consumed: usize,
        /// The packet.
        record: Record<'a>,
    },
    /// A header or block without a packet (file header, interface description, statistics,
    /// unknown blocks); the caller drops `consumed` bytes (always `1..=input.len()`).
    Skipped {
        /// Bytes of input used by the header or block.
        consumed: usize,
    },
}

/// Bounds on what one capture may make the parser and its caller hold in memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CaptureLimits {
    /// Largest captured packet accepted, in bytes (default 256 KiB, tcpdump's default snap
    /// length).
    pub max_record_bytes: usize,
    /// Largest pcapng block accepted, in bytes, header, options and padding included.
    pub max_block_bytes: usize,
    /// Most interfaces one pcapng section may describe.
    pub max_interfaces: usize,
}

impl Default for CaptureLimits {
    fn default() -> Self {
        Self {
            max_record_bytes: DEFAULT_MAX_RECORD_BYTES,
            max_block_bytes: DEFAULT_MAX_BLOCK_BYTES,
            max_interfaces: DEFAULT_MAX_INTERFACES,
        }
    }
}

impl CaptureLimits {
    /// The most bytes a single [`Parsed::NeedMore`] can ask for under these limits: a buffer of
    /// this size always suffices.
    pub fn max_item_bytes(&self) -> usize {
        self.max_block_bytes
            .max(
                self.max_record_bytes
                    .saturating_add(classic::RECORD_HEADER_BYTES),
            )
            .max(classic::FILE_HEADER_BYTES)
    }
}

/// The incremental capture parser: feed it the unconsumed bytes of the file, drop what it
/// reports as consumed, repeat.
#[derive(Clone, Debug)]
pub struct CaptureParser {
    limits: CaptureLimits,
    state: State,
    /// File offset of the first byte of the next input.
    offset: u64,
}

#[derive(Clone, Debug)]
enum State {
    /// Nothing parsed yet: the magic decides the format.
    Start,
    Pcap(ClassicHeader),
    PcapNg(Section),
}

impl CaptureParser {
    /// A parser for a new file.
    pub fn new(limits: CaptureLimits) -> Self {
        Self {
            limits,
            state: State::Start,
            offset: 0,
        }
    }

    /// Parses the next header, block or record from `input`, the unconsumed bytes of the file
    /// starting where the previous call stopped.
    ///
    /// # Errors
    /// A [`CaptureError`] for bytes that are not a capture, a malformed header or block, or a
    /// limit exceeded. The parser is not meant to be resumed after an error.
    pub fn parse<'a>(&mut self, input: &'a [u8]) -> Result<Parsed<'a>, CaptureError> {
        let parsed = match &mut self.state {
            State::Pcap(header) => classic::parse_record(header, input, self.offset, &self.limits)?,
            State::PcapNg(section) => section.parse_block(input, self.offset, &self.limits)?,
            State::Start => self.parse_start(input)?,
        };
        match parsed {
            Parsed::Record { consumed, .. } | Parsed::Skipped { consumed } => {
                self.offset = self.offset.saturating_add(consumed as u64);
            }
            Parsed::NeedMore { .. } => {}
        }
        Ok(parsed)
    }

    /// The format, once the first header has been parsed.
    pub fn format(&self) -> Option<Format> {
        match &self.state {
            State::Start => None,
            State::Pcap(header) => Some(Format::Pcap {
                nanos: header.nanos,
            }),
            State::PcapNg(_) => Some(Format::PcapNg),
        }
    }

    /// File offset of the next byte to parse (the sum of everything consumed so far).
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Checks the end of the file: `rest` is what was left unconsumed when the input ended.
    ///
    /// # Errors
    /// [`CaptureError::Empty`] for a file without a single byte, [`CaptureError::Truncated`]
    /// when bytes are left over (a header or record cut short), or the error `rest` itself
    /// produces.
    pub fn finish(&mut self, rest: &[u8]) -> Result<(), CaptureError> {
        if rest.is_empty() {
            return match self.state {
                State::Start => Err(CaptureError::Empty),
                _ => Ok(()),
            };
        }
        let needed = match self.parse(rest)? {
            Parsed::NeedMore { at_least } => at_least,
            // The caller stopped early: the bytes were complete after all.
            Parsed::Record { .. } | Parsed::Skipped { .. } => rest.len(),
        };
        Err(CaptureError::Truncated {
            offset: self.offset,
            needed,
            available: rest.len(),
        })
    }

    fn parse_start<'a>(&mut self, input: &'a [u8]) -> Result<Parsed<'a>, CaptureError> {
        let Some(magic) = input.first_chunk::<4>() else {
            return Ok(Parsed::NeedMore { at_least: 4 });
        };
        if *magic == ng::SHB_TYPE_BYTES {
            let mut section = Section::new();
            let parsed = section.parse_block(input, self.offset, &self.limits)?;
            if !matches!(parsed, Parsed::NeedMore { .. }) {
                self.state = State::PcapNg(section);
            }
            return Ok(parsed);
        }
        match classic::parse_file_header(input, self.offset)? {
            Some(header) => {
                self.state = State::Pcap(header);
                Ok(Parsed::Skipped {
                    consumed: classic::FILE_HEADER_BYTES,
                })
            }
            None => Ok(Parsed::NeedMore {
                at_least: classic::FILE_HEADER_BYTES,
            }),
        }
    }
}

// === impl ByteOrder ===

impl ByteOrder {
    fn u16(self, bytes: [u8; 2]) -> u16 {
        match self {
            Self::Little => u16::from_le_bytes(bytes),
            Self::Big => u16::from_be_bytes(bytes),
        }
    }

    fn u32(self, bytes: [u8; 4]) -> u32 {
        match self {
            Self::Little => u32::from_le_bytes(bytes),
            Self::Big => u32::from_be_bytes(bytes),
        }
    }

    fn u16_at(self, input: &[u8], at: usize) -> Option<u16> {
        let bytes = input.get(at..at.checked_add(2)?)?;
        Some(self.u16(bytes.try_into().ok()?))
    }

    fn u32_at(self, input: &[u8], at: usize) -> Option<u32> {
        let bytes = input.get(at..at.checked_add(4)?)?;
        Some(self.u32(bytes.try_into().ok()?))
    }

    fn u64_at(self, input: &[u8], at: usize) -> Option<u64> {
        let bytes: [u8; 8] = input.get(at..at.checked_add(8)?)?.try_into().ok()?;
        Some(match self {
            Self::Little => u64::from_le_bytes(bytes),
            Self::Big => u64::from_be_bytes(bytes),
        })
    }
}

/// Default [`CaptureLimits::max_record_bytes`]: 256 KiB.
pub const DEFAULT_MAX_RECORD_BYTES: usize = 256 * 1024;
/// Default [`CaptureLimits::max_block_bytes`]: a full record plus 64 KiB of options.
pub const DEFAULT_MAX_BLOCK_BYTES: usize = DEFAULT_MAX_RECORD_BYTES + 64 * 1024;
/// Default [`CaptureLimits::max_interfaces`].
pub const DEFAULT_MAX_INTERFACES: usize = 1024;
