//! One proxied client's PnP conversation with the upstream server
//! (`../shared/reference/smi-proxy.txt`, "How SMI Proxy and PnP Agent Communicate";
//! `../shared/protocols/pnp.md` §1):
//!
//! - first contact ("device came up"): `GET /pnp/HELLO`, then a work request under the client's
//!   UDI;
//! - a service request is carried out on the client (`execute`), answered with a WORK-RESPONSE
//!   carrying the client's UDI, and whatever the server answers next is followed;
//! - `bye` → the next work request at once;
//! - backoff → acknowledged, the client's entry shows `BACKOFF`, and its next work request waits
//!   for the timer (each client has its own); a new default interval replaces the retry
//!   interval; `terminate` ends the conversation;
//! - an empty answer or a failed exchange → the next work request after the retry interval;
//! - after an operation that reloads the client, the next work request waits until the client
//!   answers its probe again and carries a reload reason.
//!
//! The entry state follows: `HELLO` while the loop runs, `WORKING` during an operation, `ERROR`
//! after a failed one, `BACKOFF` while a timer runs.
//!
//! Inputs: server answers (parsed by the bounded `proto::pnp` parser; the connection is
//! certificate-authenticated); requests are routed to this client because their document was
//! answered on this client's exchange and carries its UDI.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper::Method;
use hyper::body::Bytes;

use crate::edge::client::{Connection, full};
use crate::identity::Udi;
use crate::proto::pnp::work_request::ReloadReason;
use crate::proto::pnp::{
    BackoffAction, Correlator, ServerMessage, Service, WorkRequest, parse_server_message,
};
use crate::roles::director::views::cisco_mac;
use crate::roles::smi_proxy::proxy_db::EntryState;
use crate::roles::smi_proxy::services::{Action, action};

use super::SmiProxy;

/// How long an empty `callback-after` backoff waits (the agent default, pnp.md §2.5.3).
const EMPTY_CALLBACK_WAIT: Duration = Duration::from_secs(15 * 60);

/// What follows a work unit.
enum Next {
    /// The next work request now.
    Now,
    /// The next work request after this wait.
    After(Duration),
    /// The conversation ends.
    Stop,
}

struct Conversation {
    proxy: Arc<SmiProxy>,
    mac: [u8; 6],
    udi: Udi,
    conn: Option<Connection>,
    retry: Duration,
    seq: u64,
    reloaded: bool,
}

impl SmiProxy {
    /// Runs `mac`'s conversation until the server terminates it or the gateway stops.
    pub(super) async fn converse(self: Arc<Self>, mac: [u8; 6]) {
        let Some(udi) = self.entry(&mac).await.and_then(|e| e.udi) else {
            return;
        };
        let retry = self.settings.gateway.retry_interval;
        let mut stop = self.stop.clone();
        let mut conversation = Conversation {
            proxy: self,
            mac,
            udi,
            conn: None,
            retry,
            seq: 0,
            reloaded: false,
        };
        tokio::select! {
            () = conversation.run() => {}
            _ = stop.changed() => {}
        }
    }
}

impl Conversation {
    async fn run(&mut self) {
        let actor = cisco_mac(&self.mac);
        let detail = serde_json::json!({ "udi": self.udi.to_string() });
        self.proxy
            .record("start", "conversation", &actor, detail)
            .await;
        while let Err(err) = self
            .exchange(Method::GET, "/pnp/HELLO", String::new())
            .await
        {
            tracing::debug!(%err, mac = %actor, "SMI proxy: HELLO failed");
            tokio::time::sleep(self.retry).await;
        }
        self.proxy.set_state(&self.mac, EntryState::Hello).await;
        loop {
            if self.reloaded {
                self.await_return().await;
            }
            let next = match self.work_request().await {
                Ok(answer) => match self.work_unit(answer).await {
                    Ok(next) => next,
                    Err(err) => {
                        tracing::info!(%err, mac = %actor, "SMI proxy: exchange failed");
                        Next::After(self.retry)
                    }
                },
                Err(err) => {
                    tracing::info!(%err, mac = %actor, "SMI proxy: work request failed");
                    Next::After(self.retry)
                }
            };
            match next {
                Next::Now => {}
                Next::After(wait) => tokio::time::sleep(wait).await,
                Next::Stop => break,
            }
        }
        let detail = serde_json::json!({ "udi": self.udi.to_string() });
        self.proxy
            .record("terminate", "conversation", &actor, detail)
            .await;
    }

    /// Sends the next work request; returns the server's answer.
    async fn work_request(&mut self) -> Result<Bytes, String> {
        let entry = self.proxy.entry(&self.mac).await;
        if entry
            .as_ref()
            .is_some_and(|e| e.state == EntryState::Backoff)
        {
            self.proxy.set_state(&self.mac, EntryState::Hello).await;
        }
        self.seq += 1;
        let text = format!("CiscoPnP-1.0-SMI-{}-{}", hex::encode(self.mac), self.seq);
        let correlator = Correlator::new(&text).map_err(|e| format!("correlator: {e}"))?;
        let reason = std::mem::take(&mut self.reloaded).then(|| ReloadReason {
            message: Some("reload".to_owned()),
            code: Some("PnP Service Info 2408".to_owned()),
            startup_config_present: Some(true),
        });
        let hostname = entry.and_then(|e| e.hostname).unwrap_or_default();
        let body =
            WorkRequest::from_agent(self.udi.clone(), correlator, None, hostname, reason).render();
        self.exchange(Method::POST, "/pnp/WORK-REQUEST", body).await
    }

