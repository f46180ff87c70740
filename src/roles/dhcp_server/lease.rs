//! The lease table of the DHCP server role: one record per address, kept after expiry so that a
//! MAC gets its previous address back ("DHCP remember", smart-install-overview.txt "DHCP and
//! Smart Install"), and the address pool it allocates from.
//!
//! Trust: records come from the gateway's own store; the pool from validated configuration.

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

use chrono::{DateTime, Utc};

use crate::policy::join::Mac;

/// What a lease record means.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LeaseState {
    /// Offered, not yet requested; held until `expires`.
    Offered,
    /// Acknowledged to the client until `expires`.
    Bound,
    /// Released by the client (kept so the MAC gets the address back).
    Released,
    /// Declined by the client (the address is in use by someone else); quarantined until
    /// `expires`.
    Declined,
}

impl LeaseState {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Offered => "offered",
            Self::Bound => "bound",
            Self::Released => "released",
            Self::Declined => "declined",
        }
    }

    /// The state for a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Offered, Self::Bound, Self::Released, Self::Declined]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

/// One address and who holds (or last held) it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lease {
    /// The address (the key).
    pub ip: Ipv4Addr,
    /// The client's MAC address.
    pub mac: Mac,
    /// Offered, bound, released or declined.
    pub state: LeaseState,
    /// When the offer, binding or quarantine ends.
    pub expires: DateTime<Utc>,
    /// Host name the client sent or was given (option 12), if any.
    pub hostname: Option<String>,
}

impl Lease {
    /// Whether the record still reserves its address for its MAC at `now`.
    pub fn is_active(&self, now: DateTime<Utc>) -> bool {
        matches!(
            self.state,
            LeaseState::Offered | LeaseState::Bound | LeaseState::Declined
        ) && self.expires > now
    }
}

/// A change the caller must persist (and apply to its table).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LeaseChange {
    /// Insert or replace the record of `lease.ip`.
    Upsert(Lease),
    /// Forget the record of this address.
    Remove(Ipv4Addr),
}

/// Every lease record, by address, with an index by MAC.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LeaseTable {
    by_ip: BTreeMap<Ipv4Addr, Lease>,
    by_mac: BTreeMap<Mac, BTreeSet<Ipv4Addr>>,
}

impl LeaseTable {
    /// A table holding `leases` (e.g. restored from the store).
    pub fn new(leases: impl IntoIterator<Item = Lease>) -> Self {
        let mut table = Self::default();
        for lease in leases {
            table.apply(&LeaseChange::Upsert(lease));
        }
        table
    }

    /// Applies one change.
    pub fn apply(&mut self, change: &LeaseChange) {
        let (ip, new) = match change {
            LeaseChange::Upsert(lease) => (lease.ip, Some(lease)),
            LeaseChange::Remove(ip) => (*ip, None),
        };
        if let Some(old) = self.by_ip.remove(&ip)
            && let Some(ips) = self.by_mac.get_mut(&old.mac)
        {
            ips.remove(&ip);
            if ips.is_empty() {
                self.by_mac.remove(&old.mac);
            }
        }
        if let Some(lease) = new {
            self.by_mac.entry(lease.mac).or_default().insert(ip);
            self.by_ip.insert(ip, lease.clone());
        }
    }

    /// The records of `mac`.
    pub fn records_of(&self, mac: &Mac) -> impl Iterator<Item = &Lease> {
        self.by_mac
            .get(mac)
            .into_iter()
            .flatten()
            .filter_map(|ip| self.by_ip.get(ip))
    }

    /// The record of `ip`.
    pub fn get(&self, ip: Ipv4Addr) -> Option<&Lease> {
        self.by_ip.get(&ip)
    }

    /// The address `mac` holds or held last (never a declined one).
    pub fn of_mac(&self, mac: &Mac) -> Option<&Lease> {
        self.records_of(mac)
            .filter(|l| l.state != LeaseState::Declined)
            .max_by_key(|l| l.expires)
    }

    /// Whether `ip` may be given to `mac` at `now`: no active record of another MAC and not
    /// declined.
    pub fn free_for(&self, ip: Ipv4Addr, mac: &Mac, now: DateTime<Utc>) -> bool {
        self.by_ip.get(&ip).is_none_or(|l| {
            let other_holds = l.mac != *mac && l.is_active(now);
            let quarantined = l.state == LeaseState::Declined && l.expires > now;
            !other_holds && !quarantined
        })
    }

    /// Every record, by address.
    pub fn iter(&self) -> impl Iterator<Item = &Lease> {
        self.by_ip.values()
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        self.by_ip.len()
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.by_ip.is_empty()
    }
}

/// The addresses the server hands out: `first..=last` inside the server's subnet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pool {
    /// First address of the range.
    pub first: Ipv4Addr,
    /// Last address of the range (inclusive).
    pub last: Ipv4Addr,
}

impl Pool {
    /// Whether `ip` is in the range.
    pub fn contains(&self, ip: Ipv4Addr) -> bool {
        (self.first..=self.last).contains(&ip)
    }

    /// Picks an address for `mac` at `now`: its previous one when still free; else `wanted`
    /// (option 50) when in the range and free; else the first address never leased; else the
    /// free address whose record expired longest ago (a previous holder loses it only when the
    /// pool has nothing else).
    pub fn allocate(
        &self,
        table: &LeaseTable,
        mac: &Mac,
        wanted: Option<Ipv4Addr>,
        now: DateTime<Utc>,
    ) -> Option<Ipv4Addr> {
        let previous = table
            .of_mac(mac)
            .map(|l| l.ip)
            .filter(|ip| self.contains(*ip) && table.free_for(*ip, mac, now));
        if previous.is_some() {
            return previous;
        }
        if let Some(ip) = wanted.filter(|ip| {
            self.contains(*ip)
                && table.free_for(*ip, mac, now)
                && table.get(*ip).is_none_or(|l| l.mac == *mac)
        }) {
            return Some(ip);
        }
        if let Some(ip) = self.first_unused(table) {
            return Some(ip);
        }
        table
            .iter()
            .filter(|l| self.contains(l.ip) && table.free_for(l.ip, mac, now))
            .min_by_key(|l| l.expires)
            .map(|l| l.ip)
    }

    /// The lowest address of the range without any record: walks the records in the range in
    /// order and stops at the first gap.
    fn first_unused(&self, table: &LeaseTable) -> Option<Ipv4Addr> {
        let mut next = u32::from(self.first);
        for ip in table
            .by_ip
            .range(self.first..=self.last)
            .map(|(ip, _)| u32::from(*ip))
        {
            if ip != next {
                break;
            }
            next = next.checked_add(1)?;
        }
        let ip = Ipv4Addr::from(next);
        self.contains(ip).then_some(ip)
    }
}
