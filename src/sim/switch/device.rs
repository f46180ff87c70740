//! The emulated Smart Install client's behaviour, without I/O: what it answers to each message
//! (smart-install.md §3.2, §3.3), which TFTP transfer each message triggers (§3.9), how it runs
//! `copy` commands against its own running config, startup config and flash, and how it applies
//! the CLI lines of an `execute` command file (§3.7), and what a reload does (running config :=
//! startup config, software := the installed image).
//!
//! Reload timing (an assumption, smart-install.md §10 item 4): the HH:MM of a config push (type
//! 3) or image upgrade (type 2) is read as a delay, hours and minutes from now — SIET calls it
//! "timeout before reload" — so 00:00 with the reload flag set reloads at once, as do an image
//! upgrade's `reload_now` word and its flags bit 0x20.
//!
//! Inputs: decoded messages from anyone on TCP 4786 (the emulated client, like a real one, has no
//! authentication) and files fetched over TFTP. Pure: the async driver in the parent module does
//! the transfers and feeds results back.

use std::collections::BTreeMap;
use std::time::Duration;

use super::identity::Identity;
use super::software::Software;
use crate::proto::vstack::{Body, ImageUpgrade, Message, ParsedUrl, Probe, ProbeReply};

/// Image upgrade flags bit read as "reload immediately" (**\[inference\]**, smart-install.md
/// §3.6: set in SIET's immediate layout 0x821, clear in the scheduled 0x801).
pub const FLAG_RELOAD_NOW: u32 = 0x20;

/// Largest TLV value the emulated client copies safely: the 0x58-byte stack buffer of the
/// vulnerable handler (§3.8). A larger one "crashes" it, as CVE-2018-0171 does.
pub const INIT_DISCOVERY_BUFFER_BYTES: u64 = 0x58;

/// A TFTP endpoint named by a URL: host as written (brackets removed), optional port, file name
/// (the URL path without its leading `/`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Remote {
    /// Host name or IP literal.
    pub host: String,
    /// Port from the URL, if any.
    pub port: Option<u16>,
    /// File name sent in the RRQ/WRQ.
    pub file: String,
}

impl Remote {
    /// A `tftp://host[:port]/file` URL; `None` for other schemes or an empty file name.
    pub fn parse(url: &str) -> Option<Self> {
        let parsed = ParsedUrl::parse(url)?;
        if !parsed.scheme.eq_ignore_ascii_case("tftp") {
            return None;
        }
        let file = parsed.path.strip_prefix('/').unwrap_or(parsed.path);
        if file.is_empty() {
            return None;
        }
        let host = parsed.host.trim_start_matches('[').trim_end_matches(']');
        Some(Self {
            host: host.to_owned(),
            port: parsed.port,
            file: file.to_owned(),
        })
    }

    /// A sibling file in the same directory on the same server (the image named by a list).
    pub fn sibling(&self, name: &str) -> Self {
        let file = match self.file.rsplit_once('/') {
            Some((dir, _)) => format!("{dir}/{name}"),
            None => name.to_owned(),
        };
        Self {
            file,
            ..self.clone()
        }
    }
}

/// Where a `copy` reads from or writes to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    /// `system:running-config` (or `running-config`).
    RunningConfig,
    /// `nvram:startup-config` (or `startup-config`).
    StartupConfig,
    /// `flash:<path>`.
    Flash(String),
    /// `tftp://…`.
    Tftp(Remote),
}

impl Location {
    /// Parses an IOS file reference; `None` for unsupported file systems.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "system:running-config" | "running-config" => return Some(Self::RunningConfig),
            "nvram:startup-config" | "startup-config" => return Some(Self::StartupConfig),
            _ => {}
        }
        if let Some(path) = text.strip_prefix("flash:") {
            let path = path.trim_start_matches('/');
            return (!path.is_empty()).then(|| Self::Flash(path.to_owned()));
        }
        Remote::parse(text).map(Self::Tftp)
    }
}

/// A parsed `copy SRC DST` command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Copy {
    /// Source.
    pub from: Location,
    /// Destination.
    pub to: Location,
}

impl Copy {
    /// Parses `copy SRC DST`; `None` for any other command.
    pub fn parse(command: &str) -> Option<Self> {
        let mut words = command.split_ascii_whitespace();
        if words.next() != Some("copy") {
            return None;
        }
        let from = Location::parse(words.next()?)?;
        let to = Location::parse(words.next()?)?;
        words.next().is_none().then_some(Self { from, to })
    }
}

