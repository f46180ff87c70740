//! Type 7 — "IBD init discovery" (smart-install.md §3.8): a sequence of TLVs (u32 type, u32
//! length, value), the message whose handler overflows a stack buffer in CVE-2018-0171.
//!
//! Every TLV length is checked against the bytes really present in the message (the framed
//! payload, 16 + header `length`). A TLV whose length runs past the end, or a remainder too short
//! for a TLV header, is kept verbatim as a [`TlvTail`] — a typed finding, never an error, a
//! panic or a read past the payload. The Embedi PoC framed by its header (length 0xd8) decodes
//! to a tail `Overrun { tlv_type: 1, declared_len: 0xd8, value: <208 bytes> }`.
//!
//! Inputs: the attacker-controlled payload. The legitimate bound of TLV values is unknown
//! (§10 item 7; the PoC overflows an 88-byte area), so values are not capped here beyond the
//! framer's message limit; [`InitDiscovery::largest_value`] gives the policy what it needs.

use super::error::EncodeError;
use super::field::{Reader, put_u32s};

/// Bytes of a TLV header (type and length).
pub const TLV_HEADER_BYTES: usize = 8;

/// One TLV whose value lies wholly inside the message.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Tlv {
    /// The TLV type.
    pub tlv_type: u32,
    /// The value (its length is the TLV length).
    pub value: Vec<u8>,
}

/// The bytes after the last complete TLV, when they do not form one.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum TlvTail {
    /// 1 to 7 bytes: too short for a TLV header.
    ShortHeader {
        /// The leftover bytes.
        bytes: Vec<u8>,
    },
    /// A TLV header whose length exceeds the bytes that remain (the CVE-2018-0171 pattern).
    Overrun {
        /// The TLV type.
        tlv_type: u32,
        /// The declared length, larger than `value.len()`.
        declared_len: u32,
        /// The bytes that are present after the header.
        value: Vec<u8>,
    },
}

impl TlvTail {
    fn encoded_len(&self) -> usize {
        match self {
            Self::ShortHeader { bytes } => bytes.len(),
            Self::Overrun { value, .. } => TLV_HEADER_BYTES.saturating_add(value.len()),
        }
    }
}

/// A type-7 init-discovery message.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct InitDiscovery {
    /// The well-formed TLVs, in order.
    pub tlvs: Vec<Tlv>,
    /// Malformed remainder, if any.
    pub tail: Option<TlvTail>,
}

impl InitDiscovery {
    /// A message of well-formed TLVs.
    pub fn new(tlvs: Vec<Tlv>) -> Self {
        Self { tlvs, tail: None }
    }

    /// The first TLV of type `tlv_type`.
    pub fn tlv(&self, tlv_type: u32) -> Option<&Tlv> {
        self.tlvs.iter().find(|t| t.tlv_type == tlv_type)
    }

    /// The largest length any TLV declares, the tail's included (policy bound, §3.8).
    pub fn largest_value(&self) -> u64 {
        let tail = match &self.tail {
            Some(TlvTail::Overrun { declared_len, .. }) => u64::from(*declared_len),
            _ => 0,
        };
        self.tlvs
            .iter()
            .map(|t| t.value.len() as u64)
            .fold(tail, u64::max)
    }

    /// Payload offset (from the end of the header) where the tail starts.
    pub fn tail_offset(&self) -> usize {
        self.tlvs
            .iter()
            .map(|t| TLV_HEADER_BYTES.saturating_add(t.value.len()))
            .fold(0, usize::saturating_add)
    }

    /// Splits a type-7 payload into TLVs and a tail; never fails and never reads past
    /// `payload`. Encoding the result gives back `payload` byte for byte.
    pub fn from_payload(payload: &[u8]) -> Self {
        let mut tlvs = Vec::new();
        let mut r = Reader::new(payload);
        loop {
            let rest = r.rest();
            if rest.is_empty() {
                return Self { tlvs, tail: None };
            }
            let Some((tlv_type, declared_len, after)) = split_header(rest) else {
                let bytes = rest.to_vec();
                let tail = Some(TlvTail::ShortHeader { bytes });
                return Self { tlvs, tail };
            };
            let len = usize::try_from(declared_len).unwrap_or(usize::MAX);
            let Some((value, next)) = after.split_at_checked(len) else {
                let value = after.to_vec();
                let tail = Some(TlvTail::Overrun {
                    tlv_type,
                    declared_len,
                    value,
                });
                return Self { tlvs, tail };
            };
            tlvs.push(Tlv {
                tlv_type,
                value: value.to_vec(),
            });
            r = Reader::new(next);
        }
    }

    /// Payload length of the encoding.
    pub(crate) fn encoded_len(&self) -> usize {
        let tail = self.tail.as_ref().map_or(0, TlvTail::encoded_len);
        self.tail_offset().saturating_add(tail)
    }

    /// Checks that the encoding decodes back to `self`: TLV lengths fit a u32 and the tail is
    /// one that [`InitDiscovery::read`] would produce.
    pub(crate) fn check(&self) -> Result<(), EncodeError> {
        for tlv in &self.tlvs {
            u32::try_from(tlv.value.len()).map_err(|_| EncodeError::PayloadTooLarge {
                len: tlv.value.len(),
            })?;
        }
        match &self.tail {
            Some(TlvTail::ShortHeader { bytes })
                if !(1..TLV_HEADER_BYTES).contains(&bytes.len()) =>
            {
                Err(EncodeError::InconsistentTlvTail {
                    declared_len: bytes.len() as u64,
                    value_len: bytes.len(),
                })
            }
            Some(TlvTail::Overrun {
                declared_len,
                value,
                ..
            }) if u64::from(*declared_len) <= value.len() as u64 => {
                Err(EncodeError::InconsistentTlvTail {
                    declared_len: u64::from(*declared_len),
                    value_len: value.len(),
                })
            }
            _ => Ok(()),
        }
    }

    /// Writes the TLVs and the tail; call [`InitDiscovery::check`] first (lengths were checked
    /// there, so the saturating conversion never changes a value).
    pub(crate) fn write(&self, out: &mut Vec<u8>) {
        for tlv in &self.tlvs {
            let len = u32::try_from(tlv.value.len()).unwrap_or(u32::MAX);
            put_u32s(out, &[tlv.tlv_type, len]);
            out.extend_from_slice(&tlv.value);
        }
        match &self.tail {
            None => {}
            Some(TlvTail::ShortHeader { bytes }) => out.extend_from_slice(bytes),
            Some(TlvTail::Overrun {
                tlv_type,
                declared_len,
                value,
            }) => {
                put_u32s(out, &[*tlv_type, *declared_len]);
                out.extend_from_slice(value);
            }
        }
    }
}

/// Type, length and the bytes after a TLV header, or `None` when fewer than 8 bytes remain.
fn split_header(bytes: &[u8]) -> Option<(u32, u32, &[u8])> {
    let mut r = Reader::new(bytes);
    let tlv_type = r.u32()?;
    let len = r.u32()?;
    Some((tlv_type, len, r.rest()))
}
