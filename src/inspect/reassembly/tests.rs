//! Tests of the stream reassembler: in-order delivery by reference, every split of a stream,
//! out-of-order and overlapping segments, identical and conflicting retransmissions (buffered and
//! delivered, inside and beyond the history ring), sequence wrap-around, SYN with data, mid-stream
//! pickup, FIN and RST, gaps declared when the caps are hit, and property tests (`props`).

mod history;
mod props;

use super::*;
use crate::inspect::reassembly::owned::Ev;

const ISN: u32 = 0x1000_0000;

fn limits() -> ReassemblyLimits {
    ReassemblyLimits {
        max_buffered_bytes: 64 * 1024,
        max_buffered_segments: 64,
        history_bytes: 256,
    }
}

/// A reassembler and everything it emitted.
struct Harness {
    r: StreamReassembler,
    events: Vec<Ev>,
}

impl Harness {
    fn new(limits: ReassemblyLimits) -> Self {
        Self {
            r: StreamReassembler::new(limits),
            events: Vec::new(),
        }
    }

    /// A stream whose SYN (sequence number `isn`) was seen.
    fn after_syn(isn: u32) -> Self {
        let mut h = Self::new(limits());
        h.seg(isn, TcpFlags::SYN, b"");
        h
    }

    fn seg(&mut self, seq: u32, flags: TcpFlags, payload: &[u8]) {
        let seg = Segment {
            seq,
            ack: 0,
            flags,
            payload,
        };
        let events = &mut self.events;
        self.r.handle(&seg, usize::MAX, &mut |e| {
            events.push(Ev::of(e));
            Interest::Continue
        });
    }

    /// Data at stream offset `offset` (sequence number `ISN + 1 + offset`).
    fn data(&mut self, offset: u32, payload: &[u8]) {
        self.seg(
            ISN.wrapping_add(1).wrapping_add(offset),
            TcpFlags::ACK,
            payload,
        );
    }

    fn close(&mut self, kind: CloseKind) {
        let events = &mut self.events;
        self.r.close(kind, &mut |e| {
            events.push(Ev::of(e));
            Interest::Continue
        });
    }

    /// The delivered bytes, checking that data and gaps tile the stream from offset 0.
    fn stream(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let mut at = 0;
        for e in &self.events {
            match e {
                Ev::Data(offset, bytes) => {
                    assert_eq!(*offset, at, "data out of place in {:?}", self.events);
                    out.extend_from_slice(bytes);
                    at += bytes.len() as u64;
                }
                Ev::Gap(offset, missing) => {
                    assert_eq!(*offset, at);
                    assert!(*missing > 0);
                    at += missing;
                }
                Ev::Conflict(..) | Ev::Closed(_) => {}
            }
        }
        out
    }

    fn conflicts(&self) -> Vec<(u64, u64)> {
        let f = |e: &Ev| match e {
            Ev::Conflict(o, l) => Some((*o, *l)),
            _ => None,
        };
        self.events.iter().filter_map(f).collect()
    }

    fn gaps(&self) -> Vec<(u64, u64)> {
        let f = |e: &Ev| match e {
            Ev::Gap(o, m) => Some((*o, *m)),
            _ => None,
        };
        self.events.iter().filter_map(f).collect()
    }
}

/// `len` bytes of a recognisable pattern.
fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + i / 251) as u8).collect()
}

#[test]
fn in_order_data_is_delivered_by_reference() {
    let mut r = StreamReassembler::new(limits());
    let payload = pattern(100);
    let syn = Segment {
        seq: ISN,
        ack: 0,
        flags: TcpFlags::SYN,
        payload: b"",
    };
    r.handle(&syn, 0, &mut |_| Interest::Continue);
    let seg = Segment {
        seq: ISN + 1,
        ack: 0,
        flags: TcpFlags::ACK,
        payload: &payload,
    };
    let mut seen = Vec::new();
    r.handle(&seg, 0, &mut |e| {
        if let StreamEvent::Data { offset, bytes } = e {
            seen.push((offset, bytes.as_ptr(), bytes.len()));
        }
        Interest::Continue
    });
    assert_eq!(seen, vec![(0, payload.as_ptr(), 100)]);
    assert_eq!(r.buffered(), 0);
    assert!(r.syn_seen());
}

