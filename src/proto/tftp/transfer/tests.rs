//! Transfer tests: a [`Sender`] and a [`Receiver`] joined by a simulated network (simulated clock,
//! scripted or random drops, duplicates and reordering), plus single-sided tests of the
//! Sorcerer's Apprentice rule, block-number rollover, the size cap and peer errors.

use std::collections::VecDeque;
use std::time::Duration;

use proptest::prelude::*;

use super::*;

fn params(block_bytes: usize, window: u16) -> Params {
    Params {
        block_bytes,
        window,
        timeout: Duration::from_secs(1),
        max_retries: 5,
    }
}

fn t0() -> Duration {
    Duration::from_secs(1_000)
}

fn sends(actions: &[Action]) -> Vec<Packet> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Send(b) => Some(Packet::decode(b).unwrap()),
            _ => None,
        })
        .collect()
}

fn data_blocks(actions: &[Action]) -> Vec<u16> {
    sends(actions)
        .into_iter()
        .filter_map(|p| match p {
            Packet::Data { block, .. } => Some(block),
            _ => None,
        })
        .collect()
}

fn ack(block: u16) -> Vec<u8> {
    Packet::Ack { block }.encode().unwrap()
}

fn data(block: u16, bytes: &[u8]) -> Vec<u8> {
    Packet::Data {
        block,
        data: bytes.to_vec(),
    }
    .encode()
    .unwrap()
}

/// What the network does to one datagram.
#[derive(Clone, Copy, Debug)]
enum Fate {
    Deliver,
    Drop,
    Duplicate,
    /// Delivered after the next datagram in the same direction.
    Delay,
}

fn fate() -> impl Strategy<Value = Fate> {
    prop_oneof![
        6 => Just(Fate::Deliver),
        2 => Just(Fate::Drop),
        1 => Just(Fate::Duplicate),
        1 => Just(Fate::Delay),
    ]
}

/// Outcome of a simulated transfer.
#[derive(Debug)]
struct Outcome {
    sender: Option<Result<u64, TransferError>>,
    receiver: Option<Result<u64, TransferError>>,
    stored: Vec<u8>,
}

/// A simulated network: datagrams in flight as (to_receiver, bytes), and the fates to apply.
struct Net<'f> {
    queue: VecDeque<(bool, Vec<u8>)>,
    fates: std::slice::Iter<'f, Fate>,
    held: Option<(bool, Vec<u8>)>,
}

impl Net<'_> {
    /// Puts the datagrams of `actions` on the wire; returns the ends of transfer among them.
    fn push(&mut self, to_rx: bool, actions: Vec<Action>) -> Vec<Result<u64, TransferError>> {
        let mut results = Vec::new();
        for a in actions {
            match a {
                Action::Send(b) => match self.fates.next().copied().unwrap_or(Fate::Deliver) {
                    Fate::Deliver => self.queue.push_back((to_rx, b)),
                    Fate::Drop => {}
                    Fate::Duplicate => {
                        self.queue.push_back((to_rx, b.clone()));
                        self.queue.push_back((to_rx, b));
                    }
                    Fate::Delay => {
                        if let Some(h) = self.held.replace((to_rx, b)) {
                            self.queue.push_back(h);
                        }
                    }
                },
                Action::Done { bytes } => results.push(Ok(bytes)),
                Action::Fail { reason } => results.push(Err(reason)),
                Action::NextTimeout(_) => {}
            }
        }
        results
    }
}

/// Runs `file` through a sender and a receiver over a network applying `fates` in turn (then
/// delivering everything), with a simulated clock. With `oack`, the sender opens with an OACK
/// that the receiver's side answers with ACK 0, as a client would.
fn simulate(file: &[u8], p: Params, oack: bool, fates: &[Fate]) -> Outcome {
    let now = t0();
    let opening = oack.then(|| {
        Packet::OAck {
            options: vec![("blksize".into(), p.block_bytes.to_string())],
        }
        .encode()
        .unwrap()
    });
    let (mut tx, first) = Sender::start(p, file, file.len() as u64, opening, now);
    let (mut rx, rx_first) = Receiver::start(p, Vec::new(), 1 << 20, None, now);
    let mut o = Outcome {
        sender: None,
        receiver: None,
        stored: Vec::new(),
    };
    let mut net = Net {
        queue: VecDeque::new(),
        fates: fates.iter(),
        held: None,
    };
    let mut clock = now;
    record(&mut o.sender, net.push(true, first));
    record(&mut o.receiver, net.push(false, rx_first));
    for _ in 0..200_000 {
        if let Some((to_rx, bytes)) = net.queue.pop_front() {
            if !to_rx {
                let actions = tx.handle_input(clock, &bytes);
                record(&mut o.sender, net.push(true, actions));
            } else if matches!(Packet::decode(&bytes), Ok(Packet::OAck { .. })) {
                if !rx.is_finished() {
                    net.push(false, vec![Action::Send(ack(0))]);
                }
            } else {
                let actions = rx.handle_input(clock, &bytes);
                record(&mut o.receiver, net.push(false, actions));
            }
        } else if let Some(h) = net.held.take() {
            net.queue.push_back(h);
        } else {
            let next = [tx.poll_timeout(), rx.poll_timeout()]
                .into_iter()
                .flatten()
                .min();
            let Some(next) = next else { break };
            clock = clock.max(next);
            let a = tx.handle_timeout(clock);
            record(&mut o.sender, net.push(true, a));
            let b = rx.handle_timeout(clock);
            record(&mut o.receiver, net.push(false, b));
        }
    }
    o.stored = rx.into_sink();
    o
}

