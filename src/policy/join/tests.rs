//! Tests of join decisions: Table 1-3, the decision order, and precedence properties over random
//! schedules and instants.

use super::*;

use chrono::{NaiveDate, TimeDelta, TimeZone};
use proptest::prelude::*;

use crate::policy::schedule::Recurrence;

const MAC: Mac = Mac([0x00, 0x1b, 0x54, 0xaa, 0xbb, 0xcc]);

fn utc(s: &str) -> DateTime<Utc> {
    let naive = NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
    Utc.from_utc_datetime(&naive)
}

/// Saturdays 02:00–06:00 from 2026-01-03 on.
fn weekly() -> Window {
    Window {
        name: "saturday-night".into(),
        start: utc("2026-01-03 02:00").naive_utc(),
        interval_minutes: Some(240),
        end: None,
        recurrence: Recurrence::Weekly,
    }
}

fn policy(mode: JoinMode) -> JoinWindowPolicy {
    JoinWindowPolicy {
        mode,
        windows: vec![weekly()],
        ..JoinWindowPolicy::default()
    }
}

fn ctx() -> JoinContext {
    JoinContext {
        manual: None,
        client_override: None,
        on_hold_list: false,
        purpose: Purpose::SmartInstallJoin,
    }
}

fn device() -> JoinDevice {
    JoinDevice {
        mac: Some(MAC),
        ..JoinDevice::default()
    }
}

const OPEN: &str = "2026-01-10 03:00";
const CLOSED: &str = "2026-01-12 03:00";

#[test]
fn table_1_3_permissions() {
    use Permission::*;
    assert_eq!(JoinState::Active.permissions(), [Allowed, Allowed, Allowed]);
    assert_eq!(
        JoinState::Deny.permissions(),
        [NotAllowed, Allowed, Allowed]
    );
    assert_eq!(
        JoinState::Hold.permissions(),
        [WithOperatorApproval, Allowed, NotAllowed]
    );
    let o = JoinOutcome::new(JoinState::Hold, true, true);
    assert_eq!(
        (o.zero_touch, o.on_demand, o.backup),
        (WithOperatorApproval, Allowed, NotAllowed)
    );
}

#[test]
fn default_policy_is_always_open_auto_and_gates_pnp() {
    let p = JoinWindowPolicy::default();
    assert!(p.gate_pnp);
    let d = p.decide(&device(), &ctx(), utc(CLOSED));
    assert_eq!(d.verdict.state, JoinState::Active);
    assert_eq!(d.rule.to_string(), "join_window/window-open-auto");
    assert!(
        d.reason.contains("no join window configured"),
        "{}",
        d.reason
    );
}

#[test]
fn open_window_in_auto_mode_is_active() {
    let d = policy(JoinMode::Auto).decide(&device(), &ctx(), utc(OPEN));
    assert_eq!(d.verdict, JoinOutcome::new(JoinState::Active, true, false));
    assert!(
        d.reason
            .contains("saturday-night open until 2026-01-10 06:00"),
        "{}",
        d.reason
    );
}

#[test]
fn open_window_in_manual_mode_holds_and_lists() {
    let d = policy(JoinMode::Manual).decide(&device(), &ctx(), utc(OPEN));
    assert_eq!(d.verdict, JoinOutcome::new(JoinState::Hold, true, true));
    assert_eq!(d.rule.name, "window-open-manual");
}

#[test]
fn closed_window_denies_in_both_modes() {
    for mode in [JoinMode::Auto, JoinMode::Manual] {
        let d = policy(mode).decide(&device(), &ctx(), utc(CLOSED));
        assert_eq!(d.verdict, JoinOutcome::new(JoinState::Deny, false, false));
        assert_eq!(d.rule.name, "window-closed");
        assert!(
            d.reason
                .contains("next: saturday-night at 2026-01-17 02:00:00"),
            "{}",
            d.reason
        );
    }
}

#[test]
fn manual_close_beats_open_schedule() {
    let c = JoinContext {
        manual: Some(ManualWindow::Closed),
        ..ctx()
    };
    let d = policy(JoinMode::Auto).decide(&device(), &c, utc(OPEN));
    assert_eq!(d.verdict.state, JoinState::Deny);
    assert!(
        d.reason.contains("closed manually by the operator"),
        "{}",
        d.reason
    );
}

