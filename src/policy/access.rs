//! Smart Install (TCP 4786) access policy: who may send which message kind to whom, and what the
//! message may carry.
//!
//! Message kinds follow `../shared/protocols/smart-install.md` §2.3. Sources and destinations are
//! attacker-influenced addresses; URLs and commands are attacker-controlled bytes already decoded
//! by `proto::vstack`. Default: deny. Implements the Smart Install row of
//! `../shared/design/ARCHITECTURE.md` §6.
//!
//! # Precedence
//! A rule matches when the source is in one of its `from` selectors, the destination in one of its
//! `to` selectors and the kind in its `kinds`. Of the matching rules, an enforced deny beats an
//! audited deny, which beats an allow; within a class the first rule in file order decides. No
//! matching allow rule: the built-in `default-deny` (mode `default_mode`). An audited rule never
//! weakens the policy: an audited deny without a matching allow rule leaves the decision to an
//! enforced `default-deny`, exactly as if the audited rule did not exist; it is reported only when
//! the message would otherwise pass.
//!
//! # Content checks
//! Every message the edge would forward — allowed, or denied only in audit mode — is also checked
//! for what it carries, even when it comes from a director:
//! - every URL (and every `scheme://` token inside a command) must parse (`url-unparseable`) and
//!   name a host in `tftp_servers` (`url-host-allowlist`); IOS local file systems
//!   (`flash:/config.text`) name no host and pass; `host:/path` and `tftp:` without `//host` do not
//!   parse ([`crate::policy::url`]);
//! - every command must match a `copy_patterns` entry (`copy-command-allowlist`).
//!
//! Both checks run in `checks.url_hosts` / `checks.copy_commands` mode (an unparseable URL counts
//! as a URL-host failure). An enforced finding beats an audited rule verdict; otherwise the rule
//! verdict stands, and an audited finding turns an allow into an audited deny.
//!
//! # Compilation
//! [`SmartInstallPolicy::compile`] builds, per address family, interval tables over the sources
//! and destinations (a bit set of rules per elementary interval, found by binary search), a bit
//! set per kind and one per rule class; the deciding rule is the lowest set bit of their
//! intersection. A linear evaluator is kept as the reference the tables are tested against.

mod compiled;
mod content;
mod linear;

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use crate::policy::net::{AddrSet, HostSet};
use crate::policy::{Area, Decision, Mode, RuleRef};

use self::compiled::RuleIndex;
use self::content::CopyMatcher;

/// The kinds of Smart Install message a rule can name (smart-install.md §2.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MessageKind {
    /// Any message a client sends (`w0 = 4`): probe replies and the like.
    ClientReply,
    /// Type 3 from a director: push a configuration URL, optionally with a reload time.
    ConfigPush,
    /// Type 8: up to three `copy` CLI commands (config backup — or exfiltration).
    CopyCommands,
    /// Type 5 with `w0 = 2`: download and run a command file.
    Execute,
    /// Type 2: image upgrade through an image-list URL.
    ImageUpgrade,
    /// Type 7: IBD init discovery (the CVE-2018-0171 code path).
    InitDiscovery,
    /// Type 4 (and the 17-byte variant): the "hello" probe.
    Probe,
    /// Any other type; kept verbatim by the decoder.
    Unknown,
}

impl MessageKind {
    /// Every kind, in declaration order.
    pub const ALL: [Self; 8] = [
        Self::ClientReply,
        Self::ConfigPush,
        Self::CopyCommands,
        Self::Execute,
        Self::ImageUpgrade,
        Self::InitDiscovery,
        Self::Probe,
        Self::Unknown,
    ];

    /// The name used in policy files, audit records and the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ClientReply => "client-reply",
            Self::ConfigPush => "config-push",
            Self::CopyCommands => "copy-commands",
            Self::Execute => "execute",
            Self::ImageUpgrade => "image-upgrade",
            Self::InitDiscovery => "init-discovery",
            Self::Probe => "probe",
            Self::Unknown => "unknown",
        }
    }

    /// Bit of this kind in a [`KindSet`].
    pub fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

impl fmt::Display for MessageKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for MessageKind {
    type Err = UnknownKind;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or(UnknownKind)
    }
}

/// A name that is not a [`MessageKind`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown message kind (expected probe, config-push, image-upgrade, copy-commands, execute, \
     init-discovery, client-reply or unknown)"
)]
pub struct UnknownKind;

/// A set of message kinds, as a bit set.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct KindSet(pub u8);

impl KindSet {
    /// Whether `kind` is in the set.
    pub fn contains(self, kind: MessageKind) -> bool {
        self.0 & kind.bit() != 0
    }

    /// The set with `kind` added.
    pub fn with(self, kind: MessageKind) -> Self {
        Self(self.0 | kind.bit())
    }

    /// The kinds in the set.
    pub fn iter(self) -> impl Iterator<Item = MessageKind> {
        MessageKind::ALL
            .into_iter()
            .filter(move |k| self.contains(*k))
    }
}

/// Whether a rule allows or denies what it matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Let matching messages through (subject to the content checks).
    Allow,
    /// Drop matching messages. A deny rule overrides every allow rule.
    Deny,
}

