//! `ztpgate bench pnp exchanges`: N agents, each on ONE keep-alive mTLS connection, looping
//! POST `/pnp/WORK-REQUEST` (fresh correlator) → scan the answer for a cli-exec request → POST
//! `/pnp/WORK-RESPONSE` with the command output, echoing the correlator (pnp.md §1.4). Each POST
//! is one request; requests and latencies count when they complete inside the measured window
//! (after the warm-up); non-2xx answers, transport errors and reconnections count over the whole
//! run. A closed connection is reopened (and counted).
//!
//! Inputs: answers are untrusted and only scanned ([`super::messages::scan_request`]).

use std::time::Duration;

use hyper::Method;
use hyper::body::Bytes;

use super::histogram::{Histogram, LatencySummary};
use super::messages::{self, BENCH_COMMAND};
use super::{Agent, Fleet, PnpBenchError, RETRY_PAUSE, Window, rate};
use crate::clock::now_monotonic;
use crate::edge::client::{Connection, ServerUrl, SessionResumption, TlsSession, full};

/// Parameters of an exchanges run.
#[derive(Clone, Debug)]
pub struct ExchangeOptions {
    /// Server and devices.
    pub fleet: Fleet,
    /// Measured time.
    pub duration: Duration,
    /// Time before the measurement (connections, caches) that does not count.
    pub warmup: Duration,
}

/// The result of an exchanges run.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ExchangeReport {
    /// The server, `https://host:port`.
    pub server: String,
    /// Concurrent agents.
    pub agents: u32,
    /// Length of the measured window, seconds.
    pub seconds: f64,
    /// Warm-up before it, seconds.
    pub warmup_seconds: f64,
    /// POSTs answered 2xx inside the window (work requests plus work responses).
    pub requests: u64,
    /// Of which WORK-REQUESTs.
    pub work_requests: u64,
    /// Of which WORK-RESPONSEs.
    pub work_responses: u64,
    /// `requests / seconds`.
    pub requests_per_second: f64,
    /// Answers with a non-2xx status (whole run).
    pub non_2xx: u64,
    /// Transport failures: connect, TLS, HTTP, timeouts (whole run).
    pub errors: u64,
    /// Connections reopened after the first one of each agent (whole run).
    pub reconnects: u64,
    /// 2xx answers to a WORK-REQUEST that were not a cli-exec request (backoff, bye, garbage).
    pub unexpected_answers: u64,
    /// Latency of the 2xx requests inside the window.
    pub latency: LatencySummary,
    /// What TLS negotiated (first connection).
    pub tls: Option<TlsSession>,
    /// The first failure seen, if any.
    pub first_error: Option<String>,
}

/// Runs the agents for warm-up plus duration and reports.
pub async fn run_exchanges(opts: &ExchangeOptions) -> Result<ExchangeReport, PnpBenchError> {
    let (total, window): (Tally, Window) = opts
        .fleet
        .run(
            SessionResumption::Enabled,
            opts.warmup,
            opts.duration,
            |agent, server, w| async move { agent_loop(&agent, &server, w).await },
        )
        .await?;
    let seconds = window.seconds();
    Ok(ExchangeReport {
        server: opts.fleet.server.to_string(),
        agents: opts.fleet.agents,
        seconds,
        warmup_seconds: opts.warmup.as_secs_f64(),
        requests: total.work_requests + total.work_responses,
        work_requests: total.work_requests,
        work_responses: total.work_responses,
        requests_per_second: rate(total.work_requests + total.work_responses, seconds),
        non_2xx: total.non_2xx,
        errors: total.errors,
        reconnects: total.reconnects,
        unexpected_answers: total.unexpected,
        latency: total.latency.summary(),
        tls: total.tls,
        first_error: total.first_error,
    })
}

/// Renders a report as the text `bench pnp exchanges` prints.
pub fn render_table(r: &ExchangeReport) -> String {
    let tls = r.tls.as_ref().map_or_else(String::new, |t| {
        format!(" ({} {})", t.version, t.cipher_suite)
    });
    let mut out = format!(
        "ztpgate bench pnp exchanges: {}{tls}, {} keep-alive mTLS agents, {:.1} s measured \
         after {:.1} s warm-up\n\n",
        r.server, r.agents, r.seconds, r.warmup_seconds
    );
    out.push_str(&format!(
        "{:>10} {:>11} {:>8} {:>7} {:>10} {:>10} {:>9} {:>9} {:>9}\n",
        "requests",
        "req/s",
        "non-2xx",
        "errors",
        "reconnects",
        "unexpected",
        "p50 ms",
        "p99 ms",
        "max ms"
    ));
    out.push_str(&format!(
        "{:>10} {:>11.1} {:>8} {:>7} {:>10} {:>10} {:>9.3} {:>9.3} {:>9.3}\n",
        r.requests,
        r.requests_per_second,
        r.non_2xx,
        r.errors,
        r.reconnects,
        r.unexpected_answers,
        r.latency.p50_ms,
        r.latency.p99_ms,
        r.latency.max_ms
    ));
    out.push_str(&format!(
        "({} work requests, {} work responses)\n",
        r.work_requests, r.work_responses
    ));
    if let Some(e) = &r.first_error {
        out.push_str(&format!("first error: {e}\n"));
    }
    out
}

/// What one agent counted.
#[derive(Debug, Default)]
struct Tally {
    work_requests: u64,
    work_responses: u64,
    non_2xx: u64,
    errors: u64,
    reconnects: u64,
    unexpected: u64,
    latency: Histogram,
    tls: Option<TlsSession>,
    first_error: Option<String>,
}

