//! Building blocks shared by several PnP services (pnp.md §2.5): file locations and copy sources,
//! the embedded `reload`/`noReload` choice, server descriptions for redirection and
//! certificate-install reconnects, and lenient scalar readers.
//!
//! Inputs: elements of untrusted bodies (for parsing) and typed values (for rendering). Locations
//! are kept as strings here; `policy::url` decides whether one is acceptable.

use super::error::ParseError;
use super::write::{Node, xml_bool};
use super::xml::Element;

/// Where a file is: `<location>` (full URL or `fs:path`) or `<uri>` (path on the PnP server).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileLocation {
    /// `<location>`, e.g. `https://10.0.0.5/images/x.bin` or `bootflash:x.bin`.
    Location(String),
    /// `<uri>`, a path relative to the PnP server.
    Uri(String),
}

impl FileLocation {
    /// Reads `location` or `uri` from a `source`/`destination` element.
    pub fn of(parent: &Element) -> Result<Self, ParseError> {
        if let Some(l) = parent.child_text("location") {
            return Ok(Self::Location(l));
        }
        parent
            .child_text("uri")
            .map(Self::Uri)
            .ok_or(ParseError::MissingElement { name: "location" })
    }

    /// The `<location>`/`<uri>` element.
    pub fn to_node(&self) -> Node {
        match self {
            Self::Location(l) => Node::new("location").text(l),
            Self::Uri(u) => Node::new("uri").text(u),
        }
    }

    /// The location or URI text.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Location(s) | Self::Uri(s) => s,
        }
    }
}

/// A copy `source`: a location and an optional checksum (MD5 hex in practice, §2.5.8).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source {
    /// Where to fetch from.
    pub file: FileLocation,
    /// Expected checksum.
    pub checksum: Option<String>,
}

impl Source {
    /// Reads `copy/source`.
    pub fn of_copy(copy: &Element) -> Result<Self, ParseError> {
        let source = copy.require("source")?;
        Ok(Self {
            file: FileLocation::of(source)?,
            checksum: source.child_text("checksum"),
        })
    }

    /// The `<source>` element.
    pub fn to_node(&self) -> Node {
        Node::new("source")
            .child(self.file.to_node())
            .opt_text_child("checksum", self.checksum.as_ref())
    }
}

/// A `reload` block embedded in config-upgrade, image-install or licensing; all fields optional.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Reload {
    /// `reason`.
    pub reason: Option<String>,
    /// `delayIn`, seconds.
    pub delay_in: Option<u32>,
    /// `user`.
    pub user: Option<String>,
    /// `saveConfig`.
    pub save_config: Option<bool>,
}

impl Reload {
    /// Reads a `reload` element.
    pub fn of(e: &Element) -> Result<Self, ParseError> {
        Ok(Self {
            reason: e.child_text("reason"),
            delay_in: opt_u32(e, "delayIn")?,
            user: e.child_text("user"),
            save_config: opt_bool(e, "saveConfig")?,
        })
    }

    /// The `<reload>` element.
    pub fn to_node(&self) -> Node {
        Node::new("reload")
            .opt_text_child("reason", self.reason.as_ref())
            .opt_text_child("delayIn", self.delay_in.map(|d| d.to_string()))
            .opt_text_child("user", self.user.as_ref())
            .opt_text_child("saveConfig", self.save_config.map(xml_bool))
    }
}

/// What the agent does after the operation: reload, `noReload`, or (absent) the device default.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum AfterOperation {
    /// Neither element sent (the agent reloads by default after image-install, §6 item 9).
    #[default]
    DeviceDefault,
    /// `<reload>`.
    Reload(Reload),
    /// `<noReload/>`.
    NoReload,
}

impl AfterOperation {
    /// Reads the `reload`/`noReload` child of a service element.
    pub fn of(parent: &Element) -> Result<Self, ParseError> {
        if let Some(r) = parent.child("reload") {
            return Ok(Self::Reload(Reload::of(r)?));
        }
        Ok(if parent.child("noReload").is_some() {
            Self::NoReload
        } else {
            Self::DeviceDefault
        })
    }

