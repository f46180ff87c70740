//! The plan engine: one PnP exchange at a time, it turns the current step of a device's plan into
//! a service request and the device's answer into progress.
//!
//! Order of a PnP exchange (pnp.md §1.4): the device sends a WORK-REQUEST, the server answers with
//! a service request that echoes the device's correlator, the device runs it and sends a
//! WORK-RESPONSE with the same correlator, and the server closes the exchange with a bye. The
//! engine keeps the request in flight in [`Context::pending`] and accepts an answer only when its
//! service and correlator match byte for byte, so a replayed or stale response never advances a
//! plan.
//!
//! Reloads: after an image install the device reloads. Until it says it restarted (a reload
//! reason in its work request) or the expected delay has passed, the engine answers with a short
//! backoff instead of asking for device information — asking too early reads the *old* version
//! (a race real deployments hit). Then it checks the running version and only moves on when it is
//! the one installed.
//!
//! Configuration: a `config` step applies the day-0 configuration to the running configuration
//! and, when `persist`, copies it to startup with cli-exec. An SMI proxy speaking for a legacy
//! Smart Install client cannot write the running configuration and answers
//! `XSVC_ERROR_CONFIG_UPGRADE_UNSUPPORTED`; the step then sends the same config-upgrade once more
//! toward startup, with no copy afterwards (smi-proxy reference, "Unsupported Services").
//!
//! Inputs: the device's stored [`Context`] and state, messages already parsed and — by the caller
//! — checked against the device's authenticated identity, `now` and a fresh nonce. Pure: URLs,
//! configurations and SUDI verification come through [`Provisioner`].

mod config;
mod steps;

use config::{ConfigPhase, startup_retry};
#[cfg(test)]
mod tests;

use crate::identity::CertIdentity;
use crate::policy::provision::{Finish, InfoKind, Source, Step};
use crate::proto::pnp::{
    Backoff, Bye, Correlator, DeviceAuthAnswer, DeviceInfoRequest, DeviceInfoType, Request,
    ResponseBody, Service, ServiceRequest, WorkRequest, WorkResponse, error_info::ErrorCode,
};
use crate::roles::pnp_server::state::{Context, DeviceState, Pending, ReloadWait};

/// A file the device can fetch: its HTTPS URL and, when known, its MD5 (what PnP agents check).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileRef {
    /// HTTPS URL (a per-device grant for local files).
    pub url: String,
    /// Lower-case hex MD5, when known.
    pub md5: Option<String>,
}

/// What the engine needs from the edge.
pub trait Provisioner {
    /// The URL the device fetches `source` from.
    fn file(&mut self, serial: &str, source: &Source) -> Result<FileRef, String>;
    /// The URL of the device's rendered day-0 configuration from `template_dir`.
    fn config(&mut self, serial: &str, pid: &str, template_dir: &str) -> Result<FileRef, String>;
    /// Verifies `show platform sudi certificate sign nonce <nonce>` output; returns the identity
    /// it proves.
    fn attest(&mut self, output: &str, nonce: u64) -> Result<CertIdentity, String>;
    /// Verifies a device-auth answer to `challenge`; returns the identity it proves.
    fn device_auth(
        &mut self,
        challenge: &str,
        answer: &DeviceAuthAnswer,
    ) -> Result<CertIdentity, String>;
}

/// Engine settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Settings {
    /// Backoff for devices whose plan failed, in minutes.
    pub failure_backoff_minutes: u16,
    /// Seconds added to the requested reload delay before the version is checked anyway.
    pub reload_grace_seconds: i64,
    /// Version checks after a reload before the image counts as not activated.
    pub max_reload_checks: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            failure_backoff_minutes: 60,
            reload_grace_seconds: 120,
            max_reload_checks: 10,
        }
    }
}

/// The device as the engine sees it (already authenticated by the caller).
#[derive(Clone, Copy, Debug)]
pub struct Device<'a> {
    /// Serial number.
    pub serial: &'a str,
    /// PID.
    pub pid: &'a str,
}

/// The server's answer to one message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    /// A service request (including backoff).
    Request(Box<Request>),
    /// End of the exchange.
    Bye(Bye),
}

/// An answer plus the device's state afterwards and, when something worth recording happened, a
/// history note.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// What to send.
    pub reply: Reply,
    /// The state afterwards.
    pub state: DeviceState,
    /// History note, when the state changed or an answer was refused.
    pub note: Option<String>,
}

/// A device's plan: the identity proofs its authentication policy demands, then its profile's
/// steps — borrowed, never copied per message.
#[derive(Clone, Copy, Debug)]
pub struct Plan<'a> {
    /// Proof steps, first.
    pub proofs: &'a [Step],
    /// The profile's steps.
    pub steps: &'a [Step],
}

