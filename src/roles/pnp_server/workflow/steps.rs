//! The request each plan step sends (or why it sends none): the first half of the engine, split
//! from `workflow.rs` to keep each part readable.

use crate::policy::provision::Step;
use crate::proto::pnp::common::Reload;
use crate::proto::pnp::{
    AfterOperation, ApplyTo, CliExec, DeviceAuthRequest, DeviceInfoType, FileLocation,
    FileTransfer, ImageInstall, ServiceRequest,
};
use crate::roles::pnp_server::state::{Context, DeviceState};
use crate::roles::pnp_server::workflow::config::ConfigPhase;
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
