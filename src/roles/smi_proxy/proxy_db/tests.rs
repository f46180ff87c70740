use super::*;

const MAC: [u8; 6] = [0x00, 0x1e, 0xf7, 0x6d, 0xaf, 0x80];
const OTHER: [u8; 6] = [0x00, 0x1d, 0x71, 0xba, 0xf7, 0x80];

fn now() -> DateTime<Utc> {
    DateTime::UNIX_EPOCH + chrono::Duration::days(20_000)
}

fn udi(sn: &str) -> Udi {
    Udi::parse(&format!("PID:WS-C3750E-48TD,VID:V01,SN:{sn}")).unwrap()
}

/// The reference's client: `001e.f76d.af80`, 5.1.1.4, `Switch`, Active.
fn reference_entry(state: EntryState) -> ProxyEntry {
    let mut e = ProxyEntry::new(MAC, now());
    e.udi = Some(udi("FDO1152V10R"));
    e.ip = Some("5.1.1.4".parse().unwrap());
    e.hostname = Some("Switch".into());
    e.state = state;
    e
}

#[test]
fn short_view_matches_the_reference_lines() {
    let text = render_proxy_db(true, &[reference_entry(EntryState::NoState)], false);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[..5],
        [
            "Smi PnP Proxy:      ENABLED",
            "",
            "Proxy Database:",
            "MAC ADDR           UDI                               State",
            "-----",
        ]
    );
    assert_eq!(
        lines[5],
        "001e.f76d.af80    PID:WS-C3750E-48TD,VID:V01,SN:FDO1152V10R    NO STATE"
    );
    assert!(text.contains(&render_proxy_health(&[reference_entry(
        EntryState::NoState
    )])));
}

#[test]
fn health_view_matches_the_reference_lines() {
    let text = render_proxy_health(&[reference_entry(EntryState::Hello)]);
    assert_eq!(
        text,
        "Status: Health_status\n\
         Health_status: A - Active I - Inactive\n\
         Proxy Database:\n\
         MAC ADDR           IP_addr           Hostname           Status\n\
         -----\n\
         001e.f76d.af80    5.1.1.4           Switch             A\n"
    );
}

#[test]
fn detail_view_matches_the_reference_block() {
    let text = render_proxy_db(true, &[reference_entry(EntryState::Hello)], true);
    assert_eq!(
        text,
        "Smi PnP Proxy:      ENABLED\n\
         -----\n\
         Device ID          : Switch\n\
         MAC Address       : 001e.f76d.af80\n\
         IP Addr           : 5.1.1.4\n\
         UDI               : PID:WS-C3750E-48TD,VID:V01,SN:FDO1152V10R\n\
         state             : HELLO\n\
         status            : A\n"
    );
}

#[test]
fn unknown_values_print_placeholders_and_disabled_mode_still_lists() {
    let mut e = ProxyEntry::new(OTHER, now());
    e.health = Health::Inactive;
    let text = render_proxy_db(false, &[e], false);
    assert!(text.starts_with("Smi PnP Proxy:      DISABLED\n"), "{text}");
    assert!(
        text.contains(
            "\n001d.71ba.f780    -                                            NO STATE\n"
        ),
        "{text}"
    );
    assert!(
        text.contains("\n001d.71ba.f780    -                 Switch             I\n"),
        "{text}"
    );
}

#[test]
fn state_labels_are_the_reference_words() {
    assert_eq!(EntryState::NoState.label(), "NO STATE");
    assert_eq!(EntryState::Hello.label(), "HELLO");
    assert_eq!(EntryState::Working.label(), "WORKING");
}

#[test]
fn lookups_go_both_ways_between_mac_and_udi() {
    let mut db = ProxyDb::default();
    db.learn_udi(MAC, udi("A1"), now()).unwrap();
    db.observe(OTHER, now()).unwrap();
    assert_eq!(db.mac_for_udi(&udi("A1")), Some(MAC));
    assert_eq!(db.udi_for_mac(&MAC), Some(&udi("A1")));
    assert_eq!(db.udi_for_mac(&OTHER), None);
    assert_eq!(db.mac_for_udi(&udi("B2")), None);
    let macs: Vec<[u8; 6]> = db.entries().map(|e| e.mac).collect();
    assert_eq!(macs, [OTHER, MAC]);
}

#[test]
fn observing_a_known_client_changes_nothing_but_last_seen() {
    let mut db = ProxyDb::default();
    db.learn_udi(MAC, udi("A1"), now()).unwrap();
    db.set_state(&MAC, EntryState::Hello, now()).unwrap();
    let later = now() + chrono::Duration::minutes(5);
    let e = db.observe(MAC, later).unwrap().clone();
    assert_eq!(
        (e.state, e.first_seen, e.last_seen),
        (EntryState::Hello, now(), later)
    );
    assert_eq!(e.udi, Some(udi("A1")));
}

