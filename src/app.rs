//! `ztpgate serve`: wiring of data directory, lab PKI, store, audit log and listeners, task
//! supervision and graceful shutdown.
//!
//! Inputs: the validated [`GatewayConfig`]. Serves the admin API, the HTTPS file server, the PnP
//! server (and its plain-HTTP bootstrap), the inspecting Smart Install relay, and keeps the
//! firewall table in place (`firewall`), each when configured.

pub mod dhcp;
mod director;
mod firewall;
mod inspect;
mod smi_proxy;
mod tftp;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;

use tokio::sync::Mutex;

use crate::audit::{AuditEntry, AuditError, AuditLog};
use crate::config::{GatewayConfig, RelayUpstream};
use crate::edge::admin::{AdminApi, AdminStatus};
use crate::edge::files::FileServer;
use crate::edge::files::catalog::Catalog;
use crate::edge::files::key::{self, KeyError};
use crate::edge::listener::{self, Handler, Limits};
use crate::edge::live_capture::InspectMetrics;
use crate::edge::pnp::PnpServer;
use crate::edge::pnp::bootstrap::Bootstrap;
use crate::edge::pnp::directory::{Directory, DirectoryError};
use crate::edge::pnp::provisioner::FileGrants;
use crate::edge::sudi_verifier::SudiClientVerifier;
use crate::edge::tls::{self, TlsError};
use crate::edge::vstack_relay::VstackRelay;
use crate::inspect::detector::Detector;
use crate::inspect::knowledge::Knowledge;
use crate::pki::{self, PkiError};
use crate::roles::pnp_server::workflow::Settings;
use crate::store::{SqliteStore, Store, StoreError};

