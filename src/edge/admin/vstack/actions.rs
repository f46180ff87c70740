//! Admin API routes for the Smart Install director's actions (Cisco's `vstack` EXEC commands):
//! open, close or reschedule the join window, approve held clients, fix a client's join-window
//! state, and start on-demand backups and image/configuration updates.
//!
//! - `POST /vstack/join-window/{open|close|schedule}` → `{"ok": true}`
//! - `POST /vstack/on-hold-clients/remove` → `{"outcomes": [...]}`
//! - `POST /vstack/clients/{selector}/join-window/{allowed|held|clear}` → outcomes
//! - `POST /vstack/clients/{selector}/backup` → outcomes
//! - `POST /vstack/clients/{selector}/update/{image|config|image-and-config}[?reload=now|HH:MM]`
//!   → outcomes
//!
//! The caller is an authenticated operator whose certificate name is recorded with every
//! action; the path is still parsed strictly by [`request`] (400 on bad input). Without the
//! running director every action answers 409; a selector that matches no client answers 404.

use hyper::{Method, StatusCode};

use super::request::{self, Action, describe};
use crate::edge::admin::pnp::Answer;
use crate::edge::director::Director;
use crate::edge::director::ops::Outcome;
use crate::roles::director::Selector;
use crate::store::StoreError;

/// The 409 answer's message when `[smart_install_director]` is not enabled.
pub const NOT_RUNNING: &str =
    "the Smart Install director is not running ([smart_install_director] enable = true)";

/// Answers a director action, or `None` when the path is not an action route.
pub async fn route(
    method: &Method,
    path: &str,
    query: Option<&str>,
    operator: &str,
    director: Option<&Director>,
) -> Option<Answer> {
    let parsed = request::parse(path, query)?;
    if method != Method::POST {
        return Some(error(StatusCode::METHOD_NOT_ALLOWED, "method not allowed"));
    }
    let action = match parsed {
        Ok(action) => action,
        Err(err) => return Some(error(StatusCode::BAD_REQUEST, &err.to_string())),
    };
    let Some(director) = director else {
        return Some(error(StatusCode::CONFLICT, NOT_RUNNING));
    };
    Some(perform(director, action, operator).await)
}

/// Carries out `action` for `operator` on the running director.
pub async fn perform(director: &Director, action: Action, operator: &str) -> Answer {
    match action {
        Action::Window(manual) => match director.set_window(manual, operator).await {
            Ok(()) => (StatusCode::OK, serde_json::json!({ "ok": true })),
            Err(err) => store_error(&err),
        },
        Action::ApproveHeld => match director.approve_held(operator).await {
            Ok(outcomes) => answer(outcomes),
            Err(err) => store_error(&err),
        },
        Action::SetJoin { selector, state } => {
            match director.set_join(&selector, state, operator).await {
                Ok(outcomes) => matched(&selector, outcomes),
                Err(err) => store_error(&err),
            }
        }
        Action::Backup { selector } => {
            let trigger = format!("operator {operator}");
            let outcomes = director.backup(&selector, &trigger).await;
            matched(&selector, outcomes)
        }
        Action::Update {
            selector,
            kind,
            reload,
        } => {
            let outcomes = director.update(&selector, kind, reload, operator).await;
            matched(&selector, outcomes)
        }
    }
}

/// The outcomes, or 404 when the selector matched no client.
fn matched(selector: &Selector, outcomes: Vec<Outcome>) -> Answer {
    if outcomes.is_empty() {
        let message = format!("no client matches {}", describe(selector));
        return error(StatusCode::NOT_FOUND, &message);
    }
    answer(outcomes)
}

fn answer(outcomes: Vec<Outcome>) -> Answer {
    (StatusCode::OK, serde_json::json!({ "outcomes": outcomes }))
}

fn store_error(err: &StoreError) -> Answer {
    error(StatusCode::INTERNAL_SERVER_ERROR, &err.to_string())
}

fn error(code: StatusCode, message: &str) -> Answer {
    (code, serde_json::json!({ "error": message }))
}

#[cfg(test)]
mod tests;
