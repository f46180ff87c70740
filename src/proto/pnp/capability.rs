//! Capability (`urn:cisco:pnp:capability`, pnp.md §2.5.15): the request is empty; the agent
//! lists the services and features it supports.
//!
//! Inputs: an untrusted `response` element; capability strings are kept as sent.

use super::xml::Element;

/// A capability response body.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Capabilities {
    /// `supportedCapabilities/capability`, e.g. `cisco:pnp:device-auth`.
    pub capabilities: Vec<String>,
    /// `supportedFeatures/feature`, e.g. `cisco:pnp:script-inline`.
    pub features: Vec<String>,
}

impl Capabilities {
    /// Whether the agent lists this capability.
    pub fn supports(&self, capability: &str) -> bool {
        self.capabilities.iter().any(|c| c == capability)
    }

    pub(crate) fn from_response(response: &Element) -> Self {
        let list = |outer: &str, inner: &str| -> Vec<String> {
            response
                .child(outer)
                .map(|o| o.children_named(inner).map(|c| c.text.clone()).collect())
                .unwrap_or_default()
        };
        Self {
            capabilities: list("supportedCapabilities", "capability"),
            features: list("supportedFeatures", "feature"),
        }
    }
}
