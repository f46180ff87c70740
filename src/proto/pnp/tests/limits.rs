//! Input limits and hostile input: size, DTD, entities, depth, counts, and never panicking.

use proptest::prelude::*;

use super::super::*;

fn work_request_with(inner: &str) -> String {
    format!(
        r#"<pnp xmlns="urn:cisco:pnp" version="1.0" udi="PID:C1,VID:,SN:S1"><info xmlns="urn:cisco:pnp:work-info" correlator="c"><deviceId><udi>PID:C1,VID:,SN:S1</udi><authRequired>false</authRequired></deviceId>{inner}</info></pnp>"#
    )
}

#[test]
fn body_of_64_kib_plus_one_is_rejected() {
    let base = work_request_with("");
    let pad = MAX_BODY_BYTES - base.len();
    let exact = work_request_with(&" ".repeat(pad));
    assert_eq!(exact.len(), MAX_BODY_BYTES);
    assert!(parse_work_request(exact.as_bytes()).is_ok());
    let over = work_request_with(&" ".repeat(pad + 1));
    assert_eq!(
        parse_work_request(over.as_bytes()),
        Err(ParseError::TooLarge {
            limit: MAX_BODY_BYTES,
            actual: MAX_BODY_BYTES + 1
        })
    );
}

#[test]
fn doctype_and_entity_bomb_are_rejected() {
    let bomb = r#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><pnp xmlns="urn:cisco:pnp" udi="PID:C1,VID:,SN:S1">&lol2;</pnp>"#;
    assert_eq!(parse_agent_message(bomb.as_bytes()), Err(ParseError::Dtd));
    let external = r#"<!DOCTYPE pnp SYSTEM "file:///etc/passwd"><pnp/>"#;
    assert_eq!(
        parse_agent_message(external.as_bytes()),
        Err(ParseError::Dtd)
    );
}

#[test]
fn undeclared_entity_references_are_rejected() {
    let text = work_request_with("<x>&xxe;</x>");
    assert_eq!(
        parse_work_request(text.as_bytes()),
        Err(ParseError::Entity { name: "xxe".into() })
    );
    let attr = r#"<pnp xmlns="urn:cisco:pnp" udi="PID:C1,VID:,SN:&ext;"/>"#;
    assert_eq!(
        parse_agent_message(attr.as_bytes()),
        Err(ParseError::Entity { name: "ext".into() })
    );
    let nul = work_request_with("<x>&#0;</x>");
    assert!(matches!(
        parse_work_request(nul.as_bytes()),
        Err(ParseError::BadCharRef { .. })
    ));
}

#[test]
fn predefined_and_numeric_references_are_expanded() {
    let xml = r#"<pnp xmlns="urn:cisco:pnp" udi="PID:C1,VID:,SN:S1"><info xmlns="urn:cisco:pnp:work-info" correlator="c"><deviceId><udi>PID:C1,VID:,SN:S1</udi><hostname>a&amp;b&lt;&#x41;&#66;&apos;&quot;&gt;</hostname><authRequired>false</authRequired></deviceId></info></pnp>"#;
    let w = parse_work_request(xml.as_bytes()).unwrap();
    assert_eq!(w.device_id.hostname.as_deref(), Some("a&b<AB'\">"));
}

#[test]
fn deep_nesting_is_rejected() {
    let deep = format!(
        "{}{}",
        "<x>".repeat(MAX_DEPTH + 1),
        "</x>".repeat(MAX_DEPTH + 1)
    );
    assert_eq!(
        parse_work_request(work_request_with(&deep).as_bytes()),
        Err(ParseError::TooDeep { limit: MAX_DEPTH })
    );
}

#[test]
fn too_many_elements_or_attributes_are_rejected() {
    let many = "<x/>".repeat(MAX_ELEMENTS);
    assert_eq!(
        parse_work_request(work_request_with(&many).as_bytes()),
        Err(ParseError::TooManyElements {
            limit: MAX_ELEMENTS
        })
    );
    let attrs: String = (0..MAX_ATTRIBUTES).map(|i| format!(" a{i}=\"\"")).collect();
    let xml = work_request_with(&format!("<x{attrs}/>"));
    assert_eq!(
        parse_work_request(xml.as_bytes()),
        Err(ParseError::TooManyAttributes {
            limit: MAX_ATTRIBUTES
        })
    );
}

#[test]
fn whitespace_crlf_bom_and_comments_are_tolerated() {
    let xml = "\u{feff}<?xml version=\"1.0\"?>\r\n<!-- hello -->\r\n<pnp\r\n xmlns=\"urn:cisco:pnp\"\tudi=\" PID:C1,VID:,SN:S1 \" >\r\n <info xmlns=\"urn:cisco:pnp:work-info\" correlator=\"c\">\r\n  <deviceId>\r\n   <udi>\r\n PID:C1,VID:,SN:S1\r\n </udi>\r\n   <authRequired> true </authRequired>\r\n  </deviceId>\r\n </info>\r\n</pnp>\r\n";
    let w = parse_work_request(xml.as_bytes()).unwrap();
    assert!(w.device_id.auth_required);
    assert_eq!(w.device_id.udi.sn, "S1");
}

