//! The director's TFTP server (RFC 1350 with options per RFC 2347/2348/2349/7440): requests
//! arrive on the listening socket (port 69 by default); each accepted transfer runs on its own
//! ephemeral UDP socket connected to the client (RFC 1350 §4 transfer IDs), driven by the sans-IO
//! machines of `crate::proto::tftp::transfer`.
//!
//! Reads are served only for what the [`Authorizer`] grants; writes only land in the backup
//! directory, under a sanitized name, size-capped, renamed into place when complete. Only octet
//! mode is served. Concurrent transfers are capped; every request is an audit record (area
//! `tftp`): refused requests once (throttled per peer), granted ones at the start and at the end
//! (completed or failed, with bytes and duration). The authorizer hears of every start, end and
//! refusal ([`Authorizer::transfer_event`]), a `Busy` refusal included, though it is decided
//! before the authorizer is asked: whoever waits for a client's fetch learns at once that it
//! will not happen.
//!
//! Inputs: datagrams from any UDP peer (attacker-controlled, decoded with the bounded codec).

pub mod access;
mod session;

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::UdpSocket;
use tokio::sync::{Mutex, OwnedSemaphorePermit, Semaphore, watch};
use tokio::task::JoinSet;

pub use access::{AssignmentTable, Authorizer, NameProblem, Refusal, TransferEvent, TransferPhase};

use crate::audit::throttle::Throttle;
use crate::audit::{AuditEntry, AuditLog, EntryKind};
use crate::edge::tftp_client::TransferClock;
use crate::proto::tftp::options::{self, Direction, Negotiation, OptionError, ServerLimits};
use crate::proto::tftp::transfer::{Params, Receiver, Sender, TransferError};
use crate::proto::tftp::{ErrorCode, MAX_DATAGRAM_BYTES, Mode, Packet, Request};
use session::{FileSource, Upload};

/// How the server runs.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Option limits, the write cap and the default timeout.
    pub limits: ServerLimits,
    /// Retransmissions before a transfer fails.
    pub max_retries: u32,
    /// Transfers running at once; further requests are refused.
    pub max_transfers: usize,
    /// Where uploads go; `None`: uploads refused.
    pub backup_dir: Option<PathBuf>,
}

/// The TFTP server.
pub struct TftpServer {
    settings: Settings,
    authorizer: Arc<dyn Authorizer>,
    audit: Arc<Mutex<AuditLog>>,
    slots: Arc<Semaphore>,
    /// Bounds the refusal records one client can cause (a flood of requests is not a flood of
    /// synced records).
    refusals: Mutex<Throttle>,
    clock: TransferClock,
}

/// Refusal records per client: a burst of this many ...
const REFUSAL_BURST: u32 = 20;
/// ... then this many per second; the rest are counted into the next record.
const REFUSALS_PER_SECOND: f64 = 2.0;

/// How a granted transfer ended.
struct Finished {
    result: Result<u64, TransferError>,
    /// Where an upload was stored.
    stored: Option<String>,
    /// The final ACK of a completed upload, re-sent during the dally.
    final_ack: Option<Vec<u8>>,
}

/// One request, as the transfer task sees it.
struct Incoming {
    request: Request,
    direction: &'static str,
    client: SocketAddr,
    local: IpAddr,
}

impl TftpServer {
    /// A server granting reads through `authorizer` and recording into `audit`.
    pub fn new(
        settings: Settings,
        authorizer: Arc<dyn Authorizer>,
        audit: Arc<Mutex<AuditLog>>,
    ) -> Self {
        let slots = Arc::new(Semaphore::new(settings.max_transfers.max(1)));
        Self {
            settings,
            authorizer,
            audit,
            slots,
            refusals: Mutex::new(Throttle::new(REFUSAL_BURST, REFUSALS_PER_SECOND)),
            clock: TransferClock::start(),
        }
    }

