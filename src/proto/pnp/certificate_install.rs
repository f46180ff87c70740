//! Certificate install (`urn:cisco:pnp:certificate-install`, pnp.md §2.5.13): install a trustpool
//! bundle and optionally reconnect the PnP profile (typically HTTP → HTTPS, §1.7).
//!
//! Inputs: typed values for rendering; a semi-trusted `request` element for parsing. The response
//! is empty on success or carries `errorInfo` (3300–3337), read by the envelope.

use super::common::{FileLocation, ServerSpec};
use super::error::ParseError;
use super::write::Node;
use super::xml::Element;

/// Where the agent reconnects after installing the certificates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reconnect {
    /// `primary-server` (protocol must be `https` for a reconnect).
    pub primary: ServerSpec,
    /// `backup-server`.
    pub backup: Option<ServerSpec>,
}

/// A certificate-install request that installs a trustpool bundle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertificateInstall {
    /// Where the trustpool bundle is.
    pub trustpool: FileLocation,
    /// Reconnect instructions.
    pub reconnect: Option<Reconnect>,
}

impl CertificateInstall {
    pub(crate) fn append_to(&self, request: Node) -> Node {
        let source = Node::new("source").child(self.trustpool.to_node());
        let install = Node::new("install")
            .child(Node::new("trustpool").child(Node::new("copy").child(source)));
        let reconnect = self.reconnect.as_ref().map(|r| {
            Node::new("reconnect")
                .child(r.primary.to_node("primary-server"))
                .opt_child(r.backup.as_ref().map(|b| b.to_node("backup-server")))
        });
        let body = Node::new("certificateInstall")
            .child(Node::new("cert").child(install))
            .opt_child(reconnect);
        request.child(body)
    }

    pub(crate) fn from_request(request: &Element) -> Result<Self, ParseError> {
        let ci = request.require("certificateInstall")?;
        let source = ci
            .require("cert")?
            .require("install")?
            .require("trustpool")?
            .require("copy")?
            .require("source")?;
        let reconnect = match ci.child("reconnect") {
            Some(r) => Some(Reconnect {
                primary: ServerSpec::of(r.require("primary-server")?)?,
                backup: r.child("backup-server").map(ServerSpec::of).transpose()?,
            }),
            None => None,
        };
        Ok(Self {
            trustpool: FileLocation::of(source)?,
            reconnect,
        })
    }
}
