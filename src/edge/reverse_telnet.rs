//! The SMI proxy's reverse-telnet listener: a legacy client that applied the tailored
//! configuration (`client_cfg_pnp.txt`, `do telnet <proxy> <port>`) connects here, and ztpgate
//! drives the CLI it presents on that connection — login, enable, `terminal length 0`,
//! `show version` — to learn its PID, VID and serial number
//! (`../shared/reference/smi-proxy.txt`, "SMI Proxy and Tailored Configuration Files").
//!
//! Bytes go through the sans-IO telnet filter (`crate::proto::telnet`) and the sans-IO session
//! driver (`crate::roles::smi_proxy::cli_session`); this module only moves them and keeps time.
//! Only peers inside the policy's client networks are served; every session is an audit record
//! (area `smi_proxy`: `learn`, `fail`, or `refuse` for a peer outside the client networks or
//! beyond the session cap; refusal records are throttled per peer).
//!
//! Connections are accepted as they come, never left in the kernel's queue: a legacy client
//! calls back once per reload, with short connect and login timeouts, so a call-out that waits
//! is a client lost until its next reload. Sessions are capped in number ([`MAX_SESSIONS`],
//! sized for a thousand clients calling back at once; a connection beyond it is closed and
//! recorded) and each is bounded by the session timeout.
//!
//! Inputs: connections from the access network (attacker-controlled bytes, bounded by the
//! filter and the session); the credentials and client networks from the policy.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Mutex, Semaphore, mpsc, watch};

use crate::audit::throttle::Throttle;
use crate::audit::{AuditEntry, AuditLog, EntryKind};
use crate::edge::tftp_client::TransferClock;
use crate::policy::net::AddrSet;
use crate::proto::telnet::{TelnetFilter, escape};
use crate::roles::smi_proxy::cli_session::{CliEvent, CliSession, CliSessionError};
use crate::roles::smi_proxy::show_version::ShowVersion;
use crate::roles::smi_proxy::tailored::Credentials;

/// Sessions served at once; a connection beyond them is closed and recorded.
pub const MAX_SESSIONS: usize = 2048;

/// Refusal records per peer at once, then [`REFUSALS_PER_SECOND`].
const REFUSAL_BURST: u32 = 20;
/// The refill rate of refusal records per peer.
const REFUSALS_PER_SECOND: f64 = 2.0;

/// A client's `show version`, learned over its reverse-telnet session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Learned {
    /// The client's address.
    pub peer: SocketAddr,
    /// What it reported.
    pub show_version: ShowVersion,
}

/// The listener's settings and shared state.
pub struct ReverseTelnet {
    credentials: Credentials,
    client_networks: AddrSet,
    audit: Arc<Mutex<AuditLog>>,
    learned: mpsc::UnboundedSender<Learned>,
    slots: Arc<Semaphore>,
    refusals: Mutex<Throttle>,
    clock: TransferClock,
}

impl ReverseTelnet {
    /// A listener logging in with `credentials`, serving peers in `client_networks`, reporting
    /// what it learns to `learned`.
    pub fn new(
        credentials: Credentials,
        client_networks: AddrSet,
        audit: Arc<Mutex<AuditLog>>,
        learned: mpsc::UnboundedSender<Learned>,
    ) -> Self {
        Self {
            credentials,
            client_networks,
            audit,
            learned,
            slots: Arc::new(Semaphore::new(MAX_SESSIONS)),
            refusals: Mutex::new(Throttle::new(REFUSAL_BURST, REFUSALS_PER_SECOND)),
            clock: TransferClock::start(),
        }
    }

    /// The same listener serving at most `sessions` at once.
    pub fn with_max_sessions(mut self, sessions: usize) -> Self {
        self.slots = Arc::new(Semaphore::new(sessions.max(1)));
        self
    }

    /// Accepts sessions on `listener` until `stop` turns true.
    pub async fn serve(self: Arc<Self>, listener: TcpListener, mut stop: watch::Receiver<bool>) {
        loop {
            let (stream, peer) = tokio::select! {
                r = listener.accept() => match r {
                    Ok(r) => r,
                    Err(err) => {
                        // Out of descriptors, most likely: let sessions end before trying again.
                        tracing::warn!(%err, "reverse telnet: accept failed");
                        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                        continue;
                    }
                },
                _ = stop.changed() => return,
            };
            let this = Arc::clone(&self);
            let stop = stop.clone();
            tokio::spawn(async move { this.connection(stream, peer, stop).await });
        }
    }

