//! The request each plan step sends (or why it sends none): the first half of the engine, split
//! from `workflow.rs` to keep each part readable.

use crate::policy::provision::Step;
use crate::proto::pnp::common::Reload;
use crate::proto::pnp::{
    AfterOperation, ApplyTo, CliExec, ConfigUpgrade, DeviceAuthRequest, DeviceInfoType,
    FileLocation, FileTransfer, ImageInstall, ServiceRequest,
};
use crate::roles::pnp_server::state::{Context, DeviceState};
use crate::roles::pnp_server::workflow::{
    Engine, Next, Provisioner, challenge_of, fs_key, info, info_type,
};

impl Engine<'_> {
    pub(super) fn request_for(
        &self,
        step: &Step,
        ctx: &mut Context,
        nonce: u64,
        p: &mut dyn Provisioner,
    ) -> Next {
        let dev = self.device;
        match step {
            Step::DeviceInfo(kind) => Next::send(info(info_type(*kind)), DeviceState::DeviceInfo),
            Step::SudiAttest => {
                ctx.nonce = Some(nonce);
                let cmd = format!("show platform sudi certificate sign nonce {nonce}");
                Next::send(
                    ServiceRequest::CliExec(CliExec::new(&cmd)),
                    DeviceState::SudiAttesting,
                )
            }
            Step::DeviceAuth => {
                let challenge = challenge_of(nonce);
                match DeviceAuthRequest::new(&challenge) {
                    Ok(req) => {
                        ctx.challenge = Some(challenge);
                        Next::send(
                            ServiceRequest::DeviceAuth(req),
                            DeviceState::DeviceAuthenticating,
                        )
                    }
                    Err(e) => Next::Fail(format!("device-auth: {e}")),
                }
            }
            Step::Cli(cmds) => match cmds.get(ctx.phase as usize) {
                Some(cmd) => Next::send(
                    ServiceRequest::CliExec(CliExec::new(cmd)),
                    DeviceState::CliRunning,
                ),
                None => Next::Skip,
            },
            Step::CheckFreeSpace {
                filesystem,
                min_bytes,
            } => match ctx.free_bytes.get(fs_key(filesystem)) {
                None => Next::send(info(DeviceInfoType::Filesystem), DeviceState::CheckingSpace),
                Some(free) if free < min_bytes => Next::NoSpace(format!(
                    "{filesystem} has {free} bytes free, the plan needs {min_bytes}"
                )),
                Some(_) => Next::Skip,
            },
            Step::Image {
                source,
                version,
                destination,
                reload_delay_seconds,
            } => {
                match (version, &ctx.running_version) {
                    (Some(_), None) => {
                        return Next::send(
                            info(DeviceInfoType::Image),
                            DeviceState::ImageInstalling,
                        );
                    }
                    (Some(want), Some(have)) if want == have => return Next::Skip,
                    _ => {}
                }
                match p.file(dev.serial, source) {
                    Ok(file) => Next::send(
                        ServiceRequest::ImageInstall(ImageInstall {
                            source: crate::proto::pnp::Source {
                                file: FileLocation::Location(file.url),
                                checksum: file.md5,
                            },
                            destination: Some(FileLocation::Location(destination.clone())),
                            after: AfterOperation::Reload(Reload {
                                reason: Some("ztpgate image install".into()),
                                delay_in: Some(*reload_delay_seconds),
                                user: None,
                                save_config: Some(false),
                            }),
                        }),
                        DeviceState::ImageInstalling,
                    ),
                    Err(e) => Next::Fail(format!("image: {e}")),
                }
            }
            Step::File {
                source,
                destination,
            } => match p.file(dev.serial, source) {
                Ok(file) => Next::send(
                    ServiceRequest::FileTransfer(FileTransfer {
                        source: FileLocation::Location(file.url),
                        destination: FileLocation::Location(destination.clone()),
                    }),
                    DeviceState::FileTransferring,
                ),
                Err(e) => Next::Fail(format!("file: {e}")),
            },
            Step::Config {
                template_dir,
                persist,
            } => match ConfigPhase::of(ctx.phase) {
                Some(ConfigPhase::ApplyRunning) => {
                    self.config_upgrade(p, template_dir, ApplyTo::Running)
                }
                Some(ConfigPhase::Persist) if *persist => Next::send(
                    ServiceRequest::CliExec(CliExec::new("copy running-config startup-config")),
                    DeviceState::ConfigPersisting,
                ),
                Some(ConfigPhase::ApplyStartup) => {
                    self.config_upgrade(p, template_dir, ApplyTo::Startup)
                }
                Some(ConfigPhase::Persist) | None => Next::Skip,
            },
            Step::Finish(how) => Next::Finish(*how),
        }
    }
}

impl Engine<'_> {
    /// The day-0 configuration as a config-upgrade applied to `target`.
    fn config_upgrade(&self, p: &mut dyn Provisioner, template_dir: &str, target: ApplyTo) -> Next {
        let dev = self.device;
        match p.config(dev.serial, dev.pid, template_dir) {
            Ok(file) => Next::send(
                ServiceRequest::ConfigUpgrade(ConfigUpgrade {
                    details: None,
                    source: crate::proto::pnp::Source {
                        file: FileLocation::Location(file.url),
                        checksum: file.md5,
                    },
                    apply_to: Some(target),
                    abort_on_syntax_fault: true,
                    after: AfterOperation::NoReload,
                }),
                DeviceState::ConfigApplying,
            ),
            Err(e) => Next::Fail(format!("config: {e}")),
        }
    }
}

/// The phases of a `config` step, stored as [`Context::phase`].
///
/// A PnP agent applies the configuration to the running configuration, then the server copies it
/// to startup (`persist`). An SMI proxy speaking for a legacy Smart Install client can only write
/// the startup configuration: it answers the running-config request with
/// [`CONFIG_UPGRADE_UNSUPPORTED`], and the step retries once toward startup, with no copy
/// afterwards (the configuration already is in startup, and the proxy does not run cli-exec).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum ConfigPhase {
    /// config-upgrade with `applyTo running`.
    ApplyRunning,
    /// `copy running-config startup-config` through cli-exec (only when `persist`).
    Persist,
    /// config-upgrade with `applyTo startup`, after the agent refused the running configuration.
    ApplyStartup,
}

impl ConfigPhase {
    /// The phase stored as `phase`, if it names one.
    pub(super) fn of(phase: u32) -> Option<Self> {
        match phase {
            0 => Some(Self::ApplyRunning),
            1 => Some(Self::Persist),
            2 => Some(Self::ApplyStartup),
            _ => None,
        }
    }

    /// The value stored in [`Context::phase`].
    pub(super) fn stored(self) -> u32 {
        match self {
            Self::ApplyRunning => 0,
            Self::Persist => 1,
            Self::ApplyStartup => 2,
        }
    }
}

/// The `errorCode` an SMI proxy answers a config-upgrade toward the running configuration with
/// (smi-proxy reference, "Unsupported Services").
pub(super) const CONFIG_UPGRADE_UNSUPPORTED: &str = "XSVC_ERROR_CONFIG_UPGRADE_UNSUPPORTED";
