//! Built-in content checks of Smart Install messages: URL hosts against `tftp_servers` and `copy`
//! commands against `copy_patterns` (see the parent module's docs).
//!
//! Inputs: URLs and commands decoded from attacker-controlled messages. Matching is bounded
//! ([`MAX_COMMAND_LEN_BYTES`]), allocation-free and linear in the command length per pattern token
//! (a set of reachable positions, not backtracking), so no input can make it slow.

use crate::policy::access::{
    AccessVerdict, SmartInstallEvent, SmartInstallPolicy, TFTP_PLACEHOLDER,
};
use crate::policy::net::HostSet;
use crate::policy::url::{self, Reference, shorten};
use crate::policy::{Area, Decision, Mode, RuleRef};

/// The longest command matched; longer commands match no pattern. A type-8 slot holds 336 bytes
/// (smart-install.md §3.5) and the NSE variant spills one command over two slots.
pub(crate) const MAX_COMMAND_LEN_BYTES: usize = 1024;

/// A failed content check.
#[derive(Clone, Debug)]
pub(super) struct Finding {
    /// Built-in rule name.
    pub(super) rule: &'static str,
    /// Mode of the check.
    pub(super) mode: Mode,
    /// Explanation.
    pub(super) reason: String,
}

impl Finding {
    pub(super) fn into_decision(self) -> Decision<AccessVerdict> {
        Decision::new(
            AccessVerdict::Deny,
            RuleRef::new(Area::SmartInstall, self.rule),
            self.mode,
            self.reason,
        )
    }
}

/// The first enforced finding for `ev`, else the first audited one, else `None`.
pub(super) fn check(
    policy: &SmartInstallPolicy,
    patterns: &[CopyMatcher],
    ev: &SmartInstallEvent<'_>,
) -> Option<Finding> {
    let mut audited = None;
    let mut record = |finding: Finding| -> Option<Finding> {
        if finding.mode == Mode::Enforce {
            return Some(finding);
        }
        audited.get_or_insert(finding);
        None
    };
    for url in ev.urls {
        if let Some(enforced) = check_url(policy, url).and_then(&mut record) {
            return Some(enforced);
        }
    }
    for command in ev.commands {
        let urls = command
            .split_ascii_whitespace()
            .filter(|token| token.contains("://"));
        for url in urls {
            if let Some(enforced) = check_url(policy, url).and_then(&mut record) {
                return Some(enforced);
            }
        }
        if !patterns
            .iter()
            .any(|p| p.matches(command, &policy.tftp_servers))
        {
            let finding = Finding {
                rule: "copy-command-allowlist",
                mode: policy.checks.copy_commands,
                reason: format!(
                    "command {:?} matches no copy_patterns entry",
                    shorten(command)
                ),
            };
            if let Some(enforced) = record(finding) {
                return Some(enforced);
            }
        }
    }
    audited
}

fn check_url(policy: &SmartInstallPolicy, text: &str) -> Option<Finding> {
    let mode = policy.checks.url_hosts;
    match url::parse_reference(text) {
        Err(err) => Some(Finding {
            rule: "url-unparseable",
            mode,
            reason: format!("URL {:?} unparseable: {err}", shorten(text)),
        }),
        Ok(Reference::Local { .. }) => None,
        Ok(Reference::Remote(u)) if policy.tftp_servers.contains_host(u.host) => None,
        Ok(Reference::Remote(u)) => Some(Finding {
            rule: "url-host-allowlist",
            mode,
            reason: format!("{} host {} not in tftp_servers", u.scheme.as_str(), u.host),
        }),
    }
}

/// A compiled `copy` pattern ([`crate::policy::access::CopyPattern`] syntax).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct CopyMatcher {
    tokens: Vec<Token>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Token {
    /// Text without whitespace, ASCII lower-cased.
    Literal(Box<[u8]>),
    /// One or more whitespace characters.
    Space,
    /// Any run (possibly empty) of non-whitespace characters.
    Star,
    /// One non-whitespace character.
    Question,
    /// A host of `tftp_servers`.
    Tftp,
}

