//! Property tests of the reassembler: any segmentation of a stream, delivered in any order with
//! any duplicates, yields exactly the stream; with two competing versions of the bytes the first
//! copy wins and every disagreement is reported; hostile segments never break the caps, the event
//! order or the process.

use proptest::prelude::*;

use super::{Ev, Harness};
use crate::inspect::flows::{Segment, TcpFlags};
use crate::inspect::reassembly::{Interest, ReassemblyLimits, StreamEvent, StreamReassembler};

/// A stream, the cut points of a segmentation, and an order with duplicates of the pieces.
fn segmentation() -> impl Strategy<Value = (Vec<u8>, Vec<(usize, usize)>)> {
    prop::collection::vec(any::<u8>(), 1..2000).prop_flat_map(|data| {
        let len = data.len();
        prop::collection::vec(0..len, 0..24).prop_flat_map(move |mut cuts| {
            cuts.push(0);
            cuts.push(len);
            cuts.sort_unstable();
            cuts.dedup();
            let pieces: Vec<(usize, usize)> = cuts.windows(2).map(|w| (w[0], w[1])).collect();
            let n = pieces.len();
            let data = data.clone();
            prop::collection::vec(0..n, 0..n + 1).prop_flat_map(move |dups| {
                let mut all = pieces.clone();
                all.extend(dups.iter().map(|&i| pieces[i]));
                (Just(data.clone()), Just(all).prop_shuffle())
            })
        })
    })
}

fn roomy() -> ReassemblyLimits {
    ReassemblyLimits {
        max_buffered_bytes: 1 << 20,
        max_buffered_segments: 1024,
        history_bytes: 4096,
    }
}

proptest! {
    #[test]
    fn any_order_and_duplication_yields_the_stream(
        (data, order) in segmentation(),
        isn in any::<u32>(),
        fin_on_last in any::<bool>(),
    ) {
        let mut h = Harness::new(roomy());
        h.seg(isn, TcpFlags::SYN, b"");
        let base = isn.wrapping_add(1);
        for &(start, end) in &order {
            let fin = fin_on_last && end == data.len();
            let flags = if fin { TcpFlags::ACK | TcpFlags::FIN } else { TcpFlags::ACK };
            h.seg(base.wrapping_add(start as u32), flags, &data[start..end]);
        }
        prop_assert_eq!(h.stream(), data.clone());
        prop_assert!(h.gaps().is_empty());
        prop_assert!(h.conflicts().is_empty());
        prop_assert_eq!(h.r.buffered(), 0);
        let closes = h.events.iter().filter(|e| matches!(e, Ev::Closed(_))).count();
        prop_assert_eq!(closes, usize::from(fin_on_last));
        if fin_on_last {
            prop_assert_eq!(h.events.last(), Some(&Ev::Closed(super::CloseKind::Fin)));
        }
    }

    #[test]
    fn first_copy_wins_and_every_disagreement_is_reported(
        (data, order) in segmentation(),
        fake_of in prop::collection::vec(any::<bool>(), 64),
        isn in any::<u32>(),
    ) {
        // Each arrival carries either the true bytes or their complement.
        let fake: Vec<u8> = data.iter().map(|b| !b).collect();
        let mut first: Vec<Option<u8>> = vec![None; data.len()];
        let mut disagree = vec![false; data.len()];
        let mut h = Harness::new(roomy());
        h.seg(isn, TcpFlags::SYN, b"");
        for (n, &(start, end)) in order.iter().enumerate() {
            let src = if fake_of[n % fake_of.len()] { &fake } else { &data };
            for i in start..end {
                match first[i] {
                    None => first[i] = Some(src[i]),
                    Some(b) => disagree[i] |= b != src[i],
                }
            }
            h.seg(isn.wrapping_add(1).wrapping_add(start as u32), TcpFlags::ACK, &src[start..end]);
        }
        let expected: Vec<u8> = first.iter().map(|b| b.unwrap_or_default()).collect();
        prop_assert_eq!(h.stream(), expected);
        let spans = h.conflicts();
        for (i, &d) in disagree.iter().enumerate() {
            let covered = spans.iter().any(|&(o, l)| (o..o + l).contains(&(i as u64)));
            prop_assert!(!d || covered, "disagreement at {} not reported in {:?}", i, spans);
        }
        for &(o, l) in &spans {
            prop_assert!(disagree[o as usize] && disagree[(o + l - 1) as usize]);
        }
    }

    #[test]
    fn hostile_segments_keep_the_caps_and_the_event_order(
        max_bytes in 0usize..2000,
        max_segments in 0usize..8,
        history in 0usize..64,
        base in any::<u32>(),
        segs in prop::collection::vec(
            (any::<bool>(), any::<u32>(), 0u32..3000, any::<u8>(), 0usize..300, 0usize..5000),
            1..80,
        ),
    ) {
        let limits = ReassemblyLimits {
            max_buffered_bytes: max_bytes,
            max_buffered_segments: max_segments,
            history_bytes: history,
        };
        let mut r = StreamReassembler::new(limits);
        let payload: Vec<u8> = (0..300u32).map(|i| (i * 31) as u8).collect();
        let mut events = Vec::new();
        for &(near, random_seq, delta, flags, len, budget) in &segs {
            // Half the segments land near the stream, half anywhere in sequence space.
            let seq = if near { base.wrapping_add(delta) } else { random_seq };
            let seg = Segment { seq, ack: 0, flags: TcpFlags(flags), payload: &payload[..len] };
            let before = r.buffered();
            r.handle(&seg, budget, &mut |e| {
                if let StreamEvent::Data { bytes, .. } = e {
                    assert!(!bytes.is_empty());
                }
                events.push(Ev::of(e));
                Interest::Continue
            });
            prop_assert!(r.buffered() <= max_bytes);
            prop_assert!(r.buffered() <= before.max(before.saturating_add(budget)));
            prop_assert!(r.buffer.len() <= max_segments);
            let charged: usize = r.buffer.values().map(|p| p.len() + super::SEGMENT_OVERHEAD_BYTES).sum();
            prop_assert_eq!(charged, r.buffered());
        }
        r.close(super::CloseKind::EndOfCapture, &mut |e| {
            events.push(Ev::of(e));
            Interest::Continue
        });
        let h = Harness { r, events };
        let delivered = h.stream();
        prop_assert_eq!(delivered.len() as u64, h.r.stats().delivered);
        let closes: Vec<usize> = h.events.iter().enumerate()
            .filter(|(_, e)| matches!(e, Ev::Closed(_))).map(|(i, _)| i).collect();
        prop_assert_eq!(closes, vec![h.events.len() - 1], "exactly one close, last");
        prop_assert_eq!(h.r.buffered(), 0);
    }
}
