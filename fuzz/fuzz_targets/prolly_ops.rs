//! Prolly map operations against a BTreeMap model, with reopens: the same operation generator
//! and checker as the property test `engine/tests/prolly_model.rs`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::Arc;
use vdb_engine::prolly::NodeStore;
use vdb_engine::store::{ChunkStore, MemoryStore};
use vdb_engine::testkit::{check_ops, ops_from_bytes};

fuzz_target!(|data: &[u8]| {
    let ops = ops_from_bytes(data);
    let store: Arc<dyn ChunkStore> = Arc::new(MemoryStore::new());
    let reopen = store.clone();
    if let Err(e) = check_ops(&ops, NodeStore::new(store), move |_| Ok(NodeStore::new(reopen.clone()))) {
        panic!("model disagreement: {e}");
    }
});
