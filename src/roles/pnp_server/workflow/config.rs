//! The `config` step's phases: apply to the running configuration, persist to startup, or — when
//! the agent is an SMI proxy for a legacy Smart Install client, which can only write startup and
//! answers `XSVC_ERROR_CONFIG_UPGRADE_UNSUPPORTED` (smi-proxy reference, "Unsupported Services") —
//! apply once more toward startup.
//!
//! Inputs: the parsed (untrusted) work response, compared against the pending request by the
//! engine before it gets here; the error code is matched verbatim, never interpreted further.

use crate::policy::provision::Step;
use crate::proto::pnp::{
    AfterOperation, ApplyTo, ConfigUpgrade, FileLocation, Service, ServiceRequest, WorkResponse,
};
use crate::roles::pnp_server::state::{Context, DeviceState};
use crate::roles::pnp_server::workflow::{Engine, Next, Progress, Provisioner};

impl Engine<'_> {
    /// The day-0 configuration as a config-upgrade applied to `target`.
    pub(super) fn config_upgrade(
        &self,
        p: &mut dyn Provisioner,
        template_dir: &str,
        target: ApplyTo,
    ) -> Next {
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

/// A config step whose config-upgrade toward the running configuration the agent does not support
/// (an SMI proxy for a legacy client) moves to its startup phase, once; any other failure is none
/// of this function's business.
pub(super) fn startup_retry(
    ctx: &mut Context,
    resp: &WorkResponse,
    step: Option<&Step>,
) -> Option<Progress> {
    let unsupported = resp
        .error
        .as_ref()
        .and_then(|e| e.code_text.as_deref())
        .is_some_and(|c| c.trim() == CONFIG_UPGRADE_UNSUPPORTED);
    let retry = unsupported
        && resp.service == Service::ConfigUpgrade
        && matches!(step, Some(Step::Config { .. }))
        && ConfigPhase::of(ctx.phase) == Some(ConfigPhase::ApplyRunning);
    if !retry {
        return None;
    }
    ctx.phase = ConfigPhase::ApplyStartup.stored();
    Some(Progress::Stay(
        DeviceState::ConfigApplying,
        Some("running config not supported by the agent; retrying toward startup".into()),
    ))
}
