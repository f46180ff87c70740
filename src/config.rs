//! Gateway configuration (`ztpgate.toml`) and policy files (`policies/*.toml`): TOML parsed into
//! validated types, every problem reported as `file:line:col: key: message`.
//!
//! Operator input: trusted but validated. Unknown keys are rejected; `load(path)` reads a file,
//! `from_toml(name, text, base_dir)` parses text, so tests need no files. One pass over a file
//! reports every problem in file order (`../shared/design/STYLE.md` §2.3); the schema reference is
//! `policies/README.md`, the policy model `../shared/design/ARCHITECTURE.md` §6.
//!
//! Layout: `doc` walks the spanned TOML document; `gateway` and `policy_file` hold the two
//! file schemas, with one file per policy section (`smart_install`, `join_window`, `device_auth`,
//! `image_delivery`) and `duration` for the duration syntax.

mod device_auth;
pub mod dhcp;
mod director;
mod doc;
mod duration;
mod firewall;
mod gateway;
mod image_delivery;
pub mod inspect;
mod join_window;
mod pnp;
mod policy_file;
pub mod rules;
pub mod si_director;
pub mod si_proxy;
mod smart_install;
mod smi_proxy;
#[cfg(test)]
mod tests;
mod tftp;

use std::fmt;
use std::net::SocketAddr;
use std::path::{Component, Path, PathBuf};
use std::time::Duration;

use crate::config::gateway::PolicySource;
use crate::config::policy_file::PolicyPaths;
use crate::policy::Policy;

pub use tftp::{TftpAssignment, TftpConfig};

/// Loads a gateway configuration file and the policy file it names. Relative paths in it resolve
/// against the file's directory.
pub fn load(path: &Path) -> Result<GatewayConfig, ConfigErrors> {
    let file = path.display().to_string();
    let text = read(path, &file)?;
    let source = Some(path.to_path_buf());
    gateway::parse(&file, &text, parent_dir(path), PolicySource::Disk, source)
}

/// Parses a gateway configuration from `text`, reported as `file`; relative paths resolve against
/// `base_dir`. The policy file it names is read from disk.
pub fn from_toml(file: &str, text: &str, base_dir: &Path) -> Result<GatewayConfig, ConfigErrors> {
    let source = Some(PathBuf::from(file));
    gateway::parse(file, text, base_dir, PolicySource::Disk, source)
}

/// The embedded lab defaults (`ztpgate.toml` and `policies/lab.toml` as shipped), with the data
/// directory `./var` relative to the current directory.
#[allow(clippy::expect_used)]
pub fn lab_default() -> GatewayConfig {
    // Invariant: the embedded texts are compile-time constants that read nothing from disk, and
    // `embedded_lab_defaults_are_valid` (config/tests.rs) checks that they validate.
    lab_default_in(Path::new("")).expect("the embedded lab defaults are valid")
}

/// The embedded lab defaults with paths relative to `base_dir`.
pub fn lab_default_in(base_dir: &Path) -> Result<GatewayConfig, ConfigErrors> {
    gateway::parse(
        EMBEDDED_CONFIG_NAME,
        LAB_CONFIG,
        base_dir,
        PolicySource::Embedded(LAB_POLICY),
        None,
    )
}

/// Parses a policy file from `text`, reported as `file`. Relative paths resolve against
/// `base_dir`; `{data_dir}/...` paths against `data_dir` when given (else they stay literal).
pub fn policy_from_toml(
    file: &str,
    text: &str,
    base_dir: &Path,
    data_dir: Option<&Path>,
) -> Result<Policy, ConfigErrors> {
    let paths = PolicyPaths { base_dir, data_dir };
    policy_file::parse(file, text, paths).map_err(ConfigErrors)
}

/// Loads a policy file.
pub fn load_policy(path: &Path) -> Result<Policy, ConfigErrors> {
    let file = path.display().to_string();
    let text = read(path, &file)?;
    policy_from_toml(&file, &text, parent_dir(path), None)
}

/// Loads a policy from `path`: a policy file, or a gateway configuration whose `gateway.policy`
/// names one.
pub fn load_policy_file(path: &Path) -> Result<Policy, ConfigErrors> {
    load_policy_and_firewall(path).map(|(policy, _)| policy)
}

