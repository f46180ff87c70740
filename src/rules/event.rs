//! What the inspection layer observes, as rules see it: an [`Event`] of one [`EventKind`] with
//! typed fields. [`EventKind::fields`] is the schema: a rule may only test declared fields, with
//! tests that fit the field's [`FieldType`] (checked when the rule file is loaded).
//!
//! Role fields are three-valued text: `director`, `non_director` or `unknown` (the observer was
//! not told which sources are directors); TFTP servers are `allowed`, `not_allowed` or
//! `unknown`. A rule whose verdict rests on an `unknown` value may lower its severity for it.
//!
//! Inputs: values computed from attacker-controlled traffic; they are data, never interpreted.

use std::fmt;

/// The value of a role or status field when the observer lacks the knowledge to tell.
pub const UNKNOWN: &str = "unknown";

/// The type of a field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldType {
    /// An unsigned integer.
    Int,
    /// A text value.
    Text,
    /// A boolean.
    Bool,
    /// A list of texts (a test holds when it holds for any element).
    TextList,
    /// Raw bytes (tested by content at an offset).
    Bytes,
}

impl FieldType {
    /// How error messages name the type.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Int => "integer",
            Self::Text => "text",
            Self::Bool => "boolean",
            Self::TextList => "list of texts",
            Self::Bytes => "bytes",
        }
    }
}

/// A field's value.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(untagged)]
pub enum Value {
    /// An unsigned integer.
    Int(u64),
    /// Text.
    Text(String),
    /// A boolean.
    Bool(bool),
    /// A list of texts.
    TextList(Vec<String>),
    /// Raw bytes (shown as hex in reports).
    Bytes(#[serde(serialize_with = "hex_bytes")] Vec<u8>),
}

fn hex_bytes<S: serde::Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
    let text: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    s.serialize_str(&text)
}

impl From<u64> for Value {
    fn from(v: u64) -> Self {
        Self::Int(v)
    }
}

impl From<u32> for Value {
    fn from(v: u32) -> Self {
        Self::Int(u64::from(v))
    }
}

impl From<u16> for Value {
    fn from(v: u16) -> Self {
        Self::Int(u64::from(v))
    }
}

impl From<usize> for Value {
    fn from(v: usize) -> Self {
        Self::Int(u64::try_from(v).unwrap_or(u64::MAX))
    }
}

impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Self::Bool(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Self::Text(v.to_owned())
    }
}

impl From<String> for Value {
    fn from(v: String) -> Self {
        Self::Text(v)
    }
}

impl From<Vec<String>> for Value {
    fn from(v: Vec<String>) -> Self {
        Self::TextList(v)
    }
}

/// What kind of observation an event is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventKind {
    /// A decoded Smart Install message (TCP 4786).
    SmartInstallMessage,
    /// Smart Install bytes that did not decode (length mismatch, oversized, truncated).
    SmartInstallDecodeError,
    /// A TCP connection to a Smart Install listener.
    SmartInstallConnection,
    /// A TFTP read or write request.
    TftpRequest,
    /// An HTTP request in clear text.
    HttpRequest,
    /// An FTP control-channel command.
    FtpCommand,
    /// A PnP session whose requests name more than one UDI.
    PnpUdiChange,
    /// Overlapping TCP segments carrying different bytes.
    TcpOverlapConflict,
    /// A DHCP server's reply (OFFER, ACK or BOOTP) and what it says to provision from.
    DhcpReply,
}

use FieldType::{Bool, Bytes, Int, Text, TextList};

/// Fields every event carries (addresses and ports of the flow it belongs to).
const COMMON: &[(&str, FieldType)] = &[
    ("src", Text),
    ("dst", Text),
    ("src_port", Int),
    ("dst_port", Int),
];

const SMART_INSTALL_MESSAGE: &[(&str, FieldType)] = &[
    ("w0", Int),
    ("w1", Int),
    ("type", Int),
    ("length", Int),
    ("bytes", Int),
    ("kind", Text),
    ("sender_role", Text),
    ("source", Text),
    ("destination", Text),
    ("urls", TextList),
    ("hosts", TextList),
    ("hosts_allowed", Text),
    ("commands", TextList),
    ("findings", TextList),
    ("payload", Bytes),
];

const SMART_INSTALL_DECODE_ERROR: &[(&str, FieldType)] = &[
    ("error", Text),
    ("w0", Int),
    ("type", Int),
    ("declared_length", Int),
    ("available", Int),
    ("source", Text),
    ("destination", Text),
];

const SMART_INSTALL_CONNECTION: &[(&str, FieldType)] = &[
    ("source", Text),
    ("destination", Text),
    ("syn_seen", Bool),
    ("accepted", Bool),
];

const TFTP_REQUEST: &[(&str, FieldType)] = &[
    ("opcode", Text),
    ("filename", Text),
    ("mode", Text),
    ("file_class", Text),
    ("bytes", Int),
    ("server", Text),
    ("after_smart_install", Bool),
    ("trigger", Text),
    ("trigger_source", Text),
    ("named_in_message", Bool),
];

const HTTP_REQUEST: &[(&str, FieldType)] = &[
    ("method", Text),
    ("path", Text),
    ("host", Text),
    ("user_agent", Text),
    ("file_class", Text),
    ("pnp", Bool),
    ("pnp_service", Text),
];

