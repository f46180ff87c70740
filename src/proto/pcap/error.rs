//! The typed errors of the capture parser. Every variant names the file offset of the header or
//! block at fault and the numbers involved (declared length, limit), never formatted text
//! (STYLE.md §2.2). Inputs: the bytes described are untrusted.

/// Why a capture file could not be parsed further.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CaptureError {
    /// The file holds no bytes at all.
    #[error("the capture file is empty")]
    Empty,
    /// The first four bytes are neither a pcap magic nor a pcapng Section Header Block.
    #[error("not a pcap or pcapng file: magic {magic:02x?}")]
    NotACapture {
        /// The first four bytes of the file.
        magic: [u8; 4],
    },
    /// A version this parser does not know (pcap 2.x and pcapng 1.x are supported).
    #[error("unsupported capture format version {major}.{minor} at offset {offset}")]
    UnsupportedVersion {
        /// File offset of the header.
        offset: u64,
        /// Major version.
        major: u16,
        /// Minor version.
        minor: u16,
    },
    /// A pcapng block whose framing or body is malformed.
    #[error("malformed pcapng block of type {block_type:#x} at offset {offset}: {defect}")]
    BadBlock {
        /// File offset of the block.
        offset: u64,
        /// The block type.
        block_type: u32,
        /// What is wrong.
        defect: BlockDefect,
    },
    /// A pcapng block longer than [`super::CaptureLimits::max_block_bytes`].
    #[error("pcapng block at offset {offset} declares {length} bytes, above the limit of {limit}")]
    BlockTooLarge {
        /// File offset of the block.
        offset: u64,
        /// The declared block length.
        length: u32,
        /// The limit in bytes.
        limit: usize,
    },
    /// A record that captured more bytes than [`super::CaptureLimits::max_record_bytes`].
    #[error("record at offset {offset} captured {captured_len} bytes, above the limit of {limit}")]
    RecordTooLarge {
        /// File offset of the record header or block.
        offset: u64,
        /// The captured length the record declares.
        captured_len: u32,
        /// The limit in bytes.
        limit: usize,
    },
    /// A packet block names an interface the section has not described.
    #[error(
        "packet block at offset {offset} names interface {interface}, the section describes {known}"
    )]
    UnknownInterface {
        /// File offset of the block.
        offset: u64,
        /// The interface ID in the block.
        interface: u32,
        /// How many interfaces the section described before it.
        known: usize,
    },
    /// A section describes more interfaces than [`super::CaptureLimits::max_interfaces`].
    #[error("interface description at offset {offset} exceeds the limit of {limit} interfaces")]
    TooManyInterfaces {
        /// File offset of the Interface Description Block.
        offset: u64,
        /// The limit.
        limit: usize,
    },
    /// The file ends inside a header, block or record.
    #[error(
        "the capture is truncated at offset {offset}: {needed} bytes needed, {available} present"
    )]
    Truncated {
        /// File offset of the incomplete item.
        offset: u64,
        /// Bytes the item needs.
        needed: usize,
        /// Bytes present before the end of the file.
        available: usize,
    },
}

/// What is wrong with a pcapng block.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BlockDefect {
    /// The byte-order magic of a Section Header Block is neither `1a2b3c4d` nor `4d3c2b1a`.
    #[error("byte-order magic is not 1a2b3c4d")]
    ByteOrderMagic,
    /// The total length is below the 12-byte minimum.
    #[error("total length {0} is below 12")]
    LengthTooSmall(u32),
    /// The total length is not a multiple of 4.
    #[error("total length {0} is not a multiple of 4")]
    LengthNotAligned(u32),
    /// The trailing copy of the total length differs from the leading one.
    #[error("trailing length {trailer} differs from the leading length {leading}")]
    TrailerMismatch {
        /// The length at the start of the block.
        leading: u32,
        /// The length at the end of the block.
        trailer: u32,
    },
    /// The body is shorter than the fixed fields of its block type.
    #[error("body of {available} bytes is shorter than the {needed} fixed bytes")]
    BodyTooShort {
        /// Bytes the fixed fields need.
        needed: usize,
        /// Bytes in the body.
        available: usize,
    },
    /// The captured length runs past the end of the block.
    #[error("captured length {captured_len} runs past the block body of {available} bytes")]
    CapturedLengthExceedsBlock {
        /// The declared captured length.
        captured_len: u32,
        /// Bytes available for packet data.
        available: usize,
    },
    /// An option's length runs past the end of the block.
    #[error("option {code} of {length} bytes runs past the end of the block")]
    OptionOverrun {
        /// The option code.
        code: u16,
        /// The declared option length.
        length: u16,
    },
}
