//! The SMI PnP proxy at run time (`../shared/reference/smi-proxy.txt`): toward legacy Smart
//! Install clients ztpgate behaves as their director, toward a PnP server as a PnP agent on each
//! client's behalf.
//!
//! - **DHCP** ([`dhcp`]): every client gets the tailored configuration `client_cfg_pnp.txt` as
//!   its zero-touch configuration (no join window in proxy mode, as the reference says); a
//!   granted lease records the client (MAC, address, hostname) in the proxy database.
//! - **TFTP** ([`tftp`]): the tailored configuration is readable from the client networks only
//!   (it carries the reverse-telnet credentials); everything else a client may read is what the
//!   proxy staged for that very client (a configuration, an image list, an image). No uploads.
//! - **Reverse telnet** (`crate::edge::reverse_telnet`): the client applies the tailored
//!   configuration, telnets back, and its `show version` gives the UDI; the proxy database binds
//!   MAC ↔ UDI and the client's PnP conversation starts.
//! - **Agents** ([`agent`]): one PnP conversation per client with the upstream server, over
//!   HTTPS with the proxy's client certificate; requests are translated into Smart Install
//!   operations ([`execute`]).
//! - **Probes** keep the health column; the database is written through to the store on every
//!   change and restored at start (entries are never removed).
//!
//! Inputs: client-controlled values (DHCP, TFTP names, telnet output) are bounded by the pure
//! layers; server requests are parsed by the bounded `proto::pnp` parser and every URL passes the
//! image-delivery policy.

pub mod agent;
pub mod dhcp;
pub mod execute;
mod push;
pub mod tftp;

use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use tokio::sync::{Mutex, mpsc, watch};

use crate::audit::AuditLog;
use crate::config::si_proxy::ProxyGatewayConfig;
use crate::edge::client::{HttpClient, ServerUrl};
use crate::edge::reverse_telnet::Learned;
use crate::edge::tftp_server::AssignmentTable;
use crate::policy::delivery::ImageDeliveryPolicy;
use crate::policy::net::AddrSet;
use crate::policy::smi_proxy::ProxySettings;
use crate::roles::dhcp_server::SmartInstallOptions;
use crate::roles::director::Health;
use crate::roles::director::views::cisco_mac;
use crate::roles::smi_proxy::proxy_db::{EntryState, ProxyDb, ProxyEntry};
use crate::roles::smi_proxy::respond::Neighbor;
use crate::store::proxy::ProxyStore;
use crate::store::{SqliteStore, StoreError};

/// What the proxy needs to run.
#[derive(Clone, Debug)]
pub struct Settings {
    /// `[smart_install.proxy]` of the policy.
    pub policy: ProxySettings,
    /// `[smart_install_proxy]` of the gateway.
    pub gateway: ProxyGatewayConfig,
    /// The tailored configuration (rendered once at start).
    pub tailored: String,
    /// Peers allowed to read the tailored configuration (the policy's client networks).
    pub client_networks: AddrSet,
    /// Where clients reach ztpgate's TFTP server.
    pub tftp: SocketAddr,
    /// Where staged files and the tailored configuration live.
    pub files_dir: PathBuf,
    /// The upstream PnP server.
    pub upstream: ServerUrl,
    /// The HTTPS client toward it (the proxy's certificate, the server's CA).
    pub client: HttpClient,
    /// The image-delivery policy (upstream URLs, the legacy-TFTP exception toward clients).
    pub delivery: ImageDeliveryPolicy,
    /// The Smart Install DHCP options every client gets, the configuration file added.
    pub smart_install: SmartInstallOptions,
    /// PnP option 43 for `ciscopnp` clients.
    pub pnp_option43: Option<String>,
    /// The operator's static `[[tftp.assign]]` reads.
    pub static_reads: AssignmentTable,
    /// The TFTP server's transfer slots (`[tftp] max_transfers`): pushes waiting at once.
    pub transfer_slots: usize,
}