const FTP_COMMAND: &[(&str, FieldType)] =
    &[("command", Text), ("argument", Text), ("file_class", Text)];

const PNP_UDI_CHANGE: &[(&str, FieldType)] =
    &[("previous_udi", Text), ("udi", Text), ("udis", Int)];

const TCP_OVERLAP_CONFLICT: &[(&str, FieldType)] = &[("offset", Int), ("len", Int)];

const DHCP_REPLY: &[(&str, FieldType)] = &[
    ("message_type", Text),
    ("client_mac", Text),
    ("assigned", Text),
    ("tftp_servers", TextList),
    ("tftp_servers_allowed", Text),
    ("bootfile", Text),
    ("file_class", Text),
    ("si_director", Text),
    ("si_director_role", Text),
    ("si_image_list", Text),
];

impl EventKind {
    /// Every kind.
    pub const ALL: [Self; 9] = [
        Self::SmartInstallMessage,
        Self::SmartInstallDecodeError,
        Self::SmartInstallConnection,
        Self::TftpRequest,
        Self::HttpRequest,
        Self::FtpCommand,
        Self::PnpUdiChange,
        Self::TcpOverlapConflict,
        Self::DhcpReply,
    ];

    /// The name rule files use.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SmartInstallMessage => "smart_install.message",
            Self::SmartInstallDecodeError => "smart_install.decode_error",
            Self::SmartInstallConnection => "smart_install.connection",
            Self::TftpRequest => "tftp.request",
            Self::HttpRequest => "http.request",
            Self::FtpCommand => "ftp.command",
            Self::PnpUdiChange => "pnp.udi_change",
            Self::TcpOverlapConflict => "tcp.overlap_conflict",
            Self::DhcpReply => "dhcp.reply",
        }
    }

    /// The kind named `name`.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// Position in [`EventKind::ALL`].
    pub fn index(self) -> usize {
        Self::ALL.iter().position(|k| *k == self).unwrap_or(0)
    }

    /// The fields of this kind besides the common ones.
    fn own_fields(self) -> &'static [(&'static str, FieldType)] {
        match self {
            Self::SmartInstallMessage => SMART_INSTALL_MESSAGE,
            Self::SmartInstallDecodeError => SMART_INSTALL_DECODE_ERROR,
            Self::SmartInstallConnection => SMART_INSTALL_CONNECTION,
            Self::TftpRequest => TFTP_REQUEST,
            Self::HttpRequest => HTTP_REQUEST,
            Self::FtpCommand => FTP_COMMAND,
            Self::PnpUdiChange => PNP_UDI_CHANGE,
            Self::TcpOverlapConflict => TCP_OVERLAP_CONFLICT,
            Self::DhcpReply => DHCP_REPLY,
        }
    }

    /// Every field an event of this kind may carry, with its type.
    pub fn fields(self) -> impl Iterator<Item = (&'static str, FieldType)> {
        COMMON.iter().chain(self.own_fields()).copied()
    }

    /// The type of `field`, if this kind declares it.
    pub fn field(self, field: &str) -> Option<(&'static str, FieldType)> {
        self.fields().find(|(name, _)| *name == field)
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One observation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// Its kind.
    pub kind: EventKind,
    values: Vec<(&'static str, Value)>,
}

impl Event {
    /// An event of `kind` with no fields yet.
    pub fn new(kind: EventKind) -> Self {
        Self {
            kind,
            values: Vec::new(),
        }
    }

    /// Sets `field` (which the kind must declare with the value's type; anything else is
    /// ignored, so a rule can never see an undeclared field).
    pub fn set(&mut self, field: &str, value: impl Into<Value>) {
        let value = value.into();
        let Some((name, ty)) = self.kind.field(field) else {
            debug_assert!(false, "{} has no field {field}", self.kind);
            return;
        };
        let fits = matches!(
            (ty, &value),
            (Int, Value::Int(_))
                | (Text, Value::Text(_))
                | (Bool, Value::Bool(_))
                | (TextList, Value::TextList(_))
                | (Bytes, Value::Bytes(_))
        );
        debug_assert!(fits, "{}.{field} is {}", self.kind, ty.as_str());
        if !fits {
            return;
        }
        match self.values.iter_mut().find(|(n, _)| *n == name) {
            Some(slot) => slot.1 = value,
            None => self.values.push((name, value)),
        }
    }

    /// The same event with `field` set.
    pub fn with(mut self, field: &str, value: impl Into<Value>) -> Self {
        self.set(field, value);
        self
    }

    /// The value of `field`, if set.
    pub fn get(&self, field: &str) -> Option<&Value> {
        self.values
            .iter()
            .find(|(n, _)| *n == field)
            .map(|(_, v)| v)
    }

    /// The value of a text field.
    pub fn text(&self, field: &str) -> Option<&str> {
        match self.get(field) {
            Some(Value::Text(t)) => Some(t),
            _ => None,
        }
    }

    /// Every field set, in the order it was set.
    pub fn values(&self) -> impl Iterator<Item = (&'static str, &Value)> {
        self.values.iter().map(|(n, v)| (*n, v))
    }
}
