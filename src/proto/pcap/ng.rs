//! pcapng framing: generic blocks (`type | total length | body | total length`, padded to 4
//! bytes) in sections opened by a Section Header Block, whose byte-order magic sets the byte
//! order of the whole section. Interface Description Blocks give each interface its link type,
//! snap length and timestamp unit (`if_tsresol`, power of 10 or of 2; `if_tsoffset`); Enhanced
//! (6), Simple (3) and obsolete Packet Blocks (2) carry packets; every other type is skipped.
//!
//! Inputs: untrusted bytes. The block length is checked against the limit, the alignment and
//! the trailing copy before the body is read; every fixed field and option is read with a
//! bounds check.

use super::{BlockDefect, ByteOrder, CaptureError, CaptureLimits, LinkType, Parsed, Record};

/// The Section Header Block type, a byte palindrome readable before the byte order is known.
pub(super) const SHB_TYPE_BYTES: [u8; 4] = [0x0a, 0x0d, 0x0d, 0x0a];
/// Section Header Block type as a number.
pub(super) const SHB_TYPE: u32 = 0x0a0d_0d0a;
/// Interface Description Block.
pub(super) const IDB_TYPE: u32 = 1;
/// Obsolete Packet Block.
pub(super) const PB_TYPE: u32 = 2;
/// Simple Packet Block.
pub(super) const SPB_TYPE: u32 = 3;
/// Enhanced Packet Block.
pub(super) const EPB_TYPE: u32 = 6;
/// The byte-order magic.
pub(super) const BYTE_ORDER_MAGIC: u32 = 0x1a2b_3c4d;

/// Option code of `if_tsresol`.
pub(super) const OPT_IF_TSRESOL: u16 = 9;
/// Option code of `if_tsoffset`.
pub(super) const OPT_IF_TSOFFSET: u16 = 14;

/// Bytes of block framing: type, leading and trailing length.
const FRAMING_BYTES: usize = 12;

/// The state of the current section.
#[derive(Clone, Debug)]
pub(super) struct Section {
    order: ByteOrder,
    interfaces: Vec<Interface>,
}

/// What an Interface Description Block says about the packets of that interface.
#[derive(Clone, Copy, Debug)]
struct Interface {
    link: LinkType,
    snaplen: u32,
    scale: Scale,
    /// `if_tsoffset` in nanoseconds.
    offset_ns: i64,
}

/// How to turn a timestamp in interface units into nanoseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scale {
    /// Units of 10^-v s with v <= 9: multiply by 10^(9 - v).
    Multiply(u64),
    /// Units of 10^-v s with v > 9: divide by 10^(v - 9) (0 when that overflows).
    Divide(Option<u64>),
    /// Units of 2^-v s: multiply by 10^9, shift right by v.
    Shift(u32),
}

/// A block whose framing has been checked.
struct Block<'a> {
    block_type: u32,
    len: usize,
    body: &'a [u8],
}

impl Section {
    pub(super) fn new() -> Self {
        Self {
            order: ByteOrder::Little,
            interfaces: Vec::new(),
        }
    }

