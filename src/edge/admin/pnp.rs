//! Admin API routes for PnP devices: list, detail with history, and the operator actions
//! (`approve`, `retry`, `reset`) — the only way to move a device by hand, each one audited with
//! the operator's certificate name.
//!
//! Paths come from authenticated operators but are still parsed strictly.

use std::sync::Arc;

use hyper::{Method, StatusCode};
use tokio::sync::Mutex;

use crate::audit::{AuditEntry, AuditLog};
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
    store: &Arc<Mutex<SqliteStore>>,
    audit: &Arc<Mutex<AuditLog>>,
) -> Option<Answer> {
    let rest = path.strip_prefix("/pnp/devices")?;
    let parts: Vec<&str> = rest.split('/').filter(|p| !p.is_empty()).collect();
    Some(match (method, parts.as_slice()) {
        (&Method::GET, []) => list(store).await,
        (&Method::GET, [serial]) => detail(store, serial).await,
        (&Method::POST, [serial, action]) => match Action::parse(action) {
            Some(action) => act(store, audit, serial, action, operator_name).await,
            None => error(
                StatusCode::NOT_FOUND,
                "unknown action (approve, retry, reset)",
            ),
        },
        (_, [] | [_] | [_, _]) => error(StatusCode::METHOD_NOT_ALLOWED, "method not allowed"),
        _ => error(StatusCode::NOT_FOUND, "not found"),
    })
}

async fn list(store: &Arc<Mutex<SqliteStore>>) -> Answer {
    match store.lock().await.pnp_devices() {
        Ok(devices) => (StatusCode::OK, serde_json::json!({ "devices": devices })),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    }
}

async fn detail(store: &Arc<Mutex<SqliteStore>>, serial: &str) -> Answer {
    let store = store.lock().await;
    let found = store.pnp_device(serial).and_then(|d| {
        let history: Vec<PnpHistoryEntry> = match &d {
            Some(_) => store.pnp_history(serial, DETAIL_HISTORY)?,
            None => Vec::new(),
        };
        Ok((d, history))
    });
    match found {
        Ok((Some(device), history)) => (
            StatusCode::OK,
            serde_json::json!({ "device": device, "history": history }),
        ),
        Ok((None, _)) => error(StatusCode::NOT_FOUND, "no such device"),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    }
}

async fn act(
    store: &Arc<Mutex<SqliteStore>>,
    audit: &Arc<Mutex<AuditLog>>,
    serial: &str,
    action: Action,
    operator_name: &str,
) -> Answer {
    let now = crate::clock::now_utc();
    let mut store = store.lock().await;
    let mut rec = match store.pnp_device(serial) {
        Ok(Some(rec)) => rec,
        Ok(None) => return error(StatusCode::NOT_FOUND, "no such device"),
        Err(e) => return error(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    };
    let note = match operator::apply(action, &mut rec) {
        Ok(note) => note,
        Err(e) => return error(StatusCode::CONFLICT, &e.to_string()),
    };
    let history = PnpHistoryEntry {
        at: now,
        state: rec.state.clone(),
        note: format!("{note} ({operator_name})"),
    };
    if let Err(e) = store.save_pnp_device(&rec, Some(&history)) {
        return error(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string());
    }
    drop(store);
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
