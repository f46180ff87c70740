//! The PnP agent loop (pnp.md §1): `GET /pnp/HELLO`, `POST /pnp/WORK-REQUEST`, execute the
//! service on the simulated [`Device`], `POST /pnp/WORK-RESPONSE`, and follow the answer (bye →
//! next work request; another request → execute it). Backoff waits or stops, a reload restarts
//! from HELLO after a delay, a reconnect switches server (§1.4). Misbehaviours for testing the
//! gateway alter the work requests.
//!
//! Trust: server answers are parsed with the bounded `proto::pnp` parser; an unparseable or
//! unsupported request is answered with a fault (§2.4). Waits are multiplied by `time_scale`
//! so tests can turn minutes into milliseconds. Bounded by `max_rounds` work requests.

use std::collections::HashMap;
use std::str::FromStr;
use std::time::Duration;

use hyper::Method;
use hyper::body::Bytes;

use super::device::{DEFAULT_RETRY, Device, Directive, FetchError, urls_to_fetch};
use crate::edge::client::{Drip, HttpClient, HttpError, ServerUrl, full};
use crate::proto::pnp::common::{ServerAddress, ServerSpec};
use crate::proto::pnp::work_request::ReloadReason;
use crate::proto::pnp::{Correlator, ServerMessage, WorkRequest, parse_server_message};

/// Size of the oversized work request (70 KiB, above the gateway's 64 KiB limit).
pub const OVERSIZED_BYTES: usize = 70 * 1024;

/// A deliberate protocol violation, applied to every work request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Misbehaviour {
    /// Claim another UDI (the serial number with `X` appended).
    WrongUdi,
    /// Pad the body to [`OVERSIZED_BYTES`] with an XML comment.
    Oversized,
    /// Send truncated, unbalanced XML.
    Malformed,
    /// Send the body one byte per `drip_interval`.
    SlowDrip,
    /// Reuse the first correlator in every work request.
    ReplayCorrelator,
}

/// An unknown misbehaviour name.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown misbehaviour {0:?} (wrong-udi, oversized, malformed, slow-drip, replay-correlator)"
)]
pub struct UnknownMisbehaviour(pub String);

impl FromStr for Misbehaviour {
    type Err = UnknownMisbehaviour;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "wrong-udi" => Self::WrongUdi,
            "oversized" => Self::Oversized,
            "malformed" => Self::Malformed,
            "slow-drip" => Self::SlowDrip,
            "replay-correlator" => Self::ReplayCorrelator,
            other => return Err(UnknownMisbehaviour(other.to_owned())),
        })
    }
}

/// How an agent runs.
#[derive(Clone, Debug)]
pub struct AgentOptions {
    /// The discovered server.
    pub server: ServerUrl,
    /// Stop after this many work requests.
    pub max_rounds: u32,
    /// Multiplier for every protocol wait (backoff, retry, reload); 1.0 is real time.
    pub time_scale: f64,
    /// How long a reload takes, before scaling.
    pub reload_time: Duration,
    /// Misbehaviour, if any.
    pub misbehave: Option<Misbehaviour>,
    /// Interval between bytes of the slow drip (not scaled).
    pub drip_interval: Duration,
}

/// How an agent ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FinalState {
    /// Ran `max_rounds` work requests.
    Finished,
    /// The server sent backoff `terminate`.
    Terminated,
    /// Transport or protocol failure.
    Error(String),
}

/// The summary of one agent run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgentReport {
    /// The device UDI.
    pub udi: String,
    /// How it ended.
    pub state: FinalState,
    /// Work requests sent.
    pub rounds: u32,
    /// Services executed, in order (namespace suffix, e.g. `device-info`).
    pub services: Vec<String>,
    /// Reloads.
    pub reloads: u32,
    /// Running version at the end.
    pub version: String,
    /// Hostname at the end.
    pub hostname: String,
}

impl AgentReport {
    /// One summary line.
    pub fn line(&self) -> String {
        let state = match &self.state {
            FinalState::Finished => "finished".to_owned(),
            FinalState::Terminated => "terminated".to_owned(),
            FinalState::Error(e) => format!("error ({e})"),
        };
        format!(
            "{} state={state} rounds={} services={} reloads={} version={} hostname={}",
            self.udi,
            self.rounds,
            if self.services.is_empty() {
                "-".to_owned()
            } else {
                self.services.join(",")
            },
            self.reloads,
            self.version,
            self.hostname,
        )
    }
}

struct Agent<'a> {
    device: Device,
    client: &'a HttpClient,
    opts: &'a AgentOptions,
    server: ServerUrl,
    retry: Duration,
    rounds: u32,
    services: Vec<String>,
    first_correlator: Option<Correlator>,
}

