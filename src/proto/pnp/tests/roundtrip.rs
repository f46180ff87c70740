//! Render → parse round trips for every service, and byte-exact correlator echo.

use super::super::common::{Reload, ServerAddress, ServerSpec};
use super::super::*;
use crate::identity::Udi;

fn header() -> Header {
    Header::new(&Udi::parse("PID:ISR4451-X/K9,VID:,SN:FOC1234X0AB").unwrap())
}

fn round_trip(body: ServiceRequest) {
    let request = Request::new(
        Correlator::new("CiscoPnP-1.0-1-11-14A9C6D0-2").unwrap(),
        body,
    );
    let xml = request.render(&header());
    let (envelope, parsed) = parse_server_message(xml.as_bytes()).unwrap();
    assert_eq!(envelope.udi.pid, "ISR4451-X/K9");
    assert_eq!(
        parsed,
        ServerMessage::Request(Box::new(request.clone())),
        "{xml}"
    );
    assert_eq!(request.render(&header()), xml, "rendering is deterministic");
}

fn server(address: ServerAddress, port: Option<u16>) -> ServerSpec {
    ServerSpec {
        protocol: "https".into(),
        address,
        port,
        localcert: Some("CISCO_IDEVID_SUDI".into()),
        remotecert: None,
    }
}

#[test]
fn backoff_variants_round_trip() {
    round_trip(ServiceRequest::Backoff(
        Backoff::callback_after("backoffNow", 1, 5, 30).unwrap(),
    ));
    round_trip(ServiceRequest::Backoff(
        Backoff::default_minutes("slow down", 2880).unwrap(),
    ));
    round_trip(ServiceRequest::Backoff(Backoff::terminate("done")));
    assert!(Backoff::default_minutes("x", 0).is_err());
    assert!(Backoff::callback_after("x", 48, 0, 0).is_err());
}

#[test]
fn backoff_renders_the_spec_shape() {
    let request = Request::new(
        Correlator::new("c-1").unwrap(),
        ServiceRequest::Backoff(Backoff {
            reason: "backoffNow".into(),
            action: BackoffAction::CallbackAfter {
                hours: None,
                minutes: Some(5),
                seconds: None,
            },
        }),
    );
    let xml = request.render(&header());
    let expected = r#"<request xmlns="urn:cisco:pnp:backoff" correlator="c-1"><backoff><reason>backoffNow</reason><callbackAfter><minutes>5</minutes></callbackAfter></backoff></request>"#;
    assert!(xml.contains(expected), "{xml}");
    assert!(xml.starts_with(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<pnp xmlns="urn:cisco:pnp" version="1.0" udi="PID:ISR4451-X/K9,VID:,SN:FOC1234X0AB">"#
    ));
}

#[test]
fn device_info_round_trips() {
    for kind in [
        DeviceInfoType::All,
        DeviceInfoType::Image,
        DeviceInfoType::Profile,
    ] {
        round_trip(ServiceRequest::DeviceInfo(DeviceInfoRequest { kind }));
    }
}

#[test]
fn cli_exec_with_dialogue_round_trips() {
    let mut exec = CliExec::new("delete flash:old.bin");
    exec.max_wait = Some("PT30S".into());
    exec.xsd = Some(false);
    exec.dialogues.push(cli_exec::Dialogue {
        expect: "Delete filename [old.bin]?".into(),
        reply: "".into(),
        match_kind: Some(cli_exec::MatchKind::Trailing),
        case_sensitive: Some(false),
        repeat: Some(2),
    });
    exec.dialogues.push(cli_exec::Dialogue {
        expect: "[confirm]".into(),
        reply: "y".into(),
        match_kind: None,
        case_sensitive: None,
        repeat: None,
    });
    round_trip(ServiceRequest::CliExec(exec));
}

#[test]
fn cli_config_apply_test_and_persist_round_trip() {
    round_trip(ServiceRequest::CliConfig(CliConfig::apply(&[
        "hostname sw1",
        "banner motd ^<&>\"'^",
    ])));
    round_trip(ServiceRequest::CliConfig(CliConfig::Test {
        details: None,
        data: cli_config::ConfigData::Block("hostname a\ninterface Gi0/1".into()),
    }));
    round_trip(ServiceRequest::CliConfig(CliConfig::Persist));
}

#[test]
fn config_upgrade_round_trips() {
    round_trip(ServiceRequest::ConfigUpgrade(ConfigUpgrade {
        details: Some("all".into()),
        source: Source {
            file: FileLocation::Location("https://10.0.0.5/configs/FOC1.cfg?a=1&b=2".into()),
            checksum: None,
        },
        apply_to: Some(ApplyTo::Running),
        abort_on_syntax_fault: true,
        after: AfterOperation::NoReload,
    }));
}

#[test]
fn image_install_round_trips() {
    round_trip(ServiceRequest::ImageInstall(ImageInstall {
        source: Source {
            file: FileLocation::Uri("/images/c1100.bin".into()),
            checksum: Some("5660cb64e3e5d3f0dbc0c1b7b0c2e7a1".into()),
        },
        destination: Some(FileLocation::Location("bootflash:c1100.bin".into())),
        after: AfterOperation::Reload(Reload {
            delay_in: Some(30),
            ..Reload::default()
        }),
    }));
}

