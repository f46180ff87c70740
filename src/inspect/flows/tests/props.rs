//! Hostile property test of the flow table: random endpoints, sequence numbers, flags, payloads
//! and timestamps never break the flow cap or the buffer caps, every direction's events tile its
//! stream and stop after its close, and the end of the capture leaves nothing behind.

use std::collections::HashMap;

use proptest::prelude::*;

use super::*;

/// Per (flow, direction): the next expected stream offset, and whether it closed.
type Tiling = HashMap<(u64, Direction), (u64, bool)>;

fn check(tiling: &mut Tiling, id: u64, dir: Direction, event: StreamEvent<'_>) {
    let (at, closed) = tiling.entry((id, dir)).or_insert((0, false));
    assert!(!*closed, "event after the close: {event:?}");
    match event {
        StreamEvent::Data { offset, bytes } => {
            assert!(!bytes.is_empty());
            assert_eq!(offset, *at, "data out of place");
            *at = offset + bytes.len() as u64;
        }
        StreamEvent::Gap { offset, missing } => {
            assert_eq!(offset, *at);
            *at = offset + missing;
        }
        StreamEvent::Conflict { len, .. } => assert!(len > 0),
        StreamEvent::Closed(_) => *closed = true,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn hostile_traffic_keeps_every_cap(
        max_flows in 1usize..6,
        per_direction in 0usize..800,
        segments in 0usize..6,
        total in 0usize..2000,
        idle in 1u64..50,
        history in 0usize..64,
        packets in prop::collection::vec(
            (0u8..3, 0u16..3, 0u8..3, 0u16..3, any::<bool>(), 0u32..2000, any::<u32>(),
             any::<u8>(), 0usize..400, 0u64..10),
            1..200,
        ),
    ) {
        let limits = FlowLimits {
            max_flows,
            max_buffered_per_direction: per_direction,
            max_segments_per_direction: segments,
            max_buffered_total: total,
            idle_timeout_ns: idle,
            history_per_direction: history,
        };
        let mut table: FlowTable<Probe> = FlowTable::new(limits).unwrap();
        let drops = Rc::new(Cell::new(0));
        let mut created = 0;
        let mut tiling = Tiling::new();
        let payload: Vec<u8> = (0..400u32).map(|i| (i * 13) as u8).collect();
        let mut now = 0;
        for &(sh, sp, dh, dp, near, delta, random, flags, len, step) in &packets {
            now += step;
            let (src, dst) = (addr(sh, 1000 + sp), addr(dh, 1000 + dp));
            let seq = if near { delta } else { random };
            let seg = Segment { seq, ack: 0, flags: TcpFlags(flags), payload: &payload[..len] };
            let new_state = |info: &FlowInfo| {
                created += 1;
                let answer = match info.id % 5 {
                    0 => Interest::Ignore,
                    1 => Interest::IgnoreDirection,
                    _ => Interest::Continue,
                };
                Some(Probe { answer, drops: Rc::clone(&drops) })
            };
            let mut sink = |info: &FlowInfo, probe: &mut Probe, dir, event: StreamEvent<'_>| {
                check(&mut tiling, info.id, dir, event);
                if matches!(event, StreamEvent::Data { .. }) { probe.answer } else { Interest::Continue }
            };
            table.segment(now, src, dst, &seg, new_state, &mut sink);
            let stats = table.stats();
            prop_assert!(stats.tracked <= max_flows);
            prop_assert!(stats.open <= stats.tracked);
            prop_assert!(stats.buffered_bytes <= total);
            prop_assert!(stats.peak_buffered_bytes <= total);
            prop_assert_eq!(stats.buffered_bytes, stats.streams.buffered);
            for flow in table.flows.values() {
                for stream in [&flow.from_initiator, &flow.from_responder] {
                    prop_assert!(stream.buffered() <= per_direction);
                }
            }
        }
        table.finish(&mut |info: &FlowInfo, _: &mut Probe, dir, event| {
            check(&mut tiling, info.id, dir, event);
            Interest::Continue
        });
        let stats = table.stats();
        prop_assert!(table.is_empty());
        prop_assert_eq!((stats.open, stats.buffered_bytes), (0, 0));
        prop_assert_eq!(drops.get(), created);
    }
}
