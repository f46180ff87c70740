//! Rendering of the device's WORK-RESPONSE documents: `<response xmlns="urn:cisco:pnp:<service>"
//! correlator="…" success="0|1">` under a `<pnp>` root carrying the device UDI (pnp.md §2.2),
//! `errorInfo` (§2.3) and the correlator-less fault (§2.4).
//!
//! Inputs: the request's correlator, echoed byte for byte (§1.5), and device-built nodes.

use super::{Device, DeviceOutcome, Directive};
use crate::proto::pnp::envelope::NS_ERROR;
use crate::proto::pnp::write::Node;
use crate::proto::pnp::{Correlator, ErrorCode, ErrorInfo, Header, Service};

/// Severity written in `errorInfo`, per service (pnp.md §2.3; cli-* carry none).
fn severity(service: &Service) -> Option<&'static str> {
    match service {
        Service::CliConfig | Service::CliExec => None,
        Service::DeviceInfo
        | Service::ConfigUpgrade
        | Service::ImageInstall
        | Service::CertificateInstall => Some("XSVC_ERROR"),
        _ => Some("ERROR"),
    }
}

impl Device {
    /// The `<pnp>` document around a response element.
    pub(super) fn document(&self, body: Node) -> String {
        Header::new(&self.udi).render(body)
    }

    fn response_node(service: &Service, c: Option<&Correlator>, success: bool) -> Node {
        let node = Node::new("response").attr("xmlns", service.namespace());
        let node = match c {
            Some(c) => node.raw_attr("correlator", c.raw()),
            None => node,
        };
        node.attr("success", if success { "1" } else { "0" })
    }

    /// A successful response with these children.
    pub(super) fn ok(
        &self,
        c: Option<&Correlator>,
        service: &Service,
        children: Vec<Node>,
    ) -> DeviceOutcome {
        let node = children
            .into_iter()
            .fold(Self::response_node(service, c, true), Node::child);
        DeviceOutcome {
            response: Some(self.document(node)),
            success: true,
            reload: false,
            reload_delay: 0,
            directive: Directive::Continue,
        }
    }

    /// A failed response: optional service children, then `errorInfo` with `code`.
    pub(super) fn fail(
        &self,
        c: Option<&Correlator>,
        service: &Service,
        code: ErrorCode,
        message: &str,
        children: Vec<Node>,
    ) -> DeviceOutcome {
        let info = ErrorInfo {
            severity: severity(service).map(str::to_owned),
            code_text: Some(code.wire()),
            code: Some(code),
            message: Some(message.to_owned()),
        };
        let node = children
            .into_iter()
            .fold(Self::response_node(service, c, false), Node::child)
            .child(info.to_node());
        DeviceOutcome {
            response: Some(self.document(node)),
            success: false,
            reload: false,
            reload_delay: 0,
            directive: Directive::Continue,
        }
    }

    /// The fault a device sends for a request it cannot parse or does not support: no
    /// correlator, no `success` (pnp.md §2.4).
    pub fn fault(&self, faultstring: &str, details: &str) -> String {
        let error = Node::new("xsvc-err:error")
            .attr("xmlns:xsvc-err", NS_ERROR)
            .text_child("xsvc-err:details", details);
        let fault = Node::new("fault")
            .text_child("faultcode", "XSVC:Client")
            .text_child("faultstring", faultstring)
            .child(Node::new("detail").child(error));
        let response = Node::new("response")
            .attr("xmlns", Service::Fault.namespace())
            .child(fault);
        self.document(response)
    }
}
