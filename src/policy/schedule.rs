//! Join-window schedules: start date and time, interval, end date and recurrence (once, daily,
//! weekly, monthly or a 5-field cron expression), as in `vstack join-window start [date] hh:mm
//! [interval] [end date] [recurring]` (`../shared/reference/smart-install-overview.txt`, "Using a
//! Join Window").
//!
//! All times are UTC: there is no daylight-saving shift inside a schedule. Inputs are operator
//! policy, validated at load.

pub mod cron;

use chrono::{NaiveDate, NaiveDateTime};

/// How a window repeats.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Recurrence {
    /// One occurrence, at `start`.
    Once,
    /// Every day at the start time.
    Daily,
    /// Every week on the start date's weekday at the start time.
    Weekly,
    /// Every month on the start date's day of month at the start time; months without that day
    /// are skipped (as cron does).
    Monthly,
    /// At every firing of a 5-field cron expression at or after `start`.
    Cron(CronSchedule),
}

/// One configured join window.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Window {
    /// Window name, unique within the policy.
    pub name: String,
    /// First instant the window can open (UTC).
    pub start: NaiveDateTime,
    /// How long each occurrence stays open, in minutes. `None`: open from `start` until `end`
    /// (or for ever), only with [`Recurrence::Once`].
    pub interval_minutes: Option<u32>,
    /// Last date (inclusive, UTC) on which an occurrence may start.
    pub end: Option<NaiveDate>,
    /// Repetition.
    pub recurrence: Recurrence,
}

/// A parsed 5-field cron expression (minute hour day-of-month month day-of-week), as bit sets.
///
/// Day matching follows Vixie cron: when both day-of-month and day-of-week are restricted (neither
/// is `*`), a day matches if either matches; otherwise both must.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CronSchedule {
    /// The expression as written.
    pub source: String,
    /// Bit `m` set: minute `m` (0–59) matches.
    pub minutes: u64,
    /// Bit `h` set: hour `h` (0–23) matches.
    pub hours: u32,
    /// Bit `d` set: day of month `d` (1–31) matches.
    pub days_of_month: u32,
    /// Bit `m` set: month `m` (1–12) matches.
    pub months: u16,
    /// Bit `d` set: weekday `d` (0 = Sunday … 6 = Saturday) matches.
    pub days_of_week: u8,
    /// The day-of-month field was not `*`.
    pub dom_restricted: bool,
    /// The day-of-week field was not `*`.
    pub dow_restricted: bool,
}
