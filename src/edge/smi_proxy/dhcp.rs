//! The SMI proxy behind the DHCP service: every client gets the Smart Install options with the
//! tailored configuration `client_cfg_pnp.txt` as its configuration file (proxy mode has no join
//! window: the reference lists `vstack join-window` among the commands proxy mode disables), and
//! a granted lease records the client in the proxy database (MAC, address, hostname).
//!
//! Inputs: DHCP requests (attacker-controlled, decoded by the bounded codec); an entry is created
//! only for a granted lease, never for a DISCOVER, and the database is bounded.

use std::net::IpAddr;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::edge::dhcp::{Decide, Grant, OperatorState, Verdict};
use crate::policy::join::Mac;
use crate::proto::dhcp::Message;
use crate::roles::dhcp_server::ClientDecision;
use crate::roles::director::views::cisco_mac;
use crate::roles::smi_proxy::tailored::FILE_NAME;

use super::SmiProxy;

impl Decide for Arc<SmiProxy> {
    async fn decide(
        &self,
        _request: &Message,
        _mac: &Mac,
        _operator: &OperatorState,
        _now: DateTime<Utc>,
    ) -> Verdict {
        let mut options = self.settings.smart_install.clone();
        options.image_list = None;
        options.config_file = Some(FILE_NAME.to_owned());
        Verdict {
            decision: ClientDecision {
                smart_install: Some(options),
                pnp_option43: self.settings.pnp_option43.clone(),
            },
            rule: "smi-proxy".to_owned(),
            reason: format!(
                "SMI proxy mode: the tailored configuration {FILE_NAME} makes the client telnet \
                 back to the proxy"
            ),
            hold: false,
        }
    }

    async fn granted(&self, grants: &[Grant<'_>], now: DateTime<Utc>) {
        let mut db = self.db.lock().await;
        let mut changed = Vec::new();
        for grant in grants {
            let mac = grant.mac.0;
            let ip = IpAddr::V4(grant.ip);
            let before = db.get(&mac).map(|e| (e.ip, e.hostname.clone()));
            let hostname = grant.request.hostname();
            match db.set_address(mac, Some(ip), hostname, now) {
                Ok(entry) => {
                    let after = (entry.ip, entry.hostname.clone());
                    if before.as_ref() != Some(&after) {
                        changed.push(mac);
                    }
                    if let Ok(mut m) = self.by_ip.write() {
                        m.insert(ip, mac);
                    }
                }
                Err(err) => {
                    tracing::warn!(%err, mac = %cisco_mac(&mac), "SMI proxy: client not recorded");
                }
            }
        }
        // A renewal that changes nothing is not written; the batch is one transaction.
        self.persist(&db, &changed).await;
    }
}
