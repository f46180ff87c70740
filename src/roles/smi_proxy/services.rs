//! What the SMI proxy does with each request a PnP server sends on a legacy client's behalf
//! (`../shared/reference/smi-proxy.txt`, "Unsupported Services"): only seven services are
//! supported — capabilities, config-upgrade, device-info, image-install, topology, backoff and
//! bye — and every refusal carries the exact enum and string the reference documents.
//!
//! - config-upgrade to the **running** config is refused (`XSVC_ERROR_CONFIG_UPGRADE_UNSUPPORTED`);
//!   the server then retries toward startup, which becomes a Smart Install config push;
//! - image-install becomes an image list + image-upgrade (the image fetched by the proxy over
//!   HTTPS, checksum-verified, re-served locally);
//! - device-info of type hardware or filesystem is refused with the two documented strings;
//! - anything else gets `PNP_ERROR_UNSUPPORTED_REQUEST`.
//!
//! Pure: a parsed request in, an [`Action`] out. The request comes from the (authenticated)
//! PnP server and was parsed by the bounded `proto::pnp` parser.

use crate::proto::pnp::ServiceRequest;
use crate::proto::pnp::backoff::BackoffAction;
use crate::proto::pnp::common::{AfterOperation, FileLocation};
use crate::proto::pnp::config_upgrade::ApplyTo;
use crate::proto::pnp::device_info::DeviceInfoType;

/// The services the proxy supports, as the reference lists them.
pub const SUPPORTED_SERVICES: [&str; 7] = [
    "capabilities",
    "config-upgrade",
    "device-info",
    "image-install",
    "topology",
    "backoff",
    "bye",
];

/// A documented refusal: the error enum and the error string.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// `errorCode` (the reference's "Enum").
    pub code: &'static str,
    /// `errorMessage` (the reference's "Error string").
    pub message: &'static str,
}

/// A service outside the seven.
pub const UNSUPPORTED_SERVICE: Refusal = Refusal {
    code: "PNP_ERROR_UNSUPPORTED_REQUEST",
    message: "SMI PROXY:Not supported service request",
};
/// A configuration upgrade aimed at the running configuration.
pub const RUNNING_CONFIG_UNSUPPORTED: Refusal = Refusal {
    code: "XSVC_ERROR_CONFIG_UPGRADE_UNSUPPORTED",
    message: "SMI PROXY: Config upgrade apply to Running Config is not supported",
};
/// Device hardware information.
pub const HARDWARE_INFO_UNSUPPORTED: Refusal = Refusal {
    code: "XSVC_ERROR_DEVICE_INFO_UNSUPPORTED",
    message: "SMI PROXY:Client device hardware info not supported",
};
/// Device file-system information.
pub const FILESYSTEM_INFO_UNSUPPORTED: Refusal = Refusal {
    code: "XSVC_ERROR_DEVICE_INFO_UNSUPPORTED",
    message: "SMI PROXY:Client device filesystem info not supported",
};

/// What the proxy does for one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Answer with a failure at once.
    Refuse(Refusal),
    /// Answer with the services above.
    Capabilities,
    /// Answer with what the proxy database knows (UDI, image, version, hostname, address).
    DeviceInfo(DeviceInfoType),
    /// Answer with the client's neighbors (from CDP).
    Topology,
    /// Acknowledge, then wait before the next work request.
    Backoff(BackoffAction),
    /// Fetch the configuration (HTTPS), serve it over TFTP and push it to the client's startup
    /// configuration (Smart Install type 3); reload it afterwards when asked.
    ConfigToStartup {
        /// Where the server says the file is.
        source: FileLocation,
        /// Its expected checksum, if given.
        checksum: Option<String>,
        /// Reload after the copy.
        reload: bool,
    },
    /// Fetch the image (HTTPS), verify it, serve it with a generated image list over TFTP and
    /// send the client an image upgrade (Smart Install type 2).
    ImageInstall {
        /// Where the server says the image is.
        source: FileLocation,
        /// Its expected checksum, if given.
        checksum: Option<String>,
        /// Reload after the install (the agent default).
        reload: bool,
    },
}

/// The action for `request`.
pub fn action(request: &ServiceRequest) -> Action {
    match request {
        ServiceRequest::Capability => Action::Capabilities,
        ServiceRequest::Topology => Action::Topology,
        ServiceRequest::Backoff(b) => Action::Backoff(b.action.clone()),
        ServiceRequest::DeviceInfo(d) => match d.kind {
            DeviceInfoType::Hardware => Action::Refuse(HARDWARE_INFO_UNSUPPORTED),
            DeviceInfoType::Filesystem => Action::Refuse(FILESYSTEM_INFO_UNSUPPORTED),
            ref kind => Action::DeviceInfo(kind.clone()),
        },
        ServiceRequest::ConfigUpgrade(c) => match c.apply_to {
            Some(ApplyTo::Startup) => Action::ConfigToStartup {
                source: c.source.file.clone(),
                checksum: c.source.checksum.clone(),
                reload: matches!(c.after, AfterOperation::Reload(_)),
            },
            // The agent default is running (pnp.md §6 item 8); AP is not a switch target.
            Some(ApplyTo::Running | ApplyTo::Ap) | None => {
                Action::Refuse(RUNNING_CONFIG_UNSUPPORTED)
            }
        },
        ServiceRequest::ImageInstall(i) => Action::ImageInstall {
            source: i.source.file.clone(),
            checksum: i.source.checksum.clone(),
            reload: !matches!(i.after, AfterOperation::NoReload),
        },
        ServiceRequest::CliExec(_)
        | ServiceRequest::CliConfig(_)
        | ServiceRequest::FileTransfer(_)
        | ServiceRequest::Licensing(_)
        | ServiceRequest::Reload(_)
        | ServiceRequest::Script(_)
        | ServiceRequest::CertificateInstall(_)
        | ServiceRequest::Redirection(_)
        | ServiceRequest::DeviceAuth(_) => Action::Refuse(UNSUPPORTED_SERVICE),
    }
}

#[cfg(test)]
mod tests;
