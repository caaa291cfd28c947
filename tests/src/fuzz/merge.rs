//! Three-way merge of prolly maps against a naive merge over BTreeMaps: the input decodes to a
//! base map and two edited sides; `prolly::merge` must report exactly the naive merge's
//! collisions and produce exactly its result, with the root hash of a bulk build of it.

use bytes::Bytes;
use std::collections::BTreeMap;
use std::sync::Arc;
use vdb_engine::prolly::{merge, Collision, Map, NodeStore, Resolution};
use vdb_engine::store::MemoryStore;
use vdb_engine::testkit::naive_merge;

type Model = BTreeMap<Bytes, Bytes>;

fn key(k: u8) -> Bytes {
    Bytes::from(format!("key{k:03}"))
}

/// Base: one entry per byte of the first section; each side: (key, op) pairs, op 0 deleting and
/// any other op setting a value drawn from few choices, so both sides often agree.
fn models(data: &[u8]) -> (Model, Model, Model) {
    let mut parts = data.splitn(3, |b| *b == 0xff);
    let base: Model = parts
        .next()
        .unwrap_or_default()
        .iter()
        .map(|k| (key(*k), Bytes::from(vec![*k; 3])))
        .collect();
    let side = |edits: &[u8]| {
        let mut model = base.clone();
        for pair in edits.chunks_exact(2) {
            match pair[1] % 4 {
                0 => model.remove(&key(pair[0])),
                v => model.insert(key(pair[0]), Bytes::from(vec![v; 2])),
            };
        }
        model
    };
    let ours = side(parts.next().unwrap_or_default());
    let theirs = side(parts.next().unwrap_or_default());
    (base, ours, theirs)
}

/// One input: a base map and two edited sides, merged both ways and compared.
pub fn run(data: &[u8]) {
    let (base_model, ours_model, theirs_model) = models(data);
    let ns = NodeStore::new(Arc::new(MemoryStore::new()));
    let base = Map::build(&ns, base_model.clone()).unwrap();
    let ours = Map::build(&ns, ours_model.clone()).unwrap();
    let theirs = Map::build(&ns, theirs_model.clone()).unwrap();
    let mut seen = Vec::new();
    let outcome = merge(&base, &ours, &theirs, |c: &Collision| {
        seen.push(c.key.clone());
        Ok(Resolution::Conflict)
    })
    .unwrap();
    let (want, want_conflicts) = naive_merge(&base_model, &ours_model, &theirs_model);
    assert_eq!(seen, want_conflicts);
    let got: Model = outcome.map.iter().unwrap().map(|r| r.unwrap()).collect();
    assert_eq!(got, want);
    assert_eq!(outcome.map.root(), Map::build(&ns, want).unwrap().root());
}
