//! Config upgrade (`urn:cisco:pnp:config-upgrade`, pnp.md §2.5.7): copy a configuration file to
//! startup or running, then reload or not.
//!
//! Inputs: typed values for rendering; an untrusted `response` element (the `serviceLog` is raw
//! device output) or a semi-trusted `request` for parsing.

use super::common::{AfterOperation, Source};
use super::error::ParseError;
use super::write::Node;
use super::xml::Element;

/// Where the configuration goes (`applyTo`); the device default is running (§6 item 8).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ApplyTo {
    /// `startup`.
    Startup,
    /// `running`.
    Running,
    /// `AP`.
    Ap,
}

impl ApplyTo {
    fn as_str(self) -> &'static str {
        match self {
            Self::Startup => "startup",
            Self::Running => "running",
            Self::Ap => "AP",
        }
    }

    fn of(e: &Element) -> Result<Self, ParseError> {
        // The Cisco sample writes the target as text; an empty child element is accepted too.
        let name = e
            .children
            .first()
            .map_or(e.text.as_str(), |c| c.name.as_str());
        match name {
            "startup" => Ok(Self::Startup),
            "running" => Ok(Self::Running),
            "AP" => Ok(Self::Ap),
            _ => Err(ParseError::InvalidValue { field: "applyTo" }),
        }
    }
}

/// A config-upgrade request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigUpgrade {
    /// `config@details`.
    pub details: Option<String>,
    /// Where the configuration file is.
    pub source: Source,
    /// `applyTo`.
    pub apply_to: Option<ApplyTo>,
    /// `abortOnSyntaxFault`.
    pub abort_on_syntax_fault: bool,
    /// `reload`, `noReload` or neither.
    pub after: AfterOperation,
}

impl ConfigUpgrade {
    pub(crate) fn append_to(&self, request: Node) -> Node {
        let copy = Node::new("copy")
            .child(self.source.to_node())
            .opt_text_child("applyTo", self.apply_to.map(ApplyTo::as_str))
            .opt_child(
                self.abort_on_syntax_fault
                    .then(|| Node::new("abortOnSyntaxFault")),
            );
        let config = Node::new("config")
            .opt_attr("details", self.details.as_ref())
            .child(copy);
        request.child(config).opt_child(self.after.to_node())
    }

    pub(crate) fn from_request(request: &Element) -> Result<Self, ParseError> {
        let config = request.require("config")?;
        let copy = config.require("copy")?;
        Ok(Self {
            details: config.attr("details").map(str::to_owned),
            source: Source::of_copy(copy)?,
            apply_to: copy.child("applyTo").map(ApplyTo::of).transpose()?,
            abort_on_syntax_fault: copy.child("abortOnSyntaxFault").is_some(),
            after: AfterOperation::of(request)?,
        })
    }
}