impl CopyMatcher {
    /// Compiles `source`. An unknown `{…}` is taken literally (the loader rejects it first).
    pub(crate) fn compile(source: &str) -> Self {
        let mut tokens = Vec::new();
        let mut literal = Vec::new();
        let mut rest = source.trim_matches(|c: char| c.is_ascii_whitespace());
        while let Some(c) = rest.chars().next() {
            let token = if c.is_ascii_whitespace() {
                rest = rest.trim_start_matches(|c: char| c.is_ascii_whitespace());
                Some(Token::Space)
            } else if rest
                .get(..TFTP_PLACEHOLDER.len())
                .is_some_and(|p| p.eq_ignore_ascii_case(TFTP_PLACEHOLDER))
            {
                rest = rest.get(TFTP_PLACEHOLDER.len()..).unwrap_or_default();
                Some(Token::Tftp)
            } else {
                rest = rest.get(c.len_utf8()..).unwrap_or_default();
                match c {
                    '*' => Some(Token::Star),
                    '?' => Some(Token::Question),
                    _ => {
                        let mut buf = [0; 4];
                        literal.extend(
                            c.encode_utf8(&mut buf)
                                .bytes()
                                .map(|b| b.to_ascii_lowercase()),
                        );
                        None
                    }
                }
            };
            if let Some(token) = token {
                if !literal.is_empty() {
                    tokens.push(Token::Literal(std::mem::take(&mut literal).into()));
                }
                // `**` is `*`.
                if !(token == Token::Star && tokens.last() == Some(&Token::Star)) {
                    tokens.push(token);
                }
            }
        }
        if !literal.is_empty() {
            tokens.push(Token::Literal(literal.into()));
        }
        Self { tokens }
    }

    /// Whether `command` matches, with `{tftp}` standing for any host of `tftp`.
    pub(crate) fn matches(&self, command: &str, tftp: &HostSet) -> bool {
        let command = command.trim_matches(|c: char| c.is_ascii_whitespace());
        if command.len() > MAX_COMMAND_LEN_BYTES {
            return false;
        }
        let mut current = Positions::single(0);
        for token in &self.tokens {
            current = step(token, &current, command, tftp);
            if current.is_empty() {
                return false;
            }
        }
        current.contains(command.len())
    }
}

/// The positions reachable after matching `token` from any position in `from`.
fn step(token: &Token, from: &Positions, command: &str, tftp: &HostSet) -> Positions {
    let bytes = command.as_bytes();
    let n = bytes.len();
    let mut next = Positions::default();
    let mut star_filled_to = None;
    for i in from.iter() {
        match token {
            Token::Literal(lit) => {
                let end = i + lit.len();
                if bytes
                    .get(i..end)
                    .is_some_and(|s| s.eq_ignore_ascii_case(lit))
                {
                    next.insert(end);
                }
            }
            Token::Space => {
                let run = bytes.get(i..).unwrap_or_default();
                let len = run.iter().take_while(|b| b.is_ascii_whitespace()).count();
                if len > 0 {
                    next.insert(i + len);
                }
            }
            Token::Star => {
                // Positions grow in order: a run already filled need not be walked again.
                if star_filled_to.is_some_and(|end| i <= end) {
                    continue;
                }
                let mut j = i;
                next.insert(j);
                while j < n && !bytes[j].is_ascii_whitespace() {
                    j += 1;
                    if command.is_char_boundary(j) {
                        next.insert(j);
                    }
                }
                star_filled_to = Some(j);
            }
            Token::Question => {
                let c = command.get(i..).and_then(|s| s.chars().next());
                if let Some(c) = c.filter(|c| !c.is_ascii_whitespace()) {
                    next.insert(i + c.len_utf8());
                }
            }
            Token::Tftp => {
                let mut j = i;
                while j < n && !bytes[j].is_ascii_whitespace() && bytes[j] != b'/' {
                    j += 1;
                    if command
                        .get(i..j)
                        .is_some_and(|host| tftp.contains_host(host))
                    {
                        next.insert(j);
                    }
                }
            }
        }
    }
    next
}