    /// Parses one block; a Section Header Block starts a new section.
    pub(super) fn parse_block<'a>(
        &mut self,
        input: &'a [u8],
        offset: u64,
        limits: &CaptureLimits,
    ) -> Result<Parsed<'a>, CaptureError> {
        let block = match self.frame(input, offset, limits)? {
            Ok(block) => block,
            Err(at_least) => return Ok(Parsed::NeedMore { at_least }),
        };
        let skipped = Parsed::Skipped {
            consumed: block.len,
        };
        match block.block_type {
            EPB_TYPE => self.timed_packet(&block, offset, limits, false),
            SPB_TYPE => self.simple_packet(&block, offset, limits),
            PB_TYPE => self.timed_packet(&block, offset, limits, true),
            IDB_TYPE => self.interface(&block, offset, limits).map(|()| skipped),
            SHB_TYPE => self.section_header(&block, offset).map(|()| skipped),
            _ => Ok(skipped),
        }
    }

    /// Checks the framing of the block at the start of `input`: `Ok(Err(n))` when `n` bytes
    /// are needed. A Section Header Block switches the byte order first.
    fn frame<'a>(
        &mut self,
        input: &'a [u8],
        offset: u64,
        limits: &CaptureLimits,
    ) -> Result<Result<Block<'a>, usize>, CaptureError> {
        let Some(head) = input.first_chunk::<8>() else {
            return Ok(Err(8));
        };
        let mut order = self.order;
        if head[..4] == SHB_TYPE_BYTES {
            let Some(magic) = input.get(8..12) else {
                return Ok(Err(12));
            };
            order = match (
                ByteOrder::Little.u32_at(magic, 0),
                ByteOrder::Big.u32_at(magic, 0),
            ) {
                (Some(BYTE_ORDER_MAGIC), _) => ByteOrder::Little,
                (_, Some(BYTE_ORDER_MAGIC)) => ByteOrder::Big,
                _ => return Err(bad(offset, SHB_TYPE, BlockDefect::ByteOrderMagic)),
            };
        }
        let block_type = order.u32_at(head, 0).unwrap_or_default();
        let declared = order.u32_at(head, 4).unwrap_or_default();
        if (declared as usize) < FRAMING_BYTES {
            return Err(bad(
                offset,
                block_type,
                BlockDefect::LengthTooSmall(declared),
            ));
        }
        if !declared.is_multiple_of(4) {
            return Err(bad(
                offset,
                block_type,
                BlockDefect::LengthNotAligned(declared),
            ));
        }
        let len = declared as usize;
        if len > limits.max_block_bytes {
            return Err(CaptureError::BlockTooLarge {
                offset,
                length: declared,
                limit: limits.max_block_bytes,
            });
        }
        let Some(bytes) = input.get(..len) else {
            return Ok(Err(len));
        };
        let trailer = order.u32_at(bytes, len - 4).unwrap_or_default();
        if trailer != declared {
            let defect = BlockDefect::TrailerMismatch {
                leading: declared,
                trailer,
            };
            return Err(bad(offset, block_type, defect));
        }
        self.order = order;
        Ok(Ok(Block {
            block_type,
            len,
            body: bytes.get(8..len - 4).unwrap_or_default(),
        }))
    }

    fn section_header(&mut self, block: &Block<'_>, offset: u64) -> Result<(), CaptureError> {
        let body = fixed(block, offset, 16)?;
        let major = self.order.u16_at(body, 4).unwrap_or_default();
        let minor = self.order.u16_at(body, 6).unwrap_or_default();
        if major != 1 {
            return Err(CaptureError::UnsupportedVersion {
                offset,
                major,
                minor,
            });
        }
        self.interfaces.clear();
        Ok(())
    }

    fn interface(
        &mut self,
        block: &Block<'_>,
        offset: u64,
        limits: &CaptureLimits,
    ) -> Result<(), CaptureError> {
        let body = fixed(block, offset, 8)?;
        if self.interfaces.len() >= limits.max_interfaces {
            return Err(CaptureError::TooManyInterfaces {
                offset,
                limit: limits.max_interfaces,
            });
        }
        let order = self.order;
        let mut interface = Interface {
            link: LinkType::from_u32(u32::from(order.u16_at(body, 0).unwrap_or_default())),
            snaplen: order.u32_at(body, 4).unwrap_or_default(),
            scale: Scale::Multiply(1_000),
            offset_ns: 0,
        };
        let mut options = body.get(8..).unwrap_or_default();
        while let (Some(code), Some(length)) = (order.u16_at(options, 0), order.u16_at(options, 2))
        {
            if code == 0 {
                break;
            }
            let value_len = usize::from(length);
            let Some(value) = options.get(4..4 + value_len) else {
                let defect = BlockDefect::OptionOverrun { code, length };
                return Err(bad(offset, block.block_type, defect));
            };
            match (code, value) {
                (OPT_IF_TSRESOL, [resolution, ..]) => interface.scale = Scale::new(*resolution),
                (OPT_IF_TSOFFSET, _) => {
                    if let Some(seconds) = order.u64_at(value, 0) {
                        interface.offset_ns = (seconds as i64).saturating_mul(1_000_000_000);
                    }
                }
                _ => {}
            }
            let padded = (4 + value_len + 3) & !3;
            options = options.get(padded..).unwrap_or_default();
        }
        self.interfaces.push(interface);
        Ok(())
    }

    /// An Enhanced Packet Block, or the obsolete Packet Block (`obsolete`: its interface ID is a
    /// u16 followed by a drops count, instead of a u32). Both carry a 64-bit timestamp, the
    /// captured and original lengths, then the data.
    fn timed_packet<'a>(
        &self,
        block: &Block<'a>,
        offset: u64,
        limits: &CaptureLimits,
        obsolete: bool,
    ) -> Result<Parsed<'a>, CaptureError> {
        let body = fixed(block, offset, 20)?;
        let field = |at| self.order.u32_at(body, at).unwrap_or_default();
        let id = if obsolete {
            u32::from(self.order.u16_at(body, 0).unwrap_or_default())
        } else {
            field(0)
        };
        let interface = self.interface_at(id, offset)?;
        let timestamp = u64::from(field(4)) << 32 | u64::from(field(8));
        let data = packet_data(block, body, 20, field(12), offset, limits)?;
        Ok(interface.record(block.len, timestamp, data, field(16)))
    }

    fn simple_packet<'a>(
        &self,
        block: &Block<'a>,
        offset: u64,
        limits: &CaptureLimits,
    ) -> Result<Parsed<'a>, CaptureError> {
        let body = fixed(block, offset, 4)?;
        let interface = self.interface_at(0, offset)?;
        let original_len = self.order.u32_at(body, 0).unwrap_or_default();
        // The captured length is implicit: the original length cut by the snap length (0 means
        // none) and by the block.
        let mut captured = (original_len as usize).min(body.len() - 4);
        if interface.snaplen != 0 {
            captured = captured.min(interface.snaplen as usize);
        }
        let captured_len = u32::try_from(captured).unwrap_or(u32::MAX);
        let data = packet_data(block, body, 4, captured_len, offset, limits)?;
        let mut parsed = interface.record(block.len, 0, data, original_len);
        if let Parsed::Record { record, .. } = &mut parsed {
            record.timestamp_ns = 0;
        }
        Ok(parsed)
    }

    fn interface_at(&self, id: u32, offset: u64) -> Result<&Interface, CaptureError> {
        self.interfaces
            .get(id as usize)
            .ok_or(CaptureError::UnknownInterface {
                offset,
                interface: id,
                known: self.interfaces.len(),
            })
    }
}

