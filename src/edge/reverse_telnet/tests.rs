//! The listener on loopback against a scripted legacy client: the client connects (as the
//! tailored configuration's `do telnet` makes it), negotiates telnet options and presents an IOS
//! login and CLI; the proxy logs in, enables and reads `show version`. Also: a wrong password
//! is a `fail` record, a peer outside the client networks is refused without a byte exchanged.

use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::*;
use crate::config::FsyncPolicy;
use crate::roles::smi_proxy::tailored::PasswordForm;

fn credentials() -> Credentials {
    Credentials::new("smi", "login-pw", "enable-pw", PasswordForm::Secret).unwrap()
}

fn show_version_fixture() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/show_version/c2960x-15.2-7-e8.txt");
    std::fs::read_to_string(path).unwrap().replace('\n', "\r\n")
}

/// Reads until `needle` arrived (the proxy's line), failing after 5 s.
async fn expect(stream: &mut TcpStream, needle: &str) {
    let mut seen = Vec::new();
    let mut buf = [0u8; 512];
    let found = tokio::time::timeout(Duration::from_secs(5), async {
        while !String::from_utf8_lossy(&seen).contains(needle) {
            let n = stream.read(&mut buf).await.unwrap();
            assert!(n > 0, "closed while waiting for {needle:?}");
            seen.extend_from_slice(&buf[..n]);
        }
    })
    .await;
    assert!(
        found.is_ok(),
        "never got {needle:?}: {:?}",
        String::from_utf8_lossy(&seen)
    );
}

/// The scripted client: telnet options, login, enable, `show version`.
async fn client(addr: SocketAddr, password: &str) {
    let mut s = TcpStream::connect(addr).await.unwrap();
    // IAC WILL ECHO, IAC WILL SUPPRESS-GO-AHEAD, as IOS sends.
    s.write_all(&[255, 251, 1, 255, 251, 3]).await.unwrap();
    s.write_all(b"\r\n\r\nUser Access Verification\r\n\r\nUsername: ")
        .await
        .unwrap();
    expect(&mut s, "smi\r\n").await;
    s.write_all(b"Password: ").await.unwrap();
    expect(&mut s, "login-pw\r\n").await;
    if password != "login-pw" {
        s.write_all(b"\r\n% Login invalid\r\n\r\nUsername: ")
            .await
            .unwrap();
        let _ = s.read(&mut [0u8; 64]).await;
        return;
    }
    s.write_all(b"\r\nSW-LAB-2960X>").await.unwrap();
    expect(&mut s, "enable\r\n").await;
    s.write_all(b"Password: ").await.unwrap();
    expect(&mut s, "enable-pw\r\n").await;
    s.write_all(b"\r\nSW-LAB-2960X#").await.unwrap();
    expect(&mut s, "terminal length 0\r\n").await;
    s.write_all(b"terminal length 0\r\nSW-LAB-2960X#")
        .await
        .unwrap();
    expect(&mut s, "show version\r\n").await;
    let out = format!(
        "show version\r\n{}\r\nSW-LAB-2960X#",
        show_version_fixture()
    );
    s.write_all(out.as_bytes()).await.unwrap();
    let _ = tokio::time::timeout(Duration::from_secs(2), s.read(&mut [0u8; 64])).await;
}

struct Lab {
    _dir: tempfile::TempDir,
    audit_path: std::path::PathBuf,
    addr: SocketAddr,
    learned: mpsc::UnboundedReceiver<Learned>,
    _stop: watch::Sender<bool>,
}

async fn lab(client_networks: &str) -> Lab {
    lab_with(client_networks, MAX_SESSIONS).await
}

async fn lab_with(client_networks: &str, sessions: usize) -> Lab {
    let dir = tempfile::tempdir().unwrap();
    let audit_path = dir.path().join("audit.jsonl");
    let audit = Arc::new(Mutex::new(
        AuditLog::open(&audit_path, FsyncPolicy::Always).unwrap(),
    ));
    let (tx, learned) = mpsc::unbounded_channel();
    let nets = AddrSet(vec![client_networks.parse().unwrap()]);
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop_tx, stop) = watch::channel(false);
    let server =
        Arc::new(ReverseTelnet::new(credentials(), nets, audit, tx).with_max_sessions(sessions));
    tokio::spawn(server.serve(listener, stop));
    Lab {
        _dir: dir,
        audit_path,
        addr,
        learned,
        _stop: stop_tx,
    }
}

