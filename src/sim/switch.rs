//! `ztpgate sim switch`: an emulated legacy Cisco switch with Smart Install client enabled. It
//! listens on TCP 4786 (or any address), answers probes exactly as real clients do (24-byte reply
//! to the 24-byte probe, 20-byte reply to the 17-byte probe and to messages it cannot use,
//! smart-install.md §3.2/§3.3), and performs the TFTP transfers a real client performs after
//! each message (§3.9): config push → RRQ of the config, image upgrade → RRQ of the image list
//! and then of the image, execute → RRQ of the command file (its lines are applied), copy
//! commands → the copies, e.g. a WRQ of its running config. An init-discovery message whose TLV
//! exceeds the vulnerable handler's buffer "crashes" it (§3.8): the connection is dropped.
//! A config push stores the fetched file as the startup config; an image upgrade installs the
//! image the list names (its identity from [`software`]). Either reloads when the message asks
//! for it, after the HH:MM read as a delay (an assumption, see [`device`]): running config :=
//! startup config, software := installed image, an [`Event::Reloaded`], and a new CDP
//! advertisement.
//!
//! A `do telnet HOST PORT` line reaching the running config (at reload, or applied by an
//! execute file or a copy) makes the switch call HOST:PORT and present its IOS CLI there
//! ([`telnet`], [`vty`]), as a legacy client calls back the SMI proxy; every startup config
//! written is an [`Event::StartupConfig`].
//!
//! With `--boot-dhcp` the switch starts `write erase`d and boots zero-touch ([`boot`]): DHCP,
//! then the image list, image and config over TFTP, then a reload.
//!
//! Every step is an [`Event`], sent to a channel, so tests can see whether configuration really
//! left the switch. Like a real client it trusts nobody and authenticates nobody; messages are
//! decoded with the bounded `proto::vstack` codec, files are fetched with the bounded TFTP client.

pub mod boot;
pub mod cdp;
pub mod device;
pub mod dhcp_client;
pub mod event;
pub mod identity;
pub mod logins;
pub mod outgoing;
pub mod software;
pub mod telnet;
pub mod vty;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Mutex, Notify, mpsc, watch};

use self::cdp::Advert;
use self::device::{
    Action, Copy, Device, Location, Remote, action_for, reload_delay, status_reply,
};
pub use self::event::Event;
use self::software::Software;
use crate::edge::tftp_client::{self, TftpError};
use crate::proto::vstack::{DecodeError, Decoded, Frame, Limits, StreamDecoder};

/// Default Smart Install port.
pub const SMART_INSTALL_PORT: u16 = 4786;
/// TFTP port used when a URL names none.
pub const TFTP_PORT: u16 = 69;

/// How the switch behaves.
#[derive(Clone, Debug)]
pub struct SwitchOptions {
    /// Port for TFTP URLs without one (69 on real switches).
    pub tftp_port: u16,
    /// TFTP timeouts, retries and download bound.
    pub tftp: tftp_client::Options,
    /// Decoder bound.
    pub limits: Limits,
}

/// The running switch: its storage, options, event channel, CDP advertisement and reload
/// signal, shared by the 4786 connections and the boot loop.
pub struct Switch {
    device: Mutex<Device>,
    opts: SwitchOptions,
    events: mpsc::UnboundedSender<Event>,
    advert: watch::Sender<Advert>,
    reloaded: Notify,
    booted: Mutex<Instant>,
    /// Source address of outgoing telnet and TFTP (`None`: the system's choice).
    source: Option<IpAddr>,
}

/// Accepts connections on `listener` until the process ends.
pub async fn serve(
    listener: TcpListener,
    device: Device,
    opts: SwitchOptions,
    events: mpsc::UnboundedSender<Event>,
) -> std::io::Result<()> {
    Switch::new(device, opts, events).serve(listener).await
}

impl Switch {
    /// A switch with `device`'s storage, reporting to `events`.
    pub fn new(
        device: Device,
        opts: SwitchOptions,
        events: mpsc::UnboundedSender<Event>,
    ) -> Arc<Self> {
        Self::with_source(device, opts, events, None)
    }

