//! Cisco Plug-and-Play (PnP) XML messages: bounded parsing of agent → server messages into typed
//! values, and deterministic rendering of server → agent messages (`../shared/protocols/pnp.md`
//! §2, one file per service as in §2.5).
//!
//! Inputs: agent bodies are untrusted bytes; [`xml`] bounds them ([`MAX_BODY_BYTES`], depth,
//! element and attribute counts) and refuses DTDs and custom entities before anything is typed.
//! Parsing matches `{namespace}local` names, tolerates unknown elements and attributes (§2.6),
//! and keeps correlators byte for byte (§1.5). Server requests are parsed with the same code for
//! emulators and round-trip tests. Pure: no I/O, no clock, no randomness (nonces come in as
//! arguments).
//!
//! Entry points: [`parse_agent_message`], [`parse_work_request`], [`parse_server_message`],
//! [`Request::render`] and [`Bye::render`].

pub mod backoff;
pub mod bye;
pub mod capability;
pub mod certificate_install;
pub mod cli_config;
pub mod cli_exec;
pub mod common;
pub mod config_upgrade;
pub mod device_auth;
pub mod device_info;
pub mod envelope;
pub mod error;
pub mod error_info;
pub mod fault;
pub mod file_transfer;
pub mod image_install;
pub mod licensing;
pub mod redirection;
pub mod reload;
pub mod script;
pub mod topology;
pub mod work_request;
pub mod write;
pub mod xml;

#[cfg(test)]
mod tests;

pub use backoff::{Backoff, BackoffAction};
pub use bye::Bye;
pub use capability::Capabilities;
pub use certificate_install::{CertificateInstall, Reconnect};
pub use cli_config::{CliConfig, CliConfigResult};
pub use cli_exec::{CliExec, CliExecResult};
pub use common::{AfterOperation, FileLocation, Source};
pub use config_upgrade::{ApplyTo, ConfigUpgrade};
pub use device_auth::{DeviceAuthAnswer, DeviceAuthRequest};
pub use device_info::{DeviceInfo, DeviceInfoRequest, DeviceInfoType};
pub use envelope::{Correlator, Envelope, Header, Service};
pub use error::ParseError;
pub use error_info::{ErrorCode, ErrorInfo};
pub use fault::Fault;
pub use file_transfer::FileTransfer;
pub use image_install::ImageInstall;
pub use licensing::{Licensing, LicensingInfo};
pub use redirection::Redirection;
pub use reload::ReloadRequest;
pub use script::Script;
pub use topology::Topology;
pub use work_request::WorkRequest;
pub use xml::{MAX_ATTRIBUTES, MAX_BODY_BYTES, MAX_DEPTH, MAX_ELEMENTS};

use common::parse_bool;
use device_info::RawSection;
use envelope::{NS_WORK_INFO, request_node, split_root};
use xml::{Element, parse_document};

/// The body of a server → agent service request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServiceRequest {
    /// Backoff.
    Backoff(Backoff),
    /// Device info.
    DeviceInfo(DeviceInfoRequest),
    /// CLI exec.
    CliExec(CliExec),
    /// CLI config.
    CliConfig(CliConfig),
    /// Config upgrade.
    ConfigUpgrade(ConfigUpgrade),
    /// Image install.
    ImageInstall(ImageInstall),
    /// File transfer.
    FileTransfer(FileTransfer),
    /// Licensing.
    Licensing(Licensing),
    /// Reload.
    Reload(ReloadRequest),
    /// Script.
    Script(Script),
    /// Topology (empty request).
    Topology,
    /// Capability (empty request).
    Capability,
    /// Certificate install.
    CertificateInstall(CertificateInstall),
    /// Redirection.
    Redirection(Redirection),
    /// Device authentication challenge.
    DeviceAuth(DeviceAuthRequest),
}

impl ServiceRequest {
    /// The service (and so the namespace) of this request.
    pub fn service(&self) -> Service {
        match self {
            Self::Backoff(_) => Service::Backoff,
            Self::DeviceInfo(_) => Service::DeviceInfo,
            Self::CliExec(_) => Service::CliExec,
            Self::CliConfig(_) => Service::CliConfig,
            Self::ConfigUpgrade(_) => Service::ConfigUpgrade,
            Self::ImageInstall(_) => Service::ImageInstall,
            Self::FileTransfer(_) => Service::FileTransfer,
            Self::Licensing(_) => Service::Licensing,
            Self::Reload(_) => Service::Reload,
            Self::Script(_) => Service::Script,
            Self::Topology => Service::Topology,
            Self::Capability => Service::Capability,
            Self::CertificateInstall(_) => Service::CertificateInstall,
            Self::Redirection(_) => Service::Redirection,
            Self::DeviceAuth(_) => Service::DeviceAuth,
        }
    }

