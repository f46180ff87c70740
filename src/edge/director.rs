//! The Smart Install director at run time: the pure director database
//! (`crate::roles::director::Database`) fed by what the network shows and answering the services
//! that provision clients.
//!
//! - **DHCP** ([`dhcp`]): the join window decides whether a client gets Smart Install options;
//!   the database's plan decides which (its generated image list, its configuration); a granted
//!   lease records the client.
//! - **TFTP** ([`tftp`]): a client reads only the files of its plan (image list, images,
//!   configuration, or the backup it inherits as a replacement); its transfers move its download
//!   status; uploads are accepted only as backups the director asked for, then rotated into
//!   `<hostname>-<mac>.REV2` / `.REV1` with an MD5 checksum.
//! - **CDP** frames captured on the configured interfaces describe clients (PID, version, the
//!   port they hang off) and reveal zero-touch replacements.
//! - **Probes** ([`ops`]) every `probe_interval` keep the health column; **backups** run at
//!   start, on schedule and on demand; **on-demand updates** push image and/or configuration.
//!
//! Every change is written through to the store before the director acts on it again, so a
//! restart loses nothing; file-read permissions are kept in a snapshot the synchronous TFTP
//! authorizer reads. Lock order: the database, then the store (never the reverse).
//!
//! Inputs: client-controlled values (DHCP, CDP, TFTP names, probe answers) are bounded by the
//! pure layers before they reach the database; operator input arrives through the admin API.

pub mod dhcp;
pub mod ops;
pub mod tftp;
pub mod wire;

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use tokio::sync::{Mutex, mpsc, watch};

use crate::audit::{AuditEntry, AuditLog, EntryKind};
use crate::config::si_director::DirectorConfig;
use crate::edge::cdp_listener::NeighborRecord;
use crate::edge::tftp_server::{AssignmentTable, TransferEvent};
use crate::policy::director::DirectorPolicy;
use crate::policy::join::{JoinState, JoinWindowPolicy, Mac};
use crate::roles::dhcp_server::SmartInstallOptions;
use crate::roles::director::{Changes, Client, Database, Repository};
use crate::store::director::DirectorStore;
use crate::store::{SqliteStore, StoreError};

/// What the director needs to run.
#[derive(Clone, Debug)]
pub struct Settings {
    /// `[smart_install_director]`.
    pub config: DirectorConfig,
    /// The `[director]` policy: who gets which files.
    pub policy: DirectorPolicy,
    /// The join-window policy.
    pub join: JoinWindowPolicy,
    /// The Smart Install options every admitted client gets (TFTP server, director address);
    /// the plan adds its image list and configuration.
    pub smart_install: SmartInstallOptions,
    /// PnP option 43 for `ciscopnp` clients.
    pub pnp_option43: Option<String>,
    /// Where clients reach ztpgate's TFTP server.
    pub tftp: SocketAddr,
    /// TFTP root (images, seed configurations).
    pub root: PathBuf,
    /// Backup repository (the TFTP server's upload directory).
    pub backup_dir: PathBuf,
    /// Where generated image lists are written.
    pub lists_dir: PathBuf,
    /// The operator's static `[[tftp.assign]]` reads, honoured besides the plans.
    pub static_reads: AssignmentTable,
}

