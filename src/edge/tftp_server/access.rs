//! Who may read and write what over TFTP. Reads go through an [`Authorizer`] the caller supplies
//! (the Smart Install director will plug its database in here); the default is an
//! [`AssignmentTable`]: client address → the file names it may read, resolved under one root
//! directory. Writes go only into the backup directory, under a sanitized name
//! ([`backup_name`]).
//!
//! Inputs: the client's source address and the requested name, both attacker-controlled. A read
//! name is refused when it is empty, absolute, contains `\`, NUL, an empty, `.` or `..`
//! component, is not assigned to the client, or resolves (through symlinks) outside the root.

use std::collections::{BTreeSet, HashMap};
use std::net::IpAddr;
use std::path::{Path, PathBuf};

/// Decides which file a client may read (and whether it may upload a backup).
pub trait Authorizer: Send + Sync + 'static {
    /// The file to serve for `filename` requested by `client`, or why not.
    fn authorize_read(&self, client: IpAddr, filename: &str) -> Result<PathBuf, Refusal>;

    /// Whether `client` may upload a backup named `filename` (the name is sanitized later).
    fn authorize_write(&self, client: IpAddr, filename: &str) -> Result<(), Refusal>;

    /// A granted transfer started or ended, or a request was refused (called after its audit
    /// record, if any). Nothing by default.
    fn transfer_event(&self, _event: TransferEvent) {}
}

/// A transfer's progress, as [`Authorizer::transfer_event`] hears it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransferEvent {
    /// The client's address.
    pub client: IpAddr,
    /// The name it asked for.
    pub filename: String,
    /// Upload (`true`) or download.
    pub write: bool,
    /// Where it stands.
    pub phase: TransferPhase,
}

/// Where a transfer stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TransferPhase {
    /// Granted; the first packet is out.
    Started,
    /// Done: bytes moved, and where an upload was stored.
    Completed {
        /// Bytes transferred.
        bytes: u64,
        /// The stored upload.
        stored: Option<PathBuf>,
    },
    /// Failed, with why.
    Failed {
        /// The reason.
        reason: String,
    },
    /// Refused before any data moved: by the authorizer, by the size or mode checks, or
    /// because every transfer slot was taken ([`Refusal::Busy`], decided before the
    /// authorizer is asked). Reported for every refused request, audited or throttled.
    Refused(Refusal),
}

/// Why a request is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The name is not a safe relative path.
    #[error("unsafe file name: {0}")]
    UnsafeName(NameProblem),
    /// The client has no assignment for this name (or no assignments at all).
    #[error("file not assigned to this client")]
    NotAssigned,
    /// The name resolves outside the root (a symlink pointing out).
    #[error("file resolves outside the root directory")]
    OutsideRoot,
    /// The assigned file does not exist or is not a regular file.
    #[error("assigned file not found")]
    NotFound,
    /// Uploads are not configured.
    #[error("uploads are disabled")]
    WritesDisabled,
    /// Too many transfers are running.
    #[error("too many concurrent transfers")]
    Busy,
    /// The request's options asked for more than allowed (an announced size above the cap).
    #[error("upload exceeds the size limit")]
    TooLarge,
    /// A request in netascii or mail mode (only octet is served).
    #[error("only octet mode is supported")]
    Mode,
}

/// What is wrong with a requested name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NameProblem {
    /// Empty name.
    #[error("empty")]
    Empty,
    /// Starts with `/`.
    #[error("absolute path")]
    Absolute,
    /// Contains `\` or NUL.
    #[error("forbidden character")]
    ForbiddenChar,
    /// Has an empty, `.` or `..` component.
    #[error("empty, `.` or `..` component")]
    BadComponent,
}

/// The default [`Authorizer`]: per-client assignment lists over one root directory.
#[derive(Clone, Debug, Default)]
pub struct AssignmentTable {
    root: PathBuf,
    files: HashMap<IpAddr, BTreeSet<String>>,
}

impl AssignmentTable {
    /// An empty table over `root` (every read refused until files are assigned).
    pub fn new(root: &Path) -> Self {
        Self {
            root: root.to_path_buf(),
            files: HashMap::new(),
        }
    }

    /// Lets `client` read `name` (a relative path under the root); refuses unsafe names.
    pub fn assign(&mut self, client: IpAddr, name: &str) -> Result<(), NameProblem> {
        let name = safe_relative(name)?;
        self.files
            .entry(client)
            .or_default()
            .insert(name.to_owned());
        Ok(())
    }
}

impl Authorizer for AssignmentTable {
    fn authorize_read(&self, client: IpAddr, filename: &str) -> Result<PathBuf, Refusal> {
        let name = safe_relative(filename).map_err(Refusal::UnsafeName)?;
        let assigned = self
            .files
            .get(&client)
            .is_some_and(|set| set.contains(name));
        if !assigned {
            return Err(Refusal::NotAssigned);
        }
        resolve_under(&self.root, name)
    }

    fn authorize_write(&self, client: IpAddr, _filename: &str) -> Result<(), Refusal> {
        // Only clients the operator knows (with at least one assignment) may upload backups.
        if self.files.contains_key(&client) {
            Ok(())
        } else {
            Err(Refusal::NotAssigned)
        }
    }
}