#[test]
fn manual_open_beats_closed_schedule() {
    let p = JoinWindowPolicy {
        manual: Some(ManualWindow::Open),
        ..policy(JoinMode::Auto)
    };
    let d = p.decide(&device(), &ctx(), utc(CLOSED));
    assert_eq!(d.verdict.state, JoinState::Active);
    assert!(
        d.reason.contains("opened manually by join_window.manual"),
        "{}",
        d.reason
    );
}

#[test]
fn runtime_manual_beats_policy_manual() {
    let p = JoinWindowPolicy {
        manual: Some(ManualWindow::Open),
        ..policy(JoinMode::Auto)
    };
    assert_eq!(
        p.window_open(utc(OPEN), Some(ManualWindow::Closed)),
        WindowStatus::Closed(ClosedCause::Manual(ManualSource::Runtime))
    );
}

#[test]
fn client_override_beats_window_state() {
    let p = JoinWindowPolicy {
        clients: vec![ClientEntry {
            mac: MAC,
            state: ClientOverride::Allowed,
        }],
        ..policy(JoinMode::Manual)
    };
    let d = p.decide(&device(), &ctx(), utc(CLOSED));
    assert_eq!(d.verdict, JoinOutcome::new(JoinState::Active, false, false));
    assert_eq!(d.rule.name, "client-override");
    assert!(d.reason.contains("by join_window.clients"));

    let held = JoinContext {
        client_override: Some(ClientOverride::Held),
        ..ctx()
    };
    let d = p.decide(&device(), &held, utc(OPEN));
    assert_eq!(d.verdict.state, JoinState::Hold);
    assert!(!d.verdict.add_to_hold_list);
    assert!(d.reason.contains("by the operator"), "{}", d.reason);
}

#[test]
fn hold_list_keeps_client_held() {
    let c = JoinContext {
        on_hold_list: true,
        ..ctx()
    };
    let d = policy(JoinMode::Auto).decide(&device(), &c, utc(OPEN));
    assert_eq!(d.verdict.state, JoinState::Hold);
    assert_eq!(d.rule.name, "hold-list");
}

#[test]
fn pnp_known_device_is_not_gated() {
    let c = JoinContext {
        purpose: Purpose::PnpOnboarding,
        ..ctx()
    };
    let known = JoinDevice {
        known: true,
        ..device()
    };
    let p = policy(JoinMode::Auto);
    let d = p.decide(&known, &c, utc(CLOSED));
    assert_eq!(d.verdict.state, JoinState::Active);
    assert_eq!(d.rule.name, "known-device");
    let d = p.decide(&device(), &c, utc(CLOSED));
    assert_eq!(d.verdict.state, JoinState::Deny);
    let ungated = JoinWindowPolicy {
        gate_pnp: false,
        ..p
    };
    let d = ungated.decide(&device(), &c, utc(CLOSED));
    assert_eq!(d.verdict.state, JoinState::Active);
    assert_eq!(d.rule.name, "pnp-not-gated");
}

#[test]
fn parses_and_prints_macs() {
    for text in ["00:1b:54:aa:bb:cc", "00-1B-54-AA-BB-CC", "001b.54aa.bbcc"] {
        assert_eq!(Mac::parse(text), Ok(MAC), "{text}");
    }
    assert_eq!(MAC.to_string(), "00:1b:54:aa:bb:cc");
    for bad in [
        "",
        "00:1b:54:aa:bb",
        "00:1b:54:aa:bb:cg",
        "001b.54aa.bbc",
        "0:1b:54:aa:bb:cc",
    ] {
        assert_eq!(Mac::parse(bad), Err(MacError), "{bad}");
    }
}

#[test]
fn serialises_outcome() {
    let json = serde_json::to_value(JoinOutcome::new(JoinState::Hold, true, true)).unwrap();
    assert_eq!(json["state"], "hold");
    assert_eq!(json["zero_touch"], "with-operator-approval");
    assert_eq!(json["backup"], "not-allowed");
}

