//! FTP control-channel commands from the client (RFC 959): `RETR`, `STOR`, `STOU`, `APPE` and
//! the rest, one per CRLF-terminated line, for the auditor's clear-text transfer rule.
//!
//! Bounded: a line is at most [`MAX_LINE_BYTES`] (a longer one ends the parse, as does a line
//! that is not a command: letters, then a space or the end); a stream that does not start with a
//! command is given up at once.
//!
//! Inputs: attacker-controlled bytes in pieces of any size; pure.

/// Longest command line.
pub const MAX_LINE_BYTES: usize = 1024;

/// One command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FtpCommand {
    /// The command, upper-case (`RETR`).
    pub command: String,
    /// Its argument (a path for transfers; `PASS` arguments are never kept).
    pub argument: String,
}

/// Whether the parser wants more bytes.
pub use super::http::Progress;

/// The command parser of one client → server stream.
#[derive(Debug, Default)]
pub struct FtpCommands {
    line: Vec<u8>,
    stopped: bool,
}

impl FtpCommands {
    /// A parser at the start of a stream.
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds the next bytes; complete commands are appended to `out`.
    pub fn feed(&mut self, data: &[u8], out: &mut Vec<FtpCommand>) -> Progress {
        for &b in data {
            if self.stopped {
                break;
            }
            if b == b'\n' {
                let line = std::mem::take(&mut self.line);
                match parse_line(&line) {
                    Some(cmd) => out.push(cmd),
                    None => self.stopped = true,
                }
                continue;
            }
            if self.line.len() >= MAX_LINE_BYTES {
                self.stopped = true;
                break;
            }
            self.line.push(b);
            if self.line.len() <= 5 && !plausible(&self.line) {
                self.stopped = true;
            }
        }
        if self.stopped {
            Progress::Stop
        } else {
            Progress::More
        }
    }
}

/// Whether a line start can still be a command (up to four letters, then a space or CR).
fn plausible(start: &[u8]) -> bool {
    let letters = start.iter().take_while(|b| b.is_ascii_alphabetic()).count();
    match start.get(letters) {
        None => letters <= 4,
        Some(b' ' | b'\r') => (3..=4).contains(&letters),
        Some(_) => false,
    }
}

fn parse_line(line: &[u8]) -> Option<FtpCommand> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let text = String::from_utf8_lossy(line);
    let (command, argument) = text.split_once(' ').unwrap_or((&text, ""));
    let ok = (3..=4).contains(&command.len()) && command.bytes().all(|b| b.is_ascii_alphabetic());
    if !ok {
        return None;
    }
    let command = command.to_ascii_uppercase();
    let argument = if command == "PASS" {
        String::new()
    } else {
        argument.to_owned()
    };
    Some(FtpCommand { command, argument })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(chunks: &[&[u8]]) -> (Vec<FtpCommand>, Progress) {
        let mut p = FtpCommands::new();
        let mut out = Vec::new();
        let mut progress = Progress::More;
        for c in chunks {
            progress = p.feed(c, &mut out);
        }
        (out, progress)
    }

    #[test]
    fn commands_at_every_split_and_passwords_dropped() {
        let session = b"USER anonymous\r\nPASS secret\r\nTYPE I\r\nretr c2960-lanbasek9-mz.150-2.SE11.bin\r\n";
        for cut in 0..=session.len() {
            let (a, b) = session.split_at(cut);
            let (cmds, progress) = parse(&[a, b]);
            assert_eq!(progress, Progress::More, "cut {cut}");
            let names: Vec<&str> = cmds.iter().map(|c| c.command.as_str()).collect();
            assert_eq!(names, ["USER", "PASS", "TYPE", "RETR"], "cut {cut}");
            assert_eq!(cmds[1].argument, "");
            assert_eq!(cmds[3].argument, "c2960-lanbasek9-mz.150-2.SE11.bin");
        }
    }

    #[test]
    fn other_protocols_and_long_lines_stop_the_parse() {
        assert_eq!(parse(&[b"\x16\x03\x01\x02\x00"]).1, Progress::Stop);
        assert_eq!(parse(&[b"GET / HTTP/1.1\r\n"]).1, Progress::More);
        assert_eq!(parse(&[b"SSH-2.0-OpenSSH\r\n"]).1, Progress::Stop);
        let long = format!("STOR {}", "a".repeat(MAX_LINE_BYTES));
        assert_eq!(parse(&[long.as_bytes()]).1, Progress::Stop);
    }
}
