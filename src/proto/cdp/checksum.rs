//! The CDP checksum: RFC 1071 one's-complement sum of 16-bit big-endian words, with Cisco's
//! odd-length rule (the last byte is added as a signed char, not zero-padded). Pure.

/// Computes the checksum of a CDP PDU whose checksum field (bytes 2..4) is zero.
///
/// Even lengths: plain RFC 1071. Odd lengths: Cisco adds the last byte `b` to its 32-bit
/// accumulator as a *signed char* — `+b` when `b < 0x80`, `+b - 0x100` (two's complement, i.e.
/// `0xFFFF_FF00 | b`) otherwise — and then folds the carries. For `b ≥ 0x80` that is one less
/// than adding the one's-complement word `0xFFbb`, the off-by-one Wireshark's `packet-cdp.c`
/// compensates for; tshark agrees with this function on the fixtures (`tests/cdp_fixtures.rs`).
pub fn checksum(pdu: &[u8]) -> u16 {
    let mut chunks = pdu.chunks_exact(2);
    let mut sum: u32 = 0;
    for pair in chunks.by_ref() {
        sum += u32::from(u16::from_be_bytes([pair[0], pair[1]]));
    }
    if let [last] = chunks.remainder() {
        // Sign-extend the byte to 32 bits, as Cisco's `sum += (signed char)b` does.
        sum = sum.wrapping_add(i32::from(i8::from_be_bytes([*last])) as u32);
    }
    // A PDU is at most 1,492 bytes, so at most 747 words: the sum fits u32 before folding.
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn even_length_is_rfc1071() {
        // RFC 1071 §3 example words 0001 f203 f4f5 f6f7: sum ddf2, checksum 220d.
        assert_eq!(
            checksum(&[0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]),
            0x220d
        );
    }

    #[test]
    fn odd_last_byte_is_sign_extended() {
        assert_eq!(checksum(&[0x12, 0x34, 0x56]), !(0x1234u16 + 0x0056));
        // 0x1234 + (0x96 - 0x100) = 0x11ca: one less than one's-complement 0x1234 + 0xff96.
        assert_eq!(checksum(&[0x12, 0x34, 0x96]), !0x11ca_u16);
    }

    #[test]
    fn checksum_over_summed_pdu_verifies_to_zero() {
        let mut pdu = vec![
            0x02, 0xb4, 0x00, 0x00, 0x00, 0x01, 0x00, 0x07, b'a', b'b', b'c',
        ];
        let c = checksum(&pdu);
        pdu[2..4].copy_from_slice(&c.to_be_bytes());
        assert_eq!(checksum(&pdu), 0);
    }
}
