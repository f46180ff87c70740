//! Fuzz target: the telnet filter must never panic, must not grow the data beyond the input,
//! and must give the same result however the input is split (`proto::telnet`, RFC 854/855).
//! Inputs are arbitrary, attacker-style bytes: the first byte picks the split point.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ztpgate::proto::telnet::TelnetFilter;

fuzz_target!(|data: &[u8]| {
    let Some((&cut, stream)) = data.split_first() else {
        return;
    };
    let cut = usize::from(cut) % (stream.len() + 1);
    let mut whole = TelnetFilter::new();
    let mut whole_data = Vec::new();
    let whole_result = whole.handle_input(stream, &mut whole_data);
    assert!(whole_data.len() <= stream.len());

    let mut split = TelnetFilter::new();
    let mut split_data = Vec::new();
    let split_result = split
        .handle_input(&stream[..cut], &mut split_data)
        .and_then(|()| split.handle_input(&stream[cut..], &mut split_data));
    assert_eq!(whole_result, split_result);
    if whole_result.is_ok() {
        assert_eq!(whole_data, split_data);
        assert_eq!(whole.poll_transmit(), split.poll_transmit());
    }
});
