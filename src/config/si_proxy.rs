//! The `[smart_install_proxy]` section of the gateway configuration: how `ztpgate serve` runs the
//! SMI PnP proxy when the policy sets `smart_install.role = "proxy"` — the proxy's own client
//! certificate toward the upstream PnP server and the CA that server's certificate must chain
//! to, the Smart Install side (client port, probes, CDP interfaces, the address clients reach
//! the TFTP server at) and the bounds of the conversations (retry interval, transfer timeout,
//! largest file fetched). Who the clients are, the credentials of the tailored configuration and
//! the upstream server's URL are policy (`[smart_install.proxy]`).
//!
//! Operator input, trusted but validated like `[smart_install_director]`. Reference:
//! `policies/README.md`.

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::config::doc::{Ctx, Table};
use crate::config::gateway::{path_key, positive_duration};
use crate::config::resolve;
use crate::config::si_director::{interface_name, port, tftp_address};

/// `[smart_install_proxy]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProxyGatewayConfig {
    /// The proxy's client certificate chain (PEM), presented to the upstream PnP server.
    /// Default: `<pki dir>/devices/smi-proxy.chain.pem` (issued from the lab device CA when
    /// `[pki] generate_lab` is on and it is missing).
    pub certificate: Option<PathBuf>,
    /// Its private key (PEM). Default: `<pki dir>/devices/smi-proxy.key`.
    pub key: Option<PathBuf>,
    /// CA certificates (PEM) the upstream server's certificate must chain to. Default: the
    /// gateway's own `[pki] admin_ca` (which issued its server certificate).
    pub server_ca: Option<PathBuf>,
    /// The address clients reach ztpgate's TFTP server at; `None`: `[dhcp.smart_install]
    /// tftp_server`.
    pub tftp_address: Option<Ipv4Addr>,
    /// TCP port clients listen on for Smart Install (4786).
    pub client_port: u16,
    /// Time between two probes of every client.
    pub probe_interval: Duration,
    /// How long one probe waits.
    pub probe_timeout: Duration,
    /// Interfaces CDP frames are captured on (clients' neighbors for the topology service).
    pub cdp_interfaces: Vec<String>,
    /// Wait before the next work request after an empty answer or a failed exchange.
    pub retry_interval: Duration,
    /// How long a client has to fetch a file the proxy pushed (config, image list, image).
    pub transfer_timeout: Duration,
    /// Largest configuration or image the proxy fetches from the upstream server.
    pub max_file_bytes: u64,
}

impl Default for ProxyGatewayConfig {
    fn default() -> Self {
        Self {
            certificate: None,
            key: None,
            server_ca: None,
            tftp_address: None,
            client_port: 4786,
            probe_interval: Duration::from_secs(30),
            probe_timeout: Duration::from_secs(3),
            cdp_interfaces: Vec::new(),
            retry_interval: Duration::from_secs(30),
            transfer_timeout: Duration::from_secs(600),
            max_file_bytes: 2 * 1024 * 1024 * 1024,
        }
    }
}

/// Parses `[smart_install_proxy]`; paths resolve against `data_dir`.
pub(super) fn parse(
    cx: &mut Ctx<'_>,
    t: &mut Table<'_, '_>,
    data_dir: &Path,
) -> ProxyGatewayConfig {
    let d = ProxyGatewayConfig::default();
    let path = |cx: &mut Ctx<'_>, t: &mut Table<'_, '_>, key: &str| {
        path_key(cx, t, key).map(|p| resolve(data_dir, &p))
    };
    let certificate = path(cx, t, "certificate");
    let key = path(cx, t, "key");
    let server_ca = path(cx, t, "server_ca");
    let duration = |cx: &mut Ctx<'_>, t: &mut Table<'_, '_>, key: &str, default: Duration| {
        t.parse(cx, key, positive_duration).unwrap_or(default)
    };
    let client_port = port(cx, t, "client_port").unwrap_or(d.client_port);
    let max_file_bytes = t
        .take("max_file_bytes")
        .and_then(|n| {
            let v = n.integer(cx)?;
            let bytes = u64::try_from(v).ok().filter(|b| *b > 0);
            if bytes.is_none() {
                n.invalid(cx, "must be a positive number of bytes");
            }
            bytes
        })
        .unwrap_or(d.max_file_bytes);
    ProxyGatewayConfig {
        certificate,
        key,
        server_ca,
        tftp_address: t.parse(cx, "tftp_address", tftp_address),
        client_port,
        probe_interval: duration(cx, t, "probe_interval", d.probe_interval),
        probe_timeout: duration(cx, t, "probe_timeout", d.probe_timeout),
        cdp_interfaces: t
            .strings(cx, "cdp_interfaces", interface_name)
            .unwrap_or_default(),
        retry_interval: duration(cx, t, "retry_interval", d.retry_interval),
        transfer_timeout: duration(cx, t, "transfer_timeout", d.transfer_timeout),
        max_file_bytes,
    }
}
