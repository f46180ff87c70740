use std::time::Duration;

use super::*;
use crate::roles::dhcp_server::{IgnoreReason, RefuseReason};

fn config() -> DhcpConfig {
    DhcpConfig {
        mode: DhcpMode::Relay(RelayConfig {
            agent_ip: Ipv4Addr::new(10, 1, 0, 1),
            server: Ipv4Addr::new(10, 2, 0, 2),
        }),
        interface: "eth1".into(),
        address: Ipv4Addr::new(10, 1, 0, 1),
        smart_install: Default::default(),
        pnp_server: None,
        server_port: 67,
        client_port: 68,
    }
}

fn verdict() -> Verdict {
    Verdict {
        decision: ClientDecision::default(),
        rule: "window-closed".into(),
        reason: "outside every window".into(),
        hold: false,
    }
}

#[test]
fn grants_and_refusals_are_audited_with_the_join_rule() {
    let mac = Mac([0, 1, 2, 3, 4, 5]);
    let granted = Event::Granted {
        mac,
        ip: Ipv4Addr::new(10, 1, 0, 9),
        smart_install: false,
    };
    let entry = audit_entry(&granted, &verdict(), &config()).unwrap();
    assert_eq!(
        (entry.area.as_str(), entry.verdict.as_str()),
        ("dhcp", "grant")
    );
    assert_eq!(entry.rule, "dhcp-relay");
    assert_eq!(entry.actor, "client 00:01:02:03:04:05");
    assert_eq!(entry.detail["ip"], "10.1.0.9");
    assert_eq!(entry.detail["smart_install"], false);
    assert_eq!(entry.detail["join_rule"], "window-closed");
    let refused = Event::Refused {
        mac,
        requested: None,
        reason: RefuseReason::PoolExhausted,
    };
    let entry = audit_entry(&refused, &verdict(), &config()).unwrap();
    assert_eq!(entry.verdict, "refuse");
    assert_eq!(entry.detail["refusal"], "pool-exhausted");
}

#[test]
fn offers_and_ignored_messages_are_not_audited() {
    let mac = Mac([0; 6]);
    let offered = Event::Offered {
        mac,
        ip: Ipv4Addr::new(10, 1, 0, 9),
        smart_install: true,
    };
    assert!(audit_entry(&offered, &verdict(), &config()).is_none());
    let ignored = Event::Ignored {
        reason: IgnoreReason::NotRequest,
    };
    assert!(audit_entry(&ignored, &verdict(), &config()).is_none());
}

#[test]
fn replies_without_an_address_are_broadcast() {
    let mac = Mac([0; 6]);
    let hw = Destination::Hardware {
        ip: Ipv4Addr::new(10, 1, 0, 9),
        mac,
    };
    assert_eq!(
        target(&config(), hw),
        SocketAddrV4::new(Ipv4Addr::BROADCAST, 68)
    );
    let relay = Destination::Relay(Ipv4Addr::new(10, 3, 0, 1));
    assert_eq!(
        target(&config(), relay),
        SocketAddrV4::new(Ipv4Addr::new(10, 3, 0, 1), 67)
    );
}

#[test]
fn refusal_records_share_one_budget_and_grants_are_always_recorded() {
    let mut budget = Throttle::new(REFUSAL_BURST, REFUSALS_PER_SECOND);
    let at = Duration::from_secs(10);
    let refused = |n: u8| Event::Refused {
        mac: Mac([2, 0, 0, 0, 0, n]),
        requested: None,
        reason: RefuseReason::PoolExhausted,
    };
    let record = |event: &Event, budget: &mut Throttle<()>, at| {
        let entry = audit_entry(event, &verdict(), &config()).unwrap();
        within_budget(entry, event, budget, at)
    };
    // Forged MACs, one each: the shared budget still caps the records.
    let written = (0..200)
        .filter(|n| record(&refused(*n as u8), &mut budget, at).is_some())
        .count();
    assert_eq!(written, REFUSAL_BURST as usize);
    let granted = Event::Granted {
        mac: Mac([0; 6]),
        ip: Ipv4Addr::new(10, 1, 0, 9),
        smart_install: true,
    };
    assert!(record(&granted, &mut budget, at).is_some());
    // A second later the next refusal is recorded, counting those left out.
    let next = record(&refused(1), &mut budget, at + Duration::from_secs(1)).unwrap();
    assert_eq!(
        next.detail["suppressed_refusals"],
        200 - u64::from(REFUSAL_BURST)
    );
}
