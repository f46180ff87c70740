//! Admin API route for the SMI Proxy database: `GET /vstack/proxy-db` answers
//! `{"enabled": bool, "clients": [...]}` from the store, which `ztpgate show vstack proxy-db
//! [detail]` renders in the reference layouts (`crate::roles::smi_proxy::proxy_db`).
//!
//! Read-only; the caller is an authenticated operator. As the reference documents ("Clearing this
//! database is disallowed"), every other method, `DELETE` included, is answered 405.

use std::sync::Arc;

use hyper::{Method, StatusCode};
use tokio::sync::Mutex;

use crate::edge::admin::pnp::Answer;
use crate::edge::admin::vstack::DirectorView;
use crate::store::SqliteStore;
use crate::store::proxy::ProxyStore;

/// The route's path.
pub const PATH: &str = "/vstack/proxy-db";

/// Answers `/vstack/proxy-db`, or `None` for other paths.
pub async fn route(
    method: &Method,
    path: &str,
    view: &DirectorView,
    store: &Arc<Mutex<SqliteStore>>,
) -> Option<Answer> {
    if path != PATH {
        return None;
    }
    if method != Method::GET {
        return Some((
            StatusCode::METHOD_NOT_ALLOWED,
            serde_json::json!({ "error": "method not allowed: the SMI proxy database cannot be changed or cleared" }),
        ));
    }
    let loaded = store.lock().await.proxy_clients();
    Some(match loaded {
        Ok(clients) => (
            StatusCode::OK,
            serde_json::json!({ "enabled": view.proxy_enabled, "clients": clients }),
        ),
        Err(err) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            serde_json::json!({ "error": err.to_string() }),
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::join::JoinWindowPolicy;
    use crate::roles::director::DirectorInfo;
    use crate::roles::smi_proxy::proxy_db::ProxyEntry;

    fn view(proxy_enabled: bool) -> DirectorView {
        DirectorView {
            info: DirectorInfo {
                enabled: false,
                ip: None,
                hostname: "ztpgate".into(),
                mac: None,
                config_url: None,
                image_url: None,
                script_url: None,
                window: String::new(),
                join_mode: String::new(),
                backup: None,
            },
            join: JoinWindowPolicy::default(),
            proxy_enabled,
        }
    }

    fn store_with_one() -> Arc<Mutex<SqliteStore>> {
        let mut store = SqliteStore::open_in_memory().unwrap();
        let entry = ProxyEntry::new([0, 0x1e, 0xf7, 0x6d, 0xaf, 0x80], crate::clock::now_utc());
        store.save_proxy_clients(&[entry]).unwrap();
        Arc::new(Mutex::new(store))
    }

    #[tokio::test]
    async fn get_answers_the_mode_and_every_client() {
        let store = store_with_one();
        let (code, body) = route(&Method::GET, PATH, &view(true), &store)
            .await
            .unwrap();
        assert_eq!(code, StatusCode::OK);
        assert_eq!(body["enabled"], true);
        assert_eq!(body["clients"][0]["state"], "no_state");
    }

    #[tokio::test]
    async fn no_method_changes_or_clears_the_database() {
        let store = store_with_one();
        for method in [Method::DELETE, Method::POST, Method::PUT, Method::PATCH] {
            let (code, _) = route(&method, PATH, &view(true), &store).await.unwrap();
            assert_eq!(code, StatusCode::METHOD_NOT_ALLOWED, "{method}");
        }
        assert_eq!(store.lock().await.proxy_clients().unwrap().len(), 1);
        assert!(
            route(&Method::GET, "/vstack/proxy", &view(true), &store)
                .await
                .is_none()
        );
    }
}
