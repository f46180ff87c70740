//! Rule matching: each test kind on each field type, absent fields, unverified severities, and
//! the rule set's index by event kind.

use super::matcher::Literal;
use super::*;

fn message() -> Event {
    Event::new(EventKind::SmartInstallMessage)
        .with("type", 3u32)
        .with("kind", "config_push")
        .with("source", "non_director")
        .with("urls", vec!["tftp://192.0.2.1/Router.conf".to_owned()])
        .with("commands", Vec::<String>::new())
        .with("payload", Value::Bytes(b"\x00\x00\x00\x01AAAAB".to_vec()))
}

fn cond(field: &'static str, test: Test) -> Condition {
    Condition { field, test }
}

#[test]
fn equality_any_of_and_negation() {
    let e = message();
    assert!(cond("type", Test::Equals(Literal::Int(3))).holds(&e));
    assert!(!cond("type", Test::Equals(Literal::Int(2))).holds(&e));
    let roles = Test::AnyOf(vec![
        Literal::Text("non_director".into()),
        Literal::Text("unknown".into()),
    ]);
    assert!(cond("source", roles.clone()).holds(&e));
    let director = e.with("source", "director");
    assert!(!cond("source", roles.clone()).holds(&director));
    assert!(cond("source", Test::Not(Box::new(roles))).holds(&director));
}

#[test]
fn text_tests_are_case_insensitive_and_apply_to_any_list_element() {
    let e = message();
    assert!(cond("urls", Test::Contains("ROUTER.CONF".into())).holds(&e));
    assert!(cond("urls", Test::Prefix("TFTP://".into())).holds(&e));
    assert!(!cond("urls", Test::Prefix("http://".into())).holds(&e));
    assert!(
        cond(
            "urls",
            Test::Equals(Literal::Text("tftp://192.0.2.1/Router.conf".into()))
        )
        .holds(&e)
    );
    assert!(cond("commands", Test::Empty(true)).holds(&e));
    assert!(!cond("urls", Test::Empty(true)).holds(&e));
}

#[test]
fn bytes_at_an_offset_never_read_past_the_field() {
    let e = message();
    let at = |offset, bytes: &[u8]| Test::BytesAt {
        offset,
        bytes: bytes.to_vec(),
    };
    assert!(cond("payload", at(4, b"AAAA")).holds(&e));
    assert!(cond("payload", at(8, b"B")).holds(&e));
    assert!(!cond("payload", at(8, b"BB")).holds(&e));
    assert!(!cond("payload", at(usize::MAX, b"A")).holds(&e));
}

#[test]
fn an_absent_field_fails_every_test_but_not() {
    let e = Event::new(EventKind::SmartInstallMessage);
    assert!(!cond("type", Test::Equals(Literal::Int(3))).holds(&e));
    assert!(!cond("urls", Test::Empty(true)).holds(&e));
    assert!(cond("type", Test::Not(Box::new(Test::Equals(Literal::Int(3))))).holds(&e));
}

#[test]
fn tests_are_checked_against_field_types() {
    assert!(Test::Gt(1).check(FieldType::Int).is_ok());
    assert!(Test::Gt(1).check(FieldType::Text).is_err());
    assert!(
        Test::Equals(Literal::Text("x".into()))
            .check(FieldType::Int)
            .is_err()
    );
    assert!(
        Test::Equals(Literal::Text("x".into()))
            .check(FieldType::TextList)
            .is_ok()
    );
    assert!(Test::Empty(true).check(FieldType::Text).is_err());
    assert!(Test::AnyOf(vec![]).check(FieldType::Int).is_err());
    let bytes = Test::BytesAt {
        offset: 0,
        bytes: vec![1],
    };
    assert!(bytes.check(FieldType::Bytes).is_ok());
    assert!(bytes.check(FieldType::Text).is_err());
    assert!(
        Test::Not(Box::new(Test::Gt(1)))
            .check(FieldType::Bool)
            .is_err()
    );
}

fn rule(id: &str, kind: EventKind, conditions: Vec<Condition>) -> Rule {
    Rule {
        id: id.into(),
        title: id.into(),
        severity: Severity::High,
        unverified_severity: Some(Severity::Low),
        description: String::new(),
        references: vec!["ref".into()],
        event: kind,
        conditions,
        source: "test.toml".into(),
    }
}

#[test]
fn a_rule_set_indexes_by_kind_and_refuses_duplicate_ids() {
    let push = rule(
        "push",
        EventKind::SmartInstallMessage,
        vec![cond(
            "kind",
            Test::Equals(Literal::Text("config_push".into())),
        )],
    );
    let tftp = rule("tftp", EventKind::TftpRequest, vec![]);
    let set = RuleSet::new(vec![push.clone(), tftp]).unwrap();
    let e = message();
    let ids: Vec<&str> = set.matching(&e).map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["push"]);
    let tftp_event = Event::new(EventKind::TftpRequest);
    let ids: Vec<&str> = set.matching(&tftp_event).map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["tftp"]);
    let dup = RuleSet::new(vec![push.clone(), push]).unwrap_err();
    assert!(matches!(dup, RuleSetError::DuplicateId { .. }));
    assert_eq!(RuleSet::new(vec![]).unwrap_err(), RuleSetError::Empty);
}

#[test]
fn unverified_events_get_the_lower_severity() {
    let roles = Test::AnyOf(vec![
        Literal::Text("non_director".into()),
        Literal::Text("unknown".into()),
    ]);
    let r = rule(
        "push",
        EventKind::SmartInstallMessage,
        vec![cond("source", roles)],
    );
    let e = message();
    assert_eq!(r.severity_for(&e), Severity::High);
    let e = e.with("source", "unknown");
    assert!(r.matches(&e));
    assert_eq!(r.severity_for(&e), Severity::Low);
    let mut fixed = r;
    fixed.unverified_severity = None;
    assert_eq!(fixed.severity_for(&e), Severity::High);
}

#[test]
fn severities_order_and_parse() {
    assert!(Severity::Info < Severity::Low && Severity::High < Severity::Critical);
    assert_eq!("medium".parse::<Severity>().unwrap(), Severity::Medium);
    assert!("severe".parse::<Severity>().is_err());
    for s in Severity::ALL {
        assert_eq!(s.as_str().parse::<Severity>().unwrap(), s);
    }
}

#[test]
fn every_kind_has_the_common_fields_and_unique_names() {
    for kind in EventKind::ALL {
        assert_eq!(EventKind::parse(kind.as_str()), Some(kind));
        assert!(kind.field("src").is_some() && kind.field("dst_port").is_some());
        let names: Vec<&str> = kind.fields().map(|(n, _)| n).collect();
        let mut unique = names.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), names.len(), "{kind}");
    }
}
