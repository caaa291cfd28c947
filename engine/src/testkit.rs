//! Test kit: the operation generator shared by the property tests (`engine/tests/prolly_model.rs`)
//! and the fuzz target (`vdb_tests::fuzz::prolly_ops`), the model checker that runs those
//! operations against a prolly [`Map`] and a `BTreeMap` side by side, and the reference diff and
//! three-way merge over `BTreeMap`s.
//!
//! Operations are decoded from arbitrary bytes, so a fuzzer's mutations and proptest's shrinking
//! both act on the same input. The checker asserts, after every operation, that the map agrees
//! with the model (get, ranges both ways, rank, count, diff against a snapshot), and at every
//! reopen and at the end that verify finds nothing and that a bulk build of the model's entries
//! gives the same root hash (history independence).

use crate::error::Result;
use crate::hash::Hash;
use crate::prolly::{DiffEntry, Map, NodeStore};
use bytes::Bytes;
use std::collections::BTreeMap;
use std::ops::Bound;

/// A small seeded generator (a 64-bit LCG, high bits out) so tests and benchmarks are
/// reproducible without an RNG crate.
#[derive(Clone, Debug)]
pub struct Lcg(pub u64);

impl Lcg {
    /// The next pseudo-random value (47 bits).
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 17
    }
}

/// One operation on a map.
#[derive(Clone, Debug)]
pub enum Op {
    /// Insert or replace one key.
    Insert { key: u32, len: u16, seed: u8 },
    /// Remove one key (present or not).
    Remove { key: u32 },
    /// Insert `n` keys `start, start + step, ...` in one batch.
    BulkInsert {
        start: u32,
        n: u16,
        step: u8,
        seed: u8,
    },
    /// Remove `n` keys `start, start + step, ...` in one batch.
    BulkRemove { start: u32, n: u16, step: u8 },
    /// Point read.
    Get { key: u32 },
    /// Range read between two keys, forward or backward.
    Range { lo: u32, hi: u32, reverse: bool },
    /// Remember the current map, for a later `Diff`.
    Snapshot,
    /// Diff the snapshot against the current map and compare with the model.
    Diff,
    /// Persist the root, drop every handle, reopen the store and reload the map.
    Reopen,
}

/// Keys range over `0..KEY_SPACE`: small enough that operations collide, large enough for trees
/// of several levels.
pub const KEY_SPACE: u32 = 50_000;

/// The key bytes for key number `k`: big-endian, so byte order is numeric order, padded to vary
/// key lengths a little.
pub fn key_bytes(k: u32) -> Bytes {
    let mut key = k.to_be_bytes().to_vec();
    key.extend(std::iter::repeat_n(b'k', (k % 5) as usize));
    Bytes::from(key)
}

/// A deterministic value of `len` bytes for `key` and `seed`. Lengths above the inline limit
/// exercise blobs.
pub fn value_bytes(key: u32, len: u16, seed: u8) -> Bytes {
    let mut x = u64::from(key) << 8 | u64::from(seed);
    Bytes::from(
        (0..len)
            .map(|_| {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (x >> 56) as u8
            })
            .collect::<Vec<u8>>(),
    )
}

/// Reads fixed-width fields from fuzz input, yielding zeros once it runs out.
struct Input<'a> {
    data: &'a [u8],
}

impl Input<'_> {
    fn u8(&mut self) -> u8 {
        let (first, rest) = self.data.split_first().unwrap_or((&0, &[]));
        self.data = rest;
        *first
    }

    fn u16(&mut self) -> u16 {
        u16::from_le_bytes([self.u8(), self.u8()])
    }

    fn key(&mut self) -> u32 {
        u32::from_le_bytes([self.u8(), self.u8(), self.u8(), 0]) % KEY_SPACE
    }

    /// Mostly short values, sometimes empty, sometimes long enough to be a blob.
    fn len(&mut self) -> u16 {
        match self.u8() % 16 {
            0 => 0,
            1 => 1024 + self.u16() % 3000,
            _ => self.u8() as u16 % 64,
        }
    }
}