/// A set of byte positions `0..=MAX_COMMAND_LEN_BYTES`, as a fixed bit set.
#[derive(Clone, Default)]
struct Positions([u64; POSITION_WORDS]);

const POSITION_WORDS: usize = MAX_COMMAND_LEN_BYTES / 64 + 1;

impl Positions {
    fn single(i: usize) -> Self {
        let mut p = Self::default();
        p.insert(i);
        p
    }

    fn insert(&mut self, i: usize) {
        if let Some(word) = self.0.get_mut(i / 64) {
            *word |= 1 << (i % 64);
        }
    }

    fn contains(&self, i: usize) -> bool {
        self.0.get(i / 64).is_some_and(|w| w & (1 << (i % 64)) != 0)
    }

    fn is_empty(&self) -> bool {
        self.0.iter().all(|w| *w == 0)
    }

    /// Set positions in increasing order.
    fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.0.iter().enumerate().flat_map(|(w, &word)| {
            let mut bits = word;
            std::iter::from_fn(move || {
                (bits != 0).then(|| {
                    let b = bits.trailing_zeros() as usize;
                    bits &= bits - 1;
                    w * 64 + b
                })
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hosts(entries: &[&str]) -> HostSet {
        let mut set = HostSet::default();
        for e in entries {
            set.push_entry(e).unwrap();
        }
        set
    }

    fn matches(pattern: &str, command: &str) -> bool {
        CopyMatcher::compile(pattern).matches(
            command,
            &hosts(&["10.77.1.5", "tftp.example.net", "2001:db8::5"]),
        )
    }

    #[test]
    fn copy_pattern_star_stops_at_whitespace() {
        assert!(matches(
            "copy * flash:x",
            "copy system:running-config flash:x"
        ));
        assert!(!matches("copy * flash:x", "copy a b flash:x"));
        assert!(matches("copy *", "copy a/b/c"));
        assert!(matches("copy a*", "copy a"));
        assert!(matches("copy **z", "copy abz"));
    }

    #[test]
    fn copy_pattern_question_matches_one_character() {
        assert!(matches("sw?.cfg", "sw1.cfg"));
        assert!(matches("sw?.cfg", "swé.cfg"));
        assert!(!matches("sw?.cfg", "sw.cfg"));
        assert!(!matches("sw?.cfg", "sw12.cfg"));
        assert!(!matches("a?b", "a b"));
    }

    #[test]
    fn copy_pattern_tftp_placeholder_matches_only_listed_hosts() {
        let p = "copy x tftp://{tftp}/*";
        assert!(matches(p, "copy x tftp://10.77.1.5/a"));
        assert!(matches(p, "copy x tftp://TFTP.Example.NET/a"));
        assert!(matches(p, "copy x tftp://[2001:db8::5]/a"));
        assert!(!matches(p, "copy x tftp://10.77.1.6/a"));
        assert!(!matches(p, "copy x tftp://10.77.1.5:69/a"));
        assert!(!matches(p, "copy x tftp://evil.net/a"));
        assert!(matches(
            "copy x tftp://{TFTP}:69/*",
            "copy x tftp://10.77.1.5:69/a"
        ));
    }

    #[test]
    fn copy_pattern_is_case_insensitive_and_collapses_whitespace() {
        assert!(matches("copy  A\tb", " COPY a    B "));
        assert!(!matches("copy a b", "copy ab"));
        assert!(!matches("copy a * b", "copy a  b"));
    }

    #[test]
    fn copy_pattern_refuses_overlong_commands() {
        let long = format!("copy {}", "a".repeat(MAX_COMMAND_LEN_BYTES));
        assert!(!matches("copy *", &long));
    }
}
