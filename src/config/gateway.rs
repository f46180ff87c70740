//! The gateway configuration file (`ztpgate.toml`): data directory, policy file, admin listener,
//! audit log, state store and certificates. Schema reference: `policies/README.md`; defaults are
//! the ones the shipped `ztpgate.toml` spells out.
//!
//! Operator input, trusted but validated. Relative paths resolve against the configuration file's
//! directory (`data_dir`, `policy`) or the data directory (everything else), once, here.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::config::doc::{Ctx, Node, Table, one_of};
use crate::config::duration::parse_duration;
use crate::config::firewall;
use crate::config::policy_file::{self, PolicyPaths, required_list};
use crate::config::tftp;
use crate::config::{
    AdminConfig, AuditConfig, ConfigError, ConfigErrorKind, ConfigErrors, FilesConfig, FsyncPolicy,
    GatewayConfig, PkiConfig, PnpServerConfig, RelayUpstream, SmartInstallRelayConfig, StoreConfig,
    resolve,
};
use crate::policy::Policy;
use crate::proto::vstack::Limits;

/// Where the policy named by `gateway.policy` comes from.
#[derive(Clone, Copy, Debug)]
pub(super) enum PolicySource<'e> {
    /// Read the named file from disk.
    Disk,
    /// Use this embedded text instead (the lab defaults), reported under the named file.
    Embedded(&'e str),
}

/// Parses and validates a gateway configuration and loads the policy it names. `source` is
/// recorded in the result as is.
pub(super) fn parse(
    file: &str,
    text: &str,
    base_dir: &Path,
    policy_source: PolicySource<'_>,
    source: Option<PathBuf>,
) -> Result<GatewayConfig, ConfigErrors> {
    let (mut cx, doc) = Ctx::parse(file, text);
    let mut root = Table::root(&doc);
    let (data_dir, policy_node) = root.with_section(&mut cx, "gateway", |cx, t| {
        let data_dir = path_key(cx, t, "data_dir").unwrap_or_else(|| DEFAULT_DATA_DIR.into());
        (resolve(base_dir, &data_dir), t.take("policy"))
    });
    let admin = root.with_section(&mut cx, "admin", admin);
    let audit = root.with_section(&mut cx, "audit", |cx, t| audit(cx, t, &data_dir));
    let store = root.with_section(&mut cx, "store", |cx, t| StoreConfig {
        path: resolve(
            &data_dir,
            &path_key(cx, t, "path").unwrap_or_else(|| "ztpgate.db".into()),
        ),
    });
    let pki = root.with_section(&mut cx, "pki", |cx, t| pki(cx, t, &data_dir));
    let files = root.with_section(&mut cx, "files", |cx, t| files(cx, t, &data_dir));
    let pnp_server = root.with_section(&mut cx, "pnp_server", |cx, t| {
        let (max_connections, request_timeout) = limits(cx, t, 4096);
        PnpServerConfig {
            listen: listen_or_off(cx, t, SocketAddr::from(([127, 0, 0, 1], 8445))),
            bootstrap_listen: t
                .take("bootstrap_listen")
                .and_then(|n| n.strings(cx, str::parse::<SocketAddr>))
                .unwrap_or_default(),
            public_host: t.parse(cx, "public_host", non_empty_host),
            max_connections,
            request_timeout,
        }
    });
    let smart_install_relay = root.with_section(&mut cx, "smart_install_relay", relay);
    let firewall = root.with_section(&mut cx, "firewall", |cx, t| {
        firewall::parse(cx, t, &smart_install_relay)
    });
    let tftp = root.with_section(&mut cx, "tftp", |cx, t| tftp::parse(cx, t, &data_dir));
    let dhcp = root.with_section(&mut cx, "dhcp", crate::config::dhcp::parse);
    let director = root.with_section(
        &mut cx,
        "smart_install_director",
        crate::config::si_director::parse,
    );
    let smi_proxy = root.with_section(&mut cx, "smart_install_proxy", |cx, t| {
        crate::config::si_proxy::parse(cx, t, &data_dir)
    });
    let mut inspect = root.with_section(&mut cx, "inspect", |cx, t| {
        crate::config::inspect::parse(cx, t, base_dir)
    });
    let loaded = load_policy(
        &mut cx,
        policy_node.as_ref(),
        base_dir,
        &data_dir,
        policy_source,
    );
    if let Ok((policy, _)) = &loaded
        && policy.smi_proxy.is_some()
        && director.enable
    {
        cx.file_error(
            "smart_install_director.enable",
            ConfigErrorKind::Invalid(
                "the policy sets smart_install.role = \"proxy\": the Smart Install director and \
                 the SMI proxy are mutually exclusive"
                    .to_owned(),
            ),
        );
    }
    root.finish(&mut cx);
    let mut errors = cx.finish();
    if let Err(rule_errors) = inspect.load_rules() {
        errors.extend(rule_errors.0);
    }
    let (policy, policy_path) = match loaded {
        Ok(loaded) => loaded,
        Err(policy_errors) => {
            errors.extend(policy_errors);
            (Policy::default(), None)
        }
    };
    if !errors.is_empty() {
        return Err(ConfigErrors(errors));
    }
    Ok(GatewayConfig {
        source,
        store,
        data_dir,
        policy,
        policy_source: policy_path,
        admin,
        audit,
        pki,
        files,
        pnp_server,
        smart_install_relay,
        firewall,
        tftp,
        dhcp,
        director,
        smi_proxy,
        inspect,
    })
}

