//! Read-only and acknowledging services of the simulated device: backoff (§2.5.3, turned into a
//! [`Directive`]), device-info (§2.5.4),
//! capability (§2.5.15), topology (§2.5.16), device-auth (§2.5.17), certificate-install and
//! redirection (§2.5.13–14, acknowledged and turned into a reconnect), licensing and script
//! (§2.5.10, §2.5.12: success with a note; nothing is installed or run).
//!
//! Inputs: parsed requests; the device-auth challenge is signed as raw bytes (DV step 4).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use std::time::Duration;

use super::{Device, DeviceOutcome, Directive, EMPTY_CALLBACK_WAIT};
use crate::proto::pnp::error_info::{DeviceAuthError, DeviceInfoError};
use crate::proto::pnp::write::Node;
use crate::proto::pnp::{
    BackoffAction, CertificateInstall, Correlator, DeviceAuthAnswer, DeviceAuthRequest,
    DeviceInfoType, ErrorCode, Licensing, Redirection, Service,
};

/// Capabilities the simulated agent reports (pnp.md §2.5.15).
const CAPABILITIES: &[&str] = &[
    "cisco:pnp:backoff",
    "cisco:pnp:capability",
    "cisco:pnp:certificate-install",
    "cisco:pnp:cli-config",
    "cisco:pnp:cli-exec",
    "cisco:pnp:config-upgrade",
    "cisco:pnp:device-auth",
    "cisco:pnp:device-info",
    "cisco:pnp:file-transfer",
    "cisco:pnp:image-install",
    "cisco:pnp:licensing",
    "cisco:pnp:redirection",
    "cisco:pnp:reload",
    "cisco:pnp:script",
    "cisco:pnp:topology",
];

impl Device {
    pub(super) fn backoff(
        &mut self,
        c: Option<&Correlator>,
        action: &BackoffAction,
    ) -> DeviceOutcome {
        let directive = match action {
            BackoffAction::CallbackAfter {
                hours,
                minutes,
                seconds,
            } => {
                let secs = u64::from(hours.unwrap_or(0)) * 3600
                    + u64::from(minutes.unwrap_or(0)) * 60
                    + u64::from(seconds.unwrap_or(0));
                let none = hours.is_none() && minutes.is_none() && seconds.is_none();
                Directive::Wait(if none {
                    EMPTY_CALLBACK_WAIT
                } else {
                    Duration::from_secs(secs)
                })
            }
            BackoffAction::DefaultMinutes(m) => {
                Directive::SetRetry(Duration::from_secs(u64::from(*m) * 60))
            }
            BackoffAction::Terminate => Directive::Terminate,
        };
        let mut outcome = self.ok(c, &Service::Backoff, Vec::new());
        outcome.directive = directive;
        outcome
    }

    pub(super) fn device_info(
        &self,
        c: Option<&Correlator>,
        kind: &DeviceInfoType,
    ) -> DeviceOutcome {
        let sections = match kind {
            DeviceInfoType::All => vec![
                self.udi_section(),
                self.image_section(),
                self.hardware_section(),
                self.file_system_section(),
                self.profile_section(),
            ],
            DeviceInfoType::Udi => vec![self.udi_section()],
            DeviceInfoType::Image => vec![self.image_section()],
            DeviceInfoType::Hardware => vec![self.hardware_section()],
            DeviceInfoType::Filesystem => vec![self.file_system_section()],
            DeviceInfoType::Profile => vec![self.profile_section()],
            DeviceInfoType::Other(_) => {
                let code = ErrorCode::DeviceInfo(DeviceInfoError::InvalidRequest);
                return self.fail(
                    c,
                    &Service::DeviceInfo,
                    code,
                    "invalid request type",
                    vec![],
                );
            }
        };
        self.ok(c, &Service::DeviceInfo, sections)
    }

    fn udi_section(&self) -> Node {
        Node::new("udi").text_child("primary-chassis", self.udi.to_string())
    }

    fn image_section(&self) -> Node {
        Node::new("imageInfo")
            .text_child("versionString", &self.version)
            .text_child("imageFile", &self.image)
            .text_child("imageHash", "")
            .text_child("returnToRomReason", "reload")
            .text_child("bootVariable", format!("{};", self.boot_image))
            .text_child("bootLdrVariable", "")
            .text_child("configVariable", "")
            .text_child("configReg", format!("0x{:X}", self.config_register))
            .text_child(
                "configRegNext",
                format!("0x{:X}", self.config_register_next),
            )
    }

    fn hardware_section(&self) -> Node {
        Node::new("hardwareInfo")
            .text_child("hostname", &self.hostname)
            .text_child("vendor", "Cisco")
            .text_child("platformName", &self.udi.pid)
            .text_child("processorType", "ztpgate-sim")
            .text_child("hwRevision", &self.udi.vid)
            .text_child("mainMemSize", "8388608")
            .text_child("ioMemSize", "0")
            .text_child("boardId", &self.udi.sn)
            .text_child("boardReworkId", "")
            .text_child("processorRev", "")
            .text_child("midplaneVersion", "")
            .text_child("location", "")
    }