impl<'a> Plan<'a> {
    /// Step `i`.
    pub fn get(&self, i: usize) -> Option<&'a Step> {
        match i.checked_sub(self.proofs.len()) {
            None => self.proofs.get(i),
            Some(j) => self.steps.get(j),
        }
    }

    /// Number of steps.
    pub fn len(&self) -> usize {
        self.proofs.len() + self.steps.len()
    }

    /// Whether the plan has no step.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The last step.
    pub fn last(&self) -> Option<&'a Step> {
        self.steps.last().or_else(|| self.proofs.last())
    }
}

/// Runs one plan for one device.
pub struct Engine<'a> {
    /// The plan.
    pub plan: Plan<'a>,
    /// The device.
    pub device: Device<'a>,
    /// Settings.
    pub settings: Settings,
}

impl Engine<'_> {
    /// Answers a WORK-REQUEST. `nonce` is fresh randomness for a SUDI attestation.
    pub fn on_work_request(
        &self,
        state: &DeviceState,
        ctx: &mut Context,
        wr: &WorkRequest,
        now: i64,
        nonce: u64,
        p: &mut dyn Provisioner,
    ) -> Outcome {
        let corr = wr.correlator.clone();
        if state.is_final() {
            return self.final_answer(state, corr);
        }
        // A request left unanswered (the device restarted or lost it) is simply sent again.
        ctx.pending = None;
        if let Some(wait) = &ctx.reload {
            let restarted = wr.reason.is_some();
            if !restarted && now < wait.not_before {
                let secs = u8::try_from((wait.not_before - now).clamp(5, 59)).unwrap_or(59);
                let backoff = Backoff::callback_after("waiting for the reload", 0, 0, secs);
                return match backoff {
                    Ok(b) => reply_request(
                        corr,
                        ServiceRequest::Backoff(b),
                        DeviceState::Reloading,
                        None,
                    ),
                    Err(e) => self.fail(corr, &format!("backoff: {e}")),
                };
            }
            let req = ServiceRequest::DeviceInfo(DeviceInfoRequest {
                kind: DeviceInfoType::Image,
            });
            return self.send(ctx, corr, req, DeviceState::Reloading, now, None);
        }
        self.next_request(ctx, corr, now, nonce, p)
    }

    /// Answers a WORK-RESPONSE with a bye, after moving the plan on when it answers the pending
    /// request.
    pub fn on_response(
        &self,
        state: &DeviceState,
        ctx: &mut Context,
        resp: &WorkResponse,
        now: i64,
        p: &mut dyn Provisioner,
    ) -> Outcome {
        let bye = |s: DeviceState, note: Option<String>| Outcome {
            reply: Reply::Bye(Bye::new(
                resp.correlator.clone().unwrap_or_else(fallback_correlator),
            )),
            state: s,
            note,
        };
        let Some(pending) = ctx.pending.clone() else {
            // Backoff acknowledgements and late answers: nothing to advance.
            return bye(state.clone(), None);
        };
        let matches = resp.service.namespace() == pending.service
            && resp.correlator.as_ref().map(Correlator::raw) == Some(pending.correlator.as_str());
        if !matches {
            let note = format!(
                "ignored a {} response that does not answer the pending {} request",
                resp.service.namespace(),
                pending.service
            );
            return bye(state.clone(), Some(note));
        }
        ctx.pending = None;
        match self.absorb(ctx, resp, now, p) {
            Ok(Progress::Stay(s, note)) => bye(s, note),
            Ok(Progress::Advance(note)) => {
                ctx.step += 1;
                ctx.phase = 0;
                let next = self.plan.get(ctx.step);
                let note = match next {
                    Some(Step::Finish(_)) | None => format!("{note}; plan complete"),
                    Some(_) => note,
                };
                bye(step_state(next), Some(note))
            }
            Err(Failure::NoSpace(why)) => bye(DeviceState::BootflashNoSpace, Some(why)),
            Err(Failure::Failed(why)) => bye(DeviceState::Failed(why.clone()), Some(why)),
        }
    }

    /// The plan's next request, skipping steps that need no exchange.
    fn next_request(
        &self,
        ctx: &mut Context,
        corr: Correlator,
        now: i64,
        nonce: u64,
        p: &mut dyn Provisioner,
    ) -> Outcome {
        // Each step either sends a request, finishes, or advances; bounded by the plan length.
        for _ in 0..=self.plan.len() * 2 {
            let Some(step) = self.plan.get(ctx.step) else {
                return self.finish(corr, Finish::Terminate);
            };
            match self.request_for(step, ctx, nonce, p) {
                Next::Send(req, state) => return self.send(ctx, corr, *req, state, now, None),
                Next::Skip => {
                    ctx.step += 1;
                    ctx.phase = 0;
                }
                Next::Finish(how) => return self.finish(corr, how),
                Next::NoSpace(why) => {
                    return Outcome {
                        reply: self.backoff_reply(corr, &why),
                        state: DeviceState::BootflashNoSpace,
                        note: Some(why),
                    };
                }
                Next::Fail(why) => return self.fail(corr, &why),
            }
        }
        self.fail(corr, "plan did not progress")
    }

    /// Reads the answer to the pending request into the context.
    fn absorb(
        &self,
        ctx: &mut Context,
        resp: &WorkResponse,
        now: i64,
        p: &mut dyn Provisioner,
    ) -> Result<Progress, Failure> {
        let step = self.plan.get(ctx.step);
        if !resp.success {
            if let Some(retry) = startup_retry(ctx, resp, step) {
                return Ok(retry);
            }
            return Err(failure(resp, step));
        }
        if let ResponseBody::DeviceInfo(info) = &resp.body {
            if let Some(v) = info.image_field("versionString").filter(|v| !v.is_empty()) {
                ctx.running_version = Some(v.trim().to_owned());
            }
            for fs in &info.file_systems {
                if let (Some(name), Some(free)) = (
                    &fs.name,
                    fs.freespace.as_deref().and_then(|f| f.trim().parse().ok()),
                ) {
                    ctx.free_bytes.insert(fs_key(name).to_owned(), free);
                }
            }
        }
        if let Some(wait) = ctx.reload.clone() {
            return self.after_reload(ctx, wait, now);
        }
        match step {
            Some(Step::DeviceInfo(_)) => {
                Ok(Progress::Advance("device information received".into()))
            }
            Some(Step::SudiAttest) => self.attested(ctx, resp, p),
            Some(Step::DeviceAuth) => self.device_authenticated(ctx, resp, p),
            Some(Step::Cli(cmds)) => {
                ctx.phase += 1;
                if ctx.phase as usize >= cmds.len() {
                    Ok(Progress::Advance(format!(
                        "{} CLI command(s) done",
                        cmds.len()
                    )))
                } else {
                    Ok(Progress::Stay(DeviceState::CliRunning, None))
                }
            }
            // Facts gathered for the step; the next work request decides.
            Some(Step::CheckFreeSpace { .. }) => {
                Ok(Progress::Stay(DeviceState::CheckingSpace, None))
            }
            Some(Step::Image { .. }) if resp.service == Service::DeviceInfo => {
                Ok(Progress::Stay(DeviceState::ImageInstalling, None))
            }
            Some(Step::Image {
                version,
                reload_delay_seconds,
                ..
            }) => {
                ctx.reload = Some(ReloadWait {
                    not_before: now
                        + i64::from(*reload_delay_seconds)
                        + self.settings.reload_grace_seconds,
                    target_version: version.clone(),
                    checks: 0,
                });
                Ok(Progress::Stay(
                    DeviceState::Reloading,
                    Some("image installed; device reloading".into()),
                ))
            }
            Some(Step::File { destination, .. }) => {
                Ok(Progress::Advance(format!("file copied to {destination}")))
            }
            Some(Step::Config { persist, .. }) => match ConfigPhase::of(ctx.phase) {
                Some(ConfigPhase::ApplyRunning) if *persist => {
                    ctx.phase = ConfigPhase::Persist.stored();
                    Ok(Progress::Stay(
                        DeviceState::ConfigPersisting,
                        Some("day-0 configuration applied".into()),
                    ))
                }
                Some(ConfigPhase::ApplyStartup) => Ok(Progress::Advance(
                    "day-0 configuration written to startup".into(),
                )),
                _ => Ok(Progress::Advance("day-0 configuration in place".into())),
            },
            Some(Step::Finish(_)) | None => Ok(Progress::Stay(DeviceState::Finished, None)),
        }
    }

    fn attested(
        &self,
        ctx: &mut Context,
        resp: &WorkResponse,
        p: &mut dyn Provisioner,
    ) -> Result<Progress, Failure> {
        let nonce = ctx
            .nonce
            .take()
            .ok_or_else(|| Failure::Failed("SUDI attestation: no nonce in flight".into()))?;
        let ResponseBody::CliExec(out) = &resp.body else {
            return Err(Failure::Failed(
                "SUDI attestation: no command output".into(),
            ));
        };
        let id = p
            .attest(&out.output(), nonce)
            .map_err(|e| Failure::Failed(format!("SUDI attestation: {e}")))?;
        self.same_device(&id, "SUDI attestation")?;
        Ok(Progress::Advance(format!("SUDI attested for {id}")))
    }

    fn device_authenticated(
        &self,
        ctx: &mut Context,
        resp: &WorkResponse,
        p: &mut dyn Provisioner,
    ) -> Result<Progress, Failure> {
        let fail = |why: String| Failure::Failed(format!("device-auth: {why}"));
        let challenge = ctx
            .challenge
            .take()
            .ok_or_else(|| fail("no challenge in flight".into()))?;
        let ResponseBody::DeviceAuth(Some(answer)) = &resp.body else {
            return Err(fail("no signed answer".into()));
        };
        let id = p.device_auth(&challenge, answer).map_err(fail)?;
        self.same_device(&id, "device-auth")?;
        Ok(Progress::Advance(format!("device-auth verified for {id}")))
    }

    /// The proven identity must be the device's.
    fn same_device(&self, id: &CertIdentity, how: &str) -> Result<(), Failure> {
        if id.sn != self.device.serial || id.pid != self.device.pid {
            return Err(Failure::Failed(format!(
                "{how}: key belongs to {id}, not PID:{} SN:{}",
                self.device.pid, self.device.serial
            )));
        }
        Ok(())
    }

    fn after_reload(
        &self,
        ctx: &mut Context,
        mut wait: ReloadWait,
        now: i64,
    ) -> Result<Progress, Failure> {
        wait.checks += 1;
        let done = match (&wait.target_version, &ctx.running_version) {
            (Some(want), Some(have)) => want == have,
            (None, _) => true,
            (Some(_), None) => false,
        };
        if done {
            ctx.reload = None;
            return Ok(Progress::Advance(format!(
                "device back after reload, running {}",
                ctx.running_version
                    .as_deref()
                    .unwrap_or("an unreported version")
            )));
        }
        if wait.checks >= self.settings.max_reload_checks {
            return Err(Failure::Failed(format!(
                "image not activated: still running {}",
                ctx.running_version
                    .as_deref()
                    .unwrap_or("an unreported version")
            )));
        }
        wait.not_before = now + 60;
        ctx.reload = Some(wait);
        Ok(Progress::Stay(DeviceState::Reloading, None))
    }

    fn send(
        &self,
        ctx: &mut Context,
        corr: Correlator,
        req: ServiceRequest,
        state: DeviceState,
        now: i64,
        note: Option<String>,
    ) -> Outcome {
        ctx.seq += 1;
        ctx.pending = Some(Pending {
            correlator: corr.raw().to_owned(),
            service: req.service().namespace(),
            sent: now,
        });
        reply_request(corr, req, state, note)
    }

    fn finish(&self, corr: Correlator, how: Finish) -> Outcome {
        let reply = match how {
            Finish::Terminate => {
                ServiceRequest::Backoff(Backoff::terminate("provisioning complete"))
            }
            Finish::Backoff(minutes) => backoff_minutes("provisioning complete", minutes),
        };
        reply_request(
            corr,
            reply,
            DeviceState::Finished,
            Some("plan complete".into()),
        )
    }

    /// What a device whose plan is over hears when it asks for work again.
    fn final_answer(&self, state: &DeviceState, corr: Correlator) -> Outcome {
        match state {
            DeviceState::Finished => {
                let how = match self.plan.last() {
                    Some(Step::Finish(how)) => *how,
                    _ => Finish::Terminate,
                };
                let mut out = self.finish(corr, how);
                out.note = None;
                out
            }
            other => Outcome {
                reply: self.backoff_reply(corr, &other.to_string()),
                state: other.clone(),
                note: None,
            },
        }
    }

    fn fail(&self, corr: Correlator, why: &str) -> Outcome {
        Outcome {
            reply: self.backoff_reply(corr, why),
            state: DeviceState::Failed(why.to_owned()),
            note: Some(why.to_owned()),
        }
    }

    fn backoff_reply(&self, corr: Correlator, why: &str) -> Reply {
        let minutes = u32::from(self.settings.failure_backoff_minutes);
        Reply::Request(Box::new(Request::new(corr, backoff_minutes(why, minutes))))
    }
}

