//! Capture writers for tests, benchmark generators and fuzz seeds: classic pcap headers and
//! records, and pcapng blocks (section header, interface description, enhanced and simple
//! packets, any other block). Pure: each function appends to or returns bytes. The plain
//! functions write little-endian; the `*_in` variants take a [`ByteOrder`] so tests can prove
//! both orders parse.
//!
//! Inputs: trusted values from the caller. Packet data longer than `u32::MAX` bytes cannot be
//! represented and is cut to that length.

use super::classic::{MAGIC_MICROS, MAGIC_NANOS};
use super::ng::{
    BYTE_ORDER_MAGIC, EPB_TYPE, IDB_TYPE, OPT_IF_TSOFFSET, OPT_IF_TSRESOL, SHB_TYPE, SPB_TYPE,
};
use super::{ByteOrder, LinkType};

/// A little-endian classic pcap file header, version 2.4.
pub fn pcap_header(link: LinkType, snaplen: u32, nanos: bool) -> [u8; 24] {
    pcap_header_in(ByteOrder::Little, link, snaplen, nanos)
}

/// A classic pcap file header in the given byte order.
pub fn pcap_header_in(order: ByteOrder, link: LinkType, snaplen: u32, nanos: bool) -> [u8; 24] {
    let mut out = Vec::with_capacity(24);
    put_u32(
        order,
        if nanos { MAGIC_NANOS } else { MAGIC_MICROS },
        &mut out,
    );
    put_u16(order, 2, &mut out);
    put_u16(order, 4, &mut out);
    put_u32(order, 0, &mut out); // thiszone
    put_u32(order, 0, &mut out); // sigfigs
    put_u32(order, snaplen, &mut out);
    put_u32(order, link.to_u32(), &mut out);
    let mut header = [0u8; 24];
    header.copy_from_slice(&out);
    header
}

/// Appends a little-endian classic pcap record holding all of `data`, captured at `ts_ns`
/// nanoseconds since the epoch (rounded down to microseconds unless `nanos`).
pub fn pcap_record(ts_ns: u64, data: &[u8], nanos: bool, out: &mut Vec<u8>) {
    pcap_record_in(
        ByteOrder::Little,
        ts_ns,
        data,
        len_u32(data.len()),
        nanos,
        out,
    );
}

/// Appends a classic pcap record in the given byte order; `original_len` may exceed the data
/// to describe a packet cut by the snap length.
pub fn pcap_record_in(
    order: ByteOrder,
    ts_ns: u64,
    data: &[u8],
    original_len: u32,
    nanos: bool,
    out: &mut Vec<u8>,
) {
    let data = &data[..data.len().min(u32::MAX as usize)];
    let seconds = u32::try_from(ts_ns / 1_000_000_000).unwrap_or(u32::MAX);
    let sub = ts_ns % 1_000_000_000;
    let fraction = if nanos { sub } else { sub / 1_000 };
    out.reserve(16 + data.len());
    put_u32(order, seconds, out);
    put_u32(order, u32::try_from(fraction).unwrap_or(u32::MAX), out);
    put_u32(order, len_u32(data.len()), out);
    put_u32(order, original_len, out);
    out.extend_from_slice(data);
}

/// Appends a little-endian pcapng Section Header Block (version 1.0, unknown section length).
pub fn section_header(out: &mut Vec<u8>) {
    section_header_in(ByteOrder::Little, out);
}

/// Appends a Section Header Block in the given byte order.
pub fn section_header_in(order: ByteOrder, out: &mut Vec<u8>) {
    let mut body = Vec::with_capacity(16);
    put_u32(order, BYTE_ORDER_MAGIC, &mut body);
    put_u16(order, 1, &mut body);
    put_u16(order, 0, &mut body);
    body.extend_from_slice(&u64::MAX.to_le_bytes()); // section length -1: unknown
    block_in(order, SHB_TYPE, &body, out);
}

/// Appends a little-endian Interface Description Block; `tsresol` is the raw `if_tsresol`
/// value (`None` for the default, microseconds).
pub fn interface_description(link: LinkType, snaplen: u32, tsresol: Option<u8>, out: &mut Vec<u8>) {
    interface_description_in(ByteOrder::Little, link, snaplen, tsresol, None, out);
}

