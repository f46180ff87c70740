//! Topology (`urn:cisco:pnp:topology`, pnp.md §2.5.16): the request is empty; the agent answers
//! with its neighbours (CDP-like local/remote interface pairs).
//!
//! Inputs: an untrusted `response` element; every value is kept as sent.

use super::xml::Element;

/// One side of a link.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LinkEnd {
    /// `interface`.
    pub interface: Option<String>,
    /// `shortInterface`.
    pub short_interface: Option<String>,
    /// `macAddress`.
    pub mac_address: Option<String>,
    /// `deviceName` (remote only).
    pub device_name: Option<String>,
    /// `platform` (remote only).
    pub platform: Option<String>,
    /// `version` (remote only).
    pub version: Option<String>,
}

/// One `topology/element`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Neighbor {
    /// `local`.
    pub local: LinkEnd,
    /// `remote`.
    pub remote: LinkEnd,
}

/// A topology response body.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Topology {
    /// The neighbours in order.
    pub neighbors: Vec<Neighbor>,
}

impl Topology {
    pub(crate) fn from_response(response: &Element) -> Self {
        let neighbors = response
            .child("topology")
            .map(|t| {
                t.children_named("element")
                    .map(|e| Neighbor {
                        local: e.child("local").map(link_end).unwrap_or_default(),
                        remote: e.child("remote").map(link_end).unwrap_or_default(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        Self { neighbors }
    }
}

fn link_end(e: &Element) -> LinkEnd {
    LinkEnd {
        interface: e.child_text("interface"),
        short_interface: e.child_text("shortInterface"),
        mac_address: e.child_text("macAddress"),
        device_name: e.child_text("deviceName"),
        platform: e.child_text("platform"),
        version: e.child_text("version"),
    }
}