#[test]
fn file_transfer_round_trips() {
    round_trip(ServiceRequest::FileTransfer(FileTransfer {
        source: FileLocation::Location("https://srv/files/x.txt".into()),
        destination: FileLocation::Location("bootflash:guest-share/x.txt".into()),
    }));
}

#[test]
fn licensing_round_trips() {
    round_trip(ServiceRequest::Licensing(Licensing {
        accept_eula: true,
        sources: vec![FileLocation::Location("https://srv/lic/a.lic".into())],
        level: Some("network-advantage".into()),
        apply: vec!["securityk9".into()],
        delete: vec![],
        after: AfterOperation::NoReload,
    }));
}

#[test]
fn reload_round_trips() {
    round_trip(ServiceRequest::Reload(ReloadRequest {
        reason: Some("pnp".into()),
        delay_in: Some(10),
        user: Some("APIC-EM PnP Service".into()),
        config: Some(reload::ConfigAction::Save(true)),
    }));
}

#[test]
fn script_round_trips() {
    round_trip(ServiceRequest::Script(Script {
        source: script::ScriptSource::Inline("##tcl-install-script\nputs \"a < b && c\"".into()),
        arguments: Some("-v 1".into()),
        stype: Some("tcl".into()),
        max_wait: Some("PT600S".into()),
    }));
}

#[test]
fn empty_requests_round_trip() {
    round_trip(ServiceRequest::Topology);
    round_trip(ServiceRequest::Capability);
}

#[test]
fn certificate_install_with_reconnect_round_trips() {
    round_trip(ServiceRequest::CertificateInstall(CertificateInstall {
        trustpool: FileLocation::Location("http://10.0.0.5/ca/ios.p7b".into()),
        reconnect: Some(Reconnect {
            primary: server(ServerAddress::Ipv4("10.0.0.5".into()), Some(443)),
            backup: Some(server(ServerAddress::Host("pnp.example.net".into()), None)),
        }),
    }));
}

#[test]
fn redirection_round_trips_with_and_without_correlator() {
    let body = ServiceRequest::Redirection(Redirection {
        callback: Some(false),
        controller_type: None,
        primary: server(ServerAddress::Ipv6("2001:db8::5".into()), Some(443)),
        backup: None,
    });
    round_trip(body.clone());
    let request = Request {
        correlator: None,
        body,
    };
    let xml = request.render(&header());
    assert!(!xml.contains("correlator"));
    let (_, parsed) = parse_server_message(xml.as_bytes()).unwrap();
    assert_eq!(parsed, ServerMessage::Request(Box::new(request)));
}

#[test]
fn device_auth_challenge_round_trips_and_refuses_weak_nonces() {
    round_trip(ServiceRequest::DeviceAuth(
        DeviceAuthRequest::new("A1B2C3D4E5F6G7H8I9J0K1L2M3N4O5P6").unwrap(),
    ));
    assert!(DeviceAuthRequest::new("short").is_err());
    assert!(DeviceAuthRequest::new("ABCDEFGHIJKLMNOP<script>").is_err());
}

#[test]
fn device_auth_answer_is_found_with_or_without_auth_wrapper() {
    let answer = DeviceAuthAnswer {
        challenge_response: "c2lnbmF0dXJl".into(),
        sudi_cert: "LS0tLS1CRUdJTg==".into(),
        encryption_method: Some("RSA".into()),
        hash_method: Some("SHA256".into()),
    };
    let wrapped = write::Node::new("response")
        .attr("xmlns", "urn:cisco:pnp:device-auth")
        .attr("correlator", "c")
        .attr("success", "1")
        .child(answer.to_node());
    let xml = header().render(wrapped);
    let AgentMessage::Response(r) = parse_agent_message(xml.as_bytes()).unwrap() else {
        panic!()
    };
    assert_eq!(r.body, ResponseBody::DeviceAuth(Some(answer.clone())));
    let bare = xml.replace("<auth>", "").replace("</auth>", "");
    let AgentMessage::Response(r) = parse_agent_message(bare.as_bytes()).unwrap() else {
        panic!()
    };
    assert_eq!(r.body, ResponseBody::DeviceAuth(Some(answer)));
}

#[test]
fn work_request_and_bye_round_trip() {
    let w = parse_work_request(super::samples::EV_WORK_REQUEST.as_bytes()).unwrap();
    assert_eq!(parse_work_request(w.render().as_bytes()).unwrap(), w);
    let mut bye = Bye::new(w.correlator.clone());
    bye.sid = Some("s-42".into());
    let xml = bye.render(&Header::reply_to(&w.envelope));
    assert_eq!(
        parse_server_message(xml.as_bytes()).unwrap().1,
        ServerMessage::Bye(bye)
    );
}

