//! The activity list against a model: a vector of (index, value) in order of last use.

use proptest::prelude::*;

use super::Lru;

#[derive(Clone, Debug)]
enum Op {
    Insert(u32),
    Touch(usize),
    Remove(usize),
    PopFront,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        any::<u32>().prop_map(Op::Insert),
        (0usize..12).prop_map(Op::Touch),
        (0usize..12).prop_map(Op::Remove),
        Just(Op::PopFront),
    ]
}

/// Every value from the front (least recently used) to the back.
fn order(lru: &Lru<u32>) -> Vec<(usize, u32)> {
    let mut out = Vec::new();
    let mut at = lru.front();
    while let Some(i) = at {
        out.push((i, *lru.get(i).unwrap()));
        at = lru
            .links
            .get(i)
            .map(|l| l.next)
            .filter(|&n| n != super::NIL);
    }
    out
}

proptest! {
    #[test]
    fn matches_the_model(ops in prop::collection::vec(op(), 0..200)) {
        let mut lru = Lru::new();
        let mut model: Vec<(usize, u32)> = Vec::new();
        let mut peak = 0;
        for op in ops {
            match op {
                Op::Insert(v) => {
                    let i = lru.insert(v);
                    prop_assert!(model.iter().all(|&(j, _)| j != i), "index {} reused while live", i);
                    model.push((i, v));
                }
                Op::Touch(i) => {
                    lru.touch(i);
                    if let Some(p) = model.iter().position(|&(j, _)| j == i) {
                        let e = model.remove(p);
                        model.push(e);
                    }
                }
                Op::Remove(i) => {
                    let expected = model.iter().position(|&(j, _)| j == i).map(|p| model.remove(p).1);
                    prop_assert_eq!(lru.remove(i), expected);
                }
                Op::PopFront => {
                    let front = lru.front();
                    prop_assert_eq!(front, model.first().map(|&(i, _)| i));
                    if let Some(i) = front {
                        lru.remove(i);
                        model.remove(0);
                    }
                }
            }
            prop_assert_eq!(order(&lru), model.clone());
            prop_assert_eq!(lru.len(), model.len());
            peak = peak.max(model.len());
            prop_assert!(lru.values.len() <= peak, "the slab outgrew the most live values");
        }
    }
}

#[test]
fn slots_are_reused() {
    let mut lru = Lru::new();
    for round in 0..100 {
        let i = lru.insert(round);
        assert_eq!(lru.remove(i), Some(round));
    }
    assert_eq!(lru.values.len(), 1);
    assert_eq!(lru.front(), None);
}