/// What a step needs next.
enum Next {
    Send(Box<ServiceRequest>, DeviceState),
    Skip,
    Finish(Finish),
    NoSpace(String),
    Fail(String),
}

impl Next {
    fn send(req: ServiceRequest, state: DeviceState) -> Self {
        Self::Send(Box::new(req), state)
    }
}

/// How an accepted answer moved the plan.
enum Progress {
    Stay(DeviceState, Option<String>),
    Advance(String),
}

enum Failure {
    NoSpace(String),
    Failed(String),
}

fn failure(resp: &WorkResponse, step: Option<&Step>) -> Failure {
    let code = resp.error.as_ref().and_then(|e| e.code.clone());
    let text = resp
        .error
        .as_ref()
        .map(|e| {
            format!(
                "{} {}",
                e.code_text.as_deref().unwrap_or("?"),
                e.message.as_deref().unwrap_or("")
            )
        })
        .unwrap_or_else(|| "no error information".into());
    let service = resp.service.namespace();
    let service = service.trim_start_matches("urn:cisco:pnp:");
    if let Some(ErrorCode::ImageInstall(
        crate::proto::pnp::error_info::ImageInstallError::NoSpace,
    )) = code
    {
        return Failure::NoSpace(format!("{service}: {}", text.trim()));
    }
    let step = step.map_or("plan", step_name);
    Failure::Failed(format!("{step}: {service} failed: {}", text.trim()))
}