fn record(slot: &mut Option<Result<u64, TransferError>>, results: Vec<Result<u64, TransferError>>) {
    for r in results {
        assert!(
            slot.is_none(),
            "a second end of transfer: {r:?} after {slot:?}"
        );
        *slot = Some(r);
    }
}

fn file(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + i / 251) as u8).collect()
}

#[test]
fn delivers_a_file_lock_step_without_loss() {
    let f = file(512 * 3 + 100);
    let o = simulate(&f, params(512, 1), false, &[]);
    assert_eq!(o.sender, Some(Ok(f.len() as u64)));
    assert_eq!(o.receiver, Some(Ok(f.len() as u64)));
    assert_eq!(o.stored, f);
}

#[test]
fn ends_an_exact_multiple_of_the_block_size_with_an_empty_block() {
    let f = file(64 * 4);
    let (_, first) = Sender::start(params(64, 8), f.as_slice(), 256, None, t0());
    assert_eq!(data_blocks(&first), vec![1, 2, 3, 4, 5]);
    let o = simulate(&f, params(64, 8), false, &[]);
    assert_eq!(o.stored, f);
    assert_eq!(o.sender, Some(Ok(256)));
}

#[test]
fn delivers_an_empty_file() {
    let o = simulate(&[], params(512, 4), true, &[]);
    assert_eq!(o.sender, Some(Ok(0)));
    assert!(o.stored.is_empty());
}

#[test]
fn sends_a_full_window_then_waits_for_its_ack() {
    let f = file(100 * 10);
    let now = t0();
    let (mut tx, first) = Sender::start(params(100, 4), f.as_slice(), 1000, None, now);
    assert_eq!(data_blocks(&first), vec![1, 2, 3, 4]);
    assert!(tx.handle_input(now, &ack(4)).len() > 4);
}

#[test]
fn ignores_duplicate_acks_no_sorcerers_apprentice() {
    let f = file(512 * 4);
    let now = t0();
    let (mut tx, _) = Sender::start(params(512, 1), f.as_slice(), 2048, None, now);
    assert_eq!(data_blocks(&tx.handle_input(now, &ack(1))), vec![2]);
    // A delayed duplicate of ACK 1 must not cause block 2 to be sent again.
    assert!(tx.handle_input(now, &ack(1)).is_empty());
    // An ACK of a block never sent is ignored too.
    assert!(tx.handle_input(now, &ack(9)).is_empty());
}

#[test]
fn resends_the_window_from_the_first_unacknowledged_block_on_timeout() {
    let f = file(10 * 20);
    let now = t0();
    let (mut tx, _) = Sender::start(params(10, 8), f.as_slice(), 200, None, now);
    // The receiver saw a gap after block 3.
    assert_eq!(
        data_blocks(&tx.handle_input(now, &ack(3))),
        (4..=11).collect::<Vec<_>>()
    );
    let later = now + Duration::from_secs(1);
    assert_eq!(
        data_blocks(&tx.handle_timeout(later)),
        (4..=11).collect::<Vec<_>>()
    );
}

#[test]
fn gives_up_after_the_retry_budget() {
    let f = file(10);
    let mut now = t0();
    let (mut tx, _) = Sender::start(params(512, 1), f.as_slice(), 10, None, now);
    let mut end = None;
    for _ in 0..10 {
        now += Duration::from_secs(1);
        for a in tx.handle_timeout(now) {
            if let Action::Fail { reason } = a {
                end = Some(reason);
            }
        }
    }
    assert_eq!(end, Some(TransferError::Timeout { retries: 5 }));
    assert!(tx.is_finished());
    assert_eq!(tx.poll_timeout(), None);
}

#[test]
fn rolls_block_numbers_over_from_65535_to_0() {
    // 65537 full 8-byte blocks and a final empty one: block numbers 1..=65535, 0, 1, 2.
    let f = file(8 * 65_537);
    let o = simulate(&f, params(8, 16), false, &[]);
    assert_eq!(o.sender, Some(Ok(f.len() as u64)));
    assert_eq!(o.stored, f);
}

