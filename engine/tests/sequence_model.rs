//! Model test of `Sequence`: random definitions and random `next_value` / `set` calls, checked
//! against a naive model that counts in i128 (so it cannot overflow), with a save/reload of the
//! root value holding the sequence between steps (the sequence is versioned state).

use proptest::prelude::*;
use std::sync::Arc;
use vdb_engine::prolly::NodeStore;
use vdb_engine::store::MemoryStore;
use vdb_engine::table::{RootValue, Sequence};

#[derive(Clone, Debug)]
enum Op {
    Next,
    Set(i64, bool),
    Reload,
}

/// PostgreSQL's nextval over i128: the value handed out, or None when exhausted.
fn model_next(
    last: &mut i128,
    called: &mut bool,
    inc: i128,
    min: i128,
    max: i128,
    cycle: bool,
) -> Option<i64> {
    if !*called {
        *called = true;
        return Some(*last as i64);
    }
    let next = *last + inc;
    let next = if next > max || next < min {
        if !cycle {
            return None;
        }
        if inc > 0 {
            min
        } else {
            max
        }
    } else {
        next
    };
    *last = next;
    Some(next as i64)
}

fn definition() -> impl Strategy<Value = (i64, i64, i64, i64, bool)> {
    let bounds = prop_oneof![
        (-20i64..20, 1i64..40).prop_map(|(min, span)| (min, min + span)),
        Just((1i64, i64::MAX)),
        Just((i64::MIN, -1i64)),
    ];
    (
        bounds,
        prop_oneof![1i64..5, -5i64..0, Just(i64::MAX), Just(i64::MIN)],
        any::<bool>(),
    )
        .prop_flat_map(|((min, max), inc, cycle)| {
            (min..=max).prop_map(move |start| (start, inc, min, max, cycle))
        })
}

fn ops() -> impl Strategy<Value = Vec<Op>> {
    prop::collection::vec(
        prop_oneof![
            6 => Just(Op::Next),
            1 => (-25i64..25, any::<bool>()).prop_map(|(v, c)| Op::Set(v, c)),
            1 => Just(Op::Reload),
        ],
        0..60,
    )
}

proptest! {
    #[test]
    fn sequence_matches_model((start, inc, min, max, cycle) in definition(), ops in ops()) {
        let ns = NodeStore::new(Arc::new(MemoryStore::new()));
        let mut root = RootValue::empty();
        let mut seq = Sequence::new("bigint", start, inc, min, max);
        seq.cycle = cycle;
        root.put_sequence("s", seq);
        let (mut last, mut called) = (i128::from(start), false);
        for op in ops {
            match op {
                Op::Next => {
                    let got = root.get_sequence_mut("s").unwrap().next_value();
                    let want = model_next(&mut last, &mut called, inc.into(), min.into(), max.into(), cycle);
                    prop_assert_eq!(got, want);
                }
                Op::Set(v, c) => {
                    if v < min || v > max {
                        continue;
                    }
                    root.get_sequence_mut("s").unwrap().set(v, c);
                    last = i128::from(v);
                    called = c;
                }
                Op::Reload => {
                    let addr = root.save(&ns).unwrap();
                    root = RootValue::load(&ns, addr).unwrap();
                }
            }
            let s = root.get_sequence("s").unwrap();
            prop_assert_eq!(i128::from(s.last_value), last);
            prop_assert_eq!(s.is_called, called);
        }
    }
}
