//! Tests of the Smart Install codec: the byte layouts of smart-install.md §3 written out as hex
//! (built from the spec's tables, not from captured files), stream reassembly, the typed errors,
//! the public IDS signatures of §4 matched against our encodings, and property tests (round trip,
//! no panics, split feeding equals one-shot decoding).

mod errors;
mod fixtures;
mod ids;
mod props;
mod stream;

use super::*;

/// Bytes of a hex string; whitespace is ignored.
fn hex(text: &str) -> Vec<u8> {
    let clean: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    ::hex::decode(clean).unwrap()
}

/// `text` NUL-padded to `size` bytes, as hex.
fn padded(text: &str, size: usize) -> String {
    assert!(text.len() < size);
    format!("{}{}", ::hex::encode(text), "00".repeat(size - text.len()))
}

/// The single message in `bytes`.
fn decode_one(bytes: &[u8]) -> Message {
    decode_message(bytes, Limits::default()).unwrap()
}
