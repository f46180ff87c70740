//! The work-info answer (`info`/`workInfo`, pnp.md §2.5.2): bye, with an optional server session
//! id, sent as the body of the answer to every WORK-RESPONSE (§2.6 rule 3).
//!
//! Inputs: typed values for rendering; for parsing (emulators, tests) an `info` element from the
//! server, which is semi-trusted.

use super::envelope::{Correlator, Header, NS_WORK_INFO};
use super::error::ParseError;
use super::write::Node;
use super::xml::Element;

/// A bye (`workInfo` always carries `bye`; `sid` is optional).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bye {
    /// The correlator of the transaction being closed.
    pub correlator: Correlator,
    /// `workInfo/sid`, a server session id.
    pub sid: Option<String>,
}

impl Bye {
    /// A bye closing the transaction of this correlator.
    pub fn new(correlator: Correlator) -> Self {
        Self {
            correlator,
            sid: None,
        }
    }

    /// Renders the whole document.
    pub fn render(&self, header: &Header) -> String {
        let work_info = Node::new("workInfo")
            .child(Node::new("bye"))
            .opt_text_child("sid", self.sid.as_ref());
        let info = Node::new("info")
            .attr("xmlns", NS_WORK_INFO)
            .raw_attr("correlator", self.correlator.raw())
            .child(work_info);
        header.render(info)
    }

    /// Reads a bye from an `info` element.
    pub(crate) fn from_info(info: &Element) -> Result<Self, ParseError> {
        let correlator = Correlator::of(info)?.ok_or(ParseError::MissingAttribute {
            element: "info",
            attribute: "correlator",
        })?;
        let work_info = info.require("workInfo")?;
        work_info.require("bye")?;
        Ok(Self {
            correlator,
            sid: work_info.child_text("sid"),
        })
    }
}