/// Why the proxy could not start.
#[derive(Debug, thiserror::Error)]
pub enum ProxyError {
    /// The stored database could not be read.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A directory or the tailored configuration could not be written.
    #[error(transparent)]
    Dir(#[from] crate::pki::PkiError),
}

/// The running proxy.
pub struct SmiProxy {
    settings: Settings,
    db: Mutex<ProxyDb>,
    /// Client address → MAC (from DHCP grants and learned sessions), for TFTP and telnet peers.
    by_ip: RwLock<HashMap<IpAddr, [u8; 6]>>,
    /// TFTP names (under `files_dir`) staged per client address.
    staged: RwLock<HashMap<IpAddr, HashSet<String>>>,
    /// The push waiting on each client's TFTP transfers.
    waiting: RwLock<HashMap<IpAddr, push::Waiter>>,
    /// Pushes waiting at once (the TFTP server's transfer slots).
    push_slots: tokio::sync::Semaphore,
    /// Clients whose conversation runs.
    agents: Mutex<HashSet<[u8; 6]>>,
    /// CDP neighbors by client MAC.
    neighbors: RwLock<HashMap<[u8; 6], Vec<Neighbor>>>,
    /// A probe round runs (rounds never overlap).
    probing: std::sync::atomic::AtomicBool,
    store: Arc<Mutex<SqliteStore>>,
    audit: Arc<Mutex<AuditLog>>,
    stop: watch::Receiver<bool>,
}

impl SmiProxy {
    /// Loads the stored database, writes the tailored configuration and prepares the
    /// directories.
    pub async fn start(
        settings: Settings,
        store: Arc<Mutex<SqliteStore>>,
        audit: Arc<Mutex<AuditLog>>,
        stop: watch::Receiver<bool>,
    ) -> Result<Arc<Self>, ProxyError> {
        crate::pki::files::create_private_dir(&settings.files_dir)?;
        let path = settings
            .files_dir
            .join(crate::roles::smi_proxy::tailored::FILE_NAME);
        crate::pki::files::write_atomic(&path, settings.tailored.as_bytes(), 0o600)?;
        let entries = store.lock().await.proxy_clients()?;
        let by_ip = entries
            .iter()
            .filter_map(|e| Some((e.ip?, e.mac)))
            .collect();
        let push_slots = tokio::sync::Semaphore::new(settings.transfer_slots.max(1));
        Ok(Arc::new(Self {
            settings,
            db: Mutex::new(ProxyDb::new(entries)),
            by_ip: RwLock::new(by_ip),
            staged: RwLock::new(HashMap::new()),
            waiting: RwLock::new(HashMap::new()),
            push_slots,
            agents: Mutex::new(HashSet::new()),
            neighbors: RwLock::new(HashMap::new()),
            probing: std::sync::atomic::AtomicBool::new(false),
            store,
            audit,
            stop,
        }))
    }

    /// Every entry of the proxy database.
    pub async fn entries(&self) -> Vec<ProxyEntry> {
        self.db.lock().await.entries().cloned().collect()
    }

