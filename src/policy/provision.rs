//! PnP provisioning policy: device profiles, their ordered plans, and which plan a device gets.
//!
//! A profile matches devices by serial number, by PID pattern, or is the profile for unknown
//! devices; its plan is an ordered list of steps (device info, SUDI attestation, CLI, free-space
//! check, image install, file transfer, day-0 configuration, finish). Inputs: operator policy, and
//! the identity of a device — authenticated by certificate or, where policy allows, as claimed —
//! plus its join-window state. Pure: no I/O, no clock.
//!
//! # Which plan ([`PnpPolicy::select`])
//! 1. A device whose serial number a profile names is *known*: that profile runs
//!    (`profile-serial`), whatever the join window says — the operator has claimed it.
//! 2. A device already approved by an operator is known as well: the first profile matching its
//!    PID runs, else the unknown-device profile (`approved-device`).
//! 3. Any other device is *unknown* and follows the join window (Table 1-3 applied to PnP):
//!    Active → the first profile matching its PID, else the unknown-device profile
//!    (`profile-pid` / `profile-unknown`); Hold → parked as *unclaimed* until an operator approves
//!    (`join-hold`); Deny → refused, the device backs off (`join-deny`).
//! 4. No profile fits: the device is refused (`no-profile`).

use crate::policy::auth::IdPattern;
use crate::policy::join::JoinState;
use crate::policy::{Area, Decision, Mode, RuleRef};

/// The validated PnP provisioning policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PnpPolicy {
    /// Profiles, in file order (the first matching profile of a kind wins).
    pub profiles: Vec<Profile>,
    /// Backoff for parked (unclaimed) devices, in minutes.
    pub unclaimed_backoff_minutes: u32,
    /// Backoff for refused devices, in minutes.
    pub refused_backoff_minutes: u32,
}

impl Default for PnpPolicy {
    fn default() -> Self {
        Self {
            profiles: Vec::new(),
            unclaimed_backoff_minutes: 5,
            refused_backoff_minutes: 60,
        }
    }
}

/// One device profile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Profile {
    /// Profile name, unique within the policy.
    pub name: String,
    /// Which devices it is for.
    pub matcher: ProfileMatch,
    /// The ordered plan.
    pub steps: Vec<Step>,
}

/// Which devices a profile is for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProfileMatch {
    /// Devices with one of these serial numbers (known devices).
    Serials(Vec<IdPattern>),
    /// Devices whose PID matches one of these patterns.
    Pids(Vec<IdPattern>),
    /// Unknown devices that no PID profile matches.
    Unknown,
}

/// Where an image or file comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// A file under the gateway's file root, delivered by its HTTPS file server through a grant.
    Local(String),
    /// An HTTPS URL allowed by the image-delivery policy, with its SHA-256.
    Remote {
        /// The URL (checked at load time).
        url: String,
        /// Lower-case hex SHA-256 of the content.
        sha256: String,
    },
}

/// How a plan ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Finish {
    /// Tell the agent to stop contacting the server.
    Terminate,
    /// Tell the agent to come back after this many minutes.
    Backoff(u32),
}

/// The kinds of device information a plan can ask for (pnp.md §2.5.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InfoKind {
    /// Everything.
    All,
    /// Running image and version.
    Image,
    /// Hardware inventory.
    Hardware,
    /// File systems with free space.
    Filesystem,
    /// The UDI.
    Udi,
}

/// One step of a plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Ask for device information.
    DeviceInfo(InfoKind),
    /// Prove the SUDI: `show platform sudi certificate sign nonce <N>` with a fresh nonce.
    SudiAttest,
    /// Prove the SUDI through the `device-auth` service: the device signs a fresh challenge.
    DeviceAuth,
    /// Run exec-mode commands.
    Cli(Vec<String>),
    /// Require at least `min_bytes` free on `filesystem` (else state `BOOTFLASH_NO_SPACE`).
    CheckFreeSpace {
        /// File system, e.g. `bootflash:`.
        filesystem: String,
        /// Bytes needed.
        min_bytes: u64,
    },
    /// Install an image unless the device already runs `version`, then reload and wait for the
    /// device to come back.
    Image {
        /// The image.
        source: Source,
        /// Version the image carries; a device already running it skips the step.
        version: Option<String>,
        /// Destination on the device, e.g. `bootflash:`.
        destination: String,
        /// Seconds the device waits before reloading.
        reload_delay_seconds: u32,
    },
    /// Copy a file to the device.
    File {
        /// The file.
        source: Source,
        /// Destination on the device, e.g. `flash:guestshell.tar`.
        destination: String,
    },
    /// Apply the day-0 configuration rendered from the first of `<dir>/<SERIAL>.cfg`,
    /// `<dir>/<PID>.cfg`, `<dir>/default.cfg` (under the file root).
    Config {
        /// Template directory under the file root.
        template_dir: String,
        /// Write the configuration to startup (`copy running-config startup-config`).
        persist: bool,
    },
    /// End of plan.
    Finish(Finish),
}

