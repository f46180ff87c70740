//! Property tests: typed messages survive encode → decode, decoded bytes survive decode → encode,
//! and the decoder never panics and gives the same result however the input is split.

use proptest::collection::vec;
use proptest::prelude::*;

use super::*;

fn text<const N: usize>() -> impl Strategy<Value = FixedText<N>> {
    prop_oneof![
        vec(1u8.., 0..N).prop_map(|v| FixedText::new("f", &v).unwrap()),
        vec(any::<u8>(), N).prop_map(|v| FixedText::from_raw(&v).unwrap()),
    ]
}

fn reload() -> impl Strategy<Value = ReloadSchedule> {
    (any::<u32>(), any::<u32>(), any::<u32>()).prop_map(|(flag, hour, minute)| ReloadSchedule {
        flag,
        hour,
        minute,
    })
}

fn tail() -> impl Strategy<Value = Option<TlvTail>> {
    prop_oneof![
        Just(None),
        vec(any::<u8>(), 1..8).prop_map(|bytes| Some(TlvTail::ShortHeader { bytes })),
        (any::<u32>(), vec(any::<u8>(), 0..32), 1u32..).prop_map(|(tlv_type, value, extra)| {
            let declared_len = (value.len() as u32).saturating_add(extra);
            Some(TlvTail::Overrun {
                tlv_type,
                declared_len,
                value,
            })
        }),
    ]
}

fn body() -> impl Strategy<Value = Body> {
    let tlv = (any::<u32>(), vec(any::<u8>(), 0..64))
        .prop_map(|(tlv_type, value)| Tlv { tlv_type, value });
    prop_oneof![
        (any::<u32>(), any::<u32>())
            .prop_map(|(word1, word2)| Body::Probe(Probe::Hello { word1, word2 })),
        any::<u8>().prop_map(|byte| Body::Probe(Probe::Short { byte })),
        (any::<u32>(), any::<u32>())
            .prop_map(|(word1, word2)| Body::ProbeReply(ProbeReply::Hello { word1, word2 })),
        any::<u32>().prop_map(|status| Body::ProbeReply(ProbeReply::Status { status })),
        (any::<u32>(), any::<[u32; 4]>(), reload(), text(), text()).prop_map(
            |(op_code, unknown_20, reload, name_slot, url)| Body::ConfigPush(ConfigPush {
                op_code,
                unknown_20,
                reload,
                name_slot,
                url
            })
        ),
        (any::<[u8; 24]>(), text(), text(), text()).prop_map(|(preamble, a, b, c)| {
            Body::CopyCommands(CopyCommands {
                preamble,
                slots: [a, b, c],
            })
        }),
        (any::<[u32; 6]>(), reload(), text(), any::<u8>()).prop_map(|(w, reload, url, trailer)| {
            Body::ImageUpgrade(ImageUpgrade {
                op_code: w[0],
                flags: w[1],
                unknown_24: [w[2], w[3]],
                reload_now: w[4],
                reload,
                unknown_48: w[5],
                image_list_url: url,
                trailer,
            })
        }),
        (any::<u32>(), text(), text(), text(), any::<u8>()).prop_map(
            |(unknown_16, slot_1, slot_2, url, trailer)| Body::Execute(Execute {
                unknown_16,
                slot_1,
                slot_2,
                url,
                trailer
            })
        ),
        (vec(tlv, 0..6), tail())
            .prop_map(|(tlvs, tail)| Body::InitDiscovery(InitDiscovery { tlvs, tail })),
        (
            prop::sample::select(vec![0u32, 1, 6, 9, 0x100, u32::MAX]),
            vec(any::<u8>(), 0..256)
        )
            .prop_map(|(msg_type, payload)| Body::Unknown { msg_type, payload }),
    ]
}

fn message() -> impl Strategy<Value = Message> {
    (any::<u32>(), any::<u32>(), body()).prop_map(|(w0, w1, body)| Message { w0, w1, body })
}

/// Feeds `bytes` in pieces cut at `cuts` and collects frames up to the first error.
fn split_decode(bytes: &[u8], cuts: &[prop::sample::Index]) -> Decoding {
    let mut points: Vec<usize> = cuts.iter().map(|c| c.index(bytes.len() + 1)).collect();
    points.extend([0, bytes.len()]);
    points.sort_unstable();
    let mut decoder = StreamDecoder::new(Limits::default());
    let mut frames = Vec::new();
    let error = points
        .windows(2)
        .try_for_each(|pair| decoder.decode_into(&bytes[pair[0]..pair[1]], &mut frames))
        .and_then(|()| decoder.finish())
        .err();
    Decoding { frames, error }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn typed_messages_round_trip(m in message()) {
        let bytes = m.encode().unwrap();
        prop_assert_eq!(bytes.len(), 16 + m.header().unwrap().length as usize);
        prop_assert_eq!(decode_message(&bytes, Limits::default()), Ok(m.clone()));
        let decoding = decode_all(&bytes, Limits::default());
        prop_assert_eq!(decoding.error, None);
        prop_assert_eq!(&decoding.frames[0].raw, &bytes);
        prop_assert_eq!(&decoding.frames[0].message, &m);
    }

    #[test]
    fn decoder_never_panics_and_split_equals_one_shot(
        bytes in vec(any::<u8>(), 0..3000),
        cuts in vec(any::<prop::sample::Index>(), 0..8),
    ) {
        let one_shot = decode_all(&bytes, Limits::default());
        prop_assert_eq!(&split_decode(&bytes, &cuts), &one_shot);
        for frame in &one_shot.frames {
            prop_assert_eq!(frame.message.encode().unwrap(), frame.raw.clone());
            let _ = (frame.message.urls(), frame.message.commands(), frame.message.findings());
        }
    }

    #[test]
    fn streams_of_valid_messages_split_anywhere_decode_whole(
        messages in vec(message(), 1..5),
        cuts in vec(any::<prop::sample::Index>(), 0..12),
    ) {
        let stream: Vec<u8> = messages.iter().flat_map(|m| m.encode().unwrap()).collect();
        let decoding = split_decode(&stream, &cuts);
        prop_assert_eq!(decoding.error, None);
        let decoded: Vec<Message> = decoding.frames.into_iter().map(|f| f.message).collect();
        prop_assert_eq!(decoded, messages);
    }

    #[test]
    fn mutated_valid_messages_never_panic_and_re_encode_exactly(
        m in message(),
        edits in vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cuts in vec(any::<prop::sample::Index>(), 0..4),
    ) {
        let mut bytes = m.encode().unwrap();
        for (index, byte) in edits {
            let i = index.index(bytes.len());
            bytes[i] = byte;
        }
        let one_shot = decode_all(&bytes, Limits::default());
        prop_assert_eq!(&split_decode(&bytes, &cuts), &one_shot);
        for frame in one_shot.frames {
            prop_assert_eq!(frame.message.encode().unwrap(), frame.raw);
        }
    }
}
