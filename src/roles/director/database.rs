//! The director database in memory: clients keyed by MAC address, fed by what the network
//! shows (DHCP leases, CDP advertisements, probe answers, TFTP transfers) and read by the
//! zero-touch plan, the TFTP read permissions and the `show vstack` views.
//!
//! Pure: events in, changed records out (the caller stores them, `crate::store::director`);
//! time comes in as `now`. Every value learned from the network is bounded
//! ([`MAX_TEXT_CHARS`], control characters dropped) before it is kept.
//!
//! What is not publicly known about Smart Install (the client join and keepalive messages,
//! smart-install.md §10) is replaced by what is: a client appears through DHCP or CDP, its
//! details come from CDP, its health from the periodic probe, and its update progress from the
//! TFTP transfers it makes.

use std::collections::BTreeMap;
use std::net::IpAddr;

use chrono::{DateTime, Utc};

use crate::policy::director::{AssignedBy, Assignment, ClientFacts, DirectorPolicy};
use crate::policy::join::{JoinState, Mac};
use crate::roles::director::client::{
    ArtifactStatus, Backup, Client, DeviceType, Download, DownloadMethod, Replacement,
};
use crate::roles::director::replacement::{self, Check};

/// Longest text kept from the network (hostnames, device IDs, versions), in characters.
pub const MAX_TEXT_CHARS: usize = 128;

/// What a CDP advertisement tells about a neighbor.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CdpFacts<'a> {
    /// Source MAC of the frame.
    pub source_mac: [u8; 6],
    /// Device ID (often `hostname` or `hostname.domain`).
    pub device_id: Option<&'a str>,
    /// PID from the platform string.
    pub pid: Option<&'a str>,
    /// First line of the software version.
    pub version_line: Option<&'a str>,
    /// Advertised IP addresses (interface and management).
    pub addresses: &'a [IpAddr],
    /// The neighbor's port that sent the frame.
    pub port_id: Option<&'a str>,
    /// Where the frame arrived: ztpgate's capture interface (the client's port on its upstream
    /// neighbor, which is ztpgate for a frame captured directly).
    pub local_port: Option<&'a str>,
}

/// Where a file a client may read lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Repository {
    /// The TFTP root (images, seed configurations, scripts).
    Root,
    /// Files generated for the client: image lists, hardened seed configurations.
    Generated,
    /// The backup repository (a replacement's inherited configuration).
    Backups,
}

/// Which clients an on-demand operation is for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Selector {
    /// Every client.
    All,
    /// Clients by `DevNo` index.
    Indices(Vec<u32>),
    /// Clients by MAC address.
    Macs(Vec<[u8; 6]>),
    /// Clients whose assignment comes from the named group (`default` for the default).
    Group(String),
}

/// What an event changed besides the client it returns.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Changes {
    /// Clients whose records changed.
    pub saved: Vec<[u8; 6]>,
    /// Clients removed (replaced).
    pub removed: Vec<Client>,
}

impl Changes {
    /// One client's record changed.
    pub fn one(mac: [u8; 6]) -> Self {
        Self {
            saved: vec![mac],
            removed: Vec::new(),
        }
    }
}

/// The zero-touch plan for one client: what DHCP announces and TFTP serves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZeroTouchPlan {
    /// Name of the generated image list file (option 125 sub-option 5).
    pub image_list_file: Option<String>,
    /// Its content.
    pub image_list: String,
    /// The assignment it comes from (its `config` names the generated, hardened configuration
    /// when the policy hardens).
    pub assignment: Assignment,
    /// The seed configuration the hardened one is rendered from, when the policy hardens.
    pub seed_config: Option<String>,
}

/// Every client the director knows.
#[derive(Clone, Debug, Default)]
pub struct Database {
    clients: BTreeMap<[u8; 6], Client>,
    next_index: u32,
}

impl Database {
    /// The database holding `clients` (as stored).
    pub fn new(clients: Vec<Client>) -> Self {
        let next_index = clients.iter().map(|c| c.index).max().unwrap_or(0) + 1;
        Self {
            clients: clients.into_iter().map(|c| (c.mac, c)).collect(),
            next_index,
        }
    }

