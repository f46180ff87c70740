//! `ztpgate serve` and the Smart Install director: its settings as the views show them (`show
//! vstack config`, the director's row of `show vstack status`), and, with
//! `[smart_install_director] enable = true`, the running director (`crate::edge::director`)
//! with its CDP listeners.
//!
//! Inputs: the validated gateway configuration and policy.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::{Mutex, watch};
use tokio::task::JoinSet;

use crate::audit::AuditLog;
use crate::config::GatewayConfig;
use crate::edge::admin::vstack::DirectorView;
use crate::edge::cdp_listener::{CdpListener, Observation};
use crate::edge::director::{Director, Input, Settings};
use crate::proto::dhcp::options::pnp_option43;
use crate::roles::dhcp_server::SmartInstallOptions;
use crate::roles::director::DirectorInfo;
use crate::store::SqliteStore;

use super::ServeError;

/// The running director and what stops its CDP capture threads.
pub(super) struct Running {
    /// The director.
    pub(super) director: Arc<Director>,
    /// Set at shutdown: the capture threads end within their read timeout.
    pub(super) cdp_stop: Arc<AtomicBool>,
}

impl Running {
    /// Stops the CDP capture threads.
    pub(super) fn stop(&self) {
        self.cdp_stop.store(true, Ordering::Relaxed);
    }
}

/// The director view of `config`: enabled when the director runs or the policy assigns
/// anything, with the address and TFTP server the DHCP service announces and the default files
/// as TFTP URLs.
pub(super) fn view(config: &GatewayConfig) -> DirectorView {
    let d = &config.policy.director;
    let enabled = config.director.enable
        || !d.default.is_empty()
        || !d.groups.is_empty()
        || !d.builtin.is_empty();
    let dhcp = config.dhcp.as_ref();
    let ip = tftp_address(config)
        .or_else(|| dhcp.and_then(|c| c.smart_install.director))
        .map(IpAddr::V4);
    let tftp = tftp_address(config).map(|a| a.to_string());
    let url = |file: &Option<String>| {
        file.as_ref().map(|f| match &tftp {
            Some(server) => format!("tftp://{server}/{f}"),
            None => f.clone(),
        })
    };
    let backup = (!config.tftp.listen.is_empty() && config.director.backup)
        .then(|| config.tftp.backup_dir.display().to_string());
    DirectorView {
        info: DirectorInfo {
            enabled,
            ip,
            hostname: "ztpgate".to_owned(),
            mac: None,
            config_url: url(&d.default.config),
            image_url: url(&d.default.image),
            script_url: url(&d.default.script),
            window: String::new(),
            join_mode: String::new(),
            backup,
        },
        join: config.policy.join_window.clone(),
        proxy_enabled: config.policy.smi_proxy.is_some(),
    }
}

/// Where clients reach ztpgate's TFTP server: `tftp_address`, else the DHCP options' server.
fn tftp_address(config: &GatewayConfig) -> Option<Ipv4Addr> {
    config.director.tftp_address.or_else(|| {
        config
            .dhcp
            .as_ref()
            .and_then(|c| c.smart_install.tftp_server)
    })
}

/// Starts the director when enabled: loads its database, opens the CDP captures and spawns its
/// loop.
pub(super) async fn start(
    config: &GatewayConfig,
    store: &Arc<Mutex<SqliteStore>>,
    audit: &Arc<Mutex<AuditLog>>,
    tasks: &mut JoinSet<()>,
    stop: &watch::Receiver<bool>,
) -> Result<Option<Running>, ServeError> {
    let d = &config.director;
    if !d.enable {
        return Ok(None);
    }
    let refuse = |why: &str| ServeError::Director(why.to_owned());
    let port = config
        .tftp
        .listen
        .first()
        .map(SocketAddr::port)
        .ok_or_else(|| refuse("smart_install_director needs the TFTP server ([tftp] listen)"))?;
    let address = tftp_address(config).ok_or_else(|| {
        refuse(
            "smart_install_director needs the address clients reach the TFTP server at \
             (tftp_address, or [dhcp.smart_install] tftp_server)",
        )
    })?;
    let dhcp = config.dhcp.as_ref();
    let mut smart_install = dhcp.map(|c| c.smart_install.clone()).unwrap_or_default();
    smart_install.tftp_server = Some(smart_install.tftp_server.unwrap_or(address));
    smart_install.director = Some(smart_install.director.unwrap_or(address));
    let settings = Settings {
        config: d.clone(),
        policy: config.policy.director.clone(),
        join: config.policy.join_window.clone(),
        smart_install: SmartInstallOptions {
            image_list: None,
            config_file: None,
            ..smart_install
        },
        pnp_option43: dhcp
            .and_then(|c| c.pnp_server)
            .map(|addr| pnp_option43(*addr.ip(), addr.port())),
        tftp: SocketAddr::new(IpAddr::V4(address), port),
        root: config.tftp.root.clone(),
        backup_dir: config.tftp.backup_dir.clone(),
        lists_dir: config.data_dir.join("director").join("imagelists"),
        static_reads: super::tftp::assignments(&config.tftp),
    };
    let (director, rx) = Director::start(settings, Arc::clone(store), Arc::clone(audit)).await?;
    let cdp_stop = Arc::new(AtomicBool::new(false));
    for interface in &d.cdp_interfaces {
        // Fails the start when the interface cannot be captured at all.
        let listener =
            CdpListener::open(interface).map_err(|e| ServeError::Director(e.to_string()))?;
        let (interface, inputs, stop) =
            (interface.clone(), director.inputs(), Arc::clone(&cdp_stop));
        std::thread::spawn(move || capture(listener, &interface, &inputs, &stop));
    }
    println!(
        "ztpgate: Smart Install director on; {} clients restored, TFTP at {address}:{port}",
        director.clients().await.len()
    );
    tasks.spawn(Arc::clone(&director).run(rx, stop.clone()));
    Ok(Some(Running { director, cdp_stop }))
}

/// Captures CDP on `interface` until `stop`, reopening the capture after a failure (a port
/// going down when a switch is unplugged ends a capture).
fn capture(
    first: CdpListener,
    interface: &str,
    inputs: &tokio::sync::mpsc::UnboundedSender<Input>,
    stop: &AtomicBool,
) {
    println!("ztpgate: director listening for CDP on {interface}");
    let mut listener = Some(first);
    while !stop.load(Ordering::Relaxed) {
        let Some(current) = listener.take() else {
            std::thread::sleep(REOPEN_DELAY);
            listener = CdpListener::open(interface).ok();
            continue;
        };
        let result = current.run(stop, |observation| match observation {
            Observation::Neighbor(record) => {
                let _ = inputs.send(Input::Cdp(record));
            }
            Observation::Malformed {
                interface, error, ..
            } => tracing::debug!(%interface, %error, "director: malformed CDP frame"),
        });
        if let Err(err) = result {
            tracing::warn!(%err, "director: CDP capture ended; reopening");
        }
    }
}

/// Pause before a failed CDP capture is reopened.
const REOPEN_DELAY: std::time::Duration = std::time::Duration::from_secs(1);
