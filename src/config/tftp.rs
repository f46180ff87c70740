//! The `[tftp]` section of the gateway configuration: the director's TFTP server (off unless
//! `listen` is set), its read root, backup directory, limits and, until the director database
//! exists, the read assignments as an operator-edited `[[tftp.assign]]` list (client address →
//! file names under the root).
//!
//! Operator input, trusted but validated: relative directories resolve against the data directory;
//! assigned names must be safe relative paths (no `..`, no absolute paths); `timeout` is 1–255 s
//! (RFC 2349's range). Reference: `policies/README.md`.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::config::doc::{Ctx, Node, Table};
use crate::config::gateway::positive_duration;
use crate::config::resolve;
use crate::edge::tftp_server::access::safe_relative;

/// `[tftp]`: the TFTP server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TftpConfig {
    /// UDP addresses to listen on; empty (the default): no TFTP server.
    pub listen: Vec<SocketAddr>,
    /// Directory the assigned files are read from.
    pub root: PathBuf,
    /// Directory uploads (configuration backups) are stored in.
    pub backup_dir: PathBuf,
    /// Largest upload, in bytes.
    pub max_write_bytes: u64,
    /// Transfers running at once.
    pub max_transfers: usize,
    /// Retransmission timeout when the client does not negotiate one.
    pub timeout: Duration,
    /// Retransmissions before a transfer fails.
    pub retries: u32,
    /// Which client may read which files.
    pub assign: Vec<TftpAssignment>,
}

/// One `[[tftp.assign]]` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TftpAssignment {
    /// The client's source address.
    pub client: IpAddr,
    /// Names (relative to the root) it may read.
    pub files: Vec<String>,
}

/// Parses `[tftp]`; relative directories resolve against `data_dir`.
pub(super) fn parse(cx: &mut Ctx<'_>, t: &mut Table<'_, '_>, data_dir: &Path) -> TftpConfig {
    let listen = t
        .strings(cx, "listen", str::parse::<SocketAddr>)
        .unwrap_or_default();
    let mut dir = |cx: &mut Ctx<'_>, key: &str, default: &str| {
        let named = t
            .parse(cx, key, |s: &str| {
                if s.is_empty() {
                    Err("path must not be empty")
                } else {
                    Ok(PathBuf::from(s))
                }
            })
            .unwrap_or_else(|| default.into());
        resolve(data_dir, &named)
    };
    let root = dir(cx, "root", "tftp");
    let backup_dir = dir(cx, "backup_dir", "backups");
    let max_write_bytes = integer(cx, t.take("max_write_bytes"), 1, MAX_WRITE_BYTES)
        .unwrap_or(DEFAULT_MAX_WRITE_BYTES);
    let max_transfers = integer(cx, t.take("max_transfers"), 1, MAX_TRANSFERS)
        .and_then(|v| usize::try_from(v).ok())
        .unwrap_or(DEFAULT_MAX_TRANSFERS);
    let retries = integer(cx, t.take("retries"), 0, MAX_RETRIES)
        .and_then(|v| u32::try_from(v).ok())
        .unwrap_or(DEFAULT_RETRIES);
    let timeout = t.take("timeout").and_then(|n| {
        let d = n.parse(cx, positive_duration)?;
        if d < Duration::from_secs(1) || d > Duration::from_secs(255) || d.subsec_nanos() != 0 {
            n.invalid(cx, "must be whole seconds between 1s and 255s");
            return None;
        }
        Some(d)
    });
    let assign = t
        .tables(cx, "assign")
        .into_iter()
        .filter_map(|mut entry| {
            let a = assignment(cx, &mut entry);
            entry.finish(cx);
            a
        })
        .collect();
    TftpConfig {
        listen,
        root,
        backup_dir,
        max_write_bytes,
        max_transfers,
        timeout: timeout.unwrap_or(Duration::from_secs(1)),
        retries,
        assign,
    }
}

impl Default for TftpConfig {
    /// Off; directories `tftp` and `backups` (unresolved), 16 MiB uploads, 64 transfers, 1 s,
    /// 5 retries, no assignments.
    fn default() -> Self {
        Self {
            listen: Vec::new(),
            root: PathBuf::from("tftp"),
            backup_dir: PathBuf::from("backups"),
            max_write_bytes: DEFAULT_MAX_WRITE_BYTES,
            max_transfers: DEFAULT_MAX_TRANSFERS,
            timeout: Duration::from_secs(1),
            retries: DEFAULT_RETRIES,
            assign: Vec::new(),
        }
    }
}