/// What to do after a work unit.
enum Step {
    Next,
    Restart,
    Stop(FinalState),
}

/// Runs one device until it finishes, is terminated or fails.
pub async fn run_agent(device: Device, client: &HttpClient, opts: &AgentOptions) -> AgentReport {
    let mut agent = Agent {
        device,
        client,
        opts,
        server: opts.server.clone(),
        retry: DEFAULT_RETRY,
        rounds: 0,
        services: Vec::new(),
        first_correlator: None,
    };
    let state = agent.run().await;
    AgentReport {
        udi: agent.device.udi().to_string(),
        state,
        rounds: agent.rounds,
        services: agent.services,
        reloads: agent.device.reloads(),
        version: agent.device.version().to_owned(),
        hostname: agent.device.hostname().to_owned(),
    }
}

impl Agent<'_> {
    async fn run(&mut self) -> FinalState {
        loop {
            match self.session().await {
                Ok(Step::Restart) => continue,
                Ok(Step::Stop(state)) => return state,
                Ok(Step::Next) => return FinalState::Finished,
                Err(e) => return FinalState::Error(e),
            }
        }
    }

    /// HELLO, then work requests until a restart (reload, reconnect) or the end.
    async fn session(&mut self) -> Result<Step, String> {
        let (status, _) = self
            .send(Method::GET, "/pnp/HELLO", full(Bytes::new()))
            .await?;
        if status != 200 {
            return Err(format!("HELLO answered {status}"));
        }
        while self.rounds < self.opts.max_rounds {
            self.rounds += 1;
            let body = self.work_request()?;
            let (status, answer) = self.send(Method::POST, "/pnp/WORK-REQUEST", body).await?;
            if status != 200 {
                return Err(format!("WORK-REQUEST answered {status}"));
            }
            match self.work_unit(answer).await? {
                Step::Next => {}
                other => return Ok(other),
            }
        }
        Ok(Step::Stop(FinalState::Finished))
    }

    /// Handles the answer to a work request and any requests chained after it.
    async fn work_unit(&mut self, mut answer: Bytes) -> Result<Step, String> {
        loop {
            if answer.iter().all(u8::is_ascii_whitespace) {
                self.sleep(self.retry).await;
                return Ok(Step::Next);
            }
            let request = match parse_server_message(&answer) {
                Ok((_, ServerMessage::Bye(_))) => return Ok(Step::Next),
                Ok((_, ServerMessage::Request(r))) => r,
                Err(e) => {
                    let fault = self
                        .device
                        .fault("unsupported or malformed request", &e.to_string());
                    self.respond(fault).await?;
                    return Ok(Step::Next);
                }
            };
            let service = request.body.service().namespace();
            let name = service.trim_start_matches("urn:cisco:pnp:").to_owned();
            self.services.push(name);
            let mut files = self.prefetch(&request.body).await;
            let mut fetch = |url: &str| {
                files.remove(url).unwrap_or_else(|| {
                    Err(FetchError::Transfer {
                        location: url.to_owned(),
                        reason: "not prefetched".to_owned(),
                    })
                })
            };
            let outcome = self.device.handle(&request, &mut fetch);
            let next = match outcome.response {
                Some(body) => self.respond(body).await?,
                None => Bytes::new(),
            };
            if outcome.reload {
                let delay = Duration::from_secs(u64::from(outcome.reload_delay));
                self.sleep(delay + self.opts.reload_time).await;
                self.device.reload();
                return Ok(Step::Restart);
            }
            match outcome.directive {
                Directive::Continue => {}
                Directive::Wait(d) => self.sleep(d).await,
                Directive::SetRetry(d) => self.retry = d,
                Directive::Terminate => return Ok(Step::Stop(FinalState::Terminated)),
                Directive::Reconnect(spec) => {
                    self.server = server_of(&spec)?;
                    return Ok(Step::Restart);
                }
            }
            if next.is_empty() {
                return Ok(Step::Next);
            }
            answer = next;
        }
    }

    async fn respond(&mut self, body: String) -> Result<Bytes, String> {
        let (status, answer) = self
            .send(Method::POST, "/pnp/WORK-RESPONSE", full(body))
            .await?;
        if status != 200 {
            return Err(format!("WORK-RESPONSE answered {status}"));
        }
        Ok(answer)
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        body: crate::edge::client::RequestBody,
    ) -> Result<(u16, Bytes), String> {
        self.client
            .exchange(&self.server, method, path, body)
            .await
            .map_err(|e| format!("{path}: {e}"))
    }

    /// Downloads every file the request names (the device itself is pure).
    async fn prefetch(
        &self,
        request: &crate::proto::pnp::ServiceRequest,
    ) -> HashMap<String, Result<Vec<u8>, FetchError>> {
        let mut files = HashMap::new();
        for url in urls_to_fetch(request) {
            let result = self.fetch(&url).await;
            files.insert(url, result);
        }
        files
    }

    async fn fetch(&self, location: &str) -> Result<Vec<u8>, FetchError> {
        let transfer = |e: HttpError| FetchError::Transfer {
            location: location.to_owned(),
            reason: e.to_string(),
        };
        let (server, path) = if location.starts_with('/') {
            (self.server.clone(), location.to_owned())
        } else {
            ServerUrl::parse(location).map_err(transfer)?
        };
        let (status, body) = self
            .client
            .exchange(&server, Method::GET, &path, full(Bytes::new()))
            .await
            .map_err(transfer)?;
        if status != 200 {
            return Err(FetchError::Status {
                location: location.to_owned(),
                status,
            });
        }
        Ok(body.to_vec())
    }

    fn work_request(&mut self) -> Result<crate::edge::client::RequestBody, String> {
        let d = &self.device;
        let mut udi = d.udi().clone();
        if self.opts.misbehave == Some(Misbehaviour::WrongUdi) {
            udi.sn.push('X');
        }
        let fresh = format!(
            "CiscoPnP-1.0-R{}-I1-P{}-T{}-2",
            d.reloads(),
            udi.sn,
            self.rounds
        );
        let correlator = match (&self.first_correlator, self.opts.misbehave) {
            (Some(first), Some(Misbehaviour::ReplayCorrelator)) => first.clone(),
            _ => Correlator::new(&fresh).map_err(|e| format!("correlator: {e}"))?,
        };
        self.first_correlator
            .get_or_insert_with(|| correlator.clone());
        let reason = (d.reloads() > 0).then(|| ReloadReason {
            message: Some("reload".to_owned()),
            code: Some("PnP Service Info 2408".to_owned()),
            startup_config_present: Some(!d.startup_config().is_empty()),
        });
        let request = WorkRequest::from_agent(
            udi,
            correlator,
            d.sudi_serial().map(str::to_owned),
            d.hostname().to_owned(),
            reason,
        );
        Ok(self.misbehave(request.render()))
    }

    fn misbehave(&self, body: String) -> crate::edge::client::RequestBody {
        match self.opts.misbehave {
            Some(Misbehaviour::Oversized) => {
                let pad = OVERSIZED_BYTES.saturating_sub(body.len() + 8);
                full(format!("{body}\n<!--{}-->", " ".repeat(pad)))
            }
            Some(Misbehaviour::Malformed) => {
                let cut = body.len() * 2 / 3;
                full(body.get(..cut).unwrap_or(&body).to_owned())
            }
            Some(Misbehaviour::SlowDrip) => crate::edge::client::RequestBody::Right(Drip::new(
                Bytes::from(body),
                self.opts.drip_interval,
            )),
            _ => full(body),
        }
    }

    async fn sleep(&self, d: Duration) {
        let scaled = Duration::try_from_secs_f64(d.as_secs_f64() * self.opts.time_scale)
            .unwrap_or(Duration::ZERO);
        tokio::time::sleep(scaled).await;
    }
}

