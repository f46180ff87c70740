//! [`Message`]: a header's `w0`/`w1` plus a typed [`Body`], with what the relay needs from any
//! message — its [`Kind`], a [`Direction`] hint, the URLs, hosts and commands it names, and the
//! [`Finding`]s worth a look (unterminated or smuggled slot bytes, TLV overruns).
//!
//! Inputs: a frame cut by [`super::frame`] from attacker-controlled bytes. Body selection by
//! `type` and `length` follows the table in the parent module (smart-install.md §2.3, §3).

use super::copy_commands::SLOT_NAMES;
use super::error::{DecodeError, EncodeError};
use super::frame::Header;
use super::init_discovery::TlvTail;
use super::kind::{Direction, Finding, Kind};
use super::url::{CommandRef, UrlRef};
use super::{
    ConfigPush, CopyCommands, Execute, HEADER_LEN_BYTES, ImageUpgrade, InitDiscovery, Probe,
    ProbeReply, TYPE_CONFIG, TYPE_COPY, TYPE_EXECUTE, TYPE_IMAGE, TYPE_INIT_DISCOVERY, TYPE_PROBE,
    W0_CLIENT, W0_DIRECTOR,
};

/// A Smart Install message: the header words that are not derived from the body, and the body.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Message {
    /// Header word 0 (sender role: 1 director, 2 SIET execute, 4 client).
    pub w0: u32,
    /// Header word 1 (1 in requests, 0 in replies).
    pub w1: u32,
    /// The typed payload; it also fixes the header's `type` and `length`.
    pub body: Body,
}

/// The typed payload of a message.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Body {
    /// Type 4 length 8, or type 3 length 1 (§3.1, §3.3).
    Probe(Probe),
    /// Type 3 length 8, or type 4 length 4 (§3.2, §3.3).
    ProbeReply(ProbeReply),
    /// Type 3 length 0x128 (§3.4).
    ConfigPush(ConfigPush),
    /// Type 8 length 0x408 (§3.5).
    CopyCommands(CopyCommands),
    /// Type 2 length 0x1c4 (§3.6).
    ImageUpgrade(ImageUpgrade),
    /// Type 5 length 0x210 (§3.7).
    Execute(Execute),
    /// Type 7, TLVs (§3.8).
    InitDiscovery(InitDiscovery),
    /// Any other type, payload kept verbatim.
    Unknown {
        /// The header's `type`.
        msg_type: u32,
        /// The payload.
        payload: Vec<u8>,
    },
}

/// Role of a fixed-size slot for [`Message::urls`].
#[derive(Clone, Copy, PartialEq, Eq)]
enum SlotRole {
    /// A documented URL field.
    Url,
    /// A slot of unknown meaning: a non-empty value is reported as a URL (fail closed).
    Unknown,
    /// A type-8 command slot.
    Command,
}

impl Message {
    /// A message with the `w0`/`w1` public tools use for `body` (§2.1): 2/1 for execute, 4/0
    /// for probe replies, 1/1 otherwise.
    pub fn new(body: Body) -> Self {
        let (w0, w1) = match &body {
            Body::ProbeReply(_) => (W0_CLIENT, 0),
            Body::Execute(_) => (Execute::W0, 1),
            _ => (W0_DIRECTOR, 1),
        };
        Self { w0, w1, body }
    }

    /// The header's `type`.
    pub fn msg_type(&self) -> u32 {
        match &self.body {
            Body::Probe(p) => p.msg_type(),
            Body::ProbeReply(r) => r.msg_type(),
            Body::ConfigPush(_) => TYPE_CONFIG,
            Body::CopyCommands(_) => TYPE_COPY,
            Body::ImageUpgrade(_) => TYPE_IMAGE,
            Body::Execute(_) => TYPE_EXECUTE,
            Body::InitDiscovery(_) => TYPE_INIT_DISCOVERY,
            Body::Unknown { msg_type, .. } => *msg_type,
        }
    }

    /// The message kind.
    pub fn kind(&self) -> Kind {
        match &self.body {
            Body::Probe(_) => Kind::Probe,
            Body::ProbeReply(_) => Kind::ProbeReply,
            Body::ConfigPush(_) => Kind::ConfigPush,
            Body::CopyCommands(_) => Kind::CopyCommands,
            Body::ImageUpgrade(_) => Kind::ImageUpgrade,
            Body::Execute(_) => Kind::Execute,
            Body::InitDiscovery(_) => Kind::InitDiscovery,
            Body::Unknown { .. } => Kind::Unknown,
        }
    }

    /// The direction `w0` suggests (§2.1, **\[hypothesis\]** sender role): 1 and 2 director, 4
    /// client. Compare with [`Kind::documented_direction`] to spot a spoofed or foreign sender.
    pub fn direction(&self) -> Direction {
        match self.w0 {
            W0_DIRECTOR | Execute::W0 => Direction::DirectorToClient,
            W0_CLIENT => Direction::ClientToDirector,
            _ => Direction::Unknown,
        }
    }

