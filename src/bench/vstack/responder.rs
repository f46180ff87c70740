//! The benchmark's Smart Install client: a tight tokio responder that answers every message the
//! way the emulated switch does ([`crate::sim::switch::device::action_for`]: the 24-byte probe
//! reply to the 24-byte probe, §3.2), without the switch's event stream and TFTP side channel.
//!
//! Inputs: bytes from the benchmark's own clients or the relay, decoded with the bounded
//! `proto::vstack` stream decoder; a decode error ends the connection. Spec:
//! `../shared/protocols/smart-install.md` §3.1–§3.3.

use std::io;
use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use crate::proto::vstack::{Decoded, Limits, StreamDecoder};
use crate::sim::switch::device::{Action, action_for};

/// Bytes read from a socket at a time.
const READ_CHUNK_BYTES: usize = 4096;

/// A running responder: its address and accept task (aborted on drop).
#[derive(Debug)]
pub(crate) struct Responder {
    pub(crate) addr: SocketAddr,
    task: JoinHandle<()>,
}

impl Responder {
    /// Binds `127.0.0.1:0` and starts answering.
    pub(crate) async fn start() -> io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let task = tokio::spawn(accept_loop(listener));
        Ok(Self { addr, task })
    }
}

impl Drop for Responder {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn accept_loop(listener: TcpListener) {
    while let Ok((stream, _)) = listener.accept().await {
        tokio::spawn(answer(stream));
    }
}

/// Answers one connection until its peer closes it (or sends something undecodable).
async fn answer(mut stream: TcpStream) {
    // Probes and replies are single small writes: no reason to wait for Nagle.
    let _ = stream.set_nodelay(true);
    let mut decoder = StreamDecoder::new(Limits::default());
    let mut buf = vec![0u8; READ_CHUNK_BYTES];
    let mut out = Vec::new();
    loop {
        let n = match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        let mut input = buf.get(..n).unwrap_or_default();
        loop {
            match decoder.decode(&mut input) {
                Ok(Decoded::NeedMore { .. }) => break,
                Ok(Decoded::Frame(frame)) => {
                    if let Action::Reply(bytes) = action_for(&frame.message) {
                        out.extend_from_slice(&bytes);
                    }
                }
                Err(_) => return,
            }
        }
        if !out.is_empty() {
            if stream.write_all(&out).await.is_err() {
                return;
            }
            out.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::proto::vstack::{Body, Message, Probe, ProbeReply};

    #[tokio::test]
    async fn answers_each_probe_with_the_probe_reply() {
        let responder = Responder::start().await.unwrap();
        let mut stream = TcpStream::connect(responder.addr).await.unwrap();
        let probe = Message::new(Body::Probe(Probe::HELLO)).encode().unwrap();
        let reply = Message::new(Body::ProbeReply(ProbeReply::HELLO))
            .encode()
            .unwrap();
        stream
            .write_all(&[probe.clone(), probe].concat())
            .await
            .unwrap();
        let mut got = vec![0u8; 2 * reply.len()];
        stream.read_exact(&mut got).await.unwrap();
        assert_eq!(got, [reply.clone(), reply].concat());
    }
}
