//! The emulated switch's CDP advertisements: one at start (link up), then every
//! `--cdp-interval` seconds and whenever the advertised state changes (an address from DHCP, a
//! reload), it sends the CDPv2 frame a Catalyst access switch sends (Device ID, software version,
//! platform, addresses, port ID, capabilities switch + IGMP, native VLAN, duplex, management
//! addresses) on `--cdp-interface`, through libpcap's `sendpacket`. Each send is reported as an
//! [`Event::Cdp`]. The hostname, software and DHCP address come from the running switch through
//! a [`watch`] channel of [`Advert`]s, so the frames follow reloads.
//!
//! With `--cdp-device-id-serial`, the Device ID is `hostname(SERIAL)` (the switch's `--serial`),
//! the form NX-OS devices advertise; IOS advertises the hostname alone. Inputs: operator arguments only. Frames are built by the pure
//! `proto::cdp` encoder.

use std::net::IpAddr;
use std::thread::JoinHandle;
use std::time::Duration;

use clap::Args;
use tokio::sync::{mpsc, watch};

use super::Event;
use super::software::Software;
use crate::proto::cdp::{
    Address, Capabilities, DEFAULT_TTL_SECS, Duplex, EncodeError, Pdu, Tlv, Version, encode_frame,
};

/// The lines IOS adds after the first line of its software version TLV.
const VERSION_TRAILER: &str = "Technical Support: http://www.cisco.com/techsupport\n\
Copyright (c) 1986-2023 by Cisco Systems, Inc.";

/// How often the sending thread looks for a changed [`Advert`].
const TICK: Duration = Duration::from_millis(100);

/// What the switch advertises that changes while it runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Advert {
    /// The running config's hostname.
    pub hostname: String,
    /// The running software.
    pub software: Software,
    /// Addresses it has (from DHCP), advertised before the `--cdp-address` ones.
    pub addresses: Vec<IpAddr>,
}

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
    /// The switch's serial number (`show version`; default `FOC` + the base MAC's last four
    /// bytes in hex).
    #[arg(long)]
    pub serial: Option<String>,
    /// Advertise the Device ID as `hostname(SERIAL)`, the NX-OS form.
    #[arg(long)]
    pub cdp_device_id_serial: bool,
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
    /// The advertisement for the switch's current state.
    pub fn pdu(&self, advert: &Advert) -> Pdu {
        let hostname = &advert.hostname;
        let device_id = match &self.serial {
            Some(serial) if self.cdp_device_id_serial => format!("{hostname}({serial})"),
            _ => hostname.clone(),
        };
        let version = format!("{}\n{VERSION_TRAILER}", advert.software.version_line());
        let addresses: Vec<Address> = advert
            .addresses
            .iter()
            .chain(&self.cdp_addresses)
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
                Tlv::SoftwareVersion(version),
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

/// Starts sending the advertisement on `args`' interface (at once, then every interval and on
/// every change of `advert`), on a thread that runs until the process ends; `None` when CDP is
/// off.
pub fn spawn(
    args: &CdpArgs,
    mut advert: watch::Receiver<Advert>,
    events: mpsc::UnboundedSender<Event>,
) -> Result<Option<JoinHandle<()>>, CdpSendError> {
    let Some(interface) = args.cdp_interface.clone() else {
        return Ok(None);
    };
    let mac = interface_mac(&interface)?;
    encode_frame(mac, None, &args.pdu(&advert.borrow()))?;
    let open = |source| CdpSendError::Open {
        interface: interface.clone(),
        source,
    };
    let mut capture = pcap::Capture::from_device(interface.as_str())
        .map_err(open)?
        .snaplen(64)
        .open()
        .map_err(open)?;
    let args = args.clone();
    let ticks = ticks_per_interval(args.cdp_interval);
    Ok(Some(std::thread::spawn(move || {
        let mut waited = ticks;
        loop {
            let changed = advert.has_changed().unwrap_or(false);
            if waited >= ticks || changed {
                let pdu = args.pdu(&advert.borrow_and_update());
                let frame = encode_frame(mac, None, &pdu);
                let result = match &frame {
                    Ok(frame) => capture
                        .sendpacket(frame.as_slice())
                        .map_err(|e| e.to_string()),
                    Err(e) => Err(e.to_string()),
                };
                let event = Event::Cdp {
                    interface: interface.clone(),
                    ok: result.is_ok(),
                    bytes: frame.as_ref().map_or(0, Vec::len),
                    error: result.err(),
                };
                if events.send(event).is_err() {
                    return;
                }
                waited = 0;
            }
            std::thread::sleep(TICK);
            waited += 1;
        }
    })))
}

/// Sleep ticks in one interval of `secs` seconds (at least one second).
fn ticks_per_interval(secs: u64) -> u64 {
    let tick_ms = u64::try_from(TICK.as_millis()).unwrap_or(100).max(1);
    secs.max(1).saturating_mul(1000) / tick_ms
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

    fn advert(hostname: &str) -> Advert {
        Advert {
            hostname: hostname.into(),
            software: Software::builtin(),
            addresses: Vec::new(),
        }
    }

    fn args() -> CdpArgs {
        CdpArgs {
            cdp_interface: None,
            cdp_interval: 60,
            cdp_platform: "cisco WS-C2960X-24PS-L".into(),
            serial: Some("FOC1234X0AB".into()),
            cdp_device_id_serial: true,
            cdp_port_id: "GigabitEthernet1/0/7".into(),
            cdp_addresses: vec!["10.9.0.7".parse().unwrap(), "fd00:9::7".parse().unwrap()],
            cdp_native_vlan: 9,
        }
    }

    #[test]
    fn advertises_what_the_options_say() {
        let frame = encode_frame([2, 0, 0, 0, 0, 7], None, &args().pdu(&advert("sw7"))).unwrap();
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
        let (_advert_tx, advert_rx) = watch::channel(advert("sw7"));
        assert!(spawn(&args(), advert_rx, tx).unwrap().is_none());
    }

    #[test]
    fn advertises_the_current_hostname_software_and_dhcp_address_first() {
        let mut a = args();
        a.serial = None;
        let current = Advert {
            hostname: "edge-1".into(),
            software: Software::from_file("c3750e-universalk9-tar.122-55.SE12.tar"),
            addresses: vec!["10.66.1.100".parse().unwrap()],
        };
        let frame = encode_frame([2, 0, 0, 0, 0, 7], None, &a.pdu(&current)).unwrap();
        let n = decode_frame(&frame).unwrap().pdu.neighbor();
        assert_eq!(n.device_id.as_deref(), Some("edge-1"));
        let line = n.software_version.unwrap();
        assert_eq!(
            crate::roles::director::database::image_and_version(&line),
            Some(("C3750E-UNIVERSALK9-M".into(), "12.2(55)SE12".into()))
        );
        let first = Address::Ipv4("10.66.1.100".parse().unwrap());
        assert_eq!(n.addresses.first(), Some(&first));
        assert_eq!(n.addresses.len(), 3);
    }

    #[test]
    fn an_interval_is_counted_in_ticks() {
        assert_eq!(ticks_per_interval(1), 10);
        assert_eq!(ticks_per_interval(0), 10);
        assert_eq!(ticks_per_interval(60), 600);
    }

    #[test]
    fn refuses_path_like_interface_names() {
        assert!(matches!(
            interface_mac("../../etc"),
            Err(CdpSendError::Mac { .. })
        ));
    }
}
