//! Each service as a PnP server sends it on the wire (rendered, then parsed back) and what the
//! proxy does with it.

use super::*;
use crate::identity::Udi;
use crate::proto::pnp::backoff::Backoff;
use crate::proto::pnp::cli_exec::CliExec;
use crate::proto::pnp::common::{Reload, Source};
use crate::proto::pnp::config_upgrade::ConfigUpgrade;
use crate::proto::pnp::device_info::DeviceInfoRequest;
use crate::proto::pnp::envelope::{Correlator, Header};
use crate::proto::pnp::image_install::ImageInstall;
use crate::proto::pnp::{Request, ServerMessage, parse_server_message};

/// `body` sent by a server and parsed the way the proxy receives it.
fn wire(body: ServiceRequest) -> Action {
    let udi = Udi::parse("PID:WS-C3750E-48TD,VID:V01,SN:FDO1152V10R").unwrap();
    let xml = Request::new(Correlator::new("c-1").unwrap(), body).render(&Header::new(&udi));
    match parse_server_message(xml.as_bytes()).unwrap().1 {
        ServerMessage::Request(r) => action(&r.body),
        ServerMessage::Bye(_) => panic!("not a request"),
    }
}

fn source(url: &str) -> Source {
    Source {
        file: FileLocation::Location(url.into()),
        checksum: Some("426154BFAFE1425F527621DC8B647C38".into()),
    }
}

fn config(apply_to: Option<ApplyTo>, after: AfterOperation) -> ServiceRequest {
    ServiceRequest::ConfigUpgrade(ConfigUpgrade {
        details: None,
        source: source("https://pnp.example.net/cfg/sw1.cfg"),
        apply_to,
        abort_on_syntax_fault: false,
        after,
    })
}

#[test]
fn a_running_config_upgrade_is_refused_and_the_startup_retry_becomes_a_push() {
    for target in [Some(ApplyTo::Running), None] {
        assert_eq!(
            wire(config(target, AfterOperation::NoReload)),
            Action::Refuse(RUNNING_CONFIG_UNSUPPORTED)
        );
    }
    assert_eq!(
        RUNNING_CONFIG_UNSUPPORTED.message,
        "SMI PROXY: Config upgrade apply to Running Config is not supported"
    );
    let reload = AfterOperation::Reload(Reload {
        reason: Some("pnp".into()),
        delay_in: Some(0),
        user: None,
        save_config: None,
    });
    assert_eq!(
        wire(config(Some(ApplyTo::Startup), reload)),
        Action::ConfigToStartup {
            source: FileLocation::Location("https://pnp.example.net/cfg/sw1.cfg".into()),
            checksum: Some("426154BFAFE1425F527621DC8B647C38".into()),
            reload: true,
        }
    );
}

#[test]
fn image_install_device_info_and_the_other_supported_services() {
    let image = ServiceRequest::ImageInstall(ImageInstall {
        source: source("https://files.example.net/c3750e.tar"),
        destination: None,
        after: AfterOperation::DeviceDefault,
    });
    assert!(matches!(
        wire(image),
        Action::ImageInstall { reload: true, .. }
    ));
    assert_eq!(wire(ServiceRequest::Capability), Action::Capabilities);
    assert_eq!(wire(ServiceRequest::Topology), Action::Topology);
    let info = |kind| ServiceRequest::DeviceInfo(DeviceInfoRequest { kind });
    assert_eq!(
        wire(info(DeviceInfoType::Udi)),
        Action::DeviceInfo(DeviceInfoType::Udi)
    );
    assert_eq!(
        wire(info(DeviceInfoType::Hardware)),
        Action::Refuse(Refusal {
            code: "XSVC_ERROR_DEVICE_INFO_UNSUPPORTED",
            message: "SMI PROXY:Client device hardware info not supported",
        })
    );
    assert_eq!(
        wire(info(DeviceInfoType::Filesystem)),
        Action::Refuse(Refusal {
            code: "XSVC_ERROR_DEVICE_INFO_UNSUPPORTED",
            message: "SMI PROXY:Client device filesystem info not supported",
        })
    );
    let backoff = Backoff::callback_after("backoffNow", 0, 5, 0).unwrap();
    assert!(matches!(
        wire(ServiceRequest::Backoff(backoff)),
        Action::Backoff(BackoffAction::CallbackAfter { .. })
    ));
}

#[test]
fn every_other_service_gets_the_documented_unsupported_error() {
    let exec = CliExec {
        cmd: "show running-config".into(),
        max_wait: None,
        xsd: None,
        dialogues: Vec::new(),
    };
    assert_eq!(
        wire(ServiceRequest::CliExec(exec)),
        Action::Refuse(Refusal {
            code: "PNP_ERROR_UNSUPPORTED_REQUEST",
            message: "SMI PROXY:Not supported service request",
        })
    );
    assert_eq!(SUPPORTED_SERVICES.len(), 7);
}
