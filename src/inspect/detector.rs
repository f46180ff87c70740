//! The detection rules applied outside a capture: the inspecting relay asks a [`Detector`] which
//! rules each message it relays matches, and records the answer ([`Detection`]s) next to its
//! policy verdict. Events are built by [`super::events`], as in the capture auditor, so a rule
//! matches the same traffic inline and in a capture.
//!
//! Rules that need more than one message (TFTP requests tied to an earlier command, UDI changes)
//! are the auditor's; the relay sees one connection at a time and reports what a single message,
//! decode error or connection shows.
//!
//! Inputs: decoded messages of attacker-controlled bytes; the rule set and the knowledge come
//! from the operator. Pure.

use core::net::SocketAddr;

use crate::proto::vstack::{DecodeError, Frame};
use crate::rules::{Event, RuleSet, Severity};

use super::events;
use super::knowledge::Knowledge;

/// One rule a message (or connection, or decode error) matched.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Detection {
    /// The rule's id.
    pub rule: String,
    /// Its severity for this event (lowered when the verdict rests on an unknown role).
    pub severity: Severity,
}

/// Rules plus what the operator told about directors and TFTP servers.
#[derive(Clone, Debug)]
pub struct Detector {
    rules: RuleSet,
    knowledge: Knowledge,
}

impl Detector {
    /// A detector applying `rules` with `knowledge`.
    pub fn new(rules: RuleSet, knowledge: Knowledge) -> Self {
        Self { rules, knowledge }
    }

    /// The rules `event` matches, in rule-file order.
    pub fn detect(&self, event: &Event) -> Vec<Detection> {
        self.rules
            .matching(event)
            .map(|rule| Detection {
                rule: rule.id.clone(),
                severity: rule.severity_for(event),
            })
            .collect()
    }

    /// An accepted connection from `connector` to the Smart Install listener `listener`.
    pub fn connection(&self, connector: SocketAddr, listener: SocketAddr) -> Vec<Detection> {
        let seen = events::ConnectionSeen {
            syn_seen: true,
            accepted: true,
        };
        self.detect(&events::si_connection(
            connector,
            listener,
            seen,
            &self.knowledge,
        ))
    }

    /// One decoded message from `src` to `dst`.
    pub fn message(&self, src: SocketAddr, dst: SocketAddr, frame: &Frame) -> Vec<Detection> {
        self.detect(&events::si_message(src, dst, frame, &self.knowledge))
    }

    /// Bytes from `src` that did not decode.
    pub fn decode_error(
        &self,
        src: SocketAddr,
        dst: SocketAddr,
        err: &DecodeError,
    ) -> Vec<Detection> {
        self.detect(&events::si_decode_error(src, dst, err, &self.knowledge))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::rules::builtin;
    use crate::policy::net::AddrSet;
    use crate::proto::vstack::{self, Limits};
    use crate::sim::attack::{self, Mode, Params};

    fn detector(directors: &[&str]) -> Detector {
        let mut k = Knowledge::none();
        let set = directors.iter().map(|d| d.parse().unwrap()).collect();
        k.add_directors(&AddrSet(set));
        Detector::new(builtin().unwrap(), k)
    }

    fn frames(mode: Mode) -> Vec<Frame> {
        let params = Params {
            tftp_host: "198.51.100.66".into(),
            target_name: "192.0.2.2".into(),
            file: None,
        };
        let bytes = attack::build(mode, &params).unwrap().segments.concat();
        vstack::decode_all(&bytes, Limits::default()).frames
    }

    fn ids(d: &[Detection]) -> Vec<(&str, Severity)> {
        d.iter().map(|d| (d.rule.as_str(), d.severity)).collect()
    }

    const ATTACKER: &str = "198.51.100.66:40000";
    const SWITCH: &str = "192.0.2.2:4786";

    #[test]
    fn a_message_gets_the_same_rules_as_in_a_capture() {
        let d = detector(&["192.0.2.1/32"]);
        let (src, dst) = (ATTACKER.parse().unwrap(), SWITCH.parse().unwrap());
        let found: Vec<_> = frames(Mode::GetConfig)
            .iter()
            .flat_map(|f| d.message(src, dst, f))
            .collect();
        assert!(
            ids(&found).contains(&("si-get-config", Severity::Critical)),
            "{found:?}"
        );
        assert_eq!(
            ids(&d.connection(src, dst)),
            [("si-non-director", Severity::Medium)]
        );
        // From the director, the same probe is nobody's business.
        let director = "192.0.2.1:40000".parse().unwrap();
        let probe = frames(Mode::Test);
        assert!(d.message(director, dst, &probe[0]).is_empty());
        assert!(d.connection(director, dst).is_empty());
    }

    #[test]
    fn without_a_director_list_severities_are_lowered() {
        let d = Detector::new(builtin().unwrap(), Knowledge::none());
        let (src, dst) = (ATTACKER.parse().unwrap(), SWITCH.parse().unwrap());
        for f in frames(Mode::ChangeConfig) {
            for det in d.message(src, dst, &f) {
                assert!(det.severity <= Severity::Low, "{det:?}");
            }
        }
    }

    #[test]
    fn decode_errors_are_detected() {
        let d = detector(&["192.0.2.1/32"]);
        let (src, dst) = (ATTACKER.parse().unwrap(), SWITCH.parse().unwrap());
        let err = vstack::decode_all(&[0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 7], Limits::default())
            .error
            .map(|e| d.decode_error(src, dst, &e));
        // A header cut short is only an error once the stream ends; decode_all ends it.
        let found = err.unwrap();
        assert!(
            ids(&found).iter().any(|(r, _)| *r == "si-length-mismatch"),
            "{found:?}"
        );
    }
}
