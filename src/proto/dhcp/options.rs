//! Typed DHCP options (RFC 2132, RFC 3925, RFC 5859) used by the Smart Install director and the
//! PnP discovery: codes, the message type, address and number values, the V-I vendor-specific
//! option 125 that carries the Smart Install image list file and director address, and the PnP
//! option 43 string.
//!
//! Inputs: option values from any DHCP peer (attacker-controlled); every accessor checks the
//! length before reading. Values built here come from the operator's configuration.

use std::net::Ipv4Addr;

use crate::proto::dhcp::Message;

/// Option 1: subnet mask.
pub const SUBNET_MASK: u8 = 1;
/// Option 3: routers.
pub const ROUTER: u8 = 3;
/// Option 6: DNS servers.
pub const DNS_SERVERS: u8 = 6;
/// Option 12: host name.
pub const HOSTNAME: u8 = 12;
/// Option 43: vendor-specific information (PnP string for `ciscopnp` clients).
pub const VENDOR_SPECIFIC: u8 = 43;
/// Option 50: requested IP address.
pub const REQUESTED_IP: u8 = 50;
/// Option 51: lease time in seconds.
pub const LEASE_TIME: u8 = 51;
/// Option 52: option overload (1: file, 2: sname, 3: both).
pub const OVERLOAD: u8 = 52;
/// Option 53: DHCP message type.
pub const MESSAGE_TYPE: u8 = 53;
/// Option 54: server identifier.
pub const SERVER_ID: u8 = 54;
/// Option 55: parameter request list.
pub const PARAMETER_REQUEST_LIST: u8 = 55;
/// Option 58: renewal (T1) time.
pub const RENEWAL_TIME: u8 = 58;
/// Option 59: rebinding (T2) time.
pub const REBINDING_TIME: u8 = 59;
/// Option 60: vendor class identifier.
pub const VENDOR_CLASS: u8 = 60;
/// Option 61: client identifier.
pub const CLIENT_ID: u8 = 61;
/// Option 66: TFTP server name.
pub const TFTP_SERVER_NAME: u8 = 66;
/// Option 67: boot file name (Smart Install: the configuration file).
pub const BOOTFILE: u8 = 67;
/// Option 82: relay agent information (RFC 3046), kept verbatim.
pub const RELAY_AGENT_INFO: u8 = 82;
/// Option 125: V-I vendor-specific information (RFC 3925).
pub const VENDOR_IDENTIFYING: u8 = 125;
/// Option 150: TFTP server addresses (Cisco, RFC 5859).
pub const TFTP_SERVER_ADDRESS: u8 = 150;

/// Cisco's IANA enterprise number, the key of the Smart Install block in option 125.
pub const CISCO_ENTERPRISE: u32 = 9;
/// Option 125 sub-option (enterprise 9): the image list file.
pub const SMI_IMAGE_LIST: u8 = 5;
/// Option 125 sub-option (enterprise 9): the director's IP address.
pub const SMI_DIRECTOR: u8 = 16;
/// Vendor class substring that marks a device looking for a PnP server (pnp.md §3.2).
pub const PNP_VENDOR_CLASS: &str = "ciscopnp";

/// Option 53 values (RFC 2132 §9.6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum MessageType {
    /// 1
    Discover,
    /// 2
    Offer,
    /// 3
    Request,
    /// 4
    Decline,
    /// 5
    Ack,
    /// 6
    Nak,
    /// 7
    Release,
    /// 8
    Inform,
}

impl MessageType {
    const ALL: [Self; 8] = [
        Self::Discover,
        Self::Offer,
        Self::Request,
        Self::Decline,
        Self::Ack,
        Self::Nak,
        Self::Release,
        Self::Inform,
    ];

    /// The wire value.
    pub fn code(self) -> u8 {
        match self {
            Self::Discover => 1,
            Self::Offer => 2,
            Self::Request => 3,
            Self::Decline => 4,
            Self::Ack => 5,
            Self::Nak => 6,
            Self::Release => 7,
            Self::Inform => 8,
        }
    }

    /// The type for a wire value.
    pub fn from_code(code: u8) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.code() == code)
    }
}

/// Why a known option's value is malformed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum OptionError {
    /// The value has the wrong length for its type.
    #[error("option {code}: {len} bytes where the type needs {expected}")]
    Length {
        /// Option code.
        code: u8,
        /// Actual length.
        len: usize,
        /// What the type needs, e.g. "4" or "a multiple of 4".
        expected: &'static str,
    },
    /// The value is not one the type allows.
    #[error("option {code}: invalid value")]
    Value {
        /// Option code.
        code: u8,
    },
}

