//! Samples shaped after pnp.md §5 (EV, OP, X README, GS, IZ, DNAC output, NSO fault shape).

use super::super::*;
use crate::proto::pnp::config_upgrade::ApplyTo;
use crate::proto::pnp::error_info::{ConfigUpgradeError, ImageInstallError};

fn agent(xml: &str) -> AgentMessage {
    parse_agent_message(xml.as_bytes()).unwrap()
}

fn response(xml: &str) -> WorkResponse {
    match agent(xml) {
        AgentMessage::Response(r) => r,
        other => panic!("not a response: {other:?}"),
    }
}

fn request(xml: &str) -> Request {
    match parse_server_message(xml.as_bytes()).unwrap().1 {
        ServerMessage::Request(r) => *r,
        other => panic!("not a request: {other:?}"),
    }
}

/// §5 #1: CSR1000V 17.3 WORK-REQUEST (EV), with the `reason/reload` extension.
pub(super) const EV_WORK_REQUEST: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<pnp xmlns="urn:cisco:pnp" version="1.0" udi="PID:CSR1000V,VID:V00,SN:9ZKBZFEMJH3">
<info xmlns="urn:cisco:pnp:work-info" correlator="CiscoPnP-1.0-R33.200930-I1-P592-T43891-2">
<deviceId>
<udi>PID:CSR1000V,VID:V00,SN:9ZKBZFEMJH3</udi>
<hostname>Router</hostname>
<authRequired>false</authRequired>
<viaProxy>false</viaProxy>
<securityAdvise>Password in clear text in unsecured transport</securityAdvise>
<macAddress></macAddress>
</deviceId>
<reason>
<reload>
<message>factory-reset</message>
<code>PnP Service Info 2408</code>
<startupConfigPresent>false</startupConfigPresent>
</reload>
</reason>
</info>
</pnp>"#;

#[test]
fn csr1000v_work_request_parses_with_reload_reason() {
    let w = parse_work_request(EV_WORK_REQUEST.as_bytes()).unwrap();
    assert_eq!(
        w.correlator.raw(),
        "CiscoPnP-1.0-R33.200930-I1-P592-T43891-2"
    );
    assert_eq!(w.envelope.udi.pid, "CSR1000V");
    assert_eq!(w.envelope.udi.sn, "9ZKBZFEMJH3");
    assert_eq!(w.envelope.version.as_deref(), Some("1.0"));
    let id = &w.device_id;
    assert_eq!(id.udi, w.envelope.udi);
    assert_eq!(id.hostname.as_deref(), Some("Router"));
    assert!(!id.auth_required);
    assert_eq!(id.via_proxy, Some(false));
    assert_eq!(id.mac_address.as_deref(), Some(""));
    assert_eq!(
        id.security_advise.as_deref(),
        Some("Password in clear text in unsecured transport")
    );
    let reason = w.reason.unwrap();
    assert_eq!(reason.message.as_deref(), Some("factory-reset"));
    assert_eq!(reason.code.as_deref(), Some("PnP Service Info 2408"));
    assert_eq!(reason.startup_config_present, Some(false));
}

/// §5 #4: DevNet 3750X WORK-REQUEST (X README), `authRequired=true`.
const DEVNET_WORK_REQUEST: &str = r#"<pnp xmlns="urn:cisco:pnp" version="1.0" udi="PID:WS-C3750X-24T-E,VID:V04,SN:FDO1703P2EB"><info xmlns="urn:cisco:pnp:work-info" correlator="CiscoPnP-1.0-1465-25A1212C"><deviceId><udi>PID:WS-C3750X-24T-E,VID:V04,SN:FDO1703P2EB</udi><hostname>Switch</hostname><authRequired>true</authRequired><securityAdvise>Password in clear text in unsecured transport</securityAdvise></deviceId></info></pnp>"#;