#[test]
fn every_split_in_order_and_reversed_yields_the_stream() {
    let data = pattern(300);
    for k in 0..=data.len() {
        let (a, b) = data.split_at(k);
        let mut h = Harness::after_syn(ISN);
        h.data(0, a);
        h.data(k as u32, b);
        assert_eq!(h.stream(), data, "split at {k}");

        let mut h = Harness::after_syn(ISN);
        h.data(k as u32, b);
        h.data(0, a);
        assert_eq!(h.stream(), data, "reversed split at {k}");
        assert_eq!(h.r.buffered(), 0);
        assert!(h.conflicts().is_empty() && h.gaps().is_empty());
    }
}

#[test]
fn coalesced_overlapping_segment_delivers_only_new_bytes() {
    let data = pattern(200);
    let mut h = Harness::after_syn(ISN);
    h.data(0, &data[..100]);
    h.data(50, &data[50..200]);
    assert_eq!(h.stream(), data);
    assert_eq!(h.r.stats().retransmitted_bytes, 50);
    assert_eq!(h.events.last(), Some(&Ev::Data(100, data[100..].to_vec())));
}

#[test]
fn large_segment_spanning_buffered_pieces_keeps_first_copies() {
    let data = pattern(400);
    let mut h = Harness::after_syn(ISN);
    h.data(100, &data[100..150]);
    h.data(250, &data[250..300]);
    h.data(0, &data);
    assert_eq!(h.stream(), data);
    assert_eq!(h.r.stats().retransmitted_bytes, 100);
    assert!(h.conflicts().is_empty());
    assert_eq!(h.r.buffered(), 0);
}

#[test]
fn identical_retransmission_is_not_delivered_again() {
    let data = pattern(120);
    let mut h = Harness::after_syn(ISN);
    h.data(0, &data);
    h.data(0, &data);
    h.data(10, &data[10..20]);
    assert_eq!(h.stream(), data);
    assert_eq!(h.events.len(), 1);
    assert_eq!(h.r.stats().retransmitted_bytes, 130);
    assert_eq!(h.r.stats().conflicts, 0);
}

#[test]
fn conflicting_retransmission_of_delivered_data_is_reported_first_copy_wins() {
    let data = pattern(120);
    let mut h = Harness::after_syn(ISN);
    h.data(0, &data);
    let mut evil = data[20..60].to_vec();
    evil[5] ^= 0xff;
    evil[30] ^= 0x01;
    h.data(20, &evil);
    assert_eq!(h.conflicts(), vec![(25, 26)]);
    assert_eq!(h.stream(), data, "the first copy stays delivered");
    assert_eq!(h.r.stats().conflicts, 1);
}

#[test]
fn conflicting_overlap_with_buffered_data_is_reported_first_copy_wins() {
    let data = pattern(300);
    let mut h = Harness::after_syn(ISN);
    h.data(100, &data[100..200]);
    let mut evil = data[150..250].to_vec();
    evil[0] ^= 0x80;
    h.data(150, &evil);
    assert_eq!(h.conflicts(), vec![(150, 1)]);
    h.data(0, &data[..100]);
    assert_eq!(h.stream(), data[..250].to_vec());
}

#[test]
fn retransmission_older_than_the_history_claims_nothing() {
    let data = pattern(1000);
    let mut h = Harness::after_syn(ISN);
    h.data(0, &data);
    // The ring holds offsets 744..1000; a changed byte at 700 cannot be checked, one at 800 can.
    let mut evil = data[600..900].to_vec();
    evil[100] ^= 0xff;
    h.data(600, &evil);
    assert!(h.conflicts().is_empty());
    evil[200] ^= 0xff;
    h.data(600, &evil);
    assert_eq!(h.conflicts(), vec![(800, 1)]);
}

