//! Pushes: the pure event → outcome rule, and the push itself against a real TFTP server (one
//! transfer slot) and a real emulated switch on loopback — a push that finds the server full is
//! sent again and lands once the slot frees; a push of a missing file fails at once with the
//! server's reason instead of waiting out the transfer timeout.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use tokio::net::UdpSocket;
use tokio::sync::watch;

use super::*;
use crate::audit::AuditLog;
use crate::config::FsyncPolicy;
use crate::config::si_proxy::ProxyGatewayConfig;
use crate::edge::client::{HttpClient, ServerUrl};
use crate::edge::smi_proxy::Settings;
use crate::edge::tftp_server::{self, AssignmentTable, TftpServer};
use crate::policy::net::AddrSet;
use crate::policy::smi_proxy::{ProxyAddress, ProxySettings};
use crate::proto::tftp::options::ServerLimits;
use crate::proto::tftp::{Packet, Request};
use crate::sim::switch::device::Device;
use crate::sim::switch::{Event, Switch, SwitchOptions};
use crate::store::SqliteStore;

fn event(name: &str, phase: TransferPhase) -> TransferEvent {
    TransferEvent {
        client: Ipv4Addr::new(10, 0, 0, 5).into(),
        filename: name.into(),
        write: false,
        phase,
    }
}

fn files() -> Vec<String> {
    vec!["c/imagelist.txt".into(), "c/image.bin".into()]
}

#[test]
fn only_the_last_file_ends_a_push() {
    let done = TransferPhase::Completed {
        bytes: 10,
        stored: None,
    };
    let list = event("c/imagelist.txt", done.clone());
    assert_eq!(Waiter::outcome(&files(), &list), None);
    let image = event("c/image.bin", done);
    assert_eq!(Waiter::outcome(&files(), &image), Some(Outcome::Fetched));
    let started = event("c/image.bin", TransferPhase::Started);
    assert_eq!(Waiter::outcome(&files(), &started), None);
}

#[test]
fn busy_is_retried_and_other_refusals_fail() {
    let busy = event("c/imagelist.txt", TransferPhase::Refused(Refusal::Busy));
    assert_eq!(Waiter::outcome(&files(), &busy), Some(Outcome::Busy));
    let missing = event("c/image.bin", TransferPhase::Refused(Refusal::NotFound));
    assert_eq!(
        Waiter::outcome(&files(), &missing),
        Some(Outcome::Failed(
            "c/image.bin refused: assigned file not found".into()
        ))
    );
    let failed = event(
        "c/imagelist.txt",
        TransferPhase::Failed {
            reason: "timeout".into(),
        },
    );
    assert_eq!(
        Waiter::outcome(&files(), &failed),
        Some(Outcome::Failed("c/imagelist.txt: timeout".into()))
    );
}

#[test]
fn other_files_and_uploads_are_not_the_push() {
    let other = event("client_cfg_pnp.txt", TransferPhase::Refused(Refusal::Busy));
    assert_eq!(Waiter::outcome(&files(), &other), None);
    let mut upload = event("c/image.bin", TransferPhase::Refused(Refusal::Busy));
    upload.write = true;
    assert_eq!(Waiter::outcome(&files(), &upload), None);
}

#[test]
fn busy_pauses_double_up_to_a_cap() {
    assert_eq!(busy_pause(1), Duration::from_millis(250));
    assert_eq!(busy_pause(2), Duration::from_millis(500));
    assert_eq!(busy_pause(4), Duration::from_secs(2));
    assert_eq!(busy_pause(5), MAX_BUSY_PAUSE);
    assert_eq!(busy_pause(40), MAX_BUSY_PAUSE);
}

/// A proxy with one TFTP slot, its TFTP server, and an emulated switch at 127.0.0.2.
struct Lab {
    dir: tempfile::TempDir,
    proxy: Arc<SmiProxy>,
    tftp: SocketAddr,
    switch_events: mpsc::UnboundedReceiver<Event>,
    _stop: watch::Sender<bool>,
}

const SWITCH: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 2);

