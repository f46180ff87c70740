//! `ztpgate bench pnp`: a load driver for PnP servers — the gateway or a reference web server
//! configured by `scripts/bench-pnp.sh` — measuring what `docs/benchmarks.md` ("PnP server")
//! records:
//!
//! - [`exchange`]: WORK-REQUEST / WORK-RESPONSE rounds of keep-alive mTLS agents (requests per
//!   second, latency percentiles);
//! - [`handshake`]: full mTLS handshakes (no resumption) each followed by `GET /pnp/HELLO`;
//! - [`download`]: streaming one large file over HTTPS, one or several copies at once;
//! - [`populate`]: writing realistic device records into the gateway's store (memory figure).
//!
//! Every agent is a lab device with its own SUDI issued from the lab PKI ([`Fleet`]); messages
//! are rendered and scanned the same way whatever the server ([`messages`]); latencies go into
//! per-task [`histogram::Histogram`]s merged at the end.
//!
//! Trust: the PKI directory, CA and URLs are the operator's; server answers are untrusted and
//! only scanned with bounded, non-panicking code. Timing uses [`crate::clock::now_monotonic`].
//! Spec: `../shared/protocols/pnp.md` §1 (transport, exchange), §4.4 (SUDI as client certificate).

pub mod download;
pub mod exchange;
pub mod handshake;
pub mod histogram;
pub mod messages;
pub mod populate;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::edge::client::{HttpClient, HttpError, ServerUrl, SessionResumption};
use crate::identity::Udi;
use crate::pki::lab::{DeviceRequest, default_device_name, issue};
use crate::pki::{KeyKind, PkiError, load_certs_pem, load_key_pem};
use crate::store::StoreError;

pub use download::{DownloadOptions, DownloadReport, run_download};
pub use exchange::{ExchangeOptions, ExchangeReport, run_exchanges};
pub use handshake::{HandshakeOptions, HandshakeReport, run_handshakes};
pub use histogram::{Histogram, LatencySummary};
pub use populate::{PopulateOptions, PopulateReport, run_populate};

/// The PID of benchmark devices unless another is given.
pub const DEFAULT_PID: &str = "C9300-24P";

/// Why a PnP benchmark could not run.
#[derive(Debug, thiserror::Error)]
pub enum PnpBenchError {
    /// Reading or issuing certificates failed.
    #[error(transparent)]
    Pki(#[from] PkiError),
    /// The TLS client could not be built, or the server could not be reached at all.
    #[error(transparent)]
    Http(#[from] HttpError),
    /// The store could not be opened or written.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A load task panicked or was cancelled.
    #[error("load task failed: {reason}")]
    Task {
        /// What the runtime reported.
        reason: String,
    },
}

/// The simulated devices of a load run: server, trust and identities.
#[derive(Clone, Debug)]
pub struct Fleet {
    /// The PnP server.
    pub server: ServerUrl,
    /// CA certificate that signs the server certificate.
    pub ca: PathBuf,
    /// Lab PKI directory the device certificates are issued from.
    pub pki: PathBuf,
    /// Concurrent agents (devices).
    pub agents: u32,
    /// Product ID of every device.
    pub pid: String,
    /// Device `i` (from 1) has serial `<prefix><i:04>`.
    pub serial_prefix: String,
    /// Key type of issued certificates.
    pub key_kind: KeyKind,
}

/// One simulated device: its index (from 1), UDI and TLS client presenting its certificate.
#[derive(Debug)]
pub(crate) struct Agent {
    pub(crate) index: u32,
    pub(crate) udi: Udi,
    pub(crate) client: HttpClient,
}

impl Fleet {
    /// Issues (or reuses, when already issued in the PKI directory) one certificate per agent and
    /// builds its client. Runs before any traffic, so certificate problems stop the run early.
    pub(crate) fn prepare(
        &self,
        resumption: SessionResumption,
    ) -> Result<Vec<Agent>, PnpBenchError> {
        let roots = load_certs_pem(&self.ca)?;
        (1..=self.agents)
            .map(|index| {
                let sn = format!("{}{index:04}", self.serial_prefix);
                let (chain, key) = self.device_files(&sn)?;
                let identity = (load_certs_pem(&chain)?, load_key_pem(&key)?);
                Ok(Agent {
                    index,
                    udi: Udi {
                        pid: self.pid.clone(),
                        vid: "V01".to_owned(),
                        sn,
                    },
                    client: HttpClient::with_resumption(&roots, Some(identity), resumption)?,
                })
            })
            .collect()
    }

    /// The chain (leaf + device CA) and key files of device `sn`, issued when missing.
    fn device_files(&self, sn: &str) -> Result<(PathBuf, PathBuf), PnpBenchError> {
        let req = DeviceRequest {
            pid: &self.pid,
            sn,
            key: self.key_kind,
            days: crate::pki::lab::DEFAULT_DEVICE_DAYS,
            out_name: None,
            force: false,
        };
        match issue(&self.pki, &req) {
            Ok(files) => Ok((files.chain, files.key)),
            Err(PkiError::AlreadyExists { .. }) => Ok(existing_files(&self.pki, &self.pid, sn)),
            Err(e) => Err(e.into()),
        }
    }
}

/// What one agent counted, added up over all agents.
pub(crate) trait Tally: Default + Send + 'static {
    /// Adds `other` to `self`.
    fn merge(&mut self, other: Self);
}

impl Fleet {
    /// Prepares the agents, runs `each` for every one of them concurrently over `warmup` plus
    /// `duration`, and adds up what they counted. Returns the total and the measured window.
    pub(crate) async fn run<T, F, Fut>(
        &self,
        resumption: SessionResumption,
        warmup: Duration,
        duration: Duration,
        each: F,
    ) -> Result<(T, Window), PnpBenchError>
    where
        T: Tally,
        F: Fn(Agent, ServerUrl, Window) -> Fut,
        Fut: Future<Output = T> + Send + 'static,
    {
        let agents = self.prepare(resumption)?;
        let window = Window::after(crate::clock::now_monotonic(), warmup, duration);
        let mut tasks = tokio::task::JoinSet::new();
        for agent in agents {
            tasks.spawn(each(agent, self.server.clone(), window));
        }
        let mut total = T::default();
        while let Some(joined) = tasks.join_next().await {
            total.merge(joined.map_err(|e| PnpBenchError::Task {
                reason: e.to_string(),
            })?);
        }
        Ok((total, window))
    }
}

/// Where `issue` wrote the chain and key of a device.
fn existing_files(pki: &Path, pid: &str, sn: &str) -> (PathBuf, PathBuf) {
    let name = default_device_name(&crate::identity::CertIdentity {
        pid: pid.to_owned(),
        sn: sn.to_owned(),
    });
    let devices = pki.join("devices");
    (
        devices.join(format!("{name}.chain.pem")),
        devices.join(format!("{name}.key")),
    )
}

/// The measured part of a run: results that complete inside it count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Window {
    pub(crate) start: Instant,
    pub(crate) end: Instant,
}