/// What the client does with one message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Send these bytes back.
    Reply(Vec<u8>),
    /// Type 3: fetch the config (RRQ); `reload` = scheduled HH:MM, if flagged.
    FetchConfig {
        /// Where.
        remote: Remote,
        /// Scheduled reload, if any.
        reload: Option<(u32, u32)>,
    },
    /// Type 2: fetch the image list (RRQ), then the image it names, install it and reload
    /// after `reload` (HH:MM read as a delay; 00:00 = at once), if set.
    FetchImageList {
        /// Where.
        remote: Remote,
        /// Reload delay as HH:MM, if the message asks for a reload.
        reload: Option<(u32, u32)>,
    },
    /// Type 5: fetch the command file (RRQ) and run its lines.
    FetchCommands {
        /// Where.
        remote: Remote,
    },
    /// Type 8: run these commands in order, as (text, parsed `copy`); a command that is not a
    /// supported `copy` is reported and skipped.
    RunCopies(Vec<(String, Option<Copy>)>),
    /// Type 7 whose TLV exceeds the handler's buffer: the client "crashes" (reloads).
    Crash {
        /// The largest TLV length declared.
        declared: u64,
    },
    /// A URL the client cannot use (not TFTP, or no file).
    BadUrl(String),
    /// Nothing to do.
    Nothing,
}

/// The client's answer to one decoded message.
pub fn action_for(message: &Message) -> Action {
    match &message.body {
        Body::Probe(Probe::Hello { .. }) => reply(ProbeReply::HELLO),
        Body::Probe(Probe::Short { .. }) | Body::Unknown { .. } => reply(ProbeReply::STATUS),
        Body::ProbeReply(_) => Action::Nothing,
        Body::ConfigPush(c) => with_remote(&c.url.text(), |remote| Action::FetchConfig {
            remote,
            reload: c.reload.scheduled(),
        }),
        Body::ImageUpgrade(i) => {
            with_remote(&i.image_list_url.text(), |remote| Action::FetchImageList {
                remote,
                reload: upgrade_reload(i),
            })
        }
        Body::Execute(e) => with_remote(&e.url.text(), |remote| Action::FetchCommands { remote }),
        Body::CopyCommands(_) => Action::RunCopies(
            message
                .commands()
                .iter()
                .map(|c| {
                    let text = c.text().into_owned();
                    let copy = Copy::parse(&text);
                    (text, copy)
                })
                .collect(),
        ),
        Body::InitDiscovery(d) if d.largest_value() > INIT_DISCOVERY_BUFFER_BYTES => {
            Action::Crash {
                declared: d.largest_value(),
            }
        }
        Body::InitDiscovery(_) => Action::Nothing,
    }
}

/// When an image upgrade reloads, as an HH:MM delay: at once (00:00) when `reload_now` or the
/// flags bit [`FLAG_RELOAD_NOW`] is set, else the scheduled HH:MM when its flag is set.
pub fn upgrade_reload(upgrade: &ImageUpgrade) -> Option<(u32, u32)> {
    if upgrade.reload_now != 0 || upgrade.flags & FLAG_RELOAD_NOW != 0 {
        return Some((0, 0));
    }
    upgrade.reload.scheduled()
}

/// The delay an HH:MM reload time stands for (see the module documentation).
pub fn reload_delay((hour, minute): (u32, u32)) -> Duration {
    Duration::from_secs(u64::from(hour) * 3600 + u64::from(minute) * 60)
}

/// The 20-byte status reply, for messages the client cannot frame (§3.3: it answers even a
/// malformed, foreign message with it).
pub fn status_reply() -> Vec<u8> {
    ProbeReply::STATUS.encode_reply()
}

fn reply(r: ProbeReply) -> Action {
    Action::Reply(r.encode_reply())
}

fn with_remote(url: &str, f: impl FnOnce(Remote) -> Action) -> Action {
    Remote::parse(url).map_or_else(|| Action::BadUrl(url.to_owned()), f)
}

trait EncodeReply {
    fn encode_reply(self) -> Vec<u8>;
}

impl EncodeReply for ProbeReply {
    /// Probe replies always encode (fixed layouts).
    fn encode_reply(self) -> Vec<u8> {
        Message::new(Body::ProbeReply(self))
            .encode()
            .unwrap_or_default()
    }
}

/// The emulated switch's storage.
#[derive(Clone, Debug)]
pub struct Device {
    /// The running configuration.
    pub running_config: String,
    /// The startup configuration.
    pub startup_config: String,
    /// Flash files.
    pub flash: BTreeMap<String, Vec<u8>>,
    /// The software running now.
    pub software: Software,
    /// An image installed since the last reload (it runs after the next one).
    pub installed: Option<Software>,
    /// PID, VID, serial number and base MAC, for `show version`.
    pub identity: Identity,
}

impl Device {
    /// A switch named `hostname` with a small default configuration.
    pub fn new(hostname: &str) -> Self {
        Self::with_config(default_config(hostname))
    }

    /// A switch running `config`.
    pub fn with_config(config: String) -> Self {
        let identity = Identity::for_hostname(config_hostname(&config).unwrap_or("Switch"));
        Self {
            running_config: without_exec_lines(&config),
            startup_config: config,
            flash: BTreeMap::new(),
            software: Software::builtin(),
            installed: None,
            identity,
        }
    }

    /// The same switch with another hardware identity.
    pub fn with_identity(self, identity: Identity) -> Self {
        Self { identity, ..self }
    }

