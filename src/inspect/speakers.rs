//! Who speaks Smart Install in a capture: per address, the messages it sent as a director (w0 1
//! or 2) and as a client (w0 4), what it received, the peers it talked to, and whether it
//! listened on 4786. The role follows from replies (smart-install.md §9(c)): a host that sends
//! client replies is a client; one that sends director messages is a director (configured) or
//! director-like (not configured, or no list given); one that only accepted connections is a
//! listener, one that was only sent connection attempts it never answered is a target.
//!
//! Bounded: at most [`MAX_SPEAKERS`] addresses and [`MAX_PEERS`] peers each are kept.
//!
//! Inputs: addresses and message headers from attacker-controlled traffic; pure.

use std::collections::{BTreeSet, HashMap};
use std::net::IpAddr;

use crate::proto::vstack::Direction;

use super::knowledge::{Knowledge, Role};

/// Most addresses tracked.
pub const MAX_SPEAKERS: usize = 65_536;
/// Most peers kept per address.
pub const MAX_PEERS: usize = 32;

/// One host's Smart Install activity.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Speaker {
    /// The address.
    pub address: String,
    /// `client`, `director`, `director-like`, `client+director-like`, `listener`, `target` or
    /// `connector`.
    pub role: String,
    /// Whether it is a configured director (`None`: no list given).
    pub configured_director: Option<bool>,
    /// Director-side messages sent (w0 1 or 2).
    pub director_messages: u64,
    /// Client messages sent (w0 4).
    pub client_messages: u64,
    /// Messages received.
    pub received: u64,
    /// Connections accepted on 4786.
    pub accepted: u64,
    /// Connection attempts to its 4786 it never answered (dropped SYNs, resets).
    pub unanswered: u64,
    /// Connections opened to a 4786 listener.
    pub opened: u64,
    /// Addresses it exchanged messages or connections with (at most [`MAX_PEERS`]).
    pub peers: BTreeSet<String>,
    /// First and last capture time it was seen, nanoseconds since the epoch.
    pub first_ns: u64,
    /// Last capture time it was seen.
    pub last_ns: u64,
}

/// The speaker table.
#[derive(Debug, Default)]
pub struct Speakers {
    hosts: HashMap<IpAddr, Speaker>,
    /// Addresses not tracked because the table was full.
    pub overflow: u64,
}

impl Speakers {
    /// A message from `src` to `dst` at `ts_ns`, travelling in `direction` (as its `w0` says).
    pub fn message(&mut self, ts_ns: u64, src: IpAddr, dst: IpAddr, direction: Direction) {
        if let Some(s) = self.entry(src, ts_ns) {
            match direction {
                Direction::ClientToDirector => s.client_messages += 1,
                Direction::DirectorToClient => s.director_messages += 1,
                Direction::Unknown => {}
            }
            add_peer(s, dst);
        }
        if let Some(d) = self.entry(dst, ts_ns) {
            d.received += 1;
            add_peer(d, src);
        }
    }

    /// A connection from `connector` to port 4786 of `listener` at `ts_ns`, `accepted` or not.
    pub fn connection(&mut self, ts_ns: u64, connector: IpAddr, listener: IpAddr, accepted: bool) {
        if let Some(c) = self.entry(connector, ts_ns) {
            c.opened += 1;
            add_peer(c, listener);
        }
        if let Some(l) = self.entry(listener, ts_ns) {
            if accepted {
                l.accepted += 1;
            } else {
                l.unanswered += 1;
            }
            add_peer(l, connector);
        }
    }

