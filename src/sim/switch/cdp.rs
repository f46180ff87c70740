//! The emulated switch's CDP advertisements: every `--cdp-interval` seconds it sends the CDPv2
//! frame a Catalyst access switch sends (Device ID, software version, platform, addresses, port
//! ID, capabilities switch + IGMP, native VLAN, duplex, management addresses) on
//! `--cdp-interface`, through libpcap's `sendpacket`. Each send is reported as an
//! [`Event::Cdp`].
//!
//! With `--serial`, the Device ID is `hostname(SERIAL)`, the form NX-OS devices advertise; IOS
//! advertises the hostname alone. Inputs: operator arguments only. Frames are built by the pure
//! `proto::cdp` encoder.

use std::net::IpAddr;
use std::thread::JoinHandle;
use std::time::Duration;

use clap::Args;
use tokio::sync::mpsc;

use super::Event;
use crate::proto::cdp::{
    Address, Capabilities, DEFAULT_TTL_SECS, Duplex, EncodeError, Pdu, Tlv, Version, encode_frame,
};

/// Software version the emulated switch advertises (a Catalyst 2960-X on IOS 15.2).
pub const SOFTWARE_VERSION: &str = "Cisco IOS Software, C2960X Software (C2960X-UNIVERSALK9-M), \
Version 15.2(7)E8, RELEASE SOFTWARE (fc3)\nTechnical Support: http://www.cisco.com/techsupport\n\
Copyright (c) 1986-2023 by Cisco Systems, Inc.\nCompiled Tue 28-Feb-23 07:26 by mcpre";

/// CDP options of `sim switch`.
#[derive(Clone, Debug, Args)]
pub struct CdpArgs {
    /// Send CDP frames on this interface (none: CDP off).
    #[arg(long, value_name = "IF")]
    pub cdp_interface: Option<String>,
    /// Seconds between CDP frames (Cisco's default is 60).
    #[arg(long, value_name = "S", default_value_t = 60)]
    pub cdp_interval: u64,
    /// Platform string (`cisco <PID>`).
    #[arg(long, default_value = "cisco WS-C2960X-48FPD-L")]
    pub cdp_platform: String,
    /// Serial number, advertised as `hostname(SERIAL)` in the Device ID.
    #[arg(long)]
    pub serial: Option<String>,
    /// Port ID (the sending interface's name).
    #[arg(long, default_value = "GigabitEthernet1/0/1")]
    pub cdp_port_id: String,
    /// Address to advertise (repeatable; IPv4 or IPv6), also as management address.
    #[arg(long = "cdp-address", value_name = "IP")]
    pub cdp_addresses: Vec<IpAddr>,
    /// Native VLAN of the port.
    #[arg(long, default_value_t = 1)]
    pub cdp_native_vlan: u16,
}

impl CdpArgs {
    /// The advertisement for a switch named `hostname`.
    pub fn pdu(&self, hostname: &str) -> Pdu {
        let device_id = match &self.serial {
            Some(serial) => format!("{hostname}({serial})"),
            None => hostname.to_owned(),
        };
        let addresses: Vec<Address> = self
            .cdp_addresses
            .iter()
            .map(|ip| match ip {
                IpAddr::V4(v4) => Address::Ipv4(*v4),
                IpAddr::V6(v6) => Address::Ipv6(*v6),
            })
            .collect();
        Pdu {
            version: Version::V2,
            ttl_secs: DEFAULT_TTL_SECS,
            tlvs: vec![
                Tlv::DeviceId(device_id),
                Tlv::SoftwareVersion(SOFTWARE_VERSION.to_owned()),
                Tlv::Platform(self.cdp_platform.clone()),
                Tlv::Addresses(addresses.clone()),
                Tlv::PortId(self.cdp_port_id.clone()),
                Tlv::Capabilities(Capabilities(Capabilities::SWITCH | Capabilities::IGMP)),
                Tlv::NativeVlan(self.cdp_native_vlan),
                Tlv::Duplex(Duplex::Full),
                Tlv::ManagementAddresses(addresses),
            ],
        }
    }
}

