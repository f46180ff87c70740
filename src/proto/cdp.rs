//! Cisco Discovery Protocol (CDP v1/v2) codec: one captured Ethernet frame in, one typed
//! [`Frame`] out, and back. Pure and bounded: no sockets, no clock, no panics on any input.
//!
//! Layout (no public RFC; the field layout is the one Cisco documents for CDP and that
//! Wireshark's `packet-cdp.c` dissects):
//!
//! ```text
//! Ethernet  dst 01:00:0c:cc:cc:cc | src | [8100 TCI] | 802.3 length (≤ 1500)
//! LLC/SNAP  AA AA 03 | OUI 00 00 0C | PID 20 00
//! CDP       version:u8 (1|2) | ttl:u8 (s) | checksum:u16 | TLV*
//! TLV       type:u16 | length:u16 (includes these 4 bytes) | value
//! ```
//!
//! Decoded TLVs: Device ID (0x0001), Addresses (0x0002), Port ID (0x0003), Capabilities
//! (0x0004), Software Version (0x0005), Platform (0x0006), VTP management domain (0x0009),
//! Native VLAN (0x000a), Duplex (0x000b) and Management addresses (0x0016). Every other TLV is
//! kept as [`Tlv::Unknown`] with its bytes. An address entry is `protocol type:u8 (1 = NLPID,
//! 2 = 802.2) | protocol length:u8 | protocol | address length:u16 | address`; NLPID `CC` is
//! IPv4 and the 802.2 protocol `AA AA 03 00 00 00 86 DD` is IPv6.
//!
//! Checksum ([`checksum`]): the RFC 1071 Internet checksum over the CDP PDU (from the version
//! byte to the end of the last TLV, with the checksum field as zero). For an odd-length PDU,
//! Cisco does not pad with a zero byte as RFC 1071 says: it adds the last byte to its 32-bit
//! accumulator as a *signed char* (`+b`, or `b - 0x100` when the top bit is set) and then folds
//! the carries. We implement exactly that; Wireshark verifies the same value (its
//! `packet-cdp.c` emulates it with a byte swap and an off-by-one correction), which the fixtures
//! check. For even lengths it is plain RFC 1071.
//!
//! Inputs: frames captured on a management interface — attacker-controlled. Bounds: a frame is
//! at most [`MAX_FRAME_BYTES`]; the PDU is what the 802.3 length field says (≤ 1500 bytes, so
//! padding is ignored and a length beyond the capture is an error); at most [`MAX_TLVS`] TLVs
//! and [`MAX_ADDRESSES`] addresses per address TLV; a checksum mismatch rejects the frame.
//! Text TLVs are decoded as UTF-8, with invalid bytes replaced by U+FFFD (display only; the
//! encoder always writes valid UTF-8).

mod checksum;
mod decode;
mod encode;
mod types;

pub use checksum::checksum;
pub use decode::{decode_frame, decode_pdu};
pub use encode::{encode_frame, encode_pdu};
pub use types::{Address, Capabilities, Duplex, Frame, Neighbor, Pdu, Tlv, Version};

/// The CDP multicast destination address.
pub const CDP_MULTICAST: [u8; 6] = [0x01, 0x00, 0x0c, 0xcc, 0xcc, 0xcc];
/// LLC/SNAP header that precedes every CDP PDU: DSAP/SSAP `AA`, UI, Cisco OUI, PID 0x2000.
pub const LLC_SNAP: [u8; 8] = [0xaa, 0xaa, 0x03, 0x00, 0x00, 0x0c, 0x20, 0x00];
/// Largest captured frame accepted: 1500-byte payload, MAC header, an 802.1Q tag and an FCS.
pub const MAX_FRAME_BYTES: usize = 1522;
/// Largest 802.3 payload (the length field's maximum).
pub const MAX_PAYLOAD_BYTES: usize = 1500;
/// Largest CDP PDU: the 802.3 payload minus the LLC/SNAP header.
pub const MAX_PDU_BYTES: usize = MAX_PAYLOAD_BYTES - LLC_SNAP.len();
/// Most TLVs in one PDU.
pub const MAX_TLVS: usize = 64;
/// Most addresses in one Addresses or Management addresses TLV.
pub const MAX_ADDRESSES: usize = 16;
/// Shortest Ethernet frame without FCS; the encoder pads to it.
pub const MIN_FRAME_BYTES: usize = 60;
/// TTL real switches advertise (seconds).
pub const DEFAULT_TTL_SECS: u8 = 180;

/// TLV type codes (Wireshark `packet-cdp.c` names).
pub mod tlv_type {
    /// Device ID (the hostname, or a serial/MAC on some platforms).
    pub const DEVICE_ID: u16 = 0x0001;
    /// Addresses of the sending interface.
    pub const ADDRESSES: u16 = 0x0002;
    /// Port ID: the sending interface's name.
    pub const PORT_ID: u16 = 0x0003;
    /// Capabilities bitmap.
    pub const CAPABILITIES: u16 = 0x0004;
    /// Software version (`show version` first lines).
    pub const SOFTWARE_VERSION: u16 = 0x0005;
    /// Platform (`cisco <PID>`).
    pub const PLATFORM: u16 = 0x0006;
    /// VTP management domain.
    pub const VTP_DOMAIN: u16 = 0x0009;
    /// Native VLAN of the sending port.
    pub const NATIVE_VLAN: u16 = 0x000a;
    /// Duplex of the sending port.
    pub const DUPLEX: u16 = 0x000b;
    /// Management addresses.
    pub const MANAGEMENT_ADDRESSES: u16 = 0x0016;
}

