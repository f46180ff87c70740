//! Server tests on loopback with our own client: lock-step and windowed reads byte-exact,
//! refusals with their error codes and audit records, uploads landing in the backup directory
//! only (and nothing left behind by a refused or failed one), and a lossy path (a relay that
//! drops datagrams between client and server).

use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;

use tempfile::TempDir;

use super::*;
use crate::config::FsyncPolicy;
use crate::edge::tftp_client::{self, Options, TftpError};

struct Lab {
    dir: TempDir,
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    /// Every event the server reported to the authorizer.
    events: tokio::sync::mpsc::UnboundedReceiver<TransferEvent>,
}

/// The assignment table, with every transfer event passed on to the test.
struct Recording {
    table: AssignmentTable,
    events: tokio::sync::mpsc::UnboundedSender<TransferEvent>,
}

impl Authorizer for Recording {
    fn authorize_read(&self, client: IpAddr, filename: &str) -> Result<PathBuf, Refusal> {
        self.table.authorize_read(client, filename)
    }

    fn authorize_write(&self, client: IpAddr, filename: &str) -> Result<(), Refusal> {
        self.table.authorize_write(client, filename)
    }

    fn transfer_event(&self, event: TransferEvent) {
        let _ = self.events.send(event);
    }
}

impl Lab {
    /// The events reported so far.
    fn drain_events(&mut self) -> Vec<TransferEvent> {
        let mut out = Vec::new();
        while let Ok(e) = self.events.try_recv() {
            out.push(e);
        }
        out
    }
}

fn file(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 + i / 977) as u8).collect()
}

async fn lab(max_write: u64, max_transfers: usize) -> Lab {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    let backup = dir.path().join("backup");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::create_dir_all(&backup).unwrap();
    std::fs::write(root.join("image.bin"), file(300_000)).unwrap();
    std::fs::write(root.join("small.cfg"), b"hostname sw1\n").unwrap();
    std::fs::write(root.join("roll.bin"), file(530_000)).unwrap();
    std::fs::write(root.join("other.cfg"), b"hostname sw2\n").unwrap();
    let mut table = AssignmentTable::new(&root);
    table
        .assign(Ipv4Addr::LOCALHOST.into(), "image.bin")
        .unwrap();
    table
        .assign(Ipv4Addr::LOCALHOST.into(), "small.cfg")
        .unwrap();
    table
        .assign(Ipv4Addr::LOCALHOST.into(), "roll.bin")
        .unwrap();
    table
        .assign(Ipv4Addr::new(127, 0, 0, 2).into(), "other.cfg")
        .unwrap();
    let audit = AuditLog::open(&dir.path().join("audit.jsonl"), FsyncPolicy::Always).unwrap();
    let settings = Settings {
        limits: ServerLimits {
            max_write_bytes: max_write,
            ..ServerLimits::default()
        },
        max_retries: 4,
        max_transfers,
        backup_dir: Some(backup),
    };
    let (tx, events) = tokio::sync::mpsc::unbounded_channel();
    let authorizer = Recording { table, events: tx };
    let server = Arc::new(TftpServer::new(
        settings,
        Arc::new(authorizer),
        Arc::new(Mutex::new(audit)),
    ));
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = socket.local_addr().unwrap();
    let (stop, rx) = watch::channel(false);
    tokio::spawn(server.serve(socket, rx));
    Lab {
        dir,
        addr,
        stop,
        events,
    }
}

fn quick() -> Options {
    Options {
        timeout: Duration::from_millis(200),
        retries: 4,
        max_bytes: 1 << 20,
        ..Options::default()
    }
}

fn windowed() -> Options {
    Options {
        block_bytes: Some(1468),
        window: Some(16),
        tsize: true,
        ..quick()
    }
}