    /// [`Switch::new`] whose outgoing telnet and TFTP leave from `source` (a switch emulated on
    /// a loopback alias, as the SMI proxy benchmark runs them).
    pub fn with_source(
        device: Device,
        opts: SwitchOptions,
        events: mpsc::UnboundedSender<Event>,
        source: Option<IpAddr>,
    ) -> Arc<Self> {
        let advert = Advert {
            hostname: device.hostname().to_owned(),
            software: device.software.clone(),
            addresses: Vec::new(),
        };
        Arc::new(Self {
            device: Mutex::new(device),
            opts,
            events,
            advert: watch::channel(advert).0,
            reloaded: Notify::new(),
            booted: Mutex::new(crate::clock::now_monotonic()),
            source,
        })
    }

    /// The CDP advertisement, updated on every reload and address change.
    pub fn advert(&self) -> watch::Receiver<Advert> {
        self.advert.subscribe()
    }

    /// Accepts connections on `listener` until the process ends.
    pub async fn serve(self: Arc<Self>, listener: TcpListener) -> std::io::Result<()> {
        self.emit(Event::Listening {
            addr: listener.local_addr()?,
        });
        loop {
            let (stream, peer) = listener.accept().await?;
            let switch = Arc::clone(&self);
            tokio::spawn(async move {
                let reason = switch.connection(stream, peer).await;
                switch.emit(Event::Closed { peer, reason });
            });
        }
    }

    fn emit(&self, event: Event) {
        let _ = self.events.send(event);
    }

    /// A sender for the switch's event channel (the CDP thread reports there too).
    pub fn events(&self) -> mpsc::UnboundedSender<Event> {
        self.events.clone()
    }

    /// Reloads now: running config := startup config, software := installed image; reports
    /// [`Event::Reloaded`], updates the CDP advertisement and wakes the boot loop (which does
    /// DHCP again).
    pub async fn reload(&self) {
        *self.booted.lock().await = crate::clock::now_monotonic();
        let (hostname, software, startup) = {
            let mut device = self.device.lock().await;
            device.reload();
            let startup = device.startup_config.clone();
            (
                device.hostname().to_owned(),
                device.software.clone(),
                startup,
            )
        };
        self.advert.send_modify(|a| {
            a.hostname.clone_from(&hostname);
            a.software = software.clone();
        });
        self.emit(Event::Reloaded {
            hostname,
            image: software.image,
            version: software.version,
        });
        self.call_out(startup.lines()).await;
        self.reloaded.notify_one();
    }