/// Why the director could not start.
#[derive(Debug, thiserror::Error)]
pub enum DirectorError {
    /// The stored database could not be read.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A directory could not be created.
    #[error(transparent)]
    Dir(#[from] crate::pki::PkiError),
}

/// Something the network reported, handled by [`Director::run`].
#[derive(Debug)]
pub enum Input {
    /// A TFTP transfer started or ended.
    Transfer(TransferEvent),
    /// A CDP advertisement.
    Cdp(Box<NeighborRecord>),
}

/// Files each client address may read, as the TFTP authorizer sees them.
#[derive(Debug, Default)]
struct Grants {
    by_ip: HashMap<IpAddr, ([u8; 6], HashMap<String, Repository>)>,
    ip_of: HashMap<[u8; 6], IpAddr>,
}

/// A backup the director asked a client for.
#[derive(Clone, Debug)]
struct PendingBackup {
    mac: [u8; 6],
    filename: String,
    asked: std::time::Instant,
}

/// Most join decisions remembered between a DHCP decision and the grant that follows it.
const MAX_REMEMBERED_DECISIONS: usize = 4096;

/// The running director.
pub struct Director {
    settings: Settings,
    db: Mutex<Database>,
    grants: RwLock<Grants>,
    backups: RwLock<HashMap<IpAddr, PendingBackup>>,
    decided: Mutex<HashMap<Mac, JoinState>>,
    probing: std::sync::atomic::AtomicBool,
    inputs: mpsc::UnboundedSender<Input>,
    store: Arc<Mutex<SqliteStore>>,
    audit: Arc<Mutex<AuditLog>>,
}

impl Director {
    /// Loads the stored database and prepares the directories; the receiver goes to
    /// [`Director::run`].
    pub async fn start(
        settings: Settings,
        store: Arc<Mutex<SqliteStore>>,
        audit: Arc<Mutex<AuditLog>>,
    ) -> Result<(Arc<Self>, mpsc::UnboundedReceiver<Input>), DirectorError> {
        for dir in [&settings.lists_dir, &settings.backup_dir, &settings.root] {
            crate::pki::files::create_private_dir(dir)?;
        }
        let clients = store.lock().await.director_clients()?;
        let (inputs, rx) = mpsc::unbounded_channel();
        let director = Arc::new(Self {
            settings,
            db: Mutex::new(Database::new(clients)),
            grants: RwLock::new(Grants::default()),
            backups: RwLock::new(HashMap::new()),
            decided: Mutex::new(HashMap::new()),
            probing: std::sync::atomic::AtomicBool::new(false),
            inputs,
            store,
            audit,
        });
        {
            let db = director.db.lock().await;
            let all: Vec<[u8; 6]> = db.clients().iter().map(|c| c.mac).collect();
            director.refresh_grants(&db, &all);
        }
        Ok((director, rx))
    }

    /// Where network reports go (the CDP listeners' and the TFTP server's callbacks).
    pub fn inputs(&self) -> mpsc::UnboundedSender<Input> {
        self.inputs.clone()
    }

    /// Every client, by index.
    pub async fn clients(&self) -> Vec<Client> {
        self.db
            .lock()
            .await
            .clients()
            .into_iter()
            .cloned()
            .collect()
    }

    /// Handles network reports, probes and scheduled backups until `stop` turns true.
    pub async fn run(
        self: Arc<Self>,
        mut rx: mpsc::UnboundedReceiver<Input>,
        mut stop: watch::Receiver<bool>,
    ) {
        let config = &self.settings.config;
        let mut probes = tokio::time::interval(config.probe_interval);
        probes.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let backup_every = config
            .backup_interval
            .unwrap_or(std::time::Duration::MAX / 4);
        let first_backup = if config.backup_on_start {
            // After the first probe round has found who answers.
            config.probe_timeout.saturating_mul(2)
        } else {
            backup_every
        };
        let mut backups =
            tokio::time::interval_at(tokio::time::Instant::now() + first_backup, backup_every);
        loop {
            tokio::select! {
                input = rx.recv() => match input {
                    Some(Input::Transfer(event)) => self.on_transfer(event).await,
                    Some(Input::Cdp(record)) => self.on_cdp(&record).await,
                    None => break,
                },
                _ = probes.tick() => {
                    // Off the input loop: a round waits for unreachable clients' timeouts, and
                    // CDP frames must not queue behind it. One round at a time.
                    if !self.probing.swap(true, std::sync::atomic::Ordering::AcqRel) {
                        let this = Arc::clone(&self);
                        tokio::spawn(async move {
                            this.probe_all().await;
                            this.probing.store(false, std::sync::atomic::Ordering::Release);
                        });
                    }
                }
                _ = backups.tick(), if config.backup => {
                    let this = Arc::clone(&self);
                    tokio::spawn(async move {
                        this.backup(&crate::roles::director::Selector::All, "schedule").await;
                    });
                }
                _ = stop.changed() => break,
            }
        }
    }

    /// Writes `changes` of `db` to the store (removals first: a replacement takes the removed
    /// client's index) and refreshes their read permissions.
    async fn persist(&self, db: &Database, changes: &Changes) {
        let saved: Vec<Client> = changes
            .saved
            .iter()
            .filter_map(|mac| db.get(mac).cloned())
            .collect();
        let mut store = self.store.lock().await;
        for removed in &changes.removed {
            if let Err(err) = store.remove_director_client(&removed.mac) {
                tracing::error!(%err, "director: cannot remove a client record");
            }
        }
        if let Err(err) = store.save_director_clients(&saved) {
            tracing::error!(%err, "director: cannot store client records");
        }
        drop(store);
        let mut macs = changes.saved.clone();
        macs.extend(changes.removed.iter().map(|c| c.mac));
        self.refresh_grants(db, &macs);
    }