    /// Every client, by index.
    pub fn clients(&self) -> Vec<&Client> {
        let mut all: Vec<&Client> = self.clients.values().collect();
        all.sort_by_key(|c| c.index);
        all
    }

    /// The client with `mac`.
    pub fn get(&self, mac: &[u8; 6]) -> Option<&Client> {
        self.clients.get(mac)
    }

    /// The client using `ip`.
    pub fn by_ip(&self, ip: IpAddr) -> Option<&Client> {
        self.clients.values().find(|c| c.ip == Some(ip))
    }

    /// DHCP gave `mac` the address `ip`: the client is created (join state `join`) or updated.
    pub fn on_dhcp(
        &mut self,
        mac: [u8; 6],
        ip: IpAddr,
        hostname: Option<&str>,
        join: JoinState,
        now: DateTime<Utc>,
    ) -> &Client {
        let client = self.entry(mac, join, now);
        client.ip = Some(ip);
        if let Some(h) = hostname.map(clean).filter(|h| !h.is_empty()) {
            client.hostname = Some(h);
        }
        client.join = join;
        client.last_seen = now;
        client
    }

    /// A CDP advertisement: the client with one of its addresses is updated, or the client keyed
    /// by the frame's source MAC (created, not Smart Install capable until it answers a probe).
    /// A new client in the place of an Inactive one of the same PID replaces it
    /// ([`replacement`]): the replaced record is removed and returned in [`Changes::removed`].
    pub fn on_cdp(
        &mut self,
        facts: &CdpFacts<'_>,
        join: JoinState,
        policy: &DirectorPolicy,
        now: DateTime<Utc>,
    ) -> Changes {
        let known = self
            .clients
            .values()
            .find(|c| c.ip.is_some_and(|ip| facts.addresses.contains(&ip)))
            .map(|c| c.mac);
        let mac = known.unwrap_or(facts.source_mac);
        let created = !self.clients.contains_key(&mac);
        let client = self.entry(mac, join, now);
        if created {
            client.device_type = DeviceType::NonSmartInstall;
        }
        if client.ip.is_none() {
            client.ip = facts.addresses.first().copied();
        }
        if let Some(id) = facts.device_id {
            let id = clean(id);
            // The advertised name is the switch's current one (it changes with a reload on a
            // new configuration); an NX-OS style `host(SERIAL)` keeps the host part.
            let host = id.split(['.', '(']).next().unwrap_or_default();
            if !host.is_empty() {
                client.hostname = Some(host.to_owned());
            }
            if let Some(serial) = id
                .split_once('(')
                .and_then(|(_, rest)| rest.strip_suffix(')'))
                .filter(|s| !s.is_empty())
            {
                client.serial = Some(serial.to_owned());
            }
            client.device_id = Some(id);
        }
        if let Some(pid) = facts.pid {
            client.pid = Some(clean(pid));
        }
        if let Some((image, version)) = facts.version_line.and_then(image_and_version) {
            client.image = Some(image);
            client.version = Some(version);
        }
        if let Some(port) = facts.local_port {
            client.upstream = None;
            client.upstream_port = Some(clean(port));
        }
        client.hops = 1;
        client.last_seen = now;
        self.replace_if_new(mac, policy, now)
    }

    /// Applies the replacement check to `mac`.
    fn replace_if_new(
        &mut self,
        mac: [u8; 6],
        policy: &DirectorPolicy,
        now: DateTime<Utc>,
    ) -> Changes {
        let mut changes = Changes::one(mac);
        let check = replacement::check(&self.clients, &mac);
        if let Some(client) = self.clients.get_mut(&mac) {
            client.waiting_for_branch = matches!(check, Check::Waiting(_));
        }
        let Check::Replaces(old_mac) = check else {
            return changes;
        };
        let inherited = self
            .plan(&old_mac, policy)
            .map(|p| (p.assignment.images, p.seed_config.or(p.assignment.config)))
            .unwrap_or_default();
        let Some(old) = self.clients.remove(&old_mac) else {
            return changes;
        };
        if let Some(client) = self.clients.get_mut(&mac) {
            client.index = old.index;
            client.replacement = Some(Replacement {
                replaced_mac: old.mac,
                replaced_hostname: old.hostname.clone(),
                images: inherited.0,
                backup_file: old.backup.as_ref().map(|b| b.file.clone()),
                seed_config: inherited.1,
                at: now,
            });
        }
        changes.removed.push(old);
        changes
    }

