//! Sans-IO "expect" driver for the reverse-telnet CLI session with a legacy client
//! (`../shared/reference/smi-proxy.txt`: the proxy acquires the client's `show version` output to
//! learn PID, VID and SN). It logs in with the policy's [`Credentials`], enables, sends
//! `terminal length 0` and `show version`, collects the output up to the next prompt and parses
//! it with [`show_version::parse`].
//!
//! Shape (STYLE.md §2.6, quinn): [`CliSession::handle_input`] takes the text left after telnet
//! filtering (`crate::proto::telnet`), [`CliSession::handle_timeout`] and
//! [`CliSession::handle_close`] the other events; [`CliSession::poll_transmit`] gives the bytes
//! to send (before telnet escaping), [`CliSession::poll_timeout`] the deadline and
//! [`CliSession::poll_event`] the one final [`CliEvent`]. Time is an input `now` (a monotonic
//! [`Duration`]); the whole session must finish within [`SESSION_TIMEOUT`].
//!
//! Inputs: the device's output, untrusted. The buffer is bounded by [`MAX_BUFFER_BYTES`] and
//! emptied at every prompt answered; only the current (unterminated) line is matched against
//! prompts. A prompt is `<hostname>>` or `<hostname>#` with a hostname of letters, digits, `.`,
//! `_` and `-`. Backspaces (IOS erasing a `--More--`) are dropped.

use std::time::Duration;

use super::show_version::{self, MAX_OUTPUT_BYTES, ShowVersion, ShowVersionError};
use super::tailored::Credentials;

/// The longest the whole session may take, from creation to the parsed output.
pub const SESSION_TIMEOUT: Duration = Duration::from_secs(60);
/// The most unanswered output kept; the `show version` output must fit.
pub const MAX_BUFFER_BYTES: usize = MAX_OUTPUT_BYTES;
/// The longest hostname recognised in a prompt (IOS allows 63 characters).
pub const MAX_HOSTNAME_BYTES: usize = 63;

/// The longest current line examined for a prompt.
const MAX_PROMPT_LINE_BYTES: usize = 256;
const NEWLINE: &str = "\r\n";
const BACKSPACE: u8 = 0x08;
/// What IOS prints when a login or an enable password is refused.
const REFUSALS: &[&str] = &[
    "% Login invalid",
    "% Authentication failed",
    "% Bad passwords",
    "% Access denied",
    "% Bad secrets",
];

/// Where the session is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Answering `Username:` / `Password:` until an exec prompt.
    Login,
    /// `enable` sent from a `>` prompt; answering its `Password:`.
    Enable,
    /// `terminal length 0` sent; waiting for the prompt.
    TerminalLength,
    /// `show version` sent; collecting its output until the prompt.
    ShowVersion,
    /// An event was produced; nothing more happens.
    Finished,
}

/// The outcome of a session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CliEvent {
    /// The parsed `show version` output.
    Done(ShowVersion),
    /// Why the UDI could not be learned.
    Failed(CliSessionError),
}

/// A session that did not yield a `show version`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CliSessionError {
    /// The device refused the username or password (or asked for them again).
    #[error("login refused by the device")]
    LoginRefused,
    /// The device refused the enable password, or stayed at the `>` prompt.
    #[error("enable refused by the device")]
    EnableRefused,
    /// [`SESSION_TIMEOUT`] passed.
    #[error("session timed out during {phase:?}")]
    Timeout {
        /// Where the session was.
        phase: Phase,
    },
    /// The device closed the connection before the output was complete.
    #[error("connection closed during {phase:?}")]
    Closed {
        /// Where the session was.
        phase: Phase,
    },
    /// More than [`MAX_BUFFER_BYTES`] without a prompt.
    #[error("more than {limit} bytes of output without a prompt")]
    OutputTooLarge {
        /// The limit.
        limit: usize,
    },
    /// The output did not parse.
    #[error("show version output: {0}")]
    ShowVersion(#[from] ShowVersionError),
}

/// One reverse-telnet CLI session.
#[derive(Debug)]
pub struct CliSession {
    credentials: Credentials,
    phase: Phase,
    deadline: Duration,
    buffer: Vec<u8>,
    transmit: Vec<u8>,
    event: Option<CliEvent>,
    sent_username: bool,
    sent_password: bool,
    sent_enable: bool,
    hostname: Option<String>,
}

