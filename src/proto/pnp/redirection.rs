//! Redirection (`urn:cisco:pnp:redirection`, pnp.md §2.5.14): point the agent's profile at
//! another PnP server (or a WLC).
//!
//! Inputs: typed values for rendering; a semi-trusted `request` element for parsing. The
//! correlator is optional for this service. The response carries only `errorInfo` (3100–3136).

use super::common::{ServerSpec, opt_bool};
use super::error::ParseError;
use super::write::{Node, xml_bool};
use super::xml::Element;

/// A redirection request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Redirection {
    /// `callback`: keep the current profile active.
    pub callback: Option<bool>,
    /// `@controller-type` (`wlc`).
    pub controller_type: Option<String>,
    /// `primary-server`.
    pub primary: ServerSpec,
    /// `backup-server`.
    pub backup: Option<ServerSpec>,
}

impl Redirection {
    pub(crate) fn append_to(&self, request: Node) -> Node {
        let body = Node::new("redirection")
            .opt_attr("controller-type", self.controller_type.as_ref())
            .opt_text_child("callback", self.callback.map(xml_bool))
            .child(self.primary.to_node("primary-server"))
            .opt_child(self.backup.as_ref().map(|b| b.to_node("backup-server")));
        request.child(body)
    }

    pub(crate) fn from_request(request: &Element) -> Result<Self, ParseError> {
        let r = request.require("redirection")?;
        Ok(Self {
            callback: opt_bool(r, "callback")?,
            controller_type: r.attr("controller-type").map(str::to_owned),
            primary: ServerSpec::of(r.require("primary-server")?)?,
            backup: r.child("backup-server").map(ServerSpec::of).transpose()?,
        })
    }
}