    fn append_to(&self, request: write::Node) -> write::Node {
        match self {
            Self::Backoff(b) => b.append_to(request),
            Self::DeviceInfo(d) => d.append_to(request),
            Self::CliExec(c) => c.append_to(request),
            Self::CliConfig(c) => c.append_to(request),
            Self::ConfigUpgrade(c) => c.append_to(request),
            Self::ImageInstall(i) => i.append_to(request),
            Self::FileTransfer(f) => f.append_to(request),
            Self::Licensing(l) => l.append_to(request),
            Self::Reload(r) => r.append_to(request),
            Self::Script(s) => s.append_to(request),
            Self::Topology | Self::Capability => request,
            Self::CertificateInstall(c) => c.append_to(request),
            Self::Redirection(r) => r.append_to(request),
            Self::DeviceAuth(d) => d.append_to(request),
        }
    }

    fn from_request(service: &Service, e: &Element) -> Result<Self, ParseError> {
        Ok(match service {
            Service::Backoff => Self::Backoff(Backoff::from_request(e)?),
            Service::DeviceInfo => Self::DeviceInfo(DeviceInfoRequest::from_request(e)?),
            Service::CliExec => Self::CliExec(CliExec::from_request(e)?),
            Service::CliConfig => Self::CliConfig(CliConfig::from_request(e)?),
            Service::ConfigUpgrade => Self::ConfigUpgrade(ConfigUpgrade::from_request(e)?),
            Service::ImageInstall => Self::ImageInstall(ImageInstall::from_request(e)?),
            Service::FileTransfer => Self::FileTransfer(FileTransfer::from_request(e)?),
            Service::Licensing => Self::Licensing(Licensing::from_request(e)?),
            Service::Reload => Self::Reload(ReloadRequest::from_request(e)?),
            Service::Script => Self::Script(Script::from_request(e)?),
            Service::Topology => Self::Topology,
            Service::Capability => Self::Capability,
            Service::CertificateInstall => {
                Self::CertificateInstall(CertificateInstall::from_request(e)?)
            }
            Service::Redirection => Self::Redirection(Redirection::from_request(e)?),
            Service::DeviceAuth => Self::DeviceAuth(DeviceAuthRequest::from_request(e)?),
            Service::Fault | Service::Other(_) => {
                return Err(ParseError::UnknownService {
                    namespace: service.namespace(),
                });
            }
        })
    }
}

/// A server → agent service request with its correlator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// The correlator of the agent's work request (optional only for redirection and
    /// certificate-install, which the server may originate).
    pub correlator: Option<Correlator>,
    /// The service body.
    pub body: ServiceRequest,
}

impl Request {
    /// A request answering the work request that carried `correlator`.
    pub fn new(correlator: Correlator, body: ServiceRequest) -> Self {
        Self {
            correlator: Some(correlator),
            body,
        }
    }

    /// Renders the whole document.
    pub fn render(&self, header: &Header) -> String {
        let node = request_node(&self.body.service(), self.correlator.as_ref());
        header.render(self.body.append_to(node))
    }
}

/// The service-specific result of a work response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ResponseBody {
    /// Services whose response holds nothing but `errorInfo` (backoff, image-install,
    /// file-transfer, reload, certificate-install, redirection).
    Empty,
    /// Device info.
    DeviceInfo(DeviceInfo),
    /// CLI exec output.
    CliExec(CliExecResult),
    /// CLI config per-line results.
    CliConfig(CliConfigResult),
    /// Config upgrade: the captured vty output.
    ConfigUpgrade {
        /// `serviceLog`.
        service_log: Option<String>,
    },
    /// Licensing counts.
    Licensing(Option<LicensingInfo>),
    /// Script output.
    Script {
        /// `serviceLog`.
        service_log: Option<String>,
        /// `resultData`.
        result_data: Option<String>,
    },
    /// Topology.
    Topology(Topology),
    /// Capabilities.
    Capability(Capabilities),
    /// Device-auth answer (absent when the device failed).
    DeviceAuth(Option<DeviceAuthAnswer>),
    /// A service this module does not model: its children, re-rendered.
    Unmodelled(Vec<RawSection>),
}

