//! A TFTP client (RFC 1350, octet mode): [`get`] a file from a server or [`put`] one to it over
//! UDP. Without options it speaks plain RFC 1350 (512-byte blocks, lock-step); with
//! [`Options::block_bytes`], [`Options::window`] or [`Options::tsize`] it asks for them
//! (RFC 2347/2348/2349/7440) and follows the server's OACK. The transfer itself runs on the
//! sans-IO machines of [`crate::proto::tftp::transfer`] (windowed, retransmission on timeout,
//! duplicate ACKs never answered with data: no Sorcerer's Apprentice, RFC 1123 §4.2.3.1).
//!
//! The server's first reply fixes its transfer ID (source port); datagrams from any other
//! source get an "unknown transfer ID" error and are otherwise ignored (RFC 1350 §4).
//!
//! Inputs: datagrams from the network, decoded with the bounded [`crate::proto::tftp`] codec.
//! A download is bounded by [`Options::max_bytes`]; an OACK may only grant what was asked.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use tokio::net::UdpSocket;

use crate::proto::tftp::transfer::{Action, Machine, Params, Receiver, Sender, TransferError};
use crate::proto::tftp::{
    DEFAULT_BLOCK_BYTES, DecodeError, EncodeError, ErrorCode, MAX_BLOCK_BYTES, MAX_DATAGRAM_BYTES,
    Mode, Packet, Request,
};

/// Transfer settings.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// How long to wait for each reply before retransmitting.
    pub timeout: Duration,
    /// Retransmissions of one packet before giving up.
    pub retries: u32,
    /// Largest file [`get`] accepts.
    pub max_bytes: usize,
    /// Block size to ask for (`blksize`, RFC 2348); `None`: 512 bytes, no option.
    pub block_bytes: Option<usize>,
    /// Window to ask for (`windowsize`, RFC 7440); `None`: lock-step, no option.
    pub window: Option<u16>,
    /// Send `tsize` (RFC 2349): 0 on a get (the server reports the size, checked against
    /// [`Options::max_bytes`]), the data length on a put.
    pub tsize: bool,
}

impl Default for Options {
    /// One second per packet, five retransmissions, 16 MiB, no options.
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(1),
            retries: 5,
            max_bytes: 16 << 20,
            block_bytes: None,
            window: None,
            tsize: false,
        }
    }
}

