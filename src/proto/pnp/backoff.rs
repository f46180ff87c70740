//! Backoff (`urn:cisco:pnp:backoff`, pnp.md §2.5.3): tells the agent when to ask again, changes
//! its default retry interval, or terminates PnP.
//!
//! Inputs: typed values for rendering; a semi-trusted server `request` element for parsing.
//! Children may come in any order (h/m/s and s/m/h are both seen).

use super::common::opt_u32;
use super::error::ParseError;
use super::write::Node;
use super::xml::Element;

/// Largest `defaultMinutes` the XSD allows.
pub const MAX_DEFAULT_MINUTES: u16 = 2880;

/// What the backoff asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BackoffAction {
    /// One-shot delay; the agent waits 15 minutes when all three parts are absent.
    CallbackAfter {
        /// 0–47.
        hours: Option<u8>,
        /// 0–59.
        minutes: Option<u8>,
        /// 0–59.
        seconds: Option<u8>,
    },
    /// New permanent WORK-REQUEST interval, 1–[`MAX_DEFAULT_MINUTES`].
    DefaultMinutes(u16),
    /// Remove the PnP profile.
    Terminate,
}

/// A backoff request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Backoff {
    /// `reason`, e.g. `backoffNow`.
    pub reason: String,
    /// The action.
    pub action: BackoffAction,
}

impl Backoff {
    /// A one-shot delay of `minutes` (at most 59; use hours for more).
    pub fn callback_after(
        reason: &str,
        hours: u8,
        minutes: u8,
        seconds: u8,
    ) -> Result<Self, ParseError> {
        check_hms(Some(hours), Some(minutes), Some(seconds))?;
        Ok(Self {
            reason: reason.to_owned(),
            action: BackoffAction::CallbackAfter {
                hours: Some(hours),
                minutes: Some(minutes),
                seconds: Some(seconds),
            },
        })
    }

    /// A new default interval; refused outside 1–[`MAX_DEFAULT_MINUTES`].
    pub fn default_minutes(reason: &str, minutes: u16) -> Result<Self, ParseError> {
        if !(1..=MAX_DEFAULT_MINUTES).contains(&minutes) {
            return Err(ParseError::InvalidValue {
                field: "defaultMinutes",
            });
        }
        Ok(Self {
            reason: reason.to_owned(),
            action: BackoffAction::DefaultMinutes(minutes),
        })
    }

    /// Terminate PnP on the device.
    pub fn terminate(reason: &str) -> Self {
        Self {
            reason: reason.to_owned(),
            action: BackoffAction::Terminate,
        }
    }

    pub(crate) fn append_to(&self, request: Node) -> Node {
        let action = match &self.action {
            BackoffAction::CallbackAfter {
                hours,
                minutes,
                seconds,
            } => Node::new("callbackAfter")
                .opt_text_child("hours", hours.map(|v| v.to_string()))
                .opt_text_child("minutes", minutes.map(|v| v.to_string()))
                .opt_text_child("seconds", seconds.map(|v| v.to_string())),
            BackoffAction::DefaultMinutes(m) => Node::new("defaultMinutes").text(m.to_string()),
            BackoffAction::Terminate => Node::new("terminate"),
        };
        request.child(
            Node::new("backoff")
                .text_child("reason", &self.reason)
                .child(action),
        )
    }

    pub(crate) fn from_request(request: &Element) -> Result<Self, ParseError> {
        let b = request.require("backoff")?;
        let reason = b.child_text("reason").unwrap_or_default();
        let action = if let Some(c) = b.child("callbackAfter") {
            let part = |name| -> Result<Option<u8>, ParseError> {
                let bad = |_| ParseError::InvalidValue {
                    field: "callbackAfter",
                };
                opt_u32(c, name)?
                    .map(|v| u8::try_from(v).map_err(bad))
                    .transpose()
            };
            let (hours, minutes, seconds) = (part("hours")?, part("minutes")?, part("seconds")?);
            check_hms(hours, minutes, seconds)?;
            BackoffAction::CallbackAfter {
                hours,
                minutes,
                seconds,
            }
        } else if let Some(m) = b.child("defaultMinutes") {
            let minutes = m.text.parse().map_err(|_| ParseError::InvalidValue {
                field: "defaultMinutes",
            })?;
            return Self::default_minutes(&reason, minutes);
        } else if b.child("terminate").is_some() {
            BackoffAction::Terminate
        } else {
            return Err(ParseError::MissingElement {
                name: "callbackAfter",
            });
        };
        Ok(Self { reason, action })
    }
}

fn check_hms(h: Option<u8>, m: Option<u8>, s: Option<u8>) -> Result<(), ParseError> {
    let ok = h.is_none_or(|h| h <= 47) && m.is_none_or(|m| m <= 59) && s.is_none_or(|s| s <= 59);
    if ok {
        Ok(())
    } else {
        Err(ParseError::InvalidValue {
            field: "callbackAfter",
        })
    }
}
