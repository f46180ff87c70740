//! Tests of the flow table: roles from the handshake or the first sender, which segments create
//! flows, the end of a flow (FINs, RST) and what happens to segments after it, eviction order,
//! idle expiry by capture time, the consumer's interest, the global buffer cap, the end of the
//! capture, and a hostile property test (`props`).

mod props;

use std::cell::Cell;
use std::net::{IpAddr, Ipv4Addr};
use std::rc::Rc;

use super::*;
use crate::inspect::reassembly::owned::Ev;

const SECOND: u64 = 1_000_000_000;

/// The consumer state: what to answer to data, and a drop counter.
struct Probe {
    answer: Interest,
    drops: Rc<Cell<usize>>,
}

impl Drop for Probe {
    fn drop(&mut self) {
        self.drops.set(self.drops.get() + 1);
    }
}

/// A table, the events it produced (flow id, flow info, direction, event) and the state drops.
struct Table {
    table: FlowTable<Probe>,
    log: Vec<(u64, FlowInfo, Direction, Ev)>,
    drops: Rc<Cell<usize>>,
    created: usize,
}

/// Port 80: ignore the flow at its first data; 81: ignore that direction; 82: no state at all.
fn answer_for(info: &FlowInfo) -> Option<Interest> {
    match info.responder.port() {
        80 => Some(Interest::Ignore),
        81 => Some(Interest::IgnoreDirection),
        82 => None,
        _ => Some(Interest::Continue),
    }
}

impl Table {
    fn new(limits: FlowLimits) -> Self {
        Self {
            table: FlowTable::new(limits).unwrap(),
            log: Vec::new(),
            drops: Rc::new(Cell::new(0)),
            created: 0,
        }
    }

    fn send(
        &mut self,
        now: u64,
        src: SocketAddr,
        dst: SocketAddr,
        seq: u32,
        flags: TcpFlags,
        payload: &[u8],
    ) {
        let seg = Segment {
            seq,
            ack: 0,
            flags,
            payload,
        };
        let drops = &self.drops;
        let created = &mut self.created;
        let new_state = |info: &FlowInfo| {
            let answer = answer_for(info)?;
            *created += 1;
            Some(Probe {
                answer,
                drops: Rc::clone(drops),
            })
        };
        let log = &mut self.log;
        self.table
            .segment(now, src, dst, &seg, new_state, &mut sink(log));
    }

    fn expire(&mut self, now: u64) {
        self.table.expire(now, &mut sink(&mut self.log));
    }

    fn finish(&mut self) {
        self.table.finish(&mut sink(&mut self.log));
    }

    /// The events of flow `id`, without the flow info.
    fn events(&self, id: u64) -> Vec<(Direction, Ev)> {
        let f = |(i, _, d, e): &(u64, FlowInfo, Direction, Ev)| (*i == id).then(|| (*d, e.clone()));
        self.log.iter().filter_map(f).collect()
    }
}

fn sink(
    log: &mut Vec<(u64, FlowInfo, Direction, Ev)>,
) -> impl FnMut(&FlowInfo, &mut Probe, Direction, StreamEvent<'_>) -> Interest + '_ {
    |info, probe, dir, event| {
        let answer = match event {
            StreamEvent::Data { .. } => probe.answer,
            _ => Interest::Continue,
        };
        log.push((info.id, *info, dir, Ev::of(event)));
        answer
    }
}

fn addr(host: u8, port: u16) -> SocketAddr {
    SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, host)), port)
}

const CLIENT_ISN: u32 = 1000;
const SERVER_ISN: u32 = 0xffff_fff0;

/// SYN, SYN-ACK, ACK between `c` and `s` at time `now`.
fn handshake(t: &mut Table, now: u64, c: SocketAddr, s: SocketAddr) {
    t.send(now, c, s, CLIENT_ISN, TcpFlags::SYN, b"");
    t.send(now, s, c, SERVER_ISN, TcpFlags::SYN | TcpFlags::ACK, b"");
    t.send(now, c, s, CLIENT_ISN + 1, TcpFlags::ACK, b"");
}

use Direction::{FromInitiator as Fwd, FromResponder as Rev};

