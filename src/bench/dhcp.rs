//! `ztpgate bench dhcp`: DHCP transactions per second (DISCOVER → OFFER → REQUEST → ACK) through
//! the real DHCP service ([`crate::edge::dhcp::DhcpService`]) on loopback, with its SQLite lease
//! store (`synchronous=FULL`) and audit log (the chosen fsync policy) in a private temp
//! directory, and the join window open so every reply carries the Smart Install options.
//!
//! The load comes from `workers` simulated relay agents: each binds its own 127.0.0.x address on
//! the server port and sets `giaddr`, so the server answers by unicast (RFC 2131 §4.1) and no
//! broadcast is needed on loopback. Client MACs cycle through [`MACS_IN_ROTATION`] addresses, so
//! a long run renews leases instead of exhausting the pool.

use std::net::{Ipv4Addr, SocketAddrV4};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use socket2::{Domain, Protocol, Socket, Type};
use tokio::net::UdpSocket;
use tokio::sync::{Mutex, watch};

use crate::app::dhcp::JoinWindowDecider;
use crate::audit::{AuditError, AuditLog};
use crate::bench::PrivateDir;
use crate::clock::now_monotonic;
use crate::config::FsyncPolicy;
use crate::config::dhcp::{DhcpConfig, DhcpMode};
use crate::edge::dhcp::{DhcpError, DhcpService};
use crate::policy::join::JoinWindowPolicy;
use crate::proto::dhcp::options::{self, MessageType};
use crate::proto::dhcp::{DhcpOption, MAX_DATAGRAM_BYTES, Message, Op};
use crate::roles::dhcp_server::{Pool, ServerConfig, SmartInstallOptions};
use crate::store::{SqliteStore, StoreError};

/// Distinct client MACs the load cycles through.
pub const MACS_IN_ROTATION: u64 = 50_000;

/// Parameters of one run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DhcpBenchOptions {
    /// Concurrent simulated relay agents (1 to 200).
    pub workers: u8,
    /// Measured time.
    pub duration: Duration,
    /// Audit log durability.
    pub fsync: FsyncPolicy,
    /// Decide with the running Smart Install director (its database records every granted
    /// client, its plan names the files) instead of the static join-window decider.
    pub director: bool,
}

/// The result of a run.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct DhcpBenchReport {
    /// Concurrent agents.
    pub workers: u8,
    /// Audit fsync policy.
    pub fsync: String,
    /// Whether the director decided (and recorded every client).
    pub director: bool,
    /// Clients in the director database at the end.
    pub director_clients: usize,
    /// Completed four-message transactions.
    pub transactions: u64,
    /// Measured seconds.
    pub seconds: f64,
    /// Transactions per second.
    pub per_second: f64,
    /// Median transaction latency, milliseconds.
    pub p50_ms: f64,
    /// 99th percentile transaction latency, milliseconds.
    pub p99_ms: f64,
    /// Transactions that timed out or got a wrong answer.
    pub errors: u64,
    /// Whether every ACK carried option 125.
    pub smart_install_options: bool,
}