/// One enterprise block of option 125 (RFC 3925 §4): its sub-options in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VendorBlock {
    /// IANA enterprise number.
    pub enterprise: u32,
    /// `(code, value)` sub-options.
    pub suboptions: Vec<(u8, Vec<u8>)>,
}

/// The Smart Install part of option 125: what the director tells a joining client.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SmartInstallVendor {
    /// Sub-option 5: the image list file (`flash:…` or `tftp://…`).
    pub image_list: Option<String>,
    /// Sub-option 16: the director's IP address.
    pub director: Option<Ipv4Addr>,
}

// === typed accessors on Message ===

impl Message {
    /// Option 53, when present and known.
    pub fn message_type(&self) -> Option<MessageType> {
        match self.option(MESSAGE_TYPE)? {
            [code] => MessageType::from_code(*code),
            _ => None,
        }
    }

    /// An address option (50, 54, 1), if present and well formed.
    pub fn ipv4_option(&self, code: u8) -> Result<Option<Ipv4Addr>, OptionError> {
        self.option(code).map(|v| ipv4(code, v)).transpose()
    }

    /// Option 50: the address the client asks for.
    pub fn requested_ip(&self) -> Option<Ipv4Addr> {
        self.ipv4_option(REQUESTED_IP).ok().flatten()
    }

    /// Option 54: the server the client addresses.
    pub fn server_id(&self) -> Option<Ipv4Addr> {
        self.ipv4_option(SERVER_ID).ok().flatten()
    }

    /// Option 51: lease time in seconds.
    pub fn lease_time(&self) -> Result<Option<u32>, OptionError> {
        self.option(LEASE_TIME)
            .map(|v| u32_value(LEASE_TIME, v))
            .transpose()
    }

    /// Option 12 (host name) as text, when valid UTF-8.
    pub fn hostname(&self) -> Option<&str> {
        self.option(HOSTNAME)
            .and_then(|v| std::str::from_utf8(v).ok())
    }

    /// Option 60 (vendor class) as text, when valid UTF-8.
    pub fn vendor_class(&self) -> Option<&str> {
        self.option(VENDOR_CLASS)
            .and_then(|v| std::str::from_utf8(v).ok())
    }

    /// Whether the client announces itself as a PnP device (option 60 contains `ciscopnp`,
    /// case-insensitively).
    pub fn is_cisco_pnp(&self) -> bool {
        self.option(VENDOR_CLASS).is_some_and(|v| {
            v.windows(PNP_VENDOR_CLASS.len())
                .any(|w| w.eq_ignore_ascii_case(PNP_VENDOR_CLASS.as_bytes()))
        })
    }

    /// Option 125, decoded into enterprise blocks.
    pub fn vendor_blocks(&self) -> Result<Vec<VendorBlock>, OptionError> {
        self.option(VENDOR_IDENTIFYING)
            .map_or(Ok(Vec::new()), decode_vendor_blocks)
    }
}

/// An IPv4 address value.
pub fn ipv4(code: u8, v: &[u8]) -> Result<Ipv4Addr, OptionError> {
    match v {
        [a, b, c, d] => Ok(Ipv4Addr::new(*a, *b, *c, *d)),
        _ => Err(OptionError::Length {
            code,
            len: v.len(),
            expected: "4",
        }),
    }
}

/// A list of IPv4 addresses (options 3, 6, 150).
pub fn ipv4_list(code: u8, v: &[u8]) -> Result<Vec<Ipv4Addr>, OptionError> {
    if v.is_empty() || !v.len().is_multiple_of(4) {
        return Err(OptionError::Length {
            code,
            len: v.len(),
            expected: "a non-zero multiple of 4",
        });
    }
    Ok(v.chunks_exact(4)
        .map(|c| Ipv4Addr::new(c[0], c[1], c[2], c[3]))
        .collect())
}

/// The value bytes of an address list.
pub fn encode_ipv4_list(list: &[Ipv4Addr]) -> Vec<u8> {
    list.iter().flat_map(|ip| ip.octets()).collect()
}

/// A 32-bit number value (options 51, 58, 59).
pub fn u32_value(code: u8, v: &[u8]) -> Result<u32, OptionError> {
    match v {
        [a, b, c, d] => Ok(u32::from_be_bytes([*a, *b, *c, *d])),
        _ => Err(OptionError::Length {
            code,
            len: v.len(),
            expected: "4",
        }),
    }
}