/// Checks that `name` is a safe relative path and returns it.
pub fn safe_relative(name: &str) -> Result<&str, NameProblem> {
    if name.is_empty() {
        return Err(NameProblem::Empty);
    }
    if name.starts_with('/') {
        return Err(NameProblem::Absolute);
    }
    if name.contains(['\\', '\0']) {
        return Err(NameProblem::ForbiddenChar);
    }
    if name
        .split('/')
        .any(|c| c.is_empty() || c == "." || c == "..")
    {
        return Err(NameProblem::BadComponent);
    }
    Ok(name)
}

/// `root/name`, canonicalized, if it is a regular file still under the canonical root.
pub fn resolve_under(root: &Path, name: &str) -> Result<PathBuf, Refusal> {
    let root = root.canonicalize().map_err(|_| Refusal::NotFound)?;
    let path = root
        .join(name)
        .canonicalize()
        .map_err(|_| Refusal::NotFound)?;
    if !path.starts_with(&root) {
        return Err(Refusal::OutsideRoot);
    }
    match path.metadata() {
        Ok(m) if m.is_file() => Ok(path),
        _ => Err(Refusal::NotFound),
    }
}

/// The backup file name for an upload of `filename` by `client`: the client address, `_`, then
/// the name with every byte outside `[A-Za-z0-9._-]` replaced by `_`, leading dots removed, at
/// most [`MAX_BACKUP_NAME_BYTES`]. `None` when nothing usable is left.
pub fn backup_name(client: IpAddr, filename: &str) -> Option<String> {
    let cleaned: String = filename
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let cleaned = cleaned.trim_start_matches('.');
    if cleaned.is_empty() || cleaned.bytes().all(|b| b == b'_') {
        return None;
    }
    let client = client.to_string().replace(':', "-");
    let mut name = format!("{client}_{cleaned}");
    name.truncate(MAX_BACKUP_NAME_BYTES);
    Some(name)
}

/// Longest backup file name.
pub const MAX_BACKUP_NAME_BYTES: usize = 200;

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use super::*;

    const A: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
    const B: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2));

    fn table() -> (tempfile::TempDir, AssignmentTable) {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        std::fs::create_dir_all(root.join("images")).unwrap();
        std::fs::write(root.join("images/a.bin"), b"a").unwrap();
        std::fs::write(root.join("b.cfg"), b"b").unwrap();
        std::fs::write(dir.path().join("secret"), b"s").unwrap();
        std::os::unix::fs::symlink(dir.path().join("secret"), root.join("link")).unwrap();
        let mut t = AssignmentTable::new(&root);
        t.assign(A, "images/a.bin").unwrap();
        t.assign(A, "link").unwrap();
        t.assign(A, "missing").unwrap();
        t.assign(B, "b.cfg").unwrap();
        (dir, t)
    }

    #[test]
    fn grants_an_assigned_file() {
        let (_d, t) = table();
        let path = t.authorize_read(A, "images/a.bin").unwrap();
        assert_eq!(std::fs::read(path).unwrap(), b"a");
    }

    #[test]
    fn refuses_another_clients_file() {
        let (_d, t) = table();
        assert_eq!(t.authorize_read(A, "b.cfg"), Err(Refusal::NotAssigned));
        assert_eq!(
            t.authorize_read(IpAddr::V4(Ipv4Addr::LOCALHOST), "b.cfg"),
            Err(Refusal::NotAssigned)
        );
    }

    #[test]
    fn refuses_unsafe_names() {
        let (_d, t) = table();
        for (name, problem) in [
            ("", NameProblem::Empty),
            ("/etc/passwd", NameProblem::Absolute),
            ("../secret", NameProblem::BadComponent),
            ("images/../b.cfg", NameProblem::BadComponent),
            ("./b.cfg", NameProblem::BadComponent),
            ("images//a.bin", NameProblem::BadComponent),
            ("images\\a.bin", NameProblem::ForbiddenChar),
            ("a\0b", NameProblem::ForbiddenChar),
        ] {
            assert_eq!(
                t.authorize_read(A, name),
                Err(Refusal::UnsafeName(problem)),
                "{name:?}"
            );
        }
    }

    #[test]
    fn refuses_a_symlink_out_of_the_root_and_a_missing_file() {
        let (_d, t) = table();
        assert_eq!(t.authorize_read(A, "link"), Err(Refusal::OutsideRoot));
        assert_eq!(t.authorize_read(A, "missing"), Err(Refusal::NotFound));
    }

    #[test]
    fn refuses_unsafe_assignments() {
        let mut t = AssignmentTable::new(Path::new("."));
        assert_eq!(t.assign(A, "../x"), Err(NameProblem::BadComponent));
    }

    #[test]
    fn only_known_clients_may_upload() {
        let (_d, t) = table();
        assert_eq!(t.authorize_write(A, "x"), Ok(()));
        assert_eq!(
            t.authorize_write(IpAddr::V4(Ipv4Addr::LOCALHOST), "x"),
            Err(Refusal::NotAssigned)
        );
    }

    #[test]
    fn sanitizes_backup_names() {
        assert_eq!(
            backup_name(A, "../../etc/passwd").as_deref(),
            Some("10.0.0.1__.._etc_passwd")
        );
        assert_eq!(
            backup_name(A, "flash:config.text").as_deref(),
            Some("10.0.0.1_flash_config.text")
        );
        assert_eq!(backup_name(A, "..."), None);
        assert_eq!(backup_name(A, "//"), None);
        let v6 = "::1".parse().unwrap();
        assert_eq!(backup_name(v6, "a").as_deref(), Some("--1_a"));
        assert!(backup_name(A, &"x".repeat(300)).unwrap().len() <= MAX_BACKUP_NAME_BYTES);
    }
}
