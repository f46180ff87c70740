//! The benchmark's directors: N connections to one address, each looping probe → whole reply →
//! next probe, timing every exchange into its own [`Histogram`]. Exchanges that end inside the
//! measured [`Window`] count towards rates and latency; every exchange counts towards the
//! audit cross-check. When the window closes each connection finishes its exchange and closes
//! cleanly, so no message is left in flight.
//!
//! Inputs: replies are untrusted: decoded with the bounded `proto::vstack` stream decoder and
//! checked to be exactly one probe reply (§3.2) per probe; anything else is an error, counted,
//! and ends that connection. Timing uses [`crate::clock::now_monotonic`].

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::task::JoinSet;

use crate::bench::pnp::{Histogram, Window};
use crate::clock::now_monotonic;
use crate::proto::vstack::{Body, Decoded, Limits, Message, Probe, ProbeReply, StreamDecoder};

use super::RelayBenchError;

/// Bytes read from a socket at a time.
const READ_CHUNK_BYTES: usize = 4096;
/// Longest wait for one reply before the exchange counts as failed.
const REPLY_TIMEOUT: Duration = Duration::from_secs(10);

/// What the connections of one phase counted, added up.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    /// Exchanges that ended inside the window.
    pub(crate) measured: u64,
    /// Every exchange completed, warm-up and the last one after the window included.
    pub(crate) completed: u64,
    /// Failed connects, broken connections, timeouts and bad replies.
    pub(crate) errors: u64,
    /// Latency of the measured exchanges.
    pub(crate) latency: Histogram,
    /// The first failure seen.
    pub(crate) first_error: Option<String>,
}

impl Tally {
    fn merge(&mut self, other: Self) {
        self.measured += other.measured;
        self.completed += other.completed;
        self.errors += other.errors;
        self.latency.merge(&other.latency);
        self.first_error = self.first_error.take().or(other.first_error);
    }

    fn fail(&mut self, what: String) {
        self.errors += 1;
        self.first_error.get_or_insert(what);
    }
}

/// Runs `connections` directors against `target` for `warmup` plus `duration`.
pub(crate) async fn run(
    target: SocketAddr,
    connections: u32,
    warmup: Duration,
    duration: Duration,
) -> Result<(Tally, Window), RelayBenchError> {
    let window = Window::after(now_monotonic(), warmup, duration);
    let mut tasks = JoinSet::new();
    for _ in 0..connections {
        tasks.spawn(director(target, window));
    }
    let mut total = Tally::default();
    while let Some(joined) = tasks.join_next().await {
        total.merge(joined.map_err(|e| RelayBenchError::Task {
            reason: e.to_string(),
        })?);
    }
    Ok((total, window))
}

/// One connection: exchanges until the window has closed.
async fn director(target: SocketAddr, window: Window) -> Tally {
    let mut t = Tally::default();
    let mut stream = match TcpStream::connect(target).await {
        Ok(stream) => stream,
        Err(e) => {
            t.fail(format!("connect to {target}: {e}"));
            return t;
        }
    };
    // One small write per probe: send it now rather than after the previous reply's ACK.
    let _ = stream.set_nodelay(true);
    let probe = match Message::new(Body::Probe(Probe::HELLO)).encode() {
        Ok(bytes) => bytes,
        Err(e) => {
            t.fail(format!("cannot encode the probe: {e}"));
            return t;
        }
    };
    let mut decoder = StreamDecoder::new(Limits::default());
    let mut buf = vec![0u8; READ_CHUNK_BYTES];
    loop {
        let start = now_monotonic();
        let exchanged = tokio::time::timeout(
            REPLY_TIMEOUT,
            exchange(&mut stream, &probe, &mut decoder, &mut buf),
        )
        .await
        .unwrap_or_else(|_| Err(format!("no reply within {REPLY_TIMEOUT:?}")));
        let end = now_monotonic();
        if let Err(e) = exchanged {
            t.fail(e);
            return t;
        }
        t.completed += 1;
        if window.contains(end) {
            t.measured += 1;
            t.latency.record(end.duration_since(start));
        }
        if end >= window.end {
            return t;
        }
    }
}

/// Sends one probe and reads until its whole reply is decoded; the reply must be the probe reply
/// and nothing more.
async fn exchange(
    stream: &mut TcpStream,
    probe: &[u8],
    decoder: &mut StreamDecoder,
    buf: &mut [u8],
) -> Result<(), String> {
    stream
        .write_all(probe)
        .await
        .map_err(|e| format!("send: {e}"))?;
    loop {
        let n = match stream.read(buf).await {
            Ok(0) => return Err("connection closed before the reply".to_owned()),
            Ok(n) => n,
            Err(e) => return Err(format!("receive: {e}")),
        };
        let mut input = buf.get(..n).unwrap_or_default();
        match decoder.decode(&mut input) {
            Ok(Decoded::NeedMore { .. }) => continue,
            Ok(Decoded::Frame(frame)) => {
                if !input.is_empty() {
                    return Err(format!("{} bytes after the reply", input.len()));
                }
                return check_reply(&frame.message);
            }
            Err(e) => return Err(format!("undecodable reply: {e}")),
        }
    }
}

/// Whether `message` is the probe reply a client sends to the probe (§3.2).
pub(crate) fn check_reply(message: &Message) -> Result<(), String> {
    match message.body {
        Body::ProbeReply(reply) if reply == ProbeReply::HELLO => Ok(()),
        _ => Err(format!("unexpected reply: {:?}", message.kind())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_probe_reply_is_accepted() {
        let ok = Message::new(Body::ProbeReply(ProbeReply::HELLO));
        assert!(check_reply(&ok).is_ok());
        let status = Message::new(Body::ProbeReply(ProbeReply::STATUS));
        assert!(check_reply(&status).is_err());
        assert!(check_reply(&Message::new(Body::Probe(Probe::HELLO))).is_err());
    }
}