impl Interface {
    fn record<'a>(
        &self,
        consumed: usize,
        timestamp: u64,
        data: &'a [u8],
        original_len: u32,
    ) -> Parsed<'a> {
        Parsed::Record {
            consumed,
            record: Record {
                timestamp_ns: self
                    .scale
                    .to_nanos(timestamp)
                    .saturating_add_signed(self.offset_ns),
                link: self.link,
                data,
                original_len,
            },
        }
    }
}

impl Scale {
    fn new(resolution: u8) -> Self {
        let exponent = u32::from(resolution & 0x7f);
        if resolution & 0x80 != 0 {
            Self::Shift(exponent)
        } else if exponent <= 9 {
            Self::Multiply(10u64.pow(9 - exponent))
        } else {
            Self::Divide(10u64.checked_pow(exponent - 9))
        }
    }

    fn to_nanos(self, timestamp: u64) -> u64 {
        match self {
            Self::Multiply(factor) => timestamp.saturating_mul(factor),
            Self::Divide(Some(divisor)) => timestamp / divisor,
            Self::Divide(None) => 0,
            Self::Shift(exponent) => {
                let nanos = (u128::from(timestamp) * 1_000_000_000) >> exponent;
                u64::try_from(nanos).unwrap_or(u64::MAX)
            }
        }
    }
}

/// The body, checked to hold at least `needed` bytes of fixed fields.
fn fixed<'a>(block: &Block<'a>, offset: u64, needed: usize) -> Result<&'a [u8], CaptureError> {
    if block.body.len() < needed {
        let defect = BlockDefect::BodyTooShort {
            needed,
            available: block.body.len(),
        };
        return Err(bad(offset, block.block_type, defect));
    }
    Ok(block.body)
}

/// The `captured_len` packet bytes that follow `start` bytes of fixed fields.
fn packet_data<'a>(
    block: &Block<'a>,
    body: &'a [u8],
    start: usize,
    captured_len: u32,
    offset: u64,
    limits: &CaptureLimits,
) -> Result<&'a [u8], CaptureError> {
    let captured = captured_len as usize;
    if captured > limits.max_record_bytes {
        return Err(CaptureError::RecordTooLarge {
            offset,
            captured_len,
            limit: limits.max_record_bytes,
        });
    }
    body.get(start..start.saturating_add(captured))
        .ok_or_else(|| {
            let defect = BlockDefect::CapturedLengthExceedsBlock {
                captured_len,
                available: body.len().saturating_sub(start),
            };
            bad(offset, block.block_type, defect)
        })
}

fn bad(offset: u64, block_type: u32, defect: BlockDefect) -> CaptureError {
    CaptureError::BadBlock {
        offset,
        block_type,
        defect,
    }
}

#[cfg(test)]
mod scale_tests {
    use super::Scale;

    #[test]
    fn converts_every_kind_of_resolution() {
        assert_eq!(Scale::new(6).to_nanos(1_500_000), 1_500_000_000);
        assert_eq!(Scale::new(9).to_nanos(7), 7);
        assert_eq!(Scale::new(12).to_nanos(5_000), 5);
        assert_eq!(Scale::new(0x80 | 10).to_nanos(1024), 1_000_000_000);
        assert_eq!(Scale::new(0x80).to_nanos(3), 3_000_000_000);
        assert_eq!(Scale::new(100).to_nanos(u64::MAX), 0);
        assert_eq!(Scale::new(0).to_nanos(u64::MAX), u64::MAX);
    }
}
