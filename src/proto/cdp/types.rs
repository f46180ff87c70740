//! Typed CDP values: the decoded [`Frame`], its [`Pdu`] and [`Tlv`]s, and the [`Neighbor`]
//! summary a listener records. Pure data; see the parent module for the wire layout.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use serde::{Serialize, Serializer};

/// A decoded CDP Ethernet frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    /// Source MAC address (the sending port's MAC).
    pub source: [u8; 6],
    /// VLAN ID of the 802.1Q tag, when the frame carried one.
    pub vlan: Option<u16>,
    /// Checksum from the CDP header (verified by the decoder).
    pub checksum: u16,
    /// The CDP PDU.
    pub pdu: Pdu,
}

/// A CDP PDU: header fields and TLVs in wire order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pdu {
    /// Protocol version.
    pub version: Version,
    /// How long the receiver keeps the information, in seconds.
    pub ttl_secs: u8,
    /// TLVs in wire order.
    pub tlvs: Vec<Tlv>,
}

impl Pdu {
    /// The first value of each known TLV, as a listener records it.
    pub fn neighbor(&self) -> Neighbor {
        let mut n = Neighbor::default();
        for tlv in &self.tlvs {
            n.absorb(tlv);
        }
        n
    }
}

/// CDP version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Version {
    /// Version 1.
    V1,
    /// Version 2 (adds VTP domain, native VLAN, duplex and later TLVs).
    V2,
}

impl Version {
    /// The version byte.
    pub fn number(self) -> u8 {
        match self {
            Self::V1 => 1,
            Self::V2 => 2,
        }
    }
}

/// One TLV.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Tlv {
    /// Device ID (0x0001).
    DeviceId(String),
    /// Addresses of the sending interface (0x0002).
    Addresses(Vec<Address>),
    /// Port ID (0x0003), e.g. `GigabitEthernet1/0/1`.
    PortId(String),
    /// Capabilities (0x0004).
    Capabilities(Capabilities),
    /// Software version (0x0005), usually several lines.
    SoftwareVersion(String),
    /// Platform (0x0006), e.g. `cisco WS-C2960X-48FPD-L`.
    Platform(String),
    /// VTP management domain (0x0009).
    VtpDomain(String),
    /// Native VLAN (0x000a).
    NativeVlan(u16),
    /// Duplex (0x000b).
    Duplex(Duplex),
    /// Management addresses (0x0016).
    ManagementAddresses(Vec<Address>),
    /// Any other TLV, kept as received.
    Unknown {
        /// TLV type.
        kind: u16,
        /// Value bytes.
        value: Vec<u8>,
    },
}

impl Tlv {
    /// The TLV type code.
    pub fn kind(&self) -> u16 {
        use super::tlv_type as t;
        match self {
            Self::DeviceId(_) => t::DEVICE_ID,
            Self::Addresses(_) => t::ADDRESSES,
            Self::PortId(_) => t::PORT_ID,
            Self::Capabilities(_) => t::CAPABILITIES,
            Self::SoftwareVersion(_) => t::SOFTWARE_VERSION,
            Self::Platform(_) => t::PLATFORM,
            Self::VtpDomain(_) => t::VTP_DOMAIN,
            Self::NativeVlan(_) => t::NATIVE_VLAN,
            Self::Duplex(_) => t::DUPLEX,
            Self::ManagementAddresses(_) => t::MANAGEMENT_ADDRESSES,
            Self::Unknown { kind, .. } => *kind,
        }
    }
}

/// One entry of an Addresses or Management addresses TLV.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Address {
    /// NLPID `CC`, 4-byte address.
    Ipv4(Ipv4Addr),
    /// 802.2 protocol `AA AA 03 00 00 00 86 DD`, 16-byte address.
    Ipv6(Ipv6Addr),
    /// Any other protocol (CLNS, DECnet, …), kept as received.
    Other {
        /// Protocol type (1 = NLPID, 2 = 802.2).
        protocol_type: u8,
        /// Protocol bytes.
        protocol: Vec<u8>,
        /// Address bytes.
        address: Vec<u8>,
    },
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Ipv4(a) => a.fmt(f),
            Self::Ipv6(a) => a.fmt(f),
            Self::Other {
                protocol_type,
                protocol,
                address,
            } => write!(
                f,
                "type {protocol_type} protocol {} address {}",
                hex::encode(protocol),
                hex::encode(address)
            ),
        }
    }
}

