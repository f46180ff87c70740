//! A bound on how many audit records one remote peer can cause for refusals, so that a flood of
//! requests (spoofable UDP, for instance) cannot turn into a flood of synced records that fills
//! the disk. Grants and completed transfers are never throttled; refusals beyond the budget are
//! counted, and the next record that peer gets says how many were left out.
//!
//! Pure: the caller passes `now` (monotonic, as a `Duration` since an origin it chooses). Per key
//! (a peer address, or `()` for one budget shared by everyone, against floods from forged
//! identities) a token bucket of [`Throttle::burst`] records, refilled at
//! [`Throttle::per_second`]; at most [`MAX_PEERS`] keys are tracked — when full, the table is
//! cleared (every key starts with a full bucket again), which bounds memory whatever the sources.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::time::Duration;

use crate::audit::AuditEntry;

/// Peers tracked at once.
pub const MAX_PEERS: usize = 4096;

/// What to do with one refusal record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admit {
    /// Write it; `suppressed` earlier refusals of this peer were left out since its last record.
    Write {
        /// Refusals not recorded since the previous record of this peer.
        suppressed: u64,
    },
    /// Leave it out (counted).
    Suppress,
}

#[derive(Clone, Copy, Debug)]
struct Bucket {
    tokens: f64,
    at: Duration,
    suppressed: u64,
}

/// Budget of refusal records per key (by default a peer address).
#[derive(Clone, Debug)]
pub struct Throttle<K = IpAddr> {
    burst: f64,
    per_second: f64,
    peers: HashMap<K, Bucket>,
}

impl<K: Hash + Eq> Throttle<K> {
    /// A budget of `burst` records at once and `per_second` afterwards, per peer.
    pub fn new(burst: u32, per_second: f64) -> Self {
        Self {
            burst: f64::from(burst.max(1)),
            per_second: per_second.max(0.0),
            peers: HashMap::new(),
        }
    }

    /// The burst size.
    pub fn burst(&self) -> u32 {
        // `burst` was built from a u32.
        self.burst as u32
    }

    /// The refill rate.
    pub fn per_second(&self) -> f64 {
        self.per_second
    }

    /// `entry` when `key` is within its budget at `now`, its detail noting how many earlier
    /// records were left out (`suppressed_refusals`, when any); `None` when over budget.
    pub fn admit_entry(
        &mut self,
        key: K,
        now: Duration,
        mut entry: AuditEntry,
    ) -> Option<AuditEntry> {
        match self.admit(key, now) {
            Admit::Suppress => None,
            Admit::Write { suppressed } => {
                if suppressed > 0 {
                    entry.detail["suppressed_refusals"] = suppressed.into();
                }
                Some(entry)
            }
        }
    }

    /// Decides about one refusal record for `peer` at `now`.
    pub fn admit(&mut self, peer: K, now: Duration) -> Admit {
        if self.peers.len() >= MAX_PEERS && !self.peers.contains_key(&peer) {
            self.peers.clear();
        }
        let burst = self.burst;
        let bucket = self.peers.entry(peer).or_insert(Bucket {
            tokens: burst,
            at: now,
            suppressed: 0,
        });
        let elapsed = now.saturating_sub(bucket.at).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.per_second).min(burst);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            let suppressed = std::mem::take(&mut bucket.suppressed);
            Admit::Write { suppressed }
        } else {
            bucket.suppressed = bucket.suppressed.saturating_add(1);
            Admit::Suppress
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([192, 0, 2, last])
    }

    #[test]
    fn a_burst_passes_then_refusals_are_counted_and_reported_later() {
        let mut t = Throttle::new(3, 1.0);
        let at = Duration::from_secs(100);
        for _ in 0..3 {
            assert_eq!(t.admit(ip(1), at), Admit::Write { suppressed: 0 });
        }
        for _ in 0..5 {
            assert_eq!(t.admit(ip(1), at), Admit::Suppress);
        }
        // Another peer has its own budget.
        assert_eq!(t.admit(ip(2), at), Admit::Write { suppressed: 0 });
        // One second refills one record, which reports the five left out.
        let later = at + Duration::from_secs(1);
        assert_eq!(t.admit(ip(1), later), Admit::Write { suppressed: 5 });
        assert_eq!(t.admit(ip(1), later), Admit::Suppress);
        // A long pause refills only up to the burst.
        let much_later = later + Duration::from_secs(3600);
        for _ in 0..3 {
            assert!(matches!(t.admit(ip(1), much_later), Admit::Write { .. }));
        }
        assert_eq!(t.admit(ip(1), much_later), Admit::Suppress);
    }

    #[test]
    fn one_shared_budget_covers_every_source() {
        let mut t: Throttle<()> = Throttle::new(2, 0.0);
        assert!(matches!(t.admit((), Duration::ZERO), Admit::Write { .. }));
        assert!(matches!(t.admit((), Duration::ZERO), Admit::Write { .. }));
        assert_eq!(t.admit((), Duration::ZERO), Admit::Suppress);
    }

    #[test]
    fn memory_stays_bounded_whatever_the_sources() {
        let mut t = Throttle::new(1, 0.0);
        for n in 0..(MAX_PEERS as u32 * 3) {
            let peer = IpAddr::from(n.to_be_bytes());
            assert!(matches!(t.admit(peer, Duration::ZERO), Admit::Write { .. }));
            assert!(t.peers.len() <= MAX_PEERS);
        }
        // A clock that goes backwards refills nothing and does not panic.
        t.admit(ip(9), Duration::from_secs(5));
        assert_eq!(t.admit(ip(9), Duration::from_secs(1)), Admit::Suppress);
    }
}