/// What the policy decided for a device asking for work.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ProvisionVerdict {
    /// Run the named profile's plan.
    Run(String),
    /// Park the device as unclaimed until an operator approves it; it backs off meanwhile.
    Park,
    /// Refuse the device; it backs off.
    Refuse,
}

/// The device as the provisioning policy sees it.
#[derive(Clone, Copy, Debug)]
pub struct ProvisionSubject<'a> {
    /// Serial number.
    pub serial: &'a str,
    /// PID.
    pub pid: &'a str,
    /// Whether an operator has approved the device (released it from the unclaimed list).
    pub approved: bool,
    /// The join-window state for onboarding this device.
    pub join: JoinState,
}

impl PnpPolicy {
    /// Chooses the plan for a device (see the module docs for the order).
    pub fn select(&self, dev: &ProvisionSubject<'_>) -> Decision<ProvisionVerdict> {
        if let Some(p) = self.first(|m| matches!(m, ProfileMatch::Serials(s) if any(s, dev.serial)))
        {
            let reason = format!("serial {} is claimed by profile {}", dev.serial, p.name);
            return run(p, "profile-serial", reason);
        }
        let by_pid = self.first(|m| matches!(m, ProfileMatch::Pids(s) if any(s, dev.pid)));
        let fallback = || self.first(|m| matches!(m, ProfileMatch::Unknown));
        if dev.approved {
            return match by_pid.or_else(fallback) {
                Some(p) => run(
                    p,
                    "approved-device",
                    format!("approved device runs {}", p.name),
                ),
                None => self.no_profile(dev),
            };
        }
        match dev.join {
            JoinState::Active => match (by_pid, fallback()) {
                (Some(p), _) => run(
                    p,
                    "profile-pid",
                    format!("PID {} matches {}", dev.pid, p.name),
                ),
                (None, Some(p)) => run(
                    p,
                    "profile-unknown",
                    format!("unknown device runs {}", p.name),
                ),
                (None, None) => self.no_profile(dev),
            },
            JoinState::Hold => decision(
                ProvisionVerdict::Park,
                "join-hold",
                format!(
                    "unknown device {} parked as unclaimed until an operator approves it",
                    dev.serial
                ),
            ),
            JoinState::Deny => decision(
                ProvisionVerdict::Refuse,
                "join-deny",
                format!("join window closed for unknown device {}", dev.serial),
            ),
        }
    }

    /// The profile named `name`.
    pub fn profile(&self, name: &str) -> Option<&Profile> {
        self.profiles.iter().find(|p| p.name == name)
    }

    fn first(&self, pred: impl Fn(&ProfileMatch) -> bool) -> Option<&Profile> {
        self.profiles.iter().find(|p| pred(&p.matcher))
    }

    fn no_profile(&self, dev: &ProvisionSubject<'_>) -> Decision<ProvisionVerdict> {
        decision(
            ProvisionVerdict::Refuse,
            "no-profile",
            format!("no profile for serial {} PID {}", dev.serial, dev.pid),
        )
    }
}

/// The most bytes of a file path under the file root.
pub const MAX_FILE_PATH_BYTES: usize = 512;

/// Whether `path` is a safe path relative to the file root: non-empty `/`-separated components,
/// none empty, `.` or `..`, each of ASCII letters, digits and `.-_+` only.
pub fn is_safe_relative_path(path: &str) -> bool {
    !path.is_empty()
        && path.len() <= MAX_FILE_PATH_BYTES
        && path.split('/').all(|c| {
            !c.is_empty()
                && c != "."
                && c != ".."
                && c.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'+'))
        })
}

