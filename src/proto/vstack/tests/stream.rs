//! Stream reassembly (smart-install.md §2.1 "Stream handling", §8): a 1048-byte message split over
//! segments, two messages in one segment, byte-by-byte feeding, and the end-of-stream check.

use super::*;

fn copy_commands() -> Vec<u8> {
    let commands = ["copy system:running-config tftp://192.0.2.1/backup"];
    Message::new(Body::CopyCommands(CopyCommands::new(&commands).unwrap()))
        .encode()
        .unwrap()
}

fn probe() -> Vec<u8> {
    Message::new(Body::Probe(Probe::HELLO)).encode().unwrap()
}

#[test]
fn message_of_1048_bytes_split_over_three_segments() {
    let bytes = copy_commands();
    assert_eq!(bytes.len(), 1048);
    let mut decoder = StreamDecoder::new(Limits::default());
    let (first, rest) = bytes.split_at(10);
    let (second, third) = rest.split_at(600);

    let mut input = first;
    assert_eq!(
        decoder.decode(&mut input),
        Ok(Decoded::NeedMore { at_least: 6 })
    );
    assert!(input.is_empty());
    let mut input = second;
    assert_eq!(
        decoder.decode(&mut input),
        Ok(Decoded::NeedMore {
            at_least: 1048 - 610
        })
    );
    assert_eq!(decoder.buffered(), 610);
    let mut input = third;
    let Ok(Decoded::Frame(frame)) = decoder.decode(&mut input) else {
        panic!()
    };
    assert_eq!((frame.offset, frame.raw.as_slice()), (0, bytes.as_slice()));
    assert_eq!(frame.message.kind(), Kind::CopyCommands);
    assert_eq!(
        decoder.decode(&mut input),
        Ok(Decoded::NeedMore { at_least: 16 })
    );
    assert_eq!(decoder.finish(), Ok(()));
}

#[test]
fn two_messages_in_one_segment() {
    let reply = Message::new(Body::ProbeReply(ProbeReply::HELLO))
        .encode()
        .unwrap();
    let segment = [probe(), reply].concat();
    let mut decoder = StreamDecoder::new(Limits::default());
    let mut input = segment.as_slice();
    let Ok(Decoded::Frame(a)) = decoder.decode(&mut input) else {
        panic!()
    };
    assert_eq!(input.len(), 24, "only the first message is taken");
    let Ok(Decoded::Frame(b)) = decoder.decode(&mut input) else {
        panic!()
    };
    assert_eq!((a.offset, a.message.kind()), (0, Kind::Probe));
    assert_eq!((b.offset, b.message.kind()), (24, Kind::ProbeReply));
    assert_eq!(decoder.offset(), 48);
}

#[test]
fn byte_by_byte_feeding_yields_the_same_frames() {
    let stream = [probe(), copy_commands(), probe()].concat();
    let mut decoder = StreamDecoder::new(Limits::default());
    let mut frames = Vec::new();
    for byte in &stream {
        let mut input = std::slice::from_ref(byte);
        while let Decoded::Frame(frame) = decoder.decode(&mut input).unwrap() {
            frames.push(frame);
        }
        assert!(decoder.buffered() <= 1048);
    }
    assert_eq!(frames, decode_all(&stream, Limits::default()).frames);
    assert_eq!(
        frames.iter().map(|f| f.offset).collect::<Vec<_>>(),
        [0, 24, 1072]
    );
}

#[test]
fn end_of_stream_inside_a_message_is_truncated() {
    let bytes = probe();
    let mut decoder = StreamDecoder::new(Limits::default());
    let mut input = &bytes[..20];
    assert_eq!(
        decoder.decode(&mut input),
        Ok(Decoded::NeedMore { at_least: 4 })
    );
    assert_eq!(
        decoder.finish(),
        Err(DecodeError::Truncated {
            offset: 0,
            expected: 24,
            available: 20
        })
    );
}

#[test]
fn decoder_after_a_length_mismatch_goes_on() {
    let bad = hex("00000001 00000001 00000008 00000002 abcd");
    let stream = [bad, probe()].concat();
    let mut decoder = StreamDecoder::new(Limits::default());
    let mut input = stream.as_slice();
    let err = decoder.decode(&mut input).unwrap_err();
    assert!(err.is_recoverable());
    assert_eq!(err.code(), "length_mismatch");
    let Ok(Decoded::Frame(frame)) = decoder.decode(&mut input) else {
        panic!()
    };
    assert_eq!((frame.offset, frame.message.kind()), (18, Kind::Probe));
}

#[test]
fn decoder_after_an_oversized_header_stays_failed() {
    let stream = [hex("00000001 00000001 00000003 00010000"), probe()].concat();
    let mut decoder = StreamDecoder::new(Limits::default());
    let mut input = stream.as_slice();
    let err = decoder.decode(&mut input).unwrap_err();
    assert!(!err.is_recoverable());
    assert_eq!(decoder.decode(&mut input), Err(err.clone()));
    assert_eq!(decoder.finish(), Err(err));
    assert_eq!(
        decoder.buffered(),
        16,
        "nothing beyond the header was buffered"
    );
}