#[test]
fn correlator_is_echoed_byte_for_byte() {
    for raw in [
        "a&amp;b",
        "x&#38;y",
        "q&#x22;z&lt;",
        "CiscoPnP-1.0-R33.200930-I1-P592-T43891-2",
        "sp  ace",
    ] {
        let xml = format!(
            r#"<pnp xmlns="urn:cisco:pnp" version="1.0" udi="PID:C1,VID:,SN:S1"><info xmlns="urn:cisco:pnp:work-info" correlator="{raw}"><deviceId><udi>PID:C1,VID:,SN:S1</udi><authRequired>false</authRequired></deviceId></info></pnp>"#
        );
        let w = parse_work_request(xml.as_bytes()).unwrap();
        assert_eq!(w.correlator.raw(), raw);
        let header = Header::reply_to(&w.envelope);
        let out = Request::new(w.correlator.clone(), ServiceRequest::Capability).render(&header);
        assert!(out.contains(&format!(r#"correlator="{raw}""#)), "{out}");
        let bye = Bye::new(w.correlator).render(&header);
        assert!(bye.contains(&format!(r#"correlator="{raw}""#)), "{bye}");
    }
    let w = parse_work_request(
        br#"<pnp xmlns="urn:cisco:pnp" udi="PID:C1,VID:,SN:S1"><info xmlns="urn:cisco:pnp:work-info" correlator='a"b'><deviceId><udi>PID:C1,VID:,SN:S1</udi><authRequired>false</authRequired></deviceId></info></pnp>"#,
    )
    .unwrap();
    assert_eq!(w.correlator.as_str(), "a\"b");
    assert_eq!(w.correlator.raw(), "a&quot;b");
}

#[test]
fn text_and_attributes_are_escaped() {
    let mut exec = CliExec::new("show run | include <a> & \"b\"");
    exec.max_wait = Some("PT1S\" evil=\"1".into());
    let xml = Request::new(Correlator::new("c").unwrap(), ServiceRequest::CliExec(exec))
        .render(&header());
    assert!(
        xml.contains("<cmd>show run | include &lt;a&gt; &amp; \"b\"</cmd>"),
        "{xml}"
    );
    assert!(
        xml.contains(r#"maxWait="PT1S&quot; evil=&quot;1""#),
        "{xml}"
    );
}

#[test]
fn renders_the_section_2_5_skeletons_exactly() {
    let c = || Correlator::new("c-9").unwrap();
    let body = |request: ServiceRequest| {
        let xml = Request::new(c(), request).render(&header());
        let start = xml.find("<request").unwrap();
        xml[start..xml.len() - "</pnp>".len()].to_owned()
    };
    let exec = CliExec {
        max_wait: Some("PT30S".into()),
        xsd: Some(false),
        ..CliExec::new("show version")
    };
    assert_eq!(
        body(ServiceRequest::CliExec(exec)),
        r#"<request xmlns="urn:cisco:pnp:cli-exec" correlator="c-9"><execCLI maxWait="PT30S" xsd="false"><cmd>show version</cmd></execCLI></request>"#
    );
    assert_eq!(
        body(ServiceRequest::CliConfig(CliConfig::apply(&[
            "hostname sw1"
        ]))),
        r#"<request xmlns="urn:cisco:pnp:cli-config" correlator="c-9"><configApply details="all"><config-data><cli-config-data><cmd>hostname sw1</cmd></cli-config-data></config-data></configApply></request>"#
    );
    let upgrade = ConfigUpgrade {
        details: Some("all".into()),
        source: Source {
            file: FileLocation::Location("http://10.0.0.5/configs/FOC0000X0XX.cfg".into()),
            checksum: None,
        },
        apply_to: Some(ApplyTo::Running),
        abort_on_syntax_fault: false,
        after: AfterOperation::NoReload,
    };
    assert_eq!(
        body(ServiceRequest::ConfigUpgrade(upgrade)),
        r#"<request xmlns="urn:cisco:pnp:config-upgrade" correlator="c-9"><config details="all"><copy><source><location>http://10.0.0.5/configs/FOC0000X0XX.cfg</location></source><applyTo>running</applyTo></copy></config><noReload/></request>"#
    );
    assert_eq!(
        body(ServiceRequest::DeviceInfo(DeviceInfoRequest {
            kind: DeviceInfoType::All
        })),
        r#"<request xmlns="urn:cisco:pnp:device-info" correlator="c-9"><deviceInfo type="all"/></request>"#
    );
    assert_eq!(
        body(ServiceRequest::Capability),
        r#"<request xmlns="urn:cisco:pnp:capability" correlator="c-9"/>"#
    );
}

#[test]
fn header_carries_session_and_credentials_escaped() {
    let mut h = header();
    h.sid = Some("s1".into());
    h.usr = Some("admin".into());
    h.pwd = Some("p\"w<d".into());
    let xml = Bye::new(Correlator::new("c").unwrap()).render(&h);
    assert!(
        xml.contains(r#"sid="s1" usr="admin" pwd="p&quot;w&lt;d">"#),
        "{xml}"
    );
}
