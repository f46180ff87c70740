//! Smart Install (TCP 4786) access policy: who may send which message kind to whom, and what the
//! message may carry.
//!
//! Message kinds follow `../shared/protocols/smart-install.md` §2.3. Sources and destinations are
//! attacker-influenced addresses; URLs and commands are attacker-controlled bytes already decoded
//! by `proto::vstack`. Default: deny.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use crate::policy::Mode;
use crate::policy::net::{AddrSet, HostSet};

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