#[test]
fn a_udi_held_by_another_client_is_refused() {
    let mut db = ProxyDb::default();
    db.learn_udi(MAC, udi("A1"), now()).unwrap();
    let err = db.learn_udi(OTHER, udi("A1"), now()).unwrap_err();
    assert_eq!(
        err,
        ProxyDbError::UdiTaken {
            udi: "PID:WS-C3750E-48TD,VID:V01,SN:A1".into(),
            owner: "001e.f76d.af80".into(),
            mac: "001d.71ba.f780".into(),
        }
    );
    assert_eq!(db.mac_for_udi(&udi("A1")), Some(MAC));
    assert!(db.get(&OTHER).is_none());
}

#[test]
fn a_new_udi_on_a_client_replaces_the_old_and_restarts_the_conversation() {
    let mut db = ProxyDb::default();
    db.learn_udi(MAC, udi("A1"), now()).unwrap();
    db.set_state(&MAC, EntryState::Working, now()).unwrap();
    let e = db.learn_udi(MAC, udi("B2"), now()).unwrap().clone();
    assert_eq!((e.udi, e.state), (Some(udi("B2")), EntryState::NoState));
    assert_eq!(db.mac_for_udi(&udi("A1")), None);
    assert_eq!(db.mac_for_udi(&udi("B2")), Some(MAC));
    assert_eq!(db.len(), 1);
}

#[test]
fn updates_never_remove_entries_and_unknown_clients_are_errors() {
    let mut db = ProxyDb::new(vec![reference_entry(EntryState::Hello)]);
    db.set_address(
        OTHER,
        Some("5.1.1.5".parse().unwrap()),
        Some("sw\u{7}2"),
        now(),
    )
    .unwrap();
    db.set_health(&MAC, Health::Inactive).unwrap();
    db.set_address(OTHER, None, Some("  "), now()).unwrap();
    assert_eq!(db.len(), 2);
    assert_eq!(db.get(&OTHER).unwrap().hostname.as_deref(), Some("sw2"));
    assert_eq!(db.get(&MAC).unwrap().health, Health::Inactive);
    let stranger = [2, 0, 0, 0, 0, 1];
    assert_eq!(
        db.set_state(&stranger, EntryState::Hello, now()),
        Err(ProxyDbError::Unknown {
            mac: "0200.0000.0001".into()
        })
    );
    assert_eq!(db.len(), 2);
}

#[test]
fn hostnames_are_bounded() {
    let mut db = ProxyDb::default();
    let long = "h".repeat(MAX_TEXT_CHARS * 2);
    let e = db.set_address(MAC, None, Some(&long), now()).unwrap();
    assert_eq!(
        e.hostname.as_ref().map(|h| h.chars().count()),
        Some(MAX_TEXT_CHARS)
    );
}

#[test]
fn a_full_database_refuses_new_clients_but_serves_known_ones() {
    let entries = (0..MAX_PROXY_ENTRIES)
        .map(|i| {
            let [.., a, b, c, d] = u64::try_from(i).unwrap().to_be_bytes();
            ProxyEntry::new([0x02, 0, a, b, c, d], now())
        })
        .collect();
    let mut db = ProxyDb::new(entries);
    assert!(matches!(
        db.observe(MAC, now()),
        Err(ProxyDbError::Full {
            max: MAX_PROXY_ENTRIES,
            ..
        })
    ));
    assert!(db.observe([0x02, 0, 0, 0, 0, 7], now()).is_ok());
    assert_eq!(db.len(), MAX_PROXY_ENTRIES);
}

#[test]
fn restored_entries_rebuild_the_udi_index() {
    let db = ProxyDb::new(vec![reference_entry(EntryState::Hello)]);
    assert_eq!(db.mac_for_udi(&udi("FDO1152V10R")), Some(MAC));
}

#[test]
fn entries_round_trip_through_json_with_the_udi_as_text() {
    let e = reference_entry(EntryState::Backoff);
    let json = serde_json::to_value(&e).unwrap();
    assert_eq!(json["udi"], "PID:WS-C3750E-48TD,VID:V01,SN:FDO1152V10R");
    assert_eq!(json["state"], "backoff");
    assert_eq!(serde_json::from_value::<ProxyEntry>(json).unwrap(), e);
    let mut bad = serde_json::to_value(&e).unwrap();
    bad["udi"] = "VID:V01".into();
    assert!(serde_json::from_value::<ProxyEntry>(bad).is_err());
}
