//! The director on loopback with real sockets: its TFTP server (the director as authorizer), an
//! emulated switch answering on TCP and fetching/uploading over TFTP, an SQLite store and an
//! audit log. Exercises plan → DHCP options, reads limited to the plan, download status from the
//! switch's own transfers, probes, backups with rotation and checksum, an on-demand update, and
//! that the store holds exactly what the director holds.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use md5::{Digest as _, Md5};
use tokio::net::{TcpListener, UdpSocket};
use tokio::sync::{Mutex, mpsc, watch};

use super::*;
use crate::audit::AuditLog;
use crate::config::FsyncPolicy;
use crate::edge::dhcp::{Decide, Grant, OperatorState};
use crate::edge::tftp_client;
use crate::edge::tftp_server::{Settings as TftpSettings, TftpServer};
use crate::policy::director::{Artifacts, Hardening};
use crate::proto::dhcp::Message;
use crate::proto::tftp::options::ServerLimits;
use crate::proto::vstack::Limits;
use crate::roles::director::{ArtifactStatus, DeviceType, DownloadMethod, Selector};
use crate::sim::switch::{Switch, SwitchOptions, device::Device};
use crate::store::director::DirectorStore;

const MAC: Mac = Mac([0x00, 0x1d, 0x71, 0xba, 0xf7, 0x80]);

struct Lab {
    _dir: tempfile::TempDir,
    director: Arc<Director>,
    store: Arc<Mutex<SqliteStore>>,
    backups: PathBuf,
    tftp: SocketAddr,
    _stop: watch::Sender<bool>,
}

fn request(hostname: &str) -> Message {
    let mut b = vec![1, 1, 6, 0];
    b.resize(28, 0);
    b.extend_from_slice(&MAC.0);
    b.resize(236, 0);
    b.extend_from_slice(&crate::proto::dhcp::MAGIC_COOKIE);
    b.extend_from_slice(&[53, 1, 3, 12, hostname.len() as u8]);
    b.extend_from_slice(hostname.as_bytes());
    b.push(0xff);
    Message::decode(&b).unwrap()
}

async fn lab(switch_port: u16) -> Lab {
    lab_with(switch_port, Hardening::default()).await
}

async fn lab_with(switch_port: u16, harden: Hardening) -> Lab {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(
        root.join("c2960x-universalk9-mz.152-7.E8.tar"),
        vec![7u8; 3000],
    )
    .unwrap();
    std::fs::write(root.join("seed.cfg"), "hostname edge-1\nend\n").unwrap();
    std::fs::write(root.join("other.cfg"), "secret\n").unwrap();
    let backups = dir.path().join("backups");
    let socket = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
    let tftp = socket.local_addr().unwrap();
    let config = DirectorConfig {
        enable: true,
        client_port: switch_port,
        probe_interval: Duration::from_secs(3600),
        probe_timeout: Duration::from_secs(2),
        backup_on_start: false,
        backup_interval: None,
        ..DirectorConfig::default()
    };
    let settings = Settings {
        config,
        policy: DirectorPolicy {
            default: Artifacts {
                image: Some("c2960x-universalk9-mz.152-7.E8.tar".into()),
                config: Some("seed.cfg".into()),
                script: None,
            },
            harden,
            ..DirectorPolicy::default()
        },
        join: JoinWindowPolicy::default(),
        smart_install: SmartInstallOptions {
            tftp_server: Some(Ipv4Addr::LOCALHOST),
            director: Some(Ipv4Addr::LOCALHOST),
            ..SmartInstallOptions::default()
        },
        pnp_option43: None,
        tftp,
        root: root.clone(),
        backup_dir: backups.clone(),
        lists_dir: dir.path().join("lists"),
        static_reads: AssignmentTable::new(&root),
    };
    let store = Arc::new(Mutex::new(
        SqliteStore::open(&dir.path().join("db")).unwrap(),
    ));
    let audit = Arc::new(Mutex::new(
        AuditLog::open(&dir.path().join("audit.log"), FsyncPolicy::Always).unwrap(),
    ));
    let (director, rx) = Director::start(settings, Arc::clone(&store), Arc::clone(&audit))
        .await
        .unwrap();
    let (stop_tx, stop) = watch::channel(false);
    let server = Arc::new(TftpServer::new(
        TftpSettings {
            limits: ServerLimits::default(),
            max_retries: 3,
            max_transfers: 8,
            backup_dir: Some(backups.clone()),
        },
        Arc::clone(&director) as Arc<dyn crate::edge::tftp_server::Authorizer>,
        Arc::clone(&audit),
    ));
    tokio::spawn(server.serve(socket, stop.clone()));
    tokio::spawn(Arc::clone(&director).run(rx, stop));
    Lab {
        _dir: dir,
        director,
        store,
        backups,
        tftp,
        _stop: stop_tx,
    }
}

