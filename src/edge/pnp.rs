//! The PnP server's HTTPS endpoints (`/pnp/HELLO`, `/pnp/WORK-REQUEST`, `/pnp/WORK-RESPONSE`,
//! pnp.md §1.2) and the per-message flow: parse → authenticate → choose the plan → run the engine
//! → store → audit → answer.
//!
//! Bodies are attacker-controlled: capped at [`MAX_BODY_BYTES`] before parsing, parsed by the
//! bounded `proto::pnp` reader. A device is identified by its verified certificate when it has
//! one; the UDI it claims must match it (policy `udi_must_match_certificate`), otherwise the
//! message is rejected, audited, and never reaches the workflow.
//!
//! SMI proxies: a certificate listed in `device_auth.smi_proxies` may claim other devices' UDIs
//! (one ztpgate SMI proxy speaking for many legacy Smart Install clients). The claimed device is
//! then provisioned as claimed, without a verified certificate of its own: a legacy client behind a
//! proxy cannot sign a device-auth challenge or run `show platform sudi` (the proxy relays neither
//! service), so when the policy demands such a proof the plan fails at once with a note saying so,
//! instead of waiting for a proof that can never come. Its history notes and audit entries name the
//! proxy. Device state lives in the
//! [`directory::Directory`] and the store behind it, so a restart resumes every device where it
//! was; messages of different devices run in parallel, messages of one device one at a time.

pub mod bootstrap;
pub mod directory;
pub mod provisioner;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::{Method, Request, Response, StatusCode};
use tokio::sync::Mutex;

use crate::audit::{AuditEntry, AuditLog, EntryKind};
use crate::edge::listener::{ConnInfo, Handler};
use crate::edge::pnp::directory::{DeviceEntry, Directory, Durability};
use crate::edge::pnp::provisioner::{EdgeProvisioner, FileGrants};
use crate::edge::sudi_verifier::SudiClientVerifier;
use crate::identity::Udi;
use crate::pki::sudi::{SudiChainError, cert_status};
use crate::policy::Policy;
use crate::policy::auth::{AuthEvidence, AuthMethod, AuthVerdict, CertStatus};
use crate::policy::join::{JoinContext, JoinDevice, Purpose};
use crate::policy::provision::{ProvisionSubject, ProvisionVerdict, Step};
use crate::proto::pnp::{
    AgentMessage, Backoff, Bye, Header, Request as PnpRequest, ServiceRequest, WorkRequest,
    parse_agent_message,
};
use crate::roles::pnp_server::state::{Context, DeviceState};
use crate::roles::pnp_server::workflow::{
    Device, Engine, Outcome, Plan, Reply, Settings, fallback_correlator,
};
use crate::store::pnp::PnpHistoryEntry;
use crate::store::{SqliteStore, Store};

/// The most bytes of a PnP body (pnp.md §2.6).
pub const MAX_BODY_BYTES: usize = crate::proto::pnp::MAX_BODY_BYTES;

/// How long a connection's certificate verdict is reused before the chain is checked again.
pub const CERT_MEMO_TTL: Duration = Duration::from_secs(60);

/// The PnP server's [`Handler`].
pub struct PnpServer {
    /// Policy in force.
    pub policy: Arc<Policy>,
    /// Every known device (authoritative; written to the store behind the exchanges).
    pub directory: Arc<Directory>,
    /// The store, for the operator's join-window override.
    pub store: Arc<Mutex<SqliteStore>>,
    /// Audit log.
    pub audit: Arc<Mutex<AuditLog>>,
    /// File grants for plans.
    pub files: FileGrants,
    /// The verifier of device certificates (SUDI chains); `None` when no trust anchors could be
    /// loaded — every certificate then fails and is audited.
    pub verifier: Option<Arc<SudiClientVerifier>>,
    /// Engine settings.
    pub settings: Settings,
}

impl Handler for PnpServer {
    type Body = Full<Bytes>;

