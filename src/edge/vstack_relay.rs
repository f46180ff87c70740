//! The inspecting Smart Install relay (TCP 4786): accepts connections redirected to the gateway,
//! connects to the real destination and passes both directions through the pure
//! [`Guard`](crate::roles::vstack_guard::Guard), carrying out its forward / reset / audit actions.
//!
//! Inputs: untrusted peers on both sides; the destination comes from the operator's
//! configuration (`upstream = "addr:port"`) or from the kernel's connection tracking
//! (`SO_ORIGINAL_DST` of a DNAT/REDIRECT'ed connection). Design and deployment:
//! `docs/vstack-relay.md`; protocol: `../shared/protocols/smart-install.md` §9.
//!
//! Phases of a connection: accept → find the destination → connect → relay (read, inspect,
//! audit, forward) → close (FIN passed on after a clean end) or reset (`SO_LINGER` 0 on both
//! sockets after a denial, an idle timeout, an I/O error or an audit failure). Every verdict is
//! written to the audit log *before* the bytes it allows are forwarded; if the record cannot be
//! written the connection is reset (fail closed). Under `fsync = "always"` records are committed
//! in groups ([`GroupCommit`]): each record is still synced before its bytes move, but one
//! fdatasync covers every record appended while the previous one ran.

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use chrono::{DateTime, Utc};
use socket2::SockRef;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::WriteHalf;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Mutex, Semaphore, watch};
use tokio::task::JoinSet;

use crate::audit::{AuditEntry, AuditError, AuditLog};
use crate::config::{FsyncPolicy, RelayUpstream};
use crate::inspect::detector::Detector;
use crate::policy::access::CompiledAccess;
use crate::proto::vstack::Limits;
use crate::roles::vstack_guard::{Action, Endpoints, Flow, Guard, Inspection, Outcome};

/// Bytes read from a socket at a time.
const READ_CHUNK_BYTES: usize = 16 * 1024;
/// Pause after a failed `accept` (e.g. out of file descriptors).
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// Why a connection could not be relayed.
#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    /// The socket's addresses could not be read.
    #[error("cannot read the socket addresses: {0}")]
    Addresses(io::Error),
    /// `SO_ORIGINAL_DST` failed: the connection was not redirected by DNAT/REDIRECT.
    #[error("no original destination (was the connection redirected?): {0}")]
    OriginalDestination(io::Error),
    /// The original destination is the relay itself: relaying would loop.
    #[error("the original destination {addr} is the relay itself")]
    Loop {
        /// The relay's own address.
        addr: SocketAddr,
    },
    /// The destination did not accept the connection in time.
    #[error("cannot connect to {addr}: {source}")]
    Connect {
        /// The destination.
        addr: SocketAddr,
        /// The underlying error.
        source: io::Error,
    },
}

/// Counters of a relay, over all its listeners.
#[derive(Debug, Default)]
pub struct RelayStats {
    /// Connections accepted.
    pub connections: AtomicU64,
    /// Connections reset (denial, idle timeout, I/O or audit failure).
    pub resets: AtomicU64,
    /// Messages forwarded.
    pub messages_forwarded: AtomicU64,
    /// Messages (or undecodable inputs) dropped.
    pub messages_dropped: AtomicU64,
    /// Bytes forwarded, both directions.
    pub bytes_forwarded: AtomicU64,
    /// Detection-rule matches recorded.
    pub detections: AtomicU64,
}

/// The relay's settings and shared state.
#[derive(Debug)]
pub struct VstackRelay {
    policy: CompiledAccess,
    detector: Option<Detector>,
    limits: Limits,
    idle_timeout: Duration,
    upstream: RelayUpstream,
    audit: Arc<Mutex<AuditLog>>,
    /// Group commit, set up by the first [`VstackRelay::serve`] when the log syncs every record;
    /// unset otherwise (records are appended and synced per the log's policy in one step).
    group_commit: OnceLock<GroupCommit>,
    /// Counters.
    pub stats: RelayStats,
}

/// Group commit of audit records: a connection appends its record, then syncs the log unless a
/// sync that started after its append already covered it. Syncs are serialised, so while one
/// runs the records of other connections pile up and the next sync covers them all.
#[derive(Debug, Default)]
struct GroupCommit {
    /// Held while syncing.
    syncing: Mutex<()>,
    /// The highest `seq` known to be on stable storage.
    durable: AtomicU64,
}

/// How a relayed connection ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum End {
    /// Both sides closed cleanly.
    Closed,
    /// Reset both sides.
    Reset,
}

impl VstackRelay {
    /// A relay deciding with `policy`, decoding with `limits`, writing to `audit`.
    pub fn new(
        policy: CompiledAccess,
        limits: Limits,
        idle_timeout: Duration,
        upstream: RelayUpstream,
        audit: Arc<Mutex<AuditLog>>,
    ) -> Self {
        Self {
            policy,
            detector: None,
            limits,
            idle_timeout,
            upstream,
            audit,
            group_commit: OnceLock::new(),
            stats: RelayStats::default(),
        }
    }

