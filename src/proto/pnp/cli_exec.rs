//! CLI exec (`urn:cisco:pnp:cli-exec`, pnp.md §2.5.5): run one exec command, optionally answering
//! its prompts; the agent returns what it sent and received.
//!
//! Inputs: typed values for rendering; an untrusted `response` element (command output is device
//! text, kept as is apart from trimming) or a semi-trusted `request` for parsing.

use super::common::parse_bool;
use super::error::ParseError;
use super::write::{Node, xml_bool};
use super::xml::Element;

/// How an `expect` pattern must match the device output.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MatchKind {
    /// `leading`.
    Leading,
    /// `trailing`.
    Trailing,
    /// `embedded`.
    Embedded,
    /// `exact` (the default).
    Exact,
}

impl MatchKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Leading => "leading",
            Self::Trailing => "trailing",
            Self::Embedded => "embedded",
            Self::Exact => "exact",
        }
    }

    fn parse(s: &str) -> Result<Self, ParseError> {
        match s {
            "leading" => Ok(Self::Leading),
            "trailing" => Ok(Self::Trailing),
            "embedded" => Ok(Self::Embedded),
            "exact" => Ok(Self::Exact),
            _ => Err(ParseError::InvalidValue { field: "match" }),
        }
    }
}

/// One prompt/answer pair of a command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dialogue {
    /// The prompt to wait for.
    pub expect: String,
    /// The answer to send.
    pub reply: String,
    /// `expect@match`.
    pub match_kind: Option<MatchKind>,
    /// `expect@caseSensitive`.
    pub case_sensitive: Option<bool>,
    /// `@repeat`.
    pub repeat: Option<u32>,
}

/// A cli-exec request (`execCLI`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CliExec {
    /// The command.
    pub cmd: String,
    /// `@maxWait` as an xs:duration, e.g. `PT30S`.
    pub max_wait: Option<String>,
    /// `@xsd`.
    pub xsd: Option<bool>,
    /// Prompt answers.
    pub dialogues: Vec<Dialogue>,
}

impl CliExec {
    /// A command without dialogue.
    pub fn new(cmd: &str) -> Self {
        Self {
            cmd: cmd.to_owned(),
            max_wait: None,
            xsd: None,
            dialogues: Vec::new(),
        }
    }

    pub(crate) fn append_to(&self, request: Node) -> Node {
        let mut exec = Node::new("execCLI")
            .opt_attr("maxWait", self.max_wait.as_ref())
            .opt_attr("xsd", self.xsd.map(xml_bool))
            .text_child("cmd", &self.cmd);
        for d in &self.dialogues {
            let expect = Node::new("expect")
                .opt_attr("match", d.match_kind.map(MatchKind::as_str))
                .opt_attr("caseSensitive", d.case_sensitive.map(xml_bool))
                .text(&d.expect);
            exec = exec.child(
                Node::new("dialogue")
                    .opt_attr("repeat", d.repeat.map(|r| r.to_string()))
                    .child(expect)
                    .text_child("reply", &d.reply),
            );
        }
        request.child(exec)
    }

    pub(crate) fn from_request(request: &Element) -> Result<Self, ParseError> {
        let exec = request.require("execCLI")?;
        let dialogues = exec
            .children_named("dialogue")
            .map(dialogue)
            .collect::<Result<_, _>>()?;
        Ok(Self {
            cmd: exec.require("cmd")?.text.clone(),
            max_wait: exec.attr("maxWait").map(str::to_owned),
            xsd: exec.attr("xsd").map(|x| parse_bool(x, "xsd")).transpose()?,
            dialogues,
        })
    }
}

fn dialogue(d: &Element) -> Result<Dialogue, ParseError> {
    let expect = d.require("expect")?;
    let repeat = d.attr("repeat").map(|r| {
        r.parse()
            .map_err(|_| ParseError::InvalidValue { field: "repeat" })
    });
    Ok(Dialogue {
        expect: expect.text.clone(),
        reply: d.child_text("reply").unwrap_or_default(),
        match_kind: expect.attr("match").map(MatchKind::parse).transpose()?,
        case_sensitive: expect
            .attr("caseSensitive")
            .map(|c| parse_bool(c, "caseSensitive"))
            .transpose()?,
        repeat: repeat.transpose()?,
    })
}

/// One `execLog/dialogueLog`: what the agent sent and what the device printed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DialogueLog {
    /// `sent`.
    pub sent: Option<String>,
    /// `received/text`, or the `received/tree` re-rendered as XML.
    pub received: Option<String>,
}

/// A cli-exec response body.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CliExecResult {
    /// The dialogue logs in order.
    pub logs: Vec<DialogueLog>,
}

impl CliExecResult {
    /// All received output joined by newlines.
    pub fn output(&self) -> String {
        let parts: Vec<&str> = self
            .logs
            .iter()
            .filter_map(|l| l.received.as_deref())
            .collect();
        parts.join("\n")
    }

    pub(crate) fn from_response(response: &Element) -> Self {
        let logs = response
            .child("execLog")
            .map(|log| {
                log.children_named("dialogueLog")
                    .map(dialogue_log)
                    .collect()
            })
            .unwrap_or_default();
        Self { logs }
    }
}

fn dialogue_log(d: &Element) -> DialogueLog {
    let received = d.child("received").and_then(|r| {
        r.child_text("text")
            .or_else(|| r.child("tree").map(Element::to_xml))
    });
    DialogueLog {
        sent: d.child_text("sent"),
        received,
    }
}