fn reply_request(
    corr: Correlator,
    req: ServiceRequest,
    state: DeviceState,
    note: Option<String>,
) -> Outcome {
    Outcome {
        reply: Reply::Request(Box::new(Request::new(corr, req))),
        state,
        note,
    }
}

fn backoff_minutes(reason: &str, minutes: u32) -> ServiceRequest {
    let m = u16::try_from(minutes.clamp(1, 2880)).unwrap_or(2880);
    match Backoff::default_minutes(reason, m) {
        Ok(b) => ServiceRequest::Backoff(b),
        // Unreachable in practice (the value is clamped), but never panic: terminate instead.
        Err(_) => ServiceRequest::Backoff(Backoff::terminate(reason)),
    }
}

fn info(kind: DeviceInfoType) -> ServiceRequest {
    ServiceRequest::DeviceInfo(DeviceInfoRequest { kind })
}

fn info_type(kind: InfoKind) -> DeviceInfoType {
    match kind {
        InfoKind::All => DeviceInfoType::All,
        InfoKind::Image => DeviceInfoType::Image,
        InfoKind::Hardware => DeviceInfoType::Hardware,
        InfoKind::Filesystem => DeviceInfoType::Filesystem,
        InfoKind::Udi => DeviceInfoType::Udi,
    }
}