    /// A probe of `mac` was answered or missed.
    pub fn on_probe(
        &mut self,
        mac: &[u8; 6],
        answered: bool,
        now: DateTime<Utc>,
    ) -> Option<&Client> {
        let client = self.clients.get_mut(mac)?;
        client.probed(answered, now);
        Some(client)
    }

    /// What `mac` gets by `policy`, with the image list generated for it.
    /// A replacement still being provisioned gets what it inherited; a candidate waiting for its
    /// branch gets nothing yet.
    pub fn plan(&self, mac: &[u8; 6], policy: &DirectorPolicy) -> Option<ZeroTouchPlan> {
        plan_client(self.clients.get(mac)?, policy)
    }

    /// The plan a client not in the database yet would get (by its MAC alone).
    pub fn plan_new(
        mac: &[u8; 6],
        policy: &DirectorPolicy,
        now: DateTime<Utc>,
    ) -> Option<ZeroTouchPlan> {
        plan_client(&Client::new(0, *mac, JoinState::Active, now), policy)
    }

    /// Starts an update of `mac` by `plan` (every artifact of the plan not started yet).
    pub fn start_download(
        &mut self,
        mac: &[u8; 6],
        method: DownloadMethod,
        plan: &ZeroTouchPlan,
        now: DateTime<Utc>,
    ) -> Option<&Client> {
        let client = self.clients.get_mut(mac)?;
        let wanted = |yes: bool| {
            if yes {
                ArtifactStatus::NotStarted
            } else {
                ArtifactStatus::NotRequested
            }
        };
        let a = &plan.assignment;
        let image = !a.images.is_empty() && method != DownloadMethod::ConfigUpgrade;
        let config = a.config.is_some() && method != DownloadMethod::ImageUpgrade;
        client.download = Some(Download {
            method,
            image: wanted(image),
            config: wanted(config),
            script: wanted(a.script.is_some() && method == DownloadMethod::ZeroTouch),
            started: now,
        });
        Some(client)
    }

    /// A TFTP transfer by the client at `ip` of `file` started (`None`), or ended with `result`:
    /// the matching artifact of its download moves on. The image list counts toward the image.
    pub fn on_transfer(
        &mut self,
        ip: IpAddr,
        file: &str,
        result: Option<Result<(), String>>,
        policy: &DirectorPolicy,
        now: DateTime<Utc>,
    ) -> Option<&Client> {
        let mac = self.by_ip(ip)?.mac;
        let plan = self.plan(&mac, policy)?;
        let idle = self
            .clients
            .get(&mac)?
            .download
            .as_ref()
            .is_none_or(Download::finished);
        // The first file a zero-touch update fetches: the image list, or the configuration
        // when there is no image.
        let first = plan
            .image_list_file
            .as_deref()
            .or(plan.assignment.config.as_deref());
        if result.is_none() && idle && first == Some(file) {
            // A client starting on its plan with nothing pending is a zero-touch update (a new
            // or erased switch acting on its DHCP options).
            self.start_download(&mac, DownloadMethod::ZeroTouch, &plan, now);
        }
        let client = self.clients.get_mut(&mac)?;
        let download = client.download.as_mut()?;
        let a = &plan.assignment;
        let is_list = plan.image_list_file.as_deref() == Some(file);
        let is_image = a.images.iter().any(|i| i == file);
        let slot = if is_list || is_image {
            &mut download.image
        } else if a.config.as_deref() == Some(file) {
            &mut download.config
        } else if a.script.as_deref() == Some(file) {
            &mut download.script
        } else {
            return None;
        };
        // Not part of this update, or a re-read of what a finished update already delivered.
        let delivered = idle && matches!(slot, ArtifactStatus::Upgraded { .. });
        if *slot == ArtifactStatus::NotRequested || delivered {
            return None;
        }
        // The image is done when the last image of the list has arrived, not before.
        let last_image = a.images.last().is_some_and(|i| i == file);
        *slot = match result {
            None => ArtifactStatus::Upgrading,
            Some(Err(reason)) => ArtifactStatus::Failed {
                reason: clean(&reason),
            },
            Some(Ok(())) if is_list || (is_image && !last_image) => ArtifactStatus::Upgrading,
            Some(Ok(())) => ArtifactStatus::Upgraded { at: now },
        };
        client.last_seen = now;
        Some(client)
    }

