//! Tests of join-window schedule evaluation: calendar edges and a brute-force, minute-level
//! reference on random bounded schedules.

use super::*;

use chrono::Weekday;
use proptest::prelude::*;

/// A cron schedule from explicit field values; `None` is `*` (all values, unrestricted). The cron
/// parser is a colleague's; tests build the bit sets directly.
pub(crate) fn cron(
    minutes: &[u32],
    hours: &[u32],
    dom: Option<&[u32]>,
    months: Option<&[u32]>,
    dow: Option<&[u32]>,
) -> CronSchedule {
    fn bits(values: &[u32]) -> u64 {
        values.iter().fold(0, |acc, v| acc | 1 << v)
    }
    let all = |lo: u32, hi: u32| bits(&(lo..=hi).collect::<Vec<_>>());
    CronSchedule {
        source: "test".into(),
        minutes: bits(minutes),
        hours: bits(hours) as u32,
        days_of_month: dom.map_or_else(|| all(1, 31), bits) as u32,
        months: months.map_or_else(|| all(1, 12), bits) as u16,
        days_of_week: dow.map_or_else(|| all(0, 6), bits) as u8,
        dom_restricted: dom.is_some(),
        dow_restricted: dow.is_some(),
    }
}

fn at(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
}

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn window(start: &str, minutes: Option<u32>, end: Option<&str>, recurrence: Recurrence) -> Window {
    Window {
        name: "w".into(),
        start: at(start),
        interval_minutes: minutes,
        end: end.map(date),
        recurrence,
    }
}

#[test]
fn once_window_is_half_open() {
    let w = window("2026-03-01 02:00", Some(120), None, Recurrence::Once);
    assert!(!w.is_open_at(at("2026-03-01 01:59")));
    assert_eq!(
        w.occurrence_at(at("2026-03-01 02:00")),
        Some((at("2026-03-01 02:00"), Some(at("2026-03-01 04:00"))))
    );
    assert!(w.is_open_at(at("2026-03-01 03:59")));
    assert!(!w.is_open_at(at("2026-03-01 04:00")));
    assert_eq!(
        w.next_open_after(at("2026-02-01 00:00")),
        Some(at("2026-03-01 02:00"))
    );
    assert_eq!(w.next_open_after(at("2026-03-01 02:00")), None);
}

#[test]
fn window_without_interval_runs_to_end_of_end_date() {
    let w = window(
        "2026-03-01 02:00",
        None,
        Some("2026-03-05"),
        Recurrence::Once,
    );
    assert!(!w.is_open_at(at("2026-03-01 01:00")));
    assert_eq!(
        w.occurrence_at(at("2026-03-05 23:59")),
        Some((at("2026-03-01 02:00"), Some(at("2026-03-06 00:00"))))
    );
    assert!(!w.is_open_at(at("2026-03-06 00:00")));
    let forever = window("2026-03-01 02:00", None, None, Recurrence::Daily);
    assert_eq!(
        forever.occurrence_at(at("2099-01-01 00:00")),
        Some((at("2026-03-01 02:00"), None))
    );
}

#[test]
fn daily_window_crosses_year_boundary() {
    let w = window("2025-12-01 23:00", Some(120), None, Recurrence::Daily);
    assert!(w.is_open_at(at("2025-12-31 23:30")));
    assert_eq!(
        w.occurrence_at(at("2026-01-01 00:59")),
        Some((at("2025-12-31 23:00"), Some(at("2026-01-01 01:00"))))
    );
    assert!(!w.is_open_at(at("2026-01-01 01:00")));
    assert_eq!(
        w.next_open_after(at("2026-01-01 01:00")),
        Some(at("2026-01-01 23:00"))
    );
}

#[test]
fn daily_window_covers_leap_day() {
    let w = window("2024-02-01 23:00", Some(120), None, Recurrence::Daily);
    assert!(w.is_open_at(at("2024-02-29 00:30")));
    assert!(w.is_open_at(at("2024-03-01 00:30")));
    assert_eq!(
        w.occurrence_at(at("2024-03-01 00:30")).map(|o| o.0),
        Some(at("2024-02-29 23:00"))
    );
}