    /// Serves requests arriving on `socket` until `stop` turns true, then waits for the running
    /// transfers (which stop too).
    pub async fn serve(self: Arc<Self>, socket: UdpSocket, mut stop: watch::Receiver<bool>) {
        let local = match socket.local_addr() {
            Ok(a) => a.ip(),
            Err(err) => {
                tracing::error!(%err, "tftp: listening socket has no address");
                return;
            }
        };
        let mut transfers = JoinSet::new();
        let mut buf = vec![0u8; MAX_DATAGRAM_BYTES.saturating_add(1)];
        loop {
            let (len, client) = tokio::select! {
                r = socket.recv_from(&mut buf) => match r {
                    Ok(r) => r,
                    Err(err) => {
                        tracing::debug!(%err, "tftp: receive failed");
                        continue;
                    }
                },
                _ = stop.changed() => break,
            };
            while transfers.try_join_next().is_some() {}
            let (request, direction) = match Packet::decode(buf.get(..len).unwrap_or_default()) {
                Ok(Packet::Rrq(r)) => (r, "read"),
                Ok(Packet::Wrq(r)) => (r, "write"),
                // Anything else on the request port is not the start of a transfer.
                _ => continue,
            };
            let incoming = Incoming {
                request,
                direction,
                client,
                local,
            };
            let Ok(permit) = Arc::clone(&self.slots).try_acquire_owned() else {
                let code = refusal_code(Refusal::Busy);
                send_error(&socket, client, code, "server busy").await;
                self.refused(&incoming, Refusal::Busy).await;
                continue;
            };
            let server = Arc::clone(&self);
            transfers.spawn(server.transfer(incoming, permit, stop.clone()));
        }
        while transfers.join_next().await.is_some() {}
    }

    async fn transfer(
        self: Arc<Self>,
        incoming: Incoming,
        _permit: OwnedSemaphorePermit,
        mut stop: watch::Receiver<bool>,
    ) {
        let socket = match transfer_socket(incoming.local, incoming.client).await {
            Ok(s) => s,
            Err(err) => {
                tracing::warn!(%err, "tftp: cannot open a transfer socket");
                return;
            }
        };
        if incoming.request.mode != Mode::Octet {
            self.refuse(&socket, &incoming, Refusal::Mode).await;
            return;
        }
        let started = crate::clock::now_monotonic();
        let result = match incoming.direction {
            "read" => self.read(&socket, &incoming, &mut stop).await,
            _ => self.write(&socket, &incoming, &mut stop).await,
        };
        let elapsed = crate::clock::now_monotonic().saturating_duration_since(started);
        match result {
            Err(refusal) => self.refuse(&socket, &incoming, refusal).await,
            Ok(Finished {
                result: Ok(bytes),
                stored,
                final_ack,
            }) => {
                self.finished(&incoming, "complete", bytes, elapsed, None, stored.clone())
                    .await;
                self.notify(
                    &incoming,
                    TransferPhase::Completed {
                        bytes,
                        stored: stored.map(PathBuf::from),
                    },
                );
                if let Some(ack) = final_ack {
                    session::linger(&socket, &ack, self.settings.limits.default_timeout).await;
                }
            }
            Ok(Finished {
                result: Err(reason),
                ..
            }) => {
                self.finished(
                    &incoming,
                    "fail",
                    0,
                    elapsed,
                    Some(reason.to_string()),
                    None,
                )
                .await;
                let reason = reason.to_string();
                self.notify(&incoming, TransferPhase::Failed { reason });
            }
        }
    }