    async fn handle(&self, req: Request<Incoming>, conn: &ConnInfo) -> Response<Full<Bytes>> {
        match PnpCall::read(req).await {
            PnpCall::Exchange(body) => self.exchange(&body, conn).await,
            PnpCall::TooLarge => {
                self.deny(conn, "", "pnp-body-too-large", "body over 64 KiB or broken")
                    .await;
                PnpCall::TooLarge.answer()
            }
            other => other.answer(),
        }
    }
}

/// What a request to a PnP listener asks for, with its body read within [`MAX_BODY_BYTES`]
/// (pnp.md §1.2). Shared by the HTTPS server and the plain-HTTP bootstrap.
pub(crate) enum PnpCall {
    /// `/pnp/HELLO`, any method: agents probe reachability.
    Hello,
    /// A POSTed WORK-REQUEST or WORK-RESPONSE body.
    Exchange(Bytes),
    /// The body is over the limit or broken.
    TooLarge,
    /// A PnP path with the wrong method.
    MethodNotAllowed,
    /// Anything else.
    NotFound,
}

impl PnpCall {
    /// Routes `req`, reading the body of an exchange.
    pub(crate) async fn read(req: Request<Incoming>) -> Self {
        let post = req.method() == Method::POST;
        match req.uri().path() {
            "/pnp/HELLO" => Self::Hello,
            "/pnp/WORK-REQUEST" | "/pnp/WORK-RESPONSE" if post => {
                match Limited::new(req.into_body(), MAX_BODY_BYTES)
                    .collect()
                    .await
                {
                    Ok(body) => Self::Exchange(body.to_bytes()),
                    Err(_) => Self::TooLarge,
                }
            }
            "/pnp/WORK-REQUEST" | "/pnp/WORK-RESPONSE" => Self::MethodNotAllowed,
            _ => Self::NotFound,
        }
    }

    /// The empty answer for anything but an exchange.
    pub(crate) fn answer(&self) -> Response<Full<Bytes>> {
        let code = match self {
            Self::Hello | Self::Exchange(_) => StatusCode::OK,
            Self::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::NotFound => StatusCode::NOT_FOUND,
        };
        reply(code, String::new())
    }
}

impl PnpServer {
    async fn exchange(&self, body: &[u8], conn: &ConnInfo) -> Response<Full<Bytes>> {
        let msg = match parse_agent_message(body) {
            Ok(msg) => msg,
            Err(e) => {
                self.deny(conn, "", "pnp-malformed", &e.to_string()).await;
                return reply(StatusCode::BAD_REQUEST, String::new());
            }
        };
        let claimed = match &msg {
            AgentMessage::WorkRequest(w) => w.device_id.udi.clone(),
            AgentMessage::Response(r) => r.envelope.udi.clone(),
            AgentMessage::Fault(f) => f.envelope.udi.clone(),
        };
        let status = self.certificate(conn, crate::clock::now_system());
        let decision = self.policy.device_auth.decide(&AuthEvidence {
            certificate: status,
            claimed_udi: Some(&claimed),
        });
        let subject = match &decision.verdict {
            AuthVerdict::Authenticated(id) => Subject::new(id.sn(), id.pid(), true),
            AuthVerdict::Unauthenticated => Subject::new(&claimed.sn, &claimed.pid, false),
            AuthVerdict::Proxied { proxy, device } => Subject {
                proxy: Some(proxy.to_string()),
                ..Subject::new(&device.sn, &device.pid, false)
            },
            AuthVerdict::Reject(_) if decision.mode == crate::policy::Mode::Audit => {
                Subject::new(&claimed.sn, &claimed.pid, false)
            }
            AuthVerdict::Reject(_) => {
                let rule = decision.rule.name.clone();
                self.deny(conn, &claimed.sn, &rule, &decision.reason).await;
                return reply(StatusCode::FORBIDDEN, String::new());
            }
        };
        let header = Header::new(&claimed);
        let outcome = self.run(&msg, &claimed, &subject, conn).await;
        let serial = &subject.serial;
        match outcome {
            Ok(Reply::Request(r)) => reply(StatusCode::OK, r.render(&header)),
            Ok(Reply::Bye(b)) => reply(StatusCode::OK, b.render(&header)),
            Err(why) => {
                tracing::error!(%serial, %why, "PnP exchange failed");
                reply(StatusCode::SERVICE_UNAVAILABLE, String::new())
            }
        }
    }

