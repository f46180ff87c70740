//! Tests for the telnet filter: data passes, IAC sequences are stripped and answered, splits
//! anywhere give the same result, and no input panics.

use proptest::prelude::*;

use super::*;

const OPT_TERMINAL_TYPE: u8 = 0x18;
const OPT_NAWS: u8 = 0x1F;

fn filter_all(input: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let mut filter = TelnetFilter::new();
    let mut data = Vec::new();
    filter.handle_input(input, &mut data).unwrap();
    (data, filter.poll_transmit().unwrap_or_default())
}

#[test]
fn passes_plain_data_through() {
    assert_eq!(filter_all(b"Username: ").0, b"Username: ");
}

#[test]
fn turns_doubled_iac_into_one_data_byte() {
    assert_eq!(filter_all(&[b'a', IAC, IAC, b'b']).0, [b'a', 0xFF, b'b']);
}

#[test]
fn answers_cisco_opening_negotiation() {
    // What an IOS telnet client sends first: WILL/DO of terminal type, window size, SGA, echo.
    let input = [
        IAC,
        DO,
        OPT_TERMINAL_TYPE,
        IAC,
        WILL,
        OPT_SUPPRESS_GO_AHEAD,
        IAC,
        DO,
        OPT_NAWS,
        IAC,
        WILL,
        OPT_ECHO,
        IAC,
        DO,
        OPT_SUPPRESS_GO_AHEAD,
    ];
    let (data, replies) = filter_all(&input);
    assert!(data.is_empty());
    assert_eq!(
        replies,
        [
            IAC,
            WONT,
            OPT_TERMINAL_TYPE,
            IAC,
            DO,
            OPT_SUPPRESS_GO_AHEAD,
            IAC,
            WONT,
            OPT_NAWS,
            IAC,
            DO,
            OPT_ECHO,
            IAC,
            WILL,
            OPT_SUPPRESS_GO_AHEAD,
        ]
    );
}

#[test]
fn refuses_unknown_will() {
    assert_eq!(filter_all(&[IAC, WILL, OPT_NAWS]).1, [IAC, DONT, OPT_NAWS]);
}

#[test]
fn does_not_answer_a_request_for_a_mode_in_effect() {
    let mut filter = TelnetFilter::new();
    let mut data = Vec::new();
    filter
        .handle_input(&[IAC, WILL, OPT_ECHO], &mut data)
        .unwrap();
    assert_eq!(filter.poll_transmit().unwrap(), [IAC, DO, OPT_ECHO]);
    filter
        .handle_input(&[IAC, WILL, OPT_ECHO], &mut data)
        .unwrap();
    assert_eq!(filter.poll_transmit(), None);
    assert!(filter.peer_enabled(OPT_ECHO));
    filter
        .handle_input(&[IAC, WONT, OPT_ECHO], &mut data)
        .unwrap();
    assert_eq!(filter.poll_transmit().unwrap(), [IAC, DONT, OPT_ECHO]);
    assert!(!filter.peer_enabled(OPT_ECHO));
}

#[test]
fn acknowledges_dont_for_an_enabled_local_option_only() {
    let mut filter = TelnetFilter::new();
    let mut data = Vec::new();
    filter
        .handle_input(&[IAC, DONT, OPT_SUPPRESS_GO_AHEAD], &mut data)
        .unwrap();
    assert_eq!(filter.poll_transmit(), None);
    filter
        .handle_input(&[IAC, DO, OPT_SUPPRESS_GO_AHEAD], &mut data)
        .unwrap();
    assert!(filter.local_enabled(OPT_SUPPRESS_GO_AHEAD));
    filter
        .handle_input(&[IAC, DONT, OPT_SUPPRESS_GO_AHEAD], &mut data)
        .unwrap();
    assert_eq!(
        filter.poll_transmit().unwrap(),
        [
            IAC,
            WILL,
            OPT_SUPPRESS_GO_AHEAD,
            IAC,
            WONT,
            OPT_SUPPRESS_GO_AHEAD
        ]
    );
}

#[test]
fn drops_subnegotiation_and_keeps_surrounding_data() {
    let input = [
        b'x',
        IAC,
        SB,
        OPT_TERMINAL_TYPE,
        0x00,
        b'V',
        b'T',
        IAC,
        IAC,
        IAC,
        SE,
        b'y',
    ];
    let (data, replies) = filter_all(&input);
    assert_eq!(data, b"xy");
    assert!(replies.is_empty());
}