#[test]
fn sequence_numbers_wrap_around_2_pow_32() {
    let data = pattern(1000);
    for isn in [u32::MAX - 10, u32::MAX, u32::MAX - 500, 0] {
        let mut h = Harness::new(limits());
        h.seg(isn, TcpFlags::SYN, b"");
        let base = isn.wrapping_add(1);
        h.seg(base.wrapping_add(600), TcpFlags::ACK, &data[600..]);
        h.seg(base.wrapping_add(300), TcpFlags::ACK, &data[300..600]);
        h.seg(base, TcpFlags::ACK, &data[..300]);
        h.seg(base.wrapping_add(250), TcpFlags::ACK, &data[250..400]);
        assert_eq!(h.stream(), data, "isn {isn:#x}");
        assert_eq!(h.r.offset(), 1000);
    }
}

#[test]
fn long_stream_offsets_pass_2_pow_32() {
    let chunk = pattern(1 << 16);
    let rounds = (1u64 << 16) + 3;
    let mut h = Harness::after_syn(ISN);
    let mut seq = ISN.wrapping_add(1);
    let mut count = 0u64;
    for _ in 0..rounds {
        let seg = Segment {
            seq,
            ack: 0,
            flags: TcpFlags::ACK,
            payload: &chunk,
        };
        h.r.handle(&seg, 0, &mut |e| {
            if let StreamEvent::Data { offset, bytes } = e {
                assert_eq!(offset, count);
                count += bytes.len() as u64;
            }
            Interest::Continue
        });
        seq = seq.wrapping_add(chunk.len() as u32);
    }
    assert_eq!(h.r.offset(), rounds << 16);
    assert_eq!(count, rounds << 16);
    // A retransmission of the last bytes still matches across the 2^32 boundary.
    h.seg(
        seq.wrapping_sub(100),
        TcpFlags::ACK,
        &chunk[chunk.len() - 100..],
    );
    assert!(h.conflicts().is_empty());
    assert_eq!(h.r.stats().retransmitted_bytes, 100);
}

#[test]
fn syn_with_data_starts_the_stream_after_the_syn() {
    let mut h = Harness::new(limits());
    h.seg(ISN, TcpFlags::SYN, b"hello");
    h.data(5, b" world");
    assert_eq!(h.stream(), b"hello world");
    // A retransmitted SYN carrying other bytes is a conflict, not a restart.
    h.seg(ISN, TcpFlags::SYN, b"HELLO");
    assert_eq!(h.conflicts(), vec![(0, 5)]);
    assert_eq!(h.stream(), b"hello world");
}

#[test]
fn mid_stream_pickup_starts_at_the_first_data_segment() {
    let mut h = Harness::new(limits());
    h.seg(0xdead_beef, TcpFlags::ACK, b"");
    assert!(h.events.is_empty(), "a bare ACK does not start the stream");
    h.seg(0x7000_0000, TcpFlags::ACK | TcpFlags::PSH, b"abc");
    h.seg(0x7000_0003, TcpFlags::ACK, b"def");
    assert_eq!(h.events.first(), Some(&Ev::Data(0, b"abc".to_vec())));
    assert_eq!(h.stream(), b"abcdef");
    assert!(!h.r.syn_seen());
}

#[test]
fn fin_closes_after_all_earlier_data() {
    let mut h = Harness::after_syn(ISN);
    h.seg(ISN + 1 + 5, TcpFlags::FIN | TcpFlags::ACK, b"world");
    assert_eq!(h.r.closed(), None, "bytes 0..5 are still missing");
    h.data(0, b"hello");
    assert_eq!(h.stream(), b"helloworld");
    assert_eq!(h.events.last(), Some(&Ev::Closed(CloseKind::Fin)));
    assert!(h.r.is_finished());
    let n = h.events.len();
    h.data(10, b"more");
    h.seg(ISN + 11, TcpFlags::FIN, b"");
    assert_eq!(h.events.len(), n, "nothing after the close");
}