    /// Also applies the detection rules of `detector`: each audit record lists the rules its
    /// message matched (see [`Guard::with_detector`]).
    #[must_use]
    pub fn with_detector(mut self, detector: Detector) -> Self {
        self.detector = Some(detector);
        self
    }

    /// Accepts connections on `listener` (at most `max_connections` at a time; further ones wait
    /// in the kernel's accept queue) until `stop` turns true; then aborts open connections.
    pub async fn serve(
        self: Arc<Self>,
        listener: TcpListener,
        max_connections: usize,
        mut stop: watch::Receiver<bool>,
    ) {
        if self.audit.lock().await.fsync_policy() == FsyncPolicy::Always {
            self.group_commit.get_or_init(GroupCommit::default);
        }
        let slots = Arc::new(Semaphore::new(max_connections));
        let mut conns = JoinSet::new();
        while !*stop.borrow() {
            let accepted = tokio::select! {
                _ = stop.changed() => break,
                permit = Arc::clone(&slots).acquire_owned() => match permit {
                    Ok(permit) => tokio::select! {
                        _ = stop.changed() => break,
                        r = listener.accept() => r.map(|c| (c, permit)),
                    },
                    Err(_) => break,
                },
            };
            match accepted {
                Ok(((stream, peer), permit)) => {
                    let relay = Arc::clone(&self);
                    conns.spawn(async move {
                        relay.handle(stream, peer).await;
                        drop(permit);
                    });
                }
                Err(err) => {
                    tracing::warn!(%err, "smart install relay: accept failed");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                }
            }
            while conns.try_join_next().is_some() {}
        }
        conns.abort_all();
        while conns.join_next().await.is_some() {}
    }

    /// Relays one accepted connection to its destination.
    async fn handle(&self, mut director: TcpStream, peer: SocketAddr) {
        self.stats.connections.fetch_add(1, Ordering::Relaxed);
        let mut client = match self.connect(&director).await {
            Ok(client) => client,
            Err(err) => {
                tracing::warn!(%peer, %err, "smart install relay: connection refused");
                reset(&director);
                return;
            }
        };
        let Ok(dest) = client.peer_addr() else {
            reset(&director);
            return;
        };
        let _ = (director.set_nodelay(true), client.set_nodelay(true));
        let endpoints = Endpoints {
            director: peer,
            client: dest,
        };
        let end = self.pump(&mut director, &mut client, endpoints).await;
        if end == End::Reset {
            self.stats.resets.fetch_add(1, Ordering::Relaxed);
            reset(&director);
            reset(&client);
        }
        tracing::debug!(%peer, %dest, ?end, "smart install relay: connection ended");
    }

    /// Finds the destination and connects to it (within the idle timeout).
    async fn connect(&self, director: &TcpStream) -> Result<TcpStream, RelayError> {
        let addr = match self.upstream {
            RelayUpstream::Fixed(addr) => addr,
            RelayUpstream::OriginalDestination => original_destination(director)?,
        };
        let connect = TcpStream::connect(addr);
        match tokio::time::timeout(self.idle_timeout, connect).await {
            Ok(Ok(stream)) => Ok(stream),
            Ok(Err(source)) => Err(RelayError::Connect { addr, source }),
            Err(_) => Err(RelayError::Connect {
                addr,
                source: io::ErrorKind::TimedOut.into(),
            }),
        }
    }

    /// Moves bytes both ways through the guard until both sides are closed or a reset is due.
    async fn pump(
        &self,
        director: &mut TcpStream,
        client: &mut TcpStream,
        endpoints: Endpoints,
    ) -> End {
        let mut guard =
            Guard::new(&self.policy, endpoints, self.limits).with_detector(self.detector.as_ref());
        let (mut d_read, mut d_write) = director.split();
        let (mut c_read, mut c_write) = client.split();
        let (mut d_buf, mut c_buf) = (vec![0; READ_CHUNK_BYTES], vec![0; READ_CHUNK_BYTES]);
        let (mut d_open, mut c_open) = (true, true);
        while d_open || c_open {
            let read = tokio::time::timeout(self.idle_timeout, async {
                tokio::select! {
                    r = d_read.read(&mut d_buf), if d_open => (Flow::DirectorToClient, r),
                    r = c_read.read(&mut c_buf), if c_open => (Flow::ClientToDirector, r),
                }
            })
            .await;
            let Ok((flow, result)) = read else {
                tracing::info!(peer = %endpoints.director, "smart install relay: idle timeout");
                return End::Reset;
            };
            let eof = matches!(result, Ok(0));
            let actions = match result {
                Ok(0) => {
                    match flow {
                        Flow::DirectorToClient => d_open = false,
                        Flow::ClientToDirector => c_open = false,
                    }
                    guard.on_close(flow)
                }
                Ok(n) => {
                    let buf = match flow {
                        Flow::DirectorToClient => d_buf.get(..n),
                        Flow::ClientToDirector => c_buf.get(..n),
                    };
                    guard.on_bytes(flow, buf.unwrap_or_default())
                }
                Err(_) => return End::Reset,
            };
            let mut writers = Writers {
                to_client: &mut c_write,
                to_director: &mut d_write,
            };
            if self.carry_out(actions, &mut writers).await == End::Reset {
                return End::Reset;
            }
            // A side that finished cleanly: pass its FIN on to the other side.
            if eof && writers.get(flow).shutdown().await.is_err() {
                return End::Reset;
            }
        }
        End::Closed
    }

