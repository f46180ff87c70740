//! What the auditor is told about the network: which sources are legitimate Smart Install
//! directors and which TFTP servers are allowed (from a policy or gateway configuration, or
//! `--director` / `--tftp-server`). Without a director list every role is `unknown`, and rules
//! lower director-dependent findings to their unverified severity (never high).
//!
//! Inputs: the operator's configuration (trusted); addresses from traffic (compared only).

use std::net::IpAddr;

use crate::policy::access::SmartInstallPolicy;
use crate::policy::net::{AddrSet, HostSet};

/// Role of an address, as rules see it (`source`, `destination`, `trigger_source`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// A configured director.
    Director,
    /// Not a configured director.
    NonDirector,
    /// No director list was given.
    Unknown,
}

impl Role {
    /// The value rules compare with.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Director => "director",
            Self::NonDirector => "non_director",
            Self::Unknown => "unknown",
        }
    }
}

/// Whether a server is an allowed TFTP server (`server` in TFTP events).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ServerStatus {
    /// In the allowed list.
    Allowed,
    /// Not in it.
    NotAllowed,
    /// No list was given.
    Unknown,
}

impl ServerStatus {
    /// The value rules compare with.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Allowed => "allowed",
            Self::NotAllowed => "not_allowed",
            Self::Unknown => "unknown",
        }
    }
}

/// The auditor's knowledge of directors and TFTP servers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Knowledge {
    directors: Option<AddrSet>,
    tftp_servers: Option<HostSet>,
}

impl Knowledge {
    /// Nothing known: every role is `unknown`.
    pub fn none() -> Self {
        Self::default()
    }

    /// The directors and TFTP servers of a policy's `[smart_install]` section.
    pub fn from_policy(policy: &SmartInstallPolicy) -> Self {
        Self {
            directors: Some(policy.directors.clone()),
            tftp_servers: Some(policy.tftp_servers.clone()),
        }
    }

    /// Adds directors (the list becomes known even if it stays empty of others).
    pub fn add_directors(&mut self, directors: &AddrSet) {
        let set = self.directors.get_or_insert_with(AddrSet::default);
        set.0.extend(directors.0.iter().copied());
    }

    /// Adds allowed TFTP servers.
    pub fn add_tftp_servers(&mut self, servers: &HostSet) {
        let set = self.tftp_servers.get_or_insert_with(HostSet::default);
        set.nets.0.extend(servers.nets.0.iter().copied());
        set.names.extend(servers.names.iter().cloned());
    }

    /// Whether a director list was given.
    pub fn knows_directors(&self) -> bool {
        self.directors.is_some()
    }

    /// Whether an allowed-server list was given.
    pub fn knows_tftp_servers(&self) -> bool {
        self.tftp_servers.is_some()
    }

    /// The role of `ip`.
    pub fn role(&self, ip: IpAddr) -> Role {
        match &self.directors {
            None => Role::Unknown,
            Some(d) if d.contains(ip) => Role::Director,
            Some(_) => Role::NonDirector,
        }
    }

    /// Whether `host` (an address or DNS name from a URL, or a TFTP server address) is an
    /// allowed TFTP server.
    pub fn server(&self, host: &str) -> ServerStatus {
        match &self.tftp_servers {
            None => ServerStatus::Unknown,
            Some(s) if s.contains_host(host) => ServerStatus::Allowed,
            Some(_) => ServerStatus::NotAllowed,
        }
    }

    /// `hosts_allowed` of a message naming `hosts`: `none`, `all`, `not_all` or `unknown`.
    pub fn hosts_allowed<'h>(&self, hosts: impl IntoIterator<Item = &'h str>) -> &'static str {
        let mut any = false;
        for host in hosts {
            any = true;
            match self.server(host) {
                ServerStatus::Unknown => return "unknown",
                ServerStatus::NotAllowed => return "not_all",
                ServerStatus::Allowed => {}
            }
        }
        if any { "all" } else { "none" }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn knowledge() -> Knowledge {
        let mut k = Knowledge::none();
        k.add_directors(&AddrSet(vec!["192.0.2.1/32".parse().unwrap()]));
        let mut servers = HostSet::default();
        servers.push_entry("192.0.2.5").unwrap();
        servers.push_entry("tftp.example.net").unwrap();
        k.add_tftp_servers(&servers);
        k
    }

    #[test]
    fn roles_are_unknown_without_a_list() {
        let none = Knowledge::none();
        assert_eq!(none.role("192.0.2.1".parse().unwrap()), Role::Unknown);
        assert_eq!(none.server("192.0.2.5"), ServerStatus::Unknown);
        assert_eq!(none.hosts_allowed(["192.0.2.5"]), "unknown");
        assert_eq!(none.hosts_allowed([]), "none");
    }

    #[test]
    fn roles_and_servers_from_the_lists() {
        let k = knowledge();
        assert_eq!(k.role("192.0.2.1".parse().unwrap()), Role::Director);
        assert_eq!(k.role("198.51.100.7".parse().unwrap()), Role::NonDirector);
        assert_eq!(k.server("192.0.2.5"), ServerStatus::Allowed);
        assert_eq!(k.server("TFTP.example.net"), ServerStatus::Allowed);
        assert_eq!(k.server("198.51.100.7"), ServerStatus::NotAllowed);
        assert_eq!(k.hosts_allowed(["192.0.2.5", "tftp.example.net"]), "all");
        assert_eq!(k.hosts_allowed(["192.0.2.5", "198.51.100.7"]), "not_all");
    }
}
