use super::*;

/// `n` chained record lines, each with its newline.
fn chain(n: u64) -> Vec<String> {
    let mut prev = GENESIS.to_owned();
    let mut lines = Vec::new();
    for seq in 1..=n {
        let detail = serde_json::json!({"n": seq, "note": "ü \"quoted\""});
        let ts = format!("2030-01-01T00:00:{:02}.000Z", seq % 60);
        let body = RecordBody {
            seq,
            ts: &ts,
            kind: EntryKind::Decision,
            area: "join_window",
            verdict: "hold",
            rule: "manual-mode",
            mode: "enforce",
            actor: "device:aa:bb:cc:dd:ee:ff",
            detail: &detail,
            prev: &prev,
        };
        let rec = encode(&body).unwrap();
        prev = sha256_hex(rec.line.as_bytes());
        lines.push(format!("{}\n", rec.line));
    }
    lines
}

fn verify(lines: &[String]) -> Result<ChainSummary, ChainError> {
    verify_lines(lines.iter().map(String::as_str))
}

fn first_bad(lines: &[String]) -> (usize, Option<u64>, ChainErrorKind) {
    let err = verify(lines).unwrap_err();
    (err.line, err.seq, err.kind)
}

#[test]
fn intact_chain_verifies_and_reports_head() {
    let lines = chain(5);
    let summary = verify(&lines).unwrap();
    assert_eq!(summary.records, 5);
    let last: Record = serde_json::from_str(lines[4].trim_end()).unwrap();
    assert_eq!(summary.head_hash, last.hash);
    assert_eq!(
        summary.next_prev,
        sha256_hex(lines[4].trim_end().as_bytes())
    );
}

#[test]
fn empty_log_is_valid_with_genesis_head() {
    let summary = verify(&[]).unwrap();
    assert_eq!(summary.records, 0);
    assert_eq!(summary.head_hash, GENESIS);
}

#[test]
fn encoding_is_compact_with_fields_in_fixed_order_and_hash_last() {
    let line = chain(1).remove(0);
    assert!(
        line.starts_with("{\"seq\":1,\"ts\":\"2030-01-01T00:00:01.000Z\",\"kind\":\"decision\",")
    );
    let order = [
        "seq", "ts", "kind", "area", "verdict", "rule", "mode", "actor", "detail", "prev", "hash",
    ];
    let positions: Vec<usize> = order
        .iter()
        .map(|k| line.find(&format!("\"{k}\":")).unwrap())
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{line}");
    let record: Record = serde_json::from_str(line.trim_end()).unwrap();
    let split = line.find(",\"hash\":").unwrap();
    assert_eq!(
        record.hash,
        sha256_hex(format!("{}}}", &line[..split]).as_bytes())
    );
    assert_eq!(record.prev, GENESIS);
}

#[test]
fn detects_edit_of_a_middle_record() {
    let mut lines = chain(5);
    lines[2] = lines[2].replace("\"verdict\":\"hold\"", "\"verdict\":\"active\"");
    assert!(matches!(
        first_bad(&lines),
        (3, Some(3), ChainErrorKind::HashMismatch { .. })
    ));
}

#[test]
fn detects_edit_of_the_last_record_and_of_its_own_hash() {
    let mut lines = chain(5);
    lines[4] = lines[4].replace("manual-mode", "manual-mod3");
    assert!(matches!(
        first_bad(&lines),
        (5, Some(5), ChainErrorKind::HashMismatch { .. })
    ));
    let mut lines = chain(5);
    let hash_at = lines[4].find(",\"hash\":\"").unwrap() + 9;
    let flipped = if &lines[4][hash_at..=hash_at] == "0" {
        "1"
    } else {
        "0"
    };
    lines[4].replace_range(hash_at..=hash_at, flipped);
    assert!(matches!(
        first_bad(&lines),
        (5, Some(5), ChainErrorKind::HashMismatch { .. })
    ));
}

#[test]
fn detects_whitespace_only_edit() {
    let mut lines = chain(3);
    lines[2] = lines[2].replacen(",\"ts\"", ", \"ts\"", 1);
    assert!(matches!(
        first_bad(&lines),
        (3, Some(3), ChainErrorKind::HashMismatch { .. })
    ));
}

