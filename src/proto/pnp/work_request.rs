//! The work request (`info`/`deviceId`, pnp.md §2.5.1): the agent asks for work and says who it
//! claims to be.
//!
//! Inputs: the `info` element of an untrusted WORK-REQUEST body. Every identity value here is a
//! claim; the UDI is parsed with [`Udi::parse`] but proves nothing until compared with the
//! verified certificate identity.

use crate::identity::Udi;

use super::common::{opt_bool, parse_bool};
use super::envelope::{Correlator, Envelope, Header, NS_WORK_INFO};
use super::error::ParseError;
use super::write::{Node, xml_bool};
use super::xml::Element;

/// The `deviceId` block of a work request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceId {
    /// `udi` (the same UDI as the root, in practice).
    pub udi: Udi,
    /// `SUDI`: the serial number from the SUDI certificate, when the agent sends it.
    pub sudi: Option<String>,
    /// `macAddress` (CSR1000V sends it empty).
    pub mac_address: Option<String>,
    /// `hostname`.
    pub hostname: Option<String>,
    /// `authRequired`: the server must send `usr`/`pwd` in its next requests.
    pub auth_required: bool,
    /// `viaProxy`: relayed through a PnP proxy.
    pub via_proxy: Option<bool>,
    /// `securityAdvise`, e.g. "Password in clear text in unsecured transport".
    pub security_advise: Option<String>,
}

/// `info/reason/reload`, sent by IOS-XE 17.x after a reload (not in the XSD).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReloadReason {
    /// `message`, e.g. `factory-reset`.
    pub message: Option<String>,
    /// `code`, e.g. `PnP Service Info 2408`.
    pub code: Option<String>,
    /// `startupConfigPresent`.
    pub startup_config_present: Option<bool>,
}

/// A parsed WORK-REQUEST.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkRequest {
    /// Root attributes.
    pub envelope: Envelope,
    /// The correlator to echo in the answer.
    pub correlator: Correlator,
    /// The device's claims.
    pub device_id: DeviceId,
    /// Why the device (re)started PnP, when it says so.
    pub reason: Option<ReloadReason>,
}

impl WorkRequest {
    /// The work request an IOS agent sends: version 1.0 envelope for `udi`, its SUDI serial and
    /// hostname when it has them, and why it (re)started PnP when it says so.
    pub fn from_agent(
        udi: Udi,
        correlator: Correlator,
        sudi: Option<String>,
        hostname: String,
        reason: Option<ReloadReason>,
    ) -> Self {
        Self {
            envelope: Envelope {
                udi_text: udi.to_string(),
                udi: udi.clone(),
                version: Some("1.0".to_owned()),
                sid: None,
            },
            correlator,
            device_id: DeviceId {
                udi,
                sudi,
                mac_address: None,
                hostname: Some(hostname),
                auth_required: false,
                via_proxy: None,
                security_advise: None,
            },
            reason,
        }
    }

    /// Reads a work request from its envelope and `info` element.
    pub(crate) fn from_info(envelope: Envelope, info: &Element) -> Result<Self, ParseError> {
        if !info.is(NS_WORK_INFO, "info") {
            return Err(ParseError::UnexpectedBody { expected: "info" });
        }
        let correlator = Correlator::of(info)?.ok_or(ParseError::MissingAttribute {
            element: "info",
            attribute: "correlator",
        })?;
        let id = info.require("deviceId")?;
        let auth = id.require("authRequired")?;
        let device_id = DeviceId {
            udi: Udi::parse(&id.require("udi")?.text)?,
            sudi: id.child_text("SUDI"),
            mac_address: id.child_text("macAddress"),
            hostname: id.child_text("hostname"),
            auth_required: parse_bool(&auth.text, "authRequired")?,
            via_proxy: opt_bool(id, "viaProxy")?,
            security_advise: id.child_text("securityAdvise"),
        };
        let reason = match info.child("reason").and_then(|r| r.child("reload")) {
            Some(r) => Some(ReloadReason {
                message: r.child_text("message"),
                code: r.child_text("code"),
                startup_config_present: opt_bool(r, "startupConfigPresent")?,
            }),
            None => None,
        };
        Ok(Self {
            envelope,
            correlator,
            device_id,
            reason,
        })
    }

    /// Renders this work request as an agent would send it (for emulators and tests).
    pub fn render(&self) -> String {
        let id = &self.device_id;
        let device_id = Node::new("deviceId")
            .text_child("udi", id.udi.to_string())
            .opt_text_child("SUDI", id.sudi.as_ref())
            .opt_text_child("macAddress", id.mac_address.as_ref())
            .opt_text_child("hostname", id.hostname.as_ref())
            .text_child("authRequired", xml_bool(id.auth_required))
            .opt_text_child("viaProxy", id.via_proxy.map(xml_bool))
            .opt_text_child("securityAdvise", id.security_advise.as_ref());
        let reason = self.reason.as_ref().map(|r| {
            Node::new("reason").child(
                Node::new("reload")
                    .opt_text_child("message", r.message.as_ref())
                    .opt_text_child("code", r.code.as_ref())
                    .opt_text_child(
                        "startupConfigPresent",
                        r.startup_config_present.map(xml_bool),
                    ),
            )
        });
        let info = Node::new("info")
            .attr("xmlns", NS_WORK_INFO)
            .raw_attr("correlator", self.correlator.raw())
            .child(device_id)
            .opt_child(reason);
        Header::reply_to(&self.envelope).render(info)
    }
}