impl super::Tally for Tally {
    fn merge(&mut self, other: Self) {
        self.work_requests += other.work_requests;
        self.work_responses += other.work_responses;
        self.non_2xx += other.non_2xx;
        self.errors += other.errors;
        self.reconnects += other.reconnects;
        self.unexpected += other.unexpected;
        self.latency.merge(&other.latency);
        self.tls = self.tls.take().or(other.tls);
        self.first_error = self.first_error.take().or(other.first_error);
    }
}

impl Tally {
    fn note(&mut self, what: String) {
        self.first_error.get_or_insert(what);
    }
}

/// The connection broke: the agent reconnects before its next round.
struct Broken;

/// Which endpoint a POST went to.
#[derive(Clone, Copy)]
enum Endpoint {
    WorkRequest,
    WorkResponse,
}

impl Endpoint {
    fn path(self) -> &'static str {
        match self {
            Self::WorkRequest => "/pnp/WORK-REQUEST",
            Self::WorkResponse => "/pnp/WORK-RESPONSE",
        }
    }
}

async fn agent_loop(agent: &Agent, server: &ServerUrl, w: Window) -> Tally {
    let mut t = Tally::default();
    let mut conn: Option<Connection> = None;
    let mut connected_before = false;
    let output = messages::command_output(&agent.udi);
    let mut round = 0u64;
    while now_monotonic() < w.end {
        if conn.as_ref().is_none_or(Connection::is_closed) {
            conn = None;
            match agent.client.connect(server).await {
                Ok(c) => {
                    t.reconnects += u64::from(connected_before);
                    connected_before = true;
                    t.tls.get_or_insert_with(|| c.session().clone());
                    conn = Some(c);
                }
                Err(e) => {
                    t.errors += 1;
                    t.note(format!("connect: {e}"));
                    tokio::time::sleep(RETRY_PAUSE).await;
                    continue;
                }
            }
        }
        let Some(c) = conn.as_mut() else { continue };
        round += 1;
        if round_trip(c, agent, round, &output, &mut t, w)
            .await
            .is_err()
        {
            conn = None;
        }
    }
    t
}

/// One unit of work: WORK-REQUEST, then (for a cli-exec request) the WORK-RESPONSE.
async fn round_trip(
    c: &mut Connection,
    agent: &Agent,
    round: u64,
    output: &str,
    t: &mut Tally,
    w: Window,
) -> Result<(), Broken> {
    let correlator = match messages::correlator(agent.index, round) {
        Ok(c) => c,
        Err(e) => {
            t.errors += 1;
            t.note(format!("correlator: {e}"));
            return Ok(());
        }
    };
    let body = messages::work_request(&agent.udi, correlator);
    let Some(answer) = post(c, Endpoint::WorkRequest, body, t, w).await? else {
        return Ok(());
    };
    let scan = match messages::scan_request(&answer) {
        Ok(scan) if scan.is_cli_exec() => scan,
        Ok(_) | Err(_) => {
            t.unexpected += 1;
            return Ok(());
        }
    };
    let cmd = scan.cmd.unwrap_or(BENCH_COMMAND);
    let response = messages::cli_exec_response(&agent.udi, scan.correlator, cmd, output);
    post(c, Endpoint::WorkResponse, response, t, w).await?;
    Ok(())
}

/// POSTs `body`; `Some(answer)` for a 2xx status, `None` for another status.
async fn post(
    c: &mut Connection,
    endpoint: Endpoint,
    body: String,
    t: &mut Tally,
    w: Window,
) -> Result<Option<Bytes>, Broken> {
    let started = now_monotonic();
    let result = c.exchange(Method::POST, endpoint.path(), full(body)).await;
    let done = now_monotonic();
    match result {
        Ok((status, answer)) if (200..300).contains(&status) => {
            if w.contains(done) {
                match endpoint {
                    Endpoint::WorkRequest => t.work_requests += 1,
                    Endpoint::WorkResponse => t.work_responses += 1,
                }
                t.latency.record(done.duration_since(started));
            }
            Ok(Some(answer))
        }
        Ok((status, _)) => {
            t.non_2xx += 1;
            t.note(format!("{} answered {status}", endpoint.path()));
            Ok(None)
        }
        Err(e) => {
            t.errors += 1;
            t.note(format!("{}: {e}", endpoint.path()));
            Err(Broken)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::pnp::Tally as _;

    fn report() -> ExchangeReport {
        ExchangeReport {
            server: "https://127.0.0.1:8445".into(),
            agents: 64,
            seconds: 10.0,
            warmup_seconds: 1.0,
            requests: 1234,
            work_requests: 617,
            work_responses: 617,
            requests_per_second: 123.4,
            non_2xx: 0,
            errors: 1,
            reconnects: 1,
            unexpected_answers: 0,
            latency: LatencySummary::default(),
            tls: None,
            first_error: Some("connect: refused".into()),
        }
    }

    #[test]
    fn table_shows_rate_errors_and_first_error() {
        let text = render_table(&report());
        assert!(text.contains("64 keep-alive mTLS agents"), "{text}");
        assert!(text.contains("123.4"), "{text}");
        assert!(text.contains("first error: connect: refused"), "{text}");
    }

    #[test]
    fn tallies_merge_counts_and_keep_the_first_error() {
        let mut a = Tally {
            work_requests: 2,
            first_error: Some("a".into()),
            ..Tally::default()
        };
        a.merge(Tally {
            work_requests: 3,
            errors: 1,
            first_error: Some("b".into()),
            ..Tally::default()
        });
        assert_eq!((a.work_requests, a.errors), (5, 1));
        assert_eq!(a.first_error.as_deref(), Some("a"));
    }
}