    async fn connection(
        &self,
        stream: TcpStream,
        peer: SocketAddr,
        mut stop: watch::Receiver<bool>,
    ) {
        if !self.client_networks.contains(peer.ip()) {
            drop(stream);
            self.refused(peer, "peer outside smart_install.client_networks")
                .await;
            return;
        }
        let Ok(_permit) = Arc::clone(&self.slots).try_acquire_owned() else {
            drop(stream);
            self.refused(peer, "too many reverse-telnet sessions at once")
                .await;
            return;
        };
        let outcome = tokio::select! {
            o = session(stream, self.credentials.clone()) => o,
            _ = stop.changed() => return,
        };
        match outcome {
            Ok(show_version) => {
                let detail = serde_json::json!({
                    "udi": show_version.udi().to_string(),
                    "hostname": show_version.hostname,
                    "version": show_version.version,
                });
                self.record("learn", peer, detail).await;
                let _ = self.learned.send(Learned { peer, show_version });
            }
            Err(err) => {
                let detail = serde_json::json!({ "reason": err.to_string() });
                self.record("fail", peer, detail).await;
            }
        }
    }

    /// A `refuse` record for `peer`, within its budget of refusal records.
    async fn refused(&self, peer: SocketAddr, reason: &str) {
        let detail = serde_json::json!({ "reason": reason });
        let entry = entry("refuse", "reverse-telnet", &peer.to_string(), detail);
        let admitted = self
            .refusals
            .lock()
            .await
            .admit_entry(peer.ip(), self.clock.now(), entry);
        if let Some(entry) = admitted {
            append(&self.audit, entry).await;
        }
    }

    async fn record(&self, verdict: &str, peer: SocketAddr, detail: serde_json::Value) {
        record(
            &self.audit,
            verdict,
            "reverse-telnet",
            &peer.to_string(),
            detail,
        )
        .await;
    }
}

/// Appends an SMI proxy record (area `smi_proxy`) to `audit`; a failed write is logged.
pub(crate) async fn record(
    audit: &Mutex<AuditLog>,
    verdict: &str,
    rule: &str,
    actor: &str,
    detail: serde_json::Value,
) {
    append(audit, entry(verdict, rule, actor, detail)).await;
}

/// An SMI proxy record (area `smi_proxy`, enforced).
fn entry(verdict: &str, rule: &str, actor: &str, detail: serde_json::Value) -> AuditEntry {
    AuditEntry {
        kind: EntryKind::Decision,
        area: "smi_proxy".into(),
        verdict: verdict.into(),
        rule: rule.into(),
        mode: "enforce".into(),
        actor: actor.to_owned(),
        detail,
    }
}

/// Appends `entry` to `audit`; a failed write is logged.
async fn append(audit: &Mutex<AuditLog>, entry: AuditEntry) {
    let now = crate::clock::now_utc();
    if let Err(err) = audit.lock().await.append(entry, now) {
        tracing::error!(%err, "SMI proxy: cannot write the audit log");
    }
}

/// Why a session produced no `show version`.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// The CLI session failed (login, timeout, parse).
    #[error(transparent)]
    Cli(#[from] CliSessionError),
    /// The telnet layer refused the stream (oversized subnegotiation, reply backlog).
    #[error("telnet: {0}")]
    Telnet(#[from] crate::proto::telnet::TelnetError),
    /// Reading or writing failed.
    #[error("connection: {0}")]
    Io(#[from] std::io::Error),
}

/// Drives one session on `stream` to its end.
pub async fn session(
    mut stream: TcpStream,
    credentials: Credentials,
) -> Result<ShowVersion, SessionError> {
    let clock = TransferClock::start();
    let mut filter = TelnetFilter::new();
    let mut cli = CliSession::new(credentials, clock.now());
    let mut buf = vec![0u8; 4096];
    let mut text = Vec::new();
    loop {
        while let Some(reply) = filter.poll_transmit() {
            stream.write_all(&reply).await?;
        }
        while let Some(line) = cli.poll_transmit() {
            stream.write_all(&escape(&line)).await?;
        }
        match cli.poll_event() {
            Some(CliEvent::Done(show_version)) => return Ok(show_version),
            Some(CliEvent::Failed(err)) => return Err(err.into()),
            None => {}
        }
        let wait = cli
            .poll_timeout()
            .map_or(std::time::Duration::ZERO, |d| d.saturating_sub(clock.now()));
        match tokio::time::timeout(wait, stream.read(&mut buf)).await {
            Err(_) => cli.handle_timeout(clock.now()),
            Ok(Ok(0)) => cli.handle_close(),
            Ok(Ok(n)) => {
                text.clear();
                filter.handle_input(buf.get(..n).unwrap_or_default(), &mut text)?;
                cli.handle_input(clock.now(), &text);
            }
            Ok(Err(err)) => return Err(err.into()),
        }
    }
}

#[cfg(test)]
mod tests;