/// A device-auth challenge from a fresh nonce: 32 upper-case hexadecimal characters.
fn challenge_of(nonce: u64) -> String {
    format!(
        "{nonce:016X}{:016X}",
        nonce.rotate_left(29) ^ 0x9E37_79B9_7F4A_7C15
    )
}

/// `bootflash:` and `bootflash` name the same file system.
fn fs_key(name: &str) -> &str {
    name.trim_end_matches(':')
}

/// The state a device is in while working on `step`.
fn step_state(step: Option<&Step>) -> DeviceState {
    match step {
        Some(Step::DeviceInfo(_)) => DeviceState::DeviceInfo,
        Some(Step::SudiAttest) => DeviceState::SudiAttesting,
        Some(Step::DeviceAuth) => DeviceState::DeviceAuthenticating,
        Some(Step::Cli(_)) => DeviceState::CliRunning,
        Some(Step::CheckFreeSpace { .. }) => DeviceState::CheckingSpace,
        Some(Step::Image { .. }) => DeviceState::ImageInstalling,
        Some(Step::File { .. }) => DeviceState::FileTransferring,
        Some(Step::Config { .. }) => DeviceState::ConfigApplying,
        Some(Step::Finish(_)) | None => DeviceState::Finished,
    }
}

fn step_name(step: &Step) -> &'static str {
    match step {
        Step::DeviceInfo(_) => "device-info",
        Step::SudiAttest => "sudi-attest",
        Step::DeviceAuth => "device-auth",
        Step::Cli(_) => "cli",
        Step::CheckFreeSpace { .. } => "free-space",
        Step::Image { .. } => "image",
        Step::File { .. } => "file",
        Step::Config { .. } => "config",
        Step::Finish(_) => "finish",
    }
}

/// A correlator for a bye answering a response that carried none (certificate-install and
/// redirection may omit it).
#[allow(clippy::expect_used)]
pub(crate) fn fallback_correlator() -> Correlator {
    // Invariant: a short ASCII constant without characters that need escaping is always a valid
    // correlator (`fallback_correlator_is_valid` checks it).
    Correlator::new(FALLBACK_CORRELATOR).expect("constant correlator is valid")
}

const FALLBACK_CORRELATOR: &str = "ztpgate-bye";
