//! Admin API routes for PnP devices: list, detail with history, and the operator actions
//! (`approve`, `retry`, `reset`) — the only way to move a device by hand, each one audited with
//! the operator's certificate name.
//!
//! Paths come from authenticated operators but are still parsed strictly. Devices are read and
//! changed through the PnP [`Directory`] (never behind its back in the store); an operator's
//! change is committed before the answer.

use std::sync::Arc;

use hyper::{Method, StatusCode};
use tokio::sync::Mutex;

use crate::audit::{AuditEntry, AuditLog};
use crate::edge::pnp::directory::{DeviceEntry, Directory, Durability};
use crate::roles::pnp_server::operator::{self, Action};
use crate::store::SqliteStore;
use crate::store::pnp::{PnpHistoryEntry, PnpStore};

/// History entries shown by the device detail.
pub const DETAIL_HISTORY: usize = 50;

/// The answer to an admin PnP request: status and JSON body.
pub type Answer = (StatusCode, serde_json::Value);

/// Answers `/pnp/devices…`, or `None` when the path is not one of these routes.
pub async fn route(
    method: &Method,
    path: &str,
    operator_name: &str,
    devices: &Directory,
    store: &Arc<Mutex<SqliteStore>>,
    audit: &Arc<Mutex<AuditLog>>,
) -> Option<Answer> {
    let rest = path.strip_prefix("/pnp/devices")?;
    let parts: Vec<&str> = rest.split('/').filter(|p| !p.is_empty()).collect();
    Some(match (method, parts.as_slice()) {
        (&Method::GET, []) => {
            let devices = devices.records().await;
            (StatusCode::OK, serde_json::json!({ "devices": devices }))
        }
        (&Method::GET, [serial]) => detail(devices, store, serial).await,
        (&Method::POST, [serial, action]) => match Action::parse(action) {
            Some(action) => act(devices, audit, serial, action, operator_name).await,
            None => error(
                StatusCode::NOT_FOUND,
                "unknown action (approve, retry, reset)",
            ),
        },
        (_, [] | [_] | [_, _]) => error(StatusCode::METHOD_NOT_ALLOWED, "method not allowed"),
        _ => error(StatusCode::NOT_FOUND, "not found"),
    })
}

/// The device and its newest history (queued history is stored first, so none is missing).
async fn detail(devices: &Directory, store: &Arc<Mutex<SqliteStore>>, serial: &str) -> Answer {
    let Some(slot) = devices.device(serial).await else {
        return error(StatusCode::NOT_FOUND, "no such device");
    };
    let device = slot.lock().await.record();
    if let Err(e) = devices.flush().await {
        return error(StatusCode::SERVICE_UNAVAILABLE, &e.to_string());
    }
    match store.lock().await.pnp_history(serial, DETAIL_HISTORY) {
        Ok(history) => (
            StatusCode::OK,
            serde_json::json!({ "device": device, "history": history }),
        ),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    }
}

async fn act(
    devices: &Directory,
    audit: &Arc<Mutex<AuditLog>>,
    serial: &str,
    action: Action,
    operator_name: &str,
) -> Answer {
    let now = crate::clock::now_utc();
    let Some(slot) = devices.device(serial).await else {
        return error(StatusCode::NOT_FOUND, "no such device");
    };
    let mut dev = slot.lock().await;
    let mut rec = dev.record();
    let note = match operator::apply(action, &mut rec) {
        Ok(note) => note,
        Err(e) => return error(StatusCode::CONFLICT, &e.to_string()),
    };
    let history = PnpHistoryEntry {
        at: now,
        state: rec.state.clone(),
        note: format!("{note} ({operator_name})"),
    };
    let changed = DeviceEntry::from_record(rec.clone());
    if let Err(e) = devices
        .save(&changed, Some(history), Durability::Committed)
        .await
    {
        return error(StatusCode::SERVICE_UNAVAILABLE, &e.to_string());
    }
    *dev = changed;
    drop(dev);
    let entry = AuditEntry::operator(
        operator_name,
        format!(
            "pnp-{}",
            serde_json::to_value(action)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default()
        ),
        serde_json::json!({ "device": serial, "state": rec.state }),
    );
    if let Err(e) = audit.lock().await.append(entry, now) {
        return error(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string());
    }
    (StatusCode::OK, serde_json::json!({ "device": rec }))
}

fn error(code: StatusCode, message: &str) -> Answer {
    (code, serde_json::json!({ "error": message }))
}
