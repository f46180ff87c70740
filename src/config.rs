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

/// One problem found in a configuration or policy file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    /// File name as given by the caller.
    pub file: String,
    /// 1-based line of the offending key or value (0: the file as a whole).
    pub line: usize,
    /// 1-based column.
    pub col: usize,
    /// Dotted key path, e.g. `smart_install.rules[2].from`.
    pub key: String,
    /// What is wrong.
    pub kind: ConfigErrorKind,
}

/// What is wrong with a configuration value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfigErrorKind {
    /// The file could not be read.
    Io(String),
    /// TOML syntax error.
    Syntax(String),
    /// A key the schema does not know.
    UnknownKey,
    /// A required key is absent.
    MissingKey,
    /// The value has the wrong TOML type.
    WrongType {
        /// The type the schema expects.
        expected: &'static str,
    },
    /// The value is well-typed but invalid.
    Invalid(String),
}

impl std::fmt::Display for ConfigErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Io(e) => write!(f, "cannot read file: {e}"),
            Self::Syntax(e) => write!(f, "TOML syntax error: {e}"),
            Self::UnknownKey => f.write_str("unknown key"),
            Self::MissingKey => f.write_str("missing required key"),
            Self::WrongType { expected } => write!(f, "expected {expected}"),
            Self::Invalid(e) => f.write_str(e),
        }
    }
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}: {}",
            self.file, self.line, self.col, self.key, self.kind
        )
    }
}

/// Every problem found in one load, in file order.
#[derive(Clone, Debug, Default, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
pub struct ConfigErrors(pub Vec<ConfigError>);

/// Loads a policy from `path`: a policy file, or a gateway configuration whose `gateway.policy`
/// names one.
pub fn load_policy_file(path: &std::path::Path) -> Result<Policy, ConfigErrors> {
    Err(ConfigErrors(vec![ConfigError {
        file: path.display().to_string(),
        line: 0,
        col: 0,
        key: String::new(),
        kind: ConfigErrorKind::Invalid("policy loading arrives with the config module".into()),
    }]))
}
