//! Agent faults (`urn:cisco:pnp:fault`, pnp.md §2.4): the agent could not handle a request. A
//! fault usually carries no correlator, so it is matched to the outstanding request by UDI.
//!
//! Inputs: an untrusted `response` element. Details are read by namespace
//! (`urn:cisco:pnp:error`) and local name, whatever prefix the device uses (`XSVC-ERR`, …).

use crate::identity::Udi;

use super::envelope::{Correlator, Envelope, NS_ERROR};
use super::error::ParseError;
use super::xml::Element;

/// A parsed agent fault.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fault {
    /// Root attributes; `envelope.udi` identifies the device.
    pub envelope: Envelope,
    /// The correlator, when the agent included one.
    pub correlator: Option<Correlator>,
    /// `faultcode`, e.g. `XSVC:Client`.
    pub code: Option<String>,
    /// `faultstring`, e.g. "An unknown XML tag has been received".
    pub string: Option<String>,
    /// `detail/{urn:cisco:pnp:error}error/details`.
    pub details: Option<String>,
}

impl Fault {
    pub(crate) fn from_response(
        envelope: Envelope,
        response: &Element,
    ) -> Result<Self, ParseError> {
        let fault = response.require("fault")?;
        // faultcode/faultstring are unqualified in SOAP style, but inherit the default namespace
        // here; accept either.
        let text = |name: &str| {
            fault
                .children
                .iter()
                .find(|c| c.name == name && (c.ns == fault.ns || c.ns.is_empty()))
                .map(|c| c.text.clone())
        };
        let details = fault
            .children
            .iter()
            .find(|c| c.name == "detail")
            .and_then(|d| d.children.iter().find(|c| c.is(NS_ERROR, "error")))
            .and_then(|e| e.children.iter().find(|c| c.is(NS_ERROR, "details")))
            .map(|d| d.text.clone());
        Ok(Self {
            correlator: Correlator::of(response)?,
            code: text("faultcode"),
            string: text("faultstring"),
            details,
            envelope,
        })
    }

    /// Whether this fault belongs to the outstanding request of `udi`: by correlator when both
    /// have one, otherwise by UDI (pnp.md §2.4).
    pub fn matches(&self, udi: &Udi, outstanding: Option<&Correlator>) -> bool {
        match (&self.correlator, outstanding) {
            (Some(mine), Some(theirs)) => {
                mine.as_str() == theirs.as_str() && self.envelope.udi == *udi
            }
            _ => self.envelope.udi == *udi,
        }
    }
}