type Check = fn(&ParseError) -> bool;

#[test]
fn malformed_documents_are_typed_errors() {
    let cases: [(&[u8], Check); 6] = [
        (b"", |e| *e == ParseError::Empty),
        (b"   ", |e| *e == ParseError::Empty),
        (b"<pnp", |e| matches!(e, ParseError::Malformed { .. })),
        (b"<a></b>", |e| matches!(e, ParseError::Malformed { .. })),
        (b"<a/><b/>", |e| matches!(e, ParseError::Malformed { .. })),
        (b"\xff\xfe<a/>", |e| *e == ParseError::NotUtf8 { offset: 0 }),
    ];
    for (input, check) in cases {
        let err = parse_agent_message(input).unwrap_err();
        assert!(check(&err), "{input:?} gave {err:?}");
    }
    let unbound = br#"<p:pnp udi="PID:C1,VID:,SN:S1"/>"#;
    assert_eq!(
        parse_agent_message(unbound),
        Err(ParseError::UnboundPrefix { prefix: "p".into() })
    );
}

#[test]
fn responses_need_correlator_and_success() {
    let no_corr = r#"<pnp xmlns="urn:cisco:pnp" udi="PID:C1,VID:,SN:S1"><response xmlns="urn:cisco:pnp:reload" success="1"/></pnp>"#;
    assert_eq!(
        parse_agent_message(no_corr.as_bytes()),
        Err(ParseError::MissingAttribute {
            element: "response",
            attribute: "correlator"
        })
    );
    let no_success = r#"<pnp xmlns="urn:cisco:pnp" udi="PID:C1,VID:,SN:S1"><response xmlns="urn:cisco:pnp:reload" correlator="c"/></pnp>"#;
    assert_eq!(
        parse_agent_message(no_success.as_bytes()),
        Err(ParseError::MissingAttribute {
            element: "response",
            attribute: "success"
        })
    );
    let foreign = r#"<pnp xmlns="urn:cisco:pnp" udi="PID:C1,VID:,SN:S1"><response xmlns="urn:evil" correlator="c" success="1"/></pnp>"#;
    assert!(matches!(
        parse_agent_message(foreign.as_bytes()),
        Err(ParseError::MissingElement { .. })
    ));
    let other = r#"<pnp xmlns="urn:cisco:pnp" udi="PID:C1,VID:,SN:S1"><response xmlns="urn:cisco:pnp:smu" correlator="c" success="1"><smuInfo>x</smuInfo></response></pnp>"#;
    let AgentMessage::Response(r) = parse_agent_message(other.as_bytes()).unwrap() else {
        panic!()
    };
    assert_eq!(r.service, Service::Other("smu".into()));
    assert!(matches!(r.body, ResponseBody::Unmodelled(ref s) if s.len() == 1));
}

const VALID: &[&str] = &[
    super::samples::EV_WORK_REQUEST,
    r#"<pnp xmlns="urn:cisco:pnp" version="1.0" udi="PID:C1,VID:,SN:S1"><response xmlns="urn:cisco:pnp:cli-config" correlator="c" success="0"><resultEntry lineNumber="1" cliString="hostname a"><success change="CHANGE" mode="IMMEDIATE"/></resultEntry><resultEntry lineNumber="2" cliString="bogus"><failure errorType="PERMANENT" errorCode="1"/><text>% Invalid input</text></resultEntry><errorInfo><errorCode>PnP Service Error 1200</errorCode></errorInfo></response></pnp>"#,
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn parser_never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = parse_agent_message(&bytes);
        let _ = parse_server_message(&bytes);
    }

    #[test]
    fn parser_never_panics_on_mutated_valid_messages(
        which in 0..VALID.len(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..16),
    ) {
        let mut bytes = VALID[which].as_bytes().to_vec();
        for (index, byte, op) in edits {
            if bytes.is_empty() { break; }
            let i = index.index(bytes.len());
            match op {
                0 => bytes[i] = byte,
                1 => { bytes.remove(i); }
                _ => bytes.insert(i, byte),
            }
        }
        let _ = parse_agent_message(&bytes);
        let _ = parse_server_message(&bytes);
    }
}

#[test]
fn cli_config_results_are_read_per_line() {
    let AgentMessage::Response(r) = parse_agent_message(VALID[1].as_bytes()).unwrap() else {
        panic!()
    };
    let ResponseBody::CliConfig(res) = r.body else {
        panic!()
    };
    assert_eq!(res.entries.len(), 2);
    assert_eq!(res.entries[1].line_number, Some(2));
    assert!(matches!(
        res.entries[1].outcome,
        cli_config::EntryOutcome::Failure { .. }
    ));
    assert_eq!(res.entries[1].text.as_deref(), Some("% Invalid input"));
    assert_eq!(r.error.unwrap().code.unwrap().number(), Some(1200));
}