    /// Carries out the guard's actions in order.
    async fn carry_out(&self, actions: Vec<Action>, writers: &mut Writers<'_, '_>) -> End {
        for action in actions {
            match action {
                Action::Audit(inspection) => {
                    if !self.record(&inspection).await {
                        return End::Reset;
                    }
                }
                Action::Forward { flow, bytes } => {
                    if writers.get(flow).write_all(&bytes).await.is_err() {
                        return End::Reset;
                    }
                    let n = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
                    self.stats.bytes_forwarded.fetch_add(n, Ordering::Relaxed);
                }
                Action::Reset => return End::Reset,
            }
        }
        End::Closed
    }

    /// Writes one audit record; `false` when it could not be written.
    async fn record(&self, inspection: &Inspection) -> bool {
        let counter = match inspection.outcome {
            Outcome::Forwarded => &self.stats.messages_forwarded,
            Outcome::Dropped => &self.stats.messages_dropped,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        let detections = u64::try_from(inspection.detections.len()).unwrap_or(u64::MAX);
        self.stats
            .detections
            .fetch_add(detections, Ordering::Relaxed);
        let actor = inspection.src.ip().to_string();
        let entry = match AuditEntry::decision(&inspection.decision, actor, inspection.detail()) {
            Ok(entry) => entry,
            Err(err) => {
                tracing::error!(%err, "smart install relay: cannot build the audit record");
                return false;
            }
        };
        let now = crate::clock::now_utc();
        let written = match self.group_commit.get() {
            Some(group) => self.append_grouped(group, entry, now).await,
            None => self.audit.lock().await.append(entry, now).map(drop),
        };
        if let Err(err) = written {
            tracing::error!(%err, "smart install relay: cannot write the audit log");
            return false;
        }
        true
    }

    /// Appends `entry`, then makes sure it is on stable storage (see [`GroupCommit`]).
    async fn append_grouped(
        &self,
        group: &GroupCommit,
        entry: AuditEntry,
        now: DateTime<Utc>,
    ) -> Result<(), AuditError> {
        let seq = self.audit.lock().await.append_deferred(entry, now)?.seq;
        let _syncing = group.syncing.lock().await;
        if group.durable.load(Ordering::Acquire) >= seq {
            return Ok(());
        }
        let mut log = self.audit.lock().await;
        off_runtime(|| log.commit(now))?;
        group.durable.fetch_max(log.head().seq, Ordering::Release);
        Ok(())
    }
}

/// The write halves of both sockets.
struct Writers<'a, 'b> {
    to_client: &'a mut WriteHalf<'b>,
    to_director: &'a mut WriteHalf<'b>,
}

impl<'b> Writers<'_, 'b> {
    /// The half that writes bytes travelling in `flow`.
    fn get(&mut self, flow: Flow) -> &mut WriteHalf<'b> {
        match flow {
            Flow::DirectorToClient => self.to_client,
            Flow::ClientToDirector => self.to_director,
        }
    }
}

/// The destination a DNAT/REDIRECT rule rewrote (Linux `SO_ORIGINAL_DST`), refused when it is the
/// relay's own address (the connection was not redirected: relaying it would loop).
fn original_destination(stream: &TcpStream) -> Result<SocketAddr, RelayError> {
    let local = stream.local_addr().map_err(RelayError::Addresses)?;
    let sock = SockRef::from(stream);
    let original = if local.is_ipv4() {
        sock.original_dst_v4()
    } else {
        sock.original_dst_v6()
    }
    .map_err(RelayError::OriginalDestination)?;
    let addr = original.as_socket().ok_or_else(|| {
        RelayError::OriginalDestination(io::Error::other("not an IP socket address"))
    })?;
    if addr == local {
        return Err(RelayError::Loop { addr });
    }
    Ok(addr)
}

/// Runs the blocking `f` (an fdatasync) without stalling the tasks queued on this worker: on a
/// multi-threaded runtime they move to another worker meanwhile.
fn off_runtime<T>(f: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current().map(|h| h.runtime_flavor()) {
        Ok(tokio::runtime::RuntimeFlavor::MultiThread) => tokio::task::block_in_place(f),
        _ => f(),
    }
}

/// Makes the next close of `stream` send a TCP RST (`SO_LINGER` 0) instead of a FIN.
fn reset(stream: &TcpStream) {
    if let Err(err) = SockRef::from(stream).set_linger(Some(Duration::ZERO)) {
        tracing::debug!(%err, "smart install relay: cannot set SO_LINGER");
    }
}