fn audit_verdicts(dir: &Path) -> Vec<(String, String)> {
    std::fs::read_to_string(dir.join("audit.jsonl"))
        .unwrap()
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            (
                v["verdict"].as_str().unwrap().to_owned(),
                v["detail"]["file"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

fn server_error(err: &TftpError) -> ErrorCode {
    match err {
        TftpError::Server { code, .. } => *code,
        other => panic!("not a server error: {other:?}"),
    }
}

#[tokio::test]
async fn serves_an_assigned_file_lock_step_and_windowed() {
    let lab = lab(1 << 20, 8).await;
    let got = tftp_client::get(lab.addr, "image.bin", quick())
        .await
        .unwrap();
    assert_eq!(got, file(300_000));
    let got = tftp_client::get(lab.addr, "image.bin", windowed())
        .await
        .unwrap();
    assert_eq!(got, file(300_000));
    tokio::time::sleep(Duration::from_millis(50)).await;
    let verdicts = audit_verdicts(lab.dir.path());
    assert_eq!(
        verdicts.iter().filter(|(v, _)| v == "complete").count(),
        2,
        "{verdicts:?}"
    );
}

#[tokio::test]
async fn a_flood_of_refused_requests_is_not_a_flood_of_records() {
    let lab = lab(1 << 20, 8).await;
    let flood = REFUSAL_BURST as usize + 30;
    for _ in 0..flood {
        let err = tftp_client::get(lab.addr, "nothere", quick())
            .await
            .unwrap_err();
        // Every request is still refused, whether recorded or not.
        assert_eq!(server_error(&err), ErrorCode::AccessViolation);
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    let refused = audit_verdicts(lab.dir.path())
        .into_iter()
        .filter(|(v, _)| v == "refuse")
        .count();
    // The burst, plus what the refill allowed while the flood ran (well under a second).
    assert!(
        (REFUSAL_BURST as usize..REFUSAL_BURST as usize + 5).contains(&refused),
        "{refused} refusal records for {flood} requests"
    );
    // Grants are never throttled.
    let got = tftp_client::get(lab.addr, "small.cfg", quick())
        .await
        .unwrap();
    assert_eq!(got, b"hostname sw1\n");
}

#[tokio::test]
async fn refuses_unassigned_and_unsafe_names_with_access_violation() {
    let lab = lab(1 << 20, 8).await;
    let names = ["other.cfg", "../root/small.cfg", "/etc/passwd", "nothere"];
    for name in names {
        let err = tftp_client::get(lab.addr, name, quick()).await.unwrap_err();
        assert_eq!(server_error(&err), ErrorCode::AccessViolation, "{name}");
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    let refused = audit_verdicts(lab.dir.path())
        .into_iter()
        .filter(|(v, _)| v == "refuse")
        .count();
    assert_eq!(refused, 4);
    let mut lab = lab;
    let events: Vec<_> = lab
        .drain_events()
        .into_iter()
        .map(|e| (e.filename, e.phase))
        .collect();
    let problem = |p| TransferPhase::Refused(Refusal::UnsafeName(p));
    assert_eq!(
        events,
        vec![
            (
                "other.cfg".into(),
                TransferPhase::Refused(Refusal::NotAssigned)
            ),
            (
                "../root/small.cfg".into(),
                problem(NameProblem::BadComponent)
            ),
            ("/etc/passwd".into(), problem(NameProblem::Absolute)),
            (
                "nothere".into(),
                TransferPhase::Refused(Refusal::NotAssigned)
            ),
        ]
    );
}

#[tokio::test]
async fn stores_an_upload_in_the_backup_dir_under_a_sanitized_name() {
    let lab = lab(1 << 20, 8).await;
    let data = file(5_000);
    tftp_client::put(lab.addr, "../sw1:confg", &data, quick())
        .await
        .unwrap();
    tftp_client::put(lab.addr, "big-confg", &data, windowed())
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let backup = lab.dir.path().join("backup");
    let stored = std::fs::read(backup.join("127.0.0.1__sw1_confg")).unwrap();
    assert_eq!(stored, data);
    assert_eq!(
        std::fs::read(backup.join("127.0.0.1_big-confg")).unwrap(),
        data
    );
    assert_eq!(std::fs::read_dir(&backup).unwrap().count(), 2);
    assert!(!lab.dir.path().join("sw1:confg").exists());
}

#[tokio::test]
async fn refuses_an_upload_over_the_cap_and_leaves_nothing() {
    let lab = lab(4_000, 8).await;
    let data = file(5_000);
    // Announced with tsize: refused before any data.
    let err = tftp_client::put(lab.addr, "a", &data, windowed())
        .await
        .unwrap_err();
    assert_eq!(server_error(&err), ErrorCode::DiskFull);
    // Not announced: refused when the data passes the cap.
    let err = tftp_client::put(lab.addr, "b", &data, quick())
        .await
        .unwrap_err();
    assert_eq!(server_error(&err), ErrorCode::DiskFull);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let backup = lab.dir.path().join("backup");
    assert_eq!(std::fs::read_dir(&backup).unwrap().count(), 0);
}

#[tokio::test]
async fn refuses_requests_beyond_the_transfer_cap_and_reports_it() {
    let mut lab = lab(1 << 20, 1).await;
    // Hold the only slot: a request whose client never answers.
    let hog = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let rrq = Packet::Rrq(Request::octet("image.bin")).encode().unwrap();
    hog.send_to(&rrq, lab.addr).await.unwrap();
    let mut buf = [0u8; 2048];
    let _ = hog.recv_from(&mut buf).await.unwrap();
    let err = tftp_client::get(lab.addr, "small.cfg", quick())
        .await
        .unwrap_err();
    assert_eq!(server_error(&err), ErrorCode::NotDefined);
    // The authorizer hears of the refusal too, though it was never asked: whoever waits for
    // that client's fetch learns at once that it will not happen.
    let events = lab.drain_events();
    let refused: Vec<_> = events
        .iter()
        .filter(|e| e.filename == "small.cfg")
        .map(|e| e.phase.clone())
        .collect();
    assert_eq!(refused, vec![TransferPhase::Refused(Refusal::Busy)]);
    assert!(
        events
            .iter()
            .any(|e| e.filename == "image.bin" && e.phase == TransferPhase::Started)
    );
}

/// A UDP relay between the client and the server that drops every `nth` datagram in each
/// direction. Returns the address the client should use.
async fn lossy_relay(server: SocketAddr, nth: usize) -> SocketAddr {
    let front = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = front.local_addr().unwrap();
    tokio::spawn(async move {
        let back = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let mut client = None;
        let mut server_tid = server;
        let (mut up, mut down) = (0usize, 0usize);
        let mut a = vec![0u8; 70_000];
        let mut b = vec![0u8; 70_000];
        loop {
            tokio::select! {
                r = front.recv_from(&mut a) => {
                    let (len, from) = r.unwrap();
                    client = Some(from);
                    up += 1;
                    if up % nth != 0 {
                        let _ = back.send_to(&a[..len], server_tid).await;
                    }
                }
                r = back.recv_from(&mut b) => {
                    let (len, from) = r.unwrap();
                    server_tid = from;
                    down += 1;
                    if let (Some(c), true) = (client, down % nth != 0) {
                        let _ = front.send_to(&b[..len], c).await;
                    }
                }
            }
        }
    });
    addr
}

#[tokio::test]
async fn completes_windowed_transfers_over_a_lossy_path() {
    let lab = lab(1 << 20, 8).await;
    let relay = lossy_relay(lab.addr, 7).await;
    let opts = Options {
        timeout: Duration::from_millis(100),
        retries: 40,
        ..windowed()
    };
    let got = tftp_client::get(relay, "image.bin", opts).await.unwrap();
    assert_eq!(got, file(300_000));
    let relay = lossy_relay(lab.addr, 5).await;
    let data = file(100_000);
    tftp_client::put(relay, "lossy", &data, opts).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let stored = std::fs::read(lab.dir.path().join("backup/127.0.0.1_lossy")).unwrap();
    assert_eq!(stored, data);
    let _ = lab.stop.send(true);
}

#[tokio::test]
async fn tells_running_transfers_about_a_shutdown() {
    let lab = lab(1 << 20, 8).await;
    let client = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let rrq = Packet::Rrq(Request::octet("image.bin")).encode().unwrap();
    client.send_to(&rrq, lab.addr).await.unwrap();
    let mut buf = vec![0u8; 2048];
    let (len, _) = client.recv_from(&mut buf).await.unwrap();
    assert!(matches!(
        Packet::decode(&buf[..len]),
        Ok(Packet::Data { block: 1, .. })
    ));
    lab.stop.send(true).unwrap();
    loop {
        let (len, _) = client.recv_from(&mut buf).await.unwrap();
        match Packet::decode(&buf[..len]).unwrap() {
            Packet::Data { block: 1, .. } => continue,
            Packet::Error { message, .. } => {
                assert_eq!(message, "server shutting down");
                break;
            }
            other => panic!("{other:?}"),
        }
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let verdicts = audit_verdicts(lab.dir.path());
    assert!(verdicts.iter().any(|(v, _)| v == "fail"), "{verdicts:?}");
}

#[tokio::test]
async fn rolls_block_numbers_over_on_a_real_socket() {
    // 8-byte blocks: 66,251 blocks, so block numbers wrap from 65535 to 0 during the transfer.
    let lab = lab(1 << 20, 8).await;
    let opts = Options {
        block_bytes: Some(8),
        window: Some(32),
        ..quick()
    };
    let got = tftp_client::get(lab.addr, "roll.bin", opts).await.unwrap();
    assert!(got == file(530_000));
}

#[tokio::test]
async fn refuses_netascii_requests() {
    let lab = lab(1 << 20, 8).await;
    let client = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let mut req = Request::octet("small.cfg");
    req.mode = Mode::Netascii;
    client
        .send_to(&Packet::Rrq(req).encode().unwrap(), lab.addr)
        .await
        .unwrap();
    let mut buf = vec![0u8; 2048];
    let (len, _) = client.recv_from(&mut buf).await.unwrap();
    assert!(matches!(
        Packet::decode(&buf[..len]),
        Ok(Packet::Error {
            code: ErrorCode::IllegalOperation,
            ..
        })
    ));
}