    /// Starts the conversation of every stored client with a UDI (after a restart), then
    /// handles learned sessions and probes until `stop`.
    pub async fn run(
        self: Arc<Self>,
        mut learned: mpsc::UnboundedReceiver<Learned>,
        mut stop: watch::Receiver<bool>,
    ) {
        let known: Vec<[u8; 6]> = {
            let db = self.db.lock().await;
            db.entries()
                .filter(|e| e.udi.is_some())
                .map(|e| e.mac)
                .collect()
        };
        for mac in known {
            self.spawn_agent(mac).await;
        }
        // The first round after one interval: clients restored from the store get time to
        // come back before they are judged.
        let every = self.settings.gateway.probe_interval;
        let mut probes = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        probes.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                l = learned.recv() => match l {
                    Some(l) => self.on_learned(l).await,
                    None => break,
                },
                _ = probes.tick() => {
                    let this = Arc::clone(&self);
                    tokio::spawn(async move { this.probe_all().await });
                }
                _ = stop.changed() => break,
            }
        }
    }

    /// A client's `show version` arrived over reverse telnet: bind its UDI and start its
    /// conversation.
    async fn on_learned(self: &Arc<Self>, learned: Learned) {
        let ip = learned.peer.ip();
        let known = self.by_ip.read().ok().and_then(|m| m.get(&ip).copied());
        let Some(mac) = known.or(learned.show_version.base_mac) else {
            let detail = serde_json::json!({
                "peer": ip.to_string(),
                "reason": "no DHCP lease and no base MAC in show version: the client cannot be keyed",
            });
            self.record("fail", "learn", &ip.to_string(), detail).await;
            return;
        };
        let sv = &learned.show_version;
        let now = crate::clock::now_utc();
        let result = {
            let mut db = self.db.lock().await;
            let bound = db.learn_udi(mac, sv.udi(), now).map(|_| ());
            let bound = bound.and_then(|()| {
                db.set_address(mac, Some(ip), sv.hostname.as_deref(), now)?;
                db.set_software(&mac, sv.version.as_deref(), sv.image.as_deref())?;
                Ok(())
            });
            match bound {
                Ok(()) => {
                    self.persist(&db, &[mac]).await;
                    Ok(())
                }
                Err(e) => Err(e),
            }
        };
        if let Err(err) = result {
            let detail = serde_json::json!({ "mac": cisco_mac(&mac), "reason": err.to_string() });
            self.record("fail", "learn", &ip.to_string(), detail).await;
            return;
        }
        if let Ok(mut m) = self.by_ip.write() {
            m.insert(ip, mac);
        }
        self.spawn_agent(mac).await;
    }

    /// Starts the conversation of `mac` unless it runs.
    async fn spawn_agent(self: &Arc<Self>, mac: [u8; 6]) {
        if !self.agents.lock().await.insert(mac) {
            return;
        }
        let this = Arc::clone(self);
        tokio::spawn(async move {
            this.clone().converse(mac).await;
            this.agents.lock().await.remove(&mac);
        });
    }

    /// Probes every client with an address; the health column follows. A round still running
    /// (unreachable clients wait for their timeouts) makes the next tick a no-op.
    async fn probe_all(&self) {
        use std::sync::atomic::Ordering;
        if self.probing.swap(true, Ordering::AcqRel) {
            return;
        }
        self.probe_round().await;
        self.probing.store(false, Ordering::Release);
    }

    async fn probe_round(&self) {
        let targets: Vec<([u8; 6], IpAddr)> = {
            let db = self.db.lock().await;
            db.entries().filter_map(|e| Some((e.mac, e.ip?))).collect()
        };
        let gateway = &self.settings.gateway;
        let results = crate::edge::director::wire::probe_many(
            targets,
            gateway.client_port,
            gateway.probe_timeout,
        )
        .await;
        let mut db = self.db.lock().await;
        let mut changed = Vec::new();
        for (mac, answered) in results {
            let health = if answered {
                Health::Active
            } else {
                Health::Inactive
            };
            if db.get(&mac).is_some_and(|e| e.health != health)
                && db.set_health(&mac, health).is_ok()
            {
                changed.push(mac);
            }
        }
        self.persist(&db, &changed).await;
    }

    /// Moves `mac`'s conversation state, written through.
    pub(crate) async fn set_state(&self, mac: &[u8; 6], state: EntryState) {
        let mut db = self.db.lock().await;
        let now = crate::clock::now_utc();
        let changed = db.get(mac).is_some_and(|e| e.state != state);
        if db.set_state(mac, state, now).is_ok() && changed {
            self.persist(&db, &[*mac]).await;
        }
    }

    /// The entry of `mac`.
    pub(crate) async fn entry(&self, mac: &[u8; 6]) -> Option<ProxyEntry> {
        self.db.lock().await.get(mac).cloned()
    }

    /// The client a UDI belongs to.
    pub(crate) async fn mac_for_udi(&self, udi: &crate::identity::Udi) -> Option<[u8; 6]> {
        self.db.lock().await.mac_for_udi(udi)
    }

    /// Records the image now installed on `mac`.
    pub(crate) async fn set_image(&self, mac: &[u8; 6], image: &str) {
        let mut db = self.db.lock().await;
        if db.set_software(mac, None, Some(image)).is_ok() {
            self.persist(&db, &[*mac]).await;
        }
    }

    /// The CDP neighbors of `mac`.
    pub(crate) fn neighbors(&self, mac: &[u8; 6]) -> Vec<Neighbor> {
        self.neighbors
            .read()
            .ok()
            .and_then(|n| n.get(mac).cloned())
            .unwrap_or_default()
    }

    /// Records a CDP neighbor relation of `mac` (the capture interface it was heard on).
    pub fn on_cdp(&self, mac: [u8; 6], neighbor: Neighbor) {
        if let Ok(mut n) = self.neighbors.write() {
            let list = n.entry(mac).or_default();
            if !list.contains(&neighbor) {
                list.clear();
                list.push(neighbor);
            }
        }
    }

    /// Writes the entries of `macs` to the store in one transaction (called with the database
    /// locked: database, then store).
    async fn persist(&self, db: &ProxyDb, macs: &[[u8; 6]]) {
        let entries: Vec<ProxyEntry> = macs.iter().filter_map(|m| db.get(m).cloned()).collect();
        if entries.is_empty() {
            return;
        }
        if let Err(err) = self.store.lock().await.save_proxy_clients(&entries) {
            tracing::error!(%err, clients = entries.len(), "SMI proxy: cannot store the clients");
        }
    }

    /// An audit record of area `smi_proxy`.
    pub(crate) async fn record(
        &self,
        verdict: &str,
        rule: &str,
        actor: &str,
        detail: serde_json::Value,
    ) {
        crate::edge::reverse_telnet::record(&self.audit, verdict, rule, actor, detail).await;
    }
}
