//! The CDP checksum: RFC 1071 one's-complement sum of 16-bit big-endian words, with Cisco's
//! odd-length rule (the last byte is added as a sign-extended word, not zero-padded). Pure.

/// Computes the checksum of a CDP PDU whose checksum field (bytes 2..4) is zero, or verifies
/// one whose field is set: the result is then 0.
///
/// For an odd length the last byte `b` is added as the word `0x00bb` when `b < 0x80` and as
/// `0xFFbb` otherwise (Cisco sums it as a signed char; Wireshark's `packet-cdp.c` does the same).
pub fn checksum(pdu: &[u8]) -> u16 {
    let mut chunks = pdu.chunks_exact(2);
    let mut sum: u32 = 0;
    for pair in chunks.by_ref() {
        sum += u32::from(u16::from_be_bytes([pair[0], pair[1]]));
    }
    if let [last] = chunks.remainder() {
        let high = if last & 0x80 == 0 { 0x00 } else { 0xff };
        sum += u32::from(u16::from_be_bytes([high, *last]));
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
        assert_eq!(checksum(&[0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]), 0x220d);
    }

    #[test]
    fn odd_last_byte_is_sign_extended() {
        assert_eq!(checksum(&[0x12, 0x34, 0x56]), !(0x1234u16 + 0x0056));
        // 0x1234 + 0xff96 = 0x1_11ca, folded to 0x11cb.
        assert_eq!(checksum(&[0x12, 0x34, 0x96]), !0x11cb_u16);
    }

    #[test]
    fn checksum_over_summed_pdu_verifies_to_zero() {
        let mut pdu = vec![0x02, 0xb4, 0x00, 0x00, 0x00, 0x01, 0x00, 0x07, b'a', b'b', b'c'];
        let c = checksum(&pdu);
        pdu[2..4].copy_from_slice(&c.to_be_bytes());
        assert_eq!(checksum(&pdu), 0);
    }
}