/// Why CDP sending could not start.
#[derive(Debug, thiserror::Error)]
pub enum CdpSendError {
    /// The interface's MAC address could not be read from sysfs.
    #[error("cannot read the MAC address of {interface}: {detail}")]
    Mac {
        /// The interface.
        interface: String,
        /// What failed.
        detail: String,
    },
    /// The frame could not be encoded (options too long).
    #[error("cannot encode the CDP frame: {0}")]
    Encode(#[from] EncodeError),
    /// libpcap could not open the interface.
    #[error("cannot open {interface} for sending: {source}")]
    Open {
        /// The interface.
        interface: String,
        /// libpcap's error.
        source: pcap::Error,
    },
}

/// Starts sending `args`' advertisement on its interface every interval, on a thread that runs
/// until the process ends; `None` when CDP is off.
pub fn spawn(
    args: &CdpArgs,
    hostname: &str,
    events: mpsc::UnboundedSender<Event>,
) -> Result<Option<JoinHandle<()>>, CdpSendError> {
    let Some(interface) = args.cdp_interface.clone() else {
        return Ok(None);
    };
    let frame = encode_frame(interface_mac(&interface)?, None, &args.pdu(hostname))?;
    let open = |source| CdpSendError::Open {
        interface: interface.clone(),
        source,
    };
    let mut capture = pcap::Capture::from_device(interface.as_str())
        .map_err(open)?
        .snaplen(64)
        .open()
        .map_err(open)?;
    let interval = Duration::from_secs(args.cdp_interval.max(1));
    Ok(Some(std::thread::spawn(move || {
        loop {
            let result = capture.sendpacket(frame.as_slice());
            let event = Event::Cdp {
                interface: interface.clone(),
                ok: result.is_ok(),
                bytes: frame.len(),
                error: result.err().map(|e| e.to_string()),
            };
            if events.send(event).is_err() {
                return;
            }
            std::thread::sleep(interval);
        }
    })))
}

/// The MAC address of `interface`, from `/sys/class/net/<interface>/address`.
pub fn interface_mac(interface: &str) -> Result<[u8; 6], CdpSendError> {
    let err = |detail: String| CdpSendError::Mac {
        interface: interface.to_owned(),
        detail,
    };
    if interface.contains('/') || interface.starts_with('.') {
        return Err(err("not an interface name".to_owned()));
    }
    let path = format!("/sys/class/net/{interface}/address");
    let text = std::fs::read_to_string(&path).map_err(|e| err(format!("{path}: {e}")))?;
    let digits: String = text.trim().split(':').collect();
    let bytes = hex::decode(&digits).map_err(|e| err(format!("{path}: {e}")))?;
    bytes
        .try_into()
        .map_err(|_| err(format!("{path}: not a 6-byte address")))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::proto::cdp::decode_frame;

    fn args() -> CdpArgs {
        CdpArgs {
            cdp_interface: None,
            cdp_interval: 60,
            cdp_platform: "cisco WS-C2960X-24PS-L".into(),
            serial: Some("FOC1234X0AB".into()),
            cdp_port_id: "GigabitEthernet1/0/7".into(),
            cdp_addresses: vec!["10.9.0.7".parse().unwrap(), "fd00:9::7".parse().unwrap()],
            cdp_native_vlan: 9,
        }
    }

    #[test]
    fn advertises_what_the_options_say() {
        let frame = encode_frame([2, 0, 0, 0, 0, 7], None, &args().pdu("sw7")).unwrap();
        let n = decode_frame(&frame).unwrap().pdu.neighbor();
        assert_eq!(n.device_id.as_deref(), Some("sw7(FOC1234X0AB)"));
        assert_eq!(n.pid(), Some("WS-C2960X-24PS-L"));
        assert_eq!(n.port_id.as_deref(), Some("GigabitEthernet1/0/7"));
        assert_eq!(n.native_vlan, Some(9));
        assert_eq!(n.management_addresses.len(), 2);
        assert_eq!(n.capabilities.unwrap().names(), ["switch", "igmp"]);
    }

    #[test]
    fn cdp_is_off_without_an_interface() {
        let (tx, _rx) = mpsc::unbounded_channel();
        assert!(spawn(&args(), "sw7", tx).unwrap().is_none());
    }

    #[test]
    fn refuses_path_like_interface_names() {
        assert!(matches!(
            interface_mac("../../etc"),
            Err(CdpSendError::Mac { .. })
        ));
    }
}
