//! Join-window schedules: start date and time, interval, end date and recurrence (once, daily,
//! weekly, monthly or a 5-field cron expression), as in `vstack join-window start [date] hh:mm
//! [interval] [end date] [recurring]` (`../shared/reference/smart-install-overview.txt`, "Using a
//! Join Window").
//!
//! All times are UTC: there is no daylight-saving shift inside a schedule. Inputs are operator
//! policy, validated at load, and `now`, supplied by the caller (this module never reads the clock).
//!
//! Semantics of one [`Window`]:
//! - Occurrences are half-open intervals `[s, s + interval)`. A window is open at `now` if any
//!   occurrence contains it. All occurrences last equally long, so the latest start `s <= now` is
//!   the only candidate: [`Window::occurrence_at`] finds it arithmetically (daily, weekly), by
//!   stepping back at most a few months (monthly), or by scanning back at most
//!   `ceil(interval / 1 day) + 1` days with bit tricks on the hour and minute sets (cron).
//! - An occurrence may start on any date up to and including `end`; one that starts on the end
//!   date still runs its full interval.
//! - Once: one occurrence at `start`. Daily, weekly, monthly: at the start time of every day, every
//!   week (start's weekday), every month (start's day of month; months without that day are
//!   skipped), from `start` on. Cron: at every firing at or after `start` (minute resolution).
//! - Without an interval the window is open from `start` to the end of the `end` date, or for ever
//!   if there is none, whatever the recurrence (`vstack join-window start` without an interval).

pub mod cron;

use chrono::{Datelike, Months, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Timelike};

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

impl Window {
    /// Whether the window is open at `now` (UTC).
    pub fn is_open_at(&self, now: NaiveDateTime) -> bool {
        self.occurrence_at(now).is_some()
    }

    /// The occurrence containing `now`, as `[start, end)`; `end` is `None` for a window open for
    /// ever.
    pub fn occurrence_at(
        &self,
        now: NaiveDateTime,
    ) -> Option<(NaiveDateTime, Option<NaiveDateTime>)> {
        let Some(minutes) = self.interval_minutes else {
            return self.open_ended_at(now);
        };
        let interval = TimeDelta::minutes(i64::from(minutes));
        // Only starts after `now - interval` can still be running at `now`.
        let lower = now.checked_sub_signed(interval);
        let start = self.last_start_at_or_before(now, lower)?;
        match start.checked_add_signed(interval) {
            Some(end) if now < end => Some((start, Some(end))),
            Some(_) => None,
            None => Some((start, None)),
        }
    }

    /// The start of the first occurrence strictly after `now`, searching at most
    /// [`MAX_NEXT_OPEN_SEARCH_DAYS`] ahead. `None`: no later occurrence in that span (or ever).
    pub fn next_open_after(&self, now: NaiveDateTime) -> Option<NaiveDateTime> {
        if self.interval_minutes == Some(0) {
            return None;
        }
        let horizon = now.checked_add_signed(TimeDelta::days(MAX_NEXT_OPEN_SEARCH_DAYS))?;
        let limit = match self.end {
            Some(end) => horizon.min(end.and_time(LAST_INSTANT_OF_DAY)),
            None => horizon,
        };
        let next = match (&self.recurrence, self.interval_minutes) {
            (_, None) | (Recurrence::Once, _) => (self.start > now).then_some(self.start),
            (Recurrence::Daily, _) => self.next_periodic(now, 1),
            (Recurrence::Weekly, _) => self.next_periodic(now, 7),
            (Recurrence::Monthly, _) => self.next_monthly(now, limit),
            (Recurrence::Cron(cron), _) => self.next_cron(cron, now, limit),
        }?;
        (next <= limit && self.starts_by_end(next)).then_some(next)
    }

    fn open_ended_at(&self, now: NaiveDateTime) -> Option<(NaiveDateTime, Option<NaiveDateTime>)> {
        if now < self.start || !self.starts_by_end(self.start) {
            return None;
        }
        let end = self
            .end
            .and_then(|d| d.succ_opt())
            .map(|d| d.and_time(NaiveTime::MIN));
        match end {
            Some(end) if now >= end => None,
            _ => Some((self.start, end)),
        }
    }