#[test]
fn end_date_is_inclusive_and_last_occurrence_runs_full_interval() {
    let w = window(
        "2026-01-01 22:00",
        Some(240),
        Some("2026-01-10"),
        Recurrence::Daily,
    );
    assert!(w.is_open_at(at("2026-01-10 22:00")));
    assert!(w.is_open_at(at("2026-01-11 01:59")));
    assert!(!w.is_open_at(at("2026-01-11 02:00")));
    assert!(!w.is_open_at(at("2026-01-11 22:30")));
    assert_eq!(w.next_open_after(at("2026-01-10 23:00")), None);
}

#[test]
fn weekly_window_repeats_on_start_weekday() {
    // 2026-01-03 is a Saturday.
    let w = window("2026-01-03 02:00", Some(240), None, Recurrence::Weekly);
    assert!(w.is_open_at(at("2026-01-10 05:59")));
    assert!(!w.is_open_at(at("2026-01-11 03:00")));
    assert_eq!(at("2026-01-17 02:00").weekday(), Weekday::Sat);
    assert_eq!(
        w.next_open_after(at("2026-01-10 06:00")),
        Some(at("2026-01-17 02:00"))
    );
}

#[test]
fn monthly_window_skips_months_without_the_day() {
    let w = window("2026-01-31 10:00", Some(120), None, Recurrence::Monthly);
    assert!(w.is_open_at(at("2026-01-31 11:00")));
    assert!(!w.is_open_at(at("2026-02-28 10:30")));
    assert!(!w.is_open_at(at("2026-03-01 10:30")));
    assert!(w.is_open_at(at("2026-03-31 10:30")));
    assert!(!w.is_open_at(at("2026-04-30 10:30")));
    assert_eq!(
        w.next_open_after(at("2026-02-01 00:00")),
        Some(at("2026-03-31 10:00"))
    );
    assert_eq!(
        w.next_open_after(at("2026-04-01 00:00")),
        Some(at("2026-05-31 10:00"))
    );
}

#[test]
fn monthly_window_longer_than_a_month_reaches_back_over_short_months() {
    // Open 45 days from every 31st: Jan 31 + 45 days = Mar 17.
    let w = window(
        "2026-01-31 00:00",
        Some(45 * 1440),
        None,
        Recurrence::Monthly,
    );
    assert_eq!(
        w.occurrence_at(at("2026-03-10 00:00")),
        Some((at("2026-01-31 00:00"), Some(at("2026-03-17 00:00"))))
    );
}

#[test]
fn monthly_window_on_leap_day_fires_on_29th_of_other_months() {
    let w = window("2024-02-29 00:00", Some(60), None, Recurrence::Monthly);
    assert!(w.is_open_at(at("2024-03-29 00:30")));
    assert!(!w.is_open_at(at("2025-02-28 00:30")));
    assert!(w.is_open_at(at("2028-02-29 00:59")));
}

#[test]
fn cron_window_fires_on_weekday_nights() {
    // 30 1 * * 1-5: 01:30 on Monday to Friday, open 90 minutes.
    let c = cron(&[30], &[1], None, None, Some(&[1, 2, 3, 4, 5]));
    let w = window("2026-01-01 00:00", Some(90), None, Recurrence::Cron(c));
    // 2026-01-05 is a Monday, 2026-01-04 a Sunday.
    assert!(w.is_open_at(at("2026-01-05 02:59")));
    assert!(!w.is_open_at(at("2026-01-05 03:00")));
    assert!(!w.is_open_at(at("2026-01-04 01:45")));
    assert_eq!(
        w.next_open_after(at("2026-01-02 03:00")),
        Some(at("2026-01-05 01:30"))
    );
}

