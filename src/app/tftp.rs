//! `ztpgate serve` starts the director's TFTP server when `[tftp] listen` is set: it creates the
//! root and backup directories, takes the running director as its [`Authorizer`] (or, without
//! one, the operator's `[[tftp.assign]]` list) and serves each listener until shutdown.
//!
//! Inputs: the validated [`TftpConfig`]; assignment names were checked when it was loaded.

use std::sync::Arc;

use tokio::net::UdpSocket;
use tokio::sync::{Mutex, watch};
use tokio::task::JoinSet;

use crate::audit::AuditLog;
use crate::config::TftpConfig;
use crate::edge::tftp_server::{AssignmentTable, Authorizer, Settings, TftpServer};
use crate::pki::files::create_private_dir;
use crate::proto::tftp::options::ServerLimits;

use super::ServeError;

/// Starts the TFTP listeners (none by default); returns the bound addresses.
pub(super) async fn start(
    config: &TftpConfig,
    director: Option<Arc<dyn Authorizer>>,
    audit: &Arc<Mutex<AuditLog>>,
    tasks: &mut JoinSet<()>,
    stop: &watch::Receiver<bool>,
) -> Result<Vec<String>, ServeError> {
    let mut bound = Vec::new();
    if config.listen.is_empty() {
        return Ok(bound);
    }
    create_private_dir(&config.root)?;
    create_private_dir(&config.backup_dir)?;
    let server = Arc::new(TftpServer::new(
        settings(config),
        director.unwrap_or_else(|| Arc::new(assignments(config))),
        Arc::clone(audit),
    ));
    for addr in &config.listen {
        let bind_error = |source| ServeError::Bind {
            addr: *addr,
            source,
        };
        let socket = UdpSocket::bind(addr).await.map_err(bind_error)?;
        let local = socket.local_addr().map_err(bind_error)?;
        bound.push(local.to_string());
        println!(
            "ztpgate: TFTP server listening on udp://{local} (files in {}, backups to {})",
            config.root.display(),
            config.backup_dir.display()
        );
        tasks.spawn(Arc::clone(&server).serve(socket, stop.clone()));
    }
    Ok(bound)
}

fn settings(config: &TftpConfig) -> Settings {
    Settings {
        limits: ServerLimits {
            max_write_bytes: config.max_write_bytes,
            default_timeout: config.timeout,
            ..ServerLimits::default()
        },
        max_retries: config.retries,
        max_transfers: config.max_transfers,
        backup_dir: Some(config.backup_dir.clone()),
    }
}

/// The `[[tftp.assign]]` list (the server's authorizer without the director, and the static
/// reads the director honours besides its plans).
pub(super) fn assignments(config: &TftpConfig) -> AssignmentTable {
    let mut table = AssignmentTable::new(&config.root);
    for entry in &config.assign {
        for file in &entry.files {
            // Names were checked at load; a refusal here would only drop that one name.
            if let Err(problem) = table.assign(entry.client, file) {
                tracing::warn!(%problem, file, "tftp: assignment ignored");
            }
        }
    }
    table
}
