//! `ztpgate serve` in SMI proxy mode (policy `smart_install.role = "proxy"`): resolves the
//! proxy's address, renders the tailored configuration, builds the HTTPS client toward the
//! upstream PnP server (the proxy's certificate, the server's CA), and starts the proxy
//! (`crate::edge::smi_proxy`), its reverse-telnet listener and its CDP captures.
//!
//! Inputs: the validated gateway configuration and policy; certificate files named there.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::net::TcpListener;
use tokio::sync::{Mutex, mpsc, watch};
use tokio::task::JoinSet;

use crate::audit::AuditLog;
use crate::config::GatewayConfig;
use crate::edge::cdp_listener::{CdpListener, Observation};
use crate::edge::client::{HttpClient, ServerUrl};
use crate::edge::reverse_telnet::ReverseTelnet;
use crate::edge::smi_proxy::{Settings, SmiProxy};
use crate::policy::smi_proxy::{ProxyAddress, ProxySettings};
use crate::proto::dhcp::options::pnp_option43;
use crate::roles::smi_proxy::respond::Neighbor;
use crate::roles::smi_proxy::tailored::{self, Credentials, PasswordForm, ProxyEndpoint};
use crate::store::SqliteStore;

use super::ServeError;

/// The running proxy and what stops its CDP capture threads.
pub(super) struct Running {
    /// The proxy.
    pub(super) proxy: Arc<SmiProxy>,
    cdp_stop: Arc<AtomicBool>,
}

impl Running {
    /// Stops the CDP capture threads.
    pub(super) fn stop(&self) {
        self.cdp_stop.store(true, Ordering::Relaxed);
    }
}

fn refuse(why: impl Into<String>) -> ServeError {
    ServeError::SmiProxy(why.into())
}

/// Starts the proxy when the policy asks for proxy mode.
pub(super) async fn start(
    config: &GatewayConfig,
    store: &Arc<Mutex<SqliteStore>>,
    audit: &Arc<Mutex<AuditLog>>,
    tasks: &mut JoinSet<()>,
    stop: &watch::Receiver<bool>,
) -> Result<Option<Running>, ServeError> {
    let Some(policy) = &config.policy.smi_proxy else {
        return Ok(None);
    };
    let gateway = &config.smi_proxy;
    let address = proxy_address(policy)?;
    let port = config
        .tftp
        .listen
        .first()
        .map(SocketAddr::port)
        .ok_or_else(|| refuse("the SMI proxy needs the TFTP server ([tftp] listen)"))?;
    let dhcp = config.dhcp.as_ref();
    let tftp_ip = gateway
        .tftp_address
        .or_else(|| dhcp.and_then(|c| c.smart_install.tftp_server))
        .unwrap_or(address);
    let credentials = Credentials::new(
        &policy.username,
        &policy.password,
        &policy.enable_password,
        PasswordForm::Password,
    )
    .map_err(|e| refuse(format!("smart_install.proxy credentials: {e}")))?;
    let endpoint = ProxyEndpoint::new(address, policy.telnet_port)
        .map_err(|e| refuse(format!("smart_install.proxy address: {e}")))?;
    let mut smart_install = dhcp.map(|c| c.smart_install.clone()).unwrap_or_default();
    smart_install.tftp_server = Some(tftp_ip);
    smart_install.director = Some(address);
    let (upstream, client) = upstream(config, policy)?;
    let settings = Settings {
        policy: policy.clone(),
        gateway: gateway.clone(),
        tailored: tailored::client_config(endpoint, &credentials),
        client_networks: config.policy.smart_install.client_networks.clone(),
        tftp: SocketAddr::new(IpAddr::V4(tftp_ip), port),
        files_dir: config.data_dir.join("smi_proxy"),
        upstream: upstream.clone(),
        client,
        delivery: config.policy.image_delivery.clone(),
        smart_install,
        pnp_option43: dhcp
            .and_then(|c| c.pnp_server)
            .map(|addr| pnp_option43(*addr.ip(), addr.port())),
        static_reads: super::tftp::assignments(&config.tftp),
        transfer_slots: config.tftp.max_transfers,
    };
    let proxy = SmiProxy::start(settings, Arc::clone(store), Arc::clone(audit), stop.clone())
        .await
        .map_err(|e| refuse(e.to_string()))?;
    let telnet_addr = SocketAddr::new(IpAddr::V4(address), policy.telnet_port);
    let listener = TcpListener::bind(telnet_addr).await.map_err(|e| {
        refuse(format!(
            "cannot listen for reverse telnet on {telnet_addr}: {e}"
        ))
    })?;
    let (learned_tx, learned_rx) = mpsc::unbounded_channel();
    let telnet = Arc::new(ReverseTelnet::new(
        credentials,
        config.policy.smart_install.client_networks.clone(),
        Arc::clone(audit),
        learned_tx,
    ));
    tasks.spawn(telnet.serve(listener, stop.clone()));
    let cdp_stop = Arc::new(AtomicBool::new(false));
    for interface in &gateway.cdp_interfaces {
        let listener = CdpListener::open(interface).map_err(|e| refuse(e.to_string()))?;
        let (interface, proxy, stop) =
            (interface.clone(), Arc::clone(&proxy), Arc::clone(&cdp_stop));
        std::thread::spawn(move || capture(listener, &interface, &proxy, &stop));
    }
    println!(
        "ztpgate: SMI PnP proxy on {address} (reverse telnet {telnet_addr}, TFTP {tftp_ip}:{port}); \
         {} clients restored; PnP server {upstream}",
        proxy.entries().await.len()
    );
    tasks.spawn(Arc::clone(&proxy).run(learned_rx, stop.clone()));
    Ok(Some(Running { proxy, cdp_stop }))
}