/// Which endpoints a rule's `from` or `to` names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Selector {
    /// Every address.
    Any,
    /// The policy's `directors`.
    Directors,
    /// The policy's `client_networks`.
    ClientNetworks,
    /// The policy's `tftp_servers` (address entries only).
    TftpServers,
    /// Explicit prefixes.
    Nets(AddrSet),
}

/// One operator rule of the Smart Install access policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessRule {
    /// Unique name within `smart_install.rules`.
    pub name: String,
    /// Allow or deny.
    pub action: Action,
    /// Source selectors; the rule matches if any matches.
    pub from: Vec<Selector>,
    /// Destination selectors; the rule matches if any matches.
    pub to: Vec<Selector>,
    /// Message kinds matched. `execute` is only in the set when the file names it explicitly.
    pub kinds: KindSet,
    /// Enforce or audit.
    pub mode: Mode,
}

/// A compiled `copy` command pattern.
///
/// Pattern syntax: `*` matches any run of characters except whitespace, `?` one such character,
/// `{tftp}` any host of the policy's `tftp_servers`; everything else matches itself,
/// case-insensitively, with runs of whitespace equal to one space.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CopyPattern {
    /// The pattern as written in the policy file.
    pub source: String,
}

impl CopyPattern {
    /// A validated pattern: not empty, at most [`MAX_PATTERN_LEN_BYTES`], and `{` only in
    /// `{tftp}`.
    pub fn new(source: &str) -> Result<Self, PatternError> {
        let trimmed = source.trim();
        if trimmed.is_empty() {
            return Err(PatternError::Empty);
        }
        if trimmed.len() > MAX_PATTERN_LEN_BYTES {
            return Err(PatternError::TooLong { len: trimmed.len() });
        }
        for (offset, _) in trimmed.match_indices('{') {
            let placeholder = trimmed.get(offset..offset + TFTP_PLACEHOLDER.len());
            if !placeholder.is_some_and(|p| p.eq_ignore_ascii_case(TFTP_PLACEHOLDER)) {
                return Err(PatternError::UnknownPlaceholder { offset });
            }
        }
        Ok(Self {
            source: trimmed.to_owned(),
        })
    }
}

/// Why a `copy` pattern is invalid.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PatternError {
    /// Nothing but whitespace.
    #[error("empty pattern")]
    Empty,
    /// Longer than [`MAX_PATTERN_LEN_BYTES`].
    #[error("pattern longer than {MAX_PATTERN_LEN_BYTES} bytes ({len})")]
    TooLong {
        /// Actual length.
        len: usize,
    },
    /// A `{` that does not start `{tftp}`.
    #[error("unknown placeholder at byte {offset} (only {{tftp}} is defined)")]
    UnknownPlaceholder {
        /// Byte offset of the `{`.
        offset: usize,
    },
}

/// The longest `copy` pattern accepted.
pub const MAX_PATTERN_LEN_BYTES: usize = 1024;

/// The placeholder for any host of `tftp_servers`.
pub const TFTP_PLACEHOLDER: &str = "{tftp}";

/// Modes of the built-in content checks that apply even to an allowed director.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ContentChecks {
    /// Every host named in a URL (`tftp://host/...`) must be in `tftp_servers`.
    pub url_hosts: Mode,
    /// Every `copy` command must match a `copy_patterns` entry.
    pub copy_commands: Mode,
}

/// The validated Smart Install access policy.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SmartInstallPolicy {
    /// Mode of the built-in `default-deny` rule.
    pub default_mode: Mode,
    /// Legitimate directors.
    pub directors: AddrSet,
    /// Networks of Smart Install clients.
    pub client_networks: AddrSet,
    /// TFTP (and other file) servers that URLs may name.
    pub tftp_servers: HostSet,
    /// Allowed `copy` commands.
    pub copy_patterns: Vec<CopyPattern>,
    /// Modes of the built-in content checks.
    pub checks: ContentChecks,
    /// Operator rules, in file order.
    pub rules: Vec<AccessRule>,
}

/// A Smart Install message between two addresses, as the policy sees it.
#[derive(Clone, Copy, Debug)]
pub struct SmartInstallEvent<'a> {
    /// Sender address.
    pub src: IpAddr,
    /// Receiver address.
    pub dst: IpAddr,
    /// Decoded message kind.
    pub kind: MessageKind,
    /// URLs the message carries (config, image-list and command-file URLs).
    pub urls: &'a [&'a str],
    /// CLI commands the message carries (type 8 slots).
    pub commands: &'a [&'a str],
}

/// The Smart Install access verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AccessVerdict {
    /// Forward the message.
    Allow,
    /// Drop the message (and reset the connection).
    Deny,
}

impl SmartInstallPolicy {
    /// Compiles the policy into lookup tables and matchers for [`CompiledAccess::decide`].
    pub fn compile(&self) -> CompiledAccess {
        CompiledAccess {
            index: RuleIndex::build(self),
            patterns: self
                .copy_patterns
                .iter()
                .map(|p| CopyMatcher::compile(&p.source))
                .collect(),
            policy: self.clone(),
        }
    }
}

