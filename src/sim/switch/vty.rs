//! The IOS CLI an emulated switch presents on a telnet connection, as a sans-IO state machine:
//! bytes received in ([`Vty::handle_input`]), bytes to send out ([`Vty::poll_transmit`]). It is
//! what the SMI proxy's reverse-telnet session (`edge::reverse_telnet`) talks to after the
//! tailored configuration's `do telnet` (`../shared/reference/smi-proxy.txt`).
//!
//! Like IOS it opens with `IAC WILL ECHO`, `IAC WILL SUPPRESS-GO-AHEAD` (RFC 857, 858), refuses
//! every other option (`DO x` → `WONT x`, `WILL x` → `DONT x`), drops subnegotiations (bounded by
//! [`MAX_SUBNEGOTIATION_BYTES`]), reads `CR LF`, `CR NUL`, `CR` or `LF` as the end of a line and
//! doubles `0xFF` in what it sends. Then `User Access Verification`, `Username: `, `Password: `
//! (not echoed) checked against the running config ([`Logins`]); a wrong login prints
//! `% Login invalid` and asks again, three times, then the connection closes. At the user exec
//! prompt `<hostname>>`: `enable` (`Password: `, three tries, then `% Bad secrets`), `terminal
//! length N`, `show version`, `exit`/`logout`/`quit`; privileged (`<hostname>#`) adds `disable`
//! and `show running-config`. Keywords may be abbreviated (`sh ver`, `term len 0`); anything
//! else gets `% Invalid input detected at '^' marker.` with the caret under the first bad word,
//! `% Ambiguous command` or `% Incomplete command.`. Output longer than the terminal length
//! (24 lines by default) pages with ` --More-- ` (space: a page, Enter: a line, other: stop).
//!
//! Inputs: every received byte is the peer's (untrusted): lines are bounded by
//! [`MAX_LINE_BYTES`], control characters other than the line editing ones are dropped.

use std::collections::VecDeque;

use super::logins::Logins;
use crate::proto::telnet::{
    DO, DONT, IAC, OPT_ECHO, OPT_SUPPRESS_GO_AHEAD, SB, WILL, WONT, escape,
};

/// The longest command line kept; further characters are dropped (IOS rings the bell).
pub const MAX_LINE_BYTES: usize = 256;
/// Login attempts before the connection is closed (IOS's default).
pub const LOGIN_TRIES: u32 = 3;
/// Enable password attempts before IOS gives up.
pub const ENABLE_TRIES: u32 = 3;
/// The terminal length a session starts with.
pub const DEFAULT_TERMINAL_LENGTH: u32 = 24;
/// The largest `terminal length` accepted (IOS: 0–512).
pub const MAX_TERMINAL_LENGTH: u32 = 512;
/// The most bytes a subnegotiation may carry before the session closes.
pub const MAX_SUBNEGOTIATION_BYTES: usize = 512;

const CR: u8 = b'\r';
const LF: u8 = b'\n';
const NUL: u8 = 0;
const MORE: &str = " --More-- ";
const BANNER: &str = "\r\n\r\nUser Access Verification\r\n\r\nUsername: ";

/// What the session sees of the switch: fixed for its whole length.
#[derive(Clone, Debug)]
pub struct VtyView {
    /// The prompt's hostname.
    pub hostname: String,
    /// Who may log in and enable.
    pub logins: Logins,
    /// The `show version` output (`\n` line ends).
    pub show_version: String,
    /// The running config, for `show running-config`.
    pub running_config: String,
}

/// How a session went, for the switch's `telnet` event.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    /// The peer logged in.
    pub logged_in: bool,
    /// The peer ran `show version`.
    pub showed_version: bool,
    /// The peer failed [`LOGIN_TRIES`] logins.
    pub login_refused: bool,
    /// The session timed out.
    pub timed_out: bool,
}

impl Outcome {
    /// Whether the peer logged in and ran `show version`.
    pub fn ok(&self) -> bool {
        self.logged_in && self.showed_version
    }

    /// Why the session is not [`Outcome::ok`], if it is not.
    pub fn error(&self) -> Option<&'static str> {
        Some(if self.ok() {
            return None;
        } else if self.login_refused {
            "login refused"
        } else if self.timed_out {
            "timed out"
        } else if !self.logged_in {
            "closed before login"
        } else {
            "closed before show version"
        })
    }
}

/// Where the CLI is.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Mode {
    Username,
    Password { user: String },
    Exec,
    EnablePassword { tries: u32 },
    More,
    Closed,
}

/// Where the telnet reader is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Nvt {
    Data,
    AfterCr,
    Iac,
    Verb(u8),
    Sub,
    SubIac,
}

