//! Zero-touch replacement ("Replacing a Client Switch" in the Smart Install guide): a new client
//! with the same PID as an Inactive client, seen on the same port of the same upstream neighbor,
//! takes over that client's image and last backed-up configuration, and the replaced entry is
//! removed.
//!
//! ztpgate's rules, where the guide leaves room:
//! - **New**: the candidate has never downloaded anything through the director, has no backup and
//!   is not a replacement already.
//! - **Same place**: same upstream neighbor (`None`: ztpgate itself) and the same port on it
//!   (the capture interface the client's CDP frames arrive on, or the neighbor's port).
//! - **Same PID**, compared case-insensitively; the replaced client is Inactive.
//! - **Unambiguous**: exactly one such Inactive client; otherwise the candidate is a new client.
//! - **One at a time per branch** (the guide: "only one Smart Install client can be replaced at a
//!   time on the same branch"): while another replacement below the same neighbor has not
//!   finished its download, the candidate waits — it gets no zero-touch plan — and is checked
//!   again at its next CDP advertisement. A replacement that went Inactive itself no longer
//!   blocks its branch.
//!
//! Pure: the client records in, a verdict out.

use std::collections::BTreeMap;

use crate::roles::director::client::{Client, Health};

/// What the check found for one client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Check {
    /// It replaces the client with this MAC.
    Replaces([u8; 6]),
    /// It would replace that client, but another replacement runs on the branch.
    Waiting([u8; 6]),
    /// It is not a replacement.
    NotReplacement,
}

/// Whether `mac` replaces an Inactive client of `clients`.
pub fn check(clients: &BTreeMap<[u8; 6], Client>, mac: &[u8; 6]) -> Check {
    let Some(new) = clients.get(mac) else {
        return Check::NotReplacement;
    };
    if !is_new(new) {
        return Check::NotReplacement;
    }
    let (Some(pid), Some(port)) = (new.pid.as_deref(), new.upstream_port.as_deref()) else {
        return Check::NotReplacement;
    };
    let mut matches = clients.values().filter(|old| {
        old.mac != new.mac
            && old.health == Health::Inactive
            && old.upstream == new.upstream
            && old.upstream_port.as_deref() == Some(port)
            && old
                .pid
                .as_deref()
                .is_some_and(|p| p.eq_ignore_ascii_case(pid))
    });
    let (Some(old), None) = (matches.next(), matches.next()) else {
        return Check::NotReplacement;
    };
    let busy = clients.values().any(|other| {
        other.mac != new.mac
            && other.upstream == new.upstream
            && other.health == Health::Active
            && other.replacement.is_some()
            && other.download.as_ref().is_none_or(|d| !d.finished())
    });
    if busy {
        Check::Waiting(old.mac)
    } else {
        Check::Replaces(old.mac)
    }
}

/// A client the director has not provisioned or backed up yet.
fn is_new(client: &Client) -> bool {
    client.download.is_none() && client.backup.is_none() && client.replacement.is_none()
}