#[test]
fn rejects_overlong_subnegotiation() {
    let mut input = vec![IAC, SB, OPT_NAWS];
    input.extend(std::iter::repeat_n(0u8, MAX_SUBNEGOTIATION_BYTES + 1));
    let mut filter = TelnetFilter::new();
    assert_eq!(
        filter.handle_input(&input, &mut Vec::new()),
        Err(TelnetError::SubnegotiationTooLong {
            option: OPT_NAWS,
            limit: MAX_SUBNEGOTIATION_BYTES
        })
    );
}

#[test]
fn rejects_reply_backlog_that_is_never_polled() {
    let mut filter = TelnetFilter::new();
    let mut data = Vec::new();
    let flood = [IAC, DO, OPT_NAWS].repeat(MAX_PENDING_REPLY_BYTES / 3 + 1);
    assert_eq!(
        filter.handle_input(&flood, &mut data),
        Err(TelnetError::ReplyBacklog {
            limit: MAX_PENDING_REPLY_BYTES
        })
    );
}

#[test]
fn ignores_two_byte_commands() {
    // NOP (0xF1), GA (0xF9), AYT (0xF6) and a stray SE carry no data.
    assert_eq!(
        filter_all(&[b'a', IAC, 0xF1, IAC, 0xF9, IAC, 0xF6, IAC, SE, b'b']).0,
        b"ab"
    );
}

#[test]
fn drops_nul_after_carriage_return() {
    assert_eq!(filter_all(b"a\r\0b\r\nc\0").0, b"a\rb\r\nc\0");
}

#[test]
fn handles_sequences_split_across_reads() {
    let input = [
        b'S', IAC, WILL, OPT_ECHO, IAC, IAC, IAC, SB, 1, 2, IAC, SE, b'#',
    ];
    let (whole, whole_replies) = filter_all(&input);
    let mut filter = TelnetFilter::new();
    let mut data = Vec::new();
    for byte in input {
        filter.handle_input(&[byte], &mut data).unwrap();
    }
    assert_eq!(data, whole);
    assert_eq!(data, [b'S', 0xFF, b'#']);
    assert_eq!(filter.poll_transmit().unwrap(), whole_replies);
}

#[test]
fn escapes_iac_in_outgoing_data() {
    assert_eq!(escape(&[1, 0xFF, 2]), [1, 0xFF, 0xFF, 2]);
    assert_eq!(
        filter_all(&escape(&[0xFF, 0xFF, b'z'])).0,
        [0xFF, 0xFF, b'z']
    );
}

proptest! {
    #[test]
    fn never_panics_and_output_is_bounded(input in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let mut filter = TelnetFilter::new();
        let mut data = Vec::new();
        let _ = filter.handle_input(&input, &mut data);
        prop_assert!(data.len() <= input.len());
        prop_assert!(filter.poll_transmit().map_or(0, |r| r.len()) <= MAX_PENDING_REPLY_BYTES);
    }

    #[test]
    fn splitting_does_not_change_the_result(
        input in proptest::collection::vec(any::<u8>(), 0..512),
        cut in 0usize..512,
    ) {
        let cut = cut.min(input.len());
        let mut one = TelnetFilter::new();
        let mut one_data = Vec::new();
        let one_result = one.handle_input(&input, &mut one_data);
        let mut two = TelnetFilter::new();
        let mut two_data = Vec::new();
        let two_result = two
            .handle_input(&input[..cut], &mut two_data)
            .and_then(|()| two.handle_input(&input[cut..], &mut two_data));
        prop_assert_eq!(one_result, two_result);
        if one_result.is_ok() {
            prop_assert_eq!(one_data, two_data);
            prop_assert_eq!(one.poll_transmit(), two.poll_transmit());
        }
    }

    #[test]
    fn escaped_data_round_trips(data in proptest::collection::vec(any::<u8>(), 0..512)) {
        let mut filter = TelnetFilter::new();
        let mut out = Vec::new();
        filter.handle_input(&escape(&data), &mut out).unwrap();
        // CR NUL is the NVT encoding of a bare CR, so NUL after CR does not survive.
        let mut expected = Vec::new();
        let mut after_cr = false;
        for &b in &data {
            if !(after_cr && b == 0) {
                expected.push(b);
            }
            after_cr = b == b'\r';
        }
        prop_assert_eq!(out, expected);
    }
}