    /// The table, roles filled in from `knowledge`, sorted by address.
    pub fn finish(self, knowledge: &Knowledge) -> Vec<Speaker> {
        let mut out: Vec<(IpAddr, Speaker)> = self.hosts.into_iter().collect();
        out.sort_by_key(|(ip, _)| *ip);
        out.into_iter()
            .map(|(ip, mut s)| {
                let role = knowledge.role(ip);
                s.configured_director = match role {
                    Role::Unknown => None,
                    r => Some(r == Role::Director),
                };
                let director = if role == Role::Director {
                    "director"
                } else {
                    "director-like"
                };
                s.role = match (s.client_messages > 0, s.director_messages > 0) {
                    (true, true) => format!("client+{director}"),
                    (true, false) => "client".to_owned(),
                    (false, true) => director.to_owned(),
                    (false, false) if role == Role::Director => "director".to_owned(),
                    (false, false) if s.accepted > 0 => "listener".to_owned(),
                    (false, false) if s.unanswered > 0 => "target".to_owned(),
                    (false, false) => "connector".to_owned(),
                };
                s
            })
            .collect()
    }

    fn entry(&mut self, ip: IpAddr, ts_ns: u64) -> Option<&mut Speaker> {
        if !self.hosts.contains_key(&ip) && self.hosts.len() >= MAX_SPEAKERS {
            self.overflow += 1;
            return None;
        }
        let s = self.hosts.entry(ip).or_insert_with(|| Speaker {
            address: ip.to_string(),
            first_ns: ts_ns,
            last_ns: ts_ns,
            ..Speaker::default()
        });
        s.first_ns = s.first_ns.min(ts_ns);
        s.last_ns = s.last_ns.max(ts_ns);
        Some(s)
    }
}

fn add_peer(s: &mut Speaker, peer: IpAddr) {
    if s.peers.len() < MAX_PEERS {
        s.peers.insert(peer.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::net::AddrSet;

    #[test]
    fn roles_follow_from_replies_and_configuration() {
        let (d, c, x): (IpAddr, IpAddr, IpAddr) = (
            "192.0.2.1".parse().unwrap(),
            "192.0.2.2".parse().unwrap(),
            "198.51.100.9".parse().unwrap(),
        );
        let mut s = Speakers::default();
        s.connection(1, d, c, true);
        s.message(1, d, c, Direction::DirectorToClient);
        s.message(2, c, d, Direction::ClientToDirector);
        s.connection(3, x, c, true);
        s.message(3, x, c, Direction::DirectorToClient);
        let mut k = Knowledge::none();
        k.add_directors(&AddrSet(vec!["192.0.2.1/32".parse().unwrap()]));
        let table = s.finish(&k);
        let role = |a: &str| {
            table
                .iter()
                .find(|s| s.address == a)
                .map(|s| s.role.clone())
                .unwrap()
        };
        assert_eq!(role("192.0.2.1"), "director");
        assert_eq!(role("192.0.2.2"), "client");
        assert_eq!(role("198.51.100.9"), "director-like");
        let client = table.iter().find(|s| s.address == "192.0.2.2").unwrap();
        assert_eq!(
            (client.received, client.accepted, client.peers.len()),
            (2, 2, 2)
        );
        assert_eq!((client.first_ns, client.last_ns), (1, 3));
    }

    #[test]
    fn unanswered_attempts_make_a_target_not_a_listener() {
        let (x, c, l): (IpAddr, IpAddr, IpAddr) = (
            "198.51.100.9".parse().unwrap(),
            "192.0.2.2".parse().unwrap(),
            "192.0.2.3".parse().unwrap(),
        );
        let mut s = Speakers::default();
        s.connection(1, x, c, false);
        s.connection(2, x, c, false);
        s.connection(3, x, l, true);
        let table = s.finish(&Knowledge::none());
        let get = |a: &str| table.iter().find(|s| s.address == a).unwrap();
        assert_eq!(get("192.0.2.2").role, "target");
        assert_eq!(
            (get("192.0.2.2").accepted, get("192.0.2.2").unanswered),
            (0, 2)
        );
        assert_eq!(get("192.0.2.3").role, "listener");
        assert_eq!(get("198.51.100.9").role, "connector");
        assert_eq!(get("198.51.100.9").opened, 3);
    }
}
