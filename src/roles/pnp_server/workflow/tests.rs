//! The plan engine driven through whole onboardings with parsed PnP messages: every step, the
//! reload race, stale and replayed answers, failures, and a resume from stored context.

use super::*;

use crate::policy::provision::{Finish, InfoKind, Source, Step};
use crate::proto::pnp::{AgentMessage, ApplyTo, FileLocation, ServiceRequest, parse_agent_message};

const UDI: &str = "PID:C9300-24T,VID:V01,SN:FOC1234X0AB";

struct Fake {
    attest_as: (String, String),
}

impl Provisioner for Fake {
    fn file(&mut self, serial: &str, source: &Source) -> Result<FileRef, String> {
        match source {
            Source::Local(path) => Ok(FileRef {
                url: format!("https://gw/files/{serial}/{path}"),
                md5: Some("0123456789abcdef0123456789abcdef".into()),
            }),
            Source::Remote { url, .. } => Ok(FileRef {
                url: url.clone(),
                md5: None,
            }),
        }
    }

    fn config(&mut self, serial: &str, pid: &str, dir: &str) -> Result<FileRef, String> {
        Ok(FileRef {
            url: format!("https://gw/files/{serial}/{dir}/{pid}.cfg"),
            md5: None,
        })
    }

    fn device_auth(
        &mut self,
        challenge: &str,
        answer: &DeviceAuthAnswer,
    ) -> Result<CertIdentity, String> {
        if answer.challenge_response != format!("sig({challenge})") {
            return Err("signature does not verify".into());
        }
        Ok(CertIdentity {
            pid: self.attest_as.0.clone(),
            sn: self.attest_as.1.clone(),
        })
    }

    fn attest(&mut self, output: &str, nonce: u64) -> Result<CertIdentity, String> {
        if output.trim() != format!("signed {nonce}") {
            return Err(format!("bad signature over nonce {nonce}"));
        }
        Ok(CertIdentity {
            pid: self.attest_as.0.clone(),
            sn: self.attest_as.1.clone(),
        })
    }
}

fn fake() -> Fake {
    Fake {
        attest_as: ("C9300-24T".into(), "FOC1234X0AB".into()),
    }
}

fn plan() -> Vec<Step> {
    vec![
        Step::DeviceInfo(InfoKind::All),
        Step::SudiAttest,
        Step::CheckFreeSpace {
            filesystem: "bootflash:".into(),
            min_bytes: 1_000,
        },
        Step::Image {
            source: Source::Local("images/cat9k.17.09.04a.SPA.bin".into()),
            version: Some("17.9.4a".into()),
            destination: "bootflash:".into(),
            reload_delay_seconds: 30,
        },
        Step::Config {
            template_dir: "configs".into(),
            persist: true,
        },
        Step::Finish(Finish::Terminate),
    ]
}

fn engine(plan: &[Step]) -> Engine<'_> {
    Engine {
        plan: Plan {
            proofs: &[],
            steps: plan,
        },
        device: Device {
            serial: "FOC1234X0AB",
            pid: "C9300-24T",
        },
        settings: Settings::default(),
    }
}

fn work_request(correlator: &str, restarted: bool) -> WorkRequest {
    let reason = if restarted {
        "<reason><reload><message>reload</message></reload></reason>"
    } else {
        ""
    };
    let xml = format!(
        "<pnp xmlns=\"urn:cisco:pnp\" version=\"1.0\" udi=\"{UDI}\"><info xmlns=\"urn:cisco:pnp:work-info\" \
         correlator=\"{correlator}\"><deviceId><udi>{UDI}</udi><hostname>Switch</hostname>\
         <authRequired>false</authRequired></deviceId>{reason}</info></pnp>"
    );
    match parse_agent_message(xml.as_bytes()).unwrap() {
        AgentMessage::WorkRequest(w) => w,
        other => panic!("{other:?}"),
    }
}

fn response(service: &str, correlator: &str, success: bool, body: &str) -> WorkResponse {
    let xml = format!(
        "<pnp xmlns=\"urn:cisco:pnp\" version=\"1.0\" udi=\"{UDI}\"><response \
         xmlns=\"urn:cisco:pnp:{service}\" correlator=\"{correlator}\" success=\"{}\">{body}</response></pnp>",
        u8::from(success)
    );
    match parse_agent_message(xml.as_bytes()).unwrap() {
        AgentMessage::Response(r) => r,
        other => panic!("{other:?}"),
    }
}