/// Loads the policy named by `gateway.policy` (default `policies/lab.toml`); its errors come under
/// its own file name. Returns the policy and the file it came from (`None`: embedded).
fn load_policy(
    cx: &mut Ctx<'_>,
    node: Option<&Node<'_, '_>>,
    base_dir: &Path,
    data_dir: &Path,
    source: PolicySource<'_>,
) -> Result<(Policy, Option<PathBuf>), Vec<ConfigError>> {
    let named = match node {
        Some(n) => n.parse(cx, non_empty_path).ok_or_else(Vec::new)?,
        None => PathBuf::from(DEFAULT_POLICY),
    };
    let path = resolve(base_dir, &named);
    let policy_dir = path.parent().unwrap_or_else(|| Path::new("")).to_path_buf();
    let paths = PolicyPaths {
        base_dir: &policy_dir,
        data_dir: Some(data_dir),
    };
    let text = match source {
        PolicySource::Embedded(text) => {
            let file = format!("{} (embedded)", named.display());
            return policy_file::parse(&file, text, paths).map(|p| (p, None));
        }
        PolicySource::Disk => std::fs::read_to_string(&path),
    };
    let file = path.display().to_string();
    match text {
        Ok(text) => policy_file::parse(&file, &text, paths).map(|p| (p, Some(path))),
        Err(e) => {
            let kind = ConfigErrorKind::Io(format!("{file}: {e}"));
            match node {
                Some(n) => n.invalid_with(cx, kind),
                None => cx.file_error("gateway.policy", kind),
            }
            Err(Vec::new())
        }
    }
}

fn admin(cx: &mut Ctx<'_>, t: &mut Table<'_, '_>) -> AdminConfig {
    let listen = t
        .take("listen")
        .and_then(|n| required_list(cx, &n, str::parse::<SocketAddr>))
        .unwrap_or_else(|| vec![SocketAddr::from(([127, 0, 0, 1], 8443))]);
    let (max_connections, request_timeout) = limits(cx, t, 64);
    AdminConfig {
        listen,
        max_connections,
        request_timeout,
    }
}

fn audit(cx: &mut Ctx<'_>, t: &mut Table<'_, '_>, data_dir: &Path) -> AuditConfig {
    let path = path_key(cx, t, "path").unwrap_or_else(|| "audit.jsonl".into());
    #[derive(Clone, Copy, PartialEq)]
    enum Fsync {
        Always,
        Interval,
    }
    let fsync = t
        .parse(cx, "fsync", |s| {
            one_of(
                s,
                &[("always", Fsync::Always), ("interval", Fsync::Interval)],
            )
        })
        .unwrap_or(Fsync::Always);
    let interval = match t.take("fsync_interval") {
        Some(n) if fsync == Fsync::Interval => n.parse(cx, positive_duration),
        Some(n) => {
            n.invalid(cx, "only allowed with fsync = \"interval\"");
            None
        }
        None => None,
    };
    AuditConfig {
        path: resolve(data_dir, &path),
        fsync: match fsync {
            Fsync::Always => FsyncPolicy::Always,
            Fsync::Interval => FsyncPolicy::Interval(interval.unwrap_or(Duration::from_secs(1))),
        },
    }
}

fn pki(cx: &mut Ctx<'_>, t: &mut Table<'_, '_>, data_dir: &Path) -> PkiConfig {
    let dir = resolve(
        data_dir,
        &path_key(cx, t, "dir").unwrap_or_else(|| "pki".into()),
    );
    let generate_lab = t.bool(cx, "generate_lab").unwrap_or(true);
    let mut file = |key: &str, default: &str| match path_key(cx, t, key) {
        Some(p) => resolve(data_dir, &p),
        None => dir.join(default),
    };
    PkiConfig {
        server_cert: file("server_cert", "server.crt"),
        server_key: file("server_key", "server.key"),
        admin_ca: file("admin_ca", "ca.crt"),
        dir,
        generate_lab,
    }
}

fn files(cx: &mut Ctx<'_>, t: &mut Table<'_, '_>, data_dir: &Path) -> FilesConfig {
    let listen = match t.take("listen") {
        // An empty list is allowed here: it turns the file server off.
        Some(n) => n.strings(cx, str::parse::<SocketAddr>).unwrap_or_default(),
        None => vec![SocketAddr::from(([127, 0, 0, 1], 8444))],
    };
    let mut path = |key: &str, default: &str| {
        resolve(
            data_dir,
            &path_key(cx, t, key).unwrap_or_else(|| default.into()),
        )
    };
    let (root, key) = (path("root", "files"), path("key", "files.key"));
    let grant_ttl = t
        .parse(cx, "grant_ttl", positive_duration)
        .unwrap_or(Duration::from_secs(3600));
    let public_url = t.parse(cx, "public_url", |s: &str| {
        match s.strip_prefix("https://") {
            Some(rest) if !rest.is_empty() && !rest.contains(['?', '#']) => {
                Ok(s.trim_end_matches('/').to_owned())
            }
            _ => Err("must be an https:// URL without query or fragment"),
        }
    });
    let (max_connections, request_timeout) = limits(cx, t, 256);
    FilesConfig {
        listen,
        root,
        key,
        grant_ttl,
        public_url,
        max_connections,
        request_timeout,
    }
}

