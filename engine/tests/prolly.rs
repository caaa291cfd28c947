//! Structural tests of prolly trees: history independence, a golden root hash, work counted
//! (chunks written by an edit, chunks read by a diff), corruption, and merge.

use bytes::Bytes;
use std::collections::BTreeMap;
use std::sync::Arc;
use vdb_engine::prolly::{merge, Collision, Map, NodeStore, Resolution};
use vdb_engine::store::{ChunkStore, MemoryStore};
use vdb_engine::testkit::{naive_merge, Lcg};
use vdb_engine::{Error, Hash};

fn node_store() -> (Arc<MemoryStore>, NodeStore) {
    let store = Arc::new(MemoryStore::new());
    let ns = NodeStore::new(store.clone());
    (store, ns)
}

fn key(i: u64) -> Bytes {
    Bytes::copy_from_slice(&i.to_be_bytes())
}

/// A value of fixed length that depends on `i` and `version`.
fn value(i: u64, version: u64) -> Bytes {
    Bytes::from(format!("row-{i:012}-v{version:08}-payload-xxxxxx"))
}

fn build(ns: &NodeStore, n: u64) -> Map {
    Map::build(ns, (0..n).map(|i| (key(i), value(i, 0)))).unwrap()
}

#[test]
fn same_entries_same_root_whatever_the_order_of_edits() {
    let (_, ns) = node_store();
    let n = 20_000;
    let built = build(&ns, n);
    let mut rng = Lcg(7);
    for round in 0..5 {
        // Insert everything in a random order, in batches of random sizes.
        let mut order: Vec<u64> = (0..n).collect();
        for i in (1..order.len()).rev() {
            order.swap(i, (rng.next_u64() % (i as u64 + 1)) as usize);
        }
        let mut map = Map::empty(&ns).unwrap();
        let mut rest = &order[..];
        while !rest.is_empty() {
            let take = (1 + rng.next_u64() % 3000).min(rest.len() as u64) as usize;
            let (batch, tail) = rest.split_at(take);
            map = map
                .edit(batch.iter().map(|&i| (key(i), Some(value(i, 0)))))
                .unwrap();
            rest = tail;
        }
        assert_eq!(map.root(), built.root(), "round {round}");
    }
    // Inserting extra keys and deleting them again returns to the same root.
    let extra: Vec<u64> = (0..500).map(|_| n + rng.next_u64() % 100_000).collect();
    let grown = built
        .edit(extra.iter().map(|&i| (key(i), Some(value(i, 1)))))
        .unwrap();
    assert_ne!(grown.root(), built.root());
    let shrunk = grown.edit(extra.iter().map(|&i| (key(i), None))).unwrap();
    assert_eq!(shrunk.root(), built.root());
}

/// Pins the node format, the boundary rule and the address function together: any change to
/// them changes this hash and must come with a format version bump.
#[test]
fn golden_root_hash() {
    let (_, ns) = node_store();
    let map = build(&ns, 10_000);
    assert_eq!(map.depth(), 3);
    assert_eq!(
        map.root().to_hex(),
        "ea1840dd9cff3f7d2b97b042d22675a35852e7e3"
    );
}

/// Editing one entry of a 1,000,000-entry map writes depth + 1 chunks at most: one node per
/// level (the value keeps its length, so no boundary moves) — and the store grows by that.
#[test]
fn one_edit_writes_one_node_per_level() {
    let (store, ns) = node_store();
    let map = build(&ns, 1_000_000);
    let depth = map.depth() as u64;
    assert!(depth >= 3, "depth {depth}");
    let mut rng = Lcg(3);
    for round in 1..=20 {
        let i = rng.next_u64() % 1_000_000;
        let before = store.stats().writes;
        let edited = map.insert(key(i), value(i, round)).unwrap();
        let written = store.stats().writes - before;
        assert!(
            written <= depth + 1,
            "wrote {written} chunks for one edit at depth {depth}"
        );
        assert_eq!(edited.get(&key(i)).unwrap(), Some(value(i, round)));
    }
}

