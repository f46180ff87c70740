//! The "hello" probe and the client's replies (smart-install.md §3.1–§3.3).
//!
//! | Form | Header type / length | Payload | Bytes |
//! |---|---|---|---|
//! | [`Probe::Hello`] | 4 / 8 | u32 1, u32 0 | 24 |
//! | [`Probe::Short`] (Greenbone) | 3 / 1 | one byte 0x00 | 17 |
//! | [`ProbeReply::Hello`] | 3 / 8 | u32 1, u32 0 | 24 |
//! | [`ProbeReply::Status`] | 4 / 4 | u32 1 | 20 |
//!
//! Inputs: payloads of exactly the documented size, cut by the framer. Every value is kept as
//! received, so unusual payload words survive a round trip and can be inspected.

use super::field::{Reader, put_u32s};

/// A scanner's or director's probe.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Probe {
    /// Type 4, length 8: the 24-byte probe of smi_check, SIET, Metasploit, Tsunami (§3.1).
    Hello {
        /// First payload word (1 in every known tool).
        word1: u32,
        /// Second payload word (0 in every known tool).
        word2: u32,
    },
    /// Type 3, length 1: the 17-byte Greenbone probe (§3.3).
    Short {
        /// The payload byte (0x00 in Greenbone).
        byte: u8,
    },
}

impl Probe {
    /// The documented 24-byte probe (payload `1, 0`).
    pub const HELLO: Self = Self::Hello { word1: 1, word2: 0 };
    /// The documented 17-byte probe (payload `00`).
    pub const SHORT: Self = Self::Short { byte: 0 };

    pub(crate) fn msg_type(&self) -> u32 {
        match self {
            Self::Hello { .. } => super::TYPE_PROBE,
            Self::Short { .. } => super::TYPE_CONFIG,
        }
    }

    pub(crate) fn read_hello(payload: &[u8]) -> Option<Self> {
        let mut r = Reader::new(payload);
        Some(Self::Hello {
            word1: r.u32()?,
            word2: r.u32()?,
        })
    }

    pub(crate) fn read_short(payload: &[u8]) -> Option<Self> {
        Some(Self::Short {
            byte: Reader::new(payload).u8()?,
        })
    }

    pub(crate) fn write(&self, out: &mut Vec<u8>) {
        match self {
            Self::Hello { word1, word2 } => put_u32s(out, &[*word1, *word2]),
            Self::Short { byte } => out.push(*byte),
        }
    }
}

/// A client's answer to a probe.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ProbeReply {
    /// Type 3, length 8: the 24-byte reply that scanners match exactly (§3.2).
    Hello {
        /// First payload word (1).
        word1: u32,
        /// Second payload word (0).
        word2: u32,
    },
    /// Type 4, length 4: the 20-byte reply to the short probe and to foreign probes (§3.3);
    /// **\[hypothesis\]** a generic acknowledgement or "unsupported message" status.
    Status {
        /// The status word (1).
        status: u32,
    },
}

impl ProbeReply {
    /// The documented 24-byte reply.
    pub const HELLO: Self = Self::Hello { word1: 1, word2: 0 };
    /// The documented 20-byte reply.
    pub const STATUS: Self = Self::Status { status: 1 };

    pub(crate) fn msg_type(&self) -> u32 {
        match self {
            Self::Hello { .. } => super::TYPE_CONFIG,
            Self::Status { .. } => super::TYPE_PROBE,
        }
    }

    pub(crate) fn read_hello(payload: &[u8]) -> Option<Self> {
        let mut r = Reader::new(payload);
        Some(Self::Hello {
            word1: r.u32()?,
            word2: r.u32()?,
        })
    }

    pub(crate) fn read_status(payload: &[u8]) -> Option<Self> {
        Some(Self::Status {
            status: Reader::new(payload).u32()?,
        })
    }

    pub(crate) fn write(&self, out: &mut Vec<u8>) {
        match self {
            Self::Hello { word1, word2 } => put_u32s(out, &[*word1, *word2]),
            Self::Status { status } => put_u32s(out, &[*status]),
        }
    }
}