    /// Recomputes the readable files of `macs` and writes their image lists.
    fn refresh_grants(&self, db: &Database, macs: &[[u8; 6]]) {
        // The files are written before the grants change (a client may read them as soon as it
        // is granted) and outside the grants lock (the TFTP server reads it).
        let mut updates = Vec::new();
        for mac in macs {
            let Some(ip) = db.get(mac).and_then(|c| c.ip) else {
                updates.push((*mac, None));
                continue;
            };
            if let Some(plan) = db.plan(mac, &self.settings.policy) {
                if let Some(name) = &plan.image_list_file {
                    self.write_image_list(name, &plan.image_list);
                }
                if let (Some(seed), Some(name)) = (&plan.seed_config, &plan.assignment.config) {
                    self.write_hardened(seed, name, ip);
                }
            }
            let files: HashMap<String, Repository> = db
                .readable_by(mac, &self.settings.policy)
                .into_iter()
                .collect();
            updates.push((*mac, Some((ip, files))));
        }
        let Ok(mut grants) = self.grants.write() else {
            return;
        };
        for (mac, update) in updates {
            if let Some(ip) = grants.ip_of.remove(&mac) {
                grants.by_ip.remove(&ip);
            }
            let Some((ip, files)) = update else {
                continue;
            };
            // Another client that held this address loses it.
            if let Some((other, _)) = grants.by_ip.insert(ip, (mac, files))
                && other != mac
            {
                grants.ip_of.remove(&other);
            }
            grants.ip_of.insert(mac, ip);
        }
    }

    /// Writes an image list once: its name is derived from its content, so an existing file is
    /// current.
    fn write_image_list(&self, name: &str, content: &str) {
        if !self.settings.lists_dir.join(name).exists() {
            self.write_generated(name, content.as_bytes());
        }
    }

    /// Writes a generated file (image list, hardened configuration) unless it is current.
    fn write_generated(&self, name: &str, content: &[u8]) {
        let path = self.settings.lists_dir.join(name);
        if std::fs::read(&path).is_ok_and(|old| old == content) {
            return;
        }
        if let Err(err) = crate::pki::files::write_atomic(&path, content, 0o644) {
            tracing::error!(%err, "director: cannot write a generated file");
        }
    }

    /// Renders `seed` (under the root) hardened for the client at `ip` as `name`.
    fn write_hardened(&self, seed: &str, name: &str, ip: IpAddr) {
        let Ok(path) = crate::edge::tftp_server::access::resolve_under(&self.settings.root, seed)
        else {
            tracing::warn!(
                seed,
                "director: seed configuration not found; nothing to harden"
            );
            return;
        };
        let Ok(text) = std::fs::read_to_string(&path) else {
            tracing::warn!(seed, "director: seed configuration unreadable");
            return;
        };
        let director = self
            .settings
            .smart_install
            .director
            .map_or_else(|| self.settings.tftp.ip(), IpAddr::V4);
        let harden = self.settings.policy.harden;
        let hardened = crate::policy::director::harden_config(&text, harden, director, Some(ip));
        self.write_generated(name, hardened.as_bytes());
    }

    /// The directory of a repository.
    fn dir(&self, repo: Repository) -> &std::path::Path {
        match repo {
            Repository::Root => &self.settings.root,
            Repository::Generated => &self.settings.lists_dir,
            Repository::Backups => &self.settings.backup_dir,
        }
    }

    /// A TFTP URL on ztpgate's server for `file`.
    fn url(&self, file: &str) -> String {
        wire::tftp_url(self.settings.tftp, file)
    }

    /// Appends a director record (area `director`).
    async fn record(&self, verdict: &str, actor: String, detail: serde_json::Value) {
        let entry = AuditEntry {
            kind: EntryKind::Decision,
            area: "director".into(),
            verdict: verdict.into(),
            rule: String::new(),
            mode: "enforce".into(),
            actor,
            detail,
        };
        let now = crate::clock::now_utc();
        if let Err(err) = self.audit.lock().await.append(entry, now) {
            tracing::error!(%err, "director: cannot write the audit log");
        }
    }
}

/// `client <mac>` for audit records.
fn actor(mac: &[u8; 6]) -> String {
    format!("client {}", Mac(*mac))
}

/// The IPv4 address of a client, if it has one.
fn ipv4(client: &Client) -> Option<Ipv4Addr> {
    match client.ip? {
        IpAddr::V4(v4) => Some(v4),
        IpAddr::V6(_) => None,
    }
}

#[cfg(test)]
mod tests;
