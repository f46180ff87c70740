//! Type 2 — image upgrade via an image-list URL, 468 bytes (smart-install.md §3.6): SIET `-u`.
//! The client TFTP-fetches the image list, then the `.tar` image it names, and reloads now or at
//! HH:MM.
//!
//! | Message offset | Size | Field | Immediate | Scheduled |
//! |---|---|---|---|---|
//! | 16 | 4 | [`ImageUpgrade::op_code`] | 2 | 2 |
//! | 20 | 4 | [`ImageUpgrade::flags`] | 0x821 | 0x801 |
//! | 24 | 8 | [`ImageUpgrade::unknown_24`] | 0, 0 | 0, 0 |
//! | 32 | 4 | [`ImageUpgrade::reload_now`] | 1 | 0 |
//! | 36 | 12 | [`ImageUpgrade::reload`] | 0, 0, 0 | 1, HH, MM |
//! | 48 | 4 | [`ImageUpgrade::unknown_48`] | 1 | 1 |
//! | 52 | 415 | [`ImageUpgrade::image_list_url`] | URL | URL |
//! | 467 | 1 | [`ImageUpgrade::trailer`] | 0x01 | 0x01 |
//!
//! Inputs: a payload of exactly [`ImageUpgrade::PAYLOAD_LEN`] bytes cut by the framer; every word
//! and slot is kept as received.

use super::error::EncodeError;
use super::field::{FixedText, Reader, ReloadSchedule, put_u32s};

/// When an image upgrade reloads the client (SIET `-u`, "00:00" = now).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UpgradeTiming {
    /// Reload as soon as the image is installed.
    Immediate,
    /// Reload at HH:MM.
    At {
        /// Hour, 0–23.
        hour: u32,
        /// Minute, 0–59.
        minute: u32,
    },
}

/// A type-2 image upgrade.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ImageUpgrade {
    /// Offset 16: **\[hypothesis\]** the operation code repeated (2).
    pub op_code: u32,
    /// Offset 20: flags; bit 0x20 set means **\[inference\]** immediate reload.
    pub flags: u32,
    /// Offsets 24, 28: unknown (0, 0).
    pub unknown_24: [u32; 2],
    /// Offset 32: **\[inference\]** "reload now" (1 when immediate).
    pub reload_now: u32,
    /// Offsets 36–47: scheduled reload (same place as in type 3).
    pub reload: ReloadSchedule,
    /// Offset 48: unknown (1).
    pub unknown_48: u32,
    /// Offset 52: 415 bytes, the image-list URL.
    pub image_list_url: FixedText<415>,
    /// Offset 467: trailer byte (0x01).
    pub trailer: u8,
}

impl ImageUpgrade {
    /// Payload bytes after the header (0x1c4).
    pub const PAYLOAD_LEN: u32 = 0x1c4;
    /// Flags of an immediate upgrade.
    pub const FLAGS_IMMEDIATE: u32 = 0x821;
    /// Flags of a scheduled upgrade.
    pub const FLAGS_SCHEDULED: u32 = 0x801;

    /// The SIET layout for `image_list_url` and `timing`; refuses times outside 00:00–23:59.
    pub fn new(image_list_url: &[u8], timing: UpgradeTiming) -> Result<Self, EncodeError> {
        let (flags, reload_now, reload) = match timing {
            UpgradeTiming::Immediate => (Self::FLAGS_IMMEDIATE, 1, ReloadSchedule::none()),
            UpgradeTiming::At { hour, minute } => {
                (Self::FLAGS_SCHEDULED, 0, ReloadSchedule::at(hour, minute)?)
            }
        };
        Ok(Self {
            op_code: super::TYPE_IMAGE,
            flags,
            unknown_24: [0, 0],
            reload_now,
            reload,
            unknown_48: 1,
            image_list_url: FixedText::new("image_list_url", image_list_url)?,
            trailer: 1,
        })
    }

    /// The timing the words express: immediate when `reload_now` is set, else the scheduled
    /// time when the reload flag is set, else `None`.
    pub fn timing(&self) -> Option<UpgradeTiming> {
        if self.reload_now != 0 {
            return Some(UpgradeTiming::Immediate);
        }
        let (hour, minute) = self.reload.scheduled()?;
        Some(UpgradeTiming::At { hour, minute })
    }

    pub(crate) fn read(payload: &[u8]) -> Option<Self> {
        let mut r = Reader::new(payload);
        Some(Self {
            op_code: r.u32()?,
            flags: r.u32()?,
            unknown_24: [r.u32()?, r.u32()?],
            reload_now: r.u32()?,
            reload: ReloadSchedule::read(&mut r)?,
            unknown_48: r.u32()?,
            image_list_url: r.text()?,
            trailer: r.u8()?,
        })
    }

    pub(crate) fn write(&self, out: &mut Vec<u8>) {
        put_u32s(out, &[self.op_code, self.flags]);
        put_u32s(out, &self.unknown_24);
        put_u32s(out, &[self.reload_now]);
        self.reload.write(out);
        put_u32s(out, &[self.unknown_48]);
        out.extend_from_slice(self.image_list_url.raw());
        out.push(self.trailer);
    }
}
