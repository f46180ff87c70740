//! Parsing of the Smart Install director's admin actions: the request path (and query) of a
//! `POST /vstack/…` action into a typed [`Action`], and the pieces the CLI shares with it — the
//! client selector (`all`, `index:1,3,5-7`, `mac:0011.2233.4455,aa:bb:cc:dd:ee:ff`,
//! `group:NAME`) and the reload time (`now` or `HH:MM`).
//!
//! Pure and bounded: paths come from authenticated operators but are still parsed strictly
//! (at most [`MAX_SELECTOR_ENTRIES`] clients per selector, no empty lists, strict
//! percent-decoding). The actions mirror Cisco's `vstack` EXEC commands
//! (`../shared/reference/smart-install-overview.txt`: join window, on-hold clients,
//! `vstack join-window-status`, `vstack backup`, `vstack download-image|download-config`).

use std::fmt::Write as _;

use crate::edge::director::ops::UpdateKind;
use crate::edge::director::wire::Reload;
use crate::policy::join::{ClientOverride, Mac, ManualWindow};
use crate::roles::director::Selector;
use crate::roles::director::views::cisco_mac;

/// An operator's action on the running director.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// `POST /vstack/join-window/{open|close|schedule}`: the manual window state (`None`: back
    /// to the schedule).
    Window(Option<ManualWindow>),
    /// `POST /vstack/on-hold-clients/remove`: every held client is allowed.
    ApproveHeld,
    /// `POST /vstack/clients/{selector}/join-window/{allowed|held|clear}`.
    SetJoin {
        /// The clients.
        selector: Selector,
        /// Their fixed state (`None`: the operator's override is cleared).
        state: Option<ClientOverride>,
    },
    /// `POST /vstack/clients/{selector}/backup`.
    Backup {
        /// The clients.
        selector: Selector,
    },
    /// `POST /vstack/clients/{selector}/update/{image|config|image-and-config}?reload=…`.
    Update {
        /// The clients.
        selector: Selector,
        /// What is pushed.
        kind: UpdateKind,
        /// When the clients reload (default `now`).
        reload: Reload,
    },
}

/// Why an action request is refused (answered with 400).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    /// The selector is none of `all`, `index:`, `mac:`, `group:`.
    #[error("unknown client selector `{given}` (all, index:N[,N..], mac:MAC[,MAC..], group:NAME)")]
    UnknownSelector {
        /// The selector as given (clipped).
        given: String,
    },
    /// `index:` or `mac:` without entries, or with an empty entry.
    #[error("empty entry in the {kind} list")]
    EmptyEntry {
        /// `index` or `mac`.
        kind: &'static str,
    },
    /// More clients than one selector may name.
    #[error("more than {limit} clients in one selector")]
    TooManyEntries {
        /// [`MAX_SELECTOR_ENTRIES`].
        limit: usize,
    },
    /// An index that is not a number from 1, or a range whose end is below its start.
    #[error("bad client index `{entry}` (a number from 1, or a range like 3-7)")]
    BadIndex {
        /// The entry (clipped).
        entry: String,
    },
    /// A MAC address that does not parse.
    #[error("bad MAC address `{entry}` (aabb.ccdd.eeff, aa:bb:cc:dd:ee:ff or aa-bb-cc-dd-ee-ff)")]
    BadMac {
        /// The entry (clipped).
        entry: String,
    },
    /// `group:` without a name.
    #[error("empty group name")]
    EmptyGroup,
    /// A `%` not followed by two hex digits, or bytes that are not UTF-8 once decoded.
    #[error("bad percent-encoding in `{given}`")]
    BadEncoding {
        /// The text (clipped).
        given: String,
    },
    /// A reload time that is neither `now` nor `HH:MM`.
    #[error("bad reload time `{given}` (now or HH:MM)")]
    BadReload {
        /// The value (clipped).
        given: String,
    },
    /// An hour outside 00–23.
    #[error("reload hour {hour} is not 00-23")]
    BadHour {
        /// The hour given.
        hour: u32,
    },
    /// A minute outside 00–59.
    #[error("reload minute {minute} is not 00-59")]
    BadMinute {
        /// The minute given.
        minute: u32,
    },
    /// A word in an action position that is not one of the action's words.
    #[error("unknown {what} `{given}` ({expected})")]
    UnknownWord {
        /// Which position (`join-window action`, …).
        what: &'static str,
        /// The word (clipped).
        given: String,
        /// The accepted words.
        expected: &'static str,
    },
    /// A query parameter the action does not take.
    #[error("unexpected query parameter `{key}`")]
    UnexpectedQuery {
        /// Its name (clipped).
        key: String,
    },
}

