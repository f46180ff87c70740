//! The vocabulary the relay, the auditor and the CLI use to talk about a decoded message: its
//! [`Kind`] (stable snake_case names), the [`Direction`] it travels in, and the [`Finding`]s
//! worth a look (smart-install.md §2.3, §3.8, §9).
//!
//! Inputs: none directly; these are values computed from decoded messages.

/// Stable name of a message kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// [`Body::Probe`](super::Body::Probe).
    Probe,
    /// [`Body::ProbeReply`](super::Body::ProbeReply).
    ProbeReply,
    /// [`Body::ConfigPush`](super::Body::ConfigPush).
    ConfigPush,
    /// [`Body::CopyCommands`](super::Body::CopyCommands).
    CopyCommands,
    /// [`Body::ImageUpgrade`](super::Body::ImageUpgrade).
    ImageUpgrade,
    /// [`Body::Execute`](super::Body::Execute).
    Execute,
    /// [`Body::InitDiscovery`](super::Body::InitDiscovery).
    InitDiscovery,
    /// [`Body::Unknown`](super::Body::Unknown).
    Unknown,
}

impl Kind {
    /// The snake_case name used in logs, JSON and the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Probe => "probe",
            Self::ProbeReply => "probe_reply",
            Self::ConfigPush => "config_push",
            Self::CopyCommands => "copy_commands",
            Self::ImageUpgrade => "image_upgrade",
            Self::Execute => "execute",
            Self::InitDiscovery => "init_discovery",
            Self::Unknown => "unknown",
        }
    }

    /// The direction public material shows this kind travelling in (§2.3), if any.
    pub fn documented_direction(self) -> Direction {
        match self {
            Self::ProbeReply => Direction::ClientToDirector,
            Self::Unknown => Direction::Unknown,
            _ => Direction::DirectorToClient,
        }
    }
}

/// Which way a message travels, as far as the bytes tell.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    /// From a director (or a tool posing as one) to a client.
    DirectorToClient,
    /// From a client to a director.
    ClientToDirector,
    /// Not known.
    Unknown,
}

impl Direction {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::DirectorToClient => "director_to_client",
            Self::ClientToDirector => "client_to_director",
            Self::Unknown => "unknown",
        }
    }
}

/// Something in a decoded message a gateway should look at; decoding succeeded regardless.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Finding {
    /// A fixed-size slot with no NUL: a C-string reader runs into the next field.
    Unterminated {
        /// The slot.
        field: &'static str,
    },
    /// Non-zero bytes after the NUL that ends a slot's value (content a reader ignores).
    DataAfterNul {
        /// The slot.
        field: &'static str,
    },
    /// A slot value that is not UTF-8.
    NonUtf8 {
        /// The slot.
        field: &'static str,
    },
    /// A TLV whose length runs past the end of the message (CVE-2018-0171, §3.8).
    TlvOverrun {
        /// Message offset of the TLV header.
        offset: usize,
        /// TLV type.
        tlv_type: u32,
        /// Declared value length.
        declared_len: u32,
        /// Value bytes actually present.
        available: usize,
    },
    /// 1–7 bytes at the end of a TLV sequence, too short for a TLV header.
    TlvShortHeader {
        /// Message offset of the leftover bytes.
        offset: usize,
        /// Their number.
        len: usize,
    },
}

impl Finding {
    /// The snake_case name of the finding.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unterminated { .. } => "unterminated",
            Self::DataAfterNul { .. } => "data_after_nul",
            Self::NonUtf8 { .. } => "non_utf8",
            Self::TlvOverrun { .. } => "tlv_overrun",
            Self::TlvShortHeader { .. } => "tlv_short_header",
        }
    }

    /// The slot the finding is about, for slot findings.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            Self::Unterminated { field }
            | Self::DataAfterNul { field }
            | Self::NonUtf8 { field } => Some(field),
            Self::TlvOverrun { .. } | Self::TlvShortHeader { .. } => None,
        }
    }
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Unterminated { field } => write!(f, "{field}: no NUL terminator in the slot"),
            Self::DataAfterNul { field } => write!(f, "{field}: non-zero bytes after the NUL"),
            Self::NonUtf8 { field } => write!(f, "{field}: value is not UTF-8"),
            Self::TlvOverrun {
                offset,
                tlv_type,
                declared_len,
                available,
            } => write!(
                f,
                "TLV type {tlv_type} at offset {offset} declares {declared_len} bytes, \
                 {available} present (CVE-2018-0171 pattern)"
            ),
            Self::TlvShortHeader { offset, len } => {
                write!(
                    f,
                    "{len} bytes at offset {offset} are too short for a TLV header"
                )
            }
        }
    }
}