/// Decodes a sequence of operations from arbitrary bytes.
pub fn ops_from_bytes(data: &[u8]) -> Vec<Op> {
    let mut input = Input { data };
    let mut ops = Vec::new();
    while !input.data.is_empty() {
        let op = match input.u8() % 20 {
            0..=5 => Op::Insert {
                key: input.key(),
                len: input.len(),
                seed: input.u8(),
            },
            6..=8 => Op::Remove { key: input.key() },
            9..=10 => Op::BulkInsert {
                start: input.key(),
                n: input.u16() % 4000,
                step: input.u8() % 8 + 1,
                seed: input.u8(),
            },
            11 => Op::BulkRemove {
                start: input.key(),
                n: input.u16() % 4000,
                step: input.u8() % 8 + 1,
            },
            12..=13 => Op::Get { key: input.key() },
            14..=15 => Op::Range {
                lo: input.key(),
                hi: input.key(),
                reverse: input.u8() % 2 == 0,
            },
            16 => Op::Snapshot,
            17..=18 => Op::Diff,
            _ => Op::Reopen,
        };
        ops.push(op);
    }
    ops
}

/// The reference model of a map: its entries in key order.
pub type Model = BTreeMap<Bytes, Bytes>;

/// Runs `ops` against a map and a `BTreeMap`, failing with a description at the first
/// disagreement. `reopen` is called at each `Reopen` with the root to keep; it must drop and
/// reopen the underlying store and return a node store over it.
pub fn check_ops(
    ops: &[Op],
    ns: NodeStore,
    mut reopen: impl FnMut(Hash) -> Result<NodeStore>,
) -> std::result::Result<(), String> {
    let err = |e: crate::Error| e.to_string();
    let mut ns = ns;
    let mut map = Map::empty(&ns).map_err(err)?;
    let mut model = Model::new();
    let mut snapshot: (Hash, Model) = (map.root(), model.clone());
    for (step, op) in ops.iter().enumerate() {
        let context = |what: String| format!("step {step} ({op:?}): {what}");
        match *op {
            Op::Insert { key, len, seed } => {
                let (k, v) = (key_bytes(key), value_bytes(key, len, seed));
                map = map.insert(k.clone(), v.clone()).map_err(err)?;
                model.insert(k, v);
            }
            Op::Remove { key } => {
                map = map.remove(key_bytes(key)).map_err(err)?;
                model.remove(&key_bytes(key));
            }
            Op::BulkInsert {
                start,
                n,
                step: stride,
                seed,
            } => {
                let keys = (0..u32::from(n)).map(|i| (start + i * u32::from(stride)) % KEY_SPACE);
                let edits: Vec<_> = keys
                    .map(|k| (key_bytes(k), Some(value_bytes(k, (k % 48) as u16, seed))))
                    .collect();
                for (k, v) in &edits {
                    model.insert(k.clone(), v.clone().expect("insert"));
                }
                map = map.edit(edits).map_err(err)?;
            }
            Op::BulkRemove {
                start,
                n,
                step: stride,
            } => {
                let keys = (0..u32::from(n)).map(|i| (start + i * u32::from(stride)) % KEY_SPACE);
                let edits: Vec<_> = keys.map(|k| (key_bytes(k), None)).collect();
                for (k, _) in &edits {
                    model.remove(k);
                }
                map = map.edit(edits).map_err(err)?;
            }
            Op::Get { key } => {
                let k = key_bytes(key);
                let got = map.get(&k).map_err(err)?;
                if got.as_ref() != model.get(&k) {
                    return Err(context(format!("get: {got:?}")));
                }
                let rank = map.rank(&k).map_err(err)?;
                let want = model.range(..k).count() as u64;
                if rank != want {
                    return Err(context(format!("rank {rank}, model {want}")));
                }
            }
            Op::Range { lo, hi, reverse } => {
                let (lo, hi) = (key_bytes(lo.min(hi)), key_bytes(lo.max(hi)));
                check_range(&map, &model, &lo, &hi, reverse).map_err(context)?;
            }
            Op::Snapshot => snapshot = (map.root(), model.clone()),
            Op::Diff => {
                let old = Map::load(&ns, snapshot.0).map_err(err)?;
                check_diff(&old, &map, &snapshot.1, &model).map_err(context)?;
            }
            Op::Reopen => {
                check_whole(&map, &model).map_err(context)?;
                let root = map.root();
                // Every handle on the old store goes before it is reopened.
                drop(map);
                drop(ns);
                ns = reopen(root).map_err(err)?;
                map = Map::load(&ns, root).map_err(err)?;
            }
        }
        if map.count() != model.len() as u64 {
            return Err(context(format!(
                "count {}, model {}",
                map.count(),
                model.len()
            )));
        }
    }
    check_whole(&map, &model)
}