    /// The client certificate as the SUDI verifier judges it: worked out once per connection
    /// (the handshake's chain cannot change) and reused for [`CERT_MEMO_TTL`].
    fn certificate(&self, conn: &ConnInfo, now: SystemTime) -> CertStatus {
        if conn.client_chain.is_empty() {
            return CertStatus::NotPresented;
        }
        if let Some((at, status)) = conn.cert_memo.get() {
            let age = now.duration_since(*at).ok();
            if age.is_some_and(|age| age <= CERT_MEMO_TTL) {
                return status.clone();
            }
        }
        let status = match &self.verifier {
            Some(v) => v.cert_status(&conn.client_chain, now),
            None => cert_status(Err(SudiChainError::NoAnchors), ""),
        };
        // Only the first verdict is kept; an old connection re-verifies on every message.
        let _ = conn.cert_memo.set((now, status.clone()));
        status
    }

    /// Loads the device, decides or continues its plan, stores the result.
    async fn run(
        &self,
        msg: &AgentMessage,
        claimed: &Udi,
        subject: &Subject,
        conn: &ConnInfo,
    ) -> Result<Reply, String> {
        let (serial, pid) = (subject.serial.as_str(), subject.pid.as_str());
        let via = subject.proxy.as_deref();
        let now = crate::clock::now_utc();
        let udi = claimed.to_string();
        let slot = self
            .directory
            .device_or_insert(serial, || DeviceEntry::new(serial, pid, &udi, now))
            .await
            .map_err(|e| e.to_string())?;
        let mut dev = slot.lock().await;
        let before = dev.state.clone();
        dev.last_contact = now;
        if dev.udi != udi {
            dev.udi = udi;
        }
        let mut notes = Vec::new();

        if let AgentMessage::WorkRequest(_) = msg
            && dev.profile.is_none()
        {
            let manual = self
                .store
                .lock()
                .await
                .manual_window()
                .map_err(|e| e.to_string())?;
            match self.choose(&dev, claimed, manual, now) {
                (ProvisionVerdict::Run(profile), why) => {
                    notes.push(why);
                    dev.profile = Some(profile);
                    dev.state = DeviceState::New;
                    dev.ctx = Context {
                        proofs: self.policy.device_auth.proofs_needed(subject.cert_verified),
                        ..Context::default()
                    };
                    if let Some(proxy) = via {
                        notes.push(format!("through SMI proxy {proxy} (device_auth/smi-proxy)"));
                        if let Some(why) = proofs_through_proxy(&dev.ctx.proofs) {
                            dev.state = DeviceState::Failed(why.clone());
                            notes.push(why);
                        }
                    }
                }
                (verdict, why) => {
                    let (parked, minutes) = match verdict {
                        ProvisionVerdict::Park => (true, self.policy.pnp.unclaimed_backoff_minutes),
                        _ => (false, self.policy.pnp.refused_backoff_minutes),
                    };
                    dev.state = if parked {
                        DeviceState::Unclaimed
                    } else {
                        DeviceState::Refused
                    };
                    let reply = backoff(msg, &why, minutes);
                    self.save(&dev, &before, &why, now).await?;
                    drop(dev);
                    let verdict = if parked { "park" } else { "deny" };
                    self.record(conn, serial, verdict, "provision", &why, via)
                        .await;
                    return reply;
                }
            }
        }
        // The identity proofs the policy demands come first, then the profile's plan.
        let profile = dev
            .profile
            .as_deref()
            .and_then(|p| self.policy.pnp.profile(p));
        let Some(profile) = profile else {
            // A response from a device without a plan (or whose profile vanished): close it.
            self.save(&dev, &before, "", now).await?;
            return Ok(bye_for(msg));
        };
        let proofs: Vec<Step> = dev
            .ctx
            .proofs
            .iter()
            .filter_map(|m| proof_step(*m))
            .collect();
        let engine = Engine {
            plan: Plan {
                proofs: &proofs,
                steps: &profile.steps,
            },
            device: Device { serial, pid },
            settings: self.settings,
        };
        let anchors = self.verifier.as_ref().map_or(&[][..], |v| v.anchors());
        let mut provisioner = EdgeProvisioner {
            files: &self.files,
            anchors,
            auth: &self.policy.device_auth,
            now: crate::clock::now_system(),
            now_secs: now.timestamp(),
        };
        let DeviceEntry { state, ctx, .. } = &mut *dev;
        let outcome: Outcome = match msg {
            AgentMessage::WorkRequest(w) => {
                let nonce = fresh_nonce().map_err(|_| "no secure random bytes".to_owned())?;
                engine.on_work_request(state, ctx, w, now.timestamp(), nonce, &mut provisioner)
            }
            AgentMessage::Response(r) => {
                engine.on_response(state, ctx, r, now.timestamp(), &mut provisioner)
            }
            AgentMessage::Fault(f) => {
                let why = format!(
                    "agent fault: {}",
                    f.string
                        .as_deref()
                        .or(f.details.as_deref())
                        .unwrap_or("unspecified")
                );
                ctx.pending = None;
                Outcome {
                    reply: bye_for(msg),
                    state: DeviceState::Failed(why.clone()),
                    note: Some(why),
                }
            }
        };
        notes.extend(outcome.note);
        dev.state = outcome.state;
        let note = notes.join("; ");
        self.save(&dev, &before, &note, now).await?;
        let changed = dev.state != before;
        let state = changed.then(|| dev.state.to_string());
        drop(dev);
        if let Some(state) = state {
            self.record(conn, serial, &state, "pnp-workflow", &note, via)
                .await;
        }
        Ok(outcome.reply)
    }

