//! Script (`urn:cisco:pnp:script`, pnp.md §2.5.12): run a Tcl or Python script fetched from a
//! location or given inline.
//!
//! Inputs: typed values for rendering; an untrusted `response` element (`serviceLog` is script
//! output) or a semi-trusted `request` for parsing. Both `arguments` (XSD) and `argument` (Cisco
//! sample) are accepted.

use super::error::ParseError;
use super::write::Node;
use super::xml::Element;

/// Where the script comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScriptSource {
    /// `location`.
    Location(String),
    /// `uri` (relative to the PnP server).
    Uri(String),
    /// `inline` script text (escaped on output).
    Inline(String),
}

/// A script request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Script {
    /// The script.
    pub source: ScriptSource,
    /// `arguments`.
    pub arguments: Option<String>,
    /// `@stype`: `tcl` or `python`.
    pub stype: Option<String>,
    /// `@maxWait` (xs:duration; default `PT3600S`).
    pub max_wait: Option<String>,
}

impl Script {
    pub(crate) fn append_to(&self, request: Node) -> Node {
        let source = match &self.source {
            ScriptSource::Location(l) => Node::new("location").text(l),
            ScriptSource::Uri(u) => Node::new("uri").text(u),
            ScriptSource::Inline(s) => Node::new("inline").text(s),
        };
        let script = Node::new("script")
            .opt_attr("maxWait", self.max_wait.as_ref())
            .opt_attr("stype", self.stype.as_ref())
            .child(Node::new("copy").child(Node::new("source").child(source)))
            .opt_text_child("arguments", self.arguments.as_ref());
        request.child(script)
    }

    pub(crate) fn from_request(request: &Element) -> Result<Self, ParseError> {
        let script = request.require("script")?;
        let source = script.require("copy")?.require("source")?;
        let source = if let Some(l) = source.child_text("location") {
            ScriptSource::Location(l)
        } else if let Some(u) = source.child_text("uri") {
            ScriptSource::Uri(u)
        } else {
            ScriptSource::Inline(source.require("inline")?.text.clone())
        };
        Ok(Self {
            source,
            arguments: script
                .child_text("arguments")
                .or_else(|| script.child_text("argument")),
            stype: script.attr("stype").map(str::to_owned),
            max_wait: script.attr("maxWait").map(str::to_owned),
        })
    }
}
