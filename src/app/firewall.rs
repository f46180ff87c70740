//! `ztpgate serve` keeps the nftables table `inet ztpgate` in place when `[firewall] manage` is
//! on: it applies the plan at start (a failure stops the start: the gateway never serves with
//! 4786 unprotected) and checks every `check_interval` that the table is still there, re-applying
//! it after a ruleset flush (`nft flush ruleset`, a firewalld reload). The table is left in place
//! at exit (fail closed); `ztpgate firewall remove` removes it.
//!
//! The plan is pure (`crate::policy::firewall`); the netlink calls block, so they run on the
//! blocking pool. Every apply is an audit record (`firewall-apply`, with its reason).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Mutex, watch};
use tokio::task::JoinSet;

use crate::audit::{AuditEntry, AuditLog};
use crate::config::GatewayConfig;
use crate::edge::netlink::{self, ApplyError};
use crate::policy::firewall::{self, Current, RelayTarget, Ruleset};

use super::ServeError;

/// Applies the table if the configuration asks for it and starts the watch; returns a one-line
/// description for the start record (`None`: not managed).
pub(super) async fn start(
    config: &GatewayConfig,
    audit: &Arc<Mutex<AuditLog>>,
    tasks: &mut JoinSet<()>,
    stop: &watch::Receiver<bool>,
) -> Result<Option<String>, ServeError> {
    if !config.firewall.manage {
        return Ok(None);
    }
    let ruleset = Arc::new(firewall::plan(
        &config.policy.smart_install,
        &config.firewall.relay,
    ));
    let relay = config.firewall.relay;
    apply(Arc::clone(&ruleset))
        .await
        .map_err(ServeError::Firewall)?;
    record(audit, &ruleset, &relay, "start").await?;
    let summary = summary(&ruleset, &relay);
    println!("ztpgate: firewall applied: {summary}");
    tasks.spawn(watch_table(
        ruleset,
        relay,
        config.firewall.check_interval,
        Arc::clone(audit),
        stop.clone(),
    ));
    Ok(Some(summary))
}

/// Re-applies the table whenever it has disappeared, until `stop`.
async fn watch_table(
    ruleset: Arc<Ruleset>,
    relay: RelayTarget,
    every: Duration,
    audit: Arc<Mutex<AuditLog>>,
    mut stop: watch::Receiver<bool>,
) {
    let mut failing = false;
    loop {
        tokio::select! {
            _ = stop.changed() => return,
            () = tokio::time::sleep(every) => {}
        }
        let result = match exists().await {
            Ok(true) => Ok(()),
            Ok(false) => reapply(&ruleset, &relay, &audit).await,
            Err(e) => Err(e),
        };
        match result {
            Ok(()) => failing = false,
            // Reported once per failure streak, not every interval.
            Err(e) if !failing => {
                failing = true;
                tracing::error!(error = %e, "firewall: cannot check or re-apply table inet ztpgate");
            }
            Err(_) => {}
        }
    }
}

async fn reapply(
    ruleset: &Arc<Ruleset>,
    relay: &RelayTarget,
    audit: &Arc<Mutex<AuditLog>>,
) -> Result<(), ApplyError> {
    apply(Arc::clone(ruleset)).await?;
    println!("ztpgate: firewall table inet ztpgate was missing; re-applied");
    if let Err(e) = record(audit, ruleset, relay, "table missing").await {
        tracing::error!(error = %e, "firewall: re-applied, but the audit record failed");
    }
    Ok(())
}

async fn apply(ruleset: Arc<Ruleset>) -> Result<(), ApplyError> {
    blocking(move || netlink::apply(&firewall::diff(&Current::Unknown, &ruleset))).await
}

async fn exists() -> Result<bool, ApplyError> {
    blocking(netlink::table_exists).await
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApplyError> + Send + 'static,
) -> Result<T, ApplyError> {
    tokio::task::spawn_blocking(f)
        .await
        .unwrap_or_else(|join| Err(ApplyError::Send(std::io::Error::other(join.to_string()))))
}

async fn record(
    audit: &Arc<Mutex<AuditLog>>,
    ruleset: &Ruleset,
    relay: &RelayTarget,
    reason: &str,
) -> Result<(), ServeError> {
    let entry = AuditEntry::operator(
        "ztpgate",
        "firewall-apply",
        serde_json::json!({
            "table": format!("inet {}", firewall::TABLE_NAME),
            "reason": reason,
            "chains": ruleset.chains.len(),
            "rules": ruleset.rule_count(),
            "relay_port": relay.port,
            "relay_v4": relay.v4,
            "relay_v6": relay.v6,
            "unmatched_hosts": ruleset.unmatched_hosts,
        }),
    );
    let mut log = audit.lock().await;
    log.append(entry, crate::clock::now_utc())?;
    log.flush()?;
    Ok(())
}

fn summary(ruleset: &Ruleset, relay: &RelayTarget) -> String {
    let steer: Vec<String> = [
        relay.v4.map(|a| a.to_string()),
        relay.v6.map(|a| format!("[{a}]")),
    ]
    .into_iter()
    .flatten()
    .map(|a| format!("{a}:{}", relay.port))
    .collect();
    let steer = if steer.is_empty() {
        "no relay address: director flows dropped".to_owned()
    } else {
        format!("director flows steered to {}", steer.join(", "))
    };
    format!(
        "table inet {} ({} chains, {} rules; {steer})",
        firewall::TABLE_NAME,
        ruleset.chains.len(),
        ruleset.rule_count()
    )
}
