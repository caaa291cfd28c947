//! The bodies of the fuzz targets, in one place for two runners: `fuzz/` (cargo-fuzz,
//! coverage-guided, with sanitizers; its targets are one-line calls of these) and
//! `tests/tests/fuzz_corpora.rs` (every checked-in corpus input plus seeded random mutations of
//! them, in the ordinary test run, so CI exercises each target briefly without a sanitizer
//! build). Each function panics when the property it checks fails.

pub mod merge;
pub mod protocol;

use std::sync::Arc;

use bytes::Bytes;
use vdb_engine::prolly::node::Node;
use vdb_engine::prolly::NodeStore;
use vdb_engine::repo::{Repository, Signature};
use vdb_engine::store::{ChunkStore, MemoryStore};
use vdb_engine::testkit::{check_ops, ops_from_bytes, Lcg};
use vdb_engine::Hash;
use vdb_sql::Session;

/// A fuzz target: its name (the directory of its corpus under `fuzz/corpus/`) and its body.
pub type Target = (&'static str, fn(&[u8]));

/// Every target.
pub const TARGETS: [Target; 5] = [
    ("prolly_ops", prolly_ops),
    ("node_decode", node_decode),
    ("merge_naive", merge::run),
    ("sql_no_panic", sql_no_panic),
    ("protocol", protocol::run),
];

/// Prolly map operations against a BTreeMap model, with reopens: the same operation generator
/// and checker as the property test `engine/tests/prolly_model.rs`.
pub fn prolly_ops(data: &[u8]) {
    let ops = ops_from_bytes(data);
    let store: Arc<dyn ChunkStore> = Arc::new(MemoryStore::new());
    let reopen = store.clone();
    if let Err(e) = check_ops(&ops, NodeStore::new(store), move |_| {
        Ok(NodeStore::new(reopen.clone()))
    }) {
        panic!("model disagreement: {e}");
    }
}

/// Node decoding never panics: arbitrary bytes decode to an error or to a node whose every
/// accessor stays in bounds.
pub fn node_decode(data: &[u8]) {
    if let Ok(node) = Node::decode(Hash::of(data), Bytes::copy_from_slice(data)) {
        for i in 0..node.len() {
            let _ = node.key(i);
            let _ = node.entry(i);
        }
        let _ = node.total();
        let _ = node.lower_bound(b"probe");
    }
}

/// SQL never panics: the input, as text, runs statement by statement in a session over a fresh
/// in-memory repository that already holds a small table. Errors are expected.
pub fn sql_no_panic(data: &[u8]) {
    let Ok(sql) = std::str::from_utf8(data) else {
        return;
    };
    // Bound the work one input can ask for (generate_series, repeat): the target looks for
    // panics, not for slow queries.
    if sql.len() > 2000 || sql.bytes().filter(u8::is_ascii_digit).count() > 24 {
        return;
    }
    let signature = Signature::new("fuzz", "fuzz@vdb.invalid", 0);
    let repo = Repository::init(Arc::new(MemoryStore::new()), "main", &signature)
        .expect("an in-memory repository");
    let mut session = Session::new(Arc::new(repo), "main");
    session
        .execute(
            "CREATE TABLE t (a INT PRIMARY KEY, b TEXT, c FLOAT8); \
             INSERT INTO t VALUES (1, 'x', 1.5), (2, NULL, 2)",
        )
        .expect("the fixture table");
    let _ = session.execute_script(sql);
}

/// Mutates corpus inputs, reproducibly from a seed.
#[derive(Debug)]
pub struct Mutator(Lcg);

impl Mutator {
    pub fn new(seed: u64) -> Mutator {
        Mutator(Lcg(seed))
    }

    fn next(&mut self) -> u64 {
        self.0.next_u64()
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % u64::try_from(n.max(1)).unwrap_or(u64::MAX)).unwrap_or(0)
    }

    /// `input` with 1–4 of libFuzzer's simplest mutations: flip a bit, set a byte to an
    /// interesting value, insert or delete a byte, duplicate a slice, or splice in `other`.
    pub fn mutate(&mut self, input: &[u8], other: &[u8]) -> Vec<u8> {
        let mut out = input.to_vec();
        for _ in 0..1 + self.below(4) {
            let at = self.below(out.len() + 1);
            match self.below(6) {
                0 if at < out.len() => out[at] ^= 1 << self.below(8),
                1 if at < out.len() => {
                    out[at] = [0, 1, 0x7f, 0x80, 0xff, b'\'', b'(', b';'][self.below(8)];
                }
                2 => out.insert(at, self.next().to_le_bytes()[0]),
                3 if at < out.len() => {
                    out.remove(at);
                }
                4 if at < out.len() => {
                    let end = (at + 1 + self.below(16)).min(out.len());
                    let slice = out[at..end].to_vec();
                    out.splice(at..at, slice);
                }
                _ => {
                    let from = self.below(other.len() + 1);
                    let end = (from + self.below(32)).min(other.len());
                    out.splice(at..at, other[from..end].iter().copied());
                }
            }
        }
        out
    }
}