    /// Which plan an unknown or new device gets: join window, then profiles.
    fn choose(
        &self,
        dev: &DeviceEntry,
        claimed: &Udi,
        manual: Option<crate::policy::join::ManualWindow>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> (ProvisionVerdict, String) {
        let join = self.policy.join_window.decide(
            &JoinDevice {
                mac: None,
                udi: Some(claimed.clone()),
                pid: Some(dev.pid.clone()),
                known: dev.approved,
            },
            &JoinContext {
                manual,
                client_override: None,
                on_hold_list: false,
                purpose: Purpose::PnpOnboarding,
            },
            now,
        );
        let d = self.policy.pnp.select(&ProvisionSubject {
            serial: &dev.serial,
            pid: &dev.pid,
            approved: dev.approved,
            join: join.verdict.state,
        });
        let why = format!("{} ({}); {} ({})", d.reason, d.rule, join.reason, join.rule);
        (d.verdict, why)
    }

    /// Queues the device's state for the store: a state change or a history note is committed
    /// before the device sees the reply; progress inside a state is written behind.
    async fn save(
        &self,
        dev: &DeviceEntry,
        before: &DeviceState,
        note: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), String> {
        let history = (dev.state != *before || !note.is_empty()).then(|| PnpHistoryEntry {
            at: now,
            state: dev.state.to_string(),
            note: note.to_owned(),
        });
        let durability = if history.is_some() {
            Durability::Committed
        } else {
            Durability::Deferred
        };
        self.directory
            .save(dev, history, durability)
            .await
            .map_err(|e| e.to_string())
    }

    async fn deny(&self, conn: &ConnInfo, device: &str, rule: &str, reason: &str) {
        tracing::info!(peer = %conn.peer, device, rule, reason, "PnP message refused");
        self.record(conn, device, "deny", rule, reason, None).await;
    }

    async fn record(
        &self,
        conn: &ConnInfo,
        device: &str,
        verdict: &str,
        rule: &str,
        reason: &str,
        via: Option<&str>,
    ) {
        let entry = Audited {
            device,
            verdict,
            rule,
            reason,
            via,
        };
        record_entry(&self.audit, conn, &entry).await;
    }
}

/// The device a message provisions.
struct Subject {
    /// Serial number: the certificate's, or the claimed one.
    serial: String,
    /// PID, likewise.
    pid: String,
    /// The device itself presented a verified certificate (counts as the `tls-certificate` proof).
    cert_verified: bool,
    /// The SMI proxy speaking for the device, when one does.
    proxy: Option<String>,
}

impl Subject {
    fn new(serial: &str, pid: &str, cert_verified: bool) -> Self {
        Self {
            serial: serial.to_owned(),
            pid: pid.to_owned(),
            cert_verified,
            proxy: None,
        }
    }
}

/// Why a plan demanding service proofs cannot run through an SMI proxy, if it demands any.
fn proofs_through_proxy(proofs: &[AuthMethod]) -> Option<String> {
    let names: Vec<&str> = proofs.iter().map(|m| m.as_str()).collect();
    (!names.is_empty()).then(|| {
        format!(
            "device_auth.methods demands {} but the device speaks through an SMI proxy, \
             which cannot relay SUDI proofs for a legacy client",
            names.join(", ")
        )
    })
}

fn backoff(msg: &AgentMessage, why: &str, minutes: u32) -> Result<Reply, String> {
    let AgentMessage::WorkRequest(WorkRequest { correlator, .. }) = msg else {
        return Ok(bye_for(msg));
    };
    let m = u16::try_from(minutes.clamp(1, 2880)).unwrap_or(2880);
    let b = Backoff::default_minutes(why, m).map_err(|e| e.to_string())?;
    Ok(Reply::Request(Box::new(PnpRequest::new(
        correlator.clone(),
        ServiceRequest::Backoff(b),
    ))))
}

fn bye_for(msg: &AgentMessage) -> Reply {
    let corr = match msg {
        AgentMessage::WorkRequest(w) => Some(w.correlator.clone()),
        AgentMessage::Response(r) => r.correlator.clone(),
        AgentMessage::Fault(f) => f.correlator.clone(),
    };
    Reply::Bye(Bye::new(corr.unwrap_or_else(fallback_correlator)))
}

/// The plan step that gives an identity proof through a PnP service.
fn proof_step(method: AuthMethod) -> Option<Step> {
    match method {
        AuthMethod::TlsCertificate => None,
        AuthMethod::DeviceAuth => Some(Step::DeviceAuth),
        AuthMethod::SudiCli => Some(Step::SudiAttest),
    }
}

fn fresh_nonce() -> Result<u64, aws_lc_rs::error::Unspecified> {
    let mut bytes = [0u8; 8];
    aws_lc_rs::rand::fill(&mut bytes)?;
    // Printed in decimal in the CLI command; keep it positive and non-zero.
    Ok((u64::from_be_bytes(bytes) >> 1).max(1))
}

/// Writes a PnP decision to the audit log (a failure to write is logged, never fatal to the reply).
pub(crate) async fn record(
    audit: &Mutex<AuditLog>,
    conn: &ConnInfo,
    device: &str,
    verdict: &str,
    rule: &str,
    reason: &str,
) {
    let entry = Audited {
        device,
        verdict,
        rule,
        reason,
        via: None,
    };
    record_entry(audit, conn, &entry).await;
}

/// One PnP decision for the audit log.
struct Audited<'a> {
    device: &'a str,
    verdict: &'a str,
    rule: &'a str,
    reason: &'a str,
    /// The SMI proxy the device spoke through, recorded as `detail.smi_proxy`.
    via: Option<&'a str>,
}

async fn record_entry(audit: &Mutex<AuditLog>, conn: &ConnInfo, a: &Audited<'_>) {
    let mut detail = serde_json::json!({"peer": conn.peer.to_string(), "reason": a.reason});
    if let Some(proxy) = a.via {
        detail["smi_proxy"] = serde_json::Value::from(proxy);
    }
    let entry = AuditEntry {
        kind: EntryKind::Decision,
        area: "pnp".into(),
        verdict: a.verdict.into(),
        rule: a.rule.into(),
        mode: "enforce".into(),
        actor: a.device.into(),
        detail,
    };
    if let Err(err) = audit.lock().await.append(entry, crate::clock::now_utc()) {
        tracing::error!(%err, "cannot write the audit log");
    }
}

/// An XML (or empty) PnP answer.
pub(crate) fn reply(code: StatusCode, body: String) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(Bytes::from(body)));
    *resp.status_mut() = code;
    resp.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("text/xml; charset=utf-8"),
    );
    resp
}
