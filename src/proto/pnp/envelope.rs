//! The `<pnp>` envelope (pnp.md §2.1): service namespaces, the correlator (§1.5), the parsed root
//! attributes of an agent message and the header the server writes on its own messages.
//!
//! Inputs: the [`Element`] tree of an untrusted body. The UDI is parsed with
//! [`Udi::parse`]; the correlator is kept exactly as sent so it can be echoed byte for byte.

use crate::identity::Udi;

use super::error::{ParseError, truncated};
use super::write::{Node, escape};
use super::xml::Element;

/// Namespace of the `<pnp>` root.
pub const NS_PNP: &str = "urn:cisco:pnp";
/// Namespace of the work request and bye (`info`).
pub const NS_WORK_INFO: &str = "urn:cisco:pnp:work-info";
/// Namespace of agent fault details (`xsvc-err:error`).
pub const NS_ERROR: &str = "urn:cisco:pnp:error";
/// Longest accepted correlator, in bytes as sent (observed values are under 64).
pub const MAX_CORRELATOR_BYTES: usize = 256;

/// A PnP service, identified by the namespace of `request`/`response` (pnp.md §2.1).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Service {
    /// `urn:cisco:pnp:backoff`
    Backoff,
    /// `urn:cisco:pnp:capability`
    Capability,
    /// `urn:cisco:pnp:certificate-install`
    CertificateInstall,
    /// `urn:cisco:pnp:cli-config`
    CliConfig,
    /// `urn:cisco:pnp:cli-exec`
    CliExec,
    /// `urn:cisco:pnp:config-upgrade`
    ConfigUpgrade,
    /// `urn:cisco:pnp:device-auth`
    DeviceAuth,
    /// `urn:cisco:pnp:device-info`
    DeviceInfo,
    /// `urn:cisco:pnp:file-transfer`
    FileTransfer,
    /// `urn:cisco:pnp:image-install`
    ImageInstall,
    /// `urn:cisco:pnp:licensing`
    Licensing,
    /// `urn:cisco:pnp:redirection`
    Redirection,
    /// `urn:cisco:pnp:reload`
    Reload,
    /// `urn:cisco:pnp:script`
    Script,
    /// `urn:cisco:pnp:topology`
    Topology,
    /// `urn:cisco:pnp:fault` (agent could not handle a request, §2.4)
    Fault,
    /// Another `urn:cisco:pnp:<name>` service (eem-proxy, smu, snmp, …), kept by name.
    Other(String),
}

const SERVICES: &[(&str, Service)] = &[
    ("backoff", Service::Backoff),
    ("capability", Service::Capability),
    ("certificate-install", Service::CertificateInstall),
    ("cli-config", Service::CliConfig),
    ("cli-exec", Service::CliExec),
    ("config-upgrade", Service::ConfigUpgrade),
    ("device-auth", Service::DeviceAuth),
    ("device-info", Service::DeviceInfo),
    ("file-transfer", Service::FileTransfer),
    ("image-install", Service::ImageInstall),
    ("licensing", Service::Licensing),
    ("redirection", Service::Redirection),
    ("reload", Service::Reload),
    ("script", Service::Script),
    ("topology", Service::Topology),
    ("fault", Service::Fault),
];

impl Service {
    /// The service for a namespace URI; `None` unless it is `urn:cisco:pnp:<name>`.
    pub fn from_namespace(ns: &str) -> Option<Self> {
        let name = ns.strip_prefix("urn:cisco:pnp:")?;
        if name.is_empty() || name == "work-info" || name == "error" {
            return None;
        }
        let known = SERVICES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, s)| s.clone());
        Some(known.unwrap_or_else(|| Self::Other(truncated(name))))
    }

    /// The namespace URI of this service.
    pub fn namespace(&self) -> String {
        let name = match self {
            Self::Other(name) => name.as_str(),
            known => SERVICES
                .iter()
                .find(|(_, s)| s == known)
                .map_or("", |(n, _)| *n),
        };
        format!("urn:cisco:pnp:{name}")
    }
}

/// The opaque session correlator, kept exactly as it was written on the wire (pnp.md §1.5).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Correlator {
    raw: String,
    value: String,
}

impl Correlator {
    /// A server-chosen correlator (e.g. for redirection); refused when empty or too long.
    pub fn new(value: &str) -> Result<Self, ParseError> {
        let raw = escape(value, true);
        Self::check(&raw)?;
        Ok(Self {
            raw,
            value: value.to_owned(),
        })
    }