/// Parses an action path and its query; `None` when the path is not an action route.
pub fn parse(path: &str, query: Option<&str>) -> Option<Result<Action, RequestError>> {
    let rest = path.strip_prefix("/vstack/")?;
    let parts: Vec<&str> = rest
        .split('/')
        .filter(|p| !p.is_empty())
        .take(MAX_PATH_PARTS)
        .collect();
    let result = match parts.as_slice() {
        ["join-window", word] => window(word).map(Action::Window),
        ["on-hold-clients", word] => match *word {
            "remove" => Ok(Action::ApproveHeld),
            other => Err(unknown("on-hold-clients action", other, "remove")),
        },
        ["clients", selector, "join-window", word] => {
            parse_selector_segment(selector).and_then(|selector| {
                Ok(Action::SetJoin {
                    selector,
                    state: join_state(word)?,
                })
            })
        }
        ["clients", selector, "backup"] => {
            parse_selector_segment(selector).map(|selector| Action::Backup { selector })
        }
        ["clients", selector, "update", word] => {
            return Some(update(selector, word, query));
        }
        _ => return None,
    };
    Some(result.and_then(|action| no_query(query).map(|()| action)))
}

/// Parses a selector as the CLI and the API write it (already percent-decoded).
pub fn parse_selector(text: &str) -> Result<Selector, RequestError> {
    if text == "all" {
        return Ok(Selector::All);
    }
    if let Some(list) = text.strip_prefix("index:") {
        return indices(list).map(Selector::Indices);
    }
    if let Some(list) = text.strip_prefix("mac:") {
        return macs(list).map(Selector::Macs);
    }
    if let Some(name) = text.strip_prefix("group:") {
        if name.is_empty() {
            return Err(RequestError::EmptyGroup);
        }
        return Ok(Selector::Group(name.to_owned()));
    }
    Err(RequestError::UnknownSelector { given: clip(text) })
}

/// The path segment of `selector`: the form [`parse_selector`] reads, percent-encoded.
pub fn selector_segment(selector: &Selector) -> String {
    percent_encode(&describe(selector))
}

/// The selector as text (`all`, `index:1,3`, `mac:0018.7363.4200`, `group:NAME`).
pub fn describe(selector: &Selector) -> String {
    let mut out = String::new();
    match selector {
        Selector::All => out.push_str("all"),
        Selector::Indices(list) => {
            out.push_str("index:");
            for (i, index) in list.iter().enumerate() {
                let sep = if i == 0 { "" } else { "," };
                let _ = write!(out, "{sep}{index}");
            }
        }
        Selector::Macs(list) => {
            out.push_str("mac:");
            for (i, mac) in list.iter().enumerate() {
                let sep = if i == 0 { "" } else { "," };
                let _ = write!(out, "{sep}{}", cisco_mac(mac));
            }
        }
        Selector::Group(name) => {
            out.push_str("group:");
            out.push_str(name);
        }
    }
    out
}

/// Parses a reload time: `now`, or `HH:MM` (hour 0–23 in one or two digits, minute 00–59).
pub fn parse_reload(text: &str) -> Result<Reload, RequestError> {
    if text == "now" {
        return Ok(Reload::Now);
    }
    let bad = || RequestError::BadReload { given: clip(text) };
    let (h, m) = text.split_once(':').ok_or_else(bad)?;
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if !(1..=2).contains(&h.len()) || m.len() != 2 || !digits(h) || !digits(m) {
        return Err(bad());
    }
    let hour: u32 = h.parse().map_err(|_| bad())?;
    let minute: u32 = m.parse().map_err(|_| bad())?;
    if hour > 23 {
        return Err(RequestError::BadHour { hour });
    }
    if minute > 59 {
        return Err(RequestError::BadMinute { minute });
    }
    Ok(Reload::At { hour, minute })
}

/// The reload time as the query parameter writes it (`now`, `HH:MM`).
pub fn reload_text(reload: Reload) -> String {
    match reload {
        Reload::Now => "now".to_owned(),
        Reload::At { hour, minute } => format!("{hour:02}:{minute:02}"),
    }
}

/// Percent-encodes `text` for a path segment: everything except letters, digits, `-._~:,`.
pub fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~:,".contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// Decodes `%XX` escapes; refuses malformed escapes and non-UTF-8 results.
pub fn percent_decode(text: &str) -> Result<String, RequestError> {
    let bad = || RequestError::BadEncoding { given: clip(text) };
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = bytes.get(i + 1..i + 3).ok_or_else(bad)?;
            let hex = std::str::from_utf8(hex).map_err(|_| bad())?;
            out.push(u8::from_str_radix(hex, 16).map_err(|_| bad())?);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| bad())
}

