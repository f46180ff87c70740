//! The WORK-RESPONSE documents the SMI proxy sends on a legacy client's behalf
//! (`../shared/protocols/pnp.md` §2.2–§2.3, `../shared/reference/smi-proxy.txt`): every document
//! carries the client's UDI, echoes the request's correlator byte for byte, and answers only
//! with what the proxy really knows about the client — its UDI, the image and version its
//! `show version` (or a later install) reported, its PnP profile, and its CDP neighbors.
//!
//! Refusals carry the reference's exact enum and string (`services::Refusal`); failures of a
//! Smart Install operation carry the service's documented error code and the reason.
//!
//! Pure: facts in, XML text out. The facts come from the proxy database (device-reported values,
//! already bounded there).

use crate::identity::Udi;
use crate::proto::pnp::device_info::DeviceInfoType;
use crate::proto::pnp::error_info::DeviceInfoError;
use crate::proto::pnp::write::Node;
use crate::proto::pnp::{Correlator, ErrorCode, ErrorInfo, Header, Service};
use crate::roles::smi_proxy::services::{Refusal, SUPPORTED_SERVICES};

/// A CDP neighbor of a proxied client, as the topology service reports it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Neighbor {
    /// The client's own port (CDP port-id of the client's advertisement).
    pub local_interface: String,
    /// The neighbor's port the client hangs off (the capture interface's peer).
    pub remote_interface: String,
    /// The neighbor's name.
    pub device_name: String,
    /// The neighbor's platform.
    pub platform: String,
    /// The neighbor's software version.
    pub version: String,
}

/// What the proxy knows about one client.
#[derive(Clone, Copy, Debug)]
pub struct Facts<'a> {
    /// The UDI learned from `show version`.
    pub udi: &'a Udi,
    /// Hostname.
    pub hostname: Option<&'a str>,
    /// Running software version.
    pub version: Option<&'a str>,
    /// Running image file.
    pub image: Option<&'a str>,
    /// The PnP profile the proxy is associated with.
    pub profile: &'a str,
    /// CDP neighbors.
    pub neighbors: &'a [Neighbor],
}

/// Severity written in a proxy failure (pnp.md §2.3: the `XSVC_ERROR` services).
fn severity(service: &Service) -> &'static str {
    match service {
        Service::DeviceInfo
        | Service::ConfigUpgrade
        | Service::ImageInstall
        | Service::CertificateInstall => "XSVC_ERROR",
        _ => "ERROR",
    }
}

fn response_node(service: &Service, correlator: &Correlator, success: bool) -> Node {
    Node::new("response")
        .attr("xmlns", service.namespace())
        .raw_attr("correlator", correlator.raw())
        .attr("success", if success { "1" } else { "0" })
}

/// A successful response of `service` with `children`.
pub fn success(
    udi: &Udi,
    correlator: &Correlator,
    service: &Service,
    children: Vec<Node>,
) -> String {
    let node = children
        .into_iter()
        .fold(response_node(service, correlator, true), Node::child);
    Header::new(udi).render(node)
}

/// A failed response of `service` with `errorCode` `code` and `errorMessage` `message`.
pub fn failure(
    udi: &Udi,
    correlator: &Correlator,
    service: &Service,
    code: &str,
    message: &str,
) -> String {
    let info = ErrorInfo {
        severity: Some(severity(service).to_owned()),
        code: Some(ErrorCode::Other(code.to_owned())),
        code_text: Some(code.to_owned()),
        message: Some(message.to_owned()),
    };
    Header::new(udi).render(response_node(service, correlator, false).child(info.to_node()))
}

/// A documented refusal of `service`.
pub fn refusal(udi: &Udi, correlator: &Correlator, service: &Service, refusal: Refusal) -> String {
    failure(udi, correlator, service, refusal.code, refusal.message)
}

/// The capability answer: the seven services the proxy supports.
pub fn capabilities() -> Vec<Node> {
    let caps = SUPPORTED_SERVICES
        .iter()
        .fold(Node::new("supportedCapabilities"), |n, s| {
            n.text_child("capability", format!("cisco:pnp:{s}"))
        });
    vec![caps]
}

/// The device-info sections of `kind` the proxy can answer (hardware and filesystem are refused
/// before this is called; `all` gives UDI, image and profile).
pub fn device_info(kind: &DeviceInfoType, facts: &Facts<'_>) -> Result<Vec<Node>, ErrorCode> {
    let udi = || Node::new("udi").text_child("primary-chassis", facts.udi.to_string());
    let image = || {
        Node::new("imageInfo")
            .text_child("versionString", facts.version.unwrap_or_default())
            .text_child("imageFile", facts.image.unwrap_or_default())
    };
    let profile = || {
        Node::new("profileInfo").child(
            Node::new("profile")
                .attr("profile-name", facts.profile)
                .attr("discovery-created", "false")
                .attr("created-by", "SMI-PROXY"),
        )
    };
    match kind {
        DeviceInfoType::All => Ok(vec![udi(), image(), profile()]),
        DeviceInfoType::Udi => Ok(vec![udi()]),
        DeviceInfoType::Image => Ok(vec![image()]),
        DeviceInfoType::Profile => Ok(vec![profile()]),
        DeviceInfoType::Hardware | DeviceInfoType::Filesystem | DeviceInfoType::Other(_) => {
            Err(ErrorCode::DeviceInfo(DeviceInfoError::InvalidRequest))
        }
    }
}

/// The topology answer: one element per CDP neighbor (none when none was seen).
pub fn topology(facts: &Facts<'_>) -> Vec<Node> {
    let topology = facts.neighbors.iter().fold(Node::new("topology"), |t, n| {
        let local = Node::new("local").text_child("interface", &n.local_interface);
        let remote = Node::new("remote")
            .text_child("interface", &n.remote_interface)
            .text_child("deviceName", &n.device_name)
            .text_child("platform", &n.platform)
            .text_child("version", &n.version);
        t.child(Node::new("element").child(local).child(remote))
    });
    vec![topology]
}

#[cfg(test)]
mod tests;