    /// The element to emit, if any.
    pub fn to_node(&self) -> Option<Node> {
        match self {
            Self::DeviceDefault => None,
            Self::Reload(r) => Some(r.to_node()),
            Self::NoReload => Some(Node::new("noReload")),
        }
    }
}

/// How to reach a server (`server-address`): an IPv4, IPv6 or host name, and a port.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServerAddress {
    /// `<ipv4>`.
    Ipv4(String),
    /// `<ipv6>`.
    Ipv6(String),
    /// `<host>`.
    Host(String),
}

/// A `primary-server`/`backup-server` description (redirection, reconnect, profiles).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerSpec {
    /// `protocol`: `http`, `https`, … .
    pub protocol: String,
    /// The address.
    pub address: ServerAddress,
    /// `port`.
    pub port: Option<u16>,
    /// `encryption/localcert`: the device trustpoint used as the TLS client certificate.
    pub localcert: Option<String>,
    /// `encryption/remotecert`: the trustpoint used to check the server.
    pub remotecert: Option<String>,
}

impl ServerSpec {
    /// Reads a server element.
    pub fn of(e: &Element) -> Result<Self, ParseError> {
        let addr = e.require("server-address")?;
        let address = if let Some(v) = addr.child_text("ipv4") {
            ServerAddress::Ipv4(v)
        } else if let Some(v) = addr.child_text("ipv6") {
            ServerAddress::Ipv6(v)
        } else {
            ServerAddress::Host(
                addr.child_text("host")
                    .ok_or(ParseError::MissingElement { name: "host" })?,
            )
        };
        let port = match addr.child_text("port").or_else(|| e.child_text("port")) {
            Some(p) => Some(
                p.parse()
                    .map_err(|_| ParseError::InvalidValue { field: "port" })?,
            ),
            None => None,
        };
        let enc = e.child("encryption");
        Ok(Self {
            protocol: e
                .child_text("protocol")
                .ok_or(ParseError::MissingElement { name: "protocol" })?,
            address,
            port,
            localcert: enc.and_then(|x| x.child_text("localcert")),
            remotecert: enc.and_then(|x| x.child_text("remotecert")),
        })
    }

    /// The element, named `primary-server` or `backup-server`.
    pub fn to_node(&self, name: &'static str) -> Node {
        let addr = match &self.address {
            ServerAddress::Ipv4(v) => Node::new("ipv4").text(v),
            ServerAddress::Ipv6(v) => Node::new("ipv6").text(v),
            ServerAddress::Host(v) => Node::new("host").text(v),
        };
        let address = Node::new("server-address")
            .child(addr)
            .opt_text_child("port", self.port.map(|p| p.to_string()));
        let encryption = (self.localcert.is_some() || self.remotecert.is_some()).then(|| {
            Node::new("encryption")
                .opt_text_child("localcert", self.localcert.as_ref())
                .opt_text_child("remotecert", self.remotecert.as_ref())
        });
        Node::new(name)
            .text_child("protocol", &self.protocol)
            .child(address)
            .opt_child(encryption)
    }
}

/// Reads an XSD boolean (`true`/`false`/`1`/`0`, case-insensitive, trimmed).
pub fn parse_bool(text: &str, field: &'static str) -> Result<bool, ParseError> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        _ => Err(ParseError::InvalidValue { field }),
    }
}

/// Reads an optional boolean child.
pub fn opt_bool(e: &Element, name: &'static str) -> Result<Option<bool>, ParseError> {
    e.child(name).map(|c| parse_bool(&c.text, name)).transpose()
}

/// Reads an optional unsigned child.
pub fn opt_u32(e: &Element, name: &'static str) -> Result<Option<u32>, ParseError> {
    e.child(name)
        .map(|c| {
            c.text
                .parse()
                .map_err(|_| ParseError::InvalidValue { field: name })
        })
        .transpose()
}