fn assignment(cx: &mut Ctx<'_>, t: &mut Table<'_, '_>) -> Option<TftpAssignment> {
    let client = t.require(cx, "client")?.parse(cx, str::parse::<IpAddr>);
    let files = t.require(cx, "files")?.strings(cx, |s: &str| {
        safe_relative(s)
            .map(str::to_owned)
            .map_err(|problem| format!("not a safe relative file name ({problem})"))
    });
    Some(TftpAssignment {
        client: client?,
        files: files?,
    })
}

/// An integer in `min..=max`, reported when out of range or mistyped.
fn integer(cx: &mut Ctx<'_>, node: Option<Node<'_, '_>>, min: u64, max: u64) -> Option<u64> {
    let node = node?;
    let value = node.integer(cx)?;
    let checked = u64::try_from(value)
        .ok()
        .filter(|v| (min..=max).contains(v));
    if checked.is_none() {
        node.invalid(cx, format!("must be between {min} and {max}"));
    }
    checked
}

const DEFAULT_MAX_WRITE_BYTES: u64 = 16 << 20;
const MAX_WRITE_BYTES: u64 = 4 << 30;
const DEFAULT_MAX_TRANSFERS: usize = 64;
const MAX_TRANSFERS: u64 = 4_096;
const DEFAULT_RETRIES: u32 = 5;
const MAX_RETRIES: u64 = 100;

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::config::{ConfigErrors, GatewayConfig, from_toml};

    const POLICY: &str = "name = \"p\"\n";

    fn gateway(tftp: &str) -> Result<GatewayConfig, ConfigErrors> {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("policies")).unwrap();
        std::fs::write(dir.path().join("policies/p.toml"), POLICY).unwrap();
        let text =
            format!("[gateway]\ndata_dir = \"/srv/z\"\npolicy = \"policies/p.toml\"\n{tftp}");
        from_toml("gw.toml", &text, dir.path())
    }

    #[test]
    fn is_off_by_default_with_directories_under_the_data_dir() {
        let c = gateway("").unwrap().tftp;
        assert!(c.listen.is_empty());
        assert_eq!(c.root, Path::new("/srv/z/tftp"));
        assert_eq!(c.backup_dir, Path::new("/srv/z/backups"));
        assert_eq!(c.max_write_bytes, 16 << 20);
        assert_eq!(c.timeout, Duration::from_secs(1));
        assert!(c.assign.is_empty());
    }

    #[test]
    fn parses_listeners_limits_and_assignments() {
        let c = gateway(
            "[tftp]\nlisten = [\"0.0.0.0:69\"]\nroot = \"/srv/tftp\"\nbackup_dir = \"bk\"\n\
             max_write_bytes = 1000\nmax_transfers = 3\ntimeout = \"3s\"\nretries = 2\n\
             [[tftp.assign]]\nclient = \"10.0.0.5\"\nfiles = [\"images/c2960.bin\", \"sw1.cfg\"]\n",
        )
        .unwrap()
        .tftp;
        assert_eq!(c.listen, vec!["0.0.0.0:69".parse().unwrap()]);
        assert_eq!(c.root, Path::new("/srv/tftp"));
        assert_eq!(c.backup_dir, Path::new("/srv/z/bk"));
        assert_eq!(
            (c.max_write_bytes, c.max_transfers, c.retries),
            (1000, 3, 2)
        );
        assert_eq!(c.timeout, Duration::from_secs(3));
        assert_eq!(
            c.assign,
            vec![TftpAssignment {
                client: "10.0.0.5".parse().unwrap(),
                files: vec!["images/c2960.bin".into(), "sw1.cfg".into()],
            }]
        );
    }

    #[test]
    fn reports_unsafe_names_bad_ranges_and_unknown_keys() {
        let err = gateway(
            "[tftp]\nmax_transfers = 0\ntimeout = \"300s\"\nport = 69\n\
             [[tftp.assign]]\nclient = \"nope\"\nfiles = [\"../etc/passwd\", \"/abs\"]\n",
        )
        .unwrap_err()
        .to_string();
        for needle in [
            "tftp.max_transfers",
            "tftp.timeout",
            "tftp.port",
            "tftp.assign[0].client",
            "tftp.assign[0].files[0]",
            "tftp.assign[0].files[1]",
        ] {
            assert!(err.contains(needle), "{needle} missing in:\n{err}");
        }
    }
}