/// Why the gateway could not start or stopped abnormally.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// A directory could not be created, or certificates generated or loaded.
    #[error(transparent)]
    Pki(#[from] PkiError),
    /// The TLS configuration was rejected.
    #[error(transparent)]
    Tls(#[from] TlsError),
    /// The store could not be opened.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The audit log could not be opened or written.
    #[error(transparent)]
    Audit(#[from] AuditError),
    /// The PnP device directory could not be loaded.
    #[error(transparent)]
    Devices(#[from] DirectoryError),
    /// The DHCP service could not start.
    #[error(transparent)]
    Dhcp(#[from] crate::edge::dhcp::DhcpError),
    /// The Smart Install director could not start.
    #[error(transparent)]
    DirectorStart(#[from] crate::edge::director::DirectorError),
    /// The Smart Install director is misconfigured or its CDP capture failed.
    #[error("smart install director: {0}")]
    Director(String),
    /// The SMI proxy is misconfigured, or its listener, certificates or CDP capture failed.
    #[error("SMI proxy: {0}")]
    SmiProxy(String),
    /// The detection rules could not be loaded.
    #[error("detection rules: {0}")]
    Rules(crate::config::ConfigErrors),
    /// A live inspection capture could not start.
    #[error("live inspection: {0}")]
    Inspect(String),
    /// The shutdown signals could not be watched.
    #[error("cannot watch shutdown signals: {0}")]
    Signal(std::io::Error),
    /// The file-grant key could not be loaded or created.
    #[error(transparent)]
    FileKey(#[from] KeyError),
    /// The firewall table could not be applied.
    #[error("cannot apply the firewall (table inet ztpgate): {0}")]
    Firewall(#[source] crate::edge::netlink::ApplyError),
    /// A listener could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The underlying error.
        source: std::io::Error,
    },
}

/// Runs the gateway until Ctrl-C or SIGTERM, then shuts down cleanly.
pub async fn run(config: GatewayConfig) -> Result<(), ServeError> {
    // Registered first, so a Ctrl-C at any moment from here on takes the clean shutdown path.
    let shutdown = ShutdownSignals::register()?;
    pki::files::create_private_dir(&config.data_dir)?;
    if config.pki.generate_lab {
        let lab = pki::lab::ensure(&config.pki.dir)?;
        if lab.generated {
            println!("ztpgate: generated lab PKI in {}", lab.dir.display());
        }
    }
    let store = SqliteStore::open(&config.store.path)?;
    tracing::info!(
        path = %config.store.path.display(),
        schema = store.schema_version()?,
        "store opened"
    );
    let audit = Arc::new(Mutex::new(AuditLog::open(
        &config.audit.path,
        config.audit.fsync,
    )?));
    let store = Arc::new(Mutex::new(store));
    let devices = Directory::load(Arc::clone(&store)).await?;
    let (writer_stop, writer_rx) = watch::channel(false);
    let writer = tokio::spawn(Arc::clone(&devices).run_writer(writer_rx));
    for knob in config.policy.device_auth.dangers() {
        tracing::warn!(knob, "dangerous policy option enabled");
        println!("ztpgate: WARNING: policy enables {knob}");
    }

    let chain = pki::load_certs_pem(&config.pki.server_cert)?;
    let key = pki::load_key_pem(&config.pki.server_key)?;
    let admin_roots = pki::load_certs_pem(&config.pki.admin_ca)?;
    let admin_tls = tls::mutual_tls_server(chain.clone(), key.clone_key(), &admin_roots)?;

    let (stop_tx, stop_rx) = watch::channel(false);
    let mut tasks = JoinSet::new();
    let running = director::start(&config, &store, &audit, &mut tasks, &stop_rx).await?;
    let started = crate::clock::now_utc();
    let metrics = Arc::new(InspectMetrics::new(&config.inspect.interfaces));
    let admin = Arc::new(AdminApi {
        status: AdminStatus {
            status: "ok",
            version: env!("CARGO_PKG_VERSION"),
            policy: config.policy.name.clone(),
            started: started.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        },
        store: Arc::clone(&store),
        pnp: Arc::clone(&devices),
        audit: Arc::clone(&audit),
        director: director::view(&config),
        runtime: running.as_ref().map(|r| Arc::clone(&r.director)),
        metrics: Arc::clone(&metrics),
    });
    let limits = Limits {
        max_connections: config.admin.max_connections,
        request_timeout: config.admin.request_timeout,
    };
    let mut admin_bound = Vec::new();
    for addr in &config.admin.listen {
        let listener = bind(*addr).await?;
        let local = local_addr(&listener, *addr)?;
        admin_bound.push(local.to_string());
        println!(
            "ztpgate: admin API listening on https://{local} (admin client certificate required)"
        );
        spawn(&mut tasks, listener, &admin_tls, &admin, limits, &stop_rx);
    }

    pki::files::create_private_dir(&config.files.root)?;
    if config.pki.generate_lab {
        seed_lab_template(&config.files.root);
    }
    let file_key = key::load_or_create(&config.files.key)?;
    let catalog = Arc::new(Catalog::default());
    // Device certificates are requested but not required at the TLS layer: the policy decides, so a
    // device without one (or with a bad one) gets an audited refusal rather than a bare alert.
    let (reject_tx, reject_rx) = tokio::sync::mpsc::channel(REJECTION_QUEUE);
    let verifier = match SudiClientVerifier::from_policy(&config.policy.device_auth, false) {
        Ok(v) => Some(Arc::new(v.with_rejection_reports(reject_tx))),
        Err(err) => {
            // No verifier, no reports: the channel must close, or the report task (and so the
            // shutdown) would wait for it forever.
            drop(reject_tx);
            tracing::warn!(%err, "no device trust anchors: device certificates will be refused");
            println!("ztpgate: WARNING: device trust anchors not loaded ({err})");
            None
        }
    };
    let device_tls = match &verifier {
        Some(v) => tls::device_server(chain, key, Arc::clone(v))?,
        None => tls::no_client_auth_server(chain, key)?,
    };
    let mut files_bound = Vec::new();
    if !config.files.listen.is_empty() {
        let files = Arc::new(
            FileServer::new(
                &config.files.root,
                file_key,
                Arc::clone(&catalog),
                Arc::clone(&audit),
            )
            .with_smi_proxies(config.policy.device_auth.smi_proxies.clone()),
        );
        for addr in &config.files.listen {
            let listener = bind(*addr).await?;
            let local = local_addr(&listener, *addr)?;
            files_bound.push(local.to_string());
            println!(
                "ztpgate: file server listening on https://{local} (per-device grants; files in {})",
                config.files.root.display()
            );
            let limits = Limits {
                max_connections: config.files.max_connections,
                request_timeout: config.files.request_timeout,
            };
            spawn(&mut tasks, listener, &device_tls, &files, limits, &stop_rx);
        }
    }
    let pnp_limits = Limits {
        max_connections: config.pnp_server.max_connections,
        request_timeout: config.pnp_server.request_timeout,
    };
    let mut pnp_bound = Vec::new();
    let mut pnp_addrs = Vec::new();
    if !config.pnp_server.listen.is_empty() {
        let base_url = config
            .files
            .public_url
            .clone()
            .or_else(|| files_bound.first().map(|a| format!("https://{a}")))
            .unwrap_or_default();
        let pnp = Arc::new(PnpServer {
            policy: Arc::new(config.policy.clone()),
            directory: Arc::clone(&devices),
            store: Arc::clone(&store),
            audit: Arc::clone(&audit),
            files: FileGrants {
                root: config.files.root.clone(),
                key: file_key,
                base_url,
                ttl_secs: i64::try_from(config.files.grant_ttl.as_secs()).unwrap_or(3600),
                catalog: Arc::clone(&catalog),
            },
            verifier: verifier.clone(),
            settings: Settings::default(),
        });
        for addr in &config.pnp_server.listen {
            let listener = bind(*addr).await?;
            let local = local_addr(&listener, *addr)?;
            pnp_bound.push(local.to_string());
            println!("ztpgate: PnP server listening on https://{local}/pnp/");
            spawn(
                &mut tasks,
                listener,
                &device_tls,
                &pnp,
                pnp_limits,
                &stop_rx,
            );
            pnp_addrs.push(local);
        }
    }
    if let (false, Some(target)) = (
        config.pnp_server.bootstrap_listen.is_empty(),
        pnp_addrs.first(),
    ) {
        let host = config
            .pnp_server
            .public_host
            .clone()
            .unwrap_or_else(|| target.ip().to_string());
        let bootstrap = Arc::new(Bootstrap::new(&host, target.port(), Arc::clone(&audit)));
        for addr in &config.pnp_server.bootstrap_listen {
            let listener = bind(*addr).await?;
            let local = local_addr(&listener, *addr)?;
            println!(
                "ztpgate: PnP bootstrap listening on http://{local}/pnp/ (redirects to https://{host}:{})",
                target.port()
            );
            tasks.spawn(listener::serve(
                listener,
                None,
                Arc::clone(&bootstrap),
                pnp_limits,
                stop_rx.clone(),
            ));
        }
    }
    let relay_bound = start_relay(&config, &audit, &mut tasks, &stop_rx).await?;
    let inspecting = inspect::start(&config, &metrics, &audit, &mut tasks, &stop_rx)?;
    let firewall = firewall::start(&config, &audit, &mut tasks, &stop_rx).await?;
    let proxy = smi_proxy::start(&config, &store, &audit, &mut tasks, &stop_rx).await?;
    let tftp_authorizer = match (&running, &proxy) {
        (Some(r), _) => {
            Some(Arc::clone(&r.director) as Arc<dyn crate::edge::tftp_server::Authorizer>)
        }
        (None, Some(p)) => {
            Some(Arc::clone(&p.proxy) as Arc<dyn crate::edge::tftp_server::Authorizer>)
        }
        (None, None) => None,
    };
    let tftp_bound =
        tftp::start(&config.tftp, tftp_authorizer, &audit, &mut tasks, &stop_rx).await?;
    let running_director = running.as_ref().map(|r| Arc::clone(&r.director));
    let dhcp = dhcp::start(
        &config,
        running_director,
        proxy.as_ref().map(|p| Arc::clone(&p.proxy)),
        &store,
        &audit,
        &mut tasks,
        &stop_rx,
    )
    .await?;
    audit.lock().await.append(
        AuditEntry::operator(
            "ztpgate",
            "serve-start",
            serde_json::json!({
                "policy": config.policy.name,
                "admin_listen": admin_bound,
                "files_listen": files_bound,
                "pnp_listen": pnp_bound,
                "smart_install_relay_listen": relay_bound,
                "firewall": firewall,
                "tftp_listen": tftp_bound,
                "dhcp": dhcp,
                "inspect_interfaces": inspecting,
                "dangers": config.policy.device_auth.dangers(),
            }),
        ),
        crate::clock::now_utc(),
    )?;
    tasks.spawn(audit_rejections(reject_rx, Arc::clone(&audit)));
    // Only the listeners keep the verifier (and so the report channel) alive from here on: once
    // they stop, the rejection task ends too.
    drop((device_tls, verifier));
    println!(
        "ztpgate: serving (policy {:?}); press Ctrl-C to stop",
        config.policy.name
    );

    shutdown.wait().await;
    println!("ztpgate: shutting down");
    let _ = stop_tx.send(true);
    if let Some(running) = &running {
        running.stop();
    }
    if let Some(proxy) = &proxy {
        proxy.stop();
    }
    while tasks.join_next().await.is_some() {}
    // The listeners are done: store the last queued device changes.
    let _ = writer_stop.send(true);
    if writer.await.is_err() {
        tracing::error!("the PnP state writer failed at shutdown");
    }
    let mut audit = audit.lock().await;
    audit.append(
        AuditEntry::operator("ztpgate", "serve-stop", serde_json::json!({})),
        crate::clock::now_utc(),
    )?;
    audit.flush()?;
    println!("ztpgate: stopped");
    Ok(())
}

/// Starts the inspecting Smart Install relay on its listeners (none by default); returns the
/// bound addresses.
async fn start_relay(
    config: &GatewayConfig,
    audit: &Arc<Mutex<AuditLog>>,
    tasks: &mut JoinSet<()>,
    stop: &watch::Receiver<bool>,
) -> Result<Vec<String>, ServeError> {
    let cfg = &config.smart_install_relay;
    let mut bound = Vec::new();
    if cfg.listen.is_empty() {
        return Ok(bound);
    }
    // `max_message_bytes` was range-checked when the configuration was loaded.
    let limits = crate::proto::vstack::Limits::new(cfg.max_message_bytes).unwrap_or_default();
    let mut relay = VstackRelay::new(
        config.policy.smart_install.compile(),
        limits,
        cfg.idle_timeout,
        cfg.upstream,
        Arc::clone(audit),
    );
    if config.inspect.relay {
        let rules = config.inspect.rule_set().map_err(ServeError::Rules)?;
        let knowledge = Knowledge::from_policy(&config.policy.smart_install);
        relay = relay.with_detector(Detector::new(rules, knowledge));
    }
    let relay = Arc::new(relay);
    let upstream = match cfg.upstream {
        RelayUpstream::OriginalDestination => "original destination".to_owned(),
        RelayUpstream::Fixed(addr) => addr.to_string(),
    };
    for addr in &cfg.listen {
        let listener = bind(*addr).await?;
        let local = local_addr(&listener, *addr)?;
        bound.push(local.to_string());
        println!("ztpgate: Smart Install relay listening on tcp://{local} (upstream: {upstream})");
        tasks.spawn(Arc::clone(&relay).serve(listener, cfg.max_connections, stop.clone()));
    }
    Ok(bound)
}

async fn bind(addr: SocketAddr) -> Result<TcpListener, ServeError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| ServeError::Bind { addr, source })
}

fn local_addr(listener: &TcpListener, addr: SocketAddr) -> Result<SocketAddr, ServeError> {
    listener
        .local_addr()
        .map_err(|source| ServeError::Bind { addr, source })
}

fn spawn<H: Handler>(
    tasks: &mut JoinSet<()>,
    listener: TcpListener,
    tls: &Arc<rustls::ServerConfig>,
    handler: &Arc<H>,
    limits: Limits,
    stop: &watch::Receiver<bool>,
) {
    tasks.spawn(listener::serve(
        listener,
        Some(Arc::clone(tls)),
        Arc::clone(handler),
        limits,
        stop.clone(),
    ));
}

/// Refused device certificates waiting to be audited.
const REJECTION_QUEUE: usize = 1_024;

/// Writes an audit record for every device certificate refused during a TLS handshake.
async fn audit_rejections(
    mut rx: tokio::sync::mpsc::Receiver<crate::edge::sudi_verifier::Rejection>,
    audit: Arc<Mutex<AuditLog>>,
) {
    while let Some(r) = rx.recv().await {
        let entry = AuditEntry {
            kind: crate::audit::EntryKind::Decision,
            area: "device_auth".into(),
            verdict: "deny".into(),
            rule: "tls-certificate".into(),
            mode: "enforce".into(),
            actor: r.serial.clone().unwrap_or_default(),
            detail: serde_json::json!({
                "subject": r.subject,
                "reason": r.reason,
                "detail": r.detail,
            }),
        };
        if let Err(err) = audit.lock().await.append(entry, crate::clock::now_utc()) {
            tracing::error!(%err, "cannot write the audit log");
        }
    }
}

/// The lab's day-0 template (`configs/default.cfg` under the file root), written once so the lab
/// policy's plan works out of the box; an existing file is never touched.
fn seed_lab_template(root: &Path) {
    let path = root.join("configs/default.cfg");
    if path.exists() {
        return;
    }
    let text = "! day-0 configuration rendered by ztpgate for {{pid}} {{serial}}\n\
                hostname lab-{{serial}}\n\
                no vstack\n";
    let written =
        std::fs::create_dir_all(root.join("configs")).and_then(|()| std::fs::write(&path, text));
    if let Err(err) = written {
        tracing::warn!(path = %path.display(), %err, "lab template not written");
    }
}

/// SIGINT (Ctrl-C) and SIGTERM, registered before any work starts.
struct ShutdownSignals {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
}

impl ShutdownSignals {
    fn register() -> Result<Self, ServeError> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Self {
            interrupt: signal(SignalKind::interrupt()).map_err(ServeError::Signal)?,
            terminate: signal(SignalKind::terminate()).map_err(ServeError::Signal)?,
        })
    }

    async fn wait(mut self) {
        tokio::select! {
            _ = self.interrupt.recv() => {}
            _ = self.terminate.recv() => {}
        }
    }
}