/// Why a run could not start.
#[derive(Debug, thiserror::Error)]
pub enum DhcpBenchError {
    /// A socket or the temp directory could not be set up.
    #[error("cannot set up {what}: {source}")]
    Setup {
        /// What.
        what: &'static str,
        /// The OS error.
        source: std::io::Error,
    },
    /// The store could not be opened.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The audit log could not be opened.
    #[error(transparent)]
    Audit(#[from] AuditError),
    /// The DHCP service did not start.
    #[error(transparent)]
    Dhcp(#[from] DhcpError),
    /// The director did not start.
    #[error(transparent)]
    Director(#[from] crate::edge::director::DirectorError),
}

/// Runs the benchmark.
pub async fn run_dhcp_bench(opts: &DhcpBenchOptions) -> Result<DhcpBenchReport, DhcpBenchError> {
    let dir = PrivateDir::create("dhcp").map_err(|source| DhcpBenchError::Setup {
        what: "the temp directory",
        source,
    })?;
    let store = Arc::new(Mutex::new(SqliteStore::open(
        &dir.path().join("ztpgate.db"),
    )?));
    let audit = Arc::new(Mutex::new(AuditLog::open(
        &dir.path().join("audit.jsonl"),
        opts.fsync,
    )?));
    let port = free_port()?;
    let config = bench_config(port);
    let (stop_tx, stop_rx) = watch::channel(false);
    let director = if opts.director {
        Some(bench_director(dir.path(), &config, &store, &audit).await?)
    } else {
        None
    };
    let server = match &director {
        Some(director) => {
            let service = DhcpService::bind(config, store, audit, Arc::clone(director)).await?;
            tokio::spawn(service.run(stop_rx))
        }
        None => {
            let decider = JoinWindowDecider {
                policy: JoinWindowPolicy::default(),
                options: config.smart_install.clone(),
                pnp_option43: None,
            };
            let service = DhcpService::bind(config, store, audit, decider).await?;
            tokio::spawn(service.run(stop_rx))
        }
    };
    let next_mac = Arc::new(AtomicU64::new(0));
    let start = now_monotonic();
    let until = start + opts.duration;
    let mut agents = Vec::new();
    for w in 0..opts.workers {
        let socket = agent_socket(Ipv4Addr::new(127, 0, 1, w.saturating_add(1)), port)?;
        agents.push(tokio::spawn(agent(
            socket,
            port,
            Arc::clone(&next_mac),
            until,
        )));
    }
    let mut latencies = Vec::new();
    let (mut errors, mut all_si) = (0, true);
    for a in agents {
        if let Ok(result) = a.await {
            latencies.extend(result.latencies);
            errors += result.errors;
            all_si &= result.smart_install;
        } else {
            errors += 1;
        }
    }
    let seconds = (now_monotonic() - start).as_secs_f64();
    let _ = stop_tx.send(true);
    let _ = server.await;
    latencies.sort_unstable();
    let pick = |q: f64| -> f64 {
        let i = ((latencies.len() as f64 - 1.0) * q).round();
        latencies
            .get(i as usize)
            .map_or(0.0, |d: &Duration| d.as_secs_f64() * 1e3)
    };
    let transactions = latencies.len() as u64;
    let director_clients = match &director {
        Some(d) => d.clients().await.len(),
        None => 0,
    };
    Ok(DhcpBenchReport {
        workers: opts.workers,
        director: opts.director,
        director_clients,
        fsync: match opts.fsync {
            FsyncPolicy::Always => "always".into(),
            FsyncPolicy::Interval(every) => format!("interval {every:?}"),
        },
        transactions,
        seconds,
        per_second: transactions as f64 / seconds.max(1e-9),
        p50_ms: pick(0.5),
        p99_ms: pick(0.99),
        errors,
        smart_install_options: all_si,
    })
}

/// A human-readable report.
pub fn render(r: &DhcpBenchReport) -> String {
    format!(
        "DHCP DISCOVER→OFFER→REQUEST→ACK on loopback: {} agents, audit fsync {}{}\n\
         transactions {}  in {:.1} s  = {:.0}/s   p50 {:.2} ms  p99 {:.2} ms   errors {}   \
         option 125 in every ACK: {}\n",
        r.workers,
        r.fsync,
        if r.director {
            format!(", director ({} clients recorded)", r.director_clients)
        } else {
            String::new()
        },
        r.transactions,
        r.seconds,
        r.per_second,
        r.p50_ms,
        r.p99_ms,
        r.errors,
        r.smart_install_options
    )
}

struct AgentResult {
    latencies: Vec<Duration>,
    errors: u64,
    smart_install: bool,
}

/// One simulated relay agent: transactions back to back until `until`.
async fn agent(
    socket: UdpSocket,
    port: u16,
    next_mac: Arc<AtomicU64>,
    until: std::time::Instant,
) -> AgentResult {
    let mut out = AgentResult {
        latencies: Vec::new(),
        errors: 0,
        smart_install: true,
    };
    let giaddr = match socket.local_addr() {
        Ok(std::net::SocketAddr::V4(a)) => *a.ip(),
        _ => return out,
    };
    let server = SocketAddrV4::new(Ipv4Addr::LOCALHOST, port);
    let mut buf = vec![0; MAX_DATAGRAM_BYTES + 1];
    while now_monotonic() < until {
        let n = next_mac.fetch_add(1, Ordering::Relaxed);
        let started = now_monotonic();
        match transaction(&socket, server, giaddr, n, &mut buf).await {
            Some(si) => {
                out.latencies.push(now_monotonic() - started);
                out.smart_install &= si;
            }
            None => out.errors += 1,
        }
    }
    out
}

/// DISCOVER, OFFER, REQUEST, ACK for client number `n`; returns whether the ACK carried
/// option 125, or `None` on a timeout or a wrong answer.
async fn transaction(
    socket: &UdpSocket,
    server: SocketAddrV4,
    giaddr: Ipv4Addr,
    n: u64,
    buf: &mut [u8],
) -> Option<bool> {
    let id = n % MACS_IN_ROTATION;
    let xid = u32::try_from(n & 0xffff_ffff).unwrap_or(0);
    let mut chaddr = [0; 16];
    chaddr[..6].copy_from_slice(&[0x02, 0xbe, 0, (id >> 16) as u8, (id >> 8) as u8, id as u8]);
    let mut m = Message {
        op: Op::Request,
        htype: 1,
        hlen: 6,
        hops: 1,
        xid,
        secs: 0,
        flags: 0,
        ciaddr: Ipv4Addr::UNSPECIFIED,
        yiaddr: Ipv4Addr::UNSPECIFIED,
        siaddr: Ipv4Addr::UNSPECIFIED,
        giaddr,
        chaddr,
        sname: Vec::new(),
        file: Vec::new(),
        options: vec![DhcpOption {
            code: options::MESSAGE_TYPE,
            data: vec![MessageType::Discover.code()],
        }],
    };
    let offer = exchange(socket, server, &m, xid, MessageType::Offer, buf).await?;
    m.set_option(options::MESSAGE_TYPE, vec![MessageType::Request.code()]);
    m.set_option(options::SERVER_ID, Ipv4Addr::LOCALHOST.octets().to_vec());
    m.set_option(options::REQUESTED_IP, offer.yiaddr.octets().to_vec());
    let ack = exchange(socket, server, &m, xid, MessageType::Ack, buf).await?;
    Some(ack.option(options::VENDOR_IDENTIFYING).is_some())
}

async fn exchange(
    socket: &UdpSocket,
    server: SocketAddrV4,
    m: &Message,
    xid: u32,
    want: MessageType,
    buf: &mut [u8],
) -> Option<Message> {
    socket.send_to(&m.encode().ok()?, server).await.ok()?;
    let wait = async {
        loop {
            let (len, _) = socket.recv_from(buf).await.ok()?;
            if let Ok(reply) = Message::decode(&buf[..len])
                && reply.xid == xid
            {
                return (reply.message_type() == Some(want)).then_some(reply);
            }
        }
    };
    tokio::time::timeout(REPLY_TIMEOUT, wait)
        .await
        .ok()
        .flatten()
}

fn bench_config(port: u16) -> DhcpConfig {
    let address = Ipv4Addr::LOCALHOST;
    DhcpConfig {
        mode: DhcpMode::Server(ServerConfig {
            server_ip: address,
            subnet_mask: Ipv4Addr::new(255, 0, 0, 0),
            pool: Pool {
                first: Ipv4Addr::new(127, 64, 0, 0),
                last: Ipv4Addr::new(127, 64, 255, 255),
            },
            routers: vec![address],
            dns: Vec::new(),
            lease_secs: 3600,
        }),
        interface: "lo".into(),
        address,
        smart_install: SmartInstallOptions {
            image_list: Some("imagelist.txt".into()),
            config_file: Some("client.cfg".into()),
            tftp_server: Some(address),
            hostname: None,
            director: Some(address),
        },
        pnp_server: None,
        server_port: port,
        client_port: port,
    }
}

/// A director over `dir` assigning every client the default image and configuration.
async fn bench_director(
    dir: &std::path::Path,
    config: &DhcpConfig,
    store: &Arc<Mutex<SqliteStore>>,
    audit: &Arc<Mutex<AuditLog>>,
) -> Result<Arc<crate::edge::director::Director>, DhcpBenchError> {
    use crate::edge::director::{Director, Settings};
    use crate::policy::director::{Artifacts, DirectorPolicy};
    let root = dir.join("tftp");
    let settings = Settings {
        config: crate::config::si_director::DirectorConfig {
            enable: true,
            ..Default::default()
        },
        policy: DirectorPolicy {
            default: Artifacts {
                image: Some("c2960x-universalk9-mz.152-7.E8.tar".into()),
                config: Some("client.cfg".into()),
                script: None,
            },
            ..DirectorPolicy::default()
        },
        join: JoinWindowPolicy::default(),
        smart_install: config.smart_install.clone(),
        pnp_option43: None,
        tftp: std::net::SocketAddr::from((config.address, 69)),
        static_reads: crate::edge::tftp_server::AssignmentTable::new(&root),
        root,
        backup_dir: dir.join("backups"),
        lists_dir: dir.join("imagelists"),
    };
    let (director, _inputs) =
        Director::start(settings, Arc::clone(store), Arc::clone(audit)).await?;
    Ok(director)
}

/// A free UDP port on loopback (bound once, then released for the service).
fn free_port() -> Result<u16, DhcpBenchError> {
    let setup = |source| DhcpBenchError::Setup {
        what: "a loopback port",
        source,
    };
    let probe = std::net::UdpSocket::bind("0.0.0.0:0").map_err(setup)?;
    Ok(probe.local_addr().map_err(setup)?.port())
}

/// An agent's socket on `ip:port` (`SO_REUSEADDR`, like the service's wildcard socket).
fn agent_socket(ip: Ipv4Addr, port: u16) -> Result<UdpSocket, DhcpBenchError> {
    let setup = |source| DhcpBenchError::Setup {
        what: "an agent socket",
        source,
    };
    let socket = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP)).map_err(setup)?;
    socket.set_reuse_address(true).map_err(setup)?;
    socket
        .bind(&SocketAddrV4::new(ip, port).into())
        .map_err(setup)?;
    socket.set_nonblocking(true).map_err(setup)?;
    UdpSocket::from_std(socket.into()).map_err(setup)
}

/// How long an agent waits for each reply.
const REPLY_TIMEOUT: Duration = Duration::from_secs(1);

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_short_run_completes_transactions_with_smart_install_options() {
        for director in [false, true] {
            let opts = DhcpBenchOptions {
                workers: 2,
                duration: Duration::from_millis(300),
                fsync: FsyncPolicy::Interval(Duration::from_secs(1)),
                director,
            };
            let report = run_dhcp_bench(&opts).await.unwrap();
            assert!(report.transactions > 0, "{report:?}");
            assert_eq!(report.errors, 0, "{report:?}");
            assert!(report.smart_install_options);
            assert!(render(&report).contains("transactions"));
            // With the director every granted client is in its database.
            let recorded = if director { report.transactions } else { 0 };
            assert_eq!(report.director_clients as u64, recorded, "{report:?}");
        }
    }
}