fn device_info(version: &str, free: u64) -> String {
    format!(
        "<imageInfo><versionString>{version}</versionString><imageFile>bootflash:packages.conf</imageFile></imageInfo>\
         <fileSystemList><fileSystem name=\"bootflash\" type=\"disk\" size=\"8000000000\" freespace=\"{free}\" \
         readable=\"true\" writable=\"true\"/></fileSystemList>"
    )
}

fn exec_output(text: &str) -> String {
    format!(
        "<execLog><dialogueLog><sent>cmd</sent><received><text>{text}</text></received></dialogueLog></execLog>"
    )
}

fn request_of(out: &Outcome) -> &ServiceRequest {
    match &out.reply {
        Reply::Request(r) => &r.body,
        Reply::Bye(b) => panic!("expected a request, got {b:?}"),
    }
}

/// One device and its stored state, exchanging messages with the engine.
struct Run<'p> {
    engine: Engine<'p>,
    state: DeviceState,
    ctx: Context,
    fake: Fake,
    n: u32,
    now: i64,
}

impl<'p> Run<'p> {
    fn new(plan: &'p [Step]) -> Self {
        Self {
            engine: engine(plan),
            state: DeviceState::New,
            ctx: Context::default(),
            fake: fake(),
            n: 0,
            now: 1_000_000,
        }
    }

    /// A work request; returns the answer and the correlator used.
    fn ask(&mut self, restarted: bool) -> (Outcome, String) {
        self.n += 1;
        let corr = format!("CiscoPnP-1.0-{}", self.n);
        let out = self.engine.on_work_request(
            &self.state,
            &mut self.ctx,
            &work_request(&corr, restarted),
            self.now,
            4_242,
            &mut self.fake,
        );
        self.state = out.state.clone();
        (out, corr)
    }

    fn answer(&mut self, service: &str, corr: &str, success: bool, body: &str) -> Outcome {
        let out = self.engine.on_response(
            &self.state,
            &mut self.ctx,
            &response(service, corr, success, body),
            self.now,
            &mut self.fake,
        );
        assert!(matches!(out.reply, Reply::Bye(_)), "{out:?}");
        self.state = out.state.clone();
        out
    }
}

#[test]
fn onboards_a_device_through_every_step_and_the_reload() {
    let plan = plan();
    let mut run = Run::new(&plan);

    let (out, c) = run.ask(false);
    assert!(matches!(request_of(&out), ServiceRequest::DeviceInfo(_)));
    assert_eq!(out.state, DeviceState::DeviceInfo);
    run.answer("device-info", &c, true, &device_info("17.3.4a", 5_000));
    assert_eq!(run.ctx.running_version.as_deref(), Some("17.3.4a"));

    let (out, c) = run.ask(false);
    let ServiceRequest::CliExec(cmd) = request_of(&out) else {
        panic!()
    };
    assert_eq!(cmd.cmd, "show platform sudi certificate sign nonce 4242");
    run.answer("cli-exec", &c, true, &exec_output("signed 4242"));

    // Free space is known from device-info: straight to the image install.
    let (out, c) = run.ask(false);
    let ServiceRequest::ImageInstall(ii) = request_of(&out) else {
        panic!("{out:?}")
    };
    assert_eq!(
        ii.source.file,
        FileLocation::Location(
            "https://gw/files/FOC1234X0AB/images/cat9k.17.09.04a.SPA.bin".into()
        )
    );
    assert_eq!(out.state, DeviceState::ImageInstalling);
    let out = run.answer("image-install", &c, true, "");
    assert_eq!(out.state, DeviceState::Reloading);

    // The race: the device asks again before it reloaded. No device-info yet, only a backoff.
    let (out, _) = run.ask(false);
    assert!(
        matches!(request_of(&out), ServiceRequest::Backoff(_)),
        "{out:?}"
    );
    assert!(run.ctx.pending.is_none());

    // It comes back after the reload and says so: the version is checked.
    run.now += 40;
    let (out, c) = run.ask(true);
    assert!(matches!(request_of(&out), ServiceRequest::DeviceInfo(_)));
    let out = run.answer("device-info", &c, true, &device_info("17.9.4a", 4_000));
    assert_eq!(out.state, DeviceState::ConfigApplying);

    let (out, c) = run.ask(false);
    let ServiceRequest::ConfigUpgrade(cu) = request_of(&out) else {
        panic!()
    };
    assert_eq!(cu.apply_to, Some(ApplyTo::Running));
    run.answer("config-upgrade", &c, true, "");
    let (out, c) = run.ask(false);
    let ServiceRequest::CliExec(cmd) = request_of(&out) else {
        panic!()
    };
    assert_eq!(cmd.cmd, "copy running-config startup-config");
    run.answer("cli-exec", &c, true, &exec_output("[OK]"));

    let (out, _) = run.ask(false);
    let ServiceRequest::Backoff(b) = request_of(&out) else {
        panic!()
    };
    assert_eq!(b.action, crate::proto::pnp::BackoffAction::Terminate);
    assert_eq!(out.state, DeviceState::Finished);
    // Finished devices keep hearing "terminate".
    let (out, _) = run.ask(false);
    assert!(matches!(request_of(&out), ServiceRequest::Backoff(_)));
    assert_eq!(out.state, DeviceState::Finished);
}

