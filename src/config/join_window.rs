//! The `[join_window]` section of a policy file: mode, manual override, the PnP gate, scheduled
//! windows and per-client states (`crate::policy::join`, `crate::policy::schedule`; semantics of
//! `vstack join-window` in `../shared/reference/smart-install-overview.txt`).
//!
//! Operator input, trusted but validated. All times are UTC.

use chrono::{NaiveDate, NaiveDateTime};
use toml::de::DeValue;
use toml::value::{Datetime, Offset};

use crate::config::doc::{Ctx, Node, Table, UniqueNames, one_of};
use crate::config::duration::parse_interval;
use crate::config::policy_file::unique_name;
use crate::policy::join::{
    ClientEntry, ClientOverride, JoinMode, JoinWindowPolicy, Mac, ManualWindow,
};
use crate::policy::schedule::{CronSchedule, Recurrence, Window};

/// Parses the section (already taken from the document; the caller finishes it).
pub(super) fn parse(cx: &mut Ctx<'_>, t: &mut Table<'_, '_>) -> JoinWindowPolicy {
    let mode = t.parse(cx, "mode", |s| {
        one_of(s, &[("auto", JoinMode::Auto), ("manual", JoinMode::Manual)])
    });
    let manual = t.parse(cx, "manual", |s| {
        one_of(
            s,
            &[
                ("open", ManualWindow::Open),
                ("closed", ManualWindow::Closed),
            ],
        )
    });
    let gate_pnp = t.bool(cx, "gate_pnp").unwrap_or(true);
    let mut names = UniqueNames::default();
    let mut windows = Vec::new();
    for mut w in t.tables(cx, "windows") {
        windows.extend(window(cx, &mut w, &mut names));
        w.finish(cx);
    }
    let mut clients: Vec<ClientEntry> = Vec::new();
    for mut c in t.tables(cx, "clients") {
        if let Some(entry) = client(cx, &mut c, &clients) {
            clients.push(entry);
        }
        c.finish(cx);
    }
    JoinWindowPolicy {
        mode: mode.unwrap_or_default(),
        manual,
        windows,
        clients,
        gate_pnp,
    }
}

/// One `[[join_window.windows]]` entry.
fn window(cx: &mut Ctx<'_>, t: &mut Table<'_, '_>, names: &mut UniqueNames) -> Option<Window> {
    let name = unique_name(cx, t, names);
    let start = t.require(cx, "start").and_then(|n| start(cx, &n));
    let interval_node = t.take("interval");
    // Outer `Option`: the key is present; inner: its value is valid.
    let interval = interval_node.as_ref().map(|n| interval(cx, n));
    let end = t.take("end").map(|n| end(cx, &n, start));
    let (kind, recurrence) = recurrence(cx, t);
    let fits =
        kind.is_some_and(|k| interval_fits(cx, t, k, interval_node.as_ref(), interval.flatten()));
    if !fits {
        return None;
    }
    Some(Window {
        name: name?,
        start: start?,
        interval_minutes: match interval {
            None => None,
            Some(minutes) => Some(minutes?),
        },
        end: match end {
            None => None,
            Some(date) => Some(date?),
        },
        recurrence: recurrence?,
    })
}

/// Checks that a recurring window has an interval shorter than its period (reported otherwise).
fn interval_fits(
    cx: &mut Ctx<'_>,
    t: &Table<'_, '_>,
    kind: RecurrenceKind,
    node: Option<&Node<'_, '_>>,
    minutes: Option<u32>,
) -> bool {
    let Some(node) = node else {
        if kind == RecurrenceKind::Once {
            return true;
        }
        t.missing(cx, "interval");
        return false;
    };
    match (kind.period_minutes(), minutes) {
        (Some(period), Some(m)) if m >= period => {
            node.invalid(
                cx,
                format!("interval must be shorter than the recurrence period ({period} minutes)"),
            );
            false
        }
        _ => true,
    }
}