/// One telnet CLI session.
#[derive(Debug)]
pub struct Vty {
    view: VtyView,
    mode: Mode,
    nvt: Nvt,
    sub_len: usize,
    echo: bool,
    line: Vec<u8>,
    out: Vec<u8>,
    privileged: bool,
    login_failures: u32,
    terminal_length: u32,
    pending: VecDeque<String>,
    outcome: Outcome,
}

/// A command of the CLI.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Command {
    Enable,
    Disable,
    Exit,
    TerminalLength,
    ShowVersion,
    ShowRunning,
}

/// A word of a command's syntax.
#[derive(Clone, Copy, Debug)]
enum Word {
    Key(&'static str),
    Number(u32),
}

/// (words, privileged only, command)
const SYNTAX: &[(&[Word], bool, Command)] = &[
    (&[Word::Key("enable")], false, Command::Enable),
    (&[Word::Key("disable")], true, Command::Disable),
    (&[Word::Key("exit")], false, Command::Exit),
    (&[Word::Key("logout")], false, Command::Exit),
    (&[Word::Key("quit")], false, Command::Exit),
    (
        &[
            Word::Key("terminal"),
            Word::Key("length"),
            Word::Number(MAX_TERMINAL_LENGTH),
        ],
        false,
        Command::TerminalLength,
    ),
    (
        &[Word::Key("show"), Word::Key("version")],
        false,
        Command::ShowVersion,
    ),
    (
        &[Word::Key("show"), Word::Key("running-config")],
        true,
        Command::ShowRunning,
    ),
];

/// Why a line is not a command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Refusal {
    Invalid { offset: usize },
    Ambiguous,
    Incomplete,
}

impl Vty {
    /// A session that has just been connected: the option offers and the login banner are
    /// queued.
    pub fn new(view: VtyView) -> Self {
        let mut vty = Self {
            view,
            mode: Mode::Username,
            nvt: Nvt::Data,
            sub_len: 0,
            echo: true,
            line: Vec::new(),
            out: vec![IAC, WILL, OPT_ECHO, IAC, WILL, OPT_SUPPRESS_GO_AHEAD],
            privileged: false,
            login_failures: 0,
            terminal_length: DEFAULT_TERMINAL_LENGTH,
            pending: VecDeque::new(),
            outcome: Outcome::default(),
        };
        vty.text(BANNER);
        vty
    }

    /// Feeds bytes received from the peer.
    pub fn handle_input(&mut self, input: &[u8]) {
        for &byte in input {
            if self.mode == Mode::Closed {
                return;
            }
            self.receive(byte);
        }
    }

    /// The peer stayed silent too long: IOS says so at the login and closes.
    pub fn handle_timeout(&mut self) {
        if self.mode == Mode::Closed {
            return;
        }
        if !self.outcome.logged_in {
            self.text("\r\n% Username:  timeout expired!\r\n");
        }
        self.outcome.timed_out = true;
        self.mode = Mode::Closed;
    }

    /// The peer closed the connection.
    pub fn handle_close(&mut self) {
        self.mode = Mode::Closed;
    }