    /// The direction the receiver acts on: the body's documented direction
    /// ([`Kind::documented_direction`]), since `w0` is the sender's choice and a command sent
    /// with `w0 = 4` is still carried out; for a body of unknown kind, the direction `w0`
    /// suggests ([`Message::direction`]).
    pub fn acting_direction(&self) -> Direction {
        match self.kind() {
            Kind::Unknown => self.direction(),
            kind => kind.documented_direction(),
        }
    }

    /// Every URL the message names: URL slots, non-empty slots of unknown meaning and the
    /// `scheme://` tokens of commands (see [`super::url`]).
    pub fn urls(&self) -> Vec<UrlRef<'_>> {
        let mut urls = Vec::new();
        for (field, role, slot) in self.slots() {
            let value = super::field::value_of(slot);
            match role {
                _ if value.is_empty() => {}
                SlotRole::Url | SlotRole::Unknown => urls.push(UrlRef::new(field, value)),
                SlotRole::Command => urls.extend(
                    CommandRef {
                        field,
                        bytes: value,
                    }
                    .urls(),
                ),
            }
        }
        urls
    }

    /// The distinct hosts of [`Message::urls`] that parsed, in order of appearance.
    pub fn hosts(&self) -> Vec<&str> {
        let mut hosts: Vec<&str> = Vec::new();
        for host in self.urls().iter().filter_map(UrlRef::host) {
            if !hosts.contains(&host) {
                hosts.push(host);
            }
        }
        hosts
    }

    /// The CLI commands the message carries (the non-empty type-8 slots).
    pub fn commands(&self) -> Vec<CommandRef<'_>> {
        self.slots()
            .into_iter()
            .filter(|(_, role, _)| *role == SlotRole::Command)
            .map(|(field, _, slot)| CommandRef {
                field,
                bytes: super::field::value_of(slot),
            })
            .filter(|c| !c.bytes.is_empty())
            .collect()
    }

    /// Slot and TLV anomalies, in layout order.
    pub fn findings(&self) -> Vec<Finding> {
        let mut findings = Vec::new();
        for (field, _, slot) in self.slots() {
            let value = super::field::value_of(slot);
            if value.len() == slot.len() {
                findings.push(Finding::Unterminated { field });
            } else if slot
                .get(value.len()..)
                .is_some_and(|r| r.iter().any(|&b| b != 0))
            {
                findings.push(Finding::DataAfterNul { field });
            }
            if std::str::from_utf8(value).is_err() {
                findings.push(Finding::NonUtf8 { field });
            }
        }
        if let Body::InitDiscovery(d) = &self.body {
            let offset = HEADER_LEN_BYTES.saturating_add(d.tail_offset());
            findings.extend(d.tail.as_ref().map(|tail| match tail {
                TlvTail::ShortHeader { bytes } => Finding::TlvShortHeader {
                    offset,
                    len: bytes.len(),
                },
                TlvTail::Overrun {
                    tlv_type,
                    declared_len,
                    value,
                } => Finding::TlvOverrun {
                    offset,
                    tlv_type: *tlv_type,
                    declared_len: *declared_len,
                    available: value.len(),
                },
            }));
        }
        findings
    }

    /// The header this message encodes with.
    pub fn header(&self) -> Result<Header, EncodeError> {
        let len = self.payload_len();
        let length = u32::try_from(len).map_err(|_| EncodeError::PayloadTooLarge { len })?;
        Ok(Header {
            w0: self.w0,
            w1: self.w1,
            msg_type: self.msg_type(),
            length,
        })
    }

    /// The wire bytes: header and the documented payload layout.
    pub fn encode(&self) -> Result<Vec<u8>, EncodeError> {
        let header = self.header()?;
        self.encode_with(header)
    }

    /// Like [`Message::encode`] but with `length` written into the header whatever the payload
    /// is — a deliberately malformed message (e.g. the CVE-2018-0171 PoC, whose header declares
    /// only the first TLV, §3.8) for attack corpora and tests. Never use it to relay traffic.
    pub fn danger_encode_with_declared_length(&self, length: u32) -> Result<Vec<u8>, EncodeError> {
        let header = Header {
            length,
            ..self.header()?
        };
        self.encode_with(header)
    }

    /// Decodes the body of a complete frame (`raw` = header + `length` bytes).
    pub(crate) fn from_frame(
        header: &Header,
        raw: &[u8],
        offset: u64,
    ) -> Result<Self, DecodeError> {
        let payload = raw.get(HEADER_LEN_BYTES..).unwrap_or_default();
        let body =
            parse_body(header.msg_type, payload).ok_or_else(|| DecodeError::LengthMismatch {
                offset,
                msg_type: header.msg_type,
                declared_length: header.length,
                documented: documented_lengths(header.msg_type),
            })?;
        Ok(Self {
            w0: header.w0,
            w1: header.w1,
            body,
        })
    }

    fn encode_with(&self, header: Header) -> Result<Vec<u8>, EncodeError> {
        if let Body::InitDiscovery(d) = &self.body {
            d.check()?;
        }
        let mut out = Vec::with_capacity(HEADER_LEN_BYTES.saturating_add(self.payload_len()));
        out.extend_from_slice(&header.to_bytes());
        match &self.body {
            Body::Probe(p) => p.write(&mut out),
            Body::ProbeReply(r) => r.write(&mut out),
            Body::ConfigPush(c) => c.write(&mut out),
            Body::CopyCommands(c) => c.write(&mut out),
            Body::ImageUpgrade(i) => i.write(&mut out),
            Body::Execute(e) => e.write(&mut out),
            Body::InitDiscovery(d) => d.write(&mut out),
            Body::Unknown { payload, .. } => out.extend_from_slice(payload),
        }
        Ok(out)
    }

    fn payload_len(&self) -> usize {
        let fixed = |len: u32| usize::try_from(len).unwrap_or(usize::MAX);
        match &self.body {
            Body::Probe(Probe::Hello { .. }) | Body::ProbeReply(ProbeReply::Hello { .. }) => 8,
            Body::Probe(Probe::Short { .. }) => 1,
            Body::ProbeReply(ProbeReply::Status { .. }) => 4,
            Body::ConfigPush(_) => fixed(ConfigPush::PAYLOAD_LEN),
            Body::CopyCommands(_) => fixed(CopyCommands::PAYLOAD_LEN),
            Body::ImageUpgrade(_) => fixed(ImageUpgrade::PAYLOAD_LEN),
            Body::Execute(_) => fixed(Execute::PAYLOAD_LEN),
            Body::InitDiscovery(d) => d.encoded_len(),
            Body::Unknown { payload, .. } => payload.len(),
        }
    }

    /// Every fixed-size text slot: (field name, role, raw slot bytes).
    fn slots(&self) -> Vec<(&'static str, SlotRole, &[u8])> {
        match &self.body {
            Body::ConfigPush(c) => vec![
                ("name_slot", SlotRole::Unknown, c.name_slot.raw()),
                ("config_url", SlotRole::Url, c.url.raw()),
            ],
            Body::ImageUpgrade(i) => {
                vec![("image_list_url", SlotRole::Url, i.image_list_url.raw())]
            }
            Body::Execute(e) => vec![
                ("slot_1", SlotRole::Unknown, e.slot_1.raw()),
                ("slot_2", SlotRole::Unknown, e.slot_2.raw()),
                ("command_file_url", SlotRole::Url, e.url.raw()),
            ],
            Body::CopyCommands(c) => SLOT_NAMES
                .into_iter()
                .zip(&c.slots)
                .map(|(field, slot)| (field, SlotRole::Command, slot.raw()))
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// The body for `msg_type` if `payload` has a documented size for it.
fn parse_body(msg_type: u32, payload: &[u8]) -> Option<Body> {
    let len = u32::try_from(payload.len()).ok()?;
    let documented = documented_lengths(msg_type);
    if !documented.is_empty() && !documented.contains(&len) {
        return None;
    }
    Some(match (msg_type, len) {
        (TYPE_PROBE, 8) => Body::Probe(Probe::read_hello(payload)?),
        (TYPE_PROBE, _) => Body::ProbeReply(ProbeReply::read_status(payload)?),
        (TYPE_CONFIG, 1) => Body::Probe(Probe::read_short(payload)?),
        (TYPE_CONFIG, 8) => Body::ProbeReply(ProbeReply::read_hello(payload)?),
        (TYPE_CONFIG, _) => Body::ConfigPush(ConfigPush::read(payload)?),
        (TYPE_IMAGE, _) => Body::ImageUpgrade(ImageUpgrade::read(payload)?),
        (TYPE_EXECUTE, _) => Body::Execute(Execute::read(payload)?),
        (TYPE_COPY, _) => Body::CopyCommands(CopyCommands::read(payload)?),
        (TYPE_INIT_DISCOVERY, _) => Body::InitDiscovery(InitDiscovery::from_payload(payload)),
        _ => Body::Unknown {
            msg_type,
            payload: payload.to_vec(),
        },
    })
}

/// Payload sizes documented for `msg_type` (§3); empty for types without a fixed layout.
fn documented_lengths(msg_type: u32) -> &'static [u32] {
    match msg_type {
        TYPE_IMAGE => &[ImageUpgrade::PAYLOAD_LEN],
        TYPE_CONFIG => &[1, 8, ConfigPush::PAYLOAD_LEN],
        TYPE_PROBE => &[4, 8],
        TYPE_EXECUTE => &[Execute::PAYLOAD_LEN],
        TYPE_COPY => &[CopyCommands::PAYLOAD_LEN],
        _ => &[],
    }
}