    /// Reloads after the HH:MM delay (at once for 00:00), reporting the schedule.
    async fn schedule_reload(self: &Arc<Self>, at: (u32, u32)) {
        self.emit(Event::ReloadScheduled {
            at: format!("{:02}:{:02}", at.0, at.1),
        });
        let delay = reload_delay(at);
        if delay.is_zero() {
            self.reload().await;
            return;
        }
        let switch = Arc::clone(self);
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            switch.reload().await;
        });
    }

    /// Waits until the next reload.
    pub async fn wait_reload(&self) {
        self.reloaded.notified().await;
    }

    /// Replaces the DHCP address in the CDP advertisement.
    pub fn set_address(&self, ip: Option<IpAddr>) {
        self.advert
            .send_modify(|a| a.addresses = ip.into_iter().collect());
    }

    /// Whether the switch has a startup config.
    pub async fn has_startup_config(&self) -> bool {
        self.device.lock().await.has_startup_config()
    }

    /// Installs the image named `file` (it runs after the next reload).
    pub async fn install(&self, file: &str) {
        self.device.lock().await.install(Software::from_file(file));
    }

    /// Stores `config` as the startup config.
    pub async fn store_startup_config(&self, config: &[u8]) {
        self.device
            .lock()
            .await
            .write(&Location::StartupConfig, config);
        self.emit(outgoing::startup_config_event(config));
    }

    /// Opens a telnet session for each `do telnet` line among `lines`, showing the CLI of the
    /// switch as it is now.
    pub async fn call_out<'a>(&self, lines: impl IntoIterator<Item = &'a str>) {
        let targets = logins::telnet_targets(lines);
        if targets.is_empty() {
            return;
        }
        let uptime = self.booted.lock().await.elapsed();
        let view = outgoing::vty_view(&*self.device.lock().await, uptime);
        for (host, port) in targets {
            telnet::spawn(host, port, self.source, view.clone(), self.events.clone());
        }
    }

    /// Serves one connection; returns why it ended.
    async fn connection(self: &Arc<Self>, mut stream: TcpStream, peer: SocketAddr) -> &'static str {
        self.emit(Event::Connected { peer });
        let mut decoder = StreamDecoder::new(self.opts.limits);
        let mut buf = vec![0u8; 4096];
        loop {
            let n = match stream.read(&mut buf).await {
                Ok(0) => return "eof",
                Ok(n) => n,
                Err(_) => return "reset",
            };
            let mut input = buf.get(..n).unwrap_or_default();
            loop {
                let step = decoder.decode(&mut input);
                let outcome = match step {
                    Ok(Decoded::NeedMore { .. }) => break,
                    Ok(Decoded::Frame(frame)) => self.message(&mut stream, peer, &frame).await,
                    Err(err) => self.decode_error(&mut stream, peer, &err).await,
                };
                if let Some(reason) = outcome {
                    return reason;
                }
            }
        }
    }

    async fn decode_error(
        &self,
        stream: &mut TcpStream,
        peer: SocketAddr,
        err: &DecodeError,
    ) -> Option<&'static str> {
        let recoverable = err.is_recoverable();
        self.emit(Event::DecodeError {
            peer,
            code: err.code(),
            recoverable,
        });
        if !recoverable {
            return Some("decode_error");
        }
        self.reply(stream, peer, &status_reply()).await
    }

    /// Handles one message; `Some(reason)` ends the connection.
    async fn message(
        self: &Arc<Self>,
        stream: &mut TcpStream,
        peer: SocketAddr,
        frame: &Frame,
    ) -> Option<&'static str> {
        let msg = &frame.message;
        self.emit(Event::Received {
            peer,
            kind: msg.kind().as_str(),
            bytes: frame.raw.len(),
            urls: msg.urls().iter().map(|u| u.text().into_owned()).collect(),
            commands: msg
                .commands()
                .iter()
                .map(|c| c.text().into_owned())
                .collect(),
        });
        match action_for(msg) {
            Action::Reply(bytes) => return self.reply(stream, peer, &bytes).await,
            Action::Crash { declared } => {
                self.emit(Event::Crash { peer, declared });
                return Some("crash");
            }
            Action::FetchConfig { remote, reload } => self.fetch_config(&remote, reload).await,
            Action::FetchImageList { remote, reload } => {
                if self.fetch_image(&remote).await
                    && let Some(at) = reload
                {
                    self.schedule_reload(at).await;
                }
            }
            Action::FetchCommands { remote } => self.fetch_commands(&remote).await,
            Action::RunCopies(copies) => self.run_copies(copies).await,
            Action::BadUrl(url) => self.emit(Event::BadUrl { url }),
            Action::Nothing => {}
        }
        None
    }

    async fn reply(
        &self,
        stream: &mut TcpStream,
        peer: SocketAddr,
        bytes: &[u8],
    ) -> Option<&'static str> {
        if stream.write_all(bytes).await.is_err() {
            return Some("reset");
        }
        self.emit(Event::Replied {
            peer,
            bytes: bytes.len(),
        });
        None
    }

    /// Type 3: the fetched config becomes the startup config; a reload follows when asked.
    async fn fetch_config(self: &Arc<Self>, remote: &Remote, reload: Option<(u32, u32)>) {
        let Some(config) = self.get(remote, "config").await else {
            return;
        };
        self.store_startup_config(&config).await;
        if let Some(at) = reload {
            self.schedule_reload(at).await;
        }
    }

    /// Image list, then the image it names (installed); whether both transfers succeeded.
    pub async fn fetch_image(&self, list: &Remote) -> bool {
        let Some(bytes) = self.get(list, "image_list").await else {
            return false;
        };
        let text = String::from_utf8_lossy(&bytes);
        let Some(name) = device::image_name(&text) else {
            return false;
        };
        let image = Remote::parse(name).unwrap_or_else(|| list.sibling(name));
        if self.get(&image, "image").await.is_none() {
            return false;
        }
        self.install(&image.file).await;
        true
    }

    async fn fetch_commands(&self, remote: &Remote) {
        let Some(bytes) = self.get(remote, "commands").await else {
            return;
        };
        let lines = device::command_lines(&String::from_utf8_lossy(&bytes));
        self.device
            .lock()
            .await
            .apply_lines(lines.iter().map(String::as_str));
        self.call_out(lines.iter().map(String::as_str)).await;
        for command in lines {
            self.emit(Event::Command {
                command,
                ok: true,
                error: None,
            });
        }
    }

    async fn run_copies(&self, copies: Vec<(String, Option<Copy>)>) {
        for (command, copy) in copies {
            let result = match copy {
                Some(copy) => self.copy(&copy).await,
                None => Err("unsupported command".to_owned()),
            };
            self.emit(Event::Command {
                command,
                ok: result.is_ok(),
                error: result.err(),
            });
        }
    }

    async fn copy(&self, copy: &Copy) -> Result<(), String> {
        let data = match &copy.from {
            Location::Tftp(remote) => self.get(remote, "copy").await.ok_or("transfer failed")?,
            local => self
                .device
                .lock()
                .await
                .read(local)
                .ok_or("source not found")?,
        };
        match &copy.to {
            Location::Tftp(remote) => self.put(remote, &data).await,
            Location::StartupConfig => {
                self.store_startup_config(&data).await;
                Ok(())
            }
            local => {
                self.device.lock().await.write(local, &data);
                if *local == Location::RunningConfig {
                    self.call_out(String::from_utf8_lossy(&data).lines()).await;
                }
                Ok(())
            }
        }
    }

    /// RRQ; the event is emitted here.
    pub async fn get(&self, remote: &Remote, purpose: &'static str) -> Option<Vec<u8>> {
        let result = match self.resolve(remote).await {
            Ok(server) => {
                tftp_client::get_from(self.source, server, &remote.file, self.opts.tftp).await
            }
            Err(e) => Err(TftpError::Io(e)),
        };
        let bytes = result.as_ref().map_or(0, Vec::len);
        self.tftp_event("get", purpose, remote, bytes, result.as_ref().err());
        result.ok()
    }

    /// WRQ; the event is emitted here.
    async fn put(&self, remote: &Remote, data: &[u8]) -> Result<(), String> {
        let result = match self.resolve(remote).await {
            Ok(server) => {
                tftp_client::put_from(self.source, server, &remote.file, data, self.opts.tftp).await
            }
            Err(e) => Err(TftpError::Io(e)),
        };
        self.tftp_event("put", "copy", remote, data.len(), result.as_ref().err());
        result.map_err(|e| e.to_string())
    }

    fn tftp_event(
        &self,
        op: &'static str,
        purpose: &'static str,
        remote: &Remote,
        bytes: usize,
        error: Option<&TftpError>,
    ) {
        let port = remote.port.unwrap_or(self.opts.tftp_port);
        self.emit(Event::Tftp {
            op,
            purpose,
            server: format!("{}:{port}", remote.host),
            file: remote.file.clone(),
            ok: error.is_none(),
            bytes: if error.is_none() { bytes } else { 0 },
            error: error.map(ToString::to_string),
        });
    }

    async fn resolve(&self, remote: &Remote) -> std::io::Result<SocketAddr> {
        let port = remote.port.unwrap_or(self.opts.tftp_port);
        tokio::net::lookup_host((remote.host.as_str(), port))
            .await?
            .next()
            .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, "no address"))
    }
}

#[cfg(test)]
mod tests;
