//! Licensing (`urn:cisco:pnp:licensing`, pnp.md §2.5.10): accept the EULA, install license files,
//! set the boot level, apply or delete features.
//!
//! Inputs: typed values for rendering; an untrusted `response` element or a semi-trusted
//! `request` for parsing.

use super::common::{AfterOperation, FileLocation};
use super::error::ParseError;
use super::write::Node;
use super::xml::Element;

/// A licensing request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Licensing {
    /// Send `<EULA accept="yes"/>`.
    pub accept_eula: bool,
    /// License files to install (`copy/source/{location|uri}`).
    pub sources: Vec<FileLocation>,
    /// `level` (boot level).
    pub level: Option<String>,
    /// `apply/feature`.
    pub apply: Vec<String>,
    /// `delete/feature`.
    pub delete: Vec<String>,
    /// `reload`, `noReload` or neither.
    pub after: AfterOperation,
}

impl Licensing {
    pub(crate) fn append_to(&self, request: Node) -> Node {
        let mut lic = Node::new("licensing");
        if self.accept_eula {
            lic = lic.child(Node::new("EULA").attr("accept", "yes"));
        }
        for s in &self.sources {
            lic = lic.child(Node::new("copy").child(Node::new("source").child(s.to_node())));
        }
        lic = lic.opt_text_child("level", self.level.as_ref());
        lic = lic.opt_child(features("apply", &self.apply));
        lic = lic.opt_child(features("delete", &self.delete));
        request.child(lic).opt_child(self.after.to_node())
    }

    pub(crate) fn from_request(request: &Element) -> Result<Self, ParseError> {
        let lic = request.require("licensing")?;
        let sources = lic
            .children_named("copy")
            .map(|c| FileLocation::of(c.require("source")?))
            .collect::<Result<_, _>>()?;
        let names = |n: &str| -> Vec<String> {
            lic.child(n)
                .map(|e| {
                    e.children_named("feature")
                        .map(|f| f.text.clone())
                        .collect()
                })
                .unwrap_or_default()
        };
        Ok(Self {
            accept_eula: lic.child("EULA").and_then(|e| e.attr("accept")) == Some("yes"),
            sources,
            level: lic.child_text("level"),
            apply: names("apply"),
            delete: names("delete"),
            after: AfterOperation::of(request)?,
        })
    }
}

fn features(name: &'static str, list: &[String]) -> Option<Node> {
    (!list.is_empty()).then(|| {
        list.iter()
            .fold(Node::new(name), |n, f| n.text_child("feature", f))
    })
}

/// The `licensingInfo` of a response (counts as sent; `successfull` is the XSD spelling).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LicensingInfo {
    /// `total`.
    pub total: Option<String>,
    /// `successfull`.
    pub successful: Option<String>,
    /// `failed`.
    pub failed: Option<String>,
    /// `existing`.
    pub existing: Option<String>,
}

impl LicensingInfo {
    pub(crate) fn from_response(response: &Element) -> Option<Self> {
        let i = response.child("licensingInfo")?;
        Some(Self {
            total: i.child_text("total"),
            successful: i
                .child_text("successfull")
                .or_else(|| i.child_text("successful")),
            failed: i.child_text("failed"),
            existing: i.child_text("existing"),
        })
    }
}