/// The proxy's IPv4 address: configured, or the first IPv4 address of its interface.
fn proxy_address(policy: &ProxySettings) -> Result<Ipv4Addr, ServeError> {
    match &policy.address {
        ProxyAddress::Ip(ip) => Ok(*ip),
        ProxyAddress::Interface(name) => {
            let devices =
                pcap::Device::list().map_err(|e| refuse(format!("cannot list interfaces: {e}")))?;
            devices
                .iter()
                .filter(|d| d.name == *name)
                .flat_map(|d| d.addresses.iter())
                .find_map(|a| match a.addr {
                    IpAddr::V4(v4) => Some(v4),
                    IpAddr::V6(_) => None,
                })
                .ok_or_else(|| {
                    refuse(format!(
                        "smart_install.proxy interface {name} has no IPv4 address"
                    ))
                })
        }
    }
}

/// The upstream server (the policy's `pnp_server`, else ztpgate's own first PnP listener) and
/// the HTTPS client presenting the proxy's certificate.
fn upstream(
    config: &GatewayConfig,
    policy: &ProxySettings,
) -> Result<(ServerUrl, HttpClient), ServeError> {
    let url = match &policy.pnp_server {
        Some(url) => url.clone(),
        None => {
            let listen = config.pnp_server.listen.first().ok_or_else(|| {
                refuse("smart_install.proxy.pnp_server is not set and [pnp_server] listens nowhere")
            })?;
            format!("https://{listen}")
        }
    };
    let (server, _) = ServerUrl::parse(&url)
        .map_err(|e| refuse(format!("smart_install.proxy.pnp_server: {e}")))?;
    let gateway = &config.smi_proxy;
    let pki = &config.pki.dir;
    let path = |p: &Option<PathBuf>, default: &str| p.clone().unwrap_or_else(|| pki.join(default));
    let certificate = path(&gateway.certificate, "devices/smi-proxy.chain.pem");
    let key = path(&gateway.key, "devices/smi-proxy.key");
    if gateway.certificate.is_none() && config.pki.generate_lab && !certificate.exists() {
        lab_certificate(pki)?;
    }
    let ca = gateway
        .server_ca
        .clone()
        .unwrap_or_else(|| config.pki.admin_ca.clone());
    let chain = crate::pki::load_certs_pem(&certificate)?;
    let key = crate::pki::load_key_pem(&key)?;
    let roots = crate::pki::load_certs_pem(&ca)?;
    let client = HttpClient::new(&roots, Some((chain, key)))
        .map_err(|e| refuse(format!("SMI proxy HTTPS client: {e}")))?;
    Ok((server, client))
}

/// Issues the lab proxy certificate (`PID:ZTPGATE-SMI-PROXY SN:SMIPROXY1`, from the lab device
/// CA) as `devices/smi-proxy.*`: list `SMIPROXY1` in `device_auth.smi_proxies` to let ztpgate's
/// own PnP server accept it.
fn lab_certificate(pki: &std::path::Path) -> Result<(), ServeError> {
    let files = crate::pki::lab::issue(
        pki,
        &crate::pki::lab::DeviceRequest {
            pid: "ZTPGATE-SMI-PROXY",
            sn: "SMIPROXY1",
            key: crate::pki::KeyKind::P256,
            days: crate::pki::lab::DEFAULT_DEVICE_DAYS,
            out_name: Some("smi-proxy"),
            force: false,
        },
    )?;
    println!(
        "ztpgate: generated the lab SMI proxy certificate {} ({})",
        files.cert.display(),
        files.identity
    );
    Ok(())
}

/// Captures CDP on `interface` until `stop`: every neighbor heard there is recorded as the
/// client's neighbor (this gateway, on that interface).
fn capture(listener: CdpListener, interface: &str, proxy: &SmiProxy, stop: &AtomicBool) {
    println!("ztpgate: SMI proxy listening for CDP on {interface}");
    let result = listener.run(stop, |observation| {
        if let Observation::Neighbor(record) = observation
            && let Ok(mac) = crate::policy::join::Mac::parse(&record.source_mac)
        {
            let neighbor = Neighbor {
                local_interface: record.neighbor.port_id.clone().unwrap_or_default(),
                remote_interface: interface.to_owned(),
                device_name: "ztpgate".to_owned(),
                platform: "ztpgate SMI PnP proxy".to_owned(),
                version: env!("CARGO_PKG_VERSION").to_owned(),
            };
            proxy.on_cdp(mac.0, neighbor);
        }
    });
    if let Err(err) = result {
        tracing::warn!(%err, "SMI proxy: CDP capture ended");
    }
}
