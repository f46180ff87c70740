//! Image install (`urn:cisco:pnp:image-install`, pnp.md §2.5.8): copy an image (with its MD5
//! checksum) to the device and reload into it.
//!
//! Inputs: typed values for rendering; a semi-trusted `request` element for parsing. The
//! response carries only `errorInfo` (1800–1832), read by the envelope.

use super::common::{AfterOperation, FileLocation, Source};
use super::error::ParseError;
use super::write::Node;
use super::xml::Element;

/// An image-install request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageInstall {
    /// Where the image is, with its checksum.
    pub source: Source,
    /// Where to write it (`bootflash:…`), when not the device default.
    pub destination: Option<FileLocation>,
    /// `reload` (with delay), `noReload`, or neither (the device reloads).
    pub after: AfterOperation,
}

impl ImageInstall {
    pub(crate) fn append_to(&self, request: Node) -> Node {
        let destination = self
            .destination
            .as_ref()
            .map(|d| Node::new("destination").child(d.to_node()));
        let copy = Node::new("copy")
            .child(self.source.to_node())
            .opt_child(destination);
        request
            .child(Node::new("image").child(copy))
            .opt_child(self.after.to_node())
    }

    pub(crate) fn from_request(request: &Element) -> Result<Self, ParseError> {
        let copy = request.require("image")?.require("copy")?;
        Ok(Self {
            source: Source::of_copy(copy)?,
            destination: copy
                .child("destination")
                .map(FileLocation::of)
                .transpose()?,
            after: AfterOperation::of(request)?,
        })
    }
}