/// A diff of 10 scattered edits reads a number of nodes bounded by the edits and the depth,
/// independent of the map's size: at most 2 · (edits · depth + depth) per side.
#[test]
fn diff_reads_are_bounded_by_changes_not_size() {
    for n in [100_000u64, 1_000_000] {
        let (_, ns) = node_store();
        let old = build(&ns, n);
        let depth = old.depth() as u64;
        let mut rng = Lcg(n);
        let edits: BTreeMap<u64, u64> = (0..10).map(|_| (rng.next_u64() % n, 1)).collect();
        let new = old
            .edit(edits.keys().map(|&i| (key(i), Some(value(i, 1)))))
            .unwrap();
        let before = ns.stats().loads;
        let diff: Vec<_> = old.diff(&new).collect::<Result<_, _>>().unwrap();
        let loads = ns.stats().loads - before;
        assert_eq!(diff.len(), edits.len());
        let bound = 2 * 2 * (edits.len() as u64 * depth + depth);
        assert!(
            loads <= bound,
            "n={n}: diff loaded {loads} nodes, bound {bound}"
        );
    }
}

#[test]
fn count_rank_and_ordinal_access() {
    let (_, ns) = node_store();
    let map = build(&ns, 50_000)
        .edit((0..50_000).step_by(2).map(|i| (key(i), None)))
        .unwrap();
    assert_eq!(map.count(), 25_000);
    assert_eq!(map.rank(&key(1)).unwrap(), 0);
    assert_eq!(map.rank(&key(2)).unwrap(), 1);
    assert_eq!(map.rank(&key(49_999)).unwrap(), 24_999);
    assert_eq!(map.rank(&key(90_000)).unwrap(), 25_000);
    assert_eq!(map.get_at(12_345).unwrap().unwrap().0, key(24_691));
    assert_eq!(map.get_at(25_000).unwrap(), None);
    let tail: Vec<_> = map
        .iter_from(24_998)
        .unwrap()
        .map(|r| r.unwrap().0)
        .collect();
    assert_eq!(tail, vec![key(49_997), key(49_999)]);
}

#[test]
fn large_values_are_stored_out_of_line() {
    let (_, ns) = node_store();
    let big = Bytes::from(vec![7u8; 100_000]);
    let map = build(&ns, 1000).insert(key(500), big.clone()).unwrap();
    assert_eq!(map.get(&key(500)).unwrap(), Some(big.clone()));
    // The leaf holding it stays small: its neighbours are still found, and verify passes.
    assert_eq!(map.get(&key(501)).unwrap(), Some(value(501, 0)));
    assert!(map.verify().unwrap().is_empty());
    let diff: Vec<_> = build(&ns, 1000)
        .diff(&map)
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(diff.len(), 1);
    assert_eq!(diff[0].new_value(), Some(&big));
}

#[test]
fn flipped_byte_is_reported_as_corruption() {
    let (store, ns) = node_store();
    let map = build(&ns, 10_000);
    // Corrupt one leaf: find a child of the root and flip a byte in its chunk.
    let root = ns.load(&map.root()).unwrap();
    let victim: Hash = root.child(1);
    let mut bytes = store.get(&victim).unwrap().unwrap().to_vec();
    bytes[10] ^= 0xff;
    store.corrupt(&victim, Bytes::from(bytes));
    // A fresh node store, so nothing is served from the cache.
    let fresh = NodeStore::new(store);
    let map = Map::load(&fresh, map.root()).unwrap();
    let scan: Result<Vec<_>, _> = map.iter().unwrap().collect();
    match scan {
        Err(Error::Corrupted { addr, .. }) => assert_eq!(addr, victim),
        other => panic!("expected corruption, got {:?}", other.map(|v| v.len())),
    }
    let problems = map.verify().unwrap();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].addr, victim);
}

#[test]
fn unordered_bulk_input_is_an_error() {
    let (_, ns) = node_store();
    let result = Map::build(&ns, vec![(key(2), value(2, 0)), (key(1), value(1, 0))]);
    assert!(matches!(result, Err(Error::InvalidInput(_))));
    let result = Map::empty(&ns)
        .unwrap()
        .insert(Bytes::from(vec![0u8; 5000]), Bytes::new());
    assert!(matches!(result, Err(Error::InvalidInput(_))));
}