#[test]
fn cron_with_both_day_fields_restricted_matches_either() {
    // 0 12 13 * 5: noon on the 13th and on every Friday.
    let c = cron(&[0], &[12], Some(&[13]), None, Some(&[5]));
    assert!(cron_matches_day(&c, date("2026-01-13"))); // a Tuesday
    assert!(cron_matches_day(&c, date("2026-01-16"))); // a Friday
    assert!(!cron_matches_day(&c, date("2026-01-14")));
    let only_dom = cron(&[0], &[12], Some(&[13]), None, None);
    assert!(!cron_matches_day(&only_dom, date("2026-01-16")));
}

#[test]
fn cron_window_longer_than_a_day_spans_days() {
    // 0 0 1 * *: midnight on the 1st, open 3 days.
    let c = cron(&[0], &[0], Some(&[1]), None, None);
    let w = window(
        "2025-01-01 00:00",
        Some(3 * 1440),
        None,
        Recurrence::Cron(c),
    );
    assert!(w.is_open_at(at("2026-03-03 23:59")));
    assert!(!w.is_open_at(at("2026-03-04 00:00")));
}

#[test]
fn cron_firing_late_in_the_day_runs_past_midnight() {
    let c = cron(&[59], &[23], Some(&[31]), None, None);
    let w = window("2025-12-01 00:00", Some(30), None, Recurrence::Cron(c));
    assert!(w.is_open_at(at("2026-01-01 00:28")));
    assert!(!w.is_open_at(at("2026-01-01 00:29")));
    assert!(!w.is_open_at(at("2026-01-31 00:28")));
}

#[test]
fn cron_firings_before_start_do_not_count() {
    let c = cron(&[0], &[9], None, None, None);
    let w = window("2026-01-01 09:30", Some(120), None, Recurrence::Cron(c));
    assert!(!w.is_open_at(at("2026-01-01 10:00")));
    assert!(w.is_open_at(at("2026-01-02 10:00")));
    assert_eq!(
        w.next_open_after(at("2025-12-01 00:00")),
        Some(at("2026-01-02 09:00"))
    );
}

#[test]
fn next_open_search_is_bounded() {
    // Only on 31 February: never.
    let c = cron(&[0], &[0], Some(&[31]), Some(&[2]), None);
    let w = window("2026-01-01 00:00", Some(60), None, Recurrence::Cron(c));
    assert_eq!(w.next_open_after(at("2026-01-01 00:00")), None);
    assert!(!w.is_open_at(at("2026-02-28 00:30")));
}

#[test]
fn zero_interval_never_opens() {
    let w = window("2026-01-01 00:00", Some(0), None, Recurrence::Daily);
    assert!(!w.is_open_at(at("2026-01-01 00:00")));
    assert_eq!(w.next_open_after(at("2025-01-01 00:00")), None);
}

// === brute-force reference ===

/// Whether minute `m` is an occurrence start, straight from the definitions.
fn is_start(w: &Window, m: NaiveDateTime) -> bool {
    if m < w.start || w.end.is_some_and(|e| m.date() > e) {
        return false;
    }
    let same_time = m.time() == w.start.time();
    match &w.recurrence {
        Recurrence::Once => m == w.start,
        Recurrence::Daily => same_time,
        Recurrence::Weekly => same_time && m.weekday() == w.start.weekday(),
        Recurrence::Monthly => same_time && m.day() == w.start.day(),
        Recurrence::Cron(c) => {
            let dom = c.days_of_month >> m.day() & 1 == 1;
            let dow = c.days_of_week >> m.weekday().num_days_from_sunday() & 1 == 1;
            let day = if c.dom_restricted && c.dow_restricted {
                dom || dow
            } else {
                dom && dow
            };
            c.months >> m.month() & 1 == 1
                && day
                && c.hours >> m.hour() & 1 == 1
                && c.minutes >> m.minute() & 1 == 1
        }
    }
}