    /// The files the client at `ip` may read over TFTP, with where each lives: its image list
    /// and what its plan names.
    pub fn readable_files(&self, ip: IpAddr, policy: &DirectorPolicy) -> Vec<(String, Repository)> {
        let Some(client) = self.by_ip(ip) else {
            return Vec::new();
        };
        self.readable_by(&client.mac, policy)
    }

    /// The files `mac` may read over TFTP, with where each lives.
    pub fn readable_by(&self, mac: &[u8; 6], policy: &DirectorPolicy) -> Vec<(String, Repository)> {
        let Some(plan) = self.plan(mac, policy) else {
            return Vec::new();
        };
        let backup = self
            .clients
            .get(mac)
            .and_then(replacing)
            .and_then(|r| r.backup_file.clone());
        let a = plan.assignment;
        let generated = plan.seed_config.is_some();
        let config = a.config.map(|c| {
            let repo = if backup.as_deref() == Some(c.as_str()) {
                Repository::Backups
            } else if generated {
                Repository::Generated
            } else {
                Repository::Root
            };
            (c, repo)
        });
        plan.image_list_file
            .map(|f| (f, Repository::Generated))
            .into_iter()
            .chain(a.images.into_iter().map(|i| (i, Repository::Root)))
            .chain(config)
            .chain(a.script.map(|s| (s, Repository::Root)))
            .collect()
    }

    /// A backup of `mac` was stored as `file` with `checksum` (MD5, upper-case hex): the
    /// revision counts on from the previous backup.
    pub fn backed_up(
        &mut self,
        mac: &[u8; 6],
        file: String,
        checksum: String,
        now: DateTime<Utc>,
    ) -> Option<&Client> {
        let client = self.clients.get_mut(mac)?;
        let revision = client
            .backup
            .as_ref()
            .map_or(1, |b| b.revision.saturating_add(1));
        client.backup = Some(Backup {
            file,
            client_name: client.hostname.clone().unwrap_or_default(),
            revision,
            checksum,
            at: now,
        });
        client.last_seen = now;
        Some(client)
    }

    /// The clients `selector` names, by index; unknown indices and MACs are skipped.
    pub fn select(&self, selector: &Selector, policy: &DirectorPolicy) -> Vec<[u8; 6]> {
        self.clients()
            .into_iter()
            .filter(|c| match selector {
                Selector::All => true,
                Selector::Indices(list) => list.contains(&c.index),
                Selector::Macs(list) => list.contains(&c.mac),
                Selector::Group(name) => self
                    .plan(&c.mac, policy)
                    .is_some_and(|p| p.assignment.group.as_deref().unwrap_or("default") == name),
            })
            .map(|c| c.mac)
            .collect()
    }

    /// The update of `mac` could not be started (the client was unreachable): every artifact
    /// still waiting fails with `reason`.
    pub fn fail_download(&mut self, mac: &[u8; 6], reason: &str) -> Option<&Client> {
        let client = self.clients.get_mut(mac)?;
        let download = client.download.as_mut()?;
        for artifact in [
            &mut download.image,
            &mut download.config,
            &mut download.script,
        ] {
            if matches!(
                artifact,
                ArtifactStatus::NotStarted | ArtifactStatus::Upgrading
            ) {
                *artifact = ArtifactStatus::Failed {
                    reason: clean(reason),
                };
            }
        }
        Some(client)
    }