#[test]
fn devnet_work_request_requires_auth_and_bye_echoes_correlator() {
    let w = parse_work_request(DEVNET_WORK_REQUEST.as_bytes()).unwrap();
    assert!(w.device_id.auth_required);
    assert_eq!(w.device_id.udi.vid, "V04");
    let bye = Bye::new(w.correlator.clone()).render(&Header::reply_to(&w.envelope));
    assert!(bye.contains(r#"<info xmlns="urn:cisco:pnp:work-info" correlator="CiscoPnP-1.0-1465-25A1212C"><workInfo><bye/></workInfo></info>"#), "{bye}");
    assert!(bye.contains(r#"udi="PID:WS-C3750X-24T-E,VID:V04,SN:FDO1703P2EB""#));
}

/// §5 #2: CSR1000V 17.3.4a device-info `all` response (EV), with 17.x extensions.
const EV_DEVICE_INFO: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<pnp xmlns="urn:cisco:pnp" version="1.0" udi="PID:CSR1000V,VID:V00,SN:9ZKBZFEMJH3">
<response xmlns="urn:cisco:pnp:device-info" correlator="CiscoPnP-1.0-R33.200930-I1-P592-T43891-2" success="1">
<thisProfileName>pnp-zero-touch</thisProfileName>
<udi><primary-chassis>PID:CSR1000V,VID:V00,SN:9ZKBZFEMJH3</primary-chassis></udi>
<imageInfo><versionString>17.3.4a</versionString><imageFile>bootflash:packages.conf</imageFile><imageHash></imageHash><returnToRomReason>reload</returnToRomReason><bootVariable></bootVariable><bootLdrVariable></bootLdrVariable><configVariable></configVariable><configReg>0x2102</configReg><configRegNext></configRegNext></imageInfo>
<hardwareInfo><hostname>Router</hostname><vendor>Cisco</vendor><platformName>CSR1000V</platformName><processorType></processorType><hwRevision></hwRevision><mainMemSize>2009170944</mainMemSize><ioMemSize>0</ioMemSize><boardId>9ZKBZFEMJH3</boardId><boardReworkId></boardReworkId><processorRev></processorRev><midplaneVersion></midplaneVersion><location></location><deviceType></deviceType></hardwareInfo>
<fileSystemList><fileSystem name="bootflash" type="disk" size="6286540800" freespace="5017264128" readable="true" writable="true"/><fileSystem name="webui" type="disk" size="0" freespace="0" readable="true" writable="true"/><fileSystem name="nvram" type="nvram" size="33554432" freespace="33543069" readable="true" writable="true"/></fileSystemList>
<profileInfo><profile profile-name="pnp-zero-touch" discovery-created="true" created-by="DHCP"><primary-server><protocol>http</protocol><server-address><ipv4>192.168.1.10</ipv4></server-address><port>80</port></primary-server></profile></profileInfo>
<stackInfo><stackable>false</stackable></stackInfo>
<deviceModeInfo><isControllerManaged>false</isControllerManaged><mustReloadToChange>false</mustReloadToChange><initialDeviceMode>autonomous</initialDeviceMode><newDeviceMode>autonomous</newDeviceMode></deviceModeInfo>
</response>
</pnp>"#;

#[test]
fn csr1000v_device_info_all_keeps_every_group_and_unknown_sections() {
    let r = response(EV_DEVICE_INFO);
    assert_eq!(r.service, Service::DeviceInfo);
    assert!(r.success);
    let ResponseBody::DeviceInfo(info) = r.body else {
        panic!("{:?}", r.body)
    };
    assert_eq!(info.this_profile_name.as_deref(), Some("pnp-zero-touch"));
    assert_eq!(
        info.udi.as_ref().unwrap().primary_chassis.as_deref(),
        Some("PID:CSR1000V,VID:V00,SN:9ZKBZFEMJH3")
    );
    assert_eq!(info.image_field("versionString"), Some("17.3.4a"));
    assert_eq!(
        info.image_field("imageFile"),
        Some("bootflash:packages.conf")
    );
    assert_eq!(info.hardware_field("boardId"), Some("9ZKBZFEMJH3"));
    assert_eq!(info.hardware_field("deviceType"), Some(""));
    assert_eq!(info.file_systems.len(), 3);
    assert_eq!(info.file_systems[0].kind.as_deref(), Some("disk"));
    assert_eq!(
        info.file_systems[0].freespace.as_deref(),
        Some("5017264128")
    );
    let profile = &info.profiles[0];
    assert_eq!(profile.created_by.as_deref(), Some("DHCP"));
    let primary = profile.primary.as_ref().unwrap();
    assert_eq!(primary.protocol, "http");
    assert_eq!(
        primary.address,
        common::ServerAddress::Ipv4("192.168.1.10".into())
    );
    assert_eq!(primary.port, Some(80));
    let names: Vec<&str> = info.other.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["stackInfo", "deviceModeInfo"]);
    assert!(info.other[0].xml.contains("<stackable>false</stackable>"));
}

/// §5 #3: CISCO3945 (15.5) device-info with flash0 and a two-server profile (OP).
const OP_DEVICE_INFO: &str = r#"<pnp xmlns='urn:cisco:pnp' version='1.0' udi='PID:CISCO3945-CHASSIS,VID:V05,SN:FGL1234567A'>
  <response xmlns='urn:cisco:pnp:device-info' correlator='CiscoPnP-1.0-40830' success='1'>
    <udi><primary-chassis>PID:CISCO3945-CHASSIS,VID:V05,SN:FGL1234567A</primary-chassis></udi>
    <imageInfo><versionString>Cisco IOS Software, C3900 Software (C3900-UNIVERSALK9-M), Version 15.5(3)M</versionString><imageFile>flash0:c3900-universalk9-mz.SPA.155-3.M.bin</imageFile></imageInfo>
    <fileSystemList><fileSystem name='flash0' type='flash' size='256880640' freespace='134418432' readable='true' writable='true'/></fileSystemList>
    <profileInfo>
      <profile profile-name='pnp-zero-touch' discovery-created='true' created-by='PnP-DHCP'>
        <primary-server><protocol>http</protocol><server-address><ipv4>10.1.1.1</ipv4><port>80</port></server-address></primary-server>
        <backup-server><protocol>https</protocol><server-address><host>pnp.example.net</host><port>443</port></server-address></backup-server>
      </profile>
    </profileInfo>
  </response>
</pnp>"#;

#[test]
fn cisco3945_device_info_reads_flash0_and_both_servers() {
    let r = response(OP_DEVICE_INFO);
    assert_eq!(r.correlator.unwrap().raw(), "CiscoPnP-1.0-40830");
    let ResponseBody::DeviceInfo(info) = r.body else {
        panic!()
    };
    assert_eq!(info.file_systems[0].name.as_deref(), Some("flash0"));
    assert!(
        info.image_field("versionString")
            .unwrap()
            .starts_with("Cisco IOS Software")
    );
    let p = &info.profiles[0];
    assert_eq!(p.created_by.as_deref(), Some("PnP-DHCP"));
    let backup = p.backup.as_ref().unwrap();
    assert_eq!(
        backup.address,
        common::ServerAddress::Host("pnp.example.net".into())
    );
    assert_eq!(backup.port, Some(443));
}

/// §5 #5: capability response of an ISR 3945 (X `pnp_capability_svc.xsd` sample).
#[test]
fn capability_response_lists_capabilities_and_features() {
    let xml = r#"<pnp xmlns="urn:cisco:pnp" version="1.0" udi="PID:CISCO3945-CHASSIS,VID:V05,SN:FGL1234567A"><response xmlns="urn:cisco:pnp:capability" correlator="CiscoPnP-1.0-1-11-14A9C6D0-2" success="1"><supportedCapabilities><capability>cisco:pnp:cli-config</capability><capability>cisco:pnp:image-install</capability><capability>cisco:pnp:device-auth</capability><capability>cisco:pnp:tag</capability></supportedCapabilities><supportedFeatures><feature>cisco:pnp:cco-backoff</feature><feature>cisco:pnp:script-inline</feature></supportedFeatures></response></pnp>"#;
    let ResponseBody::Capability(caps) = response(xml).body else {
        panic!()
    };
    assert!(caps.supports("cisco:pnp:device-auth"));
    assert!(caps.supports("cisco:pnp:tag"));
    assert_eq!(
        caps.features,
        ["cisco:pnp:cco-backoff", "cisco:pnp:script-inline"]
    );
}

/// §5 #5: certificate-install response (empty on success, correlator optional).
#[test]
fn certificate_install_response_without_correlator_is_accepted() {
    let xml = r#"<pnp xmlns="urn:cisco:pnp" version="1.0" udi="PID:ISR4451-X/K9,VID:,SN:FOC1234X0AB"><response xmlns="urn:cisco:pnp:certificate-install" success="1"/></pnp>"#;
    let r = response(xml);
    assert_eq!(r.service, Service::CertificateInstall);
    assert_eq!(r.correlator, None);
    assert_eq!(r.envelope.udi.pid, "ISR4451-X/K9");
    assert_eq!(r.envelope.udi.vid, "");
    assert_eq!(r.body, ResponseBody::Empty);
}

/// §5 #8: real cli-exec response paths (IZ).
#[test]
fn cli_exec_response_reads_dialogue_logs() {
    let xml = "<pnp xmlns=\"urn:cisco:pnp\" version=\"1.0\" udi=\"PID:C1111-8P,VID:V01,SN:FGL220191QA\">\r\n<response xmlns=\"urn:cisco:pnp:cli-exec\" correlator=\"CiscoPnP-1.0-3-110-23ABAA4-3\" success=\"1\">\r\n<execLog><dialogueLog><sent>show version</sent><received><text>Cisco IOS XE Software, Version 17.03.04a\r\nuptime is 1 minute</text></received></dialogueLog></execLog></response></pnp>";
    let ResponseBody::CliExec(out) = response(xml).body else {
        panic!()
    };
    assert_eq!(out.logs[0].sent.as_deref(), Some("show version"));
    assert!(out.output().starts_with("Cisco IOS XE Software"));
}

/// §5 #10: real config-upgrade failure (DNAC output): ERROR / PnP Service Error 1413.
#[test]
fn config_upgrade_failure_maps_1413_to_named_code() {
    let xml = r#"<pnp xmlns="urn:cisco:pnp" version="1.0" udi="PID:C9300-24P,VID:V01,SN:FOC0000X0XX"><response xmlns="urn:cisco:pnp:config-upgrade" correlator="CiscoPnP-1.0-R29.90116-I1-P371-T1189547-2" success="0"><errorInfo><errorSeverity>ERROR</errorSeverity><errorCode>PnP Service Error 1413</errorCode><errorMessage>Invalid input detected</errorMessage></errorInfo></response></pnp>"#;
    let r = response(xml);
    assert!(!r.success);
    let e = r.error.unwrap();
    assert_eq!(e.severity.as_deref(), Some("ERROR"));
    assert_eq!(
        e.code,
        Some(ErrorCode::ConfigUpgrade(
            ConfigUpgradeError::InvalidInputDetected
        ))
    );
    assert_eq!(e.code.as_ref().unwrap().wire(), "PnP Service Error 1413");
    assert_eq!(e.code_text.as_deref(), Some("PnP Service Error 1413"));
    assert_eq!(e.message.as_deref(), Some("Invalid input detected"));
}

#[test]
fn unknown_error_codes_are_kept_verbatim() {
    let xml = r#"<pnp xmlns="urn:cisco:pnp" version="1.0" udi="PID:C1,VID:,SN:S1"><response xmlns="urn:cisco:pnp:image-install" correlator="c-1" success="0"><errorInfo><errorCode>PnP Service Error 1899</errorCode></errorInfo></response></pnp>"#;
    let code = response(xml).error.unwrap().code.unwrap();
    assert_eq!(code, ErrorCode::Other("PnP Service Error 1899".into()));
    assert_eq!(code.number(), Some(1899));
    let named = ErrorCode::classify(&Service::ImageInstall, "PnP Service Error 1816");
    assert_eq!(
        named,
        ErrorCode::ImageInstall(ImageInstallError::VerifyFailed)
    );
}

/// §5 #9 / §2.4: a fault without correlator, prefix `XSVC-ERR`, matched by UDI.
#[test]
fn fault_without_correlator_is_matched_by_udi() {
    let xml = r#"<pnp xmlns="urn:cisco:pnp" version="1.0" udi="PID:C9300-24P,VID:V01,SN:FOC0000X0XX">
  <response xmlns="urn:cisco:pnp:fault">
    <fault>
      <faultcode>XSVC:Client</faultcode>
      <faultstring>An unknown XML tag has been received</faultstring>
      <detail>
        <XSVC-ERR:error xmlns:XSVC-ERR="urn:cisco:pnp:error">
          <XSVC-ERR:details>ERR_XML_PARSE: unknown tag foo</XSVC-ERR:details>
        </XSVC-ERR:error>
      </detail>
    </fault>
  </response>
</pnp>"#;
    let AgentMessage::Fault(f) = agent(xml) else {
        panic!()
    };
    assert_eq!(f.correlator, None);
    assert_eq!(f.code.as_deref(), Some("XSVC:Client"));
    assert_eq!(
        f.string.as_deref(),
        Some("An unknown XML tag has been received")
    );
    assert_eq!(f.details.as_deref(), Some("ERR_XML_PARSE: unknown tag foo"));
    let outstanding = Correlator::new("CiscoPnP-1.0-1-3-7FEDE9147D00-2").unwrap();
    let udi = crate::identity::Udi::parse("PID:C9300-24P,VID:V01,SN:FOC0000X0XX").unwrap();
    let other = crate::identity::Udi::parse("PID:C9300-24P,VID:V01,SN:FOC9999").unwrap();
    assert!(f.matches(&udi, Some(&outstanding)));
    assert!(!f.matches(&other, Some(&outstanding)));
}

/// §5 #6: GS server templates (backoff, terminate, config-upgrade with reload, image-install).
#[test]
fn gs_templates_parse_as_requests() {
    let backoff = request(
        r#"<pnp xmlns="urn:cisco:pnp" version="1.0" udi="PID:C1117-4PMLTEEAWE,VID:V01,SN:FGL223590FL"><request xmlns="urn:cisco:pnp:backoff" correlator="CiscoPnP-1.0-1-11-14A9C6D0-2"><backoff><reason>backoffNow</reason><callbackAfter><seconds>0</seconds><minutes>1</minutes><hours>0</hours></callbackAfter></backoff></request></pnp>"#,
    );
    let ServiceRequest::Backoff(b) = backoff.body else {
        panic!()
    };
    assert_eq!(
        b.action,
        BackoffAction::CallbackAfter {
            hours: Some(0),
            minutes: Some(1),
            seconds: Some(0)
        }
    );
    let term = request(
        r#"<pnp xmlns="urn:cisco:pnp" version="1.0" udi="PID:C1,VID:,SN:S"><request xmlns="urn:cisco:pnp:backoff" correlator="x"><backoff><reason>Terminate</reason><terminate/></backoff></request></pnp>"#,
    );
    assert_eq!(
        term.body,
        ServiceRequest::Backoff(Backoff::terminate("Terminate"))
    );
    let cu = request(
        "<pnp xmlns=\"urn:cisco:pnp\" version=\"1.0\" udi=\"PID:C1,VID:,SN:S\"><request xmlns=\"urn:cisco:pnp:config-upgrade\" correlator=\"x\"><config details=\"all\"><copy><source><location>\n  http://10.0.0.5/configs/FGL223590FL.cfg\n</location></source><applyTo>startup</applyTo></copy></config><reload><reason>pnp device config</reason><delayIn>5</delayIn><user>pnp</user><saveConfig>true</saveConfig></reload></request></pnp>",
    );
    let ServiceRequest::ConfigUpgrade(c) = cu.body else {
        panic!()
    };
    assert_eq!(
        c.source.file,
        FileLocation::Location("http://10.0.0.5/configs/FGL223590FL.cfg".into())
    );
    assert_eq!(c.apply_to, Some(ApplyTo::Startup));
    let AfterOperation::Reload(reload) = c.after else {
        panic!()
    };
    assert_eq!((reload.delay_in, reload.save_config), (Some(5), Some(true)));
    let ii = request(
        r#"<pnp xmlns="urn:cisco:pnp" version="1.0" udi="PID:C1,VID:,SN:S"><request xmlns="urn:cisco:pnp:image-install" correlator="x"><image><copy><source><location>http://10.0.0.5/images/c1100-universalk9.17.06.05.SPA.bin</location><checksum>5660cb64e3e5d3f0dbc0c1b7b0c2e7a1</checksum></source><destination><location>bootflash:c1100-universalk9.17.06.05.SPA.bin</location></destination></copy></image><reload><delayIn>30</delayIn></reload></request></pnp>"#,
    );
    let ServiceRequest::ImageInstall(i) = ii.body else {
        panic!()
    };
    assert_eq!(
        i.source.checksum.as_deref(),
        Some("5660cb64e3e5d3f0dbc0c1b7b0c2e7a1")
    );
    assert!(matches!(i.after, AfterOperation::Reload(_)));
}

/// §5 #7: IZ templates (cli-exec, reload with eraseConfig, capability, image-install w/o reload).
#[test]
fn iz_templates_parse_as_requests() {
    let ce = request(
        r#"<pnp xmlns="urn:cisco:pnp" version="1.0" udi="PID:C1,VID:,SN:S"><request xmlns="urn:cisco:pnp:cli-exec" correlator="x"><execCLI maxWait="PT60S" xsd="false"><cmd>show run</cmd></execCLI></request></pnp>"#,
    );
    let ServiceRequest::CliExec(c) = ce.body else {
        panic!()
    };
    assert_eq!(
        (c.cmd.as_str(), c.max_wait.as_deref(), c.xsd),
        ("show run", Some("PT60S"), Some(false))
    );
    let rl = request(
        r#"<pnp xmlns="urn:cisco:pnp" version="1.0" udi="PID:C1,VID:,SN:S"><request xmlns="urn:cisco:pnp:reload" correlator="x"><reload><reason>pnp reload</reason><delayIn>0</delayIn><user>pnp-device</user><eraseConfig>true</eraseConfig></reload></request></pnp>"#,
    );
    let ServiceRequest::Reload(r) = rl.body else {
        panic!()
    };
    assert_eq!(r.config, Some(reload::ConfigAction::Erase(true)));
    let cap = request(
        r#"<pnp xmlns="urn:cisco:pnp" version="1.0" udi="PID:C1,VID:,SN:S"><request xmlns="urn:cisco:pnp:capability" correlator="x"/></pnp>"#,
    );
    assert_eq!(cap.body, ServiceRequest::Capability);
    let ii = request(
        r#"<pnp xmlns="urn:cisco:pnp" version="1.0" udi="PID:C1,VID:,SN:S"><request xmlns="urn:cisco:pnp:image-install" correlator="x"><image><copy><source><location>http://srv/images/a.bin</location></source></copy></image></request></pnp>"#,
    );
    let ServiceRequest::ImageInstall(i) = ii.body else {
        panic!()
    };
    assert_eq!(i.after, AfterOperation::DeviceDefault);
}

#[test]
fn prefixed_root_and_unknown_elements_are_tolerated() {
    let xml = r#"<p:pnp xmlns:p="urn:cisco:pnp" version="1.0" udi="PID:C1,VID:V1,SN:S1" extra="x"><w:info xmlns:w="urn:cisco:pnp:work-info" correlator="c-7" future="1"><w:newThing><w:deep>1</w:deep></w:newThing><w:deviceId><w:udi>PID:C1,VID:V1,SN:S1</w:udi><w:authRequired>0</w:authRequired><other xmlns="urn:example">z</other></w:deviceId></w:info></p:pnp>"#;
    let w = parse_work_request(xml.as_bytes()).unwrap();
    assert_eq!(w.correlator.as_str(), "c-7");
    assert_eq!(w.device_id.hostname, None);
}

#[test]
fn wrong_namespace_is_not_a_pnp_message() {
    let xml = r#"<pnp xmlns="urn:example" version="1.0" udi="PID:C1,VID:V1,SN:S1"/>"#;
    assert_eq!(
        parse_agent_message(xml.as_bytes()),
        Err(ParseError::UnexpectedRoot)
    );
    let no_udi = r#"<pnp xmlns="urn:cisco:pnp" version="1.0"/>"#;
    assert_eq!(
        parse_agent_message(no_udi.as_bytes()),
        Err(ParseError::MissingAttribute {
            element: "pnp",
            attribute: "udi"
        })
    );
    let bad_udi = r#"<pnp xmlns="urn:cisco:pnp" udi="VID:V1,SN:S1"/>"#;
    assert!(matches!(
        parse_agent_message(bad_udi.as_bytes()),
        Err(ParseError::BadUdi(_))
    ));
}