/// Loads the policy from a policy file or a gateway configuration, whichever `path` holds, with
/// the gateway's `[firewall]` settings when it is a gateway configuration.
pub fn load_policy_and_firewall(
    path: &Path,
) -> Result<(Policy, Option<FirewallConfig>), ConfigErrors> {
    let file = path.display().to_string();
    let text = read(path, &file)?;
    match file_kind(&text) {
        FileKind::Gateway => {
            let source = Some(path.to_path_buf());
            gateway::parse(&file, &text, parent_dir(path), PolicySource::Disk, source)
                .map(|config| (config.policy, Some(config.firewall)))
        }
        FileKind::Policy => {
            policy_from_toml(&file, &text, parent_dir(path), None).map(|p| (p, None))
        }
        FileKind::Rules => Err(ConfigErrors::whole_file(
            &file,
            "rule",
            ConfigErrorKind::Invalid(
                "this is a rule file, not a policy or gateway configuration".into(),
            ),
        )),
    }
}

/// Validates a gateway configuration (with the policy it names) or a policy file, whichever `path`
/// holds, and says which it was.
pub fn check_file(path: &Path) -> Result<FileKind, ConfigErrors> {
    let file = path.display().to_string();
    let text = read(path, &file)?;
    let kind = file_kind(&text);
    match kind {
        FileKind::Gateway => {
            gateway::parse(&file, &text, parent_dir(path), PolicySource::Disk, None)?;
        }
        FileKind::Policy => {
            policy_from_toml(&file, &text, parent_dir(path), None)?;
        }
        FileKind::Rules => {
            rules::rules_from_toml(&file, &text)?;
        }
    }
    Ok(kind)
}

/// What a configuration file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    /// A gateway configuration (it has a top-level `gateway` table).
    Gateway,
    /// A policy file.
    Policy,
    /// A detection rule file (it has a top-level `[[rule]]` array).
    Rules,
}

impl FileKind {
    /// How `ztpgate policy check` names the kind.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Gateway => "gateway configuration",
            Self::Policy => "policy",
            Self::Rules => "rule file",
        }
    }
}

impl fmt::Display for FileKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

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
    /// HTTPS file server.
    pub files: FilesConfig,
    /// PnP server.
    pub pnp_server: PnpServerConfig,
    /// Inspecting Smart Install (TCP 4786) relay.
    pub smart_install_relay: SmartInstallRelayConfig,
    /// The nftables table `inet ztpgate`, kept in place by `ztpgate serve`.
    pub firewall: FirewallConfig,
    /// The director's TFTP server (`[tftp]`).
    pub tftp: TftpConfig,
    /// The DHCP server or relay (`[dhcp]`; `None`: off).
    pub dhcp: Option<dhcp::DhcpConfig>,
    /// The Smart Install director (`[smart_install_director]`).
    pub director: si_director::DirectorConfig,
    /// How the SMI PnP proxy runs (`[smart_install_proxy]`; used in proxy mode).
    pub smi_proxy: si_proxy::ProxyGatewayConfig,
    /// Detection rules in the relay and on watched interfaces (`[inspect]`).
    pub inspect: inspect::InspectConfig,
}

/// `[firewall]`: whether `ztpgate serve` manages table `inet ztpgate`, and where it steers.
#[derive(Clone, Debug)]
pub struct FirewallConfig {
    /// Apply the table at start and re-apply it whenever it disappears (default: off).
    pub manage: bool,
    /// Where director → client TCP 4786 is DNATed: the relay's port and per-family address
    /// (`relay_address`, or the specific `[smart_install_relay]` listen addresses).
    pub relay: crate::policy::firewall::RelayTarget,
    /// How often the table's presence is checked.
    pub check_interval: Duration,
}

/// The inspecting Smart Install relay (`[smart_install_relay]`).
#[derive(Clone, Debug)]
pub struct SmartInstallRelayConfig {
    /// Addresses to listen on; empty (the default): no relay.
    pub listen: Vec<SocketAddr>,
    /// Concurrent relayed connections per listener.
    pub max_connections: usize,
    /// A connection with no traffic in either direction for this long is reset.
    pub idle_timeout: Duration,
    /// Largest Smart Install message accepted, header included (16 to 1 MiB).
    pub max_message_bytes: usize,
    /// Where relayed connections go.
    pub upstream: RelayUpstream,
}

/// How the relay finds the real destination of a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RelayUpstream {
    /// The address the connection was sent to before a DNAT/REDIRECT rule sent it to the relay
    /// (Linux `SO_ORIGINAL_DST`).
    OriginalDestination,
    /// Always this address (tests and labs).
    Fixed(SocketAddr),
}