/// Decodes option 125 (RFC 3925 §4):
///
/// ```text
/// enterprise-number:u32 | data-len:u8 | sub-options (code:u8 len:u8 value)… | next block…
/// ```
pub fn decode_vendor_blocks(v: &[u8]) -> Result<Vec<VendorBlock>, OptionError> {
    let bad = OptionError::Value {
        code: VENDOR_IDENTIFYING,
    };
    let mut blocks = Vec::new();
    let mut rest = v;
    while !rest.is_empty() {
        let [a, b, c, d, len, tail @ ..] = rest else {
            return Err(bad);
        };
        let data = tail.get(..usize::from(*len)).ok_or_else(|| bad.clone())?;
        rest = &tail[data.len()..];
        let mut suboptions = Vec::new();
        let mut sub = data;
        while !sub.is_empty() {
            let [code, len, tail @ ..] = sub else {
                return Err(bad);
            };
            let value = tail.get(..usize::from(*len)).ok_or_else(|| bad.clone())?;
            suboptions.push((*code, value.to_vec()));
            sub = &tail[value.len()..];
        }
        blocks.push(VendorBlock {
            enterprise: u32::from_be_bytes([*a, *b, *c, *d]),
            suboptions,
        });
    }
    Ok(blocks)
}

/// Encodes option 125 blocks; a block or sub-option too long for its one-byte length is an error.
pub fn encode_vendor_blocks(blocks: &[VendorBlock]) -> Result<Vec<u8>, OptionError> {
    let too_long = OptionError::Value {
        code: VENDOR_IDENTIFYING,
    };
    let mut out = Vec::new();
    for block in blocks {
        let mut data = Vec::new();
        for (code, value) in &block.suboptions {
            let len = u8::try_from(value.len()).map_err(|_| too_long.clone())?;
            data.push(*code);
            data.push(len);
            data.extend_from_slice(value);
        }
        out.extend_from_slice(&block.enterprise.to_be_bytes());
        out.push(u8::try_from(data.len()).map_err(|_| too_long.clone())?);
        out.extend_from_slice(&data);
    }
    Ok(out)
}

impl SmartInstallVendor {
    /// The enterprise-9 block of option 125. Encoding (smart-install-overview.txt line ~138:
    /// "option 125, suboption 5 (the image list file), option 125 sub-option 16 (the director IP
    /// address)"; layout RFC 3925 §4): enterprise number 9 as u32, data length u8, then sub-option
    /// 5 `code len image-list-file-name` (ASCII, no NUL) and sub-option 16 `code 4 a.b.c.d`.
    pub fn block(&self) -> VendorBlock {
        let mut suboptions = Vec::new();
        if let Some(name) = &self.image_list {
            suboptions.push((SMI_IMAGE_LIST, name.as_bytes().to_vec()));
        }
        if let Some(ip) = self.director {
            suboptions.push((SMI_DIRECTOR, ip.octets().to_vec()));
        }
        VendorBlock {
            enterprise: CISCO_ENTERPRISE,
            suboptions,
        }
    }

    /// Reads the Smart Install values back from option 125 blocks (enterprise 9).
    pub fn from_blocks(blocks: &[VendorBlock]) -> Option<Self> {
        let block = blocks.iter().find(|b| b.enterprise == CISCO_ENTERPRISE)?;
        let mut out = Self::default();
        for (code, value) in &block.suboptions {
            match *code {
                SMI_IMAGE_LIST => out.image_list = String::from_utf8(value.clone()).ok(),
                SMI_DIRECTOR => out.director = ipv4(VENDOR_IDENTIFYING, value).ok(),
                _ => {}
            }
        }
        Some(out)
    }
}

/// Replaces (or adds) the enterprise-9 block in an option 125 value, keeping every other
/// enterprise's block as the upstream server sent it.
pub fn merge_vendor_block(
    existing: Option<&[u8]>,
    block: VendorBlock,
) -> Result<Vec<u8>, OptionError> {
    let mut blocks = existing.map_or(Ok(Vec::new()), decode_vendor_blocks)?;
    blocks.retain(|b| b.enterprise != block.enterprise);
    blocks.push(block);
    encode_vendor_blocks(&blocks)
}

/// The PnP option 43 string pointing a device at an HTTPS PnP server (pnp.md §3.2):
/// `5A1N;B2;K5;I<ip>;J<port>` (type 5, active 1, no debug, IPv4 address, HTTPS, port).
pub fn pnp_option43(server: Ipv4Addr, port: u16) -> String {
    format!("5A1N;B2;K5;I{server};J{port}")
}
