//! The history ring against a model that keeps every delivered byte.

use proptest::prelude::*;

use crate::inspect::reassembly::history::{History, span};

/// What `History::conflict` must answer, computed from the whole delivered stream.
fn model(all: &[u8], cap: usize, offset: u64, data: &[u8]) -> Option<(u64, u64)> {
    let window_start = all.len().saturating_sub(cap) as u64;
    let from = offset.max(window_start);
    let to = (offset + data.len() as u64).min(all.len() as u64);
    if from >= to {
        return None;
    }
    let ours = &all[from as usize..to as usize];
    let theirs = &data[(from - offset) as usize..(to - offset) as usize];
    span(theirs, ours).map(|(s, e)| (from + s as u64, (e - s) as u64))
}

#[test]
fn ring_wraps_and_keeps_the_last_bytes() {
    let mut h = History::new(4);
    h.push(b"abc");
    h.push(b"def");
    assert_eq!(h.conflict(2, b"cdef"), None);
    assert_eq!(h.conflict(2, b"cXeY"), Some((3, 3)));
    assert_eq!(h.conflict(0, b"zz"), None, "offsets 0 and 1 are forgotten");
    h.push(b"0123456789");
    assert_eq!(h.conflict(12, b"6789"), None);
    assert_eq!(h.conflict(12, b"6788"), Some((15, 1)));
    h.restart_at(100);
    assert_eq!(
        h.conflict(96, b"6789"),
        None,
        "nothing is claimed after a gap"
    );
}

proptest! {
    #[test]
    fn conflict_matches_the_model(
        cap in 0usize..48,
        chunks in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..40), 0..12),
        probe_at in 0u64..400,
        probe in prop::collection::vec(any::<u8>(), 0..60),
        keep in prop::collection::vec(any::<bool>(), 60),
    ) {
        let mut h = History::new(cap);
        let mut all = Vec::new();
        for chunk in &chunks {
            h.push(chunk);
            all.extend_from_slice(chunk);
        }
        let offset = probe_at.min(all.len() as u64);
        // Mostly true bytes with some changed, so that both answers occur.
        let data: Vec<u8> = probe
            .iter()
            .zip(&keep)
            .enumerate()
            .map(|(i, (b, k))| match all.get(offset as usize + i) {
                Some(&real) if *k => real,
                _ => *b,
            })
            .collect();
        prop_assert_eq!(h.conflict(offset, &data), model(&all, cap, offset, &data));
    }
}