    fn file_system_section(&self) -> Node {
        self.file_systems
            .iter()
            .fold(Node::new("fileSystemList"), |list, fs| {
                list.child(
                    Node::new("fileSystem")
                        .attr("name", &fs.name)
                        .attr("type", &fs.kind)
                        .attr("size", fs.size.to_string())
                        .attr("freespace", fs.free().to_string())
                        .attr("readable", "true")
                        .attr("writable", "true"),
                )
            })
    }

    fn profile_section(&self) -> Node {
        Node::new("profileInfo").child(
            Node::new("profile")
                .attr("profile-name", "pnp-zero-touch")
                .attr("discovery-created", "true")
                .attr("created-by", "DHCP"),
        )
    }

    pub(super) fn capability(&self, c: Option<&Correlator>) -> DeviceOutcome {
        let caps = CAPABILITIES
            .iter()
            .fold(Node::new("supportedCapabilities"), |n, cap| {
                n.text_child("capability", cap)
            });
        let features =
            Node::new("supportedFeatures").text_child("feature", "cisco:pnp:service-log");
        self.ok(c, &Service::Capability, vec![caps, features])
    }

    pub(super) fn topology(&self, c: Option<&Correlator>) -> DeviceOutcome {
        let local = Node::new("local")
            .text_child("interface", "GigabitEthernet1/0/1")
            .text_child("shortInterface", "Gi1/0/1")
            .text_child("macAddress", "00:11:22:33:44:55");
        let remote = Node::new("remote")
            .text_child("interface", "GigabitEthernet1/0/48")
            .text_child("shortInterface", "Gi1/0/48")
            .text_child("macAddress", "00:11:22:33:44:66")
            .text_child("deviceName", "upstream")
            .text_child("platform", "C9300-48P")
            .text_child("version", "17.09.04a");
        let topology = Node::new("topology").child(Node::new("element").child(local).child(remote));
        self.ok(c, &Service::Topology, vec![topology])
    }

    pub(super) fn device_auth(
        &self,
        c: Option<&Correlator>,
        request: &DeviceAuthRequest,
    ) -> DeviceOutcome {
        let fail = |code, message: &str| {
            self.fail(
                c,
                &Service::DeviceAuth,
                ErrorCode::DeviceAuth(code),
                message,
                vec![],
            )
        };
        let Some(sudi) = &self.sudi else {
            return fail(DeviceAuthError::CertRetrievalFailed, "no SUDI certificate");
        };
        let offered =
            |list: &str, want: &str| list.split(',').any(|m| m.trim().eq_ignore_ascii_case(want));
        if !offered(&request.encryption_methods, sudi.key.method()) {
            return fail(
                DeviceAuthError::InvalidEncryptionMethod,
                "encryption method",
            );
        }
        if !offered(&request.hash_methods, "SHA256") {
            return fail(DeviceAuthError::InvalidHashMethod, "hash method");
        }
        let Some(signature) = sudi.key.sign(request.challenge.as_bytes()) else {
            return fail(DeviceAuthError::SignFailed, "signing failed");
        };
        let [_, _, device] = &sudi.chain;
        let pem = device_pem(device);
        let answer = DeviceAuthAnswer {
            challenge_response: STANDARD.encode(signature),
            sudi_cert: STANDARD.encode(pem),
            encryption_method: Some(sudi.key.method().to_owned()),
            hash_method: Some("SHA256".to_owned()),
        };
        self.ok(c, &Service::DeviceAuth, vec![answer.to_node()])
    }

    pub(super) fn certificate_install(
        &self,
        c: Option<&Correlator>,
        request: &CertificateInstall,
    ) -> DeviceOutcome {
        let mut outcome = self.ok(c, &Service::CertificateInstall, vec![]);
        if let Some(reconnect) = &request.reconnect {
            outcome.directive = Directive::Reconnect(reconnect.primary.clone());
        }
        outcome
    }

    pub(super) fn redirection(
        &self,
        c: Option<&Correlator>,
        request: &Redirection,
    ) -> DeviceOutcome {
        let mut outcome = self.ok(c, &Service::Redirection, vec![]);
        outcome.directive = Directive::Reconnect(request.primary.clone());
        outcome
    }

    pub(super) fn licensing(&self, c: Option<&Correlator>, request: &Licensing) -> DeviceOutcome {
        let total = request.apply.len().to_string();
        let info = Node::new("licensingInfo")
            .text_child("total", &total)
            .text_child("successfull", &total)
            .text_child("failed", "0")
            .text_child("existing", "0");
        self.ok(c, &Service::Licensing, vec![info])
    }

    pub(super) fn script(&self, c: Option<&Correlator>) -> DeviceOutcome {
        let log = Node::new("serviceLog").text("simulated device: script accepted, not executed");
        self.ok(c, &Service::Script, vec![log])
    }
}

/// The PEM text of a certificate (64-column base64, as a device prints it).
pub(super) fn device_pem(cert: &rustls_pki_types::CertificateDer<'_>) -> String {
    let b64 = STANDARD.encode(cert.as_ref());
    let mut pem = String::from("-----BEGIN CERTIFICATE-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        pem.push_str(&String::from_utf8_lossy(chunk));
        pem.push('\n');
    }
    pem.push_str("-----END CERTIFICATE-----\n");
    pem
}