    /// Takes the bytes to send (telnet-escaped), if any.
    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        (!self.out.is_empty()).then(|| std::mem::take(&mut self.out))
    }

    /// Whether the session is over (the connection is to be closed once the output is sent).
    pub fn is_closed(&self) -> bool {
        self.mode == Mode::Closed
    }

    /// Whether the peer has logged in.
    pub fn logged_in(&self) -> bool {
        self.outcome.logged_in
    }

    /// How the session went so far.
    pub fn outcome(&self) -> Outcome {
        self.outcome
    }

    fn receive(&mut self, byte: u8) {
        self.nvt = match (self.nvt, byte) {
            (Nvt::Data | Nvt::AfterCr, IAC) => Nvt::Iac,
            (Nvt::AfterCr, LF | NUL) => Nvt::Data,
            (Nvt::Data | Nvt::AfterCr, _) => {
                self.key(byte);
                if byte == CR { Nvt::AfterCr } else { Nvt::Data }
            }
            (Nvt::Iac, IAC) => {
                self.key(IAC);
                Nvt::Data
            }
            (Nvt::Iac, WILL | WONT | DO | DONT) => Nvt::Verb(byte),
            (Nvt::Iac, SB) => {
                self.sub_len = 0;
                Nvt::Sub
            }
            (Nvt::Iac, _) => Nvt::Data,
            (Nvt::Verb(verb), option) => {
                self.negotiate(verb, option);
                Nvt::Data
            }
            (Nvt::Sub, IAC) => Nvt::SubIac,
            (Nvt::Sub, _) | (Nvt::SubIac, IAC) => {
                self.sub_len += 1;
                if self.sub_len > MAX_SUBNEGOTIATION_BYTES {
                    self.mode = Mode::Closed;
                }
                Nvt::Sub
            }
            (Nvt::SubIac, _) => Nvt::Data,
        };
    }

    /// Our options are ECHO and SUPPRESS-GO-AHEAD, offered at the start; the peer's are refused.
    fn negotiate(&mut self, verb: u8, option: u8) {
        let ours = matches!(option, OPT_ECHO | OPT_SUPPRESS_GO_AHEAD);
        match verb {
            DO if !ours => self.out.extend_from_slice(&[IAC, WONT, option]),
            DONT if option == OPT_ECHO && self.echo => {
                self.echo = false;
                self.out.extend_from_slice(&[IAC, WONT, option]);
            }
            WILL => self.out.extend_from_slice(&[IAC, DONT, option]),
            _ => {}
        }
    }

    /// One data byte typed by the peer.
    fn key(&mut self, byte: u8) {
        if self.mode == Mode::More {
            self.more_key(byte);
            return;
        }
        let visible = self.echo && !self.secret_input();
        match byte {
            CR | LF => self.line_end(),
            0x08 | 0x7F => {
                if self.line.pop().is_some() && visible {
                    self.out.extend_from_slice(b"\x08 \x08");
                }
            }
            _ if byte < 0x20 => {}
            _ if self.line.len() >= MAX_LINE_BYTES => {}
            _ => {
                self.line.push(byte);
                if visible {
                    self.data(&[byte]);
                }
            }
        }
    }

    fn secret_input(&self) -> bool {
        matches!(
            self.mode,
            Mode::Password { .. } | Mode::EnablePassword { .. }
        )
    }

    fn line_end(&mut self) {
        let line = String::from_utf8_lossy(&std::mem::take(&mut self.line)).into_owned();
        self.text("\r\n");
        match std::mem::replace(&mut self.mode, Mode::Closed) {
            Mode::Username if line.trim().is_empty() => self.ask(Mode::Username, "Username: "),
            Mode::Username => self.ask(
                Mode::Password {
                    user: line.trim().to_owned(),
                },
                "Password: ",
            ),
            Mode::Password { user } => self.login(&user, &line),
            Mode::EnablePassword { tries } => self.enable_password(tries, &line),
            Mode::Exec => self.command(&line),
            mode @ (Mode::More | Mode::Closed) => self.mode = mode,
        }
    }

    fn login(&mut self, user: &str, password: &str) {
        if self.view.logins.login(user, password) {
            self.outcome.logged_in = true;
            self.prompt();
            return;
        }
        self.login_failures += 1;
        self.text("% Login invalid\r\n\r\n");
        if self.login_failures >= LOGIN_TRIES {
            self.outcome.login_refused = true;
            self.mode = Mode::Closed;
        } else {
            self.ask(Mode::Username, "Username: ");
        }
    }

    fn enable_password(&mut self, tries: u32, password: &str) {
        if self.view.logins.enable(password) {
            self.privileged = true;
        } else if tries + 1 < ENABLE_TRIES {
            self.ask(Mode::EnablePassword { tries: tries + 1 }, "Password: ");
            return;
        } else {
            let refusal = self.view.logins.enable_refusal();
            self.text(&format!("{refusal}\r\n\r\n"));
        }
        self.prompt();
    }

    fn command(&mut self, line: &str) {
        if line.trim().is_empty() {
            self.prompt();
            return;
        }
        match resolve(line, self.privileged) {
            Ok((command, number)) => self.run(command, number),
            Err(Refusal::Invalid { offset }) => {
                let caret = " ".repeat(self.prompt_text().len() + offset);
                self.text(&format!(
                    "{caret}^\r\n% Invalid input detected at '^' marker.\r\n\r\n"
                ));
                self.prompt();
            }
            Err(Refusal::Ambiguous) => {
                self.text(&format!("% Ambiguous command:  \"{}\"\r\n", line.trim()));
                self.prompt();
            }
            Err(Refusal::Incomplete) => {
                self.text("% Incomplete command.\r\n\r\n");
                self.prompt();
            }
        }
    }

    fn run(&mut self, command: Command, number: Option<u32>) {
        match command {
            Command::Enable if self.privileged => self.prompt(),
            Command::Enable if !self.view.logins.has_enable() => {
                self.text("% No password set\r\n");
                self.prompt();
            }
            Command::Enable => self.ask(Mode::EnablePassword { tries: 0 }, "Password: "),
            Command::Disable => {
                self.privileged = false;
                self.prompt();
            }
            Command::Exit => self.mode = Mode::Closed,
            Command::TerminalLength => {
                self.terminal_length = number.unwrap_or(DEFAULT_TERMINAL_LENGTH);
                self.prompt();
            }
            Command::ShowVersion => {
                self.outcome.showed_version = true;
                let text = self.view.show_version.clone();
                self.page(&text);
            }
            Command::ShowRunning => {
                let config = &self.view.running_config;
                let text = format!(
                    "Building configuration...\n\nCurrent configuration : {} bytes\n{config}\n",
                    config.len()
                );
                self.page(&text);
            }
        }
    }

    /// Starts paging `text` out.
    fn page(&mut self, text: &str) {
        self.pending = text.lines().map(str::to_owned).collect();
        self.next_lines(self.page_lines());
    }

    /// Lines per page: the terminal length less the `--More--` line; all for length 0.
    fn page_lines(&self) -> usize {
        match self.terminal_length {
            0 => usize::MAX,
            n => usize::try_from(n.saturating_sub(1).max(1)).unwrap_or(usize::MAX),
        }
    }

    fn next_lines(&mut self, n: usize) {
        for _ in 0..n {
            let Some(line) = self.pending.pop_front() else {
                break;
            };
            self.text(&line);
            self.text("\r\n");
        }
        if self.pending.is_empty() {
            self.prompt();
        } else {
            self.text(MORE);
            self.mode = Mode::More;
        }
    }

    fn more_key(&mut self, byte: u8) {
        if matches!(byte, LF | NUL) {
            return;
        }
        let width = MORE.len();
        let erase = format!(
            "{}{}{}",
            "\x08".repeat(width),
            " ".repeat(width),
            "\x08".repeat(width)
        );
        self.text(&erase);
        match byte {
            b' ' => self.next_lines(self.page_lines()),
            CR => self.next_lines(1),
            _ => {
                self.pending.clear();
                self.prompt();
            }
        }
    }

    fn prompt_text(&self) -> String {
        let mode = if self.privileged { '#' } else { '>' };
        format!("{}{mode}", self.view.hostname)
    }

    fn prompt(&mut self) {
        let prompt = self.prompt_text();
        self.text(&prompt);
        self.mode = Mode::Exec;
    }

    fn ask(&mut self, mode: Mode, question: &str) {
        self.text(question);
        self.mode = mode;
    }

    fn text(&mut self, text: &str) {
        self.data(text.as_bytes());
    }

    fn data(&mut self, bytes: &[u8]) {
        self.out.extend_from_slice(&escape(bytes));
    }
}