#[test]
fn answers_that_do_not_match_the_pending_request_never_advance() {
    let plan = plan();
    let mut run = Run::new(&plan);
    let (_, c) = run.ask(false);
    let out = run.answer(
        "device-info",
        "CiscoPnP-1.0-999",
        true,
        &device_info("1", 1),
    );
    assert!(out.note.unwrap().contains("does not answer"));
    let out = run.answer("cli-exec", &c, true, &exec_output("x"));
    assert!(out.note.is_some());
    assert_eq!(
        (run.ctx.step, run.state.clone()),
        (0, DeviceState::DeviceInfo)
    );
    // The right answer still counts.
    run.answer("device-info", &c, true, &device_info("1", 1));
    assert_eq!(run.ctx.step, 1);
    // Replaying it later is ignored.
    let (_, _c2) = run.ask(false);
    let out = run.answer("device-info", &c, true, &device_info("1", 1));
    assert!(out.note.is_some());
    assert_eq!(run.ctx.step, 1);
}

#[test]
fn skips_an_image_the_device_already_runs() {
    let plan = plan();
    let mut run = Run::new(&plan);
    run.ctx.step = 3;
    let (out, c) = run.ask(false);
    assert!(
        matches!(request_of(&out), ServiceRequest::DeviceInfo(_)),
        "version unknown: ask"
    );
    run.answer("device-info", &c, true, &device_info("17.9.4a", 10));
    let (out, _) = run.ask(false);
    assert!(
        matches!(request_of(&out), ServiceRequest::ConfigUpgrade(_)),
        "{out:?}"
    );
}

#[test]
fn too_little_space_stops_the_plan_as_bootflash_no_space() {
    let plan = plan();
    let mut run = Run::new(&plan);
    run.ctx.step = 2;
    let (out, c) = run.ask(false);
    assert!(matches!(request_of(&out), ServiceRequest::DeviceInfo(_)));
    run.answer("device-info", &c, true, &device_info("17.3.4a", 999));
    let (out, _) = run.ask(false);
    assert_eq!(out.state, DeviceState::BootflashNoSpace);
    assert!(matches!(request_of(&out), ServiceRequest::Backoff(_)));
    // The device's own no-space error lands in the same state.
    let mut run = Run::new(&plan);
    run.ctx.step = 3;
    run.ctx.running_version = Some("17.3.4a".into());
    let (_, c) = run.ask(false);
    let err = "<errorInfo><errorSeverity>ERROR</errorSeverity><errorCode>PnP Service Error 1825</errorCode>\
               <errorMessage>no space</errorMessage></errorInfo>";
    let out = run.answer("image-install", &c, false, err);
    assert_eq!(out.state, DeviceState::BootflashNoSpace);
}

#[test]
fn a_failed_step_fails_the_plan_and_the_device_backs_off() {
    let plan = plan();
    let mut run = Run::new(&plan);
    run.ctx.step = 4;
    let (_, c) = run.ask(false);
    let err = "<errorInfo><errorSeverity>ERROR</errorSeverity><errorCode>PnP Service Error 1413</errorCode>\
               <errorMessage>Invalid input detected</errorMessage></errorInfo>";
    let out = run.answer("config-upgrade", &c, false, err);
    let DeviceState::Failed(why) = &out.state else {
        panic!("{out:?}")
    };
    assert!(why.contains("config") && why.contains("1413"), "{why}");
    let (out, _) = run.ask(false);
    assert!(matches!(request_of(&out), ServiceRequest::Backoff(_)));
    assert!(out.state.is_final());
}

