//! `ztpgate bench pnp handshakes`: N concurrent loops of TCP connect → full TLS handshake
//! presenting the device certificate (session resumption disabled) → `GET /pnp/HELLO` → read the
//! 200 → close. A handshake counts when the HELLO was answered 2xx inside the measured window;
//! its latency covers the whole connection.
//!
//! Inputs: operator parameters; the server's answers are only checked for their status.

use std::time::Duration;

use hyper::Method;
use hyper::body::Bytes;

use super::histogram::{Histogram, LatencySummary};
use super::{Agent, Fleet, PnpBenchError, RETRY_PAUSE, Window, rate};
use crate::clock::now_monotonic;
use crate::edge::client::{HttpError, ServerUrl, SessionResumption, TlsSession, full};

/// Parameters of a handshakes run.
#[derive(Clone, Debug)]
pub struct HandshakeOptions {
    /// Server and devices (one loop per agent).
    pub fleet: Fleet,
    /// Measured time.
    pub duration: Duration,
    /// Time before the measurement that does not count.
    pub warmup: Duration,
}

/// The result of a handshakes run.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct HandshakeReport {
    /// The server, `https://host:port`.
    pub server: String,
    /// Concurrent loops.
    pub agents: u32,
    /// Length of the measured window, seconds.
    pub seconds: f64,
    /// Warm-up before it, seconds.
    pub warmup_seconds: f64,
    /// Connections whose HELLO was answered 2xx inside the window.
    pub handshakes: u64,
    /// `handshakes / seconds`.
    pub handshakes_per_second: f64,
    /// HELLOs answered with another status (whole run).
    pub non_2xx: u64,
    /// Connect, TLS or HTTP failures (whole run).
    pub errors: u64,
    /// Connections that resumed a session (must stay 0: resumption is off).
    pub resumed: u64,
    /// Latency of a whole connection (connect, handshake, HELLO).
    pub latency: LatencySummary,
    /// What TLS negotiated (first connection).
    pub tls: Option<TlsSession>,
    /// The first failure seen, if any.
    pub first_error: Option<String>,
}

/// Runs the loops for warm-up plus duration and reports.
pub async fn run_handshakes(opts: &HandshakeOptions) -> Result<HandshakeReport, PnpBenchError> {
    let (total, window): (Tally, Window) = opts
        .fleet
        .run(
            SessionResumption::Disabled,
            opts.warmup,
            opts.duration,
            |agent, server, w| async move { handshake_loop(&agent, &server, w).await },
        )
        .await?;
    let seconds = window.seconds();
    Ok(HandshakeReport {
        server: opts.fleet.server.to_string(),
        agents: opts.fleet.agents,
        seconds,
        warmup_seconds: opts.warmup.as_secs_f64(),
        handshakes: total.handshakes,
        handshakes_per_second: rate(total.handshakes, seconds),
        non_2xx: total.non_2xx,
        errors: total.errors,
        resumed: total.resumed,
        latency: total.latency.summary(),
        tls: total.tls,
        first_error: total.first_error,
    })
}

/// Renders a report as the text `bench pnp handshakes` prints.
pub fn render_table(r: &HandshakeReport) -> String {
    let tls = r.tls.as_ref().map_or_else(String::new, |t| {
        format!(" ({} {})", t.version, t.cipher_suite)
    });
    let mut out = format!(
        "ztpgate bench pnp handshakes: {}{tls}, {} concurrent loops, full mTLS handshake + \
         GET /pnp/HELLO per connection, {:.1} s measured after {:.1} s warm-up\n\n",
        r.server, r.agents, r.seconds, r.warmup_seconds
    );
    out.push_str(&format!(
        "{:>10} {:>12} {:>8} {:>7} {:>8} {:>9} {:>9} {:>9}\n",
        "handshakes", "handshakes/s", "non-2xx", "errors", "resumed", "p50 ms", "p99 ms", "max ms"
    ));
    out.push_str(&format!(
        "{:>10} {:>12.1} {:>8} {:>7} {:>8} {:>9.3} {:>9.3} {:>9.3}\n",
        r.handshakes,
        r.handshakes_per_second,
        r.non_2xx,
        r.errors,
        r.resumed,
        r.latency.p50_ms,
        r.latency.p99_ms,
        r.latency.max_ms
    ));
    if let Some(e) = &r.first_error {
        out.push_str(&format!("first error: {e}\n"));
    }
    out
}

/// What one loop counted.
#[derive(Debug, Default)]
struct Tally {
    handshakes: u64,
    non_2xx: u64,
    errors: u64,
    resumed: u64,
    latency: Histogram,
    tls: Option<TlsSession>,
    first_error: Option<String>,
}

impl super::Tally for Tally {
    fn merge(&mut self, other: Self) {
        self.handshakes += other.handshakes;
        self.non_2xx += other.non_2xx;
        self.errors += other.errors;
        self.resumed += other.resumed;
        self.latency.merge(&other.latency);
        self.tls = self.tls.take().or(other.tls);
        self.first_error = self.first_error.take().or(other.first_error);
    }
}

async fn handshake_loop(agent: &Agent, server: &ServerUrl, w: Window) -> Tally {
    let mut t = Tally::default();
    while now_monotonic() < w.end {
        let started = now_monotonic();
        let result = hello(agent, server).await;
        let done = now_monotonic();
        match result {
            Ok((status, session)) => {
                t.resumed += u64::from(session.resumed);
                t.tls.get_or_insert(session);
                if !(200..300).contains(&status) {
                    t.non_2xx += 1;
                    t.first_error
                        .get_or_insert_with(|| format!("HELLO answered {status}"));
                } else if w.contains(done) {
                    t.handshakes += 1;
                    t.latency.record(done.duration_since(started));
                }
            }
            Err(e) => {
                t.errors += 1;
                t.first_error.get_or_insert_with(|| e.to_string());
                tokio::time::sleep(RETRY_PAUSE).await;
            }
        }
    }
    t
}

/// One connection: handshake, HELLO, close (by dropping it).
async fn hello(agent: &Agent, server: &ServerUrl) -> Result<(u16, TlsSession), HttpError> {
    let mut conn = agent.client.connect(server).await?;
    let (status, _) = conn
        .exchange(Method::GET, "/pnp/HELLO", full(Bytes::new()))
        .await?;
    Ok((status, conn.session().clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_shows_rate_and_resumptions() {
        let r = HandshakeReport {
            server: "https://127.0.0.1:8445".into(),
            agents: 8,
            seconds: 5.0,
            warmup_seconds: 0.0,
            handshakes: 5000,
            handshakes_per_second: 1000.0,
            non_2xx: 0,
            errors: 0,
            resumed: 0,
            latency: LatencySummary::default(),
            tls: Some(TlsSession {
                version: "TLSv1_3".into(),
                cipher_suite: "TLS13_AES_256_GCM_SHA384".into(),
                resumed: false,
            }),
            first_error: None,
        };
        let text = render_table(&r);
        assert!(text.contains("1000.0"), "{text}");
        assert!(text.contains("TLSv1_3 TLS13_AES_256_GCM_SHA384"), "{text}");
        assert!(!text.contains("first error"), "{text}");
    }
}
