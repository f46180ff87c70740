//! Named workflow states of a PnP device and the context the engine keeps between messages,
//! stored as JSON in the device record so a restart resumes where the device was.
//!
//! Values read back from the store are the gateway's own; an unknown state name is reported, not
//! guessed.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

/// Where a device is in its onboarding. Names match what operators see in `show pnp devices`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum DeviceState {
    /// First contact, nothing decided yet.
    New,
    /// Unknown device held by the join window until an operator approves it.
    Unclaimed,
    /// Refused (join window closed, no profile, authentication failed); it backs off.
    Refused,
    /// Asked for device information.
    DeviceInfo,
    /// Asked to sign a nonce with its SUDI key.
    SudiAttesting,
    /// Asked to sign a device-auth challenge.
    DeviceAuthenticating,
    /// Running CLI commands.
    CliRunning,
    /// Checking free space before an image.
    CheckingSpace,
    /// Image install requested.
    ImageInstalling,
    /// Waiting for the device to come back after a reload.
    Reloading,
    /// File transfer requested.
    FileTransferring,
    /// Day-0 configuration being applied.
    ConfigApplying,
    /// Configuration being written to startup.
    ConfigPersisting,
    /// Plan complete.
    Finished,
    /// Not enough space on the destination file system.
    BootflashNoSpace,
    /// A step failed; the text says why.
    Failed(String),
}

impl DeviceState {
    /// Whether the plan is over (finished or failed): only an operator's retry or reset moves it.
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            Self::Finished | Self::BootflashNoSpace | Self::Failed(_)
        )
    }
}

impl fmt::Display for DeviceState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            Self::New => "NEW",
            Self::Unclaimed => "UNCLAIMED",
            Self::Refused => "REFUSED",
            Self::DeviceInfo => "DEVICE_INFO",
            Self::SudiAttesting => "SUDI_ATTESTING",
            Self::DeviceAuthenticating => "DEVICE_AUTHENTICATING",
            Self::CliRunning => "CLI_RUNNING",
            Self::CheckingSpace => "CHECKING_SPACE",
            Self::ImageInstalling => "IMAGE_INSTALLING",
            Self::Reloading => "RELOADING",
            Self::FileTransferring => "FILE_TRANSFERRING",
            Self::ConfigApplying => "CONFIG_APPLYING",
            Self::ConfigPersisting => "CONFIG_PERSISTING",
            Self::Finished => "FINISHED",
            Self::BootflashNoSpace => "BOOTFLASH_NO_SPACE",
            Self::Failed(why) => return write!(f, "FAILED({why})"),
        };
        f.write_str(name)
    }
}

impl FromStr for DeviceState {
    type Err = UnknownState;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Some(why) = s.strip_prefix("FAILED(").and_then(|r| r.strip_suffix(')')) {
            return Ok(Self::Failed(why.to_owned()));
        }
        Ok(match s {
            "NEW" => Self::New,
            "UNCLAIMED" => Self::Unclaimed,
            "REFUSED" => Self::Refused,
            "DEVICE_INFO" => Self::DeviceInfo,
            "SUDI_ATTESTING" => Self::SudiAttesting,
            "DEVICE_AUTHENTICATING" => Self::DeviceAuthenticating,
            "CLI_RUNNING" => Self::CliRunning,
            "CHECKING_SPACE" => Self::CheckingSpace,
            "IMAGE_INSTALLING" => Self::ImageInstalling,
            "RELOADING" => Self::Reloading,
            "FILE_TRANSFERRING" => Self::FileTransferring,
            "CONFIG_APPLYING" => Self::ConfigApplying,
            "CONFIG_PERSISTING" => Self::ConfigPersisting,
            "FINISHED" => Self::Finished,
            "BOOTFLASH_NO_SPACE" => Self::BootflashNoSpace,
            _ => return Err(UnknownState),
        })
    }
}

