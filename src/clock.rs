//! The only place that reads the wall clock or the monotonic clock. Everything else takes `now`
//! as an argument (sans-IO), so tests and the capture auditor can supply their own time.

use std::time::{Instant, SystemTime};

use chrono::{DateTime, Utc};

/// The current UTC time.
#[allow(clippy::disallowed_methods)]
pub fn now_utc() -> DateTime<Utc> {
    Utc::now()
}

/// The current wall-clock time as a `SystemTime` (for certificate validity checks).
#[allow(clippy::disallowed_methods)]
pub fn now_system() -> SystemTime {
    SystemTime::now()
}

/// The current monotonic instant (for durations and rate measurements).
#[allow(clippy::disallowed_methods)]
pub fn now_monotonic() -> Instant {
    Instant::now()
}

/// The current wall-clock time in nanoseconds since the Unix epoch (0 before it), the time base
/// of packet capture timestamps.
pub fn unix_nanos() -> u64 {
    now_system()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}
