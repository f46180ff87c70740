//! Tests of the `[join_window]` schema.

use super::*;

use chrono::{NaiveDate, NaiveDateTime};

use crate::config::join_window::parse_mac;
use crate::policy::join::{ClientOverride, JoinMode, Mac, ManualWindow};
use crate::policy::schedule::Recurrence;

fn window(body: &str) -> String {
    format!("name = \"x\"\n[[join_window.windows]]\nname = \"w\"\n{body}")
}

fn at(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
}

const KEY: &str = "join_window.windows[0]";

#[test]
fn defaults_are_auto_mode_with_pnp_gated() {
    let p = valid("name = \"x\"\n[join_window]\n");
    assert_eq!(p.join_window.mode, JoinMode::Auto);
    assert_eq!(p.join_window.manual, None);
    assert!(p.join_window.gate_pnp);
    let p = valid(
        "name = \"x\"\n[join_window]\nmode = \"manual\"\nmanual = \"closed\"\ngate_pnp = false\n",
    );
    assert_eq!(p.join_window.mode, JoinMode::Manual);
    assert_eq!(p.join_window.manual, Some(ManualWindow::Closed));
    assert!(!p.join_window.gate_pnp);
}

#[test]
fn parses_a_complete_window() {
    let p = valid(&window(
        "start = 2026-01-03T02:00:00Z\ninterval = \"04:00\"\nend = 2026-12-31\nrecurrence = \"weekly\"\n",
    ));
    let w = &p.join_window.windows[0];
    assert_eq!(w.name, "w");
    assert_eq!(w.start, at("2026-01-03 02:00"));
    assert_eq!(w.interval_minutes, Some(240));
    assert_eq!(w.end, NaiveDate::from_ymd_opt(2026, 12, 31));
    assert_eq!(w.recurrence, Recurrence::Weekly);
}

#[test]
fn accepts_utc_start_in_every_form() {
    for start in [
        "2026-01-03T02:00:00Z",
        "2026-01-03T02:00:00",
        "2026-01-03 02:00:00+00:00",
        "\"2026-01-03T02:00:00Z\"",
        "\"2026-01-03T02:00:00+00:00\"",
    ] {
        let p = valid(&window(&format!("start = {start}\n")));
        let w = &p.join_window.windows[0];
        assert_eq!(w.start, at("2026-01-03 02:00"), "{start}");
        assert_eq!(w.recurrence, Recurrence::Once);
        assert_eq!(w.interval_minutes, None);
    }
}

#[test]
fn rejects_non_utc_or_incomplete_start() {
    let key = format!("{KEY}.start");
    assert_invalid(&window("start = 2026-01-03T02:00:00+01:00\n"), &key, "UTC");
    assert_invalid(
        &window("start = \"2026-01-03T02:00:00-05:00\"\n"),
        &key,
        "UTC",
    );
    assert_invalid(&window("start = 2026-01-03\n"), &key, "date and a time");
    assert_invalid(&window("start = 02:00:00\n"), &key, "date and a time");
    assert_invalid(&window("start = \"next saturday\"\n"), &key, "RFC 3339");
    let e = only_error(&window("start = 5\n"));
    assert_eq!(
        e.kind,
        ConfigErrorKind::WrongType {
            expected: "a date-time"
        }
    );
    let e = only_error(&window("interval = \"1h\"\n"));
    assert_eq!(
        (e.key.as_str(), e.line),
        ("join_window.windows[0].start", 2)
    );
    assert_eq!(e.kind, ConfigErrorKind::MissingKey);
}

#[test]
fn parses_intervals_as_hh_mm_or_durations() {
    for (interval, minutes) in [
        ("\"04:00\"", 240),
        ("\"90m\"", 90),
        ("\"1h30m\"", 90),
        ("\"0:01\"", 1),
    ] {
        let p = valid(&window(&format!(
            "start = 2026-01-01T00:00:00Z\ninterval = {interval}\n"
        )));
        assert_eq!(
            p.join_window.windows[0].interval_minutes,
            Some(minutes),
            "{interval}"
        );
    }
    let p = valid(&window(
        "start = 2026-01-01T00:00:00Z\ninterval = \"366d\"\n",
    ));
    assert_eq!(p.join_window.windows[0].interval_minutes, Some(366 * 1440));
}

#[test]
fn rejects_intervals_out_of_bounds() {
    let key = format!("{KEY}.interval");
    let check = |interval: &str, needle: &str| {
        let text = window(&format!(
            "start = 2026-01-01T00:00:00Z\ninterval = \"{interval}\"\n"
        ));
        assert_invalid(&text, &key, needle);
    };
    check("0m", "at least one minute");
    check("00:00", "at least one minute");
    check("90s", "whole number of minutes");
    check("1m500ms", "whole number of minutes");
    check("367d", "at most 366 days");
    check("8785:00", "at most 366 days");
    check("04:75", "below 60");
    check("soon", "not a duration");
}