    /// Serves an RRQ; `Err` is a refusal before the transfer started.
    async fn read(
        &self,
        socket: &UdpSocket,
        incoming: &Incoming,
        stop: &mut watch::Receiver<bool>,
    ) -> Result<Finished, Refusal> {
        let req = &incoming.request;
        let path = self
            .authorizer
            .authorize_read(incoming.client.ip(), &req.filename)?;
        let file = std::fs::File::open(&path).map_err(|_| Refusal::NotFound)?;
        let size = file.metadata().map_err(|_| Refusal::NotFound)?.len();
        let limits = &self.settings.limits;
        let negotiation =
            options::negotiate(&req.options, Direction::Read { file_bytes: size }, limits)
                .map_err(|_| Refusal::TooLarge)?;
        self.granted(incoming, &negotiation, Some(size)).await;
        let params = self.params(&negotiation);
        let clock = TransferClock::start();
        let now = clock.now();
        let (mut sender, first) =
            Sender::start(params, FileSource(file), size, oack(&negotiation), now);
        let datagram = params.block_bytes.saturating_add(4);
        let result =
            session::drive(socket, &mut sender, first, datagram, false, &clock, stop).await;
        Ok(Finished {
            result,
            stored: None,
            final_ack: None,
        })
    }

    /// Accepts a WRQ into the backup directory; `Err` is a refusal before the transfer started.
    async fn write(
        &self,
        socket: &UdpSocket,
        incoming: &Incoming,
        stop: &mut watch::Receiver<bool>,
    ) -> Result<Finished, Refusal> {
        let req = &incoming.request;
        let dir = self
            .settings
            .backup_dir
            .as_ref()
            .ok_or(Refusal::WritesDisabled)?;
        let client = incoming.client.ip();
        self.authorizer.authorize_write(client, &req.filename)?;
        let name = access::backup_name(client, &req.filename)
            .ok_or(Refusal::UnsafeName(NameProblem::Empty))?;
        let limits = &self.settings.limits;
        let negotiation = options::negotiate(&req.options, Direction::Write, limits)
            .map_err(|OptionError::TooLarge { .. }| Refusal::TooLarge)?;
        let upload = Upload::create(dir, &name).map_err(|err| {
            tracing::warn!(%err, dir = %dir.display(), "tftp: cannot create an upload");
            Refusal::WritesDisabled
        })?;
        self.granted(incoming, &negotiation, None).await;
        let params = self.params(&negotiation);
        let opening = oack(&negotiation).unwrap_or_else(|| vec![0x00, 0x04, 0x00, 0x00]);
        let clock = TransferClock::start();
        let now = clock.now();
        let max = limits.max_write_bytes;
        let (mut receiver, first) = Receiver::start(params, upload, max, Some(opening), now);
        let datagram = params.block_bytes.saturating_add(4);
        let result =
            session::drive(socket, &mut receiver, first, datagram, true, &clock, stop).await;
        // Held back by `drive`: sent by `transfer` once the upload is stored.
        let final_ack = receiver.final_ack();
        let upload = receiver.into_sink();
        let (result, stored) = match result {
            Ok(bytes) => match upload.commit().await {
                Ok(path) => (Ok(bytes), Some(path.display().to_string())),
                Err(err) => {
                    tracing::warn!(%err, "tftp: cannot store an upload");
                    send_error(socket, incoming.client, ErrorCode::DiskFull, "cannot store").await;
                    (Err(TransferError::Sink), None)
                }
            },
            Err(reason) => {
                upload.discard();
                (Err(reason), None)
            }
        };
        Ok(Finished {
            result,
            stored,
            final_ack,
        })
    }

    fn params(&self, negotiation: &Negotiation) -> Params {
        Params {
            block_bytes: negotiation.params.block_bytes,
            window: negotiation.params.window,
            timeout: negotiation.params.timeout,
            max_retries: self.settings.max_retries,
        }
    }

    async fn refuse(&self, socket: &UdpSocket, incoming: &Incoming, refusal: Refusal) {
        let message = match refusal {
            Refusal::NotFound => "file not found",
            Refusal::TooLarge => "file exceeds the size limit",
            Refusal::Mode => "only octet mode is supported",
            Refusal::Busy => "server busy",
            _ => "access denied",
        };
        send_error(socket, incoming.client, refusal_code(refusal), message).await;
        self.refused(incoming, refusal).await;
    }

