use super::*;
use crate::proto::pnp::{AgentMessage, ResponseBody, parse_agent_message};
use crate::roles::smi_proxy::services::{RUNNING_CONFIG_UNSUPPORTED, UNSUPPORTED_SERVICE};

fn udi() -> Udi {
    Udi {
        pid: "WS-C2960X-48FPD-L".into(),
        vid: "V05".into(),
        sn: "FOC1933X0AB".into(),
    }
}

fn corr() -> Correlator {
    Correlator::new("CiscoPnP-1.0-1-2-3").unwrap()
}

fn parsed(xml: &str) -> crate::proto::pnp::WorkResponse {
    match parse_agent_message(xml.as_bytes()).unwrap() {
        AgentMessage::Response(r) => r,
        other => panic!("not a response: {other:?}"),
    }
}

fn facts<'a>(udi: &'a Udi, neighbors: &'a [Neighbor]) -> Facts<'a> {
    Facts {
        udi,
        hostname: Some("edge-1"),
        version: Some("15.2(7)E8"),
        image: Some("flash:/c2960x-universalk9-mz.152-7.E8.bin"),
        profile: "pnp-zero-touch",
        neighbors,
    }
}

#[test]
fn refusals_carry_the_client_udi_the_correlator_and_the_exact_strings() {
    let u = udi();
    let xml = refusal(
        &u,
        &corr(),
        &Service::ConfigUpgrade,
        RUNNING_CONFIG_UNSUPPORTED,
    );
    let r = parsed(&xml);
    assert_eq!(r.envelope.udi, u);
    assert_eq!(r.correlator.unwrap().raw(), "CiscoPnP-1.0-1-2-3");
    assert!(!r.success);
    let e = r.error.unwrap();
    assert_eq!(
        e.code_text.as_deref(),
        Some("XSVC_ERROR_CONFIG_UPGRADE_UNSUPPORTED")
    );
    assert_eq!(
        e.message.as_deref(),
        Some("SMI PROXY: Config upgrade apply to Running Config is not supported")
    );
    assert_eq!(e.severity.as_deref(), Some("XSVC_ERROR"));
    let r = parsed(&refusal(
        &u,
        &corr(),
        &Service::CliExec,
        UNSUPPORTED_SERVICE,
    ));
    let e = r.error.unwrap();
    assert_eq!(
        e.code_text.as_deref(),
        Some("PNP_ERROR_UNSUPPORTED_REQUEST")
    );
    assert_eq!(
        e.message.as_deref(),
        Some("SMI PROXY:Not supported service request")
    );
}

#[test]
fn device_info_image_reports_what_the_client_runs() {
    let u = udi();
    let f = facts(&u, &[]);
    let nodes = device_info(&DeviceInfoType::Image, &f).unwrap();
    let r = parsed(&success(&u, &corr(), &Service::DeviceInfo, nodes));
    assert!(r.success);
    let ResponseBody::DeviceInfo(info) = &r.body else {
        panic!("not device info: {:?}", r.body)
    };
    assert_eq!(info.image_field("versionString"), Some("15.2(7)E8"));
    let all = device_info(&DeviceInfoType::All, &f).unwrap();
    assert_eq!(all.len(), 3);
    assert!(device_info(&DeviceInfoType::Hardware, &f).is_err());
}

#[test]
fn capabilities_list_exactly_the_seven_services() {
    let xml = success(&udi(), &corr(), &Service::Capability, capabilities());
    for s in SUPPORTED_SERVICES {
        assert!(
            xml.contains(&format!("<capability>cisco:pnp:{s}</capability>")),
            "{s}"
        );
    }
    assert_eq!(xml.matches("<capability>").count(), 7);
}

#[test]
fn topology_has_one_element_per_neighbor() {
    let u = udi();
    let n = [Neighbor {
        local_interface: "GigabitEthernet0/1".into(),
        remote_interface: "gw0".into(),
        device_name: "ztpgate".into(),
        platform: "ztpgate".into(),
        version: "1".into(),
    }];
    let xml = success(&u, &corr(), &Service::Topology, topology(&facts(&u, &n)));
    assert_eq!(xml.matches("<element>").count(), 1);
    assert!(xml.contains("<deviceName>ztpgate</deviceName>"));
    let empty = success(&u, &corr(), &Service::Topology, topology(&facts(&u, &[])));
    assert!(!empty.contains("<element>"));
    assert!(parsed(&empty).success);
}
