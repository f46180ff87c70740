//! The gateway side of `bench smi-proxy`: a private directory with the lab PKI, the proxy's
//! certificate (`PID:ZTPGATE-SMI-PROXY SN:PROXY1`, listed in `device_auth.smi_proxies`), a
//! 0-byte image and a config template, a proxy-mode policy and gateway configuration on free
//! loopback ports, and `crate::app::run` started on them in this process.
//!
//! Inputs: only the client count. Everything written here is generated; ports are picked by
//! binding port 0 and releasing it (a port taken in between makes the gateway fail to start,
//! which is reported).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::task::JoinHandle;

use crate::bench::PrivateDir;
use crate::pki::KeyKind;
use crate::pki::lab::{DEFAULT_DEVICE_DAYS, DeviceRequest};
use crate::roles::smi_proxy::tailored::{self, Credentials, PasswordForm, ProxyEndpoint};

use super::SmiProxyBenchError;

/// The proxy certificate's PID.
pub const PROXY_PID: &str = "ZTPGATE-SMI-PROXY";
/// The proxy certificate's serial (in `device_auth.smi_proxies`).
pub const PROXY_SN: &str = "PROXY1";
/// Reverse-telnet credentials of the generated policy.
const USERNAME: &str = "smibench";
const PASSWORD: &str = "bench-pw";
/// How long the gateway may take to listen.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// The running gateway of one benchmark run.
pub struct Lab {
    dir: PrivateDir,
    gateway: JoinHandle<Result<(), crate::app::ServeError>>,
    /// The tailored configuration the proxy serves (what the switches run).
    pub tailored: String,
    /// The Smart Install port every client listens on (each on its own address).
    pub client_port: u16,
    /// The TFTP server's port on 127.0.0.1.
    pub tftp_port: u16,
    /// The gateway's store (PnP device records).
    pub store: PathBuf,
    /// The gateway's audit log.
    pub audit: PathBuf,
}

impl Lab {
    /// Writes everything and starts the gateway; returns once its PnP server and reverse-telnet
    /// listener accept connections.
    pub async fn start(tftp_max_transfers: Option<usize>) -> Result<Self, SmiProxyBenchError> {
        let dir = PrivateDir::create("smi-proxy").map_err(io("create the working directory"))?;
        let data = dir.path().join("state");
        let pki = data.join("pki");
        crate::pki::lab::ensure(&pki)?;
        let proxy_cert = crate::pki::lab::issue(
            &pki,
            &DeviceRequest {
                pid: PROXY_PID,
                sn: PROXY_SN,
                key: KeyKind::P256,
                days: DEFAULT_DEVICE_DAYS,
                out_name: Some("smi-proxy"),
                force: true,
            },
        )?;
        let files = data.join("files");
        write(&files.join("images/bench-zero.bin"), "")?;
        write(
            &files.join("configs/default.cfg"),
            "hostname onboarded\n!\nend\n",
        )?;
        let ports = Ports::pick()?;
        let policy = dir.path().join("policy.toml");
        write(&policy, &policy_text(ports.telnet))?;
        let config = dir.path().join("gateway.toml");
        let gateway_text = gateway_text(
            &data,
            &policy,
            &proxy_cert.chain,
            &proxy_cert.key,
            &ports,
            tftp_max_transfers,
        );
        write(&config, &gateway_text)?;
        let config =
            crate::config::load(&config).map_err(|e| SmiProxyBenchError::Config(e.to_string()))?;
        let store = config.store.path.clone();
        let audit = config.audit.path.clone();
        let tailored = tailored_config(ports.telnet)?;
        let gateway = tokio::spawn(crate::app::run(config));
        let mut lab = Self {
            dir,
            gateway,
            tailored,
            client_port: ports.client,
            tftp_port: ports.tftp,
            store,
            audit,
        };
        lab.wait_listening(ports.pnp, ports.tftp).await?;
        Ok(lab)
    }

    /// The working directory.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Up to `limit` distinct refusals and failures of the audit log (`verdict rule: detail`),
    /// to say why an incomplete run stalled.
    pub fn problems(&self, limit: usize) -> Vec<String> {
        let text = std::fs::read_to_string(&self.audit).unwrap_or_default();
        let mut out: Vec<String> = Vec::new();
        for line in text.lines() {
            let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
                continue;
            };
            let verdict = v["verdict"].as_str().unwrap_or_default();
            if !matches!(verdict, "fail" | "deny" | "refuse") {
                continue;
            }
            let mut detail = v["detail"].clone();
            if let Some(d) = detail.as_object_mut() {
                for key in ["mac", "udi", "peer"] {
                    d.remove(key);
                }
            }
            let item = format!(
                "{} {} {verdict} {}: {detail}",
                v["area"], v["rule"], v["kind"]
            );
            if !out.contains(&item) {
                out.push(item);
                if out.len() == limit {
                    break;
                }
            }
        }
        out
    }

    /// Stops the gateway.
    pub fn stop(&self) {
        self.gateway.abort();
    }

    /// Waits until the PnP server accepts connections and the TFTP socket is bound (the last
    /// listener `app::run` opens after the proxy's), watching `/proc/net/udp` so that no request
    /// shows in the audit log.
    async fn wait_listening(&mut self, pnp: u16, tftp: u16) -> Result<(), SmiProxyBenchError> {
        let deadline = crate::clock::now_monotonic() + START_TIMEOUT;
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, pnp));
        while tokio::net::TcpStream::connect(addr).await.is_err() || !udp_bound(tftp) {
            if self.gateway.is_finished() {
                let why = match (&mut self.gateway).await {
                    Ok(Err(e)) => e.to_string(),
                    Ok(Ok(())) => "stopped".to_owned(),
                    Err(e) => e.to_string(),
                };
                return Err(SmiProxyBenchError::Gateway(why));
            }
            if crate::clock::now_monotonic() > deadline {
                return Err(SmiProxyBenchError::Gateway(format!(
                    "not listening on {addr} and udp port {tftp} after {START_TIMEOUT:?}"
                )));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Ok(())
    }
}