    async fn refused(&self, incoming: &Incoming, refusal: Refusal) {
        let detail = serde_json::json!({
            "file": incoming.request.filename,
            "reason": refusal.to_string(),
            "refusal": format!("{refusal:?}"),
        });
        let entry = self.entry(incoming, "refuse", detail);
        let admitted =
            self.refusals
                .lock()
                .await
                .admit_entry(incoming.client.ip(), self.clock.now(), entry);
        if let Some(entry) = admitted {
            self.append(entry).await;
        }
        self.notify(incoming, TransferPhase::Refused(refusal));
    }

    async fn granted(&self, incoming: &Incoming, negotiation: &Negotiation, size: Option<u64>) {
        let p = &negotiation.params;
        let detail = serde_json::json!({
            "file": incoming.request.filename,
            "size": size,
            "blksize": p.block_bytes,
            "windowsize": p.window,
            "timeout_secs": p.timeout.as_secs(),
        });
        self.record(incoming, "grant", detail).await;
        self.notify(incoming, TransferPhase::Started);
    }

    fn notify(&self, incoming: &Incoming, phase: TransferPhase) {
        self.authorizer.transfer_event(TransferEvent {
            client: incoming.client.ip(),
            filename: incoming.request.filename.clone(),
            write: incoming.direction == "write",
            phase,
        });
    }

    async fn finished(
        &self,
        incoming: &Incoming,
        verdict: &str,
        bytes: u64,
        elapsed: Duration,
        reason: Option<String>,
        stored: Option<String>,
    ) {
        let detail = serde_json::json!({
            "file": incoming.request.filename,
            "bytes": bytes,
            "duration_ms": u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
            "reason": reason,
            "stored_as": stored,
        });
        self.record(incoming, verdict, detail).await;
    }

    async fn record(&self, incoming: &Incoming, verdict: &str, detail: serde_json::Value) {
        self.append(self.entry(incoming, verdict, detail)).await;
    }

    fn entry(&self, incoming: &Incoming, verdict: &str, detail: serde_json::Value) -> AuditEntry {
        AuditEntry {
            kind: EntryKind::Decision,
            area: "tftp".into(),
            verdict: verdict.into(),
            rule: incoming.direction.into(),
            mode: "enforce".into(),
            actor: incoming.client.to_string(),
            detail,
        }
    }

    async fn append(&self, entry: AuditEntry) {
        let now = crate::clock::now_utc();
        if let Err(err) = self.audit.lock().await.append(entry, now) {
            tracing::error!(%err, "cannot write the audit log");
        }
    }
}

/// The encoded OACK of a negotiation, if any option was accepted.
fn oack(negotiation: &Negotiation) -> Option<Vec<u8>> {
    if negotiation.oack.is_empty() {
        return None;
    }
    let options = negotiation.oack.clone();
    Packet::OAck { options }.encode().ok()
}

/// The TFTP error code a refusal is reported with.
fn refusal_code(refusal: Refusal) -> ErrorCode {
    match refusal {
        Refusal::NotFound => ErrorCode::FileNotFound,
        Refusal::TooLarge => ErrorCode::DiskFull,
        Refusal::Mode => ErrorCode::IllegalOperation,
        Refusal::Busy => ErrorCode::NotDefined,
        Refusal::UnsafeName(_)
        | Refusal::NotAssigned
        | Refusal::OutsideRoot
        | Refusal::WritesDisabled => ErrorCode::AccessViolation,
    }
}

/// A new socket on the listener's address and an ephemeral port, connected to the client.
async fn transfer_socket(local: IpAddr, client: SocketAddr) -> std::io::Result<UdpSocket> {
    let socket = UdpSocket::bind(SocketAddr::new(local, 0)).await?;
    socket.connect(client).await?;
    Ok(socket)
}

async fn send_error(socket: &UdpSocket, to: SocketAddr, code: ErrorCode, message: &str) {
    if let Ok(bytes) = Packet::error(code, message).encode() {
        let _ = socket.send_to(&bytes, to).await;
    }
}

#[cfg(test)]
mod tests;