impl CliSession {
    /// A session starting at `now`, logging in with `credentials`.
    pub fn new(credentials: Credentials, now: Duration) -> Self {
        Self {
            credentials,
            phase: Phase::Login,
            deadline: now.saturating_add(SESSION_TIMEOUT),
            buffer: Vec::new(),
            transmit: Vec::new(),
            event: None,
            sent_username: false,
            sent_password: false,
            sent_enable: false,
            hostname: None,
        }
    }

    /// Where the session is.
    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// Feeds text received from the device (after telnet filtering).
    pub fn handle_input(&mut self, now: Duration, text: &[u8]) {
        if self.phase == Phase::Finished || self.check_deadline(now) {
            return;
        }
        self.buffer.extend(text.iter().filter(|&&b| b != BACKSPACE));
        if self.buffer.len() > MAX_BUFFER_BYTES {
            self.fail(CliSessionError::OutputTooLarge {
                limit: MAX_BUFFER_BYTES,
            });
            return;
        }
        self.advance();
    }

    /// Tells the session the time; fails it once [`SESSION_TIMEOUT`] has passed.
    pub fn handle_timeout(&mut self, now: Duration) {
        if self.phase != Phase::Finished {
            self.check_deadline(now);
        }
    }

    /// Tells the session the device closed the connection.
    pub fn handle_close(&mut self) {
        if self.phase != Phase::Finished {
            let phase = self.phase;
            self.fail(CliSessionError::Closed { phase });
        }
    }

    /// Takes the bytes to send to the device, if any (to be telnet-escaped by the caller).
    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        if self.transmit.is_empty() {
            None
        } else {
            Some(std::mem::take(&mut self.transmit))
        }
    }

    /// When [`CliSession::handle_timeout`] must be called next; `None` once finished.
    pub fn poll_timeout(&self) -> Option<Duration> {
        (self.phase != Phase::Finished).then_some(self.deadline)
    }

    /// Takes the outcome, once the session has finished.
    pub fn poll_event(&mut self) -> Option<CliEvent> {
        self.event.take()
    }

    fn check_deadline(&mut self, now: Duration) -> bool {
        if now < self.deadline {
            return false;
        }
        let phase = self.phase;
        self.fail(CliSessionError::Timeout { phase });
        true
    }

    fn advance(&mut self) {
        // A line longer than any prompt is output in progress: nothing to answer yet.
        let Some((tail_start, tail)) = current_line(&self.buffer) else {
            return;
        };
        match self.phase {
            Phase::Login => self.login(&tail),
            Phase::Enable => self.enable(&tail),
            Phase::TerminalLength => {
                if self.own_prompt(&tail) {
                    self.send("show version", Phase::ShowVersion);
                }
            }
            Phase::ShowVersion => self.collect(tail_start, &tail),
            Phase::Finished => {}
        }
    }

    fn login(&mut self, tail: &str) {
        if !is_prompt_like(tail) {
            return;
        }
        if self.sent_password && self.refused() {
            self.fail(CliSessionError::LoginRefused);
        } else if ends_with_prompt_word(tail, &["username:", "login:"]) {
            if self.sent_username {
                self.fail(CliSessionError::LoginRefused);
            } else {
                self.sent_username = true;
                let username = self.credentials.username().to_owned();
                self.send(&username, Phase::Login);
            }
        } else if ends_with_prompt_word(tail, &["password:"]) {
            if self.sent_password {
                self.fail(CliSessionError::LoginRefused);
            } else {
                self.sent_password = true;
                let password = self.credentials.password().to_owned();
                self.send(&password, Phase::Login);
            }
        } else if let Some((host, mode)) = prompt(tail) {
            self.hostname = Some(host.to_owned());
            if mode == '>' {
                self.send("enable", Phase::Enable);
            } else {
                self.send("terminal length 0", Phase::TerminalLength);
            }
        }
    }

    fn enable(&mut self, tail: &str) {
        if !is_prompt_like(tail) {
            return;
        }
        if self.refused() {
            self.fail(CliSessionError::EnableRefused);
        } else if ends_with_prompt_word(tail, &["password:"]) {
            if self.sent_enable {
                self.fail(CliSessionError::EnableRefused);
                return;
            }
            self.sent_enable = true;
            let enable = self.credentials.enable().to_owned();
            self.send(&enable, Phase::Enable);
        } else if let Some((_, mode)) = prompt(tail) {
            if mode == '#' {
                self.send("terminal length 0", Phase::TerminalLength);
            } else {
                self.fail(CliSessionError::EnableRefused);
            }
        }
    }

    fn collect(&mut self, tail_start: usize, tail: &str) {
        if tail.trim() == "--More--" {
            // Paging was not turned off: page on, dropping the marker from the output.
            self.buffer.truncate(tail_start);
            self.transmit.push(b' ');
            return;
        }
        if !self.own_prompt(tail) {
            return;
        }
        let output = self.buffer.get(..tail_start).unwrap_or_default();
        let event = match show_version::parse(output) {
            Ok(parsed) => CliEvent::Done(parsed),
            Err(e) => CliEvent::Failed(e.into()),
        };
        self.send("exit", Phase::Finished);
        self.event = Some(event);
        self.buffer = Vec::new();
    }

    /// Whether the line is the exec prompt seen at login (any prompt if none was seen).
    fn own_prompt(&self, line: &str) -> bool {
        prompt(line).is_some_and(|(host, _)| self.hostname.as_deref().is_none_or(|h| h == host))
    }

    /// Whether the output since the last answer holds a refusal message. Called only when a
    /// prompt is seen, and every prompt empties the buffer, so the scans stay linear overall.
    fn refused(&self) -> bool {
        REFUSALS.iter().any(|r| contains(&self.buffer, r))
    }

    fn send(&mut self, line: &str, next: Phase) {
        self.transmit.extend_from_slice(line.as_bytes());
        self.transmit.extend_from_slice(NEWLINE.as_bytes());
        self.buffer.clear();
        self.phase = next;
    }

    fn fail(&mut self, error: CliSessionError) {
        self.phase = Phase::Finished;
        self.event = Some(CliEvent::Failed(error));
        self.buffer = Vec::new();
    }
}

