//! File transfer (`urn:cisco:pnp:file-transfer`, pnp.md §2.5.9): copy a file to the device.
//!
//! Inputs: typed values for rendering; a semi-trusted `request` element for parsing. The
//! response carries only `errorInfo` (1700–1702), read by the envelope.

use super::common::FileLocation;
use super::error::ParseError;
use super::write::Node;
use super::xml::Element;

/// A file-transfer request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileTransfer {
    /// Where the file is.
    pub source: FileLocation,
    /// Where to write it, e.g. `bootflash:guest-share/x.txt`.
    pub destination: FileLocation,
}

impl FileTransfer {
    pub(crate) fn append_to(&self, request: Node) -> Node {
        let copy = Node::new("copy")
            .child(Node::new("source").child(self.source.to_node()))
            .child(Node::new("destination").child(self.destination.to_node()));
        request.child(Node::new("fileTransfer").child(copy))
    }

    pub(crate) fn from_request(request: &Element) -> Result<Self, ParseError> {
        let copy = request.require("fileTransfer")?.require("copy")?;
        Ok(Self {
            source: FileLocation::of(copy.require("source")?)?,
            destination: FileLocation::of(copy.require("destination")?)?,
        })
    }
}