/// A stored state name this version does not know.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown PnP device state")]
pub struct UnknownState;

/// The request the engine is waiting for an answer to.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Pending {
    /// Correlator sent, compared byte for byte with the answer's.
    pub correlator: String,
    /// Service namespace suffix, e.g. `device-info`.
    pub service: String,
    /// When it was sent (seconds since the epoch).
    pub sent: i64,
}

/// Waiting for a reload to finish.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ReloadWait {
    /// Do not ask the device anything before this time (seconds since the epoch) unless it says it
    /// restarted.
    pub not_before: i64,
    /// The version the device must run afterwards, if known.
    pub target_version: Option<String>,
    /// How many times the version was checked.
    pub checks: u32,
}

/// What the engine remembers about a device between messages.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Context {
    /// Index of the current plan step.
    pub step: usize,
    /// Position inside the current step (e.g. which CLI command, apply vs. persist).
    pub phase: u32,
    /// Requests sent so far (part of each correlator).
    pub seq: u64,
    /// The request awaiting an answer.
    pub pending: Option<Pending>,
    /// The nonce of a SUDI attestation in flight.
    pub nonce: Option<u64>,
    /// The challenge of a device-auth request in flight.
    #[serde(default)]
    pub challenge: Option<String>,
    /// Identity proofs the authentication policy demands before the profile's plan, in order.
    #[serde(default)]
    pub proofs: Vec<crate::policy::auth::AuthMethod>,
    /// The running version the device reported.
    pub running_version: Option<String>,
    /// Free bytes per file system (`bootflash:` → bytes), as reported.
    pub free_bytes: FreeSpace,
    /// A reload in progress.
    pub reload: Option<ReloadWait>,
}

/// Free bytes per file system, as the device reported them: a handful of entries, kept in a small
/// vector (a device's context stays in memory while it is known) and stored as a JSON object.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FreeSpace(Vec<(String, u64)>);

impl FreeSpace {
    /// The free bytes of `fs`.
    pub fn get(&self, fs: &str) -> Option<&u64> {
        self.0.iter().find(|(k, _)| k == fs).map(|(_, v)| v)
    }

    /// Records the free bytes of `fs`.
    pub fn insert(&mut self, fs: String, free: u64) {
        match self.0.iter_mut().find(|(k, _)| *k == fs) {
            Some((_, v)) => *v = free,
            None => self.0.push((fs, free)),
        }
    }

    /// Forgets everything.
    pub fn clear(&mut self) {
        self.0.clear();
    }
}

impl serde::Serialize for FreeSpace {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(k, v)| (k, v)))
    }
}

impl<'de> serde::Deserialize<'de> for FreeSpace {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let map = BTreeMap::<String, u64>::deserialize(d)?;
        Ok(Self(map.into_iter().collect()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_names_round_trip() {
        for state in [
            DeviceState::New,
            DeviceState::ImageInstalling,
            DeviceState::BootflashNoSpace,
            DeviceState::Failed("image-install: 2305".into()),
        ] {
            assert_eq!(state.to_string().parse::<DeviceState>(), Ok(state));
        }
        assert_eq!("IMAGE_INSTALLING".parse(), Ok(DeviceState::ImageInstalling));
        assert_eq!("nonsense".parse::<DeviceState>(), Err(UnknownState));
    }

    #[test]
    fn free_space_is_stored_as_an_object_and_read_back() {
        let mut free = FreeSpace::default();
        free.insert("bootflash:".into(), 10);
        free.insert("flash:".into(), 7);
        free.insert("bootflash:".into(), 12);
        let json = serde_json::to_string(&free).unwrap();
        assert_eq!(json, r#"{"bootflash:":12,"flash:":7}"#);
        let back: FreeSpace = serde_json::from_str(&json).unwrap();
        assert_eq!(
            (back.get("bootflash:"), back.get("usb0:")),
            (Some(&12), None)
        );
    }
}