#[test]
fn data_beyond_the_fin_is_dropped_and_a_fin_before_buffered_data_is_rejected() {
    let mut h = Harness::after_syn(ISN);
    h.data(20, b"later");
    h.seg(ISN + 1 + 10, TcpFlags::FIN, b"");
    assert_eq!(
        h.r.stats().rejected_fins,
        1,
        "FIN at 10 with data buffered at 20"
    );

    let mut h = Harness::after_syn(ISN);
    h.seg(ISN + 1 + 4, TcpFlags::FIN, b"");
    h.data(2, b"cdefgh");
    assert_eq!(h.r.stats().beyond_fin, 4);
    h.data(0, b"ab");
    assert_eq!(h.stream(), b"abcd");
    assert_eq!(h.r.closed(), Some(CloseKind::Fin));
}

#[test]
fn in_window_rst_aborts_and_discards_the_buffer() {
    let mut h = Harness::after_syn(ISN);
    h.data(0, b"abc");
    h.data(10, b"buffered");
    assert!(h.r.buffered() > 0);
    h.seg(ISN + 4 + RESET_WINDOW_BYTES, TcpFlags::RST, b"");
    assert_eq!(h.r.closed(), Some(CloseKind::Reset));
    assert_eq!(h.r.buffered(), 0);
    assert_eq!(h.stream(), b"abc");
    assert_eq!(h.events.last(), Some(&Ev::Closed(CloseKind::Reset)));
}

#[test]
fn rst_with_a_sequence_number_out_of_window_is_ignored() {
    let mut h = Harness::after_syn(ISN);
    h.data(0, b"abc");
    h.seg(ISN.wrapping_add(0x8000_0000), TcpFlags::RST, b"");
    h.seg(ISN, TcpFlags::RST | TcpFlags::ACK, b"");
    h.seg(ISN + 4 + RESET_WINDOW_BYTES + 1, TcpFlags::RST, b"");
    assert_eq!(h.r.closed(), None);
    assert_eq!(h.r.stats().rejected_resets, 3);
    h.data(3, b"def");
    assert_eq!(h.stream(), b"abcdef");
}

#[test]
fn segment_cap_declares_the_oldest_gap_and_later_bytes_still_arrive() {
    let limits = ReassemblyLimits {
        max_buffered_segments: 4,
        ..limits()
    };
    let data = pattern(1000);
    let mut h = Harness::new(limits);
    h.seg(ISN, TcpFlags::SYN, b"");
    h.data(0, &data[..100]);
    // Offsets 100..200 never arrive; 200..700 come in five pieces, one more than the cap.
    for start in (200..700).step_by(100) {
        h.data(start, &data[start as usize..start as usize + 100]);
    }
    assert_eq!(h.gaps(), vec![(100, 100)]);
    assert_eq!(h.r.offset(), 700);
    h.data(700, &data[700..]);
    let mut expected = data[..100].to_vec();
    expected.extend_from_slice(&data[200..]);
    assert_eq!(h.stream(), expected);
    assert_eq!(h.r.buffered(), 0);
    // The lost bytes, arriving at last, are old news.
    h.data(100, &data[100..200]);
    assert_eq!(h.r.offset(), 1000);
    assert_eq!(h.r.stats().gap_bytes, 100);
}

