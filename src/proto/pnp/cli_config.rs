//! CLI config (`urn:cisco:pnp:cli-config`, pnp.md §2.5.6): apply or syntax-check configuration
//! lines, or persist the running configuration; the agent reports a result per line.
//!
//! Inputs: typed values for rendering; an untrusted `response` element or a semi-trusted
//! `request` for parsing.

use super::error::ParseError;
use super::write::Node;
use super::xml::Element;

/// The configuration to apply or test.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfigData {
    /// `cli-config-data/cmd`, one line each.
    Commands(Vec<String>),
    /// `cli-config-data-block`, newline-separated lines in one text.
    Block(String),
}

impl ConfigData {
    fn to_node(&self) -> Node {
        let data = match self {
            Self::Commands(cmds) => cmds
                .iter()
                .fold(Node::new("cli-config-data"), |n, c| n.text_child("cmd", c)),
            Self::Block(block) => Node::new("cli-config-data-block").text(block),
        };
        Node::new("config-data").child(data)
    }

    fn of(parent: &Element) -> Result<Self, ParseError> {
        let data = parent.require("config-data")?;
        if let Some(cmds) = data.child("cli-config-data") {
            return Ok(Self::Commands(
                cmds.children_named("cmd").map(|c| c.text.clone()).collect(),
            ));
        }
        data.child_text("cli-config-data-block")
            .map(Self::Block)
            .ok_or(ParseError::MissingElement {
                name: "cli-config-data",
            })
    }
}

/// A cli-config request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CliConfig {
    /// `configApply`.
    Apply {
        /// `@details`: brief, errors or all.
        details: Option<String>,
        /// `@action-on-fail`: stop, continue or rollback.
        action_on_fail: Option<String>,
        /// The lines.
        data: ConfigData,
    },
    /// `configTest` (syntax check only).
    Test {
        /// `@details`.
        details: Option<String>,
        /// The lines.
        data: ConfigData,
    },
    /// `configPersist`: save running to startup.
    Persist,
}

impl CliConfig {
    /// Apply these lines with `details="all"`.
    pub fn apply(commands: &[&str]) -> Self {
        Self::Apply {
            details: Some("all".to_owned()),
            action_on_fail: None,
            data: ConfigData::Commands(commands.iter().map(|c| (*c).to_owned()).collect()),
        }
    }

    pub(crate) fn append_to(&self, request: Node) -> Node {
        let body = match self {
            Self::Apply {
                details,
                action_on_fail,
                data,
            } => Node::new("configApply")
                .opt_attr("details", details.as_ref())
                .opt_attr("action-on-fail", action_on_fail.as_ref())
                .child(data.to_node()),
            Self::Test { details, data } => Node::new("configTest")
                .opt_attr("details", details.as_ref())
                .child(data.to_node()),
            Self::Persist => Node::new("configPersist"),
        };
        request.child(body)
    }

    pub(crate) fn from_request(request: &Element) -> Result<Self, ParseError> {
        let owned = |e: &Element, n: &str| e.attr(n).map(str::to_owned);
        if let Some(a) = request.child("configApply") {
            return Ok(Self::Apply {
                details: owned(a, "details"),
                action_on_fail: owned(a, "action-on-fail"),
                data: ConfigData::of(a)?,
            });
        }
        if let Some(t) = request.child("configTest") {
            return Ok(Self::Test {
                details: owned(t, "details"),
                data: ConfigData::of(t)?,
            });
        }
        request.require("configPersist").map(|_| Self::Persist)
    }
}

/// The outcome of one configuration line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EntryOutcome {
    /// `success` with `@change` (CHANGE/NO_CHANGE) and `@mode`.
    Success {
        /// `@change`.
        change: Option<String>,
        /// `@mode`.
        mode: Option<String>,
    },
    /// `failure` with `@errorType` and `@errorCode`.
    Failure {
        /// `@errorType`: TEMPORARY or PERMANENT.
        error_type: Option<String>,
        /// `@errorCode`.
        error_code: Option<String>,
    },
    /// `invalid`.
    Invalid,
    /// `notExecuted`.
    NotExecuted,
    /// No recognised outcome child.
    Unknown,
}

/// One `resultEntry`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResultEntry {
    /// `@lineNumber`.
    pub line_number: Option<u32>,
    /// `@cliString`.
    pub cli_string: Option<String>,
    /// The outcome.
    pub outcome: EntryOutcome,
    /// `text`: CLI output for the line, when sent.
    pub text: Option<String>,
}

/// A cli-config response body.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CliConfigResult {
    /// Per-line results.
    pub entries: Vec<ResultEntry>,
}

impl CliConfigResult {
    pub(crate) fn from_response(response: &Element) -> Self {
        Self {
            entries: response.children_named("resultEntry").map(entry).collect(),
        }
    }
}

fn entry(e: &Element) -> ResultEntry {
    let a = |el: &Element, n: &str| el.attr(n).map(str::to_owned);
    let outcome = if let Some(s) = e.child("success") {
        EntryOutcome::Success {
            change: a(s, "change"),
            mode: a(s, "mode"),
        }
    } else if let Some(f) = e.child("failure") {
        EntryOutcome::Failure {
            error_type: a(f, "errorType"),
            error_code: a(f, "errorCode"),
        }
    } else if e.child("invalid").is_some() {
        EntryOutcome::Invalid
    } else if e.child("notExecuted").is_some() {
        EntryOutcome::NotExecuted
    } else {
        EntryOutcome::Unknown
    };
    ResultEntry {
        line_number: e.attr("lineNumber").and_then(|n| n.trim().parse().ok()),
        cli_string: a(e, "cliString"),
        outcome,
        text: e.child_text("text"),
    }
}