/// The HTTPS endpoint of a redirection or reconnect target.
fn server_of(spec: &ServerSpec) -> Result<ServerUrl, String> {
    if !spec.protocol.eq_ignore_ascii_case("https") {
        return Err(format!("reconnect over {} is not supported", spec.protocol));
    }
    let host = match &spec.address {
        ServerAddress::Ipv4(a) | ServerAddress::Ipv6(a) | ServerAddress::Host(a) => a.clone(),
    };
    Ok(ServerUrl {
        host,
        port: spec.port.unwrap_or(443),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_misbehaviour_name() {
        for name in [
            "wrong-udi",
            "oversized",
            "malformed",
            "slow-drip",
            "replay-correlator",
        ] {
            assert!(name.parse::<Misbehaviour>().is_ok(), "{name}");
        }
        assert!("nice".parse::<Misbehaviour>().is_err());
    }

    #[test]
    fn reconnect_accepts_only_https() {
        let spec = |protocol: &str| ServerSpec {
            protocol: protocol.to_owned(),
            address: ServerAddress::Host("pnp.example".to_owned()),
            port: None,
            localcert: None,
            remotecert: None,
        };
        assert_eq!(server_of(&spec("https")).unwrap().port, 443);
        assert!(server_of(&spec("http")).is_err());
    }
}