/// Why a frame or PDU could not be decoded.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The input ended inside a header or field.
    #[error("truncated {what}: need {needed} bytes, {available} available")]
    Truncated {
        /// What was being read.
        what: &'static str,
        /// Bytes it needs.
        needed: usize,
        /// Bytes left.
        available: usize,
    },
    /// The frame is longer than [`MAX_FRAME_BYTES`].
    #[error("frame of {actual} bytes exceeds {max}")]
    FrameTooLong {
        /// The limit.
        max: usize,
        /// The frame length.
        actual: usize,
    },
    /// The destination is not the CDP multicast address.
    #[error("destination {destination:02x?} is not the CDP multicast address")]
    NotCdpDestination {
        /// The destination MAC.
        destination: [u8; 6],
    },
    /// The type/length field is an EtherType (Ethernet II), not an 802.3 length.
    #[error("Ethernet II frame (type {ethertype:#06x}), CDP uses 802.3 with LLC/SNAP")]
    NotLength {
        /// The value found.
        ethertype: u16,
    },
    /// The 802.3 length is larger than the bytes captured.
    #[error("802.3 length {declared} exceeds the {available} bytes captured")]
    LengthBeyondFrame {
        /// The length field.
        declared: usize,
        /// Bytes after the length field.
        available: usize,
    },
    /// The LLC/SNAP header is not Cisco's CDP one.
    #[error("LLC/SNAP header {found:02x?} is not CDP's")]
    NotCdpSnap {
        /// The 8 bytes found.
        found: [u8; 8],
    },
    /// The CDP PDU is longer than [`MAX_PDU_BYTES`].
    #[error("CDP PDU of {actual} bytes exceeds {max}")]
    PduTooLong {
        /// The limit.
        max: usize,
        /// The PDU length.
        actual: usize,
    },
    /// A CDP version other than 1 or 2.
    #[error("unsupported CDP version {version}")]
    UnsupportedVersion {
        /// The version byte.
        version: u8,
    },
    /// The checksum does not match the PDU.
    #[error("checksum {declared:#06x} does not match the computed {computed:#06x}")]
    ChecksumMismatch {
        /// Checksum in the header.
        declared: u16,
        /// Checksum computed over the PDU.
        computed: u16,
    },
    /// A TLV's length is below 4 or runs past the PDU.
    #[error("TLV {kind:#06x} at offset {offset} has length {length}, {available} bytes left")]
    TlvLength {
        /// PDU offset of the TLV.
        offset: usize,
        /// TLV type.
        kind: u16,
        /// Its length field.
        length: usize,
        /// Bytes left in the PDU from the TLV's start.
        available: usize,
    },
    /// More than [`MAX_TLVS`] TLVs.
    #[error("more than {max} TLVs")]
    TooManyTlvs {
        /// The limit.
        max: usize,
    },
    /// A fixed-size TLV (capabilities, native VLAN, duplex) has the wrong value size.
    #[error("TLV {kind:#06x} value has {actual} bytes, expected {expected}")]
    FixedLength {
        /// TLV type.
        kind: u16,
        /// Expected value size.
        expected: usize,
        /// Value size found.
        actual: usize,
    },
    /// An address TLV declares more than [`MAX_ADDRESSES`] entries.
    #[error("TLV {kind:#06x} declares {declared} addresses, at most {max} accepted")]
    TooManyAddresses {
        /// TLV type.
        kind: u16,
        /// The count field.
        declared: u32,
        /// The limit.
        max: usize,
    },
    /// An address entry runs past its TLV, or its TLV has bytes after the last entry.
    #[error("TLV {kind:#06x}: address entry {index} is malformed")]
    AddressEntry {
        /// TLV type.
        kind: u16,
        /// Index of the entry.
        index: usize,
    },
}

/// Why a PDU could not be encoded.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    /// A TLV value does not fit the 16-bit length field.
    #[error("TLV {kind:#06x} value of {actual} bytes does not fit a TLV")]
    TlvTooLong {
        /// TLV type.
        kind: u16,
        /// The value size.
        actual: usize,
    },
    /// The PDU exceeds [`MAX_PDU_BYTES`] (or more than [`MAX_TLVS`] TLVs).
    #[error("PDU of {actual} bytes / {tlvs} TLVs exceeds {max} bytes / {max_tlvs} TLVs")]
    PduTooLong {
        /// The PDU size.
        actual: usize,
        /// The TLV count.
        tlvs: usize,
        /// The byte limit.
        max: usize,
        /// The TLV limit.
        max_tlvs: usize,
    },
    /// An address TLV with more than [`MAX_ADDRESSES`] entries, or an entry whose protocol
    /// does not fit its 8-bit length field.
    #[error("TLV {kind:#06x}: {count} addresses (at most {max}) or an oversized entry")]
    Addresses {
        /// TLV type.
        kind: u16,
        /// The number of entries.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// A VLAN ID outside 0..=4095 for the 802.1Q tag.
    #[error("VLAN {vlan} does not fit an 802.1Q tag")]
    Vlan {
        /// The VLAN ID.
        vlan: u16,
    },
}

#[cfg(test)]
mod tests;
