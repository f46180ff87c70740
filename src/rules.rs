//! Detection rules: named, severity-rated patterns over what the inspection layer observes
//! (Smart Install messages, TFTP requests, HTTP requests, FTP commands, PnP identities). The same
//! rule set serves the capture auditor (`ztpgate pcap audit`), live capture in `ztpgate serve`
//! and the inline Smart Install relay, so one finding has one id and one severity wherever it is
//! seen.
//!
//! - [`event`]: the observation vocabulary — an [`Event`] has a kind and typed fields; every
//!   field a rule may test is declared in [`EventKind::fields`].
//! - [`matcher`]: the tests a rule applies to a field (equality, any-of, prefix, bytes at an
//!   offset, …).
//! - [`builtin`]: the shipped rule files (`rules/*.toml`), embedded in the binary.
//!
//! Rule files are parsed and validated by `crate::config::rules` (every error with
//! `file:line:col`). Pure: no I/O, no clock.
//!
//! Inputs: events computed from attacker-controlled traffic (values are data, never
//! interpreted); rules written by the operator or shipped (validated at load).

pub mod builtin;
pub mod event;
pub mod matcher;

#[cfg(test)]
mod tests;

use std::fmt;
use std::str::FromStr;

pub use event::{Event, EventKind, FieldType, Value};
pub use matcher::{Condition, Test};

/// How bad a finding is.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing (inventory, traffic that cannot be judged without more context).
    Info,
    /// Unusual, probably harmless.
    Low,
    /// Unsafe practice or suspicious activity.
    Medium,
    /// An attack or a serious exposure.
    High,
    /// An exploit attempt or a successful compromise step.
    Critical,
}

impl Severity {
    /// Every severity, lowest first.
    pub const ALL: [Self; 5] = [
        Self::Info,
        Self::Low,
        Self::Medium,
        Self::High,
        Self::Critical,
    ];

    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Info => "info",
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
            Self::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A severity name that is not one of the five.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown severity {0:?} (expected info, low, medium, high or critical)")]
pub struct UnknownSeverity(pub String);

impl FromStr for Severity {
    type Err = UnknownSeverity;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| UnknownSeverity(s.to_owned()))
    }
}

/// The highest severity a rule may keep when its verdict depends on knowledge the observer was
/// not given (which sources are directors, which TFTP servers are allowed).
pub const MAX_UNVERIFIED: Severity = Severity::Low;

/// One detection rule.
#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    /// Stable identifier (`si-change-config`); findings, audit records and SARIF use it.
    pub id: String,
    /// One-line title.
    pub title: String,
    /// Severity of a finding.
    pub severity: Severity,
    /// Severity when the verdict is unverified: a field the rule tests is `unknown` (the
    /// observer was not told the directors or the allowed TFTP servers); at most
    /// [`MAX_UNVERIFIED`]. `None`: the rule's severity stands.
    pub unverified_severity: Option<Severity>,
    /// What the finding means and what to do.
    pub description: String,
    /// Public signatures, advisories and documents behind the rule.
    pub references: Vec<String>,
    /// The kind of event the rule looks at.
    pub event: EventKind,
    /// Every condition must hold.
    pub conditions: Vec<Condition>,
    /// The file the rule came from.
    pub source: String,
}

impl Rule {
    /// Whether every condition holds for `event` (of the rule's kind).
    pub fn matches(&self, event: &Event) -> bool {
        event.kind == self.event && self.conditions.iter().all(|c| c.holds(event))
    }

    /// Whether the rule's verdict on `event` rests on a field whose value is `unknown`.
    pub fn unverified(&self, event: &Event) -> bool {
        self.conditions
            .iter()
            .any(|c| event.text(c.field) == Some(event::UNKNOWN))
    }

    /// The severity of a finding on `event`.
    pub fn severity_for(&self, event: &Event) -> Severity {
        match self.unverified_severity {
            Some(s) if self.unverified(event) => s,
            _ => self.severity,
        }
    }
}

/// A rule set that could not be assembled.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RuleSetError {
    /// Two rules share an id.
    #[error("rule id {id:?} is defined twice ({first} and {second})")]
    DuplicateId {
        /// The id.
        id: String,
        /// The file of the first definition.
        first: String,
        /// The file of the second.
        second: String,
    },
    /// No rule at all.
    #[error("no rules")]
    Empty,
}

/// Validated rules, indexed by event kind.
#[derive(Clone, Debug, PartialEq)]
pub struct RuleSet {
    rules: Vec<Rule>,
    by_kind: Vec<Vec<usize>>,
}

impl RuleSet {
    /// A set of `rules`; ids must be unique.
    pub fn new(rules: Vec<Rule>) -> Result<Self, RuleSetError> {
        if rules.is_empty() {
            return Err(RuleSetError::Empty);
        }
        for (i, rule) in rules.iter().enumerate() {
            if let Some(first) = rules.iter().take(i).find(|r| r.id == rule.id) {
                return Err(RuleSetError::DuplicateId {
                    id: rule.id.clone(),
                    first: first.source.clone(),
                    second: rule.source.clone(),
                });
            }
        }
        let mut by_kind = vec![Vec::new(); EventKind::ALL.len()];
        for (i, rule) in rules.iter().enumerate() {
            if let Some(list) = by_kind.get_mut(rule.event.index()) {
                list.push(i);
            }
        }
        Ok(Self { rules, by_kind })
    }

    /// Every rule, in file order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The rule with `id`.
    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }

    /// The rules matching `event`, in file order.
    pub fn matching<'s>(&'s self, event: &'s Event) -> impl Iterator<Item = &'s Rule> + 's {
        self.by_kind
            .get(event.kind.index())
            .into_iter()
            .flatten()
            .filter_map(|&i| self.rules.get(i))
            .filter(move |r| r.matches(event))
    }
}
