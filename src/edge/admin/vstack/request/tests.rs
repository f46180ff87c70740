//! Unit tests of the action parser: selectors, reload times, paths and queries.

#![allow(clippy::unwrap_used)]

use super::*;

const MAC_A: [u8; 6] = [0x00, 0x11, 0x22, 0x33, 0x44, 0x55];
const MAC_B: [u8; 6] = [0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff];

#[test]
fn parses_every_selector_kind() {
    assert_eq!(parse_selector("all"), Ok(Selector::All));
    assert_eq!(
        parse_selector("index:5,1,3"),
        Ok(Selector::Indices(vec![1, 3, 5]))
    );
    assert_eq!(
        parse_selector("mac:aa:bb:cc:dd:ee:ff,0011.2233.4455,00-11-22-33-44-55"),
        Ok(Selector::Macs(vec![MAC_A, MAC_B]))
    );
    assert_eq!(
        parse_selector("group:access floor 2"),
        Ok(Selector::Group("access floor 2".into()))
    );
}

#[test]
fn expands_index_ranges_and_drops_duplicates() {
    assert_eq!(
        parse_selector("index:3-5,4,1"),
        Ok(Selector::Indices(vec![1, 3, 4, 5]))
    );
}

#[test]
fn refuses_empty_lists_and_entries() {
    for text in ["index:", "index:1,,2", "mac:", "mac:0011.2233.4455,"] {
        assert!(
            matches!(parse_selector(text), Err(RequestError::EmptyEntry { .. })),
            "{text}"
        );
    }
    assert_eq!(parse_selector("group:"), Err(RequestError::EmptyGroup));
}

#[test]
fn refuses_bad_indices_and_macs() {
    for text in [
        "index:0",
        "index:x",
        "index:5-3",
        "index:-2",
        "index:1-2-3",
        "index:4294967296",
    ] {
        assert!(
            matches!(parse_selector(text), Err(RequestError::BadIndex { .. })),
            "{text}"
        );
    }
    assert!(matches!(
        parse_selector("mac:0011.2233"),
        Err(RequestError::BadMac { .. })
    ));
}

#[test]
fn refuses_unknown_selectors() {
    for text in ["", "All", "idx:1", "serial:FOC1"] {
        assert!(
            matches!(
                parse_selector(text),
                Err(RequestError::UnknownSelector { .. })
            ),
            "{text}"
        );
    }
}

#[test]
fn bounds_the_number_of_clients() {
    let at_limit = format!("index:1-{MAX_SELECTOR_ENTRIES}");
    assert!(parse_selector(&at_limit).is_ok());
    let over = format!("index:1-{}", MAX_SELECTOR_ENTRIES + 1);
    assert_eq!(
        parse_selector(&over),
        Err(RequestError::TooManyEntries {
            limit: MAX_SELECTOR_ENTRIES
        })
    );
    assert!(matches!(
        parse_selector("index:1-4294967295"),
        Err(RequestError::TooManyEntries { .. })
    ));
    let macs: Vec<String> = (0..=MAX_SELECTOR_ENTRIES)
        .map(|i| Mac([0, 0, 0, 0, (i >> 8) as u8, i as u8]).to_string())
        .collect();
    assert!(matches!(
        parse_selector(&format!("mac:{}", macs.join(","))),
        Err(RequestError::TooManyEntries { .. })
    ));
}

#[test]
fn selector_segments_round_trip() {
    for selector in [
        Selector::All,
        Selector::Indices(vec![1, 7]),
        Selector::Macs(vec![MAC_A, MAC_B]),
        Selector::Group("sales/2 ü%".into()),
    ] {
        let segment = selector_segment(&selector);
        assert!(
            !segment.contains('/') && !segment.contains(' '),
            "{segment}"
        );
        assert_eq!(parse_selector_segment(&segment), Ok(selector));
    }
}

#[test]
fn refuses_malformed_percent_encoding() {
    for text in ["group:%", "group:%4", "group:%zz", "group:%ff"] {
        assert!(
            matches!(percent_decode(text), Err(RequestError::BadEncoding { .. })),
            "{text}"
        );
    }
}