async fn lab() -> Lab {
    let dir = tempfile::tempdir().unwrap();
    let files_dir = dir.path().join("smi_proxy");
    let tftp_socket = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
    let tftp = tftp_socket.local_addr().unwrap();
    let switch_listener = tokio::net::TcpListener::bind((SWITCH, 0)).await.unwrap();
    let client_port = switch_listener.local_addr().unwrap().port();
    let (upstream, _) = ServerUrl::parse("https://127.0.0.1:9/pnp/").unwrap();
    let settings = Settings {
        policy: ProxySettings {
            address: ProxyAddress::Ip(Ipv4Addr::LOCALHOST),
            startup_vlan: 1,
            pnp_profile: "pnp-zero-touch".into(),
            telnet_port: 19140,
            username: "smi".into(),
            password: "login-pw".into(),
            enable_password: "enable-pw".into(),
            pnp_server: None,
        },
        gateway: ProxyGatewayConfig {
            client_port,
            transfer_timeout: Duration::from_secs(30),
            probe_timeout: Duration::from_secs(2),
            ..ProxyGatewayConfig::default()
        },
        tailored: "hostname tailored\n".into(),
        client_networks: AddrSet(vec!["127.0.0.0/8".parse().unwrap()]),
        tftp,
        files_dir: files_dir.clone(),
        upstream,
        client: HttpClient::new(&[], None).unwrap(),
        delivery: Default::default(),
        smart_install: Default::default(),
        pnp_option43: None,
        static_reads: AssignmentTable::new(&files_dir),
        transfer_slots: 1,
    };
    let store = SqliteStore::open(&dir.path().join("state.db")).unwrap();
    let audit = AuditLog::open(&dir.path().join("audit.jsonl"), FsyncPolicy::Always).unwrap();
    let audit = Arc::new(tokio::sync::Mutex::new(audit));
    let (stop_tx, stop) = watch::channel(false);
    let store = Arc::new(tokio::sync::Mutex::new(store));
    let proxy = SmiProxy::start(settings, store, Arc::clone(&audit), stop.clone())
        .await
        .unwrap();
    let server = Arc::new(TftpServer::new(
        tftp_server::Settings {
            limits: ServerLimits::default(),
            max_retries: 2,
            max_transfers: 1,
            backup_dir: None,
        },
        Arc::clone(&proxy) as Arc<dyn tftp_server::Authorizer>,
        audit,
    ));
    tokio::spawn(server.serve(tftp_socket, stop));
    let opts = SwitchOptions {
        tftp_port: tftp.port(),
        tftp: crate::edge::tftp_client::Options::default(),
        limits: crate::proto::vstack::Limits::default(),
    };
    let (events, switch_events) = mpsc::unbounded_channel();
    let device = Device::with_config("hostname erased\n".into());
    let switch = Switch::with_source(device, opts, events, Some(IpAddr::V4(SWITCH)));
    tokio::spawn(switch.serve(switch_listener));
    Lab {
        dir,
        proxy,
        tftp,
        switch_events,
        _stop: stop_tx,
    }
}

impl Lab {
    /// Stages `text` as `name` under the proxy's files.
    fn stage(&self, name: &str, text: &str) {
        let path = self.dir.path().join("smi_proxy").join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    /// The configuration push of `name`.
    fn config_push(&self, name: &str) -> crate::proto::vstack::Message {
        wire::config_message(&wire::tftp_url(self.tftp, name), None).unwrap()
    }

    /// Takes the one TFTP slot: a read whose client never acknowledges (the server gives up
    /// after its retransmissions, about 3 s). Returns once the first block arrived.
    async fn hog_the_slot(&self) -> UdpSocket {
        let hog = UdpSocket::bind((Ipv4Addr::new(127, 0, 0, 3), 0))
            .await
            .unwrap();
        let rrq = Packet::Rrq(Request::octet("client_cfg_pnp.txt"))
            .encode()
            .unwrap();
        hog.send_to(&rrq, self.tftp).await.unwrap();
        let mut buf = [0u8; 2048];
        let _ = tokio::time::timeout(Duration::from_secs(5), hog.recv_from(&mut buf))
            .await
            .unwrap()
            .unwrap();
        hog
    }

    fn audit(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("audit.jsonl")).unwrap()
    }
}

#[tokio::test]
async fn a_push_that_finds_the_tftp_server_full_is_sent_again_and_lands() {
    let mut lab = lab().await;
    lab.stage("c1/day0.cfg", "hostname sw-day0\n");
    let _hog = lab.hog_the_slot().await;
    let message = lab.config_push("c1/day0.cfg");
    let files = ["c1/day0.cfg".to_owned()];
    let pushed = lab.proxy.push(SWITCH.into(), &files, &message).await;
    assert_eq!(pushed, Ok(()), "{}", lab.audit());
    // The first try was refused Busy (recorded), a later one delivered the file.
    let audit = lab.audit();
    assert!(
        audit
            .lines()
            .any(|l| l.contains("c1/day0.cfg") && l.contains("\"refusal\":\"Busy\"")),
        "{audit}"
    );
    let hostname = loop {
        match lab.switch_events.recv().await.unwrap() {
            Event::StartupConfig { hostname, .. } => break hostname,
            _ => continue,
        }
    };
    assert_eq!(hostname.as_deref(), Some("sw-day0"));
    assert!(lab.proxy.waiting.read().unwrap().is_empty());
}

#[tokio::test]
async fn a_push_of_a_missing_file_fails_at_once_with_the_reason() {
    let lab = lab().await;
    let message = lab.config_push("c1/gone.cfg");
    let files = ["c1/gone.cfg".to_owned()];
    let started = tokio::time::Instant::now();
    let err = lab
        .proxy
        .push(SWITCH.into(), &files, &message)
        .await
        .unwrap_err();
    assert!(
        err.contains("c1/gone.cfg refused: assigned file not found"),
        "{err}"
    );
    // Well within the 30 s transfer timeout.
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
}
