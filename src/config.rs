//! Gateway configuration (`ztpgate.toml`) and policy files (`policies/*.toml`): TOML parsed into
//! validated types, every problem reported as `file:line:col: key: message`.
//!
//! Operator input: trusted but validated. Unknown keys are rejected; `load(path)` reads a file,
//! `from_toml(name, text)` parses text, so tests need no files.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::policy::Policy;

/// The validated gateway configuration.
#[derive(Clone, Debug)]
pub struct GatewayConfig {
    /// Where the configuration came from (`None`: the embedded lab defaults).
    pub source: Option<PathBuf>,
    /// Data directory: store, audit log, lab PKI.
    pub data_dir: PathBuf,
    /// The policy in force.
    pub policy: Policy,
    /// The policy file it came from (`None`: the embedded lab policy).
    pub policy_source: Option<PathBuf>,
    /// Admin API listener.
    pub admin: AdminConfig,
    /// Audit log.
    pub audit: AuditConfig,
    /// State store.
    pub store: StoreConfig,
    /// Gateway certificates.
    pub pki: PkiConfig,
}

/// The admin API (HTTPS, admin client certificate required).
#[derive(Clone, Debug)]
pub struct AdminConfig {
    /// Addresses to listen on.
    pub listen: Vec<SocketAddr>,
    /// Most concurrent connections; further ones wait in the accept queue.
    pub max_connections: usize,
    /// Time allowed for a TLS handshake plus one request.
    pub request_timeout: Duration,
}

/// When the audit log is flushed to stable storage.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FsyncPolicy {
    /// `fsync` after every record: nothing acknowledged is lost on power failure.
    Always,
    /// `fsync` at most this often; a crash can lose the records of the last interval.
    Interval(Duration),
}

/// The audit log.
#[derive(Clone, Debug)]
pub struct AuditConfig {
    /// Path of the JSONL file (resolved against the data directory).
    pub path: PathBuf,
    /// Flush policy.
    pub fsync: FsyncPolicy,
}

/// The state store.
#[derive(Clone, Debug)]
pub struct StoreConfig {
    /// SQLite database path (resolved against the data directory).
    pub path: PathBuf,
}

/// Gateway certificates.
#[derive(Clone, Debug)]
pub struct PkiConfig {
    /// Directory of the lab PKI (resolved against the data directory).
    pub dir: PathBuf,
    /// Generate the lab PKI in `dir` when it is missing.
    pub generate_lab: bool,
    /// Server certificate chain (PEM) for the gateway's HTTPS listeners.
    pub server_cert: PathBuf,
    /// Server private key (PEM).
    pub server_key: PathBuf,
    /// CA (PEM) that issues admin client certificates.
    pub admin_ca: PathBuf,
}
