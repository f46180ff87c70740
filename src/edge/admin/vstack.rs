//! Admin API route for the Smart Install director's views: `GET /vstack/clients` answers the
//! director's settings and every client of the director database, which `ztpgate show vstack`
//! renders as `status [detail]`, `download-status [detail]` and `config`.
//!
//! Read-only; the caller is an authenticated operator. The join window's state is computed at
//! request time from the policy and the operator's runtime override in the store. The director's
//! actions (`POST /vstack/…`) are in [`actions`], their request parsing in [`request`].

pub mod actions;
pub mod request;

use std::sync::Arc;

use hyper::{Method, StatusCode};
use tokio::sync::Mutex;

use crate::edge::admin::pnp::Answer;
use crate::policy::join::{JoinMode, JoinWindowPolicy};
use crate::roles::director::DirectorInfo;
use crate::store::director::DirectorStore;
use crate::store::{SqliteStore, Store};

/// What the director views need besides the database.
#[derive(Clone, Debug)]
pub struct DirectorView {
    /// The director's static settings (the window fields are filled per request).
    pub info: DirectorInfo,
    /// The join-window policy.
    pub join: JoinWindowPolicy,
    /// Whether the SMI Proxy mode is on (`Smi PnP Proxy: ENABLED` in `show vstack proxy-db`).
    pub proxy_enabled: bool,
}

/// Answers `/vstack/clients`, or `None` for other paths.
pub async fn route(
    method: &Method,
    path: &str,
    view: &DirectorView,
    store: &Arc<Mutex<SqliteStore>>,
) -> Option<Answer> {
    if path != "/vstack/clients" {
        return None;
    }
    if method != Method::GET {
        return Some((
            StatusCode::METHOD_NOT_ALLOWED,
            serde_json::json!({ "error": "method not allowed" }),
        ));
    }
    let store = store.lock().await;
    let loaded = store
        .manual_window()
        .and_then(|manual| Ok((manual, store.director_clients()?)));
    drop(store);
    Some(match loaded {
        Ok((manual, clients)) => {
            let mut info = view.info.clone();
            let status = view.join.window_open(crate::clock::now_utc(), manual);
            info.window = if status.is_open() { "Open" } else { "Closed" }.to_owned();
            info.join_mode = match view.join.mode {
                JoinMode::Auto => "auto",
                JoinMode::Manual => "manual",
            }
            .to_owned();
            (
                StatusCode::OK,
                serde_json::json!({ "director": info, "clients": clients }),
            )
        }
        Err(err) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            serde_json::json!({ "error": err.to_string() }),
        ),
    })
}