/// Appends an Interface Description Block in the given byte order, with optional
/// `if_tsresol` and `if_tsoffset` (seconds) options.
pub fn interface_description_in(
    order: ByteOrder,
    link: LinkType,
    snaplen: u32,
    tsresol: Option<u8>,
    tsoffset: Option<i64>,
    out: &mut Vec<u8>,
) {
    let mut body = Vec::with_capacity(32);
    // LinkType is 16 bits in an IDB.
    put_u16(
        order,
        u16::try_from(link.to_u32()).unwrap_or(u16::MAX),
        &mut body,
    );
    put_u16(order, 0, &mut body);
    put_u32(order, snaplen, &mut body);
    if let Some(resolution) = tsresol {
        put_u16(order, OPT_IF_TSRESOL, &mut body);
        put_u16(order, 1, &mut body);
        body.extend_from_slice(&[resolution, 0, 0, 0]);
    }
    if let Some(seconds) = tsoffset {
        put_u16(order, OPT_IF_TSOFFSET, &mut body);
        put_u16(order, 8, &mut body);
        let bytes = match order {
            ByteOrder::Little => seconds.to_le_bytes(),
            ByteOrder::Big => seconds.to_be_bytes(),
        };
        body.extend_from_slice(&bytes);
    }
    if tsresol.is_some() || tsoffset.is_some() {
        body.extend_from_slice(&[0; 4]); // opt_endofopt
    }
    block_in(order, IDB_TYPE, &body, out);
}

/// Appends a little-endian Enhanced Packet Block on interface `iface`; `ts` is in the units
/// of that interface's `if_tsresol` (microseconds by default).
pub fn enhanced_packet(iface: u32, ts: u64, data: &[u8], out: &mut Vec<u8>) {
    enhanced_packet_in(ByteOrder::Little, iface, ts, data, len_u32(data.len()), out);
}

/// Appends an Enhanced Packet Block in the given byte order with an explicit original length.
pub fn enhanced_packet_in(
    order: ByteOrder,
    iface: u32,
    ts: u64,
    data: &[u8],
    original_len: u32,
    out: &mut Vec<u8>,
) {
    let data = &data[..data.len().min(u32::MAX as usize - 64)];
    let padded = data.len().next_multiple_of(4);
    let total = 32 + padded;
    out.reserve(total);
    put_u32(order, EPB_TYPE, out);
    put_u32(order, len_u32(total), out);
    put_u32(order, iface, out);
    put_u32(order, (ts >> 32) as u32, out);
    put_u32(order, ts as u32, out);
    put_u32(order, len_u32(data.len()), out);
    put_u32(order, original_len, out);
    out.extend_from_slice(data);
    out.resize(out.len() + padded - data.len(), 0);
    put_u32(order, len_u32(total), out);
}

/// Appends a little-endian Simple Packet Block (interface 0, no timestamp).
pub fn simple_packet(data: &[u8], out: &mut Vec<u8>) {
    let mut body = Vec::with_capacity(4 + data.len());
    put_u32(ByteOrder::Little, len_u32(data.len()), &mut body);
    body.extend_from_slice(data);
    block_in(ByteOrder::Little, SPB_TYPE, &body, out);
}

/// Appends a little-endian block of any type around `body` (padded to 4 bytes).
pub fn block(block_type: u32, body: &[u8], out: &mut Vec<u8>) {
    block_in(ByteOrder::Little, block_type, body, out);
}

/// Appends a block of any type in the given byte order.
pub fn block_in(order: ByteOrder, block_type: u32, body: &[u8], out: &mut Vec<u8>) {
    let body = &body[..body.len().min(u32::MAX as usize - 64)];
    let padded = body.len().next_multiple_of(4);
    let total = len_u32(12 + padded);
    put_u32(order, block_type, out);
    put_u32(order, total, out);
    out.extend_from_slice(body);
    out.resize(out.len() + padded - body.len(), 0);
    put_u32(order, total, out);
}

fn len_u32(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}

fn put_u16(order: ByteOrder, value: u16, out: &mut Vec<u8>) {
    out.extend_from_slice(&match order {
        ByteOrder::Little => value.to_le_bytes(),
        ByteOrder::Big => value.to_be_bytes(),
    });
}

fn put_u32(order: ByteOrder, value: u32, out: &mut Vec<u8>) {
    out.extend_from_slice(&match order {
        ByteOrder::Little => value.to_le_bytes(),
        ByteOrder::Big => value.to_be_bytes(),
    });
}