/// The `recurrence` names.
#[derive(Clone, Copy, PartialEq)]
enum RecurrenceKind {
    Once,
    Daily,
    Weekly,
    Monthly,
    Cron,
}

impl RecurrenceKind {
    /// Minutes between occurrences of fixed-period recurrences; a month counts as its shortest
    /// (28 days), so an occurrence never overlaps the next.
    fn period_minutes(self) -> Option<u32> {
        match self {
            Self::Daily => Some(24 * 60),
            Self::Weekly => Some(7 * 24 * 60),
            Self::Monthly => Some(28 * 24 * 60),
            Self::Once | Self::Cron => None,
        }
    }
}

/// `recurrence` and `cron`: `cron` is required with `recurrence = "cron"` and refused otherwise.
/// Returns the recurrence kind (`None`: invalid) and the recurrence (`None`: unusable); problems
/// are reported.
fn recurrence(
    cx: &mut Ctx<'_>,
    t: &mut Table<'_, '_>,
) -> (Option<RecurrenceKind>, Option<Recurrence>) {
    use RecurrenceKind as K;
    let kind = match t.take("recurrence") {
        None => Some(K::Once),
        Some(node) => node.parse(cx, |s| {
            one_of(
                s,
                &[
                    ("once", K::Once),
                    ("daily", K::Daily),
                    ("weekly", K::Weekly),
                    ("monthly", K::Monthly),
                    ("cron", K::Cron),
                ],
            )
        }),
    };
    let cron_node = t.take("cron");
    let recurrence = match (kind, cron_node) {
        (None, _) => None,
        (Some(K::Cron), None) => {
            t.missing(cx, "cron");
            None
        }
        (Some(K::Cron), Some(node)) => node.parse(cx, CronSchedule::parse).map(Recurrence::Cron),
        (Some(_), Some(node)) => {
            node.invalid(cx, "`cron` is only allowed with recurrence = \"cron\"");
            None
        }
        (Some(K::Once), None) => Some(Recurrence::Once),
        (Some(K::Daily), None) => Some(Recurrence::Daily),
        (Some(K::Weekly), None) => Some(Recurrence::Weekly),
        (Some(K::Monthly), None) => Some(Recurrence::Monthly),
    };
    (kind, recurrence)
}

/// `start`: a TOML offset date-time at offset 0, a local date-time (taken as UTC), or the same as
/// an RFC 3339 string.
fn start(cx: &mut Ctx<'_>, node: &Node<'_, '_>) -> Option<NaiveDateTime> {
    let dt = datetime_value(cx, node)?;
    let converted = match (dt.date, dt.time, dt.offset) {
        (_, _, Some(Offset::Custom { minutes })) if minutes != 0 => {
            Err("join windows are in UTC: use `Z` (or no offset) instead of a local offset")
        }
        (Some(date), Some(time), _) => NaiveDate::from_ymd_opt(
            i32::from(date.year),
            u32::from(date.month),
            u32::from(date.day),
        )
        .and_then(|d| {
            d.and_hms_nano_opt(
                u32::from(time.hour),
                u32::from(time.minute),
                u32::from(time.second),
                time.nanosecond,
            )
        })
        .ok_or("not a valid date and time"),
        _ => Err("expected a date and a time, e.g. 2026-01-03T02:00:00Z"),
    };
    converted.map_err(|e| node.invalid(cx, e)).ok()
}

/// A TOML date-time, or a string holding one.
fn datetime_value(cx: &mut Ctx<'_>, node: &Node<'_, '_>) -> Option<Datetime> {
    match node.value() {
        DeValue::String(s) => s
            .parse::<Datetime>()
            .map_err(|e| node.invalid(cx, format!("not an RFC 3339 date-time: {e}")))
            .ok(),
        _ => node.datetime(cx).copied(),
    }
}