#[test]
fn re_acks_a_retransmitted_block_without_storing_it_again() {
    let now = t0();
    let (mut rx, _) = Receiver::start(params(4, 1), Vec::new(), 100, None, now);
    assert_eq!(
        sends(&rx.handle_input(now, &data(1, b"abcd"))),
        vec![Packet::Ack { block: 1 }]
    );
    assert_eq!(
        sends(&rx.handle_input(now, &data(1, b"abcd"))),
        vec![Packet::Ack { block: 1 }]
    );
    rx.handle_input(now, &data(2, b"e"));
    assert!(rx.is_finished());
    // The dally: a retransmitted final block gets its ACK again.
    assert_eq!(
        sends(&rx.handle_input(now, &data(2, b"e"))),
        vec![Packet::Ack { block: 2 }]
    );
    assert_eq!(rx.into_sink(), b"abcde");
}

#[test]
fn refuses_data_beyond_the_size_cap() {
    let now = t0();
    let (mut rx, _) = Receiver::start(params(4, 1), Vec::new(), 6, None, now);
    rx.handle_input(now, &data(1, b"abcd"));
    let out = rx.handle_input(now, &data(2, b"efgh"));
    assert!(matches!(
        sends(&out).as_slice(),
        [Packet::Error {
            code: ErrorCode::DiskFull,
            ..
        }]
    ));
    assert!(out.contains(&Action::Fail {
        reason: TransferError::TooLarge { limit: 6 }
    }));
    assert_eq!(rx.into_sink(), b"abcd");
}

#[test]
fn refuses_a_block_above_the_negotiated_size() {
    let now = t0();
    let (mut rx, _) = Receiver::start(params(4, 1), Vec::new(), 100, None, now);
    let out = rx.handle_input(now, &data(1, b"abcde"));
    assert!(out.contains(&Action::Fail {
        reason: TransferError::Violation(Violation::BlockTooLarge {
            len: 5,
            block_bytes: 4
        })
    }));
}

#[test]
fn ends_on_a_peer_error() {
    let now = t0();
    let (mut tx, _) = Sender::start(params(512, 1), &b"x"[..], 1, None, now);
    let err = Packet::error(ErrorCode::DiskFull, "full").encode().unwrap();
    let out = tx.handle_input(now, &err);
    assert_eq!(
        out,
        vec![Action::Fail {
            reason: TransferError::Peer {
                code: ErrorCode::DiskFull,
                message: "full".into()
            }
        }]
    );
}

#[test]
fn waits_for_ack_zero_after_an_oack() {
    let now = t0();
    let oack = Packet::OAck { options: vec![] }.encode().unwrap();
    let (mut tx, first) = Sender::start(params(512, 1), &b"x"[..], 1, Some(oack.clone()), now);
    assert_eq!(first.first(), Some(&Action::Send(oack)));
    assert!(tx.handle_input(now, &ack(1)).is_empty());
    assert_eq!(data_blocks(&tx.handle_input(now, &ack(0))), vec![1]);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Whatever the network does, the receiver stores a prefix of the file, and a completed
    /// transfer stored exactly the file; a sender never reports success the receiver lacks.
    #[test]
    fn any_loss_duplication_or_reordering_delivers_exact_bytes_or_fails_cleanly(
        len in 0usize..2_000,
        block in 8usize..80,
        window in 1u16..8,
        oack in any::<bool>(),
        fates in proptest::collection::vec(fate(), 0..400),
    ) {
        let f = file(len);
        let o = simulate(&f, params(block, window), oack, &fates);
        prop_assert!(f.starts_with(&o.stored));
        if let Some(Ok(bytes)) = &o.receiver {
            prop_assert_eq!(*bytes, len as u64);
            prop_assert_eq!(&o.stored, &f);
        }
        if let Some(Ok(_)) = &o.sender {
            prop_assert_eq!(&o.receiver, &Some(Ok(len as u64)));
        }
        prop_assert!(o.sender.is_some() || o.receiver.is_some());
    }

    /// A lossless network always completes.
    #[test]
    fn a_lossless_network_always_completes(
        len in 0usize..5_000,
        block in 8usize..600,
        window in 1u16..40,
    ) {
        let f = file(len);
        let o = simulate(&f, params(block, window), false, &[]);
        prop_assert_eq!(o.sender, Some(Ok(len as u64)));
        prop_assert_eq!(o.stored, f);
    }

    /// Arbitrary datagrams never panic either side.
    #[test]
    fn arbitrary_datagrams_never_panic(datagrams in proptest::collection::vec(
        proptest::collection::vec(any::<u8>(), 0..40), 0..20)) {
        let now = t0();
        let (mut tx, _) = Sender::start(params(8, 4), &b"0123456789abcdef"[..], 16, None, now);
        let (mut rx, _) = Receiver::start(params(8, 4), Vec::new(), 100, None, now);
        for d in &datagrams {
            let _ = tx.handle_input(now, d);
            let _ = rx.handle_input(now, d);
        }
    }
}
