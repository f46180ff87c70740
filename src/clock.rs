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