    /// A correlator read from an attribute: raw (escaped) text and its unescaped value.
    pub(crate) fn from_wire(raw: &str, value: &str) -> Result<Self, ParseError> {
        // A single-quoted attribute may hold `"`; such a value cannot be echoed inside double
        // quotes as is, so it is re-escaped instead.
        let raw = if raw.contains(['"', '<']) {
            escape(value, true)
        } else {
            raw.to_owned()
        };
        Self::check(&raw)?;
        Ok(Self {
            raw,
            value: value.to_owned(),
        })
    }

    fn check(raw: &str) -> Result<(), ParseError> {
        if raw.is_empty() || raw.len() > MAX_CORRELATOR_BYTES {
            return Err(ParseError::InvalidValue {
                field: "correlator",
            });
        }
        Ok(())
    }

    /// The correlator as attribute text, exactly as the agent wrote it.
    pub fn raw(&self) -> &str {
        &self.raw
    }

    /// The correlator with character references expanded.
    pub fn as_str(&self) -> &str {
        &self.value
    }

    /// Reads the `correlator` attribute of an element, if present.
    pub(crate) fn of(element: &Element) -> Result<Option<Self>, ParseError> {
        let found = element.attrs.iter().find(|a| a.name == "correlator");
        found.map(|a| Self::from_wire(&a.raw, &a.value)).transpose()
    }
}

/// The root attributes of a message sent by an agent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Envelope {
    /// The UDI the device claims (untrusted until compared with its verified identity).
    pub udi: Udi,
    /// The `udi` attribute text as sent, for echoing in the server's messages.
    pub udi_text: String,
    /// `version` (always `1.0` in practice).
    pub version: Option<String>,
    /// `sid`, a server session id echoed by the agent.
    pub sid: Option<String>,
}

/// Splits a root element into its envelope and the single body element (`info`, `request` or
/// `response`).
pub(crate) fn split_root(root: &Element) -> Result<(Envelope, &Element), ParseError> {
    if !root.is(NS_PNP, "pnp") {
        return Err(ParseError::UnexpectedRoot);
    }
    let udi_text = root.attr("udi").ok_or(ParseError::MissingAttribute {
        element: "pnp",
        attribute: "udi",
    })?;
    let envelope = Envelope {
        udi: Udi::parse(udi_text)?,
        udi_text: udi_text.to_owned(),
        version: root.attr("version").map(str::to_owned),
        sid: root.attr("sid").map(str::to_owned),
    };
    let body = root
        .children
        .iter()
        .find(|c| {
            is_pnp_namespace(&c.ns) && matches!(c.name.as_str(), "info" | "request" | "response")
        })
        .ok_or(ParseError::MissingElement {
            name: "info|request|response",
        })?;
    Ok((envelope, body))
}

/// Root attributes of a message the server sends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// The device UDI, copied from the agent's message (pnp.md §2.6 rule 2).
    pub udi: String,
    /// Server session id.
    pub sid: Option<String>,
    /// Device login user (when the agent said `authRequired`).
    pub usr: Option<String>,
    /// Device login password.
    pub pwd: Option<String>,
}

impl Header {
    /// A header carrying the UDI of a device.
    pub fn new(udi: &Udi) -> Self {
        Self {
            udi: udi.to_string(),
            sid: None,
            usr: None,
            pwd: None,
        }
    }

    /// A header echoing the UDI text and session id of an agent's message.
    pub fn reply_to(envelope: &Envelope) -> Self {
        Self {
            udi: envelope.udi_text.clone(),
            sid: envelope.sid.clone(),
            usr: None,
            pwd: None,
        }
    }

    /// Renders the whole document: XML declaration, `<pnp>` root and the body element.
    pub fn render(&self, body: Node) -> String {
        let root = Node::new("pnp")
            .attr("xmlns", NS_PNP)
            .attr("version", "1.0")
            .attr("udi", &self.udi)
            .opt_attr("sid", self.sid.as_ref())
            .opt_attr("usr", self.usr.as_ref())
            .opt_attr("pwd", self.pwd.as_ref())
            .child(body);
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{}",
            root.render()
        )
    }
}

/// The `<request xmlns="urn:cisco:pnp:<service>" correlator="…">` element.
pub(crate) fn request_node(service: &Service, correlator: Option<&Correlator>) -> Node {
    let node = Node::new("request").attr("xmlns", service.namespace());
    match correlator {
        Some(c) => node.raw_attr("correlator", c.raw()),
        None => node,
    }
}

/// `urn:cisco:pnp` or `urn:cisco:pnp:<anything>`.
fn is_pnp_namespace(ns: &str) -> bool {
    ns == NS_PNP || ns.starts_with("urn:cisco:pnp:")
}