impl ResponseBody {
    fn of(service: &Service, r: &Element) -> Self {
        match service {
            Service::DeviceInfo => Self::DeviceInfo(DeviceInfo::from_response(r)),
            Service::CliExec => Self::CliExec(CliExecResult::from_response(r)),
            Service::CliConfig => Self::CliConfig(CliConfigResult::from_response(r)),
            Service::ConfigUpgrade => Self::ConfigUpgrade {
                service_log: r.child_text("serviceLog"),
            },
            Service::Licensing => Self::Licensing(LicensingInfo::from_response(r)),
            Service::Script => Self::Script {
                service_log: r.child_text("serviceLog"),
                result_data: r.child_text("resultData"),
            },
            Service::Topology => Self::Topology(Topology::from_response(r)),
            Service::Capability => Self::Capability(Capabilities::from_response(r)),
            Service::DeviceAuth => Self::DeviceAuth(DeviceAuthAnswer::from_response(r)),
            Service::Other(_) => Self::Unmodelled(
                r.children
                    .iter()
                    .map(|c| RawSection {
                        name: c.name.clone(),
                        xml: c.to_xml(),
                    })
                    .collect(),
            ),
            _ => Self::Empty,
        }
    }
}

/// A parsed WORK-RESPONSE of any service other than fault.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkResponse {
    /// Root attributes.
    pub envelope: Envelope,
    /// The service, from the response namespace.
    pub service: Service,
    /// The echoed correlator (required except for redirection and certificate-install).
    pub correlator: Option<Correlator>,
    /// `success="1"`.
    pub success: bool,
    /// `errorInfo`, normally present when `success="0"`.
    pub error: Option<ErrorInfo>,
    /// The service-specific result.
    pub body: ResponseBody,
}

impl WorkResponse {
    fn from_response(
        envelope: Envelope,
        service: Service,
        r: &Element,
    ) -> Result<Self, ParseError> {
        let correlator = Correlator::of(r)?;
        let optional = matches!(service, Service::Redirection | Service::CertificateInstall);
        if correlator.is_none() && !optional {
            return Err(ParseError::MissingAttribute {
                element: "response",
                attribute: "correlator",
            });
        }
        let success = r.attr("success").ok_or(ParseError::MissingAttribute {
            element: "response",
            attribute: "success",
        })?;
        Ok(Self {
            success: parse_bool(success, "success")?,
            error: ErrorInfo::of(r, &service),
            body: ResponseBody::of(&service, r),
            envelope,
            service,
            correlator,
        })
    }
}

/// Any message an agent POSTs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AgentMessage {
    /// WORK-REQUEST.
    WorkRequest(WorkRequest),
    /// WORK-RESPONSE of a service.
    Response(WorkResponse),
    /// WORK-RESPONSE reporting a fault.
    Fault(Fault),
}

/// Any message a server sends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServerMessage {
    /// A bye.
    Bye(Bye),
    /// A service request (boxed: much larger than a bye).
    Request(Box<Request>),
}

/// Parses an agent body (WORK-REQUEST or WORK-RESPONSE).
pub fn parse_agent_message(body: &[u8]) -> Result<AgentMessage, ParseError> {
    let root = parse_document(body)?;
    let (envelope, element) = split_root(&root)?;
    match element.name.as_str() {
        "info" => WorkRequest::from_info(envelope, element).map(AgentMessage::WorkRequest),
        "response" => {
            let service = Service::from_namespace(&element.ns).ok_or_else(|| unknown(element))?;
            if service == Service::Fault {
                return Fault::from_response(envelope, element).map(AgentMessage::Fault);
            }
            WorkResponse::from_response(envelope, service, element).map(AgentMessage::Response)
        }
        _ => Err(ParseError::UnexpectedBody {
            expected: "info|response",
        }),
    }
}

/// Parses a WORK-REQUEST body.
pub fn parse_work_request(body: &[u8]) -> Result<WorkRequest, ParseError> {
    match parse_agent_message(body)? {
        AgentMessage::WorkRequest(w) => Ok(w),
        _ => Err(ParseError::UnexpectedBody { expected: "info" }),
    }
}

/// Parses a server body (bye or service request), for agent emulators and round-trip tests.
pub fn parse_server_message(body: &[u8]) -> Result<(Envelope, ServerMessage), ParseError> {
    let root = parse_document(body)?;
    let (envelope, element) = split_root(&root)?;
    let message = match element.name.as_str() {
        "info" if element.ns == NS_WORK_INFO => ServerMessage::Bye(Bye::from_info(element)?),
        "request" => {
            let service = Service::from_namespace(&element.ns).ok_or_else(|| unknown(element))?;
            let request = Request {
                correlator: Correlator::of(element)?,
                body: ServiceRequest::from_request(&service, element)?,
            };
            ServerMessage::Request(Box::new(request))
        }
        _ => {
            return Err(ParseError::UnexpectedBody {
                expected: "info|request",
            });
        }
    };
    Ok((envelope, message))
}

fn unknown(e: &Element) -> ParseError {
    ParseError::UnknownService {
        namespace: error::truncated(&e.ns),
    }
}