/// A Smart Install policy compiled for fast decisions.
#[derive(Clone, Debug)]
pub struct CompiledAccess {
    policy: SmartInstallPolicy,
    index: RuleIndex,
    patterns: Vec<CopyMatcher>,
}

/// Which rule class matched, and the first rule of that class in file order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RuleMatch {
    /// An enforced deny rule.
    EnforcedDeny(usize),
    /// An audited deny rule (and no enforced one); `allowed`: an allow rule matched too.
    AuditDeny {
        /// The first audited deny rule.
        rule: usize,
        /// Whether an allow rule also matched.
        allowed: bool,
    },
    /// An allow rule (and no deny rule).
    Allow(usize),
    /// No rule: `default-deny`.
    Nothing,
}

impl RuleMatch {
    /// The match when no enforced deny rule matched, from the first audited deny and the first
    /// allow rule (in file order) that did.
    pub(crate) fn from_firsts(audit: Option<usize>, allow: Option<usize>) -> Self {
        match (audit, allow) {
            (Some(rule), allow) => Self::AuditDeny {
                rule,
                allowed: allow.is_some(),
            },
            (None, Some(i)) => Self::Allow(i),
            (None, None) => Self::Nothing,
        }
    }
}

impl CompiledAccess {
    /// Decides whether the message `ev` may pass (see the module docs for the order).
    pub fn decide(&self, ev: &SmartInstallEvent<'_>) -> Decision<AccessVerdict> {
        self.finish(ev, self.index.lookup(ev))
    }

    /// The policy this was compiled from.
    pub fn policy(&self) -> &SmartInstallPolicy {
        &self.policy
    }

    /// Turns the rule match into a decision, applying the content checks to every message the
    /// edge would forward.
    fn finish(&self, ev: &SmartInstallEvent<'_>, matched: RuleMatch) -> Decision<AccessVerdict> {
        let forwarded = match matched {
            RuleMatch::EnforcedDeny(i) => return self.rule_deny(i, ev),
            RuleMatch::Nothing if self.policy.default_mode == Mode::Enforce => {
                return self.default_deny(ev);
            }
            RuleMatch::Nothing => Forwarded::AuditDefault,
            // An audited rule never weakens the policy: without an allow rule the message is
            // refused by the (enforced) default, exactly as if the audited rule did not exist.
            RuleMatch::AuditDeny { allowed: false, .. }
                if self.policy.default_mode == Mode::Enforce =>
            {
                return self.default_deny(ev);
            }
            RuleMatch::AuditDeny { rule, .. } => Forwarded::AuditDeny(rule),
            RuleMatch::Allow(i) => Forwarded::Allow(i),
        };
        match (forwarded, content::check(&self.policy, &self.patterns, ev)) {
            (_, Some(f)) if f.mode == Mode::Enforce => f.into_decision(),
            (Forwarded::AuditDeny(i), _) => self.rule_deny(i, ev),
            (Forwarded::AuditDefault, _) => self.default_deny(ev),
            (Forwarded::Allow(_), Some(f)) => f.into_decision(),
            (Forwarded::Allow(i), None) => {
                let (name, mode) = self.rule_name_mode(i);
                let reason = format!(
                    "rule {name} allows {} from {} to {}",
                    ev.kind, ev.src, ev.dst
                );
                Decision::new(AccessVerdict::Allow, rule(name), mode, reason)
            }
        }
    }

    fn rule_deny(&self, i: usize, ev: &SmartInstallEvent<'_>) -> Decision<AccessVerdict> {
        let (name, mode) = self.rule_name_mode(i);
        let reason = format!(
            "rule {name} denies {} from {} to {}",
            ev.kind, ev.src, ev.dst
        );
        Decision::new(AccessVerdict::Deny, rule(name), mode, reason)
    }

    fn default_deny(&self, ev: &SmartInstallEvent<'_>) -> Decision<AccessVerdict> {
        let from_director = !matches!(ev.kind, MessageKind::ClientReply | MessageKind::Unknown);
        let reason = if from_director && !self.policy.directors.contains(ev.src) {
            format!("{} is not a director; rule default-deny", ev.src)
        } else {
            format!(
                "no rule allows {} from {} to {}; rule default-deny",
                ev.kind, ev.src, ev.dst
            )
        };
        Decision::new(
            AccessVerdict::Deny,
            rule("default-deny"),
            self.policy.default_mode,
            reason,
        )
    }

    fn rule_name_mode(&self, i: usize) -> (&str, Mode) {
        self.policy
            .rules
            .get(i)
            .map_or(("default-deny", self.policy.default_mode), |r| {
                (r.name.as_str(), r.mode)
            })
    }
}

/// A rule verdict under which the edge would forward the message.
#[derive(Clone, Copy)]
enum Forwarded {
    AuditDeny(usize),
    AuditDefault,
    Allow(usize),
}

fn rule(name: &str) -> RuleRef {
    RuleRef::new(Area::SmartInstall, name)
}

#[cfg(test)]
mod tests;