/// Full scan, verify, and a bulk rebuild that must give the same root.
fn check_whole(map: &Map, model: &Model) -> std::result::Result<(), String> {
    let err = |e: crate::Error| e.to_string();
    let entries: Vec<(Bytes, Bytes)> = map
        .iter()
        .map_err(err)?
        .collect::<Result<_>>()
        .map_err(err)?;
    let want: Vec<(Bytes, Bytes)> = model.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    if entries != want {
        return Err(format!(
            "scan differs: {} entries, model {}",
            entries.len(),
            want.len()
        ));
    }
    let problems = map.verify().map_err(err)?;
    if !problems.is_empty() {
        return Err(format!("verify: {problems:?}"));
    }
    let rebuilt = Map::build(map.node_store(), want).map_err(err)?;
    if rebuilt.root() != map.root() {
        return Err(format!(
            "history independence: edited root {} but a bulk build gives {}",
            map.root(),
            rebuilt.root()
        ));
    }
    Ok(())
}

fn check_range(
    map: &Map,
    model: &Model,
    lo: &Bytes,
    hi: &Bytes,
    reverse: bool,
) -> std::result::Result<(), String> {
    let err = |e: crate::Error| e.to_string();
    let bounds = (Bound::Included(&lo[..]), Bound::Excluded(&hi[..]));
    let got: Vec<(Bytes, Bytes)> = if reverse {
        map.range_rev(bounds.0, bounds.1)
    } else {
        map.range(bounds.0, bounds.1)
    }
    .map_err(err)?
    .collect::<Result<_>>()
    .map_err(err)?;
    let mut want: Vec<(Bytes, Bytes)> = model
        .range(lo.clone()..hi.clone())
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if reverse {
        want.reverse();
    }
    if got != want {
        return Err(format!(
            "range: {} entries, model {}",
            got.len(),
            want.len()
        ));
    }
    Ok(())
}

/// The diff between two maps must equal the naive diff between their models.
fn check_diff(
    old: &Map,
    new: &Map,
    old_model: &Model,
    new_model: &Model,
) -> std::result::Result<(), String> {
    let err = |e: crate::Error| e.to_string();
    let got: Vec<DiffEntry> = old.diff(new).collect::<Result<_>>().map_err(err)?;
    let want = naive_diff(old_model, new_model);
    if got != want {
        return Err(format!("diff: {} entries, model {}", got.len(), want.len()));
    }
    Ok(())
}

/// The diff of two ordered maps by full comparison: the reference for the prolly diff.
/// The reference three-way merge over BTreeMaps: per key, a one-sided change wins, equal
/// changes agree, and different changes are conflicts (listed in key order; the merged map
/// keeps ours for them).
pub fn naive_merge(base: &Model, ours: &Model, theirs: &Model) -> (Model, Vec<Bytes>) {
    let mut keys: Vec<&Bytes> = base
        .keys()
        .chain(ours.keys())
        .chain(theirs.keys())
        .collect();
    keys.sort();
    keys.dedup();
    let mut out = Model::new();
    let mut conflicts = Vec::new();
    for k in keys {
        let (b, o, t) = (base.get(k), ours.get(k), theirs.get(k));
        let merged = if o == t || t == b {
            o
        } else if o == b {
            t
        } else {
            conflicts.push(k.clone());
            o
        };
        if let Some(v) = merged {
            out.insert(k.clone(), v.clone());
        }
    }
    (out, conflicts)
}

pub fn naive_diff(old: &Model, new: &Model) -> Vec<DiffEntry> {
    let mut keys: Vec<&Bytes> = old.keys().chain(new.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter_map(|k| match (old.get(k), new.get(k)) {
            (Some(o), None) => Some(DiffEntry::Removed {
                key: k.clone(),
                old: o.clone(),
            }),
            (None, Some(n)) => Some(DiffEntry::Added {
                key: k.clone(),
                new: n.clone(),
            }),
            (Some(o), Some(n)) if o != n => Some(DiffEntry::Modified {
                key: k.clone(),
                old: o.clone(),
                new: n.clone(),
            }),
            _ => None,
        })
        .collect()
}