    /// The latest occurrence start `s` with `s <= now` (and `s > lower`, where that prunes work).
    fn last_start_at_or_before(
        &self,
        now: NaiveDateTime,
        lower: Option<NaiveDateTime>,
    ) -> Option<NaiveDateTime> {
        let bound = match self.end {
            Some(end) if end < now.date() => end.and_time(LAST_INSTANT_OF_DAY),
            _ => now,
        };
        if bound < self.start {
            return None;
        }
        match &self.recurrence {
            Recurrence::Once => Some(self.start),
            Recurrence::Daily => self.last_periodic(bound, 1),
            Recurrence::Weekly => self.last_periodic(bound, 7),
            Recurrence::Monthly => self.last_monthly(bound),
            Recurrence::Cron(cron) => self.last_cron(cron, bound, lower),
        }
    }

    fn last_periodic(&self, bound: NaiveDateTime, period_days: i64) -> Option<NaiveDateTime> {
        let steps = bound.signed_duration_since(self.start).num_days() / period_days;
        self.start
            .checked_add_signed(TimeDelta::days(steps * period_days))
    }

    fn next_periodic(&self, now: NaiveDateTime, period_days: i64) -> Option<NaiveDateTime> {
        if now < self.start {
            return Some(self.start);
        }
        let steps = now.signed_duration_since(self.start).num_days() / period_days + 1;
        self.start
            .checked_add_signed(TimeDelta::days(steps * period_days))
    }

    fn last_monthly(&self, bound: NaiveDateTime) -> Option<NaiveDateTime> {
        let mut month = bound.date().with_day(1)?;
        // A day of month exists in at least one of any three consecutive months.
        for _ in 0..MAX_MONTHS_BACK {
            if let Some(candidate) = self.monthly_occurrence(month) {
                if candidate < self.start {
                    return None;
                }
                if candidate <= bound {
                    return Some(candidate);
                }
            }
            month = month.checked_sub_months(Months::new(1))?;
        }
        None
    }

    fn next_monthly(&self, now: NaiveDateTime, limit: NaiveDateTime) -> Option<NaiveDateTime> {
        let mut month = now.max(self.start).date().with_day(1)?;
        while month.and_time(NaiveTime::MIN) <= limit {
            if let Some(candidate) = self.monthly_occurrence(month)
                && candidate > now
                && candidate >= self.start
            {
                return Some(candidate);
            }
            month = month.checked_add_months(Months::new(1))?;
        }
        None
    }

    /// The monthly occurrence in the month of `first_of_month`, if that month has the day.
    fn monthly_occurrence(&self, first_of_month: NaiveDate) -> Option<NaiveDateTime> {
        let day = first_of_month.with_day(self.start.day())?;
        Some(day.and_time(self.start.time()))
    }

    fn last_cron(
        &self,
        cron: &CronSchedule,
        bound: NaiveDateTime,
        lower: Option<NaiveDateTime>,
    ) -> Option<NaiveDateTime> {
        let floor = lower.map_or(self.start, |l| l.max(self.start));
        let mut day = bound.date();
        let mut limit = (bound.hour(), bound.minute());
        while day >= floor.date() {
            if cron_matches_day(cron, day)
                && let Some((h, m)) = cron_latest_time_at_or_before(cron, limit)
            {
                let candidate = day.and_hms_opt(h, m, 0)?;
                return (candidate >= self.start && lower.is_none_or(|l| candidate > l))
                    .then_some(candidate);
            }
            day = day.pred_opt()?;
            limit = (23, 59);
        }
        None
    }

    fn next_cron(
        &self,
        cron: &CronSchedule,
        now: NaiveDateTime,
        limit: NaiveDateTime,
    ) -> Option<NaiveDateTime> {
        // Firings are whole minutes: the first one after `now` is at or after the next minute,
        // and the first one at or after `start` is at or after `start` rounded up to a minute.
        let after_now = truncate_to_minute(now)?.checked_add_signed(TimeDelta::minutes(1))?;
        let truncated_start = truncate_to_minute(self.start)?;
        let from_start = if truncated_start == self.start {
            self.start
        } else {
            truncated_start.checked_add_signed(TimeDelta::minutes(1))?
        };
        let from = after_now.max(from_start);
        let mut day = from.date();
        let mut at = (from.hour(), from.minute());
        while day <= limit.date() {
            if cron_matches_day(cron, day)
                && let Some((h, m)) = cron_earliest_time_at_or_after(cron, at)
            {
                return day.and_hms_opt(h, m, 0);
            }
            day = day.succ_opt()?;
            at = (0, 0);
        }
        None
    }

