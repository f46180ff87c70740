//! The audit facts of one verdict of the Smart Install relay: who sent what to whom, everything
//! the message names (URLs, hosts, commands, findings), the deciding rule and what the edge did.
//!
//! Inputs: decoded messages (attacker-controlled content, kept as lossy text) and the policy's
//! decision. Also holds the codec-kind → policy-kind mapping ([`policy_kind`]).

use std::net::SocketAddr;

use crate::inspect::detector::Detection;
use crate::policy::access::{AccessVerdict, MessageKind};
use crate::policy::{Decision, Mode, RuleRef};
use crate::proto::vstack::{DecodeError, Frame, Kind, Message, W0_CLIENT};

use super::Flow;

/// What the edge does with the inspected message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Forwarded to the receiver (allowed, or denied only in audit mode).
    Forwarded,
    /// Dropped, and the connection reset.
    Dropped,
}

/// One verdict of the relay, with the facts behind it.
#[derive(Clone, Debug, PartialEq)]
pub struct Inspection {
    /// Direction of the message.
    pub flow: Flow,
    /// Sender.
    pub src: SocketAddr,
    /// Receiver.
    pub dst: SocketAddr,
    /// Policy kind; `None` for input that did not decode.
    pub kind: Option<MessageKind>,
    /// Codec kind name (`probe`, `copy_commands`, …); `None` for input that did not decode.
    pub codec_kind: Option<&'static str>,
    /// Header words 0 and 1, type and length, when a message decoded.
    pub header: Option<[u32; 4]>,
    /// Stream offset of the message (or of the error) in its direction.
    pub offset: u64,
    /// Every URL the message names, as text.
    pub urls: Vec<String>,
    /// The distinct hosts of those URLs.
    pub hosts: Vec<String>,
    /// The CLI commands the message carries.
    pub commands: Vec<String>,
    /// Findings of the codec, and the decode error if any.
    pub findings: Vec<String>,
    /// The decision (policy rule or built-in rule).
    pub decision: Decision<AccessVerdict>,
    /// What the edge does with the message.
    pub outcome: Outcome,
    /// Detection rules the message (or the connection, on its first verdict) matched; empty
    /// when the relay runs without rules.
    pub detections: Vec<Detection>,
    /// The message bytes (`None` for input that did not decode); forwarded verbatim when allowed.
    pub raw: Option<Vec<u8>>,
}

impl Inspection {
    /// The facts of a decoded message, before the decision (a placeholder deny until
    /// [`Inspection::decide`]).
    pub(super) fn of_frame(
        flow: Flow,
        src: SocketAddr,
        dst: SocketAddr,
        kind: MessageKind,
        frame: &Frame,
    ) -> Self {
        let m = &frame.message;
        let h = frame.header;
        Self {
            flow,
            src,
            dst,
            kind: Some(kind),
            codec_kind: Some(m.kind().as_str()),
            header: Some([h.w0, h.w1, h.msg_type, h.length]),
            offset: frame.offset,
            urls: m.urls().iter().map(|u| u.text().into_owned()).collect(),
            hosts: m.hosts().into_iter().map(str::to_owned).collect(),
            commands: m.commands().iter().map(|c| c.text().into_owned()).collect(),
            findings: m.findings().iter().map(ToString::to_string).collect(),
            decision: undecided(),
            outcome: Outcome::Dropped,
            detections: Vec::new(),
            raw: Some(frame.raw.clone()),
        }
    }

    /// The facts of input that did not decode.
    pub(super) fn of_error(
        flow: Flow,
        src: SocketAddr,
        dst: SocketAddr,
        err: &DecodeError,
    ) -> Self {
        Self {
            flow,
            src,
            dst,
            kind: None,
            codec_kind: None,
            header: None,
            offset: err.offset(),
            urls: Vec::new(),
            hosts: Vec::new(),
            commands: Vec::new(),
            findings: vec![err.to_string()],
            decision: undecided(),
            outcome: Outcome::Dropped,
            detections: Vec::new(),
            raw: None,
        }
    }

    /// Records the decision and what the edge does with it: forward when allowed or audited.
    pub(super) fn decide(&mut self, decision: Decision<AccessVerdict>) {
        let forward = decision.verdict == AccessVerdict::Allow || decision.mode == Mode::Audit;
        self.outcome = if forward && self.raw.is_some() {
            Outcome::Forwarded
        } else {
            Outcome::Dropped
        };
        self.decision = decision;
    }

    /// The audit record's `detail` object (the reason is added by the audit layer).
    pub fn detail(&self) -> serde_json::Value {
        serde_json::json!({
            "src": self.src.to_string(),
            "dst": self.dst.to_string(),
            "direction": self.flow.as_str(),
            "kind": self.kind.map(MessageKind::as_str),
            "codec_kind": self.codec_kind,
            "header": self.header,
            "offset": self.offset,
            "urls": self.urls,
            "hosts": self.hosts,
            "commands": self.commands,
            "findings": self.findings,
            "outcome": self.outcome,
            "detections": self.detections,
            "bytes": self.raw.as_ref().map(Vec::len),
        })
    }
}

/// The policy kind of a decoded message.
///
/// A message sent with `w0 = 4` (the client role, §2.1) is a `client-reply` — except when its
/// body is a director command (probe, config push, image upgrade, copy, execute, init
/// discovery): `w0` is chosen by the sender, while the body is what the receiver acts on, so the
/// body's kind decides and a command cannot be smuggled as a "reply". Probe replies are client
/// replies whatever `w0` says.
pub fn policy_kind(message: &Message) -> MessageKind {
    match message.kind() {
        Kind::Probe => MessageKind::Probe,
        Kind::ProbeReply => MessageKind::ClientReply,
        Kind::ConfigPush => MessageKind::ConfigPush,
        Kind::CopyCommands => MessageKind::CopyCommands,
        Kind::ImageUpgrade => MessageKind::ImageUpgrade,
        Kind::Execute => MessageKind::Execute,
        Kind::InitDiscovery => MessageKind::InitDiscovery,
        Kind::Unknown if message.w0 == W0_CLIENT => MessageKind::ClientReply,
        Kind::Unknown => MessageKind::Unknown,
    }
}

fn undecided() -> Decision<AccessVerdict> {
    Decision::new(
        AccessVerdict::Deny,
        RuleRef::new(crate::policy::Area::SmartInstall, "undecided"),
        Mode::Enforce,
        "not yet decided",
    )
}
