//! Type 5 with `w0 = 2` — "execute", 544 bytes (smart-install.md §3.7): SIET `-e`. The client
//! TFTP-fetches a file of quoted CLI lines and runs them without reload (3.6.0E+ / 15.2(2)E+).
//!
//! | Message offset | Size | Field |
//! |---|---|---|
//! | 16 | 4 | [`Execute::unknown_16`] (1) |
//! | 20 | 128 | [`Execute::slot_1`] (zeros) |
//! | 148 | 264 | [`Execute::slot_2`] (zeros) |
//! | 412 | 131 | [`Execute::url`] (`tftp://<host>/<file>`) |
//! | 543 | 1 | [`Execute::trailer`] (0x01) |
//!
//! Inputs: a payload of exactly [`Execute::PAYLOAD_LEN`] bytes cut by the framer; every word and
//! slot is kept as received. The header's `w0` is kept by [`super::Message`].

use super::error::EncodeError;
use super::field::{FixedText, Reader, put_u32s};

/// A type-5 execute request.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Execute {
    /// Offset 16: unknown (1).
    pub unknown_16: u32,
    /// Offset 20: 128 bytes, zeros in SIET (meaning unknown).
    pub slot_1: FixedText<128>,
    /// Offset 148: 264 bytes, zeros in SIET (meaning unknown).
    pub slot_2: FixedText<264>,
    /// Offset 412: 131 bytes, the URL of the command file.
    pub url: FixedText<131>,
    /// Offset 543: trailer byte (0x01).
    pub trailer: u8,
}

impl Execute {
    /// Payload bytes after the header (0x210).
    pub const PAYLOAD_LEN: u32 = 0x210;
    /// The `w0` SIET sends with this message.
    pub const W0: u32 = 2;

    /// The SIET layout for the command-file `url`.
    pub fn new(url: &[u8]) -> Result<Self, EncodeError> {
        Ok(Self {
            unknown_16: 1,
            slot_1: FixedText::empty(),
            slot_2: FixedText::empty(),
            url: FixedText::new("command_file_url", url)?,
            trailer: 1,
        })
    }

    pub(crate) fn read(payload: &[u8]) -> Option<Self> {
        let mut r = Reader::new(payload);
        Some(Self {
            unknown_16: r.u32()?,
            slot_1: r.text()?,
            slot_2: r.text()?,
            url: r.text()?,
            trailer: r.u8()?,
        })
    }

    pub(crate) fn write(&self, out: &mut Vec<u8>) {
        put_u32s(out, &[self.unknown_16]);
        out.extend_from_slice(self.slot_1.raw());
        out.extend_from_slice(self.slot_2.raw());
        out.extend_from_slice(self.url.raw());
        out.push(self.trailer);
    }
}
