//! What the director does on its own and on an operator's request: CDP updates, the periodic
//! probe (health), configuration backups (copy commands toward ztpgate's own TFTP server,
//! subject to the join window's "configuration backup" column), on-demand image and
//! configuration updates with reload timing, and the operator's join-window actions.
//!
//! Inputs: CDP records (untrusted, bounded by the decoder and the database), probe answers,
//! operator requests from the authenticated admin API. Every operator action and its per-client
//! outcome is an audit record.

use std::net::{IpAddr, SocketAddr};

use serde::Serialize;

use crate::audit::AuditEntry;
use crate::edge::cdp_listener::NeighborRecord;
use crate::edge::dhcp::OperatorState;
use crate::policy::join::{ClientOverride, JoinState, Mac, ManualWindow, Permission};
use crate::proto::cdp::Address;
use crate::roles::director::backup::upload_name;
use crate::roles::director::{CdpFacts, Changes, Client, DownloadMethod, Health, Selector};
use crate::store::{Store, StoreError};

use super::wire::{self, Reload};
use super::{Director, PendingBackup, actor, ipv4};

/// What an on-demand update sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UpdateKind {
    /// The image (the client fetches its image list, then the image).
    Image,
    /// The configuration.
    Config,
    /// Both: the configuration first, then the image, whose reload applies both.
    ImageAndConfig,
}

/// The outcome of an operator's request for one client.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Outcome {
    /// `DevNo`.
    pub index: u32,
    /// MAC address.
    pub mac: String,
    /// Whether the request went out to the client.
    pub sent: bool,
    /// What happened (`requested`, or why not).
    pub result: String,
}

impl Outcome {
    fn new(client: &Client, sent: bool, result: impl Into<String>) -> Self {
        Self {
            index: client.index,
            mac: Mac(client.mac).to_string(),
            sent,
            result: result.into(),
        }
    }
}

impl Director {
    /// A CDP advertisement: the client it describes is updated (a new one may replace an
    /// Inactive one); the record is stored when something besides `last_seen` changed.
    pub(super) async fn on_cdp(&self, record: &NeighborRecord) {
        let Ok(source) = Mac::parse(&record.source_mac) else {
            return;
        };
        let n = &record.neighbor;
        let addresses: Vec<IpAddr> = n
            .addresses
            .iter()
            .chain(&n.management_addresses)
            .filter_map(|a| match a {
                Address::Ipv4(v4) => Some(IpAddr::V4(*v4)),
                Address::Ipv6(v6) => Some(IpAddr::V6(*v6)),
                Address::Other { .. } => None,
            })
            .collect();
        let facts = CdpFacts {
            source_mac: source.0,
            device_id: n.device_id.as_deref(),
            pid: n.pid(),
            version_line: n.version_line(),
            addresses: &addresses,
            port_id: n.port_id.as_deref(),
            local_port: Some(&record.interface),
        };
        let join = self.join_state(&source).await;
        let now = crate::clock::now_utc();
        let mut db = self.db.lock().await;
        let before: Vec<Client> = facts
            .addresses
            .iter()
            .filter_map(|ip| db.by_ip(*ip).cloned())
            .chain(db.get(&source.0).cloned())
            .collect();
        let changes = db.on_cdp(&facts, join, &self.settings.policy, now);
        let unchanged = changes.removed.is_empty()
            && changes.saved.iter().all(|mac| {
                db.get(mac).is_some_and(|after| {
                    before
                        .iter()
                        .any(|b| b.mac == *mac && same_but_time(b, after))
                })
            });
        if !unchanged {
            self.persist(&db, &changes).await;
        }
        drop(db);
        for replaced in &changes.removed {
            let new = changes.saved.first().map(|m| Mac(*m).to_string());
            let detail = serde_json::json!({
                "replaced": Mac(replaced.mac).to_string(),
                "replaced_hostname": replaced.hostname,
                "pid": replaced.pid,
                "port": record.interface,
                "backup": replaced.backup.as_ref().map(|b| b.file.clone()),
                "by": new,
            });
            let who = changes.saved.first().map_or_else(String::new, actor);
            self.record("replace", who, detail).await;
        }
    }

