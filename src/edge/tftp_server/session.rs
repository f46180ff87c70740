//! One TFTP transfer on its own connected UDP socket (the server's transfer ID, RFC 1350 §4):
//! drives a [`Sender`] or [`Receiver`] from `crate::proto::tftp::transfer` with the socket and
//! the clock, reads the served file with positioned reads, and writes an upload to a temporary
//! file in the backup directory that is renamed into place only when complete (a failed upload
//! leaves nothing behind).
//!
//! Inputs: datagrams from the client (the socket is connected, so the kernel drops datagrams
//! from any other address or port); the file paths were authorized by the caller.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::net::UdpSocket;
use tokio::sync::watch;

use crate::edge::tftp_client::TransferClock;
use crate::proto::tftp::transfer::{Action, BlockSink, BlockSource, Machine, TransferError};
use crate::proto::tftp::{ErrorCode, Packet};

/// Runs `machine` over `socket` from its `first` actions to the end of the transfer. With
/// `hold_final`, the datagrams that come with a successful end (an upload's final ACK) are not
/// sent: the caller sends the final ACK once the file is safely stored. A stop signal fails the
/// transfer.
pub(super) async fn drive<M: Machine>(
    socket: &UdpSocket,
    machine: &mut M,
    first: Vec<Action>,
    max_datagram: usize,
    hold_final: bool,
    clock: &TransferClock,
    stop: &mut watch::Receiver<bool>,
) -> Result<u64, TransferError> {
    let mut buf = vec![0u8; max_datagram.saturating_add(1)];
    let mut actions = first;
    let mut deadline = clock.now();
    loop {
        let mut end = None;
        let hold = hold_final && actions.iter().any(|a| matches!(a, Action::Done { .. }));
        for action in actions.drain(..) {
            match action {
                Action::Send(_) if hold => {}
                Action::Send(bytes) => {
                    if let Err(err) = socket.send(&bytes).await {
                        tracing::debug!(%err, "tftp: send failed");
                    }
                }
                Action::Done { bytes } => end = Some(Ok(bytes)),
                Action::Fail { reason } => end = Some(Err(reason)),
                Action::NextTimeout(at) => deadline = at,
            }
        }
        if let Some(end) = end {
            return end;
        }
        let sleep = tokio::time::sleep_until(clock.instant(deadline));
        actions = tokio::select! {
            r = socket.recv(&mut buf) => match r {
                Ok(len) => {
                    let now = clock.now();
                    machine.handle_input(now, buf.get(..len).unwrap_or_default())
                }
                // An ICMP error for an earlier datagram: the retry budget bounds the transfer.
                Err(_) => Vec::new(),
            },
            () = sleep => machine.handle_timeout(clock.now()),
            _ = stop.changed() => {
                let _ = socket.send(&shutdown_error()).await;
                return Err(TransferError::Aborted);
            }
        };
    }
}

/// The ERROR told to the client when the server shuts down mid-transfer.
fn shutdown_error() -> Vec<u8> {
    Packet::error(ErrorCode::NotDefined, "server shutting down")
        .encode()
        .unwrap_or_default()
}

/// Sends the final ACK of a stored upload, then dallies (RFC 1350 §6): for `dally`, answers any
/// datagram (a retransmitted final block: our final ACK was lost) with the final ACK again.
pub(super) async fn linger(socket: &UdpSocket, final_ack: &[u8], dally: std::time::Duration) {
    let _ = socket.send(final_ack).await;
    let until = tokio::time::Instant::from_std(crate::clock::now_monotonic() + dally);
    let mut buf = [0u8; 16];
    while let Ok(Ok(_)) = tokio::time::timeout_at(until, socket.recv(&mut buf)).await {
        let _ = socket.send(final_ack).await;
    }
}

/// A served file, read with positioned reads (from the page cache in the common case; a read is
/// one block, so it does not hold the runtime up noticeably).
pub(super) struct FileSource(pub(super) File);

impl BlockSource for FileSource {
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<usize, TransferError> {
        self.0.read_at(buf, offset).map_err(|err| {
            tracing::warn!(%err, "tftp: read failed");
            TransferError::Source
        })
    }
}

/// An upload in progress: a temporary file next to its final name.
pub(super) struct Upload {
    writer: BufWriter<File>,
    temp: PathBuf,
    target: PathBuf,
}

impl Upload {
    /// Creates a new temporary file in `dir` for the final name `name`.
    pub(super) fn create(dir: &Path, name: &str) -> std::io::Result<Self> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let temp = dir.join(format!(".{name}.{}.{n}.part", std::process::id()));
        let file = File::options().write(true).create_new(true).open(&temp)?;
        Ok(Self {
            writer: BufWriter::with_capacity(64 * 1024, file),
            temp,
            target: dir.join(name),
        })
    }

    /// Flushes, syncs and renames the upload into place (on the blocking pool).
    pub(super) async fn commit(self) -> std::io::Result<PathBuf> {
        let joined = tokio::task::spawn_blocking(move || {
            let Self {
                writer,
                temp,
                target,
            } = self;
            let result = writer
                .into_inner()
                .map_err(std::io::IntoInnerError::into_error)
                .and_then(|file| file.sync_all())
                .and_then(|()| std::fs::rename(&temp, &target));
            if result.is_err() {
                let _ = std::fs::remove_file(&temp);
            }
            result.map(|()| target)
        })
        .await;
        joined.map_err(std::io::Error::other)?
    }

    /// Removes the temporary file.
    pub(super) fn discard(self) {
        let Self { writer, temp, .. } = self;
        drop(writer);
        if let Err(err) = std::fs::remove_file(&temp) {
            tracing::warn!(%err, path = %temp.display(), "tftp: cannot remove a partial upload");
        }
    }
}

impl BlockSink for Upload {
    fn append(&mut self, data: &[u8]) -> Result<(), TransferError> {
        self.writer.write_all(data).map_err(|err| {
            tracing::warn!(%err, "tftp: write failed");
            TransferError::Sink
        })
    }
}
