//! The client side of `bench smi-proxy`: N emulated switches, switch `i` listening for Smart
//! Install on its own loopback address ([`address`]) with a base MAC of its own ([`base_mac`],
//! hence its own serial), running the tailored configuration. At the start every switch calls
//! the proxy back (the `do telnet` of the tailored configuration), from its own address; then
//! the run waits until every switch has written its startup config and every plan is `FINISHED`
//! in the gateway's store.
//!
//! Inputs: the switches' own event channels and the gateway's store (both local).

use std::collections::{BTreeMap, HashSet};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use crate::edge::tftp_client;
use crate::proto::vstack::Limits;
use crate::sim::switch::device::Device;
use crate::sim::switch::identity::{Identity, derived_serial};
use crate::sim::switch::{Event, Switch, SwitchOptions};
use crate::store::SqliteStore;
use crate::store::pnp::PnpStore as _;

use super::SmiProxyBenchError;
use super::setup::Lab;

/// Most clients a run may have (distinct 127.A.B.C addresses and MACs).
pub const MAX_CLIENTS: u32 = 60_000;
/// Distinct telnet errors kept for the report.
const MAX_ERRORS: usize = 5;
/// How often the store is read for finished plans.
const POLL: Duration = Duration::from_millis(200);

/// What a run measured.
pub(super) struct Outcome {
    /// Call-out → startup config written, per configured client.
    pub(super) per_client: Vec<Duration>,
    /// Plans `FINISHED` at the end.
    pub(super) finished: u32,
    /// Failed reverse-telnet sessions seen by the switches.
    pub(super) telnet_failures: u32,
    /// Their distinct errors (at most [`MAX_ERRORS`]).
    pub(super) telnet_errors: Vec<String>,
    /// Start → everything done (or the timeout).
    pub(super) wall: Duration,
    /// Unfinished plans by state.
    pub(super) other_states: Vec<(String, u32)>,
}

/// Client `i`'s address: `127.A.B.C` with `A` from 1, `B` and `C` from 1 to 250 (never
/// 127.0.0.0/16, where the gateway listens).
pub fn address(i: u32) -> Ipv4Addr {
    let c = (i % 250 + 1) as u8;
    let b = ((i / 250) % 250 + 1) as u8;
    let a = (i / 62_500 + 1) as u8;
    Ipv4Addr::new(127, a, b, c)
}

/// Client `i`'s base MAC (Cisco OUI `70:10:5C` as the emulated switch uses, then `i`).
pub fn base_mac(i: u32) -> [u8; 6] {
    let [_, x, y, z] = i.to_be_bytes();
    [0x70, 0x10, 0x5C, x, y, z]
}

/// What a switch reported that the run counts.
enum Report {
    Configured(usize, Instant),
    TelnetFailed(String),
}

/// Starts the switches, calls out, and waits.
pub(super) async fn run(
    lab: &Lab,
    clients: u32,
    timeout: Duration,
) -> Result<Outcome, SmiProxyBenchError> {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut switches = Vec::with_capacity(clients as usize);
    let mut serials = HashSet::with_capacity(clients as usize);
    for i in 0..clients {
        let (switch, serial) = start_switch(lab, i, tx.clone()).await?;
        switches.push(switch);
        serials.insert(serial);
    }
    drop(tx);
    let store = SqliteStore::open(&lab.store)?;
    let begin = crate::clock::now_monotonic();
    let mut started = Vec::with_capacity(switches.len());
    for switch in &switches {
        started.push(crate::clock::now_monotonic());
        switch.call_out(lab.tailored.lines()).await;
    }
    let deadline = begin + timeout;
    let mut per_client = Vec::with_capacity(switches.len());
    let mut telnet_failures = 0;
    let mut telnet_errors = Vec::new();
    let mut ticker = tokio::time::interval(POLL);
    let (end, mut states) = loop {
        tokio::select! {
            report = rx.recv() => match report {
                Some(Report::Configured(i, at)) => {
                    let from = started.get(i).copied().unwrap_or(begin);
                    per_client.push(at.saturating_duration_since(from));
                }
                Some(Report::TelnetFailed(error)) => {
                    telnet_failures += 1;
                    if telnet_errors.len() < MAX_ERRORS && !telnet_errors.contains(&error) {
                        telnet_errors.push(error);
                    }
                }
                None => {}
            },
            _ = ticker.tick() => {
                let now = crate::clock::now_monotonic();
                if per_client.len() == switches.len() {
                    let states = plan_states(&store, &serials)?;
                    if states.get("FINISHED").copied().unwrap_or(0) == clients {
                        break (now, states);
                    }
                }
                if now > deadline {
                    break (now, plan_states(&store, &serials)?);
                }
            }
        }
    };
    let finished = states.remove("FINISHED").unwrap_or(0);
    Ok(Outcome {
        per_client,
        finished,
        telnet_failures,
        telnet_errors,
        wall: end.saturating_duration_since(begin),
        other_states: states.into_iter().collect(),
    })
}