/// Whether a UDP socket is bound to 127.0.0.1:`port` (`/proc/net/udp`).
fn udp_bound(port: u16) -> bool {
    let needle = format!("0100007F:{port:04X}");
    std::fs::read_to_string("/proc/net/udp")
        .unwrap_or_default()
        .lines()
        .any(|l| l.split_whitespace().nth(1) == Some(needle.as_str()))
}

impl Drop for Lab {
    fn drop(&mut self) {
        self.gateway.abort();
    }
}

/// Free loopback ports for the gateway's listeners and the clients.
struct Ports {
    pnp: u16,
    telnet: u16,
    tftp: u16,
    client: u16,
}

impl Ports {
    fn pick() -> Result<Self, SmiProxyBenchError> {
        let tcp = || -> Result<u16, SmiProxyBenchError> {
            let l = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
                .map_err(io("pick a TCP port"))?;
            Ok(l.local_addr().map_err(io("pick a TCP port"))?.port())
        };
        let udp = std::net::UdpSocket::bind((Ipv4Addr::LOCALHOST, 0))
            .and_then(|s| s.local_addr())
            .map_err(io("pick a UDP port"))?
            .port();
        Ok(Self {
            pnp: tcp()?,
            telnet: tcp()?,
            tftp: udp,
            client: tcp()?,
        })
    }
}

fn io(what: &'static str) -> impl Fn(std::io::Error) -> SmiProxyBenchError {
    move |source| SmiProxyBenchError::Io {
        what: what.to_owned(),
        source,
    }
}

fn write(path: &Path, text: &str) -> Result<(), SmiProxyBenchError> {
    let fail = |source| SmiProxyBenchError::Io {
        what: format!("write {}", path.display()),
        source,
    };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(fail)?;
    }
    std::fs::write(path, text).map_err(fail)
}

/// The configuration the proxy hands its clients (the same text the gateway renders).
fn tailored_config(telnet: u16) -> Result<String, SmiProxyBenchError> {
    let bad = |e: tailored::TailoredError| SmiProxyBenchError::Config(e.to_string());
    let credentials =
        Credentials::new(USERNAME, PASSWORD, PASSWORD, PasswordForm::Password).map_err(bad)?;
    let endpoint = ProxyEndpoint::new(Ipv4Addr::LOCALHOST, telnet).map_err(bad)?;
    Ok(tailored::client_config(endpoint, &credentials))
}

/// The proxy-mode policy: clients on 127.0.0.0/8, the proxy on `lo` (127.0.0.1), one profile for
/// every device (0-byte image without `version`, config, finish terminate).
fn policy_text(telnet: u16) -> String {
    format!(
        r#"name = "bench-smi-proxy"
[smart_install]
role = "proxy"
client_networks = ["127.0.0.0/8"]
[smart_install.proxy]
interface = "lo"
telnet_port = {telnet}
username = "{USERNAME}"
password = "{PASSWORD}"
[[trust_anchors]]
name = "lab-devices"
paths = ["{{data_dir}}/pki/device-root.crt", "{{data_dir}}/pki/device-ca.crt"]
[device_auth]
mode = "enforce"
trust_anchors = ["lab-devices"]
require_certificate = true
udi_must_match_certificate = true
smi_proxies = ["{PROXY_SN}"]
[image_delivery]
mode = "enforce"
schemes = ["https"]
allowed_hosts = ["127.0.0.1", "localhost"]
require_checksum = true
[[image_delivery.legacy_tftp]]
name = "bench-legacy-tftp"
networks = ["127.0.0.0/8"]
server = "127.0.0.1"
mode = "enforce"
[pnp]
unclaimed_backoff = "1m"
refused_backoff = "5m"
[[pnp.profiles]]
name = "bench"
unknown = true
[[pnp.profiles.steps]]
type = "image"
file = "images/bench-zero.bin"
[[pnp.profiles.steps]]
type = "config"
template_dir = "configs"
persist = true
[[pnp.profiles.steps]]
type = "finish"
action = "terminate"
"#
    )
}

/// The gateway configuration: every listener on 127.0.0.1, the proxy's certificate, the
/// clients' Smart Install port.
fn gateway_text(
    data: &Path,
    policy: &Path,
    cert: &Path,
    key: &Path,
    ports: &Ports,
    tftp_max_transfers: Option<usize>,
) -> String {
    let tftp_limit = tftp_max_transfers
        .map(|n| format!("max_transfers = {n}\n"))
        .unwrap_or_default();
    let local = IpAddr::V4(Ipv4Addr::LOCALHOST);
    format!(
        r#"[gateway]
data_dir = "{data}"
policy = "{policy}"
[admin]
listen = ["127.0.0.1:0"]
[files]
listen = ["127.0.0.1:0"]
[pnp_server]
listen = ["{local}:{pnp}"]
[tftp]
listen = ["{local}:{tftp}"]
{tftp_limit}[smart_install_proxy]
certificate = "{cert}"
key = "{key}"
client_port = {client}
retry_interval = "2s"
transfer_timeout = "2m"
"#,
        data = data.display(),
        policy = policy.display(),
        cert = cert.display(),
        key = key.display(),
        pnp = ports.pnp,
        tftp = ports.tftp,
        client = ports.client,
    )
}
