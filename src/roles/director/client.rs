//! One Smart Install client as the director knows it, and the status letters of
//! `show vstack status` (device type S/N/P, health A/I, join window a/h/d, image i/I/X, config
//! c/C/x, script p/P/F).
//!
//! Values come from clients and the network (DHCP, probes, CDP) and are untrusted text: they
//! are stored and shown, never interpreted. Health follows ztpgate's documented assumption: a
//! client that misses [`Client::MISSES_INACTIVE`] periodic probes in a row is Inactive.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::policy::join::JoinState;

/// Device type column: Smart Install capable, not capable, or not known yet.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceType {
    /// `S`: answers Smart Install probes.
    SmartInstall,
    /// `N`: seen (DHCP, CDP) but does not speak Smart Install.
    NonSmartInstall,
    /// `P`: pending, not probed yet.
    #[default]
    Pending,
}

impl DeviceType {
    /// The status letter.
    pub fn letter(self) -> char {
        match self {
            Self::SmartInstall => 'S',
            Self::NonSmartInstall => 'N',
            Self::Pending => 'P',
        }
    }
}

/// Health column.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Health {
    /// `A`: answered recently.
    #[default]
    Active,
    /// `I`: missed [`Client::MISSES_INACTIVE`] probes in a row.
    Inactive,
}

impl Health {
    /// The status letter.
    pub fn letter(self) -> char {
        match self {
            Self::Active => 'A',
            Self::Inactive => 'I',
        }
    }
}

/// Progress of one upgrade (image, configuration or script) as the status column shows it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UpgradeState {
    /// No upgrade of this kind (no letter).
    #[default]
    None,
    /// In progress (`i` / `c` / `p`).
    InProgress,
    /// Done (`I` / `C` / `P`).
    Done,
    /// Failed (`X` / `x` / `F`).
    Failed,
}

/// Which upgrade a letter is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Stage {
    /// The image.
    Image,
    /// The configuration.
    Config,
    /// The post-install script.
    Script,
}

impl UpgradeState {
    /// The letter for `stage` (`None` for no upgrade).
    pub fn letter(self, stage: Stage) -> Option<char> {
        let letters = match stage {
            Stage::Image => ['i', 'I', 'X'],
            Stage::Config => ['c', 'C', 'x'],
            Stage::Script => ['p', 'P', 'F'],
        };
        match self {
            Self::None => None,
            Self::InProgress => Some(letters[0]),
            Self::Done => Some(letters[1]),
            Self::Failed => Some(letters[2]),
        }
    }
}

/// One stack member.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StackMember {
    /// Stack number.
    pub number: u8,
    /// Its MAC address.
    pub mac: [u8; 6],
    /// Its PID.
    pub pid: String,
}

/// The latest configuration backup of a client.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Backup {
    /// File name in the repository (`<hostname>-<mac>.REV2`).
    pub file: String,
    /// Hostname the client had when it was backed up.
    pub client_name: String,
    /// Revision count (1, 2, … as rotations happen).
    pub revision: u32,
    /// MD5 of the file, upper-case hex (as the reference shows it).
    pub checksum: String,
    /// When it was taken.
    pub at: DateTime<Utc>,
}

/// How an update was started (`show vstack download-status` "Method").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DownloadMethod {
    /// A new or erased client, through DHCP and TFTP.
    ZeroTouch,
    /// On-demand image upgrade.
    ImageUpgrade,
    /// On-demand configuration upgrade.
    ConfigUpgrade,
    /// On-demand image and configuration upgrade.
    ImageConfigUpgrade,
}

impl DownloadMethod {
    /// The name the reference prints.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ZeroTouch => "zero-touch",
            Self::ImageUpgrade => "image-upgrade",
            Self::ConfigUpgrade => "config-upgrade",
            Self::ImageConfigUpgrade => "image-config-upgrade",
        }
    }
}

/// One artifact of a download.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum ArtifactStatus {
    /// Not part of this update (`**`).
    #[default]
    NotRequested,
    /// Waiting (`NOT STARTED`).
    NotStarted,
    /// Being transferred (`UPGRADING`).
    Upgrading,
    /// Done (`UPGRADED`), with when it was downloaded.
    Upgraded {
        /// When the client finished downloading it.
        at: DateTime<Utc>,
    },
    /// Failed (`FAILED`), with why.
    Failed {
        /// The reason shown by `download-status detail`.
        reason: String,
    },
}

impl ArtifactStatus {
    /// The column text.
    pub fn column(&self) -> &'static str {
        match self {
            Self::NotRequested => "**",
            Self::NotStarted => "NOT STARTED",
            Self::Upgrading => "UPGRADING",
            Self::Upgraded { .. } => "UPGRADED",
            Self::Failed { .. } => "FAILED",
        }
    }

    /// The status letter state for `show vstack status`.
    pub fn upgrade_state(&self) -> UpgradeState {
        match self {
            Self::NotRequested | Self::NotStarted => UpgradeState::None,
            Self::Upgrading => UpgradeState::InProgress,
            Self::Upgraded { .. } => UpgradeState::Done,
            Self::Failed { .. } => UpgradeState::Failed,
        }
    }
}

impl Download {
    /// Whether no requested artifact is still waiting or transferring.
    pub fn finished(&self) -> bool {
        [&self.image, &self.config, &self.script]
            .iter()
            .all(|a| !matches!(a, ArtifactStatus::NotStarted | ArtifactStatus::Upgrading))
    }