    /// The join-window state the policy gives `mac` now.
    async fn join_state(&self, mac: &Mac) -> JoinState {
        let operator = {
            let store = self.store.lock().await;
            OperatorState {
                manual: store.manual_window().unwrap_or(Some(ManualWindow::Closed)),
                client_override: store.client_override(mac).unwrap_or(None),
            }
        };
        let now = crate::clock::now_utc();
        operator
            .join_decision(&self.settings.join, mac, now)
            .verdict
            .state
    }

    /// Probes every client with an address; records health changes.
    pub(super) async fn probe_all(&self) {
        let targets: Vec<([u8; 6], IpAddr)> = {
            let db = self.db.lock().await;
            db.clients()
                .into_iter()
                .filter_map(|c| Some((c.mac, c.ip?)))
                .collect()
        };
        let results = wire::probe_many(
            targets,
            self.settings.config.client_port,
            self.settings.config.probe_timeout,
        )
        .await;
        let now = crate::clock::now_utc();
        let mut db = self.db.lock().await;
        let mut changes = Changes::default();
        let mut lost = Vec::new();
        for (mac, answered) in results {
            let Some(before) = db.get(&mac).cloned() else {
                continue;
            };
            let Some(after) = db.on_probe(&mac, answered, now) else {
                continue;
            };
            if !same_but_time(&before, after) {
                changes.saved.push(mac);
            }
            if before.health != after.health {
                lost.push((mac, after.health));
            }
        }
        if !changes.saved.is_empty() {
            self.persist(&db, &changes).await;
        }
        drop(db);
        for (mac, health) in lost {
            let verdict = match health {
                Health::Inactive => "inactive",
                Health::Active => "active",
            };
            let detail = serde_json::json!({ "misses": Client::MISSES_INACTIVE });
            self.record(verdict, actor(&mac), detail).await;
        }
    }

    /// Asks the selected clients for their configuration (`copy system:running-config` toward
    /// ztpgate's TFTP server); the upload completes asynchronously.
    pub async fn backup(&self, selector: &Selector, trigger: &str) -> Vec<Outcome> {
        let mut requests = Vec::new();
        let mut outcomes = Vec::new();
        {
            let db = self.db.lock().await;
            for mac in db.select(selector, &self.settings.policy) {
                let Some(client) = db.get(&mac) else { continue };
                let refusal = if !self.settings.config.backup {
                    Some("backups are disabled (smart_install_director.backup = false)")
                } else if client.join.permissions()[2] != Permission::Allowed {
                    Some("join-window state hold: configuration backup not allowed")
                } else if ipv4(client).is_none() {
                    Some("no IPv4 address known")
                } else {
                    None
                };
                match refusal {
                    Some(why) => outcomes.push(Outcome::new(client, false, why)),
                    None => requests.push(client.clone()),
                }
            }
        }
        for client in requests {
            outcomes.push(self.request_backup(&client).await);
        }
        let sent = outcomes.iter().filter(|o| o.sent).count();
        let detail =
            serde_json::json!({ "trigger": trigger, "requested": sent, "outcomes": outcomes });
        if !outcomes.is_empty() {
            self.record("backup-request", format!("director ({trigger})"), detail)
                .await;
        }
        outcomes
    }

    async fn request_backup(&self, client: &Client) -> Outcome {
        let (Some(ip), filename) = (client.ip, upload_name(&client.mac)) else {
            return Outcome::new(client, false, "no address");
        };
        let message = match wire::backup_message(&self.url(&filename)) {
            Ok(m) => m,
            Err(err) => return Outcome::new(client, false, err.to_string()),
        };
        if let Ok(mut pending) = self.backups.write() {
            pending.insert(
                ip,
                PendingBackup {
                    mac: client.mac,
                    filename,
                    asked: crate::clock::now_monotonic(),
                },
            );
        }
        let addr = SocketAddr::new(ip, self.settings.config.client_port);
        match wire::send(addr, &message, self.settings.config.probe_timeout).await {
            Ok(()) => Outcome::new(client, true, "requested"),
            Err(err) => {
                if let Ok(mut pending) = self.backups.write() {
                    pending.remove(&ip);
                }
                Outcome::new(client, false, err.to_string())
            }
        }
    }