#[test]
fn handshake_fixes_roles_and_directions() {
    let (c, s) = (addr(1, 40_000), addr(2, 4786));
    let mut t = Table::new(FlowLimits::default());
    handshake(&mut t, 0, c, s);
    t.send(
        1,
        c,
        s,
        CLIENT_ISN + 1,
        TcpFlags::ACK | TcpFlags::PSH,
        b"hello",
    );
    t.send(2, s, c, SERVER_ISN.wrapping_add(1), TcpFlags::ACK, b"world");
    assert_eq!(
        t.events(0),
        vec![
            (Fwd, Ev::Data(0, b"hello".to_vec())),
            (Rev, Ev::Data(0, b"world".to_vec()))
        ]
    );
    let info = t.log[1].1;
    assert_eq!(
        (info.initiator, info.responder, info.syn_seen),
        (c, s, true)
    );
    assert_eq!((info.first_ns, info.last_ns), (0, 2));
    assert_eq!(t.table.len(), 1);
}

#[test]
fn syn_ack_seen_first_makes_its_receiver_the_initiator() {
    let (c, s) = (addr(1, 40_000), addr(2, 4786));
    let mut t = Table::new(FlowLimits::default());
    t.send(0, s, c, SERVER_ISN, TcpFlags::SYN | TcpFlags::ACK, b"");
    t.send(
        1,
        s,
        c,
        SERVER_ISN.wrapping_add(1),
        TcpFlags::ACK,
        b"banner",
    );
    let (_, info, dir, _) = &t.log[0];
    assert_eq!((info.initiator, info.syn_seen, *dir), (c, true, Rev));
}

#[test]
fn without_a_handshake_the_first_sender_initiates() {
    let (c, s) = (addr(1, 40_000), addr(2, 4786));
    let mut t = Table::new(FlowLimits::default());
    t.send(0, s, c, 0x5555_0000, TcpFlags::ACK, b"mid-stream");
    t.send(1, c, s, 0x7777_0000, TcpFlags::ACK, b"reply");
    let (_, info, dir, ev) = &t.log[0];
    assert_eq!((info.initiator, info.syn_seen, *dir), (s, false, Fwd));
    assert_eq!(ev, &Ev::Data(0, b"mid-stream".to_vec()));
    assert_eq!(t.log[1].2, Rev);
}

#[test]
fn segments_without_syn_or_data_create_no_flow() {
    let (c, s) = (addr(1, 40_000), addr(2, 4786));
    let mut t = Table::new(FlowLimits::default());
    t.send(0, c, s, 1, TcpFlags::ACK, b"");
    t.send(0, c, s, 1, TcpFlags::RST, b"");
    t.send(0, c, s, 1, TcpFlags::FIN | TcpFlags::ACK, b"");
    assert!(t.table.is_empty());
    assert_eq!(t.table.stats().unmatched_segments, 3);
    assert_eq!(t.table.stats().flows_seen, 0);
}

#[test]
fn both_fins_end_the_flow_and_late_segments_make_no_phantom_flow() {
    let (c, s) = (addr(1, 40_000), addr(2, 4786));
    let mut t = Table::new(FlowLimits::default());
    handshake(&mut t, 0, c, s);
    t.send(
        1,
        c,
        s,
        CLIENT_ISN + 1,
        TcpFlags::ACK | TcpFlags::FIN,
        b"bye",
    );
    assert_eq!(t.table.stats().open, 1, "half-closed");
    t.send(
        2,
        s,
        c,
        SERVER_ISN.wrapping_add(1),
        TcpFlags::ACK | TcpFlags::FIN,
        b"ok",
    );
    assert_eq!(
        t.events(0),
        vec![
            (Fwd, Ev::Data(0, b"bye".to_vec())),
            (Fwd, Ev::Closed(CloseKind::Fin)),
            (Rev, Ev::Data(0, b"ok".to_vec())),
            (Rev, Ev::Closed(CloseKind::Fin)),
        ]
    );
    assert_eq!(
        t.drops.get(),
        1,
        "the consumer state is dropped at the close"
    );
    let stats = t.table.stats();
    assert_eq!((stats.open, stats.tracked, stats.closed_fin), (0, 1, 1));

    // The last ACK and a retransmission with data arrive after the close.
    t.send(3, c, s, CLIENT_ISN + 5, TcpFlags::ACK, b"");
    t.send(
        3,
        c,
        s,
        CLIENT_ISN + 1,
        TcpFlags::ACK | TcpFlags::FIN,
        b"bye",
    );
    assert_eq!(t.table.stats().late_segments, 2);
    assert_eq!(t.table.stats().flows_seen, 1);
    assert_eq!(t.log.len(), 4);

    // A new SYN on the same key is a new connection.
    t.send(4, c, s, 9000, TcpFlags::SYN, b"");
    t.send(4, c, s, 9001, TcpFlags::ACK, b"again");
    assert_eq!(t.events(1), vec![(Fwd, Ev::Data(0, b"again".to_vec()))]);
    assert_eq!(t.table.stats().flows_seen, 2);
    assert_eq!(t.table.len(), 1);
}

