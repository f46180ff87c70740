//! A small TFTP client (RFC 1350, octet mode, 512-byte blocks, no options): [`get`] a file
//! from a server or [`put`] one to it over UDP, with a per-packet timeout and retransmission of
//! the last packet sent (RRQ/WRQ, ACK or DATA). The server's first reply fixes its transfer ID
//! (source port); datagrams from any other source get an "unknown transfer ID" error and are
//! otherwise ignored (RFC 1350 §4). Duplicate ACKs are not answered with data, which avoids the
//! Sorcerer's Apprentice bug (RFC 1123 §4.2.3.1).
//!
//! Inputs: datagrams from the network, decoded with the bounded [`crate::proto::tftp`] codec.
//! A download is bounded by [`Options::max_bytes`]; a DATA block larger than 512 bytes is a
//! protocol error.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use tokio::net::UdpSocket;

use crate::proto::tftp::{
    DEFAULT_BLOCK_BYTES, DecodeError, EncodeError, ErrorCode, MAX_DATAGRAM_BYTES, Packet, Request,
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
}

impl Default for Options {
    /// One second per packet, five retransmissions, 16 MiB.
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(1),
            retries: 5,
            max_bytes: 16 << 20,
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
    /// No valid reply after every retransmission.
    #[error("no reply after {attempts} attempts (waiting for block {block})")]
    Timeout {
        /// Packets sent, the first included.
        attempts: u32,
        /// The block number expected.
        block: u16,
    },
    /// The server sent a datagram that is not TFTP.
    #[error("undecodable datagram from the server: {0}")]
    Decode(#[from] DecodeError),
    /// A request could not be encoded (bad file name).
    #[error("cannot encode the request: {0}")]
    Encode(#[from] EncodeError),
    /// The server sent a valid packet that does not fit the transfer (e.g. an OACK we did not
    /// ask for, or an oversized block).
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
}

/// Downloads `filename` from the TFTP server at `server`.
pub async fn get(server: SocketAddr, filename: &str, opts: Options) -> Result<Vec<u8>, TftpError> {
    let mut t = Transfer::open(server, opts).await?;
    let mut last = Packet::Rrq(Request::octet(filename)).encode()?;
    let mut file = Vec::new();
    let mut expected: u16 = 1;
    loop {
        let data = t.exchange(&last, expected, |p, want| match p {
            Packet::Data { block, data } if block == want => Reply::Take(data),
            Packet::Data { .. } => Reply::Ignore,
            other => Reply::Other(other),
        });
        let data = data.await?;
        if data.len() > DEFAULT_BLOCK_BYTES {
            return Err(t
                .abort(ErrorCode::IllegalOperation, "block too large")
                .await);
        }
        if file.len().saturating_add(data.len()) > opts.max_bytes {
            return Err(t.abort(ErrorCode::DiskFull, "file too large").await);
        }
        file.extend_from_slice(&data);
        last = Packet::Ack { block: expected }.encode()?;
        if data.len() < DEFAULT_BLOCK_BYTES {
            t.send(&last).await?;
            return Ok(file);
        }
        expected = expected.wrapping_add(1);
    }
}

/// Uploads `data` as `filename` to the TFTP server at `server`.
pub async fn put(
    server: SocketAddr,
    filename: &str,
    data: &[u8],
    opts: Options,
) -> Result<(), TftpError> {
    let mut t = Transfer::open(server, opts).await?;
    let mut last = Packet::Wrq(Request::octet(filename)).encode()?;
    let mut block: u16 = 0;
    let mut chunks = data.chunks(DEFAULT_BLOCK_BYTES);
    let mut sent_short = false;
    loop {
        t.exchange(&last, block, |p, want| match p {
            Packet::Ack { block } if block == want => Reply::Take(()),
            Packet::Ack { .. } => Reply::Ignore,
            other => Reply::Other(other),
        })
        .await?;
        if sent_short {
            return Ok(());
        }
        let chunk = chunks.next().unwrap_or_default();
        sent_short = chunk.len() < DEFAULT_BLOCK_BYTES;
        block = block.wrapping_add(1);
        last = Packet::Data {
            block,
            data: chunk.to_vec(),
        }
        .encode()?;
    }
}

/// What a reply means to the waiting step.
enum Reply<T> {
    /// The packet the step waits for.
    Take(T),
    /// A duplicate: keep waiting, do not retransmit.
    Ignore,
    /// Anything else: ERROR ends the transfer, the rest is unexpected.
    Other(Packet),
}

/// One transfer: the socket and the server's transfer ID once known.
struct Transfer {
    socket: UdpSocket,
    server: SocketAddr,
    /// The server's transfer port, fixed by its first reply.
    tid: Option<u16>,
    opts: Options,
}

impl Transfer {
    async fn open(server: SocketAddr, opts: Options) -> Result<Self, TftpError> {
        let local_ip = match server.ip() {
            IpAddr::V4(ip) if ip.is_loopback() => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            IpAddr::V6(ip) if ip.is_loopback() => IpAddr::V6(Ipv6Addr::LOCALHOST),
            IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
        };
        let socket = UdpSocket::bind(SocketAddr::new(local_ip, 0)).await?;
        Ok(Self {
            socket,
            server,
            tid: None,
            opts,
        })
    }

    /// Where packets go: the request port until the server has answered, then its TID.
    fn peer(&self) -> SocketAddr {
        SocketAddr::new(
            self.server.ip(),
            self.tid.unwrap_or_else(|| self.server.port()),
        )
    }

    async fn send(&self, bytes: &[u8]) -> Result<(), TftpError> {
        self.socket.send_to(bytes, self.peer()).await?;
        Ok(())
    }

    /// Sends `packet` and waits for the reply `accept` takes, retransmitting on timeout.
    async fn exchange<T>(
        &mut self,
        packet: &[u8],
        want: u16,
        accept: impl Fn(Packet, u16) -> Reply<T>,
    ) -> Result<T, TftpError> {
        let mut buf = vec![0u8; MAX_DATAGRAM_BYTES.saturating_add(1)];
        for attempt in 0..=self.opts.retries {
            self.send(packet).await?;
            let deadline = tokio::time::sleep(self.opts.timeout);
            tokio::pin!(deadline);
            loop {
                let (len, from) = tokio::select! {
                    () = &mut deadline => break,
                    r = self.socket.recv_from(&mut buf) => r?,
                };
                let Some(bytes) = buf.get(..len) else {
                    continue;
                };
                if !self.is_from_server(from).await? {
                    continue;
                }
                match accept(Packet::decode(bytes)?, want) {
                    Reply::Take(t) => return Ok(t),
                    Reply::Ignore => {}
                    Reply::Other(Packet::Error { code, message }) => {
                        return Err(TftpError::Server { code, message });
                    }
                    Reply::Other(_) => {
                        let what = "packet out of sequence";
                        return Err(self.abort(ErrorCode::IllegalOperation, what).await);
                    }
                }
            }
            tracing::debug!(attempt, want, "tftp: timeout, retransmitting");
        }
        Err(TftpError::Timeout {
            attempts: self.opts.retries.saturating_add(1),
            block: want,
        })
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