#[test]
fn detects_deleted_records() {
    let mut lines = chain(5);
    lines.remove(2);
    assert_eq!(
        first_bad(&lines),
        (
            3,
            Some(4),
            ChainErrorKind::SeqGap {
                expected: 3,
                found: 4
            }
        )
    );
    let mut lines = chain(5);
    lines.remove(0);
    assert_eq!(
        first_bad(&lines),
        (
            1,
            Some(2),
            ChainErrorKind::SeqGap {
                expected: 1,
                found: 2
            }
        )
    );
}

#[test]
fn detects_reordering_and_duplication() {
    let mut lines = chain(5);
    lines.swap(1, 2);
    assert_eq!(
        first_bad(&lines),
        (
            2,
            Some(3),
            ChainErrorKind::SeqGap {
                expected: 2,
                found: 3
            }
        )
    );
    let mut lines = chain(5);
    lines.insert(3, lines[2].clone());
    assert_eq!(
        first_bad(&lines),
        (
            4,
            Some(3),
            ChainErrorKind::SeqGap {
                expected: 4,
                found: 3
            }
        )
    );
}

#[test]
fn detects_forged_record_with_valid_hash_but_wrong_prev() {
    let mut lines = chain(3);
    let detail = serde_json::json!({});
    let forged = encode(&RecordBody {
        seq: 2,
        ts: "2030-01-01T00:00:02.000Z",
        kind: EntryKind::Operator,
        area: "operator",
        verdict: "join-window.open",
        rule: "",
        mode: "",
        actor: "mallory",
        detail: &detail,
        prev: GENESIS,
    })
    .unwrap();
    lines[1] = format!("{}\n", forged.line);
    assert!(matches!(
        first_bad(&lines),
        (2, Some(2), ChainErrorKind::PrevMismatch { .. })
    ));
}

#[test]
fn detects_truncated_last_line() {
    let mut lines = chain(5);
    let half = lines[4].len() / 2;
    lines[4].truncate(half);
    assert_eq!(first_bad(&lines), (5, None, ChainErrorKind::Truncated));
    let mut lines = chain(2);
    lines[1].pop();
    assert_eq!(first_bad(&lines), (2, Some(2), ChainErrorKind::Truncated));
}

#[test]
fn rejects_malformed_lines() {
    let mut lines = chain(3);
    lines[1] = "\n".to_owned();
    assert_eq!(first_bad(&lines), (2, None, ChainErrorKind::EmptyLine));
    lines[1] = "{\"seq\":2}\n".to_owned();
    assert!(matches!(
        first_bad(&lines),
        (2, None, ChainErrorKind::BadJson { .. })
    ));
    let mut lines = chain(3);
    lines[1] = lines[1].replace("\"actor\"", "\"extra\":1,\"actor\"");
    assert!(matches!(
        first_bad(&lines),
        (2, None, ChainErrorKind::BadJson { .. })
    ));
}

#[test]
fn rejects_hash_field_that_is_not_last() {
    let lines = chain(1);
    let record: Record = serde_json::from_str(lines[0].trim_end()).unwrap();
    let split = lines[0].find(",\"hash\":").unwrap();
    let moved = format!("{{\"hash\":\"{}\",{}}}\n", record.hash, &lines[0][1..split]);
    assert_eq!(
        first_bad(&[moved]),
        (1, Some(1), ChainErrorKind::BadHashField)
    );
}

#[test]
fn bytes_interface_rejects_invalid_utf8_and_overlong_lines() {
    let mut verifier = ChainVerifier::new();
    let err = verifier.push_bytes(b"{\"seq\":\xff}\n").unwrap_err();
    assert_eq!((err.line, err.kind), (1, ChainErrorKind::NotUtf8));
    let mut verifier = ChainVerifier::new();
    let long = vec![b'x'; MAX_RECORD_BYTES + 1];
    let err = verifier.push_bytes(&long).unwrap_err();
    assert!(matches!(err.kind, ChainErrorKind::TooLong { .. }));
}

#[test]
fn error_names_line_and_record() {
    let mut lines = chain(5);
    lines.remove(2);
    let err = verify(&lines).unwrap_err();
    assert_eq!(err.record_label(), "record seq 4");
    assert!(
        err.to_string()
            .starts_with("line 3: record seq 4: seq 4 where 3 was expected")
    );
    let unreadable = ChainError {
        line: 2,
        seq: None,
        expected_seq: 2,
        kind: ChainErrorKind::EmptyLine,
    };
    assert_eq!(unreadable.record_label(), "record at expected seq 2");
}