/// Waits for the audit log to hold a record with `verdict`.
async fn audited(lab: &Lab, verdict: &str) -> String {
    for _ in 0..100 {
        let text = std::fs::read_to_string(&lab.audit_path).unwrap_or_default();
        if text.contains(&format!("\"verdict\":\"{verdict}\"")) {
            return text;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no {verdict} record");
}

#[tokio::test]
async fn a_client_calling_back_is_logged_into_and_reports_its_udi() {
    let mut lab = lab("127.0.0.0/8").await;
    client(lab.addr, "login-pw").await;
    let learned = tokio::time::timeout(Duration::from_secs(5), lab.learned.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(learned.peer.ip(), IpAddr::V4(Ipv4Addr::LOCALHOST));
    let sv = learned.show_version;
    assert_eq!(
        sv.udi().to_string(),
        "PID:WS-C2960X-48FPD-L,VID:V05,SN:FOC1933X0AB"
    );
    assert_eq!(sv.hostname.as_deref(), Some("SW-LAB-2960X"));
    let log = audited(&lab, "learn").await;
    assert!(log.contains("FOC1933X0AB"), "{log}");
}

#[tokio::test]
async fn refused_logins_and_foreign_peers_are_audited_and_learn_nothing() {
    let mut lab = lab("127.0.0.0/8").await;
    client(lab.addr, "wrong").await;
    let log = audited(&lab, "fail").await;
    assert!(log.contains("login refused"), "{log}");
    assert!(lab.learned.try_recv().is_err());

    let mut lab = lab_outside().await;
    let mut s = TcpStream::connect(lab.addr).await.unwrap();
    let mut buf = [0u8; 16];
    let n = tokio::time::timeout(Duration::from_secs(5), s.read(&mut buf))
        .await
        .unwrap()
        .unwrap_or(0);
    assert_eq!(
        n, 0,
        "nothing is sent to a peer outside the client networks"
    );
    audited(&lab, "refuse").await;
    assert!(lab.learned.try_recv().is_err());
}

/// Reads from `s` until it is closed, failing after 5 s; returns how many bytes came.
async fn closed(s: &mut TcpStream) -> usize {
    let mut total = 0;
    let mut buf = [0u8; 256];
    loop {
        let read = tokio::time::timeout(Duration::from_secs(5), s.read(&mut buf)).await;
        match read.expect("the connection stays open") {
            Ok(0) | Err(_) => return total,
            Ok(n) => total += n,
        }
    }
}

#[tokio::test]
async fn a_connection_beyond_the_cap_is_closed_at_once_and_recorded() {
    let mut lab = lab_with("127.0.0.0/8", 1).await;
    // The one session: a client that connected and has not spoken yet.
    let held = TcpStream::connect(lab.addr).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut extra = TcpStream::connect(lab.addr).await.unwrap();
    assert_eq!(
        closed(&mut extra).await,
        0,
        "nothing is sent beyond the cap"
    );
    let log = audited(&lab, "refuse").await;
    assert!(log.contains("too many reverse-telnet sessions"), "{log}");
    // Once the held session ends, the next client is served.
    drop(held);
    tokio::time::sleep(Duration::from_millis(100)).await;
    client(lab.addr, "login-pw").await;
    let learned = tokio::time::timeout(Duration::from_secs(5), lab.learned.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(learned.show_version.serial, "FOC1933X0AB");
}

#[tokio::test]
async fn connections_are_accepted_while_every_session_is_busy() {
    // With the only session taken, every further connection is still accepted and answered
    // (closed) at once: none is left waiting in the kernel's queue until a client gives up.
    let lab = lab_with("127.0.0.0/8", 1).await;
    let _held = TcpStream::connect(lab.addr).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    for _ in 0..50 {
        let mut s = TcpStream::connect(lab.addr).await.unwrap();
        assert_eq!(closed(&mut s).await, 0);
    }
}

#[tokio::test]
async fn a_flood_of_refused_connections_is_not_a_flood_of_records() {
    let lab = lab_outside().await;
    let flood = REFUSAL_BURST as usize + 40;
    for _ in 0..flood {
        let mut s = TcpStream::connect(lab.addr).await.unwrap();
        assert_eq!(closed(&mut s).await, 0);
    }
    audited(&lab, "refuse").await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let text = std::fs::read_to_string(&lab.audit_path).unwrap();
    let records = text
        .lines()
        .filter(|l| l.contains("\"verdict\":\"refuse\""))
        .count();
    assert!(
        (REFUSAL_BURST as usize..REFUSAL_BURST as usize + 5).contains(&records),
        "{records} refusal records for {flood} connections"
    );
}

async fn lab_outside() -> Lab {
    lab("10.99.0.0/16").await
}