    /// A `write erase`d switch: no startup config; the running config is the minimal default
    /// with `hostname`; the built-in software.
    pub fn erased(hostname: &str) -> Self {
        Self {
            running_config: format!(
                "!\nversion 15.2\nno service pad\nhostname {hostname}\n!\nvstack\n!\n\
                 interface Vlan1\n ip address dhcp\n!\nend\n"
            ),
            startup_config: String::new(),
            identity: Identity::for_hostname(hostname),
            ..Self::with_config(String::new())
        }
    }

    /// The `hostname` of the running config (`Switch` when it names none, as IOS does).
    pub fn hostname(&self) -> &str {
        config_hostname(&self.running_config).unwrap_or("Switch")
    }

    /// Whether a startup config is stored (a switch without one autoinstalls at boot).
    pub fn has_startup_config(&self) -> bool {
        !self.startup_config.trim().is_empty()
    }

    /// Installs an image: it runs after the next [`Device::reload`].
    pub fn install(&mut self, software: Software) {
        self.installed = Some(software);
    }

    /// Reloads: the running config becomes the startup config (when there is one; its `do`
    /// exec lines run but are not kept, as on IOS) and the installed image, if any, becomes the
    /// running software.
    pub fn reload(&mut self) {
        if self.has_startup_config() {
            self.running_config = without_exec_lines(&self.startup_config);
        }
        if let Some(software) = self.installed.take() {
            self.software = software;
        }
    }

    /// The bytes at a local location; `None` for TFTP or a missing flash file.
    pub fn read(&self, at: &Location) -> Option<Vec<u8>> {
        match at {
            Location::RunningConfig => Some(self.running_config.as_bytes().to_vec()),
            Location::StartupConfig => Some(self.startup_config.as_bytes().to_vec()),
            Location::Flash(path) => self.flash.get(path).cloned(),
            Location::Tftp(_) => None,
        }
    }

    /// Stores bytes at a local location (a running-config copy merges the lines in).
    pub fn write(&mut self, at: &Location, bytes: &[u8]) {
        let text = String::from_utf8_lossy(bytes);
        match at {
            Location::RunningConfig => self.apply_lines(text.lines()),
            Location::StartupConfig => self.startup_config = text.into_owned(),
            Location::Flash(path) => {
                self.flash.insert(path.clone(), bytes.to_vec());
            }
            Location::Tftp(_) => {}
        }
    }

    /// Applies configuration lines to the running config, before its final `end` (`exit`,
    /// `end`, `!` and `do …` exec lines are not kept).
    pub fn apply_lines<'a>(&mut self, lines: impl IntoIterator<Item = &'a str>) {
        let had_end = self.running_config.ends_with("end\n");
        if had_end {
            let keep = self.running_config.len().saturating_sub(4);
            self.running_config.truncate(keep);
        }
        for line in lines.into_iter().map(str::trim) {
            if line.is_empty() || matches!(line, "exit" | "end" | "!") || is_exec_line(line) {
                continue;
            }
            self.running_config.push_str(line);
            self.running_config.push('\n');
        }
        if had_end {
            self.running_config.push_str("end\n");
        }
    }
}

/// The CLI lines of an execute command file: each in double quotes, separated by spaces
/// (SIET README "How to use -e"); an unquoted file is read line by line.
pub fn command_lines(file: &str) -> Vec<String> {
    if !file.contains('"') {
        return file
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect();
    }
    file.split('"')
        .skip(1)
        .step_by(2)
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Whether a configuration line is a `do <exec command>` (run, never stored).
pub fn is_exec_line(line: &str) -> bool {
    line.trim_start().starts_with("do ")
}

/// `config` without its `do …` exec lines.
pub fn without_exec_lines(config: &str) -> String {
    config
        .lines()
        .filter(|l| !is_exec_line(l))
        .flat_map(|l| [l, "\n"])
        .collect()
}

/// The image an image-list file names: its first non-empty line.
pub fn image_name(list: &str) -> Option<&str> {
    list.lines().map(str::trim).find(|l| !l.is_empty())
}

/// The argument of the last top-level `hostname` line of a configuration (a later line, e.g.
/// one applied by an execute file, replaces an earlier one).
pub fn config_hostname(config: &str) -> Option<&str> {
    config
        .lines()
        .filter_map(|l| l.strip_prefix("hostname "))
        .map(str::trim)
        .rfind(|h| !h.is_empty())
}

fn default_config(hostname: &str) -> String {
    format!(
        "!\nversion 12.2\nhostname {hostname}\n!\nenable secret 5 $1$emul$0000000000000000000000\n\
         username admin privilege 15 secret 5 $1$emul$1111111111111111111111\n!\n\
         vstack\n!\ninterface Vlan1\n ip address 192.0.2.2 255.255.255.0\n!\n\
         snmp-server community emulated-community RO\n!\nend\n"
    )
}

#[cfg(test)]
mod tests;
