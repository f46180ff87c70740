//! Fuzz target: the Smart Install stream decoder and `decode_all` must never panic, must agree
//! however the input is split, and every decoded message must re-encode to the bytes it came
//! from (`proto::vstack`, smart-install.md §2–§3). Inputs are arbitrary, attacker-style bytes:
//! the first byte picks how many split points follow as u16 pairs, the rest is the stream.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ztpgate::proto::vstack::{self, Decoding, Limits, StreamDecoder};

fuzz_target!(|data: &[u8]| {
    let Some((&count, rest)) = data.split_first() else {
        return;
    };
    let cut_bytes = usize::from(count % 8) * 2;
    let Some((cuts, stream)) = rest.split_at_checked(cut_bytes) else {
        return;
    };
    let mut points: Vec<usize> = cuts
        .chunks_exact(2)
        .map(|c| usize::from(u16::from_be_bytes([c[0], c[1]])) % (stream.len() + 1))
        .collect();
    points.extend([0, stream.len()]);
    points.sort_unstable();

    let one_shot = vstack::decode_all(stream, Limits::default());
    assert_eq!(split_decode(stream, &points), one_shot);
    for frame in &one_shot.frames {
        let m = &frame.message;
        assert_eq!(m.encode().as_deref(), Ok(frame.raw.as_slice()));
        assert_eq!(
            vstack::decode_message(&frame.raw, Limits::default()).as_ref(),
            Ok(m)
        );
        let _ = (
            m.urls(),
            m.hosts(),
            m.commands(),
            m.findings(),
            m.kind(),
            m.direction(),
        );
    }
    let _ = vstack::decode_message(stream, Limits::default());
});

/// Feeds `stream` in the pieces between consecutive `points`, up to the first error.
fn split_decode(stream: &[u8], points: &[usize]) -> Decoding {
    let mut decoder = StreamDecoder::new(Limits::default());
    let mut frames = Vec::new();
    let error = points
        .windows(2)
        .try_for_each(|pair| decoder.decode_into(&stream[pair[0]..pair[1]], &mut frames))
        .and_then(|()| decoder.finish())
        .err();
    Decoding { frames, error }
}