/// `interval` in minutes: `hh:mm` or a duration, whole minutes, 1 minute to 366 days.
fn interval(cx: &mut Ctx<'_>, node: &Node<'_, '_>) -> Option<u32> {
    let duration = node.parse(cx, parse_interval)?;
    let minutes = duration.as_secs() / 60;
    let checked = if duration.as_secs() % 60 != 0 || duration.subsec_nanos() != 0 {
        Err("interval must be a whole number of minutes")
    } else if minutes < MIN_INTERVAL_MINUTES {
        Err("interval must be at least one minute")
    } else if minutes > MAX_INTERVAL_MINUTES {
        Err("interval must be at most 366 days")
    } else {
        u32::try_from(minutes).map_err(|_| "interval must be at most 366 days")
    };
    checked.map_err(|e| node.invalid(cx, e)).ok()
}

/// `end`: a TOML local date or a `YYYY-MM-DD` string, not before the start date.
fn end(cx: &mut Ctx<'_>, node: &Node<'_, '_>, start: Option<NaiveDateTime>) -> Option<NaiveDate> {
    let date = match node.value() {
        DeValue::String(s) => {
            NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| "expected a date `YYYY-MM-DD`")
        }
        DeValue::Datetime(Datetime {
            date: Some(d),
            time: None,
            offset: None,
        }) => NaiveDate::from_ymd_opt(i32::from(d.year), u32::from(d.month), u32::from(d.day))
            .ok_or("not a valid date"),
        DeValue::Datetime(_) => Err("expected a date without time, e.g. 2026-12-31"),
        _ => {
            node.wrong_type(cx, "a date");
            return None;
        }
    };
    date.and_then(|d| match start {
        Some(s) if d < s.date() => Err("end date is before the start date"),
        _ => Ok(d),
    })
    .map_err(|e| node.invalid(cx, e))
    .ok()
}

/// One `[[join_window.clients]]` entry; a MAC listed twice is reported at the second entry.
fn client(cx: &mut Ctx<'_>, t: &mut Table<'_, '_>, seen: &[ClientEntry]) -> Option<ClientEntry> {
    let mac_node = t.require(cx, "mac");
    let mac = mac_node.as_ref().and_then(|n| n.parse(cx, parse_mac));
    let state = t.require(cx, "state").and_then(|n| {
        n.parse(cx, |s| {
            one_of(
                s,
                &[
                    ("allowed", ClientOverride::Allowed),
                    ("held", ClientOverride::Held),
                ],
            )
        })
    });
    if let (Some(node), Some(mac)) = (&mac_node, mac)
        && seen.iter().any(|c| c.mac == mac)
    {
        node.invalid(cx, "duplicate client MAC address");
        return None;
    }
    Some(ClientEntry {
        mac: mac?,
        state: state?,
    })
}

/// A MAC address as `00:11:22:33:44:55`, `00-11-22-33-44-55` or Cisco `0011.2233.4455`.
pub(super) fn parse_mac(s: &str) -> Result<Mac, &'static str> {
    const BAD: &str = "not a MAC address (expected 00:11:22:33:44:55, 00-11-22-33-44-55 or \
                       0011.2233.4455)";
    let groups: Vec<&str> = match s.len() {
        17 if s.contains(':') => s.split(':').collect(),
        17 => s.split('-').collect(),
        14 => s.split('.').collect(),
        _ => return Err(BAD),
    };
    let group_len = if groups.len() == 3 { 4 } else { 2 };
    if !(groups.len() == 6 || groups.len() == 3) || groups.iter().any(|g| g.len() != group_len) {
        return Err(BAD);
    }
    let digits: String = groups.concat();
    let mut mac = [0u8; 6];
    hex::decode_to_slice(&digits, &mut mac).map_err(|_| BAD)?;
    Ok(Mac(mac))
}

/// Shortest interval: one minute.
const MIN_INTERVAL_MINUTES: u64 = 1;
/// Longest interval: 366 days.
const MAX_INTERVAL_MINUTES: u64 = 366 * 24 * 60;
