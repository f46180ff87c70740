//! The optional plain-HTTP PnP bootstrap listener, for devices discovered with an HTTP option 43.
//! It never delivers a configuration, an image or a file: it answers `/pnp/HELLO` and turns every
//! work request into a redirection to the gateway's HTTPS PnP server, where authentication and
//! everything else happens. Off unless `pnp_server.bootstrap_listen` names addresses.
//!
//! Everything arriving here is unauthenticated and in clear text: bodies are bounded and parsed by
//! the same `proto::pnp` reader, and every redirection is audited.

use std::sync::Arc;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, StatusCode};
use tokio::sync::Mutex;

use crate::audit::AuditLog;
use crate::edge::listener::{ConnInfo, Handler};
use crate::edge::pnp::{PnpCall, record, reply};
use crate::proto::pnp::common::{ServerAddress, ServerSpec};
use crate::proto::pnp::{
    AgentMessage, Bye, Header, Redirection, Request as PnpRequest, ServiceRequest,
    parse_agent_message,
};

/// The bootstrap listener's [`Handler`].
pub struct Bootstrap {
    /// Where devices are sent: the HTTPS PnP server.
    pub https: ServerSpec,
    /// Audit log.
    pub audit: Arc<Mutex<AuditLog>>,
}

impl Bootstrap {
    /// A bootstrap pointing at `host:port` over HTTPS (`host` an IPv4/IPv6 literal or a name).
    pub fn new(host: &str, port: u16, audit: Arc<Mutex<AuditLog>>) -> Self {
        let address = match host.parse::<std::net::IpAddr>() {
            Ok(std::net::IpAddr::V4(v4)) => ServerAddress::Ipv4(v4.to_string()),
            Ok(std::net::IpAddr::V6(v6)) => ServerAddress::Ipv6(v6.to_string()),
            Err(_) => ServerAddress::Host(host.to_owned()),
        };
        Self {
            https: ServerSpec {
                protocol: "https".into(),
                address,
                port: Some(port),
                localcert: None,
                remotecert: None,
            },
            audit,
        }
    }

    async fn answer(&self, body: &[u8], conn: &ConnInfo) -> Response<Full<Bytes>> {
        let (body, device) = match parse_agent_message(body) {
            Ok(AgentMessage::WorkRequest(w)) => {
                let header = Header::new(&w.device_id.udi);
                let redirect = ServiceRequest::Redirection(Redirection {
                    callback: Some(false),
                    controller_type: None,
                    primary: self.https.clone(),
                    backup: None,
                });
                let req = PnpRequest::new(w.correlator.clone(), redirect);
                (req.render(&header), w.device_id.udi.sn)
            }
            Ok(AgentMessage::Response(r)) => match r.correlator {
                Some(c) => (
                    Bye::new(c).render(&Header::reply_to(&r.envelope)),
                    r.envelope.udi.sn.clone(),
                ),
                None => (String::new(), r.envelope.udi.sn.clone()),
            },
            Ok(AgentMessage::Fault(f)) => (String::new(), f.envelope.udi.sn),
            Err(e) => {
                self.record(conn, "", "deny", "pnp-malformed", &e.to_string())
                    .await;
                return reply(StatusCode::BAD_REQUEST, String::new());
            }
        };
        let why = "plain-HTTP bootstrap: moved to the HTTPS PnP server";
        self.record(conn, &device, "redirect", "pnp-bootstrap", why)
            .await;
        reply(StatusCode::OK, body)
    }

    async fn record(&self, conn: &ConnInfo, device: &str, verdict: &str, rule: &str, reason: &str) {
        record(&self.audit, conn, device, verdict, rule, reason).await;
    }
}

impl Handler for Bootstrap {
    type Body = Full<Bytes>;

    async fn handle(&self, req: Request<Incoming>, conn: &ConnInfo) -> Response<Full<Bytes>> {
        match PnpCall::read(req).await {
            PnpCall::Exchange(body) => self.answer(&body, conn).await,
            // Nothing but HELLO and exchanges exists here, whatever the method.
            PnpCall::MethodNotAllowed => PnpCall::NotFound.answer(),
            other => other.answer(),
        }
    }
}
