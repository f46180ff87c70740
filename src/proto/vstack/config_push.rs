//! Type 3 — config / TFTP-URL push, 312 bytes (smart-install.md §3.4): SIET `-c`/`-C`, SIET's
//! 2016 test mode and smi_check v1. The client TFTP-downloads the URL and, with the reload flag,
//! reloads on it at HH:MM.
//!
//! | Message offset | Size | Field |
//! |---|---|---|
//! | 16 | 4 | [`ConfigPush::op_code`] (3) |
//! | 20 | 16 | [`ConfigPush::unknown_20`] (0, 0, 2, 0) |
//! | 36 | 12 | [`ConfigPush::reload`] (flag, hour, minute) |
//! | 48 | 132 | [`ConfigPush::name_slot`] (zeros; **\[hypothesis\]** second URL/name slot) |
//! | 180 | 132 | [`ConfigPush::url`] (`tftp://<host>/<file>`) |
//!
//! Inputs: a payload of exactly [`ConfigPush::PAYLOAD_LEN`] bytes cut by the framer; every word
//! and slot is kept as received.

use super::error::EncodeError;
use super::field::{FixedText, Reader, ReloadSchedule, put_u32s};

/// A type-3 config push.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ConfigPush {
    /// Offset 16: **\[hypothesis\]** the operation code repeated (3).
    pub op_code: u32,
    /// Offsets 20, 24, 28, 32: unknown words; SIET sends 0, 0, 2, 0.
    pub unknown_20: [u32; 4],
    /// Offsets 36–47: reload flag and HH:MM.
    pub reload: ReloadSchedule,
    /// Offset 48: 132 bytes, zeros in every known tool.
    pub name_slot: FixedText<132>,
    /// Offset 180: 132 bytes, the config URL.
    pub url: FixedText<132>,
}

impl ConfigPush {
    /// Payload bytes after the header (0x128).
    pub const PAYLOAD_LEN: u32 = 0x128;

    /// The SIET layout: push `url`, with a reload at `reload` when given.
    pub fn new(url: &[u8], reload: ReloadSchedule) -> Result<Self, EncodeError> {
        Ok(Self {
            op_code: super::TYPE_CONFIG,
            unknown_20: [0, 0, 2, 0],
            reload,
            name_slot: FixedText::empty(),
            url: FixedText::new("config_url", url)?,
        })
    }

    pub(crate) fn read(payload: &[u8]) -> Option<Self> {
        let mut r = Reader::new(payload);
        Some(Self {
            op_code: r.u32()?,
            unknown_20: [r.u32()?, r.u32()?, r.u32()?, r.u32()?],
            reload: ReloadSchedule::read(&mut r)?,
            name_slot: r.text()?,
            url: r.text()?,
        })
    }

    pub(crate) fn write(&self, out: &mut Vec<u8>) {
        put_u32s(out, &[self.op_code]);
        put_u32s(out, &self.unknown_20);
        self.reload.write(out);
        out.extend_from_slice(self.name_slot.raw());
        out.extend_from_slice(self.url.raw());
    }
}