    fn starts_by_end(&self, start: NaiveDateTime) -> bool {
        self.end.is_none_or(|end| start.date() <= end)
    }
}

// Cron evaluation lives in free functions rather than `impl CronSchedule`, so that they cannot
// collide with methods of the cron parser (`schedule/cron.rs`).

/// Whether `cron` fires on some minute of `date` (month, day-of-month and day-of-week fields, with
/// Vixie cron's either-or rule when both day fields are restricted).
fn cron_matches_day(cron: &CronSchedule, date: NaiveDate) -> bool {
    if cron.months & (1 << date.month()) == 0 {
        return false;
    }
    let dom = cron.days_of_month & (1 << date.day()) != 0;
    let dow = cron.days_of_week & (1 << date.weekday().num_days_from_sunday()) != 0;
    if cron.dom_restricted && cron.dow_restricted {
        dom || dow
    } else {
        dom && dow
    }
}

/// The latest firing time of day of `cron` at or before `(hour, minute)`.
fn cron_latest_time_at_or_before(
    cron: &CronSchedule,
    (hour, minute): (u32, u32),
) -> Option<(u32, u32)> {
    let hours = cron.hours & HOUR_BITS;
    let minutes = cron.minutes & MINUTE_BITS;
    if hours & (1 << hour) != 0
        && let Some(m) = highest_bit(minutes & bits_up_to(minute))
    {
        return Some((hour, m));
    }
    let earlier = match hour {
        0 => 0,
        h => hours & bits_up_to(h - 1) as u32,
    };
    Some((highest_bit(u64::from(earlier))?, highest_bit(minutes)?))
}

/// The earliest firing time of day of `cron` at or after `(hour, minute)`.
fn cron_earliest_time_at_or_after(
    cron: &CronSchedule,
    (hour, minute): (u32, u32),
) -> Option<(u32, u32)> {
    let hours = cron.hours & HOUR_BITS;
    let minutes = cron.minutes & MINUTE_BITS;
    if hours & (1 << hour) != 0
        && let Some(m) = lowest_bit(minutes & !bits_below(minute))
    {
        return Some((hour, m));
    }
    let later = hours & !(bits_up_to(hour) as u32);
    Some((lowest_bit(u64::from(later))?, lowest_bit(minutes)?))
}

/// How far [`Window::next_open_after`] looks ahead: five years.
pub const MAX_NEXT_OPEN_SEARCH_DAYS: i64 = 5 * 366;

/// Monthly occurrences: any three consecutive months contain every day of month up to 31, so
/// three steps back always reach an occurrence; one more guards the start month.
const MAX_MONTHS_BACK: usize = 4;

const HOUR_BITS: u32 = (1 << 24) - 1;
const MINUTE_BITS: u64 = (1 << 60) - 1;

const LAST_INSTANT_OF_DAY: NaiveTime = match NaiveTime::from_hms_nano_opt(23, 59, 59, 999_999_999) {
    Some(t) => t,
    None => NaiveTime::MIN,
};

fn truncate_to_minute(t: NaiveDateTime) -> Option<NaiveDateTime> {
    t.date().and_hms_opt(t.hour(), t.minute(), 0)
}

/// Bits `0..=n` (n < 64).
fn bits_up_to(n: u32) -> u64 {
    if n >= 63 {
        u64::MAX
    } else {
        (1 << (n + 1)) - 1
    }
}

/// Bits `0..n` (n < 64).
fn bits_below(n: u32) -> u64 {
    if n >= 64 { u64::MAX } else { (1 << n) - 1 }
}

fn highest_bit(x: u64) -> Option<u32> {
    (x != 0).then(|| 63 - x.leading_zeros())
}

fn lowest_bit(x: u64) -> Option<u32> {
    (x != 0).then(|| x.trailing_zeros())
}

#[cfg(test)]
mod tests;
