//! TFTP download benchmark (run by `scripts/bench-tftp.sh` / `make bench-tftp`): our client
//! (`ztpgate::edge::tftp_client`) fetches one file from ztpgate's TFTP server (started here, on its
//! own runtime thread, on 127.0.0.1) and from another server given by address (tftpd-hpa in the
//! script), with the same block size and window, several runs each; prints MiB/s per run and the
//! median, and which options each server acknowledged (an OACK probe).
//!
//! Usage: `tftp_bench --file PATH --other ADDR [--runs N] [--blksize B] [--windows 16,1]`.
//! Every download is checked byte for byte against the file.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::UdpSocket;
use tokio::sync::{Mutex, watch};
use ztpgate::audit::AuditLog;
use ztpgate::config::FsyncPolicy;
use ztpgate::edge::tftp_client::{self, Options};
use ztpgate::edge::tftp_server::{AssignmentTable, Settings, TftpServer};
use ztpgate::proto::tftp::options::ServerLimits;
use ztpgate::proto::tftp::{Packet, Request};

struct Args {
    file: PathBuf,
    other: SocketAddr,
    runs: usize,
    blksize: usize,
    windows: Vec<u16>,
}

fn args() -> Args {
    let mut a = Args {
        file: PathBuf::new(),
        other: "127.0.0.1:69".parse().unwrap(),
        runs: 3,
        blksize: 1468,
        windows: vec![16, 1],
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--file" => a.file = value.into(),
            "--other" => a.other = value.parse().expect("--other ADDR:PORT"),
            "--runs" => a.runs = value.parse().expect("--runs N"),
            "--blksize" => a.blksize = value.parse().expect("--blksize B"),
            "--windows" => {
                a.windows = value.split(',').map(|w| w.parse().unwrap()).collect();
            }
            other => panic!("unknown flag {other}"),
        }
    }
    assert!(a.file.is_file(), "--file must name a file");
    a
}

/// Starts ztpgate's server on its own runtime thread; returns its address.
fn start_ztpgate(file: &Path, state: &Path) -> SocketAddr {
    let root = file.parent().unwrap().to_path_buf();
    let name = file.file_name().unwrap().to_str().unwrap().to_owned();
    let audit = AuditLog::open(&state.join("audit.jsonl"), FsyncPolicy::Always).unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let mut table = AssignmentTable::new(&root);
            table.assign(Ipv4Addr::LOCALHOST.into(), &name).unwrap();
            let settings = Settings {
                limits: ServerLimits::default(),
                max_retries: 5,
                max_transfers: 16,
                backup_dir: None,
            };
            let server = Arc::new(TftpServer::new(
                settings,
                Arc::new(table),
                Arc::new(Mutex::new(audit)),
            ));
            let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            tx.send(socket.local_addr().unwrap()).unwrap();
            let (_stop, stop_rx) = watch::channel(false);
            server.serve(socket, stop_rx).await;
        });
    });
    rx.recv().unwrap()
}

/// The options `server` acknowledges for a read of `name` asking blksize, tsize and windowsize.
async fn probe_oack(server: SocketAddr, name: &str, blksize: usize) -> String {
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let mut req = Request::octet(name);
    req.options = vec![
        ("blksize".into(), blksize.to_string()),
        ("tsize".into(), "0".into()),
        ("windowsize".into(), "16".into()),
    ];
    let rrq = Packet::Rrq(req).encode().unwrap();
    socket.send_to(&rrq, server).await.unwrap();
    let mut buf = vec![0u8; 70_000];
    let reply = tokio::time::timeout(Duration::from_secs(2), socket.recv_from(&mut buf)).await;
    let text = match reply {
        Ok(Ok((len, from))) => {
            let abort = Packet::error(ztpgate::proto::tftp::ErrorCode::NotDefined, "probe");
            socket
                .send_to(&abort.encode().unwrap(), from)
                .await
                .unwrap();
            match Packet::decode(&buf[..len]) {
                Ok(Packet::OAck { options }) => options
                    .iter()
                    .map(|(n, v)| format!("{n}={v}"))
                    .collect::<Vec<_>>()
                    .join(" "),
                Ok(other) => format!("no OACK ({other:?})"),
                Err(e) => format!("undecodable reply ({e})"),
            }
        }
        _ => "no reply".into(),
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    text
}

async fn run(server: SocketAddr, name: &str, expected: &[u8], blksize: usize, window: u16) -> f64 {
    let opts = Options {
        timeout: Duration::from_secs(1),
        retries: 5,
        max_bytes: expected.len() + 1,
        block_bytes: Some(blksize),
        window: Some(window),
        tsize: true,
    };
    let started = ztpgate::clock::now_monotonic();
    let got = tftp_client::get(server, name, opts).await.unwrap();
    let secs = (ztpgate::clock::now_monotonic() - started).as_secs_f64();
    assert!(got == expected, "download differs from the file");
    expected.len() as f64 / (1024.0 * 1024.0) / secs
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let a = args();
    let state = tempfile::tempdir().unwrap();
    let expected = std::fs::read(&a.file).unwrap();
    let name = a.file.file_name().unwrap().to_str().unwrap().to_owned();
    let ours = start_ztpgate(&a.file, state.path());
    let size = expected.len() as f64 / (1024.0 * 1024.0);
    println!(
        "file: {name}, {size:.1} MiB; blksize {}; runs {}",
        a.blksize, a.runs
    );
    let servers = [("ztpgate", ours), ("other", a.other)];
    for (label, addr) in servers {
        println!(
            "{label} ({addr}) acknowledges: {}",
            probe_oack(addr, &name, a.blksize).await
        );
    }
    println!("| server | windowsize asked | runs (MiB/s) | median MiB/s |");
    println!("|---|---|---|---|");
    for (label, addr) in servers {
        for &window in &a.windows {
            let mut rates = Vec::new();
            for _ in 0..a.runs {
                rates.push(run(addr, &name, &expected, a.blksize, window).await);
            }
            let list = rates
                .iter()
                .map(|r| format!("{r:.1}"))
                .collect::<Vec<_>>()
                .join(", ");
            println!("| {label} | {window} | {list} | {:.1} |", median(rates));
        }
    }
}