impl Serialize for Address {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// The Capabilities bitmap (0x0004).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Capabilities(pub u32);

impl Capabilities {
    /// Layer-3 router.
    pub const ROUTER: u32 = 0x01;
    /// Transparent bridge.
    pub const TRANSPARENT_BRIDGE: u32 = 0x02;
    /// Source-route bridge.
    pub const SOURCE_ROUTE_BRIDGE: u32 = 0x04;
    /// Layer-2 switch.
    pub const SWITCH: u32 = 0x08;
    /// Host.
    pub const HOST: u32 = 0x10;
    /// IGMP capable.
    pub const IGMP: u32 = 0x20;
    /// Repeater.
    pub const REPEATER: u32 = 0x40;
    /// VoIP phone.
    pub const PHONE: u32 = 0x80;
    /// Remotely managed device.
    pub const REMOTELY_MANAGED: u32 = 0x100;
    /// CVTA / STP dispute resolution / Cisco VT camera.
    pub const CVTA: u32 = 0x200;
    /// Two-port MAC relay.
    pub const MAC_RELAY: u32 = 0x400;

    const NAMES: [(u32, &'static str); 11] = [
        (Self::ROUTER, "router"),
        (Self::TRANSPARENT_BRIDGE, "transparent_bridge"),
        (Self::SOURCE_ROUTE_BRIDGE, "source_route_bridge"),
        (Self::SWITCH, "switch"),
        (Self::HOST, "host"),
        (Self::IGMP, "igmp"),
        (Self::REPEATER, "repeater"),
        (Self::PHONE, "phone"),
        (Self::REMOTELY_MANAGED, "remotely_managed"),
        (Self::CVTA, "cvta"),
        (Self::MAC_RELAY, "mac_relay"),
    ];

    /// Whether every bit of `flag` is set.
    pub fn has(self, flag: u32) -> bool {
        self.0 & flag == flag
    }

    /// Names of the set flags, in bit order; unknown bits are not named.
    pub fn names(self) -> Vec<&'static str> {
        Self::NAMES
            .iter()
            .filter(|(bit, _)| self.has(*bit))
            .map(|(_, name)| *name)
            .collect()
    }
}

impl Serialize for Capabilities {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.names().serialize(s)
    }
}

/// Duplex (0x000b).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Duplex {
    /// 0x00.
    Half,
    /// 0x01.
    Full,
    /// Any other value.
    Other(u8),
}

impl Duplex {
    /// From the wire byte.
    pub fn from_byte(b: u8) -> Self {
        match b {
            0 => Self::Half,
            1 => Self::Full,
            other => Self::Other(other),
        }
    }

    /// The wire byte.
    pub fn byte(self) -> u8 {
        match self {
            Self::Half => 0,
            Self::Full => 1,
            Self::Other(b) => b,
        }
    }
}

/// What a neighbor advertised: the first value of each known TLV.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Neighbor {
    /// Device ID.
    pub device_id: Option<String>,
    /// Platform (`cisco <PID>`).
    pub platform: Option<String>,
    /// Port ID of the sending interface.
    pub port_id: Option<String>,
    /// Software version text.
    pub software_version: Option<String>,
    /// Interface addresses.
    pub addresses: Vec<Address>,
    /// Management addresses.
    pub management_addresses: Vec<Address>,
    /// Capabilities.
    pub capabilities: Option<Capabilities>,
    /// Native VLAN.
    pub native_vlan: Option<u16>,
    /// VTP management domain.
    pub vtp_domain: Option<String>,
    /// Duplex.
    pub duplex: Option<Duplex>,
}

impl Neighbor {
    /// The product ID: the platform string without a leading `cisco ` (`WS-C2960X-48FPD-L`).
    pub fn pid(&self) -> Option<&str> {
        let platform = self.platform.as_deref()?;
        Some(platform.strip_prefix("cisco ").unwrap_or(platform).trim())
    }

    /// The first line of the software version.
    pub fn version_line(&self) -> Option<&str> {
        self.software_version.as_deref()?.lines().next()
    }

    fn absorb(&mut self, tlv: &Tlv) {
        fn first<T: Clone>(slot: &mut Option<T>, v: &T) {
            if slot.is_none() {
                *slot = Some(v.clone());
            }
        }
        match tlv {
            Tlv::DeviceId(s) => first(&mut self.device_id, s),
            Tlv::Platform(s) => first(&mut self.platform, s),
            Tlv::PortId(s) => first(&mut self.port_id, s),
            Tlv::SoftwareVersion(s) => first(&mut self.software_version, s),
            Tlv::VtpDomain(s) => first(&mut self.vtp_domain, s),
            Tlv::Capabilities(c) => first(&mut self.capabilities, c),
            Tlv::NativeVlan(v) => first(&mut self.native_vlan, v),
            Tlv::Duplex(d) => first(&mut self.duplex, d),
            Tlv::Addresses(a) if self.addresses.is_empty() => self.addresses = a.clone(),
            Tlv::ManagementAddresses(a) if self.management_addresses.is_empty() => {
                self.management_addresses = a.clone();
            }
            Tlv::Addresses(_) | Tlv::ManagementAddresses(_) | Tlv::Unknown { .. } => {}
        }
    }
}
