//! Delivers one corpus [`Payload`] over TCP and reports what came back: the bytes, the message
//! kinds they decode to, and how the exchange ended (complete reply, peer close, reset or
//! timeout).
//!
//! Segments are written one by one with `TCP_NODELAY` and a pause in between, so a payload
//! split into several segments really crosses the wire as several segments (§2.1 "Stream
//! handling"). Replies are read with a bound of 64 KiB and decoded with the `proto::vstack`
//! codec; the read stops as soon as the bytes form complete messages.

use std::net::SocketAddr;
use std::time::Duration;

use serde::Serialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::{Mode, Payload};
use crate::proto::vstack::{Limits, decode_all};

/// Largest reply read.
pub const MAX_REPLY_BYTES: usize = 64 * 1024;
/// Pause between segments.
pub const SEGMENT_PAUSE: Duration = Duration::from_millis(50);

/// How the exchange ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The reply bytes form complete messages.
    Complete,
    /// The peer closed the connection.
    Closed,
    /// The connection was reset (on write or read).
    Reset,
    /// Nothing more arrived within the timeout.
    Timeout,
}

/// What `sim attack` prints.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// The mode sent.
    pub mode: &'static str,
    /// The target.
    pub target: SocketAddr,
    /// Bytes written.
    pub sent_bytes: usize,
    /// Segments written.
    pub segments: usize,
    /// Bytes received.
    pub received_bytes: usize,
    /// The received bytes, hex.
    pub received_hex: String,
    /// Kinds of the messages received (`probe_reply`, …).
    pub replies: Vec<&'static str>,
    /// How it ended.
    pub outcome: Outcome,
}

/// Connects to `target`, writes `payload` and reads the answer for up to `wait`.
pub async fn send(
    mode: Mode,
    target: SocketAddr,
    payload: &Payload,
    wait: Duration,
) -> std::io::Result<Report> {
    let mut stream = tokio::time::timeout(wait, TcpStream::connect(target))
        .await
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "connect timed out"))??;
    stream.set_nodelay(true)?;
    let mut report = Report {
        mode: mode.name(),
        target,
        sent_bytes: 0,
        segments: 0,
        received_bytes: 0,
        received_hex: String::new(),
        replies: Vec::new(),
        outcome: Outcome::Timeout,
    };
    for (i, segment) in payload.segments.iter().enumerate() {
        if i > 0 {
            tokio::time::sleep(SEGMENT_PAUSE).await;
        }
        if stream.write_all(segment).await.is_err() {
            report.outcome = Outcome::Reset;
            return Ok(report);
        }
        report.sent_bytes = report.sent_bytes.saturating_add(segment.len());
        report.segments = report.segments.saturating_add(1);
    }
    let (received, outcome) = read_reply(&mut stream, wait).await;
    report.outcome = outcome;
    report.received_bytes = received.len();
    report.received_hex = hex::encode(&received);
    report.replies = decode_all(&received, Limits::default())
        .frames
        .iter()
        .map(|f| f.message.kind().as_str())
        .collect();
    Ok(report)
}

/// Reads until the bytes form complete messages, the peer closes or resets, or `wait` passes
/// without data.
async fn read_reply(stream: &mut TcpStream, wait: Duration) -> (Vec<u8>, Outcome) {
    let mut received = Vec::new();
    let mut buf = vec![0u8; 4096];
    loop {
        let read = tokio::time::timeout(wait, stream.read(&mut buf)).await;
        let n = match read {
            Err(_) => return (received, Outcome::Timeout),
            Ok(Ok(0)) => return (received, Outcome::Closed),
            Ok(Err(_)) => return (received, Outcome::Reset),
            Ok(Ok(n)) => n,
        };
        received.extend_from_slice(buf.get(..n).unwrap_or_default());
        if received.len() >= MAX_REPLY_BYTES {
            return (received, Outcome::Complete);
        }
        let decoding = decode_all(&received, Limits::default());
        if decoding.error.is_none() && !decoding.frames.is_empty() {
            return (received, Outcome::Complete);
        }
    }
}