#[test]
fn sudi_attestation_must_prove_the_claimed_device() {
    let plan = plan();
    let mut run = Run::new(&plan);
    run.ctx.step = 1;
    run.fake.attest_as = ("C9300-24T".into(), "SOMEONEELSE".into());
    let (_, c) = run.ask(false);
    let out = run.answer("cli-exec", &c, true, &exec_output("signed 4242"));
    assert!(
        matches!(&out.state, DeviceState::Failed(w) if w.contains("SOMEONEELSE")),
        "{out:?}"
    );

    let mut run = Run::new(&plan);
    run.ctx.step = 1;
    let (_, c) = run.ask(false);
    let out = run.answer("cli-exec", &c, true, &exec_output("signed 1"));
    assert!(
        matches!(&out.state, DeviceState::Failed(w) if w.contains("bad signature")),
        "{out:?}"
    );
}

#[test]
fn an_image_that_never_activates_fails_after_the_allowed_checks() {
    let plan = plan();
    let mut run = Run::new(&plan);
    run.ctx.step = 3;
    run.ctx.running_version = Some("17.3.4a".into());
    let (_, c) = run.ask(false);
    run.answer("image-install", &c, true, "");
    for check in 1..=run.engine.settings.max_reload_checks {
        run.now += 10_000;
        let (out, c) = run.ask(false);
        assert!(
            matches!(request_of(&out), ServiceRequest::DeviceInfo(_)),
            "check {check}"
        );
        let out = run.answer("device-info", &c, true, &device_info("17.3.4a", 10));
        if check < run.engine.settings.max_reload_checks {
            assert_eq!(out.state, DeviceState::Reloading);
        } else {
            assert!(matches!(&out.state, DeviceState::Failed(w) if w.contains("not activated")));
        }
    }
}

#[test]
fn resumes_from_stored_context_after_a_restart() {
    let plan = plan();
    let mut run = Run::new(&plan);
    let (_, c) = run.ask(false);
    run.answer("device-info", &c, true, &device_info("17.3.4a", 5_000));
    let (_, c) = run.ask(false);
    // The gateway restarts here: state and context go through their stored forms.
    let stored_state = run.state.to_string();
    let stored_ctx = serde_json::to_string(&run.ctx).unwrap();
    let mut resumed = Run::new(&plan);
    resumed.state = stored_state.parse().unwrap();
    resumed.ctx = serde_json::from_str(&stored_ctx).unwrap();
    resumed.n = run.n;
    let out = resumed.answer("cli-exec", &c, true, &exec_output("signed 4242"));
    assert_eq!(out.state, DeviceState::CheckingSpace);
    let (out, _) = resumed.ask(false);
    assert!(matches!(request_of(&out), ServiceRequest::ImageInstall(_)));
}

#[test]
fn fallback_correlator_is_valid() {
    assert_eq!(fallback_correlator().as_str(), FALLBACK_CORRELATOR);
}

#[test]
fn device_auth_challenge_must_be_signed_by_the_device() {
    let plan = vec![Step::DeviceAuth, Step::Finish(Finish::Terminate)];
    let mut run = Run::new(&plan);
    let (out, c) = run.ask(false);
    let ServiceRequest::DeviceAuth(req) = request_of(&out) else {
        panic!("{out:?}")
    };
    assert_eq!(req.challenge.len(), 32);
    assert_eq!(out.state, DeviceState::DeviceAuthenticating);
    let answer = |sig: &str| {
        format!(
            "<auth><challenge-response>{sig}</challenge-response><sudi-cert>eA==</sudi-cert>\
             <encryption-method>RSA</encryption-method><hashing-method>SHA256</hashing-method></auth>"
        )
    };
    let good = answer(&format!("sig({})", req.challenge));
    let out = run.answer("device-auth", &c, true, &good);
    assert!(out.note.unwrap().contains("device-auth verified"));
    assert_eq!(out.state, DeviceState::Finished);

    let mut run = Run::new(&plan);
    let (_, c) = run.ask(false);
    let out = run.answer("device-auth", &c, true, &answer("sig(someone else)"));
    assert!(
        matches!(&out.state, DeviceState::Failed(w) if w.starts_with("device-auth")),
        "{out:?}"
    );
}

const UNSUPPORTED_RUNNING: &str = "<errorInfo><errorSeverity>XSVC_ERROR</errorSeverity>\
    <errorCode>XSVC_ERROR_CONFIG_UPGRADE_UNSUPPORTED</errorCode>\
    <errorMessage>SMI PROXY: Config upgrade apply to Running Config is not supported</errorMessage>\
    </errorInfo>";