/// The PnP server's HTTPS listener.
#[derive(Clone, Debug)]
pub struct PnpServerConfig {
    /// Addresses to listen on; empty: no PnP server.
    pub listen: Vec<SocketAddr>,
    /// Plain-HTTP bootstrap listeners (off by default): they only redirect devices to HTTPS.
    pub bootstrap_listen: Vec<SocketAddr>,
    /// Host name or address devices use to reach the HTTPS PnP server (redirections); default:
    /// the first listen address.
    pub public_host: Option<String>,
    /// Concurrent device connections of each PnP listener.
    pub max_connections: usize,
    /// Time allowed for the TLS handshake and for reading one request head.
    pub request_timeout: Duration,
}

/// The HTTPS file server (images, configurations and files, through per-device grants).
#[derive(Clone, Debug)]
pub struct FilesConfig {
    /// Addresses to listen on; empty: no file server.
    pub listen: Vec<SocketAddr>,
    /// Directory of the files served (resolved against the data directory).
    pub root: PathBuf,
    /// File holding the 32-byte grant key, created (0600) when missing.
    pub key: PathBuf,
    /// How long a grant is valid by default.
    pub grant_ttl: Duration,
    /// Base of the URLs handed to devices, e.g. `https://10.0.0.1:8444`; default: the first
    /// listen address.
    pub public_url: Option<String>,
    /// Concurrent connections of each file listener.
    pub max_connections: usize,
    /// Time allowed for the TLS handshake and for reading one request head.
    pub request_timeout: Duration,
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

impl fmt::Display for ConfigErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
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

impl fmt::Display for ConfigError {
    /// `file:line:col: key: message`; the position is left out for errors about the whole file
    /// (line 0) and the key when there is none (syntax and I/O errors).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:", self.file)?;
        if self.line > 0 {
            write!(f, "{}:{}:", self.line, self.col)?;
        }
        if !self.key.is_empty() {
            write!(f, " {}:", self.key)?;
        }
        write!(f, " {}", self.kind)
    }
}

/// Every problem found in one load, in file order.
#[derive(Clone, Debug, Default, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl ConfigErrors {
    /// One error about `file` as a whole (line 0), at `key`.
    pub fn whole_file(file: &str, key: &str, kind: ConfigErrorKind) -> Self {
        Self(vec![ConfigError {
            file: file.to_owned(),
            line: 0,
            col: 0,
            key: key.to_owned(),
            kind,
        }])
    }
}

fn read(path: &Path, file: &str) -> Result<String, ConfigErrors> {
    std::fs::read_to_string(path)
        .map_err(|e| ConfigErrors::whole_file(file, "", ConfigErrorKind::Io(e.to_string())))
}

/// What `text` holds: a gateway configuration (a top-level `gateway` table), a rule file (a
/// top-level `rule` array) or a policy.
pub(crate) fn file_kind(text: &str) -> FileKind {
    let (doc, _) = toml::de::DeTable::parse_recoverable(text);
    let top = |key: &str| doc.get_ref().get(key).map(toml::Spanned::get_ref);
    if top("gateway").is_some_and(toml::de::DeValue::is_table) {
        FileKind::Gateway
    } else if top("rule").is_some_and(toml::de::DeValue::is_array) {
        FileKind::Rules
    } else {
        FileKind::Policy
    }
}

fn parent_dir(path: &Path) -> &Path {
    path.parent().unwrap_or_else(|| Path::new(""))
}

/// `path` resolved against `base` (unless absolute), without `.` components. An empty result is
/// `.`.
fn resolve(base: &Path, path: &Path) -> PathBuf {
    let joined = base.join(path);
    let cleaned: PathBuf = joined
        .components()
        .filter(|c| !matches!(c, Component::CurDir))
        .collect();
    if cleaned.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        cleaned
    }
}

/// The embedded gateway configuration: the lab defaults.
const LAB_CONFIG: &str = include_str!("../ztpgate.toml");
/// The embedded lab policy.
const LAB_POLICY: &str = include_str!("../policies/lab.toml");
/// The name embedded-configuration errors are reported under.
const EMBEDDED_CONFIG_NAME: &str = "ztpgate.toml (embedded)";

/// Parses a duration as written in configuration files (`500ms`, `10s`, `1h30m`), for
/// command-line arguments.
pub fn parse_duration_arg(text: &str) -> Result<Duration, String> {
    duration::parse_duration(text).map_err(|e| e.to_string())
}