/// Switch `i` on its address, with its event watcher; returns it and its serial.
async fn start_switch(
    lab: &Lab,
    i: u32,
    reports: mpsc::UnboundedSender<Report>,
) -> Result<(std::sync::Arc<Switch>, String), SmiProxyBenchError> {
    let ip = address(i);
    let mac = base_mac(i);
    let identity = Identity::for_mac(mac);
    let serial = identity.serial.clone();
    debug_assert_eq!(serial, derived_serial(mac));
    let device = Device::with_config(lab.tailored.clone()).with_identity(identity);
    let opts = SwitchOptions {
        tftp_port: lab.tftp_port,
        tftp: tftp_client::Options::default(),
        limits: Limits::default(),
    };
    let addr = SocketAddr::new(IpAddr::V4(ip), lab.client_port);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| SmiProxyBenchError::Io {
            what: format!("listen on {addr}"),
            source,
        })?;
    let (events, mut rx) = mpsc::unbounded_channel();
    let switch = Switch::with_source(device, opts, events, Some(IpAddr::V4(ip)));
    tokio::spawn(std::sync::Arc::clone(&switch).serve(listener));
    let index = i as usize;
    tokio::spawn(async move {
        let mut configured = false;
        while let Some(event) = rx.recv().await {
            let report = match event {
                Event::StartupConfig { .. } if !configured => {
                    configured = true;
                    Report::Configured(index, crate::clock::now_monotonic())
                }
                Event::Telnet {
                    ok: false, error, ..
                } => Report::TelnetFailed(error.unwrap_or_else(|| "no error given".to_owned())),
                _ => continue,
            };
            if reports.send(report).is_err() {
                break;
            }
        }
    });
    Ok((switch, serial))
}

/// The plan states of the benchmark's devices, counted.
fn plan_states(
    store: &SqliteStore,
    serials: &HashSet<String>,
) -> Result<BTreeMap<String, u32>, SmiProxyBenchError> {
    let mut states = BTreeMap::new();
    for record in store.pnp_devices()? {
        if serials.contains(&record.serial) {
            *states.entry(state_kind(&record.state)).or_insert(0) += 1;
        }
    }
    Ok(states)
}

/// A plan state without what names one client (staged paths, grant URLs), so that failures
/// of the same kind count together.
fn state_kind(state: &str) -> String {
    match state.find("clients/").or_else(|| state.find("https://")) {
        Some(at) => format!("{}…", state.get(..at).unwrap_or(state)),
        None => state.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn failures_of_one_kind_count_together() {
        let a = "FAILED(image: SMI PROXY: the client did not fetch clients/70105c0003d9/x.bin)";
        let b = "FAILED(image: SMI PROXY: the client did not fetch clients/70105c0003da/x.bin)";
        assert_eq!(state_kind(a), state_kind(b));
        assert_eq!(state_kind("FINISHED"), "FINISHED");
    }

    use super::*;

    #[test]
    fn every_client_has_its_own_address_and_mac_outside_the_gateways_net() {
        let addrs: HashSet<Ipv4Addr> = (0..MAX_CLIENTS).map(address).collect();
        assert_eq!(addrs.len(), MAX_CLIENTS as usize);
        assert!(addrs.iter().all(|a| {
            let [o, a2, b, c] = a.octets();
            o == 127 && a2 != 0 && b != 0 && c != 0 && c != 255 && b != 255
        }));
        let macs: HashSet<[u8; 6]> = (0..MAX_CLIENTS).map(base_mac).collect();
        assert_eq!(macs.len(), MAX_CLIENTS as usize);
        assert_eq!(address(0), Ipv4Addr::new(127, 1, 1, 1));
        assert_eq!(address(250), Ipv4Addr::new(127, 1, 2, 1));
    }
}