// === properties over random schedules and instants ===

fn arb_policy() -> impl Strategy<Value = JoinWindowPolicy> {
    let window =
        (0i64..60, 0u32..1440, 1u32..3000, 0usize..4).prop_map(|(day, minute, len, rec)| {
            let start = NaiveDate::from_ymd_opt(2026, 1, 1)
                .unwrap()
                .and_hms_opt(0, 0, 0)
                .unwrap()
                + TimeDelta::days(day)
                + TimeDelta::minutes(i64::from(minute));
            Window {
                name: format!("w{day}"),
                start,
                interval_minutes: Some(len),
                end: None,
                recurrence: [
                    Recurrence::Once,
                    Recurrence::Daily,
                    Recurrence::Weekly,
                    Recurrence::Monthly,
                ][rec]
                    .clone(),
            }
        });
    let manual = proptest::option::of(prop_oneof![
        Just(ManualWindow::Open),
        Just(ManualWindow::Closed)
    ]);
    let mode = prop_oneof![Just(JoinMode::Auto), Just(JoinMode::Manual)];
    (proptest::collection::vec(window, 0..4), manual, mode).prop_map(|(windows, manual, mode)| {
        JoinWindowPolicy {
            mode,
            manual,
            windows,
            ..JoinWindowPolicy::default()
        }
    })
}

fn arb_now() -> impl Strategy<Value = DateTime<Utc>> {
    (0i64..200 * 1440).prop_map(|m| utc("2026-01-01 00:00") + TimeDelta::minutes(m))
}

proptest! {
    #[test]
    fn runtime_manual_decides_window_state(p in arb_policy(), now in arb_now(), open in any::<bool>()) {
        let manual = if open { ManualWindow::Open } else { ManualWindow::Closed };
        let status = p.window_open(now, Some(manual));
        prop_assert_eq!(status.is_open(), open);
        let c = JoinContext { manual: Some(manual), ..ctx() };
        let d = p.decide(&device(), &c, now);
        let expected = match (open, p.mode) {
            (false, _) => JoinState::Deny,
            (true, JoinMode::Auto) => JoinState::Active,
            (true, JoinMode::Manual) => JoinState::Hold,
        };
        prop_assert_eq!(d.verdict.state, expected);
    }

    #[test]
    fn policy_manual_beats_schedule(p in arb_policy(), now in arb_now()) {
        let status = p.window_open(now, None);
        match p.manual {
            Some(ManualWindow::Open) => prop_assert!(status.is_open()),
            Some(ManualWindow::Closed) => prop_assert!(!status.is_open()),
            None => {
                let scheduled = p.windows.is_empty()
                    || p.windows.iter().any(|w| w.is_open_at(now.naive_utc()));
                prop_assert_eq!(status.is_open(), scheduled);
            }
        }
    }

    #[test]
    fn client_override_beats_any_window_state(p in arb_policy(), now in arb_now(),
                                           runtime in proptest::option::of(any::<bool>()),
                                           listed in any::<bool>(), hold in any::<bool>(),
                                           pnp in any::<bool>()) {
        let to_override = |allowed: bool| if allowed { ClientOverride::Allowed } else { ClientOverride::Held };
        let mut p = p;
        if listed {
            p.clients.push(ClientEntry { mac: MAC, state: ClientOverride::Held });
        }
        let c = JoinContext {
            client_override: runtime.map(to_override),
            on_hold_list: hold,
            purpose: if pnp { Purpose::PnpOnboarding } else { Purpose::SmartInstallJoin },
            ..ctx()
        };
        let d = p.decide(&device(), &c, now);
        let expected = match (runtime, listed) {
            (Some(true), _) => Some(JoinState::Active),
            (Some(false), _) | (None, true) => Some(JoinState::Hold),
            (None, false) => None,
        };
        if let Some(state) = expected {
            prop_assert_eq!(d.verdict.state, state);
            prop_assert_eq!(d.rule.name.as_str(), "client-override");
        } else {
            prop_assert_ne!(d.rule.name.as_str(), "client-override");
        }
        prop_assert_eq!(d.verdict.window_open, p.window_open(now, None).is_open());
    }
}