#[test]
fn byte_cap_is_never_exceeded_and_oversized_pieces_skip_the_gap() {
    let limits = ReassemblyLimits {
        max_buffered_bytes: 300,
        ..limits()
    };
    let data = pattern(2000);
    let mut h = Harness::new(limits);
    h.seg(ISN, TcpFlags::SYN, b"");
    h.data(100, &data[100..200]);
    assert_eq!(h.r.buffered(), 100 + SEGMENT_OVERHEAD_BYTES);
    h.data(300, &data[300..400]);
    assert!(h.r.buffered() <= 300);
    assert_eq!(h.gaps(), vec![(0, 100)]);
    // A piece larger than the cap can never be buffered: the hole before it is skipped and the
    // piece is delivered straight from the segment.
    h.data(1000, &data[1000..2000]);
    assert_eq!(h.gaps(), vec![(0, 100), (200, 100), (400, 600)]);
    assert_eq!(h.r.offset(), 2000);
    assert_eq!(h.r.buffered(), 0);
}

#[test]
fn global_budget_limits_buffering() {
    let mut h = Harness::after_syn(ISN);
    let payload = pattern(100);
    let seg = Segment {
        seq: ISN + 1 + 50,
        ack: 0,
        flags: TcpFlags::ACK,
        payload: &payload,
    };
    let mut gaps = 0;
    h.r.handle(&seg, 10, &mut |e| {
        gaps += u32::from(matches!(e, StreamEvent::Gap { .. }));
        Interest::Continue
    });
    assert_eq!(h.r.buffered(), 0);
    assert_eq!((gaps, h.r.offset()), (1, 150));
}

#[test]
fn segments_far_ahead_are_out_of_window() {
    let mut h = Harness::after_syn(ISN);
    h.data(MAX_WINDOW_BYTES + 1, b"far");
    h.data(0x9000_0000, b"farther");
    // The second one reads as data from before the stream start: not part of the stream either.
    assert_eq!(h.r.stats().out_of_window, 2);
    assert_eq!(h.r.buffered(), 0);
    h.data(MAX_WINDOW_BYTES - 3, b"edge");
    assert_eq!(h.r.buffered(), 4 + SEGMENT_OVERHEAD_BYTES);
}

#[test]
fn bytes_before_the_syn_are_not_part_of_the_stream() {
    let mut h = Harness::after_syn(ISN);
    h.seg(ISN - 3, TcpFlags::ACK, b"xxxxabc");
    assert_eq!(h.stream(), b"abc");
}

#[test]
fn ignore_direction_stops_delivery_and_frees_the_buffer() {
    let mut h = Harness::after_syn(ISN);
    h.data(10, b"buffered");
    let seg = Segment {
        seq: ISN + 1,
        ack: 0,
        flags: TcpFlags::ACK,
        payload: b"0123456789",
    };
    let mut events = 0;
    h.r.handle(&seg, usize::MAX, &mut |_| {
        events += 1;
        Interest::IgnoreDirection
    });
    assert_eq!(events, 1, "nothing after the first refusal");
    assert_eq!(h.r.buffered(), 0);
    h.data(18, b"more");
    h.seg(ISN + 23, TcpFlags::FIN, b"");
    assert!(h.events.is_empty());
    assert!(h.r.is_finished(), "an ignored stream still notes its FIN");
}

#[test]
fn close_flushes_buffered_data_with_gaps() {
    let mut h = Harness::after_syn(ISN);
    h.data(0, b"ab");
    h.data(5, b"fg");
    h.data(10, b"kl");
    h.close(CloseKind::EndOfCapture);
    assert_eq!(
        h.events[1..],
        [
            Ev::Gap(2, 3),
            Ev::Data(5, b"fg".to_vec()),
            Ev::Gap(7, 3),
            Ev::Data(10, b"kl".to_vec()),
            Ev::Closed(CloseKind::EndOfCapture),
        ]
    );

    let mut h = Harness::after_syn(ISN);
    h.data(0, b"ab");
    h.seg(ISN + 1 + 5, TcpFlags::FIN, b"");
    h.close(CloseKind::Expired);
    assert_eq!(h.gaps(), vec![(2, 3)]);
    assert_eq!(h.events.last(), Some(&Ev::Closed(CloseKind::Fin)));
}