fn config_plan() -> Vec<Step> {
    vec![
        Step::Config {
            template_dir: "configs".into(),
            persist: true,
        },
        Step::Finish(Finish::Terminate),
    ]
}

/// Sends the config step's first request and answers it with the proxy's "running unsupported".
fn refused_running(run: &mut Run<'_>) -> Outcome {
    let (out, c) = run.ask(false);
    let ServiceRequest::ConfigUpgrade(cu) = request_of(&out) else {
        panic!("{out:?}")
    };
    assert_eq!(cu.apply_to, Some(ApplyTo::Running));
    run.answer("config-upgrade", &c, false, UNSUPPORTED_RUNNING)
}

#[test]
fn config_unsupported_toward_running_is_retried_toward_startup_without_persist() {
    let plan = config_plan();
    let mut run = Run::new(&plan);
    let out = refused_running(&mut run);
    assert_eq!(out.state, DeviceState::ConfigApplying);
    assert_eq!(
        out.note.as_deref(),
        Some("running config not supported by the agent; retrying toward startup")
    );
    let (out, c) = run.ask(false);
    let ServiceRequest::ConfigUpgrade(cu) = request_of(&out) else {
        panic!("{out:?}")
    };
    assert_eq!(cu.apply_to, Some(ApplyTo::Startup));
    assert_eq!(
        cu.source.file,
        FileLocation::Location("https://gw/files/FOC1234X0AB/configs/C9300-24T.cfg".into())
    );
    let out = run.answer("config-upgrade", &c, true, "");
    assert!(out.note.unwrap().contains("startup"));
    // No `copy running-config startup-config` afterwards: the plan is over.
    assert_eq!(out.state, DeviceState::Finished);
    let (out, _) = run.ask(false);
    assert!(matches!(request_of(&out), ServiceRequest::Backoff(_)));
}

#[test]
fn config_failing_toward_startup_fails_the_plan() {
    let plan = config_plan();
    let mut run = Run::new(&plan);
    refused_running(&mut run);
    let (_, c) = run.ask(false);
    let err = "<errorInfo><errorSeverity>ERROR</errorSeverity><errorCode>PnP Service Error 1407</errorCode>\
               <errorMessage>copy to startup failed</errorMessage></errorInfo>";
    let out = run.answer("config-upgrade", &c, false, err);
    assert!(
        matches!(&out.state, DeviceState::Failed(w) if w.contains("1407")),
        "{out:?}"
    );
}

#[test]
fn config_startup_retry_happens_only_once() {
    let plan = config_plan();
    let mut run = Run::new(&plan);
    refused_running(&mut run);
    let (_, c) = run.ask(false);
    let out = run.answer("config-upgrade", &c, false, UNSUPPORTED_RUNNING);
    assert!(
        matches!(&out.state, DeviceState::Failed(w) if w.contains("XSVC_ERROR_CONFIG_UPGRADE_UNSUPPORTED")),
        "{out:?}"
    );
}

#[test]
fn other_unsupported_errors_do_not_trigger_the_startup_retry() {
    let plan = config_plan();
    let mut run = Run::new(&plan);
    let (_, c) = run.ask(false);
    let err = "<errorInfo><errorSeverity>XSVC_ERROR</errorSeverity>\
               <errorCode>PNP_ERROR_UNSUPPORTED_REQUEST</errorCode>\
               <errorMessage>SMI PROXY:Not supported service request</errorMessage></errorInfo>";
    let out = run.answer("config-upgrade", &c, false, err);
    assert!(matches!(&out.state, DeviceState::Failed(_)), "{out:?}");
}

#[test]
fn startup_retry_survives_a_restart() {
    let plan = config_plan();
    let mut run = Run::new(&plan);
    refused_running(&mut run);
    let stored_ctx = serde_json::to_string(&run.ctx).unwrap();
    let mut resumed = Run::new(&plan);
    resumed.state = run.state.to_string().parse().unwrap();
    resumed.ctx = serde_json::from_str(&stored_ctx).unwrap();
    resumed.n = run.n;
    let (out, _) = resumed.ask(false);
    let ServiceRequest::ConfigUpgrade(cu) = request_of(&out) else {
        panic!("{out:?}")
    };
    assert_eq!(cu.apply_to, Some(ApplyTo::Startup));
}