#[test]
fn rst_closes_both_directions_unless_out_of_window() {
    let (c, s) = (addr(1, 40_000), addr(2, 4786));
    let mut t = Table::new(FlowLimits::default());
    handshake(&mut t, 0, c, s);
    t.send(1, c, s, CLIENT_ISN + 1, TcpFlags::ACK, b"abc");
    t.send(
        2,
        s,
        c,
        SERVER_ISN.wrapping_add(0x8000_0000),
        TcpFlags::RST,
        b"",
    );
    assert_eq!(t.table.stats().open, 1);
    assert_eq!(t.table.stats().streams.rejected_resets, 1);
    t.send(
        3,
        s,
        c,
        SERVER_ISN.wrapping_add(1),
        TcpFlags::RST | TcpFlags::ACK,
        b"",
    );
    assert_eq!(
        t.events(0)[1..],
        [
            (Rev, Ev::Closed(CloseKind::Reset)),
            (Fwd, Ev::Closed(CloseKind::Reset))
        ]
    );
    let stats = t.table.stats();
    assert_eq!((stats.open, stats.closed_reset), (0, 1));
    assert_eq!(t.drops.get(), 1);
}

#[test]
fn the_least_recently_active_flow_is_evicted_and_flushed() {
    let limits = FlowLimits {
        max_flows: 3,
        ..FlowLimits::default()
    };
    let s = addr(2, 4786);
    let mut t = Table::new(limits);
    for port in 1..=3 {
        t.send(port.into(), addr(1, port), s, 100, TcpFlags::ACK, b"ab");
    }
    // Flow 1 (port 2) has bytes waiting behind a hole.
    t.send(4, addr(1, 2), s, 105, TcpFlags::ACK, b"fg");
    // Flows 0 and 1 are touched again; flow 2 (port 3) is now the least recently active...
    t.send(5, addr(1, 1), s, 102, TcpFlags::ACK, b"cd");
    t.send(6, addr(1, 2), s, 102, TcpFlags::ACK, b"c");
    t.send(7, addr(1, 4), s, 100, TcpFlags::ACK, b"new");
    assert_eq!(
        t.events(2),
        vec![
            (Fwd, Ev::Data(0, b"ab".to_vec())),
            (Fwd, Ev::Closed(CloseKind::Evicted)),
            (Rev, Ev::Closed(CloseKind::Evicted)),
        ]
    );
    // ... then flow 0, and flow 1's buffered bytes are flushed after a gap.
    t.send(8, addr(1, 5), s, 100, TcpFlags::ACK, b"x");
    t.send(9, addr(1, 6), s, 100, TcpFlags::ACK, b"y");
    assert_eq!(
        t.events(0).last(),
        Some(&(Rev, Ev::Closed(CloseKind::Evicted)))
    );
    assert_eq!(
        t.events(1)[2..],
        [
            (Fwd, Ev::Gap(3, 2)),
            (Fwd, Ev::Data(5, b"fg".to_vec())),
            (Fwd, Ev::Closed(CloseKind::Evicted)),
            (Rev, Ev::Closed(CloseKind::Evicted)),
        ]
    );
    let stats = t.table.stats();
    assert_eq!(
        (stats.evicted, stats.tracked, stats.buffered_bytes),
        (3, 3, 0)
    );
    assert_eq!(t.drops.get(), 3);
}

#[test]
fn idle_flows_expire_by_capture_time() {
    let limits = FlowLimits {
        idle_timeout_ns: 10 * SECOND,
        ..FlowLimits::default()
    };
    let s = addr(2, 4786);
    let mut t = Table::new(limits);
    t.send(0, addr(1, 1), s, 1, TcpFlags::ACK, b"a");
    t.send(5 * SECOND, addr(1, 2), s, 1, TcpFlags::ACK, b"b");
    t.send(10 * SECOND, addr(1, 3), s, 1, TcpFlags::ACK, b"c");
    assert_eq!(
        t.table.stats().expired,
        0,
        "exactly the timeout is not idle yet"
    );
    t.send(12 * SECOND, addr(1, 2), s, 2, TcpFlags::ACK, b"b");
    assert_eq!(
        t.events(0).last(),
        Some(&(Rev, Ev::Closed(CloseKind::Expired)))
    );
    assert_eq!(t.table.len(), 2);
    t.expire(21 * SECOND);
    assert_eq!(t.table.len(), 1, "flow 1 was active at 12 s");
    assert_eq!(
        t.events(2).last(),
        Some(&(Rev, Ev::Closed(CloseKind::Expired)))
    );
    assert_eq!(t.table.stats().expired, 2);
    t.expire(23 * SECOND);
    assert!(t.table.is_empty());
}