impl Window {
    /// A window opening `warmup` after `begin` and lasting `duration`.
    pub(crate) fn after(begin: Instant, warmup: Duration, duration: Duration) -> Self {
        let start = begin + warmup;
        Self {
            start,
            end: start + duration,
        }
    }

    /// Whether `t` falls inside the window.
    pub(crate) fn contains(&self, t: Instant) -> bool {
        t >= self.start && t < self.end
    }

    /// Its length in seconds.
    pub(crate) fn seconds(&self) -> f64 {
        self.end.duration_since(self.start).as_secs_f64()
    }
}

/// `n / seconds`, 0 for an empty window.
pub(crate) fn rate(n: u64, seconds: f64) -> f64 {
    if seconds > 0.0 {
        n as f64 / seconds
    } else {
        0.0
    }
}

/// Pause after a failed connection before the next attempt, so a refusing server is not spun on.
pub(crate) const RETRY_PAUSE: Duration = Duration::from_millis(20);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_counts_only_results_inside_it() {
        let begin = crate::clock::now_monotonic();
        let w = Window::after(begin, Duration::from_secs(1), Duration::from_secs(2));
        assert!(!w.contains(begin));
        assert!(w.contains(begin + Duration::from_millis(1500)));
        assert!(!w.contains(begin + Duration::from_secs(3)));
        assert!((w.seconds() - 2.0).abs() < 1e-9);
        assert_eq!(rate(10, 2.0), 5.0);
        assert_eq!(rate(10, 0.0), 0.0);
    }

    #[test]
    fn prepares_one_certificate_per_agent_and_reuses_them() {
        let dir = tempfile::tempdir().unwrap();
        let pki = crate::pki::lab::init(dir.path(), false).unwrap();
        let fleet = Fleet {
            server: ServerUrl::parse("https://127.0.0.1:1").unwrap().0,
            ca: pki.ca_cert,
            pki: dir.path().to_owned(),
            agents: 2,
            pid: DEFAULT_PID.to_owned(),
            serial_prefix: "BT".to_owned(),
            key_kind: KeyKind::P256,
        };
        let agents = fleet.prepare(SessionResumption::Disabled).unwrap();
        assert_eq!(agents.len(), 2);
        assert_eq!(agents[1].udi.sn, "BT0002");
        let (chain, _) = existing_files(dir.path(), DEFAULT_PID, "BT0001");
        let first = std::fs::read(&chain).unwrap();
        assert_eq!(load_certs_pem(&chain).unwrap().len(), 2, "leaf + device CA");
        fleet.prepare(SessionResumption::Enabled).unwrap();
        assert_eq!(
            std::fs::read(&chain).unwrap(),
            first,
            "reused, not re-issued"
        );
    }
}