    /// Follows the server's answers until a bye, a backoff or an empty answer.
    async fn work_unit(&mut self, mut answer: Bytes) -> Result<Next, String> {
        let mut next = Next::Now;
        loop {
            if answer.iter().all(u8::is_ascii_whitespace) {
                return Ok(match next {
                    Next::Now => Next::After(self.retry),
                    other => other,
                });
            }
            let (envelope, message) = parse_server_message(&answer)
                .map_err(|e| format!("unparseable server message: {e}"))?;
            self.route(&envelope.udi).await?;
            let request = match message {
                ServerMessage::Bye(_) => return Ok(next),
                ServerMessage::Request(r) => r,
            };
            let Some(correlator) = request.correlator.clone() else {
                return Err("a service request without a correlator".into());
            };
            let service = request.body.service();
            let action = action(&request.body);
            let body = match action {
                Action::Backoff(b) => {
                    next = self.backoff(&b).await;
                    self.proxy
                        .execute(
                            self.mac,
                            &self.udi,
                            &correlator,
                            &service,
                            Action::Backoff(b),
                        )
                        .await
                        .body
                }
                other => self.operate(&correlator, &service, other).await,
            };
            answer = self
                .exchange(Method::POST, "/pnp/WORK-RESPONSE", body)
                .await?;
        }
    }

    /// Routes a server document by its UDI: it must map (UDI → MAC in the proxy database) to
    /// this client; a document for another client, or for a UDI the proxy does not know, is not
    /// acted on.
    async fn route(&self, udi: &Udi) -> Result<(), String> {
        match self.proxy.mac_for_udi(udi).await {
            Some(mac) if mac == self.mac => Ok(()),
            Some(mac) => Err(format!(
                "the server answered client {} with a document for {udi} (client {})",
                cisco_mac(&self.mac),
                cisco_mac(&mac)
            )),
            None => Err(format!("the server answered with unknown UDI {udi}")),
        }
    }

    /// Runs one operation on the client, moving the entry state around it.
    async fn operate(
        &mut self,
        correlator: &Correlator,
        service: &Service,
        action: Action,
    ) -> String {
        let refused = matches!(action, Action::Refuse(_));
        if !refused {
            self.proxy.set_state(&self.mac, EntryState::Working).await;
        }
        let done = self
            .proxy
            .execute(self.mac, &self.udi, correlator, service, action)
            .await;
        let state = if done.ok || refused {
            EntryState::Hello
        } else {
            EntryState::Error
        };
        self.proxy.set_state(&self.mac, state).await;
        self.reloaded |= done.reloading;
        done.body
    }

    /// What a backoff request means for this client.
    async fn backoff(&mut self, b: &BackoffAction) -> Next {
        match b {
            BackoffAction::CallbackAfter {
                hours,
                minutes,
                seconds,
            } => {
                let none = hours.is_none() && minutes.is_none() && seconds.is_none();
                let wait = if none {
                    EMPTY_CALLBACK_WAIT
                } else {
                    Duration::from_secs(
                        u64::from(hours.unwrap_or(0)) * 3600
                            + u64::from(minutes.unwrap_or(0)) * 60
                            + u64::from(seconds.unwrap_or(0)),
                    )
                };
                self.proxy.set_state(&self.mac, EntryState::Backoff).await;
                Next::After(wait)
            }
            BackoffAction::DefaultMinutes(m) => {
                self.retry = Duration::from_secs(u64::from(*m) * 60);
                Next::After(self.retry)
            }
            BackoffAction::Terminate => Next::Stop,
        }
    }

    /// After a reload: waits (bounded by the transfer timeout) until the client answers its
    /// probe again.
    async fn await_return(&self) {
        let settings = &self.proxy.settings.gateway;
        let Some(ip) = self.proxy.entry(&self.mac).await.and_then(|e| e.ip) else {
            return;
        };
        let addr = SocketAddr::new(ip, settings.client_port);
        let deadline = tokio::time::Instant::now() + settings.transfer_timeout;
        while tokio::time::Instant::now() < deadline {
            if crate::edge::director::wire::probe(addr, settings.probe_timeout).await {
                return;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    /// One HTTP exchange on the client's keep-alive connection (reopened when closed).
    async fn exchange(
        &mut self,
        method: Method,
        path: &str,
        body: String,
    ) -> Result<Bytes, String> {
        let settings = &self.proxy.settings;
        let conn = match self.conn.take().filter(|c| !c.is_closed()) {
            Some(conn) => conn,
            None => settings
                .client
                .connect(&settings.upstream)
                .await
                .map_err(|e| e.to_string())?,
        };
        let mut conn = conn;
        let (status, answer) = conn
            .exchange(method, path, full(body))
            .await
            .map_err(|e| format!("{path}: {e}"))?;
        self.conn = Some(conn);
        if status != 200 {
            return Err(format!("{path} answered {status}"));
        }
        Ok(answer)
    }
}