/// The command a line names, with its number argument, or why it names none.
fn resolve(line: &str, privileged: bool) -> Result<(Command, Option<u32>), Refusal> {
    let mut candidates: Vec<&(&[Word], bool, Command)> = SYNTAX
        .iter()
        .filter(|(_, privileged_only, _)| privileged || !privileged_only)
        .collect();
    let mut number = None;
    let words = words_with_offsets(line);
    for (i, &(offset, word)) in words.iter().enumerate() {
        let lower = word.to_ascii_lowercase();
        let matches = |w: &Word| match w {
            Word::Key(k) => k.starts_with(lower.as_str()),
            Word::Number(max) => word.parse::<u32>().is_ok_and(|n| n <= *max),
        };
        let exact =
            |w: &Word| matches!(w, Word::Key(k) if *k == lower) || matches!(w, Word::Number(_));
        let at = |s: &&(&[Word], bool, Command)| s.0.get(i).copied();
        candidates.retain(|s| at(s).is_some_and(|w| matches(&w)));
        if candidates.is_empty() {
            return Err(Refusal::Invalid { offset });
        }
        if candidates.iter().any(|s| at(s).is_some_and(|w| exact(&w))) {
            candidates.retain(|s| at(s).is_some_and(|w| exact(&w)));
        } else {
            let first = candidates.first().and_then(at).map(|w| key_name(&w));
            if candidates
                .iter()
                .any(|s| at(s).map(|w| key_name(&w)) != first)
            {
                return Err(Refusal::Ambiguous);
            }
        }
        if candidates
            .iter()
            .any(|s| matches!(at(s), Some(Word::Number(_))))
        {
            number = word.parse().ok();
        }
    }
    candidates
        .iter()
        .find(|s| s.0.len() == words.len())
        .map(|s| (s.2, number))
        .ok_or(Refusal::Incomplete)
}

fn key_name(word: &Word) -> &'static str {
    match word {
        Word::Key(k) => k,
        Word::Number(_) => "<number>",
    }
}

/// The words of a line with their byte offsets.
fn words_with_offsets(line: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in line.char_indices() {
        match (c.is_ascii_whitespace(), start) {
            (false, None) => start = Some(i),
            (true, Some(s)) => {
                out.push((s, line.get(s..i).unwrap_or_default()));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push((s, line.get(s..).unwrap_or_default()));
    }
    out
}

#[cfg(test)]
mod tests;
