//! The SMI Proxy database (`../shared/reference/smi-proxy.txt`, "SMI Proxy Database" and
//! `show vstack proxy-db [detail]`): one entry per proxied Smart Install client, keyed by its
//! MAC address, holding the UDI the proxy speaks PnP under, the client's IP address, hostname,
//! health and the state of its PnP conversation.
//!
//! Smart Install works by MAC, PnP by UDI: the proxy looks up a client's UDI by MAC to talk to
//! the PnP server for it, and routes the server's answers back by UDI → MAC. As the reference
//! documents, entries are never removed (stale devices stay, clearing is disallowed): [`ProxyDb`]
//! has no removal method, and the store has none either (`crate::store::proxy`).
//!
//! Pure: entries in, entries and text out; time comes in as `now`. Every value is untrusted
//! client data (DHCP, CDP, `show version` over reverse telnet): hostnames are bounded to
//! [`MAX_TEXT_CHARS`] printable characters, UDIs are parsed and bounded by
//! [`crate::identity::Udi::parse`], and the number of entries is capped at
//! [`MAX_PROXY_ENTRIES`].

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::net::IpAddr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::identity::Udi;
use crate::roles::director::Health;
pub use crate::roles::director::database::MAX_TEXT_CHARS;
use crate::roles::director::views::{cisco_mac, ip_text};

/// The PnP conversation state of one proxied client, as `show vstack proxy-db` prints it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryState {
    /// `NO STATE`: known by MAC, no PnP conversation yet (first contact, UDI not yet learned or
    /// the "device came up" request not yet answered).
    #[default]
    NoState,
    /// `HELLO`: the work-request loop with the PnP server runs; no service in progress.
    Hello,
    /// `WORKING`: a service requested by the PnP server runs on the client.
    Working,
    /// `BACKOFF`: the PnP server asked the proxy to wait before the client's next work request.
    Backoff,
    /// `ERROR`: the last service failed on the client; the loop continues with the next request.
    Error,
}

impl EntryState {
    /// The text of the reference's `State` column.
    pub fn label(self) -> &'static str {
        match self {
            Self::NoState => "NO STATE",
            Self::Hello => "HELLO",
            Self::Working => "WORKING",
            Self::Backoff => "BACKOFF",
            Self::Error => "ERROR",
        }
    }
}

/// One proxied client.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProxyEntry {
    /// The client's MAC address (the key).
    pub mac: [u8; 6],
    /// The UDI the proxy speaks PnP under, once learned (`PID:…,VID:…,SN:…` in JSON).
    #[serde(with = "udi_text", default)]
    pub udi: Option<Udi>,
    /// The client's IP address, if known.
    pub ip: Option<IpAddr>,
    /// The client's hostname, if known (bounded printable text).
    pub hostname: Option<String>,
    /// Whether the client answers (`A` / `I`).
    pub health: Health,
    /// The PnP conversation's state.
    pub state: EntryState,
    /// When the proxy first saw the client.
    pub first_seen: DateTime<Utc>,
    /// When the proxy last heard of the client.
    pub last_seen: DateTime<Utc>,
    /// The software version the client runs, as its `show version` reported it.
    #[serde(default)]
    pub version: Option<String>,
    /// The image file the client runs (from `show version`, or the image the proxy installed).
    #[serde(default)]
    pub image: Option<String>,
}

impl ProxyEntry {
    /// A new entry for `mac`: no UDI, no address, Active, `NO STATE`.
    pub fn new(mac: [u8; 6], now: DateTime<Utc>) -> Self {
        Self {
            mac,
            udi: None,
            ip: None,
            hostname: None,
            health: Health::Active,
            state: EntryState::NoState,
            first_seen: now,
            last_seen: now,
            version: None,
            image: None,
        }
    }
}

/// Why the database refused a change.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProxyDbError {
    /// A new client would exceed [`MAX_PROXY_ENTRIES`] (entries are never removed).
    #[error("SMI proxy database is full ({max} entries); client {mac} not added")]
    Full {
        /// The capacity.
        max: usize,
        /// The refused client (Cisco dotted form).
        mac: String,
    },
    /// The UDI is already bound to another client: routing by UDI must stay unambiguous.
    #[error("UDI {udi} already belongs to client {owner}; not bound to {mac}")]
    UdiTaken {
        /// The claimed UDI.
        udi: String,
        /// The client that holds it (Cisco dotted form).
        owner: String,
        /// The client that claimed it (Cisco dotted form).
        mac: String,
    },
    /// The change names a client the database does not hold.
    #[error("client {mac} is not in the SMI proxy database")]
    Unknown {
        /// The client (Cisco dotted form).
        mac: String,
    },
}