#[test]
fn merge_agrees_with_naive_merge() {
    let mut rng = Lcg(11);
    for round in 0..30 {
        let (_, ns) = node_store();
        let n = 2_000 + rng.next_u64() % 8_000;
        let base_model: BTreeMap<Bytes, Bytes> = (0..n).map(|i| (key(i), value(i, 0))).collect();
        let mut sides = Vec::new();
        for side in 1..=2 {
            let mut model = base_model.clone();
            for _ in 0..(rng.next_u64() % 300) {
                let i = rng.next_u64() % (n + 500);
                match rng.next_u64() % 3 {
                    0 => model.remove(&key(i)),
                    // Few distinct values, so both sides sometimes make the same change.
                    _ => model.insert(key(i), value(i, side * (rng.next_u64() % 2))),
                };
            }
            sides.push(model);
        }
        let base = Map::build(&ns, base_model.clone()).unwrap();
        let ours = Map::build(&ns, sides[0].clone()).unwrap();
        let theirs = Map::build(&ns, sides[1].clone()).unwrap();
        let mut seen = Vec::new();
        let outcome = merge(&base, &ours, &theirs, |c: &Collision| {
            seen.push(c.key.clone());
            Ok(Resolution::Conflict)
        })
        .unwrap();
        let (want, want_conflicts) = naive_merge(&base_model, &sides[0], &sides[1]);
        assert_eq!(seen, want_conflicts, "round {round}");
        assert_eq!(outcome.conflicts, want_conflicts.len() as u64);
        let got: BTreeMap<Bytes, Bytes> = outcome.map.iter().unwrap().map(|r| r.unwrap()).collect();
        assert_eq!(got, want, "round {round}");
        assert_eq!(outcome.map.root(), Map::build(&ns, want).unwrap().root());
    }
}

#[test]
fn merge_callback_values_are_applied() {
    let (_, ns) = node_store();
    let base = build(&ns, 1000);
    let ours = base.insert(key(5), value(5, 1)).unwrap();
    let theirs = base
        .insert(key(5), value(5, 2))
        .unwrap()
        .remove(key(9))
        .unwrap();
    let outcome = merge(&base, &ours, &theirs, |c| {
        assert_eq!(c.base, Some(value(5, 0)));
        Ok(Resolution::Value(Some(value(5, 3))))
    })
    .unwrap();
    assert_eq!(outcome.conflicts, 0);
    assert_eq!(outcome.applied, 2);
    assert_eq!(outcome.map.get(&key(5)).unwrap(), Some(value(5, 3)));
    assert_eq!(outcome.map.get(&key(9)).unwrap(), None);
}

#[test]
fn scan_visits_ranges_and_stops_early() {
    use std::ops::Bound;
    let (_, ns) = node_store();
    let map = build(&ns, 30_000)
        .insert(key(77), Bytes::from(vec![1u8; 5000]))
        .unwrap();
    let mut seen = Vec::new();
    map.scan(
        Bound::Excluded(&key(70)),
        Bound::Included(&key(20_000)),
        |k, v| {
            seen.push((Bytes::copy_from_slice(k), v.len()));
            Ok(true)
        },
    )
    .unwrap();
    assert_eq!(seen.len(), 20_000 - 70);
    assert_eq!(seen[0].0, key(71));
    assert_eq!(seen[6], (key(77), 5000), "blobs are resolved");
    assert_eq!(seen.last().unwrap().0, key(20_000));
    let mut n = 0;
    map.scan(Bound::Unbounded, Bound::Unbounded, |_, _| {
        n += 1;
        Ok(n < 1000)
    })
    .unwrap();
    assert_eq!(n, 1000);
}

/// A tree whose chunks all hash right but whose shape is wrong (a level-2 node pointing straight
/// at leaves) is reported as corruption by every operation, never followed into a panic.
#[test]
fn forged_tree_shape_is_corruption_not_a_panic() {
    use vdb_engine::prolly::node::Entry;
    let (_, ns) = node_store();
    let leaf_a = ns
        .write(0, &[Entry::leaf(key(1), value(1, 0), false)])
        .unwrap();
    let leaf_b = ns
        .write(0, &[Entry::leaf(key(2), value(2, 0), false)])
        .unwrap();
    let forged = ns
        .write(
            2,
            &[
                Entry::child(key(1), leaf_a.addr(), 1),
                Entry::child(key(2), leaf_b.addr(), 1),
            ],
        )
        .unwrap();
    let map = Map::load(&ns, forged.addr()).unwrap();
    let is_corrupt = |r: Result<(), Error>| matches!(r, Err(Error::Corrupted { .. }));
    assert!(is_corrupt(map.get(&key(1)).map(|_| ())));
    assert!(is_corrupt(
        map.iter()
            .and_then(|mut it| it.try_for_each(|e| e.map(|_| ())))
    ));
    assert!(is_corrupt(map.insert(key(3), value(3, 0)).map(|_| ())));
    let empty = Map::empty(&ns).unwrap();
    assert!(is_corrupt(empty.diff(&map).try_for_each(|e| e.map(|_| ()))));
    assert!(!map.verify().unwrap().is_empty());
}
