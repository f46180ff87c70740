//! The inspecting Smart Install relay's core: per-connection inspection state for both directions
//! of a TCP 4786 connection, turning received bytes into forward / reset / audit actions.
//!
//! Pure (no I/O, no clock): the edge (`crate::edge::vstack_relay`) reads bytes from a socket,
//! calls [`Guard::on_bytes`] or [`Guard::on_close`] and carries out the returned [`Action`]s in
//! order. Each direction has its own [`StreamDecoder`]; a message is forwarded only once it is
//! complete and allowed, byte for byte as received, so a partial message never reaches the peer
//! before its verdict (smart-install.md §9(a), §9(b)).
//!
//! Inputs: all bytes are attacker-controlled, from either side. Addresses come from the kernel
//! (the accepted socket and the upstream destination). Decisions come from the compiled Smart
//! Install policy ([`CompiledAccess`]), plus built-in denials that hold whatever the policy says:
//! - any decode error (`LengthMismatch`, `Oversized`, a message truncated by the end of the
//!   stream) → rule `decode-error`;
//! - an init-discovery message whose TLV overruns the message (CVE-2018-0171, §3.8) → rule
//!   `tlv-overrun`.
//!
//! After an enforced denial the connection is reset and the guard is closed: it returns nothing
//! more. A denial in audit mode is recorded and the message forwarded.

mod inspection;

#[cfg(test)]
mod tests;

use std::net::SocketAddr;

use crate::inspect::detector::{Detection, Detector};
use crate::policy::access::{AccessVerdict, CompiledAccess, MessageKind, SmartInstallEvent};
use crate::policy::{Area, Decision, Mode, RuleRef};
use crate::proto::vstack::{DecodeError, Decoded, Finding, Frame, Limits, StreamDecoder};

pub use inspection::{Inspection, Outcome, policy_kind};

/// Which way bytes travel on a relayed connection. The side that opened the connection is the
/// director (or whoever poses as one); the destination is the Smart Install client.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Flow {
    /// From the connecting side (director) to the destination (client switch).
    DirectorToClient,
    /// From the destination (client switch) back to the connecting side.
    ClientToDirector,
}

impl Flow {
    /// The snake_case name used in audit records.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::DirectorToClient => "director_to_client",
            Self::ClientToDirector => "client_to_director",
        }
    }

    /// The other direction.
    pub fn reverse(self) -> Self {
        match self {
            Self::DirectorToClient => Self::ClientToDirector,
            Self::ClientToDirector => Self::DirectorToClient,
        }
    }
}

/// What the edge must do, in order.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// Write these exact bytes (whole, allowed messages) in `flow`'s direction.
    Forward {
        /// Direction of the bytes.
        flow: Flow,
        /// The messages' bytes as received.
        bytes: Vec<u8>,
    },
    /// Record this verdict (one per message, or per decode error).
    Audit(Box<Inspection>),
    /// Drop everything not yet forwarded and reset both connections.
    Reset,
}

/// The two endpoints of a relayed connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Endpoints {
    /// The side that connected (the director, or an attacker posing as one).
    pub director: SocketAddr,
    /// The destination (the Smart Install client).
    pub client: SocketAddr,
}

impl Endpoints {
    /// (sender, receiver) of bytes travelling in `flow`.
    pub fn sender_receiver(&self, flow: Flow) -> (SocketAddr, SocketAddr) {
        match flow {
            Flow::DirectorToClient => (self.director, self.client),
            Flow::ClientToDirector => (self.client, self.director),
        }
    }
}

/// Inspection state of one relayed connection.
#[derive(Debug)]
pub struct Guard<'p> {
    policy: &'p CompiledAccess,
    detector: Option<&'p Detector>,
    endpoints: Endpoints,
    to_client: StreamDecoder,
    to_director: StreamDecoder,
    /// Whether the connection's own detections were attached to a verdict yet.
    connection_reported: bool,
    closed: bool,
}

/// Name of the built-in rule that denies undecodable input.
pub const RULE_DECODE_ERROR: &str = "decode-error";
/// Name of the built-in rule that denies init-discovery messages with an overrunning TLV.
pub const RULE_TLV_OVERRUN: &str = "tlv-overrun";

impl<'p> Guard<'p> {
    /// A guard for a new connection between `endpoints`, decoding with `limits`.
    pub fn new(policy: &'p CompiledAccess, endpoints: Endpoints, limits: Limits) -> Self {
        Self {
            policy,
            detector: None,
            endpoints,
            to_client: StreamDecoder::new(limits),
            to_director: StreamDecoder::new(limits),
            connection_reported: false,
            closed: false,
        }
    }

    /// Also applies the detection rules of `detector` to every message and decode error; the
    /// rules matched (and, on the first verdict, those the connection itself matched) are
    /// recorded in the verdict's [`Inspection::detections`]. They inform; the policy decides.
    #[must_use]
    pub fn with_detector(mut self, detector: Option<&'p Detector>) -> Self {
        self.detector = detector;
        self
    }

    /// Whether the connection was reset; the guard then ignores all input.
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// Bytes of a partial message held back in `flow`'s direction.
    pub fn buffered(&self, flow: Flow) -> usize {
        self.decoder(flow).buffered()
    }