#[test]
fn ignore_stops_both_directions_but_keeps_tracking() {
    let (c, s) = (addr(1, 40_000), addr(2, 80));
    let mut t = Table::new(FlowLimits::default());
    handshake(&mut t, 0, c, s);
    t.send(
        1,
        c,
        s,
        CLIENT_ISN + 1,
        TcpFlags::ACK,
        b"GET / HTTP/1.1\r\n\r\n",
    );
    t.send(
        2,
        s,
        c,
        SERVER_ISN.wrapping_add(1),
        TcpFlags::ACK,
        b"HTTP/1.1 200 OK\r\n",
    );
    t.send(3, c, s, CLIENT_ISN + 19, TcpFlags::ACK, b"more");
    assert_eq!(t.log.len(), 1);
    assert_eq!(t.drops.get(), 1, "the state is dropped at once");
    assert_eq!((t.table.stats().flows_seen, t.table.stats().open), (1, 1));
    t.send(4, c, s, CLIENT_ISN + 23, TcpFlags::FIN | TcpFlags::ACK, b"");
    t.send(
        4,
        s,
        c,
        SERVER_ISN.wrapping_add(18),
        TcpFlags::FIN | TcpFlags::ACK,
        b"",
    );
    assert_eq!(t.table.stats().closed_fin, 1);
    assert_eq!(t.log.len(), 1);
}

#[test]
fn ignore_direction_keeps_the_other_one() {
    let (c, s) = (addr(1, 40_000), addr(2, 81));
    let mut t = Table::new(FlowLimits::default());
    handshake(&mut t, 0, c, s);
    t.send(1, c, s, CLIENT_ISN + 1, TcpFlags::ACK, b"one");
    t.send(2, c, s, CLIENT_ISN + 4, TcpFlags::ACK, b"two");
    t.send(3, s, c, SERVER_ISN.wrapping_add(1), TcpFlags::ACK, b"reply");
    t.send(4, s, c, SERVER_ISN.wrapping_add(6), TcpFlags::ACK, b"again");
    let fwd = t.events(0).iter().filter(|(d, _)| *d == Fwd).count();
    assert_eq!(fwd, 1);
    // The responder direction answered IgnoreDirection too (same probe), after its first data.
    assert_eq!(t.events(0).len(), 2);
    assert_eq!(t.drops.get(), 0, "the state is kept");
}

#[test]
fn flows_refused_at_creation_deliver_nothing_and_still_close() {
    let (c, s) = (addr(1, 40_000), addr(2, 82));
    let mut t = Table::new(FlowLimits::default());
    handshake(&mut t, 0, c, s);
    t.send(1, c, s, CLIENT_ISN + 1, TcpFlags::ACK, b"data");
    t.send(2, c, s, CLIENT_ISN + 5, TcpFlags::RST, b"");
    t.finish();
    assert!(t.log.is_empty());
    let stats = t.table.stats();
    assert_eq!((stats.flows_seen, stats.closed_reset), (1, 1));
    assert_eq!(stats.streams.delivered, 0);
}

#[test]
fn the_global_buffer_cap_holds_across_flows() {
    let limits = FlowLimits {
        max_buffered_total: 1000,
        ..FlowLimits::default()
    };
    let s = addr(2, 4786);
    let mut t = Table::new(limits);
    for port in 1..=20 {
        t.send(0, addr(1, port), s, 100, TcpFlags::ACK, b"x");
        t.send(0, addr(1, port), s, 200, TcpFlags::ACK, &[7; 200]);
        let stats = t.table.stats();
        assert!(stats.buffered_bytes <= 1000);
        assert_eq!(stats.buffered_bytes, stats.streams.buffered);
    }
    let stats = t.table.stats();
    assert!(stats.peak_buffered_bytes <= 1000);
    assert_eq!(stats.buffered_bytes, 3 * (200 + 64));
    assert_eq!(stats.streams.gaps, 17);
}