    /// Starts an on-demand update of the selected clients by their plans.
    pub async fn update(
        &self,
        selector: &Selector,
        kind: UpdateKind,
        reload: Reload,
        operator: &str,
    ) -> Vec<Outcome> {
        let method = match kind {
            UpdateKind::Image => DownloadMethod::ImageUpgrade,
            UpdateKind::Config => DownloadMethod::ConfigUpgrade,
            UpdateKind::ImageAndConfig => DownloadMethod::ImageConfigUpgrade,
        };
        let now = crate::clock::now_utc();
        let mut outcomes = Vec::new();
        let mut pushes = Vec::new();
        {
            let mut db = self.db.lock().await;
            let mut changes = Changes::default();
            for mac in db.select(selector, &self.settings.policy) {
                let Some(client) = db.get(&mac).cloned() else {
                    continue;
                };
                let plan = db.plan(&mac, &self.settings.policy);
                let (list, config) = plan
                    .as_ref()
                    .map(|p| (p.image_list_file.clone(), p.assignment.config.clone()))
                    .unwrap_or_default();
                let wants_image = kind != UpdateKind::Config;
                let wants_config = kind != UpdateKind::Image;
                let missing = match (
                    &plan,
                    wants_image && list.is_none(),
                    wants_config && config.is_none(),
                ) {
                    (None, _, _) => Some("no image or configuration assigned"),
                    (_, true, _) => Some("no image assigned"),
                    (_, _, true) => Some("no configuration assigned"),
                    _ => None,
                };
                if let Some(why) =
                    missing.or_else(|| ipv4(&client).is_none().then_some("no IPv4 address known"))
                {
                    outcomes.push(Outcome::new(&client, false, why));
                    continue;
                }
                if let Some(plan) = &plan {
                    db.start_download(&mac, method, plan, now);
                    changes.saved.push(mac);
                }
                pushes.push((
                    client,
                    list.filter(|_| wants_image),
                    config.filter(|_| wants_config),
                ));
            }
            self.persist(&db, &changes).await;
        }
        for (client, list, config) in pushes {
            let outcome = self.push_update(&client, list, config, reload).await;
            outcomes.push(outcome);
        }
        let detail = serde_json::json!({
            "kind": kind, "reload": reload, "selector": format!("{selector:?}"), "outcomes": outcomes,
        });
        self.operator_record(operator, "vstack.update", detail)
            .await;
        outcomes
    }

    async fn push_update(
        &self,
        client: &Client,
        list: Option<String>,
        config: Option<String>,
        reload: Reload,
    ) -> Outcome {
        let Some(ip) = client.ip else {
            return Outcome::new(client, false, "no address");
        };
        let addr = SocketAddr::new(ip, self.settings.config.client_port);
        let timeout = self.settings.config.probe_timeout;
        let mut messages = Vec::new();
        if let Some(config) = &config {
            // With an image to follow, the image's reload applies the configuration too.
            let config_reload = list.is_none().then_some(reload);
            messages.push(wire::config_message(&self.url(config), config_reload));
        }
        if let Some(list) = &list {
            messages.push(wire::image_message(&self.url(list), reload));
        }
        for message in messages {
            let sent = match message {
                Ok(m) => wire::send(addr, &m, timeout).await,
                Err(err) => Err(err),
            };
            if let Err(err) = sent {
                let reason = format!("not delivered: {err}");
                let mut db = self.db.lock().await;
                db.fail_download(&client.mac, &reason);
                let changes = Changes::one(client.mac);
                self.persist(&db, &changes).await;
                return Outcome::new(client, false, reason);
            }
        }
        Outcome::new(client, true, "requested")
    }

