//! `ztpgate serve` starts the DHCP server or relay of `[dhcp]`. With the Smart Install director
//! running, the director decides what each client gets (its join window and database); without
//! it, the join-window policy and the static Smart Install values of the configuration do
//! ([`JoinWindowDecider`]).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use tokio::sync::{Mutex, watch};
use tokio::task::JoinSet;

use crate::audit::AuditLog;
use crate::config::GatewayConfig;
use crate::config::dhcp::DhcpMode;
use crate::edge::dhcp::{Decide, DhcpService, OperatorState, Verdict};
use crate::edge::director::Director;
use crate::policy::join::{JoinState, JoinWindowPolicy, Mac};
use crate::proto::dhcp::Message;
use crate::proto::dhcp::options::pnp_option43;
use crate::roles::dhcp_server::{ClientDecision, SmartInstallOptions};
use crate::store::SqliteStore;

use super::ServeError;

/// Gives the configured Smart Install options to clients whose join-window state is `active`,
/// and the PnP option 43 string (when a PnP server is configured) to every `ciscopnp` client.
#[derive(Clone, Debug)]
pub struct JoinWindowDecider {
    /// The join-window policy.
    pub policy: JoinWindowPolicy,
    /// What an admitted client gets.
    pub options: SmartInstallOptions,
    /// Option 43 for PnP clients.
    pub pnp_option43: Option<String>,
}

impl Decide for JoinWindowDecider {
    async fn decide(
        &self,
        _request: &Message,
        mac: &Mac,
        operator: &OperatorState,
        now: DateTime<Utc>,
    ) -> Verdict {
        let decision = operator.join_decision(&self.policy, mac, now);
        let admitted = decision.verdict.state == JoinState::Active;
        Verdict {
            decision: ClientDecision {
                smart_install: admitted.then(|| self.options.clone()),
                pnp_option43: self.pnp_option43.clone(),
            },
            rule: decision.rule.name,
            reason: decision.reason,
            hold: decision.verdict.add_to_hold_list,
        }
    }
}

/// Starts the DHCP service when configured; returns a one-line description for the start record.
pub(super) async fn start(
    config: &GatewayConfig,
    director: Option<Arc<Director>>,
    proxy: Option<Arc<crate::edge::smi_proxy::SmiProxy>>,
    store: &Arc<Mutex<SqliteStore>>,
    audit: &Arc<Mutex<AuditLog>>,
    tasks: &mut JoinSet<()>,
    stop: &watch::Receiver<bool>,
) -> Result<Option<String>, ServeError> {
    let Some(dhcp) = &config.dhcp else {
        return Ok(None);
    };
    let decider = JoinWindowDecider {
        policy: config.policy.join_window.clone(),
        options: dhcp.smart_install.clone(),
        pnp_option43: dhcp
            .pnp_server
            .map(|addr| pnp_option43(*addr.ip(), addr.port())),
    };
    let summary = match &dhcp.mode {
        DhcpMode::Server(s) => format!(
            "server on {} ({}), pool {}-{}",
            dhcp.interface, dhcp.address, s.pool.first, s.pool.last
        ),
        DhcpMode::Relay(r) => format!(
            "relay on {} ({}) to {}",
            dhcp.interface, dhcp.address, r.server
        ),
    };
    let (store, audit) = (Arc::clone(store), Arc::clone(audit));
    let restored = match (director, proxy) {
        (None, Some(proxy)) => {
            let service = DhcpService::bind(dhcp.clone(), store, audit, proxy).await?;
            let restored = service.lease_count();
            tasks.spawn(service.run(stop.clone()));
            restored
        }
        (Some(director), _) => {
            let service = DhcpService::bind(dhcp.clone(), store, audit, director).await?;
            let restored = service.lease_count();
            tasks.spawn(service.run(stop.clone()));
            restored
        }
        (None, None) => {
            let service = DhcpService::bind(dhcp.clone(), store, audit, decider).await?;
            let restored = service.lease_count();
            tasks.spawn(service.run(stop.clone()));
            restored
        }
    };
    println!("ztpgate: DHCP {summary}; {restored} lease records restored");
    Ok(Some(summary))
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use chrono::TimeZone;

    use super::*;
    use crate::policy::join::{ClientOverride, JoinMode, ManualWindow};

    fn decider(mode: JoinMode) -> JoinWindowDecider {
        JoinWindowDecider {
            policy: JoinWindowPolicy {
                mode,
                ..JoinWindowPolicy::default()
            },
            options: SmartInstallOptions {
                config_file: Some("c.cfg".into()),
                ..SmartInstallOptions::default()
            },
            pnp_option43: Some(pnp_option43(Ipv4Addr::new(10, 0, 0, 1), 8445)),
        }
    }

    fn request() -> Message {
        Message::decode(&{
            let mut b = vec![1, 1, 6, 0];
            b.resize(236, 0);
            b.extend_from_slice(&crate::proto::dhcp::MAGIC_COOKIE);
            b.extend_from_slice(&[53, 1, 1, 0xff]);
            b
        })
        .unwrap()
    }

    fn decide(d: &JoinWindowDecider, operator: OperatorState) -> Verdict {
        let now = Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        runtime.block_on(d.decide(&request(), &Mac([0, 1, 2, 3, 4, 5]), &operator, now))
    }

    #[test]
    fn auto_mode_with_the_window_open_gives_smart_install_options() {
        let v = decide(&decider(JoinMode::Auto), OperatorState::default());
        assert!(v.decision.smart_install.is_some());
        assert!(v.decision.pnp_option43.is_some());
        assert!(!v.hold);
        assert_eq!(v.rule, "window-open-auto");
    }

    #[test]
    fn a_closed_window_gives_plain_dhcp() {
        let closed = OperatorState {
            manual: Some(ManualWindow::Closed),
            client_override: None,
        };
        let v = decide(&decider(JoinMode::Auto), closed);
        assert!(v.decision.smart_install.is_none());
        assert_eq!(v.rule, "window-closed");
    }

    #[test]
    fn manual_mode_holds_the_client_until_an_operator_allows_it() {
        let v = decide(&decider(JoinMode::Manual), OperatorState::default());
        assert!(v.decision.smart_install.is_none());
        assert!(v.hold);
        let allowed = OperatorState {
            manual: None,
            client_override: Some(ClientOverride::Allowed),
        };
        let v = decide(&decider(JoinMode::Manual), allowed);
        assert!(v.decision.smart_install.is_some());
        assert!(!v.hold);
    }
}
