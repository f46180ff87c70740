//! The director behind the DHCP service: the join window decides whether a client gets Smart
//! Install options (only `active` clients do, as documented: outside the window or on hold a
//! client gets plain DHCP), the database's plan decides which files they name, and a granted
//! lease records the client (address, hostname, join state) in the database.
//!
//! Inputs: DHCP requests (attacker-controlled, decoded by the bounded codec); a client record is
//! created only for a granted lease, never for a DISCOVER, so forged requests cannot grow the
//! database faster than the lease pool allows.

use std::net::IpAddr;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::edge::dhcp::{Decide, Grant, OperatorState, Verdict};
use crate::policy::join::{JoinState, Mac};
use crate::proto::dhcp::Message;
use crate::roles::dhcp_server::{ClientDecision, SmartInstallOptions};
use crate::roles::director::{Changes, Database};

use super::{Director, MAX_REMEMBERED_DECISIONS};

impl Director {
    /// The Smart Install options of `mac`: the base options plus its plan's image list and
    /// configuration (a client not in the database yet is planned by its MAC alone).
    fn options_for(&self, db: &Database, mac: &Mac) -> SmartInstallOptions {
        let policy = &self.settings.policy;
        let mut options = self.settings.smart_install.clone();
        let plan = match db.get(&mac.0) {
            Some(_) => db.plan(&mac.0, policy),
            None => Database::plan_new(&mac.0, policy, crate::clock::now_utc()),
        };
        let (list, config) = plan
            .map(|p| (p.image_list_file, p.assignment.config))
            .unwrap_or_default();
        options.image_list = list;
        options.config_file = config;
        options
    }
}

impl Decide for Arc<Director> {
    async fn decide(
        &self,
        _request: &Message,
        mac: &Mac,
        operator: &OperatorState,
        now: DateTime<Utc>,
    ) -> Verdict {
        let decision = operator.join_decision(&self.settings.join, mac, now);
        let state = decision.verdict.state;
        {
            let mut decided = self.decided.lock().await;
            if decided.len() >= MAX_REMEMBERED_DECISIONS {
                decided.clear();
            }
            decided.insert(*mac, state);
        }
        let smart_install = if state == JoinState::Active {
            let db = self.db.lock().await;
            let options = self.options_for(&db, mac);
            // A client waiting for its branch, or without any assignment, gets plain DHCP.
            (options.image_list.is_some() || options.config_file.is_some()).then_some(options)
        } else {
            None
        };
        Verdict {
            decision: ClientDecision {
                smart_install,
                pnp_option43: self.settings.pnp_option43.clone(),
            },
            rule: decision.rule.name,
            reason: decision.reason,
            hold: decision.verdict.add_to_hold_list,
        }
    }

    async fn granted(&self, grants: &[Grant<'_>], now: DateTime<Utc>) {
        let joins: Vec<JoinState> = {
            let decided = self.decided.lock().await;
            grants
                .iter()
                .map(|g| decided.get(&g.mac).copied().unwrap_or(JoinState::Deny))
                .collect()
        };
        let mut db = self.db.lock().await;
        let mut changes = Changes::default();
        for (grant, join) in grants.iter().zip(joins) {
            let mac = grant.mac.0;
            let before = db.get(&mac).cloned();
            let hostname = grant.request.hostname();
            let after = db.on_dhcp(mac, IpAddr::V4(grant.ip), hostname, join, now);
            // A renewal that changes nothing but the time is not written again.
            if before.is_none_or(|b| !super::ops::same_but_time(&b, after)) {
                changes.saved.push(mac);
            }
        }
        if !changes.saved.is_empty() {
            self.persist(&db, &changes).await;
        }
    }
}