    /// Opens (`Some(Open)`), closes (`Some(Closed)`) or hands back to the schedule (`None`)
    /// the join window.
    pub async fn set_window(
        &self,
        manual: Option<ManualWindow>,
        operator: &str,
    ) -> Result<(), StoreError> {
        self.store.lock().await.set_manual_window(manual)?;
        let state = match manual {
            Some(ManualWindow::Open) => "open",
            Some(ManualWindow::Closed) => "closed",
            None => "schedule",
        };
        let detail = serde_json::json!({ "window": state });
        self.operator_record(operator, "vstack.join-window", detail)
            .await;
        Ok(())
    }

    /// Fixes the selected clients' join-window state (`vstack join-window-status index …
    /// {allowed | held}`), or clears the operator's override (`None`).
    pub async fn set_join(
        &self,
        selector: &Selector,
        state: Option<ClientOverride>,
        operator: &str,
    ) -> Result<Vec<Outcome>, StoreError> {
        let mut db = self.db.lock().await;
        let macs = db.select(selector, &self.settings.policy);
        {
            let mut store = self.store.lock().await;
            for mac in &macs {
                store.set_client_override(&Mac(*mac), state)?;
            }
        }
        let mut outcomes = Vec::new();
        for mac in &macs {
            let join = match state {
                Some(ClientOverride::Allowed) => Some(JoinState::Active),
                Some(ClientOverride::Held) => Some(JoinState::Hold),
                None => None,
            };
            if let Some(join) = join {
                db.set_join(mac, join);
            }
            if let Some(client) = db.get(mac) {
                outcomes.push(Outcome::new(client, true, client.join.as_str()));
            }
        }
        let changes = Changes {
            saved: macs,
            removed: Vec::new(),
        };
        self.persist(&db, &changes).await;
        drop(db);
        let detail = serde_json::json!({ "state": state.map(|s| format!("{s:?}").to_lowercase()), "outcomes": outcomes });
        self.operator_record(operator, "vstack.join-window-status", detail)
            .await;
        Ok(outcomes)
    }

    /// `vstack on-hold-clients remove`: every held client is allowed.
    pub async fn approve_held(&self, operator: &str) -> Result<Vec<Outcome>, StoreError> {
        let held: Vec<[u8; 6]> = self
            .store
            .lock()
            .await
            .client_overrides()?
            .into_iter()
            .filter(|(_, s)| *s == ClientOverride::Held)
            .map(|(m, _)| m.0)
            .collect();
        let (held_in_db, known): (Vec<[u8; 6]>, Vec<bool>) = {
            let db = self.db.lock().await;
            let in_db = db
                .clients()
                .iter()
                .filter(|c| c.join == JoinState::Hold)
                .map(|c| c.mac)
                .collect();
            (in_db, held.iter().map(|m| db.get(m).is_some()).collect())
        };
        // Held clients not in the database yet (held at DHCP, no lease) are allowed here;
        // `set_join` stores the others' overrides with their records.
        {
            let mut store = self.store.lock().await;
            for (mac, _) in held.iter().zip(&known).filter(|(_, k)| !**k) {
                store.set_client_override(&Mac(*mac), Some(ClientOverride::Allowed))?;
            }
        }
        let mut macs = held;
        macs.extend(held_in_db);
        macs.sort_unstable();
        macs.dedup();
        if macs.is_empty() {
            return Ok(Vec::new());
        }
        self.set_join(
            &Selector::Macs(macs),
            Some(ClientOverride::Allowed),
            operator,
        )
        .await
    }

    async fn operator_record(&self, operator: &str, action: &str, detail: serde_json::Value) {
        let entry = AuditEntry::operator(operator, action, detail);
        let now = crate::clock::now_utc();
        if let Err(err) = self.audit.lock().await.append(entry, now) {
            tracing::error!(%err, "director: cannot write the audit log");
        }
    }
}

/// Whether two records of one client differ only in when it was last seen.
pub(super) fn same_but_time(a: &Client, b: &Client) -> bool {
    let mut a = a.clone();
    a.last_seen = b.last_seen;
    a == *b
}