async fn switch() -> (u16, mpsc::UnboundedReceiver<crate::sim::switch::Event>) {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = mpsc::unbounded_channel();
    let opts = SwitchOptions {
        tftp_port: 69,
        tftp: tftp_client::Options::default(),
        limits: Limits::default(),
    };
    let sw = Switch::new(Device::new("edge-1"), opts, tx);
    tokio::spawn(sw.serve(listener));
    (port, rx)
}

/// Waits until `check` holds for the director's client.
async fn until(lab: &Lab, what: &str, check: impl Fn(&Client) -> bool) -> Client {
    for _ in 0..100 {
        if let Some(c) = lab
            .director
            .clients()
            .await
            .into_iter()
            .find(|c| c.mac == MAC.0)
            && check(&c)
        {
            return c;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "timed out waiting for {what}: {:?}",
        lab.director.clients().await
    );
}

async fn granted(lab: &Lab, hostname: &str, now: chrono::DateTime<chrono::Utc>) {
    let request = request(hostname);
    let grant = Grant {
        mac: MAC,
        ip: Ipv4Addr::LOCALHOST,
        request: &request,
    };
    lab.director.granted(&[grant], now).await;
}

fn md5_hex(path: &Path) -> String {
    hex::encode_upper(Md5::digest(std::fs::read(path).unwrap()))
}

async fn get(lab: &Lab, name: &str) -> Result<Vec<u8>, tftp_client::TftpError> {
    tftp_client::get(lab.tftp, name, tftp_client::Options::default()).await
}

#[tokio::test]
async fn zero_touch_backup_and_on_demand_update_over_real_sockets() {
    let (port, _events) = switch().await;
    let lab = lab(port).await;
    let now = crate::clock::now_utc();
    let verdict = lab
        .director
        .decide(&request("edge-1"), &MAC, &OperatorState::default(), now)
        .await;
    let options = verdict
        .decision
        .smart_install
        .expect("admitted client gets options");
    let list = options.image_list.clone().unwrap();
    assert_eq!(
        list,
        crate::roles::director::database::image_list_name("c2960x-universalk9-mz.152-7.E8.tar\n")
    );
    assert_eq!(options.config_file.as_deref(), Some("seed.cfg"));
    assert_eq!(options.tftp_server, Some(Ipv4Addr::LOCALHOST));
    granted(&lab, "edge-1", now).await;

    // The client reads its plan, and nothing else.
    assert_eq!(
        get(&lab, &list).await.unwrap(),
        b"c2960x-universalk9-mz.152-7.E8.tar\n"
    );
    assert!(get(&lab, "other.cfg").await.is_err());
    assert!(get(&lab, "../db").await.is_err());
    assert_eq!(
        get(&lab, "c2960x-universalk9-mz.152-7.E8.tar")
            .await
            .unwrap()
            .len(),
        3000
    );
    assert_eq!(
        get(&lab, "seed.cfg").await.unwrap(),
        b"hostname edge-1\nend\n"
    );
    let c = until(&lab, "zero-touch done", |c| {
        c.download.as_ref().is_some_and(|d| d.succeeded())
    })
    .await;
    assert_eq!(c.download.unwrap().method, DownloadMethod::ZeroTouch);
    assert_eq!(c.hostname.as_deref(), Some("edge-1"));

    // Probes: the emulated switch answers.
    lab.director.probe_all().await;
    let c = until(&lab, "probe", |c| c.device_type == DeviceType::SmartInstall).await;
    assert_eq!(c.status_letters(), "S A a I C");

    // Two backups: REV2 then REV1 + REV2, with the checksum of the stored file.
    for revision in 1..=2 {
        let outcomes = lab.director.backup(&Selector::All, "operator").await;
        assert!(outcomes.iter().all(|o| o.sent), "{outcomes:?}");
        let c = until(&lab, "backup", |c| {
            c.backup.as_ref().is_some_and(|b| b.revision == revision)
        })
        .await;
        let b = c.backup.unwrap();
        assert_eq!(b.file, "edge-1-001d.71ba.f780.REV2");
        assert_eq!(b.checksum, md5_hex(&lab.backups.join(&b.file)));
    }
    assert!(lab.backups.join("edge-1-001d.71ba.f780.REV1").is_file());
    let rev2 = std::fs::read_to_string(lab.backups.join("edge-1-001d.71ba.f780.REV2")).unwrap();
    assert!(
        rev2.contains("hostname edge-1"),
        "the switch's running config: {rev2}"
    );
    // An unrequested upload is refused.
    let put = tftp_client::put(lab.tftp, "x.cfg", b"x", tftp_client::Options::default()).await;
    assert!(put.is_err());

    // On-demand image update: the switch fetches list and image; the status follows.
    let outcomes = lab
        .director
        .update(
            &Selector::Indices(vec![1]),
            ops::UpdateKind::Image,
            wire::Reload::Now,
            "op",
        )
        .await;
    assert!(outcomes[0].sent, "{outcomes:?}");
    let c = until(&lab, "image upgrade", |c| {
        c.download.as_ref().is_some_and(|d| {
            d.method == DownloadMethod::ImageUpgrade
                && matches!(d.image, ArtifactStatus::Upgraded { .. })
        })
    })
    .await;
    assert_eq!(c.download.unwrap().config, ArtifactStatus::NotRequested);

    // The store holds exactly what the director holds.
    let stored = lab.store.lock().await.director_clients().unwrap();
    assert_eq!(stored, lab.director.clients().await);
}

#[tokio::test]
async fn unreachable_clients_fail_their_update_and_held_clients_get_no_options() {
    let lab = lab(1).await;
    let now = crate::clock::now_utc();
    granted(&lab, "sw", now).await;
    let outcomes = lab
        .director
        .update(
            &Selector::All,
            ops::UpdateKind::ImageAndConfig,
            wire::Reload::Now,
            "op",
        )
        .await;
    assert!(!outcomes[0].sent);
    let d = lab.director.clients().await[0].download.clone().unwrap();
    assert!(matches!(d.config, ArtifactStatus::Failed { .. }), "{d:?}");
    // Join state from the last decision is kept: granted without one is denied.
    assert_eq!(
        lab.director.clients().await[0].status_letters(),
        "P A d X x"
    );
    let held = OperatorState {
        manual: None,
        client_override: Some(crate::policy::join::ClientOverride::Held),
    };
    let verdict = lab.director.decide(&request("sw"), &MAC, &held, now).await;
    assert!(verdict.decision.smart_install.is_none());
    let outcomes = lab.director.backup(&Selector::All, "operator").await;
    assert_eq!(outcomes.len(), 1);
    assert!(
        !outcomes[0].sent,
        "a denied client may be backed up, but nobody listens"
    );
    let none = lab
        .director
        .update(
            &Selector::Indices(vec![42]),
            ops::UpdateKind::Image,
            wire::Reload::Now,
            "op",
        )
        .await;
    assert!(none.is_empty());
}

#[tokio::test]
async fn a_hardened_seed_is_rendered_and_served_per_client() {
    let harden = Hardening {
        acl: true,
        no_vstack: true,
    };
    let lab = lab_with(1, harden).await;
    let now = crate::clock::now_utc();
    let verdict = lab
        .director
        .decide(&request("sw"), &MAC, &OperatorState::default(), now)
        .await;
    let name = "config-001d71baf780.cfg";
    let options = verdict.decision.smart_install.unwrap();
    assert_eq!(options.config_file.as_deref(), Some(name));
    granted(&lab, "sw", now).await;
    let text = String::from_utf8(get(&lab, name).await.unwrap()).unwrap();
    assert!(text.starts_with("hostname edge-1\n"), "{text}");
    assert!(
        text.contains("permit tcp host 127.0.0.1 host 127.0.0.1 eq 4786"),
        "{text}"
    );
    assert!(text.ends_with("no vstack\nend\n"), "{text}");
    assert!(
        get(&lab, "seed.cfg").await.is_err(),
        "the unhardened seed is not served"
    );
}