    /// Inspects `bytes` received in `flow`'s direction. Complete, allowed messages come back as
    /// one [`Action::Forward`]; every verdict as an [`Action::Audit`]; an enforced denial ends
    /// the list with [`Action::Reset`] (messages allowed before it in the same chunk are still
    /// forwarded first, in order).
    pub fn on_bytes(&mut self, flow: Flow, bytes: &[u8]) -> Vec<Action> {
        let mut actions = Vec::new();
        if self.closed {
            return actions;
        }
        let mut input = bytes;
        let mut forward = Vec::new();
        loop {
            let inspection = match self.decoder_mut(flow).decode(&mut input) {
                Ok(Decoded::NeedMore { .. }) => break,
                Ok(Decoded::Frame(frame)) => {
                    let mut inspection = self.inspect(flow, &frame);
                    self.detect(&mut inspection, |d, src, dst| d.message(src, dst, &frame));
                    inspection
                }
                Err(err) => {
                    let mut inspection = self.decode_denial(flow, &err);
                    self.detect(&mut inspection, |d, src, dst| {
                        d.decode_error(src, dst, &err)
                    });
                    inspection
                }
            };
            if inspection.outcome == Outcome::Forwarded {
                if let Some(raw) = &inspection.raw {
                    forward.extend_from_slice(raw);
                }
                actions.push(Action::Audit(Box::new(inspection)));
                continue;
            }
            flush(&mut actions, flow, &mut forward);
            actions.push(Action::Audit(Box::new(inspection)));
            actions.push(Action::Reset);
            self.closed = true;
            return actions;
        }
        flush(&mut actions, flow, &mut forward);
        actions
    }

    /// The sender in `flow`'s direction closed its side: a partial message left in the decoder
    /// is a truncation, denied by rule `decode-error` (and the connection reset).
    pub fn on_close(&mut self, flow: Flow) -> Vec<Action> {
        if self.closed {
            return Vec::new();
        }
        match self.decoder(flow).finish() {
            Ok(()) => Vec::new(),
            Err(err) => {
                self.closed = true;
                let mut inspection = self.decode_denial(flow, &err);
                self.detect(&mut inspection, |d, src, dst| {
                    d.decode_error(src, dst, &err)
                });
                vec![Action::Audit(Box::new(inspection)), Action::Reset]
            }
        }
    }

    /// Attaches the detector's findings on this verdict (`rules`), preceded on the first verdict
    /// by those on the connection itself.
    fn detect(
        &mut self,
        inspection: &mut Inspection,
        rules: impl FnOnce(&Detector, SocketAddr, SocketAddr) -> Vec<Detection>,
    ) {
        let Some(detector) = self.detector else {
            return;
        };
        if !self.connection_reported {
            self.connection_reported = true;
            let e = self.endpoints;
            inspection.detections = detector.connection(e.director, e.client);
        }
        inspection
            .detections
            .extend(rules(detector, inspection.src, inspection.dst));
    }

    fn decoder(&self, flow: Flow) -> &StreamDecoder {
        match flow {
            Flow::DirectorToClient => &self.to_client,
            Flow::ClientToDirector => &self.to_director,
        }
    }

    fn decoder_mut(&mut self, flow: Flow) -> &mut StreamDecoder {
        match flow {
            Flow::DirectorToClient => &mut self.to_client,
            Flow::ClientToDirector => &mut self.to_director,
        }
    }

    /// The verdict on one decoded message: built-in denials first, then the policy.
    fn inspect(&self, flow: Flow, frame: &Frame) -> Inspection {
        let (src, dst) = self.endpoints.sender_receiver(flow);
        let message = &frame.message;
        let kind = policy_kind(message);
        let mut inspection = Inspection::of_frame(flow, src, dst, kind, frame);
        let overrun = message
            .findings()
            .iter()
            .any(|f| matches!(f, Finding::TlvOverrun { .. }));
        let decision = if kind == MessageKind::InitDiscovery && overrun {
            builtin_deny(
                RULE_TLV_OVERRUN,
                format!(
                    "init-discovery from {} with a TLV that overruns the message \
                     (CVE-2018-0171 pattern)",
                    src.ip()
                ),
            )
        } else {
            let urls: Vec<&str> = inspection.urls.iter().map(String::as_str).collect();
            let commands: Vec<&str> = inspection.commands.iter().map(String::as_str).collect();
            self.policy.decide(&SmartInstallEvent {
                src: src.ip(),
                dst: dst.ip(),
                kind,
                urls: &urls,
                commands: &commands,
            })
        };
        inspection.decide(decision);
        inspection
    }

    fn decode_denial(&self, flow: Flow, err: &DecodeError) -> Inspection {
        let (src, dst) = self.endpoints.sender_receiver(flow);
        let mut inspection = Inspection::of_error(flow, src, dst, err);
        inspection.decide(builtin_deny(
            RULE_DECODE_ERROR,
            format!("undecodable Smart Install input from {}: {err}", src.ip()),
        ));
        inspection
    }
}

/// Moves the pending allowed bytes into one forward action.
fn flush(actions: &mut Vec<Action>, flow: Flow, forward: &mut Vec<u8>) {
    if !forward.is_empty() {
        actions.push(Action::Forward {
            flow,
            bytes: std::mem::take(forward),
        });
    }
}

/// An enforced denial by a built-in rule.
fn builtin_deny(name: &str, reason: String) -> Decision<AccessVerdict> {
    Decision::new(
        AccessVerdict::Deny,
        RuleRef::new(Area::SmartInstall, name),
        Mode::Enforce,
        reason,
    )
}