/// The byte offset and text after the last line break, or `None` when it is longer than any prompt (only the
/// last [`MAX_PROMPT_LINE_BYTES`] are looked at, so this is cheap on long lines).
fn current_line(buffer: &[u8]) -> Option<(usize, String)> {
    let window_start = buffer.len().saturating_sub(MAX_PROMPT_LINE_BYTES);
    let window = &buffer[window_start..];
    let start = match window.iter().rposition(|&b| b == b'\n' || b == b'\r') {
        Some(i) => i + 1,
        None if window_start == 0 => 0,
        None => return None,
    };
    let line = window.get(start..).unwrap_or_default();
    Some((
        window_start + start,
        String::from_utf8_lossy(line).into_owned(),
    ))
}

/// Whether a line could be a prompt (a `:`, `>` or `#` at its end).
fn is_prompt_like(line: &str) -> bool {
    line.trim_end().ends_with([':', '>', '#'])
}

fn contains(buffer: &[u8], needle: &str) -> bool {
    buffer.windows(needle.len()).any(|w| w == needle.as_bytes())
}

/// Whether the line ends (ignoring trailing spaces) with one of the words, any case.
fn ends_with_prompt_word(line: &str, words: &[&str]) -> bool {
    let line = line.trim_end().to_ascii_lowercase();
    words.iter().any(|w| line.ends_with(w))
}

/// `<hostname>>` or `<hostname>#` (trailing spaces ignored): the hostname and the mode character.
fn prompt(line: &str) -> Option<(&str, char)> {
    let line = line.trim_end();
    let mode = line.chars().last().filter(|c| matches!(c, '>' | '#'))?;
    let host = line.strip_suffix(mode)?;
    let valid = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-');
    let plausible = !host.is_empty() && host.len() <= MAX_HOSTNAME_BYTES;
    (plausible && host.bytes().all(valid)).then_some((host, mode))
}

#[cfg(test)]
mod tests;