    /// Sets the join-window state of `mac` (an operator's decision).
    pub fn set_join(&mut self, mac: &[u8; 6], join: JoinState) -> Option<&Client> {
        let client = self.clients.get_mut(mac)?;
        client.join = join;
        Some(client)
    }

    fn entry(&mut self, mac: [u8; 6], join: JoinState, now: DateTime<Utc>) -> &mut Client {
        let next = &mut self.next_index;
        self.clients.entry(mac).or_insert_with(|| {
            let index = *next;
            *next = next.saturating_add(1);
            Client::new(index, mac, join, now)
        })
    }
}

/// The plan of `client` (see [`Database::plan`]).
fn plan_client(client: &Client, policy: &DirectorPolicy) -> Option<ZeroTouchPlan> {
    if client.waiting_for_branch {
        return None;
    }
    if let Some(r) = replacing(client) {
        let assignment = Assignment {
            by: AssignedBy::Replacement,
            group: None,
            images: r.images.clone(),
            config: r.backup_file.clone().or_else(|| r.seed_config.clone()),
            script: None,
        };
        return Some(ZeroTouchPlan {
            image_list_file: (!assignment.images.is_empty())
                .then(|| image_list_name(&assignment.image_list())),
            image_list: assignment.image_list(),
            assignment,
            seed_config: None,
        });
    }
    let stack: Vec<(u8, String)> = client
        .stack
        .iter()
        .map(|m| (m.number, m.pid.clone()))
        .collect();
    let facts = ClientFacts {
        mac: Some(Mac(client.mac)),
        pid: client.pid.as_deref(),
        upstream: client.upstream.map(Mac),
        stack: &stack,
    };
    let mut assignment = policy.assign(&facts)?;
    let image_list_file =
        (!assignment.images.is_empty()).then(|| image_list_name(&assignment.image_list()));
    let hardens = policy.harden.acl || policy.harden.no_vstack;
    let seed_config = if hardens {
        let seed = assignment.config.take();
        assignment.config = seed.as_ref().map(|_| hardened_config_name(&client.mac));
        seed
    } else {
        None
    };
    Some(ZeroTouchPlan {
        image_list_file,
        image_list: assignment.image_list(),
        assignment,
        seed_config,
    })
}

/// The replacement `client` is still being provisioned by, if any.
fn replacing(client: &Client) -> Option<&Replacement> {
    let r = client.replacement.as_ref()?;
    let done = client.download.as_ref().is_some_and(Download::succeeded);
    (!done).then_some(r)
}

/// The generated image list holding `content`: `imagelist-<first 12 hex digits of its
/// SHA-256>.txt`, shared by every client with the same images (one file per distinct list).
pub fn image_list_name(content: &str) -> String {
    use sha2::{Digest as _, Sha256};
    let digest = hex::encode(Sha256::digest(content.as_bytes()));
    format!("imagelist-{}.txt", digest.get(..12).unwrap_or_default())
}

/// The hardened configuration generated for a client: `config-<mac>.cfg`.
pub fn hardened_config_name(mac: &[u8; 6]) -> String {
    format!("config-{}.cfg", hex::encode(mac))
}

/// Bounded, printable text: control characters dropped, at most [`MAX_TEXT_CHARS`], trimmed.
pub fn clean(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_control())
        .take(MAX_TEXT_CHARS)
        .collect::<String>()
        .trim()
        .to_owned()
}

/// `(image, version)` from an IOS version line such as `Cisco IOS Software, C2960X Software
/// (C2960X-UNIVERSALK9-M), Version 15.2(7)E3, RELEASE SOFTWARE (fc3)`.
pub fn image_and_version(line: &str) -> Option<(String, String)> {
    let open = line.find('(')?;
    let close = open + line.get(open..)?.find(')')?;
    let image = clean(line.get(open + 1..close)?);
    let after = line.get(close..)?;
    let v = after.find("Version ")? + "Version ".len();
    let version: String = after
        .get(v..)?
        .chars()
        .take_while(|c| !matches!(c, ',' | ' '))
        .collect();
    (!image.is_empty() && !version.is_empty()).then(|| (image, clean(&version)))
}
