//! Classic pcap framing: the 24-byte file header (magic, version, snap length, link type) and
//! the 16-byte record header (seconds, micro- or nanoseconds, captured and original length).
//! Inputs: untrusted bytes; the captured length is checked against the limit before the record
//! is sliced.

use super::{ByteOrder, CaptureError, CaptureLimits, LinkType, Parsed, Record};

/// Bytes in the file header.
pub(super) const FILE_HEADER_BYTES: usize = 24;
/// Bytes in a record header.
pub(super) const RECORD_HEADER_BYTES: usize = 16;

/// Microsecond magic as stored in a little-endian file.
pub(super) const MAGIC_MICROS: u32 = 0xa1b2_c3d4;
/// Nanosecond magic.
pub(super) const MAGIC_NANOS: u32 = 0xa1b2_3c4d;

/// What the file header says about every record.
#[derive(Clone, Copy, Debug)]
pub(super) struct ClassicHeader {
    pub(super) order: ByteOrder,
    pub(super) nanos: bool,
    pub(super) link: LinkType,
}

/// Parses the file header; `None` when fewer than 24 bytes are present.
pub(super) fn parse_file_header(
    input: &[u8],
    offset: u64,
) -> Result<Option<ClassicHeader>, CaptureError> {
    let Some(magic) = input.first_chunk::<4>() else {
        return Ok(None);
    };
    let (order, nanos) = match (u32::from_le_bytes(*magic), u32::from_be_bytes(*magic)) {
        (MAGIC_MICROS, _) => (ByteOrder::Little, false),
        (MAGIC_NANOS, _) => (ByteOrder::Little, true),
        (_, MAGIC_MICROS) => (ByteOrder::Big, false),
        (_, MAGIC_NANOS) => (ByteOrder::Big, true),
        _ => return Err(CaptureError::NotACapture { magic: *magic }),
    };
    let Some(header) = input.get(..FILE_HEADER_BYTES) else {
        return Ok(None);
    };
    let major = order.u16_at(header, 4).unwrap_or_default();
    let minor = order.u16_at(header, 6).unwrap_or_default();
    if major != 2 {
        return Err(CaptureError::UnsupportedVersion {
            offset,
            major,
            minor,
        });
    }
    // The upper 16 bits of the link-type word carry FCS information, not the link type.
    let network = order.u32_at(header, 20).unwrap_or_default() & 0xffff;
    Ok(Some(ClassicHeader {
        order,
        nanos,
        link: LinkType::from_u32(network),
    }))
}

/// Parses one record header and slices its data.
pub(super) fn parse_record<'a>(
    header: &ClassicHeader,
    input: &'a [u8],
    offset: u64,
    limits: &CaptureLimits,
) -> Result<Parsed<'a>, CaptureError> {
    let order = header.order;
    let Some(record_header) = input.get(..RECORD_HEADER_BYTES) else {
        return Ok(Parsed::NeedMore {
            at_least: RECORD_HEADER_BYTES,
        });
    };
    let field = |at| order.u32_at(record_header, at).unwrap_or_default();
    let (seconds, fraction, captured_len, original_len) = (field(0), field(4), field(8), field(12));
    let captured = captured_len as usize;
    if captured > limits.max_record_bytes {
        return Err(CaptureError::RecordTooLarge {
            offset,
            captured_len,
            limit: limits.max_record_bytes,
        });
    }
    let end = RECORD_HEADER_BYTES + captured;
    let Some(data) = input.get(RECORD_HEADER_BYTES..end) else {
        return Ok(Parsed::NeedMore { at_least: end });
    };
    let fraction_ns = if header.nanos {
        u64::from(fraction)
    } else {
        u64::from(fraction) * 1_000
    };
    // Cannot overflow: (2^32 - 1) * 10^9 + (2^32 - 1) * 10^3 < 2^64.
    let timestamp_ns = u64::from(seconds) * 1_000_000_000 + fraction_ns;
    Ok(Parsed::Record {
        consumed: end,
        record: Record {
            timestamp_ns,
            link: header.link,
            data,
            original_len,
        },
    })
}