/// Open at `now` iff some whole minute in `(now - interval, now]` is an occurrence start (starts
/// are whole minutes here, and intervals whole minutes).
fn brute_open(w: &Window, now: NaiveDateTime) -> bool {
    let interval = i64::from(w.interval_minutes.unwrap());
    let floor = truncate_to_minute(now).unwrap();
    (0..interval).any(|k| is_start(w, floor - TimeDelta::minutes(k)))
}

fn arb_cron() -> impl Strategy<Value = CronSchedule> {
    let field =
        |hi: u32, p: f64| proptest::collection::vec(proptest::bool::weighted(p), hi as usize);
    (
        field(60, 0.05),
        field(24, 0.2),
        proptest::option::of(field(32, 0.15)),
        proptest::option::of(field(13, 0.5)),
        proptest::option::of(field(7, 0.4)),
        any::<bool>(),
    )
        .prop_map(|(mut mi, mut h, d, mo, w, late)| {
            // Firings at 23:59 are the day-boundary edge: make them common.
            if late {
                mi[59] = true;
                h[23] = true;
            }
            let pick = |v: &[bool], lo: u32| -> Vec<u32> {
                let mut out: Vec<u32> = (lo..v.len() as u32).filter(|i| v[*i as usize]).collect();
                if out.is_empty() {
                    out.push(lo);
                }
                out
            };
            let d = d.map(|d| pick(&d, 1));
            let mo = mo.map(|m| pick(&m, 1));
            let w = w.map(|w| pick(&w, 0));
            cron(
                &pick(&mi, 0),
                &pick(&h, 0),
                d.as_deref(),
                mo.as_deref(),
                w.as_deref(),
            )
        })
}

fn arb_window() -> impl Strategy<Value = Window> {
    let recurrence = prop_oneof![
        Just(Recurrence::Once),
        Just(Recurrence::Daily),
        Just(Recurrence::Weekly),
        Just(Recurrence::Monthly),
        arb_cron().prop_map(Recurrence::Cron),
    ];
    // Starts in 2023..2029 (leap year 2024, 2028), at minute resolution; month ends are likely.
    let start = (
        2023i32..2029,
        1u32..=12,
        prop_oneof![1u32..=31, 28u32..=31],
        0u32..24,
        0u32..60,
    );
    (
        start,
        1u32..=4320,
        proptest::option::of(0i64..500),
        recurrence,
    )
        .prop_filter_map(
            "valid date",
            |((y, mo, d, h, mi), interval, end, recurrence)| {
                let start = NaiveDate::from_ymd_opt(y, mo, d)?.and_hms_opt(h, mi, 0)?;
                Some(Window {
                    name: "p".into(),
                    start,
                    interval_minutes: Some(interval),
                    end: end.map(|days| start.date() + TimeDelta::days(days)),
                    recurrence,
                })
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn window_agrees_with_brute_force(w in arb_window(),
                                      offsets in proptest::collection::vec(-3000i64..1_200_000, 6),
                                      seconds in 0u32..60) {
        for offset in offsets {
            let now = w.start + TimeDelta::minutes(offset) + TimeDelta::seconds(i64::from(seconds));
            prop_assert_eq!(w.is_open_at(now), brute_open(&w, now), "now {}", now);
            if let Some((s, Some(e))) = w.occurrence_at(now) {
                prop_assert!(is_start(&w, s) && s <= now && now < e);
            }
        }
    }

    #[test]
    fn next_open_is_the_first_later_start(w in arb_window(), offset in -3000i64..600_000) {
        let now = w.start + TimeDelta::minutes(offset);
        let next = w.next_open_after(now);
        if let Some(next) = next {
            prop_assert!(next > now && is_start(&w, next), "next {}", next);
        }
        // No start is skipped in the following three days.
        let first = (1..=3 * 1440)
            .map(|k| now + TimeDelta::minutes(k))
            .find(|m| is_start(&w, *m));
        if let Some(first) = first {
            prop_assert_eq!(next, Some(first));
        }
    }
}
