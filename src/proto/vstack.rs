//! Cisco Smart Install ("vstack", TCP 4786) codec: a bounded, pure decoder and encoder for every
//! message layout in `../shared/protocols/smart-install.md` §3. No I/O, no clock, no panics on
//! peer data; the same code serves the inline relay, the capture auditor, the CLI and the tests.
//!
//! # Framing (§2.1)
//! Every message is a 16-byte header of four big-endian u32 words, `w0 | w1 | type | length`,
//! followed by `length` payload bytes: **`length` counts the payload only**, so a message is
//! `16 + length` bytes. This holds for every message of every public tool and every client reply
//! (§2.1 "length invariant"), so one rule frames both directions of a connection:
//!
//! | Message | type / length | Bytes | Section |
//! |---|---|---|---|
//! | probe ("hello") | 4 / 8 | 24 | §3.1 |
//! | probe reply | 3 / 8 | 24 | §3.2 |
//! | short probe (Greenbone) | 3 / 1 | 17 | §3.3 |
//! | status reply | 4 / 4 | 20 | §3.3 |
//! | config push | 3 / 0x128 | 312 | §3.4 |
//! | copy commands | 8 / 0x408 | 1048 | §3.5 |
//! | image upgrade | 2 / 0x1c4 | 468 | §3.6 |
//! | execute (`w0 = 2`) | 5 / 0x210 | 544 | §3.7 |
//! | init discovery | 7 / any | 16 + length | §3.8 |
//! | anything else (types 0, 1, 6, ≥ 9) | any | 16 + length | kept verbatim |
//!
//! The body is chosen by `type` and `length`, never by `w0`/`w1`, which are kept as received
//! and give the direction hint ([`Direction`], §2.1: 1 and 2 director, 4 client). A known type
//! with an undocumented length is [`DecodeError::LengthMismatch`]: the message is consumed and the
//! stream stays in sync, but it is not guessed at. The Embedi CVE-2018-0171 PoC breaks the
//! invariant (its header says 0xd8 for a 2272-byte payload, §3.8); framed by its header it is an
//! init-discovery message whose TLV overruns the message (a [`Finding`]), followed by bytes whose
//! "header" declares about 1 GiB ([`DecodeError::Oversized`]). Stream reassembly is required
//! because messages exceed one segment (§2.1 "Stream handling"): see [`StreamDecoder`].
//!
//! # Payloads (§2.2)
//! Fixed-size ASCII fields are NUL-padded ([`FixedText`]): the value ends at the first NUL, any
//! bytes are kept (non-UTF-8 is shown lossily), and a slot without NUL or with data after the
//! NUL is reported ([`Message::findings`]). Every word whose meaning is unknown (§10 item 4) is
//! kept as received, so `encode(decode(bytes)) == bytes` for every message that decodes.
//! Encoding writes exactly the documented layouts; an over-long field is an
//! [`EncodeError`], never truncated.
//!
//! Inputs: all bytes are attacker-controlled (either side of 4786 may be hostile, ARCHITECTURE.md
//! §2). Bounded by [`Limits`] (default 2 KiB, §9(b)).

pub mod config_push;
pub mod copy_commands;
pub mod error;
pub mod execute;
pub mod field;
pub mod frame;
pub mod image_upgrade;
pub mod init_discovery;
pub mod kind;
pub mod message;
pub mod probe;
pub mod url;

#[cfg(test)]
mod tests;

pub use config_push::ConfigPush;
pub use copy_commands::CopyCommands;
pub use error::{DecodeError, EncodeError, LimitError};
pub use execute::Execute;
pub use field::{FixedText, ReloadSchedule};
pub use frame::{
    Decoded, Decoding, Frame, Header, Limits, StreamDecoder, decode_all, decode_message,
};
pub use image_upgrade::{ImageUpgrade, UpgradeTiming};
pub use init_discovery::{InitDiscovery, Tlv, TlvTail};
pub use kind::{Direction, Finding, Kind};
pub use message::{Body, Message};
pub use probe::{Probe, ProbeReply};
pub use url::{CommandRef, ParsedUrl, UrlRef};

/// Size of the header in bytes.
pub const HEADER_LEN_BYTES: usize = 16;
/// Type 2: image upgrade (§3.6).
pub const TYPE_IMAGE: u32 = 2;
/// Type 3: config push (§3.4), probe reply (§3.2) and short probe (§3.3).
pub const TYPE_CONFIG: u32 = 3;
/// Type 4: probe (§3.1) and status reply (§3.3).
pub const TYPE_PROBE: u32 = 4;
/// Type 5: execute (§3.7).
pub const TYPE_EXECUTE: u32 = 5;
/// Type 7: init discovery (§3.8).
pub const TYPE_INIT_DISCOVERY: u32 = 7;
/// Type 8: copy commands (§3.5).
pub const TYPE_COPY: u32 = 8;
/// `w0` of director-side messages (§2.1).
pub const W0_DIRECTOR: u32 = 1;
/// `w0` of client replies (§2.1).
pub const W0_CLIENT: u32 = 4;
