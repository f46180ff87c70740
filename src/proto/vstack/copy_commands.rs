//! Type 8 — up to three `copy` CLI commands, 1048 bytes (smart-install.md §3.5): SIET `-g`,
//! Metasploit DOWNLOAD, cisco-siet.nse. Used to back up — or exfiltrate — configurations over
//! TFTP.
//!
//! | Message offset | Size | Field |
//! |---|---|---|
//! | 16 | 24 | [`CopyCommands::preamble`] (`00010014 00000001 00000000 fc9947378660 0000 000303f4`) |
//! | 40 | 336 | command 1 |
//! | 376 | 336 | command 2 |
//! | 712 | 336 | command 3 |
//!
//! Inputs: a payload of exactly [`CopyCommands::PAYLOAD_LEN`] bytes cut by the framer; the
//! preamble and every slot are kept as received. A command longer than 336 bytes (the NSE
//! variant pads one command over two slots) shows up as an unterminated slot.

use super::error::EncodeError;
use super::field::{FixedText, Reader};

/// Size of one command slot.
pub const COMMAND_SLOT_BYTES: usize = 336;
/// Number of command slots.
pub const COMMAND_SLOTS: usize = 3;

/// A type-8 copy-commands message.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CopyCommands {
    /// Offsets 16–39, as received. **\[hypothesis\]** a (sub-type 1, length 20) pair, two words,
    /// a MAC address with a Cisco OUI (offset 28), two zero bytes and the word 0x303f4.
    pub preamble: [u8; 24],
    /// The three command slots (offsets 40, 376, 712).
    pub slots: [FixedText<COMMAND_SLOT_BYTES>; COMMAND_SLOTS],
}

impl CopyCommands {
    /// Payload bytes after the header (0x408).
    pub const PAYLOAD_LEN: u32 = 0x408;
    /// The preamble shared byte for byte by SIET, cisco-siet.nse and Metasploit.
    pub const PREAMBLE: [u8; 24] = [
        0x00, 0x01, 0x00, 0x14, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0xfc, 0x99, 0x47,
        0x37, 0x86, 0x60, 0x00, 0x00, 0x00, 0x03, 0x03, 0xf4,
    ];

    /// The SIET layout carrying `commands` (at most three, each under 336 bytes).
    pub fn new<C: AsRef<[u8]>>(commands: &[C]) -> Result<Self, EncodeError> {
        if commands.len() > COMMAND_SLOTS {
            return Err(EncodeError::TooManyCommands {
                max: COMMAND_SLOTS,
                actual: commands.len(),
            });
        }
        let mut slots = [FixedText::empty(), FixedText::empty(), FixedText::empty()];
        for ((slot, command), name) in slots.iter_mut().zip(commands).zip(SLOT_NAMES) {
            *slot = FixedText::new(name, command.as_ref())?;
        }
        Ok(Self {
            preamble: Self::PREAMBLE,
            slots,
        })
    }

    /// The MAC address at message offset 28 (**\[inference\]**: the device SIET recorded).
    pub fn mac(&self) -> [u8; 6] {
        let mut mac = [0; 6];
        if let Some(bytes) = self.preamble.get(12..18) {
            mac.copy_from_slice(bytes);
        }
        mac
    }

    /// The non-empty command slots with their field names (`command_1` …).
    pub fn commands(&self) -> impl Iterator<Item = (&'static str, &FixedText<COMMAND_SLOT_BYTES>)> {
        SLOT_NAMES
            .into_iter()
            .zip(&self.slots)
            .filter(|(_, slot)| !slot.is_empty())
    }

    /// Every slot with its field name, empty ones included.
    pub fn named_slots(
        &self,
    ) -> impl Iterator<Item = (&'static str, &FixedText<COMMAND_SLOT_BYTES>)> {
        SLOT_NAMES.into_iter().zip(&self.slots)
    }

    pub(crate) fn read(payload: &[u8]) -> Option<Self> {
        let mut r = Reader::new(payload);
        Some(Self {
            preamble: r.take(24)?.try_into().ok()?,
            slots: [r.text()?, r.text()?, r.text()?],
        })
    }

    pub(crate) fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.preamble);
        for slot in &self.slots {
            out.extend_from_slice(slot.raw());
        }
    }
}

/// Field names of the command slots.
pub const SLOT_NAMES: [&str; COMMAND_SLOTS] = ["command_1", "command_2", "command_3"];