fn parse_selector_segment(segment: &str) -> Result<Selector, RequestError> {
    parse_selector(&percent_decode(segment)?)
}

fn window(word: &str) -> Result<Option<ManualWindow>, RequestError> {
    match word {
        "open" => Ok(Some(ManualWindow::Open)),
        "close" => Ok(Some(ManualWindow::Closed)),
        "schedule" => Ok(None),
        other => Err(unknown(
            "join-window action",
            other,
            "open, close, schedule",
        )),
    }
}

fn join_state(word: &str) -> Result<Option<ClientOverride>, RequestError> {
    match word {
        "allowed" => Ok(Some(ClientOverride::Allowed)),
        "held" => Ok(Some(ClientOverride::Held)),
        "clear" => Ok(None),
        other => Err(unknown("join-window state", other, "allowed, held, clear")),
    }
}

fn update(selector: &str, word: &str, query: Option<&str>) -> Result<Action, RequestError> {
    let selector = parse_selector_segment(selector)?;
    let kind = match word {
        "image" => UpdateKind::Image,
        "config" => UpdateKind::Config,
        "image-and-config" => UpdateKind::ImageAndConfig,
        other => {
            return Err(unknown(
                "update kind",
                other,
                "image, config, image-and-config",
            ));
        }
    };
    let mut reload = Reload::Now;
    for pair in query
        .unwrap_or_default()
        .split('&')
        .filter(|p| !p.is_empty())
    {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        if key != "reload" {
            return Err(RequestError::UnexpectedQuery { key: clip(key) });
        }
        reload = parse_reload(&percent_decode(value)?)?;
    }
    Ok(Action::Update {
        selector,
        kind,
        reload,
    })
}

fn no_query(query: Option<&str>) -> Result<(), RequestError> {
    match query.unwrap_or_default().split('&').find(|p| !p.is_empty()) {
        None => Ok(()),
        Some(pair) => Err(RequestError::UnexpectedQuery {
            key: clip(pair.split('=').next().unwrap_or_default()),
        }),
    }
}

fn indices(list: &str) -> Result<Vec<u32>, RequestError> {
    let mut out: Vec<u32> = Vec::new();
    for entry in list.split(',') {
        if entry.is_empty() {
            return Err(RequestError::EmptyEntry { kind: "index" });
        }
        let bad = || RequestError::BadIndex { entry: clip(entry) };
        let number = |s: &str| s.parse::<u32>().ok().filter(|n| *n >= 1).ok_or_else(bad);
        let (lo, hi) = match entry.split_once('-') {
            Some((lo, hi)) => (number(lo)?, number(hi)?),
            None => (number(entry)?, number(entry)?),
        };
        if hi < lo {
            return Err(bad());
        }
        let count = usize::try_from(hi - lo)
            .unwrap_or(usize::MAX)
            .saturating_add(1);
        if out.len().saturating_add(count) > MAX_SELECTOR_ENTRIES {
            return Err(too_many());
        }
        out.extend(lo..=hi);
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

fn macs(list: &str) -> Result<Vec<[u8; 6]>, RequestError> {
    let mut out = Vec::new();
    for entry in list.split(',') {
        if entry.is_empty() {
            return Err(RequestError::EmptyEntry { kind: "mac" });
        }
        if out.len() == MAX_SELECTOR_ENTRIES {
            return Err(too_many());
        }
        let mac = Mac::parse(entry).map_err(|_| RequestError::BadMac { entry: clip(entry) })?;
        out.push(mac.0);
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

fn unknown(what: &'static str, given: &str, expected: &'static str) -> RequestError {
    RequestError::UnknownWord {
        what,
        given: clip(given),
        expected,
    }
}

fn too_many() -> RequestError {
    RequestError::TooManyEntries {
        limit: MAX_SELECTOR_ENTRIES,
    }
}

/// At most [`MAX_ECHO_CHARS`] characters of operator input, for error messages.
fn clip(text: &str) -> String {
    text.chars().take(MAX_ECHO_CHARS).collect()
}

/// Most clients one selector may name (after expanding index ranges).
pub const MAX_SELECTOR_ENTRIES: usize = 4096;

/// Most path segments looked at after `/vstack/` (longer paths are not action routes).
const MAX_PATH_PARTS: usize = 5;

/// Most characters of operator input repeated in an error message.
const MAX_ECHO_CHARS: usize = 64;

#[cfg(test)]
mod tests;