fn any(patterns: &[IdPattern], value: &str) -> bool {
    patterns.iter().any(|p| p.matches(value))
}

fn run(p: &Profile, rule: &str, reason: String) -> Decision<ProvisionVerdict> {
    decision(ProvisionVerdict::Run(p.name.clone()), rule, reason)
}

fn decision(verdict: ProvisionVerdict, rule: &str, reason: String) -> Decision<ProvisionVerdict> {
    Decision::new(
        verdict,
        RuleRef::new(Area::Provision, rule),
        Mode::Enforce,
        reason,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pat(s: &str) -> IdPattern {
        IdPattern {
            source: s.to_ascii_uppercase(),
        }
    }

    fn profile(name: &str, matcher: ProfileMatch) -> Profile {
        Profile {
            name: name.into(),
            matcher,
            steps: vec![Step::Finish(Finish::Terminate)],
        }
    }

    fn policy() -> PnpPolicy {
        PnpPolicy {
            profiles: vec![
                profile("edge", ProfileMatch::Pids(vec![pat("ISR4*")])),
                profile("claimed", ProfileMatch::Serials(vec![pat("FDO184619XU")])),
                profile("default", ProfileMatch::Unknown),
            ],
            ..PnpPolicy::default()
        }
    }

    fn subject(
        serial: &'static str,
        pid: &'static str,
        join: JoinState,
    ) -> ProvisionSubject<'static> {
        ProvisionSubject {
            serial,
            pid,
            approved: false,
            join,
        }
    }

    #[test]
    fn claimed_serial_runs_its_profile_even_outside_the_window() {
        let d = policy().select(&subject("FDO184619XU", "ISR4321/K9", JoinState::Deny));
        assert_eq!(d.verdict, ProvisionVerdict::Run("claimed".into()));
        assert_eq!(d.rule.to_string(), "provision/profile-serial");
    }

    #[test]
    fn unknown_devices_follow_the_join_window() {
        let p = policy();
        let active = p.select(&subject("X1", "ISR4331/K9", JoinState::Active));
        assert_eq!(active.verdict, ProvisionVerdict::Run("edge".into()));
        assert_eq!(active.rule.name, "profile-pid");
        let other = p.select(&subject("X2", "C9300-24T", JoinState::Active));
        assert_eq!(other.verdict, ProvisionVerdict::Run("default".into()));
        assert_eq!(other.rule.name, "profile-unknown");
        let held = p.select(&subject("X3", "C9300-24T", JoinState::Hold));
        assert_eq!(
            (held.verdict, held.rule.name.as_str()),
            (ProvisionVerdict::Park, "join-hold")
        );
        let denied = p.select(&subject("X4", "ISR4331/K9", JoinState::Deny));
        assert_eq!(
            (denied.verdict, denied.rule.name.as_str()),
            (ProvisionVerdict::Refuse, "join-deny")
        );
    }

    #[test]
    fn approval_releases_a_parked_device() {
        let mut dev = subject("X3", "C9300-24T", JoinState::Hold);
        dev.approved = true;
        let d = policy().select(&dev);
        assert_eq!(
            (d.verdict, d.rule.name.as_str()),
            (ProvisionVerdict::Run("default".into()), "approved-device")
        );
    }

    #[test]
    fn safe_paths_are_relative_and_plain() {
        assert!(is_safe_relative_path(
            "images/cat9k_iosxe.17.09.04a.SPA.bin"
        ));
        for bad in [
            "", "/abs", "a//b", "a/./b", "../x", "a/..", "a b", "a\\b", "a:b",
        ] {
            assert!(!is_safe_relative_path(bad), "{bad}");
        }
        assert!(!is_safe_relative_path(&"a".repeat(MAX_FILE_PATH_BYTES + 1)));
    }

    #[test]
    fn refuses_when_no_profile_fits() {
        let p = PnpPolicy {
            profiles: vec![profile("edge", ProfileMatch::Pids(vec![pat("ISR4*")]))],
            ..PnpPolicy::default()
        };
        let d = p.select(&subject("X5", "C9300-24T", JoinState::Active));
        assert_eq!(
            (d.verdict, d.rule.name.as_str()),
            (ProvisionVerdict::Refuse, "no-profile")
        );
    }
}