/// The proxy database: entries by MAC and the UDI → MAC index. Nothing is ever removed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProxyDb {
    entries: BTreeMap<[u8; 6], ProxyEntry>,
    by_udi: HashMap<Udi, [u8; 6]>,
}

impl ProxyDb {
    /// The database restored from stored entries (at start). When two entries claim one UDI,
    /// the first (lowest MAC) keeps it in the index; the other keeps its record.
    pub fn new(entries: Vec<ProxyEntry>) -> Self {
        let mut db = Self::default();
        for entry in entries {
            db.entries.insert(entry.mac, entry);
        }
        for entry in db.entries.values() {
            if let Some(udi) = &entry.udi {
                db.by_udi.entry(udi.clone()).or_insert(entry.mac);
            }
        }
        db
    }

    /// Every entry, by MAC.
    pub fn entries(&self) -> impl Iterator<Item = &ProxyEntry> {
        self.entries.values()
    }

    /// How many clients the database holds.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the database holds no client.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entry of `mac`.
    pub fn get(&self, mac: &[u8; 6]) -> Option<&ProxyEntry> {
        self.entries.get(mac)
    }

    /// The client holding `udi` (to route a PnP server's request to its client).
    pub fn mac_for_udi(&self, udi: &Udi) -> Option<[u8; 6]> {
        self.by_udi.get(udi).copied()
    }

    /// The UDI of `mac` (to speak PnP for the client).
    pub fn udi_for_mac(&self, mac: &[u8; 6]) -> Option<&Udi> {
        self.entries.get(mac)?.udi.as_ref()
    }

    /// Records that `mac` was heard of: adds a `NO STATE` entry when missing, otherwise only
    /// refreshes `last_seen` (the reference: "If the entry exists, SMI Proxy takes no action").
    pub fn observe(
        &mut self,
        mac: [u8; 6],
        now: DateTime<Utc>,
    ) -> Result<&ProxyEntry, ProxyDbError> {
        if !self.entries.contains_key(&mac) && self.entries.len() >= MAX_PROXY_ENTRIES {
            return Err(ProxyDbError::Full {
                max: MAX_PROXY_ENTRIES,
                mac: cisco_mac(&mac),
            });
        }
        let entry = self
            .entries
            .entry(mac)
            .or_insert_with(|| ProxyEntry::new(mac, now));
        entry.last_seen = entry.last_seen.max(now);
        Ok(entry)
    }

    /// Binds `udi` (learned from the client's `show version`) to `mac`, adding the entry when
    /// missing. A UDI held by another client is refused; a different UDI on the same client
    /// replaces the old one and restarts the conversation (`NO STATE`).
    pub fn learn_udi(
        &mut self,
        mac: [u8; 6],
        udi: Udi,
        now: DateTime<Utc>,
    ) -> Result<&ProxyEntry, ProxyDbError> {
        if let Some(owner) = self.by_udi.get(&udi).filter(|owner| **owner != mac) {
            return Err(ProxyDbError::UdiTaken {
                udi: udi.to_string(),
                owner: cisco_mac(owner),
                mac: cisco_mac(&mac),
            });
        }
        self.observe(mac, now)?;
        let current = self.entries.get(&mac).and_then(|e| e.udi.clone());
        if current.as_ref() != Some(&udi) {
            if let Some(old) = current {
                self.by_udi.remove(&old);
            }
            self.by_udi.insert(udi.clone(), mac);
            let entry = self.entry_mut(&mac)?;
            entry.udi = Some(udi);
            entry.state = EntryState::NoState;
        }
        self.entry_mut(&mac).map(|e| &*e)
    }