#[test]
fn recurring_windows_need_an_interval_shorter_than_their_period() {
    let key = format!("{KEY}.interval");
    let e = only_error(&window(
        "start = 2026-01-01T00:00:00Z\nrecurrence = \"daily\"\n",
    ));
    assert_eq!(
        (e.key.as_str(), e.kind),
        (key.as_str(), ConfigErrorKind::MissingKey)
    );
    for (recurrence, too_long, fits) in [
        ("daily", "24h", "23h59m"),
        ("weekly", "7d", "6d"),
        ("monthly", "28d", "27d"),
    ] {
        let base = format!("start = 2026-01-01T00:00:00Z\nrecurrence = \"{recurrence}\"\n");
        assert_invalid(
            &window(&format!("{base}interval = \"{too_long}\"\n")),
            &key,
            "shorter than the recurrence period",
        );
        valid(&window(&format!("{base}interval = \"{fits}\"\n")));
    }
}

#[test]
fn cron_is_required_with_cron_recurrence_and_refused_otherwise() {
    let base = "start = 2026-01-01T00:00:00Z\ninterval = \"1h\"\n";
    let p = valid(&window(&format!(
        "{base}recurrence = \"cron\"\ncron = \"0 2 * * sat\"\n"
    )));
    match &p.join_window.windows[0].recurrence {
        Recurrence::Cron(c) => {
            assert_eq!(c.source, "0 2 * * sat");
            assert_eq!(c.days_of_week, 1 << 6);
        }
        other => panic!("unexpected recurrence {other:?}"),
    }
    let e = only_error(&window(&format!("{base}recurrence = \"cron\"\n")));
    assert_eq!(
        (e.key.as_str(), e.kind),
        ("join_window.windows[0].cron", ConfigErrorKind::MissingKey)
    );
    assert_invalid(
        &window(&format!(
            "{base}recurrence = \"daily\"\ncron = \"0 2 * * *\"\n"
        )),
        &format!("{KEY}.cron"),
        "only allowed with recurrence = \"cron\"",
    );
    assert_invalid(
        &window(&format!("{base}cron = \"0 2 * * *\"\n")),
        &format!("{KEY}.cron"),
        "only allowed",
    );
    assert_invalid(
        &window(&format!(
            "{base}recurrence = \"cron\"\ncron = \"0 25 * * *\"\n"
        )),
        &format!("{KEY}.cron"),
        "hour: 25 is out of range 0-23",
    );
    assert_invalid(
        &window(&format!("{base}recurrence = \"yearly\"\n")),
        &format!("{KEY}.recurrence"),
        "unknown value `yearly`",
    );
}

#[test]
fn validates_end_dates() {
    let base = "start = 2026-03-01T10:00:00Z\n";
    let p = valid(&window(&format!("{base}end = \"2026-03-01\"\n")));
    assert_eq!(
        p.join_window.windows[0].end,
        NaiveDate::from_ymd_opt(2026, 3, 1)
    );
    let key = format!("{KEY}.end");
    assert_invalid(
        &window(&format!("{base}end = 2026-02-28\n")),
        &key,
        "before the start date",
    );
    assert_invalid(
        &window(&format!("{base}end = \"31.12.2026\"\n")),
        &key,
        "YYYY-MM-DD",
    );
    assert_invalid(
        &window(&format!("{base}end = 2026-12-31T00:00:00Z\n")),
        &key,
        "without time",
    );
}

#[test]
fn rejects_duplicate_window_names() {
    let one = "[[join_window.windows]]\nname = \"w\"\nstart = 2026-01-01T00:00:00Z\n";
    let e = only_error(&format!("name = \"x\"\n{one}{one}"));
    assert_eq!((e.line, e.key.as_str()), (6, "join_window.windows[1].name"));
}

#[test]
fn parses_client_macs_in_every_notation() {
    let mac = Mac([0x00, 0x11, 0x22, 0xaa, 0xbb, 0xcc]);
    for s in ["00:11:22:aa:bb:cc", "00-11-22-AA-BB-CC", "0011.22aa.bbcc"] {
        assert_eq!(parse_mac(s), Ok(mac), "{s}");
    }
    for s in [
        "0011.22aa.bbc",
        "00:11:22:aa:bb",
        "00:11:22-aa:bb:cc",
        "0011:22aa:bbcc:",
        "zz:11:22:aa:bb:cc",
        "",
    ] {
        assert!(parse_mac(s).is_err(), "{s}");
    }
    let p = valid(
        "name = \"x\"\n[[join_window.clients]]\nmac = \"0011.22aa.bbcc\"\nstate = \"held\"\n",
    );
    assert_eq!(p.join_window.clients[0].mac, mac);
    assert_eq!(p.join_window.clients[0].state, ClientOverride::Held);
}

#[test]
fn rejects_bad_and_duplicate_clients() {
    let text = r#"name = "x"
[[join_window.clients]]
mac = "00:11:22:33:44:55"
state = "allowed"
[[join_window.clients]]
mac = "0011.2233.4455"
state = "held"
[[join_window.clients]]
mac = "nope"
state = "maybe"
[[join_window.clients]]
mac = "00:11:22:33:44:66"
"#;
    let e = errors(text);
    let summary: Vec<_> = e.iter().map(|e| (e.line, e.key.as_str())).collect();
    assert_eq!(
        summary,
        vec![
            (6, "join_window.clients[1].mac"),
            (9, "join_window.clients[2].mac"),
            (10, "join_window.clients[2].state"),
            (11, "join_window.clients[3].state"),
        ]
    );
    assert_eq!(
        e[0].kind,
        ConfigErrorKind::Invalid("duplicate client MAC address".into())
    );
    assert_eq!(e[3].kind, ConfigErrorKind::MissingKey);
}