fn relay(cx: &mut Ctx<'_>, t: &mut Table<'_, '_>) -> SmartInstallRelayConfig {
    let listen = t
        .take("listen")
        .and_then(|n| n.strings(cx, str::parse::<SocketAddr>))
        .unwrap_or_default();
    let max_connections = max_connections(cx, t, 256);
    let idle_timeout = t
        .parse(cx, "idle_timeout", positive_duration)
        .unwrap_or(Duration::from_secs(300));
    let max_message_bytes = t
        .take("max_message_bytes")
        .and_then(|n| {
            let value = n.integer(cx)?;
            let checked = usize::try_from(value)
                .ok()
                .and_then(|v| Limits::new(v).ok())
                .map(|l| l.max_message_bytes());
            if checked.is_none() {
                n.invalid(
                    cx,
                    format!("must be between 16 and {}", Limits::CEILING_MESSAGE_BYTES),
                );
            }
            checked
        })
        .unwrap_or(Limits::DEFAULT_MAX_MESSAGE_BYTES);
    let upstream = t
        .parse(cx, "upstream", |s: &str| match s {
            "original-destination" => Ok(RelayUpstream::OriginalDestination),
            _ => s
                .parse::<SocketAddr>()
                .map(RelayUpstream::Fixed)
                .map_err(|_| "must be \"original-destination\" or an \"addr:port\" socket address"),
        })
        .unwrap_or(RelayUpstream::OriginalDestination);
    SmartInstallRelayConfig {
        listen,
        max_connections,
        idle_timeout,
        max_message_bytes,
        upstream,
    }
}

/// `max_connections` of a listener: 1 to [`MAX_CONNECTIONS`], default `default_max`.
fn max_connections(cx: &mut Ctx<'_>, t: &mut Table<'_, '_>, default_max: usize) -> usize {
    t.take("max_connections")
        .and_then(|n| {
            let value = n.integer(cx)?;
            let checked = usize::try_from(value)
                .ok()
                .filter(|v| (1..=MAX_CONNECTIONS).contains(v));
            if checked.is_none() {
                n.invalid(cx, format!("must be between 1 and {MAX_CONNECTIONS}"));
            }
            checked
        })
        .unwrap_or(default_max)
}

/// `max_connections` (default `default_max`) and `request_timeout` (default 10 s) of a listener.
fn limits(cx: &mut Ctx<'_>, t: &mut Table<'_, '_>, default_max: usize) -> (usize, Duration) {
    let max_connections = max_connections(cx, t, default_max);
    let request_timeout = t
        .parse(cx, "request_timeout", positive_duration)
        .unwrap_or(Duration::from_secs(10));
    (max_connections, request_timeout)
}

/// `listen`: socket addresses; an empty list turns the listener off; absent: `default`.
fn listen_or_off(cx: &mut Ctx<'_>, t: &mut Table<'_, '_>, default: SocketAddr) -> Vec<SocketAddr> {
    match t.take("listen") {
        Some(n) => n.strings(cx, str::parse::<SocketAddr>).unwrap_or_default(),
        None => vec![default],
    }
}

/// Takes `key` as a non-empty path string (unresolved).
pub(super) fn path_key(cx: &mut Ctx<'_>, t: &mut Table<'_, '_>, key: &str) -> Option<PathBuf> {
    t.parse(cx, key, non_empty_path)
}

fn non_empty_host(s: &str) -> Result<String, &'static str> {
    let ok = !s.is_empty()
        && s.len() <= 253
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':'));
    if ok {
        Ok(s.to_owned())
    } else {
        Err("must be a host name or an IP address")
    }
}

fn non_empty_path(s: &str) -> Result<PathBuf, &'static str> {
    if s.is_empty() {
        Err("path must not be empty")
    } else {
        Ok(PathBuf::from(s))
    }
}

pub(super) fn positive_duration(s: &str) -> Result<Duration, String> {
    match parse_duration(s) {
        Ok(d) if d.is_zero() => Err("must be longer than zero".into()),
        Ok(d) => Ok(d),
        Err(e) => Err(e.to_string()),
    }
}

/// `gateway.data_dir` default, relative to the configuration file.
const DEFAULT_DATA_DIR: &str = "./var";
/// `gateway.policy` default, relative to the configuration file.
const DEFAULT_POLICY: &str = "policies/lab.toml";
/// Upper bound of every `max_connections`.
const MAX_CONNECTIONS: usize = 65_536;