    /// Whether every requested artifact arrived.
    pub fn succeeded(&self) -> bool {
        [&self.image, &self.config, &self.script].iter().all(|a| {
            matches!(
                a,
                ArtifactStatus::NotRequested | ArtifactStatus::Upgraded { .. }
            )
        })
    }
}

/// The latest update of a client (`show vstack download-status`); kept across restarts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Download {
    /// How it was started.
    pub method: DownloadMethod,
    /// The image.
    pub image: ArtifactStatus,
    /// The configuration.
    pub config: ArtifactStatus,
    /// The post-install script.
    pub script: ArtifactStatus,
    /// When it was started.
    pub started: DateTime<Utc>,
}

/// One client of the director database.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Client {
    /// `DevNo`: stable index, assigned at first sight (the director itself is 0).
    pub index: u32,
    /// Base MAC address (the key).
    pub mac: [u8; 6],
    /// PID (Product-ID), when known.
    pub pid: Option<String>,
    /// Management address.
    pub ip: Option<IpAddr>,
    /// Hostname.
    pub hostname: Option<String>,
    /// CDP device ID.
    pub device_id: Option<String>,
    /// Serial number, when known.
    pub serial: Option<String>,
    /// Image name (e.g. `C2960X-UNIVERSALK9-M`).
    pub image: Option<String>,
    /// Software version (e.g. `15.2(7)E3`).
    pub version: Option<String>,
    /// Hops from the director (0: directly connected).
    pub hops: u32,
    /// Upstream neighbor's MAC (`(N-1)HOP Entry`); `None`: directly below the director.
    pub upstream: Option<[u8; 6]>,
    /// Local port on the upstream neighbor (for replacement).
    pub upstream_port: Option<String>,
    /// Stack members (empty: standalone).
    pub stack: Vec<StackMember>,
    /// S / N / P.
    pub device_type: DeviceType,
    /// A / I.
    pub health: Health,
    /// Probes missed in a row.
    pub missed_probes: u32,
    /// Join-window state.
    pub join: JoinState,
    /// Latest update, if any.
    pub download: Option<Download>,
    /// Latest backup, if any.
    pub backup: Option<Backup>,
    /// Last time the client was heard from.
    pub last_seen: DateTime<Utc>,
    /// The client it replaces, while that zero-touch replacement runs (and after, as history).
    #[serde(default)]
    pub replacement: Option<Replacement>,
    /// A replacement candidate waiting because another replacement runs on its branch.
    #[serde(default)]
    pub waiting_for_branch: bool,
}

/// What a replacement client inherits from the client it replaces.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Replacement {
    /// The replaced client's MAC address.
    pub replaced_mac: [u8; 6],
    /// Its hostname, if known.
    pub replaced_hostname: Option<String>,
    /// The images it was assigned (image-list order).
    pub images: Vec<String>,
    /// Its last backup (in the backup repository), or `None`: its seed configuration is used.
    pub backup_file: Option<String>,
    /// Its seed configuration (under the TFTP root), used when there is no backup.
    pub seed_config: Option<String>,
    /// When the replacement was recognised.
    pub at: DateTime<Utc>,
}

impl Client {
    /// Probes missed in a row after which a client is Inactive (ztpgate's assumption; the guide
    /// does not say).
    pub const MISSES_INACTIVE: u32 = 3;

    /// A client first seen at `now` with index `index`.
    pub fn new(index: u32, mac: [u8; 6], join: JoinState, now: DateTime<Utc>) -> Self {
        Self {
            index,
            mac,
            pid: None,
            ip: None,
            hostname: None,
            device_id: None,
            serial: None,
            image: None,
            version: None,
            hops: 1,
            upstream: None,
            upstream_port: None,
            stack: Vec::new(),
            device_type: DeviceType::Pending,
            health: Health::Active,
            missed_probes: 0,
            join,
            download: None,
            backup: None,
            last_seen: now,
            replacement: None,
            waiting_for_branch: false,
        }
    }

    /// Records a probe answered (`true`) or missed at `now`.
    pub fn probed(&mut self, answered: bool, now: DateTime<Utc>) {
        if answered {
            self.missed_probes = 0;
            self.health = Health::Active;
            self.device_type = DeviceType::SmartInstall;
            self.last_seen = now;
        } else {
            self.missed_probes = self.missed_probes.saturating_add(1);
            if self.missed_probes >= Self::MISSES_INACTIVE {
                self.health = Health::Inactive;
            }
        }
    }

    /// The status column: device type, health, join state and the upgrade letters present.
    pub fn status_letters(&self) -> String {
        let join = match self.join {
            JoinState::Active => 'a',
            JoinState::Hold => 'h',
            JoinState::Deny => 'd',
        };
        let mut letters = vec![self.device_type.letter(), self.health.letter(), join];
        if let Some(d) = &self.download {
            for (artifact, stage) in [
                (&d.image, Stage::Image),
                (&d.config, Stage::Config),
                (&d.script, Stage::Script),
            ] {
                letters.extend(artifact.upgrade_state().letter(stage));
            }
        }
        letters
            .iter()
            .map(char::to_string)
            .collect::<Vec<_>>()
            .join(" ")
    }
}