#[test]
fn parses_reload_times() {
    assert_eq!(parse_reload("now"), Ok(Reload::Now));
    assert_eq!(
        parse_reload("23:59"),
        Ok(Reload::At {
            hour: 23,
            minute: 59
        })
    );
    assert_eq!(parse_reload("7:05"), Ok(Reload::At { hour: 7, minute: 5 }));
    assert_eq!(
        parse_reload("24:00"),
        Err(RequestError::BadHour { hour: 24 })
    );
    assert_eq!(
        parse_reload("12:60"),
        Err(RequestError::BadMinute { minute: 60 })
    );
    for text in [
        "", "later", "12", "12:5", "123:00", "+1:00", "12:00:00", " 1:00",
    ] {
        assert!(
            matches!(parse_reload(text), Err(RequestError::BadReload { .. })),
            "{text}"
        );
    }
    assert_eq!(reload_text(Reload::At { hour: 7, minute: 5 }), "07:05");
}

#[test]
fn parses_window_and_on_hold_actions() {
    let p = |path: &str| parse(path, None).unwrap();
    assert_eq!(
        p("/vstack/join-window/open"),
        Ok(Action::Window(Some(ManualWindow::Open)))
    );
    assert_eq!(
        p("/vstack/join-window/close"),
        Ok(Action::Window(Some(ManualWindow::Closed)))
    );
    assert_eq!(p("/vstack/join-window/schedule"), Ok(Action::Window(None)));
    assert_eq!(p("/vstack/on-hold-clients/remove"), Ok(Action::ApproveHeld));
    assert!(matches!(
        p("/vstack/join-window/ajar"),
        Err(RequestError::UnknownWord { .. })
    ));
    assert!(matches!(
        p("/vstack/on-hold-clients/add"),
        Err(RequestError::UnknownWord { .. })
    ));
}

#[test]
fn parses_client_actions() {
    let p = |path: &str, query| parse(path, query).unwrap();
    assert_eq!(
        p("/vstack/clients/index:1,3/join-window/held", None),
        Ok(Action::SetJoin {
            selector: Selector::Indices(vec![1, 3]),
            state: Some(ClientOverride::Held)
        })
    );
    assert_eq!(
        p("/vstack/clients/all/join-window/clear", None),
        Ok(Action::SetJoin {
            selector: Selector::All,
            state: None
        })
    );
    assert_eq!(
        p("/vstack/clients/group:lab/backup", None),
        Ok(Action::Backup {
            selector: Selector::Group("lab".into())
        })
    );
    assert_eq!(
        p(
            "/vstack/clients/mac:0011.2233.4455/update/image-and-config",
            None
        ),
        Ok(Action::Update {
            selector: Selector::Macs(vec![MAC_A]),
            kind: UpdateKind::ImageAndConfig,
            reload: Reload::Now
        })
    );
    assert_eq!(
        p("/vstack/clients/all/update/image", Some("reload=02%3A30")),
        Ok(Action::Update {
            selector: Selector::All,
            kind: UpdateKind::Image,
            reload: Reload::At {
                hour: 2,
                minute: 30
            }
        })
    );
}

#[test]
fn refuses_bad_client_actions() {
    let p = |path: &str, query| parse(path, query).unwrap();
    assert!(matches!(
        p("/vstack/clients/all/update/firmware", None),
        Err(RequestError::UnknownWord { .. })
    ));
    assert!(matches!(
        p("/vstack/clients/all/join-window/maybe", None),
        Err(RequestError::UnknownWord { .. })
    ));
    assert!(matches!(
        p("/vstack/clients/all/update/config", Some("reload=25:00")),
        Err(RequestError::BadHour { hour: 25 })
    ));
    assert!(matches!(
        p("/vstack/clients/all/update/config", Some("when=now")),
        Err(RequestError::UnexpectedQuery { .. })
    ));
    assert!(matches!(
        p("/vstack/clients/all/backup", Some("reload=now")),
        Err(RequestError::UnexpectedQuery { .. })
    ));
    assert!(matches!(
        p("/vstack/clients/index:0/backup", None),
        Err(RequestError::BadIndex { .. })
    ));
}

#[test]
fn other_paths_are_not_actions() {
    for path in [
        "/vstack/clients",
        "/vstack/clients/all",
        "/vstack/clients/all/reboot",
        "/vstack/clients/all/backup/now/later",
        "/vstack/join-window",
        "/vstack/join-window/open/now",
        "/pnp/devices",
        "/health",
    ] {
        assert_eq!(parse(path, None), None, "{path}");
    }
}

#[test]
fn clips_echoed_input() {
    let long = format!("index:{}", "9".repeat(1000));
    let Err(RequestError::BadIndex { entry }) = parse_selector(&long) else {
        panic!("not a bad index");
    };
    assert_eq!(entry.len(), MAX_ECHO_CHARS);
}