/// Why a transfer failed.
#[derive(Debug, thiserror::Error)]
pub enum TftpError {
    /// A socket operation failed.
    #[error("TFTP socket error: {0}")]
    Io(#[from] std::io::Error),
    /// The server answered with an ERROR packet.
    #[error("TFTP server error {code:?}: {message}")]
    Server {
        /// The error code.
        code: ErrorCode,
        /// The server's message.
        message: String,
    },
    /// No reply to the request after every retransmission.
    #[error("no reply after {attempts} attempts (waiting for block {block})")]
    Timeout {
        /// Packets sent, the first included.
        attempts: u32,
        /// The block number expected.
        block: u16,
    },
    /// The server's first reply is not TFTP.
    #[error("undecodable datagram from the server: {0}")]
    Decode(#[from] DecodeError),
    /// A request could not be encoded (bad file name).
    #[error("cannot encode the request: {0}")]
    Encode(#[from] EncodeError),
    /// The server sent a valid packet that does not fit the transfer (e.g. an OACK granting
    /// options we did not ask for).
    #[error("unexpected packet from the server: {what}")]
    Unexpected {
        /// What was wrong.
        what: &'static str,
    },
    /// The file exceeds [`Options::max_bytes`].
    #[error("file exceeds the limit of {limit} bytes")]
    TooLarge {
        /// The limit.
        limit: usize,
    },
    /// The transfer failed after it started (timeout, protocol violation).
    #[error("transfer failed: {0}")]
    Transfer(TransferError),
}

/// The time scale of one transfer for the sans-IO machines: time since the transfer started.
#[derive(Clone, Copy, Debug)]
pub struct TransferClock {
    origin: std::time::Instant,
}

impl TransferClock {
    /// A clock starting now.
    pub fn start() -> Self {
        Self {
            origin: crate::clock::now_monotonic(),
        }
    }

    /// Time since the start.
    pub fn now(&self) -> Duration {
        crate::clock::now_monotonic().saturating_duration_since(self.origin)
    }

    /// The tokio instant of `at` (time since the start), for `sleep_until`.
    pub fn instant(&self, at: Duration) -> tokio::time::Instant {
        tokio::time::Instant::from_std(self.origin + at)
    }
}

/// Downloads `filename` from the TFTP server at `server`.
pub async fn get(server: SocketAddr, filename: &str, opts: Options) -> Result<Vec<u8>, TftpError> {
    get_from(None, server, filename, opts).await
}

/// Downloads `filename` from `server`, the transfer socket bound to `local` (the default source
/// address when `None`), so a client emulated on a loopback alias is seen at its own address.
pub async fn get_from(
    local: Option<IpAddr>,
    server: SocketAddr,
    filename: &str,
    opts: Options,
) -> Result<Vec<u8>, TftpError> {
    let mut t = Transfer::open(server, local, opts).await?;
    let rrq = Packet::Rrq(request(filename, &opts, Some(0))).encode()?;
    let (first, raw) = t.handshake(&rrq, 1).await?;
    let now = t.clock.now();
    let max = opts.max_bytes as u64;
    let (mut receiver, actions) = match first {
        Packet::OAck { options } => {
            let (params, tsize) = t.accept_oack(&options).await?;
            if tsize.is_some_and(|size| size > max) {
                return Err(t.abort(ErrorCode::DiskFull, "file too large").await);
            }
            let ack0 = Packet::Ack { block: 0 }.encode()?;
            Receiver::start(params, Vec::new(), max, Some(ack0), now)
        }
        Packet::Data { .. } => {
            let params = t.params(DEFAULT_BLOCK_BYTES, 1);
            let (mut receiver, mut actions) = Receiver::start(params, Vec::new(), max, None, now);
            actions.extend(receiver.handle_input(now, &raw));
            (receiver, actions)
        }
        other => return Err(t.unexpected(other).await),
    };
    t.drive(&mut receiver, actions).await?;
    Ok(receiver.into_sink())
}

/// Uploads `data` as `filename` to the TFTP server at `server`.
pub async fn put(
    server: SocketAddr,
    filename: &str,
    data: &[u8],
    opts: Options,
) -> Result<(), TftpError> {
    put_from(None, server, filename, data, opts).await
}

/// Uploads `data` as `filename` to `server`, the transfer socket bound to `local` (see
/// [`get_from`]).
pub async fn put_from(
    local: Option<IpAddr>,
    server: SocketAddr,
    filename: &str,
    data: &[u8],
    opts: Options,
) -> Result<(), TftpError> {
    let mut t = Transfer::open(server, local, opts).await?;
    let wrq = Packet::Wrq(request(filename, &opts, Some(data.len() as u64))).encode()?;
    let (first, _) = t.handshake(&wrq, 0).await?;
    let params = match first {
        Packet::OAck { options } => t.accept_oack(&options).await?.0,
        Packet::Ack { block: 0 } => t.params(DEFAULT_BLOCK_BYTES, 1),
        other => return Err(t.unexpected(other).await),
    };
    let now = t.clock.now();
    let (mut sender, actions) = Sender::start(params, data, data.len() as u64, None, now);
    t.drive(&mut sender, actions).await?;
    Ok(())
}

/// The request for `filename` with the options `opts` asks for (`tsize` = `size`).
fn request(filename: &str, opts: &Options, size: Option<u64>) -> Request {
    let mut options = Vec::new();
    if let Some(b) = opts.block_bytes {
        options.push(("blksize".to_owned(), b.to_string()));
    }
    if let (true, Some(size)) = (opts.tsize, size) {
        options.push(("tsize".to_owned(), size.to_string()));
    }
    if let Some(w) = opts.window {
        options.push(("windowsize".to_owned(), w.to_string()));
    }
    Request {
        filename: filename.to_owned(),
        mode: Mode::Octet,
        options,
    }
}

/// One transfer: the socket and the server's transfer ID once known.
struct Transfer {
    socket: UdpSocket,
    server: SocketAddr,
    /// The server's transfer port, fixed by its first reply.
    tid: Option<u16>,
    opts: Options,
    buf: Vec<u8>,
    clock: TransferClock,
}

impl Transfer {
    async fn open(
        server: SocketAddr,
        local: Option<IpAddr>,
        opts: Options,
    ) -> Result<Self, TftpError> {
        let default = match server.ip() {
            IpAddr::V4(ip) if ip.is_loopback() => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            IpAddr::V6(ip) if ip.is_loopback() => IpAddr::V6(Ipv6Addr::LOCALHOST),
            IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
        };
        let local_ip = local.unwrap_or(default);
        let socket = UdpSocket::bind(SocketAddr::new(local_ip, 0)).await?;
        Ok(Self {
            socket,
            server,
            tid: None,
            opts,
            buf: vec![0u8; MAX_DATAGRAM_BYTES.saturating_add(1)],
            clock: TransferClock::start(),
        })
    }

    /// Where packets go: the request port until the server has answered, then its TID.
    fn peer(&self) -> SocketAddr {
        SocketAddr::new(
            self.server.ip(),
            self.tid.unwrap_or_else(|| self.server.port()),
        )
    }

    fn params(&self, block_bytes: usize, window: u16) -> Params {
        Params {
            block_bytes,
            window,
            timeout: self.opts.timeout,
            max_retries: self.opts.retries,
        }
    }

    /// Sends the request until the server's first reply arrives; returns it decoded and raw.
    /// An ERROR reply ends the transfer.
    async fn handshake(
        &mut self,
        request: &[u8],
        want: u16,
    ) -> Result<(Packet, Vec<u8>), TftpError> {
        for attempt in 0..=self.opts.retries {
            self.socket.send_to(request, self.peer()).await?;
            let deadline = tokio::time::sleep(self.opts.timeout);
            tokio::pin!(deadline);
            loop {
                let (len, from) = tokio::select! {
                    () = &mut deadline => break,
                    r = self.socket.recv_from(&mut self.buf) => r?,
                };
                if !self.is_from_server(from).await? {
                    continue;
                }
                let raw = self.buf.get(..len).unwrap_or_default().to_vec();
                return match Packet::decode(&raw)? {
                    Packet::Error { code, message } => Err(TftpError::Server { code, message }),
                    packet => Ok((packet, raw)),
                };
            }
            tracing::debug!(attempt, want, "tftp: timeout, retransmitting the request");
        }
        Err(TftpError::Timeout {
            attempts: self.opts.retries.saturating_add(1),
            block: want,
        })
    }

    /// The parameters an OACK grants, and the `tsize` it reports; an OACK granting more than
    /// was asked (or anything not asked) ends the transfer.
    async fn accept_oack(
        &self,
        options: &[(String, String)],
    ) -> Result<(Params, Option<u64>), TftpError> {
        let mut params = self.params(DEFAULT_BLOCK_BYTES, 1);
        let mut tsize = None;
        for (name, value) in options {
            let granted = match name.to_ascii_lowercase().as_str() {
                "blksize" => value
                    .parse::<usize>()
                    .ok()
                    .filter(|b| (8..=MAX_BLOCK_BYTES).contains(b))
                    .filter(|b| self.opts.block_bytes.is_some_and(|asked| *b <= asked))
                    .map(|b| params.block_bytes = b),
                "windowsize" => value
                    .parse::<u16>()
                    .ok()
                    .filter(|w| *w >= 1 && self.opts.window.is_some_and(|asked| *w <= asked))
                    .map(|w| params.window = w),
                "tsize" if self.opts.tsize => value.parse::<u64>().ok().map(|t| tsize = Some(t)),
                _ => None,
            };
            if granted.is_none() {
                let what = "OACK grants an option that was not asked for";
                return Err(self.abort(ErrorCode::OptionRefused, what).await);
            }
        }
        Ok((params, tsize))
    }

    /// Runs `machine` from `actions` to the end of the transfer.
    async fn drive<M: Machine>(
        &mut self,
        machine: &mut M,
        mut actions: Vec<Action>,
    ) -> Result<u64, TftpError> {
        let mut deadline = self.clock.now();
        loop {
            let mut end = None;
            for action in actions.drain(..) {
                match action {
                    Action::Send(bytes) => {
                        self.socket.send_to(&bytes, self.peer()).await?;
                    }
                    Action::Done { bytes } => end = Some(Ok(bytes)),
                    Action::Fail { reason } => end = Some(Err(reason)),
                    Action::NextTimeout(at) => deadline = at,
                }
            }
            match end {
                Some(Ok(bytes)) => return Ok(bytes),
                Some(Err(reason)) => return Err(self.failure(reason)),
                None => {}
            }
            let sleep = tokio::time::sleep_until(self.clock.instant(deadline));
            actions = tokio::select! {
                r = self.socket.recv_from(&mut self.buf) => {
                    let (len, from) = r?;
                    if self.is_from_server(from).await? {
                        let now = self.clock.now();
                        machine.handle_input(now, self.buf.get(..len).unwrap_or_default())
                    } else {
                        Vec::new()
                    }
                }
                () = sleep => machine.handle_timeout(self.clock.now()),
            };
        }
    }

    fn failure(&self, reason: TransferError) -> TftpError {
        match reason {
            TransferError::Peer { code, message } => TftpError::Server { code, message },
            TransferError::TooLarge { .. } => TftpError::TooLarge {
                limit: self.opts.max_bytes,
            },
            other => TftpError::Transfer(other),
        }
    }

    /// Whether `from` is the server's transfer ID (fixing it on the first reply). Datagrams
    /// from elsewhere get error 5 (RFC 1350 §4).
    async fn is_from_server(&mut self, from: SocketAddr) -> Result<bool, TftpError> {
        if from.ip() != self.server.ip() {
            return Ok(false);
        }
        match self.tid {
            None => {
                self.tid = Some(from.port());
                Ok(true)
            }
            Some(tid) if tid == from.port() => Ok(true),
            Some(_) => {
                let err = Packet::error(ErrorCode::UnknownTid, "unknown transfer ID").encode()?;
                self.socket.send_to(&err, from).await?;
                Ok(false)
            }
        }
    }

    /// Ends the transfer on a first reply that fits no request.
    async fn unexpected(&self, _packet: Packet) -> TftpError {
        self.abort(ErrorCode::IllegalOperation, "packet out of sequence")
            .await
    }

    /// Tells the server the transfer is over and returns the matching error.
    async fn abort(&self, code: ErrorCode, message: &'static str) -> TftpError {
        if let Ok(bytes) = Packet::error(code, message).encode() {
            let _ = self.socket.send_to(&bytes, self.peer()).await;
        }
        match code {
            ErrorCode::DiskFull => TftpError::TooLarge {
                limit: self.opts.max_bytes,
            },
            _ => TftpError::Unexpected { what: message },
        }
    }
}

#[cfg(test)]
mod tests;