#[test]
fn finish_flushes_and_closes_everything() {
    let (c, s) = (addr(1, 40_000), addr(2, 4786));
    let mut t = Table::new(FlowLimits::default());
    handshake(&mut t, 0, c, s);
    t.send(1, c, s, CLIENT_ISN + 4, TcpFlags::ACK, b"late");
    t.send(2, addr(1, 1), s, 7, TcpFlags::ACK, b"other");
    t.finish();
    assert_eq!(
        t.events(0),
        vec![
            (Fwd, Ev::Gap(0, 3)),
            (Fwd, Ev::Data(3, b"late".to_vec())),
            (Fwd, Ev::Closed(CloseKind::EndOfCapture)),
            (Rev, Ev::Closed(CloseKind::EndOfCapture)),
        ]
    );
    assert_eq!(t.events(1).len(), 3);
    assert!(t.table.is_empty());
    let stats = t.table.stats();
    assert_eq!((stats.open, stats.buffered_bytes), (0, 0));
    assert_eq!(t.drops.get(), t.created);
}

#[test]
fn a_retransmitted_syn_does_not_restart_the_flow() {
    let (c, s) = (addr(1, 40_000), addr(2, 4786));
    let mut t = Table::new(FlowLimits::default());
    t.send(0, c, s, CLIENT_ISN, TcpFlags::SYN, b"");
    t.send(1, c, s, CLIENT_ISN, TcpFlags::SYN, b"");
    t.send(2, c, s, CLIENT_ISN + 1, TcpFlags::ACK, b"x");
    assert_eq!(t.table.stats().flows_seen, 1);
    assert_eq!(t.events(0), vec![(Fwd, Ev::Data(0, b"x".to_vec()))]);
}

#[test]
fn zero_flows_is_refused() {
    let limits = FlowLimits {
        max_flows: 0,
        ..FlowLimits::default()
    };
    assert_eq!(
        FlowTable::<()>::new(limits).err(),
        Some(LimitError::NoFlows)
    );
}

#[test]
fn syn_data_and_conflicting_retransmissions_reach_the_consumer() {
    let (c, s) = (addr(1, 40_000), addr(2, 4786));
    let mut t = Table::new(FlowLimits::default());
    t.send(0, c, s, CLIENT_ISN, TcpFlags::SYN, b"early");
    t.send(1, s, c, SERVER_ISN, TcpFlags::SYN | TcpFlags::ACK, b"");
    t.send(2, c, s, CLIENT_ISN + 6, TcpFlags::ACK, b"-data");
    t.send(3, c, s, CLIENT_ISN + 1, TcpFlags::ACK, b"EARLY-data");
    assert_eq!(
        t.events(0),
        vec![
            (Fwd, Ev::Data(0, b"early".to_vec())),
            (Fwd, Ev::Data(5, b"-data".to_vec())),
            (Fwd, Ev::Conflict(0, 5)),
        ]
    );
    let stats = t.table.stats().streams;
    assert_eq!((stats.conflicts, stats.retransmitted_bytes), (1, 10));
}

#[test]
fn a_blind_rst_on_an_ignored_direction_does_not_end_the_flow() {
    let (c, s) = (addr(1, 40_000), addr(2, 81));
    let mut t = Table::new(FlowLimits::default());
    handshake(&mut t, 0, c, s);
    t.send(
        1,
        s,
        c,
        SERVER_ISN.wrapping_add(1),
        TcpFlags::ACK,
        b"banner",
    );
    // The responder direction is ignored now; a spoofed RST far from its sequence numbers...
    t.send(
        2,
        s,
        c,
        SERVER_ISN.wrapping_add(0x4000_0000),
        TcpFlags::RST,
        b"",
    );
    assert_eq!(t.table.stats().open, 1);
    assert_eq!(t.table.stats().streams.rejected_resets, 1);
    // ... leaves the initiator direction inspected, until a believable RST.
    t.send(3, c, s, CLIENT_ISN + 1, TcpFlags::ACK, b"attack");
    assert_eq!(t.events(0)[1], (Fwd, Ev::Data(0, b"attack".to_vec())));
    t.send(4, s, c, SERVER_ISN.wrapping_add(7), TcpFlags::RST, b"");
    assert_eq!(t.table.stats().closed_reset, 1);
    assert_eq!(t.table.stats().open, 0);
}
