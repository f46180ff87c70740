//! Reload (`urn:cisco:pnp:reload`, pnp.md §2.5.11): reload the device after a delay, saving or
//! erasing the configuration first.
//!
//! Inputs: typed values for rendering; a semi-trusted `request` element for parsing. The
//! response carries only `errorInfo` (2400–2406), read by the envelope.

use super::common::opt_bool;
use super::error::ParseError;
use super::write::{Node, xml_bool};
use super::xml::Element;

/// Largest `delayIn` the XSD allows, in seconds.
pub const MAX_RELOAD_DELAY_SECONDS: u32 = 2_147_483;

/// What to do with the configuration before reloading.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConfigAction {
    /// `saveConfig`.
    Save(bool),
    /// `eraseConfig`.
    Erase(bool),
}

/// A reload request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReloadRequest {
    /// `reason`.
    pub reason: Option<String>,
    /// `delayIn`, seconds (at most [`MAX_RELOAD_DELAY_SECONDS`]).
    pub delay_in: Option<u32>,
    /// `user`, e.g. "APIC-EM PnP Service".
    pub user: Option<String>,
    /// `saveConfig` or `eraseConfig`.
    pub config: Option<ConfigAction>,
}

impl ReloadRequest {
    pub(crate) fn append_to(&self, request: Node) -> Node {
        let config = self.config.map(|c| match c {
            ConfigAction::Save(b) => Node::new("saveConfig").text(xml_bool(b)),
            ConfigAction::Erase(b) => Node::new("eraseConfig").text(xml_bool(b)),
        });
        let reload = Node::new("reload")
            .opt_text_child("reason", self.reason.as_ref())
            .opt_text_child(
                "delayIn",
                self.delay_in
                    .map(|d| d.min(MAX_RELOAD_DELAY_SECONDS).to_string()),
            )
            .opt_text_child("user", self.user.as_ref())
            .opt_child(config);
        request.child(reload)
    }

    pub(crate) fn from_request(request: &Element) -> Result<Self, ParseError> {
        let r = request.require("reload")?;
        let delay_in = match r.child("delayIn") {
            Some(d) => Some(
                d.text
                    .parse::<u32>()
                    .ok()
                    .filter(|d| *d <= MAX_RELOAD_DELAY_SECONDS)
                    .ok_or(ParseError::InvalidValue { field: "delayIn" })?,
            ),
            None => None,
        };
        let config = match (opt_bool(r, "saveConfig")?, opt_bool(r, "eraseConfig")?) {
            (Some(s), _) => Some(ConfigAction::Save(s)),
            (None, Some(e)) => Some(ConfigAction::Erase(e)),
            (None, None) => None,
        };
        Ok(Self {
            reason: r.child_text("reason"),
            delay_in,
            user: r.child_text("user"),
            config,
        })
    }
}