    /// Records the client's address and hostname (as DHCP or CDP reported them); `None` keeps
    /// the known value.
    pub fn set_address(
        &mut self,
        mac: [u8; 6],
        ip: Option<IpAddr>,
        hostname: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<&ProxyEntry, ProxyDbError> {
        self.observe(mac, now)?;
        let entry = self.entry_mut(&mac)?;
        if let Some(ip) = ip {
            entry.ip = Some(ip);
        }
        if let Some(name) = hostname
            .map(crate::roles::director::database::clean)
            .filter(|n| !n.is_empty())
        {
            entry.hostname = Some(name);
        }
        Ok(entry)
    }

    /// Moves the client's PnP conversation to `state`.
    pub fn set_state(
        &mut self,
        mac: &[u8; 6],
        state: EntryState,
        now: DateTime<Utc>,
    ) -> Result<&ProxyEntry, ProxyDbError> {
        let entry = self.entry_mut(mac)?;
        entry.state = state;
        entry.last_seen = entry.last_seen.max(now);
        Ok(entry)
    }

    /// Records the software the client runs (`None` keeps the known value), bounded like the
    /// other device-reported text.
    pub fn set_software(
        &mut self,
        mac: &[u8; 6],
        version: Option<&str>,
        image: Option<&str>,
    ) -> Result<&ProxyEntry, ProxyDbError> {
        let clean = |v: Option<&str>| {
            v.map(crate::roles::director::database::clean)
                .filter(|v| !v.is_empty())
        };
        let entry = self.entry_mut(mac)?;
        if let Some(v) = clean(version) {
            entry.version = Some(v);
        }
        if let Some(i) = clean(image) {
            entry.image = Some(i);
        }
        Ok(entry)
    }

    /// Records the client's health (whether it answered the proxy's last probe).
    pub fn set_health(
        &mut self,
        mac: &[u8; 6],
        health: Health,
    ) -> Result<&ProxyEntry, ProxyDbError> {
        let entry = self.entry_mut(mac)?;
        entry.health = health;
        Ok(entry)
    }

    fn entry_mut(&mut self, mac: &[u8; 6]) -> Result<&mut ProxyEntry, ProxyDbError> {
        self.entries
            .get_mut(mac)
            .ok_or_else(|| ProxyDbError::Unknown {
                mac: cisco_mac(mac),
            })
    }
}

// === Views ===

const HEALTH_LEGEND: &str = "Status: Health_status\nHealth_status: A - Active I - Inactive\n";

/// `show vstack proxy-db` (`detail = false`: the UDI/State table, then the health table) or
/// `show vstack proxy-db detail` (one block per client). The entries are shown whether or not
/// the proxy is enabled: the database outlives the mode and the show command is the only way to
/// see it.
pub fn render_proxy_db(enabled: bool, entries: &[ProxyEntry], detail: bool) -> String {
    let state = if enabled { "ENABLED" } else { "DISABLED" };
    let mut out = format!("Smi PnP Proxy:      {state}\n");
    if detail {
        for e in entries {
            out.push_str("-----\n");
            out.push_str(&entry_detail(e));
        }
        return out;
    }
    out.push_str("\nProxy Database:\n");
    out.push_str("MAC ADDR           UDI                               State\n");
    out.push_str("-----\n");
    for e in entries {
        let _ = writeln!(
            out,
            "{:<18}{:<41}    {}",
            cisco_mac(&e.mac),
            udi_text(e.udi.as_ref()),
            e.state.label()
        );
    }
    out.push('\n');
    out.push_str(&render_proxy_health(entries));
    out
}

/// The proxy database's health table: MAC, IP address, hostname and the `A`/`I` letter.
pub fn render_proxy_health(entries: &[ProxyEntry]) -> String {
    let mut out = String::from(HEALTH_LEGEND);
    out.push_str("Proxy Database:\n");
    out.push_str("MAC ADDR           IP_addr           Hostname           Status\n");
    out.push_str("-----\n");
    for e in entries {
        let _ = writeln!(
            out,
            "{:<18}{:<18}{:<19}{}",
            cisco_mac(&e.mac),
            ip_text(e.ip),
            hostname(e),
            e.health.letter()
        );
    }
    out
}

fn entry_detail(e: &ProxyEntry) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{:<19}: {}", "Device ID", hostname(e));
    for (name, value) in [
        ("MAC Address", cisco_mac(&e.mac)),
        ("IP Addr", ip_text(e.ip)),
        ("UDI", udi_text(e.udi.as_ref())),
        ("state", e.state.label().to_owned()),
        ("status", e.health.letter().to_string()),
    ] {
        let _ = writeln!(out, "{name:<18}: {value}");
    }
    out
}

/// The hostname column: the learned name, or `Switch` (the IOS default) when unknown.
fn hostname(e: &ProxyEntry) -> &str {
    e.hostname.as_deref().unwrap_or("Switch")
}

fn udi_text(udi: Option<&Udi>) -> String {
    udi.map_or_else(|| "-".to_owned(), Udi::to_string)
}

/// Serde for `Option<Udi>` as its PnP text; a stored text that does not parse is an error.
mod udi_text {
    use serde::{Deserialize as _, Deserializer, Serializer};

    use crate::identity::Udi;

    pub(super) fn serialize<S: Serializer>(udi: &Option<Udi>, s: S) -> Result<S::Ok, S::Error> {
        match udi {
            Some(udi) => s.serialize_some(&udi.to_string()),
            None => s.serialize_none(),
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Udi>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|text| Udi::parse(&text).map_err(serde::de::Error::custom))
            .transpose()
    }
}

/// The most clients the database holds; entries are never removed, so a flood of invented MACs
/// must stop somewhere. Far above the reference's scale (one director, hundreds of clients).
pub const MAX_PROXY_ENTRIES: usize = 10_000;

#[cfg(test)]
mod tests;
